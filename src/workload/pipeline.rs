//! The lesson's producer/consumer (`pipeline`): P producers put `--items` items into one bounded
//! queue (`--queue std|crossbeam|tokio`, `--capacity`), C consumers take them out and do each
//! item's work (`--item-us` of the multiply loop, calibrated on the measuring machine; 0: the
//! queue alone). The tasks of a batch are these roles, one per worker: a cell of N runs N tasks
//! ([`Workload::one_task_per_worker`]), `--producers` of them producers (at most N − 1) and the
//! rest consumers; with N = 1 the one task is both, putting each item in and taking it out again.
//!
//! Shutdown is the lesson's two ways (`--shutdown`): `sentinel`, the last producer to finish puts
//! one end marker per consumer; `close`, every producer drops its end of the queue and the
//! consumers see it closed once it is empty (the joinable queue). Either way every item must
//! arrive exactly once: each consumer sums its items' checksums and counts them, and after the
//! batch the count must be `--items` and the sum the one computed once, untimed, by doing every
//! item's work in turn ([`Workload::verify_batch`]), or the cell fails.
//!
//! The queues: std's `sync_channel` (its receiver shared behind a lock, as in the Rust book's
//! thread pool; std has no send with a timeout, so a producer facing a full std queue yields
//! and tries again 100 times, then every 50 µs), crossbeam's bounded channel (many receivers, timed sends and receives), tokio's
//! bounded `mpsc` (one receiver, shared behind tokio's lock; threads wait on it through a
//! runtime of their own). Under the async models a tokio queue's roles are futures; a std or
//! crossbeam role, which blocks, runs as one piece of compute (a runtime worker or, with
//! `async-blocking`, a blocking thread).
//!
//! Measured besides the wall time: how long producers waited on a full queue and consumers on an
//! empty one, as a share of their time ([`Workload::take_queue_use`]). Every wait is bounded by
//! the task timeout and notices within 20 ms when another role has failed; a role that waits
//! too long fails the cell. The process models cannot share the queue: the runner skips them.

use super::{
    AsyncTask, Batch, Builtin, Column, Ideal, MultiplyLoop, Offload, Params, QueueUse, Reading,
    TaskHooks, Workload, mix,
};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use crate::interrupt::Deadline;
use std::time::{Duration, Instant};

/// Salt so a role's checksum is its own.
const SALT: u64 = 0x5EED_0000_0000_0090;
/// Salt of an item's own checksum.
const ITEM_SALT: u64 = 0x5EED_0000_0000_00A0;
/// The end marker of `--shutdown sentinel` (items are numbered below it).
const SENTINEL: u64 = u64::MAX;
/// The most items a batch may carry.
pub const MAX_ITEMS: u64 = 100_000_000;
/// The longest a wait goes without checking whether another role failed.
const SLICE: Duration = Duration::from_millis(20);
/// A producer facing a full std queue yields and tries again this many times, then sleeps
/// [`STD_RETRY`] between tries.
const STD_YIELDS: u32 = 100;
/// How long a producer facing a full std queue sleeps between tries after its yields.
const STD_RETRY: Duration = Duration::from_micros(50);

super::choice! {
    /// The bounded queue between producers and consumers (`--queue`).
    pub enum Queue("--queue") {
        /// `std::sync::mpsc::sync_channel`.
        Std = "std",
        /// `crossbeam_channel::bounded`.
        Crossbeam = "crossbeam",
        /// `tokio::sync::mpsc::channel`.
        Tokio = "tokio",
    }
}

super::choice! {
    /// How the consumers learn that no more items come (`--shutdown`).
    pub enum Shutdown("--shutdown") {
        /// The last producer puts one end marker per consumer.
        Sentinel = "sentinel",
        /// The producers close the queue; consumers stop once it is empty.
        Close = "close",
    }
}

/// P producers and C consumers over a bounded queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pipeline {
    /// The queue.
    pub queue: Queue,
    /// Items the queue holds at most.
    pub capacity: u64,
    /// Items per batch.
    pub items: u64,
    /// The work of one item, microseconds.
    pub item_us: u64,
    /// Producers, at most N − 1 in a cell of N.
    pub producers: u64,
    /// How consumers learn that the items are done.
    pub shutdown: Shutdown,
    /// Multiply steps per item, calibrated from `item_us` on the measuring machine; `None`
    /// until calibrated.
    #[serde(default)]
    pub steps: Option<u64>,
}

/// What a task is in a batch of `roles` tasks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// The only task: puts each item in and takes it out.
    Solo,
    /// Producer `p` of `of`: items p, p + of, p + 2·of, …
    Producer { p: u64, of: u64 },
    /// Takes items until the end.
    Consumer,
}

/// One end of the queue a producer holds.
#[derive(Clone)]
enum Tx {
    Std(mpsc::SyncSender<u64>),
    Crossbeam(crossbeam_channel::Sender<u64>),
    Tokio(tokio::sync::mpsc::Sender<u64>),
}

/// The receiving end, shared by the consumers.
enum Rx {
    Std(parking_lot::Mutex<mpsc::Receiver<u64>>),
    Crossbeam(crossbeam_channel::Receiver<u64>),
    Tokio(tokio::sync::Mutex<tokio::sync::mpsc::Receiver<u64>>),
}

/// A batch: its queue, what came out of it, and how long roles waited.
struct Run {
    roles: u64,
    /// The producers' end until every producer has taken its own; then dropped, so the queue
    /// closes when the last producer drops its own.
    tx: Mutex<Option<Tx>>,
    rx: Rx,
    /// Producers that have not taken their end yet, and that have not finished.
    to_take: AtomicU64,
    producing: AtomicU64,
    /// Items taken out, and the sum of their checksums.
    count: AtomicU64,
    sum: AtomicU64,
    /// Nanoseconds producers waited on a full queue and were alive; the same for consumers
    /// and an empty queue.
    full_ns: AtomicU64,
    producer_ns: AtomicU64,
    empty_ns: AtomicU64,
    consumer_ns: AtomicU64,
    /// A role failed: the others stop.
    failed: AtomicBool,
    /// How long one wait may last.
    wait: Duration,
}

/// The current batch, made by [`Workload::prepare`].
static RUN: Mutex<Option<Arc<Run>>> = Mutex::new(None);
/// The task timeout, nanoseconds.
static WAIT: super::WaitLimit = super::WaitLimit::new();
/// The sum every batch's item checksums must reach, for (items, steps): computed once.
static EXPECTED: Mutex<Option<(u64, u64, u64)>> = Mutex::new(None);

/// Why a role stopped early.
enum Stop {
    /// It waited the task timeout: for room in the queue, or for an item.
    TooLong(&'static str),
    /// Another role failed.
    Other,
    /// The queue closed under a producer.
    Closed,
}

impl Stop {
    fn words(&self, wait: Duration) -> String {
        match self {
            Stop::TooLong(what) => format!(
                "waited {:.1} s (the task timeout) for {what}",
                wait.as_secs_f64()
            ),
            Stop::Other => "stopped: another producer or consumer failed".into(),
            Stop::Closed => "the queue closed before every item was put in".into(),
        }
    }
}

/// Adds `d` to a nanosecond counter.
fn add(counter: &AtomicU64, d: Duration) {
    counter.fetch_add(d.as_nanos() as u64, Ordering::Relaxed);
}

impl Run {
    /// The next slice of a wait with `deadline`, or why it must not go on.
    fn check(&self, deadline: &Deadline, what: &'static str) -> Result<Duration, Stop> {
        if self.failed.load(Ordering::Relaxed) {
            return Err(Stop::Other);
        }
        let left = deadline.left();
        if left.is_zero() && deadline.expired() {
            return Err(Stop::TooLong(what));
        }
        Ok(deadline.left().min(SLICE))
    }

    /// The producers' end of the queue, for one producer.
    fn take_tx(&self) -> Option<Tx> {
        let mut slot = self.tx.lock().unwrap_or_else(|e| e.into_inner());
        let tx = slot.clone();
        if self.to_take.fetch_sub(1, Ordering::SeqCst) == 1 {
            *slot = None;
        }
        tx
    }

    /// Puts `item` in from a thread, waiting while the queue is full.
    fn put(&self, tx: &Tx, item: u64, full: &mut Duration) -> Result<(), Stop> {
        // The common case first: room in the queue, no waiting.
        let item = match tx {
            Tx::Std(s) => match s.try_send(item) {
                Err(mpsc::TrySendError::Full(i)) => i,
                r => return r.map_err(|_| Stop::Closed),
            },
            Tx::Crossbeam(s) => match s.try_send(item) {
                Err(crossbeam_channel::TrySendError::Full(i)) => i,
                r => return r.map_err(|_| Stop::Closed),
            },
            Tx::Tokio(s) => match s.try_send(item) {
                Err(tokio::sync::mpsc::error::TrySendError::Full(i)) => i,
                r => return r.map_err(|_| Stop::Closed),
            },
        };
        let t0 = Instant::now();
        let deadline = Deadline::after(self.wait);
        let mut tries = 0u32;
        let r = loop {
            let slice = match self.check(&deadline, "room in the queue") {
                Ok(s) => s,
                Err(e) => break Err(e),
            };
            match tx {
                Tx::Std(s) => match s.try_send(item) {
                    Err(mpsc::TrySendError::Full(_)) if tries < STD_YIELDS => {
                        tries += 1;
                        std::thread::yield_now();
                    }
                    Err(mpsc::TrySendError::Full(_)) => std::thread::sleep(STD_RETRY),
                    r => break r.map_err(|_| Stop::Closed),
                },
                Tx::Crossbeam(s) => match s.send_timeout(item, slice) {
                    Err(crossbeam_channel::SendTimeoutError::Timeout(_)) => {}
                    r => break r.map_err(|_| Stop::Closed),
                },
                Tx::Tokio(s) => {
                    // The timer is made inside the runtime.
                    let sent = async { tokio::time::timeout(slice, s.send(item)).await };
                    if let Ok(r) = super::user::block_on(sent) {
                        break r.map_err(|_| Stop::Closed);
                    }
                }
            }
        };
        *full += t0.elapsed();
        r
    }

    /// Takes an item out from a thread, waiting while the queue is empty; `None`: closed.
    fn take(&self, empty: &mut Duration) -> Result<Option<u64>, Stop> {
        let immediate = match &self.rx {
            Rx::Std(r) => r.try_lock().map(|r| r.try_recv()),
            Rx::Crossbeam(r) => Some(r.try_recv().map_err(|e| match e {
                crossbeam_channel::TryRecvError::Empty => mpsc::TryRecvError::Empty,
                crossbeam_channel::TryRecvError::Disconnected => mpsc::TryRecvError::Disconnected,
            })),
            Rx::Tokio(r) => r.try_lock().ok().map(|mut r| {
                r.try_recv().map_err(|e| match e {
                    tokio::sync::mpsc::error::TryRecvError::Empty => mpsc::TryRecvError::Empty,
                    _ => mpsc::TryRecvError::Disconnected,
                })
            }),
        };
        match immediate {
            Some(Ok(i)) => return Ok(Some(i)),
            Some(Err(mpsc::TryRecvError::Disconnected)) => return Ok(None),
            _ => {}
        }
        let t0 = Instant::now();
        let deadline = Deadline::after(self.wait);
        let r = loop {
            let slice = match self.check(&deadline, "an item") {
                Ok(s) => s,
                Err(e) => break Err(e),
            };
            match &self.rx {
                Rx::Std(r) => {
                    let Some(r) = r.try_lock_for(slice) else {
                        continue;
                    };
                    match r.recv_timeout(slice) {
                        Ok(i) => break Ok(Some(i)),
                        Err(mpsc::RecvTimeoutError::Disconnected) => break Ok(None),
                        Err(mpsc::RecvTimeoutError::Timeout) => {}
                    }
                }
                Rx::Crossbeam(r) => match r.recv_timeout(slice) {
                    Ok(i) => break Ok(Some(i)),
                    Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break Ok(None),
                    Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
                },
                Rx::Tokio(r) => {
                    let got = super::user::block_on(async {
                        tokio::time::timeout(slice, async { r.lock().await.recv().await }).await
                    });
                    if let Ok(i) = got {
                        break Ok(i);
                    }
                }
            }
        };
        *empty += t0.elapsed();
        r
    }
}

fn current() -> Option<Arc<Run>> {
    RUN.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

impl Pipeline {
    /// `items` items of `item_us` each through a `queue` of `capacity`, 1 producer, shut down
    /// by sentinels.
    pub fn new(queue: Queue, capacity: u64, items: u64, item_us: u64) -> Self {
        Pipeline {
            queue,
            capacity,
            items,
            item_us,
            producers: 1,
            shutdown: Shutdown::Sentinel,
            steps: None,
        }
    }

    fn work(&self) -> MultiplyLoop {
        MultiplyLoop::new(self.steps.unwrap_or(0))
    }

    /// Item `item`'s checksum: its work, and its number.
    fn item_checksum(work: u64, item: u64) -> u64 {
        mix(item ^ ITEM_SALT).wrapping_add(work)
    }

    /// The producers in a cell of `roles` tasks.
    fn producers_in(&self, roles: u64) -> u64 {
        self.producers.clamp(1, roles.saturating_sub(1).max(1))
    }

    fn role(&self, task: u64, roles: u64) -> Role {
        let of = self.producers_in(roles);
        match task {
            _ if roles <= 1 => Role::Solo,
            p if p < of => Role::Producer { p, of },
            _ => Role::Consumer,
        }
    }

    fn end_markers(&self, run: &Run) -> u64 {
        match self.shutdown {
            Shutdown::Sentinel => run.roles - self.producers_in(run.roles),
            Shutdown::Close => 0,
        }
    }

    /// One role on this thread.
    fn run_role(&self, task: u64, hooks: &mut dyn TaskHooks) -> u64 {
        let Some(run) = current() else {
            return self.fail(task, "the queue was not made before the batch".into(), None);
        };
        let t0 = Instant::now();
        let (mut full, mut empty) = (Duration::ZERO, Duration::ZERO);
        let role = self.role(task, run.roles);
        let r = match role {
            Role::Producer { p, of } => self.produce(&run, p, of, hooks, &mut full),
            Role::Consumer => self.consume(&run, hooks, &mut empty),
            Role::Solo => self.solo(&run, hooks),
        };
        let alive = t0.elapsed();
        match role {
            Role::Producer { .. } => (add(&run.full_ns, full), add(&run.producer_ns, alive)),
            Role::Consumer => (add(&run.empty_ns, empty), add(&run.consumer_ns, alive)),
            Role::Solo => ((), ()),
        };
        match r {
            Ok(()) => self.expected_checksum(task),
            Err(stop) => self.fail(task, stop.words(run.wait), Some(&run)),
        }
    }

    /// Records the first failure of a batch (the roles stopped by it only follow).
    fn fail(&self, task: u64, message: String, run: Option<&Run>) -> u64 {
        super::user::record_failure("pipeline", task, &message, false);
        if let Some(run) = run {
            run.failed.store(true, Ordering::SeqCst);
        }
        super::user::PANICKED
    }

    /// Waits on a blocking queue operation with the hooks told (the gil model lets go).
    fn blocking<T>(hooks: &mut dyn TaskHooks, f: impl FnOnce() -> T) -> T {
        hooks.blocking_begin();
        let v = f();
        hooks.blocking_end();
        v
    }

    fn produce(
        &self,
        run: &Run,
        p: u64,
        of: u64,
        hooks: &mut dyn TaskHooks,
        full: &mut Duration,
    ) -> Result<(), Stop> {
        let tx = run.take_tx().ok_or(Stop::Closed)?;
        let r = (p..self.items)
            .step_by(of as usize)
            .try_for_each(|i| Self::blocking(hooks, || run.put(&tx, i, full)));
        // The last producer to finish puts the end markers.
        let last = run.producing.fetch_sub(1, Ordering::SeqCst) == 1;
        r?;
        if last {
            for _ in 0..self.end_markers(run) {
                Self::blocking(hooks, || run.put(&tx, SENTINEL, full))?;
            }
        }
        Ok(())
    }

    fn consume(
        &self,
        run: &Run,
        hooks: &mut dyn TaskHooks,
        empty: &mut Duration,
    ) -> Result<(), Stop> {
        let work = self.work();
        let (mut count, mut sum) = (0u64, 0u64);
        let r = loop {
            match Self::blocking(hooks, || run.take(empty)) {
                Ok(Some(SENTINEL)) | Ok(None) => break Ok(()),
                Ok(Some(i)) => {
                    count += 1;
                    sum = sum.wrapping_add(Self::item_checksum(work.run_chunked(i, hooks), i));
                }
                Err(e) => break Err(e),
            }
        };
        run.count.fetch_add(count, Ordering::Relaxed);
        run.sum.fetch_add(sum, Ordering::Relaxed);
        r
    }

    /// Both ends on one thread: each item in, and out again.
    fn solo(&self, run: &Run, hooks: &mut dyn TaskHooks) -> Result<(), Stop> {
        let tx = run.take_tx().ok_or(Stop::Closed)?;
        let work = self.work();
        let (mut count, mut sum, mut waited) = (0u64, 0u64, Duration::ZERO);
        for i in 0..self.items {
            run.put(&tx, i, &mut waited)?;
            if let Some(i) = run.take(&mut waited)? {
                count += 1;
                sum = sum.wrapping_add(Self::item_checksum(work.run_chunked(i, hooks), i));
            }
        }
        run.count.fetch_add(count, Ordering::Relaxed);
        run.sum.fetch_add(sum, Ordering::Relaxed);
        Ok(())
    }

    /// The sum of every item's checksum, doing every item's work once (cached).
    fn expected_sum(&self) -> u64 {
        let steps = self.steps.unwrap_or(0);
        let mut cache = EXPECTED.lock().unwrap_or_else(|e| e.into_inner());
        match *cache {
            Some((items, s, sum)) if items == self.items && s == steps => sum,
            _ => {
                let work = self.work();
                let sum = (0..self.items).fold(0u64, |a, i| {
                    a.wrapping_add(Self::item_checksum(work.run_task(i), i))
                });
                *cache = Some((self.items, steps, sum));
                sum
            }
        }
    }
}

/// The async roles of a tokio queue.
mod futures {
    use super::*;
    use tokio::sync::mpsc::error::TrySendError;

    /// Waits up to the task timeout, in slices that notice another role's failure.
    async fn bounded<T, F: std::future::Future<Output = T>>(
        run: &Run,
        what: &'static str,
        mut make: impl FnMut() -> F,
        waited: &mut Duration,
    ) -> Result<T, Stop> {
        let t0 = Instant::now();
        let deadline = Deadline::after(run.wait);
        let r = loop {
            let slice = match run.check(&deadline, what) {
                Ok(s) => s,
                Err(e) => break Err(e),
            };
            if let Ok(v) = tokio::time::timeout(slice, make()).await {
                break Ok(v);
            }
        };
        *waited += t0.elapsed();
        r
    }

    async fn put(
        run: &Run,
        tx: &tokio::sync::mpsc::Sender<u64>,
        item: u64,
        full: &mut Duration,
    ) -> Result<(), Stop> {
        match tx.try_send(item) {
            Ok(()) => Ok(()),
            Err(TrySendError::Closed(_)) => Err(Stop::Closed),
            Err(TrySendError::Full(_)) => bounded(run, "room in the queue", move || tx.send(item), full)
                .await?
                .map_err(|_| Stop::Closed),
        }
    }

    async fn take(run: &Run, empty: &mut Duration) -> Result<Option<u64>, Stop> {
        let Rx::Tokio(rx) = &run.rx else {
            unreachable!("a tokio role on a tokio queue")
        };
        if let Ok(mut r) = rx.try_lock() {
            match r.try_recv() {
                Ok(i) => return Ok(Some(i)),
                Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => return Ok(None),
                Err(tokio::sync::mpsc::error::TryRecvError::Empty) => {}
            }
        }
        bounded(
            run,
            "an item",
            move || async move { rx.lock().await.recv().await },
            empty,
        )
        .await
    }

    /// One role as a future; item work through `compute`.
    pub(super) async fn role(w: Pipeline, task: u64, compute: Offload) -> crate::Result<u64> {
        let Some(run) = current() else {
            return Ok(w.fail(task, "the queue was not made before the batch".into(), None));
        };
        let t0 = Instant::now();
        let (mut full, mut empty) = (Duration::ZERO, Duration::ZERO);
        let role = w.role(task, run.roles);
        let steps = w.steps.unwrap_or(0);
        let r: Result<(), Stop> = async {
            let work = |i: u64| {
                compute(Box::new(move || {
                    Pipeline::item_checksum(MultiplyLoop::new(steps).run_task(i), i)
                }))
            };
            let tx = match role {
                Role::Consumer => None,
                _ => match run.take_tx() {
                    Some(Tx::Tokio(tx)) => Some(tx),
                    _ => return Err(Stop::Closed),
                },
            };
            let (mut count, mut sum) = (0u64, 0u64);
            let mut r = Ok(());
            match (role, &tx) {
                (Role::Producer { p, of }, Some(tx)) => {
                    for i in (p..w.items).step_by(of as usize) {
                        r = put(&run, tx, i, &mut full).await;
                        if r.is_err() {
                            break;
                        }
                    }
                    let last = run.producing.fetch_sub(1, Ordering::SeqCst) == 1;
                    if r.is_ok() && last {
                        for _ in 0..w.end_markers(&run) {
                            put(&run, tx, SENTINEL, &mut full).await?;
                        }
                    }
                }
                (Role::Consumer, _) => loop {
                    match take(&run, &mut empty).await {
                        Ok(Some(SENTINEL)) | Ok(None) => break,
                        Ok(Some(i)) => {
                            let c = work(i).await.map_err(|_| Stop::Other)?;
                            count += 1;
                            sum = sum.wrapping_add(c);
                        }
                        Err(e) => {
                            r = Err(e);
                            break;
                        }
                    }
                },
                (_, Some(tx)) => {
                    let mut waited = Duration::ZERO;
                    for i in 0..w.items {
                        put(&run, tx, i, &mut waited).await?;
                        if let Some(i) = take(&run, &mut waited).await? {
                            count += 1;
                            sum = sum.wrapping_add(work(i).await.map_err(|_| Stop::Other)?);
                        }
                    }
                }
                _ => unreachable!("producers hold a sender"),
            }
            run.count.fetch_add(count, Ordering::Relaxed);
            run.sum.fetch_add(sum, Ordering::Relaxed);
            r
        }
        .await;
        let alive = t0.elapsed();
        match role {
            Role::Producer { .. } => (add(&run.full_ns, full), add(&run.producer_ns, alive)),
            Role::Consumer => (add(&run.empty_ns, empty), add(&run.consumer_ns, alive)),
            Role::Solo => ((), ()),
        };
        Ok(match r {
            Ok(()) => w.expected_checksum(task),
            Err(stop) => w.fail(task, stop.words(run.wait), Some(&run)),
        })
    }
}

impl Workload for Pipeline {
    fn run_task(&self, task: u64) -> u64 {
        self.run_role(task, &mut super::NoHooks)
    }

    /// A role's checksum only proves it ran to the end; the items are checked after the batch.
    fn expected_checksum(&self, task: u64) -> u64 {
        mix(task ^ SALT)
    }

    /// Queue waits between `blocking_begin` and `blocking_end`, item work in chunks.
    fn run_hooked(&self, task: u64, hooks: &mut dyn TaskHooks) -> u64 {
        self.run_role(task, hooks)
    }

    fn run_async(&self, task: u64, compute: Offload) -> AsyncTask {
        let w = *self;
        match self.queue {
            Queue::Tokio => Box::pin(futures::role(w, task, compute)),
            // A blocking queue blocks its thread: the role is one piece of compute.
            Queue::Std | Queue::Crossbeam => compute(Box::new(move || w.run_task(task))),
        }
    }

    fn computes(&self) -> bool {
        false
    }

    /// A role can last the whole batch (with N = 1 it does): the items' work.
    fn nominal_task_s(&self) -> Option<f64> {
        Some(self.items as f64 * self.item_us as f64 / 1e6)
    }

    fn check(&self) -> Result<(), String> {
        if self.capacity == 0 {
            return Err("--capacity must be at least 1".into());
        }
        if self.capacity > 1 << 24 {
            return Err(format!(
                "--capacity {} is too large (at most {})",
                self.capacity,
                1u64 << 24
            ));
        }
        if self.items == 0 || self.items > MAX_ITEMS {
            return Err(format!(
                "--items must be from 1 to {MAX_ITEMS}, not {}",
                self.items
            ));
        }
        if self.producers == 0 {
            return Err("--producers must be at least 1".into());
        }
        if self.item_us > 10_000_000 {
            return Err(format!(
                "--item-us {} is more than 10 s of work per item",
                self.item_us
            ));
        }
        Ok(())
    }

    /// A new `--item-us` is calibrated again.
    fn set(&mut self, p: &Params) {
        if let Some(q) = p.queue {
            self.queue = q;
        }
        if let Some(c) = p.capacity {
            self.capacity = c;
        }
        if let Some(i) = p.items {
            self.items = i;
        }
        if let Some(us) = p.item_us {
            (self.item_us, self.steps) = (us, None);
        }
        if let Some(n) = p.producers {
            self.producers = n;
        }
        if let Some(s) = p.shutdown {
            self.shutdown = s;
        }
    }

    fn calibrate(&mut self, ns_per_step: &mut dyn FnMut() -> f64) -> bool {
        if self.steps.is_some() {
            return false;
        }
        self.steps = Some(match self.item_us {
            0 => 0,
            us => ((us as f64 * 1e3 / ns_per_step()).round() as u64).max(1),
        });
        true
    }

    fn shares_memory(&self) -> bool {
        true
    }

    fn one_task_per_worker(&self) -> bool {
        true
    }

    fn set_task_timeout(&self, timeout: Duration) {
        WAIT.set(timeout);
    }

    fn prepare(&self, tasks: u64) -> crate::Result<()> {
        self.expected_sum();
        let cap = self.capacity as usize;
        let (tx, rx) = match self.queue {
            Queue::Std => {
                let (tx, rx) = mpsc::sync_channel(cap);
                (Tx::Std(tx), Rx::Std(parking_lot::Mutex::new(rx)))
            }
            Queue::Crossbeam => {
                let (tx, rx) = crossbeam_channel::bounded(cap);
                (Tx::Crossbeam(tx), Rx::Crossbeam(rx))
            }
            Queue::Tokio => {
                let (tx, rx) = tokio::sync::mpsc::channel(cap);
                (Tx::Tokio(tx), Rx::Tokio(tokio::sync::Mutex::new(rx)))
            }
        };
        let producers = if tasks <= 1 {
            1
        } else {
            self.producers_in(tasks)
        };
        *RUN.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(Run {
            roles: tasks,
            tx: Mutex::new(Some(tx)),
            rx,
            to_take: AtomicU64::new(producers),
            producing: AtomicU64::new(producers),
            count: AtomicU64::new(0),
            sum: AtomicU64::new(0),
            full_ns: AtomicU64::new(0),
            producer_ns: AtomicU64::new(0),
            empty_ns: AtomicU64::new(0),
            consumer_ns: AtomicU64::new(0),
            failed: AtomicBool::new(false),
            wait: WAIT.get(),
        }));
        Ok(())
    }

    fn verify_batch(&self, _tasks: u64) -> Result<Option<[u64; 2]>, String> {
        let Some(run) = current() else {
            return Err("the queue was not made before the batch".into());
        };
        let count = run.count.load(Ordering::SeqCst);
        if count != self.items {
            return Err(format!(
                "{count} items came out of the queue, not the {} put in",
                self.items
            ));
        }
        if run.sum.load(Ordering::SeqCst) != self.expected_sum() {
            return Err(format!(
                "the {count} items that came out are not the ones put in (their checksums differ)"
            ));
        }
        Ok(None)
    }

    fn take_queue_use(&self) -> Option<QueueUse> {
        let run = current()?;
        let share = |waited: &AtomicU64, alive: &AtomicU64| {
            let alive = alive.load(Ordering::SeqCst);
            (alive > 0).then(|| waited.load(Ordering::SeqCst) as f64 / alive as f64)
        };
        Some(QueueUse {
            items: self.items,
            full_share: share(&run.full_ns, &run.producer_ns),
            empty_share: share(&run.empty_ns, &run.consumer_ns),
        })
    }
}

impl Builtin for Pipeline {
    /// A crossbeam queue of 64, items of 10 µs, about `batch_ms` of work per batch.
    fn sized(_max_workers: u64, batch_ms: u64) -> (Self, u64) {
        let items = (batch_ms * 100).clamp(1_000, 100_000);
        (Pipeline::new(Queue::Crossbeam, 64, items, 10), 1)
    }
}

impl Reading for Pipeline {
    fn describe(&self, _tasks: u64) -> String {
        let producers = match self.producers {
            1 => "1 producer".to_string(),
            p => format!("{p} producers"),
        };
        format!(
            "{} items × {} µs through a {} queue of {}, {producers} (at most N − 1), shut down by {}",
            self.items, self.item_us, self.queue, self.capacity, self.shutdown
        )
    }
    /// The consumers do the work: at best as many at once as consumers the model lets compute.
    fn ideal(&self, b: &Batch) -> Ideal {
        let consumers = if b.tasks <= 1 {
            1
        } else {
            b.tasks - self.producers_in(b.tasks)
        };
        let at_once = consumers.min(b.computes as u64).max(1) as f64;
        Ideal {
            time_s: Some(self.items as f64 * self.item_us as f64 / 1e6 / at_once),
            speedup: Some(at_once),
        }
    }
    fn column(&self) -> Column {
        Column::IdealSpeedup
    }
    fn title(&self) -> String {
        format!("Pipeline ({} queue)", self.queue)
    }
    fn still_growing(&self, _logical_cores: usize) -> String {
        "so more consumers may help".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The statics are shared: the tests that use them take turns.
    static SERIAL: Mutex<()> = Mutex::new(());

    fn batch(w: Pipeline, roles: u64) -> u64 {
        w.set_task_timeout(Duration::from_secs(5));
        w.prepare(roles).unwrap();
        std::thread::scope(|s| {
            let hs: Vec<_> = (0..roles).map(|t| s.spawn(move || w.run_task(t))).collect();
            hs.into_iter()
                .map(|h| h.join().unwrap())
                .fold(0, super::super::combine)
        })
    }

    #[test]
    fn every_queue_and_shutdown_delivers_every_item_once() {
        let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        for &queue in Queue::ALL {
            for &shutdown in Shutdown::ALL {
                for (roles, producers) in [(1, 1), (2, 1), (5, 2), (4, 9)] {
                    let w = Pipeline {
                        producers,
                        shutdown,
                        steps: Some(50),
                        ..Pipeline::new(queue, 3, 500, 0)
                    };
                    let got = batch(w, roles);
                    let want = (0..roles).fold(0, |a, t| {
                        super::super::combine(a, w.expected_checksum(t))
                    });
                    let what = format!("{queue}/{shutdown} roles={roles} producers={producers}");
                    assert_eq!(got, want, "{what}");
                    assert_eq!(w.verify_batch(roles), Ok(None), "{what}");
                    let q = w.take_queue_use().unwrap();
                    assert_eq!(q.items, 500);
                    if roles > 1 {
                        assert!(q.full_share.is_some() && q.empty_share.is_some(), "{what}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_consumer_without_producers_fails_within_its_timeout() {
        let _turn = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let _ = super::super::user::take_panic();
        let w = Pipeline::new(Queue::Crossbeam, 2, 100, 0);
        w.set_task_timeout(Duration::from_millis(100));
        w.prepare(3).unwrap();
        let t0 = Instant::now();
        // Task 2 is a consumer; no producer ever runs.
        assert_eq!(w.run_task(2), super::super::user::PANICKED);
        assert!(t0.elapsed() >= Duration::from_millis(100));
        assert!(t0.elapsed() < Duration::from_secs(5));
        let p = super::super::user::take_panic().unwrap();
        assert!(p.message.contains("for an item"), "{}", p.message);
        assert!(w.verify_batch(3).unwrap_err().contains("0 items came out"));
        assert!(Pipeline::new(Queue::Std, 0, 1, 0).check().unwrap_err().contains("--capacity"));
        assert!("ring".parse::<Queue>().unwrap_err().contains("--queue 'ring'"));
    }
}
