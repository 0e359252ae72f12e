//! The executor of the `tcp-echo` workload: one echo-server process of the cell's design and C
//! client connections to it, both set up when the cell's model starts (outside the timed
//! batches) and torn down when it is dropped: the client's connections close, the server's stdin
//! is closed (it exits), and a server that does not exit within a second is killed; either way
//! it is reaped and its port released, also after a failed batch.
//!
//! Between batches the server is stopped (SIGSTOP) and it is continued (SIGCONT) for each batch:
//! a busy-looping server would otherwise spin on the core the other cells' servers use for the
//! whole run, and the server's usage is read while it is stopped, so it is exactly the batch's:
//! CPU time (summed over `/proc/<pid>/task/*/schedstat`, nanoseconds; `/proc/<pid>/stat` clock
//! ticks where schedstat is missing) and context switches (summed over
//! `/proc/<pid>/task/*/status`); off Linux they are not available. The connections are opened,
//! accepted and used once (one small round trip each) before the server is first stopped, so no
//! batch pays for accepting them.

use super::client::EchoClient;
use crate::error::{Error, Result};
use crate::exec::{BatchOutcome, Executor};
use crate::usage::Usage;
use crate::workload::WorkloadSpec;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `parbench echo-server`.
struct ServerProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    port: u16,
}

impl ServerProcess {
    fn start(exe: &Path, model: &str) -> Result<Self> {
        let mut child = Command::new(exe)
            .args(["echo-server", "--model", model])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|source| Error::Spawn {
                what: format!("echo server {} ({model})", exe.display()),
                io: source,
            })?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout was piped");
        // Owns the child from here: an error below kills and reaps it.
        let mut server = ServerProcess {
            child,
            stdin,
            port: 0,
        };
        let (tx, rx) = crossbeam_channel::bounded(1);
        crate::spawn::thread("parbench-echo-port", None, move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        })?;
        let line = rx.recv_timeout(Duration::from_secs(10)).unwrap_or_default();
        server.port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .filter(|p| *p != 0)
            .ok_or_else(|| {
                Error::Protocol(format!(
                    "echo server ({model}) did not report its port (said {:?})",
                    line.trim()
                ))
            })?;
        Ok(server)
    }

    /// CPU time and context switches of the server so far (Linux; `None` elsewhere).
    fn usage(&self) -> Option<Usage> {
        let pid = self.child.id();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // Fields after the command name (which may hold spaces) start at the last ')'.
        let rest = &stat[stat.rfind(')')? + 2..];
        let f: Vec<&str> = rest.split_whitespace().collect();
        // SAFETY: sysconf has no preconditions.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
        let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
        let (mut vol, mut invol, mut run_ns, mut all_threads) = (0u64, 0u64, 0u64, true);
        for task in std::fs::read_dir(format!("/proc/{pid}/task"))
            .ok()?
            .flatten()
        {
            // Time on CPU in nanoseconds (the first field of schedstat), where the kernel keeps it.
            match std::fs::read_to_string(task.path().join("schedstat"))
                .ok()
                .and_then(|t| t.split_whitespace().next()?.parse::<u64>().ok())
            {
                Some(ns) => run_ns += ns,
                None => all_threads = false,
            }
            let Ok(status) = std::fs::read_to_string(task.path().join("status")) else {
                continue;
            };
            let field = |k: &str| crate::usage::proc_field(&status, k).unwrap_or(0);
            vol += field("voluntary_ctxt_switches:");
            invol += field("nonvoluntary_ctxt_switches:");
        }
        // Nanoseconds from schedstat when every thread has it (the server's threads live as long
        // as their connections, so none has exited since the last reading); clock ticks else.
        let cpu_s = if all_threads && run_ns > 0 {
            run_ns as f64 / 1e9
        } else {
            ticks / hz
        };
        Some(Usage {
            cpu_s,
            voluntary_cs: vol,
            involuntary_cs: invol,
            max_rss_kib: 0,
        })
    }
}

impl ServerProcess {
    fn signal(&self, sig: i32) {
        // SAFETY: signalling our own child (ignored if it is gone).
        unsafe {
            libc::kill(self.child.id() as i32, sig);
        }
    }

    /// Stops the server and waits (at most 50 ms) until the kernel reports it stopped, so the
    /// usage read next is final.
    fn stop(&self) {
        self.signal(libc::SIGSTOP);
        let path = format!("/proc/{}/stat", self.child.id());
        let deadline = Instant::now() + Duration::from_millis(50);
        while Instant::now() < deadline {
            let Ok(stat) = std::fs::read_to_string(&path) else {
                return;
            };
            let state = stat
                .rfind(')')
                .and_then(|i| stat[i + 1..].split_whitespace().next());
            if matches!(state, Some("T") | Some("t") | Some("Z") | Some("X")) {
                return;
            }
            std::thread::yield_now();
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // A stopped server would not see its stdin end.
        self.signal(libc::SIGCONT);
        self.stdin.take();
        let deadline = Instant::now() + Duration::from_secs(1);
        let mut exited = false;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                exited = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        if !exited {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        // The kernel lets go of an io_uring server's listening socket after the process has
        // ended, asynchronously: wait for it (at most a second), so the port is free when the
        // cell is over, as for every other design.
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], self.port));
        let until = Instant::now() + Duration::from_secs(1);
        while Instant::now() < until
            && std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(50)).is_ok()
        {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// One cell's server and client.
pub struct EchoModel {
    // Field order: the client's connections close before the server is stopped.
    client: EchoClient,
    server: ServerProcess,
    timeout: Duration,
    /// The server's usage before the current batch (read in `prepare`, outside the timing).
    before: Option<Usage>,
}

impl EchoModel {
    /// Starts the `model` server from `exe` and opens `connections` connections to it.
    pub fn start(exe: &Path, model: &str, connections: usize) -> Result<Self> {
        let server = ServerProcess::start(exe, model)?;
        let mut client = EchoClient::connect(server.port, connections)?;
        // One byte back and forth on every connection: all accepted (threads started, sockets
        // registered) before the first batch.
        client.run(connections as u64, 1, Duration::from_secs(30))?;
        server.stop();
        Ok(EchoModel {
            client,
            server,
            timeout: Duration::from_secs(5),
            before: None,
        })
    }

    /// The server's port (for tests).
    pub fn port(&self) -> u16 {
        self.server.port
    }

    /// The server's pid (for tests).
    pub fn server_pid(&self) -> u32 {
        self.server.child.id()
    }
}

impl Executor for EchoModel {
    fn run_batch(&mut self, workload: &WorkloadSpec, tasks: u64) -> Result<BatchOutcome> {
        let WorkloadSpec::TcpEcho(crate::workload::TcpEcho { message_bytes }) = *workload else {
            return Err(Error::Config(format!(
                "the echo-server models run only the tcp-echo workload, not {}",
                workload.kind()
            )));
        };
        crate::interrupt::check()?;
        // Bounded in time: the task timeout for a whole batch, at least 10 s.
        let cap = self.timeout.max(Duration::from_secs(10));
        self.server.signal(libc::SIGCONT);
        let outcome = self.client.run(tasks, message_bytes as usize, cap);
        self.server.stop();
        let (checksum, latency) = outcome?;
        Ok(BatchOutcome {
            checksum,
            latency_us: Some(latency),
            ..Default::default()
        })
    }

    fn prepare(&mut self, _workload: &WorkloadSpec, _tasks: u64) -> Result<()> {
        // The server is stopped: reading its usage (up to a file per thread) is outside the
        // timed batch, and final.
        self.before = self.server.usage();
        Ok(())
    }

    fn server_usage(&mut self) -> Option<Usage> {
        let before = self.before.take()?;
        Some(self.server.usage()?.since(&before))
    }

    fn set_task_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }
}
