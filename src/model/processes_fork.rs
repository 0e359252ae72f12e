//! `processes-fork`: a new OS process for every task, at most N alive, created with `fork` (the
//! lesson's `multiprocessing` on Linux, whose default start method is fork). The child is a copy
//! of parbench: it runs its one task, writes a 40-byte answer to a pipe shared by all children and
//! leaves with `_exit`, touching no lock and no allocator (the parent has other threads, whose
//! locks a forked child must never wait for). Compare with `processes` (the spawn start method:
//! a fresh `parbench worker` executable per task), in the `noop` numbers above all.
//! Unix only. Supervision as for the other process models: a child that dies without answering
//! is an error, every child is reaped, and a failing batch kills and reaps the rest.

use super::child::{GRACE, POLL, readable};
use super::{BatchOutcome, Executor};
use crate::error::{Error, Result};
use crate::workload::{WorkloadSpec, combine};
use std::collections::HashMap;
use std::time::{Duration, Instant};

const MAGIC: [u8; 4] = *b"PBF1";
/// magic, pid (u32), task (u64), checksum (u64), started and ended (u64 each, see
/// [`crate::taskclock::now_ns`]), little endian: one atomic pipe write.
const RECORD: usize = 40;

fn os_err(what: &str) -> Error {
    Error::Spawn {
        what: what.to_string(),
        io: std::io::Error::last_os_error(),
    }
}

/// Forks one child per task, keeping at most `workers` alive.
#[derive(Debug)]
pub struct ProcessesForkModel {
    workers: usize,
    read_fd: i32,
    write_fd: i32,
    timeout: Option<Duration>,
}

impl ProcessesForkModel {
    /// At most `workers` forked children alive at once.
    pub fn new(workers: usize) -> Result<Self> {
        let mut fds = [0i32; 2];
        // SAFETY: fds is a valid array of two ints.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return Err(os_err("answer pipe"));
        }
        Ok(ProcessesForkModel {
            workers,
            read_fd: fds[0],
            write_fd: fds[1],
            timeout: None,
        })
    }

    /// Forks a child that runs `task` and answers on the pipe; returns its pid.
    fn fork_task(&self, spec: &WorkloadSpec, task: u64) -> Result<u32> {
        // SAFETY: the child only computes, sleeps (nanosleep), writes to a pipe and calls
        // `_exit`: async-signal-safe work that needs no lock another thread could hold.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(os_err(&format!("forked worker for task {task}")));
        }
        if pid == 0 {
            // SAFETY: close and prctl are async-signal-safe. Without the read end, a child
            // whose parent died gets EPIPE instead of blocking forever on a full pipe that only
            // its siblings hold open; PDEATHSIG ends it when the parent dies.
            unsafe {
                libc::close(self.read_fd);
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            }
            // clock_gettime is async-signal-safe.
            let started = crate::taskclock::now_ns();
            let checksum = spec.run_task(task);
            let ended = crate::taskclock::now_ns();
            if let Some(p) = crate::workload::user::take_panic() {
                // A user's task panicked (caught): say so on stderr, and die without an answer,
                // so the parent names the task.
                let line = format!(
                    "parbench: forked worker: task {} of {} panicked: {}\n",
                    p.task, p.workload, p.message
                );
                // SAFETY: write and _exit are async-signal-safe.
                unsafe {
                    libc::write(2, line.as_ptr().cast(), line.len());
                    libc::_exit(101);
                }
            }
            let mut rec = [0u8; RECORD];
            rec[..4].copy_from_slice(&MAGIC);
            // SAFETY: getpid, write and _exit are async-signal-safe.
            unsafe {
                rec[4..8].copy_from_slice(&(libc::getpid() as u32).to_le_bytes());
                rec[8..16].copy_from_slice(&task.to_le_bytes());
                rec[16..24].copy_from_slice(&checksum.to_le_bytes());
                rec[24..32].copy_from_slice(&started.to_le_bytes());
                rec[32..40].copy_from_slice(&ended.to_le_bytes());
                let n = libc::write(self.write_fd, rec.as_ptr().cast(), RECORD);
                libc::_exit(if n == RECORD as isize { 0 } else { 3 });
            }
        }
        Ok(pid as u32)
    }

    /// Waits up to [`POLL`] for answers and appends the complete records to `out`.
    fn read_answers(&self, buf: &mut Vec<u8>, out: &mut Vec<(u32, u64, u64)>) -> Result<()> {
        if !readable(self.read_fd, POLL)? {
            return Ok(());
        }
        let mut chunk = [0u8; 4096];
        // SAFETY: chunk is writable for its length.
        let n = unsafe { libc::read(self.read_fd, chunk.as_mut_ptr().cast(), chunk.len()) };
        if n < 0 {
            return Err(Error::Protocol(format!(
                "read from the answer pipe: {}",
                std::io::Error::last_os_error()
            )));
        }
        buf.extend_from_slice(&chunk[..n as usize]);
        let whole = buf.len() / RECORD * RECORD;
        for rec in buf[..whole].chunks_exact(RECORD) {
            if rec[..4] != MAGIC {
                return Err(Error::Protocol(format!(
                    "bad answer magic {:02x?} from a forked worker",
                    &rec[..4]
                )));
            }
            let word = |at: usize| u64::from_le_bytes(rec[at..at + 8].try_into().unwrap());
            crate::taskclock::record(word(24), word(32));
            out.push((
                u32::from_le_bytes(rec[4..8].try_into().unwrap()),
                u64::from_le_bytes(rec[8..16].try_into().unwrap()),
                u64::from_le_bytes(rec[16..24].try_into().unwrap()),
            ));
        }
        buf.drain(..whole);
        Ok(())
    }
}

/// Forked children still alive, with the task each owes; dropping kills and reaps the rest.
#[derive(Default)]
struct Forked {
    /// pid → (task owed, its time since it was forked (pauses of the whole process not
    /// counted), when it was first seen dead).
    alive: HashMap<u32, (u64, crate::interrupt::Deadline, Option<Instant>)>,
    /// The supervising loop's watch for pauses (one batch).
    watch: Option<crate::interrupt::PauseWatch>,
}

impl Forked {
    /// Blocks until `pid` has exited; returns its wait status.
    fn reap(&mut self, pid: u32) -> Result<i32> {
        self.alive.remove(&pid);
        let mut status = 0;
        loop {
            // SAFETY: waiting for our own child.
            let r = unsafe { libc::waitpid(pid as i32, &mut status, 0) };
            if r == pid as i32 {
                return Ok(status);
            }
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(Error::Spawn {
                    what: format!("wait for forked worker {pid}"),
                    io: e,
                });
            }
        }
    }

    /// An error for a signal, a child that exited without answering (after a grace period for
    /// its answer), or one that is still running after `timeout` (it is killed).
    fn supervise(&mut self, timeout: Option<Duration>) -> Result<()> {
        crate::interrupt::check()?;
        self.watch
            .get_or_insert_with(|| crate::interrupt::PauseWatch::new(POLL))
            .tick();
        if let Some(limit) = timeout {
            let late = self
                .alive
                .iter()
                .find(|(_, (_, since, dead))| dead.is_none() && since.elapsed() > limit)
                .map(|(pid, (task, _, _))| (*pid, *task));
            if let Some((pid, task)) = late {
                let mut status = 0;
                // SAFETY: killing and reaping our own child.
                unsafe {
                    libc::kill(pid as i32, libc::SIGKILL);
                    libc::waitpid(pid as i32, &mut status, 0);
                }
                self.alive.remove(&pid);
                return Err(Error::TaskTimeout {
                    pid,
                    task,
                    after_s: limit.as_secs_f64(),
                });
            }
        }
        let now = Instant::now();
        for (pid, (task, _, dead_since)) in self.alive.iter_mut() {
            let mut status = 0;
            if dead_since.is_none() {
                // WNOWAIT: look without reaping; the answer may still be in the pipe.
                let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
                // SAFETY: waiting (without reaping) for our own child.
                let r = unsafe {
                    libc::waitid(
                        libc::P_PID,
                        *pid as libc::id_t,
                        &mut info,
                        libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
                    )
                };
                // SAFETY: si_pid is valid after waitid reported a child.
                if r == 0 && unsafe { info.si_pid() } == *pid as i32 {
                    *dead_since = Some(now);
                }
                continue;
            }
            if now.duration_since(dead_since.unwrap()) >= GRACE {
                // SAFETY: reaping our own child that has exited.
                unsafe { libc::waitpid(*pid as i32, &mut status, 0) };
                let (pid, task) = (*pid, *task);
                self.alive.remove(&pid);
                return Err(Error::WorkerDied {
                    pid,
                    task: Some(task),
                    status: describe(status),
                });
            }
        }
        Ok(())
    }
}

impl Drop for Forked {
    fn drop(&mut self) {
        for (&pid, _) in self.alive.iter() {
            let mut status = 0;
            // SAFETY: killing and reaping our own children.
            unsafe {
                libc::kill(pid as i32, libc::SIGKILL);
                libc::waitpid(pid as i32, &mut status, 0);
            }
        }
    }
}

/// A wait status in words.
fn describe(status: i32) -> String {
    if libc::WIFEXITED(status) {
        format!("exit status: {}", libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        format!("killed by signal {}", libc::WTERMSIG(status))
    } else {
        format!("wait status {status:#x}")
    }
}

/// A `/proc` field in KiB (`VmPTE:` of `/proc/self/status`, `MemAvailable:` of `/proc/meminfo`).
fn proc_kib(file: &str, key: &str) -> Option<u64> {
    crate::usage::proc_field(&std::fs::read_to_string(file).ok()?, key)
}

/// Every forked child gets a copy of the parent's page tables, which grow with the threads and
/// memory the parent holds (4000 idle pool threads: ~32 MiB). Refuses a batch whose children
/// would need more than half the available memory for that alone, instead of running into the
/// OOM killer.
fn check_fork_memory(workers: usize, tasks: u64) -> Result<()> {
    let (Some(pte), Some(avail)) = (
        proc_kib("/proc/self/status", "VmPTE:"),
        proc_kib("/proc/meminfo", "MemAvailable:"),
    ) else {
        return Ok(());
    };
    let alive = (workers as u64).min(tasks);
    // Page tables plus a few pages the child dirties (stack, the answer).
    let per_child = pte + 64;
    if alive * per_child > avail / 2 {
        return Err(Error::Config(format!(
            "processes-fork with {alive} children at once would copy {} MiB of page tables each ({} MiB in all), more than half the {} MiB available: at most N = {} fits; run it with fewer workers or apart from models that hold many threads",
            per_child >> 10,
            (alive * per_child) >> 10,
            avail >> 10,
            avail / 2 / per_child
        )));
    }
    Ok(())
}

impl Executor for ProcessesForkModel {
    fn prepare(&mut self, _workload: &WorkloadSpec, tasks: u64) -> Result<()> {
        check_fork_memory(self.workers, tasks)
    }

    fn run_batch(&mut self, workload: &WorkloadSpec, tasks: u64) -> Result<BatchOutcome> {
        let mut children = Forked::default();
        let (mut next, mut done, mut checksum) = (0u64, 0u64, 0u64);
        let mut pids = Vec::with_capacity(tasks as usize);
        let (mut buf, mut answers) = (Vec::new(), Vec::new());
        while done < tasks {
            while next < tasks && children.alive.len() < self.workers {
                let pid = self.fork_task(workload, next)?;
                let since = crate::interrupt::Deadline::after(Duration::MAX);
                children.alive.insert(pid, (next, since, None));
                next += 1;
            }
            self.read_answers(&mut buf, &mut answers)?;
            if answers.is_empty() {
                children.supervise(self.timeout)?;
            }
            for (pid, task, c) in answers.drain(..) {
                match children.alive.get(&pid) {
                    Some((owed, _, _)) if *owed == task => {}
                    _ => {
                        return Err(Error::Protocol(format!(
                            "unexpected answer from forked worker {pid} for task {task}"
                        )));
                    }
                }
                let status = children.reap(pid)?;
                if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
                    return Err(Error::WorkerDied {
                        pid,
                        task: Some(task),
                        status: describe(status),
                    });
                }
                checksum = combine(checksum, c);
                pids.push(pid);
                done += 1;
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

impl Drop for ProcessesForkModel {
    fn drop(&mut self) {
        // SAFETY: closing our own descriptors once.
        unsafe {
            libc::close(self.read_fd);
            libc::close(self.write_fd);
        }
    }
}
