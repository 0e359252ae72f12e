//! A bench built on `parbench::Harness` whose `slowed` workload does a known amount more work
//! when built with `PARBENCH_AB_EXTRA_PERCENT` set, without changing its answer: the candidate
//! of a paired A/B run that should be caught, next to `steady`, which should not.
//!
//! ```sh
//! cargo build --release --example ab_demo && cp target/release/examples/ab_demo /tmp/ab-base
//! PARBENCH_AB_EXTRA_PERCENT=5 cargo build --release --example ab_demo \
//!     && cp target/release/examples/ab_demo /tmp/ab-slow
//! cargo run --release -- ab /tmp/ab-base /tmp/ab-slow      # slowed/… REGRESSED, steady/… not
//! ```
//!
//! Both workloads run the multiply loop and answer a checksum of the task index alone (the loop's
//! result is kept alive with `black_box`), so the two builds agree on every answer.

use parbench::model::ModelKind;
use parbench::workload::{MultiplyLoop, Workload};
use std::hint::black_box;

/// Multiply steps of a task.
const STEPS: u64 = 2_000_000;

/// How much more work the `slowed` workload does in this build, percent.
fn extra_percent() -> u64 {
    option_env!("PARBENCH_AB_EXTRA_PERCENT").map_or(0, |v| {
        v.parse()
            .expect("PARBENCH_AB_EXTRA_PERCENT is a whole number of percent")
    })
}

/// `steps` multiplies, then an answer that depends on the task alone.
fn work(task: u64, steps: u64) -> u64 {
    black_box(MultiplyLoop::new(steps).run_task(task));
    task.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5EED
}

fn main() {
    let slowed = STEPS * (100 + extra_percent()) / 100;
    parbench::Harness::new()
        .workload("steady", |task| work(task, STEPS))
        .workload("slowed", move |task| work(task, slowed))
        .models([
            ModelKind::Sequential,
            ModelKind::ThreadPool,
            ModelKind::Rayon,
            ModelKind::ProcessPool,
        ])
        .workers([1, 2])
        .tasks(16)
        .samples(10)
        .out("target/ab-demo")
        .run();
}
