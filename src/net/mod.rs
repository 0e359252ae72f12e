//! Real network IO: the `tcp-echo` workload. An echo server that upper-cases what it receives
//! runs as a separate process (`parbench echo-server --model M`, see [`server`]) on 127.0.0.1
//! and an ephemeral port, so its CPU time and context switches are its own; the client load
//! ([`client`]) keeps C connections open (opened when the cell starts, outside the timed
//! batches) and drives a batch of round trips of S bytes over them, timing each one into a
//! latency histogram (hdrhistogram) and checking every reply. Traffic never leaves loopback.
//!
//! Round trips are numbered 0..T for a batch of T and dealt to the connections in turn
//! (connection i does i, i + C, i + 2C, …), so the batch checksum (one term per verified round
//! trip) is the same for any C. The payload and checksum are the workload's
//! ([`crate::workload::tcp_echo`]).

pub mod client;
pub mod model;
pub mod server;
#[cfg(target_os = "linux")]
mod signal_driven;
#[cfg(target_os = "linux")]
mod uring;

use crate::error::{Error, Result};
use crate::exec::{Executor, ModelContext};
use crate::model::ModelKind;

/// The echo-server designs, the models of the `tcp-echo` workload. Each is also a
/// [`ModelKind`] (the name a cell and the command line use); this type is what `net` serves and
/// starts them by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EchoServer {
    /// A thread per connection, blocking reads.
    BlockingThreads,
    /// One thread busy-looping over non-blocking sockets.
    NonblockingPoll,
    /// One thread waiting for readiness with mio (epoll / kqueue).
    Multiplexing,
    /// tokio's multi-thread runtime, a task per connection.
    Tokio,
    /// One thread told by a signal which socket is ready (Linux).
    SignalDriven,
    /// One thread submitting reads and writes the kernel completes: io_uring (Linux).
    IoUring,
}

impl EchoServer {
    /// Every design, in display order.
    pub const ALL: [EchoServer; 6] = [
        EchoServer::BlockingThreads,
        EchoServer::NonblockingPoll,
        EchoServer::Multiplexing,
        EchoServer::Tokio,
        EchoServer::SignalDriven,
        EchoServer::IoUring,
    ];

    /// The models of the designs, in display order (the `net` preset's; a design this machine
    /// cannot run is skipped with a notice when the run starts).
    pub fn models() -> Vec<ModelKind> {
        Self::ALL.map(EchoServer::model).to_vec()
    }

    /// The model a cell names this design by.
    pub fn model(self) -> ModelKind {
        match self {
            EchoServer::BlockingThreads => ModelKind::BlockingThreads,
            EchoServer::NonblockingPoll => ModelKind::NonblockingPoll,
            EchoServer::Multiplexing => ModelKind::Multiplexing,
            EchoServer::Tokio => ModelKind::Async,
            EchoServer::SignalDriven => ModelKind::SignalDriven,
            EchoServer::IoUring => ModelKind::IoUring,
        }
    }

    /// The design a model stands for under `tcp-echo`, if it serves it.
    pub fn of(model: ModelKind) -> Option<EchoServer> {
        Self::ALL.into_iter().find(|d| d.model() == model)
    }

    /// The design named `name` (a model name), or a one-line error listing the designs.
    pub fn parse(name: &str) -> std::result::Result<EchoServer, String> {
        name.parse::<ModelKind>()
            .ok()
            .and_then(EchoServer::of)
            .ok_or_else(|| {
                let names: Vec<_> = Self::ALL.iter().map(|d| d.model().name()).collect();
                format!(
                    "unknown model '{name}' (expected one of: {})",
                    names.join(", ")
                )
            })
    }

    /// Threads the server process holds with `connections` connections, at most (the limit
    /// checks use it): one per connection for the blocking design, else a few.
    pub fn server_threads(self, connections: u64) -> u64 {
        match self {
            EchoServer::BlockingThreads => 1 + connections,
            _ => 4,
        }
    }

    /// Starts an echo server of this design with `connections` client connections: the
    /// executor of a `tcp-echo` cell.
    pub fn start(self, connections: usize, ctx: &ModelContext) -> Result<Box<dyn Executor>> {
        if connections == 0 {
            return Err(Error::Config(format!(
                "{}: connection count must be at least 1",
                self.model()
            )));
        }
        Ok(Box::new(model::EchoModel::start(
            &ctx.worker_exe()?,
            self.model().name(),
            connections,
        )?))
    }
}

/// The CPUs this process may run on (Linux; empty elsewhere or on error).
pub fn allowed_cpus() -> Vec<usize> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: a zeroed cpu_set_t filled by sched_getaffinity for this process.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
                return Vec::new();
            }
            (0..libc::CPU_SETSIZE as usize)
                .filter(|&c| libc::CPU_ISSET(c, &set))
                .collect()
        }
    }
    #[cfg(not(target_os = "linux"))]
    Vec::new()
}

/// Pins the calling thread (and the threads it creates later) to `cpus`. Best effort.
pub fn pin_current_thread(cpus: &[usize]) {
    #[cfg(target_os = "linux")]
    if !cpus.is_empty() {
        // SAFETY: a cpu_set_t built with CPU_SET, applied to the calling thread.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            for &c in cpus {
                libc::CPU_SET(c, &mut set);
            }
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cpus;
}

/// How the cores are split between server and client when there are at least two: the server
/// gets the last allowed CPU, the client the others, so the server's CPU time is its own and a
/// server that spins shows it. With one CPU both share it.
pub fn split_cpus() -> (Vec<usize>, Vec<usize>) {
    let all = allowed_cpus();
    match all.split_last() {
        Some((last, rest)) if !rest.is_empty() => (vec![*last], rest.to_vec()),
        _ => (all.clone(), all),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_model_that_serves_tcp_is_a_design() {
        for &m in ModelKind::ALL {
            assert_eq!(m.serves_tcp(), EchoServer::of(m).is_some(), "{m}");
        }
        for d in EchoServer::ALL {
            assert_eq!(EchoServer::parse(d.model().name()), Ok(d));
        }
        assert!(
            EchoServer::parse("threads")
                .unwrap_err()
                .contains("'threads'")
        );
    }
}
