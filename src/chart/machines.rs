//! `machines-<workload>`: several runs (machines) compared. One panel per model, speedup on the
//! top row and efficiency below, one line per machine, so a laptop and a 64-core server can be
//! read side by side.

use super::scaling::{Plotted, model_series};
use super::{Figure, Panel, Series, YAxis};
use crate::format::run_names;
use crate::model::ModelKind;
use crate::result::{CellResult, RunResults};
use crate::workload::WorkloadKind;

/// One figure per workload present in any run.
pub fn figures(runs: &[RunResults]) -> Vec<Figure> {
    let names = run_names(runs);
    let mut out = Vec::new();
    let mut workloads = vec![WorkloadKind::Cpu, WorkloadKind::Io];
    for w in runs.iter().flat_map(|r| r.workloads()) {
        if matches!(w, WorkloadKind::User(_)) && !workloads.contains(&w) {
            workloads.push(w);
        }
    }
    for workload in workloads {
        let mut models: Vec<ModelKind> = runs
            .iter()
            .flat_map(|r| r.cells.iter())
            .filter(|c| c.workload == workload && !c.model.is_baseline())
            .map(|c| c.model)
            .collect();
        models.sort();
        models.dedup();
        if models.is_empty() {
            continue;
        }
        let mut rows: [Vec<Panel>; 2] = [Vec::new(), Vec::new()];
        for (row, metric) in [Plotted::Speedup, Plotted::Efficiency]
            .into_iter()
            .enumerate()
        {
            for &model in &models {
                let series: Vec<Series> = runs
                    .iter()
                    .zip(&names)
                    .enumerate()
                    .filter_map(|(i, (r, name))| {
                        let cells: Vec<&CellResult> = r
                            .cells
                            .iter()
                            .filter(|c| c.workload == workload && c.model == model)
                            .collect();
                        let mut s = model_series(&cells, metric).into_iter().next()?;
                        s.name = name.clone();
                        s.color = i;
                        Some(s)
                    })
                    .collect();
                rows[row].push(Panel {
                    x_axis: super::XAxis::Workers,
                    caption: format!(
                        "{model}: {}",
                        if metric == Plotted::Speedup {
                            "speedup"
                        } else {
                            "efficiency"
                        }
                    ),
                    x_desc: "workers N (log2)".into(),
                    y_desc: if metric == Plotted::Speedup {
                        "speedup (×)".into()
                    } else {
                        "efficiency".into()
                    },
                    y_axis: if metric == Plotted::Speedup {
                        YAxis::Times
                    } else {
                        YAxis::Percent
                    },
                    series,
                    markers: Vec::new(),
                    y_max: None,
                });
            }
        }
        let columns = models.len();
        let [speedup, efficiency] = rows;
        out.push(Figure {
            name: format!("machines-{workload}"),
            title: format!("The {workload} workload on {} machines", runs.len()),
            subtitle: names.join(" | "),
            panels: speedup.into_iter().chain(efficiency).collect(),
            columns,
            size: (420 * columns as u32 + 40, 860),
        });
    }
    out
}
