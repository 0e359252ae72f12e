//! The lesson's shared counter (`contention`): every task adds 1 to one counter `--updates`
//! times, under a synchronisation primitive (`--sync`):
//!
//! - `mutex` (std), `parking-lot` (parking_lot's mutex), `rwlock` (std, every update a writer);
//! - `atomic`: one `fetch_add` per update, no lock;
//! - `sharded`: a counter per thread (a cache line each), summed after the batch: nothing shared
//!   while the tasks run;
//! - `racy`: the lesson's unprotected `money -= 1`, written in safe Rust — an atomic load, a yield
//!   (the lesson's sleep, where another thread gets in), an atomic store — which *loses updates*.
//!
//! The counter lives in this process (statics), so the tasks of a batch share it across threads
//! and futures; the process models cannot reach it, and the runner skips them with a notice. It
//! is zeroed before every batch ([`Workload::prepare`]) and checked after it
//! ([`Workload::verify_batch`]): every `--sync` but `racy` must end at exactly tasks × updates,
//! or the cell fails; `racy` reports how many updates it lost instead, the one workload whose
//! wrong answer is the point. A task's own checksum only proves it ran (the order in which tasks
//! reach a shared counter has no per-task answer). Nothing here blocks without end: every lock is
//! held for one addition.

use super::{AsyncTask, Batch, Builtin, Column, Ideal, Offload, Params, Reading, Workload, mix};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, RwLock};

/// Salt so a contention task's checksum is its own.
const SALT: u64 = 0x5EED_0000_0000_0060;

/// Shards of the `sharded` counter: threads take them in turn.
const SHARDS: usize = 64;

super::choice! {
    /// How the tasks synchronise their updates of the shared counter (`--sync`).
    pub enum Sync("--sync") {
        /// `std::sync::Mutex`.
        Mutex = "mutex",
        /// `parking_lot::Mutex`.
        ParkingLot = "parking-lot",
        /// `std::sync::RwLock`, every update a writer.
        Rwlock = "rwlock",
        /// `AtomicU64::fetch_add`.
        Atomic = "atomic",
        /// A counter per thread, summed after the batch.
        Sharded = "sharded",
        /// Load, yield, store: no synchronisation at all (loses updates).
        Racy = "racy",
    }
}

/// Every task adds 1 to one shared counter `updates` times under `sync`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contention {
    /// The primitive.
    pub sync: Sync,
    /// Updates per task.
    pub updates: u64,
}

/// A counter on a cache line of its own.
#[repr(align(128))]
struct Padded(AtomicU64);

/// The counters every task of a batch shares, one per primitive.
struct Counters {
    mutex: Mutex<u64>,
    parking_lot: parking_lot::Mutex<u64>,
    rwlock: RwLock<u64>,
    atomic: Padded,
    racy: Padded,
    shards: [Padded; SHARDS],
}

static COUNTERS: Counters = Counters {
    mutex: Mutex::new(0),
    parking_lot: parking_lot::const_mutex(0),
    rwlock: RwLock::new(0),
    atomic: Padded(AtomicU64::new(0)),
    racy: Padded(AtomicU64::new(0)),
    shards: [const { Padded(AtomicU64::new(0)) }; SHARDS],
};

/// The next shard a thread takes.
static NEXT_SHARD: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's shard of the `sharded` counter.
    static SHARD: usize = NEXT_SHARD.fetch_add(1, Ordering::Relaxed) % SHARDS;
}

impl Contention {
    /// `updates` per task under `sync`.
    pub fn new(sync: Sync, updates: u64) -> Self {
        Contention { sync, updates }
    }

    /// Does one task's updates.
    fn update(&self) {
        let c = &COUNTERS;
        match self.sync {
            Sync::Mutex => {
                for _ in 0..self.updates {
                    *c.mutex.lock().unwrap_or_else(|e| e.into_inner()) += 1;
                }
            }
            Sync::ParkingLot => {
                for _ in 0..self.updates {
                    *c.parking_lot.lock() += 1;
                }
            }
            Sync::Rwlock => {
                for _ in 0..self.updates {
                    *c.rwlock.write().unwrap_or_else(|e| e.into_inner()) += 1;
                }
            }
            Sync::Atomic => {
                for _ in 0..self.updates {
                    c.atomic.0.fetch_add(1, Ordering::Relaxed);
                }
            }
            Sync::Sharded => {
                let shard = &c.shards[SHARD.with(|s| *s)].0;
                for _ in 0..self.updates {
                    shard.fetch_add(1, Ordering::Relaxed);
                }
            }
            Sync::Racy => {
                for _ in 0..self.updates {
                    // The lesson's read, sleep, write: another thread may update in between,
                    // and its update is lost.
                    let v = c.racy.0.load(Ordering::Relaxed);
                    std::thread::yield_now();
                    c.racy.0.store(v + 1, Ordering::Relaxed);
                }
            }
        }
    }

    /// The counter's value now.
    fn total(&self) -> u64 {
        let c = &COUNTERS;
        match self.sync {
            Sync::Mutex => *c.mutex.lock().unwrap_or_else(|e| e.into_inner()),
            Sync::ParkingLot => *c.parking_lot.lock(),
            Sync::Rwlock => *c.rwlock.read().unwrap_or_else(|e| e.into_inner()),
            Sync::Atomic => c.atomic.0.load(Ordering::SeqCst),
            Sync::Sharded => c.shards.iter().map(|s| s.0.load(Ordering::SeqCst)).sum(),
            Sync::Racy => c.racy.0.load(Ordering::SeqCst),
        }
    }

    fn reset(&self) {
        let c = &COUNTERS;
        match self.sync {
            Sync::Mutex => *c.mutex.lock().unwrap_or_else(|e| e.into_inner()) = 0,
            Sync::ParkingLot => *c.parking_lot.lock() = 0,
            Sync::Rwlock => *c.rwlock.write().unwrap_or_else(|e| e.into_inner()) = 0,
            Sync::Atomic => c.atomic.0.store(0, Ordering::SeqCst),
            Sync::Sharded => c.shards.iter().for_each(|s| s.0.store(0, Ordering::SeqCst)),
            Sync::Racy => c.racy.0.store(0, Ordering::SeqCst),
        }
    }
}

impl Workload for Contention {
    fn run_task(&self, task: u64) -> u64 {
        self.update();
        self.expected_checksum(task)
    }

    fn expected_checksum(&self, task: u64) -> u64 {
        mix(task ^ SALT)
    }

    /// The updates are compute: inline on the runtime's thread, or on its blocking pool.
    fn run_async(&self, task: u64, compute: Offload) -> AsyncTask {
        let w = *self;
        compute(Box::new(move || w.run_task(task)))
    }

    fn computes(&self) -> bool {
        true
    }

    fn check(&self) -> Result<(), String> {
        if self.updates == 0 {
            return Err("--updates must be at least 1".into());
        }
        Ok(())
    }

    fn set(&mut self, params: &Params) {
        if let Some(s) = params.sync {
            self.sync = s;
        }
        if let Some(u) = params.updates {
            self.updates = u;
        }
    }

    fn shares_memory(&self) -> bool {
        true
    }

    fn prepare(&self, _tasks: u64) -> crate::Result<()> {
        self.reset();
        Ok(())
    }

    fn verify_batch(&self, tasks: u64) -> Result<Option<[u64; 2]>, String> {
        let expected = tasks.saturating_mul(self.updates);
        let got = self.total();
        let lost = expected.saturating_sub(got);
        match self.sync {
            Sync::Racy => Ok(Some([lost, expected])),
            _ if got == expected => Ok(None),
            s => Err(format!(
                "the shared counter under --sync {s} ended at {got}, not {expected}: {lost} updates lost"
            )),
        }
    }
}

impl Builtin for Contention {
    /// A mutex at 20 000 updates per task, twice the largest N tasks (at least 16).
    fn sized(max_workers: u64, _batch_ms: u64) -> (Self, u64) {
        (
            Contention::new(Sync::Mutex, 20_000),
            16u64.max(2 * max_workers),
        )
    }
}

impl Reading for Contention {
    fn describe(&self, tasks: u64) -> String {
        format!(
            "{tasks} tasks × {} updates of one counter (--sync {})",
            self.updates, self.sync
        )
    }
    /// Only the sharded counter shares nothing: the cores bound it. The others' bound is what
    /// the run shows.
    fn ideal(&self, b: &Batch) -> Ideal {
        match self.sync {
            Sync::Sharded => Ideal {
                time_s: None,
                speedup: Some(b.computes as f64),
            },
            _ => Ideal::default(),
        }
    }
    fn column(&self) -> Column {
        Column::IdealSpeedup
    }
    fn title(&self) -> String {
        format!("Contention (--sync {})", self.sync)
    }
    fn still_growing(&self, _logical_cores: usize) -> String {
        "so the counter is not the bottleneck yet".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The statics are shared: the tests that use them take turns.
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn batch(w: Contention, tasks: u64, threads: usize) -> Result<Option<[u64; 2]>, String> {
        w.prepare(8).unwrap();
        let next = AtomicU64::new(0);
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| {
                    loop {
                        let t = next.fetch_add(1, Ordering::Relaxed);
                        if t >= tasks {
                            break;
                        }
                        w.run_task(t);
                    }
                });
            }
        });
        w.verify_batch(tasks)
    }

    #[test]
    fn every_primitive_but_racy_is_exact_and_racy_loses_updates() {
        let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        for &sync in Sync::ALL {
            let w = Contention::new(sync, 2_000);
            let got = batch(w, 8, 4);
            if sync == Sync::Racy {
                // Four threads yielding between load and store: some updates are lost.
                let [lost, of] = got.unwrap().unwrap();
                assert_eq!(of, 16_000);
                assert!(lost > 0 && lost < of, "{lost}");
            } else {
                assert_eq!(got, Ok(None), "{sync}");
            }
        }
        // One thread cannot race with itself.
        assert_eq!(
            batch(Contention::new(Sync::Racy, 500), 4, 1),
            Ok(Some([0, 2_000]))
        );
    }

    #[test]
    fn a_counter_left_wrong_fails_naming_the_primitive() {
        let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let w = Contention::new(Sync::Atomic, 10);
        w.prepare(8).unwrap();
        w.run_task(0);
        let e = w.verify_batch(2).unwrap_err();
        assert!(e.contains("--sync atomic ended at 10, not 20: 10 updates lost"), "{e}");
        assert_eq!("sharded".parse::<Sync>(), Ok(Sync::Sharded));
        assert!("spin".parse::<Sync>().unwrap_err().contains("'spin'"));
    }
}
