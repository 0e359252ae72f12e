//! Pure statistics on samples: median, spread and a distribution-free confidence interval of the
//! median. No IO, no clocks.
//!
//! The interval uses order statistics: for `n` samples, `[x(k), x(n-k+1)]` covers the true median
//! with probability `1 - 2·P(B ≤ k-1)`, `B ~ Binomial(n, ½)`, whatever the distribution (timings
//! are skewed, so a normal-theory interval would mislead). The widest `k` reaching 95% is used;
//! below 6 samples no pair reaches 95%, so `[min, max]` is used and its real coverage is reported
//! (93.75% for 5 samples).

use serde::{Deserialize, Serialize};

/// Summary of one set of samples.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of samples.
    pub n: usize,
    /// Median.
    pub median: f64,
    /// Smallest sample.
    pub min: f64,
    /// Largest sample.
    pub max: f64,
    /// Lower end of the confidence interval of the median.
    pub ci_low: f64,
    /// Upper end of the confidence interval of the median.
    pub ci_high: f64,
    /// The interval's actual coverage probability (≥ 0.95 from 6 samples on).
    pub ci_level: f64,
}

/// Median of `values` (mean of the two middle values for an even count). NaN when empty.
pub fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    }
}

/// P(B ≤ k) for B ~ Binomial(n, ½).
fn binomial_half_cdf(n: usize, k: usize) -> f64 {
    let mut term = 0.5f64.powi(n as i32); // C(n,0)/2^n
    let mut sum = term;
    for i in 1..=k.min(n) {
        term *= (n - i + 1) as f64 / i as f64;
        sum += term;
    }
    sum.min(1.0)
}

/// The 1-based rank `k` and coverage of the order-statistic interval `[x(k), x(n-k+1)]`.
pub fn median_ci_rank(n: usize) -> (usize, f64) {
    let coverage = |k: usize| 1.0 - 2.0 * binomial_half_cdf(n, k - 1);
    let mut best = (1, coverage(1));
    let mut k = 2;
    while k <= n.div_ceil(2) && coverage(k) >= 0.95 {
        best = (k, coverage(k));
        k += 1;
    }
    best
}

/// Summarises `samples`. `None` when there are none.
pub fn summarize(samples: &[f64]) -> Option<Summary> {
    if samples.is_empty() {
        return None;
    }
    let mut v = samples.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let (k, level) = median_ci_rank(n);
    Some(Summary {
        n,
        median: median(&v),
        min: v[0],
        max: v[n - 1],
        ci_low: v[k - 1],
        ci_high: v[n - k],
        ci_level: if n == 1 { 0.0 } else { level },
    })
}

/// Speedup `baseline / cell` and a conservative interval from the two medians' intervals
/// (`[base_low / cell_high, base_high / cell_low]`).
pub fn speedup(baseline: &Summary, cell: &Summary) -> (f64, [f64; 2]) {
    (
        baseline.median / cell.median,
        [
            baseline.ci_low / cell.ci_high,
            baseline.ci_high / cell.ci_low,
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn ci_ranks_match_the_binomial_table() {
        // Known values: n=5 → [x1,x5] 93.75%; n=6 → [x1,x6] 96.9%; n=9 → [x2,x8] 96.1%;
        // n=20 → [x6,x15] 95.9%.
        let (k, c) = median_ci_rank(5);
        assert_eq!(k, 1);
        assert!((c - 0.9375).abs() < 1e-12);
        assert_eq!(median_ci_rank(6).0, 1);
        let (k, c) = median_ci_rank(9);
        assert_eq!(k, 2);
        assert!((c - 0.9609375).abs() < 1e-9);
        let (k, c) = median_ci_rank(20);
        assert_eq!(k, 6);
        assert!((0.95..0.97).contains(&c));
    }

    #[test]
    fn summary_brackets_the_median() {
        let s = summarize(&[5.0, 1.0, 4.0, 2.0, 3.0, 9.0, 0.5]).unwrap();
        assert_eq!(s.n, 7);
        assert_eq!(s.median, 3.0);
        assert_eq!((s.min, s.max), (0.5, 9.0));
        assert!(s.ci_low <= s.median && s.median <= s.ci_high);
        assert!(s.ci_level >= 0.95);
        assert!(summarize(&[]).is_none());
    }

    #[test]
    fn speedup_interval_contains_the_point() {
        let base = summarize(&[10.0, 11.0, 9.0, 10.5, 9.5, 10.0]).unwrap();
        let cell = summarize(&[5.0, 5.5, 4.5, 5.2, 4.8, 5.0]).unwrap();
        let (s, [lo, hi]) = speedup(&base, &cell);
        assert!((s - 2.0).abs() < 1e-9);
        assert!(lo <= s && s <= hi);
    }
}
