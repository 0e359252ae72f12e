//! The `parbench` binary: parses the command line, calls the library, prints, and maps errors to
//! exit codes (2 for bad input, 1 for a failed run). All measuring happens in the library.

mod cli;

use anyhow::Context;
use clap::Parser;
use cli::{
    AbArgs, AdviseArgs, BaselineArgs, Cli, Command, CompareArgs, CompareFormat, ExportArgs,
    FitArgs, FitFormat, LessonCommand, PlanArgs, ReportArgs, RunArgs, SkewArgs,
};
use parbench::chart::render::Format;
use parbench::console::out;
use parbench::export::table::machine_table;
use parbench::machine::MachineInfo;
use parbench::model::ModelContext;
use parbench::plan::{Overrides, build_config};
use parbench::report::write_report;
use parbench::session::Session;
use std::path::PathBuf;
use std::process::ExitCode;

/// An error that is the user's input, not the run: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct UsageError(String);

fn main() -> ExitCode {
    // The `processes` model starts one worker per task: skip building the command-line parser
    // for them (`parbench worker` takes no options): callgrind counts 549k instructions per
    // worker start with it, 436k without.
    let mut args = std::env::args_os().skip(1);
    if args.next().is_some_and(|a| a == "worker") && args.next().is_none() {
        return ExitCode::from(parbench::worker::worker_main() as u8);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
                || e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            {
                let _ = e.print();
                return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                    ExitCode::from(2)
                } else {
                    ExitCode::SUCCESS
                };
            }
            // clap's message is several lines; its first line names the bad value, or ends in
            // a colon and the names follow, indented ("the following required arguments were
            // not provided:" / "  <RESULT>").
            let text = e.render().to_string();
            let mut lines = text.lines();
            let first = lines.next().unwrap_or("invalid arguments");
            let mut first = first.strip_prefix("error: ").unwrap_or(first).to_string();
            if first.ends_with(':') {
                let names: Vec<&str> = lines
                    .take_while(|l| l.starts_with("  "))
                    .map(str::trim)
                    .collect();
                first = format!("{first} {}", names.join(", "));
            }
            eprintln!("parbench: error: {first} (see --help)");
            return ExitCode::from(2);
        }
    };
    // Ctrl-C and SIGTERM are noticed between steps, so a command never stops in the middle of
    // writing a file (the hidden modes handle their own ends).
    if !matches!(
        cli.command,
        Command::Worker | Command::Serve | Command::EchoServer { .. }
    ) && let Err(e) = parbench::interrupt::install()
    {
        eprintln!("parbench: error: {e}");
        return ExitCode::from(1);
    }
    let outcome = match cli.command {
        Command::Worker => return ExitCode::from(parbench::worker::worker_main() as u8),
        Command::Serve => return ExitCode::from(parbench::serve::serve_main(Vec::new()) as u8),
        Command::Ab(args) => match ab(*args) {
            Ok(regressed) => return ExitCode::from(u8::from(regressed)),
            Err(e) => Err(e),
        },
        Command::EchoServer { model } => {
            return ExitCode::from(parbench::net::server::serve_main(&model) as u8);
        }
        Command::Info { json } => info(json),
        Command::Lesson {
            which: LessonCommand::Deadlock { timeout_ms },
        } => lesson_deadlock(timeout_ms),
        Command::Fit(args) => fit(args),
        Command::Report(args) => report(args),
        Command::Export(args) => export(args),
        Command::Compare(args) => match compare(args) {
            Ok(regressed) => return ExitCode::from(u8::from(regressed)),
            Err(e) => Err(e),
        },
        Command::Run(args) => run(*args),
        Command::Advise(args) => advise(args),
        Command::Baseline(args) => baseline(args),
        Command::Skew(args) => skew(args),
    };
    // A Ctrl-C the command did not stop at (it came during its last step) still ends it as one.
    let outcome = outcome.and_then(|()| Ok(parbench::interrupt::check()?));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        // `parbench … | head -1`: the reader has what it wanted.
        Err(e)
            if e.downcast_ref::<parbench::Error>()
                .is_some_and(|e| matches!(e.root(), parbench::Error::OutputClosed)) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("parbench: error: {e:#}");
            // A signal: 128 + it; bad options and input files are the user's to fix: 2.
            let code = match e.downcast_ref::<parbench::Error>() {
                Some(lib) => lib.exit_code(),
                None if e.downcast_ref::<UsageError>().is_some() => 2,
                None => 1,
            };
            ExitCode::from(code as u8)
        }
    }
}

fn fit(args: FitArgs) -> anyhow::Result<()> {
    let file = args.file.display();
    let bytes = parbench::store::read_bounded(&args.file, parbench::store::MAX_RESULT_BYTES)?;
    let text = String::from_utf8(bytes).map_err(|_| UsageError(format!("{file}: not text")))?;
    let points = parbench::usl::read_csv(&text).map_err(|e| UsageError(format!("{file}: {e}")))?;
    let fitted = parbench::usl::fit(&points).map_err(|e| UsageError(format!("{file}: {e}")))?;
    if let Some(n) = args.predict.iter().find(|n| !(n.is_finite() && **n >= 1.0)) {
        return Err(UsageError(format!("--predict {n}: N must be at least 1")).into());
    }
    let report = parbench::usl::FitReport::new(&fitted, &args.predict);
    match args.format {
        FitFormat::Json => out(&format!("{}\n", serde_json::to_string_pretty(&report)?))?,
        FitFormat::Text => out(&report.to_string())?,
    }
    Ok(())
}

fn lesson_deadlock(timeout_ms: u64) -> anyhow::Result<()> {
    if !(1..=60_000).contains(&timeout_ms) {
        return Err(UsageError(format!(
            "--timeout-ms {timeout_ms}: must be between 1 and 60000"
        ))
        .into());
    }
    let l = parbench::lesson::deadlock(std::time::Duration::from_millis(timeout_ms), 100_000);
    out(&l.to_string())?;
    Ok(())
}

fn info(json: bool) -> anyhow::Result<()> {
    let m = MachineInfo::detect();
    if json {
        out(&format!("{}\n", serde_json::to_string_pretty(&m)?))?;
    } else {
        out(&machine_table(&m))?;
    }
    Ok(())
}

fn run(args: RunArgs) -> anyhow::Result<()> {
    let machine = MachineInfo::detect();
    let commands = commands(&args)?;
    let what = match commands.as_slice() {
        [] => None,
        [one] => Some(format!("--command {one}")),
        many => Some(format!("{} commands", many.len())),
    };
    let overrides = Overrides {
        commands,
        params: args.params.params(),
        label: args.label,
        switch_interval_ms: args.switch_interval_ms,
        start_methods: args.start_method,
        on_error: args.on_error,
        stack_size: args.stack_size,
        precision: args.precision,
        time_budget_s: args.time_budget,
        force: args.force,
        ..plan_overrides(args.plan)
    };
    let config = build_config(args.preset, &machine, &overrides)?;
    let mut dir = PathBuf::from("reports").join(&machine.host_slug);
    if what.is_some() {
        dir.push("commands");
    }
    let dir = args.out.unwrap_or(dir);
    let what = what.unwrap_or_else(|| format!("preset {}", config.preset));
    measure(&machine, &config, &what, &dir, !args.no_report, args.format)?;
    Ok(())
}

/// The `--command` workloads of a run, registered; none without `--command`.
fn commands(args: &RunArgs) -> anyhow::Result<Vec<parbench::workload::UserRef>> {
    let command_only = [
        ("--name", !args.names.is_empty()),
        ("--setup", args.setup.is_some()),
        ("--prepare", args.prepare.is_some()),
        ("--check-output", args.check_output),
        ("--shell", args.shell != "sh"),
    ];
    if args.commands.is_empty() {
        if let Some((flag, _)) = command_only.iter().find(|(_, given)| *given) {
            return Err(UsageError(format!("{flag} goes with --command")).into());
        }
        return Ok(Vec::new());
    }
    let shell = (args.shell != "none").then(|| args.shell.clone());
    let programs = args
        .commands
        .iter()
        .map(|c| parbench::workload::Program {
            command: c.clone(),
            shell: shell.clone(),
            check_output: args.check_output,
            setup: args.setup.clone(),
            prepare: args.prepare.clone(),
        })
        .collect();
    parbench::workload::command::register_all(programs, &args.names)
        .map_err(|e| UsageError(e).into())
}

fn advise(args: AdviseArgs) -> anyhow::Result<()> {
    let machine = MachineInfo::detect();
    use parbench::workload::Workload;
    parbench::workload::Mixed::new(args.cpu_ms, args.io_ms)
        .check()
        .map_err(UsageError)?;
    let estimate =
        parbench::advise::textbook_estimate(machine.cores_for_cpu_bound(), args.cpu_ms, args.io_ms);
    if estimate > parbench::plan::MAX_WORKERS as f64 / 2.0 {
        return Err(UsageError(format!(
            "--cpu-ms {} --io-ms {}: the textbook pool size is {estimate:.0} workers, more than parbench sweeps (at most {} workers)",
            args.cpu_ms,
            args.io_ms,
            parbench::plan::MAX_WORKERS
        ))
        .into());
    }
    let config = parbench::advise::advise_config(
        &machine,
        args.cpu_ms,
        args.io_ms,
        args.tasks,
        args.models,
        args.samples,
    );
    config.validate()?;
    let dir = args.out.unwrap_or_else(|| {
        PathBuf::from("reports")
            .join(&machine.host_slug)
            .join("advise")
    });
    let results = measure(
        &machine,
        &config,
        "advise",
        &dir,
        !args.no_report,
        Format::Png,
    )?;
    let advice = parbench::advise::advise(&results)
        .context("the run measured no mixed cell, so there is nothing to advise")?;
    out(&parbench::export::table::advice_table(&advice))?;
    Ok(())
}

/// Runs `config` with progress on stderr, saving into `dir`; prints the table and, with
/// `report`, writes the charts and summary.
fn measure(
    machine: &MachineInfo,
    config: &parbench::plan::RunConfig,
    what: &str,
    dir: &std::path::Path,
    report: bool,
    format: Format,
) -> anyhow::Result<parbench::result::RunResults> {
    let measured = Session {
        machine,
        config,
        dir,
        what,
        ctx: ModelContext::default(),
    }
    .measure()?;
    let (results, sink) = (&measured.results, &measured.sink);
    // A closed or full stdout does not stop the report: its files are written, then the
    // stdout error ends the command.
    let mut printed = measured.print_results();
    if report {
        let t0 = std::time::Instant::now();
        let rep = measured
            .report(format)
            .context("the results are saved, but the report failed")?;
        parbench::interrupt::check()?;
        eprintln!(
            "parbench: report ({} files, {:.2} s) in {}; open {}",
            rep.files.len(),
            t0.elapsed().as_secs_f64(),
            dir.display(),
            dir.join("summary.md").display()
        );
        printed = printed.and_then(|()| parbench::session::print_verdicts(&rep));
    }
    printed?;
    if !results.failures.is_empty() {
        anyhow::bail!(
            "{} cell(s) failed and were skipped; the other results are in {}: {}",
            results.failures.len(),
            sink.run_file.display(),
            results.failures.join("; ")
        );
    }
    Ok(measured.results)
}

fn skew(args: SkewArgs) -> anyhow::Result<()> {
    let machine = MachineInfo::detect();
    let base = Overrides {
        workloads: Some(vec![args.workload]),
        models: args.models,
        workers: args.workers.map(|n| vec![n]),
        tasks: Some(args.tasks),
        samples: Some(args.samples),
        params: parbench::workload::Params {
            iterations: Some(args.iterations),
            sleep_ms: args.sleep_ms,
            cpu_ms: args.cpu_ms,
            io_ms: args.io_ms,
            order: args.order,
            size_seed: args.size_seed,
            ..Default::default()
        },
        ..Default::default()
    };
    let configs = parbench::skew::configs(&machine, &base, &args.dists)?;
    let dir = args.out.unwrap_or_else(|| {
        PathBuf::from("reports")
            .join(&machine.host_slug)
            .join("skew")
    });
    let mut runs = Vec::new();
    for (i, config) in configs.iter().enumerate() {
        let dist = config.workloads[0]
            .spec
            .sizes()
            .map_or("uniform".into(), |s| s.dist.to_string());
        eprintln!("parbench: skew {}/{}: {dist} sizes", i + 1, configs.len());
        let sub = dir.join(dist.replace(':', "-"));
        runs.push(measure(
            &machine,
            config,
            &format!("skew, {dist} sizes"),
            &sub,
            false,
            Format::Png,
        )?);
    }
    let s = parbench::skew::summarize(&runs).context("the runs measured nothing to compare")?;
    let machine_line = parbench::chart::machine_line(&machine);
    let mut chart = None;
    if !args.no_report
        && let Some(fig) = parbench::chart::skew::figure(&s, &machine_line)
    {
        let png = parbench::chart::render::render(&fig, Format::Png)?;
        parbench::store::write_atomic(&dir.join("skew.png"), &png)?;
        chart = Some("skew.png");
    }
    let md = parbench::export::skew::markdown(&s, &machine_line, chart);
    if !args.no_report {
        parbench::store::write_atomic(&dir.join("skew.md"), md.as_bytes())?;
        eprintln!("parbench: skew.md and skew.png in {}", dir.display());
    }
    let mut text = format!("\n{}", parbench::export::skew::grid(&s).markdown());
    if let Some(v) = s.verdict() {
        text += &format!("\n{}\n", parbench::export::skew::sentence(&v));
    }
    out(&text)?;
    Ok(())
}

fn baseline(args: BaselineArgs) -> anyhow::Result<()> {
    // Read once: the file may be a pipe.
    let bytes = parbench::store::read_bounded(&args.result, parbench::store::MAX_RESULT_BYTES)?;
    let r = parbench::store::parse(&args.result, &bytes)?;
    if !r.complete {
        return Err(UsageError(format!(
            "{} is an incomplete run (interrupted or with failed cells): not a baseline",
            args.result.display()
        ))
        .into());
    }
    parbench::store::write_new(&args.baseline, &bytes, args.force)?;
    eprintln!(
        "parbench: {} is now the baseline {}",
        args.result.display(),
        args.baseline.display()
    );
    Ok(())
}

fn report(args: ReportArgs) -> anyhow::Result<()> {
    let runs = args
        .files
        .iter()
        .map(|f| parbench::store::load(f))
        .collect::<Result<Vec<_>, _>>()?;
    let out = args.out.unwrap_or_else(|| match args.files.as_slice() {
        [one] => one
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), PathBuf::from),
        _ => PathBuf::from("reports").join("machines"),
    });
    if out.exists() && !out.is_dir() {
        return Err(UsageError(format!("--out {} is not a folder", out.display())).into());
    }
    let t0 = std::time::Instant::now();
    let rep = write_report(&runs, &args.files, &out, args.format)?;
    parbench::session::print_verdicts(&rep)?;
    eprintln!(
        "parbench: wrote {} files in {:.2} s to {}",
        rep.files.len(),
        t0.elapsed().as_secs_f64(),
        out.display()
    );
    for f in &rep.files {
        parbench::console::out(&format!("{}\n", f.display()))?;
    }
    Ok(())
}

/// Prints the comparison; true when a cell regressed.
fn compare(args: CompareArgs) -> anyhow::Result<bool> {
    let baseline = parbench::store::load(&args.baseline)?;
    let current = parbench::store::load(&args.current)?;
    let opts = parbench::compare::CompareOptions {
        metric: args.metric,
        threshold: args.threshold,
        alpha: args.alpha,
        allow_machine_mismatch: args.allow_machine_mismatch,
    };
    let c = parbench::compare::compare(&baseline, &current, &opts)?;
    let title = format!(
        "parbench compare: {} vs {}",
        args.baseline.display(),
        args.current.display()
    );
    print_comparison(&c, args.format, &title)?;
    Ok(c.regressed())
}

/// A comparison's verdicts on stdout, as `--format` says.
fn print_comparison(
    c: &parbench::compare::Comparison,
    format: CompareFormat,
    title: &str,
) -> parbench::Result<()> {
    use parbench::export::compare as render;
    out(&match format {
        CompareFormat::Table => render::table(c),
        CompareFormat::Markdown => render::markdown(c),
        CompareFormat::Html => render::html(c, title),
        CompareFormat::Json => render::json(c),
    })
}

/// The overrides `run` and `ab` share.
fn plan_overrides(p: PlanArgs) -> Overrides {
    Overrides {
        workloads: p.workloads,
        models: p.models,
        workers: p.workers,
        tasks: p.tasks,
        samples: p.samples,
        warmup: p.warmup,
        settle_ms: p.settle_ms,
        task_timeout_s: p.task_timeout,
        ..Default::default()
    }
}

fn ab(args: AbArgs) -> anyhow::Result<bool> {
    let machine = MachineInfo::detect();
    let overrides = plan_overrides(args.plan);
    let mut config = build_config(args.preset, &machine, &overrides)?;
    // A fixed number of paired samples: the preset's minimum.
    (config.precision, config.time_budget_s) = (None, None);
    parbench::interrupt::install()?;
    let head = format!(
        "ab {} vs {}, {} paired samples per cell",
        args.baseline.display(),
        args.current.display(),
        config.samples
    );
    let sink = parbench::store::ResultSink {
        run_file: args.out.join("latest-ab.json"),
        latest_file: args.out.join("latest.json"),
    };
    let mut observer = parbench::console::Progress::new(sink, config.warmup, head);
    let opts = parbench::ab::AbOptions {
        threshold: args.threshold,
        alpha: args.alpha,
    };
    let outcome = parbench::ab::ab(
        &config,
        &machine,
        &args.baseline,
        &args.current,
        opts,
        &args.out,
        &mut observer,
    );
    observer.finish();
    let f = outcome?;
    let c = f.comparison.expect("a finished run is judged");
    let title = format!(
        "parbench ab: {} vs {}",
        args.baseline.display(),
        args.current.display()
    );
    print_comparison(&c, args.format, &title)?;
    eprintln!(
        "parbench: both sides saved in {}",
        args.out.join("latest-ab.json").display()
    );
    Ok(c.regressed())
}

fn export(args: ExportArgs) -> anyhow::Result<()> {
    let r = parbench::store::load(&args.file)?;
    let text = parbench::export::services::export(&r, args.format);
    match args.out {
        Some(path) => parbench::store::write_atomic(&path, text.as_bytes())?,
        None => out(&text)?,
    }
    Ok(())
}
