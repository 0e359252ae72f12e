//! Every model against its reference checksum, process models in other processes, the physical
//! lower bound of the sleep workload, the simulated GIL's and async's defining behaviour, and the
//! mixed workload's calibration. CPython models are tested where `python3` exists.

use parbench::model::{ModelContext, ModelKind};
use parbench::workload::{WorkloadKind, WorkloadSpec};
use std::time::{Duration, Instant};

fn ctx() -> ModelContext {
    ModelContext {
        worker_exe: Some(crate::parbench_exe()),
        ..Default::default()
    }
}

/// Every model that can run here (CPython ones only with an interpreter).
fn runnable() -> Vec<ModelKind> {
    ModelKind::ALL
        .iter()
        .copied()
        // The echo-server designs run only tcp-echo (tests/net.rs).
        .filter(|m| !m.tcp_only())
        .filter(|m| match m.available() {
            Ok(()) => true,
            Err(why) => {
                eprintln!("not tested here: {m}: {why}");
                false
            }
        })
        .collect()
}

/// The fastest of `n` runs of a batch.
fn best_of(n: usize, model: ModelKind, workers: usize, spec: &WorkloadSpec, tasks: u64) -> f64 {
    let mut ex = model.start(workers, &ctx()).unwrap();
    (0..n)
        .map(|_| {
            let t0 = Instant::now();
            ex.run_batch(spec, tasks).unwrap();
            t0.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

/// Each registered workload at a size tests can afford: one row per workload. A workload added
/// to the registry without its row does not compile (no wildcard arm).
fn tiny(kind: WorkloadKind) -> Option<(WorkloadSpec, u64)> {
    use parbench::workload::{Mixed, MultiplyLoop, Noop, SleepIo};
    match kind {
        WorkloadKind::Cpu => Some((MultiplyLoop::new(20_000).into(), 9)),
        WorkloadKind::Io => Some((SleepIo::new(2).into(), 6)),
        WorkloadKind::Noop => Some((Noop.into(), 9)),
        WorkloadKind::Mixed => Some((
            // Uneven sizes in an order of their own: every model, in or out of process, runs
            // the same tasks.
            Mixed {
                cpu_ms: 1,
                io_ms: 1,
                iterations: 5_000,
                sizes: parbench::workload::sizes::Sizes {
                    dist: "pareto:1.5".parse().unwrap(),
                    order: parbench::workload::sizes::Order::LongestFirst,
                    seed: 3,
                    tasks: 5,
                },
            }
            .into(),
            5,
        )),
        // Round trips to the echo-server designs: tests/net.rs.
        WorkloadKind::TcpEcho => None,
        WorkloadKind::Contention => Some((
            parbench::workload::Contention::new(parbench::workload::contention::Sync::Mutex, 500)
                .into(),
            6,
        )),
        WorkloadKind::Semaphore => Some((parbench::workload::Semaphore::new(2, 2).into(), 6)),
        WorkloadKind::Event => Some((parbench::workload::Event::new(20).into(), 6)),
        // One task per worker: the tasks are its producers and consumers.
        WorkloadKind::Pipeline => Some((
            parbench::workload::Pipeline {
                steps: Some(100),
                producers: 2,
                ..parbench::workload::Pipeline::new(
                    parbench::workload::pipeline::Queue::Crossbeam,
                    4,
                    300,
                    0,
                )
            }
            .into(),
            1,
        )),
        // Users' workloads: tests/harness.rs.
        WorkloadKind::User(_) => None,
    }
}

#[test]
fn every_model_runs_every_workload_with_the_sequential_checksum() {
    let models = runnable();
    for &kind in WorkloadKind::ALL {
        let Some((spec, tasks)) = tiny(kind) else {
            assert!(kind.over_network(), "{kind} has no tiny size");
            continue;
        };
        assert_eq!(spec.kind(), kind);
        let mut seq = ModelKind::Sequential.start(1, &ctx()).unwrap();
        // Before every batch, as the runner does (workloads with shared state reset it).
        spec.workload().prepare(tasks).unwrap();
        let reference = seq.run_batch(&spec, tasks).unwrap().checksum;
        assert_eq!(reference, spec.expected_batch_checksum(tasks), "{kind}");
        for &model in &models {
            // The CPython worker has the lesson's workloads only, with their own checksums.
            if model.is_python() && spec.workload().python().is_none() {
                continue;
            }
            // Tasks that share memory run in this process only (the runner skips the others).
            if model.uses_processes() && spec.workload().shares_memory() {
                continue;
            }
            if kind == WorkloadKind::Cpu {
                let expected = model.reference_checksum(&spec, tasks).unwrap();
                assert_eq!(expected == reference, !model.is_python(), "{model}");
            }
            for workers in [1, 3] {
                // As the plan gives a cell its tasks (a pipeline: one per worker).
                let tasks = parbench::plan::WorkloadPlan { spec, tasks }
                    .for_workers(workers)
                    .tasks;
                let expected = model.reference_checksum(&spec, tasks).unwrap();
                let mut ex = model.start(workers, &ctx()).unwrap();
                // Twice: a pool's second batch runs on the workers the first left.
                for _ in 0..2 {
                    spec.workload().prepare(tasks).unwrap();
                    let out = ex.run_batch(&spec, tasks).unwrap();
                    assert_eq!(out.checksum, expected, "{kind}/{model} N={workers}");
                    assert_eq!(
                        spec.workload().verify_batch(tasks),
                        Ok(None),
                        "{kind}/{model} N={workers}"
                    );
                }
                if model.is_baseline() {
                    break;
                }
            }
        }
    }
}

#[test]
fn process_models_run_tasks_in_other_processes() {
    let me = std::process::id();
    let mut per_task = ModelKind::Processes.start(3, &ctx()).unwrap();
    let out = per_task
        .run_batch(&WorkloadSpec::Noop(parbench::workload::Noop), 7)
        .unwrap();
    assert_eq!(out.worker_pids.len(), 7, "one process per task");
    let mut distinct = out.worker_pids.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 7, "no process ran two tasks");
    assert!(!out.worker_pids.contains(&me));

    #[cfg(target_os = "linux")]
    {
        let mut forked = ModelKind::ProcessesFork.start(3, &ctx()).unwrap();
        let out = forked
            .run_batch(&WorkloadSpec::Noop(parbench::workload::Noop), 7)
            .unwrap();
        let mut distinct = out.worker_pids.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), 7, "one forked process per task");
        assert!(!out.worker_pids.contains(&me));
    }

    let mut pool = ModelKind::ProcessPool.start(2, &ctx()).unwrap();
    let first = pool
        .run_batch(&WorkloadSpec::Noop(parbench::workload::Noop), 20)
        .unwrap();
    let second = pool
        .run_batch(&WorkloadSpec::Noop(parbench::workload::Noop), 20)
        .unwrap();
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
    let out = ex
        .run_batch(&WorkloadSpec::Noop(parbench::workload::Noop), 3)
        .unwrap();
    assert_eq!(
        out.checksum,
        WorkloadSpec::Noop(parbench::workload::Noop).expected_batch_checksum(3)
    );
}

#[test]
fn io_never_beats_the_physical_lower_bound() {
    let sleep_ms = 25;
    let spec = WorkloadSpec::Io(parbench::workload::SleepIo::new(sleep_ms));
    let tasks = 6u64;
    for model in runnable() {
        for workers in [1usize, 2, 4] {
            let mut ex = model.start(workers, &ctx()).unwrap();
            // At most this many tasks sleep at once (all of them under async).
            let n = model.concurrent_waits(workers, tasks);
            let bound = Duration::from_millis(tasks.div_ceil(n) * sleep_ms);
            let t0 = Instant::now();
            let out = ex.run_batch(&spec, tasks).unwrap();
            let took = t0.elapsed();
            assert!(took >= bound, "{model} N={workers}: {took:?} < {bound:?}");
            assert_eq!(out.checksum, spec.expected_batch_checksum(tasks));
            if model.is_baseline() {
                break;
            }
        }
    }
}

#[test]
fn at_most_n_threads_sleep_at_once() {
    // With N = 2, six 30 ms sleeps need three rounds: at least 90 ms, whatever the model.
    let spec = WorkloadSpec::Io(parbench::workload::SleepIo::new(30));
    for model in [ModelKind::Threads, ModelKind::Processes] {
        let mut ex = model.start(2, &ctx()).unwrap();
        let t0 = Instant::now();
        ex.run_batch(&spec, 6).unwrap();
        assert!(t0.elapsed() >= Duration::from_millis(90), "{model}");
    }
}

#[test]
fn the_gil_serialises_compute_but_not_sleep() {
    // CPU: two threads under one lock cannot beat one thread (Amdahl with a serial fraction of 1;
    // the lock's hand-over only adds time). 1.2 leaves room for a noisy sequential run.
    let cpu = WorkloadSpec::Cpu(parbench::workload::MultiplyLoop::new(4_000_000));
    // Other tests share the 2 cores: alternate the two and keep each one's fastest run.
    let (mut seq, mut gil) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..4 {
        seq = seq.min(best_of(1, ModelKind::Sequential, 1, &cpu, 4));
        gil = gil.min(best_of(1, ModelKind::Gil, 2, &cpu, 4));
    }
    assert!(
        seq / gil < 1.2,
        "gil cpu speedup at 2: {:.2} ({seq:.3} s / {gil:.3} s)",
        seq / gil
    );
    // IO: the lock is released while sleeping, so 4 threads overlap 4 sleeps at a time.
    let io = WorkloadSpec::Io(parbench::workload::SleepIo::new(40));
    let seq = best_of(1, ModelKind::Sequential, 1, &io, 8);
    let gil = best_of(2, ModelKind::Gil, 4, &io, 8);
    assert!(seq / gil > 3.0, "gil io speedup at 4: {:.2}", seq / gil);
}

#[test]
fn async_sleeps_overlap_without_threads() {
    // 1000 sleeps of 100 ms on 2 runtime threads: about one sleep, never less than one.
    let spec = WorkloadSpec::Io(parbench::workload::SleepIo::new(100));
    let mut ex = ModelKind::Async.start(2, &ctx()).unwrap();
    let t0 = Instant::now();
    let out = ex.run_batch(&spec, 1000).unwrap();
    let took = t0.elapsed();
    assert_eq!(out.checksum, spec.expected_batch_checksum(1000));
    assert!(took >= Duration::from_millis(100), "{took:?}");
    assert!(
        took < Duration::from_millis(600),
        "1000 × 100 ms on 2 threads took {took:?}: the sleeps did not overlap"
    );
}

#[test]
fn mixed_tasks_compute_about_the_calibrated_time() {
    use parbench::measure::calibrate::steps_for_ms;
    use parbench::workload::{Mixed, Workload};
    // The fastest of 5 timings against the requested 20 ms, within 20%. Calibration and timing
    // both take the least disturbed run; other tests share the 2 cores, so a calibration that
    // happened to be disturbed gets two more tries. A wrong conversion fails all three.
    let mut seen = Vec::new();
    for _ in 0..3 {
        // io_ms 0: the task is its compute.
        let task = Mixed {
            cpu_ms: 20,
            io_ms: 0,
            iterations: steps_for_ms(20),
            sizes: Default::default(),
        };
        let best = (0..5)
            .map(|t| {
                let t0 = Instant::now();
                std::hint::black_box(task.run_task(t));
                t0.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min);
        let ratio = best / 0.020;
        if (0.8..=1.2).contains(&ratio) {
            return;
        }
        seen.push(ratio);
    }
    panic!("compute took {seen:?} × the requested 20 ms");
}

/// Every size distribution in every order: every model runs the same tasks, so the batch
/// checksum is the plain batch's sum over the tasks it laid out, however they were handed out.
#[test]
fn uneven_sizes_in_every_order_keep_exact_checksums() {
    use parbench::workload::sizes::{Order, Sizes};
    use parbench::workload::{MultiplyLoop, SleepIo};
    let models: Vec<ModelKind> = runnable()
        .into_iter()
        .filter(|m| !m.is_python() && !m.is_baseline())
        .collect();
    let mut executors: Vec<_> = models
        .iter()
        .map(|m| (*m, m.start(3, &ctx()).unwrap()))
        .collect();
    let tasks = 10;
    for dist in ["uniform", "exp", "pareto:1.5", "bimodal:0.2:5"] {
        for &order in Order::ALL {
            let sizes = Sizes {
                dist: dist.parse().unwrap(),
                order,
                seed: 11,
                tasks,
            };
            let specs: [WorkloadSpec; 2] = [
                MultiplyLoop {
                    iterations: 3_000,
                    sizes,
                }
                .into(),
                SleepIo { sleep_ms: 1, sizes }.into(),
            ];
            for spec in specs {
                let expected = spec.expected_batch_checksum(tasks);
                // The same tasks as in submit order: order changes who runs when, not what.
                let plain = match spec {
                    WorkloadSpec::Cpu(mut c) => {
                        c.sizes.order = Order::Submit;
                        WorkloadSpec::Cpu(c)
                    }
                    WorkloadSpec::Io(mut c) => {
                        c.sizes.order = Order::Submit;
                        WorkloadSpec::Io(c)
                    }
                    _ => unreachable!(),
                };
                assert_eq!(
                    expected,
                    plain.expected_batch_checksum(tasks),
                    "{dist} {order}"
                );
                for (m, ex) in &mut executors {
                    let out = ex.run_batch(&spec, tasks).unwrap();
                    assert_eq!(out.checksum, expected, "{dist} {order} {m}");
                }
            }
        }
    }
}
