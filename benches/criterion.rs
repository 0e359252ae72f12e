//! criterion benchmarks of every model on every workload, at the sizes and worker counts of the
//! preset in `$PARBENCH_PRESET` (default: `default`), so its estimates can be set against the
//! sweep's medians for the same cells. Groups are `cpu/<model>`, `io/<model>`, `noop/<model>`,
//! parameterised by the worker count, with `Throughput::Elements(tasks)`.
//!
//! Executors (pools included) are started outside the timed routine; `iter_custom` times whole
//! batches only. Sampling is flat with few samples so that long cells (a batch of sleeps) stay
//! short. criterion's own options work as usual:
//! `cargo bench --bench criterion -- --save-baseline main`, later `-- --baseline main`.

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use parbench::machine::MachineInfo;
use parbench::model::ModelContext;
use parbench::plan::{Preset, preset_from_env};
use std::time::{Duration, Instant};

fn preset() -> Preset {
    preset_from_env().unwrap_or_else(|e| {
        eprintln!("parbench: {e}");
        std::process::exit(2)
    })
}

/// The quick preset skips criterion's HTML plots and uses fewer bootstrap resamples: most of a
/// short benchmark's time would otherwise go to analysis, not measurement.
fn config() -> Criterion {
    // criterion's own charts draw with plotters too; give them the embedded font.
    parbench::chart::render::register_fonts();
    let c = Criterion::default().sample_size(10);
    if preset() == Preset::Quick {
        c.without_plots()
            .nresamples(2_000)
            .warm_up_time(Duration::from_millis(50))
            .measurement_time(Duration::from_millis(200))
    } else {
        c.nresamples(10_000)
            .warm_up_time(Duration::from_millis(200))
            .measurement_time(Duration::from_millis(800))
    }
}

fn models(c: &mut Criterion) {
    let machine = MachineInfo::detect();
    let preset = preset();
    let config = preset.config(&machine);
    let ctx = ModelContext {
        worker_exe: Some(env!("CARGO_BIN_EXE_parbench").into()),
        ..Default::default()
    };
    for w in &config.workloads {
        for &model in &config.models {
            let expected = model
                .expected_batch_checksum(&w.spec, w.tasks)
                .unwrap_or_else(|e| panic!("{e}"));
            let mut group = c.benchmark_group(format!("{}/{}", w.spec.kind(), model));
            group
                .sampling_mode(SamplingMode::Flat)
                .throughput(Throughput::Elements(w.tasks));
            let counts = if model.is_baseline() {
                vec![1]
            } else {
                config.workers.clone()
            };
            for n in counts {
                let mut exec = model
                    .start(n, &ctx)
                    .unwrap_or_else(|e| panic!("{model} with {n} workers: {e}"));
                group.bench_function(BenchmarkId::from_parameter(n), |b| {
                    b.iter_custom(|iters| {
                        let t0 = Instant::now();
                        for _ in 0..iters {
                            let out = exec
                                .run_batch(&w.spec, w.tasks)
                                .unwrap_or_else(|e| panic!("{model}: {e}"));
                            assert_eq!(out.checksum, expected, "{model} N={n}: wrong checksum");
                        }
                        t0.elapsed()
                    })
                });
            }
            group.finish();
        }
    }
}

criterion_group! {
    name = benches;
    config = config();
    targets = models
}
criterion_main!(benches);
