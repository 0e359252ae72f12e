//! Ctrl-C and SIGTERM during a run. [`install`] replaces the default action (die at once, leaving
//! children behind and the last checkpoint unsaved) with a handler that only records the signal.
//! Everything that waits for workers polls [`check`] at least every 100 ms: it returns
//! [`Error::Interrupted`], the executors are dropped (which kills and reaps their children), the
//! runner saves what it measured, and the binary exits with 128 + the signal (130, 143).
//! In-process models (threads, pools, async) notice at the end of their current batch.
//! Nothing here prints or kills anything itself.

use crate::error::{Error, Result};
use std::sync::atomic::{AtomicI32, Ordering};

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
