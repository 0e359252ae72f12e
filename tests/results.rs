//! The runner end to end through the library: results are complete, checked, and round-trip
//! through the JSON file unchanged.

use parbench::machine::MachineInfo;
use parbench::measure::runner::{Observer, Silent, run};
use parbench::model::{ModelContext, ModelKind};
use parbench::plan::{Overrides, Preset, build_config};
use parbench::result::RunResults;
use parbench::store::{ResultSink, load};
use parbench::workload::WorkloadKind;

fn tiny() -> Overrides {
    Overrides {
        workers: Some(vec![1, 2]),
        tasks: Some(4),
        params: parbench::workload::Params {
            iterations: Some(10_000),
            sleep_ms: Some(5),
            ..Default::default()
        },
        samples: Some(3),
        warmup: Some(1),
        ..Default::default()
    }
}

fn ctx() -> ModelContext {
    ModelContext {
        worker_exe: Some(crate::parbench_exe()),
        ..Default::default()
    }
}

#[test]
fn a_tiny_run_measures_every_cell_and_round_trips() {
    let machine = MachineInfo::detect();
    let config = build_config(Preset::Quick, &machine, &tiny()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sink = ResultSink::claim(dir.path(), "2026-01-01T00:00:00Z").unwrap();

    struct Saving(ResultSink, usize);
    impl Observer for Saving {
        fn checkpoint(&mut self, r: &RunResults) -> parbench::Result<()> {
            self.1 += 1;
            self.0.save(r)
        }
    }
    let mut obs = Saving(sink.clone(), 0);
    let results = run(&config, &machine, &ctx(), &mut obs).unwrap();
    assert!(obs.1 >= 4, "a checkpoint after every round");
    assert!(results.complete && results.finished_utc.is_some());
    assert_eq!(results.cells.len(), 3 * (1 + 8 * 2));
    for c in &results.cells {
        assert!(
            c.checksum_ok && c.complete,
            "{:?}/{} N={}",
            c.workload,
            c.model,
            c.workers
        );
        assert_eq!(c.samples_s.len(), 3);
        assert!(c.min_s <= c.median_s && c.median_s <= c.max_s);
        assert!(c.median_ci_s[0] <= c.median_s && c.median_s <= c.median_ci_s[1]);
        assert!(c.speedup.is_some() && c.efficiency.is_some());
        assert_eq!(c.startup_s.is_some(), c.model.is_pool());
        if c.workload == WorkloadKind::Io {
            assert!(
                c.median_s >= c.ideal_s.unwrap(),
                "sleep cannot finish early"
            );
        }
        if c.workload == WorkloadKind::Cpu {
            assert!(c.cpu_time_s > 0.0, "the multiply loop used CPU");
        }
        if c.model.uses_processes() {
            assert!(c.child_peak_rss_kib.unwrap_or(0) > 0);
        }
    }
    let seq = results
        .cells
        .iter()
        .find(|c| c.model == ModelKind::Sequential)
        .unwrap();
    assert_eq!(seq.speedup, Some(1.0));

    let back = load(&sink.run_file).unwrap();
    assert_eq!(back, results);
    assert_eq!(load(&sink.latest_file).unwrap(), results);
}

#[test]
fn invalid_plans_are_refused_before_anything_runs() {
    let machine = MachineInfo::detect();
    let mut config = build_config(Preset::Quick, &machine, &tiny()).unwrap();
    config.samples = 0;
    let err = run(&config, &machine, &ctx(), &mut Silent).unwrap_err();
    assert!(err.to_string().contains("--samples"), "{err}");
}

#[test]
fn files_of_earlier_builds_still_load() {
    // Part of a quick run of schema 1, before `ci95_s` became `median_ci_s` and speedups were
    // paired (`speedup_ci95`, no `rounds`).
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/schema-1-quick.json");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"ci95_s\"") && text.contains("\"speedup_ci95\""));
    let r = parbench::store::load(&path).unwrap();
    assert!(!r.cells.is_empty());
    for c in &r.cells {
        assert!(
            c.median_ci_s[0] > 0.0 && c.median_ci_s[0] <= c.median_ci_s[1],
            "{c:?}"
        );
    }
    let again = serde_json::to_string(&r).unwrap();
    assert!(again.contains("\"median_ci_s\"") && !again.contains("\"ci95_s\""));
    // Its speedups still pair sample i with the sequential cell's sample i.
    let c = r
        .cells
        .iter()
        .find(|c| c.model == ModelKind::Rayon && c.workers == 2)
        .unwrap();
    assert!(c.speedup_ci.is_some() && c.rounds.is_empty());
    assert_eq!(
        c.speedup_samples(&r.cells).unwrap().len(),
        c.samples_s.len()
    );
}

#[test]
fn sampling_until_precise_stops_at_the_budget_and_names_the_misses() {
    let machine = MachineInfo::detect();
    let o = Overrides {
        workloads: Some(vec![WorkloadKind::Io, WorkloadKind::Noop]),
        models: Some(vec![ModelKind::Sequential, ModelKind::ThreadPool]),
        precision: Some(0.0001), // out of reach: the budget ends it
        time_budget_s: Some(3.0),
        ..tiny()
    };
    let config = build_config(Preset::Default, &machine, &o).unwrap();
    assert_eq!(config.samples, 3, "--samples is the minimum");

    #[derive(Default)]
    struct Notes(Vec<String>, Option<f64>, usize);
    impl Observer for Notes {
        fn notice(&mut self, m: &str) {
            self.0.push(m.to_string());
        }
        fn planned(&mut self, e: &parbench::measure::estimate::Estimate) {
            self.1 = Some(e.total_s());
        }
        fn more(&mut self, cells: &[parbench::plan::CellKey]) {
            self.2 += cells.len();
        }
    }
    let mut notes = Notes::default();
    let t0 = std::time::Instant::now();
    let results = run(&config, &machine, &ctx(), &mut notes).unwrap();
    let took = t0.elapsed().as_secs_f64();
    // The budget bounds the run (no round starts that would end past it), with slack for
    // one batch and a loaded machine.
    assert!(took < 3.0 + 2.0, "{took} s");
    assert!(notes.1.is_some_and(|e| e > 0.0 && e < 3.0), "{:?}", notes.1);
    assert!(notes.2 > 0, "extra rounds ran");
    let extra = results
        .cells
        .iter()
        .filter(|c| c.samples_s.len() > 3)
        .count();
    assert!(extra > 0);
    for c in &results.cells {
        assert!(c.samples_s.len() >= 3 && c.samples_s.len() == c.rounds.len());
        assert_eq!(c.precision_met, Some(false), "{}", c.key());
    }
    let note = notes
        .0
        .iter()
        .find(|n| n.starts_with("precision:"))
        .unwrap();
    assert!(
        note.contains("missed ±0.0%") && note.contains("io/thread-pool/2"),
        "{note}"
    );
}

#[test]
fn a_plan_beyond_a_day_is_refused_before_anything_runs() {
    let machine = MachineInfo::detect();
    let o = Overrides {
        workloads: Some(vec![WorkloadKind::Io]),
        params: parbench::workload::Params {
            // A day per task: several days per batch.
            sleep_ms: Some(86_400_000),
            ..Default::default()
        },
        ..tiny()
    };
    let config = build_config(Preset::Default, &machine, &o).unwrap();
    let err = run(&config, &machine, &ctx(), &mut Silent).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(err.to_string().contains("beyond 24 h"), "{err}");
    // Longer than a day per task is refused by the plan itself.
    let o = Overrides {
        params: parbench::workload::Params {
            sleep_ms: Some(99_999_999_999),
            ..Default::default()
        },
        ..o
    };
    let err = build_config(Preset::Default, &machine, &o).unwrap_err();
    assert!(
        err.to_string()
            .contains("--sleep-ms 99999999999 is more than a day"),
        "{err}"
    );
}
