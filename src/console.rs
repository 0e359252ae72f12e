//! A run observer for a console: a progress bar with ETA on stderr (a plain line every 10 s when
//! stderr is not a terminal, as in CI logs or `cargo bench`), and every checkpoint of the results
//! saved through a [`ResultSink`]. Used by the CLI and the sweep bench; the runner itself never
//! prints.

use crate::measure::estimate::Estimate;
use crate::measure::runner::Observer;
use crate::model::ModelKind;
use crate::plan::{CellKey, CellSpec};
use crate::result::RunResults;
use crate::store::ResultSink;
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::time::Instant;

/// Writes `text` to standard output, flushed. A reader that closed the pipe (`| head -1`) gives
/// [`crate::Error::OutputClosed`], which the binary ends on quietly; any other failure (a full
/// device) is an error naming standard output.
pub fn out(text: &str) -> crate::Result<()> {
    let mut o = std::io::stdout().lock();
    match o.write_all(text.as_bytes()).and_then(|()| o.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(crate::Error::OutputClosed),
        Err(io) => Err(crate::Error::Write {
            path: "standard output".into(),
            io,
        }),
    }
}

/// Shows progress on stderr and saves checkpoints.
pub struct Progress {
    sink: ResultSink,
    headline: String,
    bar: Option<ProgressBar>,
    warmup: usize,
    total: usize,
    done: usize,
    /// Each cell's estimated batch, milliseconds: the bar advances by a batch's estimate, so its
    /// ETA is the estimate's, corrected by how fast the estimated work actually goes.
    weights: HashMap<CellKey, u64>,
    work_total: u64,
    work_done: u64,
    /// The plan's estimate waited for tasks to be timed: say the estimate once they are.
    untimed: bool,
    started: Instant,
    last_line: Instant,
}

impl Progress {
    /// Saves to `sink`; batches of the first `warmup` rounds are marked as warm-up. `headline`
    /// ("preset quick, 75 cells × …") opens the first line, which adds the estimate.
    pub fn new(sink: ResultSink, warmup: usize, headline: String) -> Self {
        Progress {
            sink,
            headline,
            bar: None,
            warmup,
            total: 0,
            done: 0,
            weights: HashMap::new(),
            work_total: 0,
            work_done: 0,
            untimed: false,
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

    fn weight(&self, key: &CellKey) -> u64 {
        self.weights.get(key).copied().unwrap_or(1)
    }
}

impl Observer for Progress {
    fn notice(&mut self, message: &str) {
        match &self.bar {
            Some(bar) => bar.println(format!("parbench: {message}")),
            None => eprintln!("parbench: {message}"),
        }
    }

    fn planned(&mut self, estimate: &Estimate) {
        self.untimed = !estimate.untimed.is_empty();
        eprintln!(
            "parbench: {}, {}; results → {}",
            self.headline,
            estimate.describe(),
            self.sink.run_file.display()
        );
    }

    fn starting_model(&mut self, model: ModelKind, workers: usize) {
        if model.is_pool() && !std::io::stderr().is_terminal() {
            eprintln!("parbench: starting {model} with {workers} workers");
        }
    }

    fn started(&mut self, total: usize, estimate: &Estimate) {
        if self.untimed {
            eprintln!("parbench: tasks timed; {}", estimate.describe());
        }
        self.total = total;
        self.weights = estimate
            .batch_s
            .iter()
            .map(|(k, s)| (*k, ((s * 1e3).round() as u64).max(1)))
            .collect();
        self.work_total = self.weights.values().sum::<u64>() * estimate.rounds as u64;
        self.started = Instant::now();
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(self.work_total.max(1));
            bar.set_style(
                ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {msg}, ETA {eta}")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            self.bar = Some(bar);
        }
    }

    fn more(&mut self, cells: &[CellKey]) {
        self.total += cells.len();
        let work: u64 = cells.iter().map(|k| self.weight(k)).sum();
        self.work_total += work;
        if let Some(bar) = &self.bar {
            bar.inc_length(work);
        }
    }

    fn batch_done(&mut self, cell: &CellSpec, round: usize, _wall_s: f64) {
        self.done += 1;
        let w = self.weight(&cell.key());
        self.work_done += w;
        let what = format!(
            "{}/{} batches, {}/{} N={}{}",
            self.done,
            self.total,
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
            bar.inc(w);
        } else if self.last_line.elapsed().as_secs() >= 10 || self.done == self.total {
            // The estimate of what is left, scaled by how the estimate has fared so far.
            let elapsed = self.started.elapsed().as_secs_f64();
            let left = self.work_total.saturating_sub(self.work_done) as f64;
            let eta = elapsed / self.work_done.max(1) as f64 * left;
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
