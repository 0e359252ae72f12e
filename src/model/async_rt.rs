//! `async` and `async-blocking`: tasks as tokio futures on a multi-thread runtime with N worker
//! threads (the lesson's coroutines, scheduled over N OS threads). A batch spawns every task at
//! once, so all of them are in flight; N is the number of threads that run them.
//!
//! Sleeps await `tokio::time::sleep` and cost no thread while they wait. Compute differs:
//! - `async` runs it inline on a runtime worker, blocking that worker (and every task queued
//!   behind it) for the whole computation: the cost of blocking an executor, made visible;
//! - `async-blocking` moves it to tokio's blocking pool with `spawn_blocking`, at most N threads.
//!
//! The runtime is built in [`AsyncModel::start`], outside the timed region.

use super::{BatchOutcome, Executor};
use crate::error::{Error, Result};
use crate::workload::user::{Body, GuardedFuture};
use crate::workload::{MixedTask, MultiplyLoop, Workload, WorkloadSpec, combine};
use std::time::Duration;
use tokio::runtime::Runtime;

/// A tokio runtime with N workers.
#[derive(Debug)]
pub struct AsyncModel {
    runtime: Runtime,
    offload_compute: bool,
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
            .enable_time();
        // tokio panics when the OS refuses it a worker thread: that becomes the model's error.
        let runtime = crate::spawn::catch_refused(
            &format!("tokio runtime with {workers} workers"),
            workers,
            move || builder.build(),
        )?;
        Ok(AsyncModel {
            runtime,
            offload_compute,
        })
    }
}

/// Runs `f` inline or on the blocking pool.
async fn compute(offload: bool, f: impl FnOnce() -> u64 + Send + 'static) -> Result<u64> {
    if offload {
        // When the OS refuses tokio its first blocking thread, spawn_blocking panics and so
        // does this task: the batch reports it as an error (see run_batch). Later refusals
        // only queue the task for the blocking threads that exist.
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| crate::spawn::tokio_task_error("a tokio blocking thread", e))
    } else {
        Ok(f())
    }
}

/// One task as a future.
async fn task(spec: WorkloadSpec, index: u64, offload: bool) -> Result<u64> {
    Ok(match spec {
        WorkloadSpec::Cpu { iterations } => {
            compute(offload, move || {
                MultiplyLoop::new(iterations).run_task(index)
            })
            .await?
        }
        WorkloadSpec::Io { sleep_ms } => {
            tokio::time::sleep(Duration::from_millis(sleep_ms)).await;
            spec.expected_checksum(index)
        }
        WorkloadSpec::Noop | WorkloadSpec::TcpEcho { .. } => spec.run_task(index),
        // A user's future is awaited here, natively; compute and blocking code run as the
        // multiply loop does (inline, or on the blocking pool for async-blocking).
        WorkloadSpec::User(u) => match u.body() {
            Some(Body::Async(f)) => GuardedFuture::new(u.name(), index, f(index)).await,
            _ => compute(offload, move || u.run(index)).await?,
        },
        WorkloadSpec::Mixed {
            iterations, io_ms, ..
        } => {
            let t = MixedTask::new(iterations, io_ms);
            let c = compute(offload, move || t.compute().run_task(index)).await?;
            tokio::time::sleep(Duration::from_millis(io_ms)).await;
            combine(c, MixedTask::io_checksum(index))
        }
    })
}

impl Executor for AsyncModel {
    fn run_batch(&mut self, workload: &WorkloadSpec, tasks: u64) -> Result<BatchOutcome> {
        let (spec, offload) = (*workload, self.offload_compute);
        let checksum = self.runtime.block_on(async move {
            let handles: Vec<_> = (0..tasks)
                .map(|i| tokio::spawn(task(spec, i, offload)))
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
