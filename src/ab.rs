//! `parbench ab`: a paired A/B run of two harness binaries (two builds of parbench, or of a
//! user's bench built on [`crate::Harness`]). Both are started once in serve mode
//! ([`crate::serve`]) and keep their pools warm; every round runs each cell on both sides, in an
//! order that alternates from round to round (A B, then B A: ABBA), each batch after the settle
//! pause. A cell is judged on its per-round ratios current ÷ baseline, which the drift of a noisy
//! machine leaves alone ([`crate::compare::judge_paired`]); the verdicts, formats and exit codes
//! are `compare`'s. Both sides' checksums must agree: a cell whose answer changed is reported as
//! changed and not timed further. A side that is not a harness, speaks another protocol, dies or
//! hangs stops the run naming the cell and the side; the other side is stopped, what was measured
//! is saved. This module drives and judges; batches are timed by the servers.

use crate::compare::{CellComparison, Comparison, Metric, Verdict, judge_paired};
use crate::error::{Error, Result};
use crate::machine::MachineInfo;
use crate::measure::runner::{Observer, now_utc};
use crate::plan::{CellKey, CellSpec, RunConfig};
use crate::result::{RawCell, RunResults, SCHEMA_VERSION, derive};
use crate::serve::{Answer, Hello, PREFIX, Request, SERVE_PROTOCOL, Sample};
use crossbeam_channel::{Receiver, RecvTimeoutError};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

/// Batches shorter than this are not judged: two processes differ in ways a micro-batch feels
/// (where their threads land, their memory layout), so their per-round ratios carry a
/// per-process bias no test on them can tell from a change. In A/A runs of the quick preset here,
/// `noop` cells of 1 µs – 1.6 ms per batch came out 8–45% apart while every cell of 5 ms or more
/// agreed.
pub const MIN_JUDGED_S: f64 = 0.005;

/// How long a program may take to say hello before it is taken for something else.
const HELLO_TIMEOUT: Duration = Duration::from_secs(20);

/// How a paired run judges.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AbOptions {
    /// Smallest relative change that counts (0.05 = 5%).
    pub threshold: f64,
    /// Significance level.
    pub alpha: f64,
}

/// One side of the run, as saved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AbSide {
    /// The program.
    pub program: String,
    /// Its samples, as a run of its own.
    pub results: RunResults,
}

/// The result file of a paired run: both sides and the verdicts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AbFile {
    /// "parbench-ab".
    pub kind: String,
    /// [`SCHEMA_VERSION`] of the sides.
    pub schema_version: u32,
    /// The baseline (A).
    pub baseline: AbSide,
    /// The candidate (B).
    pub current: AbSide,
    /// The verdicts; absent while running or when stopped early.
    pub comparison: Option<Comparison>,
}

/// A program in serve mode.
struct Side {
    label: &'static str,
    path: PathBuf,
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    hello: Hello,
}

impl Side {
    fn start(label: &'static str, path: &Path) -> Result<Side> {
        // Orphans of a side that dies (its pool's workers) are reparented to this process, which
        // reaps them with the side's process group.
        crate::procgroup::adopt_orphans();
        let mut child = Command::new(path)
            .arg("serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .process_group(0)
            .spawn()
            .map_err(|e| Error::Config(format!("cannot start {label} {}: {e}", path.display())))?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = child.stdout.take().expect("piped");
        let (tx, lines) = crossbeam_channel::unbounded();
        std::thread::Builder::new()
            .name(format!("parbench-ab-{label}"))
            .spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    // Protocol lines only: what a user's task prints is not an answer.
                    if let Some(msg) = line.strip_prefix(PREFIX)
                        && tx.send(msg.to_string()).is_err()
                    {
                        break;
                    }
                }
            })
            .map_err(|e| Error::Spawn {
                what: "the reader of a serving program".into(),
                io: e,
            })?;
        let not_harness = |why: &str| {
            Error::Config(format!(
                "{label} {} is not a parbench harness ({why}): give parbench itself or a bench binary built on parbench::Harness",
                path.display()
            ))
        };
        let mut side = Side {
            label,
            path: path.to_path_buf(),
            child,
            stdin,
            lines,
            hello: Hello {
                protocol: 0,
                version: String::new(),
                program: String::new(),
                workloads: Vec::new(),
            },
        };
        let text = match side.lines.recv_timeout(HELLO_TIMEOUT) {
            Ok(t) => t,
            Err(RecvTimeoutError::Timeout) => {
                return Err(not_harness(&format!(
                    "no hello within {} s",
                    HELLO_TIMEOUT.as_secs()
                )));
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(not_harness("it ended without a hello"));
            }
        };
        side.hello = serde_json::from_str(&text).map_err(|e| not_harness(&e.to_string()))?;
        if side.hello.protocol != SERVE_PROTOCOL {
            return Err(Error::Config(format!(
                "{label} {} speaks serve protocol {} (parbench {}), this parbench speaks {SERVE_PROTOCOL}: build both with one parbench version",
                path.display(),
                side.hello.protocol,
                side.hello.version
            )));
        }
        Ok(side)
    }

    /// Runs one batch, waiting at most `timeout`.
    fn run(&mut self, req: &Request, timeout: Duration) -> Result<Sample> {
        let line = serde_json::to_string(req).expect("requests serialise");
        let who = format!("the {} side ({})", self.label, self.path.display());
        writeln!(self.stdin, "{line}")
            .and_then(|_| self.stdin.flush())
            .map_err(|e| Error::Protocol(format!("{who} stopped reading: {e}")))?;
        let text = match self.lines.recv_timeout(timeout) {
            Ok(t) => t,
            Err(RecvTimeoutError::Timeout) => {
                let _ = self.child.kill();
                return Err(Error::Protocol(format!(
                    "{who} did not answer within {:.0} s and was stopped",
                    timeout.as_secs_f64()
                )));
            }
            Err(RecvTimeoutError::Disconnected) => {
                let status = self.child.wait().map(|s| s.to_string()).unwrap_or_default();
                return Err(Error::Protocol(format!("{who} died mid-run ({status})")));
            }
        };
        let answer: Answer = serde_json::from_str(&text)
            .map_err(|e| Error::Protocol(format!("{who} answered '{text}': {e}")))?;
        answer.map_err(|e| Error::Protocol(format!("{who}: {e}")))
    }
}

impl Drop for Side {
    fn drop(&mut self) {
        // The side and everything it started (its group: it leads it) are killed and reaped,
        // whether it is done, dead or hung.
        crate::procgroup::kill_and_reap(&mut self.child);
    }
}

/// The plan of a run on these two programs: a user's benches bring their own workloads (both
/// must have the same), parbench itself runs `config`'s.
fn plan_for(config: &RunConfig, a: &Hello, b: &Hello) -> Result<RunConfig> {
    let names = |h: &Hello| -> Vec<String> {
        h.workloads
            .iter()
            .map(|w| w.spec.kind().to_string())
            .collect()
    };
    if names(a) != names(b) {
        return Err(Error::Config(format!(
            "the two programs have different workloads: [{}] vs [{}]",
            names(a).join(", "),
            names(b).join(", ")
        )));
    }
    let mut c = config.clone();
    if !a.workloads.is_empty() {
        c.workloads = a.workloads.clone();
        // CPython's models cannot run a Rust function.
        c.models.retain(|m| !m.is_python());
        c.per_workload.clear();
    }
    c.validate()?;
    Ok(c)
}

/// Runs `config`'s cells on `baseline` and `current` (paths of harness binaries), paired round
/// by round, saving into `dir` (`ab-<time>.json` and `latest-ab.json`) after every round.
/// Errors name the cell and the side; a run stopped after something was measured is
/// [`Error::Stopped`].
pub fn ab(
    config: &RunConfig,
    machine: &MachineInfo,
    baseline: &Path,
    current: &Path,
    opts: AbOptions,
    dir: &Path,
    observer: &mut dyn Observer,
) -> Result<AbFile> {
    config.validate()?;
    let mut a = Side::start("baseline", baseline)?;
    let mut b = Side::start("current", current)?;
    let config = plan_for(config, &a.hello, &b.hello)?;
    if config.precision.is_some() {
        observer.notice("ab runs a fixed number of samples (--samples); --precision is left out");
    }
    let cells = config.cells();
    let physical = machine.cores_for_cpu_bound();
    let mut est = crate::measure::runner::estimate_before_running(&config, machine);
    // Every round runs each cell twice, once a side.
    est.rounds *= 2;
    observer.planned(&est);
    let started_utc = now_utc();
    let file = dir.join(format!("ab-{}.json", started_utc.replace(':', "-")));
    let latest = dir.join("latest-ab.json");
    let mut raw: [Vec<RawCell>; 2] = [
        cells
            .iter()
            .map(|c| RawCell::empty(c, config.samples))
            .collect(),
        cells
            .iter()
            .map(|c| RawCell::empty(c, config.samples))
            .collect(),
    ];
    let mut changed = vec![false; cells.len()];
    let rounds = config.warmup + config.samples;
    observer.started(2 * rounds * cells.len(), &est);
    let mut rng = fastrand::Rng::with_seed(config.shuffle_seed);
    let results_of = |raw: &[RawCell], finished: bool| RunResults {
        schema_version: SCHEMA_VERSION,
        started_utc: started_utc.clone(),
        finished_utc: finished.then(now_utc),
        complete: finished,
        machine: machine.clone(),
        config: config.clone(),
        cells: derive(raw, physical),
        noise: None,
        notes: Vec::new(),
        failures: Vec::new(),
    };
    let save = |raw: &[Vec<RawCell>; 2], comparison: Option<Comparison>| -> Result<AbFile> {
        let f = AbFile {
            kind: "parbench-ab".into(),
            schema_version: SCHEMA_VERSION,
            baseline: AbSide {
                program: baseline.display().to_string(),
                results: results_of(&raw[0], comparison.is_some()),
            },
            current: AbSide {
                program: current.display().to_string(),
                results: results_of(&raw[1], comparison.is_some()),
            },
            comparison,
        };
        let mut text = serde_json::to_vec_pretty(&f).expect("results serialise");
        text.push(b'\n');
        crate::store::write_atomic(&file, &text)?;
        crate::store::write_atomic(&latest, &text)?;
        Ok(f)
    };
    // A run that stops early keeps what it measured.
    let stopped = |raw: &[Vec<RawCell>; 2], e: Error| match save(raw, None) {
        Ok(_) => Error::Stopped {
            saved: file.clone(),
            inner: Box::new(e),
        },
        Err(_) => e,
    };
    let mut order: Vec<usize> = (0..cells.len()).collect();
    for round in 0..rounds {
        rng.shuffle(&mut order);
        for &i in &order {
            if changed[i] {
                continue;
            }
            // Ctrl-C / SIGTERM: both sides stopped, what was measured saved.
            if let Err(e) = crate::interrupt::check() {
                drop(a);
                drop(b);
                return Err(stopped(&raw, e));
            }
            let cell = &cells[i];
            let req = Request {
                protocol: SERVE_PROTOCOL,
                workload: cell.workload,
                model: cell.model,
                workers: cell.workers,
                settle_ms: config.settle_ms,
                task_timeout_s: config
                    .task_timeout_s
                    .unwrap_or(5.0 + 10.0 * cell.workload.spec.nominal_task_s().unwrap_or(0.0)),
            };
            // Generous: the batch's estimate ten times over, beyond the task timeout.
            let batch_s = est.batch_s.get(&cell.key()).copied().unwrap_or(1.0);
            let timeout = Duration::from_secs_f64(2.0 + 10.0 * batch_s + req.task_timeout_s);
            // A B in even rounds, B A in odd ones (shifted per cell): neither side always goes
            // first.
            let sides: [usize; 2] = if (round + i) % 2 == 0 { [0, 1] } else { [1, 0] };
            let mut got: [Option<Sample>; 2] = [None, None];
            for s in sides {
                let side = if s == 0 { &mut a } else { &mut b };
                let sample = side.run(&req, timeout).and_then(|m| {
                    if m.checksum != m.expected {
                        return Err(Error::ChecksumMismatch {
                            workload: cell.workload.spec.kind().to_string(),
                            model: cell.model.to_string(),
                            workers: cell.workers,
                            expected: m.expected,
                            got: m.checksum,
                        });
                    }
                    Ok(m)
                });
                match sample {
                    Ok(m) => got[s] = Some(m),
                    Err(e) => {
                        let e = Error::InCell {
                            cell: format!("{} on the {} side", cell.key(), side.label),
                            inner: Box::new(e),
                        };
                        // The other side stops when it is dropped; save what there is.
                        drop(a);
                        drop(b);
                        return Err(stopped(&raw, e));
                    }
                }
                observer.batch_done(cell, round, got[s].as_ref().map_or(0.0, |m| m.wall_s));
            }
            let [Some(ma), Some(mb)] = got else {
                unreachable!("both sides answered")
            };
            if ma.expected != mb.expected {
                changed[i] = true;
                observer.notice(&format!(
                    "{}: the answer changed (checksum {:#x} → {:#x}): not timed",
                    cell.key(),
                    ma.expected,
                    mb.expected
                ));
            }
            for (r, m) in raw.iter_mut().zip([ma, mb]) {
                let r = &mut r[i];
                (r.expected_checksum, r.checksum) = (m.expected, m.checksum);
                r.startup_s = r.startup_s.or(m.startup_s.filter(|_| cell.model.is_pool()));
                if round >= config.warmup && !changed[i] {
                    r.samples_s.push(m.wall_s);
                    r.rounds.push((round - config.warmup) as u32);
                    r.cpu_s.push(m.cpu_s);
                    r.voluntary_cs.push(m.voluntary_cs);
                    r.involuntary_cs.push(m.involuntary_cs);
                    r.peak_rss_kib = r.peak_rss_kib.max(m.peak_rss_kib);
                }
            }
        }
        save(&raw, None)?;
    }
    drop(a);
    drop(b);
    let comparison = judge(&cells, &raw, &changed, opts);
    save(&raw, Some(comparison))
}

/// The verdicts of a finished paired run.
fn judge(
    cells: &[CellSpec],
    raw: &[Vec<RawCell>; 2],
    changed: &[bool],
    opts: AbOptions,
) -> Comparison {
    let mut out = Vec::new();
    let mut too_short = Vec::new();
    for (i, cell) in cells.iter().enumerate() {
        let (sa, sb) = (&raw[0][i].samples_s, &raw[1][i].samples_s);
        let key: CellKey = cell.key();
        if changed[i] {
            out.push(CellComparison {
                cell: key.to_string(),
                baseline: 0.0,
                current: 0.0,
                change: 0.0,
                worse_by: 0.0,
                p_value: 1.0,
                p_beyond: 1.0,
                samples: (sa.len(), sb.len()),
                verdict: Verdict::Changed,
            });
            continue;
        }
        if sa.is_empty() || sa.len() != sb.len() {
            continue;
        }
        let (bm, cm) = (crate::stats::median(sa), crate::stats::median(sb));
        let (verdict, p_value, p_beyond) = judge_paired(sa, sb, opts.threshold, opts.alpha);
        let verdict = if bm.min(cm) < MIN_JUDGED_S {
            too_short.push(key.to_string());
            Verdict::NonSignificant
        } else {
            verdict
        };
        let ratios: Vec<f64> = sa.iter().zip(sb).map(|(x, y)| y / x).collect();
        let change = crate::stats::median(&ratios) - 1.0;
        out.push(CellComparison {
            cell: key.to_string(),
            baseline: bm,
            current: cm,
            change,
            worse_by: change,
            p_value,
            p_beyond,
            samples: (sa.len(), sb.len()),
            verdict,
        });
    }
    Comparison {
        metric: Metric::Time,
        threshold: opts.threshold,
        alpha: opts.alpha,
        cells: out,
        only_in_baseline: Vec::new(),
        only_in_current: Vec::new(),
        noise_cv: (None, None),
        warnings: [
            "paired A/B run: each cell judged on its per-round time ratios current ÷ baseline (Wilcoxon signed-rank test; change = their median)".to_string(),
        ]
        .into_iter()
        .chain((!too_short.is_empty()).then(|| {
            format!(
                "not judged, batches under {} ms (two processes differ more than that in so short a batch; give such cells more tasks): {}",
                MIN_JUDGED_S * 1e3,
                too_short.join(", ")
            )
        }))
        .collect(),
    }
}
