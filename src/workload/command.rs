//! The `command` workload (`parbench run --command CMD`): a task runs another program once, so
//! any program — a compressor, a test shard, a script — is measured across the models that can
//! wait on children (sequential, threads, thread-pool, rayon: a thread waits on each child;
//! async: `tokio::process`). It is a user workload ([`super::user`]) whose body is a
//! [`Program`], registered under a name by [`register`].
//!
//! A task runs CMD through the shell (`sh -c CMD`, or another `--shell`), or directly, split into
//! words, with `--shell none`; `{task}` in CMD is replaced by the task index and
//! `PARBENCH_TASK=<index>` is in its environment. Its stdin is empty; its stdout is discarded, or
//! hashed with `--check-output`; its stderr is read and only its last line kept, for the message
//! when the task fails.
//!
//! Its checksum proves the program ran and succeeded: every task must exit 0 (otherwise the task
//! records a failure naming itself, its exit status and the last line of its stderr, which the
//! runner turns into the cell's error), and with `--check-output` the hash of its stdout is part
//! of the checksum, so output that changes from one batch to the next fails the cell.
//!
//! Every task's child leads a process group of its own. When the child exits, whatever it left
//! running in its group is killed; a task that runs past the task timeout is killed with its
//! group; [`kill_all`] kills every running task's group (the runner calls it on Ctrl-C). Nothing
//! is left behind. The child's exit is seen through a pidfd on Linux, so the wait adds no
//! polling delay to the measured time.
//!
//! This module does not time anything and does not decide which models may run a command (the
//! plan does).

use super::user::{self, Body, Shape, UserRef};
use super::{AsyncTask, mix};
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{ExitStatus, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// The task timeout until the runner sets one: a command's first runs have ten minutes.
pub const FIRST_TIMEOUT: Duration = Duration::from_secs(600);

/// How much of a task's stderr is kept, bytes (its last line is what a failure shows).
const STDERR_TAIL: usize = 4096;

/// Salt so a command task's checksum differs from the other workloads'.
const SALT: u64 = 0xC0DE_0000_0000_0018;

/// The program a `command` workload runs, as given on the command line and recorded verbatim in
/// the result file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Program {
    /// The command, verbatim (`{task}` is replaced by the task index when a task runs it).
    pub command: String,
    /// The shell that runs it as `SHELL -c CMD`; `None`: run it directly, split into words
    /// (`--shell none`).
    pub shell: Option<String>,
    /// Whether a task's stdout is hashed into its checksum (`--check-output`).
    #[serde(default)]
    pub check_output: bool,
    /// Run once per cell before its first batch, untimed (`--setup`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup: Option<String>,
    /// Run before every batch, untimed (`--prepare`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prepare: Option<String>,
}

impl Program {
    /// `command` through `sh`, no output check, no setup or prepare.
    pub fn shell(command: impl Into<String>) -> Program {
        Program {
            command: command.into(),
            shell: Some("sh".into()),
            check_output: false,
            setup: None,
            prepare: None,
        }
    }

    /// Why it cannot run, in one line naming the option.
    pub fn check(&self) -> Result<(), String> {
        let texts = [
            ("--command", Some(&self.command)),
            ("--setup", self.setup.as_ref()),
            ("--prepare", self.prepare.as_ref()),
        ];
        for (flag, text) in texts {
            let Some(text) = text else { continue };
            if text.trim().is_empty() {
                return Err(format!("{flag} must not be empty"));
            }
            if text.contains('\0') {
                return Err(format!("{flag} '{}' holds a NUL byte", text.escape_debug()));
            }
            if self.shell.is_none() {
                match shell_words::split(text) {
                    Ok(words) if words.is_empty() => {
                        return Err(format!("{flag} must not be empty"));
                    }
                    Ok(_) => {}
                    Err(e) => {
                        return Err(format!(
                            "{flag} '{}' cannot be split into words ({e}); quote it, or run it through a shell",
                            text.escape_debug()
                        ));
                    }
                }
            }
        }
        if let Some(sh) = &self.shell
            && sh.trim().is_empty()
        {
            return Err("--shell must name a shell, or be 'none'".into());
        }
        Ok(())
    }

    /// A name for the workload from the program's first word ("gzip" for `gzip -c f`), or
    /// "command" when that word would not make a workload name.
    pub fn default_name(&self) -> String {
        let first = shell_words::split(&self.command)
            .ok()
            .and_then(|w| w.into_iter().find(|w| !w.contains('=')))
            .unwrap_or_default();
        let base = first.rsplit('/').next().unwrap_or("").to_string();
        match user::check_name(&base) {
            Ok(()) => base,
            Err(_) => "command".into(),
        }
    }

    /// `text` ready to run: through the shell, or split into words.
    fn std_command(&self, text: &str) -> std::io::Result<std::process::Command> {
        let mut cmd = match &self.shell {
            Some(shell) => {
                let mut c = std::process::Command::new(shell);
                c.arg("-c").arg(text);
                c
            }
            None => {
                let words = shell_words::split(text)
                    .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
                let (program, args) = words.split_first().ok_or_else(|| {
                    std::io::Error::new(std::io::ErrorKind::InvalidInput, "an empty command")
                })?;
                let mut c = std::process::Command::new(program);
                c.args(args);
                c
            }
        };
        cmd.stdin(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0);
        Ok(cmd)
    }

    /// The command of task `task`: `{task}` replaced, `PARBENCH_TASK` set, stdout piped when
    /// checked.
    fn task_command(&self, task: u64) -> std::io::Result<(String, std::process::Command)> {
        let text = self.command.replace("{task}", &task.to_string());
        let mut cmd = self.std_command(&text)?;
        cmd.env("PARBENCH_TASK", task.to_string())
            .stdout(if self.check_output {
                Stdio::piped()
            } else {
                Stdio::null()
            });
        Ok((text, cmd))
    }
}

/// A registered command: its program, the task timeout the runner set, and whether a task of
/// the current batch failed (then the tasks not yet started do not start: the batch fails
/// anyway, and a failing command is not run a hundred times over).
#[derive(Debug)]
pub struct CommandBody {
    program: Program,
    timeout_ns: AtomicU64,
    failed: AtomicBool,
}

impl CommandBody {
    fn new(program: Program) -> Self {
        CommandBody {
            program,
            timeout_ns: AtomicU64::new(FIRST_TIMEOUT.as_nanos() as u64),
            failed: AtomicBool::new(false),
        }
    }

    /// A task of this batch failed (and was recorded): the rest do not start.
    pub(crate) fn stop_batch(&self) {
        self.failed.store(true, Ordering::Relaxed);
    }

    fn stopped(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }

    /// The program.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// Sets how long a task (or `--setup`, `--prepare`) may run before it is killed.
    pub(crate) fn set_timeout(&self, timeout: Duration) {
        let ns = u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX).max(1);
        self.timeout_ns.store(ns, Ordering::Relaxed);
    }

    fn timeout(&self) -> Duration {
        Duration::from_nanos(self.timeout_ns.load(Ordering::Relaxed))
    }

    /// Runs task `task` on this thread; its checksum, or why it failed. The caller records
    /// a failure, then calls [`CommandBody::stop_batch`].
    pub(crate) fn run(&self, task: u64) -> Result<u64, String> {
        if self.stopped() {
            return Err(format!("task {task} not started: an earlier task failed"));
        }
        let (text, cmd) = self.program.task_command(task).map_err(|e| e.to_string())?;
        let ran = run_blocking(cmd, &text, self.timeout(), self.program.check_output)?;
        ran.checksum(task, &text)
    }

    /// Runs task `task` with `tokio::process`; its checksum, or why it failed.
    pub(crate) fn run_async(&'static self, task: u64) -> AsyncTask {
        Box::pin(async move {
            if self.stopped() {
                // Not an error of its own: the task that failed reports the batch's.
                return Ok(0);
            }
            let fail = |message: String| {
                self.stop_batch();
                crate::Error::TaskFailed {
                    what: format!("task {task}"),
                    message,
                }
            };
            let (text, cmd) = self
                .program
                .task_command(task)
                .map_err(|e| fail(e.to_string()))?;
            let ran = run_tokio(cmd, &text, self.timeout(), self.program.check_output)
                .await
                .map_err(fail)?;
            ran.checksum(task, &text).map_err(fail)
        })
    }

    /// Runs `--setup` (`setup` true) or `--prepare`, if given, and waits for it. Preparing
    /// starts a batch: its tasks may run again.
    pub(crate) fn run_hook(&self, setup: bool) -> crate::Result<()> {
        if !setup {
            self.failed.store(false, Ordering::Relaxed);
        }
        let (flag, text) = match setup {
            true => ("--setup", &self.program.setup),
            false => ("--prepare", &self.program.prepare),
        };
        let Some(text) = text else { return Ok(()) };
        let fail = |message: String| crate::Error::TaskFailed {
            what: flag.to_string(),
            message,
        };
        let mut cmd = self
            .program
            .std_command(text)
            .map_err(|e| fail(e.to_string()))?;
        cmd.stdout(Stdio::null());
        let ran = run_blocking(cmd, text, self.timeout(), false).map_err(fail)?;
        ran.succeeded(text).map_err(fail)
    }
}

/// A finished child: how it ended, the hash of its stdout, the tail of its stderr.
struct Ran {
    status: ExitStatus,
    stdout_hash: u64,
    stderr_tail: Vec<u8>,
}

impl Ran {
    /// `Ok` when it exited 0; else its status and last stderr line in words.
    fn succeeded(&self, text: &str) -> Result<(), String> {
        if self.status.success() {
            return Ok(());
        }
        let how = match (self.status.code(), self.status.signal()) {
            (Some(code), _) => format!("exited with status {code}"),
            (None, Some(sig)) => format!("was killed by signal {sig}"),
            (None, None) => format!("ended ({})", self.status),
        };
        let tail = String::from_utf8_lossy(&self.stderr_tail);
        let last = tail.lines().map(str::trim).rfind(|l| !l.is_empty());
        Err(match last {
            Some(line) => format!("`{text}` {how}; last line on stderr: {line}"),
            None => format!("`{text}` {how}, with nothing on stderr"),
        })
    }

    fn checksum(&self, task: u64, text: &str) -> Result<u64, String> {
        self.succeeded(text)?;
        Ok(mix(task ^ SALT ^ self.stdout_hash))
    }
}

/// The process groups of the tasks running now.
fn live() -> &'static Mutex<Vec<u32>> {
    static LIVE: Mutex<Vec<u32>> = Mutex::new(Vec::new());
    &LIVE
}

/// Kills the process group of every command task running now (with everything it started):
/// their tasks then fail. The runner calls it when the run is interrupted.
pub fn kill_all() {
    for &group in live().lock().unwrap_or_else(|e| e.into_inner()).iter() {
        crate::procgroup::kill(group);
    }
}

/// A started child's process group, killed and reaped when dropped unless it ended cleanly
/// (a task given up, a batch dropped, a panic): no child is left behind.
struct Group {
    id: u32,
}

impl Group {
    fn new(id: u32) -> Group {
        live().lock().unwrap_or_else(|e| e.into_inner()).push(id);
        Group { id }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        // Whatever the task left running in its group ends with it. The leader is not reaped
        // yet (a zombie holds its pid), so the group id cannot belong to anyone else.
        crate::procgroup::kill(self.id);
        let mut l = live().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = l.iter().position(|g| *g == self.id) {
            l.swap_remove(i);
        }
    }
}

/// Where a task's output goes: stdout into a hash, stderr's last bytes kept.
struct Sink {
    hasher: std::hash::DefaultHasher,
    tail: Vec<u8>,
}

impl Sink {
    fn new() -> Self {
        Sink {
            hasher: std::hash::DefaultHasher::new(),
            tail: Vec::new(),
        }
    }

    fn stdout(&mut self, bytes: &[u8]) {
        use std::hash::Hasher;
        self.hasher.write(bytes);
    }

    fn stderr(&mut self, bytes: &[u8]) {
        self.tail.extend_from_slice(bytes);
        if self.tail.len() > 2 * STDERR_TAIL {
            self.tail.drain(..self.tail.len() - STDERR_TAIL);
        }
    }

    fn finish(self, status: ExitStatus) -> Ran {
        use std::hash::Hasher;
        Ran {
            status,
            stdout_hash: self.hasher.finish(),
            stderr_tail: self.tail,
        }
    }
}

fn timed_out(text: &str, timeout: Duration) -> String {
    format!(
        "`{text}` did not finish within the task timeout of {:.1} s (killed with its process group; see --task-timeout)",
        timeout.as_secs_f64()
    )
}

fn not_started(text: &str, e: &std::io::Error) -> String {
    let first = match text.split_whitespace().next() {
        Some(w) => w,
        None => text,
    };
    match e.kind() {
        std::io::ErrorKind::NotFound => format!("cannot run `{text}`: {first}: command not found"),
        _ => format!("cannot run `{text}`: {e}"),
    }
}

/// A pidfd of `pid` (Linux 5.3+): readable once the process has exited.
fn pidfd(pid: u32) -> Option<OwnedFd> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
        if fd >= 0 {
            // SAFETY: a descriptor just returned to us, owned by nobody else.
            return Some(unsafe { OwnedFd::from_raw_fd(fd as i32) });
        }
    }
    let _ = pid;
    None
}

/// Whether `pid` (our child) has exited, leaving it unreaped (a zombie keeps its pid).
fn exited_unreaped(pid: u32) -> bool {
    // SAFETY: waitid with WNOWAIT only looks; `info` is a zeroed out-parameter.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        let r = libc::waitid(
            libc::P_PID,
            pid as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        );
        r == 0 && info.si_pid() != 0
    }
}

/// Runs `cmd` to its end on this thread, at most `timeout`.
fn run_blocking(
    mut cmd: std::process::Command,
    text: &str,
    timeout: Duration,
    keep_stdout: bool,
) -> Result<Ran, String> {
    // Time parbench (and the child with it) was stopped does not count.
    let deadline = crate::interrupt::Deadline::after(timeout);
    let mut child = cmd.spawn().map_err(|e| not_started(text, &e))?;
    let group = Group::new(child.id());
    let pidfd = pidfd(child.id());
    let mut out = child.stdout.take().filter(|_| keep_stdout);
    let mut err = child.stderr.take();
    let mut sink = Sink::new();
    let mut exited = false;
    let mut buf = vec![0u8; 64 << 10];
    loop {
        if !exited {
            exited = match &pidfd {
                Some(_) => false,
                None => exited_unreaped(child.id()),
            };
        }
        if exited && out.is_none() && err.is_none() {
            break;
        }
        let left = deadline.left();
        if left.is_zero() && deadline.expired() {
            drop(group);
            let _ = child.wait();
            crate::procgroup::reap(child.id());
            return Err(timed_out(text, timeout));
        }
        let mut fds: Vec<libc::pollfd> = Vec::with_capacity(3);
        let pfd = |fd: i32| libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        if let Some(o) = &out {
            fds.push(pfd(o.as_raw_fd()));
        }
        if let Some(e) = &err {
            fds.push(pfd(e.as_raw_fd()));
        }
        match (&pidfd, exited) {
            (Some(p), false) => fds.push(pfd(p.as_raw_fd())),
            // Without a pidfd, look again soon once the pipes are closed.
            (None, false) if fds.is_empty() => {
                std::thread::sleep(left.min(Duration::from_millis(1)));
                continue;
            }
            _ => {}
        }
        let ms = left.as_millis().clamp(1, i32::MAX as u128) as i32;
        let ms = if pidfd.is_none() && !exited {
            ms.min(1)
        } else {
            ms
        };
        // SAFETY: `fds` is a valid array of pollfd of the given length.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
        if n < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(format!(
                "waiting for `{text}`: {}",
                std::io::Error::last_os_error()
            ));
        }
        let ready = |fd: i32| {
            fds.iter().any(|p| {
                p.fd == fd && p.revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0
            })
        };
        if let Some(o) = &mut out
            && ready(o.as_raw_fd())
        {
            match o.read(&mut buf) {
                Ok(0) => out = None,
                Ok(k) => sink.stdout(&buf[..k]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => out = None,
            }
        }
        if let Some(e) = &mut err
            && ready(e.as_raw_fd())
        {
            match e.read(&mut buf) {
                Ok(0) => err = None,
                Ok(k) => sink.stderr(&buf[..k]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => err = None,
            }
        }
        if let Some(p) = &pidfd
            && !exited
            && ready(p.as_raw_fd())
        {
            exited = true;
        }
        if exited {
            // The leader is gone: end what it left in its group, so the pipes close.
            crate::procgroup::kill(child.id());
        }
    }
    drop(group);
    let status = child
        .wait()
        .map_err(|e| format!("waiting for `{text}`: {e}"))?;
    crate::procgroup::reap(child.id());
    Ok(sink.finish(status))
}

/// Runs `cmd` to its end with `tokio::process`, at most `timeout`.
async fn run_tokio(
    cmd: std::process::Command,
    text: &str,
    timeout: Duration,
    keep_stdout: bool,
) -> Result<Ran, String> {
    use tokio::io::AsyncReadExt;
    let mut cmd = tokio::process::Command::from(cmd);
    let mut child = cmd.spawn().map_err(|e| not_started(text, &e))?;
    let id = child.id().unwrap_or(0);
    let group = Group::new(id);
    let out = child.stdout.take().filter(|_| keep_stdout);
    let err = child.stderr.take();
    let sink = std::sync::Arc::new(Mutex::new(Sink::new()));
    let read_out = {
        let sink = sink.clone();
        async move {
            let Some(mut out) = out else { return };
            let mut buf = vec![0u8; 64 << 10];
            while let Ok(k @ 1..) = out.read(&mut buf).await {
                sink.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .stdout(&buf[..k]);
            }
        }
    };
    let read_err = {
        let sink = sink.clone();
        async move {
            let Some(mut err) = err else { return };
            let mut buf = vec![0u8; 16 << 10];
            while let Ok(k @ 1..) = err.read(&mut buf).await {
                sink.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .stderr(&buf[..k]);
            }
        }
    };
    // The leader's exit, seen without reaping it (its pid stays ours), then its group ended so
    // the pipes close.
    let exit = async {
        // SAFETY: the AsyncFd owns the pidfd and nothing else closes or replaces it.
        match pidfd(id).and_then(|fd| unsafe { tokio::io::unix::AsyncFd::register(fd) }.ok()) {
            Some(fd) => {
                let _ = fd.readable().await;
            }
            None => {
                while !exited_unreaped(id) {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
        }
        crate::procgroup::kill(id);
    };
    let all = async { tokio::join!(read_out, read_err, exit) };
    let finished = tokio::time::timeout(timeout, all).await.is_ok();
    drop(group);
    let status = child.wait().await;
    crate::procgroup::reap(id);
    if !finished {
        return Err(timed_out(text, timeout));
    }
    let status = status.map_err(|e| format!("waiting for `{text}`: {e}"))?;
    let sink = std::mem::replace(
        &mut *sink.lock().unwrap_or_else(|e| e.into_inner()),
        Sink::new(),
    );
    Ok(sink.finish(status))
}

/// Registers `program` as the workload `name` for the rest of the program (see
/// [`super::user`]); a name already registered with the same program is that workload.
pub fn register(name: &str, program: Program) -> Result<UserRef, String> {
    program.check()?;
    if let Some(w) = user::registered(name)
        && w.program() == Some(&program)
    {
        return Ok(w);
    }
    crate::procgroup::adopt_orphans();
    user::register(name, Shape::Blocking, None, body(program))
        .map_err(|e| e.replace("registered twice", "given to two commands (--name)"))
}

/// Registers one workload per program (`--command`, repeated), named by `names` in order
/// (`--name`), else after its program ("gzip"; "gzip-2" for a second one).
pub fn register_all(programs: Vec<Program>, names: &[String]) -> Result<Vec<UserRef>, String> {
    if names.len() > programs.len() {
        return Err(format!(
            "{} --name given for {} --command",
            names.len(),
            programs.len()
        ));
    }
    let mut taken: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for (i, program) in programs.into_iter().enumerate() {
        let name = match names.get(i) {
            Some(n) => {
                user::check_name(n).map_err(|e| format!("--name: {e}"))?;
                n.clone()
            }
            None => {
                let base = program.default_name();
                let mut name = base.clone();
                let mut k = 2;
                while taken.contains(&name) || names.contains(&name) {
                    name = format!("{base}-{k}");
                    k += 1;
                }
                name
            }
        };
        if taken.contains(&name) {
            return Err(format!("--name '{name}' is given to two commands"));
        }
        out.push(register(&name, program)?);
        taken.push(name);
    }
    Ok(out)
}

/// The body of a command workload read from a file: the same program, runnable.
pub(crate) fn body(program: Program) -> Body {
    Body::Command(Box::leak(Box::new(CommandBody::new(program))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(command: &str) -> CommandBody {
        CommandBody::new(Program::shell(command))
    }

    #[test]
    fn a_task_runs_with_its_index_and_succeeds_or_fails_in_words() {
        let ok = body("test \"$PARBENCH_TASK\" = {task}");
        assert_eq!(ok.run(3), ok.run(3));
        assert_ne!(ok.run(3).unwrap(), ok.run(4).unwrap());
        let fails = body("echo first >&2; echo 'gzip: nope: No such file' >&2; exit 3");
        let e = fails.run(0).unwrap_err();
        assert!(e.contains("exited with status 3"), "{e}");
        assert!(
            e.ends_with("last line on stderr: gzip: nope: No such file"),
            "{e}"
        );
        let missing = CommandBody::new(Program {
            shell: None,
            ..Program::shell("parbench-no-such-program --flag")
        });
        let e = missing.run(0).unwrap_err();
        assert!(
            e.contains("parbench-no-such-program: command not found"),
            "{e}"
        );
    }

    #[test]
    fn output_is_checked_only_when_asked() {
        let mut p = Program::shell("echo run $(date +%N)");
        let unchecked = CommandBody::new(p.clone());
        assert_eq!(unchecked.run(1), unchecked.run(1));
        p.check_output = true;
        let checked = CommandBody::new(p);
        assert_ne!(checked.run(1), checked.run(1));
        let stable = CommandBody::new(Program {
            check_output: true,
            ..Program::shell("echo {task}")
        });
        assert_eq!(stable.run(2), stable.run(2));
        assert_ne!(stable.run(2).unwrap(), unchecked_value(2));
    }

    fn unchecked_value(task: u64) -> u64 {
        body("true").run(task).unwrap()
    }

    /// The processes whose command line holds `marker`.
    fn alive_with(marker: &str) -> usize {
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
            .filter(|c| String::from_utf8_lossy(c).contains(marker))
            .count()
    }

    #[test]
    fn a_hanging_task_is_killed_with_its_group_at_the_timeout() {
        crate::procgroup::adopt_orphans();
        let hangs = body("sleep 31.4159 & sleep 31.4159");
        hangs.set_timeout(Duration::from_millis(300));
        let t0 = std::time::Instant::now();
        let e = hangs.run(0).unwrap_err();
        assert!(
            e.contains("did not finish within the task timeout of 0.3 s"),
            "{e}"
        );
        assert!(t0.elapsed() < Duration::from_secs(10));
        assert_eq!(alive_with("31.4159"), 0);
        // What a task leaves running after it exits is ended with it.
        let leaves = body("sleep 27.1828 & echo done");
        assert!(leaves.run(0).is_ok());
        assert_eq!(alive_with("27.1828"), 0);
    }

    #[test]
    fn async_tasks_agree_with_blocking_ones() {
        let b: &'static CommandBody = Box::leak(Box::new(CommandBody {
            program: Program {
                check_output: true,
                ..Program::shell("echo {task}; echo warn >&2")
            },
            timeout_ns: AtomicU64::new(10_000_000_000),
            failed: AtomicBool::new(false),
        }));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let a = rt.block_on(b.run_async(5)).unwrap();
        assert_eq!(a, b.run(5).unwrap());
        let fails: &'static CommandBody = Box::leak(Box::new(body("echo bad >&2; exit 1")));
        let e = rt.block_on(fails.run_async(0)).unwrap_err().to_string();
        assert!(
            e.contains("task 0: `echo bad >&2; exit 1` exited with status 1"),
            "{e}"
        );
    }

    #[test]
    fn programs_are_checked_and_named() {
        assert!(
            Program::shell(" ")
                .check()
                .unwrap_err()
                .contains("--command")
        );
        let p = Program {
            shell: None,
            ..Program::shell("gzip 'unclosed")
        };
        assert!(p.check().unwrap_err().contains("cannot be split"));
        assert_eq!(Program::shell("/usr/bin/gzip -c f").default_name(), "gzip");
        assert_eq!(Program::shell("LC_ALL=C sort f").default_name(), "sort");
        assert_eq!(Program::shell("cpu --x").default_name(), "command");
        assert_eq!(Program::shell("{ a; }").default_name(), "command");
    }
}
