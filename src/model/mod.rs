//! Execution models: the ways of running a batch of tasks with at most N in flight.
//!
//! **One row per model.** Every model is one row of the table below ([`ModelSpec`]): its name,
//! what it is, the properties the rest of parbench reads (whether it keeps a pool, runs tasks in
//! other processes, how many threads it holds, how many tasks can wait or compute at once), its
//! colour in charts, whether this machine can run it, and how it starts. The row's struct has
//! no defaults, so a property left out fails to compile; the enum, [`ModelKind::ALL`] and the
//! names parsed on the command line are generated from the same rows. Adding a model is one
//! module implementing [`Executor`], one row, and one row in the tests' model lists.
//!
//! Each model lives in its own module. Anything long-lived (a pool of threads or processes) is
//! created when the model starts, outside the timed region, so its start-up cost can be reported
//! apart from per-batch cost. A model only runs tasks and returns the batch checksum; timing and
//! statistics belong to `measure`, echo servers (`tcp-echo`) to `net`.

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
mod static_split;
mod thread_pool;
mod threads;

pub use crate::exec::{BatchOutcome, Executor, ModelContext};
pub use async_rt::AsyncModel;
pub use gil::GilModel;
pub use process_pool::ProcessPoolModel;
pub use processes::ProcessesModel;
#[cfg(target_os = "linux")]
pub use processes_fork::ProcessesForkModel;
pub use python::PythonModel;
pub use rayon_pool::RayonModel;
pub use sequential::SequentialModel;
pub use static_split::StaticSplitModel;
pub use thread_pool::ThreadPoolModel;
pub use threads::ThreadsModel;

use crate::error::{Error, Result};
use crate::workload::WorkloadSpec;
use std::fmt;
use std::str::FromStr;

/// Whose code a model's tasks run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// parbench's own Rust tasks.
    Native,
    /// CPython running the lesson's code (`scripts/pylesson.py`); its baseline is `py-sequential`.
    Python,
    /// A `tcp-echo` server design only (see [`crate::net::EchoServer`]).
    EchoServer,
}

/// Threads a model keeps in parbench's own process with N workers (the limit checks use it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OwnThreads {
    /// None beyond the caller's.
    None,
    /// One (a supervisor or reader of other processes).
    One,
    /// This many per worker.
    PerWorker(usize),
}

/// How many tasks of a batch can wait (sleep) at once with N workers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waits {
    /// One: the tasks run one after another.
    One,
    /// N: each waiting task holds a worker.
    Workers,
    /// Every task of the batch: sleeps hold no thread.
    AllTasks,
}

/// How many tasks can compute at once with N workers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Computes {
    /// One at a time (a baseline, or under a GIL).
    One,
    /// min(N, cores).
    UpToCores,
}

/// How a model starts.
#[derive(Clone, Copy)]
pub enum Start {
    /// An executor of N workers for any workload but `tcp-echo`.
    Executor(fn(usize, &ModelContext) -> Result<Box<dyn Executor>>),
    /// Only as a `tcp-echo` server design, which [`crate::net`] starts.
    EchoServerOnly,
}

impl fmt::Debug for Start {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Start::Executor(_) => "Executor",
            Start::EchoServerOnly => "EchoServerOnly",
        })
    }
}

/// One model's row: everything parbench knows about it.
#[derive(Clone, Copy, Debug)]
pub struct ModelSpec {
    /// The command-line and JSON name.
    pub name: &'static str,
    /// One line for `--help`.
    pub summary: &'static str,
    /// Whose code its tasks run.
    pub family: Family,
    /// Whether the `quick` and `default` presets run it.
    pub in_presets: bool,
    /// Whether it keeps workers alive between batches (and so has a start-up cost).
    pub pool: bool,
    /// Whether its tasks run in other processes.
    pub other_processes: bool,
    /// Threads it keeps in parbench's own process.
    pub own_threads: OwnThreads,
    /// How many tasks can wait at once.
    pub waits: Waits,
    /// How many tasks can compute at once.
    pub computes: Computes,
    /// Whether it can serve `tcp-echo` (see [`crate::net::EchoServer`]).
    pub serves_tcp: bool,
    /// Whether it can run a `--command` workload: its tasks wait on a child from a thread or
    /// a future of this process (models whose tasks are processes of their own, or that
    /// simulate a GIL, have nothing to add to a program's own process).
    pub runs_programs: bool,
    /// Its colour in every chart (distinct per model).
    pub colour: (u8, u8, u8),
    /// What a task costs the model itself, seconds: its `noop` time per task at its best N on
    /// the 2-core VM parbench is developed on (`reports/vm`); the run's estimate uses it.
    pub task_cost_s: f64,
    /// Whether this machine can run it; the reason when not.
    pub available: fn() -> std::result::Result<(), String>,
    /// How it starts.
    pub start: Start,
}

fn always() -> std::result::Result<(), String> {
    Ok(())
}

fn fork_available() -> std::result::Result<(), String> {
    if cfg!(target_os = "linux") {
        Ok(())
    } else {
        Err("the fork start method is implemented for Linux only".into())
    }
}

fn linux_only() -> std::result::Result<(), String> {
    if cfg!(target_os = "linux") {
        Ok(())
    } else {
        Err("this design is implemented for Linux only".into())
    }
}

/// Whether this kernel lets this process use io_uring (too old a kernel, or a seccomp policy,
/// refuses it).
#[cfg(target_os = "linux")]
fn uring_available() -> std::result::Result<(), String> {
    io_uring::IoUring::new(8)
        .map(|_| ())
        .map_err(|e| format!("the kernel refuses io_uring here ({e})"))
}

#[cfg(not(target_os = "linux"))]
fn uring_available() -> std::result::Result<(), String> {
    linux_only()
}

#[cfg(target_os = "linux")]
fn start_fork(workers: usize, _: &ModelContext) -> Result<Box<dyn Executor>> {
    Ok(Box::new(ProcessesForkModel::new(workers)?))
}

#[cfg(not(target_os = "linux"))]
fn start_fork(_: usize, _: &ModelContext) -> Result<Box<dyn Executor>> {
    Err(Error::Unavailable(
        "processes-fork: the fork start method is implemented for Linux only".into(),
    ))
}

/// Generates [`ModelKind`] and its table from one list of rows.
macro_rules! models {
    ($( $(#[doc = $doc:literal])* $variant:ident => $spec:expr, )*) => {
        /// The execution models parbench knows, one per row of the table in [`crate::model`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ModelKind {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl ModelKind {
            /// Every model, in display order (the table's).
            pub const ALL: &'static [ModelKind] = &[ $( ModelKind::$variant, )* ];

            /// This model's row.
            pub fn spec(self) -> &'static ModelSpec {
                match self {
                    $( ModelKind::$variant => {
                        static SPEC: ModelSpec = $spec;
                        &SPEC
                    } )*
                }
            }
        }
    };
}

models! {
    /// All tasks one after another on the calling thread: the speedup baseline.
    Sequential => ModelSpec {
        name: "sequential",
        summary: "one task after another on the calling thread: the speedup baseline",
        family: Family::Native,
        in_presets: true,
        pool: false,
        other_processes: false,
        own_threads: OwnThreads::None,
        waits: Waits::One,
        computes: Computes::One,
        serves_tcp: false,
        runs_programs: true,
        colour: (110, 110, 110),
        task_cost_s: 1.4e-8,
        available: always,
        start: Start::Executor(|_, _| Ok(Box::new(SequentialModel))),
    },
    /// A new OS thread per task, at most N alive.
    Threads => ModelSpec {
        name: "threads",
        summary: "a new OS thread per task, at most N alive",
        family: Family::Native,
        in_presets: true,
        pool: false,
        other_processes: false,
        own_threads: OwnThreads::PerWorker(1),
        waits: Waits::Workers,
        computes: Computes::UpToCores,
        serves_tcp: false,
        runs_programs: true,
        colour: (214, 39, 40),
        task_cost_s: 2.6e-5,
        available: always,
        start: Start::Executor(|n, ctx| Ok(Box::new(ThreadsModel::new(n, ctx.stack_size)))),
    },
    /// N long-lived threads fed from a shared queue.
    ThreadPool => ModelSpec {
        name: "thread-pool",
        summary: "N long-lived threads fed from a shared queue",
        family: Family::Native,
        in_presets: true,
        pool: true,
        other_processes: false,
        own_threads: OwnThreads::PerWorker(1),
        waits: Waits::Workers,
        computes: Computes::UpToCores,
        serves_tcp: false,
        runs_programs: true,
        colour: (255, 127, 14),
        task_cost_s: 4.5e-7,
        available: always,
        start: Start::Executor(|n, ctx| Ok(Box::new(ThreadPoolModel::start(n, ctx.stack_size)?))),
    },
    /// A rayon thread pool of N threads (work stealing).
    Rayon => ModelSpec {
        name: "rayon",
        summary: "a rayon thread pool of N threads (work stealing)",
        family: Family::Native,
        in_presets: true,
        pool: true,
        other_processes: false,
        own_threads: OwnThreads::PerWorker(1),
        waits: Waits::Workers,
        computes: Computes::UpToCores,
        serves_tcp: false,
        runs_programs: true,
        colour: (44, 160, 44),
        task_cost_s: 4.5e-7,
        available: always,
        start: Start::Executor(|n, ctx| Ok(Box::new(RayonModel::start(n, ctx.stack_size)?))),
    },
    /// N long-lived threads, each handed a contiguous 1/N of the tasks up front.
    StaticSplit => ModelSpec {
        name: "static-split",
        summary: "N long-lived threads, each handed a contiguous 1/N of the tasks up front (no queue, no stealing)",
        family: Family::Native,
        in_presets: false,
        pool: true,
        other_processes: false,
        own_threads: OwnThreads::PerWorker(1),
        waits: Waits::Workers,
        computes: Computes::UpToCores,
        serves_tcp: false,
        runs_programs: true,
        colour: (255, 152, 150),
        task_cost_s: 2e-7,
        available: always,
        start: Start::Executor(|n, ctx| {
            Ok(Box::new(StaticSplitModel::start(n, ctx.stack_size)?))
        }),
    },
    /// A new OS process per task, at most N alive.
    Processes => ModelSpec {
        name: "processes",
        summary: "a new OS process per task (parbench re-executed), at most N alive",
        family: Family::Native,
        in_presets: true,
        pool: false,
        other_processes: true,
        own_threads: OwnThreads::One,
        waits: Waits::Workers,
        computes: Computes::UpToCores,
        serves_tcp: false,
        runs_programs: false,
        colour: (31, 119, 180),
        task_cost_s: 8e-4,
        available: always,
        start: Start::Executor(|n, ctx| Ok(Box::new(ProcessesModel::new(n, ctx.worker_exe()?)?))),
    },
    /// N long-lived worker processes fed over pipes.
    ProcessPool => ModelSpec {
        name: "process-pool",
        summary: "N long-lived worker processes fed over pipes",
        family: Family::Native,
        in_presets: true,
        pool: true,
        other_processes: true,
        own_threads: OwnThreads::One,
        waits: Waits::Workers,
        computes: Computes::UpToCores,
        serves_tcp: false,
        runs_programs: false,
        colour: (148, 103, 189),
        task_cost_s: 1e-5,
        available: always,
        start: Start::Executor(|n, ctx| {
            Ok(Box::new(ProcessPoolModel::start(n, ctx.worker_exe()?)?))
        }),
    },
    /// tokio tasks on N runtime threads; compute runs inline (blocking a worker).
    Async => ModelSpec {
        name: "async",
        summary: "tokio tasks on N runtime threads, compute inline; tokio's echo server",
        family: Family::Native,
        in_presets: true,
        pool: true,
        other_processes: false,
        own_threads: OwnThreads::PerWorker(1),
        waits: Waits::AllTasks,
        computes: Computes::UpToCores,
        serves_tcp: true,
        runs_programs: true,
        colour: (140, 86, 75),
        task_cost_s: 1e-6,
        available: always,
        start: Start::Executor(|n, ctx| {
            Ok(Box::new(AsyncModel::start(n, false, ctx.stack_size)?))
        }),
    },
    /// tokio tasks on N runtime threads; compute goes through `spawn_blocking` (N threads).
    AsyncBlocking => ModelSpec {
        name: "async-blocking",
        summary: "as async, compute through spawn_blocking (at most N blocking threads)",
        family: Family::Native,
        in_presets: true,
        pool: true,
        other_processes: false,
        own_threads: OwnThreads::PerWorker(2),
        waits: Waits::AllTasks,
        computes: Computes::UpToCores,
        serves_tcp: false,
        runs_programs: false,
        colour: (227, 119, 194),
        task_cost_s: 1e-6,
        available: always,
        start: Start::Executor(|n, ctx| Ok(Box::new(AsyncModel::start(n, true, ctx.stack_size)?))),
    },
    /// N threads sharing one simulated global interpreter lock.
    Gil => ModelSpec {
        name: "gil",
        summary: "N threads sharing one simulated global interpreter lock",
        family: Family::Native,
        in_presets: true,
        pool: true,
        other_processes: false,
        own_threads: OwnThreads::PerWorker(1),
        waits: Waits::Workers,
        computes: Computes::One,
        serves_tcp: false,
        runs_programs: false,
        colour: (188, 189, 34),
        task_cost_s: 7e-7,
        available: always,
        start: Start::Executor(|n, ctx| {
            Ok(Box::new(GilModel::start(n, ctx.switch_interval, ctx.stack_size)?))
        }),
    },
    /// A forked OS process per task, at most N alive (the fork start method).
    ProcessesFork => ModelSpec {
        name: "processes-fork",
        summary: "a forked OS process per task, at most N alive (Linux)",
        family: Family::Native,
        in_presets: false,
        pool: false,
        other_processes: true,
        own_threads: OwnThreads::One,
        waits: Waits::Workers,
        computes: Computes::UpToCores,
        serves_tcp: false,
        runs_programs: false,
        colour: (23, 190, 207),
        task_cost_s: 5e-4,
        available: fork_available,
        start: Start::Executor(start_fork),
    },
    /// CPython: every task in turn (the baseline of the `py-*` models).
    PySequential => ModelSpec {
        name: "py-sequential",
        summary: "CPython: every task in turn (the py-* baseline)",
        family: Family::Python,
        in_presets: false,
        pool: true,
        other_processes: true,
        own_threads: OwnThreads::One,
        waits: Waits::One,
        computes: Computes::One,
        serves_tcp: false,
        runs_programs: false,
        colour: (60, 60, 60),
        task_cost_s: 2e-7,
        available: python::check_interpreter,
        start: Start::Executor(|_, _| Ok(Box::new(PythonModel::start("sequential", 1)?))),
    },
    /// CPython: a `threading.Thread` per task, at most N alive.
    PyThreads => ModelSpec {
        name: "py-threads",
        summary: "CPython: a threading.Thread per task, at most N alive",
        family: Family::Python,
        in_presets: false,
        pool: true,
        other_processes: true,
        own_threads: OwnThreads::One,
        waits: Waits::Workers,
        computes: Computes::One,
        serves_tcp: false,
        runs_programs: false,
        colour: (150, 20, 20),
        task_cost_s: 1e-4,
        available: python::check_interpreter,
        start: Start::Executor(|n, _| Ok(Box::new(PythonModel::start("threads", n)?))),
    },
    /// CPython: a `multiprocessing.Process` per task, at most N alive.
    PyProcesses => ModelSpec {
        name: "py-processes",
        summary: "CPython: a multiprocessing.Process per task, at most N alive",
        family: Family::Python,
        in_presets: false,
        pool: true,
        other_processes: true,
        own_threads: OwnThreads::One,
        waits: Waits::Workers,
        computes: Computes::UpToCores,
        serves_tcp: false,
        runs_programs: false,
        colour: (190, 95, 0),
        task_cost_s: 1e-2,
        available: python::check_interpreter,
        start: Start::Executor(|n, _| Ok(Box::new(PythonModel::start("processes", n)?))),
    },
    /// CPython: `ThreadPoolExecutor(N)`.
    PyThreadPool => ModelSpec {
        name: "py-thread-pool",
        summary: "CPython: ThreadPoolExecutor(N)",
        family: Family::Python,
        in_presets: false,
        pool: true,
        other_processes: true,
        own_threads: OwnThreads::One,
        waits: Waits::Workers,
        computes: Computes::One,
        serves_tcp: false,
        runs_programs: false,
        colour: (20, 110, 20),
        task_cost_s: 5e-5,
        available: python::check_interpreter,
        start: Start::Executor(|n, _| Ok(Box::new(PythonModel::start("thread-pool", n)?))),
    },
    /// CPython: `ProcessPoolExecutor(N)`.
    PyProcessPool => ModelSpec {
        name: "py-process-pool",
        summary: "CPython: ProcessPoolExecutor(N)",
        family: Family::Python,
        in_presets: false,
        pool: true,
        other_processes: true,
        own_threads: OwnThreads::One,
        waits: Waits::Workers,
        computes: Computes::UpToCores,
        serves_tcp: false,
        runs_programs: false,
        colour: (0, 60, 130),
        task_cost_s: 2e-4,
        available: python::check_interpreter,
        start: Start::Executor(|n, _| Ok(Box::new(PythonModel::start("process-pool", n)?))),
    },
    /// `tcp-echo` server: a thread per connection, blocking reads.
    BlockingThreads => ModelSpec {
        name: "blocking-threads",
        summary: "tcp-echo server: a thread per connection, blocking reads",
        family: Family::EchoServer,
        in_presets: false,
        pool: true,
        other_processes: false,
        own_threads: OwnThreads::PerWorker(1),
        waits: Waits::Workers,
        computes: Computes::UpToCores,
        serves_tcp: true,
        runs_programs: false,
        colour: (0, 128, 128),
        task_cost_s: 3e-5,
        available: always,
        start: Start::EchoServerOnly,
    },
    /// `tcp-echo` server: one thread busy-looping over non-blocking sockets.
    NonblockingPoll => ModelSpec {
        name: "nonblocking-poll",
        summary: "tcp-echo server: one thread busy-looping over non-blocking sockets",
        family: Family::EchoServer,
        in_presets: false,
        pool: true,
        other_processes: false,
        own_threads: OwnThreads::PerWorker(1),
        waits: Waits::Workers,
        computes: Computes::UpToCores,
        serves_tcp: true,
        runs_programs: false,
        colour: (128, 128, 0),
        task_cost_s: 3e-5,
        available: always,
        start: Start::EchoServerOnly,
    },
    /// `tcp-echo` server: one thread waiting for readiness with mio (epoll / kqueue).
    Multiplexing => ModelSpec {
        name: "multiplexing",
        summary: "tcp-echo server: one thread waiting for readiness with mio (epoll)",
        family: Family::EchoServer,
        in_presets: false,
        pool: true,
        other_processes: false,
        own_threads: OwnThreads::PerWorker(1),
        waits: Waits::Workers,
        computes: Computes::UpToCores,
        serves_tcp: true,
        runs_programs: false,
        colour: (120, 40, 140),
        task_cost_s: 3e-5,
        available: always,
        start: Start::EchoServerOnly,
    },
    /// `tcp-echo` server: one thread told by a real-time signal which socket is ready (Linux).
    SignalDriven => ModelSpec {
        name: "signal-driven",
        summary: "tcp-echo server: one thread told by a signal which socket is ready (O_ASYNC, F_SETSIG; Linux)",
        family: Family::EchoServer,
        in_presets: false,
        pool: true,
        other_processes: false,
        own_threads: OwnThreads::PerWorker(1),
        waits: Waits::Workers,
        computes: Computes::UpToCores,
        serves_tcp: true,
        runs_programs: false,
        colour: (200, 80, 0),
        task_cost_s: 3e-5,
        available: linux_only,
        start: Start::EchoServerOnly,
    },
    /// `tcp-echo` server: one thread submitting reads and writes the kernel completes (Linux).
    IoUring => ModelSpec {
        name: "io-uring",
        summary: "tcp-echo server: one thread submitting reads and writes the kernel completes (io_uring; Linux)",
        family: Family::EchoServer,
        in_presets: false,
        pool: true,
        other_processes: false,
        own_threads: OwnThreads::PerWorker(1),
        waits: Waits::Workers,
        computes: Computes::UpToCores,
        serves_tcp: true,
        runs_programs: false,
        colour: (0, 90, 200),
        task_cost_s: 3e-5,
        available: uring_available,
        start: Start::EchoServerOnly,
    },
}

impl ModelKind {
    /// The command-line and JSON name.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The models the `quick` and `default` presets run: the Rust ones (no CPython, whose CPU
    /// task is 30–50× slower, and no fork variant, which `--start-method` adds).
    pub fn in_presets() -> Vec<ModelKind> {
        Self::ALL
            .iter()
            .copied()
            .filter(|m| m.spec().in_presets)
            .collect()
    }

    /// Whether the model can serve the `tcp-echo` workload.
    pub fn serves_tcp(self) -> bool {
        self.spec().serves_tcp
    }

    /// Whether the model runs only `tcp-echo` (an echo-server design).
    pub fn tcp_only(self) -> bool {
        matches!(self.spec().start, Start::EchoServerOnly)
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
        self == self.baseline()
    }

    /// The checksum a batch of `tasks` tasks of `spec` must produce under this model: the
    /// CPython models run the lesson's own loop, with its own checksum
    /// ([`crate::workload::python::lesson_batch_checksum`]); the others parbench's
    /// ([`WorkloadSpec::expected_batch_checksum`]).
    pub fn reference_checksum(self, spec: &WorkloadSpec, tasks: u64) -> Result<u64> {
        if self.is_python() {
            crate::workload::python::lesson_batch_checksum(spec, tasks).ok_or_else(|| {
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
        (self.spec().available)()
    }

    /// Whether the tasks run in CPython (`scripts/pylesson.py`).
    pub fn is_python(self) -> bool {
        self.spec().family == Family::Python
    }

    /// How many tasks of a batch of `tasks` can wait (sleep) at once with N = `workers`: all of
    /// them for the async models, whose sleeps hold no thread; otherwise N.
    pub fn concurrent_waits(self, workers: usize, tasks: u64) -> u64 {
        match self.spec().waits {
            Waits::One => 1,
            Waits::Workers => workers as u64,
            Waits::AllTasks => tasks.max(1),
        }
    }

    /// How many tasks can compute at once with N = `workers` on `cores` cores: one under a GIL
    /// (simulated or CPython's threads), else min(N, cores).
    pub fn concurrent_compute(self, workers: usize, cores: usize) -> usize {
        match self.spec().computes {
            Computes::One => 1,
            Computes::UpToCores => workers.min(cores).max(1),
        }
    }

    /// Whether the model keeps workers alive between batches (and so has a start-up cost).
    pub fn is_pool(self) -> bool {
        self.spec().pool
    }

    /// How many threads of parbench's own process a cell with N = `workers` keeps alive at
    /// once (the limit checks use it).
    pub fn threads_needed(self, workers: usize) -> usize {
        match self.spec().own_threads {
            OwnThreads::None => 0,
            OwnThreads::One => 1,
            OwnThreads::PerWorker(k) => k.saturating_mul(workers),
        }
    }

    /// Whether it can run a `--command` workload (see [`ModelSpec::runs_programs`]).
    pub fn runs_programs(self) -> bool {
        self.spec().runs_programs
    }

    /// Whether tasks run in other processes.
    pub fn uses_processes(self) -> bool {
        self.spec().other_processes
    }

    /// Starts this model with `workers` workers (ignored by `sequential`). Echo-server designs
    /// start through [`crate::net::EchoServer`].
    pub fn start(self, workers: usize, ctx: &ModelContext) -> Result<Box<dyn Executor>> {
        if workers == 0 {
            return Err(Error::Config(format!(
                "{}: worker count must be at least 1",
                self.name()
            )));
        }
        match self.spec().start {
            Start::Executor(start) => start(workers, ctx),
            Start::EchoServerOnly => Err(Error::Config(format!(
                "{self} is an echo-server design: it runs only the tcp-echo workload"
            ))),
        }
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
            .iter()
            .copied()
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

impl serde::Serialize for ModelKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for ModelKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for &k in ModelKind::ALL {
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
        let spec = WorkloadSpec::Cpu(crate::workload::MultiplyLoop::new(500));
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
    fn every_row_is_distinct_and_consistent() {
        let mut names: Vec<_> = ModelKind::ALL.iter().map(|m| m.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ModelKind::ALL.len(), "names are unique");
        let mut colours: Vec<_> = ModelKind::ALL.iter().map(|m| m.spec().colour).collect();
        colours.sort();
        colours.dedup();
        assert_eq!(colours.len(), ModelKind::ALL.len(), "colours are distinct");
        for m in ModelKind::ALL {
            let spec = m.spec();
            assert!(!spec.summary.is_empty(), "{m}");
            assert!(m.baseline().is_baseline(), "{m}");
            // An echo-server-only design serves tcp-echo and nothing else.
            assert_eq!(spec.family == Family::EchoServer, m.tcp_only(), "{m}");
            assert!(!m.tcp_only() || m.serves_tcp(), "{m}");
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
