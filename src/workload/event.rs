//! The lesson's event (`event`): the tasks of a batch are waiters — the lesson's cars at a red
//! light — released together by one signal, and what is measured is how long each waiter takes
//! to run again after the signal (its wake latency), p50 / p99 / max, as N grows (20 cars, then
//! 1000).
//!
//! The last task to arrive gives the signal (it is the traffic light, and its own latency is not
//! counted). A model that cannot hold every task waiting at once (a pool of N < tasks threads)
//! would never see that last task arrive: after `--signal-after-ms` without a new arrival, the
//! waiter that notices gives the signal instead, and the tasks that come after it pass without
//! waiting. Threads wait on a `Condvar` (`notify_all`), futures on tokio's `Notify`
//! (`notify_waiters`). Every wait is bounded by the task timeout; a waiter that reaches it fails
//! its cell. The state is reset before every batch ([`Workload::prepare`]); the latencies are
//! handed to the runner after it ([`Workload::take_latencies_ns`]). The batch's wall time says
//! little here; the wake latencies are the result.

use super::{AsyncTask, Batch, Builtin, Column, Ideal, Offload, Params, Reading, Workload, mix};
use serde::{Deserialize, Serialize};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// Salt so an event task's checksum is its own.
const SALT: u64 = 0x5EED_0000_0000_0080;

/// Waiters released by one signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// How long waiters wait for another arrival before one of them gives the signal anyway,
    /// milliseconds.
    pub signal_after_ms: u64,
}

/// A batch's event.
#[derive(Default)]
struct Light {
    /// Tasks of the batch.
    tasks: u64,
    /// Tasks that arrived.
    arrived: u64,
    /// When the last one arrived.
    last_arrival: Option<Instant>,
    /// When the signal was given.
    set_at: Option<Instant>,
    /// Wake latencies of the waiters, nanoseconds.
    latencies_ns: Vec<u64>,
}

static LIGHT: Mutex<Light> = Mutex::new(Light {
    tasks: 0,
    arrived: 0,
    last_arrival: None,
    set_at: None,
    latencies_ns: Vec::new(),
});
static GREEN: Condvar = Condvar::new();

/// The async models' wake-up call; made once.
fn notify() -> &'static tokio::sync::Notify {
    static NOTIFY: std::sync::OnceLock<tokio::sync::Notify> = std::sync::OnceLock::new();
    NOTIFY.get_or_init(tokio::sync::Notify::new)
}

/// How long a waiter may wait in all, nanoseconds (the task timeout).
static WAIT: super::WaitLimit = super::WaitLimit::new();

fn light() -> std::sync::MutexGuard<'static, Light> {
    LIGHT.lock().unwrap_or_else(|e| e.into_inner())
}

/// What an arriving task does first.
enum Arrival {
    /// The signal was given already: pass.
    Pass,
    /// It is the last to arrive: it gave the signal.
    Signalled,
    /// Wait for the signal.
    Wait,
}

fn arrive(l: &mut Light) -> Arrival {
    let now = Instant::now();
    if l.set_at.is_some() {
        return Arrival::Pass;
    }
    l.arrived += 1;
    l.last_arrival = Some(now);
    if l.arrived >= l.tasks {
        l.set_at = Some(now);
        return Arrival::Signalled;
    }
    Arrival::Wait
}

/// Whether nobody arrived for `quiet`: then the caller gives the signal.
fn give_up_waiting(l: &mut Light, quiet: Duration) -> bool {
    if l.set_at.is_none() && l.last_arrival.is_some_and(|t| t.elapsed() >= quiet) {
        l.set_at = Some(Instant::now());
        return true;
    }
    false
}

fn too_long(limit: Duration) -> String {
    format!(
        "waited {:.1} s (the task timeout) for the signal",
        limit.as_secs_f64()
    )
}

impl Event {
    /// Waiters that give the signal themselves after `signal_after_ms` without a new arrival.
    pub fn new(signal_after_ms: u64) -> Self {
        Event { signal_after_ms }
    }

    fn quiet(&self) -> Duration {
        Duration::from_millis(self.signal_after_ms)
    }

    fn run_blocking(&self, task: u64) -> u64 {
        let limit = WAIT.get();
        // Time the process was stopped (Ctrl-Z) does not count.
        let deadline = crate::interrupt::Deadline::after(limit);
        let mut l = light();
        match arrive(&mut l) {
            Arrival::Pass => return self.expected_checksum(task),
            Arrival::Signalled => {
                drop(l);
                GREEN.notify_all();
                notify().notify_waiters();
                return self.expected_checksum(task);
            }
            Arrival::Wait => {}
        }
        loop {
            if let Some(set) = l.set_at {
                let ns = set.elapsed().as_nanos() as u64;
                l.latencies_ns.push(ns);
                return self.expected_checksum(task);
            }
            let left = deadline.left();
            if deadline.expired() {
                drop(l);
                super::user::record_failure("event", task, &too_long(limit), false);
                return super::user::PANICKED;
            }
            let (next, _) = GREEN
                .wait_timeout(l, left.min(self.quiet()))
                .unwrap_or_else(|e| e.into_inner());
            l = next;
            if give_up_waiting(&mut l, self.quiet()) {
                drop(l);
                GREEN.notify_all();
                notify().notify_waiters();
                return self.expected_checksum(task);
            }
        }
    }
}

impl Workload for Event {
    fn run_task(&self, task: u64) -> u64 {
        self.run_blocking(task)
    }

    fn expected_checksum(&self, task: u64) -> u64 {
        mix(task ^ SALT)
    }

    fn run_hooked(&self, task: u64, hooks: &mut dyn super::TaskHooks) -> u64 {
        super::blocking(hooks, || self.run_blocking(task))
    }

    /// tokio's `Notify`: a waiting future holds no thread.
    fn run_async(&self, task: u64, _: Offload) -> AsyncTask {
        let w = *self;
        Box::pin(async move {
            let limit = WAIT.get();
            // Time the process was stopped (Ctrl-Z) does not count.
            let deadline = crate::interrupt::Deadline::after(limit);
            // Registered before arriving, so the signal cannot come in between unseen.
            let notified = notify().notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let arrival = arrive(&mut light());
            match arrival {
                Arrival::Pass => return Ok(w.expected_checksum(task)),
                Arrival::Signalled => {
                    GREEN.notify_all();
                    notify().notify_waiters();
                    return Ok(w.expected_checksum(task));
                }
                Arrival::Wait => {}
            }
            loop {
                if deadline.passed() {
                    return Err(crate::Error::TaskFailed {
                        what: format!("task {task}"),
                        message: too_long(limit),
                    });
                }
                let wait = deadline.left().min(w.quiet());
                if tokio::time::timeout(wait, notified.as_mut()).await.is_ok() {
                    let mut l = light();
                    if let Some(set) = l.set_at {
                        let ns = set.elapsed().as_nanos() as u64;
                        l.latencies_ns.push(ns);
                    }
                    return Ok(w.expected_checksum(task));
                }
                let mut l = light();
                if give_up_waiting(&mut l, w.quiet()) {
                    drop(l);
                    GREEN.notify_all();
                    notify().notify_waiters();
                    return Ok(w.expected_checksum(task));
                }
            }
        })
    }

    fn computes(&self) -> bool {
        false
    }

    fn check(&self) -> Result<(), String> {
        super::at_most_a_day("--signal-after-ms", self.signal_after_ms)
    }

    fn set(&mut self, params: &Params) {
        if let Some(ms) = params.signal_after_ms {
            self.signal_after_ms = ms;
        }
    }

    fn shares_memory(&self) -> bool {
        true
    }

    fn set_task_timeout(&self, timeout: Duration) {
        WAIT.set(timeout);
    }

    fn prepare(&self, tasks: u64) -> crate::Result<()> {
        *light() = Light {
            tasks,
            ..Light::default()
        };
        Ok(())
    }

    fn take_latencies_ns(&self) -> Option<Vec<u64>> {
        Some(std::mem::take(&mut light().latencies_ns))
    }
}

impl Builtin for Event {
    /// The lesson's 20 cars; waiters give the signal after 50 ms without an arrival.
    fn sized(_max_workers: u64, _batch_ms: u64) -> (Self, u64) {
        (Event::new(50), 20)
    }
}

impl Reading for Event {
    fn describe(&self, tasks: u64) -> String {
        format!("{tasks} waiters released by one signal")
    }
    fn ideal(&self, _: &Batch) -> Ideal {
        Ideal::default()
    }
    /// The wall time of a batch is mostly the signal's wait: no speedup to speak of; the
    /// tables show the time per task and the wake latencies.
    fn column(&self) -> Column {
        Column::PerTask
    }
    fn title(&self) -> String {
        "Event".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// The statics are shared: the tests that use them take turns.
    static SERIAL: Mutex<()> = Mutex::new(());

    #[test]
    fn every_waiter_is_released_by_the_last_arrival_and_timed() {
        let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let w = Event::new(5_000);
        w.prepare(8).unwrap();
        std::thread::scope(|s| {
            for t in 0..8 {
                s.spawn(move || assert_eq!(w.run_task(t), w.expected_checksum(t)));
            }
        });
        let lat = w.take_latencies_ns().unwrap();
        assert_eq!(lat.len(), 7, "every waiter but the one that signalled");
        assert!(lat.iter().all(|ns| *ns < 5_000_000_000));
    }

    #[test]
    fn fewer_threads_than_waiters_give_the_signal_after_the_quiet_time() {
        let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let w = Event::new(30);
        w.prepare(6).unwrap();
        let next = AtomicU64::new(0);
        let t0 = Instant::now();
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| {
                    loop {
                        let t = next.fetch_add(1, Ordering::Relaxed);
                        if t >= 6 {
                            break;
                        }
                        w.run_task(t);
                    }
                });
            }
        });
        assert!(t0.elapsed() >= Duration::from_millis(30));
        assert!(t0.elapsed() < Duration::from_secs(5));
        // One waited and was released by the other, which gave the signal; the rest passed.
        assert_eq!(w.take_latencies_ns().unwrap().len(), 1);
    }

    #[test]
    fn futures_wait_on_notify_and_are_timed_too() {
        let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let w = Event::new(5_000);
        w.prepare(50).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let sum = rt.block_on(async {
            let hs: Vec<_> = (0..50)
                .map(|t| tokio::spawn(w.run_async(t, |_| unreachable!())))
                .collect();
            let mut sum = 0u64;
            for h in hs {
                sum = sum.wrapping_add(h.await.unwrap().unwrap());
            }
            sum
        });
        assert_eq!(sum, (0..50).fold(0u64, |a, t| a.wrapping_add(w.expected_checksum(t))));
        assert_eq!(w.take_latencies_ns().unwrap().len(), 49);
    }
}
