//! The presets: named starting points for a run (`quick`, `default`, the lesson's two
//! experiments, `net`, `lesson`) and the worker sweep derived from
//! the detected cores. Command-line overrides are [`super::overrides`]'s.

use super::{OnError, RunConfig, WorkloadOverride, WorkloadPlan, default_switch_interval_ms};
use crate::error::{Error, Result};
use crate::machine::MachineInfo;
use crate::model::ModelKind;
use crate::workload::{MultiplyLoop, Noop, SleepIo, WorkloadKind};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The presets' pause before every batch: enough for 2 recently busy cores to look idle again.
const SETTLE_MS: u64 = 30;

/// Named starting points for a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// The whole matrix, small: 7 samples, then more of the cells whose intervals are wider
    /// than 3%, within a 55 s budget (enough for the CI gate): under a minute on 2 cores.
    Quick,
    /// The whole matrix at the lesson's CPU size: a few minutes on 2 cores.
    Default,
    /// The lesson's CPU experiment: 12 tasks × 10^7 multiplies, every native model.
    SeedCpu,
    /// The lesson's IO experiment: 4000 tasks × 2 s sleep, one thread / process per task.
    SeedIo,
    /// The lesson's table: seed-cpu and seed-io, CPython's models beside parbench's, 3 samples.
    Lesson,
    /// `tcp-echo` over loopback: the six server designs at 1 … 1024 connections.
    Net,
}

/// The quick preset's time budget, seconds: with the report, a quick run stays within a minute
/// on 2 cores.
pub const QUICK_BUDGET_S: f64 = 55.0;

/// The connection counts `tcp-echo` sweeps by default.
pub const TCP_CONNECTIONS: [usize; 6] = [1, 4, 16, 64, 256, 1024];

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
        let plan = |k| WorkloadPlan::sized(k, max_workers, 800);
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
            precision: None,
            time_budget_s: None,
            force: false,
        };
        let seed_cpu = WorkloadPlan {
            spec: MultiplyLoop::new(10_000_000).into(),
            tasks: 12,
        };
        let seed_io = WorkloadPlan {
            spec: SleepIo::new(2000).into(),
            tasks: 4000,
        };
        match self {
            Preset::Quick => RunConfig {
                workloads: vec![
                    WorkloadPlan {
                        spec: MultiplyLoop::new(3_000_000).into(),
                        tasks: 12u64.max(max_workers),
                    },
                    WorkloadPlan::sized(WorkloadKind::Io, max_workers, 160),
                    WorkloadPlan {
                        spec: Noop.into(),
                        tasks: 64,
                    },
                ],
                // At least 7 samples, then sampling until every interval is within 3% or the
                // run has taken QUICK_BUDGET_S.
                samples: 7,
                precision: Some(0.03),
                time_budget_s: Some(QUICK_BUDGET_S),
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
                // The synchronisation chapter: a shared counter under a mutex, a semaphore of 5
                // permits for 20 tasks of 100 ms, an event releasing 20 waiting cars, one
                // producer feeding consumers through a bounded queue.
                let sync_workers = vec![cores, 4 * cores];
                RunConfig {
                    workloads: vec![
                        seed_cpu,
                        seed_io,
                        WorkloadPlan::sized(WorkloadKind::Contention, 4 * cores as u64, 800),
                        WorkloadPlan {
                            spec: crate::workload::Semaphore::new(5, 100).into(),
                            tasks: 20,
                        },
                        WorkloadPlan::sized(WorkloadKind::Event, 20, 800),
                        WorkloadPlan::sized(WorkloadKind::Pipeline, 4 * cores as u64, 800),
                    ],
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
                    per_workload: vec![
                        WorkloadOverride {
                            workload: WorkloadKind::Io,
                            // One thread or process per task, as the lesson ran it; no
                            // sequential baseline (4000 × 2 s): speedups are against the ideal
                            // tasks × sleep.
                            models: Some(vec![
                                Threads,
                                Processes,
                                Async,
                                Gil,
                                PyThreads,
                                PyProcesses,
                            ]),
                            workers: Some(vec![4000]),
                        },
                        WorkloadOverride {
                            workload: WorkloadKind::Contention,
                            models: Some(vec![Sequential, Threads, ThreadPool, Async, Gil]),
                            workers: Some(sync_workers),
                        },
                        WorkloadOverride {
                            workload: WorkloadKind::Semaphore,
                            models: Some(vec![Sequential, Threads, ThreadPool, Async]),
                            workers: Some(vec![5, 20]),
                        },
                        WorkloadOverride {
                            workload: WorkloadKind::Event,
                            // Every car waits at once: a thread each, or a future each.
                            models: Some(vec![Threads, Async]),
                            workers: Some(vec![20]),
                        },
                        WorkloadOverride {
                            workload: WorkloadKind::Pipeline,
                            // One producer, a consumer per core, then four times as many.
                            models: Some(vec![Sequential, ThreadPool, Async]),
                            workers: Some(vec![cores + 1, 4 * cores]),
                        },
                    ],
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
