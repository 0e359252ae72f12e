//! What to measure: presets, the worker sweep derived from the detected cores, command-line
//! overrides, validation, and the list of cells (workload × model × workers). Pure: it neither
//! runs nor times anything.

use crate::error::{Error, Result};
use crate::machine::MachineInfo;
use crate::model::ModelKind;
use crate::workload::{WorkloadKind, WorkloadSpec};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// One workload of a run with its task count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadPlan {
    /// The workload and its parameters.
    pub spec: WorkloadSpec,
    /// Tasks per batch.
    pub tasks: u64,
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
}

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
            for &model in models {
                if model.is_baseline() {
                    cells.push(CellSpec {
                        workload,
                        model,
                        workers: 1,
                    });
                } else {
                    for &workers in workers {
                        cells.push(CellSpec {
                            workload,
                            model,
                            workers,
                        });
                    }
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
        for w in &self.workloads {
            if w.tasks == 0 {
                return bad(format!("{}: --tasks must be at least 1", w.spec.kind()));
            }
            if let WorkloadSpec::Cpu { iterations: 0 } = w.spec {
                return bad("--iterations must be at least 1".into());
            }
            if let WorkloadSpec::Mixed { cpu_ms: 0, .. } = w.spec {
                return bad("--cpu-ms must be at least 1".into());
            }
            let (models, _) = self.models_and_workers(w.spec.kind());
            if let WorkloadSpec::TcpEcho { message_bytes } = w.spec {
                if !(1..=1 << 20).contains(&message_bytes) {
                    return bad(format!(
                        "--message-bytes {message_bytes}: must be between 1 and 1048576"
                    ));
                }
                if let Some(m) = models.iter().find(|m| !m.serves_tcp()) {
                    return bad(format!(
                        "{m} does not serve tcp-echo; its models are blocking-threads, nonblocking-poll, multiplexing and async"
                    ));
                }
            } else if let Some(m) = models.iter().find(|m| m.tcp_only()) {
                return bad(format!(
                    "{m} is an echo-server design: it runs only the tcp-echo workload, not {}",
                    w.spec.kind()
                ));
            }
            if let (WorkloadSpec::Mixed { .. }, Some(m)) =
                (w.spec, models.iter().find(|m| m.is_python()))
            {
                return bad(format!(
                    "{m} runs cpu, io and noop only: the mixed workload is calibrated for parbench's own loop"
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
        if self.switch_interval_ms == 0 {
            return bad("--switch-interval-ms must be at least 1".into());
        }
        Ok(())
    }
}

/// The presets' pause before every batch: enough for 2 recently busy cores to look idle again.
const SETTLE_MS: u64 = 30;

/// Named starting points for a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// The whole matrix, small, 9 samples (enough for the CI gate): under a minute on 2 cores.
    Quick,
    /// The whole matrix at the lesson's CPU size: a few minutes on 2 cores.
    Default,
    /// The lesson's CPU experiment: 12 tasks × 10^7 multiplies, every native model.
    SeedCpu,
    /// The lesson's IO experiment: 4000 tasks × 2 s sleep, one thread / process per task.
    SeedIo,
    /// The lesson's table: seed-cpu and seed-io, CPython's models beside parbench's, 3 samples.
    Lesson,
    /// `tcp-echo` over loopback: the four server designs at 1 … 1024 connections.
    Net,
}

/// The connection counts `tcp-echo` sweeps by default.
pub const TCP_CONNECTIONS: [usize; 6] = [1, 4, 16, 64, 256, 1024];

/// The default size of each workload on a machine whose sweep ends at `max_workers`, for a
/// batch of about `batch_ms` on one worker.
fn default_plan(kind: WorkloadKind, max_workers: u64, batch_ms: u64) -> WorkloadPlan {
    let io_tasks = 16u64.max(2 * max_workers);
    match kind {
        WorkloadKind::Cpu => WorkloadPlan {
            spec: WorkloadSpec::Cpu {
                iterations: 10_000_000,
            },
            tasks: 12u64.max(max_workers),
        },
        // A batch of io tasks on one worker takes tasks × sleep: keep that near `batch_ms`
        // however many tasks a big machine needs, but never below 5 ms a sleep.
        WorkloadKind::Io => WorkloadPlan {
            spec: WorkloadSpec::Io {
                sleep_ms: (batch_ms / io_tasks).max(5),
            },
            tasks: io_tasks,
        },
        WorkloadKind::Noop => WorkloadPlan {
            spec: WorkloadSpec::Noop,
            tasks: 256,
        },
        // The request-handler shape `advise` starts from: 5 ms of compute, 20 ms of waiting.
        WorkloadKind::Mixed => WorkloadPlan {
            spec: WorkloadSpec::Mixed {
                cpu_ms: 5,
                io_ms: 20,
                iterations: 0,
            },
            tasks: 64u64.max(4 * max_workers),
        },
        // 20,000 round trips per batch: ~0.2–1 s on 2 cores, and at least 19 per connection at
        // the largest count.
        WorkloadKind::TcpEcho => WorkloadPlan {
            spec: WorkloadSpec::TcpEcho { message_bytes: 64 },
            tasks: 20_000,
        },
    }
}

impl Preset {
    /// Every preset.
    pub const ALL: [Preset; 6] = [
        Preset::Quick,
        Preset::Default,
        Preset::SeedCpu,
        Preset::SeedIo,
        Preset::Lesson,
        Preset::Net,
    ];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Quick => "quick",
            Preset::Default => "default",
            Preset::SeedCpu => "seed-cpu",
            Preset::SeedIo => "seed-io",
            Preset::Lesson => "lesson",
            Preset::Net => "net",
        }
    }

    /// The preset's configuration on `machine`. Sizes grow with the core count so every worker
    /// count in the sweep has tasks to run, while sequential time stays bounded.
    pub fn config(self, machine: &MachineInfo) -> RunConfig {
        let sweep = default_workers(machine);
        let max_workers = *sweep.last().unwrap_or(&1) as u64;
        let plan = |k| default_plan(k, max_workers, 800);
        let base = RunConfig {
            preset: self,
            workloads: vec![
                plan(WorkloadKind::Cpu),
                plan(WorkloadKind::Io),
                plan(WorkloadKind::Noop),
            ],
            models: ModelKind::in_presets(),
            workers: sweep.clone(),
            samples: 7,
            warmup: 1,
            shuffle_seed: 0x5EED,
            settle_ms: SETTLE_MS,
            label: None,
            switch_interval_ms: default_switch_interval_ms(),
            on_error: OnError::Stop,
            task_timeout_s: None,
            stack_size: None,
            per_workload: Vec::new(),
        };
        let seed_cpu = WorkloadPlan {
            spec: WorkloadSpec::Cpu {
                iterations: 10_000_000,
            },
            tasks: 12,
        };
        let seed_io = WorkloadPlan {
            spec: WorkloadSpec::Io { sleep_ms: 2000 },
            tasks: 4000,
        };
        match self {
            Preset::Quick => RunConfig {
                workloads: vec![
                    WorkloadPlan {
                        spec: WorkloadSpec::Cpu {
                            iterations: 3_000_000,
                        },
                        tasks: 12u64.max(max_workers),
                    },
                    default_plan(WorkloadKind::Io, max_workers, 160),
                    WorkloadPlan {
                        spec: WorkloadSpec::Noop,
                        tasks: 64,
                    },
                ],
                samples: 9,
                // Shorter: the quick preset has many short batches and a 60 s budget.
                settle_ms: SETTLE_MS * 2 / 3,
                ..base
            },
            Preset::Default => base,
            Preset::SeedCpu => {
                let mut workers = sweep;
                workers.push(12);
                workers.sort_unstable();
                workers.dedup();
                RunConfig {
                    workloads: vec![seed_cpu],
                    workers,
                    ..base
                }
            }
            Preset::SeedIo => RunConfig {
                workloads: vec![seed_io],
                models: vec![ModelKind::Threads, ModelKind::Processes, ModelKind::Async],
                workers: vec![4000],
                samples: 5,
                ..base
            },
            Preset::Net => RunConfig {
                workloads: vec![plan(WorkloadKind::TcpEcho)],
                models: crate::net::EchoServer::models(),
                workers: TCP_CONNECTIONS.to_vec(),
                samples: 5,
                ..base
            },
            Preset::Lesson => {
                use ModelKind::*;
                let cores = machine
                    .physical_cores
                    .unwrap_or(machine.logical_cores)
                    .max(1);
                let mut cpu_workers = vec![cores, 12];
                cpu_workers.sort_unstable();
                cpu_workers.dedup();
                RunConfig {
                    workloads: vec![seed_cpu, seed_io],
                    // No processes-fork: forking a parent that holds the other cells' pools
                    // (thousands of threads for seed-io) copies its page tables per task and
                    // measures that instead (0.2× here); `--start-method fork` on seed-cpu
                    // measures fork alone.
                    models: vec![
                        Sequential,
                        Threads,
                        ThreadPool,
                        Processes,
                        ProcessPool,
                        Async,
                        Gil,
                        PySequential,
                        PyThreads,
                        PyThreadPool,
                        PyProcesses,
                        PyProcessPool,
                    ],
                    workers: cpu_workers,
                    samples: 3,
                    per_workload: vec![WorkloadOverride {
                        workload: WorkloadKind::Io,
                        // One thread or process per task, as the lesson ran it; no sequential
                        // baseline (4000 × 2 s): speedups are against the ideal tasks × sleep.
                        models: Some(vec![Threads, Processes, Async, Gil, PyThreads, PyProcesses]),
                        workers: Some(vec![4000]),
                    }],
                    ..base
                }
            }
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Preset {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        Preset::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown preset '{s}' (expected one of: quick, default, seed-cpu, seed-io, lesson, net)"
                )
            })
    }
}

/// Environment variable choosing the preset of `cargo bench` (both the sweep and criterion).
pub const PRESET_ENV: &str = "PARBENCH_PRESET";

/// The preset named by `$PARBENCH_PRESET`, `default` when unset.
pub fn preset_from_env() -> Result<Preset> {
    match std::env::var(PRESET_ENV) {
        Err(_) => Ok(Preset::Default),
        Ok(v) => v
            .parse()
            .map_err(|e: String| Error::Config(format!("{PRESET_ENV}: {e}"))),
    }
}

/// The default worker sweep: 1, 2, 4, … up to twice the logical cores, plus the exact physical,
/// logical and available counts (on 2 cores: 1, 2, 4; on 6 with 12 threads: 1, 2, 4, 6, 8, 12,
/// 16, 24).
pub fn default_workers(machine: &MachineInfo) -> Vec<usize> {
    let logical = machine.logical_cores.max(1);
    let mut w = Vec::new();
    let mut n = 1;
    while n <= 2 * logical {
        w.push(n);
        n *= 2;
    }
    w.push(logical);
    w.push(2 * logical);
    w.push(machine.available_parallelism.max(1));
    if let Some(p) = machine.physical_cores {
        w.push(p.max(1));
    }
    w.sort_unstable();
    w.dedup();
    w
}

/// Values given explicitly on the command line; each replaces the preset's.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--workload`.
    pub workloads: Option<Vec<WorkloadKind>>,
    /// `--models`.
    pub models: Option<Vec<ModelKind>>,
    /// `--workers`.
    pub workers: Option<Vec<usize>>,
    /// `--tasks` (for every workload).
    pub tasks: Option<u64>,
    /// `--iterations`.
    pub iterations: Option<u64>,
    /// `--sleep-ms`.
    pub sleep_ms: Option<u64>,
    /// `--samples`.
    pub samples: Option<usize>,
    /// `--warmup`.
    pub warmup: Option<usize>,
    /// `--settle-ms`.
    pub settle_ms: Option<u64>,
    /// `--label`.
    pub label: Option<String>,
    /// `--cpu-ms` (mixed workload).
    pub cpu_ms: Option<u64>,
    /// `--io-ms` (mixed workload).
    pub io_ms: Option<u64>,
    /// `--switch-interval-ms` (gil model).
    pub switch_interval_ms: Option<u64>,
    /// `--start-method`: which variants `processes` stands for.
    pub start_methods: Option<Vec<StartMethod>>,
    /// `--on-error`.
    pub on_error: Option<OnError>,
    /// `--task-timeout`, seconds.
    pub task_timeout_s: Option<f64>,
    /// `--stack-size`, bytes.
    pub stack_size: Option<usize>,
    /// `--message-bytes` (tcp-echo).
    pub message_bytes: Option<u64>,
}

/// The preset's configuration with `o` applied, validated.
pub fn build_config(preset: Preset, machine: &MachineInfo, o: &Overrides) -> Result<RunConfig> {
    let mut c = preset.config(machine);
    if let Some(kinds) = &o.workloads {
        // Keep the preset's sizes for workloads it has; take the default sizes for the others.
        let max_workers = *default_workers(machine).last().unwrap_or(&1) as u64;
        c.workloads = kinds
            .iter()
            .map(|k| {
                c.workloads
                    .iter()
                    .find(|w| w.spec.kind() == *k)
                    .copied()
                    .unwrap_or_else(|| default_plan(*k, max_workers, 800))
            })
            .collect();
        c.workloads.dedup_by_key(|w| w.spec.kind());
    }
    if let Some(m) = &o.models {
        c.models = m.clone();
        c.models.dedup();
        // Explicit models replace a preset's per-workload choice too.
        for p in &mut c.per_workload {
            p.models = None;
        }
    }
    if let Some(methods) = &o.start_methods {
        let variants: Vec<ModelKind> = methods
            .iter()
            .map(|m| match m {
                StartMethod::Spawn => ModelKind::Processes,
                StartMethod::Fork => ModelKind::ProcessesFork,
            })
            .collect();
        let swap = |models: &mut Vec<ModelKind>| {
            if let Some(i) = models
                .iter()
                .position(|m| matches!(m, ModelKind::Processes | ModelKind::ProcessesFork))
            {
                models.retain(|m| !matches!(m, ModelKind::Processes | ModelKind::ProcessesFork));
                for (k, v) in variants.iter().enumerate() {
                    models.insert(i + k, *v);
                }
            }
        };
        swap(&mut c.models);
        for p in &mut c.per_workload {
            if let Some(m) = &mut p.models {
                swap(m);
            }
        }
    }
    if let Some(w) = &o.workers {
        c.workers = w.clone();
        c.workers.sort_unstable();
        c.workers.dedup();
        for p in &mut c.per_workload {
            p.workers = None;
        }
    }
    if let Some(ms) = o.switch_interval_ms {
        c.switch_interval_ms = ms;
    }
    // tcp-echo beside other workloads: the server designs over the connection sweep, unless
    // models or workers were given.
    if c.preset != Preset::Net
        && c.workloads
            .iter()
            .any(|w| w.spec.kind() == WorkloadKind::TcpEcho)
        && !c
            .per_workload
            .iter()
            .any(|p| p.workload == WorkloadKind::TcpEcho)
        && (o.models.is_none() || o.workers.is_none())
    {
        c.per_workload.push(WorkloadOverride {
            workload: WorkloadKind::TcpEcho,
            models: o.models.is_none().then(crate::net::EchoServer::models),
            workers: o.workers.is_none().then(|| TCP_CONNECTIONS.to_vec()),
        });
    }
    if let Some(e) = o.on_error {
        c.on_error = e;
    }
    if let Some(t) = o.task_timeout_s {
        c.task_timeout_s = Some(t);
    }
    if let Some(s) = o.stack_size {
        c.stack_size = Some(s);
    }
    for w in &mut c.workloads {
        if let Some(t) = o.tasks {
            w.tasks = t;
        }
        match &mut w.spec {
            WorkloadSpec::Cpu { iterations } => *iterations = o.iterations.unwrap_or(*iterations),
            WorkloadSpec::Io { sleep_ms } => *sleep_ms = o.sleep_ms.unwrap_or(*sleep_ms),
            WorkloadSpec::Noop => {}
            WorkloadSpec::Mixed {
                cpu_ms,
                io_ms,
                iterations,
            } => {
                if let Some(v) = o.cpu_ms {
                    (*cpu_ms, *iterations) = (v, 0);
                }
                *io_ms = o.io_ms.unwrap_or(*io_ms);
            }
            WorkloadSpec::TcpEcho { message_bytes } => {
                *message_bytes = o.message_bytes.unwrap_or(*message_bytes);
            }
        }
    }
    if let Some(s) = o.samples {
        c.samples = s;
    }
    if let Some(w) = o.warmup {
        c.warmup = w;
    }
    if let Some(ms) = o.settle_ms {
        c.settle_ms = ms;
    }
    if let Some(l) = &o.label {
        if l.trim().is_empty() {
            return Err(Error::Config("--label must not be empty".into()));
        }
        c.label = Some(l.clone());
    }
    c.validate()?;
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

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
            sleep_ms: Some(7),
            samples: Some(3),
            ..Default::default()
        };
        let c = build_config(Preset::SeedCpu, &m, &o).unwrap();
        assert_eq!(c.workers, vec![1, 2, 8]);
        assert_eq!(c.samples, 3);
        assert_eq!(c.workloads.len(), 1);
        assert_eq!(c.workloads[0].spec, WorkloadSpec::Io { sleep_ms: 7 });
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
        assert_eq!(io.spec, WorkloadSpec::Io { sleep_ms: 5 });
        assert_eq!(c.workloads[0].tasks, 256);
        let small = Preset::Default.config(&machine(Some(2), 2));
        assert_eq!(small.workloads[1].spec, WorkloadSpec::Io { sleep_ms: 50 });
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
