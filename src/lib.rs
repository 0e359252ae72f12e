//! parbench measures how CPU-bound and IO-bound work scale across concurrency models on the
//! machine at hand — its own workloads, and yours — and says which model and how many workers to
//! use, recorded as versioned JSON with charts and a report.
//!
//! **Measure your own code** from a bench target of your crate (`harness = false`):
//!
//! ```no_run
//! # fn fib(n: u64) -> u64 { if n < 2 { n } else { fib(n - 1) + fib(n - 2) } }
//! fn main() {
//!     parbench::Harness::new()
//!         .workload("fib-25", |task: u64| fib(25 + task % 3))
//!         .run();
//! }
//! ```
//!
//! `cargo bench` then runs `fib-25` under sequential, threads, thread-pool, rayon, processes,
//! process-pool, async, async-blocking and a simulated GIL at this machine's worker counts and
//! writes `reports/<host>/`; see [`Harness`] for the shapes (compute, blocking, async) and
//! options. The `parbench` binary runs parbench's own workloads (`parbench run`), compares runs
//! (`parbench compare`) and draws reports (`parbench report`).
//!
//! The pieces, each in its own module, with no import cycle between them (see
//! `tests/architecture.rs`):
//! - leaves: [`error`]; [`stats`]: pure statistics; [`usage`]: OS usage counters; [`machine`]:
//!   what machine this is; [`format`](mod@format): the formatting every output shares;
//!   [`procgroup`]: killing and reaping the process groups parbench leads;
//! - [`workload`]: what a task does (`cpu` multiply loop, `io` sleep, `noop`, `mixed`, the
//!   `tcp-echo` payload), with checksums;
//! - [`spawn`]: the one place threads are started, so a refused start is an error;
//! - [`exec`]: the executor contract every model and echo server implements;
//! - [`worker`]: the hidden worker mode process models re-execute, and its framed protocol;
//! - [`model`]: how tasks run, one table row per model (sequential, threads, thread pool, rayon,
//!   processes and process pool (spawn or fork), async, a simulated GIL, and CPython's own
//!   models);
//! - [`net`]: the `tcp-echo` workload: echo servers of six designs and the client load;
//! - [`plan`]: presets, worker sweeps and cells; [`limits`]: process, thread, PID, mapping,
//!   file and memory limits checked before a run; [`interrupt`]: SIGINT/SIGTERM handling;
//! - [`lesson`]: the lesson's deadlock, its cure and the re-entrant lock, shown safely;
//! - [`measure`]: running cells; [`result`] and [`store`]: the result file and its atomic
//!   storage;
//! - [`analysis`]: scaling analytics; [`advise`]: the pool size a mixed workload wants;
//!   [`compare`]: regression verdicts;
//! - [`chart`], [`export`] and [`report`]: charts, human-readable output and report folders;
//!   [`console`]: progress on a terminal; [`session`]: one measuring session (plan → run → save
//!   → report) for the binary and the benches.
//!
//! The `parbench` binary is a thin command-line layer over these.
#![deny(missing_docs)]

pub mod ab;
pub mod advise;
pub mod analysis;
pub mod chart;
pub mod compare;
pub mod console;
pub mod error;
pub mod exec;
pub mod export;
pub mod format;
pub mod harness;
pub mod interrupt;
pub mod lesson;
pub mod limits;
pub mod machine;
pub mod measure;
pub mod model;
pub mod net;
pub mod plan;
pub mod procgroup;
pub mod report;
pub mod result;
pub mod serve;
pub mod session;
pub mod skew;
pub mod spawn;
pub mod stats;
pub mod store;
pub mod taskclock;
pub mod usage;
pub mod usl;
pub mod worker;
pub mod workload;

pub use error::{Error, Result};
pub use harness::Harness;
