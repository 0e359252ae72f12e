//! `skew`: the makespan of each model at one N as the task sizes grow uneven, one category per
//! size distribution (the most even first), the ideal dashed beside them. Built from
//! [`crate::skew::Skew`]; drawn by `render` like every figure.

use super::{Figure, Panel, Point, Series, XAxis, YAxis, model_color};
use crate::format::fmt_duration;
use crate::skew::Skew;

/// The figure, or `None` without a distribution.
pub fn figure(s: &Skew, machine_line: &str) -> Option<Figure> {
    let models: Vec<_> = s.rows.first()?.cells.iter().map(|c| c.model).collect();
    let names: Vec<String> = s
        .rows
        .iter()
        .map(|r| format!("{} (CV {:.1})", r.dist, r.cv))
        .collect();
    let mut series: Vec<Series> = models
        .iter()
        .map(|&m| {
            let (points, tips) = s
                .rows
                .iter()
                .enumerate()
                .filter_map(|(i, r)| {
                    let c = r.cells.iter().find(|c| c.model == m)?;
                    let tip = format!(
                        "{m} N={}, {} sizes: median makespan {} [{} – {}]{}",
                        s.workers,
                        r.dist,
                        fmt_duration(c.median_s),
                        fmt_duration(c.ci_s[0]),
                        fmt_duration(c.ci_s[1]),
                        c.completion.map_or(String::new(), |d| format!(
                            "; tasks done after {} (mean), {} (p99)",
                            fmt_duration(d.mean_s),
                            fmt_duration(d.p99_s)
                        ))
                    );
                    Some((
                        Point {
                            x: i as f64,
                            y: c.median_s,
                            range: Some((c.ci_s[0], c.ci_s[1])),
                        },
                        tip,
                    ))
                })
                .unzip();
            Series {
                name: m.to_string(),
                color: model_color(m),
                points,
                reference: false,
                tips,
            }
        })
        .collect();
    let ideal: Vec<Point> = s
        .rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            Some(Point {
                x: i as f64,
                y: r.ideal_s?,
                range: None,
            })
        })
        .collect();
    if !ideal.is_empty() {
        series.push(Series {
            name: "ideal: the largest task or the work spread evenly".into(),
            color: 0,
            points: ideal,
            reference: true,
            tips: Vec::new(),
        });
    }
    Some(Figure {
        name: "skew".into(),
        title: format!(
            "Uneven tasks: {} makespan at N = {} as sizes spread",
            s.workload, s.workers
        ),
        subtitle: machine_line.to_string(),
        panels: vec![Panel {
            caption: format!(
                "{} tasks per batch, the same mean size in every run; median makespan and its interval",
                s.tasks
            ),
            x_desc: "task sizes (coefficient of variation)".into(),
            y_desc: "makespan".into(),
            y_axis: YAxis::Seconds,
            series,
            markers: Vec::new(),
            y_max: None,
            x_axis: XAxis::Named(names),
        }],
        columns: 1,
        size: (1200, 700),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModelKind;
    use crate::skew::{SkewCell, SkewRow};

    #[test]
    fn one_line_per_model_over_the_distributions_and_the_ideal() {
        let row = |d: &str, cv: f64, t: f64| SkewRow {
            dist: d.parse().unwrap(),
            cv,
            largest: 1.0 + cv,
            sequential_s: Some(2.0 * t),
            ideal_s: Some(t),
            cells: [ModelKind::StaticSplit, ModelKind::ThreadPool]
                .iter()
                .map(|&model| SkewCell {
                    model,
                    median_s: t * 1.2,
                    ci_s: [t, t * 1.3],
                    completion: None,
                })
                .collect(),
        };
        let s = Skew {
            workload: crate::workload::WorkloadKind::Cpu,
            workers: 2,
            tasks: 48,
            rows: vec![row("uniform", 0.0, 1.0), row("pareto:1.5", 1.8, 1.5)],
        };
        let f = figure(&s, "vm").unwrap();
        let p = &f.panels[0];
        assert_eq!(p.series.len(), 3);
        assert_eq!(p.series[0].points.len(), 2);
        assert!(p.series[2].reference);
        assert_eq!(
            p.x_axis,
            XAxis::Named(vec![
                "uniform (CV 0.0)".into(),
                "pareto:1.5 (CV 1.8)".into()
            ])
        );
        assert!(p.series[1].tips[1].contains("pareto:1.5 sizes"));
    }
}
