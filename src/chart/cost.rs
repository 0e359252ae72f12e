//! `cost-per-task`: what each model itself costs per task (the `noop` workload's median wall time
//! ÷ tasks) against workers, on a log scale: nanoseconds for a pool, milliseconds for a process.

use super::scaling::{Plotted, how_measured, panel};
use super::{Figure, machine_line};
use crate::result::RunResults;
use crate::workload::WorkloadKind;

/// The figure, if the run has `noop` cells.
pub fn figure(r: &RunResults) -> Option<Figure> {
    let panel = panel(r, WorkloadKind::Noop, Plotted::PerTask, String::new())?;
    Some(Figure {
        name: "cost-per-task".into(),
        title: "Cost per task of each model (empty tasks)".into(),
        subtitle: format!(
            "{} | {}",
            machine_line(&r.machine),
            how_measured(r, WorkloadKind::Noop)
        ),
        panels: vec![panel],
        columns: 1,
        size: (1000, 640),
    })
}
