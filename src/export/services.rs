//! Results in the formats of continuous-benchmarking services, so history can be kept across many
//! machines by tools built for it: the Bencher Metric Format (`latency` in nanoseconds with the
//! confidence interval as bounds, `throughput` in tasks per second), and github-action-benchmark's
//! `customSmallerIsBetter` (milliseconds); and as a table for spreadsheets and notebooks (CSV,
//! one row per cell, plain numbers in seconds) or for reading (Markdown, hyperfine's style).

use crate::result::RunResults;
use serde_json::{Map, Value, json};
use std::str::FromStr;

/// An export format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceFormat {
    /// Bencher Metric Format.
    Bencher,
    /// github-action-benchmark, `customSmallerIsBetter`.
    GithubActionBenchmark,
    /// One row per cell, RFC 4180 CSV with a header.
    Csv,
    /// One row per cell, a Markdown table.
    Markdown,
}

impl FromStr for ServiceFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "bencher" => Ok(ServiceFormat::Bencher),
            "github-action-benchmark" => Ok(ServiceFormat::GithubActionBenchmark),
            "csv" => Ok(ServiceFormat::Csv),
            "markdown" => Ok(ServiceFormat::Markdown),
            _ => Err(format!(
                "unknown export format '{s}' (expected bencher, github-action-benchmark, csv or markdown)"
            )),
        }
    }
}

/// The columns of the CSV and Markdown tables.
const COLUMNS: [&str; 18] = [
    "workload",
    "model",
    "workers",
    "tasks",
    "samples",
    "median_s",
    "ci_low_s",
    "ci_high_s",
    "ci_level",
    "min_s",
    "max_s",
    "speedup",
    "speedup_ci_low",
    "speedup_ci_high",
    "efficiency",
    "cpu_time_s",
    "peak_rss_kib",
    "child_peak_rss_kib",
];

/// A cell's row: the [`COLUMNS`], empty where there is no value.
fn row(c: &crate::result::CellResult) -> [String; 18] {
    let opt = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
    [
        c.workload.to_string(),
        c.model.to_string(),
        c.workers.to_string(),
        c.tasks.to_string(),
        c.samples_s.len().to_string(),
        c.median_s.to_string(),
        c.median_ci_s[0].to_string(),
        c.median_ci_s[1].to_string(),
        c.ci_level.to_string(),
        c.min_s.to_string(),
        c.max_s.to_string(),
        opt(c.speedup),
        opt(c.speedup_ci.map(|i| i[0])),
        opt(c.speedup_ci.map(|i| i[1])),
        opt(c.efficiency),
        c.cpu_time_s.to_string(),
        c.peak_rss_kib.to_string(),
        c.child_peak_rss_kib
            .map_or(String::new(), |k| k.to_string()),
    ]
}

/// A CSV field: quoted when it holds a comma, a quote or a line break.
fn csv_field(v: &str) -> String {
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_string()
    }
}

/// The run as CSV: a header of [`COLUMNS`], then a row per cell.
fn csv(r: &RunResults) -> String {
    let mut out = COLUMNS.join(",") + "\n";
    for c in &r.cells {
        let fields: Vec<String> = row(c).iter().map(|f| csv_field(f)).collect();
        out += &(fields.join(",") + "\n");
    }
    out
}

/// The run as a Markdown table, times with units as hyperfine prints them: "Mean ± σ" there,
/// "median [CI]" here.
fn markdown(r: &RunResults) -> String {
    use crate::format::fmt_duration;
    let mut out = String::from(
        "| Cell | Median [CI] | Min | Max | Speedup [CI] | Efficiency | CPU time | Peak RSS |\n|:---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for c in &r.cells {
        let speedup = match (c.speedup, c.speedup_ci) {
            (Some(s), Some([lo, hi])) if c.workload.has_speedup() => {
                format!("{s:.2}× [{lo:.2} – {hi:.2}]")
            }
            _ => "-".into(),
        };
        out += &format!(
            "| `{}` | {} [{} – {}] | {} | {} | {speedup} | {} | {} | {} |\n",
            c.key(),
            fmt_duration(c.median_s),
            fmt_duration(c.median_ci_s[0]),
            fmt_duration(c.median_ci_s[1]),
            fmt_duration(c.min_s),
            fmt_duration(c.max_s),
            c.efficiency
                .filter(|_| c.workload.has_speedup())
                .map_or("-".into(), |e| format!("{:.0}%", e * 100.0)),
            fmt_duration(c.cpu_time_s),
            crate::format::fmt_rss(c),
        );
    }
    out
}

/// The run in `format`: JSON for the services, CSV or Markdown text.
pub fn export(r: &RunResults, format: ServiceFormat) -> String {
    let name = |c: &crate::result::CellResult| c.key().to_string();
    let value = match format {
        ServiceFormat::Csv => return csv(r),
        ServiceFormat::Markdown => return markdown(r),
        ServiceFormat::Bencher => {
            let mut map = Map::new();
            for c in &r.cells {
                let per_s = |t: f64| c.tasks as f64 / t;
                map.insert(
                    name(c),
                    json!({
                        "latency": {
                            "value": c.median_s * 1e9,
                            "lower_value": c.median_ci_s[0] * 1e9,
                            "upper_value": c.median_ci_s[1] * 1e9,
                        },
                        "throughput": {
                            "value": per_s(c.median_s),
                            "lower_value": per_s(c.median_ci_s[1]),
                            "upper_value": per_s(c.median_ci_s[0]),
                        },
                    }),
                );
            }
            Value::Object(map)
        }
        ServiceFormat::GithubActionBenchmark => Value::Array(
            r.cells
                .iter()
                .map(|c| {
                    json!({
                        "name": name(c),
                        "unit": "ms",
                        "value": c.median_s * 1e3,
                        "range": format!("{:.3} – {:.3}", c.median_ci_s[0] * 1e3, c.median_ci_s[1] * 1e3),
                        "extra": format!(
                            "{} tasks; median of {} samples; {} of the median{}; {}",
                            c.tasks,
                            c.samples_s.len(),
                            crate::format::ci_level(c.ci_level, c.samples_s.len()),
                            c.speedup.map_or(String::new(), |s| format!("; speedup {s:.2}×")),
                            r.machine.hostname
                        ),
                    })
                })
                .collect(),
        ),
    };
    serde_json::to_string_pretty(&value).expect("json values serialise") + "\n"
}
