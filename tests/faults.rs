//! Faults, tried as a user meets them: workers that crash, are killed, exit, hang or write
//! garbage; Ctrl-C and SIGTERM; limits; damaged input files; baselines. Each must end within
//! 10 s of the fault with a one-line message, valid JSON of what was measured, and no process
//! left behind (every parbench started here carries a marker in its environment, which its
//! children inherit; after it exits, no process with that marker may remain).

use assert_cmd::Command;
use parbench::store::load;
use predicates::prelude::*;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const MARK: &str = "PARBENCH_TEST_MARK";

/// Zombies that init has to reap (parent 1) left by parbench or CPython: orphans of a child that
/// died before its children were reaped. The ones present when the tests started are ignored.
fn orphaned_zombies() -> Vec<u32> {
    static BEFORE: std::sync::OnceLock<Vec<u32>> = std::sync::OnceLock::new();
    let scan = || {
        let mut found = Vec::new();
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
                continue;
            };
            let comm = &stat[open + 1..close];
            let rest: Vec<&str> = stat[close + 1..].split_whitespace().collect();
            if rest.first() == Some(&"Z")
                && rest.get(1) == Some(&"1")
                && (comm.starts_with("parbench") || comm.starts_with("python"))
            {
                found.push(pid);
            }
        }
        found
    };
    let before = BEFORE.get_or_init(scan);
    scan().into_iter().filter(|p| !before.contains(p)).collect()
}

fn marker() -> String {
    orphaned_zombies();
    format!("faults-{}-{}", std::process::id(), fastrand::u64(..))
}

/// Processes still alive whose environment carries `mark`.
fn leftovers(mark: &str) -> Vec<u32> {
    let needle = format!("{MARK}={mark}");
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Ok(env) = std::fs::read(entry.path().join("environ"))
            && env.split(|b| *b == 0).any(|kv| kv == needle.as_bytes())
        {
            found.push(pid);
        }
    }
    found
}

fn assert_no_leftovers(mark: &str) {
    // Killed children are reaped before parbench exits; give the kernel a moment to tear down
    // processes reparented elsewhere (CPython's, killed as a group).
    let deadline = Instant::now() + Duration::from_secs(2);
    // Orphaned zombies are checked at once: an init may take seconds to reap them, which
    // would hide that parbench left them.
    let zombies = orphaned_zombies();
    assert!(zombies.is_empty(), "orphaned zombies: {zombies:?}");
    loop {
        let left = leftovers(mark);
        if left.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "processes left behind: {left:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn parbench(mark: &str) -> Command {
    let mut c = Command::new(crate::parbench_exe());
    c.env(MARK, mark);
    c
}

/// `head` (a `run` and what it measures), then tiny sampling into `out` without a report, then
/// `extra`.
fn tiny_run(out: &Path, head: &[&str], extra: &[&str]) -> Vec<String> {
    let mut a = crate::quiet_run(out, head, 2);
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

/// A small noop run on process models: `extra` adds options.
fn noop_run(out: &Path, models: &str, extra: &[&str]) -> Vec<String> {
    let head = [
        "run",
        "--preset",
        "quick",
        "--workload",
        "noop",
        "--models",
        models,
        "--workers",
        "2",
        "--tasks",
        "6",
    ];
    tiny_run(out, &head, extra)
}

#[test]
fn a_worker_that_crashes_is_killed_exits_hangs_or_garbles_stops_the_run() {
    for (fault, says) in [
        ("crash", "without returning the result of task 3"),
        ("kill", "without returning the result of task 3"),
        ("exit", "without returning the result of task 3"),
        ("hang", "did not finish task 3 within the task timeout"),
        ("garbage", "bad frame magic"),
    ] {
        for model in ["processes", "process-pool"] {
            let dir = tempfile::tempdir().unwrap();
            let mark = marker();
            let t0 = Instant::now();
            let out = parbench(&mark)
                .env("PARBENCH_WORKER_FAULT", format!("{fault}@3"))
                .args(noop_run(dir.path(), model, &["--task-timeout", "2"]))
                .timeout(Duration::from_secs(30))
                .assert()
                .code(1)
                .stderr(predicate::str::contains(says))
                .get_output()
                .clone();
            let took = t0.elapsed();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(took < Duration::from_secs(10), "{fault}/{model}: {took:?}");
            assert!(
                err.contains("noop/") && err.contains(" N=2"),
                "{fault}/{model}: the cell is named: {err}"
            );
            assert!(!err.contains("panicked"), "{fault}/{model}: {err}");
            let saved = load(&dir.path().join("latest.json")).unwrap();
            assert!(!saved.complete, "{fault}/{model}");
            assert_no_leftovers(&mark);
        }
    }
}

#[test]
fn without_a_timeout_option_a_hang_still_ends() {
    // The default timeout of a noop task is 5 s + 10 × ~0: the run ends a few seconds after
    // the hang, never waits forever.
    let dir = tempfile::tempdir().unwrap();
    let mark = marker();
    let t0 = Instant::now();
    parbench(&mark)
        .env("PARBENCH_WORKER_FAULT", "hang@1")
        .args(noop_run(dir.path(), "processes", &[]))
        .timeout(Duration::from_secs(30))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("task timeout of 5.0 s"));
    assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
    assert_no_leftovers(&mark);
}

#[test]
fn on_error_skip_records_the_failure_and_finishes_the_other_cells() {
    let dir = tempfile::tempdir().unwrap();
    let mark = marker();
    parbench(&mark)
        .env("PARBENCH_WORKER_FAULT", "crash@2")
        .args(noop_run(
            dir.path(),
            "sequential,threads,processes",
            &["--on-error", "skip"],
        ))
        .timeout(Duration::from_secs(30))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cell skipped"))
        .stderr(predicate::str::contains("1 cell(s) failed"));
    let saved = load(&dir.path().join("latest.json")).unwrap();
    assert_eq!(saved.failures.len(), 1);
    assert!(saved.failures[0].contains("noop/processes N=2"));
    assert!(saved.failures[0].contains("task 2"));
    let threads = saved
        .cells
        .iter()
        .find(|c| c.model.name() == "threads")
        .unwrap();
    assert!(threads.complete, "the other cells ran to the end");
    assert!(!saved.complete);
    assert_no_leftovers(&mark);
}

fn spawn_long_run(dir: &Path, mark: &str, models: &str) -> Child {
    std::process::Command::new(crate::parbench_exe())
        .env(MARK, mark)
        .args([
            "run",
            "--preset",
            "quick",
            "--workload",
            "io",
            "--models",
            models,
            "--workers",
            "4",
            "--tasks",
            "40",
            "--sleep-ms",
            "300",
            "--samples",
            "50",
            "--warmup",
            "0",
            "--no-report",
            "--out",
        ])
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait_with_timeout(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("parbench did not stop within {limit:?} of the signal");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigint_and_sigterm_kill_and_reap_every_child_and_save() {
    let mut models = "threads,processes,process-pool,processes-fork".to_string();
    if parbench::model::ModelKind::PyProcesses.available().is_ok() {
        models.push_str(",py-processes,py-process-pool");
    }
    for (signal, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        let dir = tempfile::tempdir().unwrap();
        let mark = marker();
        let mut child = spawn_long_run(dir.path(), &mark, &models);
        // Let it start its pools and get some children running.
        std::thread::sleep(Duration::from_millis(2500));
        assert!(child.try_wait().unwrap().is_none(), "still running");
        // SAFETY: signalling the child we started.
        unsafe { libc::kill(child.id() as i32, signal) };
        let t0 = Instant::now();
        let status = wait_with_timeout(&mut child, Duration::from_secs(10));
        let mut err = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
        assert_eq!(status.code(), Some(code), "signal {signal}: {err}");
        assert!(t0.elapsed() < Duration::from_secs(10));
        assert!(
            err.contains(&format!("interrupted by signal {signal}")),
            "{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
        let saved = load(&dir.path().join("latest.json")).unwrap();
        assert!(!saved.complete);
        assert_no_leftovers(&mark);
    }
}

#[cfg(target_os = "linux")]
#[test]
fn limits_fail_fast_naming_the_limit_and_what_fits() {
    use std::os::unix::process::CommandExt;
    let run = |resource, value: u64, args: &[&str]| {
        let mut cmd = std::process::Command::new(crate::parbench_exe());
        cmd.args([
            "run",
            "--preset",
            "quick",
            "--workload",
            "noop",
            "--samples",
            "1",
        ])
        .args(args)
        .arg("--out")
        .arg(std::env::temp_dir().join(marker()));
        // SAFETY: setrlimit only, between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                // Lower the soft limit only: raising the hard one needs privileges.
                let mut r = libc::rlimit {
                    rlim_cur: 0,
                    rlim_max: 0,
                };
                libc::getrlimit(resource, &mut r);
                r.rlim_cur = value.min(r.rlim_max);
                if libc::setrlimit(resource, &r) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let t0 = Instant::now();
        let out = cmd.output().unwrap();
        assert!(t0.elapsed() < Duration::from_secs(10));
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run(
        libc::RLIMIT_NPROC,
        2_000,
        &["--models", "processes", "--workers", "200000"],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("RLIMIT_NPROC") && err.contains("at most N ="),
        "{err}"
    );
    let errors = err
        .lines()
        .filter(|l| l.starts_with("parbench: error"))
        .count();
    assert_eq!(errors, 1, "{err}");
    assert!(!err.contains("what was measured"), "nothing ran: {err}");

    let (code, err) = run(
        libc::RLIMIT_AS,
        4 << 30,
        &["--models", "threads", "--workers", "4000"],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("RLIMIT_AS") && err.contains("--stack-size"),
        "{err}"
    );
}

/// One error line, the cell named, no panic.
fn assert_one_clean_error(err: &str, says: &[&str]) {
    let errors = err
        .lines()
        .filter(|l| l.starts_with("parbench: error"))
        .count();
    assert_eq!(errors, 1, "{err}");
    for s in says {
        assert!(err.contains(s), "{s:?} in {err}");
    }
    assert!(
        !err.contains("panicked") && !err.contains("fatal runtime error"),
        "{err}"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn thousands_of_threads_beyond_the_memory_map_limit_are_refused_before_anything_starts() {
    // Every thread costs at least two mappings (its stack and guard page), so this many can
    // never fit under vm.max_map_count: whichever limit is tightest, the run is refused.
    let Ok(text) = std::fs::read_to_string("/proc/sys/vm/max_map_count") else {
        return;
    };
    let max_maps: u64 = text.trim().parse().unwrap();
    let n = (max_maps / 2 + 1).to_string();
    for model in ["threads", "gil", "async"] {
        let dir = tempfile::tempdir().unwrap();
        let mark = marker();
        let t0 = Instant::now();
        let out = parbench(&mark)
            .args([
                "run",
                "--workload",
                "io",
                "--models",
                model,
                "--workers",
                &n,
            ])
            .args([
                "--samples",
                "1",
                "--stack-size",
                "64k",
                "--no-report",
                "--out",
            ])
            .arg(dir.path())
            .timeout(Duration::from_secs(30))
            .assert()
            .code(2)
            .get_output()
            .clone();
        assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_one_clean_error(&err, &[&format!("io/{model} N={n}"), "at most N ="]);
        if max_maps < 1 << 20 {
            // Below the other limits of a usual machine: the mappings are the tightest.
            assert!(err.contains("vm.max_map_count"), "{err}");
            assert!(err.contains("sysctl -w vm.max_map_count="), "{err}");
        }
        assert!(!dir.path().join("latest.json").exists(), "nothing ran");
        assert_no_leftovers(&mark);
    }
}

#[test]
fn a_thread_the_os_refuses_is_the_cells_error_and_the_results_so_far_are_saved() {
    // `threads` starts 6 threads per batch: the 13th start is in the third batch.
    let dir = tempfile::tempdir().unwrap();
    let mark = marker();
    let out = parbench(&mark)
        .env(parbench::spawn::FAULT_ENV, "13")
        .args([
            "run",
            "--workload",
            "noop",
            "--models",
            "sequential,threads",
        ])
        .args([
            "--workers",
            "2",
            "--tasks",
            "6",
            "--samples",
            "4",
            "--warmup",
            "0",
        ])
        .args(["--settle-ms", "0", "--no-report", "--out"])
        .arg(dir.path())
        .timeout(Duration::from_secs(30))
        .assert()
        .code(1)
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_one_clean_error(
        &err,
        &[
            "noop/threads N=2",
            "cannot start thread parbench-task-",
            "Resource temporarily unavailable",
        ],
    );
    let saved = load(&dir.path().join("latest.json")).unwrap();
    assert!(!saved.complete);
    let threads = saved
        .cells
        .iter()
        .find(|c| c.model.name() == "threads")
        .unwrap();
    assert_eq!(
        threads.samples_s.len(),
        2,
        "the two batches before the fault"
    );
    assert_no_leftovers(&mark);

    // Pools start their threads before the first batch: the second start fails.
    for model in ["thread-pool", "rayon", "gil", "async", "async-blocking"] {
        let dir = tempfile::tempdir().unwrap();
        let out = parbench(&mark)
            .env(parbench::spawn::FAULT_ENV, "2")
            .args(noop_run(dir.path(), model, &[]))
            .timeout(Duration::from_secs(30))
            .assert()
            .code(1)
            .get_output()
            .clone();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_one_clean_error(&err, &[&format!("noop/{model} N=2"), "cannot start"]);
        let saved = load(&dir.path().join("latest.json")).unwrap();
        assert!(!saved.complete, "{model}");
        assert_no_leftovers(&mark);
    }
}

#[test]
fn damaged_result_files_get_one_line_errors_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let good = crate::fixtures::save(
        dir.path(),
        "good.json",
        &crate::fixtures::synthetic_run("a", 2),
    );
    let text = std::fs::read_to_string(&good).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.json", Vec::new(), "empty"),
        (
            "truncated.json",
            text.as_bytes()[..text.len() / 2].to_vec(),
            "EOF",
        ),
        (
            "corrupt.json",
            b"{\"schema_version\": 1, \"cells\": [}".to_vec(),
            "not a valid",
        ),
        (
            "future.json",
            text.replacen(
                &format!("\"schema_version\": {}", parbench::result::SCHEMA_VERSION),
                "\"schema_version\": 7",
                1,
            )
            .into_bytes(),
            "schema_version 7",
        ),
        ("binary.json", vec![0xff, 0xfe, 0x00, 0x12], "not a valid"),
    ];
    let mut files = Vec::new();
    for (name, bytes, says) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        files.push((p, says));
    }
    let huge = dir.path().join("huge.json");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(parbench::store::MAX_RESULT_BYTES + 1)
        .unwrap();
    files.push((huge, "larger than a result file can be"));
    for (p, says) in &files {
        let out_dir = dir.path().join("rep").display().to_string();
        for args in [
            vec![
                "report".to_string(),
                p.display().to_string(),
                "--out".into(),
                out_dir.clone(),
            ],
            vec![
                "compare".into(),
                good.display().to_string(),
                p.display().to_string(),
            ],
        ] {
            let out = Command::new(crate::parbench_exe())
                .args(&args)
                .output()
                .unwrap();
            let (code, err) = (out.status.code(), String::from_utf8_lossy(&out.stderr));
            assert_eq!(code, Some(2), "{args:?}: {err}");
            assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
            assert!(err.contains(&p.display().to_string()), "{args:?}: {err}");
            assert!(err.contains(says), "{args:?}: {err}");
        }
    }
}

#[test]
fn an_existing_baseline_is_only_replaced_with_force() {
    let dir = tempfile::tempdir().unwrap();
    let run = crate::fixtures::save(
        dir.path(),
        "run.json",
        &crate::fixtures::synthetic_run("a", 2),
    );
    let base = dir.path().join("baselines/ci.json");
    let bl = |extra: &[&str]| {
        let mut c = Command::new(crate::parbench_exe());
        c.arg("baseline").arg(&run).arg(&base).args(extra);
        c.assert()
    };
    bl(&[]).success();
    std::fs::write(&base, "precious").unwrap();
    bl(&[])
        .code(2)
        .stderr(predicate::str::contains("exists; pass --force"));
    assert_eq!(std::fs::read_to_string(&base).unwrap(), "precious");
    bl(&["--force"]).success();
    assert!(load(&base).is_ok());
    // An interrupted run is no baseline.
    let mut partial = crate::fixtures::synthetic_run("a", 2);
    partial.complete = false;
    let p = crate::fixtures::save(dir.path(), "partial.json", &partial);
    Command::new(crate::parbench_exe())
        .args(["baseline"])
        .arg(&p)
        .arg(dir.path().join("other.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("incomplete"));
}

#[test]
fn host_names_cannot_escape_the_reports_folder() {
    for host in ["../../etc", "a/b", "..", ".", "", "/", "x\0y", "ÄÖ host"] {
        let slug = parbench::machine::host_slug(host);
        assert!(
            !slug.is_empty() && slug != "." && slug != "..",
            "{host:?} → {slug:?}"
        );
        assert!(!slug.contains('/') && !slug.contains('\\') && !slug.contains('\0'));
        let p = Path::new("reports").join(&slug);
        assert_eq!(p.components().count(), 2, "{host:?} → {slug:?}");
    }
}

#[test]
fn worker_mode_accepts_only_its_framed_protocol() {
    for input in [
        b"GET / HTTP/1.1\r\n\r\n".to_vec(),
        [b"PBW1".as_slice(), &u32::MAX.to_le_bytes()].concat(),
        [b"PBW1".as_slice(), &5u32.to_le_bytes(), b"{\"a\":"].concat(),
        [b"PBW1".as_slice(), &2u32.to_le_bytes(), b"[]"].concat(),
    ] {
        Command::new(crate::parbench_exe())
            .arg("worker")
            .write_stdin(input)
            .timeout(Duration::from_secs(10))
            .assert()
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains("protocol"));
    }
}

mod fuzz {
    use proptest::prelude::*;
    use std::path::Path;

    fn valid() -> Vec<u8> {
        serde_json::to_vec(&crate::fixtures::synthetic_run("fuzz", 2)).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parbench::store::parse(Path::new("fuzz.json"), &bytes);
        }

        #[test]
        fn damaged_result_files_never_panic(
            cut in 0usize..100_000,
            flips in proptest::collection::vec((0usize..100_000, any::<u8>()), 0..8),
        ) {
            let mut bytes = valid();
            for (at, b) in flips {
                let n = bytes.len();
                bytes[at % n] = b;
            }
            let n = bytes.len();
            bytes.truncate(cut % (n + 1));
            let _ = parbench::store::parse(Path::new("fuzz.json"), &bytes);
        }
    }
}

#[test]
fn on_error_skip_also_covers_a_pool_that_cannot_start() {
    // The pool's start-up handshake runs task 0 on its first worker, which crashes.
    let dir = tempfile::tempdir().unwrap();
    let mark = marker();
    parbench(&mark)
        .env("PARBENCH_WORKER_FAULT", "crash@0")
        .args(noop_run(
            dir.path(),
            "sequential,process-pool",
            &["--on-error", "skip"],
        ))
        .timeout(Duration::from_secs(30))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("noop/process-pool N=2"));
    let saved = load(&dir.path().join("latest.json")).unwrap();
    assert!(
        saved
            .failures
            .iter()
            .any(|f| f.contains("process-pool") && f.contains("task 0")),
        "{:?}",
        saved.failures
    );
    assert!(
        saved
            .cells
            .iter()
            .any(|c| c.model.name() == "sequential" && c.complete)
    );
    assert_no_leftovers(&mark);
}

/// A script that runs parbench with `env` set: one side of an A/B run misbehaving.
fn side_script(dir: &Path, name: &str, env: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    let exe = crate::parbench_exe();
    std::fs::write(
        &path,
        format!("#!/bin/sh\n{env} exec '{}' \"$@\"\n", exe.display()),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn an_ab_side_that_is_no_harness_dies_or_hangs_stops_the_run_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let exe = crate::parbench_exe();
    let ab = |mark: &str, base: &Path, cur: &Path, out: &Path| {
        parbench(mark)
            .args(["ab"])
            .arg(base)
            .arg(cur)
            .args([
                "--workload",
                "noop",
                "--models",
                "sequential,thread-pool,process-pool",
                "--workers",
                "2",
                "--tasks",
                "8",
                "--samples",
                "6",
                "--warmup",
                "0",
                "--task-timeout",
                "1",
                "--out",
            ])
            .arg(out)
            .output()
            .unwrap()
    };
    // Not a harness: /bin/cat cannot open a file called "serve" and says nothing.
    let mark = marker();
    let out = ab(&mark, Path::new("/bin/cat"), &exe, &dir.path().join("a"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.lines()
            .any(|l| l.contains("/bin/cat is not a parbench harness")),
        "{err}"
    );
    assert_no_leftovers(&mark);

    // Another protocol version.
    let other = dir.path().join("other");
    std::fs::write(
        &other,
        "#!/bin/sh\necho 'PBSERVE1 {\"protocol\":99,\"version\":\"9.9.9\",\"program\":\"x\",\"workloads\":[]}'\nexec sleep 30\n",
    )
    .unwrap();
    std::fs::set_permissions(&other, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mark = marker();
    let out = ab(&mark, &exe, &other, &dir.path().join("b"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("speaks serve protocol 99"), "{err}");
    assert_no_leftovers(&mark);

    // The current side dies, or hangs, on its 5th batch: the cell and side named, exit 1, the
    // other side stopped, what was measured saved.
    for (fault, says) in [
        ("die@5", "died mid-run"),
        ("hang@5", "did not answer within"),
    ] {
        let cur = side_script(dir.path(), fault, &format!("PARBENCH_SERVE_FAULT={fault}"));
        let mark = marker();
        let out_dir = dir.path().join(format!("out-{fault}"));
        let t0 = Instant::now();
        let out = ab(&mark, &exe, &cur, &out_dir);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{fault}: {err}");
        assert!(t0.elapsed() < Duration::from_secs(30), "{fault}");
        let line = err
            .lines()
            .find(|l| l.starts_with("parbench: error:"))
            .unwrap_or_default();
        assert!(
            line.contains("on the current side") && line.contains(says) && line.contains("noop/"),
            "{fault}: {err}"
        );
        assert!(out_dir.join("latest-ab.json").exists(), "{fault}: saved");
        assert_no_leftovers(&mark);
    }
}

#[test]
fn an_interrupted_ab_run_stops_both_sides_and_saves() {
    let dir = tempfile::tempdir().unwrap();
    let exe = crate::parbench_exe();
    let mark = marker();
    let out_dir = dir.path().join("ab");
    let mut child = std::process::Command::new(&exe)
        .env(MARK, &mark)
        .arg("ab")
        .arg(&exe)
        .arg(&exe)
        .args([
            "--workload",
            "cpu",
            "--models",
            "sequential,thread-pool,process-pool",
            "--workers",
            "2",
            "--samples",
            "200",
            "--warmup",
            "0",
            "--out",
        ])
        .arg(&out_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Both sides serving, their pools started, some rounds saved.
    std::thread::sleep(Duration::from_millis(3000));
    assert!(child.try_wait().unwrap().is_none(), "still running");
    // SAFETY: signalling the child we started.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = wait_with_timeout(&mut child, Duration::from_secs(20));
    assert_eq!(status.code(), Some(130));
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(
        err.contains("run stopped; what was measured is in"),
        "{err}"
    );
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("latest-ab.json")).unwrap()).unwrap();
    assert!(saved["comparison"].is_null(), "stopped before judging");
    assert!(
        !saved["current"]["results"]["cells"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_no_leftovers(&mark);
}

/// A `--command` run of tiny batches into `out`; `extra` adds options.
fn command_run(out: &Path, command: &str, extra: &[&str]) -> Vec<String> {
    let head = [
        "run",
        "--command",
        command,
        "--workers",
        "2",
        "--tasks",
        "4",
    ];
    tiny_run(out, &head, extra)
}

/// A command that fails, hangs past the task timeout or does not exist, in the reference pass
/// or in a model's batch (a counter bumped by --prepare makes it misbehave from its third
/// batch on): the cell and the task are named with the exit status and the last stderr line,
/// exit 1, and every process it started is gone.
#[test]
fn a_command_that_fails_hangs_or_does_not_exist_names_its_cell_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let count = dir.path().join("batches");
    let later = |what: &str| {
        format!(
            "[ $(wc -l < '{}') -lt 3 ] || {{ {what}; }}",
            count.display()
        )
    };
    let prepare = format!("echo >> '{}'", count.display());
    let cases: Vec<(String, Vec<&str>, Vec<&str>)> = vec![
        (
            "echo starting >&2; echo 'gzip: nope.txt: No such file' >&2; exit 3".into(),
            vec![],
            vec![
                "sequential N=1: task 0: `",
                "exited with status 3; last line on stderr: gzip: nope.txt: No such file",
            ],
        ),
        (
            later("echo 'broke on the third batch' >&2; exit 7"),
            vec!["--models", "thread-pool"],
            vec![
                "thread-pool N=2: task ",
                "exited with status 7",
                "broke on the third batch",
            ],
        ),
        (
            "sleep 30 & sleep 30".into(),
            vec!["--task-timeout", "1"],
            vec!["task 0: `sleep 30 & sleep 30` did not finish within the task timeout of 1.0 s"],
        ),
        (
            later("sleep 30 & sleep 30"),
            vec!["--models", "async", "--task-timeout", "1"],
            vec![
                "async N=2: task ",
                "did not finish within the task timeout of 1.0 s",
            ],
        ),
        (
            "parbench-no-such-program --x".into(),
            vec![],
            vec![
                "exited with status 127",
                "parbench-no-such-program: not found",
            ],
        ),
        (
            "parbench-no-such-program --x".into(),
            vec!["--shell", "none"],
            vec![
                "cannot run `parbench-no-such-program --x`: parbench-no-such-program: command not found",
            ],
        ),
    ];
    for (command, extra, says) in cases {
        let _ = std::fs::remove_file(&count);
        let mark = marker();
        let t0 = Instant::now();
        let mut extra = extra;
        extra.extend(["--prepare", &prepare]);
        let out = parbench(&mark)
            .args(command_run(dir.path(), &command, &extra))
            .timeout(Duration::from_secs(30))
            .assert()
            .code(1)
            .get_output()
            .clone();
        let err = String::from_utf8_lossy(&out.stderr);
        for s in says {
            assert!(err.contains(s), "{command}: {s:?} not in: {err}");
        }
        assert_eq!(err.matches("error").count(), 1, "one error line: {err}");
        assert!(
            err.trim_end()
                .lines()
                .last()
                .unwrap()
                .starts_with("parbench: error: "),
            "{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "{command}: {:?}",
            t0.elapsed()
        );
        let saved = load(&dir.path().join("latest.json")).unwrap();
        assert!(!saved.complete, "{command}");
        assert_no_leftovers(&mark);
    }
}

#[test]
fn ctrl_c_during_a_command_kills_its_children_and_saves() {
    // 400 ms: in the reference pass (on the main thread); 2700 ms: in a model's batch.
    for (model, after_ms) in [("thread-pool", 2700), ("async", 2700), ("thread-pool", 400)] {
        let dir = tempfile::tempdir().unwrap();
        let mark = marker();
        let mut child = std::process::Command::new(crate::parbench_exe())
            .env(MARK, &mark)
            .args([
                "run",
                "--command",
                "sleep 0.1; sleep 0.6 & wait",
                "--models",
                model,
                "--workers",
                "2",
                "--tasks",
                "2",
                "--samples",
                "50",
                "--settle-ms",
                "0",
                "--no-report",
                "--out",
            ])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(after_ms));
        if child.try_wait().unwrap().is_some() {
            let mut err = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
            panic!("{model}: ended before the signal: {err}");
        }
        // SAFETY: signalling the child we started.
        unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
        let t0 = Instant::now();
        let status = wait_with_timeout(&mut child, Duration::from_secs(10));
        let mut err = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
        assert_eq!(status.code(), Some(130), "{model}: {err}");
        // Within the 700 ms a task takes: its children were killed, not waited for.
        assert!(
            t0.elapsed() < Duration::from_millis(500),
            "{model}: {:?}",
            t0.elapsed()
        );
        assert!(err.contains("interrupted by signal 2"), "{err}");
        let saved = load(&dir.path().join("latest.json")).unwrap();
        assert!(!saved.complete);
        assert_no_leftovers(&mark);
    }
}

/// The synchronisation workloads never hang: a task that cannot get a permit, or a signal,
/// within the task timeout fails its cell, naming it, within seconds.
#[test]
fn a_wait_for_a_permit_or_a_signal_is_bounded_by_the_task_timeout() {
    for (args, says) in [
        (
            vec![
                "--workload",
                "semaphore",
                "--permits",
                "1",
                "--sleep-ms",
                "4000",
                "--tasks",
                "3",
                "--models",
                "threads",
                "--workers",
                "3",
            ],
            vec!["semaphore/threads N=3: task ", "waited 1.0 s for a permit"],
        ),
        (
            vec![
                "--workload",
                "event",
                "--signal-after-ms",
                "60000",
                "--tasks",
                "4",
                "--models",
                "thread-pool",
                "--workers",
                "2",
            ],
            vec![
                "event/thread-pool N=2: task ",
                "waited 1.0 s (the task timeout) for the signal",
            ],
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mark = marker();
        let t0 = Instant::now();
        let out = parbench(&mark)
            .arg("run")
            .args(&args)
            .args([
                "--task-timeout",
                "1",
                "--samples",
                "1",
                "--warmup",
                "0",
                "--no-report",
                "--out",
            ])
            .arg(dir.path())
            .timeout(Duration::from_secs(30))
            .assert()
            .code(1)
            .get_output()
            .clone();
        let err = String::from_utf8_lossy(&out.stderr);
        for s in says {
            assert!(err.contains(s), "{s:?} not in {err}");
        }
        assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
        assert_no_leftovers(&mark);
    }
}

/// Ctrl-Z longer than the task timeout does not fail a healthy run: the time parbench and its
/// workers were stopped (the whole process group, as a terminal stops it) is not counted, for
/// tasks in worker processes and for waits inside in-process batches alike.
#[test]
fn a_stop_longer_than_the_task_timeout_does_not_fail_the_run() {
    use std::os::unix::process::CommandExt;
    let mark = "stop-cont";
    for (workload, model, extra) in [
        ("io", "process-pool", ["--sleep-ms", "150", "--tasks", "8"]),
        // Permits of 1 for 3 tasks: most of the time a task waits for one.
        (
            "semaphore",
            "thread-pool",
            ["--sleep-ms", "200", "--tasks", "3"],
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut head = vec![
            "run",
            "--workload",
            workload,
            "--models",
            model,
            "--workers",
            "3",
            "--permits",
            "1",
            "--task-timeout",
            "1",
        ];
        head.extend(extra);
        let mut child = std::process::Command::new(crate::parbench_exe())
            .env(MARK, mark)
            .args(crate::quiet_run(dir.path(), &head, 6))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pgid = child.id() as i32;
        // Stopped twice, 3 s each (three task timeouts), in the middle of the batches.
        for _ in 0..2 {
            std::thread::sleep(Duration::from_millis(900));
            // SAFETY: stopping and continuing the process group this test started.
            unsafe { libc::kill(-pgid, libc::SIGSTOP) };
            std::thread::sleep(Duration::from_secs(3));
            unsafe { libc::kill(-pgid, libc::SIGCONT) };
        }
        let status = wait_with_timeout(&mut child, Duration::from_secs(60));
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        assert!(status.success(), "{workload}/{model}: {err}");
        assert!(load(&dir.path().join("latest.json")).unwrap().complete);
    }
    assert_no_leftovers(mark);
}

/// A `PARBENCH_WORKER` script that starts children of its own and whose task runs past the
/// task timeout: the worker is killed with everything it started, nothing is left.
#[test]
fn a_worker_script_killed_at_its_timeout_takes_its_children_with_it() {
    let mark = "worker-script-children";
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("worker.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nsleep 30 &\nsleep 31 &\nexec '{}' \"$@\"\n",
            crate::parbench_exe().display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = dir.path().join("out");
    let t0 = Instant::now();
    parbench(mark)
        .env("PARBENCH_WORKER", &script)
        .args(crate::quiet_run(
            &out,
            &[
                "run",
                "--workload",
                "io",
                "--sleep-ms",
                "4000",
                "--tasks",
                "2",
                "--models",
                "process-pool",
                "--workers",
                "2",
                "--task-timeout",
                "1",
            ],
            1,
        ))
        .timeout(Duration::from_secs(30))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("task timeout").or(predicate::str::contains("within")));
    // Not held up by the script's sleeps (30 s), which keep the answer pipe open while alive.
    assert!(t0.elapsed() < Duration::from_secs(15), "{:?}", t0.elapsed());
    assert_no_leftovers(mark);
}

/// Ctrl-C outside the timed batches: while the reference checksums do every task's work, in the
/// settle pause before a batch, while a `PARBENCH_PYTHON` that never answers is checked: each
/// ends the run within a second, exit 130.
#[test]
fn ctrl_c_outside_the_batches_ends_the_run_at_once() {
    let mark = "interrupt-outside";
    let dir = tempfile::tempdir().unwrap();
    let hang = dir.path().join("python-that-hangs");
    std::fs::write(&hang, "#!/bin/sh\nsleep 60\n").unwrap();
    std::fs::set_permissions(&hang, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let hang = hang.display().to_string();
    for (what, args, env) in [
        (
            "the reference checksums",
            vec!["--workload", "cpu", "--iterations", "1000000000", "--force"],
            None,
        ),
        (
            "the settle pause",
            vec!["--workload", "noop", "--settle-ms", "60000"],
            None,
        ),
        (
            "the interpreter check",
            vec!["--workload", "cpu", "--models", "py-sequential,sequential"],
            Some(hang.as_str()),
        ),
    ] {
        let out = dir.path().join(what.replace(' ', "-"));
        let mut head = vec![
            "run",
            "--models",
            "sequential,thread-pool",
            "--workers",
            "2",
        ];
        head.extend(args);
        let mut cmd = std::process::Command::new(crate::parbench_exe());
        cmd.env(MARK, mark)
            .args(head)
            .args(["--samples", "1", "--warmup", "0", "--no-report", "--out"])
            .arg(&out)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(python) = env {
            cmd.env("PARBENCH_PYTHON", python);
        }
        let mut child = cmd.spawn().unwrap();
        std::thread::sleep(Duration::from_millis(1500));
        let t0 = Instant::now();
        // SAFETY: interrupting the child this test started.
        unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
        let status = wait_with_timeout(&mut child, Duration::from_secs(30));
        assert!(
            t0.elapsed() < Duration::from_secs(1),
            "{what}: {:?}",
            t0.elapsed()
        );
        assert_eq!(status.code(), Some(130), "{what}");
    }
    assert_no_leftovers(mark);
}
