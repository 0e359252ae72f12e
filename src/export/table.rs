//! Plain-text tables for a terminal: the machine, and per workload one row per model × workers
//! with median, confidence interval, speedup against the ideal, efficiency and costs.

use super::fmt_duration;
use crate::machine::MachineInfo;
use crate::result::{CellResult, RunResults};
use crate::workload::Column;
use std::fmt::Write;

/// The machine as `key: value` lines.
pub fn machine_table(m: &MachineInfo) -> String {
    let gib = m.total_memory_bytes as f64 / (1u64 << 30) as f64;
    let rows = [
        ("host", m.hostname.clone()),
        ("cpu", m.cpu_brand.clone()),
        (
            "physical cores",
            m.physical_cores.map_or("unknown".into(), |p| p.to_string()),
        ),
        ("logical cores", m.logical_cores.to_string()),
        ("available parallelism", m.available_parallelism.to_string()),
        (
            "frequency",
            m.cpu_frequency_mhz
                .map_or("unknown".into(), |f| format!("{f} MHz")),
        ),
        ("memory", format!("{gib:.1} GiB")),
        ("os", m.os.clone()),
        ("kernel", m.kernel.clone()),
        ("arch", m.arch.clone()),
        (
            "parbench",
            format!(
                "{} ({})",
                m.parbench_version,
                m.git_commit.as_deref().unwrap_or("commit unknown")
            ),
        ),
    ];
    rows.iter()
        .map(|(k, v)| format!("{k:>22}: {v}\n"))
        .collect()
}

fn opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map_or("-".into(), f)
}

/// "  lost 1234 of 32000 updates (median)", for a cell whose batches lost updates (`racy`).
fn lost_words(c: &CellResult) -> String {
    let mut s = c.lost_updates.map_or(String::new(), |l| {
        format!("  lost {} of {} updates (median)", l.median, l.of)
    });
    if let Some(q) = c.queue {
        s += &format!("  {}", queue_cell(&q));
    }
    if let Some(t) = c.completion {
        s += &format!("  tasks done {}", completion_cell(&t));
    }
    if let Some(w) = c.wake_latency {
        s += &format!(
            "  wake p50 {}, p99 {}, max {} ({} waiters)",
            fmt_duration(w.p50_s),
            fmt_duration(w.p99_s),
            fmt_duration(w.max_s),
            w.count
        );
    }
    s
}

/// "41.2 k items/s, full 71% / empty 3%": what went through a pipeline's queue.
pub(crate) fn queue_cell(q: &crate::result::QueueStats) -> String {
    let pct = |v: Option<f64>| v.map_or("-".into(), |v| format!("{:.0}%", v * 100.0));
    format!(
        "{} items/s, full {} / empty {}",
        crate::format::fmt_rate(q.items_per_s),
        pct(q.full_share),
        pct(q.empty_share)
    )
}

/// "mean 41.2 ms, p99 80.1 ms, idle 12%": when a cell's tasks finished, and its workers' idle
/// share.
pub(crate) fn completion_cell(t: &crate::result::Completion) -> String {
    let mut s = format!(
        "mean {}, p99 {}",
        fmt_duration(t.mean_s),
        fmt_duration(t.p99_s)
    );
    if let Some(i) = t.idle_share {
        s += &format!(", idle {:.0}%", i * 100.0);
    }
    s
}

/// One table per workload.
pub fn results_table(r: &RunResults) -> String {
    let mut out = String::new();
    for kind in r.workloads() {
        let cells: Vec<&CellResult> = r.cells.iter().filter(|c| c.workload == kind).collect();
        let Some(&first) = cells.first() else {
            continue;
        };
        let n = first.samples_s.len();
        let _ = writeln!(
            out,
            "\n{kind} — {}; median of {n} samples, {} of the median (order statistics){}",
            first.params.describe(first.tasks),
            crate::format::ci_level(first.ci_level, n),
            if r.complete { "" } else { "; INCOMPLETE run" }
        );
        let column = first.params.reading().column();
        let extra = match column {
            Column::IdealSpeedup => format!("{:>7}", "ideal"),
            Column::IdealTime => format!("{:>10} {:>10}", "ideal", "overhead"),
            Column::PerTask => format!("{:>10}", "per task"),
            Column::Network => format!(
                "{:>11} {:>9} {:>9} {:>9} {:>10}",
                "rt/s", "p50", "p99", "p99.9", "srv cpu/rt"
            ),
        };
        let _ = writeln!(
            out,
            "{:<15} {:>5} {:>10}  {:<23} {:>8} {:>6} {extra} {:>10} {:>10}",
            "model",
            "N",
            "median",
            crate::format::ci_level(first.ci_level, n),
            "speedup",
            "eff.",
            "cpu time",
            "start-up"
        );
        for c in cells {
            let ci = format!(
                "[{}, {}]",
                fmt_duration(c.median_ci_s[0]),
                fmt_duration(c.median_ci_s[1])
            );
            let extra = match column {
                Column::IdealSpeedup => {
                    format!("{:>7}", opt(c.ideal_speedup, |v| format!("{v:.2}×")))
                }
                Column::IdealTime => format!(
                    "{:>10} {:>10}",
                    opt(c.ideal_s, fmt_duration),
                    opt(c.overhead_s, fmt_duration)
                ),
                Column::PerTask => format!("{:>10}", fmt_duration(c.per_task_s)),
                Column::Network => match &c.net {
                    Some(n) => format!(
                        "{:>11} {:>9} {:>9} {:>9} {:>10}",
                        format!("{:.0}", n.round_trips_per_s),
                        fmt_duration(n.latency_p50_s),
                        fmt_duration(n.latency_p99_s),
                        fmt_duration(n.latency_p999_s),
                        opt(n.server_cpu_per_round_trip_s, fmt_duration)
                    ),
                    None => String::new(),
                },
            };
            let _ = writeln!(
                out,
                "{:<15} {:>5} {:>10}  {:<23} {:>8} {:>6} {extra} {:>10} {:>10}{}",
                c.model.name(),
                c.workers,
                fmt_duration(c.median_s),
                ci,
                // A speedup over doing nothing says nothing: noop rows show the cost per task.
                opt(c.speedup.filter(|_| kind.has_speedup()), |v| format!(
                    "{v:.2}×"
                )),
                opt(c.efficiency.filter(|_| kind.has_speedup()), |v| format!(
                    "{:.0}%",
                    v * 100.0
                )),
                fmt_duration(c.cpu_time_s),
                opt(c.startup_s, fmt_duration),
                if c.checksum_ok {
                    String::new()
                } else {
                    "  CHECKSUM MISMATCH".into()
                } + &lost_words(c)
            );
        }
        if first.speedup_baseline.as_deref() == Some("ideal-sequential") {
            let _ = writeln!(
                out,
                "(speedup against the ideal sequential time: tasks × the time a task takes by construction; sequential was not run)"
            );
        }
    }
    out
}

/// The advice of `parbench advise`: per model the fastest worker count, the smallest count
/// within 5% of it (by its median's confidence interval), and how far that is from the textbook estimate.
pub fn advice_table(a: &crate::advise::Advice) -> String {
    let mut out = format!(
        "\nadvise — {} ms compute + {} ms waiting per task; textbook estimate {} × (1 + {}/{}) = {:.1} workers\n",
        a.cpu_ms, a.io_ms, a.cores, a.io_ms, a.cpu_ms, a.estimate
    );
    let _ = writeln!(
        out,
        "{:<15} {:>18} {:>22} {:>14}",
        "model", "fastest N (median)", "enough N (within 5%)", "vs estimate"
    );
    for m in &a.models {
        let steps = match m.steps_from_estimate {
            0 => "= estimate".to_string(),
            1 => "1 step off".to_string(),
            n => format!("{n} steps off"),
        };
        let _ = writeln!(
            out,
            "{:<15} {:>18} {:>22} {:>14}",
            m.model.name(),
            format!("{} ({})", m.fastest.0, fmt_duration(m.fastest.1)),
            format!("{} ({})", m.enough.0, fmt_duration(m.enough.1)),
            steps
        );
    }
    for m in a.models.iter().filter(|m| m.why.is_some()) {
        let _ = writeln!(out, "  {}: {}", m.model, m.why.as_deref().unwrap_or(""));
    }
    out
}
