//! The regression verdict between two runs, pure (no IO): for every cell present in both, a
//! Mann–Whitney U test on the per-sample values of the chosen metric and a verdict that is
//! `Regressed` (or `Improved`) only when the change is both significant at `alpha` and beyond the
//! threshold. Cells present in only one run are listed, not dropped. Absolute times are only
//! comparable on the same kind of machine, so `time` refuses two different machine fingerprints
//! unless told otherwise; `speedup` and `efficiency` are ratios within one run and compare across
//! machines.

use crate::error::{Error, Result};
use crate::machine::MachineInfo;
use crate::measure::stats::median;
use crate::result::{CellResult, RunResults};
use crate::workload::WorkloadKind;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What to compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Metric {
    /// Wall time per batch (smaller is better); same machine only.
    Time,
    /// Speedup over the run's own sequential baseline (larger is better).
    Speedup,
    /// Speedup ÷ workers (larger is better).
    Efficiency,
}

impl FromStr for Metric {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "time" => Ok(Metric::Time),
            "speedup" => Ok(Metric::Speedup),
            "efficiency" => Ok(Metric::Efficiency),
            _ => Err(format!(
                "unknown metric '{s}' (expected time, speedup or efficiency)"
            )),
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Metric::Time => "time",
            Metric::Speedup => "speedup",
            Metric::Efficiency => "efficiency",
        })
    }
}

/// The outcome for one cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    /// Significantly better by more than the threshold.
    Improved,
    /// Significantly worse by more than the threshold.
    Regressed,
    /// Not significant, or within the threshold.
    NonSignificant,
}

/// Judges one cell from its per-sample values. A cell `Regressed` when its values are
/// significantly worse than the baseline's *moved by the threshold in the bad direction* (a
/// Mann–Whitney test at `alpha` on `base × (1 ± threshold)` against `current`, and the medians in
/// that order): the change is then both significant and beyond the threshold, with evidence, not
/// just by its point estimate. `Improved` is the mirror image. Returns the verdict and the p-value
/// of the test that decided it (1.0 when neither direction was tested).
///
/// Testing against the moved baseline matters on shared machines: two runs drift apart by a few
/// percent as a whole, which a plain test on a handful of samples calls significant.
pub fn judge(
    base: &[f64],
    current: &[f64],
    smaller_is_better: bool,
    threshold: f64,
    alpha: f64,
) -> (Verdict, f64) {
    let (worse, better) = if smaller_is_better {
        (1.0 + threshold, 1.0 - threshold)
    } else {
        (1.0 - threshold, 1.0 + threshold)
    };
    let cur_median = median(current);
    let moved = |f: f64| -> Vec<f64> { base.iter().map(|v| v * f).collect() };
    let is_worse = |m: f64| {
        if smaller_is_better {
            cur_median > m
        } else {
            cur_median < m
        }
    };
    let worse_base = moved(worse);
    if is_worse(median(&worse_base)) {
        let p = mann_whitney(&worse_base, current);
        return if p < alpha {
            (Verdict::Regressed, p)
        } else {
            (Verdict::NonSignificant, p)
        };
    }
    let better_base = moved(better);
    if !is_worse(median(&better_base)) && cur_median != median(&better_base) {
        let p = mann_whitney(&better_base, current);
        return if p < alpha {
            (Verdict::Improved, p)
        } else {
            (Verdict::NonSignificant, p)
        };
    }
    (Verdict::NonSignificant, 1.0)
}

/// Two-sided p-value of the Mann–Whitney U test that `a` and `b` come from the same
/// distribution. Exact (no ties assumed) when both have at most 50 values; otherwise the normal
/// approximation with a tie correction. 1.0 when either side is empty.
pub fn mann_whitney(a: &[f64], b: &[f64]) -> f64 {
    let (n, m) = (a.len(), b.len());
    if n == 0 || m == 0 {
        return 1.0;
    }
    // U counts pairs where a wins; ties count one half.
    let mut u = 0.0;
    for x in a {
        for y in b {
            u += if x > y {
                1.0
            } else if x == y {
                0.5
            } else {
                0.0
            };
        }
    }
    let has_ties = {
        let mut all: Vec<f64> = a.iter().chain(b).copied().collect();
        all.sort_by(f64::total_cmp);
        all.windows(2).any(|w| w[0] == w[1])
    };
    if n <= 50 && m <= 50 && !has_ties {
        mann_whitney_exact(n, m, u)
    } else {
        mann_whitney_normal(a, b, u)
    }
}

/// The exact two-sided p-value of U = `u` for samples of `n` and `m` values without ties.
fn mann_whitney_exact(n: usize, m: usize, u: f64) -> f64 {
    {
        // counts[k] = number of rank arrangements with U = k, built up one `a` value at a time.
        let max = n * m;
        let mut counts = vec![vec![0f64; max + 1]; m + 1];
        for row in counts.iter_mut() {
            row[0] = 1.0;
        }
        for i in 1..=n {
            let mut next = vec![vec![0f64; max + 1]; m + 1];
            next[0][0] = 1.0;
            for j in 1..=m {
                for k in 0..=i * j {
                    // The largest of the i + j values is either an `a` (beats all j `b`s) or a `b`.
                    let from_a = if k >= j { counts[j][k - j] } else { 0.0 };
                    let from_b = next[j - 1][k];
                    next[j][k] = from_a + from_b;
                }
            }
            counts = next;
        }
        let dist = &counts[m];
        let total: f64 = dist.iter().sum();
        let u = u as usize;
        let low: f64 = dist[..=u].iter().sum::<f64>() / total;
        let high: f64 = dist[u..].iter().sum::<f64>() / total;
        (2.0 * low.min(high)).min(1.0)
    }
}

/// The normal approximation of the two-sided p-value, with continuity and tie corrections.
fn mann_whitney_normal(a: &[f64], b: &[f64], u: f64) -> f64 {
    let (n, m) = (a.len(), b.len());
    let (nf, mf) = (n as f64, m as f64);
    let mean = nf * mf / 2.0;
    let mut all: Vec<f64> = a.iter().chain(b).copied().collect();
    all.sort_by(f64::total_cmp);
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < all.len() {
        let j = all[i..].iter().take_while(|v| **v == all[i]).count();
        let t = j as f64;
        tie_term += t * t * t - t;
        i += j;
    }
    let total = nf + mf;
    let var = nf * mf / 12.0 * ((total + 1.0) - tie_term / (total * (total - 1.0)));
    if var <= 0.0 {
        return 1.0;
    }
    let z = ((u - mean).abs() - 0.5).max(0.0) / var.sqrt();
    if z == 0.0 {
        return 1.0;
    }
    (2.0 * (1.0 - normal_cdf(z))).min(1.0)
}

fn normal_cdf(z: f64) -> f64 {
    // Abramowitz–Stegun 7.1.26 for erf; error below 1.5e-7.
    let x = z / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs());
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    0.5 * (1.0 + if x >= 0.0 { erf } else { -erf })
}

/// What identifies a kind of machine for absolute-time comparisons: CPU, core counts, memory,
/// OS family and architecture. The hostname is left out on purpose: CI runners get a new one
/// every run.
pub fn fingerprint(m: &MachineInfo) -> String {
    format!(
        "{} | {}p/{}l cores | {} GiB | {} | {}",
        m.cpu_brand,
        m.physical_cores.map_or("?".into(), |p| p.to_string()),
        m.logical_cores,
        (m.total_memory_bytes as f64 / (1u64 << 30) as f64).round(),
        m.os.split_whitespace().next().unwrap_or(""),
        m.arch
    )
}

/// Options of a comparison.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CompareOptions {
    /// The metric.
    pub metric: Metric,
    /// Smallest relative change that counts (0.10 = 10%).
    pub threshold: f64,
    /// Significance level of the test.
    pub alpha: f64,
    /// Compare `time` across different machines anyway.
    pub allow_machine_mismatch: bool,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            metric: Metric::Speedup,
            threshold: 0.10,
            alpha: 0.05,
            allow_machine_mismatch: false,
        }
    }
}

/// One cell present in both runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CellComparison {
    /// `workload/model/workers`.
    pub cell: String,
    /// Baseline median of the metric.
    pub baseline: f64,
    /// Current median of the metric.
    pub current: f64,
    /// `current / baseline − 1`.
    pub change: f64,
    /// The change in the bad direction (positive = worse).
    pub worse_by: f64,
    /// Mann–Whitney two-sided p-value of "any change".
    pub p_value: f64,
    /// p-value of "changed by more than the threshold" (the test behind the verdict).
    pub p_beyond: f64,
    /// Samples on each side.
    pub samples: (usize, usize),
    /// The verdict.
    pub verdict: Verdict,
}

/// The whole comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Metric compared.
    pub metric: Metric,
    /// Threshold used.
    pub threshold: f64,
    /// Alpha used.
    pub alpha: f64,
    /// Cells in both runs, in the current run's order.
    pub cells: Vec<CellComparison>,
    /// Cells only the baseline has.
    pub only_in_baseline: Vec<String>,
    /// Cells only the current run has.
    pub only_in_current: Vec<String>,
    /// Noise of each run's reference probe (coefficient of variation), where recorded.
    pub noise_cv: (Option<f64>, Option<f64>),
    /// Things the reader should know (noise above the threshold, differing sizes, …).
    pub warnings: Vec<String>,
}

impl Comparison {
    /// Whether any cell regressed.
    pub fn regressed(&self) -> bool {
        self.cells.iter().any(|c| c.verdict == Verdict::Regressed)
    }

    /// How many cells got each verdict: (regressed, improved, unchanged).
    pub fn counts(&self) -> (usize, usize, usize) {
        let n = |v| self.cells.iter().filter(|c| c.verdict == v).count();
        (
            n(Verdict::Regressed),
            n(Verdict::Improved),
            n(Verdict::NonSignificant),
        )
    }
}

fn cell_name(c: &CellResult) -> String {
    format!("{}/{}/{}", c.workload, c.model, c.workers)
}

/// The per-sample values of `metric` for a cell of `run`.
///
/// For speedup and efficiency, sample i of a cell is set against sample i of the sequential cell:
/// both come from round i, minutes apart at most seconds, so a machine that slows down for a while
/// (a noisy neighbour, thermal limits) slows both and the ratio stays put. Against the sequential
/// median instead, one slow phase during the sequential samples would shift every speedup.
fn values(run: &RunResults, c: &CellResult, metric: Metric) -> Option<Vec<f64>> {
    if metric == Metric::Time {
        return Some(c.samples_s.clone());
    }
    if c.model.is_baseline() || c.workload == WorkloadKind::Noop {
        return None;
    }
    let per = if metric == Metric::Efficiency {
        c.workers as f64
    } else {
        1.0
    };
    let seq = run
        .cells
        .iter()
        .find(|b| b.workload == c.workload && b.model == c.model.baseline());
    let baselines: Vec<f64> = match (seq, c.params) {
        (Some(s), _) if s.samples_s.len() == c.samples_s.len() => s.samples_s.clone(),
        (Some(s), _) => vec![s.median_s; c.samples_s.len()],
        (None, spec) if spec.nominal_task_s().is_some() => {
            vec![c.tasks as f64 * spec.nominal_task_s().unwrap_or(0.0); c.samples_s.len()]
        }
        (None, _) => return None,
    };
    Some(
        baselines
            .iter()
            .zip(&c.samples_s)
            .map(|(b, t)| b / t / per)
            .collect(),
    )
}

/// Compares `current` against `baseline`.
pub fn compare(
    baseline: &RunResults,
    current: &RunResults,
    opts: &CompareOptions,
) -> Result<Comparison> {
    if !(opts.threshold >= 0.0 && opts.threshold.is_finite()) {
        return Err(Error::Config(format!(
            "invalid threshold {}: must be a fraction ≥ 0",
            opts.threshold
        )));
    }
    if !(opts.alpha > 0.0 && opts.alpha < 1.0) {
        return Err(Error::Config(format!(
            "invalid alpha {}: must be between 0 and 1",
            opts.alpha
        )));
    }
    let (fb, fc) = (
        fingerprint(&baseline.machine),
        fingerprint(&current.machine),
    );
    let mut warnings = Vec::new();
    if fb != fc {
        if opts.metric == Metric::Time && !opts.allow_machine_mismatch {
            return Err(Error::Config(format!(
                "--metric time compares absolute times, but the runs are from different machines \
                 ({fb} vs {fc}); use --metric speedup, or --allow-machine-mismatch"
            )));
        }
        warnings.push(format!("different machines: {fb} vs {fc}"));
    }
    let mut cells = Vec::new();
    let mut only_in_current = Vec::new();
    for c in &current.cells {
        let Some(b) = baseline
            .cells
            .iter()
            .find(|b| b.workload == c.workload && b.model == c.model && b.workers == c.workers)
        else {
            only_in_current.push(cell_name(c));
            continue;
        };
        if b.params != c.params || b.tasks != c.tasks {
            warnings.push(format!(
                "{}: sizes differ ({} tasks of {:?} vs {} tasks of {:?})",
                cell_name(c),
                b.tasks,
                b.params,
                c.tasks,
                c.params
            ));
        }
        let (Some(bv), Some(cv)) = (
            values(baseline, b, opts.metric),
            values(current, c, opts.metric),
        ) else {
            continue;
        };
        let (bm, cm) = (median(&bv), median(&cv));
        let change = cm / bm - 1.0;
        let worse_by = if opts.metric == Metric::Time {
            change
        } else {
            -change
        };
        let (verdict, p_beyond) = judge(
            &bv,
            &cv,
            opts.metric == Metric::Time,
            opts.threshold,
            opts.alpha,
        );
        cells.push(CellComparison {
            cell: cell_name(c),
            baseline: bm,
            current: cm,
            change,
            worse_by,
            p_value: mann_whitney(&bv, &cv),
            p_beyond,
            samples: (bv.len(), cv.len()),
            verdict,
        });
    }
    let only_in_baseline = baseline
        .cells
        .iter()
        .filter(|b| {
            !current
                .cells
                .iter()
                .any(|c| b.workload == c.workload && b.model == c.model && b.workers == c.workers)
        })
        .map(cell_name)
        .collect();
    let noise_cv = (
        baseline.noise.as_ref().map(|n| n.cv),
        current.noise.as_ref().map(|n| n.cv),
    );
    if let Some(noise) = [noise_cv.0, noise_cv.1]
        .into_iter()
        .flatten()
        .reduce(f64::max)
        && opts.threshold < 3.0 * noise
    {
        warnings.push(format!(
            "the threshold {:.1}% is below 3× the noise measured by the reference probe (CV {:.1}%): \
             this data supports a threshold of about {:.0}%",
            opts.threshold * 100.0,
            noise * 100.0,
            (3.0 * noise * 100.0).ceil()
        ));
    }
    Ok(Comparison {
        metric: opts.metric,
        threshold: opts.threshold,
        alpha: opts.alpha,
        cells,
        only_in_baseline,
        only_in_current,
        noise_cv,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scaled(v: &[f64], f: f64) -> Vec<f64> {
        v.iter().map(|x| x * f).collect()
    }

    #[test]
    fn verdict_needs_significance_beyond_the_threshold() {
        let base = [1.00, 1.01, 1.02, 1.03, 1.04, 1.05];
        // Time: smaller is better.
        assert_eq!(
            judge(&base, &scaled(&base, 1.2), true, 0.1, 0.05).0,
            Verdict::Regressed
        );
        assert_eq!(
            judge(&base, &scaled(&base, 0.8), true, 0.1, 0.05).0,
            Verdict::Improved
        );
        assert_eq!(
            judge(&base, &scaled(&base, 1.05), true, 0.1, 0.05).0,
            Verdict::NonSignificant
        );
        // Speedup: larger is better.
        assert_eq!(
            judge(&base, &scaled(&base, 0.8), false, 0.1, 0.05).0,
            Verdict::Regressed
        );
        assert_eq!(
            judge(&base, &scaled(&base, 1.25), false, 0.1, 0.05).0,
            Verdict::Improved
        );
        assert_eq!(
            judge(&base, &base, false, 0.1, 0.05),
            (Verdict::NonSignificant, 1.0)
        );
        // 12% worse by its median, but the samples overlap the moved baseline: not proven.
        let noisy = [1.0, 1.3, 1.05, 1.25, 1.1, 1.2];
        let cur = [1.12, 1.45, 1.18, 1.40, 1.23, 1.34];
        assert_eq!(
            judge(&noisy, &cur, true, 0.1, 0.05).0,
            Verdict::NonSignificant
        );
    }

    #[test]
    fn mann_whitney_exact_matches_known_values() {
        // Complete separation of 5 vs 5: p = 2/252.
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        let b = [6.0, 7.0, 8.0, 9.0, 10.0];
        assert!((mann_whitney(&a, &b) - 2.0 / 252.0).abs() < 1e-12);
        assert!((mann_whitney(&b, &a) - 2.0 / 252.0).abs() < 1e-12);
        // Perfectly interleaved: no evidence.
        let c = [1.0, 3.0, 5.0, 7.0, 9.0];
        let d = [2.0, 4.0, 6.0, 8.0, 10.0];
        assert!(mann_whitney(&c, &d) > 0.5);
        // Identical samples (all ties) use the normal approximation and say nothing.
        assert!((mann_whitney(&a, &a) - 1.0).abs() < 1e-9);
        assert_eq!(mann_whitney(&[], &a), 1.0);
    }

    #[test]
    fn normal_approximation_agrees_with_the_exact_test() {
        let a: Vec<f64> = (0..30).map(|i| i as f64).collect();
        for shift in [2.5, 6.5, 10.5] {
            let b: Vec<f64> = (0..30).map(|i| i as f64 + shift).collect();
            let u: f64 = a
                .iter()
                .map(|x| b.iter().filter(|y| x > *y).count() as f64)
                .sum();
            let exact = mann_whitney_exact(30, 30, u);
            let approx = mann_whitney_normal(&a, &b, u);
            assert!(
                (exact - approx).abs() < 0.01,
                "shift {shift}: {exact} vs {approx}"
            );
        }
        // Beyond 50 a side the approximation is used.
        let big: Vec<f64> = (0..60).map(|i| i as f64).collect();
        assert!(mann_whitney(&big, &big) > 0.99);
    }
}
