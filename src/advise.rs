//! `parbench advise`: which pool size a workload of `cpu_ms` compute and `io_ms` waiting per task
//! wants on this machine, measured, next to the textbook estimate `cores × (1 + wait/compute)`.
//!
//! [`advise_config`] plans the sweep (powers of two past twice the estimate, plus the estimate
//! itself, so "within one step" is well defined); the runner measures it like any run; [`advise`]
//! reads the result. Per model it reports the fastest worker count and the smallest count that
//! is within [`ENOUGH`] of the fastest median as far as the measurements can tell (the lower end
//! of its median's confidence interval is; "enough": more workers only add threads), and says
//! why a model's answer differs from the textbook when its structure explains it (a GIL lets
//! one task compute at a time; async sleeps hold no thread). Nothing here runs or prints.

use crate::machine::MachineInfo;
use crate::model::ModelKind;
use crate::plan::{Preset, RunConfig, WorkloadPlan, default_workers};
use crate::result::RunResults;
use crate::workload::{Mixed, WorkloadKind, WorkloadSpec};
use serde::Serialize;

/// A worker count whose median is within this fraction of the fastest one counts as enough.
pub const ENOUGH: f64 = 0.05;

/// The models `advise` compares unless told otherwise.
pub const DEFAULT_MODELS: [ModelKind; 5] = [
    ModelKind::ThreadPool,
    ModelKind::Async,
    ModelKind::AsyncBlocking,
    ModelKind::Gil,
    ModelKind::ProcessPool,
];

/// The textbook pool size: `cores × (1 + wait / compute)`.
pub fn textbook_estimate(cores: usize, cpu_ms: u64, io_ms: u64) -> f64 {
    cores as f64 * (1.0 + io_ms as f64 / cpu_ms.max(1) as f64)
}

/// The sweep: 1, 2, 4, … until past twice the estimate (and twice the logical cores), plus the
/// rounded estimate and the machine's core counts.
pub fn sweep(machine: &MachineInfo, estimate: f64) -> Vec<usize> {
    let mut w = default_workers(machine);
    // Bounded: an absurd estimate (hours of waiting per ms of compute) stops at the largest
    // count a plan accepts, which its validation then names.
    let cap = crate::plan::MAX_WORKERS.saturating_mul(2);
    let top = (2.0 * estimate).ceil().min(cap as f64) as usize;
    let mut n: usize = 1;
    while n < top {
        n = n.saturating_mul(2).min(cap);
        w.push(n);
    }
    w.push(estimate.round().clamp(1.0, cap as f64) as usize);
    w.sort_unstable();
    w.dedup();
    w
}

/// The run `advise` measures: the mixed workload with `tasks` tasks (default: 64, or 2 × the
/// largest worker count) over [`sweep`], `samples` samples each.
pub fn advise_config(
    machine: &MachineInfo,
    cpu_ms: u64,
    io_ms: u64,
    tasks: Option<u64>,
    models: Option<Vec<ModelKind>>,
    samples: usize,
) -> RunConfig {
    let estimate = textbook_estimate(machine.cores_for_cpu_bound(), cpu_ms, io_ms);
    let workers = sweep(machine, estimate);
    let largest = *workers.last().unwrap_or(&1) as u64;
    RunConfig {
        workloads: vec![WorkloadPlan {
            spec: Mixed::new(cpu_ms, io_ms).into(),
            tasks: tasks.unwrap_or(64u64.max(2 * largest)),
        }],
        models: models.unwrap_or_else(|| DEFAULT_MODELS.to_vec()),
        workers,
        samples,
        ..Preset::Default.config(machine)
    }
}

/// What the measurements say for one model.
#[derive(Clone, Debug, Serialize)]
pub struct ModelAdvice {
    /// The model.
    pub model: ModelKind,
    /// The worker count with the lowest median, and that median (seconds).
    pub fastest: (usize, f64),
    /// The smallest worker count whose median's confidence interval reaches within [`ENOUGH`] of
    /// the fastest median, and its median.
    pub enough: (usize, f64),
    /// How many sweep steps `enough` is from the textbook estimate (0: it is the estimate).
    pub steps_from_estimate: usize,
    /// Why the model's best differs from the textbook, when its structure says so.
    pub why: Option<String>,
}

/// The advice for one mixed workload.
#[derive(Clone, Debug, Serialize)]
pub struct Advice {
    /// Compute per task asked for, ms.
    pub cpu_ms: u64,
    /// Wait per task, ms.
    pub io_ms: u64,
    /// Cores the estimate uses (physical, bounded by the available parallelism).
    pub cores: usize,
    /// `cores × (1 + io/cpu)`.
    pub estimate: f64,
    /// One entry per model measured.
    pub models: Vec<ModelAdvice>,
}

/// Reads the advice out of a run of [`advise_config`] (its first mixed workload).
pub fn advise(r: &RunResults) -> Option<Advice> {
    let cells: Vec<_> = r
        .cells
        .iter()
        .filter(|c| c.workload == WorkloadKind::Mixed)
        .collect();
    let WorkloadSpec::Mixed(Mixed { cpu_ms, io_ms, .. }) = cells.first()?.params else {
        return None;
    };
    let cores = r.machine.cores_for_cpu_bound();
    let estimate = textbook_estimate(cores, cpu_ms, io_ms);
    let mut steps: Vec<usize> = cells.iter().map(|c| c.workers).collect();
    steps.sort_unstable();
    steps.dedup();
    let estimate_n = estimate.round().max(1.0) as usize;
    let index = |n: usize| steps.iter().position(|&s| s >= n).unwrap_or(steps.len());
    let mut models: Vec<ModelKind> = cells.iter().map(|c| c.model).collect();
    models.sort();
    models.dedup();
    let models = models
        .into_iter()
        .filter(|m| !m.is_baseline())
        .filter_map(|model| {
            let mut mine: Vec<(usize, f64, f64)> = cells
                .iter()
                .filter(|c| c.model == model)
                .map(|c| (c.workers, c.median_s, c.median_ci_s[0]))
                .collect();
            mine.sort_by_key(|p| p.0);
            let f = *mine.iter().min_by(|a, b| a.1.total_cmp(&b.1))?;
            let e = *mine.iter().find(|p| p.2 <= f.1 * (1.0 + ENOUGH))?;
            let (fastest, enough) = ((f.0, f.1), (e.0, e.1));
            let steps_from_estimate = index(enough.0).abs_diff(index(estimate_n));
            let why = (steps_from_estimate > 1).then(|| explain(model, cores, cpu_ms, io_ms));
            Some(ModelAdvice {
                model,
                fastest,
                enough,
                steps_from_estimate,
                why,
            })
        })
        .collect();
    Some(Advice {
        cpu_ms,
        io_ms,
        cores,
        estimate,
        models,
    })
}

/// Why a model's best pool size is not the textbook's.
fn explain(model: ModelKind, cores: usize, cpu_ms: u64, io_ms: u64) -> String {
    if !model.is_baseline() && model.concurrent_compute(cores.max(2), cores.max(2)) == 1 {
        format!(
            "one thread computes at a time under a GIL, so the estimate's cores are 1: 1 × (1 + {io_ms}/{cpu_ms}) = {:.1}",
            textbook_estimate(1, cpu_ms, io_ms)
        )
    } else if model.concurrent_waits(1, u64::MAX) > 1 {
        format!(
            "its sleeps hold no thread (every task is in flight at once), so N only has to cover the {cores} cores"
        )
    } else {
        "the measured curve is flat past its knee; the difference is within the noise of this machine, or the per-task overhead of the model shifts the knee".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enough_is_the_smallest_count_that_may_be_within_five_percent() {
        use crate::plan::{Overrides, build_config};
        use crate::result::{RawCell, derive};
        let mut m = MachineInfo::detect();
        (m.logical_cores, m.physical_cores, m.available_parallelism) = (2, Some(2), 2);
        let config = build_config(
            Preset::Quick,
            &m,
            &Overrides {
                workloads: Some(vec![WorkloadKind::Mixed]),
                models: Some(vec![ModelKind::ThreadPool]),
                workers: Some(vec![4, 8, 16, 32]),
                ..Default::default()
            },
        )
        .unwrap();
        let spec = WorkloadSpec::Mixed(Mixed {
            cpu_ms: 5,
            io_ms: 20,
            iterations: 1,
            sizes: Default::default(),
        });
        // Medians 0.43, 0.28, 0.20, 0.186 s; N = 16's samples reach down to 0.19 (< 1.05 × 0.186),
        // N = 8's do not.
        let samples: [(usize, [f64; 5]); 4] = [
            (4, [0.42, 0.43, 0.43, 0.44, 0.45]),
            (8, [0.24, 0.27, 0.28, 0.30, 0.34]),
            (16, [0.19, 0.195, 0.20, 0.25, 0.29]),
            (32, [0.185, 0.186, 0.186, 0.19, 0.19]),
        ];
        let raw: Vec<RawCell> = samples
            .iter()
            .map(|(n, s)| {
                let cell = crate::plan::CellSpec {
                    workload: WorkloadPlan { spec, tasks: 64 },
                    model: ModelKind::ThreadPool,
                    workers: *n,
                };
                RawCell {
                    samples_s: s.to_vec(),
                    rounds: (0..5).collect(),
                    cpu_s: vec![0.3; 5],
                    voluntary_cs: vec![0; 5],
                    involuntary_cs: vec![0; 5],
                    ..RawCell::empty(&cell, 5)
                }
            })
            .collect();
        let r = RunResults {
            schema_version: crate::result::SCHEMA_VERSION,
            started_utc: String::new(),
            finished_utc: None,
            complete: true,
            machine: m,
            config,
            cells: derive(&raw, 2),
            noise: None,
            notes: Vec::new(),
            failures: Vec::new(),
        };
        let a = advise(&r).unwrap();
        assert_eq!(a.estimate, 10.0);
        let tp = &a.models[0];
        assert_eq!(tp.fastest.0, 32);
        assert_eq!(tp.enough.0, 16);
        // Steps among 4, 8, 16, 32: the estimate 10 falls on 16's step.
        assert_eq!(tp.steps_from_estimate, 0);
    }

    #[test]
    fn estimate_and_sweep_include_each_other() {
        assert_eq!(textbook_estimate(2, 5, 20), 10.0);
        let mut m = MachineInfo::detect();
        m.logical_cores = 2;
        m.physical_cores = Some(2);
        m.available_parallelism = 2;
        assert_eq!(sweep(&m, 10.0), vec![1, 2, 4, 8, 10, 16, 32]);
        assert_eq!(sweep(&m, 1.0), vec![1, 2, 4]);
    }
}
