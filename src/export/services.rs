//! Results in the formats of continuous-benchmarking services, so history can be kept across many
//! machines by tools built for it: the Bencher Metric Format (`latency` in nanoseconds with the
//! confidence interval as bounds, `throughput` in tasks per second), and github-action-benchmark's
//! `customSmallerIsBetter` (milliseconds).

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
}

impl FromStr for ServiceFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "bencher" => Ok(ServiceFormat::Bencher),
            "github-action-benchmark" => Ok(ServiceFormat::GithubActionBenchmark),
            _ => Err(format!(
                "unknown export format '{s}' (expected bencher or github-action-benchmark)"
            )),
        }
    }
}

/// The run in `format`, as JSON text.
pub fn export(r: &RunResults, format: ServiceFormat) -> String {
    let name = |c: &crate::result::CellResult| c.key().to_string();
    let value = match format {
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
                            "{} tasks; median of {} samples; {:.1}% CI of the median{}; {}",
                            c.tasks,
                            c.samples_s.len(),
                            c.ci_level * 100.0,
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
