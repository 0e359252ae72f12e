//! `cargo bench`: both workloads across parbench's models; the report lands in
//! `reports/<host>/` (or `$PARBENCH_OUT`), `PARBENCH_PRESET=quick` for a fast pass.

fn main() {
    parbench::Harness::new()
        .workload("hash-64k", own_workload::hash_task)
        .blocking_workload("loopback-echo", own_workload::echo_task)
        .run();
}
