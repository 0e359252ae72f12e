//! Human-readable output of results and machine facts. Exporters only format what they are given;
//! they never measure and never touch the disk.

pub mod compare;
pub mod markdown;
pub mod services;
pub mod table;

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
