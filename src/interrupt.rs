//! Ctrl-C and SIGTERM during a run. [`install`] replaces the default action (die at once, leaving
//! children behind and the last checkpoint unsaved) with a handler that only records the signal.
//! Everything that waits for workers polls [`check`] at least every 100 ms: it returns
//! [`Error::Interrupted`], the executors are dropped (which kills and reaps their children), the
//! runner saves what it measured, and the binary exits with 128 + the signal (130, 143).
//! In-process models (threads, pools, async) notice at the end of their current batch.
//! Ctrl-Z / SIGSTOP: the time the process was stopped is not counted against task timeouts
//! ([`PauseWatch`], [`Deadline`]). Nothing here prints or kills anything itself.

use crate::error::{Error, Result};
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

static SIGNAL: AtomicI32 = AtomicI32::new(0);

extern "C" fn record(signal: libc::c_int) {
    // Only an atomic store: async-signal-safe.
    SIGNAL.store(signal, Ordering::SeqCst);
}

/// Routes SIGINT and SIGTERM to the recorder. Idempotent.
pub fn install() -> Result<()> {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: a zeroed sigaction with a plain handler, an empty mask and no flags (no
        // SA_RESTART: blocked waits return EINTR and get to look at the flag).
        let ok = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = record as *const () as libc::sighandler_t;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(sig, &action, std::ptr::null_mut()) == 0
        };
        if !ok {
            return Err(Error::Spawn {
                what: format!("handler for signal {sig}"),
                io: std::io::Error::last_os_error(),
            });
        }
    }
    Ok(())
}

/// The signal received, if any.
pub fn requested() -> Option<i32> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        s => Some(s),
    }
}

/// `Err(Error::Interrupted)` once a signal has been received.
pub fn check() -> Result<()> {
    match requested() {
        None => Ok(()),
        Some(signal) => Err(Error::Interrupted { signal }),
    }
}

/// Records `signal` as if it had been received (for tests and for callers that stop a run
/// for their own reasons).
pub fn request(signal: i32) {
    SIGNAL.store(signal, Ordering::SeqCst);
}

/// Time the whole process was stopped (Ctrl-Z, SIGSTOP, a suspended machine), nanoseconds, as
/// the waiting loops of the runner and the process models saw it ([`PauseWatch`]).
static PAUSED_NS: AtomicU64 = AtomicU64::new(0);

/// A wake-up this much later than its loop's tick means the process was stopped.
const LATE: Duration = Duration::from_secs(1);

/// Watches the wake-ups of a loop that wakes at least every `tick` (the runner's watch over a
/// batch, the process models' supervision): a wake-up more than a second late means the whole
/// process was stopped, and that time goes to [`paused`], which no task timeout counts
/// ([`Deadline`]). One watch per loop, made when the loop starts.
#[derive(Debug)]
pub struct PauseWatch {
    last: Instant,
    tick: Duration,
}

impl PauseWatch {
    /// A watch over a loop that wakes at least every `tick`.
    pub fn new(tick: Duration) -> Self {
        PauseWatch {
            last: Instant::now(),
            tick,
        }
    }

    /// Called on every wake-up.
    pub fn tick(&mut self) {
        let now = Instant::now();
        let gap = now.saturating_duration_since(self.last);
        if gap > self.tick + LATE {
            let stopped = gap - self.tick;
            PAUSED_NS.fetch_add(stopped.as_nanos() as u64, Ordering::SeqCst);
        }
        self.last = now;
    }
}

/// All the time the process was seen stopped so far.
pub fn paused() -> Duration {
    Duration::from_nanos(PAUSED_NS.load(Ordering::SeqCst))
}

/// A deadline that does not count the time the process was stopped.
#[derive(Clone, Copy, Debug)]
pub struct Deadline {
    start: Instant,
    limit: Duration,
    paused_at_start: Duration,
}

impl Deadline {
    /// `limit` from now.
    pub fn after(limit: Duration) -> Self {
        Deadline {
            start: Instant::now(),
            limit,
            paused_at_start: paused(),
        }
    }

    /// How long it has run, not counting pauses.
    pub fn elapsed(&self) -> Duration {
        let stopped = paused().saturating_sub(self.paused_at_start);
        self.start.elapsed().saturating_sub(stopped)
    }

    /// What is left of it.
    pub fn left(&self) -> Duration {
        self.limit.saturating_sub(self.elapsed())
    }

    /// Whether it has passed.
    pub fn passed(&self) -> bool {
        self.left().is_zero()
    }

    /// Whether it has passed for sure: a thread waking from a stop of the whole process may
    /// look before the watching loop has counted the stop, so a deadline that seems passed is
    /// looked at again after two of that loop's ticks (200 ms).
    pub fn expired(&self) -> bool {
        if !self.passed() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(200));
        self.passed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_late_wake_up_is_a_pause_no_deadline_counts() {
        let d = Deadline::after(Duration::from_millis(50));
        let mut w = PauseWatch::new(Duration::from_millis(1));
        // As if the process had been stopped for two seconds.
        w.last -= Duration::from_secs(2);
        let before = paused();
        w.tick();
        assert!(paused() - before >= Duration::from_millis(1900));
        std::thread::sleep(Duration::from_millis(60));
        assert!(!d.passed(), "the pause does not count");
        let after = Deadline::after(Duration::from_millis(50));
        std::thread::sleep(Duration::from_millis(60));
        assert!(after.passed());
        // An on-time wake-up is no pause.
        let before = paused();
        w.tick();
        assert_eq!(paused(), before);
    }
}
