//! Derived numbers: raw cells as the runner collects them ([`RawCell`]) turned into result cells
//! ([`derive`]): summaries, speedup and efficiency with their intervals, ideal times, and the one
//! rule for what a speedup is measured against ([`speedup_baseline`]). Pure: no IO, no clocks.

use super::{CellResult, LostUpdates, NetMetrics, WakeLatency};
use crate::model::ModelKind;
use crate::plan::{CellKey, CellSpec};
use crate::stats::summarize;
use crate::workload::{Batch, WorkloadKind, WorkloadSpec};
use std::collections::HashMap;

/// Raw `tcp-echo` measurements of a cell.
#[derive(Clone, Debug)]
pub struct NetRaw {
    /// Latencies of every recorded round trip, microseconds.
    pub latency_us: hdrhistogram::Histogram<u64>,
    /// Server CPU per recorded batch.
    pub server_cpu_s: Vec<f64>,
    /// Server voluntary switches per recorded batch.
    pub server_voluntary_cs: Vec<u64>,
    /// Server involuntary switches per recorded batch.
    pub server_involuntary_cs: Vec<u64>,
}

/// What a cell's speedup is measured against.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SpeedupBaseline<'a> {
    /// The samples of the model's baseline cell (`sequential`, `py-sequential`) of the same
    /// workload in the same run, with their rounds.
    Measured {
        /// The baseline model.
        model: ModelKind,
        /// Its samples, seconds.
        samples_s: &'a [f64],
        /// The round of each sample (empty: sample i is round i).
        rounds: &'a [u32],
    },
    /// No baseline cell, but a task's time is known by construction (`io`, `mixed`): the ideal
    /// sequential time, tasks × that time.
    Ideal {
        /// Seconds.
        seconds: f64,
    },
}

impl SpeedupBaseline<'_> {
    /// The name the result file records (`speedup_baseline`).
    pub fn name(&self) -> String {
        match self {
            SpeedupBaseline::Measured { model, .. } => model.to_string(),
            SpeedupBaseline::Ideal { .. } => "ideal-sequential".to_string(),
        }
    }

    /// The baseline's median time, seconds.
    pub fn median_s(&self) -> f64 {
        match self {
            SpeedupBaseline::Measured { samples_s, .. } => crate::stats::median(samples_s),
            SpeedupBaseline::Ideal { seconds } => *seconds,
        }
    }

    /// A cell's speedup samples: each round's baseline sample ÷ the cell's sample of that
    /// round (rounds only one of them ran in are left out; `rounds` empty: sample i is round
    /// i), or, against an ideal, the ideal ÷ each sample. Paired by round, a slow spell of the
    /// machine slows both sides of a ratio and leaves it be. The result's speedup and
    /// `compare` both use these.
    pub fn ratios(&self, samples_s: &[f64], rounds: &[u32]) -> Vec<f64> {
        match self {
            SpeedupBaseline::Measured {
                samples_s: base,
                rounds: base_rounds,
                ..
            } => {
                let base: HashMap<u32, f64> = by_round(base, base_rounds).collect();
                by_round(samples_s, rounds)
                    .filter_map(|(r, t)| base.get(&r).map(|b| b / t))
                    .collect()
            }
            SpeedupBaseline::Ideal { seconds } => samples_s.iter().map(|t| seconds / t).collect(),
        }
    }
}

/// `(round, sample)` pairs of a cell; `rounds` empty (files before schema 3): sample i is
/// round i.
pub fn by_round<'a>(
    samples_s: &'a [f64],
    rounds: &'a [u32],
) -> Box<dyn Iterator<Item = (u32, f64)> + 'a> {
    if rounds.len() == samples_s.len() {
        Box::new(rounds.iter().copied().zip(samples_s.iter().copied()))
    } else {
        Box::new((0u32..).zip(samples_s.iter().copied()))
    }
}

/// The one rule for a cell's speedup baseline: among `cells` (workload, model, samples) of one
/// run, the samples of the baseline model's cell of the same workload; without one, the ideal
/// sequential time where the workload's task time is known by construction; else none.
pub fn speedup_baseline<'a>(
    cells: impl IntoIterator<Item = (WorkloadKind, ModelKind, &'a [f64], &'a [u32])>,
    model: ModelKind,
    params: &WorkloadSpec,
    tasks: u64,
) -> Option<SpeedupBaseline<'a>> {
    let baseline = model.baseline();
    let measured = cells
        .into_iter()
        .find(|(w, m, samples, _)| *w == params.kind() && *m == baseline && !samples.is_empty());
    match measured {
        Some((_, model, samples_s, rounds)) => Some(SpeedupBaseline::Measured {
            model,
            samples_s,
            rounds,
        }),
        // One task after another, ideally: the workload's ideal with one worker (a pipeline's
        // N tasks share its items: not N times them).
        None => params.nominal_task_s().map(|task_s| {
            let one = params.reading().ideal(&Batch {
                tasks,
                waits: 1,
                computes: 1,
                workers: 1,
            });
            SpeedupBaseline::Ideal {
                seconds: one.time_s.unwrap_or(tasks as f64 * task_s),
            }
        }),
    }
}

/// Raw measurements of a cell, before derivation.
#[derive(Clone, Debug)]
pub struct RawCell {
    /// Workload parameters.
    pub params: WorkloadSpec,
    /// Model.
    pub model: ModelKind,
    /// Workers.
    pub workers: usize,
    /// Tasks.
    pub tasks: u64,
    /// Wall times.
    pub samples_s: Vec<f64>,
    /// The round of each wall time (0: the first after warm-up).
    pub rounds: Vec<u32>,
    /// CPU time per recorded batch.
    pub cpu_s: Vec<f64>,
    /// Voluntary switches per recorded batch.
    pub voluntary_cs: Vec<u64>,
    /// Involuntary switches per recorded batch.
    pub involuntary_cs: Vec<u64>,
    /// Peak RSS of this process.
    pub peak_rss_kib: u64,
    /// Peak RSS of children.
    pub child_peak_rss_kib: Option<u64>,
    /// Pool start-up time.
    pub startup_s: Option<f64>,
    /// Reference checksum.
    pub expected_checksum: u64,
    /// Last checksum.
    pub checksum: u64,
    /// All batches matched.
    pub checksum_ok: bool,
    /// Planned samples.
    pub planned_samples: usize,
    /// `tcp-echo` measurements.
    pub net: Option<NetRaw>,
    /// Updates lost per recorded batch (`contention --sync racy`).
    pub lost_updates: Vec<u64>,
    /// The updates a batch makes, where some may be lost.
    pub updates_per_batch: u64,
    /// Latencies the tasks measured themselves, every recorded batch's (`event`), ns.
    pub wake_ns: Vec<u64>,
    /// How every recorded batch used its queue (`pipeline`).
    pub queue: Vec<crate::workload::QueueUse>,
    /// When the tasks of every recorded batch finished, and how long they ran.
    pub task_times: Vec<TaskTimes>,
}

/// One batch's task completion times, as a cell keeps them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TaskTimes {
    /// The mean completion time, from the batch's start, seconds.
    pub mean_s: f64,
    /// The 99th percentile completion time (nearest rank), seconds.
    pub p99_s: f64,
    /// The tasks' running times added up, seconds.
    pub busy_s: f64,
    /// The batch's wall time, seconds.
    pub wall_s: f64,
}

impl TaskTimes {
    /// A batch's times from its clock, and its wall time.
    pub fn of(t: &crate::taskclock::BatchTimes, wall_s: f64) -> TaskTimes {
        let mut v = t.completion_ns.clone();
        v.sort_unstable();
        let n = v.len().max(1);
        let i = ((n as f64 * 0.99).ceil() as usize).clamp(1, n) - 1;
        TaskTimes {
            mean_s: v.iter().map(|x| *x as f64).sum::<f64>() / n as f64 / 1e9,
            p99_s: v.get(i).copied().unwrap_or(0) as f64 / 1e9,
            busy_s: t.busy_ns as f64 / 1e9,
            wall_s,
        }
    }
}

impl RawCell {
    /// `cell` before anything was measured, `planned` samples to come.
    pub fn empty(cell: &CellSpec, planned: usize) -> RawCell {
        RawCell {
            params: cell.workload.spec,
            model: cell.model,
            workers: cell.workers,
            tasks: cell.workload.tasks,
            samples_s: Vec::new(),
            rounds: Vec::new(),
            cpu_s: Vec::new(),
            voluntary_cs: Vec::new(),
            involuntary_cs: Vec::new(),
            peak_rss_kib: 0,
            child_peak_rss_kib: None,
            startup_s: None,
            expected_checksum: 0,
            checksum: 0,
            checksum_ok: true,
            planned_samples: planned,
            net: None,
            lost_updates: Vec::new(),
            updates_per_batch: 0,
            wake_ns: Vec::new(),
            queue: Vec::new(),
            task_times: Vec::new(),
        }
    }

    /// The cell's key.
    pub fn key(&self) -> CellKey {
        CellKey {
            workload: self.params.kind(),
            model: self.model,
            workers: self.workers,
        }
    }
}

fn median_u64(v: &[u64]) -> u64 {
    let mut v = v.to_vec();
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

/// Turns raw cells into result cells, deriving speedup, efficiency and ideals. Cells without a
/// sample are left out. `physical_cores` bounds the CPU-bound ideal.
pub fn derive(raw: &[RawCell], physical_cores: usize) -> Vec<CellResult> {
    raw.iter()
        .filter_map(|c| {
            let s = summarize(&c.samples_s)?;
            let kind = c.params.kind();
            let base = speedup_baseline(
                raw.iter().map(|r| {
                    (
                        r.params.kind(),
                        r.model,
                        r.samples_s.as_slice(),
                        r.rounds.as_slice(),
                    )
                }),
                c.model,
                &c.params,
                c.tasks,
            );
            let paired = base
                .as_ref()
                .and_then(|b| summarize(&b.ratios(&c.samples_s, &c.rounds)));
            let baseline = paired.and(base.map(|b| b.name()));
            let speedup_v = paired.map(|p| p.median);
            let workers = if c.model.is_baseline() { 1 } else { c.workers };
            let waits = c.model.concurrent_waits(workers, c.tasks);
            let computes = c
                .model
                .concurrent_compute(workers, physical_cores)
                .min(c.tasks as usize)
                .max(1);
            let ideal = c.params.reading().ideal(&Batch {
                tasks: c.tasks,
                waits,
                computes,
                workers,
            });
            let (ideal_s, ideal_speedup) = (ideal.time_s, ideal.speedup);
            Some(CellResult {
                workload: kind,
                params: c.params,
                model: c.model,
                workers: c.workers,
                tasks: c.tasks,
                samples_s: c.samples_s.clone(),
                rounds: c.rounds.clone(),
                median_s: s.median,
                min_s: s.min,
                max_s: s.max,
                median_ci_s: [s.ci_low, s.ci_high],
                ci_level: s.ci_level,
                startup_s: c.startup_s,
                cpu_time_s: crate::stats::median(&c.cpu_s),
                voluntary_cs: median_u64(&c.voluntary_cs),
                involuntary_cs: median_u64(&c.involuntary_cs),
                peak_rss_kib: c.peak_rss_kib,
                child_peak_rss_kib: c.child_peak_rss_kib,
                expected_checksum: c.expected_checksum,
                checksum: c.checksum,
                checksum_ok: c.checksum_ok,
                complete: c.samples_s.len() >= c.planned_samples,
                per_task_s: s.median / c.tasks.max(1) as f64,
                speedup: speedup_v,
                speedup_ci: paired.map(|p| [p.ci_low, p.ci_high]),
                speedup_ci_level: paired.map(|p| p.ci_level),
                speedup_baseline: baseline,
                efficiency: speedup_v.map(|v| v / workers as f64),
                ideal_speedup,
                ideal_s,
                overhead_s: ideal_s.map(|i| s.median - i),
                precision_met: None,
                lost_updates: (!c.lost_updates.is_empty()).then(|| {
                    let mut v = c.lost_updates.clone();
                    v.sort_unstable();
                    LostUpdates {
                        median: median_u64(&v),
                        min: v[0],
                        max: v[v.len() - 1],
                        of: c.updates_per_batch,
                    }
                }),
                wake_latency: (!c.wake_ns.is_empty()).then(|| {
                    let mut v = c.wake_ns.clone();
                    v.sort_unstable();
                    let q = |p: f64| {
                        let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
                        v[i] as f64 / 1e9
                    };
                    WakeLatency {
                        count: v.len() as u64,
                        p50_s: q(0.5),
                        p99_s: q(0.99),
                        max_s: v[v.len() - 1] as f64 / 1e9,
                    }
                }),
                completion: (!c.task_times.is_empty()).then(|| {
                    let med = |f: fn(&TaskTimes) -> f64| {
                        crate::stats::median(&c.task_times.iter().map(f).collect::<Vec<_>>())
                    };
                    // Idle while tasks hold a worker each; a future that waits holds none.
                    let holds = c.model.spec().waits != crate::model::Waits::AllTasks;
                    let n = workers as f64;
                    crate::result::Completion {
                        mean_s: med(|t| t.mean_s),
                        p99_s: med(|t| t.p99_s),
                        idle_share: holds.then(|| {
                            let idle: Vec<f64> = c
                                .task_times
                                .iter()
                                .map(|t| (1.0 - t.busy_s / (n * t.wall_s)).clamp(0.0, 1.0))
                                .collect();
                            crate::stats::median(&idle)
                        }),
                    }
                }),
                queue: c.queue.first().map(|q| {
                    let share = |f: fn(&crate::workload::QueueUse) -> Option<f64>| {
                        let v: Vec<f64> = c.queue.iter().filter_map(f).collect();
                        (!v.is_empty()).then(|| crate::stats::median(&v))
                    };
                    let items = q.items as f64;
                    crate::result::QueueStats {
                        items: q.items,
                        items_per_s: items / s.median,
                        items_per_s_ci: [items / s.ci_high, items / s.ci_low],
                        full_share: share(|q| q.full_share),
                        empty_share: share(|q| q.empty_share),
                    }
                }),
                net: c.net.as_ref().map(|n| {
                    let q = |p: f64| n.latency_us.value_at_quantile(p) as f64 / 1e6;
                    let server_cpu =
                        (!n.server_cpu_s.is_empty()).then(|| crate::stats::median(&n.server_cpu_s));
                    let t = c.tasks as f64;
                    NetMetrics {
                        round_trips_per_s: t / s.median,
                        round_trips_per_s_ci95: [t / s.ci_high, t / s.ci_low],
                        latency_count: n.latency_us.len(),
                        latency_p50_s: q(0.5),
                        latency_p99_s: q(0.99),
                        latency_p999_s: q(0.999),
                        latency_max_s: n.latency_us.max() as f64 / 1e6,
                        server_cpu_s: server_cpu,
                        server_cpu_per_round_trip_s: server_cpu.map(|v| v / t.max(1.0)),
                        server_voluntary_cs: (!n.server_voluntary_cs.is_empty())
                            .then(|| median_u64(&n.server_voluntary_cs)),
                        server_involuntary_cs: (!n.server_involuntary_cs.is_empty())
                            .then(|| median_u64(&n.server_involuntary_cs)),
                    }
                }),
            })
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn raw(
        model: ModelKind,
        workers: usize,
        params: WorkloadSpec,
        samples: &[f64],
    ) -> RawCell {
        RawCell {
            params,
            model,
            workers,
            tasks: 8,
            samples_s: samples.to_vec(),
            rounds: (0..samples.len() as u32).collect(),
            cpu_s: vec![0.1; samples.len()],
            voluntary_cs: vec![3; samples.len()],
            involuntary_cs: vec![1; samples.len()],
            peak_rss_kib: 1000,
            child_peak_rss_kib: None,
            startup_s: None,
            expected_checksum: u64::MAX - 1,
            checksum: u64::MAX - 1,
            checksum_ok: true,
            planned_samples: 3,
            net: None,
            lost_updates: Vec::new(),
            updates_per_batch: 0,
            wake_ns: Vec::new(),
            queue: Vec::new(),
            task_times: Vec::new(),
        }
    }

    #[test]
    fn speedup_efficiency_and_io_ideal() {
        let io = WorkloadSpec::Io(crate::workload::SleepIo::new(100));
        let cells = derive(
            &[
                raw(ModelKind::Sequential, 1, io, &[0.8, 0.81, 0.82]),
                raw(ModelKind::Threads, 4, io, &[0.2, 0.21, 0.22]),
                raw(ModelKind::Threads, 3, io, &[]),
            ],
            2,
        );
        assert_eq!(cells.len(), 2, "a cell without samples is left out");
        let t = &cells[1];
        assert!((t.speedup.unwrap() - 0.81 / 0.21).abs() < 1e-9);
        assert!((t.efficiency.unwrap() - 0.81 / 0.21 / 4.0).abs() < 1e-9);
        assert!((t.ideal_s.unwrap() - 0.2).abs() < 1e-12);
        assert!((t.overhead_s.unwrap() - 0.01).abs() < 1e-9);
        assert_eq!(t.speedup_baseline.as_deref(), Some("sequential"));
        assert!(t.complete);
    }

    #[test]
    fn speedups_pair_samples_by_round() {
        let cpu = WorkloadSpec::Cpu(crate::workload::MultiplyLoop::new(1));
        // Rounds 2 and 5 ran on a machine twice as slow: both sides of their ratio slowed.
        let seq = [1.0, 1.0, 2.0, 1.0, 1.0, 2.0, 1.0];
        let cell = [0.5, 0.5, 1.0, 0.5, 0.5, 1.0, 0.5];
        let cells = derive(
            &[
                raw(ModelKind::Sequential, 1, cpu, &seq),
                raw(ModelKind::Threads, 2, cpu, &cell),
            ],
            2,
        );
        let t = &cells[1];
        assert_eq!(t.speedup, Some(2.0));
        assert_eq!(t.speedup_ci, Some([2.0, 2.0]), "paired: no spread at all");
        assert!(t.speedup_ci_level.unwrap() >= 0.95);
        // Unpaired, the medians' intervals would have spanned 0.5× … 4×.

        // A cell that sat out rounds 1 and 3 is paired on the rounds it ran.
        let mut sparse = raw(ModelKind::Threads, 4, cpu, &[0.25, 0.5, 0.25]);
        sparse.rounds = vec![0, 2, 4];
        let mut seq = raw(ModelKind::Sequential, 1, cpu, &[1.0, 9.0, 2.0, 9.0, 1.0]);
        seq.rounds = vec![0, 1, 2, 3, 4];
        let cells = derive(&[seq, sparse], 2);
        assert_eq!(cells[1].speedup, Some(4.0));
        assert_eq!(cells[1].speedup_ci, Some([4.0, 4.0]));
    }

    #[test]
    fn io_without_sequential_uses_the_ideal_baseline() {
        let io = WorkloadSpec::Io(crate::workload::SleepIo::new(100));
        let cells = derive(&[raw(ModelKind::Threads, 8, io, &[0.11, 0.12])], 2);
        assert_eq!(
            cells[0].speedup_baseline.as_deref(),
            Some("ideal-sequential")
        );
        assert!(!cells[0].complete);
        let cpu = derive(
            &[raw(
                ModelKind::Threads,
                8,
                WorkloadSpec::Cpu(crate::workload::MultiplyLoop::new(1)),
                &[1.0],
            )],
            2,
        );
        assert_eq!(cpu[0].speedup, None);
        assert_eq!(cpu[0].ideal_speedup, Some(2.0));
    }
}
