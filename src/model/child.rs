//! Plumbing shared by the process-based models: spawning `parbench worker` children, the one pipe
//! all of an executor's children answer on, and supervision (a child that dies without answering
//! is an error, never a hang; every child is reaped, none is left behind when an executor is
//! dropped or a batch fails).
//!
//! One shared answer pipe keeps the parent at one file descriptor however many children are alive
//! (4000 in the `seed-io` preset); the executor waits on it with `poll` and a timeout, so it can
//! supervise between answers.

use crate::error::{Error, Result};
use crate::worker::{Request, Response, decode_frame, encode};
use std::collections::HashMap;
use std::io::{ErrorKind, PipeReader, PipeWriter, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How often the supervisor looks for children that died without answering.
pub(crate) const POLL: Duration = Duration::from_millis(100);
/// How long a dead child's answer may still be in flight in the pipe before it counts as lost.
pub(crate) const GRACE: Duration = Duration::from_millis(500);

/// The pipe every child of one executor writes its answers to, read by the executor's own thread.
pub(crate) struct AnswerPipe {
    writer: PipeWriter,
    reader: PipeReader,
    /// Bytes read but not handed out yet: whole answers still to come out of
    /// [`AnswerPipe::recv`], then at most one partial frame.
    pending: Vec<u8>,
}

impl AnswerPipe {
    pub(crate) fn new() -> Result<Self> {
        let (reader, writer) = std::io::pipe().map_err(|source| Error::Spawn {
            what: "answer pipe".into(),
            io: source,
        })?;
        Ok(AnswerPipe {
            writer,
            reader,
            pending: Vec::new(),
        })
    }

    /// Waits up to `timeout` for the next answer; `Ok(None)` when none came (or a signal
    /// interrupted the wait, so the caller can look at it). A frame that never completes (a
    /// child died halfway through writing) leaves the caller's supervision to notice the death.
    pub(crate) fn recv(&mut self, timeout: Duration) -> Result<Option<Response>> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some((resp, used)) = decode_frame::<Response>(&self.pending)? {
                self.pending.drain(..used);
                return Ok(Some(resp));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if !readable(self.reader.as_raw_fd(), left)? {
                return Ok(None);
            }
            let mut chunk = [0u8; 4096];
            match self.reader.read(&mut chunk) {
                Ok(0) => return Err(Error::Protocol("answer pipe closed unexpectedly".into())),
                Ok(n) => self.pending.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == ErrorKind::Interrupted => return Ok(None),
                Err(e) => {
                    return Err(Error::Protocol(format!("read from the answer pipe: {e}")));
                }
            }
        }
    }

    /// Starts `exe worker` with its stdin piped to us and its stdout on this answer pipe. It
    /// stays in parbench's process group (a group kill of parbench, as `ab` does to a side,
    /// ends it too); what it starts itself (a `PARBENCH_WORKER` script's children) is killed
    /// with it when it is killed ([`crate::procgroup::kill_tree`]).
    pub(crate) fn spawn_worker(&self, exe: &Path) -> Result<(Child, ChildStdin)> {
        crate::procgroup::adopt_orphans();
        let spawn_err = |source| Error::Spawn {
            what: format!("worker process {}", exe.display()),
            io: source,
        };
        let stdout = self.writer.try_clone().map_err(spawn_err)?;
        let mut child = Command::new(exe)
            .arg("worker")
            .stdin(Stdio::piped())
            .stdout(stdout)
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(spawn_err)?;
        let stdin = child.stdin.take().expect("stdin was piped");
        Ok((child, stdin))
    }
}

/// Whether the answer pipe's read end `fd` has bytes (or end of stream) within `timeout`; `false`
/// on timeout or when a signal interrupted the wait. The process models wait here, in their own
/// thread, rather than in a reader thread: one wake-up less per answer, on the path every task
/// of `processes` takes.
pub(crate) fn readable(fd: RawFd, timeout: Duration) -> Result<bool> {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = timeout.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32;
    // SAFETY: one valid pollfd, count 1.
    match unsafe { libc::poll(&mut pfd, 1, ms) } {
        n if n > 0 => Ok(true),
        0 => Ok(false),
        _ => {
            let e = std::io::Error::last_os_error();
            if e.kind() == ErrorKind::Interrupted {
                Ok(false)
            } else {
                Err(Error::Protocol(format!("poll on the answer pipe: {e}")))
            }
        }
    }
}

/// Sends one request to a worker.
pub(crate) fn send(stdin: &mut ChildStdin, pid: u32, req: &Request) -> Result<()> {
    stdin.write_all(&encode(req)).map_err(|e| {
        Error::Protocol(format!(
            "cannot send task {} to worker {pid}: {e}",
            req.task
        ))
    })
}

/// Checks an answer's result and returns its checksum; the task's stamps go to the batch's
/// clock.
pub(crate) fn checksum_of(resp: &Response) -> Result<u64> {
    crate::taskclock::record(resp.started_ns, resp.ended_ns);
    resp.result.clone().map_err(|message| Error::WorkerFailed {
        pid: resp.pid,
        task: resp.task,
        message,
    })
}

/// The live children of an executor, by pid, each with the task it owes (if any).
/// Dropping it kills and reaps whatever is left.
#[derive(Default)]
pub(crate) struct Children {
    /// Each child, and the task it owes with the time it has had for it (pauses of the whole
    /// process not counted).
    alive: HashMap<u32, (Child, Option<(u64, crate::interrupt::Deadline)>)>,
    dead_since: HashMap<u32, Instant>,
    /// The supervising loop's watch for pauses, from the first task owed after an idle spell.
    watch: Option<crate::interrupt::PauseWatch>,
}

impl Children {
    pub(crate) fn len(&self) -> usize {
        self.alive.len()
    }

    pub(crate) fn insert(&mut self, child: Child) -> u32 {
        let pid = child.id();
        self.alive.insert(pid, (child, None));
        pid
    }

    /// Records that `pid` owes the answer to `task`, from now.
    pub(crate) fn assign(&mut self, pid: u32, task: u64) {
        if self.alive.values().all(|(_, owed)| owed.is_none()) {
            // Idle until now: the supervision's wake-ups start again.
            self.watch = None;
        }
        if let Some(entry) = self.alive.get_mut(&pid) {
            entry.1 = Some((task, crate::interrupt::Deadline::after(Duration::MAX)));
        }
    }

    /// Everything a waiting loop checks when no answer came: a signal, a child that died
    /// owing an answer (any pool child that died), a task over its `timeout` (its worker is
    /// killed).
    pub(crate) fn supervise(&mut self, pool: bool, timeout: Option<Duration>) -> Result<()> {
        crate::interrupt::check()?;
        self.watch
            .get_or_insert_with(|| crate::interrupt::PauseWatch::new(POLL))
            .tick();
        self.check_dead(pool)?;
        if let Some(limit) = timeout {
            let late = self.alive.iter().find_map(|(pid, (_, owed))| {
                owed.filter(|(_, since)| since.elapsed() > limit)
                    .map(|(task, _)| (*pid, task))
            });
            if let Some((pid, task)) = late {
                if let Some((mut child, _)) = self.alive.remove(&pid) {
                    crate::procgroup::kill_tree(&mut child);
                }
                return Err(Error::TaskTimeout {
                    pid,
                    task,
                    after_s: limit.as_secs_f64(),
                });
            }
        }
        Ok(())
    }

    /// Accepts the answer `resp`: the child must exist and owe exactly that task.
    pub(crate) fn settle(&mut self, resp: &Response) -> Result<()> {
        match self.alive.get_mut(&resp.pid) {
            Some((_, owed)) if owed.map(|o| o.0) == Some(resp.task) => {
                *owed = None;
                Ok(())
            }
            Some((_, owed)) => Err(Error::Protocol(format!(
                "worker {} answered task {} but owed {:?}",
                resp.pid,
                resp.task,
                owed.map(|o| o.0)
            ))),
            None => Err(Error::Protocol(format!(
                "answer from unknown process {}",
                resp.pid
            ))),
        }
    }

    /// Waits for `pid` to exit and forgets it.
    pub(crate) fn reap(&mut self, pid: u32) -> Result<ExitStatus> {
        let (mut child, _) = self
            .alive
            .remove(&pid)
            .ok_or_else(|| Error::Protocol(format!("no child with pid {pid}")))?;
        self.dead_since.remove(&pid);
        let status = child.wait().map_err(|source| Error::Spawn {
            what: format!("wait for worker {pid}"),
            io: source,
        })?;
        Ok(status)
    }

    /// An error for a child that died while it still owed an answer (after a grace period for the
    /// answer to come through the pipe), or for a pool child that died at all.
    pub(crate) fn check_dead(&mut self, pool: bool) -> Result<()> {
        let now = Instant::now();
        for (pid, (child, owed)) in self.alive.iter_mut() {
            let Ok(Some(status)) = child.try_wait() else {
                continue;
            };
            if owed.is_none() && !pool {
                continue;
            }
            let since = *self.dead_since.entry(*pid).or_insert(now);
            if now.duration_since(since) >= GRACE {
                return Err(Error::WorkerDied {
                    pid: *pid,
                    task: owed.map(|o| o.0),
                    status: status.to_string(),
                });
            }
        }
        Ok(())
    }

    /// Gives children `grace` to exit on their own (their stdin was closed), then kills the rest.
    pub(crate) fn shutdown(&mut self, grace: Duration) {
        let deadline = Instant::now() + grace;
        while !self.alive.is_empty() && Instant::now() < deadline {
            self.alive
                .retain(|_, (child, _)| !matches!(child.try_wait(), Ok(Some(_))));
            std::thread::sleep(Duration::from_millis(2));
        }
        for (_, (mut child, _)) in self.alive.drain() {
            crate::procgroup::kill_tree(&mut child);
        }
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        self.shutdown(Duration::ZERO);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::Usage;

    fn answer(task: u64) -> Vec<u8> {
        encode(&Response {
            pid: 7,
            task,
            result: Ok(task * 3),
            usage: Usage::default(),
            started_ns: 0,
            ended_ns: 0,
        })
    }

    #[test]
    fn answers_come_whole_and_in_order_however_the_bytes_arrive() {
        let mut pipe = AnswerPipe::new().unwrap();
        let t0 = Instant::now();
        assert!(pipe.recv(Duration::from_millis(30)).unwrap().is_none());
        assert!(t0.elapsed() >= Duration::from_millis(30));
        // Two answers in one write, then a third in two pieces.
        let mut bytes = answer(1);
        bytes.extend(answer(2));
        pipe.writer.write_all(&bytes).unwrap();
        let third = answer(3);
        pipe.writer.write_all(&third[..5]).unwrap();
        for task in [1, 2] {
            let resp = pipe.recv(Duration::ZERO).unwrap().unwrap();
            assert_eq!((resp.task, resp.result), (task, Ok(task * 3)));
        }
        assert!(pipe.recv(Duration::from_millis(10)).unwrap().is_none());
        pipe.writer.write_all(&third[5..]).unwrap();
        assert_eq!(pipe.recv(Duration::ZERO).unwrap().unwrap().task, 3);
        pipe.writer.write_all(b"garbage").unwrap();
        assert!(pipe.recv(Duration::ZERO).is_err());
    }
}
