//! Execution models: the ways of running a batch of tasks with at most N in flight.
//!
//! Each model lives in its own module and implements [`Executor`]. [`ModelKind::start`] builds an
//! executor for N workers; anything long-lived (a pool of threads or processes) is created there,
//! outside the timed region, so its start-up cost can be reported apart from per-batch cost.
//! A model only runs tasks and returns the batch checksum; timing and statistics belong to
//! `measure`.

mod child;
mod process_pool;
mod processes;
mod rayon_pool;
mod sequential;
mod thread_pool;
mod threads;

pub use process_pool::ProcessPoolModel;
pub use processes::ProcessesModel;
pub use rayon_pool::RayonModel;
pub use sequential::SequentialModel;
pub use thread_pool::ThreadPoolModel;
pub use threads::ThreadsModel;

use crate::error::{Error, Result};
use crate::measure::usage::Usage;
use crate::workload::WorkloadSpec;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// What a batch produced.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BatchOutcome {
    /// The combined checksum of every task (see [`crate::workload::combine`]).
    pub checksum: u64,
    /// Resource usage of long-lived worker processes during the batch: these are not reaped
    /// between batches, so `getrusage(RUSAGE_CHILDREN)` cannot see them.
    pub pooled_usage: Usage,
    /// The distinct worker processes that answered (process models only), so a caller can check
    /// that tasks really ran elsewhere.
    pub worker_pids: Vec<u32>,
}

/// A started model, ready to run batches.
pub trait Executor: Send {
    /// Runs tasks `0..tasks` of `workload` and returns their combined checksum.
    fn run_batch(&mut self, workload: &WorkloadSpec, tasks: u64) -> Result<BatchOutcome>;
}

/// Where process-based models find the executable they run as workers.
#[derive(Clone, Debug, Default)]
pub struct ModelContext {
    /// The worker executable; `None` means [`crate::worker::locate_worker_exe`].
    pub worker_exe: Option<PathBuf>,
}

impl ModelContext {
    pub(crate) fn worker_exe(&self) -> Result<PathBuf> {
        match &self.worker_exe {
            Some(p) => Ok(p.clone()),
            None => crate::worker::locate_worker_exe(),
        }
    }
}

/// The execution models parbench knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    /// All tasks one after another on the calling thread: the speedup baseline.
    Sequential,
    /// A new OS thread per task, at most N alive.
    Threads,
    /// N long-lived threads fed from a shared queue.
    ThreadPool,
    /// A rayon thread pool of N threads (work stealing).
    Rayon,
    /// A new OS process per task, at most N alive.
    Processes,
    /// N long-lived worker processes fed over pipes.
    ProcessPool,
}

impl ModelKind {
    /// Every model, in display order.
    pub const ALL: [ModelKind; 6] = [
        ModelKind::Sequential,
        ModelKind::Threads,
        ModelKind::ThreadPool,
        ModelKind::Rayon,
        ModelKind::Processes,
        ModelKind::ProcessPool,
    ];

    /// The command-line and JSON name.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Sequential => "sequential",
            ModelKind::Threads => "threads",
            ModelKind::ThreadPool => "thread-pool",
            ModelKind::Rayon => "rayon",
            ModelKind::Processes => "processes",
            ModelKind::ProcessPool => "process-pool",
        }
    }

    /// Whether the model keeps workers alive between batches (and so has a start-up cost).
    pub fn is_pool(self) -> bool {
        matches!(
            self,
            ModelKind::ThreadPool | ModelKind::Rayon | ModelKind::ProcessPool
        )
    }

    /// Whether tasks run in other processes.
    pub fn uses_processes(self) -> bool {
        matches!(self, ModelKind::Processes | ModelKind::ProcessPool)
    }

    /// Starts this model with `workers` workers (ignored by `sequential`).
    pub fn start(self, workers: usize, ctx: &ModelContext) -> Result<Box<dyn Executor>> {
        if workers == 0 {
            return Err(Error::Config(format!(
                "{}: worker count must be at least 1",
                self.name()
            )));
        }
        Ok(match self {
            ModelKind::Sequential => Box::new(SequentialModel),
            ModelKind::Threads => Box::new(ThreadsModel::new(workers)),
            ModelKind::ThreadPool => Box::new(ThreadPoolModel::start(workers)?),
            ModelKind::Rayon => Box::new(RayonModel::start(workers)?),
            ModelKind::Processes => Box::new(ProcessesModel::new(workers, ctx.worker_exe()?)?),
            ModelKind::ProcessPool => {
                Box::new(ProcessPoolModel::start(workers, ctx.worker_exe()?)?)
            }
        })
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ModelKind {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        ModelKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = ModelKind::ALL.iter().map(|k| k.name()).collect();
                format!(
                    "unknown model '{s}' (expected one of: {})",
                    names.join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in ModelKind::ALL {
            assert_eq!(k.name().parse::<ModelKind>().unwrap(), k);
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.name()));
        }
        assert!(
            "fibers"
                .parse::<ModelKind>()
                .unwrap_err()
                .contains("'fibers'")
        );
    }

    #[test]
    fn in_process_models_match_the_reference_checksum() {
        let spec = WorkloadSpec::Cpu { iterations: 500 };
        let expected = spec.expected_batch_checksum(13);
        let ctx = ModelContext::default();
        for kind in [
            ModelKind::Sequential,
            ModelKind::Threads,
            ModelKind::ThreadPool,
            ModelKind::Rayon,
        ] {
            for workers in [1, 3] {
                let mut ex = kind.start(workers, &ctx).unwrap();
                for _ in 0..2 {
                    assert_eq!(
                        ex.run_batch(&spec, 13).unwrap().checksum,
                        expected,
                        "{kind}"
                    );
                }
                assert_eq!(ex.run_batch(&spec, 0).unwrap().checksum, 0, "{kind} empty");
            }
        }
    }

    #[test]
    fn zero_workers_is_refused() {
        let err = ModelKind::Threads
            .start(0, &ModelContext::default())
            .err()
            .unwrap();
        assert!(err.to_string().contains("at least 1"));
    }
}
