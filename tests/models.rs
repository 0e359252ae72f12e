//! Every model against the sequential reference, process models in other processes, and the
//! physical lower bound of the sleep workload.

use parbench::model::{ModelContext, ModelKind};
use parbench::workload::WorkloadSpec;
use std::time::{Duration, Instant};

fn ctx() -> ModelContext {
    ModelContext {
        worker_exe: Some(crate::parbench_exe()),
    }
}

#[test]
fn every_model_matches_the_sequential_checksum() {
    let spec = WorkloadSpec::Cpu { iterations: 20_000 };
    let tasks = 9;
    let mut seq = ModelKind::Sequential.start(1, &ctx()).unwrap();
    let reference = seq.run_batch(&spec, tasks).unwrap().checksum;
    assert_eq!(reference, spec.expected_batch_checksum(tasks));
    for model in ModelKind::ALL {
        for workers in [1, 2, 4] {
            let mut ex = model.start(workers, &ctx()).unwrap();
            for _ in 0..2 {
                let out = ex.run_batch(&spec, tasks).unwrap();
                assert_eq!(out.checksum, reference, "{model} N={workers}");
            }
        }
    }
}

#[test]
fn process_models_run_tasks_in_other_processes() {
    let me = std::process::id();
    let mut per_task = ModelKind::Processes.start(3, &ctx()).unwrap();
    let out = per_task.run_batch(&WorkloadSpec::Noop, 7).unwrap();
    assert_eq!(out.worker_pids.len(), 7, "one process per task");
    let mut distinct = out.worker_pids.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 7, "no process ran two tasks");
    assert!(!out.worker_pids.contains(&me));

    let mut pool = ModelKind::ProcessPool.start(2, &ctx()).unwrap();
    let first = pool.run_batch(&WorkloadSpec::Noop, 20).unwrap();
    let second = pool.run_batch(&WorkloadSpec::Noop, 20).unwrap();
    assert!(!first.worker_pids.is_empty() && first.worker_pids.len() <= 2);
    assert!(!first.worker_pids.contains(&me));
    for pid in &second.worker_pids {
        assert!(
            first.worker_pids.contains(pid) || first.worker_pids.len() < 2,
            "pool workers are reused"
        );
    }
}

#[test]
fn process_models_find_the_worker_binary_by_themselves() {
    // No explicit path: the library looks beside this test binary (target/<profile>/deps/..).
    let mut ex = ModelKind::ProcessPool
        .start(1, &ModelContext::default())
        .unwrap();
    let out = ex.run_batch(&WorkloadSpec::Noop, 3).unwrap();
    assert_eq!(out.checksum, WorkloadSpec::Noop.expected_batch_checksum(3));
}

#[test]
fn io_never_beats_the_physical_lower_bound() {
    let sleep_ms = 25;
    let spec = WorkloadSpec::Io { sleep_ms };
    let tasks = 6u64;
    for model in ModelKind::ALL {
        for workers in [1usize, 2, 4] {
            let mut ex = model.start(workers, &ctx()).unwrap();
            let n = if model == ModelKind::Sequential {
                1
            } else {
                workers as u64
            };
            let bound = Duration::from_millis(tasks.div_ceil(n) * sleep_ms);
            let t0 = Instant::now();
            let out = ex.run_batch(&spec, tasks).unwrap();
            let took = t0.elapsed();
            assert!(took >= bound, "{model} N={workers}: {took:?} < {bound:?}");
            assert_eq!(out.checksum, spec.expected_batch_checksum(tasks));
            if model == ModelKind::Sequential {
                break;
            }
        }
    }
}

#[test]
fn at_most_n_threads_sleep_at_once() {
    // With N = 2, six 30 ms sleeps need three rounds: at least 90 ms, whatever the model.
    let spec = WorkloadSpec::Io { sleep_ms: 30 };
    for model in [ModelKind::Threads, ModelKind::Processes] {
        let mut ex = model.start(2, &ctx()).unwrap();
        let t0 = Instant::now();
        ex.run_batch(&spec, 6).unwrap();
        assert!(t0.elapsed() >= Duration::from_millis(90), "{model}");
    }
}
