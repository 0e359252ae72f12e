//! A run observer for a console: a progress bar with ETA on stderr (a plain line every 10 s when
//! stderr is not a terminal, as in CI logs or `cargo bench`), and every checkpoint of the results
//! saved through a [`ResultSink`]. Used by the CLI and the sweep bench; the runner itself never
//! prints.

use crate::measure::runner::Observer;
use crate::model::ModelKind;
use crate::plan::CellSpec;
use crate::result::RunResults;
use crate::store::ResultSink;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::Instant;

/// Shows progress on stderr and saves checkpoints.
pub struct Progress {
    sink: ResultSink,
    bar: Option<ProgressBar>,
    warmup: usize,
    total: usize,
    done: usize,
    started: Instant,
    last_line: Instant,
}

impl Progress {
    /// Saves to `sink`; batches of the first `warmup` rounds are marked as warm-up.
    pub fn new(sink: ResultSink, warmup: usize) -> Self {
        Progress {
            sink,
            bar: None,
            warmup,
            total: 0,
            done: 0,
            started: Instant::now(),
            last_line: Instant::now(),
        }
    }

    /// Removes the progress bar.
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Observer for Progress {
    fn notice(&mut self, message: &str) {
        match &self.bar {
            Some(bar) => bar.println(format!("parbench: {message}")),
            None => eprintln!("parbench: {message}"),
        }
    }

    fn starting_model(&mut self, model: ModelKind, workers: usize) {
        if model.is_pool() && !std::io::stderr().is_terminal() {
            eprintln!("parbench: starting {model} with {workers} workers");
        }
    }

    fn started(&mut self, total: usize) {
        self.total = total;
        self.started = Instant::now();
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "{elapsed_precise} [{bar:30}] {pos}/{len} batches, ETA {eta} {msg}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            self.bar = Some(bar);
        }
    }

    fn more(&mut self, batches: usize) {
        self.total += batches;
        if let Some(bar) = &self.bar {
            bar.inc_length(batches as u64);
        }
    }

    fn batch_done(&mut self, cell: &CellSpec, round: usize, _wall_s: f64) {
        self.done += 1;
        let what = format!(
            "{}/{} N={}{}",
            cell.workload.spec.kind(),
            cell.model,
            cell.workers,
            if round < self.warmup {
                " (warm-up)"
            } else {
                ""
            }
        );
        if let Some(bar) = &self.bar {
            bar.set_message(what);
            bar.inc(1);
        } else if self.last_line.elapsed().as_secs() >= 10 || self.done == self.total {
            let elapsed = self.started.elapsed().as_secs_f64();
            let eta = elapsed / self.done as f64 * (self.total - self.done) as f64;
            eprintln!(
                "parbench: {}/{} batches, {elapsed:.0} s elapsed, ETA {eta:.0} s",
                self.done, self.total
            );
            self.last_line = Instant::now();
        }
    }

    fn checkpoint(&mut self, results: &RunResults) -> crate::Result<()> {
        self.sink.save(results)
    }
}
