//! Measurement: running the plan's cells, timing them, and reading resource usage.
//!
//! [`runner`] executes a [`crate::plan::RunConfig`] (warm-up, samples, shuffled interleaving,
//! checksum checks) and fills a [`crate::result::RunResults`], with the pure numerics of
//! [`crate::stats`] and the OS counters of [`crate::usage`]; [`calibrate`] turns the mixed
//! workload's milliseconds into multiply steps. Nothing here formats output or
//! writes files: checkpoints are handed to an [`runner::Observer`].

pub mod calibrate;
pub mod estimate;
pub mod runner;
/// Re-exported from [`crate::stats`], where the pure statistics now live.
pub use crate::stats;
/// Re-exported from [`crate::usage`], the OS counters.
pub use crate::usage;
