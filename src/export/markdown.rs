//! `summary.md`: the machine, the configuration, the verdicts, the charts, a results table and
//! the scaling analytics, in Markdown that reads well on a code host.

use super::fmt_duration;
use super::grid::Grid;
use crate::analysis::Analysis;
use crate::format::run_names;
use crate::result::RunResults;
use crate::workload::{Column, WorkloadKind};
use std::fmt::Write;
use std::path::PathBuf;

/// The machine and how the run was made, as (what, value) rows.
pub fn machine_rows(r: &RunResults) -> Grid {
    let m = &r.machine;
    let mut g = Grid::new(&[("", false), ("", false)]);
    let rows = [
        ("host", m.hostname.clone()),
        ("cpu", m.cpu_brand.clone()),
        (
            "cores",
            format!(
                "{} physical, {} logical, {} available to this process",
                m.physical_cores.map_or("?".into(), |p| p.to_string()),
                m.logical_cores,
                m.available_parallelism
            ),
        ),
        (
            "memory",
            format!(
                "{:.1} GiB",
                m.total_memory_bytes as f64 / (1u64 << 30) as f64
            ),
        ),
        ("os / kernel", format!("{} / {}", m.os, m.kernel)),
        (
            "parbench",
            format!(
                "{} ({})",
                m.parbench_version,
                m.git_commit.as_deref().unwrap_or("commit unknown")
            ),
        ),
        (
            "run",
            format!(
                "preset {}, started {}, {}",
                r.config.preset,
                r.started_utc,
                if r.complete { "complete" } else { "INCOMPLETE" }
            ),
        ),
        (
            "sampling",
            format!(
                "{} warm-up + {} recorded batches per cell, cells shuffled each round (seed {})",
                r.config.warmup, r.config.samples, r.config.shuffle_seed
            ),
        ),
    ];
    for (k, v) in rows {
        g.push(vec![k.to_string(), v]);
    }
    g
}

/// tcp-echo's own table: throughput, latency and the server's CPU per design and connections.
fn net_table(r: &RunResults, workload: WorkloadKind) -> Grid {
    let mut g = Grid::new(&[
        ("server", false),
        ("connections", true),
        ("round trips/s", true),
        ("p50", true),
        ("p99", true),
        ("p99.9", true),
        ("server CPU / round trip", true),
        ("server context switches (vol. / invol.)", true),
        ("client CPU per batch", true),
    ]);
    for c in r.cells.iter().filter(|c| c.workload == workload) {
        let Some(n) = &c.net else { continue };
        g.push(vec![
            c.model.to_string(),
            c.workers.to_string(),
            format!(
                "{:.0} ({:.0} – {:.0})",
                n.round_trips_per_s, n.round_trips_per_s_ci95[0], n.round_trips_per_s_ci95[1]
            ),
            fmt_duration(n.latency_p50_s),
            fmt_duration(n.latency_p99_s),
            fmt_duration(n.latency_p999_s),
            n.server_cpu_per_round_trip_s
                .map_or("-".into(), fmt_duration),
            format!(
                "{} / {}",
                n.server_voluntary_cs.map_or("-".into(), |v| v.to_string()),
                n.server_involuntary_cs
                    .map_or("-".into(), |v| v.to_string())
            ),
            fmt_duration(c.cpu_time_s),
        ]);
    }
    g
}

/// A workload's results: one row per cell.
pub fn results_table(r: &RunResults, workload: WorkloadKind) -> Grid {
    if workload.over_network() {
        return net_table(r, workload);
    }
    let (level, n) = r
        .cells
        .iter()
        .find(|c| c.workload == workload)
        .map_or((0.95, 2), |c| (c.ci_level, c.samples_s.len()));
    let ci_head = format!("{} of median", crate::format::ci_level(level, n));
    let mut g = Grid::new(&[
        ("model", false),
        ("N", true),
        ("median", true),
        (&ci_head, false),
        ("speedup [paired CI]", true),
        ("efficiency", true),
        ("ideal", true),
        ("CPU time", true),
        ("peak RSS", true),
        ("start-up", true),
    ]);
    // The columns only some workloads fill: each shown when a cell of this workload has it,
    // header and rows from the same entry (so they cannot drift apart).
    type Extra = fn(&crate::result::CellResult) -> Option<String>;
    let extras: [(&str, Extra); 4] = [
        ("lost updates (median [min – max] of)", |c| {
            c.lost_updates
                .map(|l| format!("{} [{} – {}] of {}", l.median, l.min, l.max, l.of))
        }),
        ("tasks done after: mean, p99 (workers idle)", |c| {
            c.completion.map(|t| super::table::completion_cell(&t))
        }),
        (
            "items/s, waits on a full / an empty queue (share of time)",
            |c| c.queue.map(|q| super::table::queue_cell(&q)),
        ),
        ("wake after the signal: p50 / p99 / max (waiters)", |c| {
            c.wake_latency.map(|w| {
                format!(
                    "{} / {} / {} ({})",
                    fmt_duration(w.p50_s),
                    fmt_duration(w.p99_s),
                    fmt_duration(w.max_s),
                    w.count
                )
            })
        }),
    ];
    let extras: Vec<Extra> = extras
        .into_iter()
        .filter(|(_, cell)| {
            r.cells
                .iter()
                .any(|c| c.workload == workload && cell(c).is_some())
        })
        .map(|(head, cell)| {
            g.head.push(head.into());
            g.numeric.push(true);
            cell
        })
        .collect();
    for c in r.cells.iter().filter(|c| c.workload == workload) {
        let ideal = match c.params.reading().column() {
            Column::IdealTime => c.ideal_s.map(fmt_duration),
            Column::IdealSpeedup => c.ideal_speedup.map(|v| format!("{v:.2}×")),
            Column::PerTask => Some(format!("{} / task", fmt_duration(c.per_task_s))),
            Column::Network => None,
        };
        let mut row = vec![
            c.model.to_string(),
            c.workers.to_string(),
            fmt_duration(c.median_s),
            format!(
                "{} – {}",
                fmt_duration(c.median_ci_s[0]),
                fmt_duration(c.median_ci_s[1])
            ),
            c.speedup
                .filter(|_| workload.has_speedup())
                .map_or("-".into(), |v| match c.speedup_ci {
                    Some([lo, hi]) => format!("{v:.2}× [{lo:.2} – {hi:.2}]"),
                    None => format!("{v:.2}×"),
                }),
            c.efficiency
                .filter(|_| workload.has_speedup())
                .map_or("-".into(), |v| format!("{:.0}%", v * 100.0)),
            ideal.unwrap_or_else(|| "-".into()),
            fmt_duration(c.cpu_time_s),
            crate::format::fmt_rss(c),
            c.startup_s.map_or("-".into(), fmt_duration),
        ];
        row.extend(
            extras
                .iter()
                .map(|cell| cell(c).unwrap_or_else(|| "-".into())),
        );
        g.push(row);
    }
    g
}

/// The scaling analytics: Amdahl's fit, the peak and where more workers stop helping.
pub fn analytics_table(a: &Analysis) -> Grid {
    let mut g = Grid::new(&[
        ("workload", false),
        ("model", false),
        ("Amdahl serial fraction [95% CI]", false),
        ("peak speedup", true),
        ("more workers stop helping after", true),
        ("Karp–Flatt e(N)", false),
    ]);
    for m in &a.scaling {
        let amdahl = m.amdahl.map_or("-".into(), |f| {
            let ci = f.ci95.map_or("single point".into(), |[lo, hi]| {
                format!("{lo:.3} – {hi:.3}")
            });
            format!("{:.3} [{ci}] (N ≤ {})", f.serial_fraction, f.max_workers)
        });
        let kf: Vec<String> = m
            .karp_flatt
            .iter()
            .map(|(n, e)| format!("{n}: {e:.3}"))
            .collect();
        g.push(vec![
            m.workload.to_string(),
            m.model.to_string(),
            amdahl,
            format!("{:.2}× at {}", m.peak_speedup, m.peak_workers),
            m.saturation_workers.to_string(),
            if kf.is_empty() {
                "-".into()
            } else {
                kf.join(", ")
            },
        ]);
    }
    g
}

/// The Markdown summary of `runs`, embedding `images` (file names in the same folder).
pub fn summary(
    runs: &[RunResults],
    sources: &[PathBuf],
    analyses: &[Analysis],
    images: &[String],
) -> String {
    let names = run_names(runs);
    let mut s = String::new();
    if let [r] = runs {
        let _ = writeln!(s, "# parbench report: {}\n", names[0]);
        s += &machine_rows(r).markdown();
    } else {
        let _ = writeln!(s, "# parbench report: {} machines\n", runs.len());
    }
    let _ = writeln!(
        s,
        "\nFrom {}. Speedup = sequential median ÷ cell median; efficiency = speedup ÷ N; \
         intervals are distribution-free confidence intervals of the median (order statistics).\n",
        sources
            .iter()
            .map(|p| format!("`{}`", p.display()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for ((r, a), name) in runs.iter().zip(analyses).zip(&names) {
        if runs.len() > 1 {
            let _ = writeln!(s, "## {name}\n");
            s += &machine_rows(r).markdown();
            s.push('\n');
        }
        let _ = writeln!(
            s,
            "## Verdict{}\n",
            if runs.len() > 1 {
                format!(" ({name})")
            } else {
                String::new()
            }
        );
        for (_, v) in super::verdicts::sentences(a) {
            let _ = writeln!(s, "- {v}");
        }
        s.push('\n');
    }
    if runs.len() == 1 {
        for img in images {
            let _ = writeln!(s, "![{img}]({img})\n");
        }
        let r = &runs[0];
        for w in r.workloads() {
            let _ = writeln!(s, "## Results: {w}\n\n{}", results_table(r, w).markdown());
        }
    } else {
        for img in images {
            let _ = writeln!(s, "![{img}]({img})\n");
        }
    }
    for (a, name) in analyses.iter().zip(&names) {
        let _ = writeln!(
            s,
            "## Scaling analytics ({name})\n\n{}",
            analytics_table(a).markdown()
        );
        if let Some(t) = usl_table(a) {
            let _ = writeln!(
                s,
                "## Universal Scalability Law ({name})\n\n{USL_FORMULA}\n\n{}",
                t.markdown()
            );
        }
    }
    s
}

/// What the Universal Scalability Law table holds.
pub const USL_FORMULA: &str = "X(N) = λN / (1 + σ(N−1) + κN(N−1)), fitted by least squares to every sample's tasks per second.";

/// Every fit of the law, where a model has enough worker counts: σ and κ with their 95%
/// intervals, λ, the peak and what limits.
pub fn usl_table(a: &Analysis) -> Option<Grid> {
    let fits: Vec<_> = a
        .scaling
        .iter()
        .filter_map(|m| m.usl.as_ref().map(|f| (m, f)))
        .collect();
    if fits.is_empty() {
        return None;
    }
    let mut g = Grid::new(&[
        ("workload", false),
        ("model", false),
        ("σ (contention) [95% CI]", true),
        ("κ (coherency) [95% CI]", true),
        ("λ (tasks/s at N = 1)", true),
        ("peak N*", true),
        ("X(N*)", true),
        ("limit", false),
    ]);
    for (m, f) in fits {
        g.push(vec![
            m.workload.to_string(),
            m.model.to_string(),
            format!(
                "{:.4} [{:.4} – {:.4}]",
                f.sigma, f.sigma_ci95[0], f.sigma_ci95[1]
            ),
            format!(
                "{:.2e} [{:.2e} – {:.2e}]",
                f.kappa, f.kappa_ci95[0], f.kappa_ci95[1]
            ),
            format!("{:.1}", f.lambda),
            f.peak_n.map_or("-".into(), |n| format!("{n:.1}")),
            f.peak_throughput.map_or("-".into(), |x| format!("{x:.1}")),
            f.limit.to_string(),
        ]);
    }
    Some(g)
}
