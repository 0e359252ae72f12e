//! The executor contract, a leaf that `model`, `net` and `measure` all depend on instead of on
//! each other: [`Executor`] (run a batch of tasks, return its checksum), [`BatchOutcome`] (what a
//! batch produced) and [`ModelContext`] (what starting a model needs from outside). Which models
//! exist and how they start is [`crate::model`]'s; timing a batch is [`crate::measure`]'s.

use crate::error::Result;
use crate::usage::Usage;
use crate::workload::WorkloadSpec;
use std::path::PathBuf;
use std::time::Duration;

/// CPython's default switch interval (`sys.getswitchinterval()`), the `gil` model's default.
pub const DEFAULT_SWITCH_INTERVAL: Duration = Duration::from_millis(5);

/// What a batch produced.
#[derive(Clone, Debug, Default)]
pub struct BatchOutcome {
    /// The combined checksum of every task (see [`crate::workload::combine`]).
    pub checksum: u64,
    /// Resource usage of long-lived worker processes during the batch: these are not reaped
    /// between batches, so `getrusage(RUSAGE_CHILDREN)` cannot see them.
    pub pooled_usage: Usage,
    /// The distinct worker processes that answered (process models only), so a caller can check
    /// that tasks really ran elsewhere.
    pub worker_pids: Vec<u32>,
    /// `tcp-echo`: the latency of every round trip, microseconds.
    pub latency_us: Option<hdrhistogram::Histogram<u64>>,
}

/// A started model, ready to run batches.
pub trait Executor: Send {
    /// Runs tasks `0..tasks` of `workload` and returns their combined checksum.
    fn run_batch(&mut self, workload: &WorkloadSpec, tasks: u64) -> Result<BatchOutcome>;

    /// Untimed work before a batch (checks, readings the batch is compared with).
    fn prepare(&mut self, _workload: &WorkloadSpec, _tasks: u64) -> Result<()> {
        Ok(())
    }

    /// Untimed, after a batch: what a separate server process used during it (`tcp-echo`).
    fn server_usage(&mut self) -> Option<Usage> {
        None
    }

    /// How long one task may take in another process before its worker is killed and the batch
    /// fails with [`crate::Error::TaskTimeout`]. In-process models cannot stop a running task
    /// and ignore it (their tasks are parbench's own code, bounded by construction).
    fn set_task_timeout(&mut self, _timeout: Duration) {}
}

/// What models need from outside: where process-based models find the executable they run as
/// workers, the simulated GIL's switch interval, and the stack size of threads.
#[derive(Clone, Debug)]
pub struct ModelContext {
    /// The worker executable; `None` means [`crate::worker::locate_worker_exe`].
    pub worker_exe: Option<PathBuf>,
    /// How long a `gil` thread may compute before it must let a waiting thread in.
    pub switch_interval: Duration,
    /// Stack size of the threads of thread-based models (`--stack-size`); `None`: the default.
    pub stack_size: Option<usize>,
}

impl Default for ModelContext {
    fn default() -> Self {
        ModelContext {
            worker_exe: None,
            switch_interval: DEFAULT_SWITCH_INTERVAL,
            stack_size: None,
        }
    }
}

impl ModelContext {
    /// The worker executable: the configured one, else the one found next to this program.
    pub fn worker_exe(&self) -> Result<PathBuf> {
        match &self.worker_exe {
            Some(p) => Ok(p.clone()),
            None => crate::worker::locate_worker_exe(),
        }
    }
}
