//! `cpu-vs-io`: the lesson in one picture. Side by side, on the same y scale, the speedup of the
//! CPU-bound and of the IO-bound workload for every model: CPU-bound work stops at the core
//! count, IO-bound work keeps scaling with workers.

use super::scaling::{Metric, panel};
use super::{Figure, machine_line};
use crate::result::RunResults;
use crate::workload::WorkloadKind;

/// The figure, if the run has both workloads.
pub fn figure(r: &RunResults) -> Option<Figure> {
    let mut cpu = panel(
        r,
        WorkloadKind::Cpu,
        Metric::Speedup,
        "CPU-bound (multiply loop)".into(),
    )?;
    let mut io = panel(
        r,
        WorkloadKind::Io,
        Metric::Speedup,
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
