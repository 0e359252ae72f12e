//! The regression gate on synthetic fixtures: exit codes, verdicts, machine checks, bad files.

use crate::fixtures::{save, synthetic_run, synthetic_run_scaled};
use assert_cmd::Command;
use parbench::compare::{CompareOptions, Metric, Verdict, compare};
use parbench::model::ModelKind;
use predicates::str::contains;

fn parbench() -> Command {
    Command::new(crate::parbench_exe())
}

fn slow_rayon_2(by: f64) -> impl Fn(&str, ModelKind, usize) -> f64 {
    move |w, m, n| {
        if w == "cpu" && m == ModelKind::Rayon && n == 2 {
            by
        } else {
            1.0
        }
    }
}

#[test]
fn a_20_percent_slowdown_in_one_cell_regresses_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let base = save(dir.path(), "base.json", &synthetic_run("box", 2));
    let cur = save(
        dir.path(),
        "cur.json",
        &synthetic_run_scaled("box", 2, &slow_rayon_2(1.2)),
    );
    let out = parbench()
        .arg("compare")
        .arg(&base)
        .arg(&cur)
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(text.contains("1 regressed"), "{text}");
    let line = text.lines().find(|l| l.starts_with("cpu/rayon/2")).unwrap();
    assert!(line.contains("REGRESSED"), "{line}");
    assert_eq!(
        text.matches("REGRESSED").count(),
        1,
        "only that cell: {text}"
    );
    // The same, as time: 20% slower.
    parbench()
        .arg("compare")
        .arg(&base)
        .arg(&cur)
        .args(["--metric", "time", "--format", "markdown"])
        .assert()
        .code(1)
        .stdout(contains("1 regression"))
        .stdout(contains("| `cpu/rayon/2` |"));
}

#[test]
fn identical_runs_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let a = save(dir.path(), "a.json", &synthetic_run("box", 2));
    for metric in ["time", "speedup", "efficiency"] {
        parbench()
            .arg("compare")
            .arg(&a)
            .arg(&a)
            .args(["--metric", metric])
            .assert()
            .code(0)
            .stdout(contains("0 regressed"));
    }
}

#[test]
fn a_5_percent_change_is_not_a_regression_under_a_10_percent_threshold() {
    let base = synthetic_run("box", 2);
    let cur = synthetic_run_scaled("box", 2, &slow_rayon_2(1.05));
    for metric in [Metric::Time, Metric::Speedup] {
        let c = compare(
            &base,
            &cur,
            &CompareOptions {
                metric,
                ..Default::default()
            },
        )
        .unwrap();
        let cell = c.cells.iter().find(|x| x.cell == "cpu/rayon/2").unwrap();
        assert!(cell.p_value < 0.05, "the change is significant…");
        assert_eq!(
            cell.verdict,
            Verdict::NonSignificant,
            "…but under the threshold"
        );
        assert!(!c.regressed());
    }
    // Without a threshold it would count.
    let strict = CompareOptions {
        metric: Metric::Time,
        threshold: 0.0,
        ..Default::default()
    };
    assert!(compare(&base, &cur, &strict).unwrap().regressed());
}

#[test]
fn improvements_are_reported_but_do_not_fail() {
    let dir = tempfile::tempdir().unwrap();
    let base = save(dir.path(), "base.json", &synthetic_run("box", 2));
    let cur = save(
        dir.path(),
        "cur.json",
        &synthetic_run_scaled("box", 2, &slow_rayon_2(0.7)),
    );
    parbench()
        .arg("compare")
        .arg(&base)
        .arg(&cur)
        .assert()
        .code(0)
        .stdout(contains("1 improved"));
}

#[test]
fn time_across_machines_is_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let laptop = save(dir.path(), "laptop.json", &synthetic_run("laptop", 2));
    let server = save(dir.path(), "server.json", &synthetic_run("server", 8));
    let out = parbench()
        .arg("compare")
        .arg(&laptop)
        .arg(&server)
        .args(["--metric", "time"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(stderr.contains("different machines"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1);
    parbench()
        .arg("compare")
        .arg(&laptop)
        .arg(&server)
        .args(["--metric", "time", "--allow-machine-mismatch"])
        .assert()
        .stdout(contains("warning: different machines"));
    // Speedup is a ratio inside each run: allowed, and cells of only one machine are listed.
    parbench()
        .arg("compare")
        .arg(&laptop)
        .arg(&server)
        .assert()
        .code(0)
        .stdout(contains("warning: different machines"));
}

#[test]
fn cells_in_only_one_file_are_listed() {
    let base = synthetic_run("box", 2);
    let mut cur = base.clone();
    cur.cells.retain(|c| c.workers != 8);
    let c = compare(&base, &cur, &CompareOptions::default()).unwrap();
    assert!(c.only_in_baseline.iter().any(|n| n == "cpu/rayon/8"));
    assert!(c.only_in_current.is_empty());
    let table = parbench::export::compare::table(&c);
    assert!(table.contains("only in the baseline: "), "{table}");
}

#[test]
fn bad_files_exit_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = save(dir.path(), "good.json", &synthetic_run("box", 2));
    let text = std::fs::read_to_string(&good).unwrap();
    let cases = [
        (
            "corrupt.json",
            "{\"schema_version\": 1, \"machine\": 42}".to_string(),
        ),
        ("truncated.json", text[..text.len() / 2].to_string()),
        (
            "version.json",
            text.replacen(
                &format!("\"schema_version\": {}", parbench::result::SCHEMA_VERSION),
                "\"schema_version\": 7",
                1,
            ),
        ),
        ("empty.json", String::new()),
    ];
    for (name, body) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        for args in [[&good, &p], [&p, &good]] {
            let out = parbench().arg("compare").args(args).assert().code(2);
            let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
            assert!(stderr.contains(name), "{name}: {stderr}");
        }
    }
    parbench()
        .arg("compare")
        .arg(&good)
        .arg(&good)
        .args(["--threshold", "ten"])
        .assert()
        .code(2)
        .stderr(contains("ten"));
}

#[test]
fn exports_for_continuous_benchmarking_services() {
    let dir = tempfile::tempdir().unwrap();
    let f = save(dir.path(), "r.json", &synthetic_run("box", 2));
    let out = parbench()
        .arg("export")
        .arg(&f)
        .args(["--format", "bencher"])
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let cell = &v["cpu/rayon/2"]["latency"];
    assert!(cell["lower_value"].as_f64().unwrap() <= cell["value"].as_f64().unwrap());
    assert!(cell["value"].as_f64().unwrap() <= cell["upper_value"].as_f64().unwrap());
    assert!(v["io/threads/4"]["throughput"]["value"].as_f64().unwrap() > 0.0);

    let target = dir.path().join("gab.json");
    parbench()
        .arg("export")
        .arg(&f)
        .args(["--format", "github-action-benchmark", "--out"])
        .arg(&target)
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&target).unwrap()).unwrap();
    let items = v.as_array().unwrap();
    assert!(
        items
            .iter()
            .all(|i| i["unit"] == "ms" && i["value"].as_f64().is_some())
    );
    assert!(items.iter().any(|i| i["name"] == "noop/processes/1"));
}

#[test]
fn exports_a_table_as_csv_and_markdown() {
    let dir = tempfile::tempdir().unwrap();
    let run = synthetic_run("box", 2);
    let f = save(dir.path(), "r.json", &run);
    let out = parbench()
        .arg("export")
        .arg(&f)
        .args(["--format", "csv"])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header[..3], ["workload", "model", "workers"]);
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), run.cells.len());
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    for (r, c) in rows.iter().zip(&run.cells) {
        assert_eq!(r.len(), header.len());
        assert_eq!(
            r[col("median_s")].parse::<f64>().unwrap(),
            c.median_s,
            "exact"
        );
        assert_eq!(r[col("speedup")].is_empty(), c.speedup.is_none());
    }
    let out = parbench()
        .arg("export")
        .arg(&f)
        .args(["--format", "markdown"])
        .assert()
        .success();
    let md = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(md.starts_with("| Cell | Median [CI] |"), "{md}");
    assert_eq!(md.lines().count(), 2 + run.cells.len());
    assert!(md.contains("| `cpu/rayon/2` |"), "{md}");
}
