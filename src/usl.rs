//! The Universal Scalability Law (Gunther): throughput at concurrency N is
//! `X(N) = λN / (1 + σ(N−1) + κN(N−1))`, where σ is contention (the serial part Amdahl's law
//! knows) and κ coherency (the cost of keeping N workers in agreement, which makes throughput
//! fall past the peak `N* = √((1−σ)/κ)`). [`fit`] finds σ, κ and λ by Levenberg–Marquardt
//! least squares on (N, throughput) points, every measurement one point, with t-based 95%
//! intervals for σ and κ from the fit's covariance; [`read_csv`] reads a user's points for
//! `parbench fit`. Pure: no IO, no cells, no models.

use crate::stats::t_975;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The fitted law and how well it is known.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct UslFit {
    /// Contention: the fraction of the work that queues for a shared resource.
    pub sigma: f64,
    /// Contention's 95% interval.
    pub sigma_ci95: [f64; 2],
    /// Coherency: the cost per pair of workers of staying consistent.
    pub kappa: f64,
    /// Coherency's 95% interval.
    pub kappa_ci95: [f64; 2],
    /// Throughput of one worker, units per second.
    pub lambda: f64,
    /// Points fitted.
    pub points: usize,
    /// The largest N among them.
    pub max_n: f64,
    /// The N of peak throughput, `√((1−σ)/κ)` (a real number); `None` when κ ≤ 0 or σ ≥ 1
    /// (throughput never peaks).
    pub peak_n: Option<f64>,
    /// Throughput at `peak_n`.
    pub peak_throughput: Option<f64>,
    /// Which term limits within the measured range.
    pub limit: Limit,
}

/// What bounds throughput in the measured range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Limit {
    /// σ's term dominates the denominator at the largest N measured: queueing for something
    /// shared, throughput flattens.
    ContentionLimited,
    /// κ's term dominates: crosstalk between workers, throughput falls past the peak.
    CoherencyLimited,
    /// Neither term is distinguishable from zero, or both cost under 5% at the largest N.
    Linear,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::ContentionLimited => "contention-limited",
            Limit::CoherencyLimited => "coherency-limited",
            Limit::Linear => "linear within the measured range",
        })
    }
}

/// Why points cannot be fitted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FitError {
    /// Fewer than 3 distinct N: three parameters need three.
    #[error("the law has 3 parameters: it needs at least 3 distinct N, got {0}")]
    TooFewN(usize),
    /// A point with N < 1, or a throughput that is not positive and finite.
    #[error("N must be at least 1 and throughput positive: ({0}, {1})")]
    BadPoint(String, String),
    /// The least squares did not settle on a law that describes the points.
    #[error("the Universal Scalability Law does not fit these points ({0})")]
    NoFit(String),
}

/// `X(N)` of the law with `sigma`, `kappa`, `lambda`.
pub fn throughput(sigma: f64, kappa: f64, lambda: f64, n: f64) -> f64 {
    lambda * n / (1.0 + sigma * (n - 1.0) + kappa * n * (n - 1.0))
}

impl UslFit {
    /// The predicted throughput at `n`.
    pub fn at(&self, n: f64) -> f64 {
        throughput(self.sigma, self.kappa, self.lambda, n)
    }
}

/// What `parbench fit` prints: the fit and its predictions (JSON as named here; text by
/// `Display`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FitReport {
    /// σ.
    pub sigma: f64,
    /// κ.
    pub kappa: f64,
    /// λ.
    pub lambda: f64,
    /// N* = √((1−σ)/κ), not rounded; null when throughput never peaks.
    pub peak_n: Option<f64>,
    /// X(N*).
    pub peak_throughput: Option<f64>,
    /// σ's 95% interval.
    pub sigma_ci95: [f64; 2],
    /// κ's 95% interval.
    pub kappa_ci95: [f64; 2],
    /// Which term limits.
    pub limit: Limit,
    /// Points fitted.
    pub points: usize,
    /// `[N, X(N)]` for every N asked for.
    pub predictions: Vec<[f64; 2]>,
}

impl FitReport {
    /// `fit` with its predictions at `predict`.
    pub fn new(fit: &UslFit, predict: &[f64]) -> Self {
        FitReport {
            sigma: fit.sigma,
            kappa: fit.kappa,
            lambda: fit.lambda,
            peak_n: fit.peak_n,
            peak_throughput: fit.peak_throughput,
            sigma_ci95: fit.sigma_ci95,
            kappa_ci95: fit.kappa_ci95,
            limit: fit.limit,
            points: fit.points,
            predictions: predict.iter().map(|&n| [n, fit.at(n)]).collect(),
        }
    }
}

impl fmt::Display for FitReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [s0, s1] = self.sigma_ci95;
        let [k0, k1] = self.kappa_ci95;
        writeln!(
            f,
            "USL fit of {} points: σ = {:.6} (95% CI {s0:.6} … {s1:.6}), κ = {:.6e} (95% CI {k0:.3e} … {k1:.3e}), λ = {:.6}",
            self.points, self.sigma, self.kappa, self.lambda
        )?;
        match (self.peak_n, self.peak_throughput) {
            (Some(n), Some(x)) => writeln!(f, "peak: N* = {n:.2}, X(N*) = {x:.6}")?,
            _ => writeln!(f, "peak: none (κ ≤ 0: throughput never falls)")?,
        }
        writeln!(f, "{}", self.limit)?;
        for [n, x] in &self.predictions {
            writeln!(f, "X({n}) = {x:.6}")?;
        }
        Ok(())
    }
}

/// Residuals and Jacobian of the law at `p = [σ, κ, λ]`.
fn residuals(points: &[(f64, f64)], p: [f64; 3]) -> (Vec<f64>, Vec<[f64; 3]>) {
    let [s, k, l] = p;
    points
        .iter()
        .map(|&(n, x)| {
            let d = 1.0 + s * (n - 1.0) + k * n * (n - 1.0);
            let r = x - l * n / d;
            // ∂r/∂p = −∂X/∂p.
            let dd = l * n / (d * d);
            (r, [dd * (n - 1.0), dd * n * (n - 1.0), -n / d])
        })
        .unzip()
}

fn sse(r: &[f64]) -> f64 {
    r.iter().map(|v| v * v).sum()
}

/// Solves the 3×3 system `a x = b` by Gaussian elimination with partial pivoting.
fn solve3(mut a: [[f64; 3]; 3], mut b: [f64; 3]) -> Option<[f64; 3]> {
    for col in 0..3 {
        let pivot = (col..3).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let pivot_row = a[col];
        for row in col + 1..3 {
            let f = a[row][col] / pivot_row[col];
            for (v, p) in a[row].iter_mut().zip(pivot_row).skip(col) {
                *v -= f * p;
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = [0.0; 3];
    for row in (0..3).rev() {
        let s: f64 = (row + 1..3).map(|c| a[row][c] * x[c]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// Inverse of a symmetric positive definite 3×3 matrix, column by column.
fn invert3(a: [[f64; 3]; 3]) -> Option<[[f64; 3]; 3]> {
    let mut inv = [[0.0; 3]; 3];
    for c in 0..3 {
        let mut e = [0.0; 3];
        e[c] = 1.0;
        let col = solve3(a, e)?;
        for r in 0..3 {
            inv[r][c] = col[r];
        }
    }
    Some(inv)
}

/// JᵀJ and Jᵀr.
fn normal_equations(r: &[f64], j: &[[f64; 3]]) -> ([[f64; 3]; 3], [f64; 3]) {
    let mut jtj = [[0.0; 3]; 3];
    let mut jtr = [0.0; 3];
    for (ri, ji) in r.iter().zip(j) {
        for a in 0..3 {
            jtr[a] += ji[a] * ri;
            for b in 0..3 {
                jtj[a][b] += ji[a] * ji[b];
            }
        }
    }
    (jtj, jtr)
}

/// A starting point: λ from the smallest N's throughput per worker, then σ and κ by linear least
/// squares on `λN/X − 1 = σ(N−1) + κN(N−1)`.
fn initial(points: &[(f64, f64)]) -> [f64; 3] {
    let &(n0, x0) = points
        .iter()
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .expect("points were checked");
    let lambda = x0 / n0;
    let (mut a11, mut a12, mut a22, mut b1, mut b2) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &(n, x) in points {
        let (u, v, y) = (n - 1.0, n * (n - 1.0), lambda * n / x - 1.0);
        a11 += u * u;
        a12 += u * v;
        a22 += v * v;
        b1 += u * y;
        b2 += v * y;
    }
    let det = a11 * a22 - a12 * a12;
    let (sigma, kappa) = if det.abs() > 1e-300 {
        ((b1 * a22 - b2 * a12) / det, (a11 * b2 - a12 * b1) / det)
    } else {
        (0.0, 0.0)
    };
    [sigma, kappa, lambda]
}

/// Fits the law to `points` (N, throughput), every measurement one point.
pub fn fit(points: &[(f64, f64)]) -> Result<UslFit, FitError> {
    if let Some(&(n, x)) = points
        .iter()
        .find(|(n, x)| !(n.is_finite() && *n >= 1.0 && x.is_finite() && *x > 0.0))
    {
        return Err(FitError::BadPoint(n.to_string(), x.to_string()));
    }
    let mut distinct: Vec<f64> = points.iter().map(|p| p.0).collect();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    if distinct.len() < 3 {
        return Err(FitError::TooFewN(distinct.len()));
    }
    // Levenberg–Marquardt with Marquardt's scaling (λ ~ 10³ and κ ~ 10⁻⁴ in one step).
    let mut p = initial(points);
    let (mut r, mut j) = residuals(points, p);
    let mut cost = sse(&r);
    let mut mu = 1e-3;
    for _ in 0..500 {
        let (jtj, jtr) = normal_equations(&r, &j);
        let mut a = jtj;
        for (d, row) in a.iter_mut().enumerate() {
            row[d] += mu * jtj[d][d].max(1e-300);
        }
        let Some(step) = solve3(a, jtr.map(|v| -v)) else {
            mu *= 10.0;
            continue;
        };
        let next = [p[0] + step[0], p[1] + step[1], p[2] + step[2]];
        let (r2, j2) = residuals(points, next);
        let cost2 = sse(&r2);
        if cost2.is_finite() && cost2 <= cost {
            let settled = cost - cost2 <= 1e-15 * cost.max(1e-300)
                && step
                    .iter()
                    .zip(next)
                    .all(|(s, v)| s.abs() <= 1e-12 * v.abs().max(1e-12));
            (p, r, j, cost) = (next, r2, j2, cost2);
            mu = (mu / 10.0).max(1e-15);
            if settled {
                break;
            }
        } else {
            mu *= 10.0;
            if mu > 1e15 {
                break;
            }
        }
    }
    let [sigma, kappa, lambda] = p;
    if !(lambda > 0.0 && sigma.is_finite() && kappa.is_finite()) {
        return Err(FitError::NoFit(format!(
            "σ = {sigma}, κ = {kappa}, λ = {lambda}"
        )));
    }
    let n = points.len();
    let (jtj, _) = normal_equations(&r, &j);
    let (sigma_ci95, kappa_ci95) = match (n > 3).then(|| invert3(jtj)).flatten() {
        Some(cov) => {
            let s2 = cost / (n - 3) as f64;
            let t = t_975(n - 3);
            let half = |i: usize| t * (s2 * cov[i][i]).max(0.0).sqrt();
            (
                [sigma - half(0), sigma + half(0)],
                [kappa - half(1), kappa + half(1)],
            )
        }
        // As many points as parameters: an exact fit says nothing of its uncertainty.
        None => (
            [f64::NEG_INFINITY, f64::INFINITY],
            [f64::NEG_INFINITY, f64::INFINITY],
        ),
    };
    let peak_n = (kappa > 0.0 && sigma < 1.0).then(|| ((1.0 - sigma) / kappa).sqrt());
    let max_n = *distinct.last().expect("3 distinct N");
    let (contention, coherency) = (sigma * (max_n - 1.0), kappa * max_n * (max_n - 1.0));
    let significant = |ci: [f64; 2]| ci[0] > 0.0;
    let limit = if (!significant(sigma_ci95) && !significant(kappa_ci95))
        || contention.max(0.0) + coherency.max(0.0) < 0.05
    {
        Limit::Linear
    } else if coherency > contention && significant(kappa_ci95) {
        Limit::CoherencyLimited
    } else {
        Limit::ContentionLimited
    };
    Ok(UslFit {
        sigma,
        sigma_ci95,
        kappa,
        kappa_ci95,
        lambda,
        points: n,
        max_n,
        peak_n,
        peak_throughput: peak_n.map(|n| throughput(sigma, kappa, lambda, n)),
        limit,
    })
}

/// Reads `N,throughput` lines: a header line is allowed, `#` starts a comment, blank lines are
/// skipped. A bad line is named by its number (from 1).
pub fn read_csv(text: &str) -> Result<Vec<(f64, f64)>, String> {
    let mut points = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let parsed = match fields.as_slice() {
            [n, x] => n.parse::<f64>().ok().zip(x.parse::<f64>().ok()),
            _ => None,
        };
        match parsed {
            Some((n, x)) if n.is_finite() && n >= 1.0 && x.is_finite() && x > 0.0 => {
                points.push((n, x))
            }
            Some(_) => {
                return Err(format!(
                    "line {}: '{line}': N must be at least 1 and throughput positive",
                    i + 1
                ));
            }
            // The header: the first line that is not data, before any data.
            None if points.is_empty()
                && fields.len() == 2
                && !line.starts_with(char::is_numeric) => {}
            None => {
                return Err(format!(
                    "line {}: '{line}': expected 'N,throughput' (two numbers)",
                    i + 1
                ));
            }
        }
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MySQL on a Cisco UCS server, concurrency 1…32 against throughput: the example dataset of
    /// Baron Schwartz, "Practical Scalability Analysis with the Universal Scalability Law"
    /// (VividCortex, 2015), whose published fit is σ = 0.02671591, κ = 7.690945e-4,
    /// λ = 995.6486 (reproduced by codahale/usl's tests).
    const SCHWARTZ: [(f64, f64); 32] = [
        (1.0, 955.16),
        (2.0, 1878.91),
        (3.0, 2688.01),
        (4.0, 3548.68),
        (5.0, 4315.54),
        (6.0, 5130.43),
        (7.0, 5931.37),
        (8.0, 6531.08),
        (9.0, 7219.8),
        (10.0, 7867.61),
        (11.0, 8278.71),
        (12.0, 8646.7),
        (13.0, 9047.84),
        (14.0, 9426.55),
        (15.0, 9645.37),
        (16.0, 9897.24),
        (17.0, 10097.6),
        (18.0, 10240.5),
        (19.0, 10532.39),
        (20.0, 10798.52),
        (21.0, 11151.43),
        (22.0, 11518.63),
        (23.0, 11806.0),
        (24.0, 12089.37),
        (25.0, 12075.41),
        (26.0, 12177.29),
        (27.0, 12211.41),
        (28.0, 12158.93),
        (29.0, 12155.27),
        (30.0, 12118.04),
        (31.0, 12140.4),
        (32.0, 12074.39),
    ];

    fn close(got: f64, want: f64, rel: f64) -> bool {
        (got - want).abs() <= rel * want.abs()
    }

    #[test]
    fn reproduces_the_published_fit_to_a_thousandth() {
        let f = fit(&SCHWARTZ).unwrap();
        assert!(close(f.sigma, 0.02671591, 1e-3), "σ {}", f.sigma);
        assert!(close(f.kappa, 7.690945e-4, 1e-3), "κ {}", f.kappa);
        assert!(close(f.lambda, 995.6486, 1e-3), "λ {}", f.lambda);
        let want_peak = ((1.0 - 0.02671591) / 7.690945e-4f64).sqrt();
        assert!(close(f.peak_n.unwrap(), want_peak, 1e-3), "{:?}", f.peak_n);
        assert!(f.sigma_ci95[0] > 0.0 && f.sigma_ci95[0] < f.sigma && f.sigma < f.sigma_ci95[1]);
        assert!(f.kappa_ci95[0] > 0.0 && f.kappa_ci95[1] > f.kappa);
        assert_eq!(f.limit, Limit::ContentionLimited);
    }

    /// A small deterministic generator, so the noise is the same on every run.
    fn noise(seed: &mut u64) -> f64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((*seed >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }

    #[test]
    fn recovers_known_parameters_from_noisy_samples() {
        for (sigma, kappa, lambda, limit) in [
            (0.05, 0.002, 200.0, Limit::CoherencyLimited),
            (0.20, 0.0, 1000.0, Limit::ContentionLimited),
            (0.0, 0.0, 50.0, Limit::Linear),
        ] {
            let mut seed = 42;
            let mut points = Vec::new();
            for n in [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0] {
                for _ in 0..7 {
                    // ±1% noise.
                    let x = throughput(sigma, kappa, lambda, n) * (1.0 + 0.01 * noise(&mut seed));
                    points.push((n, x));
                }
            }
            let f = fit(&points).unwrap();
            assert!((f.sigma - sigma).abs() < 0.01, "σ {} vs {sigma}", f.sigma);
            assert!((f.kappa - kappa).abs() < 2e-4, "κ {} vs {kappa}", f.kappa);
            assert!(close(f.lambda, lambda, 0.02), "λ {} vs {lambda}", f.lambda);
            assert!(f.sigma_ci95[0] <= sigma && sigma <= f.sigma_ci95[1] + 0.005);
            assert_eq!(f.limit, limit, "σ {sigma} κ {kappa}: {f:?}");
        }
    }

    #[test]
    fn refuses_what_it_cannot_fit() {
        assert_eq!(
            fit(&[(1.0, 10.0), (2.0, 19.0), (2.0, 19.5)]),
            Err(FitError::TooFewN(2))
        );
        assert!(matches!(
            fit(&[(0.0, 1.0), (2.0, 2.0), (3.0, 3.0)]),
            Err(FitError::BadPoint(..))
        ));
    }

    #[test]
    fn csv_takes_a_header_and_comments_and_names_bad_lines() {
        let pts = read_csv("N,throughput\n# a comment\n1,10\n\n2, 19.5 # two\n4,35\n").unwrap();
        assert_eq!(pts, [(1.0, 10.0), (2.0, 19.5), (4.0, 35.0)]);
        assert!(read_csv("1,10\n2,x\n").unwrap_err().starts_with("line 2:"));
        assert!(read_csv("1,10\n0,5\n").unwrap_err().starts_with("line 2:"));
        assert!(read_csv("1,10,3\n").unwrap_err().starts_with("line 1:"));
    }
}
