//! `summary.md`: the machine, the configuration, the verdicts, the charts, a results table and
//! the scaling analytics, in Markdown that reads well on a code host.

use super::fmt_duration;
use crate::analysis::Analysis;
use crate::format::run_names;
use crate::result::RunResults;
use crate::workload::{Column, WorkloadKind};
use std::fmt::Write;
use std::path::PathBuf;

fn machine_rows(r: &RunResults) -> String {
    let m = &r.machine;
    let mut s = String::from("| | |\n|---|---|\n");
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
        let _ = writeln!(s, "| {k} | {} |", v.replace('|', "\\|"));
    }
    s
}

/// tcp-echo's own table: throughput, latency and the server's CPU per design and connections.
fn net_table(r: &RunResults, workload: WorkloadKind) -> String {
    let mut s = String::from(
        "| server | connections | round trips/s | p50 | p99 | p99.9 | server CPU / round trip | server context switches (vol. / invol.) | client CPU per batch |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for c in r.cells.iter().filter(|c| c.workload == workload) {
        let Some(n) = &c.net else { continue };
        let _ = writeln!(
            s,
            "| {} | {} | {:.0} ({:.0} – {:.0}) | {} | {} | {} | {} | {} / {} | {} |",
            c.model,
            c.workers,
            n.round_trips_per_s,
            n.round_trips_per_s_ci95[0],
            n.round_trips_per_s_ci95[1],
            fmt_duration(n.latency_p50_s),
            fmt_duration(n.latency_p99_s),
            fmt_duration(n.latency_p999_s),
            n.server_cpu_per_round_trip_s
                .map_or("-".into(), fmt_duration),
            n.server_voluntary_cs.map_or("-".into(), |v| v.to_string()),
            n.server_involuntary_cs
                .map_or("-".into(), |v| v.to_string()),
            fmt_duration(c.cpu_time_s),
        );
    }
    s
}

fn results_table(r: &RunResults, workload: WorkloadKind) -> String {
    if workload.over_network() {
        return net_table(r, workload);
    }
    let mut s = String::from(
        "| model | N | median | 95% CI of median | speedup [paired CI] | efficiency | ideal | CPU time | start-up |\n|---|---:|---:|---|---:|---:|---:|---:|---:|\n",
    );
    for c in r.cells.iter().filter(|c| c.workload == workload) {
        let ideal = match c.params.reading().column() {
            Column::IdealTime => c.ideal_s.map(fmt_duration),
            Column::IdealSpeedup => c.ideal_speedup.map(|v| format!("{v:.2}×")),
            Column::PerTask => Some(format!("{} / task", fmt_duration(c.per_task_s))),
            Column::Network => None,
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} – {} | {} | {} | {} | {} | {} |",
            c.model,
            c.workers,
            fmt_duration(c.median_s),
            fmt_duration(c.median_ci_s[0]),
            fmt_duration(c.median_ci_s[1]),
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
            c.startup_s.map_or("-".into(), fmt_duration),
        );
    }
    s
}

fn analytics_table(a: &Analysis) -> String {
    let mut s = String::from(
        "| workload | model | Amdahl serial fraction [95% CI] | peak speedup | more workers stop helping after | Karp–Flatt e(N) |\n|---|---|---|---:|---:|---|\n",
    );
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
        let _ = writeln!(
            s,
            "| {} | {} | {amdahl} | {:.2}× at {} | {} | {} |",
            m.workload,
            m.model,
            m.peak_speedup,
            m.peak_workers,
            m.saturation_workers,
            if kf.is_empty() {
                "-".into()
            } else {
                kf.join(", ")
            }
        );
    }
    s
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
        s += &machine_rows(r);
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
            s += &machine_rows(r);
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
            let _ = writeln!(s, "## Results: {w}\n\n{}", results_table(r, w));
        }
    } else {
        for img in images {
            let _ = writeln!(s, "![{img}]({img})\n");
        }
    }
    for (a, name) in analyses.iter().zip(&names) {
        let _ = writeln!(s, "## Scaling analytics ({name})\n\n{}", analytics_table(a));
        if let Some(t) = usl_table(a) {
            let _ = writeln!(s, "## Universal Scalability Law ({name})\n\n{t}");
        }
    }
    s
}

/// Every fit of the law, where a model has enough worker counts: σ and κ with their 95%
/// intervals, λ, the peak and what limits.
fn usl_table(a: &Analysis) -> Option<String> {
    let fits: Vec<_> = a
        .scaling
        .iter()
        .filter_map(|m| m.usl.as_ref().map(|f| (m, f)))
        .collect();
    if fits.is_empty() {
        return None;
    }
    let mut s = String::from(
        "X(N) = λN / (1 + σ(N−1) + κN(N−1)), fitted by least squares to every sample's tasks per second.\n\n| workload | model | σ (contention) [95% CI] | κ (coherency) [95% CI] | λ (tasks/s at N = 1) | peak N* | X(N*) | limit |\n|---|---|---|---|---:|---:|---:|---|\n",
    );
    for (m, f) in fits {
        let _ = writeln!(
            s,
            "| {} | {} | {:.4} [{:.4} – {:.4}] | {:.2e} [{:.2e} – {:.2e}] | {:.1} | {} | {} | {} |",
            m.workload,
            m.model,
            f.sigma,
            f.sigma_ci95[0],
            f.sigma_ci95[1],
            f.kappa,
            f.kappa_ci95[0],
            f.kappa_ci95[1],
            f.lambda,
            f.peak_n.map_or("-".into(), |n| format!("{n:.1}")),
            f.peak_throughput.map_or("-".into(), |x| format!("{x:.1}")),
            f.limit,
        );
    }
    Some(s)
}
