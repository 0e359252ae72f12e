//! The CPU-bound workload: the lesson's `res *= i` multiply loop.
//!
//! Each step multiplies the accumulator by the (odd-forced) step number and folds in a per-task
//! seed, so every step depends on the one before: the loop is latency-bound, cannot be vectorised
//! or reduced to a closed form, and `black_box` on the step number keeps the optimizer from
//! reasoning about the sequence at all. It does no IO and takes no locks.

use super::sizes::Sizes;
use super::{
    AsyncTask, Batch, Builtin, Column, Ideal, Offload, Params, Reading, TaskHooks, Workload, mix,
};
use serde::{Deserialize, Serialize};
use std::hint::black_box;

/// Steps between two [`TaskHooks::check`] calls in [`MultiplyLoop::run_hooked`]: about 10–25 µs
/// of work, fine-grained against a 5 ms GIL switch interval.
pub const CHECK_EVERY: u64 = 8192;

/// Salt of the CPython worker's checksum (`python/parbench_worker.py`): its loop is the lesson's
/// own, whose result is not this one's.
const PY_SALT: u64 = 0x5EED_0000_0000_0040;

/// `iterations` dependent 64-bit multiplies per task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MultiplyLoop {
    /// Multiply steps per task (the mean, with uneven sizes).
    pub iterations: u64,
    /// Task sizes and order (`--task-sizes`, `--order`); plain by default.
    #[serde(default, skip_serializing_if = "Sizes::is_plain")]
    pub sizes: Sizes,
}

impl MultiplyLoop {
    /// A loop of `iterations` multiply steps per task.
    pub fn new(iterations: u64) -> Self {
        MultiplyLoop {
            iterations,
            sizes: Sizes::default(),
        }
    }

    /// The task at `position` and its steps.
    fn task_at(&self, position: u64) -> (u64, u64) {
        let (task, factor) = self.sizes.at(position);
        (task, Sizes::scale(self.iterations, factor))
    }
}

impl MultiplyLoop {
    /// The same task as [`Workload::run_task`] (same checksum), calling `hooks.check()` every
    /// [`CHECK_EVERY`] steps so a model can take the CPU away between chunks.
    pub fn run_chunked(&self, position: u64, hooks: &mut dyn TaskHooks) -> u64 {
        let (task, steps) = self.task_at(position);
        let seed = mix(task);
        let mut acc = seed | 1;
        let end = black_box(steps);
        let mut i = 1;
        while i <= end {
            let chunk_end = end.min(i + CHECK_EVERY - 1);
            for j in i..=chunk_end {
                acc = acc.wrapping_mul(black_box(j) | 1) ^ seed;
            }
            i = chunk_end + 1;
            hooks.check();
        }
        black_box(acc)
    }

    /// Steps per task.
    pub fn iterations(&self) -> u64 {
        self.iterations
    }
}

impl Workload for MultiplyLoop {
    fn run_task(&self, position: u64) -> u64 {
        let (task, steps) = self.task_at(position);
        let seed = mix(task);
        let mut acc = seed | 1;
        for i in 1..=black_box(steps) {
            // `| 1` keeps the product from collapsing to zero the way `res *= i` does in 64 bits
            // after the 64th factor of two; `^ seed` makes the chain non-associative.
            acc = acc.wrapping_mul(black_box(i) | 1) ^ seed;
        }
        black_box(acc)
    }

    fn run_hooked(&self, task: u64, hooks: &mut dyn TaskHooks) -> u64 {
        self.run_chunked(task, hooks)
    }

    fn run_async(&self, task: u64, compute: Offload) -> AsyncTask {
        let w = *self;
        compute(Box::new(move || w.run_task(task)))
    }

    fn computes(&self) -> bool {
        true
    }

    fn estimated_task_s(&self, ns_per_step: &mut dyn FnMut() -> f64) -> Option<f64> {
        Some(self.iterations as f64 * ns_per_step() * 1e-9)
    }

    /// The lesson's loop, with even tasks in submit order only.
    fn python(&self) -> Option<(&'static str, u64)> {
        self.sizes.is_plain().then_some(("cpu", self.iterations))
    }

    fn python_checksum(&self, task: u64) -> u64 {
        mix(task ^ PY_SALT).wrapping_add(self.iterations)
    }

    fn check(&self) -> Result<(), String> {
        if self.iterations == 0 {
            return Err("--iterations must be at least 1".into());
        }
        Ok(())
    }

    fn set(&mut self, p: &Params) {
        self.iterations = p.iterations.unwrap_or(self.iterations);
        self.sizes = p.sizes(self.sizes);
    }

    fn set_tasks(&mut self, tasks: u64) {
        self.sizes.set_tasks(tasks);
    }

    fn sizes(&self) -> Option<Sizes> {
        Some(self.sizes)
    }
}

impl Builtin for MultiplyLoop {
    /// The lesson's 10^7 steps (about 10–30 ms here), at least one task per worker.
    fn sized(max_workers: u64, _batch_ms: u64) -> (Self, u64) {
        (MultiplyLoop::new(10_000_000), 12u64.max(max_workers))
    }
}

impl Reading for MultiplyLoop {
    fn describe(&self, tasks: u64) -> String {
        format!(
            "{tasks} tasks × {} multiplies{}",
            self.iterations,
            self.sizes.describe()
        )
    }
    /// Bounded by the cores the model lets compute at once, and with uneven tasks by the
    /// largest one.
    fn ideal(&self, b: &Batch) -> Ideal {
        let speedup = match self.sizes.dist.is_uniform() {
            true => b.computes as f64,
            false => b.tasks as f64 / self.sizes.bound(b.tasks, b.computes as u64),
        };
        Ideal {
            time_s: None,
            speedup: Some(speedup),
        }
    }
    fn column(&self) -> Column {
        Column::IdealSpeedup
    }
    fn title(&self) -> String {
        "CPU-bound".into()
    }
    fn ideal_label(&self, time: bool) -> Option<&'static str> {
        (!time).then_some("ideal (bounded by cores)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same recurrence written independently, without black_box.
    fn reference(task: u64, iterations: u64) -> u64 {
        let seed = mix(task);
        let mut acc = seed | 1;
        let mut i = 1u64;
        while i <= iterations {
            acc = acc.wrapping_mul(i | 1) ^ seed;
            i += 1;
        }
        acc
    }

    #[test]
    fn matches_an_independent_reference() {
        for task in 0..4 {
            assert_eq!(
                MultiplyLoop::new(1000).run_task(task),
                reference(task, 1000)
            );
        }
    }

    #[test]
    fn hooked_loop_gives_the_same_checksum_and_checks_in() {
        struct Count(u64);
        impl TaskHooks for Count {
            fn check(&mut self) {
                self.0 += 1;
            }
        }
        for n in [1, CHECK_EVERY - 1, CHECK_EVERY, 3 * CHECK_EVERY + 5] {
            let mut c = Count(0);
            let l = MultiplyLoop::new(n);
            assert_eq!(l.run_hooked(7, &mut c), l.run_task(7), "{n}");
            assert_eq!(c.0, n.div_ceil(CHECK_EVERY), "{n}");
        }
    }

    #[test]
    fn depends_on_iterations_and_task() {
        let a = MultiplyLoop::new(1000).run_task(0);
        assert_ne!(a, MultiplyLoop::new(1001).run_task(0));
        assert_ne!(a, MultiplyLoop::new(1000).run_task(1));
        assert_ne!(a, 0);
    }
}
