//! The hostile-input sweep (issue 23), repeatable: a table of bad inputs fed to every command —
//! odd output paths, damaged but well-formed result files, absurd numbers, closed and full
//! output streams, fake interpreters, another version's worker request. Each must end with its
//! exit code and one line on stderr naming the problem, no panic, no temporary file left behind,
//! and nothing it was pointed at replaced.

use crate::fixtures::{save, synthetic_run};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Where a case's stdout goes.
#[derive(Clone, Copy)]
enum Out {
    Null,
    /// `/dev/full`: every write fails.
    Full,
    /// A pipe whose reader has already gone.
    Closed,
}

struct Case {
    name: &'static str,
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
    out: Out,
    code: i32,
    /// What the one line on stderr must say (empty: nothing on stderr at all).
    says: &'static str,
}

/// A result file of `synthetic_run` with `edit` applied to its JSON.
fn damaged(dir: &Path, name: &str, edit: impl Fn(&mut serde_json::Value)) -> String {
    let good = save(dir, "good-source.json", &synthetic_run("vm", 2));
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&good).unwrap()).unwrap();
    std::fs::remove_file(good).unwrap();
    edit(&mut v);
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_vec(&v).unwrap()).unwrap();
    p.display().to_string()
}

fn cell0(v: &mut serde_json::Value) -> &mut serde_json::Value {
    &mut v["cells"][0]
}

fn mkfifo(p: &Path) {
    let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo with a valid path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
}

/// What a path is, to tell that it was not replaced: its type, target and content.
fn fingerprint(p: &Path) -> String {
    let Ok(m) = std::fs::symlink_metadata(p) else {
        return "absent".into();
    };
    let t = m.file_type();
    if t.is_symlink() {
        format!("symlink -> {:?}", std::fs::read_link(p).unwrap())
    } else if t.is_file() {
        format!("file {:?}", std::fs::read(p).unwrap())
    } else if t.is_dir() {
        "folder".into()
    } else {
        "special".into()
    }
}

fn run(case: &Case) -> (i32, String, Duration) {
    let mut cmd = Command::new(crate::parbench_exe());
    cmd.args(&case.args)
        .stdin(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in &case.env {
        cmd.env(k, v);
    }
    let mut closed_read_end = None;
    match case.out {
        Out::Null => {
            cmd.stdout(Stdio::null());
        }
        Out::Full => {
            cmd.stdout(
                std::fs::OpenOptions::new()
                    .write(true)
                    .open("/dev/full")
                    .unwrap(),
            );
        }
        Out::Closed => {
            let mut fds = [0; 2];
            // SAFETY: a pipe; its read end is closed before the child writes, its write end
            // handed to the child.
            unsafe {
                assert_eq!(libc::pipe(fds.as_mut_ptr()), 0);
                libc::close(fds[0]);
                cmd.stdout(<Stdio as std::os::fd::FromRawFd>::from_raw_fd(fds[1]));
            }
            closed_read_end = Some(());
        }
    }
    let _ = closed_read_end;
    let t0 = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "{}: still running after 60 s",
            case.name
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    (status.code().unwrap_or(-1), err, t0.elapsed())
}

#[test]
fn hostile_inputs_get_one_line_the_right_exit_code_and_leave_everything_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let p = |name: &str| d.join(name).display().to_string();
    let good = save(d, "good.json", &synthetic_run("vm", 2))
        .display()
        .to_string();
    // Targets that must survive.
    std::fs::write(d.join("target.txt"), "keep me").unwrap();
    std::os::unix::fs::symlink(d.join("target.txt"), d.join("link.json")).unwrap();
    mkfifo(&d.join("fifo"));
    std::fs::create_dir(d.join("folder")).unwrap();
    std::fs::write(d.join("a-file"), "not a folder").unwrap();
    let watched: Vec<PathBuf> = [
        "target.txt",
        "link.json",
        "fifo",
        "folder",
        "a-file",
        "good.json",
    ]
    .iter()
    .map(|n| d.join(n))
    .collect();
    let before: Vec<String> = watched.iter().map(|p| fingerprint(p)).collect();

    let huge = damaged(d, "huge.json", |v| cell0(v)["speedup"] = 1.7e308.into());
    let negative = damaged(d, "negative.json", |v| cell0(v)["speedup"] = (-5.0).into());
    let level = damaged(d, "level.json", |v| cell0(v)["ci_level"] = 7.0.into());
    let no_tasks = damaged(d, "tasks0.json", |v| cell0(v)["tasks"] = 0.into());
    let no_workers = damaged(d, "workers0.json", |v| cell0(v)["workers"] = 0.into());
    let negative_time = damaged(d, "time.json", |v| cell0(v)["median_s"] = (-1.0).into());
    let empty = damaged(d, "empty.json", |v| v["cells"] = serde_json::json!([]));
    let s = |x: &str| x.to_string();
    let args = |a: &[&str]| a.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let max = u64::MAX.to_string();

    let cases = vec![
        // Output paths: regular files only, never replace anything else.
        Case {
            name: "export to a FIFO",
            args: args(&["export", &good, "--format", "bencher", "--out", &p("fifo")]),
            env: vec![],
            out: Out::Null,
            code: 2,
            says: "not a regular file",
        },
        Case {
            name: "export to a symlink",
            args: args(&["export", &good, "--format", "csv", "--out", &p("link.json")]),
            env: vec![],
            out: Out::Null,
            code: 2,
            says: "symbolic link",
        },
        Case {
            name: "export to a device",
            args: args(&["export", &good, "--format", "csv", "--out", "/dev/null"]),
            env: vec![],
            out: Out::Null,
            code: 2,
            says: "not a regular file",
        },
        Case {
            name: "export to a folder",
            args: args(&["export", &good, "--format", "csv", "--out", &p("folder")]),
            env: vec![],
            out: Out::Null,
            code: 2,
            says: "is a folder",
        },
        Case {
            name: "baseline --force onto a symlink",
            args: args(&["baseline", &good, &p("link.json"), "--force"]),
            env: vec![],
            out: Out::Null,
            code: 2,
            says: "symbolic link",
        },
        Case {
            name: "run --out a file",
            args: args(&["run", "--workload", "noop", "--out", &p("a-file")]),
            env: vec![],
            out: Out::Null,
            code: 2,
            says: "not a folder",
        },
        Case {
            name: "run --out under a file",
            args: args(&["run", "--workload", "noop", "--out", &p("a-file/sub")]),
            env: vec![],
            out: Out::Null,
            code: 2,
            says: "cannot write results to --out",
        },
        Case {
            name: "run --out a name too long",
            args: args(&["run", "--workload", "noop", "--out", &p(&"n".repeat(300))]),
            env: vec![],
            out: Out::Null,
            code: 2,
            says: "cannot write results to --out",
        },
        // Well-formed files saying nonsense.
        Case {
            name: "report of a speedup of 1.7e308",
            args: args(&["report", &huge, "--out", &p("rep")]),
            env: vec![],
            out: Out::Null,
            code: 2,
            says: "larger than any measurement",
        },
        Case {
            name: "compare with a speedup of -5",
            args: args(&["compare", &negative, &good]),
            env: vec![],
            out: Out::Null,
            code: 2,
            says: "not a speedup",
        },
        Case {
            name: "export of a 700% level",
            args: args(&["export", &level, "--format", "csv"]),
            env: vec![],
            out: Out::Null,
            code: 2,
            says: "not a share between 0 and 1",
        },
        Case {
            name: "report of 0 tasks",
            args: args(&["report", &no_tasks, "--out", &p("rep")]),
            env: vec![],
            out: Out::Null,
            code: 2,
            says: "tasks is 0",
        },
        Case {
            name: "compare of 0 workers",
            args: args(&["compare", &good, &no_workers]),
            env: vec![],
            out: Out::Null,
            code: 2,
            says: "workers is 0",
        },
        Case {
            name: "export of a negative time",
            args: args(&["export", &negative_time, "--format", "csv"]),
            env: vec![],
            out: Out::Null,
            code: 2,
            says: "not a positive time",
        },
        Case {
            name: "baseline of a complete run without cells",
            args: args(&["baseline", &empty, &p("base.json")]),
            env: vec![],
            out: Out::Null,
            code: 2,
            says: "no measured cell",
        },
        Case {
            name: "report of /dev/zero",
            args: args(&["report", "/dev/zero", "--out", &p("rep")]),
            env: vec![],
            out: Out::Null,
            code: 2,
            says: "larger than a result file",
        },
        Case {
            name: "report of a folder",
            args: args(&["report", &p("folder"), "--out", &p("rep")]),
            env: vec![],
            out: Out::Null,
            code: 2,
            says: "is a folder",
        },
        // Absurd numbers.
        Case {
            name: "advise past any pool",
            args: args(&["advise", "--cpu-ms", "1", "--io-ms", "3000000000000000000"]),
            env: vec![],
            out: Out::Null,
            code: 2,
            says: "more than a day",
        },
        Case {
            name: "workers u64::MAX",
            args: args(&["run", "--models", "process-pool", "--workers", &max]),
            env: vec![],
            out: Out::Null,
            code: 2,
            says: "at most 1000000",
        },
        Case {
            name: "warmup u64::MAX",
            args: args(&["run", "--warmup", &max]),
            env: vec![],
            out: Out::Null,
            code: 2,
            says: "--warmup",
        },
        Case {
            name: "settle u64::MAX",
            args: args(&["run", "--settle-ms", &max]),
            env: vec![],
            out: Out::Null,
            code: 2,
            says: "--settle-ms",
        },
        Case {
            name: "sleep u64::MAX",
            args: args(&["run", "--workload", "io", "--sleep-ms", &max]),
            env: vec![],
            out: Out::Null,
            code: 2,
            says: "more than a day",
        },
        Case {
            name: "tasks u64::MAX",
            args: args(&["run", "--tasks", &max]),
            env: vec![],
            out: Out::Null,
            code: 2,
            says: "--tasks",
        },
        Case {
            name: "pareto without a mean",
            args: args(&["run", "--task-sizes", "pareto:1"]),
            env: vec![],
            out: Out::Null,
            code: 2,
            says: "ALPHA must be above 1",
        },
        // Messages.
        Case {
            name: "a missing argument",
            args: args(&["baseline"]),
            env: vec![],
            out: Out::Null,
            code: 2,
            says: "<RESULT>",
        },
        Case {
            name: "a label of two lines",
            args: args(&["run", "--label", "a\nb"]),
            env: vec![],
            out: Out::Null,
            code: 2,
            says: "one line",
        },
        Case {
            name: "a fake interpreter",
            args: args(&[
                "run",
                "--workload",
                "cpu",
                "--models",
                "py-sequential",
                "--out",
                &p("py"),
            ]),
            env: vec![("PARBENCH_PYTHON", s("/bin/true"))],
            out: Out::Null,
            code: 2,
            says: "not a Python 3 interpreter",
        },
        // Output streams.
        Case {
            name: "info to /dev/full",
            args: args(&["info", "--json"]),
            env: vec![],
            out: Out::Full,
            code: 1,
            says: "cannot write standard output",
        },
        Case {
            name: "compare into a closed pipe",
            args: args(&["compare", &good, &good]),
            env: vec![],
            out: Out::Closed,
            code: 0,
            says: "",
        },
        Case {
            name: "export into a closed pipe",
            args: args(&["export", &good, "--format", "csv"]),
            env: vec![],
            out: Out::Closed,
            code: 0,
            says: "",
        },
    ];
    let mut failures = Vec::new();
    for case in &cases {
        let (code, err, took) = run(case);
        let lines: Vec<&str> = err.lines().collect();
        let ok = code == case.code
            && !err.contains("panicked")
            && if case.says.is_empty() {
                lines.is_empty()
            } else {
                lines.len() == 1
                    && lines[0].starts_with("parbench: error: ")
                    && lines[0].contains(case.says)
            }
            && took < Duration::from_secs(20);
        if !ok {
            failures.push(format!(
                "{}: exit {code} after {took:?}, stderr {err:?}",
                case.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Nothing pointed at was replaced, nothing temporary left.
    let after: Vec<String> = watched.iter().map(|p| fingerprint(p)).collect();
    assert_eq!(before, after);
    let stray: Vec<String> = walk(d)
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(".parbench-"))
        })
        .map(|p| p.display().to_string())
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

/// Every path under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}

/// Two runs started in the same second into one folder keep both results.
#[test]
fn runs_started_together_into_one_folder_keep_both_results() {
    let tmp = tempfile::tempdir().unwrap();
    let start = || {
        Command::new(crate::parbench_exe())
            .args(crate::quiet_run(
                tmp.path(),
                &[
                    "run",
                    "--workload",
                    "noop",
                    "--models",
                    "sequential",
                    "--tasks",
                    "4",
                ],
                1,
            ))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut runs: Vec<_> = (0..4).map(|_| start()).collect();
    for r in &mut runs {
        assert!(r.wait().unwrap().success());
    }
    let files: Vec<PathBuf> = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().is_some_and(|n| n != "latest.json"))
        .collect();
    assert_eq!(files.len(), 4, "{files:?}");
    for f in files {
        assert!(
            parbench::store::load(&f).unwrap().complete,
            "{}",
            f.display()
        );
    }
}
