//! The command-line definition (clap) and nothing else: parsing produces these structs, `main`
//! turns them into library calls.

use clap::{Args, Parser, Subcommand};
use parbench::chart::render::Format;
use parbench::compare::Metric;
use parbench::export::services::ServiceFormat;
use parbench::model::ModelKind;
use parbench::plan::{OnError, Preset, StartMethod};
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
    Run(Box<RunArgs>),
    /// Draw charts and write summary.md from one or more result files (several: compare machines).
    Report(ReportArgs),
    /// Measure the pool size a task of X ms compute + Y ms waiting wants, per model, next to the
    /// textbook estimate cores × (1 + wait/compute).
    Advise(AdviseArgs),
    /// Make a result file the baseline for `compare` / the CI gate (never replaces an existing
    /// baseline without --force).
    Baseline(BaselineArgs),
    /// How the models cope with uneven tasks: one run per task-size distribution at one N, the
    /// makespans side by side (skew.png, skew.md) and the model that copes best.
    Skew(SkewArgs),
    /// Compare two result files cell by cell; exit 1 if any cell regressed.
    Compare(CompareArgs),
    /// Paired A/B run of two harness binaries (two parbench builds, or two builds of a bench on
    /// parbench::Harness), interleaved round by round; exit 1 if any cell regressed.
    Ab(Box<AbArgs>),
    /// Write a result file as CSV, Markdown, or a continuous-benchmarking service's format.
    Export(ExportArgs),
    /// Fit the Universal Scalability Law to your own measurements (lines `N,throughput`) and
    /// predict throughput at other N.
    Fit(FitArgs),
    /// The lesson's synchronisation chapter shown live: `deadlock` (two locks in opposite
    /// orders, the cure, the re-entrant lock), never hanging.
    Lesson {
        #[command(subcommand)]
        which: LessonCommand,
    },
    /// Show the detected machine: CPU, cores, memory, OS.
    Info {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Internal: serve tasks for process-based models over stdin/stdout.
    #[command(hide = true)]
    Worker,
    /// Internal: serve whole cells for `parbench ab` over stdin/stdout.
    #[command(hide = true)]
    Serve,
    /// Internal: the tcp-echo server of one design, on 127.0.0.1 and an ephemeral port.
    #[command(hide = true)]
    EchoServer {
        /// blocking-threads, nonblocking-poll, multiplexing, async, signal-driven or io-uring.
        #[arg(long)]
        model: String,
    },
}

/// The lesson's demonstrations.
#[derive(Debug, Subcommand)]
pub enum LessonCommand {
    /// Two threads take two locks in opposite orders and deadlock (seen with timeouts, never a
    /// hang); then the cure, one lock order; then the re-entrant lock.
    Deadlock {
        /// How long each wait for a lock may last, milliseconds.
        #[arg(long, default_value_t = 500)]
        timeout_ms: u64,
    },
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Starting point; explicit options below override its values.
    #[arg(long, default_value = "default")]
    pub preset: Preset,
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Measure a program instead of parbench's workloads: a task runs CMD once (through
    /// --shell; `{task}` in CMD becomes the task index, also in $PARBENCH_TASK). Repeat for
    /// several; runs on sequential, thread-pool and async unless --models says otherwise.
    #[arg(long = "command", value_name = "CMD")]
    pub commands: Vec<String>,
    /// Names of the --command workloads, in order [default: each program's name].
    #[arg(long = "name", value_name = "NAME")]
    pub names: Vec<String>,
    /// The shell that runs --command, --setup and --prepare as `SHELL -c CMD`, or `none` to run
    /// them directly, split into words.
    #[arg(long, default_value = "sh")]
    pub shell: String,
    /// A command run once per cell before its first batch, untimed.
    #[arg(long, value_name = "CMD")]
    pub setup: Option<String>,
    /// A command run before every batch, untimed.
    #[arg(long, value_name = "CMD")]
    pub prepare: Option<String>,
    /// Hash each task's stdout into its checksum: the same task must print the same output in
    /// every batch (otherwise output is discarded).
    #[arg(long)]
    pub check_output: bool,
    #[command(flatten)]
    pub params: WorkloadFlags,
    /// Sample until every cell's median interval (and speedup interval) is within this
    /// fraction of its value: "3%" or 0.03. --samples is then the minimum.
    #[arg(long, value_parser = parse_fraction)]
    pub precision: Option<f64>,
    /// The run's time budget ("60s", "5m", "2h"): no extra --precision round starts that would
    /// end past it, and a plan estimated beyond it is refused (unless --force).
    #[arg(long, value_parser = parse_duration_s)]
    pub time_budget: Option<f64>,
    /// Start a plan estimated beyond 24 h or beyond --time-budget anyway.
    #[arg(long)]
    pub force: bool,
    /// How long a `gil` thread computes before a waiting thread gets the lock, milliseconds.
    #[arg(long)]
    pub switch_interval_ms: Option<u64>,
    /// How `processes` starts its children (comma-separated for both): spawn (a fresh
    /// `parbench worker`, model `processes`) or fork (model `processes-fork`).
    #[arg(long, value_delimiter = ',')]
    pub start_method: Option<Vec<StartMethod>>,
    /// What a failing cell (a worker that dies, hangs or garbles its answer) does: stop the run,
    /// or skip the cell and finish the others; either way the exit code is non-zero.
    #[arg(long)]
    pub on_error: Option<OnError>,
    /// Stack size of each thread of the thread-based models: bytes, or e.g. 256k, 8m
    /// [default: 2m].
    #[arg(long, value_parser = parbench::limits::parse_stack_size)]
    pub stack_size: Option<usize>,
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

/// The workloads' own parameters; each workload takes those that are its own.
#[derive(Debug, Args)]
pub struct WorkloadFlags {
    /// Multiply steps per cpu task.
    #[arg(long)]
    pub iterations: Option<u64>,
    /// Sleep per io task (and per semaphore task), milliseconds.
    #[arg(long)]
    pub sleep_ms: Option<u64>,
    /// Bytes per tcp-echo message.
    #[arg(long)]
    pub message_bytes: Option<u64>,
    /// How contention's tasks synchronise their updates of the shared counter: mutex,
    /// parking-lot, rwlock, atomic, sharded, or racy (none: loses updates).
    #[arg(long)]
    pub sync: Option<parbench::workload::contention::Sync>,
    /// Updates of contention's shared counter per task.
    #[arg(long)]
    pub updates: Option<u64>,
    /// Permits of the semaphore workload: tasks that may sleep at once.
    #[arg(long)]
    pub permits: Option<u64>,
    /// The event workload's waiters give the signal themselves after this long without a new
    /// arrival (a model that cannot hold every waiter at once), milliseconds.
    #[arg(long)]
    pub signal_after_ms: Option<u64>,
    /// Compute per mixed task, milliseconds (calibrated into multiplies on this machine).
    #[arg(long)]
    pub cpu_ms: Option<u64>,
    /// Sleep per mixed task, milliseconds.
    #[arg(long)]
    pub io_ms: Option<u64>,
    /// The pipeline's queue: std (sync_channel), crossbeam (bounded) or tokio (mpsc).
    #[arg(long)]
    pub queue: Option<parbench::workload::pipeline::Queue>,
    /// Items the pipeline's queue holds at most.
    #[arg(long)]
    pub capacity: Option<u64>,
    /// Items per pipeline batch.
    #[arg(long)]
    pub items: Option<u64>,
    /// The work of one pipeline item, microseconds (calibrated into multiplies; 0: the queue
    /// alone).
    #[arg(long)]
    pub item_us: Option<u64>,
    /// The pipeline's producers (at most N − 1; the other workers consume).
    #[arg(long)]
    pub producers: Option<u64>,
    /// How the pipeline's consumers learn the items are done: sentinel (one end marker per
    /// consumer) or close (the producers close the queue).
    #[arg(long)]
    pub shutdown: Option<parbench::workload::pipeline::Shutdown>,
    /// How the sizes of cpu, io and mixed tasks spread around their mean (which stays the
    /// same): uniform, exp, pareto[:ALPHA] (ALPHA > 1, default 1.5) or bimodal[:P:RATIO] (a
    /// share P of the tasks RATIO times the others, default 0.1:10).
    #[arg(long, value_name = "DIST")]
    pub task_sizes: Option<parbench::workload::sizes::Dist>,
    /// The order cpu, io and mixed tasks are handed out in: submit, shortest-first,
    /// longest-first or random.
    #[arg(long)]
    pub order: Option<parbench::workload::sizes::Order>,
    /// The seed of --task-sizes and of --order random [default: 1].
    #[arg(long)]
    pub size_seed: Option<u64>,
}

impl WorkloadFlags {
    /// As the library takes them.
    pub fn params(&self) -> parbench::workload::Params {
        parbench::workload::Params {
            iterations: self.iterations,
            sleep_ms: self.sleep_ms,
            message_bytes: self.message_bytes,
            sync: self.sync,
            updates: self.updates,
            permits: self.permits,
            signal_after_ms: self.signal_after_ms,
            cpu_ms: self.cpu_ms,
            io_ms: self.io_ms,
            queue: self.queue,
            capacity: self.capacity,
            items: self.items,
            item_us: self.item_us,
            producers: self.producers,
            shutdown: self.shutdown,
            task_sizes: self.task_sizes,
            order: self.order,
            size_seed: self.size_seed,
        }
    }
}

#[derive(Debug, Args)]
pub struct SkewArgs {
    /// The workload whose tasks take a size: cpu, io or mixed.
    #[arg(long, default_value = "cpu")]
    pub workload: WorkloadKind,
    /// The size distributions to compare (comma-separated; see `run --task-sizes`).
    #[arg(long = "task-sizes", value_delimiter = ',', default_value = parbench::skew::DEFAULT_DISTS)]
    pub dists: Vec<parbench::workload::sizes::Dist>,
    /// The models to compare (comma-separated); sequential always runs too (the ideal)
    /// [default: static-split, thread-pool, rayon].
    #[arg(long, value_delimiter = ',')]
    pub models: Option<Vec<ModelKind>>,
    /// N, one worker count [default: the physical cores].
    #[arg(long)]
    pub workers: Option<usize>,
    /// Tasks per batch.
    #[arg(long, default_value_t = 48)]
    pub tasks: u64,
    /// Multiply steps per cpu task (the mean).
    #[arg(long, default_value_t = 2_000_000)]
    pub iterations: u64,
    /// Sleep per io task (the mean), milliseconds.
    #[arg(long)]
    pub sleep_ms: Option<u64>,
    /// Compute per mixed task (the mean), milliseconds.
    #[arg(long)]
    pub cpu_ms: Option<u64>,
    /// Sleep per mixed task (the mean), milliseconds.
    #[arg(long)]
    pub io_ms: Option<u64>,
    /// The order tasks are handed out in: submit, shortest-first, longest-first or random.
    #[arg(long)]
    pub order: Option<parbench::workload::sizes::Order>,
    /// The seed of the sizes and of --order random [default: 1].
    #[arg(long)]
    pub size_seed: Option<u64>,
    /// Recorded samples per cell.
    #[arg(long, default_value_t = 7)]
    pub samples: usize,
    /// Folder for the runs, skew.md and skew.png [default: reports/<host>/skew].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Do not draw skew.png or write skew.md.
    #[arg(long)]
    pub no_report: bool,
}

#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// The result file to promote (must be a complete run).
    pub result: PathBuf,
    /// Where the baseline goes.
    #[arg(default_value = "reports/baselines/ci-quick.json")]
    pub baseline: PathBuf,
    /// Replace an existing baseline.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct AdviseArgs {
    /// Compute per task, milliseconds.
    #[arg(long)]
    pub cpu_ms: u64,
    /// Waiting (sleep) per task, milliseconds.
    #[arg(long)]
    pub io_ms: u64,
    /// Tasks per batch [default: 64, or twice the largest worker count].
    #[arg(long)]
    pub tasks: Option<u64>,
    /// Models to compare (comma-separated) [default: thread-pool, async, async-blocking, gil,
    /// process-pool].
    #[arg(long, value_delimiter = ',')]
    pub models: Option<Vec<ModelKind>>,
    /// Recorded samples per cell.
    #[arg(long, default_value_t = 5)]
    pub samples: usize,
    /// Folder for the result file and the report [default: reports/<host>/advise].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Do not draw charts or write summary.md.
    #[arg(long)]
    pub no_report: bool,
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

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The reference result file.
    pub baseline: PathBuf,
    /// The result file to judge.
    pub current: PathBuf,
    /// What to compare: time (same machine only), speedup or efficiency.
    #[arg(long, default_value = "speedup")]
    pub metric: Metric,
    /// Smallest change that counts: "10%", "0.1" or "10" (a bare number of 1 or more is a
    /// percentage).
    #[arg(long, default_value = "10%", value_parser = parse_fraction)]
    pub threshold: f64,
    /// Significance level of the Mann–Whitney test.
    #[arg(long, default_value_t = 0.05)]
    pub alpha: f64,
    /// Output: table, markdown, html (a self-contained page) or json.
    #[arg(long, default_value = "table")]
    pub format: CompareFormat,
    /// Compare absolute times of different machines anyway.
    #[arg(long)]
    pub allow_machine_mismatch: bool,
}

/// What to run: the options `run` and `ab` share.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Workloads to run (comma-separated): cpu, io, noop, mixed, tcp-echo.
    #[arg(long = "workload", visible_alias = "workloads", value_delimiter = ',')]
    pub workloads: Option<Vec<WorkloadKind>>,
    #[arg(long, value_delimiter = ',', help = models_help(), long_help = models_long_help())]
    pub models: Option<Vec<ModelKind>>,
    /// Worker counts N (comma-separated); default 1, 2, 4, … up to 2× the logical cores, plus
    /// the physical and logical counts.
    #[arg(long, value_delimiter = ',')]
    pub workers: Option<Vec<usize>>,
    /// Tasks per batch, for every selected workload.
    #[arg(long)]
    pub tasks: Option<u64>,
    /// Recorded samples per cell.
    #[arg(long)]
    pub samples: Option<usize>,
    /// Unrecorded warm-up batches per cell.
    #[arg(long)]
    pub warmup: Option<usize>,
    /// Untimed pause before every batch, milliseconds (lets the previous cell settle).
    #[arg(long)]
    pub settle_ms: Option<u64>,
    /// Seconds one task may run in a worker process before it is killed [default: 5 + 10 × the
    /// expected task time].
    #[arg(long)]
    pub task_timeout: Option<f64>,
}

#[derive(Debug, Args)]
pub struct AbArgs {
    /// The baseline program: a parbench binary, or a bench binary built on parbench::Harness.
    pub baseline: PathBuf,
    /// The candidate program, of the same kind.
    pub current: PathBuf,
    /// Starting point of the plan (parbench binaries; a user's bench brings its workloads).
    #[arg(long, default_value = "quick")]
    pub preset: Preset,
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Smallest change that counts: "5%", "0.05" or "5" (a bare number of 1 or more is a
    /// percentage).
    #[arg(long, default_value = "5%", value_parser = parse_fraction)]
    pub threshold: f64,
    /// Significance level of the signed-rank test.
    #[arg(long, default_value_t = 0.05)]
    pub alpha: f64,
    /// Output: table, markdown, html (a self-contained page) or json.
    #[arg(long, default_value = "table")]
    pub format: CompareFormat,
    /// Where the result file goes (ab-<time>.json and latest-ab.json).
    #[arg(long, default_value = "target/parbench-ab")]
    pub out: PathBuf,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum CompareFormat {
    Table,
    Markdown,
    /// A self-contained HTML page, changed cells highlighted.
    Html,
    Json,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The result file.
    pub file: PathBuf,
    /// bencher (Bencher Metric Format), github-action-benchmark (customSmallerIsBetter), csv
    /// (one row per cell: medians, intervals, speedups, CPU time, RSS) or markdown.
    #[arg(long)]
    pub format: ServiceFormat,
    /// Write here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct FitArgs {
    /// A CSV file of `N,throughput` lines (a header line and `#` comments allowed).
    pub file: PathBuf,
    /// Predict the throughput at these N (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub predict: Vec<f64>,
    /// text or json.
    #[arg(long, default_value = "text")]
    pub format: FitFormat,
}

/// How `parbench fit` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FitFormat {
    /// Sentences.
    Text,
    /// `{"sigma": …, "kappa": …, "lambda": …, "peak_n": …, "peak_throughput": …, "predictions": [[n, x], …]}`.
    Json,
}

/// "60s", "5m", "1h 30m" → seconds.
fn parse_duration_s(s: &str) -> Result<f64, String> {
    humantime::parse_duration(s)
        .map(|d| d.as_secs_f64())
        .map_err(|e| format!("'{s}' is not a duration like 60s, 5m or 2h: {e}"))
}

/// "10%" → 0.10, "0.1" → 0.1, "10" → 0.10 (a plain number above 1 is a percentage).
fn parse_fraction(s: &str) -> Result<f64, String> {
    let (num, percent) = match s.strip_suffix('%') {
        Some(n) => (n, true),
        None => (s, false),
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a number or percentage"))?;
    // "5%" and "5" are percentages; "0.05", a bare number below 1, is a fraction (so "1" is
    // 1%, as "2" is 2%).
    let v = if percent || v >= 1.0 { v / 100.0 } else { v };
    if !(0.0..=10.0).contains(&v) {
        return Err(format!("'{s}' is out of range"));
    }
    Ok(v)
}

/// `--models` help, from the model table: every name; for tcp-echo the server designs.
fn models_help() -> String {
    let names = |ms: Vec<ModelKind>| ms.iter().map(|m| m.name()).collect::<Vec<_>>().join(", ");
    format!(
        "Models to run (comma-separated): {}; for tcp-echo the server designs {}",
        names(
            ModelKind::ALL
                .iter()
                .copied()
                .filter(|m| !m.tcp_only())
                .collect()
        ),
        names(parbench::net::EchoServer::models())
    )
}

/// `--models` long help: one line per model, from its row.
fn models_long_help() -> String {
    let lines: Vec<String> = ModelKind::ALL
        .iter()
        .map(|m| format!("  {:<18} {}", m.name(), m.spec().summary))
        .collect();
    format!(
        "Models to run (comma-separated); default: the preset's.\n{}",
        lines.join("\n")
    )
}
