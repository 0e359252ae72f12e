//! One measuring session, as `parbench run`, `parbench advise` and the `cargo bench` sweep all
//! run it: a plan in hand, every cell measured with progress on stderr ([`crate::console`]), the
//! results saved as they come (a timestamped file and `latest.json`), and, on request, the report
//! folder beside them. Callers choose the plan and what to print of the outcome; this module does
//! not parse options, print tables or decide exit codes.

use crate::chart::render::Format;
use crate::error::{Error, Result};
use crate::machine::MachineInfo;
use crate::measure::runner::{self, now_utc};
use crate::model::ModelContext;
use crate::plan::RunConfig;
use crate::report::{Report, write_report};
use crate::result::RunResults;
use crate::store::ResultSink;
use std::path::{Path, PathBuf};

/// Prints every verdict of `report` on stdout, after a blank line.
pub fn print_verdicts(report: &Report) -> Result<()> {
    let mut text = String::from("\n");
    for a in &report.analyses {
        for (_, v) in crate::export::verdicts::sentences(a) {
            text += &format!("{v}\n");
        }
    }
    crate::console::out(&text)
}

/// What to measure, where to save it, and how to name it on the console.
#[derive(Clone, Debug)]
pub struct Session<'a> {
    /// The machine measured.
    pub machine: &'a MachineInfo,
    /// The plan.
    pub config: &'a RunConfig,
    /// The folder the results (and the report) go to.
    pub dir: &'a Path,
    /// "preset quick", "advise": the first words of the banner.
    pub what: &'a str,
    /// Where process models find their worker executable.
    pub ctx: ModelContext,
}

/// A session's measured results and where they are saved.
#[derive(Clone, Debug)]
pub struct Measured {
    /// The results.
    pub results: RunResults,
    /// The run's file and `latest.json`.
    pub sink: ResultSink,
    /// The folder they are in.
    pub dir: PathBuf,
}

impl Session<'_> {
    /// Measures every cell. Errors: [`Error::Config`] when the folder is a file, the runner's
    /// error as it is when the run was refused before anything ran (nothing saved), and
    /// [`Error::Stopped`] naming the saved file when it stopped later.
    pub fn measure(&self) -> Result<Measured> {
        if self.dir.exists() && !self.dir.is_dir() {
            return Err(Error::Config(format!(
                "--out {} is not a folder",
                self.dir.display()
            )));
        }
        crate::interrupt::install()?;
        let sink = ResultSink::claim(self.dir, &now_utc())?;
        let headline = format!(
            "{}, {} cells × ({} warm-up + {} samples{}) on {} ({} logical cores)",
            self.what,
            self.config.cells().len(),
            self.config.warmup,
            self.config.samples,
            self.config.precision.map_or(String::new(), |p| format!(
                ", more until ±{:.1}%",
                p * 100.0
            )),
            self.machine.hostname,
            self.machine.logical_cores,
        );
        let mut observer =
            crate::console::Progress::new(sink.clone(), self.config.warmup, headline);
        let results = runner::run(self.config, self.machine, &self.ctx, &mut observer);
        observer.finish();
        match results {
            Ok(results) => Ok(Measured {
                results,
                sink,
                dir: self.dir.to_path_buf(),
            }),
            // Refused before anything ran (a limit, a bad plan): nothing was saved.
            Err(e) if std::fs::metadata(&sink.run_file).is_ok_and(|m| m.len() == 0) => {
                sink.abandon();
                Err(e)
            }
            Err(e) => Err(Error::Stopped {
                saved: sink.run_file,
                inner: Box::new(e),
            }),
        }
    }
}

impl Measured {
    /// Prints what the console shows of a run: the results table on stdout and where they are
    /// saved on stderr.
    pub fn print_results(&self) -> Result<()> {
        let table = crate::export::table::results_table(&self.results);
        let written = crate::console::out(&table);
        eprintln!(
            "parbench: results written to {} and {}",
            self.sink.run_file.display(),
            self.sink.latest_file.display()
        );
        written
    }

    /// Writes the report (see [`Measured::report`]) and prints its verdicts on stdout.
    pub fn report_and_verdicts(&self, format: Format) -> Result<Report> {
        let report = self.report(format)?;
        print_verdicts(&report)?;
        Ok(report)
    }

    /// Writes the report (charts, `analysis.json`, `summary.md`) beside the results.
    pub fn report(&self, format: Format) -> Result<Report> {
        write_report(
            std::slice::from_ref(&self.results),
            std::slice::from_ref(&self.sink.run_file),
            &self.dir,
            format,
        )
    }
}
