//! When each task of a batch finished, counted from the batch's start, and how long the tasks
//! ran in all: what the mean and p99 completion time and the workers' idle share are made of.
//!
//! The runner starts the clock just before a batch and reads it just after ([`start`],
//! [`finish`]); the workload layer stamps every task it runs in this process
//! ([`crate::workload::WorkloadSpec::run_task`], the async models' futures), and the process
//! models pass on the stamps their workers send with each answer ([`record`]). Stamps are
//! `CLOCK_MONOTONIC` nanoseconds, one clock for every process of the machine. Recording is
//! lock-free (a forked child may stamp its own copy without fear of a lock held at fork). A
//! batch of more than [`CAPACITY`] tasks, or one whose tasks were not all stamped (CPython's
//! models), gives nothing. What the numbers mean is left to `result`.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// The most tasks a batch can have for its completion times to be kept.
pub const CAPACITY: usize = 1 << 16;

static ON: AtomicBool = AtomicBool::new(false);
static EPOCH: AtomicU64 = AtomicU64::new(0);
static NEXT: AtomicUsize = AtomicUsize::new(0);
static BUSY: AtomicU64 = AtomicU64::new(0);
static ENDS: [AtomicU64; CAPACITY] = [const { AtomicU64::new(0) }; CAPACITY];

/// Nanoseconds on the machine's monotonic clock (the same in every process).
pub fn now_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid timespec to write; CLOCK_MONOTONIC always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// What the clock saw of one batch.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchTimes {
    /// Each task's completion, from the batch's start, nanoseconds (in completion order).
    pub completion_ns: Vec<u64>,
    /// The tasks' running times added up, nanoseconds.
    pub busy_ns: u64,
}

/// Starts the clock for a batch.
pub fn start() {
    NEXT.store(0, Ordering::SeqCst);
    BUSY.store(0, Ordering::SeqCst);
    EPOCH.store(now_ns(), Ordering::SeqCst);
    ON.store(true, Ordering::SeqCst);
}

/// Stops the clock: the batch's times if every one of its `tasks` tasks was stamped.
pub fn finish(tasks: u64) -> Option<BatchTimes> {
    ON.store(false, Ordering::SeqCst);
    let n = NEXT.load(Ordering::SeqCst);
    if n as u64 != tasks || n > CAPACITY || n == 0 {
        return None;
    }
    let epoch = EPOCH.load(Ordering::SeqCst);
    Some(BatchTimes {
        completion_ns: ENDS[..n]
            .iter()
            .map(|e| e.load(Ordering::SeqCst).saturating_sub(epoch))
            .collect(),
        busy_ns: BUSY.load(Ordering::SeqCst),
    })
}

/// A task's start, if the clock runs.
pub fn begin() -> Option<u64> {
    ON.load(Ordering::Relaxed).then(now_ns)
}

/// A task that began at `begin()` has ended.
pub fn end(began: Option<u64>) {
    if let Some(start) = began {
        record(start, now_ns());
    }
}

/// A task ran from `start_ns` to `end_ns` (stamps of [`now_ns`], possibly another process's).
pub fn record(start_ns: u64, end_ns: u64) {
    if !ON.load(Ordering::Relaxed) || start_ns == 0 || end_ns < start_ns {
        return;
    }
    let i = NEXT.fetch_add(1, Ordering::Relaxed);
    if let Some(slot) = ENDS.get(i) {
        slot.store(end_ns, Ordering::Relaxed);
    }
    BUSY.fetch_add(end_ns - start_ns, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Other tests of this binary may run tasks meanwhile and stamp them too: tried a few
    /// times, each window short.
    #[test]
    fn a_batch_is_kept_only_when_every_task_was_stamped() {
        let ok = (0..20).any(|_| {
            start();
            let t = begin();
            let spin = std::time::Instant::now();
            while spin.elapsed() < std::time::Duration::from_micros(50) {}
            end(t);
            let now = now_ns();
            record(now - 1_000, now);
            finish(2).is_some_and(|b| b.completion_ns.len() == 2 && b.busy_ns >= 50_000 + 1_000)
        });
        assert!(ok);
        // Off: nothing is stamped; a batch missing tasks gives nothing.
        end(begin());
        start();
        end(begin());
        assert_eq!(finish(50), None);
    }
}
