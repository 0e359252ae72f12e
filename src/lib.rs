//! parbench measures how CPU-bound and IO-bound work scale across concurrency models on the
//! machine at hand, and records the answer as versioned JSON.
//!
//! The pieces, each in its own module:
//! - [`workload`]: what a task does (`cpu` multiply loop, `io` sleep, `noop`, `mixed`), with
//!   checksums;
//! - [`exec`]: the executor contract every model and echo server implements;
//! - [`model`]: how tasks run (sequential, threads, thread pool, rayon, processes and process
//!   pool (spawn or fork), async, a simulated GIL, and CPython's own models);
//! - [`net`]: the `tcp-echo` workload: echo servers of four designs and the client load;
//! - [`worker`]: the hidden worker mode process models re-execute, and its framed protocol;
//! - [`machine`]: what machine this is; [`plan`]: presets, worker sweeps and cells;
//! - [`measure`]: running cells, statistics and OS usage counters;
//! - [`result`] and [`store`]: the result file and its atomic storage;
//! - [`analysis`]: scaling analytics; [`advise`]: the pool size a mixed workload wants; [`chart`] and [`report`]: charts and report folders;
//! - [`export`]: human-readable output; [`format`]: the formatting every output shares; [`console`]: progress on a terminal; [`session`]: one
//!   measuring session (plan → run → save → report) for the binary and the benches;
//! - [`interrupt`]: SIGINT/SIGTERM handling; [`limits`]: process, thread and memory limits
//!   checked before a run; [`spawn`]: the one place threads are started, so a refused start is
//!   an error.
//!
//! The `parbench` binary is a thin command-line layer over these.
#![deny(missing_docs)]

pub mod advise;
pub mod analysis;
pub mod chart;
pub mod compare;
pub mod console;
pub mod error;
pub mod exec;
pub mod export;
pub mod format;
pub mod interrupt;
pub mod limits;
pub mod machine;
pub mod measure;
pub mod model;
pub mod net;
pub mod plan;
pub mod report;
pub mod result;
pub mod session;
pub mod spawn;
pub mod stats;
pub mod store;
pub mod usage;
pub mod worker;
pub mod workload;

pub use error::{Error, Result};
