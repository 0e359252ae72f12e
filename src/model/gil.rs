//! `gil`: a simulated global interpreter lock, as in CPython. N long-lived threads take tasks from
//! one queue, but a thread must hold the one lock to compute. A holder gives the lock up when
//! another thread has waited and the switch interval (`--switch-interval-ms`, CPython's default
//! 5 ms) has passed since it took it, checked between compute chunks the way CPython checks its
//! eval breaker between bytecodes; it always releases the lock while it sleeps, as CPython does
//! around blocking IO. Hand-over is first come, first served (a queue of parked waiters), like CPython's
//! forced switching since 3.2. So CPU-bound tasks run one at a time whatever N is, while sleeps
//! overlap as with plain threads: the lesson's "threads don't help CPU-bound Python".
//!
//! This models the lock only, not the interpreter: tasks run compiled Rust at native speed.

use super::{BatchOutcome, Executor, ThreadPoolModel};
use crate::error::Result;
use crate::workload::{TaskHooks, WorkloadSpec};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::Thread;
use std::time::{Duration, Instant};

pub use crate::exec::DEFAULT_SWITCH_INTERVAL;

/// The lock: first come, first served. Waiters queue up and park; a release wakes only the
/// first in line (a condition variable woken for everyone made 4000 threads waking from their
/// sleeps at once take quadratic time).
#[derive(Debug)]
pub struct Gil {
    state: Mutex<GilState>,
    waiting: AtomicUsize,
    switch_interval: Duration,
}

#[derive(Debug, Default)]
struct GilState {
    held: bool,
    queue: VecDeque<(u64, Thread)>,
    next_id: u64,
}

impl Gil {
    /// A free lock with the given switch interval.
    pub fn new(switch_interval: Duration) -> Self {
        Gil {
            state: Mutex::new(GilState::default()),
            waiting: AtomicUsize::new(0),
            switch_interval,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GilState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for the lock; returns when it is held.
    fn acquire(&self) -> Instant {
        let mut st = self.lock();
        if !st.held && st.queue.is_empty() {
            st.held = true;
            return Instant::now();
        }
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let me = st.next_id;
        st.next_id += 1;
        st.queue.push_back((me, std::thread::current()));
        loop {
            if !st.held && st.queue.front().is_some_and(|(id, _)| *id == me) {
                st.queue.pop_front();
                st.held = true;
                break;
            }
            drop(st);
            // Spurious wake-ups are fine: the loop checks whose turn it is.
            std::thread::park();
            st = self.lock();
        }
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        Instant::now()
    }

    /// Frees the lock and wakes the first waiter, if any.
    fn release(&self) {
        let mut st = self.lock();
        st.held = false;
        if let Some((_, t)) = st.queue.front() {
            t.unpark();
        }
    }
}

/// A task's view of the lock: held while computing, dropped while blocking and when its
/// switch interval is up and someone waits.
struct Holder<'a> {
    gil: &'a Gil,
    since: Instant,
}

impl<'a> Holder<'a> {
    fn take(gil: &'a Gil) -> Self {
        Holder {
            gil,
            since: gil.acquire(),
        }
    }
}

impl TaskHooks for Holder<'_> {
    fn check(&mut self) {
        if self.gil.waiting.load(Ordering::Relaxed) > 0
            && self.since.elapsed() >= self.gil.switch_interval
        {
            self.gil.release();
            self.since = self.gil.acquire();
        }
    }
    fn blocking_begin(&mut self) {
        self.gil.release();
    }
    fn blocking_end(&mut self) {
        self.since = self.gil.acquire();
    }
}

impl Drop for Holder<'_> {
    fn drop(&mut self) {
        self.gil.release();
    }
}

/// N pool threads sharing one [`Gil`].
#[derive(Debug)]
pub struct GilModel {
    pool: ThreadPoolModel,
}

impl GilModel {
    /// Starts `workers` threads that share one lock with the given switch interval.
    /// `stack_size` bytes of stack per thread (Rust's default when `None`).
    pub fn start(
        workers: usize,
        switch_interval: Duration,
        stack_size: Option<usize>,
    ) -> Result<Self> {
        let gil = Arc::new(Gil::new(switch_interval));
        let pool = ThreadPoolModel::start_with(
            workers,
            stack_size,
            "gil",
            Arc::new(move |workload: &WorkloadSpec, task| {
                let mut holder = Holder::take(&gil);
                workload.run_task_hooked(task, &mut holder)
            }),
        )?;
        Ok(GilModel { pool })
    }
}

impl Executor for GilModel {
    fn run_batch(&mut self, workload: &WorkloadSpec, tasks: u64) -> Result<BatchOutcome> {
        self.pool.run_batch(workload, tasks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_one_holder_at_a_time_and_waiters_get_turns() {
        let gil = Arc::new(Gil::new(Duration::from_millis(1)));
        let inside = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..3)
            .map(|_| {
                let (gil, inside) = (gil.clone(), inside.clone());
                std::thread::spawn(move || {
                    for _ in 0..200 {
                        let h = Holder::take(&gil);
                        assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0);
                        std::hint::black_box(0..1000).for_each(drop);
                        inside.fetch_sub(1, Ordering::SeqCst);
                        drop(h);
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    }
}
