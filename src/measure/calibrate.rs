//! Calibration: how many multiply steps take a given time on this machine, so a workload that
//! calibrates itself (`mixed`: its `--cpu-ms`) means milliseconds here. The loop is timed several
//! times at a size of at least 10 ms and the fastest run counts (the least disturbed one): on a
//! busy machine tasks then compute a little longer than asked, never shorter. Nothing else here.

use crate::plan::RunConfig;
use crate::workload::{MultiplyLoop, Workload};
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

/// Sizes every workload that calibrates itself on this machine ([`Workload::calibrate`]: the
/// `mixed` workload's iterations); the loop is timed once, and only if one needs it. Returns the
/// indices of the workloads it sized.
pub fn calibrate(config: &mut RunConfig) -> Vec<usize> {
    let mut ns = None;
    let mut per = || *ns.get_or_insert_with(ns_per_step);
    let mut done = Vec::new();
    for (i, w) in config.workloads.iter_mut().enumerate() {
        if w.spec.workload_mut().calibrate(&mut per) {
            done.push(i);
        }
    }
    done
}
