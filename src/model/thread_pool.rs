//! `thread-pool`: N long-lived threads that take tasks from one shared queue (the lesson's
//! `ThreadPoolExecutor`). The threads are started by [`ThreadPoolModel::start`], outside the timed
//! region, and joined when the model is dropped. The `gil` model is this pool with a runner that
//! takes a lock around each task ([`ThreadPoolModel::start_with`]).

use super::{BatchOutcome, Executor};
use crate::error::Result;
use crate::workload::{WorkloadSpec, combine};
use crossbeam_channel::{Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;

/// What a pool thread does with one task.
pub(crate) type TaskRunner = Arc<dyn Fn(&WorkloadSpec, u64) -> u64 + Send + Sync>;

/// A fixed pool of threads fed from a multi-consumer channel.
#[derive(Debug)]
pub struct ThreadPoolModel {
    jobs: Option<Sender<(WorkloadSpec, u64)>>,
    results: Receiver<u64>,
    threads: Vec<JoinHandle<()>>,
}

impl ThreadPoolModel {
    /// Starts `workers` threads that wait for tasks.
    /// `stack_size` bytes of stack per thread (Rust's default when `None`).
    pub fn start(workers: usize, stack_size: Option<usize>) -> Result<Self> {
        Self::start_with(
            workers,
            stack_size,
            "pool",
            Arc::new(|workload, task| workload.run_task(task)),
        )
    }

    /// A pool whose threads, named `parbench-<name>-<i>`, run each task with `runner`.
    pub(crate) fn start_with(
        workers: usize,
        stack_size: Option<usize>,
        name: &str,
        runner: TaskRunner,
    ) -> Result<Self> {
        let (jobs_tx, jobs_rx) = crossbeam_channel::unbounded::<(WorkloadSpec, u64)>();
        let (results_tx, results_rx) = crossbeam_channel::unbounded();
        // Built before its threads, so that when one cannot start, dropping the pool closes
        // the queue and joins those already started.
        let mut pool = ThreadPoolModel {
            jobs: Some(jobs_tx),
            results: results_rx,
            threads: Vec::with_capacity(workers),
        };
        for i in 0..workers {
            let (jobs, results, runner) = (jobs_rx.clone(), results_tx.clone(), runner.clone());
            let name = format!("parbench-{name}-{i}");
            pool.threads
                .push(crate::spawn::thread(&name, stack_size, move || {
                    for (workload, task) in jobs {
                        if results.send(runner(&workload, task)).is_err() {
                            break;
                        }
                    }
                })?);
        }
        Ok(pool)
    }
}

impl Executor for ThreadPoolModel {
    fn run_batch(&mut self, workload: &WorkloadSpec, tasks: u64) -> Result<BatchOutcome> {
        let jobs = self.jobs.as_ref().expect("jobs sender lives until drop");
        for task in 0..tasks {
            jobs.send((*workload, task))
                .expect("pool threads live until drop");
        }
        let mut checksum = 0;
        for _ in 0..tasks {
            checksum = combine(checksum, self.results.recv().expect("pool threads live"));
        }
        Ok(BatchOutcome {
            checksum,
            ..Default::default()
        })
    }
}

impl Drop for ThreadPoolModel {
    fn drop(&mut self) {
        // Closing the queue ends every thread's loop.
        self.jobs.take();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}
