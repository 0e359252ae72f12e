//! [`Harness`]: measure your own code across parbench's execution models, from a bench target of
//! your crate, and get the same report as parbench's own workloads (result JSON, charts,
//! `summary.md`, verdicts).
//!
//! ```no_run
//! // benches/scaling.rs; Cargo.toml: [[bench]] name = "scaling", harness = false
//! fn fib(n: u64) -> u64 {
//!     if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
//! }
//!
//! fn main() {
//!     parbench::Harness::new()
//!         .workload("fib-25", |task: u64| fib(25 + task % 3))
//!         .run();
//! }
//! ```
//!
//! `cargo bench` then measures `fib-25` under sequential, threads, thread-pool, rayon,
//! processes, process-pool, async, async-blocking and gil at the worker counts of this machine,
//! and writes `reports/<host>/`. The function gets the task's index and returns the task's
//! checksum: the same index must give the same checksum under every model (the run stops,
//! naming the cell, when it does not), so return something the work computed.
//!
//! Process models run tasks in other processes: they re-execute *this* bench binary, which
//! [`Harness::run`] recognises (`<binary> worker`) before anything else and answers over
//! parbench's framed protocol, so register the same workloads on every start (as `main` above
//! does). CPython's models cannot run Rust code and are skipped with a notice.
//!
//! What this does not do: it does not parse criterion's options (only `--bench`, `--list` and
//! one filter), and it cannot stop a task that never returns in an in-process model (threads,
//! pools, async, gil): the run notices the batch is overdue, names the task and stops, but the
//! thread runs on until the program exits. The process models kill such a worker.

use crate::error::{Error, Result};
use crate::exec::ModelContext;
use crate::machine::MachineInfo;
use crate::model::ModelKind;
use crate::plan::{Preset, RunConfig, WorkloadOverride, WorkloadPlan, default_workers};
use crate::session::Session;
use crate::workload::user::{self, Body, Shape, TaskFuture};
use crate::workload::{WorkloadKind, WorkloadSpec};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// A workload added to a [`Harness`], registered when it runs.
struct Added {
    name: String,
    shape: Shape,
    task_time: Option<Duration>,
    tasks: Option<u64>,
    body: Body,
}

/// Your workloads and how to measure them; [`Harness::run`] measures them. See the module
/// documentation for an example.
#[must_use = "a Harness measures nothing until .run() is called"]
pub struct Harness {
    workloads: Vec<Added>,
    plan: Plan,
    out: Option<PathBuf>,
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
}

impl Harness {
    /// A harness without workloads, measuring with the preset in `PARBENCH_PRESET` (default:
    /// `default`), every model that runs Rust code, at the worker counts of this machine.
    pub fn new() -> Self {
        Harness {
            workloads: Vec::new(),
            plan: Plan::default(),
            out: None,
        }
    }

    fn add(mut self, name: &str, shape: Shape, body: Body) -> Self {
        self.workloads.push(Added {
            name: name.to_string(),
            shape,
            task_time: None,
            tasks: None,
            body,
        });
        self
    }

    /// A compute workload: `f(task)` runs task `task` and returns its checksum.
    pub fn workload<F>(self, name: &str, f: F) -> Self
    where
        F: Fn(u64) -> u64 + Send + Sync + 'static,
    {
        self.add(name, Shape::Compute, Body::Sync(Arc::new(f)))
    }

    /// A workload whose tasks block (sleep, wait for a file or a socket): as
    /// [`Harness::workload`], and the `gil` model releases its lock around each task, as
    /// CPython does around blocking IO.
    pub fn blocking_workload<F>(self, name: &str, f: F) -> Self
    where
        F: Fn(u64) -> u64 + Send + Sync + 'static,
    {
        self.add(name, Shape::Blocking, Body::Sync(Arc::new(f)))
    }

    /// An async workload: `f(task)` returns a future of the task's checksum. The async models
    /// await it on their runtime; the thread and process models run it to completion with a
    /// current-thread runtime of the thread that runs the task.
    pub fn async_workload<F, Fut>(self, name: &str, f: F) -> Self
    where
        F: Fn(u64) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = u64> + Send + 'static,
    {
        let f: Arc<dyn Fn(u64) -> TaskFuture + Send + Sync> =
            Arc::new(move |task| Box::pin(f(task)) as TaskFuture);
        self.add(name, Shape::Async, Body::Async(f))
    }

    /// The time one task of the workload added last takes by construction (a sleep, a
    /// round trip of known length): the ideal time and speedup of a batch, where one is known,
    /// are computed from it.
    pub fn task_time(mut self, time: Duration) -> Self {
        if let Some(w) = self.workloads.last_mut() {
            w.task_time = Some(time);
        }
        self
    }

    /// Tasks per batch of the workload added last (default: [`Harness::tasks`]).
    pub fn task_count(mut self, tasks: u64) -> Self {
        if let Some(w) = self.workloads.last_mut() {
            w.tasks = Some(tasks);
        }
        self
    }

    /// Measures one of parbench's own workloads (`cpu`, `io`, `noop`, `mixed`) beside yours, at
    /// its default size: a reference to read your numbers against (what does a task of mine
    /// cost beyond an empty one? does my compute scale like the multiply loop?).
    pub fn builtin(mut self, workload: WorkloadKind) -> Self {
        self.plan.builtins.push(workload);
        self
    }

    /// The models to run (default: sequential, threads, thread-pool, rayon, processes,
    /// process-pool, async, async-blocking, gil).
    pub fn models(mut self, models: impl IntoIterator<Item = ModelKind>) -> Self {
        self.plan.models = Some(models.into_iter().collect());
        self
    }

    /// The worker counts N (default: 1, 2, 4, … up to twice the logical cores, and the core
    /// counts).
    pub fn workers(mut self, workers: impl IntoIterator<Item = usize>) -> Self {
        self.plan.workers = Some(workers.into_iter().collect());
        self
    }

    /// Tasks per batch (default: twice the largest worker count, at least 16).
    pub fn tasks(mut self, tasks: u64) -> Self {
        self.plan.tasks = Some(tasks);
        self
    }

    /// Recorded samples per cell (default: the preset's).
    pub fn samples(mut self, samples: usize) -> Self {
        self.plan.samples = Some(samples);
        self
    }

    /// The preset whose sampling (samples, warm-up, settle pause) to use when `PARBENCH_PRESET`
    /// is not set.
    pub fn preset(mut self, preset: Preset) -> Self {
        self.plan.preset = Some(preset);
        self
    }

    /// How long one task may run (default: 5 s + 10 × the task's time in the sequential
    /// reference). A process model kills a worker whose task runs longer; an in-process model
    /// cannot stop a thread, so the run stops with an error naming the task once the batch is
    /// past this plus ten times the sequential batch.
    pub fn task_timeout(mut self, timeout: Duration) -> Self {
        self.plan.task_timeout = Some(timeout);
        self
    }

    /// The folder for results and the report when `PARBENCH_OUT` is not set (default:
    /// `reports/<host>/`).
    pub fn out(mut self, dir: impl Into<PathBuf>) -> Self {
        self.out = Some(dir.into());
        self
    }

    /// Measures the workloads with this program's arguments (what `cargo bench` passes:
    /// `--bench`, and an optional filter that keeps the cells whose id, `workload/model/N`,
    /// contains it; `--list` lists the cells; without `--bench`, as under `cargo test --benches`,
    /// every cell runs once to check its checksums and nothing is kept) and exits: 0 when every cell was measured, 1 when
    /// a cell failed, 2 for bad input (a workload name, an unknown argument). Started as
    /// `<binary> worker` by a process model, it serves tasks instead.
    pub fn run(self) -> ! {
        let args: Vec<String> = std::env::args().skip(1).collect();
        std::process::exit(self.run_with_args(&args))
    }

    /// [`Harness::run`] with these arguments; returns the exit code instead of exiting.
    pub fn run_with_args(self, args: &[String]) -> i32 {
        let fail = |e: &Error| {
            eprintln!("parbench: error: {e}");
            e.exit_code()
        };
        let mut kinds = Vec::new();
        for w in self.workloads {
            let nominal = w.task_time.map(|t| t.as_secs_f64());
            match user::register(&w.name, w.shape, nominal, w.body) {
                Ok(u) => kinds.push((u, w.tasks)),
                Err(e) => return fail(&Error::Config(e)),
            }
        }
        // A user's task that panics is reported once, naming it, not by the default hook.
        crate::spawn::install_quiet_hook();
        if args == ["worker"] {
            return crate::worker::worker_main();
        }
        if args == ["serve"] {
            // `parbench ab` drives this bench: it serves cells of its own plan.
            let machine = MachineInfo::detect();
            return match self.plan.config(&machine, &kinds, None) {
                Ok(c) => crate::serve::serve_main(c.workloads),
                Err(e) => fail(&e),
            };
        }
        let Args {
            bench,
            list,
            filter,
        } = match parse_args(args) {
            Ok(a) => a,
            Err(e) => return fail(&e),
        };
        if kinds.is_empty() && self.plan.builtins.is_empty() {
            return fail(&Error::Config(
                "no workload: add one with .workload(name, f) before .run()".into(),
            ));
        }
        let machine = MachineInfo::detect();
        let mut config = match self.plan.config(&machine, &kinds, filter.as_deref()) {
            Ok(c) => c,
            Err(e) => return fail(&e),
        };
        if list {
            let keys: String = config
                .cells()
                .iter()
                .map(|c| format!("{}\n", c.key()))
                .collect();
            return match crate::console::out(&keys) {
                Ok(()) | Err(Error::OutputClosed) => 0,
                Err(e) => fail(&e),
            };
        }
        // Without --bench (`cargo test --benches`, or the binary run by hand), as criterion does:
        // every cell once, checksums checked, nothing kept.
        let scratch = if bench {
            None
        } else {
            (config.samples, config.warmup, config.settle_ms) = (1, 0, 0);
            match tempfile::tempdir() {
                Ok(d) => Some(d),
                Err(io) => {
                    return fail(&Error::Write {
                        path: std::env::temp_dir(),
                        io,
                    });
                }
            }
        };
        let dir = match &scratch {
            Some(d) => d.path().to_path_buf(),
            None => std::env::var_os("PARBENCH_OUT")
                .map(PathBuf::from)
                .or(self.out)
                .unwrap_or_else(|| Path::new("reports").join(&machine.host_slug)),
        };
        let exe = match std::env::current_exe() {
            Ok(exe) => exe,
            Err(io) => {
                return fail(&Error::WorkerNotFound(format!(
                    "this program's own path: {io}"
                )));
            }
        };
        let session = Session {
            machine: &machine,
            config: &config,
            dir: &dir,
            what: "your workloads",
            ctx: ModelContext {
                worker_exe: Some(exe),
                ..Default::default()
            },
        };
        let measured = match session.measure() {
            Ok(m) => m,
            Err(e) => return fail(&e),
        };
        if !bench {
            eprintln!(
                "parbench: test mode (no --bench): {} cells ran once, every checksum agrees; `cargo bench` measures",
                measured.results.cells.len()
            );
            return 0;
        }
        // A closed stdout does not stop the report: its files are written all the same.
        let printed = measured.print_results();
        let report = match measured.report(crate::chart::render::Format::Png) {
            Ok(r) => r,
            Err(e) => return fail(&e),
        };
        match printed.and_then(|()| crate::session::print_verdicts(&report)) {
            Ok(()) | Err(Error::OutputClosed) => {}
            Err(e) => return fail(&e),
        }
        eprintln!(
            "parbench: report ({} files) in {}; open {}",
            report.files.len(),
            dir.display(),
            dir.join("summary.md").display()
        );
        if measured.results.failures.is_empty() {
            0
        } else {
            eprintln!(
                "parbench: error: {} cell(s) failed: {}",
                measured.results.failures.len(),
                measured.results.failures.join("; ")
            );
            1
        }
    }
}

/// What the command line asks for.
#[derive(Debug, Default, PartialEq)]
struct Args {
    /// `--bench`, which `cargo bench` passes: measure. Without it, test mode.
    bench: bool,
    /// `--list`: list the cells.
    list: bool,
    /// Keep the cells whose id contains this.
    filter: Option<String>,
}

fn parse_args(args: &[String]) -> Result<Args> {
    let (mut bench, mut list, mut filter) = (false, false, None);
    for a in args {
        match a.as_str() {
            // What cargo passes to every bench binary.
            "--bench" => bench = true,
            "--list" => list = true,
            s if s.starts_with('-') => {
                return Err(Error::Config(format!(
                    "unknown argument '{s}' (this bench takes --bench, --list and one filter)"
                )));
            }
            s if filter.is_none() => filter = Some(s.to_string()),
            s => {
                return Err(Error::Config(format!(
                    "a second filter '{s}': give at most one"
                )));
            }
        }
    }
    Ok(Args {
        bench,
        list,
        filter,
    })
}

/// What the builder set, turned into a run's plan by [`Plan::config`].
#[derive(Default)]
struct Plan {
    models: Option<Vec<ModelKind>>,
    workers: Option<Vec<usize>>,
    tasks: Option<u64>,
    samples: Option<usize>,
    preset: Option<Preset>,
    builtins: Vec<WorkloadKind>,
    task_timeout: Option<Duration>,
}

impl Plan {
    fn config(
        self,
        machine: &MachineInfo,
        workloads: &[(user::UserRef, Option<u64>)],
        filter: Option<&str>,
    ) -> Result<RunConfig> {
        let preset = match std::env::var_os(crate::plan::PRESET_ENV) {
            Some(_) => crate::plan::preset_from_env()?,
            None => self.preset.unwrap_or(Preset::Default),
        };
        let mut c = preset.config(machine);
        let mut models = self.models.unwrap_or_else(ModelKind::in_presets);
        let mut seen = Vec::new();
        models.retain(|m| {
            let new = !seen.contains(m);
            seen.push(*m);
            new
        });
        if let Some(m) = models.iter().find(|m| m.tcp_only()) {
            let can: Vec<&str> = ModelKind::ALL
                .iter()
                .filter(|m| !m.tcp_only() && !m.is_python())
                .map(|m| m.name())
                .collect();
            return Err(Error::Config(format!(
                "{m} is an echo-server design: it cannot run a Rust function (models: {})",
                can.join(", ")
            )));
        }
        models.retain(|m| {
            let python = m.is_python();
            if python {
                eprintln!("parbench: skipping {m}: CPython's models cannot run a Rust function");
            }
            !python
        });
        if !models.contains(&ModelKind::Sequential) {
            // The speedup baseline.
            models.insert(0, ModelKind::Sequential);
        }
        c.models = models;
        c.workers = self.workers.unwrap_or_else(|| default_workers(machine));
        let most = c.workers.iter().copied().max().unwrap_or(1) as u64;
        if let Some(w) = self.builtins.iter().find(|w| w.over_network()) {
            return Err(Error::Config(format!(
                "{w} runs on echo-server designs, not on the models of your workloads"
            )));
        }
        c.workloads = self
            .builtins
            .iter()
            .map(|&w| WorkloadPlan::sized(w, most, 800))
            .chain(workloads.iter().map(|&(u, tasks)| WorkloadPlan {
                spec: WorkloadSpec::User(u),
                tasks: tasks.or(self.tasks).unwrap_or(16u64.max(2 * most)),
            }))
            .collect();
        if let Some(s) = self.samples {
            c.samples = s;
        }
        if let Some(t) = self.task_timeout {
            c.task_timeout_s = Some(t.as_secs_f64());
        }
        c.per_workload = Vec::new();
        c.validate()?;
        if let Some(f) = filter {
            narrow(&mut c, f)?;
        }
        Ok(c)
    }
}

/// Keeps the cells whose id contains `filter` (and every workload's sequential baseline): the
/// workloads, models and worker counts of the matching cells.
fn narrow(c: &mut RunConfig, filter: &str) -> Result<()> {
    let kept: Vec<_> = c
        .cells()
        .into_iter()
        .filter(|cell| !cell.model.is_baseline() && cell.key().to_string().contains(filter))
        .collect();
    if kept.is_empty() {
        return Err(Error::Config(format!(
            "no cell matches the filter '{filter}' (cells are named workload/model/N; --list lists them)"
        )));
    }
    let workloads: Vec<WorkloadKind> = c
        .workloads
        .iter()
        .map(|w| w.spec.kind())
        .filter(|k| kept.iter().any(|cell| cell.workload.spec.kind() == *k))
        .collect();
    c.workloads.retain(|w| workloads.contains(&w.spec.kind()));
    c.per_workload = workloads
        .iter()
        .map(|&w| {
            let mine = || {
                kept.iter()
                    .filter(move |cell| cell.workload.spec.kind() == w)
            };
            let mut models = vec![ModelKind::Sequential];
            let mut workers = Vec::new();
            for cell in mine() {
                if !models.contains(&cell.model) {
                    models.push(cell.model);
                }
                if !workers.contains(&cell.workers) {
                    workers.push(cell.workers);
                }
            }
            WorkloadOverride {
                workload: w,
                models: Some(models),
                workers: Some(workers),
            }
        })
        .collect();
    c.validate()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_what_cargo_bench_passes() {
        let a = |v: &[&str]| parse_args(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        let args = |bench, list, filter: Option<&str>| Args {
            bench,
            list,
            filter: filter.map(String::from),
        };
        assert_eq!(a(&["--bench"]).unwrap(), args(true, false, None));
        assert_eq!(
            a(&["--bench", "hash"]).unwrap(),
            args(true, false, Some("hash"))
        );
        assert_eq!(a(&["--list"]).unwrap(), args(false, true, None));
        assert_eq!(a(&[]).unwrap(), args(false, false, None));
        assert!(
            a(&["--nocapture"])
                .unwrap_err()
                .to_string()
                .contains("'--nocapture'")
        );
        assert!(a(&["x", "y"]).unwrap_err().to_string().contains("'y'"));
    }
}
