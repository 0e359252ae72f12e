//! Per-workload scaling charts of one run: `speedup-<workload>`, `efficiency-<workload>` and
//! `time-<workload>`, one line per model with confidence-interval bars, the ideal dashed, and
//! markers at the core counts.

use super::{Figure, Panel, Point, Series, YAxis, core_markers, machine_line, model_color};
use crate::model::ModelKind;
use crate::result::{CellResult, RunResults};
use crate::workload::WorkloadKind;

/// What a panel plots of each cell.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Plotted {
    /// Speedup against sequential.
    Speedup,
    /// Speedup ÷ workers.
    Efficiency,
    /// Median wall time.
    Time,
    /// Median wall time ÷ tasks: what the model costs per task.
    PerTask,
    /// `tcp-echo`: round trips per second.
    Throughput,
    /// `tcp-echo`: 99th-percentile latency of a round trip.
    P99,
}

fn value(c: &CellResult, metric: Plotted) -> Option<Point> {
    let workers = c.workers as f64;
    match metric {
        Plotted::Speedup => c.speedup.map(|y| Point {
            x: workers,
            y,
            range: c.speedup_ci.map(|[lo, hi]| (lo, hi)),
        }),
        Plotted::Efficiency => c.efficiency.map(|y| Point {
            x: workers,
            y,
            range: c.speedup_ci.map(|[lo, hi]| (lo / workers, hi / workers)),
        }),
        Plotted::Time => Some(Point {
            x: workers,
            y: c.median_s,
            range: Some((c.median_ci_s[0], c.median_ci_s[1])),
        }),
        Plotted::PerTask => {
            let per = |t: f64| t / c.tasks.max(1) as f64;
            Some(Point {
                x: workers,
                y: c.per_task_s,
                range: Some((per(c.median_ci_s[0]), per(c.median_ci_s[1]))),
            })
        }
        Plotted::Throughput => c.net.as_ref().map(|n| Point {
            x: workers,
            y: n.round_trips_per_s,
            range: Some((n.round_trips_per_s_ci95[0], n.round_trips_per_s_ci95[1])),
        }),
        Plotted::P99 => c.net.as_ref().map(|n| Point {
            x: workers,
            y: n.latency_p99_s,
            range: None,
        }),
    }
}

/// A cell's hover text in HTML reports: "thread-pool, N = 2: median 5.575 s [5.271 s –
/// 5.765 s] (98.4% CI), 7 samples; speedup 1.95× [1.82 – 2.04]; CPU time 10.662 s; peak RSS
/// 7.6 MiB, child 1.9 MiB".
pub fn tip(c: &CellResult) -> String {
    use crate::format::{fmt_duration, fmt_rss};
    let n = if c.workload.over_network() { "C" } else { "N" };
    let mut s = format!(
        "{}, {n} = {}: median {} [{} – {}] ({}), {} samples",
        c.model,
        c.workers,
        fmt_duration(c.median_s),
        fmt_duration(c.median_ci_s[0]),
        fmt_duration(c.median_ci_s[1]),
        crate::format::ci_level(c.ci_level, c.samples_s.len()),
        c.samples_s.len()
    );
    if let Some(net) = &c.net {
        s += &format!(
            "; {:.0} round trips/s, p99 {}",
            net.round_trips_per_s,
            fmt_duration(net.latency_p99_s)
        );
    } else if let (Some(v), true) = (c.speedup, c.workload.has_speedup()) {
        s += &match c.speedup_ci {
            Some([lo, hi]) => format!("; speedup {v:.2}× [{lo:.2} – {hi:.2}]"),
            None => format!("; speedup {v:.2}×"),
        };
    } else {
        s += &format!("; {} per task", fmt_duration(c.per_task_s));
    }
    format!(
        "{s}; CPU time {}; peak RSS {}",
        fmt_duration(c.cpu_time_s),
        fmt_rss(c)
    )
}

/// One line per model (sequential left out of speedup and efficiency: it is the baseline).
pub fn model_series(cells: &[&CellResult], metric: Plotted) -> Vec<Series> {
    let mut models: Vec<ModelKind> = cells.iter().map(|c| c.model).collect();
    models.sort();
    models.dedup();
    models
        .into_iter()
        .filter(|m| !matches!(metric, Plotted::Speedup | Plotted::Efficiency) || !m.is_baseline())
        .map(|m| {
            let mut points: Vec<(Point, String)> = cells
                .iter()
                .filter(|c| c.model == m)
                .filter_map(|c| value(c, metric).map(|p| (p, tip(c))))
                .collect();
            points.sort_by(|a, b| a.0.x.total_cmp(&b.0.x));
            let (points, tips) = points.into_iter().unzip();
            Series {
                name: m.name().to_string(),
                color: model_color(m),
                points,
                reference: false,
                tips,
            }
        })
        .filter(|s| !s.points.is_empty())
        .collect()
}

/// The dashed ideal line of a metric over the worker counts of `cells`.
fn ideal_series(cells: &[&CellResult], metric: Plotted) -> Option<Series> {
    let mut xs: Vec<usize> = cells.iter().map(|c| c.workers).collect();
    xs.sort_unstable();
    xs.dedup();
    let first = cells.first()?;
    let points: Vec<Point> = xs
        .into_iter()
        .filter_map(|n| {
            // The ideal of a model that runs N tasks at once, compute and waits alike (a GIL
            // model's or an async model's ideal is its own, see CellResult::ideal_speedup).
            let plain = |c: &&&CellResult| {
                !c.model.is_baseline()
                    && c.model.concurrent_waits(n, c.tasks) == n as u64
                    && c.model.concurrent_compute(n, usize::MAX) == n
            };
            let cell = cells
                .iter()
                .filter(|c| c.workers == n)
                .find(plain)
                .or_else(|| {
                    cells
                        .iter()
                        .find(|c| c.workers == n && !c.model.is_baseline())
                })?;
            let y = match metric {
                Plotted::Speedup => cell.ideal_speedup?,
                Plotted::Efficiency => cell.ideal_speedup? / n as f64,
                Plotted::Time if first.params.reading().ideal_label(true).is_some() => {
                    cell.ideal_s?
                }
                Plotted::Time => return None,
                Plotted::PerTask | Plotted::Throughput | Plotted::P99 => return None,
            };
            Some(Point {
                x: n as f64,
                y,
                range: None,
            })
        })
        .collect();
    (!points.is_empty()).then(|| Series {
        name: first
            .params
            .reading()
            .ideal_label(metric == Plotted::Time)
            .unwrap_or("ideal")
            .into(),
        color: usize::MAX,
        points,
        reference: true,
        tips: Vec::new(),
    })
}

/// A panel of one metric for one workload of a run.
pub fn panel(
    r: &RunResults,
    workload: WorkloadKind,
    metric: Plotted,
    caption: String,
) -> Option<Panel> {
    let cells: Vec<&CellResult> = r.cells.iter().filter(|c| c.workload == workload).collect();
    let mut series = model_series(&cells, metric);
    if series.is_empty() {
        return None;
    }
    if let Some(ideal) = ideal_series(&cells, metric) {
        series.push(ideal);
    }
    let (y_desc, y_axis) = match metric {
        Plotted::Speedup => ("speedup over sequential (×)", YAxis::Times),
        Plotted::Efficiency => ("efficiency (speedup ÷ workers)", YAxis::Percent),
        Plotted::Time => ("median wall time per batch", YAxis::Seconds),
        Plotted::PerTask => ("wall time per task (log scale)", YAxis::LogSeconds),
        Plotted::Throughput => ("round trips per second", YAxis::PerSecond),
        Plotted::P99 => ("p99 latency of a round trip (log scale)", YAxis::LogSeconds),
    };
    let x_desc = if workload.over_network() {
        "connections C (log2 scale)"
    } else {
        "workers N (log2 scale)"
    };
    Some(Panel {
        x_axis: super::XAxis::Workers,
        caption,
        x_desc: x_desc.into(),
        y_desc: y_desc.into(),
        y_axis,
        series,
        markers: core_markers(&r.machine),
        y_max: None,
    })
}

/// "12 tasks × 10000000 multiplies, median of 7 samples, bars: 98% CI of the median".
pub fn how_measured(r: &RunResults, workload: WorkloadKind) -> String {
    let Some(c) = r.cells.iter().find(|c| c.workload == workload) else {
        return String::new();
    };
    let what = c.params.describe(c.tasks);
    format!(
        "{what}; median of {} samples; bars: {} of the median",
        c.samples_s.len(),
        crate::format::ci_level(c.ci_level, c.samples_s.len())
    )
}

/// `speedup-`, `efficiency-` and `time-<workload>` for every workload with a baseline.
pub fn figures(r: &RunResults) -> Vec<Figure> {
    let mut out = Vec::new();
    for workload in r.workloads() {
        if !workload.has_speedup() {
            // Its cost per task is the cost-per-task chart.
            continue;
        }
        let metrics: &[(Plotted, &str, &str)] = if workload.over_network() {
            &[
                (Plotted::Throughput, "throughput", "Throughput"),
                (Plotted::P99, "p99", "p99 latency"),
            ]
        } else {
            &[
                (Plotted::Speedup, "speedup", "Speedup"),
                (Plotted::Efficiency, "efficiency", "Efficiency"),
                (Plotted::Time, "time", "Wall time"),
            ]
        };
        for &(metric, stem, title) in metrics {
            let Some(p) = panel(r, workload, metric, String::new()) else {
                continue;
            };
            out.push(Figure {
                name: format!("{stem}-{workload}"),
                title: if workload.over_network() {
                    format!("{title} of the {workload} workload by server design and connections")
                } else {
                    format!("{title} of the {workload} workload by model and workers")
                },
                subtitle: format!(
                    "{} | {}",
                    machine_line(&r.machine),
                    how_measured(r, workload)
                ),
                panels: vec![p],
                columns: 1,
                size: (1000, 640),
            });
        }
    }
    out
}
