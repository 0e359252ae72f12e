//! Scaling analytics, pure (no IO, no clocks): Amdahl's-law fits, the Karp–Flatt metric, peak
//! speedup, the worker count beyond which more workers stop helping, and one plain sentence per
//! workload stating the verdict. Charts and summaries only display what this module computes.
//!
//! Amdahl: `S(n) = 1 / (f + (1 − f)/n)`, so `1/S − 1/n = f·(1 − 1/n)`: a line through the origin
//! in `x = 1 − 1/n`, `y = 1/S − 1/n`. Every recorded sample (its wall time against the sequential
//! median) is one point, so the least-squares slope `f` gets a t-based 95% interval from the
//! residuals. Only counts where the law applies are used: for `cpu`, up to the cores that can run
//! in parallel; for `io`, every count. Karp–Flatt is the same quantity per worker count,
//! `e(n) = (1/S − 1/n)/(1 − 1/n)`: a serial fraction that grows with n points at overhead rather
//! than an inherently serial part.

use crate::model::ModelKind;
use crate::plan::CellKey;
use crate::result::{CellResult, RunResults};
use crate::stats::t_975;
use crate::usl::UslFit;
use crate::workload::{Column, WorkloadKind};
use serde::{Deserialize, Serialize};

/// A worker count within this fraction of the peak speedup counts as having reached it.
const SATURATION: f64 = 0.9;

/// A fitted serial fraction.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AmdahlFit {
    /// The serial fraction f (0 = perfectly parallel).
    pub serial_fraction: f64,
    /// 95% confidence interval of f; `None` with a single point.
    pub ci95: Option<[f64; 2]>,
    /// Points used.
    pub points: usize,
    /// The largest worker count used.
    pub max_workers: usize,
}

/// Fits Amdahl's law to `(workers, speedup)` points; points with one worker carry no
/// information and are skipped. `None` without a usable point.
pub fn amdahl_fit(points: &[(usize, f64)]) -> Option<AmdahlFit> {
    let xy: Vec<(f64, f64)> = points
        .iter()
        .filter(|(n, s)| *n > 1 && s.is_finite() && *s > 0.0)
        .map(|&(n, s)| {
            let inv_n = 1.0 / n as f64;
            (1.0 - inv_n, 1.0 / s - inv_n)
        })
        .collect();
    if xy.is_empty() {
        return None;
    }
    let sxx: f64 = xy.iter().map(|(x, _)| x * x).sum();
    let sxy: f64 = xy.iter().map(|(x, y)| x * y).sum();
    let f = sxy / sxx;
    let m = xy.len();
    let ci95 = (m >= 2).then(|| {
        let rss: f64 = xy.iter().map(|(x, y)| (y - f * x).powi(2)).sum();
        let se = (rss / (m - 1) as f64 / sxx).sqrt();
        let half = t_975(m - 1) * se;
        [f - half, f + half]
    });
    Some(AmdahlFit {
        serial_fraction: f,
        ci95,
        points: m,
        max_workers: points.iter().map(|p| p.0).max().unwrap_or(1),
    })
}

/// The Karp–Flatt metric for a speedup `s` with `n > 1` workers.
pub fn karp_flatt(n: usize, s: f64) -> Option<f64> {
    (n > 1 && s > 0.0).then(|| {
        let inv_n = 1.0 / n as f64;
        (1.0 / s - inv_n) / (1.0 - inv_n)
    })
}

/// How one model scales on one workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelScaling {
    /// Workload.
    pub workload: WorkloadKind,
    /// Model.
    pub model: ModelKind,
    /// Amdahl fit, where the law applies (not for `noop`).
    pub amdahl: Option<AmdahlFit>,
    /// Karp–Flatt metric per worker count (> 1).
    pub karp_flatt: Vec<(usize, f64)>,
    /// Highest median speedup.
    pub peak_speedup: f64,
    /// Worker count of the peak.
    pub peak_workers: usize,
    /// The smallest worker count reaching 90% of the peak: adding workers beyond it stops
    /// helping (10% is about the run-to-run noise of cells on a shared 2-core machine).
    pub saturation_workers: usize,
    /// The largest worker count measured, and the speedup there.
    pub max_workers: (usize, f64),
    /// The Universal Scalability Law fitted to its throughput (tasks ÷ wall time, every sample
    /// a point), where it has at least [`USL_MIN_WORKER_COUNTS`] worker counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usl: Option<UslFit>,
}

/// The fewest worker counts of a model the Universal Scalability Law is fitted to (it has
/// three parameters; one more count leaves a degree of freedom to judge them).
pub const USL_MIN_WORKER_COUNTS: usize = 4;

/// `(N, tasks per second)` of every sample of `cells`.
pub fn throughput_points(cells: &[&CellResult]) -> Vec<(f64, f64)> {
    cells
        .iter()
        .flat_map(|c| {
            c.samples_s
                .iter()
                .filter(|t| **t > 0.0)
                .map(|t| (c.workers as f64, c.tasks as f64 / t))
        })
        .collect()
}

/// The law fitted to `cells` (one model, one workload), if they span enough worker counts and
/// the law fits.
fn usl_of(cells: &[&CellResult]) -> Option<UslFit> {
    let mut counts: Vec<usize> = cells.iter().map(|c| c.workers).collect();
    counts.sort_unstable();
    counts.dedup();
    if counts.len() < USL_MIN_WORKER_COUNTS {
        return None;
    }
    crate::usl::fit(&throughput_points(cells)).ok()
}

/// What one workload showed, as data; [`crate::export::verdicts`] puts it into words.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// `noop`: what the cheapest and the dearest model cost per task, each at its best N.
    TaskCost {
        /// The workload.
        workload: WorkloadKind,
        /// The cheapest model and its cost per task, seconds.
        cheapest: (ModelKind, f64),
        /// The dearest model and its cost per task, seconds.
        dearest: (ModelKind, f64),
    },
    /// `cpu`, `io`, `mixed`: the model that scales best, and where more workers stop helping.
    Scaling {
        /// The workload.
        workload: WorkloadKind,
        /// How its verdict opens ("CPU-bound"), from the workload.
        title: String,
        /// How the best model scales.
        best: Box<ModelScaling>,
        /// The ideal speedup at its peak, where one is known.
        ideal_speedup: Option<f64>,
        /// The machine's physical cores (logical where unknown) and logical cores, for saying
        /// where a worker count stands.
        cores: (usize, usize),
        /// What its batches lost, where they lose updates (`contention --sync racy`).
        lost: Option<Lost>,
        /// Its queue at the best model's peak, where it has one (`pipeline`).
        queue: Option<crate::result::QueueStats>,
    },
    /// `event`: how soon the waiters ran after the signal, per model at its largest N.
    Wake {
        /// The workload.
        workload: WorkloadKind,
        /// Per model: its largest N and the wake latencies there.
        at: Vec<(ModelKind, usize, crate::result::WakeLatency)>,
    },
    /// `tcp-echo`: the design that serves the most, and who spends the least server CPU.
    Echo {
        /// The workload.
        workload: WorkloadKind,
        /// The fastest design, its round trips per second, and its connections.
        fastest: (ModelKind, f64, usize),
        /// At the largest connection count: the design with the least server CPU per round
        /// trip, and that CPU, seconds.
        frugal: Option<(usize, ModelKind, f64)>,
    },
}

impl Verdict {
    /// The workload it is about.
    pub fn workload(&self) -> WorkloadKind {
        match self {
            Verdict::TaskCost { workload, .. }
            | Verdict::Wake { workload, .. }
            | Verdict::Scaling { workload, .. }
            | Verdict::Echo { workload, .. } => *workload,
        }
    }
}

/// The updates a workload's batches lost, over its cells (`contention --sync racy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lost {
    /// The most any cell with one worker lost (its median batch).
    pub at_one: u64,
    /// The least and the most a cell with N ≥ 2 lost (median batches).
    pub range: (u64, u64),
    /// Cells with N ≥ 2, and how many of them lost updates in every batch.
    pub cells: (usize, usize),
    /// Updates per batch.
    pub of: u64,
}

/// What the cells of `workload` lost, if they lose updates.
fn lost(r: &RunResults, workload: WorkloadKind) -> Option<Lost> {
    let cells: Vec<(usize, crate::result::LostUpdates)> = r
        .cells
        .iter()
        .filter(|c| c.workload == workload)
        .filter_map(|c| c.lost_updates.map(|l| (c.workers, l)))
        .collect();
    let of = cells.first()?.1.of;
    let many: Vec<_> = cells
        .iter()
        .filter(|(n, _)| *n >= 2)
        .map(|(_, l)| *l)
        .collect();
    Some(Lost {
        at_one: cells
            .iter()
            .filter(|(n, _)| *n < 2)
            .map(|(_, l)| l.median)
            .max()
            .unwrap_or(0),
        range: (
            many.iter().map(|l| l.median).min().unwrap_or(0),
            many.iter().map(|l| l.median).max().unwrap_or(0),
        ),
        cells: (many.len(), many.iter().filter(|l| l.min > 0).count()),
        of,
    })
}

/// Everything the analytics say about one run.
#[derive(Clone, Debug, PartialEq)]
pub struct Analysis {
    /// Per workload and model.
    pub scaling: Vec<ModelScaling>,
    /// One verdict per workload.
    pub verdicts: Vec<Verdict>,
}

/// Per-sample speedups of a cell against the baseline median.
fn sample_speedups(cell: &CellResult, baseline_median: f64) -> impl Iterator<Item = f64> + '_ {
    cell.samples_s.iter().map(move |t| baseline_median / t)
}

/// Analyses a run.
pub fn analyse(r: &RunResults) -> Analysis {
    let mut scaling = Vec::new();
    for workload in r.workloads() {
        let cells: Vec<&CellResult> = r.cells.iter().filter(|c| c.workload == workload).collect();
        let mut models: Vec<ModelKind> = cells.iter().map(|c| c.model).collect();
        models.dedup();
        for model in models {
            if model.is_baseline() {
                continue;
            }
            let mine: Vec<&&CellResult> = cells.iter().filter(|c| c.model == model).collect();
            let baseline = mine
                .first()
                .and_then(|c| c.speedup_baseline(&r.cells))
                .map(|b| b.median_s());
            let with_speedup: Vec<(usize, f64)> = mine
                .iter()
                .filter_map(|c| c.speedup.map(|s| (c.workers, s)))
                .collect();
            let Some(&(peak_workers, peak_speedup)) =
                with_speedup.iter().max_by(|a, b| a.1.total_cmp(&b.1))
            else {
                continue;
            };
            let saturation_workers = with_speedup
                .iter()
                .filter(|(_, s)| *s >= SATURATION * peak_speedup)
                .map(|(n, _)| *n)
                .min()
                .unwrap_or(peak_workers);
            let max_workers = *with_speedup.iter().max_by_key(|(n, _)| *n).unwrap();
            let parallel_limit = if workload.computes() {
                r.machine.logical_cores
            } else {
                usize::MAX
            };
            let amdahl = match baseline.filter(|_| workload.has_speedup()) {
                None => None,
                Some(b) => {
                    let points: Vec<(usize, f64)> = mine
                        .iter()
                        .filter(|c| c.workers <= parallel_limit)
                        .flat_map(|c| sample_speedups(c, b).map(|s| (c.workers, s)))
                        .collect();
                    amdahl_fit(&points)
                }
            };
            scaling.push(ModelScaling {
                workload,
                model,
                amdahl,
                karp_flatt: with_speedup
                    .iter()
                    .filter_map(|&(n, s)| karp_flatt(n, s).map(|e| (n, e)))
                    .collect(),
                peak_speedup,
                peak_workers,
                saturation_workers,
                max_workers,
                usl: workload
                    .has_speedup()
                    .then(|| usl_of(&mine.iter().map(|c| **c).collect::<Vec<_>>()))
                    .flatten(),
            });
        }
    }
    let verdicts = r
        .workloads()
        .into_iter()
        .filter_map(|w| verdict(r, w, &scaling))
        .collect();
    Analysis { scaling, verdicts }
}

/// What a workload showed.
fn verdict(r: &RunResults, workload: WorkloadKind, scaling: &[ModelScaling]) -> Option<Verdict> {
    let mut at: Vec<(ModelKind, usize, crate::result::WakeLatency)> = Vec::new();
    for c in r.cells.iter().filter(|c| c.workload == workload) {
        let Some(w) = c.wake_latency else { continue };
        match at.iter_mut().find(|(m, _, _)| *m == c.model) {
            Some(e) if e.1 < c.workers => *e = (c.model, c.workers, w),
            Some(_) => {}
            None => at.push((c.model, c.workers, w)),
        }
    }
    if !at.is_empty() {
        return Some(Verdict::Wake { workload, at });
    }
    match workload.column() {
        Column::Network => echo_verdict(r, workload),
        Column::PerTask => {
            let mut costs: Vec<(ModelKind, f64)> = Vec::new();
            for c in r.cells.iter().filter(|c| c.workload == workload) {
                match costs.iter_mut().find(|(m, _)| *m == c.model) {
                    Some((_, best)) => *best = best.min(c.per_task_s),
                    None => costs.push((c.model, c.per_task_s)),
                }
            }
            costs.retain(|(m, _)| !m.is_baseline());
            costs.sort_by(|a, b| a.1.total_cmp(&b.1));
            Some(Verdict::TaskCost {
                workload,
                cheapest: *costs.first()?,
                dearest: *costs.last()?,
            })
        }
        _ => {
            let best = scaling
                .iter()
                .filter(|s| s.workload == workload)
                .max_by(|a, b| a.peak_speedup.total_cmp(&b.peak_speedup))?;
            let key = CellKey {
                workload,
                model: best.model,
                workers: best.peak_workers,
            };
            let m = &r.machine;
            let cell = r.cells.iter().find(|c| c.workload == workload)?;
            let peak = r.cells.iter().find(|c| c.key() == key);
            Some(Verdict::Scaling {
                workload,
                title: cell.params.reading().title(),
                best: Box::new(best.clone()),
                ideal_speedup: peak.and_then(|c| c.ideal_speedup),
                cores: (m.physical_cores.unwrap_or(m.logical_cores), m.logical_cores),
                lost: lost(r, workload),
                queue: peak.and_then(|c| c.queue),
            })
        }
    }
}

/// tcp-echo: the fastest design and where, and who spends the least server CPU per round trip
/// at the largest connection count.
fn echo_verdict(r: &RunResults, workload: WorkloadKind) -> Option<Verdict> {
    let cells: Vec<&CellResult> = r
        .cells
        .iter()
        .filter(|c| c.workload == workload && c.net.is_some())
        .collect();
    let rate = |c: &CellResult| c.net.as_ref().map_or(0.0, |n| n.round_trips_per_s);
    let best = cells.iter().max_by(|a, b| rate(a).total_cmp(&rate(b)))?;
    let top_c = cells.iter().map(|c| c.workers).max()?;
    let cpu = |c: &CellResult| c.net.as_ref().and_then(|n| n.server_cpu_per_round_trip_s);
    let frugal = cells
        .iter()
        .filter(|c| c.workers == top_c)
        .filter_map(|c| cpu(c).map(|v| (top_c, c.model, v)))
        .min_by(|a, b| a.2.total_cmp(&b.2));
    Some(Verdict::Echo {
        workload,
        fastest: (best.model, rate(best), best.workers),
        frugal,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amdahl(f: f64, n: usize) -> f64 {
        1.0 / (f + (1.0 - f) / n as f64)
    }

    #[test]
    fn recovers_a_known_serial_fraction_within_one_percent() {
        for f in [0.02, 0.1, 0.3] {
            // Deterministic ±1% multiplicative noise on every point.
            let mut points = Vec::new();
            for (i, n) in [2usize, 4, 8, 16, 32].iter().enumerate() {
                for j in 0..5 {
                    let noise = 1.0 + 0.01 * (((i * 5 + j) as f64 * 2.399).sin());
                    points.push((*n, amdahl(f, *n) * noise));
                }
            }
            let fit = amdahl_fit(&points).unwrap();
            assert!(
                (fit.serial_fraction - f).abs() <= 0.01 * f.max(0.01) + 0.002,
                "f={f}: fitted {}",
                fit.serial_fraction
            );
            let [lo, hi] = fit.ci95.unwrap();
            assert!(lo <= f && f <= hi, "f={f} outside [{lo}, {hi}]");
        }
        let exact = amdahl_fit(&[(2, amdahl(0.25, 2)), (8, amdahl(0.25, 8))]).unwrap();
        assert!((exact.serial_fraction - 0.25).abs() < 1e-12);
    }

    #[test]
    fn one_worker_points_carry_no_information() {
        assert!(amdahl_fit(&[(1, 1.0), (1, 0.9)]).is_none());
        let single = amdahl_fit(&[(1, 1.0), (2, 1.5)]).unwrap();
        assert_eq!(single.points, 1);
        assert!(single.ci95.is_none());
    }

    #[test]
    fn karp_flatt_matches_amdahl_for_exact_data() {
        let e = karp_flatt(4, amdahl(0.2, 4)).unwrap();
        assert!((e - 0.2).abs() < 1e-12);
        assert!(karp_flatt(1, 1.0).is_none());
    }
}
