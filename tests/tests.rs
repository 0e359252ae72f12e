//! parbench's integration tests: one binary, tiny sizes, each test in its own temp dir.
//! Timing is asserted only as bounds physics guarantees (a sleep cannot end early).

mod architecture;
mod cli;
mod compare;
mod faults;
mod fixtures;
mod models;
mod net;
mod report;
mod results;

use std::path::PathBuf;

/// The parbench binary cargo built for these tests.
pub fn parbench_exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_parbench"))
}
