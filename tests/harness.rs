//! A user's bench built on `parbench::Harness`, which drives itself through what a user meets.
//!
//! Started without `PARBENCH_SCENARIO` (by `cargo test`), it is the test: it runs itself once
//! per scenario with `PARBENCH_SCENARIO` set and checks the exit code, the one-line error and
//! the result file. Started with it, it is the user's bench for that scenario, and, re-executed
//! as `<binary> worker` by the process models (the variable is inherited), their worker.
//! `harness = false` in Cargo.toml: this is its own `main`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const SCENARIO: &str = "PARBENCH_SCENARIO";

/// parbench's noop task, written as a user would: the same cost per task.
fn nothing(task: u64) -> u64 {
    task.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The lesson's multiply loop, as a user would write it.
fn multiply(task: u64) -> u64 {
    let mut res = task | 1;
    for i in 1..=20_000u64 {
        res = std::hint::black_box(res.wrapping_mul(i | 1));
    }
    res
}

fn quick(h: parbench::Harness) -> parbench::Harness {
    h.workers([1, 2]).tasks(6).samples(2)
}

/// The user's bench of each scenario.
fn bench(scenario: &str) -> parbench::Harness {
    use parbench::model::ModelKind as M;
    let h = parbench::Harness::new();
    match scenario {
        "every-model" => quick(
            h.workload("nothing", nothing)
                .workload("multiply", multiply)
                .blocking_workload("sleep", |t| {
                    std::thread::sleep(Duration::from_millis(2));
                    t
                })
                .task_time(Duration::from_millis(2))
                .async_workload("async-sleep", |t| async move {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    t + 1
                }),
        )
        .models([
            M::Sequential,
            M::Threads,
            M::ThreadPool,
            M::Rayon,
            M::Processes,
            M::ProcessPool,
            M::ProcessesFork,
            M::Async,
            M::AsyncBlocking,
            M::Gil,
        ]),
        "twice" => h.workload("same", nothing).workload("same", nothing),
        "empty-name" => h.workload("", nothing),
        "bad-name" => h.workload("a/b", nothing),
        "panics" => quick(h.workload("panics", |t| {
            if t == 3 {
                panic!("task three refuses");
            }
            t
        }))
        .models([M::Sequential, M::ThreadPool, M::ProcessPool]),
        "panics-in-pool" => quick(h.workload("panics-late", |t| {
            // The sequential reference passes; the pool's run panics (another process).
            if t == 4 && std::env::args().nth(1).as_deref() == Some("worker") {
                panic!("only in a worker");
            }
            t
        }))
        .models([M::Sequential, M::ProcessPool]),
        "panics-in-thread" => quick(h.workload("panics-pooled", |t| {
            // The sequential reference (the main thread) passes; a pool thread panics.
            let pooled = std::thread::current()
                .name()
                .is_some_and(|n| n.starts_with("parbench-pool"));
            if t == 5 && pooled {
                panic!("only in a pool thread");
            }
            t
        }))
        .models([M::Sequential, M::ThreadPool]),
        "hangs-in-thread" | "hangs-in-worker" => {
            let model = if scenario == "hangs-in-thread" {
                M::ThreadPool
            } else {
                M::ProcessPool
            };
            quick(h.workload("hangs", |t| {
                // The reference checksum runs on a thread of its own.
                let main = matches!(
                    std::thread::current().name(),
                    Some("main" | "parbench-reference")
                );
                let worker = std::env::args().nth(1).as_deref() == Some("worker");
                if t == 2 && (!main || worker) {
                    loop {
                        std::thread::sleep(Duration::from_secs(3600));
                    }
                }
                t
            }))
            .task_timeout(Duration::from_secs(1))
            .models([M::Sequential, model])
        }
        // Task 2 never completes under the async model: a future that is never woken.
        "hangs-in-async" => quick(h.async_workload("hangs-async", |t| async move {
            let async_worker = std::thread::current()
                .name()
                .is_some_and(|n| n.starts_with("parbench-async"));
            if t == 2 && async_worker {
                std::future::pending::<()>().await;
            }
            t
        }))
        .task_timeout(Duration::from_secs(1))
        .models([M::Sequential, M::Async]),
        "nondeterministic" => {
            static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            quick(h.workload("drifts", |t| {
                t + CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            }))
            .models([M::Sequential, M::Threads])
        }
        other => panic!("unknown scenario {other}"),
    }
}

/// A named check, given a folder of its own.
type Check = (&'static str, fn(&Path));

fn main() {
    if let Ok(scenario) = std::env::var(SCENARIO) {
        bench(&scenario).run();
    }
    let started = Instant::now();
    let checks: &[Check] = &[
        (
            "every model runs users' workloads of every shape",
            every_model,
        ),
        ("bad workload names are refused", bad_names),
        ("a panicking task names the task and its message", panics),
        ("a checksum that drifts names the cell", nondeterministic),
        ("a task that never returns stops the run, naming it", hangs),
        ("arguments are cargo bench's", arguments),
        (
            "a worker asked for a workload it does not have",
            unknown_workload,
        ),
        ("a user's bench takes part in a paired A/B run", paired),
    ];
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let mut ran = 0;
    for (name, check) in checks {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let t0 = Instant::now();
        check(dir.path());
        ran += 1;
        println!(
            "test harness: {name} ... ok ({:.1} s)",
            t0.elapsed().as_secs_f64()
        );
    }
    println!(
        "test result: ok. {ran} passed; 0 failed ({:.1} s)",
        started.elapsed().as_secs_f64()
    );
}

/// Runs this binary as the user's bench of `scenario` with `args`.
fn user_bench(dir: &Path, scenario: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(std::env::current_exe().unwrap())
        .env(SCENARIO, scenario)
        .env("PARBENCH_OUT", dir)
        .env("PARBENCH_PRESET", "quick")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn one_error_line(err: &str) -> String {
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("parbench: error"))
        .collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        !err.contains("panicked at") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
    lines[0].to_string()
}

fn every_model(dir: &Path) {
    let (code, out, err) = user_bench(dir, "every-model", &["--bench"]);
    assert_eq!(code, Some(0), "{err}");
    let r = parbench::store::load(&dir.join("latest.json")).unwrap();
    assert!(r.complete);
    for w in ["nothing", "multiply", "sleep", "async-sleep"] {
        for m in [
            "threads",
            "thread-pool",
            "rayon",
            "processes",
            "process-pool",
            "processes-fork",
            "async",
            "async-blocking",
            "gil",
        ] {
            for n in [1, 2] {
                let c = r
                    .cells
                    .iter()
                    .find(|c| c.workload.name() == w && c.model.name() == m && c.workers == n)
                    .unwrap_or_else(|| panic!("{w}/{m}/{n} measured"));
                assert!(c.checksum_ok && c.complete, "{w}/{m}/{n}");
                assert!(
                    c.speedup.is_some(),
                    "{w}/{m}/{n}: a speedup against sequential"
                );
            }
        }
    }
    // A sleep cannot end early: 6 tasks × 2 ms one after another take 12 ms at least.
    let seq = r
        .cells
        .iter()
        .find(|c| c.workload.name() == "sleep" && c.model.name() == "sequential")
        .unwrap();
    assert!(seq.min_s >= 0.012, "{}", seq.min_s);
    // The same report as parbench's own workloads.
    for f in [
        "summary.md",
        "analysis.json",
        "speedup-multiply.png",
        "time-sleep.png",
    ] {
        assert!(dir.join(f).exists(), "{f}");
    }
    let md = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(md.contains("## Results: multiply"), "{md}");
    assert!(
        out.contains("multiply: "),
        "a verdict for the workload: {out}"
    );
}

fn bad_names(dir: &Path) {
    for (scenario, says) in [
        ("twice", "'same' is registered twice"),
        ("empty-name", "cannot be empty"),
        ("bad-name", "'a/b'"),
    ] {
        let (code, _, err) = user_bench(dir, scenario, &["--bench"]);
        assert_eq!(code, Some(2), "{scenario}: {err}");
        assert!(one_error_line(&err).contains(says), "{scenario}: {err}");
    }
}

fn panics(dir: &Path) {
    let (code, _, err) = user_bench(dir, "panics", &["--bench"]);
    assert_eq!(code, Some(1), "{err}");
    let line = one_error_line(&err);
    // The sequential reference runs first, in this process.
    assert!(
        line.contains("task 3 of panics panicked: task three refuses"),
        "{line}"
    );
    let (code, _, err) = user_bench(dir, "panics-in-pool", &["--bench"]);
    assert_eq!(code, Some(1), "{err}");
    let line = one_error_line(&err);
    assert!(
        line.contains("panics-late/process-pool N=")
            && line.contains("task 4")
            && line.contains("only in a worker"),
        "{line}"
    );
    assert!(
        !parbench::store::load(&dir.join("latest.json"))
            .unwrap()
            .complete
    );
    // In this process, on a pool thread: the pool lives on, the batch names the task.
    let (code, _, err) = user_bench(dir, "panics-in-thread", &["--bench"]);
    assert_eq!(code, Some(1), "{err}");
    let line = one_error_line(&err);
    assert!(
        line.contains("panics-pooled/thread-pool N=")
            && line.contains("task 5 of panics-pooled panicked: only in a pool thread"),
        "{line}"
    );
}

fn hangs(dir: &Path) {
    for (scenario, filter, says) in [
        (
            "hangs-in-thread",
            "pool/1",
            "hangs/thread-pool N=1: task 2 did not finish within",
        ),
        (
            "hangs-in-worker",
            "pool/1",
            "did not finish task 2 within the task timeout of 1.0 s",
        ),
        (
            "hangs-in-async",
            "async/1",
            "hangs-async/async N=1: task 2 did not finish within",
        ),
    ] {
        let t0 = Instant::now();
        let (code, _, err) = user_bench(dir, scenario, &["--bench", filter]);
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "{scenario}: {:?}",
            t0.elapsed()
        );
        assert_eq!(code, Some(1), "{scenario}: {err}");
        assert!(one_error_line(&err).contains(says), "{scenario}: {err}");
        let saved = parbench::store::load(&dir.join("latest.json")).unwrap();
        assert!(!saved.complete, "{scenario}");
    }
}

fn nondeterministic(dir: &Path) {
    let (code, _, err) = user_bench(dir, "nondeterministic", &["--bench"]);
    assert_eq!(code, Some(1), "{err}");
    let line = one_error_line(&err);
    assert!(line.contains("checksum mismatch in drifts/"), "{line}");
}

fn arguments(dir: &Path) {
    let (code, out, err) = user_bench(dir, "every-model", &["--bench", "--list"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.lines().any(|l| l == "multiply/rayon/2"), "{out}");
    let (code, out, _) = user_bench(dir, "every-model", &["--list", "sleep/gil"]);
    assert_eq!(code, Some(0));
    let cells: Vec<&str> = out.lines().collect();
    // The filter keeps the matching cells and the baselines their speedups need.
    assert!(
        cells.contains(&"sleep/gil/1") && cells.contains(&"sleep/sequential/1"),
        "{out}"
    );
    assert!(
        cells
            .iter()
            .all(|c| c.starts_with("sleep/") || c.starts_with("async-sleep/")),
        "{out}"
    );
    let (code, _, err) = user_bench(dir, "every-model", &["--bench", "--sample-size", "3"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(one_error_line(&err).contains("'--sample-size'"), "{err}");
    // Without --bench (cargo test --benches): every cell once, nothing kept.
    let scratch = dir.join("test-mode");
    let (code, _, err) = user_bench(&scratch, "every-model", &["multiply/"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("test mode") && err.contains("every checksum agrees"),
        "{err}"
    );
    assert!(!scratch.exists(), "nothing kept");
    let (code, _, err) = user_bench(dir, "every-model", &["no-such-cell"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(one_error_line(&err).contains("no cell matches"), "{err}");
}

fn unknown_workload(_: &Path) {
    use parbench::worker::{Request, encode};
    use parbench::workload::{WorkloadSpec, user};
    use std::io::Write;
    let spec = WorkloadSpec::User(user::by_name("not-here", user::Shape::Compute, None));
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env(SCENARIO, "every-model")
        .arg("worker")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&encode(&Request::new(0, spec)))
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "nothing written");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no workload named 'not-here'"), "{err}");
}

/// `parbench ab` with this bench on both sides: it serves its own workloads, both sides agree
/// on every checksum, and every cell gets a verdict.
fn paired(dir: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_parbench"))
        .env(SCENARIO, "every-model")
        .args(["ab"])
        .arg(std::env::current_exe().unwrap())
        .arg(std::env::current_exe().unwrap())
        .args([
            "--models",
            "sequential,thread-pool,process-pool,async",
            "--workers",
            "2",
            "--samples",
            "6",
            "--warmup",
            "0",
            "--settle-ms",
            "0",
            "--format",
            "json",
            "--out",
        ])
        .arg(dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cells = v["cells"].as_array().unwrap();
    // 4 workloads × (sequential + 3 models at N = 2).
    assert_eq!(cells.len(), 16, "{v}");
    assert!(
        cells.iter().any(|c| c["cell"] == "async-sleep/async/2"),
        "{v}"
    );
    assert!(cells.iter().all(|c| c["verdict"] != "Changed"), "{v}");
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("latest-ab.json")).unwrap()).unwrap();
    assert_eq!(
        saved["baseline"]["results"]["cells"]
            .as_array()
            .unwrap()
            .len(),
        16
    );
}
