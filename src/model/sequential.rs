//! `sequential`: every task on the calling thread, one after another. The speedup baseline; it
//! has no workers and no start-up cost.

use super::{BatchOutcome, Executor};
use crate::error::Result;
use crate::workload::{WorkloadSpec, combine};

/// Runs tasks in order on the calling thread.
#[derive(Debug, Default)]
pub struct SequentialModel;

impl Executor for SequentialModel {
    fn run_batch(&mut self, workload: &WorkloadSpec, tasks: u64) -> Result<BatchOutcome> {
        let checksum = (0..tasks).fold(0, |acc, t| combine(acc, workload.run_task(t)));
        Ok(BatchOutcome {
            checksum,
            ..Default::default()
        })
    }
}
