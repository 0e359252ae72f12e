//! `rayon`: a rayon `ThreadPool` of N threads; tasks are split and stolen by rayon's scheduler.
//! The pool is built by [`RayonModel::start`], outside the timed region.

use super::{BatchOutcome, Executor};
use crate::error::Result;
use crate::workload::{WorkloadSpec, combine};
use rayon::prelude::*;

/// A dedicated rayon pool (not the global one, so its size is exactly N).
#[derive(Debug)]
pub struct RayonModel {
    pool: rayon::ThreadPool,
}

impl RayonModel {
    /// Builds a pool of `workers` threads.
    /// `stack_size` bytes of stack per thread (rayon's default when `None`).
    pub fn start(workers: usize, stack_size: Option<usize>) -> Result<Self> {
        Ok(RayonModel {
            pool: crate::spawn::rayon_pool(workers, stack_size, "rayon")?,
        })
    }
}

impl Executor for RayonModel {
    fn run_batch(&mut self, workload: &WorkloadSpec, tasks: u64) -> Result<BatchOutcome> {
        let checksum = self.pool.install(|| {
            (0..tasks as usize)
                .into_par_iter()
                // One task per split: tasks may be long (a sleep) and must be spread over all
                // threads even when there are few of them.
                .with_max_len(1)
                .map(|t| workload.run_task(t as u64))
                .reduce(|| 0, combine)
        });
        Ok(BatchOutcome {
            checksum,
            ..Default::default()
        })
    }
}
