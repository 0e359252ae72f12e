//! The analysis's verdicts ([`crate::analysis::Verdict`]) in words: one plain sentence per
//! workload, for the terminal, `summary.md` and `analysis.json`. Wording only; what a verdict
//! says is decided in [`crate::analysis`].

use crate::analysis::{Analysis, ModelScaling, Verdict};
use crate::format::fmt_duration;
use crate::workload::WorkloadKind;
use serde::Serialize;

/// An analysis as `analysis.json` holds it: the scaling numbers and the verdicts in words.
#[derive(Serialize)]
pub struct AnalysisFile<'a> {
    /// Per workload and model.
    pub scaling: &'a [ModelScaling],
    /// One sentence per workload.
    pub verdicts: Vec<(WorkloadKind, String)>,
}

impl<'a> AnalysisFile<'a> {
    /// `a` with its verdicts in words.
    pub fn new(a: &'a Analysis) -> Self {
        AnalysisFile {
            scaling: &a.scaling,
            verdicts: sentences(a),
        }
    }
}

/// Every verdict of `a` as (workload, sentence).
pub fn sentences(a: &Analysis) -> Vec<(WorkloadKind, String)> {
    a.verdicts
        .iter()
        .map(|v| (v.workload(), sentence(v)))
        .collect()
}

/// " Universal Scalability Law: contention-limited (σ = 0.027, κ = 0.00077), throughput peaks
/// at N* ≈ 35.6.": the best model's fit, after its verdict.
fn usl_words(f: &crate::usl::UslFit) -> String {
    let peak = match f.peak_n {
        Some(n) if n.is_finite() => format!(", throughput peaks at N* ≈ {n:.1}"),
        _ => ", no peak in sight (κ ≤ 0)".into(),
    };
    format!(
        " Universal Scalability Law: {} (σ = {:.3}, κ = {:.2e}){peak}.",
        f.limit, f.sigma, f.kappa
    )
}

/// " Unsynchronised, it lost updates in every batch of all 8 cells with N ≥ 2: from 120 to 3400
/// of 32000 per batch (medians); 0 with one worker."
fn lost_words(l: crate::analysis::Lost) -> String {
    let (n, every) = l.cells;
    let which = if every == n {
        format!("in every batch of all {n} cells with N ≥ 2")
    } else {
        format!("in every batch of {every} of the {n} cells with N ≥ 2")
    };
    format!(
        " Unsynchronised, it lost updates {which}: from {} to {} of {} per batch (medians); {} with one worker.",
        l.range.0, l.range.1, l.of, l.at_one
    )
}

/// " There, 41 k items/s; producers waited on a full queue 71% of their time, consumers on an
/// empty one 3%.", for a pipeline at its peak.
fn queue_words(q: &crate::result::QueueStats) -> String {
    let mut s = format!(" There, {} items/s", crate::format::fmt_rate(q.items_per_s));
    let pct = |v: f64| format!("{:.0}%", v * 100.0);
    match (q.full_share, q.empty_share) {
        (Some(f), Some(e)) => {
            s += &format!(
                "; producers waited on a full queue {} of their time, consumers on an empty one {}.",
                pct(f),
                pct(e)
            )
        }
        _ => s.push('.'),
    }
    s
}

/// " (= the 2 cores)": where a worker count stands against the machine's cores.
fn core_note(n: usize, (physical, logical): (usize, usize)) -> String {
    if n == physical && n == logical {
        format!(" (= the {n} cores)")
    } else if n == physical {
        format!(" (= the {n} physical cores)")
    } else if n == logical {
        format!(" (= the {n} logical cores)")
    } else if n > logical {
        format!(" (more than the {logical} logical cores)")
    } else {
        String::new()
    }
}

/// One plain sentence stating what a workload showed.
pub fn sentence(v: &Verdict) -> String {
    match v {
        Verdict::TaskCost {
            cheapest, dearest, ..
        } => format!(
            "Cost per task: from {} for {} to {} for {} ({:.0}× more), at each model's best worker count.",
            fmt_duration(cheapest.1),
            cheapest.0,
            fmt_duration(dearest.1),
            dearest.0,
            dearest.1 / cheapest.1
        ),
        Verdict::Scaling {
            workload,
            title: label,
            best,
            ideal_speedup,
            cores,
            lost,
            queue,
        } => {
            let ideal =
                ideal_speedup.map_or(String::new(), |i| format!(" against an ideal of {i:.2}×"));
            let (max_n, at_max) = best.max_workers;
            let usl = best.usl.as_ref().map_or(String::new(), usl_words);
            let sentence = if best.saturation_workers < max_n {
                format!(
                    "{label}: {} reaches {:.2}×{ideal}; adding workers stops helping at {}{}: {max_n} workers give {at_max:.2}×.",
                    best.model,
                    best.peak_speedup,
                    best.saturation_workers,
                    core_note(best.saturation_workers, *cores),
                )
            } else {
                let why = workload.spec().reading().still_growing(cores.1);
                format!(
                    "{label}: {} reaches {:.2}× at {} workers{}{ideal}; it still grows at the largest count tried, {why}.",
                    best.model,
                    best.peak_speedup,
                    best.peak_workers,
                    core_note(best.peak_workers, *cores),
                )
            };
            let advice = workload
                .spec()
                .reading()
                .advice(best.saturation_workers)
                .map_or(String::new(), |a| format!(" {a}"));
            let lost = lost.map_or(String::new(), lost_words);
            let queue = queue.map_or(String::new(), |q| queue_words(&q));
            sentence + &advice + &lost + &queue + &usl
        }
        Verdict::Wake { at, .. } => {
            let parts: Vec<String> = at
                .iter()
                .map(|(m, n, w)| {
                    format!(
                        "{m} at N = {n}: p50 {}, p99 {}, max {} over {} waiters",
                        fmt_duration(w.p50_s),
                        fmt_duration(w.p99_s),
                        fmt_duration(w.max_s),
                        w.count
                    )
                })
                .collect();
            format!(
                "Event: from the signal to each waiter running again, {}.",
                parts.join("; ")
            )
        }
        Verdict::Echo {
            fastest, frugal, ..
        } => {
            let mut s = format!(
                "TCP echo: {} serves the most, {:.0} round trips/s at {} connections.",
                fastest.0, fastest.1, fastest.2
            );
            if let Some((top_c, model, cpu)) = frugal {
                s.push_str(&format!(
                    " At {top_c} connections {model} spends the least server CPU, {} per round trip.",
                    fmt_duration(*cpu)
                ));
            }
            s
        }
    }
}
