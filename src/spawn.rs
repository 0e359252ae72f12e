//! Starting OS threads: the one place parbench's models and servers start a thread, so that a
//! start the OS refuses becomes the model's [`Error::Spawn`] (the cell is named, the results so
//! far are saved) and never a panic.
//!
//! - `thread` and `scoped` start a named thread with an optional stack size;
//! - `rayon_pool` routes a rayon pool's threads through the same start;
//! - `catch_refused` turns the panic a library raises when the OS refuses it a thread (tokio's
//!   "OS can't spawn worker thread") into an error, without the panic message on stderr;
//! - `PARBENCH_THREAD_FAULT=<k>` ([`FAULT_ENV`]) makes the k-th thread start of a model in this
//!   process fail as the OS would (EAGAIN), to test that path; tokio runtimes count their worker
//!   threads, the runner's own threads do not count.
//!
//! What this cannot catch: std maps each new thread a signal stack inside the new thread, and if
//! that mapping fails (`vm.max_map_count` exhausted) std aborts the process before any of our code
//! runs. Only the checks in [`crate::limits`], before a run, prevent that. How many threads a
//! model may start is decided there, not here.

use crate::error::{Error, Result};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::{JoinHandle, Scope, ScopedJoinHandle};

/// The fault-injection switch: `PARBENCH_THREAD_FAULT=<k>` fails the k-th thread start (from 1).
pub const FAULT_ENV: &str = "PARBENCH_THREAD_FAULT";

/// Thread starts so far, counted for the fault switch.
static STARTED: AtomicU64 = AtomicU64::new(0);

fn fault_at() -> Option<u64> {
    static AT: OnceLock<Option<u64>> = OnceLock::new();
    *AT.get_or_init(|| std::env::var(FAULT_ENV).ok()?.trim().parse().ok())
}

/// Counts one thread start (of `what`); an error when the fault switch says this start fails.
fn admit(what: impl FnOnce() -> String) -> Result<()> {
    let n = STARTED.fetch_add(1, Ordering::Relaxed) + 1;
    if fault_at() == Some(n) {
        return Err(Error::Spawn {
            what: what(),
            io: std::io::Error::new(
                std::io::ErrorKind::WouldBlock,
                format!("Resource temporarily unavailable (injected by {FAULT_ENV}={n})"),
            ),
        });
    }
    Ok(())
}

fn builder(name: &str, stack_size: Option<usize>) -> std::thread::Builder {
    let b = std::thread::Builder::new().name(name.to_string());
    match stack_size {
        Some(bytes) => b.stack_size(bytes),
        None => b,
    }
}

fn refused(name: &str, source: std::io::Error) -> Error {
    Error::Spawn {
        what: format!("thread {name}"),
        io: source,
    }
}

/// Starts a thread named `name` with `stack_size` bytes of stack (Rust's default when `None`).
pub(crate) fn thread<F, T>(name: &str, stack_size: Option<usize>, f: F) -> Result<JoinHandle<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    admit(|| format!("thread {name}"))?;
    builder(name, stack_size)
        .spawn(f)
        .map_err(|e| refused(name, e))
}

/// Starts one of the runner's own threads (not a model's): as [`thread`], but not counted by
/// the fault switch, whose k-th start is a model's.
pub(crate) fn helper<F, T>(name: &str, f: F) -> Result<JoinHandle<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    builder(name, None).spawn(f).map_err(|e| refused(name, e))
}

/// As [`thread`], inside a [`std::thread::scope`].
pub(crate) fn scoped<'scope, 'env, F, T>(
    scope: &'scope Scope<'scope, 'env>,
    name: &str,
    stack_size: Option<usize>,
    f: F,
) -> Result<ScopedJoinHandle<'scope, T>>
where
    F: FnOnce() -> T + Send + 'scope,
    T: Send + 'scope,
{
    admit(|| format!("thread {name}"))?;
    builder(name, stack_size)
        .spawn_scoped(scope, f)
        .map_err(|e| refused(name, e))
}

/// A rayon pool of `workers` threads named `parbench-<name>-<i>`, each started by [`thread`].
pub(crate) fn rayon_pool(
    workers: usize,
    stack_size: Option<usize>,
    name: &'static str,
) -> Result<rayon::ThreadPool> {
    let mut first_error = None::<Error>;
    let built = rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .spawn_handler(|t| {
            let name = format!("parbench-{name}-{}", t.index());
            match thread(&name, stack_size, move || t.run()) {
                Ok(_) => Ok(()),
                Err(e) => {
                    let io = std::io::Error::other(e.to_string());
                    first_error.get_or_insert(e);
                    Err(io)
                }
            }
        })
        .build();
    match (built, first_error) {
        (Ok(pool), _) => Ok(pool),
        (Err(_), Some(e)) => Err(e),
        (Err(e), None) => Err(Error::Spawn {
            what: format!("rayon pool of {workers} threads"),
            io: std::io::Error::other(e.to_string()),
        }),
    }
}

thread_local! {
    /// Set on the thread [`catch_refused`] builds on: its panic is reported there, as an error.
    static REPORT: std::cell::RefCell<Option<crossbeam_channel::Sender<String>>> =
        const { std::cell::RefCell::new(None) };
}

/// tokio's words when the OS refuses it a thread; such a panic becomes an error.
const TOKIO_REFUSED: &str = "OS can't spawn worker thread";

/// Installs (once) a panic hook that hands the panic of a [`catch_refused`] build to its caller
/// (at once, before unwinding begins) and keeps quiet about it, about tokio's refused-thread
/// panics inside a runtime (they reach the batch as a failed task) and about a user's task that
/// panicked (the runner reports it); every other panic goes to the hook that was there before.
pub(crate) fn install_quiet_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let text = panic_text(info.payload());
            if let Some(report) = REPORT.with_borrow_mut(Option::take) {
                let _ = report.send(text.to_string());
                return;
            }
            // A user's task that panicked is reported by the runner, naming the task.
            if !text.starts_with(TOKIO_REFUSED) && !crate::workload::user::in_task() {
                previous(info);
            }
        }));
    });
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("")
}

/// Runs `build` (which starts threads through a library that panics when the OS refuses one,
/// as tokio's runtime builder does) and turns such a panic into [`Error::Spawn`] naming `what`.
/// Counts `threads` starts for the fault switch first.
///
/// `build` runs on a thread of its own, and the panic is reported from the panic hook, before
/// unwinding starts: tokio cannot unwind out of a half-built runtime (its blocking pool waits
/// forever for the workers it did start), so that thread and those workers are left parked and
/// the caller gets its error at once.
pub(crate) fn catch_refused<T: Send + 'static>(
    what: &str,
    threads: usize,
    build: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T> {
    for i in 0..threads {
        admit(|| format!("worker thread {} of {what}", i + 1))?;
    }
    install_quiet_hook();
    let (panicked_tx, panicked) = crossbeam_channel::bounded::<String>(1);
    let (built_tx, built) = crossbeam_channel::bounded(1);
    let refused = |source| Error::Spawn {
        what: what.to_string(),
        io: source,
    };
    std::thread::Builder::new()
        .name("parbench-build".into())
        .spawn(move || {
            REPORT.set(Some(panicked_tx));
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(build));
            if let Ok(v) = outcome {
                let _ = built_tx.send(v);
            }
            REPORT.set(None);
        })
        .map_err(refused)?;
    let finish = |v: std::result::Result<std::io::Result<T>, crossbeam_channel::RecvError>| match v
    {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(refused(e)),
        // The builder ended without a result: it panicked, and said why on the other channel.
        Err(_) => Err(refused(std::io::Error::other(
            panicked.try_recv().unwrap_or_default(),
        ))),
    };
    crossbeam_channel::select! {
        recv(built) -> v => finish(v),
        recv(panicked) -> text => match text {
            Ok(text) => Err(refused(std::io::Error::other(text))),
            // The builder is done with its report channel: its result is on the way.
            Err(_) => finish(built.recv()),
        },
    }
}

/// The error of a tokio task that did not return: a refused blocking thread, or a panic.
pub(crate) fn tokio_task_error(what: &str, e: tokio::task::JoinError) -> Error {
    let text = match e.try_into_panic() {
        Ok(payload) => panic_text(payload.as_ref()).to_string(),
        Err(e) => e.to_string(),
    };
    Error::Spawn {
        what: what.to_string(),
        io: std::io::Error::other(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusing_library_panic_becomes_an_error() {
        let e = catch_refused("tokio runtime", 0, || -> std::io::Result<()> {
            panic!("{TOKIO_REFUSED}: Resource temporarily unavailable")
        })
        .unwrap_err();
        assert!(matches!(e, Error::Spawn { .. }));
        assert!(
            e.to_string()
                .contains("cannot start tokio runtime: OS can't spawn"),
            "{e}"
        );
        assert_eq!(catch_refused("x", 0, || Ok(7)).unwrap(), 7);
    }

    #[test]
    fn threads_and_rayon_pools_start() {
        assert_eq!(
            thread("t", Some(64 << 10), || 3).unwrap().join().unwrap(),
            3
        );
        let pool = rayon_pool(2, None, "test").unwrap();
        assert_eq!(pool.install(rayon::current_num_threads), 2);
    }
}
