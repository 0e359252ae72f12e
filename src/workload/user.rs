//! Users' own workloads: a Rust function of the task index registered under a name through
//! [`crate::Harness`], and run by every model that can run arbitrary Rust code; or a program
//! (`parbench run --command`, see [`super::command`]) run by the models that wait on children.
//!
//! A registered workload lives for the rest of the program: [`UserWorkload`] is leaked once, so a
//! [`UserRef`] is a plain `&'static` pointer that specs can copy and call without a look-up per
//! task. A spec read from a file or a worker request names a workload; in a program that did not
//! register that name (parbench reading someone's results) it becomes a name-only placeholder,
//! whose tasks cannot run ([`UserRef::runnable`]).
//!
//! A task that panics does not take its thread (or pool) down: the panic is caught, the task
//! returns a checksum no task produces, and the panic's task and message are kept for the runner
//! to report ([`take_panic`]). This module does not time anything.

use super::command::{CommandBody, Program};
use super::{AsyncTask, Batch, Column, Ideal, Offload, Reading, TaskHooks, Workload};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// What a user workload's tasks do, which decides how the models run them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shape {
    /// Compute: runs on a thread from start to end.
    Compute,
    /// Blocks (sleeps, waits for IO): the `gil` model releases its lock around it.
    Blocking,
    /// A future: awaited natively by the async models, run with a runtime's `block_on` by the
    /// others.
    Async,
}

/// A boxed future of a task's checksum.
pub type TaskFuture = Pin<Box<dyn Future<Output = u64> + Send>>;

/// How a task runs.
#[derive(Clone)]
pub(crate) enum Body {
    /// A function of the task index.
    Sync(Arc<dyn Fn(u64) -> u64 + Send + Sync>),
    /// A function of the task index returning a future.
    Async(Arc<dyn Fn(u64) -> TaskFuture + Send + Sync>),
    /// Another program, run once per task ([`super::command`]).
    Command(&'static CommandBody),
}

/// One registered workload.
pub struct UserWorkload {
    name: &'static str,
    shape: Shape,
    nominal_task_s: Option<f64>,
    body: Option<Body>,
}

/// A user workload as specs carry it: copyable, compared and ordered by name.
#[derive(Clone, Copy)]
pub struct UserRef(&'static UserWorkload);

impl UserRef {
    /// The workload's name.
    pub fn name(self) -> &'static str {
        self.0.name
    }

    /// Its shape.
    pub fn shape(self) -> Shape {
        self.0.shape
    }

    /// The time a task takes by construction, if the user said so (for ideals and timeouts).
    pub fn nominal_task_s(self) -> Option<f64> {
        self.0.nominal_task_s
    }

    /// Whether this program can run its tasks (it registered the workload).
    pub fn runnable(self) -> bool {
        self.0.body.is_some()
    }

    pub(crate) fn body(self) -> Option<&'static Body> {
        self.0.body.as_ref()
    }

    /// The program it runs, for a `--command` workload.
    pub fn program(self) -> Option<&'static Program> {
        self.command().map(CommandBody::program)
    }

    fn command(self) -> Option<&'static CommandBody> {
        match self.0.body {
            Some(Body::Command(c)) => Some(c),
            _ => None,
        }
    }

    /// Runs task `task` on the calling thread: a future with a runtime of this thread's. A panic
    /// is caught and kept (see [`take_panic`]); the task then returns [`PANICKED`].
    pub fn run(self, task: u64) -> u64 {
        let Some(body) = &self.0.body else {
            // The runner and the worker refuse a workload this program does not have before
            // any task runs; this is the same refusal, should one get through.
            record_failure(
                self.name(),
                task,
                "the workload is not registered in this program",
                true,
            );
            return PANICKED;
        };
        guarded(self.name(), task, || match body {
            Body::Sync(f) => f(task),
            Body::Async(f) => block_on(f(task)),
            Body::Command(c) => c.run(task).unwrap_or_else(|message| {
                record_failure(self.name(), task, &message, false);
                c.stop_batch();
                PANICKED
            }),
        })
    }
}

/// The checksum a panicking (or failing) task returns: no mix of a task index gives it in
/// practice, and the runner reports the failure itself rather than the mismatch it causes.
pub const PANICKED: u64 = 0xDEAD_0000_DEAD_0000;

thread_local! {
    /// A runtime per thread for async workloads run outside the async models, with the pid
    /// that built it (a forked child builds its own).
    static RUNTIME: std::cell::RefCell<Option<(u32, tokio::runtime::Runtime)>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs `f` as task `task` of `name`, catching a panic.
pub(crate) fn guarded(name: &str, task: u64, f: impl FnOnce() -> u64) -> u64 {
    caught(name, task, f).unwrap_or(PANICKED)
}

/// Runs `f` for task `task` of `name`; `None` if it panicked (the panic is kept).
fn caught<T>(name: &str, task: u64, f: impl FnOnce() -> T) -> Option<T> {
    let slot = SLOT.with(|s| s.0);
    let was = slot.load(Ordering::Relaxed);
    slot.store(task + 1, Ordering::Relaxed);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    slot.store(was, Ordering::Relaxed);
    match outcome {
        Ok(v) => Some(v),
        Err(payload) => {
            let text = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(a panic without a message)".into());
            record_failure(name, task, &text, true);
            None
        }
    }
}

/// A user's task future polled with the same care as [`UserRef::run`]: a panic in a poll is
/// caught and kept, and the future then ends with [`PANICKED`].
pub(crate) struct GuardedFuture {
    name: &'static str,
    task: u64,
    fut: TaskFuture,
}

impl GuardedFuture {
    pub(crate) fn new(name: &'static str, task: u64, fut: TaskFuture) -> Self {
        pending()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(task);
        GuardedFuture { name, task, fut }
    }
}

/// The user task futures not yet finished (a future that waits is on no thread's slot).
fn pending() -> &'static Mutex<Vec<u64>> {
    static PENDING: Mutex<Vec<u64>> = Mutex::new(Vec::new());
    &PENDING
}

impl Drop for GuardedFuture {
    fn drop(&mut self) {
        let mut p = pending().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = p.iter().position(|t| *t == self.task) {
            p.swap_remove(i);
        }
    }
}

impl Future for GuardedFuture {
    type Output = u64;
    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<u64> {
        let (name, task) = (self.name, self.task);
        caught(name, task, || self.fut.as_mut().poll(cx))
            .unwrap_or(std::task::Poll::Ready(PANICKED))
    }
}

/// Awaits `fut` on this thread's own current-thread runtime (not from inside a runtime).
pub(crate) fn block_on<F: Future>(fut: F) -> F::Output {
    RUNTIME.with_borrow_mut(|slot| {
        let pid = std::process::id();
        if slot.as_ref().is_none_or(|(owner, _)| *owner != pid) {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a current-thread runtime needs no threads");
            // A runtime copied from the parent by fork shares its drivers' descriptors: leave
            // it alone rather than shut them down under the parent.
            if let Some(old) = slot.replace((pid, rt)) {
                std::mem::forget(old);
            }
        }
        slot.as_ref().expect("just set").1.block_on(fut)
    })
}

/// A thread's record of the user task it runs: 0 when none, else the task's index + 1. Slots
/// are reused: a thread that ends hands its slot back.
struct SlotGuard(&'static AtomicU64);

impl SlotGuard {
    fn take() -> SlotGuard {
        let mut s = slots().lock().unwrap_or_else(|e| e.into_inner());
        let slot = match s.free.pop() {
            Some(slot) => slot,
            None => {
                let slot: &'static AtomicU64 = Box::leak(Box::new(AtomicU64::new(0)));
                s.all.push(slot);
                slot
            }
        };
        SlotGuard(slot)
    }
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        self.0.store(0, Ordering::Relaxed);
        slots()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .free
            .push(self.0);
    }
}

#[derive(Default)]
struct Slots {
    all: Vec<&'static AtomicU64>,
    free: Vec<&'static AtomicU64>,
}

fn slots() -> &'static Mutex<Slots> {
    static SLOTS: OnceLock<Mutex<Slots>> = OnceLock::new();
    SLOTS.get_or_init(Default::default)
}

thread_local! {
    static SLOT: SlotGuard = SlotGuard::take();
}

/// The indices of the user tasks running on some thread right now, and of the user task
/// futures an async model has not seen finish, smallest first: what a batch that does not end
/// is stuck on.
pub fn running_tasks() -> Vec<u64> {
    let s = slots().lock().unwrap_or_else(|e| e.into_inner());
    let mut tasks: Vec<u64> = s
        .all
        .iter()
        .filter_map(|slot| slot.load(Ordering::Relaxed).checked_sub(1))
        .collect();
    tasks.extend(pending().lock().unwrap_or_else(|e| e.into_inner()).iter());
    tasks.sort_unstable();
    tasks.dedup();
    tasks
}

/// A task of a user workload that panicked, or whose program failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskPanic {
    /// The workload.
    pub workload: String,
    /// The task index.
    pub task: u64,
    /// The panic's message, or how the program failed.
    pub message: String,
    /// Whether it panicked (`false`: a `--command` task's program failed).
    pub panicked: bool,
}

fn panics() -> &'static Mutex<Option<TaskPanic>> {
    static FIRST: Mutex<Option<TaskPanic>> = Mutex::new(None);
    &FIRST
}

pub(crate) fn record_failure(name: &str, task: u64, message: &str, panicked: bool) {
    let mut first = panics().lock().unwrap_or_else(|e| e.into_inner());
    first.get_or_insert_with(|| TaskPanic {
        workload: name.to_string(),
        task,
        message: message.to_string(),
        panicked,
    });
}

/// The first task that panicked (or failed) since the last call, if any.
pub fn take_panic() -> Option<TaskPanic> {
    panics().lock().unwrap_or_else(|e| e.into_inner()).take()
}

/// Whether the calling thread is running a user task now (the panic hook stays quiet then).
pub fn in_task() -> bool {
    SLOT.with(|s| s.0.load(Ordering::Relaxed) != 0)
}

fn registry() -> &'static Mutex<HashMap<&'static str, UserRef>> {
    static REGISTRY: OnceLock<Mutex<HashMap<&'static str, UserRef>>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

/// Checks a workload name: 1–64 characters of letters, digits, `-`, `_` and `.`, starting with
/// a letter or digit (it names cells, files and charts), and not one of parbench's own.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if name.is_empty() {
        return Err("a workload name cannot be empty".into());
    }
    if name.len() > 64 || !ok_chars || !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(format!(
            "workload name '{}': use 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit",
            name.escape_debug()
        ));
    }
    if super::WorkloadKind::ALL.iter().any(|k| k.name() == name) || name == "user" {
        return Err(format!(
            "workload name '{name}' is one of parbench's own workloads"
        ));
    }
    Ok(())
}

/// Registers a workload under `name` for the rest of the program.
pub(crate) fn register(
    name: &str,
    shape: Shape,
    nominal_task_s: Option<f64>,
    body: Body,
) -> Result<UserRef, String> {
    check_name(name)?;
    let mut reg = registry().lock().unwrap_or_else(|e| e.into_inner());
    if reg.get(name).is_some_and(|u| u.runnable()) {
        return Err(format!("workload name '{name}' is registered twice"));
    }
    let w = leak(name, shape, nominal_task_s, Some(body));
    reg.insert(w.name(), w);
    Ok(w)
}

/// A workload made to live for the rest of the program.
fn leak(name: &str, shape: Shape, nominal_task_s: Option<f64>, body: Option<Body>) -> UserRef {
    UserRef(Box::leak(Box::new(UserWorkload {
        name: Box::leak(name.to_string().into_boxed_str()),
        shape,
        nominal_task_s,
        body,
    })))
}

/// The workload registered as `name`, else a new one with `body()` (see the module docs).
fn find_or_insert(
    name: &str,
    shape: Shape,
    nominal_task_s: Option<f64>,
    body: impl FnOnce() -> Option<Body>,
) -> UserRef {
    let mut reg = registry().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(w) = reg.get(name) {
        return *w;
    }
    let w = leak(name, shape, nominal_task_s, body());
    reg.insert(w.name(), w);
    w
}

/// The workload registered as `name`, if any (a placeholder included).
pub(crate) fn registered(name: &str) -> Option<UserRef> {
    registry()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(name)
        .copied()
}

/// The workload registered as `name`, or a name-only placeholder (see the module docs).
pub fn by_name(name: &str, shape: Shape, nominal_task_s: Option<f64>) -> UserRef {
    find_or_insert(name, shape, nominal_task_s, || None)
}

impl PartialEq for UserRef {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}
impl Eq for UserRef {}
impl std::hash::Hash for UserRef {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name().hash(state)
    }
}
impl PartialOrd for UserRef {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for UserRef {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.name().cmp(other.name())
    }
}
impl fmt::Debug for UserRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserRef")
            .field("name", &self.name())
            .field("shape", &self.shape())
            .field("runnable", &self.runnable())
            .finish()
    }
}
impl fmt::Display for UserRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a user workload is written in result files and worker requests; a `--command`
/// workload's program verbatim, so a file says what was measured.
#[derive(Serialize, Deserialize)]
struct UserFile {
    name: String,
    shape: Shape,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nominal_task_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    command: Option<Program>,
}

impl Serialize for UserRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        UserFile {
            name: self.name().to_string(),
            shape: self.shape(),
            nominal_task_s: self.nominal_task_s(),
            command: self.program().cloned(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for UserRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let f = UserFile::deserialize(d)?;
        check_name(&f.name).map_err(serde::de::Error::custom)?;
        let Some(program) = f.command else {
            return Ok(by_name(&f.name, f.shape, f.nominal_task_s));
        };
        // A command read from a file is the same program, and can run again.
        Ok(find_or_insert(&f.name, f.shape, None, || {
            Some(super::command::body(program))
        }))
    }
}

impl Workload for UserRef {
    fn run_task(&self, task: u64) -> u64 {
        self.run(task)
    }

    /// A user's compute cannot be interrupted mid-task; blocking and async tasks wait, so the
    /// hooks hear about it (the gil model releases its lock around them).
    fn run_hooked(&self, task: u64, hooks: &mut dyn TaskHooks) -> u64 {
        if self.shape() == Shape::Compute {
            return self.run(task);
        }
        super::blocking(hooks, || self.run(task))
    }

    /// A user's future is awaited natively; compute and blocking code run as the multiply
    /// loop does (inline, or on the blocking pool for async-blocking); a program is awaited
    /// with `tokio::process`.
    fn run_async(&self, task: u64, compute: Offload) -> AsyncTask {
        let u = *self;
        match u.body() {
            Some(Body::Async(f)) => {
                let fut = GuardedFuture::new(u.name(), task, f(task));
                Box::pin(async move { Ok(fut.await) })
            }
            Some(Body::Command(c)) => c.run_async(task),
            _ => compute(Box::new(move || u.run(task))),
        }
    }

    fn computes(&self) -> bool {
        self.shape() == Shape::Compute
    }

    fn nominal_task_s(&self) -> Option<f64> {
        UserRef::nominal_task_s(*self)
    }

    fn starts_programs(&self) -> bool {
        self.command().is_some()
    }

    fn setup(&self) -> crate::Result<()> {
        self.command().map_or(Ok(()), |c| c.run_hook(true))
    }

    fn prepare(&self, _tasks: u64) -> crate::Result<()> {
        self.command().map_or(Ok(()), |c| c.run_hook(false))
    }

    fn set_task_timeout(&self, timeout: std::time::Duration) {
        if let Some(c) = self.command() {
            c.set_timeout(timeout);
        }
    }
}

impl Reading for UserRef {
    fn describe(&self, tasks: u64) -> String {
        match self.program() {
            Some(p) => format!("{tasks} runs of `{}`", clip(&p.command, 60)),
            None => format!("{tasks} tasks of {self}"),
        }
    }
    /// Compute is bounded by the cores, like the multiply loop; a task that waits, with a time
    /// known by construction ([`crate::Harness::task_time`]), by its waves, like the sleep.
    fn ideal(&self, b: &Batch) -> Ideal {
        match (self.shape(), self.nominal_task_s()) {
            (Shape::Compute, _) => Ideal {
                time_s: None,
                speedup: Some(b.computes as f64),
            },
            (_, Some(task_s)) => Ideal::waves(b.tasks, b.waits, task_s),
            (_, None) => Ideal::default(),
        }
    }
    fn column(&self) -> Column {
        match (self.shape(), self.nominal_task_s()) {
            (Shape::Compute, _) | (_, None) => Column::IdealSpeedup,
            _ => Column::IdealTime,
        }
    }
    fn title(&self) -> String {
        self.name().to_string()
    }
    fn still_growing(&self, logical_cores: usize) -> String {
        let _ = logical_cores;
        match self.program() {
            Some(_) => "so running more at once may help".into(),
            None => "so more workers may help".into(),
        }
    }
    fn advice(&self, workers: usize) -> Option<String> {
        self.program().map(|_| {
            format!(
                "Run {workers} at once (xargs -P {workers}, parallel -j {workers}, make -j {workers})."
            )
        })
    }
}

/// `text` cut to `max` characters, with an ellipsis when cut.
fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tests that read the one panic slot take turns.
    static SERIAL: Mutex<()> = Mutex::new(());

    #[test]
    fn names_are_checked_and_registered_once() {
        assert!(check_name("").unwrap_err().contains("empty"));
        assert!(check_name("a/b").unwrap_err().contains("'a/b'"));
        assert!(check_name(".hidden").is_err());
        assert!(check_name("cpu").unwrap_err().contains("parbench's own"));
        assert!(check_name(&"x".repeat(65)).is_err());
        let f = Body::Sync(Arc::new(|t| t + 1));
        let w = register("unit-twice", Shape::Compute, None, f.clone()).unwrap();
        assert_eq!(w.run(41), 42);
        assert!(
            register("unit-twice", Shape::Compute, None, f)
                .unwrap_err()
                .contains("twice")
        );
        assert_eq!(by_name("unit-twice", Shape::Blocking, None), w);
    }

    #[test]
    fn a_panicking_task_is_caught_and_reported_once() {
        let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let w = register(
            "unit-panics",
            Shape::Compute,
            None,
            Body::Sync(Arc::new(|t| if t == 3 { panic!("boom {t}") } else { t })),
        )
        .unwrap();
        let _ = take_panic();
        assert_eq!(w.run(2), 2);
        assert_eq!(w.run(3), PANICKED);
        let p = take_panic().unwrap();
        assert_eq!((p.workload.as_str(), p.task), ("unit-panics", 3));
        assert!(p.message.contains("boom 3"), "{}", p.message);
        assert_eq!(take_panic(), None);
    }

    #[test]
    fn async_tasks_run_on_a_thread_of_their_own_and_placeholders_do_not() {
        let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let w = register(
            "unit-async",
            Shape::Async,
            Some(0.001),
            Body::Async(Arc::new(|t| {
                Box::pin(async move {
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                    t * 2
                })
            })),
        )
        .unwrap();
        assert_eq!(w.run(21), 42);
        let json = serde_json::to_string(&w).unwrap();
        assert_eq!(
            json,
            r#"{"name":"unit-async","shape":"async","nominal_task_s":0.001}"#
        );
        let back: UserRef = serde_json::from_str(&json).unwrap();
        assert!(back.runnable());
        let other: UserRef =
            serde_json::from_str(r#"{"name":"unit-elsewhere","shape":"compute"}"#).unwrap();
        assert!(!other.runnable());
        let _ = take_panic();
        assert_eq!(other.run(1), PANICKED);
        assert!(take_panic().unwrap().message.contains("not registered"));
    }
}
