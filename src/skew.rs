//! `parbench skew`: how the models cope with uneven tasks. The same workload, models and N are
//! run once per size distribution (`--task-sizes`, see [`crate::workload::sizes`]), sequential
//! included; [`configs`] plans the runs, the runner measures each like any run, and [`summarize`]
//! reads them back: per distribution its spread (the sizes' coefficient of variation) and largest
//! task, per model the makespan (the batch's median wall time) and its tasks' completion times,
//! and the ideal (the sequential time over the best speedup the sizes allow). The verdict names
//! the model with the shortest makespan under the most uneven sizes, and how much each model's
//! makespan grew from the most even. Nothing here runs or prints.

use crate::error::{Error, Result};
use crate::machine::MachineInfo;
use crate::model::ModelKind;
use crate::plan::{Overrides, Preset, RunConfig, build_config};
use crate::result::{Completion, RunResults};
use crate::workload::WorkloadKind;
use crate::workload::sizes::Dist;

/// The distributions compared unless told otherwise.
pub const DEFAULT_DISTS: &str = "uniform,exp,pareto:1.5,bimodal:0.1:10";

/// The models compared unless told otherwise: a static split, a shared queue, work stealing.
pub const DEFAULT_MODELS: [ModelKind; 3] = [
    ModelKind::StaticSplit,
    ModelKind::ThreadPool,
    ModelKind::Rayon,
];

/// The workloads whose tasks take a size.
pub const WORKLOADS: [WorkloadKind; 3] = [WorkloadKind::Cpu, WorkloadKind::Io, WorkloadKind::Mixed];

/// One run per distribution: `base` (its workload, models, N, sizes of tasks) with `dist`, and
/// sequential added to the models.
pub fn configs(machine: &MachineInfo, base: &Overrides, dists: &[Dist]) -> Result<Vec<RunConfig>> {
    let bad = |m: String| Err(Error::Config(m));
    let kinds = base.workloads.clone().unwrap_or(vec![WorkloadKind::Cpu]);
    match kinds.as_slice() {
        [k] if WORKLOADS.contains(k) => {}
        _ => {
            return bad(format!(
                "skew takes one workload whose tasks take a size (cpu, io or mixed), not {}",
                kinds.iter().map(|k| k.name()).collect::<Vec<_>>().join(",")
            ));
        }
    }
    match base.workers.as_deref() {
        Some([_]) | None => {}
        Some(_) => {
            return bad("skew compares the models at one worker count: give one --workers".into());
        }
    }
    if dists.is_empty() {
        return bad("--task-sizes needs at least one distribution".into());
    }
    let mut models = vec![ModelKind::Sequential];
    for m in base.models.clone().unwrap_or(DEFAULT_MODELS.to_vec()) {
        if !models.contains(&m) {
            models.push(m);
        }
    }
    let workers = base
        .workers
        .clone()
        .unwrap_or(vec![machine.cores_for_cpu_bound().max(2)]);
    let mut seen = Vec::new();
    dists
        .iter()
        .filter(|d| {
            let new = !seen.contains(*d);
            seen.push(**d);
            new
        })
        .map(|&dist| {
            let mut o = base.clone();
            o.workloads = Some(kinds.clone());
            o.models = Some(models.clone());
            o.workers = Some(workers.clone());
            o.params.task_sizes = Some(dist);
            build_config(Preset::Default, machine, &o)
        })
        .collect()
}

/// One model's batches under one distribution.
#[derive(Clone, Debug, PartialEq)]
pub struct SkewCell {
    /// The model.
    pub model: ModelKind,
    /// Median makespan, seconds.
    pub median_s: f64,
    /// Its interval, seconds.
    pub ci_s: [f64; 2],
    /// When its tasks finished, and how idle its workers were.
    pub completion: Option<Completion>,
}

/// One distribution's run.
#[derive(Clone, Debug, PartialEq)]
pub struct SkewRow {
    /// The distribution.
    pub dist: Dist,
    /// The sizes' coefficient of variation (0: even).
    pub cv: f64,
    /// The largest task, in mean tasks.
    pub largest: f64,
    /// The sequential batch's median, seconds.
    pub sequential_s: Option<f64>,
    /// The shortest makespan the sizes allow with N workers: the sequential time over the
    /// ideal speedup (the largest task, or the work spread evenly).
    pub ideal_s: Option<f64>,
    /// Every other model.
    pub cells: Vec<SkewCell>,
}

/// What the runs showed.
#[derive(Clone, Debug, PartialEq)]
pub struct Skew {
    /// The workload.
    pub workload: WorkloadKind,
    /// N.
    pub workers: usize,
    /// Tasks per batch.
    pub tasks: u64,
    /// One row per distribution, the most even first.
    pub rows: Vec<SkewRow>,
}

/// The verdict, as data.
#[derive(Clone, Debug, PartialEq)]
pub struct SkewVerdict {
    /// The most uneven distribution.
    pub dist: Dist,
    /// Its coefficient of variation.
    pub cv: f64,
    /// The model with the shortest makespan there, and that makespan.
    pub best: (ModelKind, f64),
    /// Per model: its makespan there ÷ under the most even distribution.
    pub growth: Vec<(ModelKind, f64)>,
    /// The most even distribution.
    pub from: Dist,
}

/// Reads the runs of [`configs`], in any order.
pub fn summarize(runs: &[RunResults]) -> Option<Skew> {
    let first = runs.first()?;
    let plan = first.config.workloads.first()?;
    let workers = first.cells.iter().find(|c| !c.model.is_baseline())?.workers;
    let mut rows: Vec<SkewRow> = runs
        .iter()
        .filter_map(|r| {
            let w = r.config.workloads.first()?;
            let sizes = w.spec.sizes()?;
            let sized = crate::workload::sizes::Sizes {
                tasks: w.tasks,
                ..sizes
            };
            let layout = sized.layout();
            let seq = r.cells.iter().find(|c| c.model.is_baseline());
            let others: Vec<&crate::result::CellResult> =
                r.cells.iter().filter(|c| !c.model.is_baseline()).collect();
            let ideal = others.first().and_then(|c| c.ideal_speedup);
            Some(SkewRow {
                dist: sizes.dist,
                cv: layout.cv(),
                largest: layout.max(),
                sequential_s: seq.map(|c| c.median_s),
                ideal_s: seq.map(|c| c.median_s).zip(ideal).map(|(s, i)| s / i),
                cells: others
                    .iter()
                    .map(|c| SkewCell {
                        model: c.model,
                        median_s: c.median_s,
                        ci_s: c.median_ci_s,
                        completion: c.completion,
                    })
                    .collect(),
            })
        })
        .collect();
    rows.sort_by(|a, b| a.cv.total_cmp(&b.cv));
    (!rows.is_empty()).then(|| Skew {
        workload: plan.spec.kind(),
        workers,
        tasks: plan.tasks,
        rows,
    })
}

impl Skew {
    /// Which model copes best with the most uneven sizes.
    pub fn verdict(&self) -> Option<SkewVerdict> {
        let (even, uneven) = (self.rows.first()?, self.rows.last()?);
        let best = uneven
            .cells
            .iter()
            .min_by(|a, b| a.median_s.total_cmp(&b.median_s))?;
        let growth = uneven
            .cells
            .iter()
            .filter_map(|c| {
                let before = even.cells.iter().find(|e| e.model == c.model)?;
                Some((c.model, c.median_s / before.median_s))
            })
            .collect();
        Some(SkewVerdict {
            dist: uneven.dist,
            cv: uneven.cv,
            best: (best.model, best.median_s),
            growth,
            from: even.dist,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_run_per_distribution_with_sequential_at_one_n() {
        let m = MachineInfo::detect();
        let dists: Vec<Dist> = ["uniform", "pareto:1.5", "uniform"]
            .iter()
            .map(|d| d.parse().unwrap())
            .collect();
        let c = configs(&m, &Overrides::default(), &dists).unwrap();
        assert_eq!(c.len(), 2, "a distribution given twice runs once");
        assert_eq!(c[0].models[0], ModelKind::Sequential);
        assert_eq!(c[1].workers.len(), 1);
        let spec = c[1].workloads[0].spec;
        assert_eq!(spec.sizes().unwrap().dist, dists[1]);
        assert_eq!(spec.sizes().unwrap().tasks, c[1].workloads[0].tasks);
        for (o, says) in [
            (
                Overrides {
                    workloads: Some(vec![WorkloadKind::Noop]),
                    ..Default::default()
                },
                "one workload whose tasks take a size",
            ),
            (
                Overrides {
                    workers: Some(vec![2, 4]),
                    ..Default::default()
                },
                "one --workers",
            ),
        ] {
            let e = configs(&m, &o, &dists).unwrap_err().to_string();
            assert!(e.contains(says), "{e}");
        }
    }
}
