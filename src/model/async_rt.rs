//! `async` and `async-blocking`: tasks as tokio futures on a multi-thread runtime with N worker
//! threads (the lesson's coroutines, scheduled over N OS threads). A batch spawns every task at
//! once, so all of them are in flight; N is the number of threads that run them.
//!
//! Sleeps await `tokio::time::sleep` and cost no thread while they wait. Compute differs:
//! - `async` runs it inline on a runtime worker, blocking that worker (and every task queued
//!   behind it) for the whole computation: the cost of blocking an executor, made visible;
//! - `async-blocking` moves it to tokio's blocking pool with `spawn_blocking`, at most N threads.
//!
//! A task that runs another program (`--command`) awaits its child with `tokio::process`; there
//! N also bounds the children in flight (a semaphore of N permits), as a program's async code
//! bounds what it launches: otherwise every task's child would start at once and N would mean
//! nothing for the question a command asks, how many to run at once.
//!
//! The runtime is built in [`AsyncModel::start`], outside the timed region.

use super::{BatchOutcome, Executor};
use crate::error::{Error, Result};
use crate::workload::{AsyncTask, WorkloadSpec, combine};
use tokio::runtime::Runtime;

/// A tokio runtime with N workers.
#[derive(Debug)]
pub struct AsyncModel {
    runtime: Runtime,
    offload_compute: bool,
    workers: usize,
}

impl AsyncModel {
    /// A runtime of `workers` worker threads; with `offload_compute`, compute goes through
    /// `spawn_blocking` (at most `workers` blocking threads).
    /// `stack_size` bytes of stack per thread (tokio's default when `None`).
    pub fn start(workers: usize, offload_compute: bool, stack_size: Option<usize>) -> Result<Self> {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        if let Some(bytes) = stack_size {
            builder.thread_stack_size(bytes);
        }
        builder
            .worker_threads(workers)
            .max_blocking_threads(workers)
            .thread_name("parbench-async")
            // IO too: a `--command` task waits on its child and its pipes.
            .enable_all();
        // tokio panics when the OS refuses it a worker thread: that becomes the model's error.
        let runtime = crate::spawn::catch_refused(
            &format!("tokio runtime with {workers} workers"),
            workers,
            move || builder.build(),
        )?;
        Ok(AsyncModel {
            runtime,
            offload_compute,
            workers,
        })
    }
}

/// Compute inline on the runtime's worker ([`crate::workload::Offload`] of `async`).
fn inline(f: Box<dyn FnOnce() -> u64 + Send>) -> AsyncTask {
    Box::pin(std::future::ready(Ok(f())))
}

/// Compute on the blocking pool (`async-blocking`). When the OS refuses tokio its first blocking
/// thread, spawn_blocking panics and so does this task: the batch reports it as an error (see
/// run_batch). Later refusals only queue the task for the blocking threads that exist.
fn blocking(f: Box<dyn FnOnce() -> u64 + Send>) -> AsyncTask {
    Box::pin(async move {
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| crate::spawn::tokio_task_error("a tokio blocking thread", e))
    })
}

/// One task as a future: the workload's own ([`crate::workload::Workload::run_async`]).
fn task(spec: WorkloadSpec, index: u64, offload: bool) -> AsyncTask {
    spec.workload()
        .run_async(index, if offload { blocking } else { inline })
}

impl Executor for AsyncModel {
    fn run_batch(&mut self, workload: &WorkloadSpec, tasks: u64) -> Result<BatchOutcome> {
        let (spec, offload) = (*workload, self.offload_compute);
        let slots = spec
            .workload()
            .starts_programs()
            .then(|| std::sync::Arc::new(tokio::sync::Semaphore::new(self.workers)));
        let checksum = self.runtime.block_on(async move {
            let handles: Vec<_> = (0..tasks)
                .map(|i| match slots.clone() {
                    None => tokio::spawn(task(spec, i, offload)),
                    Some(slots) => tokio::spawn(async move {
                        let _slot = slots.acquire_owned().await;
                        task(spec, i, offload).await
                    }),
                })
                .collect();
            let mut checksum = 0;
            for h in handles {
                let c = h
                    .await
                    .map_err(|e| crate::spawn::tokio_task_error("an async task", e))??;
                checksum = combine(checksum, c);
            }
            Ok::<_, Error>(checksum)
        })?;
        Ok(BatchOutcome {
            checksum,
            ..Default::default()
        })
    }
}
