//! Resource usage from the OS: CPU time (user + sys), context switches and peak RSS, for this
//! process and for its reaped children (`getrusage`). On Linux the peak RSS of this process can be
//! reset between samples (`/proc/self/clear_refs`), so each cell gets its own high-water mark.
//! Elsewhere it is the process's lifetime maximum. This module only reads counters; it does not
//! decide what a sample is.

use serde::{Deserialize, Serialize};

/// Counters of one process or a set of processes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// User + system CPU time, seconds.
    pub cpu_s: f64,
    /// Voluntary context switches (the task blocked or yielded).
    pub voluntary_cs: u64,
    /// Involuntary context switches (the scheduler took the CPU away).
    pub involuntary_cs: u64,
    /// Peak resident set size, KiB.
    pub max_rss_kib: u64,
}

impl Usage {
    /// The counters accumulated between `earlier` and `self` (peak RSS is kept, not subtracted).
    pub fn since(&self, earlier: &Usage) -> Usage {
        Usage {
            cpu_s: (self.cpu_s - earlier.cpu_s).max(0.0),
            voluntary_cs: self.voluntary_cs.saturating_sub(earlier.voluntary_cs),
            involuntary_cs: self.involuntary_cs.saturating_sub(earlier.involuntary_cs),
            max_rss_kib: self.max_rss_kib,
        }
    }

    /// Adds the counters of `other`; the peak RSS becomes the larger of the two.
    pub fn add(&mut self, other: &Usage) {
        self.cpu_s += other.cpu_s;
        self.voluntary_cs += other.voluntary_cs;
        self.involuntary_cs += other.involuntary_cs;
        self.max_rss_kib = self.max_rss_kib.max(other.max_rss_kib);
    }
}

/// Which processes to ask about.
#[derive(Clone, Copy, Debug)]
pub enum Who {
    /// This process, all its threads.
    SelfProcess,
    /// This process's children that have been waited for.
    Children,
}

/// Current counters for `who`; zeros where the platform has no `getrusage`.
pub fn usage(who: Who) -> Usage {
    #[cfg(unix)]
    {
        let which = match who {
            Who::SelfProcess => libc::RUSAGE_SELF,
            Who::Children => libc::RUSAGE_CHILDREN,
        };
        // SAFETY: getrusage only writes the struct we pass; all-zero is a valid rusage.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(which, &mut ru) } != 0 {
            return Usage::default();
        }
        let secs = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
        // ru_maxrss is KiB on Linux and bytes on macOS.
        let rss_kib = if cfg!(target_os = "macos") {
            ru.ru_maxrss as u64 / 1024
        } else {
            ru.ru_maxrss as u64
        };
        Usage {
            cpu_s: secs(ru.ru_utime) + secs(ru.ru_stime),
            voluntary_cs: ru.ru_nvcsw as u64,
            involuntary_cs: ru.ru_nivcsw as u64,
            max_rss_kib: rss_kib,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = who;
        Usage::default()
    }
}

/// Resets this process's peak RSS so the next [`current_peak_rss_kib`] covers only what follows.
/// Returns false where that is not possible (then the peak is the lifetime maximum).
pub fn reset_peak_rss() -> bool {
    #[cfg(target_os = "linux")]
    {
        std::fs::write("/proc/self/clear_refs", "5").is_ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

/// The first number after `key` on the line of `/proc` text (`status`, `meminfo`) that starts
/// with it: `proc_field(status, "VmHWM:")` is the peak RSS in KiB.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub(crate) fn proc_field(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(key))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// This process's peak RSS in KiB since start or since the last successful [`reset_peak_rss`].
pub fn current_peak_rss_kib() -> u64 {
    #[cfg(target_os = "linux")]
    {
        if let Ok(status) = std::fs::read_to_string("/proc/self/status")
            && let Some(kib) = proc_field(&status, "VmHWM:")
        {
            return kib;
        }
    }
    usage(Who::SelfProcess).max_rss_kib
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_field_reads_the_first_number_of_its_line() {
        let status = "Name:\tparbench\nUid:\t1000\t1000\t1000\t1000\nVmHWM:\t    5600 kB\n\
                      voluntary_ctxt_switches:\t12\nnonvoluntary_ctxt_switches:\t3\n";
        assert_eq!(proc_field(status, "Uid:"), Some(1000));
        assert_eq!(proc_field(status, "VmHWM:"), Some(5600));
        assert_eq!(proc_field(status, "voluntary_ctxt_switches:"), Some(12));
        assert_eq!(proc_field(status, "nonvoluntary_ctxt_switches:"), Some(3));
        assert_eq!(proc_field(status, "Name:"), None);
        assert_eq!(proc_field(status, "Threads:"), None);
    }
    use std::hint::black_box;

    #[test]
    fn cpu_time_grows_with_work() {
        let before = usage(Who::SelfProcess);
        let mut x = 1u64;
        let start = std::time::Instant::now();
        while start.elapsed() < std::time::Duration::from_millis(30) {
            x = black_box(x.wrapping_mul(3));
        }
        let after = usage(Who::SelfProcess);
        if cfg!(unix) {
            assert!(after.since(&before).cpu_s > 0.0);
            assert!(current_peak_rss_kib() > 0);
        }
    }
}
