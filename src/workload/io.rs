//! The IO-bound workload: each task blocks in a real `thread::sleep`, as the lesson's
//! `time.sleep(2)` does. The thread is parked by the OS for the whole time and uses no CPU.
//! Real sockets are a separate workload (not here).

use super::{Batch, Column, Ideal, Reading, Workload, mix};
use std::time::Duration;

/// Salt so an io task's checksum differs from a noop task's with the same index.
const SALT: u64 = 0x5EED_0000_0000_0010;

/// Sleeps `sleep_ms` milliseconds per task.
#[derive(Clone, Copy, Debug)]
pub struct SleepIo {
    sleep: Duration,
}

impl SleepIo {
    /// A task that sleeps `sleep_ms` milliseconds.
    pub fn new(sleep_ms: u64) -> Self {
        SleepIo {
            sleep: Duration::from_millis(sleep_ms),
        }
    }
}

impl Workload for SleepIo {
    fn run_task(&self, task: u64) -> u64 {
        std::thread::sleep(self.sleep);
        self.expected_checksum(task)
    }

    fn expected_checksum(&self, task: u64) -> u64 {
        mix(task ^ SALT)
    }
}

impl Reading for SleepIo {
    fn describe(&self, tasks: u64) -> String {
        format!("{tasks} tasks × {} ms sleep", self.sleep.as_millis())
    }
    /// Waves of sleeps: `ceil(tasks / waits) × sleep`.
    fn ideal(&self, b: &Batch) -> Ideal {
        Ideal::waves(b.tasks, b.waits, self.sleep.as_secs_f64())
    }
    fn column(&self) -> Column {
        Column::IdealTime
    }
    fn title(&self) -> String {
        "IO-bound".into()
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
