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
    use super::fmt_duration;

    #[test]
    fn durations_pick_a_unit() {
        assert_eq!(fmt_duration(2.0134), "2.013 s");
        assert_eq!(fmt_duration(0.04173), "41.7 ms");
        assert_eq!(fmt_duration(0.000152), "152.0 µs");
        assert_eq!(fmt_duration(f64::NAN), "-");
    }
}
