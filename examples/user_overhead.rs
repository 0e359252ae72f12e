//! Does a user's workload cost more than parbench's own? Measures, in one shuffled run, parbench's
//! `noop` beside a user's workload that does as little (what a model costs per task either
//! way), and parbench's `cpu` beside a user's workload that runs the same multiply loop (its
//! speedups should match `cpu`'s), under the models that matter for the comparison.
//!
//! ```sh
//! PARBENCH_PRESET=quick cargo run --release --example user_overhead -- --bench
//! ```
//!
//! Compare the `per task` column of `noop` with `user-noop`'s, and the speedups of `cpu` with
//! `user-cpu`'s. The results and report go to `target/user-overhead/` (or `$PARBENCH_OUT`).

use parbench::model::ModelKind;
use parbench::workload::{MultiplyLoop, Workload, WorkloadKind};

fn main() {
    // The same work as parbench's noop task: one 64-bit mix of the index.
    let nothing = |task: u64| {
        let mut z = task.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z ^ (z >> 31)
    };
    let cpu_tasks = 12u64.max(2 * parbench::machine::MachineInfo::detect().logical_cores as u64);
    parbench::Harness::new()
        .builtin(WorkloadKind::Noop)
        .workload("user-noop", nothing)
        .task_count(256)
        .builtin(WorkloadKind::Cpu)
        .workload("user-cpu", |task| {
            MultiplyLoop::new(10_000_000).run_task(task)
        })
        .task_count(cpu_tasks)
        .models([
            ModelKind::Sequential,
            ModelKind::ThreadPool,
            ModelKind::Rayon,
            ModelKind::ProcessPool,
        ])
        .out("target/user-overhead")
        .run();
}
