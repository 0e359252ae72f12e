//! The lesson's locks, shown safely (`parbench lesson deadlock`): the two-lock deadlock, where
//! two threads each hold one lock and wait for the other's; its cure, one lock order; and the
//! re-entrant lock, which the same thread may take twice where a plain mutex would wait on
//! itself for ever. Every wait is `try_lock_for` with a timeout, so a deadlock is seen and
//! reported — which thread held what and waited for what — and the program never hangs.
//!
//! This module runs its own threads and returns what happened as data ([`DeadlockLesson`]); it
//! prints nothing (its `Display` is the binary's to print) and measures nothing for a result file.

use parking_lot::{Mutex, ReentrantMutex};
use std::sync::Barrier;
use std::time::{Duration, Instant};

/// What one thread of the two-lock story did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadStory {
    /// "A" or "B".
    pub name: &'static str,
    /// The lock it took first.
    pub holds: &'static str,
    /// The lock it then waited for.
    pub waits_for: &'static str,
    /// Whether it got the second lock within the timeout.
    pub got_it: bool,
}

/// The whole lesson: the deadlock, the cure and the re-entrant lock.
#[derive(Clone, Debug, PartialEq)]
pub struct DeadlockLesson {
    /// How long each wait was allowed.
    pub timeout: Duration,
    /// Both threads, taking the locks in opposite orders.
    pub opposite_orders: [ThreadStory; 2],
    /// Whether that was a deadlock: neither thread got its second lock.
    pub deadlocked: bool,
    /// The cure: both threads take lock 1, then lock 2, `rounds` times each; the updates made
    /// under both locks, and how long it took.
    pub one_order: (u64, u64, Duration),
    /// A plain mutex taken a second time by the thread that holds it: whether the second take
    /// succeeded within the timeout (it cannot).
    pub plain_twice: bool,
    /// A re-entrant mutex taken twice by one thread: whether it succeeded (it does).
    pub reentrant_twice: bool,
}

/// Runs the lesson, each wait bounded by `timeout`, the cure `rounds` times per thread.
pub fn deadlock(timeout: Duration, rounds: u64) -> DeadlockLesson {
    let (one, two) = (Mutex::new(0u64), Mutex::new(0u64));
    // Both threads take their first lock before either reaches for its second: the deadlock
    // every time, not by chance.
    let both_hold = Barrier::new(2);
    // And neither lets go of its first lock before both have given up waiting: a thread that
    // gave up first must not hand the other its second lock.
    let both_waited = Barrier::new(2);
    let story = |name, first: &Mutex<u64>, second: &Mutex<u64>, holds, waits_for| {
        let _held = first.lock();
        both_hold.wait();
        let got = second.try_lock_for(timeout);
        let got_it = got.is_some();
        both_waited.wait();
        drop(got);
        ThreadStory {
            name,
            holds,
            waits_for,
            got_it,
        }
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| story("A", &one, &two, "lock 1", "lock 2"));
        let b = s.spawn(|| story("B", &two, &one, "lock 2", "lock 1"));
        (
            a.join().expect("thread A does not panic"),
            b.join().expect("thread B does not panic"),
        )
    });
    let deadlocked = !a.got_it && !b.got_it;

    // The cure: one order for everyone.
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                for _ in 0..rounds {
                    let mut x = one
                        .try_lock_for(timeout)
                        .expect("one lock order cannot deadlock");
                    let mut y = two
                        .try_lock_for(timeout)
                        .expect("one lock order cannot deadlock");
                    *x += 1;
                    *y += 1;
                }
            });
        }
    });
    let took = t0.elapsed();
    let updates = (*one.lock()).min(*two.lock());

    // The same thread taking a lock it holds.
    let plain = Mutex::new(());
    let plain_twice = {
        let _first = plain.lock();
        plain.try_lock_for(timeout).is_some()
    };
    let reentrant = ReentrantMutex::new(());
    let reentrant_twice = {
        let _first = reentrant.lock();
        reentrant.try_lock_for(timeout).is_some()
    };
    DeadlockLesson {
        timeout,
        opposite_orders: [a, b],
        deadlocked,
        one_order: (updates, 2 * rounds, took),
        plain_twice,
        reentrant_twice,
    }
}

impl std::fmt::Display for DeadlockLesson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = self.timeout.as_secs_f64() * 1e3;
        writeln!(
            f,
            "1. Two locks taken in opposite orders (every wait bounded by {ms:.0} ms):"
        )?;
        for t in &self.opposite_orders {
            writeln!(
                f,
                "   thread {} holds {} and waits for {}: {}",
                t.name,
                t.holds,
                t.waits_for,
                if t.got_it {
                    "got it".to_string()
                } else {
                    format!("still waiting after {ms:.0} ms, gave up")
                }
            )?;
        }
        if self.deadlocked {
            writeln!(
                f,
                "   DEADLOCK: each thread holds the lock the other waits for; without the timeout both would wait for ever."
            )?;
        } else {
            writeln!(f, "   no deadlock this time (a thread got both locks)")?;
        }
        let (done, planned, took) = self.one_order;
        writeln!(
            f,
            "2. The cure, one lock order (lock 1, then lock 2, in both threads): {done} of {planned} updates under both locks, in {:.1} ms, no wait timed out.",
            took.as_secs_f64() * 1e3
        )?;
        writeln!(
            f,
            "3. A thread taking a lock it already holds: a plain mutex {}; a re-entrant mutex {}.",
            if self.plain_twice {
                "let it in"
            } else {
                "would wait on itself for ever (gave up after the timeout)"
            },
            if self.reentrant_twice {
                "lets it in (it counts the holds and unlocks after the last)"
            } else {
                "refused it"
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opposite_orders_deadlock_one_order_does_not_and_reentrant_locks_reenter() {
        let t0 = Instant::now();
        let l = deadlock(Duration::from_millis(100), 1000);
        assert!(l.deadlocked, "{l}");
        assert!(l.opposite_orders.iter().all(|t| !t.got_it));
        assert_eq!(l.one_order.0, 2000);
        assert!(!l.plain_twice && l.reentrant_twice);
        assert!(t0.elapsed() < Duration::from_secs(5), "never a hang");
        let text = l.to_string();
        assert!(
            text.contains("thread A holds lock 1 and waits for lock 2"),
            "{text}"
        );
        assert!(text.contains("DEADLOCK"), "{text}");
    }
}
