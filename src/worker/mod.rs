//! The hidden worker mode and its wire protocol.
//!
//! Process-based models re-execute parbench's own binary as `parbench worker` (like CPython's
//! `spawn` start method): portable, and the child starts from a clean address space. The parent
//! sends requests on the worker's stdin and reads responses from its stdout. Every message is a
//! frame: the 4-byte magic `PBW1`, a little-endian `u32` body length (at most [`MAX_FRAME`]) and a
//! JSON body. Anything else is rejected with a protocol error. A response is written with one
//! `write` of less than `PIPE_BUF` bytes, so the responses of many workers can share one pipe
//! without interleaving.
//!
//! This module runs tasks (the serve loop, `worker_main`) and finds the worker executable; the
//! frames are `protocol.rs`'s, fault injection `fault.rs`'s; spawning and supervising workers is
//! `model::child`'s job.
//!
//! Fault injection, for the fault tests and for anyone checking how a run fails:
//! `PARBENCH_WORKER_FAULT=<kind>@<task>` makes a worker misbehave when it receives that task:
//! `crash` (abort), `kill` (SIGKILL itself), `exit` (exit 0 without answering), `hang` (never
//! answer) or `garbage` (write bytes outside the protocol).

mod fault;
mod protocol;

pub use fault::FAULT_ENV;
use fault::Fault;
pub use protocol::{
    MAGIC, MAX_FRAME, PROTOCOL, Request, Response, decode_frame, encode, read_frame,
};

use crate::error::{Error, Result};
use crate::usage::{Who, usage};
use std::io::{self, Read, Write};
use std::path::PathBuf;

/// Environment variable naming the worker executable explicitly.
pub const WORKER_ENV: &str = "PARBENCH_WORKER";

/// Cuts `s` to at most `max` bytes, at a character boundary.
fn truncate_at_char(s: &mut String, max: usize) {
    if s.len() > max {
        let cut = (0..=max)
            .rev()
            .find(|i| s.is_char_boundary(*i))
            .unwrap_or(0);
        s.truncate(cut);
    }
}

/// Runs one request (of this version: [`serve`] checks) and builds the answer.
fn answer(req: &Request) -> Response {
    let started_ns = crate::taskclock::now_ns();
    let checksum = req.workload.run_task(req.task);
    let result = match crate::workload::user::take_panic() {
        Some(p) if p.panicked => Err(format!("panicked: {}", p.message)),
        Some(p) => Err(p.message),
        None => Ok(checksum),
    };
    let ended_ns = crate::taskclock::now_ns();
    Response {
        pid: std::process::id(),
        task: req.task,
        result,
        usage: usage(Who::SelfProcess),
        started_ns,
        ended_ns,
    }
}

/// The worker's main loop: answer requests from `input` on `output` until `input` ends.
/// Returns the exit code: 0 after a clean end of input, 2 after a protocol error.
pub fn serve(input: &mut impl Read, output: &mut impl Write) -> i32 {
    let fault = Fault::from_env();
    loop {
        let req: Request = match read_frame(input) {
            Ok(Some(req)) => req,
            Ok(None) => return 0,
            Err(e) => {
                eprintln!("parbench worker {}: {e}", std::process::id());
                return 2;
            }
        };
        if req.protocol != PROTOCOL || req.version != env!("CARGO_PKG_VERSION") {
            let mut theirs = format!("{} (protocol {})", req.version, req.protocol);
            truncate_at_char(&mut theirs, 200);
            eprintln!(
                "parbench worker {}: worker protocol error: this worker is parbench {} (protocol {PROTOCOL}), the request is from {theirs}",
                std::process::id(),
                env!("CARGO_PKG_VERSION"),
            );
            return 2;
        }
        if let Some(f) = fault {
            f.strike(req.task, output);
        }
        if let crate::workload::WorkloadSpec::User(u) = req.workload
            && !u.runnable()
        {
            eprintln!(
                "parbench worker {}: worker protocol error: no workload named '{u}' in this program",
                std::process::id()
            );
            return 2;
        }
        let mut resp = answer(&req);
        if let Err(msg) = &mut resp.result {
            truncate_at_char(msg, 1000);
        }
        // One write call per frame: atomic on a pipe below PIPE_BUF.
        if let Err(e) = output
            .write_all(&encode(&resp))
            .and_then(|_| output.flush())
        {
            eprintln!(
                "parbench worker {}: cannot send result: {e}",
                std::process::id()
            );
            return 2;
        }
    }
}

/// Entry point of `parbench worker`: serves stdin/stdout and returns the exit code.
pub fn worker_main() -> i32 {
    let stdin = io::stdin();
    let mut input = stdin.lock();
    use std::os::fd::FromRawFd;
    // std's stdout is line-buffered and could split a frame that contains a newline byte into
    // two writes; write to fd 1 directly. ManuallyDrop: fd 1 is not ours to close.
    // SAFETY: fd 1 is open for the life of the process.
    let mut out = std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(1) });
    serve(&mut input, &mut *out)
}

/// Finds the executable to run as a worker process:
/// 1. `$PARBENCH_WORKER`, if set;
/// 2. the current executable, if it is parbench itself;
/// 3. a `parbench` binary next to the current executable or one folder up (how cargo lays out
///    test and bench binaries: `target/<profile>/deps/x` beside `target/<profile>/parbench`).
pub fn locate_worker_exe() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os(WORKER_ENV) {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(Error::WorkerNotFound(format!(
                "{WORKER_ENV}={} is not a file",
                p.display()
            )))
        };
    }
    let exe = std::env::current_exe()
        .map_err(|e| Error::WorkerNotFound(format!("current executable unknown: {e}")))?;
    let name = format!("parbench{}", std::env::consts::EXE_SUFFIX);
    if exe.file_name().is_some_and(|n| n == name.as_str()) {
        return Ok(exe);
    }
    let dir = exe.parent();
    let candidates = [dir, dir.and_then(|d| d.parent())];
    for d in candidates.into_iter().flatten() {
        let c = d.join(&name);
        if c.is_file() {
            return Ok(c);
        }
    }
    Err(Error::WorkerNotFound(format!(
        "not beside {}",
        exe.display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::Usage;
    use crate::workload::WorkloadSpec;

    #[test]
    fn serve_answers_each_request_and_stops_at_end_of_input() {
        let mut input = Vec::new();
        for t in 0..3 {
            input.extend(encode(&Request::new(
                t,
                WorkloadSpec::Noop(crate::workload::Noop),
            )));
        }
        let mut output = Vec::new();
        assert_eq!(serve(&mut input.as_slice(), &mut output), 0);
        let mut r = output.as_slice();
        for t in 0..3 {
            let resp: Response = read_frame(&mut r).unwrap().unwrap();
            assert_eq!(resp.task, t);
            assert_eq!(
                resp.result,
                Ok(WorkloadSpec::Noop(crate::workload::Noop).run_task(t))
            );
        }
        assert!(read_frame::<Response>(&mut r).unwrap().is_none());
    }

    #[test]
    fn garbage_is_rejected() {
        let mut output = Vec::new();
        assert_eq!(serve(&mut &b"hello world\n"[..], &mut output), 2);
        assert!(output.is_empty());
        let mut huge = MAGIC.to_vec();
        huge.extend_from_slice(&(1u32 << 30).to_le_bytes());
        assert!(matches!(
            read_frame::<Request>(&mut huge.as_slice()),
            Err(Error::Protocol(m)) if m.contains("exceeds")
        ));
        let mut truncated = encode(&Request::new(1, WorkloadSpec::Noop(crate::workload::Noop)));
        truncated.truncate(truncated.len() - 2);
        assert!(read_frame::<Request>(&mut truncated.as_slice()).is_err());
    }

    #[test]
    fn decode_frame_waits_for_whole_frames_and_rejects_bad_ones_early() {
        let mut buf = encode(&Request::new(1, WorkloadSpec::Noop(crate::workload::Noop)));
        let first = buf.len();
        buf.extend(encode(&Request::new(
            2,
            WorkloadSpec::Cpu(crate::workload::MultiplyLoop::new(7)),
        )));
        // Every proper prefix of the first frame: not yet.
        for cut in 0..first {
            assert!(
                decode_frame::<Request>(&buf[..cut]).unwrap().is_none(),
                "{cut}"
            );
        }
        let (req, used) = decode_frame::<Request>(&buf).unwrap().unwrap();
        assert_eq!((req.task, used), (1, first));
        let (req, used) = decode_frame::<Request>(&buf[first..]).unwrap().unwrap();
        assert_eq!((req.task, used), (2, buf.len() - first));
        // A wrong first byte is an error at once, not a wait for more.
        assert!(matches!(
            decode_frame::<Request>(b"th"),
            Err(Error::Protocol(m)) if m.contains("bad frame magic")
        ));
        let mut huge = MAGIC.to_vec();
        huge.extend_from_slice(&(1u32 << 30).to_le_bytes());
        assert!(decode_frame::<Request>(&huge).is_err());
        let mut bad_body = MAGIC.to_vec();
        bad_body.extend_from_slice(&2u32.to_le_bytes());
        bad_body.extend_from_slice(b"{]");
        assert!(decode_frame::<Request>(&bad_body).is_err());
    }

    /// Another version's request — its version string multi-byte and long — is refused:
    /// exit 2, nothing written, no panic.
    #[test]
    fn a_request_of_another_version_is_refused_with_nothing_written() {
        for version in ["0.0.0-other".to_string(), "é".repeat(700)] {
            let mut req = Request::new(0, WorkloadSpec::Noop(crate::workload::Noop));
            req.version = version;
            let frame = encode(&req);
            let mut out = Vec::new();
            assert_eq!(serve(&mut frame.as_slice(), &mut out), 2);
            assert!(out.is_empty());
        }
        let mut s = "é".repeat(600);
        truncate_at_char(&mut s, 1001);
        assert_eq!(s.len(), 1000);
    }

    #[test]
    fn responses_fit_in_one_atomic_pipe_write() {
        let resp = Response {
            pid: u32::MAX,
            task: u64::MAX,
            result: Err("x".repeat(1000)),
            usage: Usage {
                cpu_s: 1e300,
                voluntary_cs: u64::MAX,
                involuntary_cs: u64::MAX,
                max_rss_kib: u64::MAX,
            },
            started_ns: u64::MAX,
            ended_ns: u64::MAX,
        };
        assert!(encode(&resp).len() < 4096);
    }
}
