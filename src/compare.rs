//! The regression verdict between two runs, pure (no IO): for every cell present in both, a
//! Mann–Whitney U test on the per-sample values of the chosen metric and a verdict that is
//! `Regressed` (or `Improved`) only when the change is both significant at `alpha` and beyond the
//! threshold. Cells present in only one run are listed, not dropped. Absolute times are only
//! comparable on the same kind of machine, so `time` refuses two different machine fingerprints
//! unless told otherwise; `speedup` and `efficiency` are ratios within one run and compare across
//! machines.

use crate::error::{Error, Result};
use crate::machine::MachineInfo;
use crate::result::{CellResult, RunResults};
use crate::stats::{mann_whitney, median, signed_rank};
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
    /// The two sides' checksums differ (`parbench ab`): the answer changed, so the times are not
    /// compared.
    Changed,
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

/// Judges one cell of a paired A/B run from its per-round times (`base[i]` and `current[i]`
/// measured in the same round, seconds apart): on the log ratios `ln(current/base)`, a Wilcoxon
/// signed-rank test that they lie above `ln(1 + threshold)` (regressed) or below
/// `ln(1 − threshold)` (improved), at `alpha`, with the median ratio beyond the threshold too.
/// Pairing takes the drift between the two sides out: what is left is the change. Returns the
/// verdict, the two-sided p-value of "any change" and the p-value of the test that decided.
pub fn judge_paired(
    base: &[f64],
    current: &[f64],
    threshold: f64,
    alpha: f64,
) -> (Verdict, f64, f64) {
    let d: Vec<f64> = base
        .iter()
        .zip(current)
        .filter(|(b, c)| **b > 0.0 && **c > 0.0)
        .map(|(b, c)| (c / b).ln())
        .collect();
    let any = (2.0 * signed_rank(&d, true).min(signed_rank(&d, false))).min(1.0);
    let ratio = median(&d).exp();
    let shifted = |by: f64| -> Vec<f64> { d.iter().map(|x| x - by).collect() };
    if ratio > 1.0 + threshold {
        let p = signed_rank(&shifted((1.0 + threshold).ln()), true);
        let v = if p < alpha {
            Verdict::Regressed
        } else {
            Verdict::NonSignificant
        };
        return (v, any, p);
    }
    if ratio < 1.0 - threshold {
        let p = signed_rank(&shifted((1.0 - threshold).ln()), false);
        let v = if p < alpha {
            Verdict::Improved
        } else {
            Verdict::NonSignificant
        };
        return (v, any, p);
    }
    (Verdict::NonSignificant, any, 1.0)
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
    /// Whether any cell regressed, or changed its answer.
    pub fn regressed(&self) -> bool {
        self.cells
            .iter()
            .any(|c| matches!(c.verdict, Verdict::Regressed | Verdict::Changed))
    }

    /// Cells whose answer changed (`parbench ab`: the sides' checksums differ).
    pub fn changed(&self) -> usize {
        self.cells
            .iter()
            .filter(|c| c.verdict == Verdict::Changed)
            .count()
    }

    /// How many cells got each verdict: (regressed, improved, unchanged); see also
    /// [`Comparison::changed`].
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
    c.key().to_string()
}

/// The per-sample values of `metric` for a cell of `run`.
///
/// For speedup and efficiency, the cell's paired speedup samples, as its result's speedup is made
/// ([`crate::result::derive::SpeedupBaseline::ratios`]): each round's sequential sample ÷ the
/// cell's sample of that round, seconds apart at most, so a machine that slows down for a while
/// (a noisy neighbour, thermal limits) slows both and the ratio stays put.
fn values(run: &RunResults, c: &CellResult, metric: Metric) -> Option<Vec<f64>> {
    if metric == Metric::Time {
        return Some(c.samples_s.clone());
    }
    if c.model.is_baseline() || !c.workload.has_speedup() {
        return None;
    }
    let per = if metric == Metric::Efficiency {
        c.workers as f64
    } else {
        1.0
    };
    let ratios = c.speedup_samples(&run.cells)?;
    Some(ratios.iter().map(|s| s / per).collect())
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
        let Some(b) = baseline.cells.iter().find(|b| b.key() == c.key()) else {
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
        .filter(|b| !current.cells.iter().any(|c| b.key() == c.key()))
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

    #[test]
    fn paired_verdicts_need_the_ratios_beyond_the_threshold() {
        let base = [10.0; 8];
        // 10% slower in every round: beyond a 5% threshold.
        let slower: Vec<f64> = base.iter().map(|b| b * 1.10).collect();
        assert_eq!(
            judge_paired(&base, &slower, 0.05, 0.05).0,
            Verdict::Regressed
        );
        // 2% slower: real, but within the threshold.
        let slight: Vec<f64> = base.iter().map(|b| b * 1.02).collect();
        assert_eq!(
            judge_paired(&base, &slight, 0.05, 0.05).0,
            Verdict::NonSignificant
        );
        let faster: Vec<f64> = base.iter().map(|b| b * 0.8).collect();
        assert_eq!(
            judge_paired(&base, &faster, 0.05, 0.05).0,
            Verdict::Improved
        );
        // Mixed directions around 10%: not significant.
        let mixed = [11.0, 9.0, 11.0, 9.0, 11.0, 9.0, 11.0, 9.0];
        assert_eq!(
            judge_paired(&base, &mixed, 0.05, 0.05).0,
            Verdict::NonSignificant
        );
    }

    #[test]
    fn a_changed_answer_fails_the_comparison_and_is_counted_apart() {
        let cell = |verdict| CellComparison {
            cell: "w/m/1".into(),
            baseline: 1.0,
            current: 1.0,
            change: 0.0,
            worse_by: 0.0,
            p_value: 1.0,
            p_beyond: 1.0,
            samples: (5, 5),
            verdict,
        };
        let c = Comparison {
            metric: Metric::Time,
            threshold: 0.05,
            alpha: 0.05,
            cells: vec![cell(Verdict::Changed), cell(Verdict::NonSignificant)],
            only_in_baseline: Vec::new(),
            only_in_current: Vec::new(),
            noise_cv: (None, None),
            warnings: Vec::new(),
        };
        assert!(c.regressed());
        assert_eq!((c.counts(), c.changed()), ((0, 0, 1), 1));
    }

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
}
