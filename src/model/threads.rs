//! `threads`: a new OS thread for every task, at most N alive at once. With N = tasks this is the
//! lesson's "one thread per task". Thread creation and joining are inside the timed batch: that is
//! the cost this model exists to show. Threads are scoped, so none outlives the batch.
//!
//! The first N threads are started by the caller; after that, each thread, as its last act,
//! starts the thread of the next task, so a new thread is created on the core its predecessor is
//! freeing. Refilling slots from the coordinating thread instead measured 20–25% slower on
//! 2 cores: the coordinator started both successors from its own core, the kernel's fork
//! placement put them side by side, and they time-shared one core while the other sat idle
//! (seen with `sched_getcpu`, see the closing note of issue 2).

use super::{BatchOutcome, Executor};
use crate::error::Result;
use crate::workload::{WorkloadSpec, combine};
use crossbeam_channel::Sender;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::Scope;

/// Spawns one thread per task, keeping at most `workers` alive.
#[derive(Debug)]
pub struct ThreadsModel {
    workers: usize,
    stack_size: Option<usize>,
}

impl ThreadsModel {
    /// At most `workers` threads alive at once, each with `stack_size` bytes of stack (Rust's
    /// default, 2 MiB, when `None`).
    pub fn new(workers: usize, stack_size: Option<usize>) -> Self {
        ThreadsModel {
            workers,
            stack_size,
        }
    }
}

/// What every task thread shares: the workload, the next task number to hand out, and where to
/// report.
struct Chain<'a> {
    workload: WorkloadSpec,
    stack_size: Option<usize>,
    tasks: u64,
    next: &'a AtomicU64,
    done: Sender<Result<u64>>,
}

impl<'a> Chain<'a> {
    /// Starts the thread for `task`; it runs the task, starts the thread of the next unclaimed
    /// task, reports, and exits.
    fn spawn<'scope>(&'scope self, scope: &'scope Scope<'scope, 'a>, task: u64) -> Result<()> {
        crate::spawn::scoped(
            scope,
            &format!("parbench-task-{task}"),
            self.stack_size,
            move || {
                let checksum = self.workload.run_task(task);
                let next = self.next.fetch_add(1, Ordering::Relaxed);
                if next < self.tasks
                    && let Err(e) = self.spawn(scope, next)
                {
                    // Stands in for the report of the task that could not start.
                    let _ = self.done.send(Err(e));
                }
                let _ = self.done.send(Ok(checksum));
            },
        )
        .map(|_| ())
    }
}

impl Executor for ThreadsModel {
    fn run_batch(&mut self, workload: &WorkloadSpec, tasks: u64) -> Result<BatchOutcome> {
        let first = tasks.min(self.workers as u64);
        let next = AtomicU64::new(first);
        let (done_tx, done_rx) = crossbeam_channel::unbounded();
        let chain = Chain {
            workload: *workload,
            stack_size: self.stack_size,
            tasks,
            next: &next,
            done: done_tx,
        };
        // The scope joins every thread before returning, also on an error.
        std::thread::scope(|scope| {
            let chain = &chain;
            for task in 0..first {
                if let Err(e) = chain.spawn(scope, task) {
                    // Let the threads already started finish the rest of the batch's chain
                    // quickly: no task beyond them will be claimed.
                    next.store(tasks, Ordering::Relaxed);
                    return Err(e);
                }
            }
            let mut checksum = 0;
            for _ in 0..tasks {
                match done_rx.recv().expect("a thread holds a sender") {
                    Ok(c) => checksum = combine(checksum, c),
                    Err(e) => {
                        // A successor could not be started: let the running threads finish
                        // without claiming further tasks, then report.
                        next.store(tasks, Ordering::Relaxed);
                        return Err(e);
                    }
                }
            }
            Ok(BatchOutcome {
                checksum,
                ..Default::default()
            })
        })
    }
}
