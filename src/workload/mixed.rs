//! The mixed workload: each task computes for a while (the multiply loop, `cpu_ms` worth of it as
//! calibrated on this machine) and then blocks in a sleep of `io_ms`, like a request handler that
//! parses, then waits on a database. It is what `parbench advise` measures. Calibration (turning
//! milliseconds into iterations) is timing, so it lives in `measure::calibrate`, not here.

use super::{
    AsyncTask, Batch, Builtin, Column, Ideal, MultiplyLoop, Offload, Params, Reading, TaskHooks,
    Workload, combine, mix,
};
use super::sizes::Sizes;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Salt so the sleep half of a mixed task has its own checksum.
const SALT: u64 = 0x5EED_0000_0000_0030;

/// `iterations` multiply steps (calibrated to take about `cpu_ms` on the measuring machine; 0
/// until calibrated), then a sleep of `io_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mixed {
    /// The compute time asked for, milliseconds.
    pub cpu_ms: u64,
    /// The sleep per task, milliseconds.
    pub io_ms: u64,
    /// Multiply steps per task, from calibration.
    pub iterations: u64,
    /// Task sizes and order (`--task-sizes`, `--order`): both halves of a task scale alike.
    #[serde(default, skip_serializing_if = "Sizes::is_plain")]
    pub sizes: Sizes,
}

impl Mixed {
    /// `cpu_ms` of compute (calibrated at the start of a run), then `io_ms` of sleep.
    pub fn new(cpu_ms: u64, io_ms: u64) -> Self {
        Mixed {
            cpu_ms,
            io_ms,
            iterations: 0,
            sizes: Sizes::default(),
        }
    }

    /// The task at `position`, its compute and its sleep.
    fn task_at(&self, position: u64) -> (u64, MultiplyLoop, Duration) {
        let (task, f) = self.sizes.at(position);
        let io = Duration::from_millis(self.io_ms).mul_f64(f);
        (task, MultiplyLoop::new(Sizes::scale(self.iterations, f)), io)
    }

    /// The checksum of the sleep half of task `task`.
    fn io_checksum(task: u64) -> u64 {
        mix(task ^ SALT)
    }
}

impl Workload for Mixed {
    fn run_task(&self, task: u64) -> u64 {
        self.run_hooked(task, &mut super::NoHooks)
    }

    fn expected_checksum(&self, position: u64) -> u64 {
        let (task, cpu, _) = self.task_at(position);
        combine(cpu.run_task(task), Self::io_checksum(task))
    }

    /// The compute in chunks, then the sleep between `blocking_begin` and `blocking_end`.
    fn run_hooked(&self, position: u64, hooks: &mut dyn TaskHooks) -> u64 {
        let (task, cpu, io) = self.task_at(position);
        let c = cpu.run_chunked(task, hooks);
        hooks.blocking_begin();
        std::thread::sleep(io);
        hooks.blocking_end();
        combine(c, Self::io_checksum(task))
    }

    /// The compute as the model says, then a timer.
    fn run_async(&self, position: u64, compute: Offload) -> AsyncTask {
        let (task, cpu, io) = self.task_at(position);
        let c = compute(Box::new(move || cpu.run_task(task)));
        Box::pin(async move {
            let c = c.await?;
            tokio::time::sleep(io).await;
            Ok(combine(c, Self::io_checksum(task)))
        })
    }

    fn computes(&self) -> bool {
        false
    }

    fn nominal_task_s(&self) -> Option<f64> {
        Some((self.cpu_ms + self.io_ms) as f64 / 1000.0)
    }

    fn check(&self) -> Result<(), String> {
        if self.cpu_ms == 0 {
            return Err("--cpu-ms must be at least 1".into());
        }
        super::at_most_a_day("--cpu-ms", self.cpu_ms)?;
        super::at_most_a_day("--io-ms", self.io_ms)
    }

    /// A new `--cpu-ms` is calibrated again.
    fn set(&mut self, p: &Params) {
        if let Some(v) = p.cpu_ms {
            (self.cpu_ms, self.iterations) = (v, 0);
        }
        self.io_ms = p.io_ms.unwrap_or(self.io_ms);
        self.sizes = p.sizes(self.sizes);
    }

    fn set_tasks(&mut self, tasks: u64) {
        self.sizes.set_tasks(tasks);
    }

    fn sizes(&self) -> Option<Sizes> {
        Some(self.sizes)
    }

    fn calibrate(&mut self, ns_per_step: &mut dyn FnMut() -> f64) -> bool {
        if self.iterations != 0 {
            return false;
        }
        self.iterations = ((self.cpu_ms as f64 * 1e6 / ns_per_step()).round() as u64).max(1);
        true
    }
}

impl Builtin for Mixed {
    /// The request-handler shape `advise` starts from: 5 ms of compute, 20 ms of waiting.
    fn sized(max_workers: u64, _batch_ms: u64) -> (Self, u64) {
        (Mixed::new(5, 20), 64u64.max(4 * max_workers))
    }
}

impl Reading for Mixed {
    fn describe(&self, tasks: u64) -> String {
        format!(
            "{tasks} tasks × ({} ms compute = {} multiplies, then {} ms sleep){}",
            self.cpu_ms,
            self.iterations,
            self.io_ms,
            self.sizes.describe()
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
        // Waves of whole tasks (with uneven sizes: the largest task, or the total spread).
        let at_once = if b.waits >= t {
            t
        } else {
            b.waits.min(b.workers as u64)
        };
        let by_waves = self.sizes.bound(t, at_once) * (cpu + io);
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
        let t = Mixed {
            cpu_ms: 1,
            io_ms: 10,
            iterations: 20_000,
            sizes: Default::default(),
        };
        let mut log = Log::default();
        let start = Instant::now();
        let c = t.run_hooked(3, &mut log);
        assert!(start.elapsed() >= Duration::from_millis(10));
        assert_eq!(log.0, ["check", "begin", "end"]);
        assert_eq!(c, t.expected_checksum(3));
        let other = Mixed {
            iterations: 20_001,
            ..t
        };
        assert_ne!(c, other.expected_checksum(3));
    }
}
