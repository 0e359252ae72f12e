//! The result file's types (serde), versioned by [`SCHEMA_VERSION`], and the derived numbers
//! (speedup, efficiency, ideal times) computed from the raw samples. Reading and writing files is
//! `store`'s job; formatting is `export`'s. The schema is documented in the README.

use crate::machine::MachineInfo;
use crate::model::ModelKind;
use crate::plan::{CellKey, RunConfig};
use crate::stats::{Summary, speedup, summarize};
use crate::workload::{WorkloadKind, WorkloadSpec};
use serde::{Deserialize, Serialize};

/// Version of the result file layout. Bump on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// A whole run: machine, configuration and one entry per measured cell.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunResults {
    /// Always [`SCHEMA_VERSION`] when written by this build.
    pub schema_version: u32,
    /// When the run started (RFC 3339, UTC).
    pub started_utc: String,
    /// When it finished; `None` while running or if interrupted.
    pub finished_utc: Option<String>,
    /// True once every cell has all its samples.
    pub complete: bool,
    /// The machine measured on.
    pub machine: MachineInfo,
    /// What was asked for.
    pub config: RunConfig,
    /// One entry per cell that has at least one sample, in display order.
    pub cells: Vec<CellResult>,
    /// The noise probe: how much a fixed reference loop varied during the run.
    #[serde(default)]
    pub noise: Option<NoiseProbe>,
    /// What the run had to leave out and why (a model that cannot run here).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Cells that failed and were skipped (`--on-error skip`), one message each naming the cell
    /// and the task.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<String>,
}

/// A fixed reference loop timed a few times after every round, so a comparison can tell how
/// noisy the machine was. Its coefficient of variation is the noise figure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NoiseProbe {
    /// Multiply steps of the reference loop.
    pub reference_iterations: u64,
    /// Wall time of every probe, seconds.
    pub samples_s: Vec<f64>,
    /// Robust coefficient of variation of the samples: 1.4826 × median absolute deviation ÷
    /// median (the standard deviation ÷ mean for normal data, but not blown up by one spike).
    pub cv: f64,
}

impl NoiseProbe {
    /// A probe of `reference_iterations` with these samples.
    pub fn new(reference_iterations: u64, samples_s: Vec<f64>) -> NoiseProbe {
        NoiseProbe {
            reference_iterations,
            cv: crate::stats::robust_cv(&samples_s),
            samples_s,
        }
    }
}

/// Measurements of one cell (workload × model × workers).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CellResult {
    /// Workload name.
    pub workload: WorkloadKind,
    /// Workload parameters.
    pub params: WorkloadSpec,
    /// Model name.
    pub model: ModelKind,
    /// N, the most tasks in flight.
    pub workers: usize,
    /// Tasks per batch.
    pub tasks: u64,
    /// Wall time of each recorded batch, seconds, in the order measured.
    pub samples_s: Vec<f64>,
    /// Median wall time.
    pub median_s: f64,
    /// Fastest batch.
    pub min_s: f64,
    /// Slowest batch.
    pub max_s: f64,
    /// Distribution-free confidence interval of the median, `[low, high]`, of coverage
    /// `ci_level` (not always 95%: 93.75% for 5 samples). Files of earlier builds call it
    /// `ci95_s`.
    #[serde(alias = "ci95_s")]
    pub median_ci_s: [f64; 2],
    /// The interval's actual coverage (0.9375 for 5 samples, ≥ 0.95 from 6).
    pub ci_level: f64,
    /// Time to start the model's long-lived workers (pools only), seconds, outside the samples.
    pub startup_s: Option<f64>,
    /// Median CPU time (user + sys, this process, its reaped children and pool workers) per batch.
    pub cpu_time_s: f64,
    /// Median voluntary context switches per batch.
    pub voluntary_cs: u64,
    /// Median involuntary context switches per batch.
    pub involuntary_cs: u64,
    /// Peak RSS of the parbench process during this cell's batches, KiB.
    pub peak_rss_kib: u64,
    /// Largest peak RSS of any worker process, KiB (process models only).
    pub child_peak_rss_kib: Option<u64>,
    /// The sequential reference checksum of the batch.
    #[serde(with = "hex_u64")]
    pub expected_checksum: u64,
    /// What this model produced (the last batch).
    #[serde(with = "hex_u64")]
    pub checksum: u64,
    /// Whether every batch matched the reference.
    pub checksum_ok: bool,
    /// True once all planned samples are in.
    pub complete: bool,
    /// Median wall time per task (`median_s / tasks`): for `noop`, the model's own cost per task.
    pub per_task_s: f64,
    /// Baseline median ÷ this median.
    pub speedup: Option<f64>,
    /// Conservative interval of the speedup from both medians' intervals.
    pub speedup_ci95: Option<[f64; 2]>,
    /// `sequential` (measured) or `ideal-sequential` (`tasks × sleep`, for `io` runs without the
    /// sequential model).
    pub speedup_baseline: Option<String>,
    /// Speedup ÷ workers.
    pub efficiency: Option<f64>,
    /// The best possible speedup: `io`: `tasks × sleep ÷ ideal_s`; `cpu`: min(workers, physical
    /// cores, tasks).
    pub ideal_speedup: Option<f64>,
    /// `io` only: `ceil(tasks / workers) × sleep`, the least wall time physics allows.
    pub ideal_s: Option<f64>,
    /// `io` only: `median_s - ideal_s`.
    pub overhead_s: Option<f64>,
    /// `tcp-echo` only: throughput, latency percentiles and the server's CPU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net: Option<NetMetrics>,
}

/// What a `tcp-echo` cell measured beyond wall time (`workers` is the number of connections,
/// `tasks` the round trips per batch).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetMetrics {
    /// Round trips per second: `tasks / median_s`.
    pub round_trips_per_s: f64,
    /// From the median's confidence interval.
    pub round_trips_per_s_ci95: [f64; 2],
    /// Round trips in the latency histogram (all recorded batches).
    pub latency_count: u64,
    /// Latency percentiles of single round trips, seconds (hdrhistogram, 3 significant digits).
    pub latency_p50_s: f64,
    /// 99th percentile.
    pub latency_p99_s: f64,
    /// 99.9th percentile.
    pub latency_p999_s: f64,
    /// Slowest round trip.
    pub latency_max_s: f64,
    /// Median CPU time (user + sys) of the server process per batch (Linux; from schedstat, ns).
    pub server_cpu_s: Option<f64>,
    /// `server_cpu_s / tasks`: the server's CPU per round trip.
    pub server_cpu_per_round_trip_s: Option<f64>,
    /// Median voluntary context switches of the server per batch.
    pub server_voluntary_cs: Option<u64>,
    /// Median involuntary context switches of the server per batch.
    pub server_involuntary_cs: Option<u64>,
}

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

impl CellResult {
    /// The summary of this cell's samples.
    pub fn summary(&self) -> Option<Summary> {
        summarize(&self.samples_s)
    }

    /// The cell's key.
    pub fn key(&self) -> CellKey {
        CellKey {
            workload: self.workload,
            model: self.model,
            workers: self.workers,
        }
    }

    /// What this cell's speedup is measured against, among the cells of its run.
    pub fn speedup_baseline<'a>(&self, run: &'a [CellResult]) -> Option<SpeedupBaseline<'a>> {
        speedup_baseline(
            run.iter()
                .map(|c| (c.workload, c.model, c.samples_s.as_slice())),
            self.model,
            &self.params,
            self.tasks,
        )
    }
}

/// What a cell's speedup is measured against.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SpeedupBaseline<'a> {
    /// The samples of the model's baseline cell (`sequential`, `py-sequential`) of the same
    /// workload in the same run, in measured order (round i's at index i).
    Measured {
        /// The baseline model.
        model: ModelKind,
        /// Its samples, seconds.
        samples_s: &'a [f64],
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

    /// A baseline time for each of `n` rounds: the baseline's own sample of that round when it
    /// has one per round, else its median for every round.
    pub fn per_round_s(&self, n: usize) -> Vec<f64> {
        match self {
            SpeedupBaseline::Measured { samples_s, .. } if samples_s.len() == n => {
                samples_s.to_vec()
            }
            _ => vec![self.median_s(); n],
        }
    }
}

/// The one rule for a cell's speedup baseline: among `cells` (workload, model, samples) of one
/// run, the samples of the baseline model's cell of the same workload; without one, the ideal
/// sequential time where the workload's task time is known by construction; else none.
pub fn speedup_baseline<'a>(
    cells: impl IntoIterator<Item = (WorkloadKind, ModelKind, &'a [f64])>,
    model: ModelKind,
    params: &WorkloadSpec,
    tasks: u64,
) -> Option<SpeedupBaseline<'a>> {
    let baseline = model.baseline();
    let measured = cells
        .into_iter()
        .find(|(w, m, samples)| *w == params.kind() && *m == baseline && !samples.is_empty());
    match measured {
        Some((_, model, samples_s)) => Some(SpeedupBaseline::Measured { model, samples_s }),
        None => params
            .nominal_task_s()
            .map(|task_s| SpeedupBaseline::Ideal {
                seconds: tasks as f64 * task_s,
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
}

impl RawCell {
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
                raw.iter()
                    .map(|r| (r.params.kind(), r.model, r.samples_s.as_slice())),
                c.model,
                &c.params,
                c.tasks,
            );
            let (speedup_v, ci, baseline) = match base {
                Some(SpeedupBaseline::Measured { samples_s, .. }) => {
                    let b = summarize(samples_s).expect("a measured baseline has samples");
                    let (v, i) = speedup(&b, &s);
                    (Some(v), Some(i), base.map(|b| b.name()))
                }
                Some(SpeedupBaseline::Ideal { seconds }) => (
                    Some(seconds / s.median),
                    Some([seconds / s.ci_high, seconds / s.ci_low]),
                    base.map(|b| b.name()),
                ),
                None => (None, None, None),
            };
            let workers = if c.model.is_baseline() { 1 } else { c.workers };
            let waits = c.model.concurrent_waits(workers, c.tasks);
            let computes = c
                .model
                .concurrent_compute(workers, physical_cores)
                .min(c.tasks as usize)
                .max(1);
            let (ideal_s, ideal_speedup) = match c.params {
                WorkloadSpec::Io { sleep_ms } => {
                    let batches = c.tasks.div_ceil(waits) as f64;
                    let ideal = batches * sleep_ms as f64 / 1000.0;
                    (Some(ideal), Some(c.tasks as f64 / batches))
                }
                WorkloadSpec::Cpu { .. } => (None, Some(computes as f64)),
                WorkloadSpec::Mixed { cpu_ms, io_ms, .. } => {
                    // Bounded by the cores (all compute spread over `computes` of them) and by
                    // the waves of tasks that can be in flight at once.
                    let (cpu, io, t) = (cpu_ms as f64 / 1000.0, io_ms as f64 / 1000.0, c.tasks);
                    let by_cores = t as f64 * cpu / computes as f64;
                    let by_waves = t.div_ceil(waits.min(workers as u64).max(1)) as f64 * (cpu + io);
                    let by_waves = if waits >= t { cpu + io } else { by_waves };
                    let ideal = by_cores.max(by_waves);
                    (Some(ideal), Some(t as f64 * (cpu + io) / ideal))
                }
                WorkloadSpec::Noop | WorkloadSpec::TcpEcho { .. } => (None, None),
            };
            Some(CellResult {
                workload: kind,
                params: c.params,
                model: c.model,
                workers: c.workers,
                tasks: c.tasks,
                samples_s: c.samples_s.clone(),
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
                speedup_ci95: ci,
                speedup_baseline: baseline,
                efficiency: speedup_v.map(|v| v / workers as f64),
                ideal_speedup,
                ideal_s,
                overhead_s: ideal_s.map(|i| s.median - i),
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

/// Checksums as `0x`-prefixed hex strings: JSON readers that store numbers as doubles would
/// otherwise round 64-bit values.
mod hex_u64 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{v:#018x}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let text = String::deserialize(d)?;
        let digits = text.strip_prefix("0x").unwrap_or(&text);
        u64::from_str_radix(digits, 16).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(model: ModelKind, workers: usize, params: WorkloadSpec, samples: &[f64]) -> RawCell {
        RawCell {
            params,
            model,
            workers,
            tasks: 8,
            samples_s: samples.to_vec(),
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
        }
    }

    #[test]
    fn speedup_efficiency_and_io_ideal() {
        let io = WorkloadSpec::Io { sleep_ms: 100 };
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
    fn io_without_sequential_uses_the_ideal_baseline() {
        let io = WorkloadSpec::Io { sleep_ms: 100 };
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
                WorkloadSpec::Cpu { iterations: 1 },
                &[1.0],
            )],
            2,
        );
        assert_eq!(cpu[0].speedup, None);
        assert_eq!(cpu[0].ideal_speedup, Some(2.0));
    }

    #[test]
    fn checksums_survive_json_exactly() {
        let cells = derive(
            &[raw(ModelKind::Sequential, 1, WorkloadSpec::Noop, &[1.0])],
            2,
        );
        let text = serde_json::to_string(&cells[0]).unwrap();
        assert!(text.contains("\"0xfffffffffffffffe\""));
        let back: CellResult = serde_json::from_str(&text).unwrap();
        assert_eq!(back, cells[0]);
    }
}
