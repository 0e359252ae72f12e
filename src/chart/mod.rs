//! Charts: what to draw, as plain data ([`Figure`], [`Panel`], [`Series`]), built from results
//! by one module per chart kind, and drawn by [`render`] with plotters. Builders never draw and
//! never compute statistics (they read them from the results and `analysis`); the renderer never
//! looks at results.
//!
//! Worker counts are drawn on a log2 axis; costs that span decades on a log10 axis.

mod axes;
pub mod cost;
pub mod lesson;
pub mod machines;
pub mod render;
pub mod scaling;
pub mod skew;
pub mod usl;

use crate::machine::MachineInfo;
use crate::model::ModelKind;
use crate::result::RunResults;

/// How values on the y axis are printed and scaled.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum YAxis {
    /// A ratio, linear from 0 ("2.0×").
    Times,
    /// A fraction, linear from 0 ("50%").
    Percent,
    /// Seconds, linear from 0.
    Seconds,
    /// Seconds on a log10 axis.
    LogSeconds,
    /// A rate, linear from 0 ("52k/s").
    PerSecond,
}

/// One point of a series: x is a worker count; `range` an error bar (confidence interval).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// Worker count.
    pub x: f64,
    /// Value.
    pub y: f64,
    /// Error bar, if known.
    pub range: Option<(f64, f64)>,
}

/// A line in a panel.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// Colour index into the palette (models have fixed indices, see [`model_color`]).
    pub color: usize,
    /// Points, by increasing x.
    pub points: Vec<Point>,
    /// Drawn dashed and without markers: a reference such as the ideal.
    pub reference: bool,
    /// The hover text of each point in HTML reports (model, N, median, interval, samples, CPU
    /// time, peak RSS), in the order of `points`; empty: the name and the value.
    pub tips: Vec<String>,
}

/// One plot area with axes.
#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    /// Caption above the plot area (may be empty for single-panel figures).
    pub caption: String,
    /// x axis description.
    pub x_desc: String,
    /// y axis description.
    pub y_desc: String,
    /// y axis kind.
    pub y_axis: YAxis,
    /// The lines.
    pub series: Vec<Series>,
    /// Vertical markers: (worker count, label), e.g. the core counts.
    pub markers: Vec<(f64, String)>,
    /// Shared y maximum across panels of a figure, if they must be comparable.
    pub y_max: Option<f64>,
    /// What x is: a worker count, or a category's index.
    pub x_axis: XAxis,
}

/// What a panel's x axis shows.
#[derive(Clone, Debug, PartialEq)]
pub enum XAxis {
    /// Worker counts, on a log2 axis.
    Workers,
    /// Category indices (0, 1, …): points drawn at their index and labelled with their
    /// series' name and value (a dot plot), no lines between them.
    Dots,
    /// Category indices with these names under them, joined by lines as worker counts are
    /// (the `skew` chart: one category per size distribution).
    Named(Vec<String>),
}

impl XAxis {
    /// Whether x is an index (placed linearly) rather than a worker count.
    pub fn is_index(&self) -> bool {
        !matches!(self, XAxis::Workers)
    }
}

/// A whole image: title, subtitle naming the machine, and panels in a grid.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// File stem, e.g. `speedup-cpu`.
    pub name: String,
    /// Title.
    pub title: String,
    /// Subtitle (the machine and how it was measured).
    pub subtitle: String,
    /// Panels, row by row.
    pub panels: Vec<Panel>,
    /// Panels per row.
    pub columns: usize,
    /// Size in pixels.
    pub size: (u32, u32),
}

/// The fixed colour index of a model, so a model looks the same in every chart.
pub fn model_color(m: ModelKind) -> usize {
    ModelKind::ALL.iter().position(|k| *k == m).unwrap_or(0)
}

/// "vm: Intel Xeon, 2 physical / 2 logical cores, Linux …" for subtitles.
pub fn machine_line(m: &MachineInfo) -> String {
    format!(
        "{}: {}, {} physical / {} logical cores, {}",
        m.hostname,
        if m.cpu_brand.is_empty() {
            "unknown CPU"
        } else {
            &m.cpu_brand
        },
        m.physical_cores.map_or("?".to_string(), |p| p.to_string()),
        m.logical_cores,
        m.os
    )
}

/// Markers at the physical and logical core counts (one marker when they are equal).
pub fn core_markers(m: &MachineInfo) -> Vec<(f64, String)> {
    match m.physical_cores {
        Some(p) if p != m.logical_cores => vec![
            (p as f64, format!("{p} physical")),
            (
                m.logical_cores as f64,
                format!("{} logical", m.logical_cores),
            ),
        ],
        _ => vec![(m.logical_cores as f64, format!("{} cores", m.logical_cores))],
    }
}

/// Every chart for one run: speedup, efficiency and time per workload, throughput and its
/// Universal Scalability Law fit where there is one, the per-task cost and the cpu-vs-io lesson.
pub fn run_figures(r: &RunResults) -> Vec<Figure> {
    let mut figs = scaling::figures(r);
    figs.extend(usl::figures(r, &crate::analysis::analyse(r)));
    figs.extend(cost::figure(r));
    figs.extend(lesson::figure(r));
    figs.extend(lesson::table_figure(r));
    figs
}
