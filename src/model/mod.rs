//! Execution models: the ways of running a batch of tasks with at most N in flight.
//!
//! Each model lives in its own module and implements [`Executor`]. [`ModelKind::start`] builds an
//! executor for N workers; anything long-lived (a pool of threads or processes) is created there,
//! outside the timed region, so its start-up cost can be reported apart from per-batch cost.
//! A model only runs tasks and returns the batch checksum; timing and statistics belong to
//! `measure`.

mod async_rt;
mod child;
pub mod gil;
mod process_pool;
mod processes;
#[cfg(target_os = "linux")]
mod processes_fork;
pub mod python;
mod rayon_pool;
mod sequential;
mod thread_pool;
mod threads;

pub use async_rt::AsyncModel;
pub use gil::GilModel;
pub use process_pool::ProcessPoolModel;
pub use processes::ProcessesModel;
#[cfg(target_os = "linux")]
pub use processes_fork::ProcessesForkModel;
pub use python::PythonModel;
pub use rayon_pool::RayonModel;
pub use sequential::SequentialModel;
pub use thread_pool::ThreadPoolModel;
pub use threads::ThreadsModel;

use crate::error::{Error, Result};
use crate::usage::Usage;
use crate::workload::WorkloadSpec;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

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
    /// fails with [`Error::TaskTimeout`]. In-process models cannot stop a running task and
    /// ignore it (their tasks are parbench's own code, bounded by construction).
    fn set_task_timeout(&mut self, _timeout: Duration) {}
}

/// What models need from outside: where process-based models find the executable they run as
/// workers, and the simulated GIL's switch interval.
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
            switch_interval: gil::DEFAULT_SWITCH_INTERVAL,
            stack_size: None,
        }
    }
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
    /// tokio tasks on N runtime threads; compute runs inline (blocking a worker).
    Async,
    /// tokio tasks on N runtime threads; compute goes through `spawn_blocking` (N threads).
    AsyncBlocking,
    /// N threads sharing one simulated global interpreter lock.
    Gil,
    /// A forked OS process per task, at most N alive (the fork start method).
    ProcessesFork,
    /// CPython: every task in turn (the baseline of the `py-*` models).
    PySequential,
    /// CPython: a `threading.Thread` per task, at most N alive.
    PyThreads,
    /// CPython: a `multiprocessing.Process` per task, at most N alive.
    PyProcesses,
    /// CPython: `ThreadPoolExecutor(N)`.
    PyThreadPool,
    /// CPython: `ProcessPoolExecutor(N)`.
    PyProcessPool,
    /// `tcp-echo` server: a thread per connection, blocking reads.
    BlockingThreads,
    /// `tcp-echo` server: one thread busy-looping over non-blocking sockets.
    NonblockingPoll,
    /// `tcp-echo` server: one thread waiting for readiness with mio (epoll / kqueue).
    Multiplexing,
}

impl ModelKind {
    /// Every model, in display order.
    pub const ALL: [ModelKind; 18] = [
        ModelKind::Sequential,
        ModelKind::Threads,
        ModelKind::ThreadPool,
        ModelKind::Rayon,
        ModelKind::Processes,
        ModelKind::ProcessPool,
        ModelKind::Async,
        ModelKind::AsyncBlocking,
        ModelKind::Gil,
        ModelKind::ProcessesFork,
        ModelKind::PySequential,
        ModelKind::PyThreads,
        ModelKind::PyProcesses,
        ModelKind::PyThreadPool,
        ModelKind::PyProcessPool,
        ModelKind::BlockingThreads,
        ModelKind::NonblockingPoll,
        ModelKind::Multiplexing,
    ];

    /// The `tcp-echo` server designs (`async` is tokio's).
    pub const ECHO_SERVERS: [ModelKind; 4] = [
        ModelKind::BlockingThreads,
        ModelKind::NonblockingPoll,
        ModelKind::Multiplexing,
        ModelKind::Async,
    ];

    /// The models the `quick` and `default` presets run: the Rust ones (no CPython, whose CPU
    /// task is 30–50× slower, and no fork variant, which `--start-method` adds).
    pub const NATIVE: [ModelKind; 9] = [
        ModelKind::Sequential,
        ModelKind::Threads,
        ModelKind::ThreadPool,
        ModelKind::Rayon,
        ModelKind::Processes,
        ModelKind::ProcessPool,
        ModelKind::Async,
        ModelKind::AsyncBlocking,
        ModelKind::Gil,
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
            ModelKind::Async => "async",
            ModelKind::AsyncBlocking => "async-blocking",
            ModelKind::Gil => "gil",
            ModelKind::ProcessesFork => "processes-fork",
            ModelKind::PySequential => "py-sequential",
            ModelKind::PyThreads => "py-threads",
            ModelKind::PyProcesses => "py-processes",
            ModelKind::PyThreadPool => "py-thread-pool",
            ModelKind::PyProcessPool => "py-process-pool",
            ModelKind::BlockingThreads => "blocking-threads",
            ModelKind::NonblockingPoll => "nonblocking-poll",
            ModelKind::Multiplexing => "multiplexing",
        }
    }

    /// Whether the model can serve the `tcp-echo` workload.
    pub fn serves_tcp(self) -> bool {
        Self::ECHO_SERVERS.contains(&self)
    }

    /// Whether the model runs only `tcp-echo` (an echo-server design).
    pub fn tcp_only(self) -> bool {
        self.serves_tcp() && self != ModelKind::Async
    }

    /// Starts this model for `workload`: for `tcp-echo` an echo server of this design with N
    /// client connections (see [`crate::net::model`]), else [`ModelKind::start`].
    pub fn start_for(
        self,
        workload: crate::workload::WorkloadKind,
        workers: usize,
        ctx: &ModelContext,
    ) -> Result<Box<dyn Executor>> {
        if workload != crate::workload::WorkloadKind::TcpEcho {
            return self.start(workers, ctx);
        }
        if !self.serves_tcp() {
            return Err(Error::Config(format!(
                "{self} does not serve tcp-echo (its models: blocking-threads, nonblocking-poll, multiplexing, async)"
            )));
        }
        if workers == 0 {
            return Err(Error::Config(format!(
                "{self}: connection count must be at least 1"
            )));
        }
        Ok(Box::new(crate::net::model::EchoModel::start(
            &ctx.worker_exe()?,
            self.name(),
            workers,
        )?))
    }

    /// The model whose median is this one's speedup baseline: `py-sequential` for the CPython
    /// models, `sequential` for the rest.
    pub fn baseline(self) -> ModelKind {
        if self.is_python() {
            ModelKind::PySequential
        } else {
            ModelKind::Sequential
        }
    }

    /// Whether this is a speedup baseline (runs once, with one worker).
    pub fn is_baseline(self) -> bool {
        matches!(self, ModelKind::Sequential | ModelKind::PySequential)
    }

    /// The checksum a batch of `tasks` tasks of `spec` must produce under this model: the
    /// CPython models run the lesson's own loop, with its own checksum.
    pub fn expected_batch_checksum(self, spec: &WorkloadSpec, tasks: u64) -> Result<u64> {
        if self.is_python() {
            crate::workload::python::expected_batch_checksum(spec, tasks).ok_or_else(|| {
                Error::Config(format!(
                    "{self}: the CPython models run cpu, io and noop, not {}",
                    spec.kind()
                ))
            })
        } else {
            Ok(spec.expected_batch_checksum(tasks))
        }
    }

    /// Whether this model can run on this machine; the reason when not (checked once, before a
    /// run, so that a missing `python3` costs one notice instead of an error mid-run).
    pub fn available(self) -> std::result::Result<(), String> {
        if self.is_python() {
            return python::check_interpreter();
        }
        if self == ModelKind::ProcessesFork && !cfg!(target_os = "linux") {
            return Err("the fork start method is implemented for Linux only".into());
        }
        Ok(())
    }

    /// Whether the tasks run in CPython (`scripts/pylesson.py`).
    pub fn is_python(self) -> bool {
        matches!(
            self,
            ModelKind::PySequential
                | ModelKind::PyThreads
                | ModelKind::PyProcesses
                | ModelKind::PyThreadPool
                | ModelKind::PyProcessPool
        )
    }

    /// How many tasks of a batch of `tasks` can wait (sleep) at once with N = `workers`: all of
    /// them for the async models, whose sleeps hold no thread; otherwise N.
    pub fn concurrent_waits(self, workers: usize, tasks: u64) -> u64 {
        match self {
            ModelKind::Async | ModelKind::AsyncBlocking => tasks.max(1),
            m if m.is_baseline() => 1,
            _ => workers as u64,
        }
    }

    /// How many tasks can compute at once with N = `workers` on `cores` cores: one under a GIL
    /// (simulated or CPython's threads), else min(N, cores).
    pub fn concurrent_compute(self, workers: usize, cores: usize) -> usize {
        match self {
            ModelKind::Gil | ModelKind::PyThreads | ModelKind::PyThreadPool => 1,
            m if m.is_baseline() => 1,
            _ => workers.min(cores).max(1),
        }
    }

    /// Whether the model keeps workers alive between batches (and so has a start-up cost).
    pub fn is_pool(self) -> bool {
        matches!(
            self,
            ModelKind::ThreadPool
                | ModelKind::Rayon
                | ModelKind::ProcessPool
                | ModelKind::Async
                | ModelKind::AsyncBlocking
                | ModelKind::Gil
        ) || self.is_python()
            || self.tcp_only()
    }

    /// How many threads of parbench's own process a cell with N = `workers` keeps alive at
    /// once (0 for models whose tasks run in other processes; the limit checks use it).
    pub fn threads_needed(self, workers: usize) -> usize {
        match self {
            ModelKind::Sequential => 0,
            ModelKind::AsyncBlocking => 2 * workers,
            m if m.uses_processes() => 1,
            _ => workers,
        }
    }

    /// Whether tasks run in other processes.
    pub fn uses_processes(self) -> bool {
        matches!(
            self,
            ModelKind::Processes | ModelKind::ProcessPool | ModelKind::ProcessesFork
        ) || self.is_python()
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
            ModelKind::Threads => Box::new(ThreadsModel::new(workers, ctx.stack_size)),
            ModelKind::ThreadPool => Box::new(ThreadPoolModel::start(workers, ctx.stack_size)?),
            ModelKind::Rayon => Box::new(RayonModel::start(workers, ctx.stack_size)?),
            ModelKind::Processes => Box::new(ProcessesModel::new(workers, ctx.worker_exe()?)?),
            ModelKind::ProcessPool => {
                Box::new(ProcessPoolModel::start(workers, ctx.worker_exe()?)?)
            }
            ModelKind::Async => Box::new(AsyncModel::start(workers, false, ctx.stack_size)?),
            ModelKind::AsyncBlocking => Box::new(AsyncModel::start(workers, true, ctx.stack_size)?),
            ModelKind::Gil => Box::new(GilModel::start(
                workers,
                ctx.switch_interval,
                ctx.stack_size,
            )?),
            #[cfg(target_os = "linux")]
            ModelKind::ProcessesFork => Box::new(ProcessesForkModel::new(workers)?),
            #[cfg(not(target_os = "linux"))]
            ModelKind::ProcessesFork => {
                return Err(Error::Unavailable(
                    "processes-fork: the fork start method is implemented for Linux only".into(),
                ));
            }
            ModelKind::PySequential => Box::new(PythonModel::start("sequential", 1)?),
            ModelKind::PyThreads => Box::new(PythonModel::start("threads", workers)?),
            ModelKind::PyProcesses => Box::new(PythonModel::start("processes", workers)?),
            ModelKind::PyThreadPool => Box::new(PythonModel::start("thread-pool", workers)?),
            ModelKind::PyProcessPool => Box::new(PythonModel::start("process-pool", workers)?),
            m => {
                return Err(Error::Config(format!(
                    "{m} is an echo-server design: it runs only the tcp-echo workload"
                )));
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
            ModelKind::Async,
            ModelKind::AsyncBlocking,
            ModelKind::Gil,
            #[cfg(target_os = "linux")]
            ModelKind::ProcessesFork,
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
