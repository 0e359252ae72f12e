//! `py-sequential`, `py-threads`, `py-processes`, `py-thread-pool`, `py-process-pool`: the
//! lesson's own models run by CPython, so its numbers can be reproduced next to parbench's.
//!
//! The stdlib-only script `scripts/pylesson.py` is compiled into parbench and written to a
//! temporary file when the model starts; `python3 pylesson.py serve --model M --workers N` then
//! creates its pool (a process pool is warmed up, outside the timed region) and answers one JSON
//! line per batch request. parbench times the round trip of a request, which adds a pipe round
//! trip (tens of µs) to every batch. The interpreter is `$PARBENCH_PYTHON`, else `python3` on the
//! `PATH`; without one, starting the model fails with [`Error::Unavailable`], which the runner
//! turns into a one-line notice and skipped cells.
//!
//! The driver runs in a process group of its own: a Ctrl-C in the terminal reaches parbench,
//! not CPython (no KeyboardInterrupt tracebacks), and on an error, a signal or a timeout the
//! whole group (the driver and every process it forked) is killed with one `kill(-pgid)`.
//! parbench makes itself a child subreaper (Linux), so the driver's children, orphaned when it
//! dies, become parbench's and are reaped here instead of lingering as zombies under an init
//! that may never reap them (as in many containers). A
//! reader thread turns the driver's lines into channel messages, so waiting for a batch checks
//! for signals and for the batch deadline every 100 ms.

use super::{BatchOutcome, Executor};
use crate::error::{Error, Result};
use crate::usage::Usage;
use crate::workload::WorkloadSpec;
use crossbeam_channel::{Receiver, RecvTimeoutError};
use serde::Deserialize;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the driver may take to start (interpreter, imports, a warmed process pool).
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The driver script, as shipped in `scripts/`.
pub const SCRIPT: &str = include_str!("../../scripts/pylesson.py");
/// Environment variable naming the Python interpreter.
pub const PYTHON_ENV: &str = "PARBENCH_PYTHON";

/// The interpreter to run: `$PARBENCH_PYTHON` or `python3`.
pub fn python_command() -> OsString {
    std::env::var_os(PYTHON_ENV).unwrap_or_else(|| "python3".into())
}

/// How long the interpreter check waits for an answer.
const CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether a usable Python 3 (3.8 or newer) can be started; the reason when not. The program
/// must answer a version question as CPython does (so `/bin/true` is not taken for one), within
/// [`CHECK_TIMEOUT`] (one that never answers is killed), and Ctrl-C stops the wait.
pub fn check_interpreter() -> std::result::Result<(), String> {
    let python = python_command();
    let name = python.to_string_lossy().into_owned();
    // A group of its own: a program that is not Python may leave children, killed with it.
    crate::procgroup::adopt_orphans();
    let mut child = match Command::new(&python)
        .args([
            "-c",
            "import sys; print('parbench-python', sys.version_info[0], sys.version_info[1]); sys.exit(0 if sys.version_info >= (3, 8) else 3)",
        ])
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!(
                "no Python interpreter '{name}' found (install python3 or set {PYTHON_ENV})"
            ));
        }
        Err(e) => return Err(format!("cannot run {name}: {e}")),
    };
    let deadline = Instant::now() + CHECK_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => {
                // What it left running dies with it.
                crate::procgroup::kill(child.id());
                crate::procgroup::reap(child.id());
                break s;
            }
            Ok(None) if Instant::now() < deadline && crate::interrupt::requested().is_none() => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Ok(None) | Err(_) => {
                crate::procgroup::kill_and_reap(&mut child);
                return Err(match crate::interrupt::requested() {
                    Some(_) => format!("the check of {name} was interrupted"),
                    None => format!(
                        "{name} did not answer a version check within {} s",
                        CHECK_TIMEOUT.as_secs()
                    ),
                });
            }
        }
    };
    let mut said = String::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = std::io::Read::read_to_string(&mut std::io::Read::take(&mut out, 256), &mut said);
    }
    let python3 = said
        .split_whitespace()
        .collect::<Vec<_>>()
        .starts_with(&["parbench-python", "3"]);
    match status.code() {
        Some(0) if python3 => Ok(()),
        Some(3) => Err(format!("{name} is older than Python 3.8")),
        _ if !python3 => Err(format!(
            "{name} is not a Python 3 interpreter (it did not answer a version check as CPython does)"
        )),
        _ => Err(format!("{name} does not run ({status})")),
    }
}

#[derive(Debug, Deserialize)]
struct Answer {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    checksum: Option<u64>,
    #[serde(default)]
    pids: Vec<u32>,
    #[serde(default)]
    usage: Option<Usage>,
}

/// One CPython driver process running one of the script's models with N workers.
pub struct PythonModel {
    model: &'static str,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<std::io::Result<String>>,
    /// Per task, for the batch deadline; CPython runs a batch at most tasks × this long.
    task_timeout: Duration,
    healthy: bool,
    last_usage: Usage,
    // Keeps the script file alive as long as the driver may need it (spawned children re-read it).
    _script: tempfile::TempPath,
}

impl PythonModel {
    /// Starts `python3 pylesson.py serve --model <model> --workers <workers>` and waits until it
    /// is ready (its pool started).
    pub fn start(model: &'static str, workers: usize) -> Result<Self> {
        crate::procgroup::adopt_orphans();
        let mut file = tempfile::Builder::new()
            .prefix("parbench-pylesson-")
            .suffix(".py")
            .tempfile()
            .map_err(|source| Error::Spawn {
                what: "temporary copy of scripts/pylesson.py".into(),
                io: source,
            })?;
        file.write_all(SCRIPT.as_bytes())
            .map_err(|source| Error::Spawn {
                what: "temporary copy of scripts/pylesson.py".into(),
                io: source,
            })?;
        let script = file.into_temp_path();
        let python = python_command();
        let mut child = Command::new(&python)
            .arg(&script)
            .args(["serve", "--model", model, "--workers", &workers.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .process_group(0)
            .spawn()
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    Error::Unavailable(format!(
                        "py-{model}: no Python interpreter '{}' on the PATH (set {PYTHON_ENV})",
                        python.to_string_lossy()
                    ))
                } else {
                    Error::Spawn {
                        what: format!("{} for py-{model}", python.to_string_lossy()),
                        io: e,
                    }
                }
            })?;
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("stdout was piped"));
        let (tx, lines) = crossbeam_channel::unbounded();
        let reader = crate::spawn::thread("parbench-python", None, move || {
            for line in stdout.lines() {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        if let Err(e) = reader {
            // SAFETY: killing the process group this driver leads (its pid is the group id).
            unsafe {
                libc::kill(-(child.id() as i32), libc::SIGKILL);
            }
            let _ = child.wait();
            return Err(e);
        }
        let mut m = PythonModel {
            model,
            child,
            stdin,
            lines,
            task_timeout: Duration::from_secs(600),
            healthy: false,
            last_usage: Usage::default(),
            _script: script,
        };
        let hello: serde_json::Value = m.read_line(START_TIMEOUT)?;
        m.healthy = true;
        if hello.get("ready") != Some(&serde_json::Value::Bool(true)) {
            return Err(Error::Protocol(format!(
                "py-{model}: the Python driver did not start: {hello}"
            )));
        }
        Ok(m)
    }

    /// The driver's next line, waiting at most `limit` (checking for signals meanwhile).
    fn read_line<T: for<'de> Deserialize<'de>>(&mut self, limit: Duration) -> Result<T> {
        let deadline = Instant::now() + limit;
        let line = loop {
            crate::interrupt::check()?;
            match self.lines.recv_timeout(Duration::from_millis(100)) {
                Ok(Ok(line)) => break Some(line),
                Ok(Err(e)) => {
                    return Err(Error::Protocol(format!(
                        "py-{}: read failed: {e}",
                        self.model
                    )));
                }
                Err(RecvTimeoutError::Disconnected) => break None,
                Err(RecvTimeoutError::Timeout) if Instant::now() >= deadline => {
                    return Err(Error::TaskTimeout {
                        pid: self.child.id(),
                        task: 0,
                        after_s: limit.as_secs_f64(),
                    });
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
        };
        let Some(line) = line else {
            let status = self.child.wait().map(|s| s.to_string()).unwrap_or_default();
            return Err(Error::Protocol(format!(
                "py-{}: the Python driver exited ({status})",
                self.model
            )));
        };
        serde_json::from_str(&line).map_err(|e| {
            Error::Protocol(format!(
                "py-{}: unreadable answer '{}': {e}",
                self.model,
                line.trim()
            ))
        })
    }
}

impl Executor for PythonModel {
    fn run_batch(&mut self, workload: &WorkloadSpec, tasks: u64) -> Result<BatchOutcome> {
        let Some((name, param)) = workload.workload().python() else {
            return Err(Error::Config(format!(
                "py-{}: the CPython models run cpu, io and noop, not {}",
                self.model,
                workload.kind()
            )));
        };
        let request = serde_json::json!({"workload": name, "param": param, "tasks": tasks});
        let stdin = self.stdin.as_mut().expect("stdin lives until drop");
        self.healthy = false;
        writeln!(stdin, "{request}")
            .and_then(|_| stdin.flush())
            .map_err(|e| Error::Protocol(format!("py-{}: cannot send batch: {e}", self.model)))?;
        // The whole batch may take as long as its tasks one after another.
        let limit = self.task_timeout.saturating_mul(tasks.max(1) as u32);
        let answer: Answer = self.read_line(limit)?;
        self.healthy = true;
        if let Some(message) = answer.error {
            return Err(Error::WorkerFailed {
                pid: self.child.id(),
                task: 0,
                message,
            });
        }
        let checksum = answer.checksum.ok_or_else(|| {
            Error::Protocol(format!("py-{}: answer without a checksum", self.model))
        })?;
        let total = answer.usage.unwrap_or_default();
        let pooled_usage = total.since(&self.last_usage);
        self.last_usage = total;
        Ok(BatchOutcome {
            checksum,
            pooled_usage,
            worker_pids: answer.pids,

            ..Default::default()
        })
    }

    fn set_task_timeout(&mut self, timeout: Duration) {
        // CPython's loop is 30–50× slower than parbench's, which the timeout is derived from.
        self.task_timeout = timeout.saturating_mul(50);
    }
}

impl Drop for PythonModel {
    fn drop(&mut self) {
        // After a clean batch, end of stdin asks the driver to shut its pool down and exit;
        // give it a moment. Otherwise (a failed batch, a signal) kill its whole group at once.
        self.stdin.take();
        if self.healthy && crate::interrupt::requested().is_none() {
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        crate::procgroup::kill_and_reap(&mut self.child);
    }
}
