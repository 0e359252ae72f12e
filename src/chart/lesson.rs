//! `cpu-vs-io`: the lesson in one picture. Side by side, on the same y scale, the speedup of the
//! CPU-bound and of the IO-bound workload for every model: CPU-bound work stops at the core
//! count, IO-bound work keeps scaling with workers.
//!
//! `lesson-table`: the lesson's table as a dot plot, drawn for runs that include CPython's
//! models (`--preset lesson`): per workload, every model's median time at its largest worker
//! count (the lesson's "one thread / process per task"), CPython's next to parbench's.

use super::scaling::{Plotted, how_measured, panel};
use super::{Figure, Panel, Point, Series, YAxis, machine_line, model_color};
use crate::model::ModelKind;
use crate::result::RunResults;
use crate::workload::WorkloadKind;

/// The figure, if the run has both workloads.
pub fn figure(r: &RunResults) -> Option<Figure> {
    let mut cpu = panel(
        r,
        WorkloadKind::Cpu,
        Plotted::Speedup,
        "CPU-bound (multiply loop)".into(),
    )?;
    let mut io = panel(
        r,
        WorkloadKind::Io,
        Plotted::Speedup,
        "IO-bound (sleep)".into(),
    )?;
    let top = [&cpu, &io]
        .iter()
        .flat_map(|p| p.series.iter())
        .flat_map(|s| s.points.iter())
        .map(|p| p.range.map_or(p.y, |r| r.1.max(p.y)))
        .fold(1.0f64, f64::max);
    cpu.y_max = Some(top);
    io.y_max = Some(top);
    Some(Figure {
        name: "cpu-vs-io".into(),
        title: "CPU-bound work stops scaling at the cores; IO-bound work keeps scaling".into(),
        subtitle: machine_line(&r.machine),
        panels: vec![cpu, io],
        columns: 2,
        size: (1500, 640),
    })
}

/// The lesson's table, if the run has a CPython model.
pub fn table_figure(r: &RunResults) -> Option<Figure> {
    if !r.cells.iter().any(|c| c.model.is_python()) {
        return None;
    }
    let panels: Vec<Panel> = [
        (WorkloadKind::Cpu, "CPU-bound"),
        (WorkloadKind::Io, "IO-bound"),
        (WorkloadKind::Contention, "Shared counter"),
        (WorkloadKind::Semaphore, "Semaphore"),
    ]
    .into_iter()
    .filter_map(|(w, label)| {
        let series: Vec<Series> = ModelKind::ALL
            .iter()
            .filter_map(|&m| {
                r.cells
                    .iter()
                    .filter(|c| c.workload == w && c.model == m)
                    .max_by_key(|c| c.workers)
            })
            .enumerate()
            .map(|(i, c)| Series {
                name: format!("{} N={}", c.model, c.workers),
                color: model_color(c.model),
                points: vec![Point {
                    x: i as f64,
                    y: c.median_s,
                    range: Some((c.median_ci_s[0], c.median_ci_s[1])),
                }],
                reference: false,
                tips: Vec::new(),
            })
            .collect();
        (!series.is_empty()).then(|| Panel {
            caption: format!("{label}: {}", how_measured(r, w)),
            x_desc: "model, at its largest worker count N".into(),
            y_desc: "median time".into(),
            y_axis: YAxis::LogSeconds,
            series,
            markers: Vec::new(),
            y_max: None,
            x_axis: super::XAxis::Dots,
        })
    })
    .collect();
    let rows = panels.len().max(2) as u32;
    (!panels.is_empty()).then(|| Figure {
        name: "lesson-table".into(),
        title: "The lesson's experiments: CPython's models next to parbench's".into(),
        subtitle: machine_line(&r.machine),
        panels,
        columns: 1,
        size: (1500, 600 * rows),
    })
}
