//! `process-pool`: N long-lived worker processes (the lesson's `ProcessPoolExecutor`). Each is
//! started once by [`ProcessPoolModel::start`], which waits until every worker has answered a
//! first request, so exec and start-up are outside the timed region. A batch hands each idle
//! worker one task at a time over its stdin; answers come back on the shared answer pipe.
//! Because pool workers are not reaped between batches, their CPU time and context switches are
//! taken from the cumulative usage each answer carries.

use super::child::{AnswerPipe, Children, POLL, checksum_of, send};
use super::{BatchOutcome, Executor};
use crate::error::{Error, Result};
use crate::usage::Usage;
use crate::worker::{Request, Response};
use crate::workload::{WorkloadSpec, combine};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ChildStdin;
use std::time::Duration;

struct PoolWorker {
    pid: u32,
    stdin: ChildStdin,
    last_usage: Usage,
}

/// A fixed pool of worker processes.
pub struct ProcessPoolModel {
    // Field order matters for drop: close stdins before children are shut down.
    workers: Vec<PoolWorker>,
    by_pid: HashMap<u32, usize>,
    children: Children,
    answers: AnswerPipe,
    timeout: Option<Duration>,
}

impl ProcessPoolModel {
    /// Starts `workers` processes of `exe` and waits until each has answered once.
    pub fn start(workers: usize, exe: PathBuf) -> Result<Self> {
        let mut pool = ProcessPoolModel {
            workers: Vec::with_capacity(workers),
            by_pid: HashMap::new(),
            children: Children::default(),
            answers: AnswerPipe::new()?,
            // Start-up includes exec and the dynamic loader: generous, but never a hang.
            timeout: Some(Duration::from_secs(30)),
        };
        for i in 0..workers {
            let (child, stdin) = pool.answers.spawn_worker(&exe)?;
            let pid = pool.children.insert(child);
            pool.by_pid.insert(pid, i);
            pool.workers.push(PoolWorker {
                pid,
                stdin,
                last_usage: Usage::default(),
            });
        }
        // A first task for everyone (a batch of N tasks on N idle workers gives each one task):
        // proves each worker is up and speaks the protocol.
        pool.run_batch(&WorkloadSpec::Noop(crate::workload::Noop), workers as u64)?;
        Ok(pool)
    }

    fn dispatch(&mut self, w: usize, task: u64, workload: &WorkloadSpec) -> Result<()> {
        let worker = &mut self.workers[w];
        self.children.assign(worker.pid, task);
        send(
            &mut worker.stdin,
            worker.pid,
            &Request::new(task, *workload),
        )
    }

    fn accept(&mut self, resp: &Response, usage: &mut Usage) -> Result<(usize, u64)> {
        self.children.settle(resp)?;
        let w = self.by_pid[&resp.pid];
        let worker = &mut self.workers[w];
        usage.add(&resp.usage.since(&worker.last_usage));
        worker.last_usage = resp.usage;
        Ok((w, checksum_of(resp)?))
    }
}

impl Executor for ProcessPoolModel {
    fn run_batch(&mut self, workload: &WorkloadSpec, tasks: u64) -> Result<BatchOutcome> {
        if self.workers.is_empty() {
            return Err(Error::Config("process pool has no workers".into()));
        }
        let mut idle: Vec<usize> = (0..self.workers.len()).rev().collect();
        let mut usage = Usage::default();
        let mut pids = Vec::new();
        let (mut next, mut done, mut checksum) = (0u64, 0u64, 0u64);
        while done < tasks {
            crate::interrupt::check()?;
            while next < tasks {
                let Some(w) = idle.pop() else { break };
                self.dispatch(w, next, workload)?;
                next += 1;
            }
            match self.answers.recv(POLL)? {
                Some(resp) => {
                    let (w, c) = self.accept(&resp, &mut usage)?;
                    checksum = combine(checksum, c);
                    if !pids.contains(&resp.pid) {
                        pids.push(resp.pid);
                    }
                    idle.push(w);
                    done += 1;
                }
                None => self.children.supervise(true, self.timeout)?,
            }
        }
        Ok(BatchOutcome {
            checksum,
            pooled_usage: usage,
            worker_pids: pids,

            ..Default::default()
        })
    }

    fn set_task_timeout(&mut self, timeout: Duration) {
        self.timeout = Some(timeout);
    }
}

impl Drop for ProcessPoolModel {
    fn drop(&mut self) {
        // Closing a worker's stdin ends its loop; give them a moment, then kill stragglers.
        self.workers.clear();
        self.children.shutdown(Duration::from_secs(2));
    }
}
