//! The IO-bound workload: each task blocks in a real `thread::sleep`, as the lesson's
//! `time.sleep(2)` does. The thread is parked by the OS for the whole time and uses no CPU.
//! Real sockets are a separate workload (not here).

use super::sizes::Sizes;
use super::{AsyncTask, Batch, Builtin, Column, Ideal, Offload, Params, Reading, Workload, mix};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Salt so an io task's checksum differs from a noop task's with the same index.
const SALT: u64 = 0x5EED_0000_0000_0010;

/// Sleeps `sleep_ms` milliseconds per task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SleepIo {
    /// Sleep per task, in milliseconds (the mean, with uneven sizes).
    pub sleep_ms: u64,
    /// Task sizes and order (`--task-sizes`, `--order`); plain by default.
    #[serde(default, skip_serializing_if = "Sizes::is_plain")]
    pub sizes: Sizes,
}

impl SleepIo {
    /// A task that sleeps `sleep_ms` milliseconds.
    pub fn new(sleep_ms: u64) -> Self {
        SleepIo {
            sleep_ms,
            sizes: Sizes::default(),
        }
    }

    fn sleep(&self) -> Duration {
        Duration::from_millis(self.sleep_ms)
    }

    /// The task at `position` and its sleep.
    fn task_at(&self, position: u64) -> (u64, Duration) {
        let (task, factor) = self.sizes.at(position);
        (task, self.sleep().mul_f64(factor))
    }
}

impl Workload for SleepIo {
    fn run_task(&self, position: u64) -> u64 {
        let (_, sleep) = self.task_at(position);
        std::thread::sleep(sleep);
        self.expected_checksum(position)
    }

    fn expected_checksum(&self, position: u64) -> u64 {
        mix(self.sizes.at(position).0 ^ SALT)
    }

    /// The sleep blocks: the hooks hear about it (the gil model releases its lock).
    fn run_hooked(&self, task: u64, hooks: &mut dyn super::TaskHooks) -> u64 {
        super::blocking(hooks, || self.run_task(task))
    }

    /// A timer of the runtime's, no thread held.
    fn run_async(&self, position: u64, _: Offload) -> AsyncTask {
        let (sleep, c) = (self.task_at(position).1, self.expected_checksum(position));
        Box::pin(async move {
            tokio::time::sleep(sleep).await;
            Ok(c)
        })
    }

    fn computes(&self) -> bool {
        false
    }

    fn nominal_task_s(&self) -> Option<f64> {
        Some(self.sleep().as_secs_f64())
    }

    /// The lesson's sleep, with even tasks in submit order only.
    fn python(&self) -> Option<(&'static str, u64)> {
        self.sizes.is_plain().then_some(("io", self.sleep_ms))
    }

    fn check(&self) -> Result<(), String> {
        super::at_most_a_day("--sleep-ms", self.sleep_ms)
    }

    fn set(&mut self, p: &Params) {
        self.sleep_ms = p.sleep_ms.unwrap_or(self.sleep_ms);
        self.sizes = p.sizes(self.sizes);
    }

    fn set_tasks(&mut self, tasks: u64) {
        self.sizes.set_tasks(tasks);
    }

    fn sizes(&self) -> Option<Sizes> {
        Some(self.sizes)
    }
}

impl Builtin for SleepIo {
    /// A batch on one worker takes tasks × sleep: kept near `batch_ms` however many tasks a big
    /// machine needs, but never below 5 ms a sleep.
    fn sized(max_workers: u64, batch_ms: u64) -> (Self, u64) {
        let tasks = 16u64.max(2 * max_workers);
        (SleepIo::new((batch_ms / tasks).max(5)), tasks)
    }
}

impl Reading for SleepIo {
    fn describe(&self, tasks: u64) -> String {
        format!(
            "{tasks} tasks × {} ms sleep{}",
            self.sleep_ms,
            self.sizes.describe()
        )
    }
    /// Waves of sleeps: `ceil(tasks / waits) × sleep`; with uneven sleeps, the longest sleep
    /// or the total spread over the waits, whichever is longer.
    fn ideal(&self, b: &Batch) -> Ideal {
        let sleep = self.sleep().as_secs_f64();
        match self.sizes.dist.is_uniform() {
            true => Ideal::waves(b.tasks, b.waits, sleep),
            false => {
                let units = self.sizes.bound(b.tasks, b.waits);
                Ideal {
                    time_s: Some(units * sleep),
                    speedup: Some(b.tasks as f64 / units),
                }
            }
        }
    }
    fn column(&self) -> Column {
        Column::IdealTime
    }
    fn title(&self) -> String {
        "IO-bound".into()
    }
    fn still_growing(&self, logical_cores: usize) -> String {
        format!("so waiting, not the {logical_cores} cores, bounds it")
    }
    fn ideal_label(&self, time: bool) -> Option<&'static str> {
        Some(if time {
            "ideal ceil(T/N)×sleep"
        } else {
            "ideal"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn sleeps_at_least_the_requested_time() {
        let start = Instant::now();
        let c = SleepIo::new(20).run_task(5);
        assert!(start.elapsed() >= Duration::from_millis(20));
        assert_eq!(c, SleepIo::new(20).expected_checksum(5));
    }
}
