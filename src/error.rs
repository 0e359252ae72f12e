//! The library's error type. Every variant names the value, file, process or cell it concerns, so
//! the binary can print it as one line. Mapping errors to exit codes is the binary's job.

use std::path::PathBuf;

/// Everything that can go wrong in the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A plan or option value that cannot be run (0 workers, 0 samples, …).
    #[error("{0}")]
    Config(String),
    /// Spawning a thread or process failed (often a limit: RLIMIT_NPROC, memory, file descriptors).
    #[error("cannot start {what}: {io}")]
    Spawn {
        /// What was being started.
        what: String,
        /// The OS error (in the message; not a `source`, or error chains would print it twice).
        io: std::io::Error,
    },
    /// A model cannot run on this machine (no Python interpreter, fork on a non-Unix system);
    /// the runner skips its cells with a notice.
    #[error("{0}")]
    Unavailable(String),
    /// No executable to run as a worker process was found.
    #[error(
        "cannot find the parbench worker binary ({0}); build it with `cargo build` or set PARBENCH_WORKER to its path"
    )]
    WorkerNotFound(String),
    /// A worker process sent or received something outside the protocol.
    #[error("worker protocol error: {0}")]
    Protocol(String),
    /// A worker process reported that its task failed.
    #[error("worker process {pid} failed on task {task}: {message}")]
    WorkerFailed {
        /// The worker's pid.
        pid: u32,
        /// The task it was running.
        task: u64,
        /// What it said.
        message: String,
    },
    /// A worker process ended without sending the result it owed, or a pool worker ended
    /// between tasks.
    #[error("worker process {pid} exited ({status}){}", match task {
        Some(task) => format!(" without returning the result of task {task}"),
        None => " while idle in its pool".to_string(),
    })]
    WorkerDied {
        /// The worker's pid.
        pid: u32,
        /// The task it owed, if it owed one.
        task: Option<u64>,
        /// How it ended.
        status: String,
    },
    /// A model's batch checksum differs from the sequential reference: some task did not run,
    /// ran twice or computed something else.
    #[error(
        "checksum mismatch in {workload}/{model} with {workers} workers: expected {expected:#018x}, got {got:#018x}"
    )]
    ChecksumMismatch {
        /// Workload name.
        workload: String,
        /// Model name.
        model: String,
        /// Worker count.
        workers: usize,
        /// The sequential reference.
        expected: u64,
        /// What the model produced.
        got: u64,
    },
    /// A batch of an in-process model ran past its deadline: a task of a user's workload does
    /// not return, and no thread can be stopped, so the run stops.
    #[error(
        "{} did not finish within {after_s:.1} s; a thread of an in-process model cannot be stopped, so the run stops (the process models kill a hung worker at --task-timeout)",
        match tasks.as_slice() {
            [] => "a task of the batch".to_string(),
            [t] => format!("task {t}"),
            many => format!("tasks {}", many.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")),
        }
    )]
    BatchHung {
        /// The tasks running on a thread when the deadline passed.
        tasks: Vec<u64>,
        /// The deadline, seconds.
        after_s: f64,
    },
    /// A task of a user's workload panicked (caught: the pool or worker that ran it lives on).
    #[error("task {task} of {workload} panicked: {message}")]
    TaskPanicked {
        /// The workload.
        workload: String,
        /// The task index.
        task: u64,
        /// The panic's message.
        message: String,
    },
    /// A task failed without panicking: a `--command` program (its exit status and last
    /// stderr line, or the timeout that killed it), its `--setup` or `--prepare`, or a task
    /// that waited past the task timeout for a permit or a signal.
    #[error("{what}: {message}")]
    TaskFailed {
        /// "task 3", "--prepare".
        what: String,
        /// What happened, naming the command.
        message: String,
    },
    /// What a batch left in shared state is wrong (a shared counter that lost updates under a
    /// primitive that must not lose any).
    #[error("{0}")]
    WrongAnswer(String),
    /// A file that must not be replaced without `--force` exists.
    #[error("{} exists; pass --force to replace it", path.display())]
    Exists {
        /// The file.
        path: PathBuf,
    },
    /// Reading a file failed.
    #[error("cannot read {}: {io}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error (in the message; not a `source`, or error chains would print it twice).
        io: std::io::Error,
    },
    /// Standard output was closed by its reader (`parbench … | head -1`): not a failure, the
    /// binary stops there quietly, as other Unix tools do.
    #[error("standard output was closed")]
    OutputClosed,
    /// Writing a file failed.
    #[error("cannot write {}: {io}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The OS error (in the message; not a `source`, or error chains would print it twice).
        io: std::io::Error,
    },
    /// A file is not a parbench result file.
    #[error("{}: not a valid parbench result file: {detail}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// Drawing a chart failed.
    #[error("cannot render chart {0}")]
    Render(String),
    /// The run was stopped by SIGINT or SIGTERM.
    #[error("interrupted by signal {signal}")]
    Interrupted {
        /// The signal number (2: SIGINT, 15: SIGTERM).
        signal: i32,
    },
    /// A worker did not answer within the task timeout; it was killed.
    #[error(
        "worker process {pid} did not finish task {task} within the task timeout of {after_s:.1} s (killed; see --task-timeout)"
    )]
    TaskTimeout {
        /// The worker's pid.
        pid: u32,
        /// The task it was running.
        task: u64,
        /// The timeout, seconds.
        after_s: f64,
    },
    /// A failure inside one cell of a run, naming the cell. (Not a `#[source]`: the message
    /// already holds it, and error chains would print it twice.)
    #[error("{cell}: {inner}")]
    InCell {
        /// "cpu/processes N=2".
        cell: String,
        /// What went wrong.
        inner: Box<Error>,
    },
    /// A run that stopped after some results were saved (a failed cell, a signal).
    #[error("run stopped; what was measured is in {}: {inner}", saved.display())]
    Stopped {
        /// The result file holding what was measured.
        saved: PathBuf,
        /// Why it stopped.
        inner: Box<Error>,
    },
    /// A result file of a schema version this build does not read.
    #[error("{}: schema_version {found} is not supported (this parbench reads 1 to {supported})", path.display())]
    SchemaVersion {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: u64,
        /// The version this build reads.
        supported: u32,
    },
}

impl Error {
    /// The exit code a program reports it with: 128 + the signal when interrupted, 2 for bad
    /// options, files or input (the user's to fix), 1 for a run that failed.
    pub fn exit_code(&self) -> i32 {
        match self.root() {
            Error::Interrupted { signal } => 128 + signal.clamp(&1, &127),
            Error::Config(_)
            | Error::Read { .. }
            | Error::Parse { .. }
            | Error::SchemaVersion { .. }
            | Error::Exists { .. } => 2,
            _ => 1,
        }
    }

    /// The error itself, or the one inside [`Error::InCell`] or [`Error::Stopped`].
    pub fn root(&self) -> &Error {
        match self {
            Error::InCell { inner, .. } | Error::Stopped { inner, .. } => inner.root(),
            e => e,
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
