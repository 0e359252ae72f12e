//! Workloads: what one task does, and the checksum that proves it ran.
//!
//! Each workload lives in its own module behind the [`Workload`] trait. A task is identified by its
//! index; its checksum depends on that index, so a task that ran twice or not at all changes the
//! batch checksum. [`WorkloadSpec`] is the serialisable description handed to threads and to worker
//! processes. This module does not time anything and knows nothing of execution models.

pub mod command;
pub mod python;
pub mod sizes;
pub mod user;

pub use command::Program;
pub use cpu::CHECK_EVERY;
pub use user::{Shape, UserRef};

use serde::{Deserialize, Serialize};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;

/// What one task of a workload does, and everything an execution model or a run's plan asks of
/// it. parbench's own workloads implement it (one file each, registered by one row of the `workloads!` table in this module), and so
/// does a user's ([`UserRef`], from [`crate::Harness`]). Checksums must be deterministic.
pub trait Workload {
    /// Runs task number `task` and returns its checksum.
    fn run_task(&self, task: u64) -> u64;

    /// The checksum `run_task(task)` must return, computed as cheaply as the workload allows
    /// (the sleep workload does not sleep for it; the CPU workload has to do the work).
    fn expected_checksum(&self, task: u64) -> u64 {
        self.run_task(task)
    }

    /// Runs one task, letting `hooks` step in between compute chunks and around blocking (see
    /// [`TaskHooks`]); same checksum as [`Workload::run_task`]. By default the task is one
    /// compute chunk the hooks cannot interrupt.
    fn run_hooked(&self, task: u64, hooks: &mut dyn TaskHooks) -> u64 {
        let _ = hooks;
        self.run_task(task)
    }

    /// One task as the async models run it: waits are awaited, compute goes through `compute`
    /// (inline on the runtime's thread, or on its blocking pool, as the model says).
    fn run_async(&self, task: u64, compute: Offload) -> AsyncTask;

    /// Whether tasks compute from start to end (Amdahl's law and the cores bound the speedup).
    fn computes(&self) -> bool;

    /// The time one task takes by construction, seconds, where the workload fixes it (`io`: the
    /// sleep): the ideal sequential time of a batch is `tasks` times this when no sequential
    /// run was measured, and it lengthens the task timeout.
    fn nominal_task_s(&self) -> Option<f64> {
        None
    }

    /// What one task takes here as far as is known before running it, seconds: its nominal
    /// time by default; the multiply loop's steps × `ns_per_step()` (asked for only when
    /// needed). `None`: unknown until it runs (a user's compute) or nothing to speak of.
    fn estimated_task_s(&self, ns_per_step: &mut dyn FnMut() -> f64) -> Option<f64> {
        let _ = ns_per_step;
        self.nominal_task_s()
    }

    /// The lesson's CPython worker's name and parameter for this workload, where it has one.
    fn python(&self) -> Option<(&'static str, u64)> {
        None
    }

    /// The checksum of task `task` as the CPython worker computes it ([`Workload::python`]).
    fn python_checksum(&self, task: u64) -> u64 {
        self.expected_checksum(task)
    }

    /// Why these parameters cannot run, in one line naming the flag.
    fn check(&self) -> Result<(), String> {
        Ok(())
    }

    /// Takes the command-line parameters that are its own.
    fn set(&mut self, params: &Params) {
        let _ = params;
    }

    /// The plan's tasks per batch, for a workload whose task sizes are spread over the batch
    /// (`--task-sizes`, `--order`: see [`sizes`]); the others ignore it.
    fn set_tasks(&mut self, tasks: u64) {
        let _ = tasks;
    }

    /// Its task sizes and order, for a workload whose tasks take a size.
    fn sizes(&self) -> Option<sizes::Sizes> {
        None
    }

    /// Sizes itself for this machine, given the nanoseconds a multiply step takes (asked for
    /// only when needed: timing it takes a while). Returns whether it did.
    fn calibrate(&mut self, ns_per_step: &mut dyn FnMut() -> f64) -> bool {
        let _ = ns_per_step;
        false
    }

    /// Whether a task runs another program (`--command`): only the models that wait on
    /// children in this process may run it (the plan refuses the others).
    fn starts_programs(&self) -> bool {
        false
    }

    /// Untimed, once per cell before its first batch (`--setup`).
    fn setup(&self) -> crate::Result<()> {
        Ok(())
    }

    /// Untimed, before every batch of `tasks` tasks: a command's `--prepare`; state the tasks
    /// share, reset.
    fn prepare(&self, tasks: u64) -> crate::Result<()> {
        let _ = tasks;
        Ok(())
    }

    /// How long a task may run before it is stopped, for a workload that can stop its own
    /// tasks (a command's child is killed); the others ignore it.
    fn set_task_timeout(&self, timeout: std::time::Duration) {
        let _ = timeout;
    }

    /// Whether the tasks of a batch share state in this process's memory (a counter): models
    /// that run tasks in other processes cannot share it, and the runner skips them.
    fn shares_memory(&self) -> bool {
        false
    }

    /// Untimed, after every batch of `tasks` tasks: checks what the batch left in shared state
    /// ([`Workload::shares_memory`]). `Err`: the answer is wrong and the cell fails;
    /// `Ok(Some([lost, of]))`: `lost` of the batch's `of` updates lost, recorded rather than
    /// failed (`--sync racy`, whose wrong answer is the point).
    fn verify_batch(&self, tasks: u64) -> Result<Option<[u64; 2]>, String> {
        let _ = tasks;
        Ok(None)
    }

    /// Untimed, after every batch: latencies its tasks measured themselves, nanoseconds (the
    /// wake latencies of `event`'s waiters); `None` for workloads that measure none.
    fn take_latencies_ns(&self) -> Option<Vec<u64>> {
        None
    }

    /// Untimed, after every batch: how its queue was used (`pipeline`); `None` for workloads
    /// without one.
    fn take_queue_use(&self) -> Option<QueueUse> {
        None
    }

    /// Whether a batch is one task per worker, all running together (`pipeline`: its tasks are
    /// its producers and consumers): a cell of N runs N tasks, whatever the plan's task count.
    fn one_task_per_worker(&self) -> bool {
        false
    }
}

/// How a batch used its queue ([`Workload::take_queue_use`]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueueUse {
    /// Items the batch carried.
    pub items: u64,
    /// The share of the producers' time they waited on a full queue (`None`: no producer
    /// of its own, one task doing both).
    pub full_share: Option<f64>,
    /// The share of the consumers' time they waited on an empty queue.
    pub empty_share: Option<f64>,
}

/// A task's future under the async models.
pub type AsyncTask = Pin<Box<dyn Future<Output = crate::Result<u64>> + Send>>;

/// How an async model runs a task's compute ([`Workload::run_async`]).
pub type Offload = fn(Box<dyn FnOnce() -> u64 + Send>) -> AsyncTask;

/// The parameters the command line sets (`--iterations`, `--sleep-ms`, …): each workload takes
/// its own ([`Workload::set`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct Params {
    /// `--iterations`: multiply steps per task.
    pub iterations: Option<u64>,
    /// `--sleep-ms`: the sleep per task.
    pub sleep_ms: Option<u64>,
    /// `--cpu-ms`: compute per task.
    pub cpu_ms: Option<u64>,
    /// `--io-ms`: the wait per task after its compute.
    pub io_ms: Option<u64>,
    /// `--message-bytes`: bytes per echoed message.
    pub message_bytes: Option<u64>,
    /// `--sync`: the primitive of `contention`.
    pub sync: Option<contention::Sync>,
    /// `--updates`: updates of the shared counter per task.
    pub updates: Option<u64>,
    /// `--permits`: permits of `semaphore`.
    pub permits: Option<u64>,
    /// `--signal-after-ms`: how long `event`'s waiters wait for another arrival.
    pub signal_after_ms: Option<u64>,
    /// `--queue`: `pipeline`'s queue.
    pub queue: Option<pipeline::Queue>,
    /// `--capacity`: the items `pipeline`'s queue holds.
    pub capacity: Option<u64>,
    /// `--items`: items per `pipeline` batch.
    pub items: Option<u64>,
    /// `--item-us`: the work of one `pipeline` item, microseconds.
    pub item_us: Option<u64>,
    /// `--producers`: `pipeline`'s producers.
    pub producers: Option<u64>,
    /// `--shutdown`: how `pipeline`'s consumers learn the items are done.
    pub shutdown: Option<pipeline::Shutdown>,
    /// `--task-sizes`: how the sizes of `cpu`, `io` and `mixed` tasks spread.
    pub task_sizes: Option<sizes::Dist>,
    /// `--order`: the order their tasks are handed out in.
    pub order: Option<sizes::Order>,
    /// `--size-seed`: the seed of their sizes and of the `random` order.
    pub size_seed: Option<u64>,
}

impl Params {
    /// The sizes these parameters ask for, starting from `s`.
    pub fn sizes(&self, s: sizes::Sizes) -> sizes::Sizes {
        sizes::Sizes {
            dist: self.task_sizes.unwrap_or(s.dist),
            order: self.order.unwrap_or(s.order),
            seed: self.size_seed.unwrap_or(s.seed),
            tasks: s.tasks,
        }
    }
}

/// One of parbench's own workloads: a [`Workload`] and its [`Reading`], with a default size.
/// Registered by one row of the `workloads!` table in `src/workload/mod.rs`.
pub trait Builtin: Workload + Reading + Sized {
    /// The default workload on a machine whose worker sweep ends at `max_workers`, for a batch of
    /// about `batch_ms` on one worker, and its tasks per batch.
    fn sized(max_workers: u64, batch_ms: u64) -> (Self, u64);
}

/// How a workload's results are read: what a batch is, the ideal a model could reach, what
/// tables show beside the measured, and what its verdict is called. One implementation per
/// workload, in its own file; results, tables, charts and verdicts ask this instead of
/// matching on the workload.
pub trait Reading {
    /// A batch in words: "12 tasks × 10000000 multiplies".
    fn describe(&self, tasks: u64) -> String;
    /// The ideal of a batch run by a model that lets `b.waits` tasks wait and `b.computes`
    /// compute at once, where one is known.
    fn ideal(&self, b: &Batch) -> Ideal;
    /// The figure tables show beside each cell's median.
    fn column(&self) -> Column;
    /// How its verdict opens: "CPU-bound".
    fn title(&self) -> String;
    /// The legend of the dashed ideal line of a speedup chart (`time` false) or of a wall-time
    /// chart (`time` true); `None`: no such line.
    fn ideal_label(&self, time: bool) -> Option<&'static str> {
        (!time).then_some("ideal")
    }
    /// Why the speedup still grows at the largest worker count tried, on a machine of
    /// `logical_cores`: the end of its verdict.
    fn still_growing(&self, logical_cores: usize) -> String {
        let _ = logical_cores;
        "so more workers may help".into()
    }
    /// What to do with the worker count a verdict found best, in words, where the workload
    /// has advice to give ("Run 2 at once (xargs -P 2, …)." for a command).
    fn advice(&self, workers: usize) -> Option<String> {
        let _ = workers;
        None
    }
}

/// A batch as [`Reading::ideal`] sees it.
#[derive(Clone, Copy, Debug)]
pub struct Batch {
    /// Tasks in the batch.
    pub tasks: u64,
    /// Tasks that can wait (sleep) at once.
    pub waits: u64,
    /// Tasks that can compute at once.
    pub computes: usize,
    /// N.
    pub workers: usize,
}

/// The ideal of a batch: its time and its speedup over one task after another.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Ideal {
    /// Seconds, where the task's time is known by construction.
    pub time_s: Option<f64>,
    /// The speedup bound.
    pub speedup: Option<f64>,
}

impl Ideal {
    /// `tasks` tasks of `task_s` each, in waves of `waits` at once.
    pub fn waves(tasks: u64, waits: u64, task_s: f64) -> Ideal {
        let waves = tasks.div_ceil(waits.max(1)) as f64;
        Ideal {
            time_s: Some(waves * task_s),
            speedup: Some(tasks as f64 / waves),
        }
    }
}

/// What tables show beside a cell's median.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    /// The ideal speedup.
    IdealSpeedup,
    /// The ideal time and the overhead over it.
    IdealTime,
    /// The median per task: what a model costs per task.
    PerTask,
    /// Round trips per second, latency percentiles and server CPU (`tcp-echo`).
    Network,
}

/// Points inside a task where an execution model may step in. The simulated GIL uses them to
/// hand its lock over between compute chunks and to release it around a blocking sleep; every
/// other model runs tasks with [`NoHooks`]. Hooks never change a task's checksum.
pub trait TaskHooks {
    /// Called after every chunk of [`CHECK_EVERY`] compute steps.
    fn check(&mut self) {}
    /// The task is about to block (sleep).
    fn blocking_begin(&mut self) {}
    /// The task has stopped blocking.
    fn blocking_end(&mut self) {}
}

/// Runs `f`, a task that blocks from start to end, between `hooks.blocking_begin()` and
/// `hooks.blocking_end()` (the gil model releases its lock around it).
pub fn blocking(hooks: &mut dyn TaskHooks, f: impl FnOnce() -> u64) -> u64 {
    hooks.blocking_begin();
    let c = f();
    hooks.blocking_end();
    c
}

/// How long a task of a workload whose tasks wait for each other may wait in all: its task
/// timeout ([`Workload::set_task_timeout`]), one minute until the runner sets it.
pub(crate) struct WaitLimit(std::sync::atomic::AtomicU64);

impl WaitLimit {
    /// One minute.
    pub(crate) const fn new() -> Self {
        WaitLimit(std::sync::atomic::AtomicU64::new(60_000_000_000))
    }

    /// Takes the task timeout.
    pub(crate) fn set(&self, timeout: std::time::Duration) {
        let ns = u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX).max(1);
        self.0.store(ns, std::sync::atomic::Ordering::Relaxed);
    }

    /// The limit.
    pub(crate) fn get(&self) -> std::time::Duration {
        std::time::Duration::from_nanos(self.0.load(std::sync::atomic::Ordering::Relaxed))
    }
}

/// `Err` naming `flag` when `ms` is more than a day: no task is meant to last that long, and
/// durations derived from it must not overflow.
pub(crate) fn at_most_a_day(flag: &str, ms: u64) -> Result<(), String> {
    if ms > 86_400_000 {
        return Err(format!("{flag} {ms} is more than a day"));
    }
    Ok(())
}

/// Hooks that do nothing.
pub struct NoHooks;
impl TaskHooks for NoHooks {}

/// A workload's choice of a command-line flag (`--sync mutex`, `--queue crossbeam`): one row per
/// value, `Variant = "name"`, generating the enum, its names, `ALL`, `Display` and a `FromStr`
/// whose error names the flag and the values it takes.
macro_rules! choice {
    ($(#[$meta:meta])* $vis:vis enum $name:ident ($flag:literal) {
        $($(#[$doc:meta])* $variant:ident = $text:literal,)*
    }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        $vis enum $name {
            $($(#[$doc])* #[serde(rename = $text)] $variant,)*
        }

        impl $name {
            /// Every value, in the order tables show them.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The command-line name.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                $name::ALL.iter().copied().find(|x| x.name() == s).ok_or_else(|| {
                    let names: Vec<&str> = $name::ALL.iter().map(|x| x.name()).collect();
                    format!(concat!("unknown ", $flag, " '{}' (expected one of: {})"), s, names.join(", "))
                })
            }
        }
    };
}
pub(crate) use choice;

/// The registry of parbench's own workloads: one row each, `Variant = "name" => module::Type`,
/// declaring the module (its own file), the [`WorkloadKind`] and [`WorkloadSpec`] variants and
/// every dispatch. A type without a [`Builtin`] impl does not compile.
macro_rules! workloads {
    ($($(#[$doc:meta])* $variant:ident = $name:literal => $module:ident :: $ty:ident,)*) => {
        $(pub mod $module; pub use $module::$ty;)*

        /// The name of a workload, as used on the command line and in result files: one of
        /// parbench's own, or a user's ([`crate::Harness`]).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum WorkloadKind {
            $($(#[$doc])* $variant,)*
            /// A user's workload, by its name.
            User(UserRef),
        }

        /// A workload with its parameters: everything a thread or a worker process needs to
        /// run a task. In files: `{"kind": "<name>", <its parameters>}`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "kind")]
        pub enum WorkloadSpec {
            $($(#[$doc])* #[serde(rename = $name)] $variant($ty),)*
            /// A user's workload ([`crate::Harness`]): `{"kind": "user", "name": …, "shape": …}`.
            #[serde(rename = "user")]
            User(UserRef),
        }

        impl WorkloadKind {
            /// parbench's own workloads, in display order.
            pub const ALL: &'static [WorkloadKind] = &[$(WorkloadKind::$variant),*];

            /// The command-line and JSON name.
            pub fn name(self) -> &'static str {
                match self {
                    $(WorkloadKind::$variant => $name,)*
                    WorkloadKind::User(u) => u.name(),
                }
            }

            /// Its default size on a machine whose sweep ends at `max_workers`, for a batch of
            /// about `batch_ms` on one worker: the spec and its tasks per batch. A user's
            /// workload gets twice the largest N, at least 16 tasks.
            pub fn sized(self, max_workers: u64, batch_ms: u64) -> (WorkloadSpec, u64) {
                match self {
                    $(WorkloadKind::$variant => {
                        let (w, tasks) = <$ty as Builtin>::sized(max_workers, batch_ms);
                        (WorkloadSpec::$variant(w), tasks)
                    })*
                    WorkloadKind::User(u) => (WorkloadSpec::User(u), 16u64.max(2 * max_workers)),
                }
            }
        }

        impl WorkloadSpec {
            /// Which workload this is.
            pub fn kind(&self) -> WorkloadKind {
                match self {
                    $(WorkloadSpec::$variant(_) => WorkloadKind::$variant,)*
                    WorkloadSpec::User(u) => WorkloadKind::User(*u),
                }
            }

            /// The workload itself.
            pub fn workload(&self) -> &dyn Workload {
                match self {
                    $(WorkloadSpec::$variant(w) => w,)*
                    WorkloadSpec::User(u) => u,
                }
            }

            /// The workload itself, to set its parameters.
            pub fn workload_mut(&mut self) -> &mut dyn Workload {
                match self {
                    $(WorkloadSpec::$variant(w) => w,)*
                    WorkloadSpec::User(u) => u,
                }
            }

            /// How its results are read (see [`Reading`]).
            pub fn reading(&self) -> &dyn Reading {
                match self {
                    $(WorkloadSpec::$variant(w) => w,)*
                    WorkloadSpec::User(u) => u,
                }
            }
        }

        $(impl From<$ty> for WorkloadSpec {
            fn from(w: $ty) -> Self {
                WorkloadSpec::$variant(w)
            }
        })*
    };
}

workloads! {
    /// The lesson's CPU-bound multiply loop.
    Cpu = "cpu" => cpu::MultiplyLoop,
    /// The lesson's IO-bound sleep.
    Io = "io" => io::SleepIo,
    /// An empty task: what the model itself costs per task.
    Noop = "noop" => noop::Noop,
    /// Compute for `--cpu-ms`, then sleep `--io-ms`.
    Mixed = "mixed" => mixed::Mixed,
    /// Round trips to an upper-casing TCP echo server over loopback.
    TcpEcho = "tcp-echo" => tcp_echo::TcpEcho,
    /// Every task updates one shared counter under a lock, an atomic, shards or no sync at all.
    Contention = "contention" => contention::Contention,
    /// Every task holds one of `--permits` permits around a sleep.
    Semaphore = "semaphore" => semaphore::Semaphore,
    /// Waiters released together by one signal: the wake latency.
    Event = "event" => event::Event,
    /// Producers and consumers over a bounded queue.
    Pipeline = "pipeline" => pipeline::Pipeline,
}

impl WorkloadKind {
    /// This workload at its default size: for what does not depend on the size.
    pub fn spec(self) -> WorkloadSpec {
        self.sized(1, 800).0
    }

    /// Whether its tasks compute from start to end: Amdahl's law and the cores bound its
    /// speedup.
    pub fn computes(self) -> bool {
        self.spec().workload().computes()
    }

    /// What tables show beside its medians.
    pub fn column(self) -> Column {
        self.spec().reading().column()
    }

    /// Whether a speedup over sequential means anything (not for empty tasks, whose cells
    /// show their cost per task instead).
    pub fn has_speedup(self) -> bool {
        self.column() != Column::PerTask
    }

    /// Whether its tasks are round trips to a server of the model's design, N its
    /// connections (`tcp-echo`), rather than tasks run by N workers.
    pub fn over_network(self) -> bool {
        self.column() == Column::Network
    }
}

impl fmt::Display for WorkloadKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for WorkloadKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        WorkloadKind::ALL
            .iter()
            .copied()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = WorkloadKind::ALL.iter().map(|k| k.name()).collect();
                format!(
                    "unknown workload '{s}' (expected one of: {})",
                    names.join(", ")
                )
            })
    }
}

impl Serialize for WorkloadKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for WorkloadKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        if let Ok(k) = name.parse() {
            return Ok(k);
        }
        // A user's workload: the name alone (its spec, beside it in a file, says the rest).
        user::check_name(&name).map_err(serde::de::Error::custom)?;
        Ok(WorkloadKind::User(user::by_name(
            &name,
            Shape::Compute,
            None,
        )))
    }
}

impl WorkloadSpec {
    /// Runs one task of this workload (stamped for the batch's clock, [`crate::taskclock`]).
    pub fn run_task(&self, task: u64) -> u64 {
        let began = crate::taskclock::begin();
        let c = self.workload().run_task(task);
        crate::taskclock::end(began);
        c
    }

    /// Runs one task, letting `hooks` step in (see [`Workload::run_hooked`]).
    pub fn run_task_hooked(&self, task: u64, hooks: &mut dyn TaskHooks) -> u64 {
        let began = crate::taskclock::begin();
        let c = self.workload().run_hooked(task, hooks);
        crate::taskclock::end(began);
        c
    }

    /// Its task sizes and order, where its tasks take a size ([`Workload::sizes`]).
    pub fn sizes(&self) -> Option<sizes::Sizes> {
        self.workload().sizes()
    }

    /// Whether its tasks' completion times mean something: not for tasks that cost nothing or
    /// only wait for each other (their tables show the time per task), nor for a batch of
    /// one task per worker (the roles of a pipeline).
    pub fn times_tasks(&self) -> bool {
        self.reading().column() != Column::PerTask
            && !self.kind().over_network()
            && !self.workload().one_task_per_worker()
    }

    /// "12 tasks × 10000000 multiplies", for tables and chart captions.
    pub fn describe(&self, tasks: u64) -> String {
        self.reading().describe(tasks)
    }

    /// See [`Workload::nominal_task_s`].
    pub fn nominal_task_s(&self) -> Option<f64> {
        self.workload().nominal_task_s()
    }

    /// The checksum of one task, see [`Workload::expected_checksum`].
    pub fn expected_checksum(&self, task: u64) -> u64 {
        self.workload().expected_checksum(task)
    }

    /// The checksum a whole batch of `tasks` tasks must produce, whatever the order they ran in.
    pub fn expected_batch_checksum(&self, tasks: u64) -> u64 {
        (0..tasks).fold(0, |acc, t| combine(acc, self.expected_checksum(t)))
    }
}

/// Folds one task's checksum into a batch checksum. Order-independent (tasks finish in any order
/// under a parallel model) but sensitive to a missing or duplicated task.
pub fn combine(acc: u64, task_checksum: u64) -> u64 {
    acc.wrapping_add(task_checksum)
}

/// SplitMix64 finaliser: spreads a task index over all 64 bits so checksums of different tasks
/// do not cancel out when added.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_checksum_is_order_independent_and_counts_every_task() {
        let spec = WorkloadSpec::Noop(Noop);
        let forward = (0..10).fold(0, |a, t| combine(a, spec.run_task(t)));
        let backward = (0..10).rev().fold(0, |a, t| combine(a, spec.run_task(t)));
        assert_eq!(forward, backward);
        assert_eq!(forward, spec.expected_batch_checksum(10));
        let duplicated = combine(forward, spec.run_task(3));
        assert_ne!(duplicated, forward);
    }

    #[test]
    fn kinds_parse_and_print() {
        for &k in WorkloadKind::ALL {
            assert_eq!(k.name().parse::<WorkloadKind>().unwrap(), k);
        }
        assert!(
            "disk"
                .parse::<WorkloadKind>()
                .unwrap_err()
                .contains("'disk'")
        );
    }

    #[test]
    fn spec_round_trips_through_json() {
        for spec in [
            WorkloadSpec::Cpu(MultiplyLoop::new(7)),
            WorkloadSpec::Io(SleepIo::new(3)),
            WorkloadSpec::Noop(Noop),
            WorkloadSpec::Mixed(Mixed {
                cpu_ms: 5,
                io_ms: 20,
                iterations: 123,
                sizes: Default::default(),
            }),
            WorkloadSpec::TcpEcho(TcpEcho { message_bytes: 9 }),
        ] {
            let text = serde_json::to_string(&spec).unwrap();
            assert_eq!(serde_json::from_str::<WorkloadSpec>(&text).unwrap(), spec);
        }
        // The files written before workloads were a registry read the same.
        for (text, spec) in [
            (
                r#"{"kind":"cpu","iterations":7}"#,
                WorkloadSpec::Cpu(MultiplyLoop::new(7)),
            ),
            (r#"{"kind":"noop"}"#, WorkloadSpec::Noop(Noop)),
            (
                r#"{"kind":"io","sleep_ms":3}"#,
                WorkloadSpec::Io(SleepIo::new(3)),
            ),
        ] {
            assert_eq!(serde_json::from_str::<WorkloadSpec>(text).unwrap(), spec);
            assert_eq!(serde_json::to_string(&spec).unwrap(), text);
        }
    }

    /// Every registered workload: its name is its file name, its default spec is of its kind
    /// and passes its own check, and its tasks' checksums agree however they are run.
    #[test]
    fn every_registered_workload_is_whole() {
        for &k in WorkloadKind::ALL {
            let (spec, tasks) = k.sized(2, 40);
            assert_eq!(spec.kind(), k);
            assert!(tasks > 0, "{k}");
            let json = serde_json::to_value(spec).unwrap();
            assert_eq!(json["kind"], k.name(), "{k}");
            assert_eq!(spec.workload().check(), Ok(()), "{k}");
            assert!(!spec.describe(tasks).is_empty());
        }
    }
}
