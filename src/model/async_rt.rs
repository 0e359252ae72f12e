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

/// Compute inline on the runtime's worker ([`crate::workload::Offload`] of `async`): when the
/// spawned task is polled there, not when its future is made (on the thread that spawns the
/// batch, which would run every task's compute one after another).
fn inline(f: Box<dyn FnOnce() -> u64 + Send>) -> AsyncTask {
    Box::pin(async move { Ok(f()) })
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

/// One task as a future: the workload's own ([`crate::workload::Workload::run_async`]),
/// stamped for the batch's clock from its first poll to its end.
fn task(spec: WorkloadSpec, index: u64, offload: bool) -> AsyncTask {
    Box::pin(async move {
        let began = crate::taskclock::begin();
        let c = spec
            .workload()
            .run_async(index, if offload { blocking } else { inline })
            .await;
        crate::taskclock::end(began);
        c
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::Shape;
    use std::sync::{Arc, Mutex};

    /// Compute runs on the runtime's workers, two at once with N = 2: not on the thread that
    /// spawns the batch, one task after another.
    #[test]
    fn compute_runs_on_the_workers_in_parallel() {
        static SEEN: Mutex<Vec<(Option<String>, u64)>> = Mutex::new(Vec::new());
        static RUNNING: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        static MOST: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let body = crate::workload::user::Body::Sync(Arc::new(|t| {
            use std::sync::atomic::Ordering::SeqCst;
            let now = RUNNING.fetch_add(1, SeqCst) + 1;
            MOST.fetch_max(now, SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(20));
            RUNNING.fetch_sub(1, SeqCst);
            let name = std::thread::current().name().map(String::from);
            SEEN.lock().unwrap().push((name, t));
            t
        }));
        let w = crate::workload::user::register("unit-async-where", Shape::Compute, None, body)
            .unwrap();
        for (offload, name) in [(false, "parbench-async"), (true, "")] {
            SEEN.lock().unwrap().clear();
            MOST.store(0, std::sync::atomic::Ordering::SeqCst);
            let mut m = AsyncModel::start(2, offload, None).unwrap();
            m.run_batch(&WorkloadSpec::User(w), 6).unwrap();
            let seen = SEEN.lock().unwrap().clone();
            assert_eq!(seen.len(), 6);
            let main = std::thread::current().name().map(String::from);
            for (thread, _) in &seen {
                assert_ne!(thread, &main, "a task computed on the spawning thread");
                if !offload {
                    assert_eq!(thread.as_deref(), Some(name));
                }
            }
            assert_eq!(
                MOST.load(std::sync::atomic::Ordering::SeqCst),
                2,
                "offload {offload}"
            );
        }
    }
}
