//! How long a run will take, before it starts: for every cell, a batch's ideal time from its
//! workload's task time (nominal, or calibrated steps × the loop's speed here) and the model's
//! parallelism, plus the model's own cost per task ([`crate::model::ModelSpec::task_cost_s`]),
//! times the rounds, with the settle pauses, the reference checksums and the pools' start-up.
//! Sampling until precise may add rounds up to the time budget. A plan estimated beyond 24 h,
//! or beyond its budget, is refused unless forced. Pure arithmetic on the plan; the timings it
//! starts from are the caller's.

use crate::error::{Error, Result};
use crate::format::fmt_span;
use crate::plan::{CellKey, RunConfig};
use crate::workload::{Batch, WorkloadKind, WorkloadSpec};
use std::collections::HashMap;

/// A plan estimated beyond this is refused unless forced.
pub const MAX_ESTIMATE_S: f64 = 24.0 * 3600.0;

/// Seconds of the noise probe after every round (three timings of a ~1.5 ms loop).
const PROBE_S: f64 = 0.005;

/// The estimated duration of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    /// Per cell: one batch, its settle pause included, seconds.
    pub batch_s: HashMap<CellKey, f64>,
    /// Before the first batch: reference checksums and pool start-ups, seconds.
    pub setup_s: f64,
    /// Rounds every cell runs (warm-up + samples).
    pub rounds: usize,
    /// The run's time budget, where sampling until precise may take up to it.
    pub budget_s: Option<f64>,
    /// Workloads whose task time is unknown until they run (a program, a user's code): the
    /// estimate leaves their work out until the reference pass has timed them.
    pub untimed: Vec<WorkloadKind>,
}

impl Estimate {
    /// One round of every cell, seconds.
    pub fn round_s(&self) -> f64 {
        self.batch_s.values().sum::<f64>() + PROBE_S
    }

    /// The planned rounds and the setup, seconds.
    pub fn total_s(&self) -> f64 {
        self.setup_s + self.rounds as f64 * self.round_s()
    }

    /// "1 min 52 s", and "(up to 55 s sampling until precise)" where a budget may add rounds.
    pub fn describe(&self) -> String {
        let total = self.total_s();
        if !self.untimed.is_empty() {
            let names: Vec<String> = self.untimed.iter().map(|w| w.to_string()).collect();
            return format!(
                "estimated once the tasks of {} are timed (the first pass runs each task once, untimed)",
                names.join(", ")
            );
        }
        match self.budget_s {
            Some(b) if b > total => format!(
                "estimated {} (up to {} sampling until precise)",
                fmt_span(total),
                fmt_span(b)
            ),
            _ => format!("estimated {}", fmt_span(total)),
        }
    }

    /// Refuses a plan estimated beyond 24 h or beyond `config`'s budget, unless it is forced.
    pub fn check(&self, config: &RunConfig) -> Result<()> {
        let total = self.total_s();
        if config.force {
            return Ok(());
        }
        let refuse = |what: String| {
            Err(Error::Config(format!(
                "the plan is estimated at {} ({} cells × {} rounds), beyond {what}: shrink it (--tasks, --workers, --samples, the workload's size) or start it anyway with --force",
                fmt_span(total),
                self.batch_s.len(),
                self.rounds,
            )))
        };
        if total > MAX_ESTIMATE_S {
            return refuse("24 h".into());
        }
        if let Some(b) = config.time_budget_s
            && total > b
        {
            return refuse(format!("the time budget of {}", fmt_span(b)));
        }
        Ok(())
    }
}

/// Estimates `config` on a machine of `cores` cores for CPU-bound work, where a task of each
/// workload takes `task_s` seconds (0 where unknown).
pub fn estimate(
    config: &RunConfig,
    cores: usize,
    task_s: &dyn Fn(&WorkloadSpec) -> f64,
) -> Estimate {
    let settle_s = config.settle_ms as f64 / 1e3;
    let mut batch_s = HashMap::new();
    let mut pools: HashMap<(crate::model::ModelKind, usize), f64> = HashMap::new();
    for cell in config.cells() {
        let (spec, tasks, model) = (cell.workload.spec, cell.workload.tasks, cell.model);
        let workers = if model.is_baseline() { 1 } else { cell.workers };
        let t = task_s(&spec);
        let ideal = spec.reading().ideal(&Batch {
            tasks,
            waits: model.concurrent_waits(workers, tasks),
            computes: model
                .concurrent_compute(workers, cores)
                .min(tasks as usize)
                .max(1),
            workers,
        });
        let work = tasks as f64 * t;
        let batch = ideal
            .time_s
            .or_else(|| ideal.speedup.map(|s| work / s.max(1.0)))
            .unwrap_or(work);
        let overhead = tasks as f64 * model.spec().task_cost_s;
        batch_s.insert(cell.key(), settle_s + batch + overhead);
        if model.is_pool() {
            // A process per worker (~2 ms each here; an interpreter ~50 ms), or threads.
            let per_worker = match (model.uses_processes(), model.is_python()) {
                (_, true) => 0.05,
                (true, false) => 0.002,
                (false, false) => 1e-4,
            };
            pools.insert((model, workers), per_worker * workers as f64);
        }
    }
    // The sequential reference of every workload whose checksum takes the work (compute).
    let mut references: HashMap<WorkloadKind, f64> = HashMap::new();
    for w in &config.workloads {
        if w.spec.workload().computes() || w.spec.workload().starts_programs() {
            references.insert(w.spec.kind(), w.tasks as f64 * task_s(&w.spec));
        }
    }
    Estimate {
        batch_s,
        setup_s: pools.values().sum::<f64>() + references.values().sum::<f64>(),
        rounds: config.warmup + config.samples,
        budget_s: config.precision.and(config.time_budget_s),
        untimed: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::MachineInfo;
    use crate::model::ModelKind;
    use crate::plan::{Overrides, Preset, build_config};
    use crate::workload::SleepIo;

    #[test]
    fn sleeps_add_up_by_waves_and_absurd_plans_are_refused() {
        let mut m = MachineInfo::detect();
        (m.physical_cores, m.logical_cores) = (Some(2), 2);
        let o = Overrides {
            workloads: Some(vec![WorkloadKind::Io]),
            models: Some(vec![ModelKind::Sequential, ModelKind::Threads]),
            workers: Some(vec![4]),
            tasks: Some(8),
            params: crate::workload::Params {
                sleep_ms: Some(100),
                ..Default::default()
            },
            samples: Some(3),
            warmup: Some(1),
            settle_ms: Some(0),
            ..Default::default()
        };
        let c = build_config(Preset::Default, &m, &o).unwrap();
        let e = estimate(&c, 2, &|s| s.nominal_task_s().unwrap_or(0.0));
        // sequential: 8 × 0.1 s; threads at 4: 2 waves of 0.1 s; plus their cost per task.
        let want = 4.0 * (0.8 + 0.2 + PROBE_S) + 8.0 * 4.0 * (1.4e-8 + 2.6e-5);
        assert!(
            (e.total_s() - want).abs() < 1e-6,
            "{} vs {want}",
            e.total_s()
        );
        assert!(e.check(&c).is_ok());

        let mut absurd = c.clone();
        absurd.workloads[0].spec = SleepIo::new(99_999_999_999).into();
        let e = estimate(&absurd, 2, &|s| s.nominal_task_s().unwrap_or(0.0));
        let err = e.check(&absurd).unwrap_err().to_string();
        assert!(
            err.contains("beyond 24 h") && err.contains("--force"),
            "{err}"
        );
        absurd.force = true;
        assert!(e.check(&absurd).is_ok());

        let mut tight = c;
        tight.time_budget_s = Some(1.0);
        let e = estimate(&tight, 2, &|s| s.nominal_task_s().unwrap_or(0.0));
        assert!(
            e.check(&tight)
                .unwrap_err()
                .to_string()
                .contains("time budget of")
        );
    }
}
