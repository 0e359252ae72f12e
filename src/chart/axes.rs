//! Axis arithmetic of the charts, pure and tested: where a value sits on an axis (log2 worker
//! counts, log10 seconds), the tick labels, and the ranges a panel plots. Drawing is
//! `render.rs`'s.

use super::{Panel, XAxis, YAxis};
use crate::format::fmt_duration;

/// x positions are log2 of the worker count, or the category index itself.
pub(crate) fn x_of(axis: &XAxis, n: f64) -> f64 {
    if axis.is_index() {
        n
    } else {
        n.max(1e-9).log2()
    }
}

/// y positions: log10 of seconds on a log axis, the value itself otherwise.
pub(crate) fn y_of(axis: YAxis, v: f64) -> f64 {
    match axis {
        YAxis::LogSeconds => v.max(1e-12).log10(),
        _ => v,
    }
}

/// The label of a y-axis tick at `v` (in axis units: log10 seconds on a log axis).
pub(crate) fn y_label(axis: YAxis, v: f64) -> String {
    match axis {
        YAxis::Times => format!("{v:.1}×"),
        YAxis::Percent => format!("{:.0}%", v * 100.0),
        YAxis::Seconds => fmt_duration(v),
        YAxis::PerSecond => {
            if v >= 1e6 {
                format!("{:.1}M/s", v / 1e6)
            } else if v >= 1e3 {
                format!("{:.0}k/s", v / 1e3)
            } else {
                format!("{v:.0}/s")
            }
        }
        YAxis::LogSeconds => {
            if (v - v.round()).abs() < 1e-6 {
                fmt_duration(10f64.powf(v.round()))
            } else {
                String::new()
            }
        }
    }
}

/// A value as text next to its point.
pub(crate) fn y_text(axis: YAxis, v: f64) -> String {
    match axis {
        YAxis::Seconds | YAxis::LogSeconds => fmt_duration(v),
        _ => y_label(axis, v),
    }
}

/// The label of an x-axis tick at index `v` of a named axis: the name, at whole indices.
pub(crate) fn name_label(names: &[String], v: f64) -> String {
    match names.get(v.round().max(0.0) as usize) {
        Some(n) if (v - v.round()).abs() < 1e-6 => n.clone(),
        _ => String::new(),
    }
}

/// The label of an x-axis tick at log2 position `v`: the worker count, at whole powers of 2.
pub(crate) fn x_label(v: f64) -> String {
    if (v - v.round()).abs() < 1e-6 && v.round() >= 0.0 {
        format!("{}", 2u64.saturating_pow(v.round() as u32))
    } else {
        String::new()
    }
}

/// The plotted ranges of a panel, `((x0, x1), (y0, y1))` in axis units: every point, interval
/// and marker inside, with room for labels.
pub(crate) fn bounds(panel: &Panel) -> ((f64, f64), (f64, f64)) {
    let pts = || panel.series.iter().flat_map(|s| s.points.iter());
    let xs: Vec<f64> = pts().map(|p| x_of(&panel.x_axis, p.x)).collect();
    let (mut x0, mut x1) = xs
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(*x), b.max(*x)));
    for (m, _) in &panel.markers {
        x1 = x1.max(x_of(&panel.x_axis, *m));
        x0 = x0.min(x_of(&panel.x_axis, *m));
    }
    if x0 > x1 {
        (x0, x1) = (0.0, 1.0);
    }
    let pad = ((x1 - x0) * 0.08).max(0.3);
    let ys: Vec<f64> = pts()
        .flat_map(|p| {
            let (lo, hi) = p.range.unwrap_or((p.y, p.y));
            [p.y, lo, hi]
        })
        .filter(|v| v.is_finite())
        .map(|v| y_of(panel.y_axis, v))
        .collect();
    let ymax = ys.iter().copied().fold(f64::MIN, f64::max);
    let ymin = ys.iter().copied().fold(f64::MAX, f64::min);
    let (y0, y1) = match panel.y_axis {
        YAxis::LogSeconds => (ymin.floor(), ymax.ceil().max(ymin.floor() + 1.0)),
        YAxis::Percent => (0.0, panel.y_max.unwrap_or(ymax).max(1.0) * 1.1),
        _ => (0.0, panel.y_max.unwrap_or(ymax).max(1e-9) * 1.1),
    };
    // A dot plot labels its points on their right: leave room for the text.
    let pad = if panel.x_axis == XAxis::Dots {
        0.8
    } else {
        pad
    };
    // Room for the labels above the top point and below the bottom one.
    let (y0, y1) = match (panel.x_axis == XAxis::Dots, panel.y_axis) {
        (true, YAxis::LogSeconds) => (y0 - 0.4, y1 + 0.2),
        _ => (y0, y1),
    };
    ((x0 - pad, x1 + pad), (y0, y1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::{Point, Series};

    fn panel(y_axis: YAxis, points: &[(f64, f64)]) -> Panel {
        Panel {
            caption: "t".into(),
            x_desc: "x".into(),
            y_desc: "y".into(),
            y_axis,
            x_axis: XAxis::Workers,
            y_max: None,
            markers: Vec::new(),
            series: vec![Series {
                name: "s".into(),
                color: 0,
                reference: false,
                points: points
                    .iter()
                    .map(|&(x, y)| Point { x, y, range: None })
                    .collect(),
                tips: Vec::new(),
            }],
        }
    }

    #[test]
    fn worker_counts_sit_on_a_log2_axis_labelled_at_powers_of_two() {
        assert_eq!(x_of(&XAxis::Workers, 8.0), 3.0);
        assert_eq!(x_of(&XAxis::Dots, 8.0), 8.0);
        assert_eq!(name_label(&["a".into(), "b".into()], 1.0), "b");
        assert_eq!(name_label(&["a".into()], 0.5), "");
        assert_eq!(x_label(3.0), "8");
        assert_eq!(x_label(0.0), "1");
        assert_eq!(x_label(1.5), "");
    }

    #[test]
    fn tick_labels_carry_their_unit() {
        assert_eq!(y_label(YAxis::Times, 2.0), "2.0×");
        assert_eq!(y_label(YAxis::Percent, 0.5), "50%");
        assert_eq!(y_label(YAxis::Seconds, 0.0417), "41.7 ms");
        assert_eq!(y_label(YAxis::PerSecond, 25_000.0), "25k/s");
        assert_eq!(y_label(YAxis::PerSecond, 2.5e6), "2.5M/s");
        // Log seconds: labels at whole decades only.
        assert_eq!(y_label(YAxis::LogSeconds, -3.0), "1.0 ms");
        assert_eq!(y_label(YAxis::LogSeconds, -2.5), "");
        assert_eq!(y_text(YAxis::LogSeconds, 0.002), "2.0 ms");
    }

    #[test]
    fn bounds_hold_every_point_with_room() {
        let ((x0, x1), (y0, y1)) = bounds(&panel(YAxis::Times, &[(1.0, 1.0), (4.0, 1.9)]));
        assert!(x0 < 0.0 && x1 > 2.0, "{x0} {x1}");
        assert_eq!(y0, 0.0);
        assert!((y1 - 1.9 * 1.1).abs() < 1e-9, "{y1}");
        // Log seconds: whole decades around the points.
        let (_, (y0, y1)) = bounds(&panel(YAxis::LogSeconds, &[(1.0, 0.002), (2.0, 0.3)]));
        assert_eq!((y0, y1), (-3.0, 0.0));
        // No points: a unit range, not NaN.
        let ((x0, x1), _) = bounds(&panel(YAxis::Times, &[]));
        assert!(x0.is_finite() && x1.is_finite() && x0 < x1);
    }
}
