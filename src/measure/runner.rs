//! Runs a [`RunConfig`]: starts every executor (pools outside the timed region, their start-up
//! timed apart), then measures the cells in rounds. Each round runs every cell once, in a freshly
//! shuffled order, so slow drift of the machine (thermal, other tenants) spreads over all models
//! instead of favouring the ones measured first. The first `warmup` rounds are not recorded.
//! Before every batch the runner pauses `settle_ms` (untimed): without it, a thread-per-task
//! batch that followed other cells measured 10–15% slower on 2 cores, because the recently busy
//! threads of the previous cell still weighed on the kernel's load averages when it placed the
//! new threads.
//! Every batch's checksum is checked against the sequential reference; a mismatch stops the run.
//!
//! Results are handed to an [`Observer`] as checkpoints (at least once a second and after every
//! round, and before an error is returned), so a run that is interrupted or fails keeps what it
//! measured. After every round a fixed reference loop is timed a few times (the noise probe), so
//! comparisons know how noisy the machine was. The runner never prints or writes files itself.

use crate::error::{Error, Result};
use crate::machine::MachineInfo;
use crate::measure::estimate::{Estimate, estimate};
use crate::model::{Executor, ModelContext, ModelKind};
use crate::plan::{CellKey, CellSpec, MAX_SAMPLES, OnError, RunConfig};
use crate::result::{CellResult, NoiseProbe, RawCell, RunResults, SCHEMA_VERSION, derive};
use crate::usage::{Usage, Who, current_peak_rss_kib, reset_peak_rss, usage};
use crate::workload::{MultiplyLoop, Workload, WorkloadKind};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::time::{Duration, Instant, SystemTime};

/// Receives progress and checkpoints from [`run`]. Every method has a do-nothing default.
pub trait Observer {
    /// The plan passed its checks; this is how long it should take (before anything runs).
    fn planned(&mut self, _estimate: &Estimate) {}
    /// The run is about to start `total_batches` timed batches (warm-up included), as
    /// estimated again from the reference checksums' timings.
    fn started(&mut self, _total_batches: usize, _estimate: &Estimate) {}
    /// A pool is being started (before any batch).
    fn starting_model(&mut self, _model: ModelKind, _workers: usize) {}
    /// Something the user should know that is not an error (a model skipped on this machine).
    fn notice(&mut self, _message: &str) {}
    /// Sampling until precise adds a round of these cells' batches.
    fn more(&mut self, _cells: &[CellKey]) {}
    /// One batch of `cell` finished in round `round` (0-based; rounds below `warmup` are warm-up).
    fn batch_done(&mut self, _cell: &CellSpec, _round: usize, _wall_s: f64) {}
    /// The results so far; save them if they should survive an interruption.
    fn checkpoint(&mut self, _results: &RunResults) -> Result<()> {
        Ok(())
    }
}

/// An observer that ignores everything.
pub struct Silent;
impl Observer for Silent {}

/// The current time as RFC 3339 UTC, seconds precision.
pub fn now_utc() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

/// The noise probe: this many multiplies (about 1.5 ms on a 2 GHz core), timed this many times
/// after every round, between the cells.
const PROBE_ITERATIONS: u64 = 1_000_000;
const PROBES_PER_ROUND: usize = 3;

/// One timed batch.
pub(crate) struct Measured {
    pub(crate) wall_s: f64,
    pub(crate) usage: Usage,
    pub(crate) peak_rss_kib: u64,
    child_peak_rss_kib: Option<u64>,
    pub(crate) checksum: u64,
    latency_us: Option<hdrhistogram::Histogram<u64>>,
    server_usage: Option<Usage>,
    /// When its tasks finished and how long they ran ([`crate::taskclock`]).
    times: Option<crate::taskclock::BatchTimes>,
}

/// Stops the batch clock however the batch ends.
struct ClockGuard(bool);

impl Drop for ClockGuard {
    fn drop(&mut self) {
        if self.0 {
            crate::taskclock::finish(0);
        }
    }
}

/// Times one batch of `cell` on `exec`, with the usage it took.
pub(crate) fn measure_once(exec: &mut dyn Executor, cell: &CellSpec) -> Result<Measured> {
    let self_before = usage(Who::SelfProcess);
    let kids_before = usage(Who::Children);
    reset_peak_rss();
    exec.prepare(&cell.workload.spec, cell.workload.tasks)?;
    let timed = cell.workload.spec.times_tasks();
    let mut clock = ClockGuard(timed);
    if timed {
        crate::taskclock::start();
    }
    let t0 = Instant::now();
    let out = exec.run_batch(&cell.workload.spec, cell.workload.tasks)?;
    let wall_s = t0.elapsed().as_secs_f64();
    let times = timed
        .then(|| crate::taskclock::finish(cell.workload.tasks))
        .flatten();
    clock.0 = false;
    let server_usage = exec.server_usage();
    let self_after = usage(Who::SelfProcess);
    let kids_after = usage(Who::Children);
    let mut u = self_after.since(&self_before);
    u.add(&kids_after.since(&kids_before));
    u.add(&out.pooled_usage);
    Ok(Measured {
        wall_s,
        usage: u,
        peak_rss_kib: current_peak_rss_kib(),
        child_peak_rss_kib: (cell.model.uses_processes()
            || cell.workload.spec.workload().starts_programs())
        .then(|| kids_after.max_rss_kib.max(out.pooled_usage.max_rss_kib)),
        checksum: out.checksum,
        latency_us: out.latency_us,
        server_usage,
        times,
    })
}

/// Removes the models that cannot run on this machine (CPython without an interpreter, fork
/// off Linux) from `config`, returning one line per model removed.
fn drop_unavailable(config: &mut RunConfig) -> Vec<String> {
    let mut notes = Vec::new();
    let wanted: Vec<ModelKind> = {
        let mut all: Vec<ModelKind> = config.models.clone();
        for p in &config.per_workload {
            all.extend(p.models.iter().flatten());
        }
        all.sort();
        all.dedup();
        all
    };
    // Tasks that share a counter in memory cannot run in other processes.
    let mut per_workload = config.per_workload.clone();
    for w in &config.workloads {
        if !w.spec.workload().shares_memory() {
            continue;
        }
        let (models, _) = config.models_and_workers(w.spec.kind());
        let (keep, drop): (Vec<ModelKind>, Vec<ModelKind>) =
            models.iter().partition(|m| !m.uses_processes());
        if drop.is_empty() {
            continue;
        }
        let names: Vec<&str> = drop.iter().map(|m| m.name()).collect();
        notes.push(format!(
            "skipping {} for {}: its tasks share state in this process's memory, which other processes cannot reach",
            names.join(", "),
            w.spec.kind()
        ));
        match per_workload
            .iter_mut()
            .find(|o| o.workload == w.spec.kind())
        {
            Some(o) => o.models = Some(keep),
            None => per_workload.push(crate::plan::WorkloadOverride {
                workload: w.spec.kind(),
                models: Some(keep),
                workers: None,
            }),
        }
    }
    config.per_workload = per_workload;
    for m in wanted {
        if let Err(why) = m.available() {
            notes.push(format!("skipping {m}: {why}"));
            config.models.retain(|x| *x != m);
            for p in &mut config.per_workload {
                if let Some(ms) = &mut p.models {
                    ms.retain(|x| *x != m);
                }
            }
        }
    }
    notes
}

/// A plan as it will run on this machine.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The plan: validated, every workload that calibrates itself (`mixed`) calibrated, unavailable models dropped.
    pub config: RunConfig,
    /// One line per model dropped because this machine cannot run it.
    pub notes: Vec<String>,
    /// The indices of the workloads calibrated just now (`mixed`).
    pub calibrated: Vec<usize>,
}

/// Validates `config`, calibrates its workloads on this machine (`mixed`) and drops the models
/// this machine cannot run (no `python3`, no fork), as [`run`] does before measuring; the
/// criterion bench uses it for its cells.
pub fn prepare(config: &RunConfig) -> Result<Prepared> {
    config.validate()?;
    let mut config = config.clone();
    let calibrated = crate::measure::calibrate::calibrate(&mut config);
    let notes = drop_unavailable(&mut config);
    if config.cells().is_empty() {
        return Err(Error::Config(format!(
            "nothing left to measure on this machine: {}",
            notes.join("; ")
        )));
    }
    Ok(Prepared {
        config,
        notes,
        calibrated,
    })
}

/// Measures every cell of `config` on this machine.
pub fn run(
    config: &RunConfig,
    machine: &MachineInfo,
    ctx: &ModelContext,
    observer: &mut dyn Observer,
) -> Result<RunResults> {
    let started = Instant::now();
    let Prepared {
        config,
        notes,
        calibrated,
    } = prepare(config)?;
    let planned = estimate_before_running(&config, machine);
    planned.check(&config)?;
    observer.planned(&planned);
    for w in calibrated.iter().map(|&i| &config.workloads[i]) {
        observer.notice(&format!(
            "{} calibrated: {}",
            w.spec.kind(),
            w.spec.describe(w.tasks)
        ));
    }
    let ctx = ModelContext {
        switch_interval: Duration::from_millis(config.switch_interval_ms),
        stack_size: config.stack_size.or(ctx.stack_size),
        ..ctx.clone()
    };
    for n in &notes {
        observer.notice(n);
    }
    crate::limits::raise_nofile();
    crate::limits::check(
        &config,
        &crate::limits::Limits::detect(machine),
        ctx.stack_size.unwrap_or(crate::limits::DEFAULT_STACK),
    )?;
    let config = &config;
    let ctx = &ctx;
    let cells = config.cells();
    let mut results = RunResults {
        schema_version: SCHEMA_VERSION,
        started_utc: now_utc(),
        finished_utc: None,
        complete: false,
        machine: machine.clone(),
        config: config.clone(),
        cells: Vec::new(),
        noise: None,
        notes,
        failures: Vec::new(),
    };
    let mut raw: Vec<RawCell> = cells
        .iter()
        .map(|c| RawCell::empty(c, config.samples))
        .collect();
    let outcome = measure_all(
        config,
        machine,
        ctx,
        &cells,
        &mut raw,
        &mut results,
        observer,
        started,
    );
    results.cells = derived(&raw, machine.cores_for_cpu_bound(), config.precision);
    if outcome.is_ok() {
        results.complete = results.failures.is_empty();
        results.finished_utc = Some(now_utc());
    }
    let saved = observer.checkpoint(&results);
    outcome?;
    saved?;
    Ok(results)
}

/// Runs the batches of in-process models on a thread of its own, so that a user's task that
/// never returns cannot hold the run: the runner waits for the batch with a deadline. Every
/// workload's in-process batches run here alike, so users' and parbench's own are measured the
/// same way (the process models supervise their workers themselves and run on the caller).
struct Watched {
    jobs: crossbeam_channel::Sender<(Box<dyn Executor>, CellSpec)>,
    done: crossbeam_channel::Receiver<(Box<dyn Executor>, Result<Measured>)>,
}

impl Watched {
    fn start() -> Result<Watched> {
        let (jobs, jobs_rx) = crossbeam_channel::unbounded::<(Box<dyn Executor>, CellSpec)>();
        let (done_tx, done) = crossbeam_channel::unbounded();
        crate::spawn::helper("parbench-batch", move || {
            for (mut exec, cell) in jobs_rx {
                let m = measure_once(exec.as_mut(), &cell);
                if done_tx.send((exec, m)).is_err() {
                    break;
                }
            }
        })?;
        Ok(Watched { jobs, done })
    }

    /// Measures one batch of `cell` by `exec`, or [`Error::BatchHung`] after `deadline` (then
    /// the executor and this thread are lost: stop the run).
    fn measure(
        &self,
        exec: Box<dyn Executor>,
        cell: &CellSpec,
        deadline: Duration,
    ) -> std::result::Result<(Box<dyn Executor>, Result<Measured>), Error> {
        self.jobs
            .send((exec, *cell))
            .expect("the batch thread lives while jobs come");
        // Time the process was stopped (Ctrl-Z) does not count.
        let until = crate::interrupt::Deadline::after(deadline);
        let mut watch = crate::interrupt::PauseWatch::new(Duration::from_millis(100));
        loop {
            // Wake up now and then for a signal: Ctrl-C must not wait for a hung batch.
            let wait = until.left().min(Duration::from_millis(100));
            let got = self.done.recv_timeout(wait);
            watch.tick();
            match got {
                Ok(done) => return Ok(done),
                Err(_) if crate::interrupt::requested().is_some() => {
                    crate::interrupt::check()?;
                }
                Err(_) if until.passed() => {
                    return Err(Error::BatchHung {
                        tasks: crate::workload::user::running_tasks(),
                        after_s: deadline.as_secs_f64(),
                    });
                }
                Err(_) => {}
            }
        }
    }
}

/// Kills the children of `--command` tasks when the run is interrupted (see
/// [`crate::workload::command::kill_all`]): a thread that looks for a signal every 20 ms while
/// the run lasts, so a task waiting on its child ends at once wherever it waits.
struct ChildStopper {
    done: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl ChildStopper {
    fn start() -> Result<ChildStopper> {
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = done.clone();
        crate::spawn::helper("parbench-stopper", move || {
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                if crate::interrupt::requested().is_some() {
                    crate::workload::command::kill_all();
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })?;
        Ok(ChildStopper { done })
    }
}

impl Drop for ChildStopper {
    fn drop(&mut self) {
        self.done.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Runs `f` (work that may take long and cannot stop itself: a reference checksum that does
/// every task's work) on a helper thread, noticing Ctrl-C / SIGTERM within 100 ms: then the
/// run stops at once and the helper is left to end with the process.
fn interruptible<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    let (tx, rx) = crossbeam_channel::bounded(1);
    crate::spawn::helper("parbench-reference", move || {
        let _ = tx.send(f());
    })?;
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(v) => return v,
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => crate::interrupt::check()?,
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                return Err(Error::Config(
                    "the reference checksum's thread ended without an answer".into(),
                ));
            }
        }
    }
}

/// Sleeps `d`, noticing Ctrl-C / SIGTERM within 100 ms.
fn pause(d: Duration) -> Result<()> {
    let until = Instant::now() + d;
    loop {
        crate::interrupt::check()?;
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(());
        }
        std::thread::sleep(left.min(Duration::from_millis(100)));
    }
}

/// Starts the executor of `cell`: for `tcp-echo` an echo server of the model's design with N
/// client connections ([`crate::net::EchoServer`]), otherwise the model with N workers.
pub fn start_cell(cell: &CellSpec, ctx: &ModelContext) -> Result<Box<dyn Executor>> {
    if !cell.workload.spec.kind().over_network() {
        return cell.model.start(cell.workers, ctx);
    }
    match crate::net::EchoServer::of(cell.model) {
        Some(design) => design.start(cell.workers, ctx),
        None => Err(Error::Config(format!(
            "{} does not serve tcp-echo (its models: {})",
            cell.model,
            crate::net::EchoServer::ALL
                .map(|d| d.model().name())
                .join(", ")
        ))),
    }
}

/// The first task of a user's workload that panicked in this process since the last call, as
/// an error (see [`crate::workload::user`]).
/// The panic of a user's task since the last call, as the cell's error.
pub(crate) fn no_panic() -> Result<()> {
    match crate::workload::user::take_panic() {
        Some(p) if p.panicked => Err(Error::TaskPanicked {
            workload: p.workload,
            task: p.task,
            message: p.message,
        }),
        Some(p) => Err(Error::TaskFailed {
            what: format!("task {}", p.task),
            message: p.message,
        }),
        None => Ok(()),
    }
}

/// "cpu/processes N=2", for messages.
fn cell_name(c: &CellSpec) -> String {
    c.key().label()
}

/// `e` as the run reports it: a signal wins over whatever it caused (children killed by a
/// terminal's Ctrl-C, a wait cut short); anything else names its cell.
fn in_cell(cell: &CellSpec, e: Error) -> Error {
    if let Some(signal) = crate::interrupt::requested() {
        return Error::Interrupted { signal };
    }
    match e {
        e @ (Error::Interrupted { .. } | Error::InCell { .. }) => e,
        e => Error::InCell {
            cell: cell_name(cell),
            inner: Box::new(e),
        },
    }
}

/// The task timeout of a workload: `--task-timeout`, else 5 s + 10 × the expected task time.
fn task_timeout(config: &RunConfig, expected_task_s: f64) -> Duration {
    let s = config
        .task_timeout_s
        .unwrap_or(5.0 + 10.0 * expected_task_s);
    Duration::from_secs_f64(s.clamp(0.001, 1e7))
}

/// How long `config` will take, from what is known before anything runs: nominal task times
/// and the multiply loop's speed here (timed only if a workload needs it).
pub(crate) fn estimate_before_running(config: &RunConfig, machine: &MachineInfo) -> Estimate {
    let mut ns = None;
    let mut ns_per_step = || *ns.get_or_insert_with(crate::measure::calibrate::ns_per_step);
    let mut untimed = Vec::new();
    let task_s: HashMap<WorkloadKind, f64> = config
        .workloads
        .iter()
        .map(|w| {
            let t = w.spec.workload().estimated_task_s(&mut ns_per_step);
            if t.is_none() && w.spec.kind().has_speedup() {
                untimed.push(w.spec.kind());
            }
            (w.spec.kind(), t.unwrap_or(0.0))
        })
        .collect();
    Estimate {
        untimed,
        ..estimate(config, machine.cores_for_cpu_bound(), &|s| {
            task_s.get(&s.kind()).copied().unwrap_or(0.0)
        })
    }
}

/// [`derive`], with each cell's `precision_met` when the run samples until precise.
fn derived(raw: &[RawCell], physical: usize, precision: Option<f64>) -> Vec<CellResult> {
    let mut cells = derive(raw, physical);
    if let Some(p) = precision {
        for c in &mut cells {
            c.precision_met = Some(relative_half_width(c) <= p);
        }
    }
    cells
}

/// The cells to measure again in an extra round of sampling until precise, those nearest to
/// the target first (the fewest samples still needed, as the interval narrows like 1/√n: the
/// budget goes where it makes cells precise):
/// those whose median or speedup interval is wider than `precision`, and the baselines of those
/// whose speedup interval is (a paired speedup narrows with samples of both). A cell whose
/// interval, narrowing as 1/√n, would need more than [`MAX_SAMPLES`] is left to be reported
/// as missed rather than spend the budget in vain, once it has twice the planned `samples` (an
/// interval of a few samples spans their extremes: one outlier is not a verdict); so are
/// failed cells.
fn still_wide(
    raw: &[RawCell],
    results: &[CellResult],
    failed: &[bool],
    precision: f64,
    samples: usize,
) -> Vec<usize> {
    let index = |key: CellKey| raw.iter().position(|r| r.key() == key);
    // Per raw cell: the samples it still needs, as far as is known (0: within the target).
    let mut over = vec![0.0f64; raw.len()];
    let need = |width: f64, n: usize| n as f64 * ((width / precision).powi(2) - 1.0);
    let promising = |width: f64, n: usize| {
        n < 2 * samples || n as f64 * (width / precision).powi(2) <= MAX_SAMPLES as f64
    };
    for c in results {
        let Some(i) = index(c.key()) else { continue };
        let n = c.samples_s.len();
        let median = relative(c.median_ci_s, c.median_s);
        if median > precision && promising(median, n) {
            over[i] = over[i].max(need(median, n));
        }
        if let (Some(ci), Some(s), true) = (c.speedup_ci, c.speedup, c.workload.has_speedup()) {
            let w = relative(ci, s);
            if w > precision && promising(w, n) {
                over[i] = over[i].max(need(w, n));
                let baseline = raw.iter().position(|r| {
                    r.params.kind() == c.workload
                        && r.model == c.model.baseline()
                        && r.model != c.model
                });
                // As urgent as its most promising dependant.
                if let Some(b) = baseline {
                    let n = need(w, n);
                    over[b] = if over[b] > 0.0 { over[b].min(n) } else { n };
                }
            }
        }
    }
    let mut wide: Vec<usize> = (0..raw.len())
        .filter(|&i| over[i] > 0.0 && !failed[i] && raw[i].samples_s.len() < MAX_SAMPLES)
        .collect();
    wide.sort_by(|&a, &b| over[a].total_cmp(&over[b]));
    wide
}

/// Half the width of `ci` relative to `value`.
fn relative(ci: [f64; 2], value: f64) -> f64 {
    (ci[1] - ci[0]) / 2.0 / value.abs().max(f64::MIN_POSITIVE)
}

/// The wider of a cell's median and speedup intervals, relative to their values: what
/// `--precision` bounds.
pub fn relative_half_width(c: &CellResult) -> f64 {
    let median = relative(c.median_ci_s, c.median_s);
    match (c.speedup_ci, c.speedup, c.workload.has_speedup()) {
        (Some(ci), Some(s), true) => median.max(relative(ci, s)),
        _ => median,
    }
}

#[allow(clippy::too_many_arguments)]
fn measure_all(
    config: &RunConfig,
    machine: &MachineInfo,
    ctx: &ModelContext,
    cells: &[CellSpec],
    raw: &mut [RawCell],
    results: &mut RunResults,
    observer: &mut dyn Observer,
    started: Instant,
) -> Result<()> {
    // The reference checksum of every workload (the sleep workload skips its sleeps here; the
    // CPU workload does the work once, which also times a task for the timeout); the CPython
    // models have their own (they run the lesson's loop).
    let mut expected: HashMap<(_, bool, u64), u64> = HashMap::new();
    let mut task_s: HashMap<crate::workload::WorkloadKind, f64> = HashMap::new();
    // A command's children are killed when the run is interrupted, wherever it waits for them.
    let _stopper = cells
        .iter()
        .any(|c| c.workload.spec.workload().starts_programs())
        .then(ChildStopper::start)
        .transpose()?;
    for (r, c) in raw.iter_mut().zip(cells) {
        let kind = c.workload.spec.kind();
        let key = (kind, c.model.is_python(), c.workload.tasks);
        r.expected_checksum = match expected.get(&key) {
            Some(v) => *v,
            None => {
                let t0 = Instant::now();
                let w = c.workload.spec.workload();
                // Until a task has been timed, --task-timeout or a command's first timeout.
                w.set_task_timeout(
                    config
                        .task_timeout_s
                        .map_or(crate::workload::command::FIRST_TIMEOUT, |s| {
                            Duration::from_secs_f64(s.clamp(0.001, 1e7))
                        }),
                );
                let (model, spec, tasks) = (c.model, c.workload.spec, c.workload.tasks);
                let v = w
                    .setup()
                    .and_then(|()| w.prepare(tasks))
                    .and_then(|()| interruptible(move || model.reference_checksum(&spec, tasks)))
                    .and_then(|v| no_panic().map(|()| v))
                    .map_err(|e| in_cell(c, e))?;
                let per_task = t0.elapsed().as_secs_f64() / c.workload.tasks.max(1) as f64;
                let nominal = c.workload.spec.nominal_task_s().unwrap_or(0.0);
                let e = task_s.entry(kind).or_insert(0.0);
                *e = e.max(per_task + nominal);
                *expected.entry(key).or_insert(v)
            }
        };
    }

    // One executor per (model, workers), shared by the workloads; pools start here, untimed
    // as far as the samples are concerned.
    // (`tcp-echo` cells get their own: an echo server with N connections.)
    let key_of = |c: &CellSpec| (c.model, c.workers, c.workload.spec.kind().over_network());
    let start = |c: &CellSpec| start_cell(c, ctx);
    let mut executors: HashMap<(ModelKind, usize, bool), Box<dyn Executor>> = HashMap::new();
    let mut watched: Option<Watched> = None;
    let mut startup: HashMap<(ModelKind, usize, bool), f64> = HashMap::new();
    for c in cells {
        if let Entry::Vacant(slot) = executors.entry(key_of(c)) {
            observer.starting_model(c.model, c.workers);
            crate::interrupt::check()?;
            let t0 = Instant::now();
            match start(c) {
                Ok(exec) => {
                    startup.insert(key_of(c), t0.elapsed().as_secs_f64());
                    slot.insert(exec);
                }
                // With --on-error skip, each cell of this model retries the start in its turn
                // and is skipped if it fails again.
                Err(e)
                    if config.on_error == OnError::Skip
                        && crate::interrupt::requested().is_none() =>
                {
                    observer.notice(&format!("{}: {e}", cell_name(c)));
                }
                Err(e) => return Err(in_cell(c, e)),
            }
        }
    }
    for (r, c) in raw.iter_mut().zip(cells) {
        if c.model.is_pool() {
            r.startup_s = startup.get(&key_of(c)).copied();
        }
    }

    let rounds = config.warmup + config.samples;
    let physical = machine.cores_for_cpu_bound();
    // The estimate again, with each workload's task time as the references measured it.
    let refined = estimate(config, physical, &|s| {
        task_s
            .get(&s.kind())
            .copied()
            .unwrap_or(0.0)
            .max(s.nominal_task_s().unwrap_or(0.0))
    });
    observer.started(rounds * cells.len(), &refined);
    let mut rng = fastrand::Rng::with_seed(config.shuffle_seed);
    let mut failed = vec![false; cells.len()];
    let mut set_up = vec![false; cells.len()];
    let mut last_save = Instant::now();
    let mut probes = Vec::new();
    let budget = config.time_budget_s.map(Duration::from_secs_f64);
    for round in 0.. {
        // The planned rounds run every cell; then, sampling until precise, only the cells
        // still wider than the target, while the next round fits in the budget.
        let mut order: Vec<usize> = if round < rounds {
            (0..cells.len()).collect()
        } else {
            let Some(p) = config.precision else { break };
            // The most urgent cells whose batches fit in what is left of the budget.
            let mut left = budget.map(|b| b.saturating_sub(started.elapsed()).as_secs_f64());
            let wide: Vec<usize> = still_wide(raw, &results.cells, &failed, p, config.samples)
                .into_iter()
                .filter(|&i| {
                    let cost =
                        crate::stats::median(&raw[i].samples_s) + config.settle_ms as f64 / 1e3;
                    match &mut left {
                        Some(l) if *l < cost => false,
                        Some(l) => {
                            *l -= cost;
                            true
                        }
                        None => true,
                    }
                })
                .collect();
            if wide.is_empty() {
                break;
            }
            let keys: Vec<CellKey> = wide.iter().map(|&i| raw[i].key()).collect();
            observer.more(&keys);
            wide
        };
        rng.shuffle(&mut order);
        for &i in &order {
            if failed[i] {
                continue;
            }
            let cell = &cells[i];
            crate::interrupt::check()?;
            let key = key_of(cell);
            // After a skipped failure the cell's executor was dropped: start a fresh one.
            let exec = match executors.remove(&key) {
                Some(e) => Ok(e),
                None => start(cell),
            };
            // Cool-down, untimed: lets the previous cell's threads go idle and the kernel's
            // per-core load averages decay, so its leftovers do not steer where this cell's
            // new threads are placed.
            if config.settle_ms > 0 {
                pause(Duration::from_millis(config.settle_ms))?;
            }
            let expected_task_s = task_s[&cell.workload.spec.kind()];
            let timeout = task_timeout(config, expected_task_s);
            // --setup once per cell, --prepare before every batch: untimed.
            let w = cell.workload.spec.workload();
            w.set_task_timeout(timeout);
            let exec = exec.and_then(|exec| {
                if !set_up[i] {
                    w.setup()?;
                    set_up[i] = true;
                }
                w.prepare(cell.workload.tasks)?;
                Ok(exec)
            });
            // In-process batches run on the watched thread (every workload alike, so a user's
            // workload and parbench's own are measured the same way).
            let watch = !cell.model.uses_processes() && !cell.workload.spec.kind().over_network();
            let outcome = exec.and_then(|mut exec| {
                exec.set_task_timeout(timeout);
                let m = if watch {
                    if watched.is_none() {
                        watched = Some(Watched::start()?);
                    }
                    let w = watched.as_ref().expect("just started");
                    // Ten times the sequential batch (at least 2 s), beyond the task timeout:
                    // generous, bounded, and later than a task's own timeout (a wait that
                    // reaches it fails its task and ends the batch first).
                    let deadline = timeout
                        + Duration::from_secs_f64(
                            (10.0 * expected_task_s * cell.workload.tasks as f64).clamp(2.0, 1e7),
                        );
                    match w.measure(exec, cell, deadline) {
                        Ok((back, m)) => {
                            exec = back;
                            let m = m?;
                            executors.insert(key, exec);
                            m
                        }
                        Err(e) => {
                            // The batch thread and the executor are stuck for good.
                            watched = None;
                            return Err(e);
                        }
                    }
                } else {
                    let m = measure_once(exec.as_mut(), cell)?;
                    executors.insert(key, exec);
                    m
                };
                // A user's task that panicked returned a checksum of its own: say what it was.
                no_panic()?;
                // What the batch left in shared state: exact, or (racy) updates lost.
                let lost = w
                    .verify_batch(cell.workload.tasks)
                    .map_err(Error::WrongAnswer)?;
                let latencies = w.take_latencies_ns();
                let queue = w.take_queue_use();
                if m.checksum != raw[i].expected_checksum {
                    raw[i].checksum = m.checksum;
                    raw[i].checksum_ok = false;
                    return Err(Error::ChecksumMismatch {
                        workload: cell.workload.spec.kind().to_string(),
                        model: cell.model.to_string(),
                        workers: cell.workers,
                        expected: raw[i].expected_checksum,
                        got: m.checksum,
                    });
                }
                Ok((m, lost, latencies, queue))
            });
            let (m, lost, latencies, queue) = match outcome {
                Ok(m) => m,
                Err(e) => {
                    // The executor may hold dead or hung workers: drop it (killing and reaping
                    // them) before anything else.
                    executors.remove(&key);
                    let e = in_cell(cell, e);
                    // A hung batch keeps a thread busy for good: no cell after it would be
                    // measured fairly.
                    if config.on_error == OnError::Stop
                        || matches!(
                            e.root(),
                            Error::Interrupted { .. } | Error::BatchHung { .. }
                        )
                    {
                        return Err(e);
                    }
                    observer.notice(&format!("{e}; cell skipped (--on-error skip)"));
                    results.failures.push(e.to_string());
                    failed[i] = true;
                    continue;
                }
            };
            let r = &mut raw[i];
            r.checksum = m.checksum;
            if round >= config.warmup {
                if let Some([lost, of]) = lost {
                    r.lost_updates.push(lost);
                    r.updates_per_batch = of;
                }
                if let Some(ns) = latencies {
                    r.wake_ns.extend(ns);
                }
                r.queue.extend(queue);
                if let Some(t) = &m.times {
                    r.task_times.push(crate::result::TaskTimes::of(t, m.wall_s));
                }
                r.samples_s.push(m.wall_s);
                r.rounds.push((round - config.warmup) as u32);
                r.cpu_s.push(m.usage.cpu_s);
                r.voluntary_cs.push(m.usage.voluntary_cs);
                r.involuntary_cs.push(m.usage.involuntary_cs);
                r.peak_rss_kib = r.peak_rss_kib.max(m.peak_rss_kib);
                if let Some(k) = m.child_peak_rss_kib {
                    r.child_peak_rss_kib = Some(r.child_peak_rss_kib.unwrap_or(0).max(k));
                }
                if let Some(h) = &m.latency_us {
                    let net = r.net.get_or_insert_with(|| crate::result::NetRaw {
                        latency_us: crate::net::client::new_histogram(),
                        server_cpu_s: Vec::new(),
                        server_voluntary_cs: Vec::new(),
                        server_involuntary_cs: Vec::new(),
                    });
                    let _ = net.latency_us.add(h);
                    if let Some(u) = &m.server_usage {
                        net.server_cpu_s.push(u.cpu_s);
                        net.server_voluntary_cs.push(u.voluntary_cs);
                        net.server_involuntary_cs.push(u.involuntary_cs);
                    }
                }
            }
            observer.batch_done(cell, round, m.wall_s);
            if last_save.elapsed() >= Duration::from_secs(1) {
                results.cells = derived(raw, physical, config.precision);
                observer.checkpoint(results)?;
                last_save = Instant::now();
            }
        }
        for _ in 0..PROBES_PER_ROUND {
            let t0 = Instant::now();
            std::hint::black_box(MultiplyLoop::new(PROBE_ITERATIONS).run_task(round as u64));
            probes.push(t0.elapsed().as_secs_f64());
        }
        results.noise = Some(NoiseProbe::new(PROBE_ITERATIONS, probes.clone()));
        results.cells = derived(raw, physical, config.precision);
        observer.checkpoint(results)?;
        last_save = Instant::now();
    }
    if let Some(p) = config.precision {
        observer.notice(&precision_note(&results.cells, p, started.elapsed()));
    }
    Ok(())
}

/// How sampling until precise ended: every cell within the target, or the cells that missed
/// it and by how much.
fn precision_note(cells: &[CellResult], precision: f64, took: Duration) -> String {
    let mut missed: Vec<(f64, String)> = cells
        .iter()
        .filter(|c| c.precision_met == Some(false))
        .map(|c| (relative_half_width(c), c.key().to_string()))
        .collect();
    let target = format!("±{:.1}%", precision * 100.0);
    if missed.is_empty() {
        return format!(
            "precision: every cell's intervals within {target} after {:.0} s",
            took.as_secs_f64()
        );
    }
    missed.sort_by(|a, b| b.0.total_cmp(&a.0));
    let list: Vec<String> = missed
        .iter()
        .map(|(w, k)| format!("{k} ±{:.1}%", w * 100.0))
        .collect();
    format!(
        "precision: {} of {} cells missed {target} when sampling stopped after {:.0} s (the time budget spent, or more than {MAX_SAMPLES} samples needed): {}",
        missed.len(),
        cells.len(),
        took.as_secs_f64(),
        list.join(", ")
    )
}
