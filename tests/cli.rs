//! The `parbench` binary as a user meets it: exit codes, one-line errors, files left behind.

use assert_cmd::Command;
use predicates::prelude::*;
use std::time::{Duration, Instant};

fn parbench() -> Command {
    Command::new(crate::parbench_exe())
}

const TINY: &[&str] = &[
    "run",
    "--preset",
    "quick",
    "--workers",
    "1,2",
    "--tasks",
    "3",
    "--iterations",
    "1000",
    "--sleep-ms",
    "2",
    "--samples",
    "2",
    "--warmup",
    "0",
];

#[test]
fn a_tiny_run_prints_a_table_and_writes_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    parbench()
        .args(TINY)
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stdout(predicate::str::contains("speedup"))
        .stdout(predicate::str::contains("process-pool"))
        .stderr(predicate::str::contains("latest.json"));
    let latest = parbench::store::load(&out.join("latest.json")).unwrap();
    assert!(latest.complete);
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert!(
        files.iter().all(|f| !f.starts_with('.')),
        "no temp files: {files:?}"
    );
    for expected in [
        "latest.json",
        "summary.md",
        "analysis.json",
        "speedup-cpu.png",
        "cpu-vs-io.png",
    ] {
        assert!(
            files.iter().any(|f| f == expected),
            "{expected} missing: {files:?}"
        );
    }
    assert_eq!(files.iter().filter(|f| f.ends_with(".json")).count(), 3);
}

#[test]
fn no_report_writes_only_the_results() {
    let dir = tempfile::tempdir().unwrap();
    parbench()
        .args(TINY)
        .args(["--workload", "noop", "--no-report", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    let files = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(files, 2, "<timestamp>.json and latest.json");
}

#[test]
fn bad_values_exit_2_with_one_line_naming_them() {
    let cases: &[(&[&str], &str)] = &[
        (&["run", "--workers", "0"], "worker count 0"),
        (&["run", "--workers", "two"], "two"),
        (&["run", "--models", "fibers"], "fibers"),
        (&["run", "--workload", "disk"], "disk"),
        (&["run", "--samples", "0"], "--samples"),
        (&["run", "--preset", "huge"], "huge"),
        (&["run", "--tasks", "0"], "--tasks"),
        (&["run", "--iterations", "0"], "--iterations"),
        (&["frobnicate"], "frobnicate"),
    ];
    for (args, needle) in cases {
        let assert = parbench().args(*args).assert().code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn out_must_be_a_folder() {
    let file = tempfile::NamedTempFile::new().unwrap();
    parbench()
        .args(TINY)
        .arg("--out")
        .arg(file.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a folder"));
}

#[test]
fn info_reports_cores_as_json() {
    let out = parbench().args(["info", "--json"]).assert().success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert!(v["logical_cores"].as_u64().unwrap() >= 1);
    assert!(v["available_parallelism"].as_u64().unwrap() >= 1);
}

#[test]
fn the_worker_mode_rejects_anything_but_its_protocol() {
    parbench()
        .arg("worker")
        .write_stdin("GET / HTTP/1.1\r\n\r\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad frame magic"));
}

#[test]
fn an_interrupted_run_leaves_valid_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let mut child = std::process::Command::new(crate::parbench_exe())
        .args([
            "run",
            "--workload",
            "io",
            "--models",
            "sequential,threads",
            "--workers",
            "2",
            "--tasks",
            "4",
            "--sleep-ms",
            "50",
            "--samples",
            "50",
            "--warmup",
            "0",
            "--out",
        ])
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let latest = out.join("latest.json");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !latest.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    // Let it checkpoint a few more times, then kill it without warning.
    std::thread::sleep(Duration::from_millis(1500));
    child.kill().unwrap();
    child.wait().unwrap();
    let r = parbench::store::load(&latest).expect("valid JSON after a kill");
    assert!(!r.complete);
    assert!(r.finished_utc.is_none());
    assert!(!r.cells.is_empty());
    assert!(
        r.cells
            .iter()
            .all(|c| !c.samples_s.is_empty() && !c.complete)
    );
}

fn load(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn cpython_models_are_skipped_with_a_notice_without_python() {
    let dir = tempfile::tempdir().unwrap();
    parbench()
        .env("PARBENCH_PYTHON", dir.path().join("no-such-python"))
        .args(TINY)
        .args(["--models", "sequential,py-threads", "--workload", "noop"])
        .arg("--no-report")
        .arg("--out")
        .arg(dir.path())
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "skipping py-threads: no Python interpreter",
        ));
    let r = load(&dir.path().join("latest.json"));
    let models: Vec<&str> = r["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["model"].as_str().unwrap())
        .collect();
    assert_eq!(models, ["sequential"]);
    assert!(r["notes"][0].as_str().unwrap().contains("py-threads"));
}

#[test]
fn cpython_models_run_beside_the_native_ones() {
    if let Err(why) = parbench::model::ModelKind::PyThreads.available() {
        eprintln!("not tested here: {why}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    parbench()
        .args(TINY)
        .args([
            "--models",
            "sequential,threads,py-sequential,py-threads,py-processes",
            "--workload",
            "cpu,io",
        ])
        .arg("--no-report")
        .arg("--out")
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("py-processes"));
    let r = load(&dir.path().join("latest.json"));
    let cells = r["cells"].as_array().unwrap();
    let py: Vec<_> = cells
        .iter()
        .filter(|c| c["model"] == "py-threads" && c["workload"] == "cpu")
        .collect();
    assert_eq!(py.len(), 2);
    for c in py {
        assert_eq!(c["speedup_baseline"], "py-sequential");
        assert_eq!(c["checksum_ok"], true);
    }
}

#[test]
fn advise_sweeps_past_the_textbook_estimate_and_reports_each_model() {
    let dir = tempfile::tempdir().unwrap();
    parbench()
        .args(["advise", "--cpu-ms", "1", "--io-ms", "3", "--tasks", "8"])
        .args([
            "--models",
            "thread-pool,gil",
            "--samples",
            "1",
            "--no-report",
        ])
        .arg("--out")
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains("textbook estimate"))
        .stdout(predicate::str::contains("gil"))
        .stdout(predicate::str::contains("thread-pool"));
    let r = load(&dir.path().join("latest.json"));
    let workers: Vec<u64> = r["config"]["workers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_u64().unwrap())
        .collect();
    let m = &r["machine"];
    let cores = m["physical_cores"].as_f64().or(m["logical_cores"].as_f64());
    let estimate = 4.0 * cores.unwrap();
    assert!(workers.contains(&(estimate as u64)), "{workers:?}");
    assert!(*workers.last().unwrap() as f64 >= 2.0 * estimate);
    assert!(
        r["config"]["workloads"][0]["spec"]["iterations"]
            .as_u64()
            .unwrap()
            > 0
    );
}

#[test]
fn fit_reads_a_csv_predicts_and_names_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("m.csv");
    // X(N) = 100N / (1 + 0.05(N−1) + 0.002N(N−1)), exactly.
    let mut text = String::from("N,throughput\n# made up\n");
    for n in [1.0f64, 2.0, 4.0, 8.0, 16.0, 32.0] {
        let x = 100.0 * n / (1.0 + 0.05 * (n - 1.0) + 0.002 * n * (n - 1.0));
        text.push_str(&format!("{n},{x}\n"));
    }
    std::fs::write(&csv, text).unwrap();
    let out = parbench()
        .args(["fit", "--format", "json", "--predict", "10,20"])
        .arg(&csv)
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let close = |k: &str, want: f64| (v[k].as_f64().unwrap() - want).abs() < 1e-6 * want;
    assert!(
        close("sigma", 0.05) && close("kappa", 0.002) && close("lambda", 100.0),
        "{v}"
    );
    assert!(close("peak_n", (0.95f64 / 0.002).sqrt()), "{v}");
    assert_eq!(v["predictions"][1][0], 20.0);
    parbench()
        .arg("fit")
        .arg(&csv)
        .assert()
        .success()
        .stdout(predicate::str::contains("coherency-limited"));
    std::fs::write(&csv, "1,100\n2,abc\n").unwrap();
    parbench()
        .arg("fit")
        .arg(&csv)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("m.csv: line 2: '2,abc'"));
    std::fs::write(&csv, "1,100\n2,190\n").unwrap();
    parbench()
        .arg("fit")
        .arg(&csv)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("at least 3 distinct N"));
}

/// `--command`: a program measured across the models that wait on children, with its setup
/// and prepare counted, its output checked, its command recorded verbatim, a verdict that says
/// how many to run at once, and its results exported.
#[test]
fn a_command_is_measured_across_models_and_recorded_verbatim() {
    let dir = tempfile::tempdir().unwrap();
    let (setups, prepares) = (dir.path().join("setups"), dir.path().join("prepares"));
    let command = "echo task {task} of $PARBENCH_TASK; sleep 0.02";
    let out = dir.path().join("r");
    let run = parbench()
        .args([
            "run",
            "--command",
            command,
            "--name",
            "echoer",
            "--check-output",
            "--workers",
            "1,2",
            "--tasks",
            "4",
            "--samples",
            "2",
            "--warmup",
            "1",
            "--settle-ms",
            "0",
            "--setup",
        ])
        .arg(format!("echo >> '{}'", setups.display()))
        .arg("--prepare")
        .arg(format!("echo >> '{}'", prepares.display()))
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .get_output()
        .clone();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("4 runs of `echo task {task}"), "{stdout}");
    assert!(stdout.contains("at once (xargs -P "), "advice: {stdout}");
    let lines = |p: &std::path::Path| std::fs::read_to_string(p).unwrap().lines().count();
    // sequential + thread-pool and async at N = 1, 2: 5 cells × 3 batches, and the reference
    // pass before them.
    assert_eq!(lines(&setups), 5 + 1);
    assert_eq!(lines(&prepares), 5 * 3 + 1);
    let saved = load(&out.join("latest.json"));
    let spec = &saved["config"]["workloads"][0]["spec"];
    assert_eq!(spec["name"], "echoer");
    assert_eq!(spec["command"]["command"], command);
    assert_eq!(spec["command"]["check_output"], true);
    let models: Vec<&str> = saved["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["model"].as_str().unwrap())
        .collect();
    assert_eq!(
        models,
        ["sequential", "thread-pool", "thread-pool", "async", "async"]
    );
    // The programs' memory, not only parbench's.
    for c in saved["cells"].as_array().unwrap() {
        assert!(c["child_peak_rss_kib"].as_u64().unwrap() > 0, "{c}");
    }
    assert!(out.join("speedup-echoer.png").exists());
    parbench()
        .args(["export", "--format", "csv"])
        .arg(out.join("latest.json"))
        .assert()
        .success()
        .stdout(predicate::str::contains("echoer,thread-pool,2,"));
}

#[test]
fn command_options_are_checked_in_one_line() {
    for (args, says, code) in [
        (
            vec!["--command", "true", "--models", "processes"],
            "processes cannot run a command (--command runs on sequential, threads, thread-pool, rayon, static-split, async",
            2,
        ),
        (vec!["--setup", "true"], "--setup goes with --command", 2),
        (vec!["--command", " "], "--command must not be empty", 2),
        (
            vec!["--command", "a 'b", "--shell", "none"],
            "cannot be split into words",
            2,
        ),
        (
            vec!["--command", "true", "--name", "cpu"],
            "'cpu' is one of parbench's own workloads",
            2,
        ),
        (
            vec![
                "--command",
                "true",
                "--command",
                "true",
                "--name",
                "x",
                "--name",
                "x",
            ],
            "--name 'x' is given to two commands",
            2,
        ),
        // Output that differs from one batch to the next fails the checksum.
        (
            vec![
                "--command",
                "date +%N",
                "--check-output",
                "--workers",
                "1",
                "--tasks",
                "2",
                "--samples",
                "1",
                "--warmup",
                "0",
            ],
            "checksum mismatch in date/",
            1,
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = parbench()
            .arg("run")
            .args(&args)
            .args(["--no-report", "--out"])
            .arg(dir.path())
            .timeout(Duration::from_secs(30))
            .assert()
            .code(code)
            .get_output()
            .clone();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {says:?} not in {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn the_deadlock_lesson_deadlocks_cures_and_never_hangs() {
    let t0 = Instant::now();
    parbench()
        .args(["lesson", "deadlock", "--timeout-ms", "100"])
        .timeout(Duration::from_secs(30))
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "thread B holds lock 2 and waits for lock 1: still waiting after 100 ms",
        ))
        .stdout(predicate::str::contains("DEADLOCK"))
        .stdout(predicate::str::contains("200000 of 200000 updates"))
        .stdout(predicate::str::contains("a re-entrant mutex lets it in"));
    assert!(t0.elapsed() < Duration::from_secs(10));
    parbench()
        .args(["lesson", "deadlock", "--timeout-ms", "0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--timeout-ms 0"));
}

/// The shared counter: exact under a lock, an atomic or shards, with process models skipped
/// with a notice; `racy` loses updates with two threads and says how many, and its run passes.
#[test]
fn contention_is_exact_except_racy_which_counts_its_lost_updates() {
    for sync in ["mutex", "atomic", "sharded", "racy"] {
        let dir = tempfile::tempdir().unwrap();
        let out = parbench()
            .args(crate::quiet_run(
                dir.path(),
                &[
                    "run",
                    "--workload",
                    "contention",
                    "--sync",
                    sync,
                    "--updates",
                    "5000",
                    "--tasks",
                    "8",
                    "--models",
                    "sequential,threads,process-pool,async",
                    "--workers",
                    "1,2",
                ],
                3,
            ))
            .timeout(Duration::from_secs(60))
            .assert()
            .success()
            .get_output()
            .clone();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("skipping process-pool for contention: its tasks share state"),
            "{err}"
        );
        let saved = load(&dir.path().join("latest.json"));
        for c in saved["cells"].as_array().unwrap() {
            let lost = &c["lost_updates"];
            if sync != "racy" {
                assert!(lost.is_null(), "{sync}: {c}");
            } else if c["workers"] == 2 && c["model"] == "threads" {
                assert!(
                    lost["min"].as_u64().unwrap() > 0,
                    "every batch lost some: {lost}"
                );
                assert_eq!(lost["of"], 40_000);
            } else if c["workers"] == 1 {
                assert_eq!(lost["max"], 0, "one thread cannot race: {c}");
            }
        }
        if sync == "racy" {
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(stdout.contains("lost 0 of 40000 updates"), "{stdout}");
            let a = parbench::analysis::analyse(
                &parbench::store::load(&dir.path().join("latest.json")).unwrap(),
            );
            let said = parbench::export::verdicts::sentences(&a);
            assert!(
                said.iter()
                    .any(|(_, s)| s.contains("Unsynchronised, it lost updates in every batch")),
                "{said:?}"
            );
        }
    }
}

/// Producers and consumers over each queue, shut down both ways: every item arrives once in
/// every batch (or the run fails), a cell of N runs N tasks, the queue's use is recorded and
/// the verdict says it; bad sizes are refused in one line.
#[test]
fn pipeline_delivers_every_item_through_every_queue_and_reports_its_waits() {
    for (queue, shutdown) in [
        ("std", "close"),
        ("crossbeam", "sentinel"),
        ("tokio", "close"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = parbench()
            .args(crate::quiet_run(
                dir.path(),
                &[
                    "run",
                    "--workload",
                    "pipeline",
                    "--queue",
                    queue,
                    "--shutdown",
                    shutdown,
                    "--items",
                    "3000",
                    "--item-us",
                    "2",
                    "--capacity",
                    "8",
                    "--producers",
                    "2",
                    "--models",
                    "sequential,thread-pool,process-pool,async,gil",
                    "--workers",
                    "2,4",
                ],
                3,
            ))
            .timeout(Duration::from_secs(60))
            .assert()
            .success()
            .get_output()
            .clone();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("skipping process-pool for pipeline: its tasks share state"),
            "{err}"
        );
        let saved = load(&dir.path().join("latest.json"));
        let cells = saved["cells"].as_array().unwrap();
        assert_eq!(cells.len(), 7, "sequential + 3 models × 2 worker counts");
        for c in cells {
            assert_eq!(c["tasks"], c["workers"], "one task per worker: {c}");
            let q = &c["queue"];
            assert_eq!(q["items"], 3000, "{c}");
            assert!(q["items_per_s"].as_f64().unwrap() > 0.0);
            // With one task there is no producer or consumer of its own to wait.
            assert_eq!(q["full_share"].is_null(), c["workers"] == 1, "{c}");
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("items/s, full"), "{stdout}");
        let a = parbench::analysis::analyse(
            &parbench::store::load(&dir.path().join("latest.json")).unwrap(),
        );
        let said = parbench::export::verdicts::sentences(&a);
        assert!(
            said.iter()
                .any(|(_, s)| s.contains("items/s; producers waited on a full queue")),
            "{said:?}"
        );
    }
    for (flag, value, says) in [
        ("--capacity", "0", "--capacity must be at least 1"),
        ("--items", "0", "--items must be from 1"),
        ("--queue", "ring", "unknown --queue 'ring'"),
    ] {
        let out = parbench()
            .args(["run", "--workload", "pipeline", flag, value, "--no-report"])
            .timeout(Duration::from_secs(20))
            .assert()
            .code(2)
            .get_output()
            .clone();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{flag} {value}: {err}");
    }
}

/// Uneven sleeps: every cell records when its tasks finished (no task finishes before its own
/// sleep, so the p99 is at least the longest sleep the sizes drew), the workers' idle share
/// where tasks hold a worker, and none for empty tasks; CPython's models refuse uneven sizes.
#[test]
fn uneven_tasks_record_their_completion_times_and_idle_share() {
    let dir = tempfile::tempdir().unwrap();
    parbench()
        .args(crate::quiet_run(
            dir.path(),
            &[
                "run",
                "--workload",
                "io,noop",
                "--task-sizes",
                "bimodal:0.25:8",
                "--order",
                "longest-first",
                "--tasks",
                "8",
                "--sleep-ms",
                "10",
                "--models",
                "sequential,static-split,thread-pool,process-pool,async",
                "--workers",
                "2",
            ],
            2,
        ))
        .timeout(Duration::from_secs(60))
        .assert()
        .success();
    let saved = load(&dir.path().join("latest.json"));
    let io = &saved["config"]["workloads"][0]["spec"];
    assert_eq!(io["sizes"]["dist"], "bimodal:0.25:8", "{io}");
    let sizes: parbench::workload::sizes::Sizes =
        serde_json::from_value(io["sizes"].clone()).unwrap();
    let longest = sizes.layout().max() * 0.010;
    for c in saved["cells"].as_array().unwrap() {
        let done = &c["completion"];
        if c["workload"] == "noop" {
            assert!(done.is_null(), "{c}");
            continue;
        }
        let p99 = done["p99_s"].as_f64().unwrap();
        assert!(p99 >= longest, "{}: p99 {p99} < {longest}", c["model"]);
        assert!(done["mean_s"].as_f64().unwrap() <= p99);
        let idle = &done["idle_share"];
        if c["model"] == "async" {
            assert!(idle.is_null(), "futures that wait hold no worker: {c}");
        } else {
            let idle = idle.as_f64().unwrap();
            assert!((0.0..1.0).contains(&idle), "{c}");
        }
    }
    let out = parbench()
        .args([
            "run",
            "--workload",
            "cpu",
            "--task-sizes",
            "exp",
            "--models",
            "py-threads",
            "--no-report",
        ])
        .timeout(Duration::from_secs(20))
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("with even tasks in submit order"), "{err}");
}

/// `parbench skew`: one run per distribution, skew.md with the table and the verdict naming a
/// model, skew.png.
#[test]
fn skew_compares_the_models_across_size_distributions() {
    let dir = tempfile::tempdir().unwrap();
    let out = parbench()
        .args([
            "skew",
            "--task-sizes",
            "uniform,pareto:1.5",
            "--tasks",
            "12",
            "--iterations",
            "20000",
            "--workers",
            "2",
            "--samples",
            "2",
            "--out",
        ])
        .arg(dir.path())
        .timeout(Duration::from_secs(60))
        .assert()
        .success()
        .get_output()
        .clone();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("copes best here"), "{stdout}");
    let md = std::fs::read_to_string(dir.path().join("skew.md")).unwrap();
    for s in [
        "| pareto:1.5 |",
        "static-split",
        "rayon",
        "![skew.png](skew.png)",
    ] {
        assert!(md.contains(s), "{s}: {md}");
    }
    assert!(dir.path().join("skew.png").metadata().unwrap().len() > 1000);
    for d in ["uniform", "pareto-1.5"] {
        let r = load(&dir.path().join(d).join("latest.json"));
        assert_eq!(
            r["cells"].as_array().unwrap().len(),
            4,
            "sequential + 3 models"
        );
    }
    parbench()
        .args(["skew", "--workload", "noop", "--samples", "1"])
        .timeout(Duration::from_secs(20))
        .assert()
        .code(2);
}

/// Duplicates anywhere in a list are dropped (not only next to each other), and a bare
/// threshold of 1 is 1%, as 2 is 2%.
#[test]
fn duplicates_anywhere_are_dropped_and_a_bare_threshold_is_a_percentage() {
    let dir = tempfile::tempdir().unwrap();
    parbench()
        .args(crate::quiet_run(
            dir.path(),
            &[
                "run",
                "--models",
                "threads,sequential,threads",
                "--workload",
                "noop,cpu,noop",
                "--iterations",
                "1000",
                "--start-method",
                "spawn,spawn",
                "--workers",
                "2",
            ],
            1,
        ))
        .timeout(Duration::from_secs(60))
        .assert()
        .success();
    let saved = load(&dir.path().join("latest.json"));
    assert_eq!(
        saved["cells"].as_array().unwrap().len(),
        4,
        "2 workloads × 2 models"
    );
    let file = dir.path().join("latest.json");
    for (t, says) in [
        ("1", "1.0%"),
        ("2", "2.0%"),
        ("0.05", "5.0%"),
        ("5%", "5.0%"),
    ] {
        parbench()
            .args(["compare"])
            .arg(&file)
            .arg(&file)
            .args(["--threshold", t, "--metric", "time"])
            .timeout(Duration::from_secs(20))
            .assert()
            .stdout(
                predicate::str::contains(format!("moved by {says}"))
                    .or(predicate::str::contains(format!("by more than {says}"))),
            );
    }
}
