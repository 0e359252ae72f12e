//! `cost-per-task`: what each model itself costs per task (the `noop` workload's median wall time
//! ÷ tasks) against workers, on a log scale: nanoseconds for a pool, milliseconds for a process.

use super::scaling::how_measured;
use super::{Figure, Panel, Point, Series, YAxis, core_markers, machine_line, model_color};
use crate::model::ModelKind;
use crate::result::RunResults;
use crate::workload::WorkloadKind;

/// The figure, if the run has `noop` cells.
pub fn figure(r: &RunResults) -> Option<Figure> {
    let cells: Vec<_> = r
        .cells
        .iter()
        .filter(|c| c.workload == WorkloadKind::Noop)
        .collect();
    let mut models: Vec<ModelKind> = cells.iter().map(|c| c.model).collect();
    models.sort();
    models.dedup();
    let series: Vec<Series> = models
        .into_iter()
        .map(|m| {
            let mut points: Vec<Point> = cells
                .iter()
                .filter(|c| c.model == m)
                .map(|c| Point {
                    x: c.workers as f64,
                    y: c.per_task_s,
                    range: Some((c.ci95_s[0] / c.tasks as f64, c.ci95_s[1] / c.tasks as f64)),
                })
                .collect();
            points.sort_by(|a, b| a.x.total_cmp(&b.x));
            Series {
                name: m.name().to_string(),
                color: model_color(m),
                points,
                reference: false,
            }
        })
        .collect();
    if series.is_empty() {
        return None;
    }
    Some(Figure {
        name: "cost-per-task".into(),
        title: "Cost per task of each model (empty tasks)".into(),
        subtitle: format!(
            "{} | {}",
            machine_line(&r.machine),
            how_measured(r, WorkloadKind::Noop)
        ),
        panels: vec![Panel {
            caption: String::new(),
            x_desc: "workers N (log2 scale)".into(),
            y_desc: "wall time per task (log scale)".into(),
            y_axis: YAxis::LogSeconds,
            series,
            markers: core_markers(&r.machine),
            y_max: None,
        }],
        columns: 1,
        size: (1000, 640),
    })
}
