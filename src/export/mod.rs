//! Human-readable output of results and machine facts. Exporters only format what they are given;
//! they never measure and never touch the disk.

pub mod compare;
pub mod grid;
pub mod html;
pub mod markdown;
pub mod services;
pub mod skew;
pub mod table;
pub mod verdicts;

/// Re-exported from [`crate::format`], the formatting every output shares.
pub use crate::format::fmt_duration;
