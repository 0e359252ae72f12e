//! `processes`: a new OS process for every task, at most N alive (the lesson's
//! `multiprocessing.Process` per task). Each child is parbench's own binary in worker mode; it gets
//! one request on stdin, answers on the shared answer pipe and exits. Spawning, answering and
//! reaping are all inside the timed batch: that is the cost this model exists to show.

use super::child::{AnswerPipe, Children, POLL, checksum_of, send};
use super::{BatchOutcome, Executor};
use crate::error::{Error, Result};
use crate::worker::Request;
use crate::workload::{WorkloadSpec, combine};
use std::path::PathBuf;
use std::time::Duration;

/// Spawns one worker process per task, keeping at most `workers` alive.
pub struct ProcessesModel {
    workers: usize,
    exe: PathBuf,
    answers: AnswerPipe,
    timeout: Option<Duration>,
}

impl ProcessesModel {
    /// At most `workers` processes of `exe` alive at once.
    pub fn new(workers: usize, exe: PathBuf) -> Result<Self> {
        Ok(ProcessesModel {
            workers,
            exe,
            answers: AnswerPipe::new()?,
            timeout: None,
        })
    }
}

impl Executor for ProcessesModel {
    fn run_batch(&mut self, workload: &WorkloadSpec, tasks: u64) -> Result<BatchOutcome> {
        // On any error, dropping `children` kills and reaps every child still alive.
        let mut children = Children::default();
        let (mut next, mut done, mut checksum) = (0u64, 0u64, 0u64);
        let mut pids = Vec::with_capacity(tasks as usize);
        while done < tasks {
            crate::interrupt::check()?;
            while next < tasks && children.len() < self.workers {
                let (child, mut stdin) = self.answers.spawn_worker(&self.exe)?;
                let pid = children.insert(child);
                children.assign(pid, next);
                send(&mut stdin, pid, &Request::new(next, *workload))?;
                // Closing stdin tells the worker this was its only task.
                drop(stdin);
                next += 1;
            }
            match self.answers.recv(POLL)? {
                Some(resp) => {
                    children.settle(&resp)?;
                    checksum = combine(checksum, checksum_of(&resp)?);
                    pids.push(resp.pid);
                    let status = children.reap(resp.pid)?;
                    if !status.success() {
                        return Err(Error::WorkerDied {
                            pid: resp.pid,
                            task: Some(resp.task),
                            status: status.to_string(),
                        });
                    }
                    done += 1;
                }
                None => children.supervise(false, self.timeout)?,
            }
        }
        Ok(BatchOutcome {
            checksum,
            worker_pids: pids,
            ..Default::default()
        })
    }

    fn set_task_timeout(&mut self, timeout: Duration) {
        self.timeout = Some(timeout);
    }
}
