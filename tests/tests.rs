//! parbench's integration tests: one binary, tiny sizes, each test in its own temp dir.
//! Timing is asserted only as bounds physics guarantees (a sleep cannot end early).

mod architecture;
mod cli;
mod compare;
mod faults;
mod fixtures;
mod hostile;
mod models;
mod net;
mod report;
mod results;

use std::path::{Path, PathBuf};

/// A quiet run's arguments: `head`, then `samples` recorded batches, no warm-up, no pause
/// between batches, no report, results in `out`.
pub fn quiet_run(out: &Path, head: &[&str], samples: u32) -> Vec<String> {
    let mut a: Vec<String> = head.iter().map(|s| s.to_string()).collect();
    for s in [
        "--samples",
        &samples.to_string(),
        "--warmup",
        "0",
        "--settle-ms",
        "0",
        "--no-report",
        "--out",
    ] {
        a.push(s.to_string());
    }
    a.push(out.display().to_string());
    a
}

/// The parbench binary cargo built for these tests.
pub fn parbench_exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_parbench"))
}
