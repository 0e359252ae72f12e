//! Measurement: running the plan's cells, timing them, and reading resource usage.
//!
//! [`runner`] executes a [`crate::plan::RunConfig`] (warm-up, samples, shuffled interleaving,
//! checksum checks) and fills a [`crate::result::RunResults`]; [`stats`] holds the pure numerics
//! (medians, confidence intervals) and [`usage`] the OS counters; [`calibrate`] turns the mixed
//! workload's milliseconds into multiply steps. Nothing here formats output or
//! writes files: checkpoints are handed to an [`runner::Observer`].

pub mod calibrate;
pub mod runner;
pub mod stats;
pub mod usage;
