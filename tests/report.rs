//! Charts and reports: images decode and are not blank, SVGs name every model, several machines
//! give one series each, bad input files are refused with exit code 2.

use crate::fixtures::synthetic_run;
use assert_cmd::Command;
use parbench::chart::render::{Format, render};
use parbench::chart::{Figure, machines, run_figures};
use parbench::report::write_report;
use std::path::PathBuf;

fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

fn variance(pixels: &[u8]) -> f64 {
    let mean = pixels.iter().map(|&p| p as f64).sum::<f64>() / pixels.len() as f64;
    pixels
        .iter()
        .map(|&p| (p as f64 - mean).powi(2))
        .sum::<f64>()
        / pixels.len() as f64
}

#[test]
fn every_png_decodes_at_its_size_and_is_not_blank() {
    let run = synthetic_run("box", 2);
    let figs: Vec<Figure> = run_figures(&run);
    let names: Vec<&str> = figs.iter().map(|f| f.name.as_str()).collect();
    for expected in [
        "speedup-cpu",
        "efficiency-cpu",
        "time-cpu",
        "speedup-io",
        "efficiency-io",
        "time-io",
        "cost-per-task",
        "cpu-vs-io",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    for fig in &figs {
        let (w, h, pixels) = decode(&render(fig, Format::Png).unwrap());
        assert_eq!((w, h), fig.size, "{}", fig.name);
        assert!(variance(&pixels) > 100.0, "{} looks blank", fig.name);
    }
}

#[test]
fn svgs_name_every_model_and_carry_their_text() {
    let run = synthetic_run("box", 2);
    let fig = run_figures(&run)
        .into_iter()
        .find(|f| f.name == "speedup-cpu")
        .unwrap();
    let svg = String::from_utf8(render(&fig, Format::Svg).unwrap()).unwrap();
    for &m in &run.config.models {
        if !m.is_baseline() {
            // plotters puts each text's content on a line of its own.
            assert!(
                svg.lines().any(|l| l.trim() == m.name()),
                "{m} not in the SVG"
            );
        }
    }
    assert!(svg.contains("box"), "the machine is named");
}

#[test]
fn several_machines_give_one_series_per_machine() {
    let runs = vec![synthetic_run("laptop", 2), synthetic_run("server", 8)];
    let figs = machines::figures(&runs);
    assert_eq!(figs.len(), 2, "cpu and io");
    for f in &figs {
        assert_eq!(
            f.panels.len(),
            2 * 8,
            "speedup and efficiency for each of 8 models"
        );
        for p in &f.panels {
            let names: Vec<&str> = p.series.iter().map(|s| s.name.as_str()).collect();
            assert_eq!(names, ["laptop", "server"], "{}", p.caption);
        }
        let (w, h, pixels) = decode(&render(f, Format::Png).unwrap());
        assert_eq!((w, h), f.size);
        assert!(variance(&pixels) > 100.0);
    }
}

#[test]
fn a_report_folder_has_charts_analysis_and_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let run = synthetic_run("box", 2);
    let rep = write_report(
        std::slice::from_ref(&run),
        &[PathBuf::from("r.json")],
        dir.path(),
        Format::Png,
    )
    .unwrap();
    // Per workload speedup, efficiency, time and (4 worker counts: the law fits) usl; the cost
    // per task, cpu-vs-io; summary.md and analysis.json.
    assert_eq!(rep.files.len(), 2 * 4 + 2 + 3, "{:?}", rep.files);
    assert!(dir.path().join("usl-cpu.png").exists());
    let md = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(md.contains("## Universal Scalability Law"), "{md}");
    assert!(md.contains("![speedup-cpu.png](speedup-cpu.png)"));
    assert!(
        md.contains("CPU-bound:") && md.contains("IO-bound:"),
        "{md}"
    );
    assert!(md.contains("Amdahl"));
    let a: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("analysis.json")).unwrap()).unwrap();
    assert!(a[0]["scaling"].as_array().unwrap().len() >= 10);
    assert!(a[0]["scaling"][0]["usl"]["sigma"].is_number(), "{a}");
}

#[test]
fn the_verdict_names_the_core_count_where_cpu_work_stops_scaling() {
    let run = synthetic_run("box", 2);
    let a = parbench::analysis::analyse(&run);
    // The analysis says it as data: rayon saturates at the 2 cores.
    match &a.verdicts[0] {
        parbench::analysis::Verdict::Scaling { best, cores, .. } => {
            assert_eq!((best.saturation_workers, *cores), (2, (2, 2)), "{best:?}");
        }
        v => panic!("a scaling verdict for cpu, not {v:?}"),
    }
    let words = parbench::export::verdicts::sentences(&a);
    let cpu = &words[0].1;
    assert!(cpu.starts_with("CPU-bound:"), "{cpu}");
    assert!(cpu.contains("stops helping at 2 (= the 2 cores)"), "{cpu}");
    let io = &words[1].1;
    assert!(io.contains("still grows"), "{io}");
}

#[test]
fn bad_or_missing_input_files_exit_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = [
        ("empty.json", "".to_string()),
        (
            "truncated.json",
            "{\"schema_version\": 1, \"cells\": [".to_string(),
        ),
        ("future.json", "{\"schema_version\": 999}".to_string()),
        ("other.json", "{\"hello\": 1}".to_string()),
    ];
    for (name, text) in &bad {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        let out = Command::new(crate::parbench_exe())
            .arg("report")
            .arg(&p)
            .arg("--out")
            .arg(dir.path().join("out"))
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
        assert!(stderr.contains(name), "{name}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    }
    for args in [
        &["report", "/nonexistent/latest.json"][..],
        &["compare", "/nonexistent/latest.json", "/nonexistent/b.json"],
        &["export", "/nonexistent/latest.json", "--format", "bencher"],
    ] {
        let out = Command::new(crate::parbench_exe())
            .args(args)
            .assert()
            .code(2)
            .stderr(predicates::str::contains("/nonexistent/latest.json"))
            .get_output()
            .clone();
        // The cause once, not once more from the error's source chain.
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.matches("No such file").count(), 1, "{stderr}");
    }
    assert!(
        !dir.path().join("out").exists(),
        "nothing written for bad input"
    );
}

/// `report.html` parses without an HTML error, reaches for nothing outside itself, and holds
/// every chart (a base and a layer per line, each point with its numbers as a tooltip) and
/// every table of the report.
fn assert_self_contained(html: &str) -> scraper::Html {
    let doc = scraper::Html::parse_document(html);
    assert!(doc.errors.is_empty(), "HTML parse errors: {:?}", doc.errors);
    let sel = |s: &str| scraper::Selector::parse(s).unwrap();
    let sources: Vec<_> = doc
        .select(&sel("[src]"))
        .map(|e| e.value().clone())
        .collect();
    assert!(sources.is_empty(), "external sources: {sources:?}");
    for e in doc.select(&sel("[href]")) {
        let href = e.value().attr("href").unwrap();
        assert!(href.starts_with('#'), "a link out of the page: {href}");
    }
    // The only URLs are SVG's namespace.
    assert_eq!(
        html.matches("http").count(),
        html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count()
    );
    doc
}

#[test]
fn the_html_report_is_one_self_contained_page_with_every_chart_and_table() {
    let dir = tempfile::tempdir().unwrap();
    let run = synthetic_run("box", 2);
    write_report(
        std::slice::from_ref(&run),
        &[PathBuf::from("r.json")],
        dir.path(),
        Format::Png,
    )
    .unwrap();
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    let doc = assert_self_contained(&html);
    let sel = |s: &str| scraper::Selector::parse(s).unwrap();
    let figs = run_figures(&run);
    let charts: Vec<_> = doc.select(&sel("figure.chart")).collect();
    assert_eq!(charts.len(), figs.len());
    for chart in &charts {
        let id = chart.value().attr("id").unwrap();
        let fig = figs
            .iter()
            .find(|f| format!("fig-{}", f.name) == id)
            .unwrap_or_else(|| panic!("{id} is not a figure of the run"));
        assert_eq!(chart.select(&sel("svg.base")).count(), 1, "{id}");
        let lines = fig.panels[0].series.iter().filter(|s| !s.reference).count();
        if fig.panels.len() == 1 {
            assert_eq!(chart.select(&sel("svg.layer")).count(), lines, "{id}");
            assert_eq!(chart.select(&sel(".legend button")).count(), lines, "{id}");
        }
        let points: usize = fig
            .panels
            .iter()
            .flat_map(|p| &p.series)
            .filter(|s| !s.reference)
            .map(|s| s.points.len())
            .sum();
        assert_eq!(
            chart.select(&sel("circle.pt title")).count(),
            points,
            "{id}"
        );
    }
    // A speedup point's tooltip says what a person asks of it.
    let tip = doc
        .select(&sel("#fig-speedup-cpu circle.pt title"))
        .next()
        .unwrap()
        .text()
        .collect::<String>();
    for word in [
        "N = ", "median", "% CI", "samples", "speedup", "CPU time", "peak RSS",
    ] {
        assert!(tip.contains(word), "{word} not in {tip}");
    }
    // The verdicts, the machine, a results table per workload, the analytics and the law.
    assert!(html.contains("CPU-bound:") && html.contains("IO-bound:"));
    let tables = doc.select(&sel("table.grid")).count();
    assert_eq!(tables, 1 + run.workloads().len() + 2, "{tables}");
    assert!(html.contains("data-script"), "the script marks its end");
}

#[test]
fn compare_writes_an_html_page_with_changed_cells_highlighted() {
    let dir = tempfile::tempdir().unwrap();
    let slower = crate::fixtures::synthetic_run_scaled("box", 2, &|w, m, n| {
        if w == "cpu" && m == parbench::model::ModelKind::Rayon && n == 2 {
            1.3
        } else {
            1.0
        }
    });
    let a = crate::fixtures::save(dir.path(), "a.json", &synthetic_run("box", 2));
    let b = crate::fixtures::save(dir.path(), "b.json", &slower);
    let out = Command::new(crate::parbench_exe())
        .args(["compare", "--metric", "time", "--format", "html"])
        .args([&a, &b])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let html = String::from_utf8(out.stdout).unwrap();
    let doc = assert_self_contained(&html);
    let sel = scraper::Selector::parse("tr.regressed td code").unwrap();
    let regressed: Vec<String> = doc.select(&sel).map(|e| e.text().collect()).collect();
    assert!(
        regressed.contains(&"cpu/rayon/2".to_string()),
        "{regressed:?}"
    );
}
