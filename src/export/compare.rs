//! Renders a [`Comparison`]: a terminal table, Markdown for a pull-request comment or
//! `$GITHUB_STEP_SUMMARY`, a self-contained HTML page (changed cells highlighted), or JSON.
//! Regressions are listed first.

use super::fmt_duration;
use crate::compare::{CellComparison, Comparison, Metric, Verdict};
use std::fmt::Write;

fn value(metric: Metric, v: f64) -> String {
    match metric {
        Metric::Time => fmt_duration(v),
        Metric::Speedup => format!("{v:.2}×"),
        Metric::Efficiency => format!("{:.0}%", v * 100.0),
    }
}

fn ordered(c: &Comparison) -> Vec<&CellComparison> {
    let rank = |v: Verdict| match v {
        Verdict::Changed => 0,
        Verdict::Regressed => 1,
        Verdict::Improved => 2,
        Verdict::NonSignificant => 3,
    };
    let mut cells: Vec<&CellComparison> = c.cells.iter().collect();
    cells.sort_by_key(|x| rank(x.verdict));
    cells
}

/// A row's figures, formatted: baseline, current, change, p, p beyond the threshold.
fn figures(c: &Comparison, x: &CellComparison) -> [String; 5] {
    [
        value(c.metric, x.baseline),
        value(c.metric, x.current),
        format!("{:+.1}%", x.change * 100.0),
        format!("{:.4}", x.p_value),
        format!("{:.4}", x.p_beyond),
    ]
}

fn headline(c: &Comparison) -> String {
    let (reg, imp, same) = c.counts();
    let changed = match c.changed() {
        0 => String::new(),
        n => format!("{n} answer{} changed, ", if n == 1 { "" } else { "s" }),
    };
    format!(
        "{changed}{} regressed, {} improved, {} unchanged ({}; a cell regresses when significantly worse than the baseline moved by {:.1}%, p < {})",
        reg,
        imp,
        same,
        c.metric,
        c.threshold * 100.0,
        c.alpha
    )
}

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Regressed => "REGRESSED",
        Verdict::Improved => "improved",
        Verdict::NonSignificant => "-",
        Verdict::Changed => "ANSWER CHANGED",
    }
}

/// A plain-text table.
pub fn table(c: &Comparison) -> String {
    let mut s = format!("parbench compare: {}\n", headline(c));
    let _ = writeln!(
        s,
        "{:<26} {:>10} {:>10} {:>8} {:>8} {:>8}  verdict",
        "cell", "baseline", "current", "change", "p", "p>thr"
    );
    for x in ordered(c) {
        let [base, cur, change, p, beyond] = figures(c, x);
        let _ = writeln!(
            s,
            "{:<26} {base:>10} {cur:>10} {change:>8} {p:>8} {beyond:>8}  {}",
            x.cell,
            verdict_word(x.verdict)
        );
    }
    tail(c, &mut s, "");
    s
}

fn tail(c: &Comparison, s: &mut String, bullet: &str) {
    if !c.only_in_baseline.is_empty() {
        let _ = writeln!(
            s,
            "{bullet}only in the baseline: {}",
            c.only_in_baseline.join(", ")
        );
    }
    if !c.only_in_current.is_empty() {
        let _ = writeln!(
            s,
            "{bullet}only in the current run: {}",
            c.only_in_current.join(", ")
        );
    }
    for w in &c.warnings {
        let _ = writeln!(s, "{bullet}warning: {w}");
    }
}

/// Markdown for a pull-request comment or a CI step summary.
pub fn markdown(c: &Comparison) -> String {
    let (reg, _, _) = c.counts();
    let reg = reg + c.changed();
    let mut s = format!(
        "### parbench: {}\n\n{}\n\n| cell | baseline | current | change | p (any change) | p (beyond threshold) | verdict |\n|---|---:|---:|---:|---:|---:|---|\n",
        if reg == 0 {
            "no regression".to_string()
        } else {
            format!("{reg} regression{}", if reg == 1 { "" } else { "s" })
        },
        headline(c)
    );
    for x in ordered(c) {
        let [base, cur, change, p, beyond] = figures(c, x);
        let _ = writeln!(
            s,
            "| `{}` | {base} | {cur} | {change} | {p} | {beyond} | {} |",
            x.cell,
            match x.verdict {
                Verdict::Regressed => "❌ regressed",
                Verdict::Improved => "✅ improved",
                Verdict::NonSignificant => "no significant change",
                Verdict::Changed => "❌ answer changed (checksums differ; not timed)",
            }
        );
    }
    s.push('\n');
    tail(c, &mut s, "- ");
    s
}

/// A self-contained HTML page (see [`super::html::page`]): the headline, and a sortable table
/// whose regressed and changed rows are red, improved ones green.
pub fn html(c: &Comparison, title: &str) -> String {
    use crate::chart::render::xml_escape;
    let (reg, _, _) = c.counts();
    let reg = reg + c.changed();
    let mut b = format!(
        "<header>\n<h1>{}</h1>\n<p class=\"lead\">{}</p>\n</header>\n",
        xml_escape(title),
        xml_escape(&headline(c))
    );
    let _ = writeln!(
        b,
        "<h2>{}</h2>",
        if reg == 0 {
            "No regression".to_string()
        } else {
            format!("{reg} regression{}", if reg == 1 { "" } else { "s" })
        }
    );
    b += "<div class=\"scroll\">\n<table class=\"grid\">\n<thead><tr><th>cell</th><th class=\"num\">baseline</th><th class=\"num\">current</th><th class=\"num\">change</th><th class=\"num\">p (any change)</th><th class=\"num\">p (beyond threshold)</th><th>verdict</th></tr></thead>\n<tbody>\n";
    for x in ordered(c) {
        let [base, cur, change, p, beyond] = figures(c, x);
        let (class, word) = match x.verdict {
            Verdict::Regressed => ("regressed", "regressed"),
            Verdict::Improved => ("improved", "improved"),
            Verdict::NonSignificant => ("same", "no significant change"),
            Verdict::Changed => ("changed", "answer changed (checksums differ; not timed)"),
        };
        let _ = writeln!(
            b,
            "<tr class=\"{class}\"><td><code>{}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{word}</td></tr>",
            xml_escape(&x.cell),
            xml_escape(&base),
            xml_escape(&cur),
            xml_escape(&change),
            xml_escape(&p),
            xml_escape(&beyond),
        );
    }
    b += "</tbody>\n</table>\n</div>\n";
    let mut notes = String::new();
    tail(c, &mut notes, "");
    if !notes.is_empty() {
        b += "<ul>\n";
        for line in notes.lines() {
            let _ = writeln!(b, "<li>{}</li>", xml_escape(line));
        }
        b += "</ul>\n";
    }
    super::html::page(title, &b)
}

/// JSON.
pub fn json(c: &Comparison) -> String {
    serde_json::to_string_pretty(c).expect("comparison always serialises") + "\n"
}
