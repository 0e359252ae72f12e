//! `threads`: a new OS thread for every task, at most N alive at once. With N = tasks this is the
//! lesson's "one thread per task". Thread creation and joining are inside the timed batch: that is
//! the cost this model exists to show. Threads are scoped, so none outlives the batch.

use super::{BatchOutcome, Executor};
use crate::error::{Error, Result};
use crate::workload::{WorkloadSpec, combine};

/// Spawns one thread per task, keeping at most `workers` alive.
#[derive(Debug)]
pub struct ThreadsModel {
    workers: usize,
}

impl ThreadsModel {
    /// At most `workers` threads alive at once.
    pub fn new(workers: usize) -> Self {
        ThreadsModel { workers }
    }
}

impl Executor for ThreadsModel {
    fn run_batch(&mut self, workload: &WorkloadSpec, tasks: u64) -> Result<BatchOutcome> {
        let workload = *workload;
        let (done_tx, done_rx) = crossbeam_channel::unbounded::<u64>();
        std::thread::scope(|scope| {
            let mut checksum = 0;
            let mut alive = 0usize;
            for task in 0..tasks {
                if alive == self.workers {
                    // A thread finished: its slot is free. The send is its last act, so at most
                    // `workers` threads are running tasks at any time.
                    checksum = combine(checksum, done_rx.recv().expect("threads hold a sender"));
                    alive -= 1;
                }
                let tx = done_tx.clone();
                std::thread::Builder::new()
                    .name(format!("parbench-task-{task}"))
                    .spawn_scoped(scope, move || {
                        let _ = tx.send(workload.run_task(task));
                    })
                    .map_err(|source| Error::Spawn {
                        what: format!("thread for task {task} ({alive} alive)"),
                        source,
                    })?;
                alive += 1;
            }
            for _ in 0..alive {
                checksum = combine(checksum, done_rx.recv().expect("threads hold a sender"));
            }
            Ok(BatchOutcome {
                checksum,
                ..Default::default()
            })
        })
    }
}
