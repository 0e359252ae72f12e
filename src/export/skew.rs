//! `parbench skew`'s outputs: its table (one row per size distribution, a makespan per model
//! beside the ideal) and its verdict in words. Data in, text out; the numbers come from
//! [`crate::skew`].

use super::grid::Grid;
use crate::format::fmt_duration;
use crate::skew::{Skew, SkewVerdict};

/// One row per distribution: its spread and largest task, the ideal, each model's makespan
/// (× the ideal) and when its tasks finished.
pub fn grid(s: &Skew) -> Grid {
    let models: Vec<_> = s
        .rows
        .first()
        .map(|r| r.cells.iter().map(|c| c.model).collect())
        .unwrap_or_default();
    let mut head: Vec<(String, bool)> = vec![
        ("task sizes".into(), false),
        ("CV".into(), true),
        ("largest task (× mean)".into(), true),
        ("sequential".into(), true),
        ("ideal makespan".into(), true),
    ];
    for m in &models {
        head.push((
            format!("{m}: makespan (× ideal); tasks done mean / p99"),
            true,
        ));
    }
    let cols: Vec<(&str, bool)> = head.iter().map(|(h, n)| (h.as_str(), *n)).collect();
    let mut g = Grid::new(&cols);
    for r in &s.rows {
        let mut row = vec![
            r.dist.to_string(),
            format!("{:.2}", r.cv),
            format!("{:.1}", r.largest),
            r.sequential_s.map_or("-".into(), fmt_duration),
            r.ideal_s.map_or("-".into(), fmt_duration),
        ];
        for m in &models {
            row.push(match r.cells.iter().find(|c| c.model == *m) {
                None => "-".into(),
                Some(c) => {
                    let mut t = fmt_duration(c.median_s);
                    if let Some(i) = r.ideal_s {
                        t += &format!(" ({:.2}×)", c.median_s / i);
                    }
                    if let Some(d) = c.completion {
                        t += &format!("; {} / {}", fmt_duration(d.mean_s), fmt_duration(d.p99_s));
                    }
                    t
                }
            });
        }
        g.push(row);
    }
    g
}

/// "Under pareto:1.5 sizes (CV 1.92), thread-pool copes best here: 31.2 ms; from uniform its
/// makespan grew 1.05×, rayon's 1.08×, static-split's 1.61×."
pub fn sentence(v: &SkewVerdict) -> String {
    let own = v
        .growth
        .iter()
        .find(|(m, _)| *m == v.best.0)
        .map(|(_, g)| format!("its makespan grew {g:.2}×"));
    let others = v
        .growth
        .iter()
        .filter(|(m, _)| *m != v.best.0)
        .map(|(m, g)| format!("{m}'s {g:.2}×"));
    let growth: Vec<String> = own.into_iter().chain(others).collect();
    format!(
        "Under {} sizes (CV {:.2}), {} copes best here: {}; from {} {}.",
        v.dist,
        v.cv,
        v.best.0,
        fmt_duration(v.best.1),
        v.from,
        growth.join(", ")
    )
}

/// `skew.md`: what was run, the verdict, the chart and the table.
pub fn markdown(s: &Skew, machine: &str, chart: Option<&str>) -> String {
    let mut out = format!(
        "# Uneven tasks: {} at N = {}\n\n{} tasks per batch on {machine}; one run per size distribution, the same tasks for every model (seeded), their mean size the same in every run.\n\n",
        s.workload, s.workers, s.tasks
    );
    if let Some(v) = s.verdict() {
        out += &format!("{}\n\n", sentence(&v));
    }
    if let Some(c) = chart {
        out += &format!("![{c}]({c})\n\n");
    }
    out += &grid(s).markdown();
    out
}
