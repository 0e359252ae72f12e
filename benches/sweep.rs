//! The `cargo bench` sweep: runs the preset in `$PARBENCH_PRESET` (default `default`) with
//! parbench's own runner and leaves a complete report in `reports/<host>/` (or `$PARBENCH_OUT`):
//! the result JSON, the charts, `analysis.json` and `summary.md`. When criterion's estimates for
//! the same cells exist under `target/criterion`, it prints them beside the sweep's medians.
//!
//! cargo passes criterion's options to every bench binary; this one ignores them, and when a
//! filter is given (`cargo bench -- cpu/rayon`) it runs only if the filter matches "sweep".

use parbench::chart::render::Format;
use parbench::export::fmt_duration;
use parbench::machine::MachineInfo;
use parbench::model::ModelContext;
use parbench::plan::preset_from_env;
use parbench::result::RunResults;
use parbench::session::Session;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// criterion options that take a value (the value is not a filter).
const VALUED: &[&str] = &[
    "-c",
    "--color",
    "-s",
    "--save-baseline",
    "-b",
    "--baseline",
    "--baseline-lenient",
    "--load-baseline",
    "--sample-size",
    "--warm-up-time",
    "--measurement-time",
    "--nresamples",
    "--noise-threshold",
    "--confidence-level",
    "--significance-level",
    "--profile-time",
    "--plotting-backend",
    "--output-format",
    "--format",
];

fn filters() -> Vec<String> {
    let mut out = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if VALUED.contains(&a.as_str()) {
            args.next();
        } else if !a.starts_with('-') {
            out.push(a);
        }
    }
    out
}

fn main() -> ExitCode {
    let filters = filters();
    if !filters.is_empty() && !filters.iter().any(|f| "sweep".contains(f.as_str())) {
        return ExitCode::SUCCESS;
    }
    match sweep() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("parbench sweep: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn sweep() -> anyhow::Result<()> {
    let machine = MachineInfo::detect();
    let preset = preset_from_env()?;
    let config = preset.config(&machine);
    let dir = std::env::var_os("PARBENCH_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new("reports").join(&machine.host_slug));
    let t0 = Instant::now();
    let measured = Session {
        machine: &machine,
        config: &config,
        dir: &dir,
        what: &format!("sweep of preset {preset}"),
        ctx: ModelContext {
            worker_exe: Some(env!("CARGO_BIN_EXE_parbench").into()),
            ..Default::default()
        },
    }
    .measure()?;
    let took = t0.elapsed();
    let _ = measured.print_results();
    let report = measured.report_and_verdicts(Format::Png)?;
    print_criterion_comparison(&measured.results);
    println!(
        "\nparbench sweep: measured in {:.0} s; report in {} ({} files): {}",
        took.as_secs_f64(),
        dir.display(),
        report.files.len(),
        dir.join("summary.md").display()
    );
    Ok(())
}

/// criterion's median estimate (seconds per batch) for a cell, if it has one.
fn criterion_median(root: &Path, group: &str, n: usize) -> Option<f64> {
    let path = root
        .join(group.replace('/', "_"))
        .join(n.to_string())
        .join("new/estimates.json");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    Some(v["median"]["point_estimate"].as_f64()? / 1e9)
}

fn print_criterion_comparison(r: &RunResults) {
    let root = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"))
        .join("criterion");
    let rows: Vec<String> = r
        .cells
        .iter()
        .filter_map(|c| {
            let crit = criterion_median(&root, &format!("{}/{}", c.workload, c.model), c.workers)?;
            let inside = c.median_ci_s[0] <= crit && crit <= c.median_ci_s[1];
            Some(format!(
                "{:<22} {:>10} {:>12} {:>8.3} {}",
                c.key().to_string(),
                fmt_duration(c.median_s),
                fmt_duration(crit),
                crit / c.median_s,
                if inside { "within the sweep's CI" } else { "" }
            ))
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    println!(
        "\ncriterion (target/criterion, last run) against this sweep:\n{:<22} {:>10} {:>12} {:>8}",
        "cell", "sweep", "criterion", "ratio"
    );
    for row in rows {
        println!("{row}");
    }
}
