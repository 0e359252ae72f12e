//! Formatting shared by every output — terminal tables, Markdown, charts and the analysis's
//! verdict sentences: durations with a fitting unit, and the names runs go by. Pure functions of
//! their arguments; what to print, and where, is left to the callers.

use crate::result::RunResults;

/// A duration in seconds with a unit that keeps 3–4 significant digits ("2.013 s", "41.7 ms",
/// "152 µs").
pub fn fmt_duration(s: f64) -> String {
    let a = s.abs();
    if !s.is_finite() {
        "-".into()
    } else if a >= 1.0 {
        format!("{s:.3} s")
    } else if a >= 1e-3 {
        format!("{:.1} ms", s * 1e3)
    } else if a >= 1e-6 {
        format!("{:.1} µs", s * 1e6)
    } else {
        format!("{:.0} ns", s * 1e9)
    }
}

/// A rate (per second) with 3 significant digits: "950", "41.2 k", "1.23 M".
pub fn fmt_rate(v: f64) -> String {
    let three = |x: f64, unit: &str| match x.abs() {
        a if a >= 100.0 => format!("{x:.0}{unit}"),
        a if a >= 10.0 => format!("{x:.1}{unit}"),
        _ => format!("{x:.2}{unit}"),
    };
    match v.abs() {
        _ if !v.is_finite() => "-".into(),
        a if a >= 1e9 => three(v / 1e9, " G"),
        a if a >= 1e6 => three(v / 1e6, " M"),
        a if a >= 1e3 => three(v / 1e3, " k"),
        _ => three(v, ""),
    }
}

/// The level of a median's interval in words: "98.4% CI", or "no interval (1 sample)" where one
/// sample allows none.
pub fn ci_level(level: f64, samples: usize) -> String {
    match samples {
        0 | 1 => format!("no interval ({samples} sample)"),
        _ => format!("{:.1}% CI", level * 100.0),
    }
}

/// KiB as MiB: "7.6 MiB".
pub fn fmt_kib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// "7.6 MiB", and the largest child's where tasks ran in other processes: "7.6 MiB, child
/// 1.9 MiB".
pub fn fmt_rss(c: &crate::result::CellResult) -> String {
    match c.child_peak_rss_kib {
        Some(k) => format!("{}, child {}", fmt_kib(c.peak_rss_kib), fmt_kib(k)),
        None => fmt_kib(c.peak_rss_kib),
    }
}

/// A stretch of wall time as a person reads it: "45 s", "1 min 52 s", "3 h 05 min",
/// "4.2 days", "4817 years".
pub fn fmt_span(s: f64) -> String {
    if !s.is_finite() {
        return "-".into();
    }
    let s = s.max(0.0);
    if s < 59.5 {
        format!("{s:.0} s")
    } else if s < 3600.0 {
        let m = (s / 60.0).floor();
        format!("{m:.0} min {:02.0} s", (s - 60.0 * m).floor())
    } else if s < 86_400.0 * 2.0 {
        let h = (s / 3600.0).floor();
        format!("{h:.0} h {:02.0} min", ((s - 3600.0 * h) / 60.0).floor())
    } else if s < 86_400.0 * 365.0 * 2.0 {
        format!("{:.1} days", s / 86_400.0)
    } else {
        format!("{:.0} years", s / (86_400.0 * 365.25))
    }
}

/// A run's name in legends: its `--label`, else its hostname.
pub fn run_label(r: &RunResults) -> String {
    r.config
        .label
        .clone()
        .unwrap_or_else(|| r.machine.hostname.clone())
}

/// Legend names for runs: the label or hostname, numbered when two runs share one.
pub fn run_names(runs: &[RunResults]) -> Vec<String> {
    let labels: Vec<String> = runs.iter().map(run_label).collect();
    labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if labels.iter().filter(|o| *o == l).count() > 1 {
                format!("{l} #{}", i + 1)
            } else {
                l.clone()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{fmt_duration, fmt_rate, fmt_span};

    #[test]
    fn spans_read_as_people_say_them() {
        assert_eq!(fmt_span(45.2), "45 s");
        assert_eq!(fmt_span(112.0), "1 min 52 s");
        assert_eq!(fmt_span(3.0 * 3600.0 + 5.0 * 60.0), "3 h 05 min");
        assert_eq!(fmt_span(152e9), "4817 years");
    }

    #[test]
    fn durations_pick_a_unit() {
        assert_eq!(fmt_duration(2.0134), "2.013 s");
        assert_eq!(fmt_duration(0.04173), "41.7 ms");
        assert_eq!(fmt_duration(0.000152), "152.0 µs");
        assert_eq!(fmt_duration(f64::NAN), "-");
    }

    #[test]
    fn rates_keep_three_digits() {
        assert_eq!(fmt_rate(950.4), "950");
        assert_eq!(fmt_rate(41_234.0), "41.2 k");
        assert_eq!(fmt_rate(1_234_567.0), "1.23 M");
        assert_eq!(fmt_rate(f64::INFINITY), "-");
        assert_eq!(super::ci_level(0.984, 7), "98.4% CI");
        assert_eq!(super::ci_level(0.0, 1), "no interval (1 sample)");
    }
}
