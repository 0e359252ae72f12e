//! The hidden serve mode every harness binary has (`parbench serve`, and `<bench binary> serve`
//! for a bench built on [`crate::Harness`]): it starts once, keeps its pools warm, and on each
//! request runs one batch of the named cell and answers the time, the checksum and the usage.
//! `parbench ab` ([`crate::ab`]) drives two of them, a baseline build and a candidate, round by
//! round.
//!
//! The protocol is lines of JSON on stdin and stdout. Every line the server writes starts with
//! [`PREFIX`], so what a user's task prints to stdout cannot be taken for an answer (and is
//! skipped). The first line is a [`Hello`] naming the protocol version, the program and the
//! workloads it has; then one [`Answer`] per [`Request`], in order. A request of another
//! protocol version gets an error answer and the server exits 2. End of input ends it (exit 0),
//! dropping its executors, which stop and reap their workers.
//!
//! This module runs cells; timing one batch is the runner's ([`crate::measure::runner`]).

use crate::error::{Error, Result};
use crate::measure::runner::{measure_once, no_panic, start_cell};
use crate::model::{Executor, ModelContext, ModelKind};
use crate::plan::{CellSpec, WorkloadPlan};
use crate::workload::WorkloadSpec;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::time::Duration;

/// Fault injection for the tests of `parbench ab`: `die@N` exits (code 3) on the Nth request
/// without answering, `hang@N` never answers it.
pub const FAULT_ENV: &str = "PARBENCH_SERVE_FAULT";

/// The serve protocol's version; both sides must speak the same.
pub const SERVE_PROTOCOL: u32 = 1;

/// What starts every line a server writes.
pub const PREFIX: &str = "PBSERVE1 ";

/// The server's first line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hello {
    /// [`SERVE_PROTOCOL`] of the server.
    pub protocol: u32,
    /// The parbench version it was built with.
    pub version: String,
    /// Its own path.
    pub program: String,
    /// A user's bench: its workloads with their tasks per batch (the plan it would measure);
    /// empty for `parbench` itself, which has parbench's own.
    pub workloads: Vec<WorkloadPlan>,
}

/// One batch to run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// [`SERVE_PROTOCOL`] of the client.
    pub protocol: u32,
    /// The workload and its tasks.
    pub workload: WorkloadPlan,
    /// The model.
    pub model: ModelKind,
    /// N.
    pub workers: usize,
    /// Untimed pause before the batch, milliseconds.
    pub settle_ms: u64,
    /// The task timeout of the process models, seconds.
    pub task_timeout_s: f64,
}

/// One batch's measurements.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Wall time, seconds.
    pub wall_s: f64,
    /// The batch's checksum.
    pub checksum: u64,
    /// This program's sequential reference checksum of the batch.
    pub expected: u64,
    /// CPU time, seconds (this process, its children and pool workers).
    pub cpu_s: f64,
    /// Voluntary context switches.
    pub voluntary_cs: u64,
    /// Involuntary context switches.
    pub involuntary_cs: u64,
    /// Peak RSS of the server, KiB.
    pub peak_rss_kib: u64,
    /// The pool's start-up, seconds, when this request started it.
    pub startup_s: Option<f64>,
}

/// The answer to a request: its sample, or why there is none.
pub type Answer = std::result::Result<Sample, String>;

/// Writes one protocol line.
fn say(line: &impl Serialize) {
    let text = serde_json::to_string(line).expect("protocol messages serialise");
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{PREFIX}{text}");
    let _ = out.flush();
}

/// Serves cells on stdin/stdout until end of input; `workloads`: the bench's plan (see
/// [`Hello::workloads`]). Returns the exit code.
pub fn serve_main(workloads: Vec<WorkloadPlan>) -> i32 {
    crate::spawn::install_quiet_hook();
    let program = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    say(&Hello {
        protocol: SERVE_PROTOCOL,
        version: env!("CARGO_PKG_VERSION").into(),
        program,
        workloads,
    });
    let ctx = ModelContext {
        worker_exe: std::env::current_exe().ok(),
        ..Default::default()
    };
    let mut server = Server {
        ctx,
        executors: HashMap::new(),
        references: HashMap::new(),
    };
    let fault = std::env::var(FAULT_ENV).ok().and_then(|f| {
        let (kind, n) = f.split_once('@')?;
        Some((kind.to_string(), n.parse::<usize>().ok()?))
    });
    let mut served = 0;
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { return 1 };
        if line.trim().is_empty() {
            continue;
        }
        served += 1;
        match &fault {
            Some((kind, n)) if *n == served && kind == "die" => std::process::exit(3),
            Some((kind, n)) if *n == served && kind == "hang" => loop {
                std::thread::sleep(Duration::from_secs(3600));
            },
            _ => {}
        }
        let req: Request = match serde_json::from_str(&line) {
            Ok(r) => r,
            Err(e) => {
                say(&Answer::Err(format!("unreadable request: {e}")));
                return 2;
            }
        };
        if req.protocol != SERVE_PROTOCOL {
            say(&Answer::Err(format!(
                "this program serves protocol {SERVE_PROTOCOL}, the request is of protocol {}",
                req.protocol
            )));
            return 2;
        }
        say(&server.run(&req).map_err(|e| e.to_string()));
    }
    0
}

struct Server {
    ctx: ModelContext,
    executors: HashMap<(ModelKind, usize, bool), Box<dyn Executor>>,
    references: HashMap<(String, u64, bool), u64>,
}

impl Server {
    fn run(&mut self, req: &Request) -> Result<Sample> {
        let spec: WorkloadSpec = req.workload.spec;
        if let WorkloadSpec::User(u) = spec
            && !u.runnable()
        {
            return Err(Error::Config(format!("this program has no workload '{u}'")));
        }
        let cell = CellSpec {
            workload: req.workload,
            model: req.model,
            workers: req.workers,
        };
        let ref_key = (
            serde_json::to_string(&spec).unwrap_or_default(),
            req.workload.tasks,
            req.model.is_python(),
        );
        let expected = match self.references.get(&ref_key) {
            Some(v) => *v,
            None => {
                let v = req
                    .model
                    .reference_checksum(&spec, req.workload.tasks)
                    .and_then(|v| no_panic().map(|()| v))?;
                *self.references.entry(ref_key).or_insert(v)
            }
        };
        let key = (req.model, req.workers, spec.kind().over_network());
        let mut startup_s = None;
        let mut exec = match self.executors.remove(&key) {
            Some(e) => e,
            None => {
                let t0 = std::time::Instant::now();
                let e = start_cell(&cell, &self.ctx)?;
                startup_s = Some(t0.elapsed().as_secs_f64());
                e
            }
        };
        exec.set_task_timeout(Duration::from_secs_f64(
            req.task_timeout_s.clamp(0.001, 1e7),
        ));
        std::thread::sleep(Duration::from_millis(req.settle_ms));
        let m = measure_once(exec.as_mut(), &cell)?;
        no_panic()?;
        self.executors.insert(key, exec);
        Ok(Sample {
            wall_s: m.wall_s,
            checksum: m.checksum,
            expected,
            cpu_s: m.usage.cpu_s,
            voluntary_cs: m.usage.voluntary_cs,
            involuntary_cs: m.usage.involuntary_cs,
            peak_rss_kib: m.peak_rss_kib,
            startup_s,
        })
    }
}
