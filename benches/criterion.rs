//! criterion benchmarks of the cells of the preset in `$PARBENCH_PRESET` (default: `default`;
//! every preset works), exactly the cells the sweep measures, so criterion's estimates can be set
//! against the sweep's medians. Groups are `<workload>/<model>` (`cpu/rayon`, `tcp-echo/async`),
//! parameterised by the worker count, with `Throughput::Elements(tasks)`. A preset whose sleeps
//! alone would keep criterion busy for more than 30 minutes, or that does not fit this machine's
//! limits, is refused with one line; a failing cell ends the bench with one line, never a panic.
//!
//! Executors (pools included) are started outside the timed routine; `iter_custom` times whole
//! batches only. Sampling is flat with few samples so that long cells (a batch of sleeps) stay
//! short. criterion's own options work as usual:
//! `cargo bench --bench criterion -- --save-baseline main`, later `-- --baseline main`.

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use parbench::machine::MachineInfo;
use parbench::measure::runner::{prepare, start_cell};
use parbench::model::{Executor, ModelContext};
use parbench::plan::{CellSpec, Preset, RunConfig, preset_from_env};
use std::time::{Duration, Instant};

/// Longest the benchmarks of a preset may take, by a lower bound of their batches' time.
const BUDGET: Duration = Duration::from_secs(30 * 60);

/// Batches criterion runs of a cell at least: a warm-up and one per sample (flat sampling).
const MIN_BATCHES: f64 = 11.0;

/// Ends the bench with one line on stderr: a preset it cannot run, a cell that failed.
fn fail(message: &str) -> ! {
    eprintln!("parbench criterion: {message}");
    std::process::exit(2)
}

fn preset() -> Preset {
    preset_from_env().unwrap_or_else(|e| fail(&e.to_string()))
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

/// A lower bound of one batch's time: the sleeps that must follow one another.
fn batch_floor_s(cell: &CellSpec) -> f64 {
    let Some(task_s) = cell.workload.spec.nominal_task_s() else {
        return 0.0;
    };
    let waves = cell.workload.tasks.div_ceil(
        cell.model
            .concurrent_waits(cell.workers, cell.workload.tasks)
            .max(1),
    );
    waves as f64 * task_s
}

/// The preset's plan as the sweep runs it (mixed calibrated, unavailable models skipped with a
/// notice, limits checked), or one line saying why the benches cannot run it.
fn plan(machine: &MachineInfo, preset: Preset) -> RunConfig {
    let prepared = prepare(&preset.config(machine)).unwrap_or_else(|e| fail(&e.to_string()));
    for note in &prepared.notes {
        eprintln!("parbench criterion: {note}");
    }
    let config = prepared.config;
    let floor: f64 = config
        .cells()
        .iter()
        .map(|c| MIN_BATCHES * batch_floor_s(c))
        .sum();
    if floor > BUDGET.as_secs_f64() {
        fail(&format!(
            "preset {preset}: its cells would take criterion at least {:.0} min ({} batches each, and its sleeps alone take {:.0} min per round); run it with `parbench run --preset {preset}` or `PARBENCH_PRESET={preset} cargo bench --bench sweep`",
            floor / 60.0,
            MIN_BATCHES,
            floor / MIN_BATCHES / 60.0
        ));
    }
    let limits = parbench::limits::Limits::detect(machine);
    let stack = config.stack_size.unwrap_or(parbench::limits::DEFAULT_STACK);
    parbench::limits::check(&config, &limits, stack).unwrap_or_else(|e| fail(&e.to_string()));
    config
}

/// Every cell of the preset's plan (the sweep's cells exactly), as groups `<workload>/<model>`
/// parameterised by N. Executors start when criterion first runs a cell (not for `--list`),
/// outside the timed routine.
fn models(c: &mut Criterion) {
    let machine = MachineInfo::detect();
    let preset = preset();
    let config = plan(&machine, preset);
    let ctx = ModelContext {
        worker_exe: Some(env!("CARGO_BIN_EXE_parbench").into()),
        switch_interval: Duration::from_millis(config.switch_interval_ms),
        stack_size: config.stack_size,
    };
    let cells = config.cells();
    let mut groups: Vec<(String, Vec<&CellSpec>)> = Vec::new();
    for cell in &cells {
        let name = format!("{}/{}", cell.workload.spec.kind(), cell.model);
        match groups.iter_mut().find(|(g, _)| *g == name) {
            Some((_, members)) => members.push(cell),
            None => groups.push((name, vec![cell])),
        }
    }
    for (name, members) in groups {
        let mut group = c.benchmark_group(&name);
        group.sampling_mode(SamplingMode::Flat);
        for cell in members {
            let (spec, tasks) = (cell.workload.spec, cell.workload.tasks);
            let what = format!("{name} N={}", cell.workers);
            let expected = cell
                .model
                .reference_checksum(&spec, tasks)
                .unwrap_or_else(|e| fail(&format!("{what}: {e}")));
            group.throughput(Throughput::Elements(tasks));
            let mut exec: Option<Box<dyn Executor>> = None;
            group.bench_function(BenchmarkId::from_parameter(cell.workers), |b| {
                let exec = exec.get_or_insert_with(|| {
                    start_cell(cell, &ctx).unwrap_or_else(|e| fail(&format!("{what}: {e}")))
                });
                b.iter_custom(|iters| {
                    let t0 = Instant::now();
                    for _ in 0..iters {
                        let out = exec
                            .run_batch(&spec, tasks)
                            .unwrap_or_else(|e| fail(&format!("{what}: {e}")));
                        if out.checksum != expected {
                            fail(&format!(
                                "{what}: wrong checksum {:#018x}, expected {expected:#018x}",
                                out.checksum
                            ));
                        }
                    }
                    t0.elapsed()
                })
            });
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = config();
    targets = models
}
criterion_main!(benches);
