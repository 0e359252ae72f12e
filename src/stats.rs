//! Pure statistics, the one place for them: median, spread and a distribution-free confidence
//! interval of the median; the robust coefficient of variation (MAD) of the
//! noise probe; the Mann–Whitney U test `compare` judges with; Student's t quantiles for the
//! Amdahl fit. No IO, no clocks, no knowledge of cells or models.
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

/// Robust coefficient of variation of `samples`: 1.4826 × median absolute deviation ÷ median
/// (the standard deviation ÷ mean for normal data, but not blown up by one spike). 0 when the
/// median is not positive.
pub fn robust_cv(samples: &[f64]) -> f64 {
    let m = median(samples);
    let deviations: Vec<f64> = samples.iter().map(|s| (s - m).abs()).collect();
    let mad = median(&deviations);
    if m > 0.0 { 1.4826 * mad / m } else { 0.0 }
}

/// One-sided p-value of the Wilcoxon signed-rank test that the differences `d` are centred
/// above zero (`greater`) or below it: P(W ≥ observed) under the null that each difference is
/// as likely positive as negative. Zero differences are dropped; tied magnitudes get average
/// ranks. Exact (by counting the 2ⁿ sign patterns' rank sums) up to 60 differences, the normal
/// approximation with a continuity correction beyond. 1.0 when nothing is left.
pub fn signed_rank(d: &[f64], greater: bool) -> f64 {
    let mut v: Vec<f64> = d
        .iter()
        .map(|x| if greater { *x } else { -*x })
        .filter(|x| *x != 0.0 && x.is_finite())
        .collect();
    let n = v.len();
    if n == 0 {
        return 1.0;
    }
    v.sort_by(|a, b| a.abs().total_cmp(&b.abs()));
    // Ranks (doubled, so average ranks of ties stay integers).
    let mut ranks2 = vec![0usize; n];
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && v[j + 1].abs() == v[i].abs() {
            j += 1;
        }
        for r in ranks2.iter_mut().take(j + 1).skip(i) {
            *r = i + j + 2; // 2 × the average of ranks i+1 … j+1
        }
        i = j + 1;
    }
    let w2: usize = v
        .iter()
        .zip(&ranks2)
        .filter(|(x, _)| **x > 0.0)
        .map(|(_, r)| r)
        .sum();
    if n <= 60 {
        // counts[s] = sign patterns whose doubled positive rank sum is s.
        let total: usize = ranks2.iter().sum();
        let mut counts = vec![0f64; total + 1];
        counts[0] = 1.0;
        for &r in &ranks2 {
            for s in (r..=total).rev() {
                counts[s] += counts[s - r];
            }
        }
        let all: f64 = counts.iter().sum();
        return counts[w2..].iter().sum::<f64>() / all;
    }
    let nf = n as f64;
    let mean = nf * (nf + 1.0) / 4.0;
    let sd = (nf * (nf + 1.0) * (2.0 * nf + 1.0) / 24.0).sqrt();
    let z = (w2 as f64 / 2.0 - mean - 0.5) / sd;
    1.0 - normal_cdf(z)
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

/// The 97.5% quantile of Student's t with `df` degrees of freedom.
pub fn t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::INFINITY,
        1..=30 => TABLE[df - 1],
        31..=60 => 2.00,
        61..=120 => 1.98,
        _ => 1.96,
    }
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
    fn signed_rank_matches_exact_tables() {
        // All 5 positive: P = 1/32.
        assert!((signed_rank(&[1.0, 2.0, 3.0, 4.0, 5.0], true) - 1.0 / 32.0).abs() < 1e-12);
        assert!((signed_rank(&[1.0, 2.0, 3.0, 4.0, 5.0], false) - 1.0).abs() < 1e-12);
        // W+ = 1+2+4 = 7 of n = 4 (ranks 1, 2, 3(−), 4): 5 of the 16 subsets sum to ≥ 7.
        assert!((signed_rank(&[0.1, 0.2, -0.3, 0.4], true) - 5.0 / 16.0).abs() < 1e-12);
        // Large n, all positive: tiny p by the normal approximation.
        assert!(signed_rank(&vec![1.0; 80], true) < 1e-6);
        assert_eq!(signed_rank(&[0.0, 0.0], true), 1.0);
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
