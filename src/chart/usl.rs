//! `usl-<workload>`: throughput (tasks per second) against workers for every model the
//! Universal Scalability Law was fitted to ([`crate::analysis::ModelScaling::usl`]): the
//! measured medians with their intervals, and the fitted curve dashed through them, extended
//! past the largest N measured so a peak N* shows where it lies. Only workloads with a fit.

use super::{Figure, Panel, Point, Series, YAxis, core_markers, machine_line, model_color};
use crate::analysis::Analysis;
use crate::result::RunResults;

/// Points of a fitted curve per doubling of N.
const CURVE_STEPS_PER_DOUBLING: usize = 8;

/// One figure per workload with at least one fit.
pub fn figures(r: &RunResults, a: &Analysis) -> Vec<Figure> {
    let mut out = Vec::new();
    for workload in r.workloads() {
        let fits: Vec<_> = a
            .scaling
            .iter()
            .filter(|m| m.workload == workload)
            .filter_map(|m| m.usl.map(|f| (m.model, f)))
            .collect();
        if fits.is_empty() {
            continue;
        }
        let mut series = Vec::new();
        for (model, fit) in &fits {
            let mut points: Vec<Point> = r
                .cells
                .iter()
                .filter(|c| c.workload == workload && c.model == *model)
                .map(|c| {
                    let t = c.tasks as f64;
                    Point {
                        x: c.workers as f64,
                        y: t / c.median_s,
                        range: Some((t / c.median_ci_s[1], t / c.median_ci_s[0])),
                    }
                })
                .collect();
            points.sort_by(|a, b| a.x.total_cmp(&b.x));
            series.push(Series {
                name: model.name().to_string(),
                color: model_color(*model),
                points,
                reference: false,
                tips: Vec::new(),
            });
            // From 1 to 1.5 × the largest N measured (or the peak, if a little further).
            let end = (fit.max_n * 1.5).max(fit.peak_n.unwrap_or(0.0).min(fit.max_n * 4.0));
            let steps = (end.log2() * CURVE_STEPS_PER_DOUBLING as f64)
                .ceil()
                .max(1.0) as usize;
            let curve = (0..=steps)
                .map(|i| {
                    let n = end.powf(i as f64 / steps as f64);
                    Point {
                        x: n,
                        y: fit.at(n),
                        range: None,
                    }
                })
                .collect();
            series.push(Series {
                name: format!(
                    "{model} USL fit: σ = {:.3}, κ = {:.1e}{}",
                    fit.sigma,
                    fit.kappa,
                    fit.peak_n
                        .map_or(String::new(), |n| format!(", N* ≈ {n:.1}"))
                ),
                color: model_color(*model),
                points: curve,
                reference: true,
                tips: Vec::new(),
            });
        }
        out.push(Figure {
            name: format!("usl-{workload}"),
            title: format!(
                "Throughput of the {workload} workload and the Universal Scalability Law"
            ),
            subtitle: format!(
                "{} | X(N) = λN / (1 + σ(N−1) + κN(N−1)), least squares on every sample; bars: CI of the median",
                machine_line(&r.machine)
            ),
            panels: vec![Panel {
                x_axis: super::XAxis::Workers,
                caption: String::new(),
                x_desc: "workers N (log2 scale)".into(),
                y_desc: "tasks per second".into(),
                y_axis: YAxis::PerSecond,
                series,
                markers: core_markers(&r.machine),
                y_max: None,
            }],
            columns: 1,
            size: (1000, 640),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::analyse;

    #[test]
    fn a_fitted_model_gets_its_points_and_its_curve() {
        // Throughput that flattens: N / (1 + 0.2(N−1)) batches per second.
        let cpu = crate::workload::MultiplyLoop::new(1).into();
        let seq = crate::model::ModelKind::Sequential;
        let baseline = crate::result::tests::raw(seq, 1, cpu, &[8.0; 5]);
        let raw: Vec<_> = [1usize, 2, 3, 4, 6, 8]
            .iter()
            .map(|&n| {
                let x = n as f64 / (1.0 + 0.2 * (n as f64 - 1.0));
                let t = 8.0 / x;
                let m = crate::model::ModelKind::ThreadPool;
                crate::result::tests::raw(m, n, cpu, &[t * 0.99, t, t * 1.01, t, t * 1.02])
            })
            .chain([baseline])
            .collect();
        let r = crate::result::tests::run_of(&raw);
        let a = analyse(&r);
        let figs = figures(&r, &a);
        assert_eq!(figs.len(), 1, "{a:?}");
        let series = &figs[0].panels[0].series;
        assert_eq!(series.len(), 2);
        assert_eq!(series[0].points.len(), 6);
        assert!(series[1].reference && series[1].points.len() > 10);
        assert!(series[1].name.contains("σ = 0.2"), "{}", series[1].name);
    }
}
