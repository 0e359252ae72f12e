//! `cost-per-task`: what each model itself costs per task (the `noop` workload's median wall time
//! ÷ tasks) against workers, on a log scale: nanoseconds for a pool, milliseconds for a process.

use super::scaling::{Plotted, how_measured, panel};
use super::{Figure, machine_line};
use crate::result::RunResults;

/// The figure, if the run has cells of a workload read per task (`noop`).
pub fn figure(r: &RunResults) -> Option<Figure> {
    let workload = r.workloads().into_iter().find(|w| !w.has_speedup())?;
    let panel = panel(r, workload, Plotted::PerTask, String::new())?;
    Some(Figure {
        name: "cost-per-task".into(),
        title: "Cost per task of each model (empty tasks)".into(),
        subtitle: format!(
            "{} | {}",
            machine_line(&r.machine),
            how_measured(r, workload)
        ),
        panels: vec![panel],
        columns: 1,
        size: (1000, 640),
    })
}
