//! The lesson's semaphore (`semaphore`): every task holds one of `--permits` permits around a
//! sleep of `--sleep-ms`, so at most that many sleep at once, however many workers run them —
//! 20 threads through a semaphore of 5 slots. The ideal is `ceil(tasks / min(permits, N)) ×
//! sleep`.
//!
//! Threads wait for a permit on a `Mutex` + `Condvar` semaphore (std has none), the async models
//! on tokio's `Semaphore`; both are made afresh before every batch ([`Workload::prepare`]).
//! Every wait is bounded by the task timeout: a task that cannot get a permit within it fails
//! its cell instead of hanging. After every batch the most permits ever held at once must not
//! exceed `--permits` ([`Workload::verify_batch`]), or the cell fails.

use super::{AsyncTask, Batch, Builtin, Column, Ideal, Offload, Params, Reading, Workload, mix};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// Salt so a semaphore task's checksum is its own.
const SALT: u64 = 0x5EED_0000_0000_0070;

/// `tasks` tasks, each holding one of `permits` permits while it sleeps `sleep_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Semaphore {
    /// Permits: tasks that may sleep at once.
    pub permits: u64,
    /// The sleep while a permit is held, milliseconds.
    pub sleep_ms: u64,
}

/// The batch's semaphores and what was held at once.
struct State {
    /// Permits free (the threads' semaphore).
    free: Mutex<u64>,
    freed: Condvar,
    /// The async models' semaphore, made for each batch.
    tokio: Mutex<Option<Arc<tokio::sync::Semaphore>>>,
    /// Permits held now, and the most ever held during the batch.
    held: AtomicU64,
    most: AtomicU64,
    /// How long a task may wait for a permit (the task timeout).
    wait: super::WaitLimit,
}

static STATE: State = State {
    free: Mutex::new(0),
    freed: Condvar::new(),
    tokio: Mutex::new(None),
    held: AtomicU64::new(0),
    most: AtomicU64::new(0),
    wait: super::WaitLimit::new(),
};

fn hold() {
    let now = STATE.held.fetch_add(1, Ordering::SeqCst) + 1;
    STATE.most.fetch_max(now, Ordering::SeqCst);
}

fn release_count() {
    STATE.held.fetch_sub(1, Ordering::SeqCst);
}

impl Semaphore {
    /// `permits` permits around sleeps of `sleep_ms`.
    pub fn new(permits: u64, sleep_ms: u64) -> Self {
        Semaphore { permits, sleep_ms }
    }

    fn sleep(&self) -> Duration {
        Duration::from_millis(self.sleep_ms)
    }

    fn wait_limit() -> Duration {
        STATE.wait.get()
    }

    /// Task `task` on this thread: wait for a permit, sleep, give it back.
    fn run_blocking(&self, task: u64) -> u64 {
        let limit = Self::wait_limit();
        // Time the process was stopped (Ctrl-Z) does not count.
        let deadline = crate::interrupt::Deadline::after(limit);
        {
            let mut free = STATE.free.lock().unwrap_or_else(|e| e.into_inner());
            while *free == 0 {
                let left = deadline.left();
                if deadline.expired() {
                    drop(free);
                    super::user::record_failure(
                        "semaphore",
                        task,
                        &format!(
                            "waited {:.1} s for a permit (the task timeout) without getting one",
                            limit.as_secs_f64()
                        ),
                        false,
                    );
                    return super::user::PANICKED;
                }
                free = STATE
                    .freed
                    .wait_timeout(free, left)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
            *free -= 1;
        }
        hold();
        std::thread::sleep(self.sleep());
        release_count();
        *STATE.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        STATE.freed.notify_one();
        self.expected_checksum(task)
    }
}

impl Workload for Semaphore {
    fn run_task(&self, task: u64) -> u64 {
        self.run_blocking(task)
    }

    fn expected_checksum(&self, task: u64) -> u64 {
        mix(task ^ SALT)
    }

    /// The wait and the sleep block: the gil model releases its lock around them.
    fn run_hooked(&self, task: u64, hooks: &mut dyn super::TaskHooks) -> u64 {
        super::blocking(hooks, || self.run_blocking(task))
    }

    /// tokio's `Semaphore` and a timer: waiting costs no thread.
    fn run_async(&self, task: u64, _: Offload) -> AsyncTask {
        let (w, sem) = (*self, STATE.tokio.lock().unwrap_or_else(|e| e.into_inner()).clone());
        Box::pin(async move {
            let Some(sem) = sem else {
                return Err(crate::Error::TaskFailed {
                    what: format!("task {task}"),
                    message: "the semaphore was not made before the batch".into(),
                });
            };
            let limit = Self::wait_limit();
            // In slices, one acquire keeping its place in the queue: time the process was
            // stopped (Ctrl-Z) does not count.
            let deadline = crate::interrupt::Deadline::after(limit);
            let acquire = sem.acquire();
            tokio::pin!(acquire);
            let permit = loop {
                let slice = deadline.left().min(Duration::from_millis(100));
                match tokio::time::timeout(slice, &mut acquire).await {
                    Ok(p) => break p,
                    Err(_) if deadline.passed() => {
                        return Err(crate::Error::TaskFailed {
                            what: format!("task {task}"),
                            message: format!(
                                "waited {:.1} s for a permit (the task timeout) without getting one",
                                limit.as_secs_f64()
                            ),
                        });
                    }
                    Err(_) => {}
                }
            };
            hold();
            tokio::time::sleep(w.sleep()).await;
            release_count();
            drop(permit);
            Ok(w.expected_checksum(task))
        })
    }

    fn computes(&self) -> bool {
        false
    }

    fn nominal_task_s(&self) -> Option<f64> {
        Some(self.sleep().as_secs_f64())
    }

    fn check(&self) -> Result<(), String> {
        if self.permits == 0 {
            return Err("--permits must be at least 1".into());
        }
        super::at_most_a_day("--sleep-ms", self.sleep_ms)
    }

    fn set(&mut self, params: &Params) {
        if let Some(p) = params.permits {
            self.permits = p;
        }
        if let Some(ms) = params.sleep_ms {
            self.sleep_ms = ms;
        }
    }

    fn shares_memory(&self) -> bool {
        true
    }

    fn prepare(&self, _tasks: u64) -> crate::Result<()> {
        *STATE.free.lock().unwrap_or_else(|e| e.into_inner()) = self.permits;
        let permits = usize::try_from(self.permits)
            .unwrap_or(usize::MAX)
            .min(tokio::sync::Semaphore::MAX_PERMITS);
        *STATE.tokio.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(Arc::new(tokio::sync::Semaphore::new(permits)));
        STATE.held.store(0, Ordering::SeqCst);
        STATE.most.store(0, Ordering::SeqCst);
        Ok(())
    }

    fn set_task_timeout(&self, timeout: Duration) {
        STATE.wait.set(timeout);
    }

    fn verify_batch(&self, _tasks: u64) -> Result<Option<[u64; 2]>, String> {
        let most = STATE.most.load(Ordering::SeqCst);
        if most > self.permits {
            return Err(format!(
                "{most} permits were held at once, more than the {} there are",
                self.permits
            ));
        }
        Ok(None)
    }
}

impl Builtin for Semaphore {
    /// The lesson's 5 permits and 20 tasks, 20 ms each.
    fn sized(_max_workers: u64, _batch_ms: u64) -> (Self, u64) {
        (Semaphore::new(5, 20), 20)
    }
}

impl Reading for Semaphore {
    fn describe(&self, tasks: u64) -> String {
        format!(
            "{tasks} tasks × {} ms sleep, {} permits",
            self.sleep_ms, self.permits
        )
    }
    /// Waves of min(permits, the tasks the model lets wait at once).
    fn ideal(&self, b: &Batch) -> Ideal {
        Ideal::waves(
            b.tasks,
            b.waits.min(self.permits).max(1),
            self.sleep().as_secs_f64(),
        )
    }
    fn column(&self) -> Column {
        Column::IdealTime
    }
    fn title(&self) -> String {
        format!("Semaphore ({} permits)", self.permits)
    }
    fn ideal_label(&self, time: bool) -> Option<&'static str> {
        Some(if time {
            "ideal: ceil(tasks / min(permits, N)) × sleep"
        } else {
            "ideal"
        })
    }
    fn still_growing(&self, _logical_cores: usize) -> String {
        "so the permits, not the workers, are the limit yet".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_more_than_the_permits_sleep_at_once_and_waits_are_bounded() {
        let w = Semaphore::new(3, 5);
        w.prepare(8).unwrap();
        let t0 = std::time::Instant::now();
        std::thread::scope(|s| {
            for t in 0..12 {
                s.spawn(move || assert_eq!(w.run_task(t), w.expected_checksum(t)));
            }
        });
        // 12 tasks through 3 permits: at least 4 waves of 5 ms.
        assert!(t0.elapsed() >= Duration::from_millis(20));
        assert_eq!(w.verify_batch(12), Ok(None));
        assert_eq!(STATE.most.load(Ordering::SeqCst), 3);
        assert!(Semaphore::new(0, 1).check().unwrap_err().contains("--permits"));
    }
}
