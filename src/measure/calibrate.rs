//! Calibration: how many multiply steps take a given time on this machine, so the `mixed`
//! workload's `--cpu-ms` means milliseconds here. The loop is timed several times at a size of
//! at least 10 ms and the fastest run counts (the least disturbed one): on a busy machine tasks
//! then compute a little longer than asked, never shorter. Nothing else here.

use crate::plan::RunConfig;
use crate::workload::{MultiplyLoop, Workload, WorkloadSpec};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Nanoseconds per multiply step, from the fastest of 5 timings of at least 10 ms each.
pub fn ns_per_step() -> f64 {
    let time = |n: u64| {
        let t0 = Instant::now();
        black_box(MultiplyLoop::new(n).run_task(black_box(1)));
        t0.elapsed()
    };
    let mut n = 100_000u64;
    while time(n) < Duration::from_millis(10) && n < 1 << 34 {
        n *= 2;
    }
    let best = (0..5).map(|_| time(n)).min().expect("five timings");
    best.as_nanos() as f64 / n as f64
}

/// Multiply steps that take about `ms` milliseconds on this machine.
pub fn steps_for_ms(ms: u64) -> u64 {
    ((ms as f64 * 1e6 / ns_per_step()).round() as u64).max(1)
}

/// Fills in the iterations of every `mixed` workload that has none yet. Returns whether it did.
pub fn calibrate(config: &mut RunConfig) -> bool {
    let mut done = false;
    let mut ns = None;
    for w in &mut config.workloads {
        if let WorkloadSpec::Mixed {
            cpu_ms, iterations, ..
        } = &mut w.spec
            && *iterations == 0
        {
            let per = *ns.get_or_insert_with(ns_per_step);
            *iterations = ((*cpu_ms as f64 * 1e6 / per).round() as u64).max(1);
            done = true;
        }
    }
    done
}
