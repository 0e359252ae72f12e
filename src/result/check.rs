//! The one validation of a loaded result file's values, before any command uses them: a file
//! that parses can still say nonsense (a negative time, a speedup of −5, a 700% confidence
//! level, 0 workers, a complete run without a cell, 1.7e308 where a chart must find its axis).
//! Every number must be finite and of a size a measurement can have; times positive; counts
//! at least 1; levels and shares within [0, 1]. The first problem found is named by its cell
//! and field. Checks only: it neither repairs nor derives anything.

use super::{CellResult, RunResults};

/// No float in a result file is this large (the largest real ones are rates, ~10^8/s).
pub const MAX_FLOAT: f64 = 1e12;
/// No speedup or ideal speedup is larger than this.
const MAX_SPEEDUP: f64 = 1e6;

/// Every float of a parsed JSON document, at most [`MAX_FLOAT`] in size: the path of the first
/// that is not.
pub fn huge_float(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Number(n) if n.is_f64() => {
            let x = n.as_f64().unwrap_or(f64::INFINITY);
            (x.is_nan() || x.abs() > MAX_FLOAT).then(|| format!(" = {x:e}"))
        }
        serde_json::Value::Array(a) => a
            .iter()
            .enumerate()
            .find_map(|(i, x)| huge_float(x).map(|p| format!("[{i}]{p}"))),
        serde_json::Value::Object(o) => o
            .iter()
            .find_map(|(k, x)| huge_float(x).map(|p| format!(".{k}{p}"))),
        _ => None,
    }
}

fn positive(name: &str, v: f64) -> Result<(), String> {
    if v > 0.0 && v.is_finite() {
        Ok(())
    } else {
        Err(format!("{name} is {v}, not a positive time or rate"))
    }
}

fn at_least_zero(name: &str, v: f64) -> Result<(), String> {
    if v >= 0.0 && v.is_finite() {
        Ok(())
    } else {
        Err(format!("{name} is {v}, which cannot be negative"))
    }
}

fn share(name: &str, v: f64) -> Result<(), String> {
    if (0.0..=1.0).contains(&v) {
        Ok(())
    } else {
        Err(format!("{name} is {v}, not a share between 0 and 1"))
    }
}

fn interval(name: &str, [lo, hi]: [f64; 2]) -> Result<(), String> {
    if lo.is_finite() && hi.is_finite() && lo <= hi {
        Ok(())
    } else {
        Err(format!("{name} [{lo}, {hi}] is not an interval"))
    }
}

fn speedup(name: &str, v: f64) -> Result<(), String> {
    if v > 0.0 && v <= MAX_SPEEDUP {
        Ok(())
    } else {
        Err(format!(
            "{name} is {v}, not a speedup (above 0, at most {MAX_SPEEDUP:e})"
        ))
    }
}

fn cell(c: &CellResult) -> Result<(), String> {
    if c.workers == 0 {
        return Err("workers is 0".into());
    }
    if c.tasks == 0 {
        return Err("tasks is 0".into());
    }
    if c.samples_s.is_empty() {
        return Err("it has no sample".into());
    }
    for (i, s) in c.samples_s.iter().enumerate() {
        positive(&format!("samples_s[{i}]"), *s)?;
    }
    positive("median_s", c.median_s)?;
    positive("min_s", c.min_s)?;
    positive("max_s", c.max_s)?;
    if !(c.min_s <= c.median_s && c.median_s <= c.max_s) {
        return Err(format!(
            "min_s {}, median_s {}, max_s {} are out of order",
            c.min_s, c.median_s, c.max_s
        ));
    }
    interval("median_ci_s", c.median_ci_s)?;
    share("ci_level", c.ci_level)?;
    at_least_zero("cpu_time_s", c.cpu_time_s)?;
    at_least_zero("per_task_s", c.per_task_s)?;
    if let Some(s) = c.startup_s {
        at_least_zero("startup_s", s)?;
    }
    if let Some(s) = c.speedup {
        speedup("speedup", s)?;
    }
    if let Some(ci) = c.speedup_ci {
        interval("speedup_ci", ci)?;
        speedup("speedup_ci's low end", ci[0])?;
    }
    if let Some(l) = c.speedup_ci_level {
        share("speedup_ci_level", l)?;
    }
    if let Some(e) = c.efficiency {
        speedup("efficiency", e)?;
    }
    if let Some(s) = c.ideal_speedup {
        speedup("ideal_speedup", s)?;
    }
    if let Some(s) = c.ideal_s {
        at_least_zero("ideal_s", s)?;
    }
    if let Some(n) = &c.net {
        positive("net.round_trips_per_s", n.round_trips_per_s)?;
        interval("net.round_trips_per_s_ci95", n.round_trips_per_s_ci95)?;
        for (name, v) in [
            ("net.latency_p50_s", n.latency_p50_s),
            ("net.latency_p99_s", n.latency_p99_s),
            ("net.latency_p999_s", n.latency_p999_s),
            ("net.latency_max_s", n.latency_max_s),
        ] {
            at_least_zero(name, v)?;
        }
    }
    if let Some(w) = c.wake_latency {
        for (name, v) in [
            ("wake_latency.p50_s", w.p50_s),
            ("wake_latency.p99_s", w.p99_s),
            ("wake_latency.max_s", w.max_s),
        ] {
            at_least_zero(name, v)?;
        }
    }
    if let Some(q) = c.queue {
        positive("queue.items_per_s", q.items_per_s)?;
        for v in [q.full_share, q.empty_share].into_iter().flatten() {
            share("queue's wait share", v)?;
        }
    }
    if let Some(d) = c.completion {
        at_least_zero("completion.mean_s", d.mean_s)?;
        at_least_zero("completion.p99_s", d.p99_s)?;
        if let Some(i) = d.idle_share {
            share("completion.idle_share", i)?;
        }
    }
    Ok(())
}

/// Whether `r`'s values make sense; the first that does not, named.
pub fn check(r: &RunResults) -> Result<(), String> {
    if r.complete && r.cells.is_empty() {
        return Err("it says complete: true but has no measured cell".into());
    }
    if r.config.samples == 0 {
        return Err("config.samples is 0".into());
    }
    if r.machine.logical_cores == 0 {
        return Err("machine.logical_cores is 0".into());
    }
    for c in &r.cells {
        cell(c).map_err(|e| format!("cell {}/{} N={}: {e}", c.workload, c.model, c.workers))?;
    }
    Ok(())
}
