//! The mixed workload: each task computes for a while (the multiply loop, `cpu_ms` worth of it as
//! calibrated on this machine) and then blocks in a sleep of `io_ms`, like a request handler that
//! parses, then waits on a database. It is what `parbench advise` measures. Calibration (turning
//! milliseconds into iterations) is timing, so it lives in `measure::calibrate`, not here.

use super::{
    Batch, Column, Ideal, MultiplyLoop, NoHooks, Reading, TaskHooks, Workload, combine, mix,
};
use std::time::Duration;

/// Salt so the sleep half of a mixed task has its own checksum.
const SALT: u64 = 0x5EED_0000_0000_0030;

/// `iterations` multiply steps, then a sleep of `io_ms`.
#[derive(Clone, Copy, Debug)]
pub struct MixedTask {
    compute: MultiplyLoop,
    io: Duration,
}

impl MixedTask {
    /// A task of `iterations` multiply steps followed by `io_ms` milliseconds of sleep.
    pub fn new(iterations: u64, io_ms: u64) -> Self {
        MixedTask {
            compute: MultiplyLoop::new(iterations),
            io: Duration::from_millis(io_ms),
        }
    }

    /// Runs the task, telling `hooks` about the compute chunks and the blocking sleep.
    pub fn run_hooked(&self, task: u64, hooks: &mut dyn TaskHooks) -> u64 {
        let c = self.compute.run_hooked(task, hooks);
        hooks.blocking_begin();
        std::thread::sleep(self.io);
        hooks.blocking_end();
        combine(c, Self::io_checksum(task))
    }

    /// The checksum of the sleep half of task `task`; the whole task's is the compute half's
    /// combined with this.
    pub fn io_checksum(task: u64) -> u64 {
        mix(task ^ SALT)
    }

    /// The compute half alone (what calibration times).
    pub fn compute(&self) -> MultiplyLoop {
        self.compute
    }
}

impl Workload for MixedTask {
    fn run_task(&self, task: u64) -> u64 {
        self.run_hooked(task, &mut NoHooks)
    }

    fn expected_checksum(&self, task: u64) -> u64 {
        combine(self.compute.run_task(task), Self::io_checksum(task))
    }
}

/// A mixed workload's parameters, for reading its results.
#[derive(Clone, Copy, Debug)]
pub struct MixedSpec {
    /// The compute time asked for, milliseconds.
    pub cpu_ms: u64,
    /// The sleep per task, milliseconds.
    pub io_ms: u64,
    /// Multiply steps per task, from calibration.
    pub iterations: u64,
}

impl Reading for MixedSpec {
    fn describe(&self, tasks: u64) -> String {
        format!(
            "{tasks} tasks × ({} ms compute = {} multiplies, then {} ms sleep)",
            self.cpu_ms, self.iterations, self.io_ms
        )
    }
    /// Bounded by the cores (all compute spread over those that may compute at once) and by
    /// the waves of tasks that can be in flight at once.
    fn ideal(&self, b: &Batch) -> Ideal {
        let (cpu, io, t) = (
            self.cpu_ms as f64 / 1000.0,
            self.io_ms as f64 / 1000.0,
            b.tasks,
        );
        let by_cores = t as f64 * cpu / b.computes as f64;
        let by_waves = t.div_ceil(b.waits.min(b.workers as u64).max(1)) as f64 * (cpu + io);
        let by_waves = if b.waits >= t { cpu + io } else { by_waves };
        let ideal = by_cores.max(by_waves);
        Ideal {
            time_s: Some(ideal),
            speedup: Some(t as f64 * (cpu + io) / ideal),
        }
    }
    fn column(&self) -> Column {
        Column::IdealTime
    }
    fn title(&self) -> String {
        "Mixed compute + wait".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn computes_then_sleeps_and_tells_the_hooks() {
        #[derive(Default)]
        struct Log(Vec<&'static str>);
        impl TaskHooks for Log {
            fn check(&mut self) {
                if self.0.last() != Some(&"check") {
                    self.0.push("check");
                }
            }
            fn blocking_begin(&mut self) {
                self.0.push("begin");
            }
            fn blocking_end(&mut self) {
                self.0.push("end");
            }
        }
        let t = MixedTask::new(20_000, 10);
        let mut log = Log::default();
        let start = Instant::now();
        let c = t.run_hooked(3, &mut log);
        assert!(start.elapsed() >= Duration::from_millis(10));
        assert_eq!(log.0, ["check", "begin", "end"]);
        assert_eq!(c, t.expected_checksum(3));
        assert_ne!(c, MixedTask::new(20_001, 10).expected_checksum(3));
    }
}
