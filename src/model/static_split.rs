//! `static-split`: N long-lived threads, each handed a contiguous 1/N of a batch's tasks up front
//! (OpenMP's `schedule(static)`, a `thread::scope` over chunks): thread k runs positions
//! `k·T/N .. (k+1)·T/N` one after another. No shared queue and no stealing, so a thread whose
//! chunk holds the big tasks finishes last while the others sit idle — the contrast to
//! `thread-pool` (a shared queue) and `rayon` (work stealing) when tasks are uneven
//! (`--task-sizes`). The threads start in [`StaticSplitModel::start`], outside the timed region,
//! and are joined when the model is dropped.

use super::{BatchOutcome, Executor};
use crate::error::Result;
use crate::workload::{WorkloadSpec, combine};
use crossbeam_channel::{Receiver, Sender};
use std::thread::JoinHandle;

/// A chunk of a batch: the workload and positions `start..end`.
type Chunk = (WorkloadSpec, u64, u64);

/// N threads, each with its own queue of chunks.
#[derive(Debug)]
pub struct StaticSplitModel {
    chunks: Vec<Sender<Chunk>>,
    results: Receiver<u64>,
    threads: Vec<JoinHandle<()>>,
}

impl StaticSplitModel {
    /// Starts `workers` threads that wait for their chunk.
    /// `stack_size` bytes of stack per thread (Rust's default when `None`).
    pub fn start(workers: usize, stack_size: Option<usize>) -> Result<Self> {
        let (results_tx, results_rx) = crossbeam_channel::unbounded();
        // Built before its threads, so that when one cannot start, dropping the model closes
        // the queues and joins those already started.
        let mut model = StaticSplitModel {
            chunks: Vec::with_capacity(workers),
            results: results_rx,
            threads: Vec::with_capacity(workers),
        };
        for i in 0..workers {
            let (tx, rx) = crossbeam_channel::unbounded::<Chunk>();
            let results = results_tx.clone();
            model.threads.push(crate::spawn::thread(
                &format!("parbench-static-{i}"),
                stack_size,
                move || {
                    for (workload, start, end) in rx {
                        let c = (start..end).fold(0, |a, t| combine(a, workload.run_task(t)));
                        if results.send(c).is_err() {
                            break;
                        }
                    }
                },
            )?);
            model.chunks.push(tx);
        }
        Ok(model)
    }
}

/// Thread `k` of `n`'s share of `tasks` positions: contiguous, sizes differing by at most one.
fn chunk(k: u64, n: u64, tasks: u64) -> (u64, u64) {
    (k * tasks / n, (k + 1) * tasks / n)
}

impl Executor for StaticSplitModel {
    fn run_batch(&mut self, workload: &WorkloadSpec, tasks: u64) -> Result<BatchOutcome> {
        let n = self.chunks.len() as u64;
        let mut sent = 0;
        for (k, tx) in self.chunks.iter().enumerate() {
            let (start, end) = chunk(k as u64, n, tasks);
            if start < end {
                tx.send((*workload, start, end))
                    .expect("static-split threads live until drop");
                sent += 1;
            }
        }
        let mut checksum = 0;
        for _ in 0..sent {
            checksum = combine(checksum, self.results.recv().expect("threads live"));
        }
        Ok(BatchOutcome {
            checksum,
            ..Default::default()
        })
    }
}

impl Drop for StaticSplitModel {
    fn drop(&mut self) {
        // Closing every queue ends every thread's loop.
        self.chunks.clear();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::chunk;

    #[test]
    fn chunks_are_contiguous_cover_the_batch_and_differ_by_one_at_most() {
        for (n, tasks) in [(1, 5), (2, 5), (3, 12), (4, 3), (5, 0)] {
            let parts: Vec<(u64, u64)> = (0..n).map(|k| chunk(k, n, tasks)).collect();
            assert_eq!(parts[0].0, 0);
            assert_eq!(parts[n as usize - 1].1, tasks);
            assert!(parts.windows(2).all(|w| w[0].1 == w[1].0));
            let sizes: Vec<u64> = parts.iter().map(|(a, b)| b - a).collect();
            assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1);
        }
    }
}
