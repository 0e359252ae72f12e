//! Synthetic result files for tests of everything downstream of measuring (reports, compare,
//! export), so those tests are exact and fast.

use parbench::machine::MachineInfo;
use parbench::model::ModelKind;
use parbench::plan::{Overrides, Preset, build_config};
use parbench::result::{RawCell, RunResults, SCHEMA_VERSION, derive};
use std::path::{Path, PathBuf};

/// A synthetic run: cpu scales to `cores`, io scales with N, noop costs grow with model weight.
pub fn synthetic_run(host: &str, cores: usize) -> RunResults {
    synthetic_run_scaled(host, cores, &|_, _, _| 1.0)
}

/// Like [`synthetic_run`], with every sample of a cell multiplied by `scale(workload, model, N)`.
pub fn synthetic_run_scaled(
    host: &str,
    cores: usize,
    scale: &dyn Fn(&str, ModelKind, usize) -> f64,
) -> RunResults {
    let mut machine = MachineInfo::detect();
    machine.hostname = host.into();
    machine.host_slug = host.into();
    machine.physical_cores = Some(cores);
    machine.logical_cores = cores;
    let o = Overrides {
        workers: Some(vec![1, 2, 4, 8]),
        ..Default::default()
    };
    let config = build_config(Preset::Quick, &machine, &o).unwrap();
    let mut raw = Vec::new();
    for cell in config.cells() {
        let n = cell.workers as f64;
        // Compute scales to the cores, waiting to N; empty tasks cost what the model costs.
        let kind = cell.workload.spec.kind();
        let base = if !kind.has_speedup() {
            1e-3 * (1 + cell.model as usize) as f64
        } else if kind.computes() {
            1.0 / n.min(cores as f64)
        } else {
            1.0 / n
        };
        let t = if cell.model == ModelKind::Sequential {
            1.0
        } else {
            base * 1.02
        } * scale(cell.workload.spec.kind().name(), cell.model, cell.workers);
        raw.push(RawCell {
            samples_s: (0..5).map(|i| t * (1.0 + 0.01 * i as f64)).collect(),
            rounds: (0..5).collect(),
            cpu_s: vec![t; 5],
            voluntary_cs: vec![1; 5],
            involuntary_cs: vec![1; 5],
            peak_rss_kib: 1,
            expected_checksum: 7,
            checksum: 7,
            ..RawCell::empty(&cell, 5)
        });
    }
    RunResults {
        schema_version: SCHEMA_VERSION,
        started_utc: "2026-01-01T00:00:00Z".into(),
        finished_utc: Some("2026-01-01T00:01:00Z".into()),
        complete: true,
        cells: derive(&raw, cores),
        machine,
        config,
        noise: None,
        notes: Vec::new(),
        failures: Vec::new(),
    }
}

/// Writes `r` as a result file in `dir` and returns its path.
pub fn save(dir: &Path, name: &str, r: &RunResults) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_vec_pretty(r).unwrap()).unwrap();
    p
}
