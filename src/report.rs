//! A report folder from one or more result files: the charts (PNG or SVG), `analysis.json`, a
//! `summary.md` that embeds them, and `report.html`, the same in one self-contained page. One run gives its scaling charts; several runs (machines) give
//! the `machines-<workload>` comparisons. Every file is written atomically.

use crate::analysis::{Analysis, analyse};
use crate::chart::render::{Format, render, render_layered};
use crate::chart::{Figure, machines, run_figures};
use crate::error::{Error, Result};
use crate::export::markdown;
use crate::result::RunResults;
use crate::store::write_atomic;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// What a report wrote, and the analytics behind it.
#[derive(Debug)]
pub struct Report {
    /// Every file written: charts first, then `analysis.json`, `report.html`, and `summary.md`
    /// last.
    pub files: Vec<PathBuf>,
    /// The analytics of each run, in input order.
    pub analyses: Vec<Analysis>,
}

/// The figures a report of `runs` contains.
pub fn figures(runs: &[RunResults]) -> Vec<Figure> {
    match runs {
        [one] => run_figures(one),
        many => machines::figures(many),
    }
}

/// Writes the report of `runs` (loaded from `sources`) into `out`.
pub fn write_report(
    runs: &[RunResults],
    sources: &[PathBuf],
    out: &Path,
    format: Format,
) -> Result<Report> {
    if runs.is_empty() {
        return Err(Error::Config("no result file given".into()));
    }
    let figs = figures(runs);
    // Ctrl-C stops a report between its files, never inside one.
    let rendered: Vec<(String, Vec<u8>)> = figs
        .par_iter()
        .map(|f| {
            crate::interrupt::check()?;
            Ok((
                format!("{}.{}", f.name, format.extension()),
                render(f, format)?,
            ))
        })
        .collect::<Result<_>>()?;
    let mut files = Vec::new();
    for (name, bytes) in &rendered {
        crate::interrupt::check()?;
        let path = out.join(name);
        write_atomic(&path, bytes)?;
        files.push(path);
    }
    crate::interrupt::check()?;
    let analyses: Vec<Analysis> = runs.iter().map(analyse).collect();
    let files_view: Vec<_> = analyses
        .iter()
        .map(crate::export::verdicts::AnalysisFile::new)
        .collect();
    let json = serde_json::to_vec_pretty(&files_view).expect("analysis always serialises");
    let analysis_path = out.join("analysis.json");
    write_atomic(&analysis_path, &json)?;
    files.push(analysis_path);
    let images: Vec<String> = rendered.iter().map(|(n, _)| n.clone()).collect();
    let layered = figs
        .par_iter()
        .map(render_layered)
        .collect::<Result<Vec<_>>>()?;
    let html = crate::export::html::report(runs, sources, &analyses, &layered);
    let html_path = out.join("report.html");
    write_atomic(&html_path, html.as_bytes())?;
    files.push(html_path);
    let md = markdown::summary(runs, sources, &analyses, &images);
    let summary_path = out.join("summary.md");
    write_atomic(&summary_path, md.as_bytes())?;
    files.push(summary_path);
    Ok(Report { files, analyses })
}
