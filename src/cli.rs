//! The command-line definition (clap) and nothing else: parsing produces these structs, `main`
//! turns them into library calls.

use clap::{Args, Parser, Subcommand};
use parbench::chart::render::Format;
use parbench::model::ModelKind;
use parbench::plan::Preset;
use parbench::workload::WorkloadKind;
use std::path::PathBuf;

/// Measure how CPU-bound and IO-bound work scale across concurrency models on this machine.
#[derive(Debug, Parser)]
#[command(name = "parbench", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Measure workloads × models × worker counts and write a JSON result file.
    Run(RunArgs),
    /// Draw charts and write summary.md from one or more result files (several: compare machines).
    Report(ReportArgs),
    /// Show the detected machine: CPU, cores, memory, OS.
    Info {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Internal: serve tasks for process-based models over stdin/stdout.
    #[command(hide = true)]
    Worker,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Starting point; explicit options below override its values.
    #[arg(long, default_value = "default")]
    pub preset: Preset,
    /// Workloads to run (comma-separated): cpu, io, noop.
    #[arg(long = "workload", visible_alias = "workloads", value_delimiter = ',')]
    pub workloads: Option<Vec<WorkloadKind>>,
    /// Models to run (comma-separated): sequential, threads, thread-pool, rayon, processes,
    /// process-pool.
    #[arg(long, value_delimiter = ',')]
    pub models: Option<Vec<ModelKind>>,
    /// Worker counts N (comma-separated); default 1, 2, 4, … up to 2× the logical cores, plus
    /// the physical and logical counts.
    #[arg(long, value_delimiter = ',')]
    pub workers: Option<Vec<usize>>,
    /// Tasks per batch, for every selected workload.
    #[arg(long)]
    pub tasks: Option<u64>,
    /// Multiply steps per cpu task.
    #[arg(long)]
    pub iterations: Option<u64>,
    /// Sleep per io task, milliseconds.
    #[arg(long)]
    pub sleep_ms: Option<u64>,
    /// Recorded samples per cell.
    #[arg(long)]
    pub samples: Option<usize>,
    /// Unrecorded warm-up batches per cell.
    #[arg(long)]
    pub warmup: Option<usize>,
    /// Folder for the result files and the report [default: reports/<host>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Name of this run in charts that compare machines [default: the hostname].
    #[arg(long)]
    pub label: Option<String>,
    /// Do not draw charts or write summary.md after the run.
    #[arg(long)]
    pub no_report: bool,
    /// Chart format of the report.
    #[arg(long, default_value = "png")]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Result files (JSON written by `parbench run`); several files are compared as machines.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Output folder [default: the folder of the file if one, else reports/machines].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Chart format.
    #[arg(long, default_value = "png")]
    pub format: Format,
}
