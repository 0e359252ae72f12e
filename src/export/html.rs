//! `report.html`: one self-contained page per report, opened from disk or from a CI artifact.
//! Everything is inline (the style, a small script, the charts as SVG): no network, no other
//! file. It reads without the script too: the charts are drawn, every point carries its
//! numbers as an SVG `<title>` (the browser's own tooltip), and the tables read as they are;
//! the script only hides and shows a chart's lines from its legend and sorts a table by a
//! click on a column's header. Colours follow the reader's light or dark theme; printing drops
//! the buttons.
//!
//! Charts come from [`crate::chart::render::render_layered`] (plotters' SVG backend, one layer
//! per line); tables from [`super::grid::Grid`], the same rows `summary.md` shows. This module
//! only lays the page out: it neither measures nor writes files.

use super::grid::Grid;
use super::markdown::{USL_FORMULA, analytics_table, machine_rows, results_table, usl_table};
use crate::analysis::Analysis;
use crate::chart::render::{Layered, xml_escape};
use crate::format::run_names;
use crate::result::RunResults;
use std::fmt::Write;
use std::path::PathBuf;

/// The page's style: light and dark themes, charts on a light card, print without buttons.
const STYLE: &str = r#"
:root { color-scheme: light dark; --bg: #ffffff; --fg: #1d1f21; --muted: #5b6067; --line: #d8dbe0; --accent: #1f6feb; --bad: #f8d7da; --good: #d7f3dd; --warn: #fff3cd; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #16181c; --fg: #e4e6ea; --muted: #a2a8b1; --line: #373b42; --accent: #6ea8fe; --bad: #5c2328; --good: #1f4d2c; --warn: #4d3f12; }
}
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1120px; padding: 1.2rem; background: var(--bg); color: var(--fg); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; }
h2 { font-size: 1.3rem; margin: 2rem 0 .6rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
p.lead, .muted { color: var(--muted); }
nav a { color: var(--accent); margin-right: .8rem; }
ul.verdicts li { margin: .35rem 0; }
figure.chart { margin: 1rem 0 1.6rem; break-inside: avoid; }
.stack { position: relative; background: #fff; border-radius: 6px; border: 1px solid var(--line); overflow: hidden; }
.stack svg { display: block; width: 100%; height: auto; }
.stack svg.layer { position: absolute; top: 0; left: 0; pointer-events: none; }
.stack svg.layer .pt { pointer-events: all; cursor: help; }
.stack svg.layer .pt:hover { stroke: #000; stroke-width: 2; fill: rgba(0, 0, 0, .12); }
.stack svg.layer.off { display: none; }
.legend { display: flex; flex-wrap: wrap; gap: .3rem .5rem; margin: .4rem 0; }
.legend button { font: inherit; font-size: .9rem; color: var(--fg); background: transparent; border: 1px solid var(--line); border-radius: 4px; padding: .05rem .5rem; cursor: pointer; }
.legend button[aria-pressed="false"] { opacity: .45; text-decoration: line-through; }
.legend i { display: inline-block; width: 1.1em; height: .35em; margin-right: .35em; vertical-align: middle; border-radius: 2px; }
.scroll { overflow-x: auto; }
table.grid { border-collapse: collapse; width: 100%; font-size: .9rem; font-variant-numeric: tabular-nums; }
table.grid th, table.grid td { border-bottom: 1px solid var(--line); padding: .25rem .5rem; text-align: left; vertical-align: top; }
table.grid th { white-space: nowrap; user-select: none; }
table.grid .num { text-align: right; }
table.grid th[aria-sort="ascending"]::after { content: " ▲"; }
table.grid th[aria-sort="descending"]::after { content: " ▼"; }
table.facts td:first-child { color: var(--muted); white-space: nowrap; }
tr.changed, tr.regressed { background: var(--bad); }
tr.improved { background: var(--good); }
.banner { padding: .5rem .8rem; border-radius: 6px; background: var(--warn); margin: .8rem 0; }
footer { margin-top: 2.5rem; color: var(--muted); font-size: .85rem; }
@media print {
  body { max-width: none; padding: 0; background: #fff; color: #000; }
  .legend, nav { display: none; }
  h2 { break-after: avoid; }
}
"#;

/// The page's script: a chart's legend hides and shows its lines; a click on a column's
/// header sorts its table (numbers by value, with their units: ns … h, ×, %).
const SCRIPT: &str = r#"
(function () {
  var root = document.documentElement;
  window.addEventListener("error", function (e) {
    root.setAttribute("data-errors", (root.getAttribute("data-errors") || "") + e.message + "; ");
  });
  window.addEventListener("load", function () {
    root.setAttribute("data-load-ms", String(Math.round(performance.now())));
  });
  document.querySelectorAll("figure.chart").forEach(function (fig) {
    fig.querySelectorAll(".legend button").forEach(function (b) {
      b.addEventListener("click", function () {
        var on = b.getAttribute("aria-pressed") !== "true";
        b.setAttribute("aria-pressed", on ? "true" : "false");
        var layer = fig.querySelector('svg.layer[data-layer="' + b.getAttribute("data-layer") + '"]');
        if (layer) { layer.classList.toggle("off", !on); }
      });
    });
  });
  var units = { ns: 1e-9, "\u00b5s": 1e-6, ms: 1e-3, s: 1, min: 60, h: 3600 };
  function key(text) {
    var m = /^\s*(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)\s*(ns|\u00b5s|ms|s|min|h)?/.exec(text);
    if (!m) { return null; }
    var v = parseFloat(m[1]);
    return m[2] ? v * units[m[2]] : v;
  }
  document.querySelectorAll("table.grid").forEach(function (table) {
    var body = table.tBodies[0];
    if (!body) { return; }
    table.querySelectorAll("thead th").forEach(function (th, col) {
      th.tabIndex = 0;
      th.title = "sort";
      function sort() {
        var up = th.getAttribute("aria-sort") !== "ascending";
        table.querySelectorAll("thead th").forEach(function (o) { o.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", up ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[col].textContent, y = b.cells[col].textContent;
          var kx = key(x), ky = key(y), c;
          if (kx !== null && ky !== null) { c = kx - ky; }
          else if (kx !== null) { c = -1; }
          else if (ky !== null) { c = 1; }
          else { c = x.localeCompare(y); }
          return up ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
    });
  });
  root.setAttribute("data-script", "ok");
})();
"#;

/// A whole page: `title`, then `body`, with the style and the script inline.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"parbench {}\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}<footer>Written by parbench {}: one self-contained file (no network). Hover a point for its numbers; click a legend entry to hide or show its line; click a column's header to sort.</footer>\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION"),
        xml_escape(title),
        env!("CARGO_PKG_VERSION"),
    )
}

/// An SVG document as an element of the page: no XML prolog, and `attrs` on its root.
fn inline_svg(svg: &str, attrs: &str) -> String {
    let start = svg.find("<svg").unwrap_or(0);
    let svg = &svg[start..];
    format!(
        "<svg {attrs} {}",
        svg.trim_start_matches("<svg").trim_start()
    )
}

/// One chart: its legend (buttons that hide and show each line) and its layers, stacked.
pub fn chart(c: &Layered) -> String {
    let mut s = format!(
        "<figure class=\"chart\" id=\"fig-{}\">\n",
        xml_escape(&c.name)
    );
    if !c.layers.is_empty() {
        s += "<div class=\"legend\" role=\"group\" aria-label=\"lines\">";
        for (i, l) in c.layers.iter().enumerate() {
            let _ = write!(
                s,
                "<button type=\"button\" data-layer=\"{i}\" aria-pressed=\"true\"><i style=\"background:{}\"></i>{}</button>",
                xml_escape(&l.color),
                xml_escape(&l.name)
            );
        }
        s += "</div>\n";
    }
    // A figure wider than the page (the machines comparison) keeps a readable size and scrolls.
    let wide = c.size.0 > 1200;
    if wide {
        let _ = write!(
            s,
            "<div class=\"scroll\">\n<div class=\"stack\" style=\"width: {}px\">\n",
            c.size.0 * 6 / 10
        );
    } else {
        s += "<div class=\"stack\">\n";
    }
    s += &inline_svg(
        &c.base,
        &format!(
            "class=\"base\" role=\"img\" aria-label=\"{}\"",
            xml_escape(&format!("{}. {}", c.title, c.subtitle))
        ),
    );
    for (i, l) in c.layers.iter().enumerate() {
        s += &inline_svg(
            &l.svg,
            &format!(
                "class=\"layer\" data-layer=\"{i}\" aria-label=\"{}\"",
                xml_escape(&l.name)
            ),
        );
    }
    s += if wide { "</div>\n</div>\n" } else { "</div>\n" };
    s += "</figure>\n";
    s
}

/// A table in a scrolling box, and a class for the machine facts.
fn table(g: &Grid, class: Option<&str>) -> String {
    format!("<div class=\"scroll\">\n{}</div>\n", g.html(class))
}

fn paragraph(text: &str) -> String {
    format!("<p>{}</p>\n", xml_escape(text))
}

/// The report page of `runs` (one run, or several machines), with its charts.
pub fn report(
    runs: &[RunResults],
    sources: &[PathBuf],
    analyses: &[Analysis],
    charts: &[Layered],
) -> String {
    let names = run_names(runs);
    let title = match runs {
        [_] => format!("parbench report: {}", names[0]),
        _ => format!("parbench report: {} machines", runs.len()),
    };
    let mut b = format!("<header>\n<h1>{}</h1>\n", xml_escape(&title));
    let from: Vec<String> = sources.iter().map(|p| p.display().to_string()).collect();
    b += &format!(
        "<p class=\"lead\">From {}. Speedup = sequential median ÷ cell median; efficiency = speedup ÷ N; intervals are distribution-free confidence intervals of the median (order statistics), speedup intervals paired by round.</p>\n",
        xml_escape(&from.join(", "))
    );
    let workloads: Vec<_> = match runs {
        [r] => r.workloads(),
        _ => Vec::new(),
    };
    if !workloads.is_empty() {
        b += "<nav>";
        b += "<a href=\"#verdicts\">Verdicts</a>";
        for w in &workloads {
            let _ = write!(
                b,
                "<a href=\"#w-{}\">{}</a>",
                xml_escape(w.name()),
                xml_escape(w.name())
            );
        }
        b += "<a href=\"#analytics\">Scaling analytics</a></nav>\n";
    }
    b += "</header>\n";
    let id = |base: &str, i: usize| match i {
        0 => base.to_string(),
        i => format!("{base}-{i}"),
    };
    for (i, ((r, a), name)) in runs.iter().zip(analyses).zip(&names).enumerate() {
        let suffix = if runs.len() > 1 {
            format!(" ({name})")
        } else {
            String::new()
        };
        if !r.complete {
            b += "<p class=\"banner\">This run is incomplete: it stopped before every cell was measured (see its failures below).</p>\n";
        }
        let _ = writeln!(
            b,
            "<h2 id=\"{}\">Verdicts{}</h2>\n<ul class=\"verdicts\">",
            id("verdicts", i),
            xml_escape(&suffix)
        );
        for (_, v) in super::verdicts::sentences(a) {
            let _ = writeln!(b, "<li>{}</li>", xml_escape(&v));
        }
        b += "</ul>\n";
        let _ = writeln!(b, "<h3>Machine and measurement{}</h3>", xml_escape(&suffix));
        b += &table(&machine_rows(r), Some("facts"));
        for note in &r.notes {
            b += &paragraph(&format!("Note: {note}"));
        }
        for f in &r.failures {
            b += &paragraph(&format!("Failed: {f}"));
        }
    }
    let mut shown = vec![false; charts.len()];
    if let [r] = runs {
        for w in &workloads {
            let _ = writeln!(
                b,
                "<section id=\"w-{0}\">\n<h2>{0}</h2>",
                xml_escape(w.name())
            );
            let suffix = format!("-{}", w.name());
            for (i, c) in charts.iter().enumerate() {
                if !shown[i] && c.name.ends_with(&suffix) {
                    b += &chart(c);
                    shown[i] = true;
                }
            }
            b += "<h3>Results</h3>\n";
            b += &table(&results_table(r, *w), None);
            b += "</section>\n";
        }
    }
    if shown.iter().any(|s| !s) {
        b += if runs.len() == 1 {
            "<h2>Across workloads</h2>\n"
        } else {
            "<h2>Machines compared</h2>\n"
        };
        for (i, c) in charts.iter().enumerate() {
            if !shown[i] {
                b += &chart(c);
            }
        }
    }
    for (i, (a, name)) in analyses.iter().zip(&names).enumerate() {
        let _ = writeln!(
            b,
            "<h2 id=\"{}\">Scaling analytics ({})</h2>",
            id("analytics", i),
            xml_escape(name)
        );
        b += &table(&analytics_table(a), None);
        if let Some(g) = usl_table(a) {
            let _ = writeln!(
                b,
                "<h3>Universal Scalability Law ({})</h3>",
                xml_escape(name)
            );
            b += &paragraph(USL_FORMULA);
            b += &table(&g, None);
        }
    }
    page(&title, &b)
}
