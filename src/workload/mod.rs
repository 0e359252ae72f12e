//! Workloads: what one task does, and the checksum that proves it ran.
//!
//! Each workload lives in its own module behind the [`Workload`] trait. A task is identified by its
//! index; its checksum depends on that index, so a task that ran twice or not at all changes the
//! batch checksum. [`WorkloadSpec`] is the serialisable description handed to threads and to worker
//! processes. This module does not time anything and knows nothing of execution models.

mod cpu;
mod io;
mod mixed;
mod noop;
pub mod python;
pub mod tcp_echo;
pub mod user;

pub use cpu::{CHECK_EVERY, MultiplyLoop};
pub use io::SleepIo;
pub use mixed::MixedTask;
pub use noop::Noop;
pub use user::{Shape, UserRef};

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// One kind of task. Implementations must be deterministic in their checksum.
pub trait Workload {
    /// Runs task number `task` and returns its checksum.
    fn run_task(&self, task: u64) -> u64;

    /// The checksum `run_task(task)` must return, computed as cheaply as the workload allows
    /// (the sleep workload does not sleep for it; the CPU workload has to do the work).
    fn expected_checksum(&self, task: u64) -> u64 {
        self.run_task(task)
    }
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

/// Hooks that do nothing.
pub struct NoHooks;
impl TaskHooks for NoHooks {}

/// The name of a workload, as used on the command line and in result files: one of parbench's
/// own, or a user's ([`crate::Harness`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WorkloadKind {
    /// The lesson's CPU-bound multiply loop.
    Cpu,
    /// The lesson's IO-bound sleep.
    Io,
    /// An empty task: what the model itself costs per task.
    Noop,
    /// Compute for `--cpu-ms`, then sleep `--io-ms`.
    Mixed,
    /// Round trips to an upper-casing TCP echo server over loopback.
    TcpEcho,
    /// A user's workload, by its name.
    User(UserRef),
}

impl WorkloadKind {
    /// parbench's own workloads, in display order.
    pub const ALL: [WorkloadKind; 5] = [
        WorkloadKind::Cpu,
        WorkloadKind::Io,
        WorkloadKind::Noop,
        WorkloadKind::Mixed,
        WorkloadKind::TcpEcho,
    ];

    /// The command-line and JSON name.
    pub fn name(self) -> &'static str {
        match self {
            WorkloadKind::Cpu => "cpu",
            WorkloadKind::Io => "io",
            WorkloadKind::Noop => "noop",
            WorkloadKind::Mixed => "mixed",
            WorkloadKind::TcpEcho => "tcp-echo",
            WorkloadKind::User(u) => u.name(),
        }
    }

    /// Whether its tasks compute from start to end (the multiply loop, a user's compute
    /// workload): Amdahl's law and the cores bound its speedup.
    pub fn computes(self) -> bool {
        match self {
            WorkloadKind::Cpu => true,
            WorkloadKind::User(u) => u.shape() == Shape::Compute,
            _ => false,
        }
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
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                format!("unknown workload '{s}' (expected one of: cpu, io, noop, mixed, tcp-echo)")
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

/// A workload with its parameters: everything a thread or a worker process needs to run a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum WorkloadSpec {
    /// [`MultiplyLoop`] with this many multiply steps per task.
    Cpu {
        /// Multiply steps per task.
        iterations: u64,
    },
    /// [`SleepIo`] sleeping this long per task.
    Io {
        /// Sleep per task, in milliseconds.
        sleep_ms: u64,
    },
    /// [`Noop`].
    Noop,
    /// [`MixedTask`]: `iterations` multiply steps (calibrated to take about `cpu_ms` on the
    /// measuring machine; 0 until calibrated), then a sleep of `io_ms`.
    Mixed {
        /// The compute time asked for, milliseconds.
        cpu_ms: u64,
        /// The sleep per task, milliseconds.
        io_ms: u64,
        /// Multiply steps per task, from calibration.
        iterations: u64,
    },
    /// Round trips of `message_bytes` bytes to an echo server (`crate::net`); a task is one
    /// round trip, the model is the server's design and N the number of connections.
    TcpEcho {
        /// Bytes per message.
        message_bytes: u64,
    },
    /// A user's workload ([`crate::Harness`]): `{"kind": "user", "name": …, "shape": …}`.
    User(UserRef),
}

impl WorkloadSpec {
    /// Which workload this is.
    pub fn kind(&self) -> WorkloadKind {
        match self {
            WorkloadSpec::Cpu { .. } => WorkloadKind::Cpu,
            WorkloadSpec::Io { .. } => WorkloadKind::Io,
            WorkloadSpec::Noop => WorkloadKind::Noop,
            WorkloadSpec::Mixed { .. } => WorkloadKind::Mixed,
            WorkloadSpec::TcpEcho { .. } => WorkloadKind::TcpEcho,
            WorkloadSpec::User(u) => WorkloadKind::User(*u),
        }
    }

    /// Runs one task of this workload.
    pub fn run_task(&self, task: u64) -> u64 {
        match *self {
            WorkloadSpec::Cpu { iterations } => MultiplyLoop::new(iterations).run_task(task),
            WorkloadSpec::Io { sleep_ms } => SleepIo::new(sleep_ms).run_task(task),
            WorkloadSpec::Noop => Noop.run_task(task),
            WorkloadSpec::Mixed {
                iterations, io_ms, ..
            } => MixedTask::new(iterations, io_ms).run_task(task),
            // Only the echo-server models run tcp-echo (the plan refuses anything else); this
            // is the checksum term they return for a verified round trip.
            WorkloadSpec::TcpEcho { .. } => tcp_echo::round_trip_checksum(task),
            WorkloadSpec::User(u) => u.run(task),
        }
    }

    /// Runs one task, letting `hooks` step in between compute chunks and around blocking
    /// (see [`TaskHooks`]); same checksum as [`WorkloadSpec::run_task`].
    pub fn run_task_hooked(&self, task: u64, hooks: &mut dyn TaskHooks) -> u64 {
        match *self {
            WorkloadSpec::Cpu { iterations } => {
                MultiplyLoop::new(iterations).run_hooked(task, hooks)
            }
            WorkloadSpec::Io { sleep_ms } => {
                hooks.blocking_begin();
                let c = SleepIo::new(sleep_ms).run_task(task);
                hooks.blocking_end();
                c
            }
            WorkloadSpec::Noop => Noop.run_task(task),
            WorkloadSpec::Mixed {
                iterations, io_ms, ..
            } => MixedTask::new(iterations, io_ms).run_hooked(task, hooks),
            WorkloadSpec::TcpEcho { .. } => self.run_task(task),
            // A user's compute cannot be interrupted mid-task; blocking and async tasks wait,
            // so the hooks hear about it.
            WorkloadSpec::User(u) if u.shape() == Shape::Compute => u.run(task),
            WorkloadSpec::User(u) => {
                hooks.blocking_begin();
                let c = u.run(task);
                hooks.blocking_end();
                c
            }
        }
    }

    /// How this workload's results are read (see [`Reading`]).
    pub fn reading(&self) -> Box<dyn Reading> {
        match *self {
            WorkloadSpec::Cpu { iterations } => Box::new(MultiplyLoop::new(iterations)),
            WorkloadSpec::Io { sleep_ms } => Box::new(SleepIo::new(sleep_ms)),
            WorkloadSpec::Noop => Box::new(Noop),
            WorkloadSpec::Mixed {
                cpu_ms,
                io_ms,
                iterations,
            } => Box::new(mixed::MixedSpec {
                cpu_ms,
                io_ms,
                iterations,
            }),
            WorkloadSpec::TcpEcho { message_bytes } => Box::new(tcp_echo::Echo { message_bytes }),
            WorkloadSpec::User(u) => Box::new(u),
        }
    }

    /// "12 tasks × 10000000 multiplies", for tables and chart captions.
    pub fn describe(&self, tasks: u64) -> String {
        self.reading().describe(tasks)
    }

    /// The time one task takes by construction, seconds, where the workload fixes it (`io`: the
    /// sleep; `mixed`: compute asked for + sleep): the ideal sequential time of a batch is
    /// `tasks` times this when no sequential run was measured.
    pub fn nominal_task_s(&self) -> Option<f64> {
        match *self {
            WorkloadSpec::Io { sleep_ms } => Some(sleep_ms as f64 / 1000.0),
            WorkloadSpec::Mixed { cpu_ms, io_ms, .. } => Some((cpu_ms + io_ms) as f64 / 1000.0),
            WorkloadSpec::User(u) => u.nominal_task_s(),
            WorkloadSpec::Cpu { .. } | WorkloadSpec::Noop | WorkloadSpec::TcpEcho { .. } => None,
        }
    }

    /// The checksum of one task, see [`Workload::expected_checksum`].
    pub fn expected_checksum(&self, task: u64) -> u64 {
        match *self {
            WorkloadSpec::Cpu { iterations } => {
                MultiplyLoop::new(iterations).expected_checksum(task)
            }
            WorkloadSpec::Io { sleep_ms } => SleepIo::new(sleep_ms).expected_checksum(task),
            WorkloadSpec::Noop => Noop.expected_checksum(task),
            WorkloadSpec::Mixed {
                iterations, io_ms, ..
            } => MixedTask::new(iterations, io_ms).expected_checksum(task),
            WorkloadSpec::TcpEcho { .. } => tcp_echo::round_trip_checksum(task),
            // The user's own code, run once on this thread: the sequential reference.
            WorkloadSpec::User(u) => u.run(task),
        }
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
        let spec = WorkloadSpec::Noop;
        let forward = (0..10).fold(0, |a, t| combine(a, spec.run_task(t)));
        let backward = (0..10).rev().fold(0, |a, t| combine(a, spec.run_task(t)));
        assert_eq!(forward, backward);
        assert_eq!(forward, spec.expected_batch_checksum(10));
        let duplicated = combine(forward, spec.run_task(3));
        assert_ne!(duplicated, forward);
    }

    #[test]
    fn kinds_parse_and_print() {
        for k in WorkloadKind::ALL {
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
            WorkloadSpec::Cpu { iterations: 7 },
            WorkloadSpec::Io { sleep_ms: 3 },
            WorkloadSpec::Noop,
            WorkloadSpec::Mixed {
                cpu_ms: 5,
                io_ms: 20,
                iterations: 123,
            },
        ] {
            let text = serde_json::to_string(&spec).unwrap();
            assert_eq!(serde_json::from_str::<WorkloadSpec>(&text).unwrap(), spec);
        }
    }
}
