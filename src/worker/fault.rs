//! Fault injection for worker processes, for the fault tests and for anyone checking how a run
//! fails: `PARBENCH_WORKER_FAULT=<kind>@<task>` makes a worker `crash` (abort), `kill` (SIGKILL
//! itself), `exit` (exit 0 without answering), `hang` (never answer) or write `garbage` when it
//! receives that task.

use std::io::Write;

/// Environment variable injecting a fault into workers (see the module documentation).
pub const FAULT_ENV: &str = "PARBENCH_WORKER_FAULT";

/// A fault to inject: what to do, on which task.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Fault {
    Crash(u64),
    Kill(u64),
    Exit(u64),
    Hang(u64),
    Garbage(u64),
}

impl Fault {
    pub(super) fn from_env() -> Option<Fault> {
        let v = std::env::var(FAULT_ENV).ok()?;
        let (kind, task) = v.split_once('@')?;
        let task: u64 = task.parse().ok()?;
        Some(match kind {
            "crash" => Fault::Crash(task),
            "kill" => Fault::Kill(task),
            "exit" => Fault::Exit(task),
            "hang" => Fault::Hang(task),
            "garbage" => Fault::Garbage(task),
            _ => return None,
        })
    }

    /// Misbehaves if `task` is the one; returns only for other tasks.
    pub(super) fn strike(self, task: u64, output: &mut impl Write) {
        match self {
            Fault::Crash(t) if t == task => std::process::abort(),
            // SAFETY: raising a signal on ourselves.
            Fault::Kill(t) if t == task => unsafe {
                libc::raise(libc::SIGKILL);
            },
            Fault::Exit(t) if t == task => std::process::exit(0),
            Fault::Hang(t) if t == task => loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            },
            Fault::Garbage(t) if t == task => {
                let _ = output.write_all(b"this is not a parbench frame\n");
                let _ = output.flush();
                std::process::exit(0);
            }
            _ => {}
        }
    }
}
