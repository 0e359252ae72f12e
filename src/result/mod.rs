//! The result file's types (serde), versioned by [`SCHEMA_VERSION`]. The derived numbers
//! (speedup, efficiency, ideal times) are computed from the raw samples in `derive.rs`. Reading
//! and writing files is `store`'s job; formatting is `export`'s. The schema is documented in
//! the README.

pub mod check;
mod derive;

pub use derive::{NetRaw, RawCell, SpeedupBaseline, TaskTimes, derive, speedup_baseline};

use crate::machine::MachineInfo;
use crate::model::ModelKind;
use crate::plan::{CellKey, RunConfig};
use crate::stats::{Summary, summarize};
use crate::workload::{WorkloadKind, WorkloadSpec};
use serde::{Deserialize, Serialize};

/// Version of the result file layout. Bump on any incompatible change. 2 added users'
/// workloads (`{"kind": "user", …}` specs, workload names of the user's); 3 paired speedups:
/// each cell's `rounds`, `speedup_ci` (was `speedup_ci95`, from both medians' intervals) with
/// its `speedup_ci_level`, and the precision rule (`config.precision`, `precision_met`). Files
/// of versions 1 and 2 load as they are: their sample i was round i.
pub const SCHEMA_VERSION: u32 = 3;

/// The oldest result file layout this build reads.
pub const OLDEST_SCHEMA_VERSION: u32 = 1;

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
    /// The round each sample was measured in (0: the first after warm-up). A cell may skip
    /// rounds once it is precise enough (`--precision`); speedups pair samples by round. Empty
    /// in files before schema 3, where sample i was round i.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rounds: Vec<u32>,
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
    /// Largest peak RSS of any child process, KiB (process models, and the programs of a
    /// `--command`).
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
    /// The median of the paired speedups: each round's baseline sample ÷ this cell's sample of
    /// the same round (against an ideal baseline: ideal ÷ each sample).
    pub speedup: Option<f64>,
    /// Order-statistic interval of that median, of coverage `speedup_ci_level`. Files before
    /// schema 3 call it `speedup_ci95` and made it from both medians' intervals.
    #[serde(alias = "speedup_ci95")]
    pub speedup_ci: Option<[f64; 2]>,
    /// The speedup interval's actual coverage.
    #[serde(default)]
    pub speedup_ci_level: Option<f64>,
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
    /// Whether its intervals met the run's `precision` (sampling until precise); absent when
    /// the run had none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision_met: Option<bool>,
    /// `contention --sync racy` only: the updates its batches lost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost_updates: Option<LostUpdates>,
    /// `event` only: how long its waiters took to run after the signal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wake_latency: Option<WakeLatency>,
    /// `pipeline` only: what went through its queue, and how long its ends waited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<QueueStats>,
    /// When its tasks finished, from the batch's start, and how idle its workers were (not
    /// for empty tasks, echo round trips or CPython's models).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion: Option<Completion>,
    /// `tcp-echo` only: throughput, latency percentiles and the server's CPU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net: Option<NetMetrics>,
}

/// How long the waiters of a cell took to run again after their signal (`event`), over every
/// recorded batch: nearest-rank percentiles.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct WakeLatency {
    /// Waiters timed.
    pub count: u64,
    /// Median, seconds.
    pub p50_s: f64,
    /// 99th percentile, seconds.
    pub p99_s: f64,
    /// Slowest, seconds.
    pub max_s: f64,
}

/// When a cell's tasks finished and how idle its workers were: the median over its recorded
/// batches of each batch's value.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Completion {
    /// The mean task's completion, from the batch's start, seconds.
    pub mean_s: f64,
    /// The 99th percentile task's completion, seconds.
    pub p99_s: f64,
    /// The share of N × the batch's time its workers held no task: 1 − busy ÷ (N × wall).
    /// `None` for the async models, whose waiting tasks hold no worker.
    pub idle_share: Option<f64>,
}

/// What went through a cell's queue (`pipeline`), over its recorded batches.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueueStats {
    /// Items per batch.
    pub items: u64,
    /// Items per second at the median batch.
    pub items_per_s: f64,
    /// Items per second at the ends of the median's interval.
    pub items_per_s_ci: [f64; 2],
    /// The median batch's share of the producers' time spent waiting on a full queue (`None`:
    /// one task was both ends).
    pub full_share: Option<f64>,
    /// The median batch's share of the consumers' time spent waiting on an empty queue.
    pub empty_share: Option<f64>,
}

/// The updates of a shared counter the recorded batches of a cell lost (`--sync racy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LostUpdates {
    /// The median batch's loss.
    pub median: u64,
    /// The least any batch lost.
    pub min: u64,
    /// The most any batch lost.
    pub max: u64,
    /// Updates per batch (tasks × updates per task).
    pub of: u64,
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

impl RunResults {
    /// The workloads of the run's cells: parbench's own in their display order, then users'
    /// in the order measured. Every per-workload output (tables, charts, verdicts) goes by it.
    pub fn workloads(&self) -> Vec<WorkloadKind> {
        let mut out: Vec<WorkloadKind> = WorkloadKind::ALL
            .iter()
            .copied()
            .filter(|k| self.cells.iter().any(|c| c.workload == *k))
            .collect();
        for c in &self.cells {
            if !out.contains(&c.workload) {
                out.push(c.workload);
            }
        }
        out
    }
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

    /// This cell's speedup samples against its baseline among `run` ([`SpeedupBaseline::ratios`]).
    pub fn speedup_samples(&self, run: &[CellResult]) -> Option<Vec<f64>> {
        let ratios = self
            .speedup_baseline(run)?
            .ratios(&self.samples_s, &self.rounds);
        (!ratios.is_empty()).then_some(ratios)
    }

    /// What this cell's speedup is measured against, among the cells of its run.
    pub fn speedup_baseline<'a>(&self, run: &'a [CellResult]) -> Option<SpeedupBaseline<'a>> {
        speedup_baseline(
            run.iter().map(|c| {
                (
                    c.workload,
                    c.model,
                    c.samples_s.as_slice(),
                    c.rounds.as_slice(),
                )
            }),
            self.model,
            &self.params,
            self.tasks,
        )
    }
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
pub(crate) mod tests {
    use super::*;
    pub(crate) use derive::tests::raw;

    /// A run of these raw cells on this machine (its config: the quick preset's).
    pub(crate) fn run_of(raw: &[RawCell]) -> RunResults {
        let machine = crate::machine::MachineInfo::detect();
        RunResults {
            schema_version: SCHEMA_VERSION,
            started_utc: String::new(),
            finished_utc: None,
            complete: true,
            config: crate::plan::Preset::Quick.config(&machine),
            machine,
            cells: derive(raw, 2),
            noise: None,
            notes: Vec::new(),
            failures: Vec::new(),
        }
    }

    #[test]
    fn checksums_survive_json_exactly() {
        let cells = derive(
            &[raw(
                ModelKind::Sequential,
                1,
                WorkloadSpec::Noop(crate::workload::Noop),
                &[1.0],
            )],
            2,
        );
        let text = serde_json::to_string(&cells[0]).unwrap();
        assert!(text.contains("\"0xfffffffffffffffe\""));
        let back: CellResult = serde_json::from_str(&text).unwrap();
        assert_eq!(back, cells[0]);
    }
}
