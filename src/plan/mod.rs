//! What to measure: the plan of a run ([`RunConfig`]), its validation, and its cells (workload ×
//! model × workers, each named by a [`CellKey`]). The presets and the worker sweep are in
//! `presets.rs`, command-line overrides in `overrides.rs`. Pure: it neither runs nor times
//! anything.

mod overrides;
mod presets;

pub use overrides::{COMMAND_MODELS, Overrides, build_config};
pub use presets::{PRESET_ENV, Preset, TCP_CONNECTIONS, default_workers, preset_from_env};

use crate::error::{Error, Result};
use crate::model::ModelKind;
use crate::workload::{WorkloadKind, WorkloadSpec};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// One workload of a run with its task count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadPlan {
    /// The workload and its parameters.
    pub spec: WorkloadSpec,
    /// Tasks per batch.
    pub tasks: u64,
}

impl WorkloadPlan {
    /// `kind` at its default size on a machine whose sweep ends at `max_workers`, for a batch
    /// of about `batch_ms` on one worker ([`WorkloadKind::sized`]).
    pub fn sized(kind: WorkloadKind, max_workers: u64, batch_ms: u64) -> Self {
        let (spec, tasks) = kind.sized(max_workers, batch_ms);
        WorkloadPlan { spec, tasks }
    }

    /// As a cell of N = `workers` runs it: N tasks for a workload whose batch is one task per
    /// worker ([`crate::workload::Workload::one_task_per_worker`]), the plan's otherwise.
    pub fn for_workers(self, workers: usize) -> Self {
        match self.spec.workload().one_task_per_worker() {
            true => WorkloadPlan {
                tasks: workers as u64,
                ..self
            },
            false => self,
        }
    }
}

/// Everything a run measures; stored in the result file as `config`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// The preset this started from.
    pub preset: Preset,
    /// Workloads, each with its task count.
    pub workloads: Vec<WorkloadPlan>,
    /// Models to run.
    pub models: Vec<ModelKind>,
    /// Worker counts for every model but `sequential` (which always runs with 1).
    pub workers: Vec<usize>,
    /// Recorded samples per cell.
    pub samples: usize,
    /// Unrecorded warm-up runs per cell, before the samples.
    pub warmup: usize,
    /// Seed of the shuffled run order, so a run's order can be reproduced.
    pub shuffle_seed: u64,
    /// Untimed pause before every batch, milliseconds (see the runner).
    #[serde(default)]
    pub settle_ms: u64,
    /// A name for the run in charts comparing machines (`--label`); the hostname when absent.
    #[serde(default)]
    pub label: Option<String>,
    /// The `gil` model's switch interval, milliseconds (CPython's default: 5).
    #[serde(default = "default_switch_interval_ms")]
    pub switch_interval_ms: u64,
    /// What a failing cell does to the run (`--on-error`).
    #[serde(default)]
    pub on_error: OnError,
    /// How long one task may run in another process before its worker is killed, seconds
    /// (`--task-timeout`); `None`: 5 s + 10 × the task's expected time.
    #[serde(default)]
    pub task_timeout_s: Option<f64>,
    /// Thread stack size of thread-based models, bytes (`--stack-size`); `None`: the default.
    #[serde(default)]
    pub stack_size: Option<usize>,
    /// Models or worker counts that differ for one workload (the `lesson` preset runs seed-io
    /// with one thread or process per task, seed-cpu with a few); empty for most runs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub per_workload: Vec<WorkloadOverride>,
    /// Sampling until precise (`--precision`): the target relative half-width of each cell's
    /// median interval, and of its speedup interval where it has one. After `samples` rounds,
    /// rounds of only the cells still wider go on until all meet it, the time budget is spent
    /// or a cell has [`MAX_SAMPLES`]. `None`: exactly `samples`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<f64>,
    /// The run's time budget, seconds (`--time-budget`): no extra round starts that would end
    /// past it, and a plan estimated beyond it is refused unless `force`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_budget_s: Option<f64>,
    /// Run a plan estimated beyond 24 h or beyond the budget anyway (`--force`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub force: bool,
}

/// The most samples sampling until precise gives one cell.
pub const MAX_SAMPLES: usize = 200;

/// The largest worker count parbench accepts (far beyond what any machine starts: the limit
/// checks refuse much less; this keeps the arithmetic on it safe).
pub const MAX_WORKERS: usize = 1_000_000;

/// The most `--samples` or `--warmup` a cell may ask for.
pub const MAX_ROUNDS: usize = 1_000_000;

/// The most tasks per batch.
pub const MAX_TASKS: u64 = 1_000_000_000;

fn default_switch_interval_ms() -> u64 {
    5
}

/// What a run does when a cell fails (a worker dies, hangs or garbles its answer, a checksum
/// differs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnError {
    /// Stop the run (keeping what was measured) and exit non-zero.
    #[default]
    Stop,
    /// Record the failure, drop the cell, finish the others, and exit non-zero.
    Skip,
}

impl FromStr for OnError {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "stop" => Ok(OnError::Stop),
            "skip" => Ok(OnError::Skip),
            _ => Err(format!("unknown --on-error '{s}' (expected stop or skip)")),
        }
    }
}

/// Models and worker counts of one workload, replacing the run's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadOverride {
    /// The workload concerned.
    pub workload: WorkloadKind,
    /// Its models, if not the run's.
    #[serde(default)]
    pub models: Option<Vec<ModelKind>>,
    /// Its worker counts, if not the run's.
    #[serde(default)]
    pub workers: Option<Vec<usize>>,
}

/// How `processes` creates its children (`--start-method`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartMethod {
    /// Execute a fresh `parbench worker` per task (model `processes`).
    Spawn,
    /// `fork` parbench per task (model `processes-fork`).
    Fork,
}

impl FromStr for StartMethod {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "spawn" => Ok(StartMethod::Spawn),
            "fork" => Ok(StartMethod::Fork),
            _ => Err(format!(
                "unknown start method '{s}' (expected spawn or fork)"
            )),
        }
    }
}

/// What identifies a cell wherever one is named or matched: workload, model, N. Displayed as
/// its id, `cpu/threads/2`; [`CellKey::label`] is the `cpu/threads N=2` of messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CellKey {
    /// The workload.
    pub workload: WorkloadKind,
    /// The model.
    pub model: ModelKind,
    /// N.
    pub workers: usize,
}

impl CellKey {
    /// "cpu/threads N=2", for messages.
    pub fn label(&self) -> String {
        format!("{}/{} N={}", self.workload, self.model, self.workers)
    }
}

impl std::fmt::Display for CellKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.workload, self.model, self.workers)
    }
}

/// One measured configuration: a workload run by a model with N workers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CellSpec {
    /// Workload and tasks.
    pub workload: WorkloadPlan,
    /// The model.
    pub model: ModelKind,
    /// N: the most tasks in flight at once.
    pub workers: usize,
}

impl CellSpec {
    /// The cell's key.
    pub fn key(&self) -> CellKey {
        CellKey {
            workload: self.workload.spec.kind(),
            model: self.model,
            workers: self.workers,
        }
    }
}

impl RunConfig {
    /// The cells to measure, in display order: per workload, sequential first, then each model
    /// over the worker counts.
    pub fn cells(&self) -> Vec<CellSpec> {
        let mut cells = Vec::new();
        for &workload in &self.workloads {
            let (models, workers) = self.models_and_workers(workload.spec.kind());
            let cell = |model, workers: usize| CellSpec {
                workload: workload.for_workers(workers),
                model,
                workers,
            };
            for &model in models {
                if model.is_baseline() {
                    cells.push(cell(model, 1));
                } else {
                    cells.extend(workers.iter().map(|&n| cell(model, n)));
                }
            }
        }
        cells
    }

    /// The models and worker counts of `workload`: the run's, unless `per_workload` says otherwise.
    pub fn models_and_workers(&self, workload: WorkloadKind) -> (&[ModelKind], &[usize]) {
        let o = self.per_workload.iter().find(|o| o.workload == workload);
        (
            o.and_then(|o| o.models.as_deref()).unwrap_or(&self.models),
            o.and_then(|o| o.workers.as_deref())
                .unwrap_or(&self.workers),
        )
    }

    /// Checks that the run can be done, naming the first bad value.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::Config(m));
        if self.samples == 0 {
            return bad("--samples must be at least 1".into());
        }
        if self.workloads.is_empty() {
            return bad("no workload selected".into());
        }
        if self.models.is_empty() {
            return bad("no model selected".into());
        }
        if self.models.iter().any(|m| !m.is_baseline()) && self.workers.is_empty() {
            return bad("no worker count given".into());
        }
        if let Some(w) = self.workers.iter().find(|w| **w == 0) {
            return bad(format!("invalid worker count {w}: must be at least 1"));
        }
        let all_workers = self.workers.iter().chain(
            self.per_workload
                .iter()
                .flat_map(|o| o.workers.iter().flatten()),
        );
        if let Some(w) = all_workers.clone().find(|w| **w > MAX_WORKERS) {
            return bad(format!("invalid worker count {w}: at most {MAX_WORKERS}"));
        }
        if self.samples > MAX_ROUNDS {
            return bad(format!(
                "--samples {} is more than {MAX_ROUNDS}",
                self.samples
            ));
        }
        if self.warmup > MAX_ROUNDS {
            return bad(format!(
                "--warmup {} is more than {MAX_ROUNDS}",
                self.warmup
            ));
        }
        if self.settle_ms > 600_000 {
            return bad(format!(
                "--settle-ms {} is more than 10 minutes between batches",
                self.settle_ms
            ));
        }
        for w in &self.workloads {
            if w.tasks == 0 {
                return bad(format!("{}: --tasks must be at least 1", w.spec.kind()));
            }
            if w.tasks > MAX_TASKS {
                return bad(format!(
                    "{}: --tasks {} is more than {MAX_TASKS}",
                    w.spec.kind(),
                    w.tasks
                ));
            }
            w.spec.workload().check().or_else(bad)?;
            let (models, _) = self.models_and_workers(w.spec.kind());
            let kind = w.spec.kind();
            if kind.over_network() {
                if let Some(m) = models.iter().find(|m| !m.serves_tcp()) {
                    return bad(format!(
                        "{m} does not serve {kind}; its models are {}",
                        crate::net::EchoServer::ALL
                            .map(|d| d.model().name())
                            .join(", ")
                    ));
                }
            } else if let Some(m) = models.iter().find(|m| m.tcp_only()) {
                return bad(format!(
                    "{m} is an echo-server design: it runs only the tcp-echo workload, not {kind}"
                ));
            }
            if w.spec.workload().starts_programs()
                && let Some(m) = models.iter().find(|m| !m.runs_programs())
            {
                let can: Vec<&str> = ModelKind::ALL
                    .iter()
                    .filter(|m| m.runs_programs())
                    .map(|m| m.name())
                    .collect();
                return bad(format!(
                    "{m} cannot run a command (--command runs on {}: a thread or a future waits for each program)",
                    can.join(", ")
                ));
            }
            if w.spec.workload().python().is_none()
                && let Some(m) = models.iter().find(|m| m.is_python())
            {
                return bad(format!(
                    "{m} runs cpu, io and noop only, with even tasks in submit order (the CPython worker has the lesson's workloads), not {kind}: {}",
                    w.spec.describe(w.tasks)
                ));
            }
        }
        if let Some(t) = self.task_timeout_s
            && !(t > 0.0 && t.is_finite())
        {
            return bad(format!(
                "--task-timeout {t}: must be a positive number of seconds"
            ));
        }
        if let Some(p) = self.precision
            && !(p > 0.0 && p < 1.0)
        {
            return bad(format!(
                "--precision {p}: must be a fraction between 0 and 1 (3% or 0.03)"
            ));
        }
        if let Some(t) = self.time_budget_s
            && !(t > 0.0 && t.is_finite())
        {
            return bad(format!("--time-budget {t} s: must be a positive duration"));
        }
        if self.switch_interval_ms == 0 {
            return bad("--switch-interval-ms must be at least 1".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::MachineInfo;

    fn machine(physical: Option<usize>, logical: usize) -> MachineInfo {
        let mut m = MachineInfo::detect();
        m.physical_cores = physical;
        m.logical_cores = logical;
        m.available_parallelism = logical;
        m
    }

    #[test]
    fn sweep_includes_physical_and_logical_counts() {
        assert_eq!(default_workers(&machine(Some(2), 2)), vec![1, 2, 4]);
        assert_eq!(
            default_workers(&machine(Some(6), 12)),
            vec![1, 2, 4, 6, 8, 12, 16, 24]
        );
        assert_eq!(default_workers(&machine(None, 1)), vec![1, 2]);
    }

    #[test]
    fn explicit_values_override_the_preset() {
        let m = machine(Some(2), 2);
        let o = Overrides {
            workloads: Some(vec![WorkloadKind::Io]),
            workers: Some(vec![8, 1, 2, 2]),
            params: crate::workload::Params {
                sleep_ms: Some(7),
                ..Default::default()
            },
            samples: Some(3),
            ..Default::default()
        };
        let c = build_config(Preset::SeedCpu, &m, &o).unwrap();
        assert_eq!(c.workers, vec![1, 2, 8]);
        assert_eq!(c.samples, 3);
        assert_eq!(c.workloads.len(), 1);
        assert_eq!(
            c.workloads[0].spec,
            WorkloadSpec::Io(crate::workload::SleepIo::new(7))
        );
    }

    #[test]
    fn bad_values_are_named() {
        let m = machine(Some(2), 2);
        let err = |o: Overrides| build_config(Preset::Quick, &m, &o).unwrap_err().to_string();
        assert!(
            err(Overrides {
                workers: Some(vec![0]),
                ..Default::default()
            })
            .contains("worker count 0")
        );
        assert!(
            err(Overrides {
                samples: Some(0),
                ..Default::default()
            })
            .contains("--samples")
        );
        assert!(
            err(Overrides {
                tasks: Some(0),
                ..Default::default()
            })
            .contains("--tasks")
        );
    }

    #[test]
    fn big_machines_get_more_tasks_but_bounded_batches() {
        let c = Preset::Default.config(&machine(Some(64), 128));
        let io = c.workloads[1];
        assert_eq!(io.tasks, 512);
        assert_eq!(io.spec, WorkloadSpec::Io(crate::workload::SleepIo::new(5)));
        assert_eq!(c.workloads[0].tasks, 256);
        let small = Preset::Default.config(&machine(Some(2), 2));
        assert_eq!(
            small.workloads[1].spec,
            WorkloadSpec::Io(crate::workload::SleepIo::new(50))
        );
        assert_eq!(small.workloads[1].tasks, 16);
    }

    #[test]
    fn start_method_picks_the_process_variants_in_place() {
        let m = machine(Some(2), 2);
        let with = |methods: Vec<StartMethod>| {
            let o = Overrides {
                models: Some(vec![
                    ModelKind::Threads,
                    ModelKind::Processes,
                    ModelKind::Gil,
                ]),
                start_methods: Some(methods),
                ..Default::default()
            };
            build_config(Preset::Quick, &m, &o).unwrap().models
        };
        use ModelKind::*;
        assert_eq!(with(vec![StartMethod::Fork]), [Threads, ProcessesFork, Gil]);
        assert_eq!(
            with(vec![StartMethod::Spawn, StartMethod::Fork]),
            [Threads, Processes, ProcessesFork, Gil]
        );
        assert!(
            "vfork"
                .parse::<StartMethod>()
                .unwrap_err()
                .contains("'vfork'")
        );
    }

    #[test]
    fn the_lesson_runs_io_one_per_task_and_cpu_on_a_few_workers() {
        let c = Preset::Lesson.config(&machine(Some(2), 2));
        let cells = c.cells();
        let io: Vec<_> = cells
            .iter()
            .filter(|c| c.workload.spec.kind() == WorkloadKind::Io)
            .collect();
        assert!(
            io.iter()
                .all(|c| c.workers == 4000 && !c.model.is_baseline())
        );
        assert!(io.iter().any(|c| c.model == ModelKind::PyProcesses));
        let cpu_workers: Vec<usize> = cells
            .iter()
            .filter(|c| {
                c.model == ModelKind::PyThreads && c.workload.spec.kind() == WorkloadKind::Cpu
            })
            .map(|c| c.workers)
            .collect();
        assert_eq!(cpu_workers, [2, 12]);
        // Mixed needs the calibrated Rust loop: CPython models refuse it.
        let o = Overrides {
            workloads: Some(vec![WorkloadKind::Mixed]),
            models: Some(vec![ModelKind::PyThreads]),
            ..Default::default()
        };
        let err = build_config(Preset::Quick, &machine(Some(2), 2), &o).unwrap_err();
        assert!(err.to_string().contains("py-threads"));
    }

    #[test]
    fn sequential_runs_once_per_workload() {
        let m = machine(Some(2), 2);
        let c = Preset::Quick.config(&m);
        let cells = c.cells();
        let seq = cells
            .iter()
            .filter(|c| c.model == ModelKind::Sequential)
            .count();
        assert_eq!(seq, 3);
        assert_eq!(cells.len(), 3 * (1 + 8 * 3));
    }
}
