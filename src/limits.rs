//! Fail fast instead of mid-run: before anything starts, every cell's need for processes,
//! threads, file descriptors and thread-stack memory is set against the limits of this machine
//! and user (`RLIMIT_NPROC`, `kernel.threads-max`, `RLIMIT_NOFILE`, `RLIMIT_AS` and the memory
//! installed). A cell that cannot fit is refused with a message naming the limit, its value and
//! the largest worker count that would fit. The needs are estimates from each model's structure
//! (one thread or process per in-flight task, two threads per task for `async-blocking`); what
//! is already running is read from `/proc` on Linux. Nothing here starts anything.

use crate::error::{Error, Result};
use crate::machine::MachineInfo;
use crate::model::ModelKind;
use crate::plan::RunConfig;

/// Rust's default thread stack, used when `--stack-size` is not given.
pub const DEFAULT_STACK: usize = 2 << 20;

/// What this process may still create, where known.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Limits {
    /// Further processes + threads this user may create (`RLIMIT_NPROC` minus what runs).
    pub nproc_left: Option<(u64, u64)>,
    /// Further threads the kernel allows system-wide (`kernel.threads-max` minus what runs).
    pub threads_left: Option<(u64, u64)>,
    /// Open-file limit (`RLIMIT_NOFILE`).
    pub nofile: Option<u64>,
    /// Address-space limit in bytes (`RLIMIT_AS`).
    pub address_space: Option<u64>,
    /// Installed memory in bytes.
    pub memory: u64,
}

#[cfg(target_os = "linux")]
type Resource = libc::__rlimit_resource_t;
#[cfg(not(target_os = "linux"))]
type Resource = libc::c_int;

fn rlimit(resource: Resource) -> Option<u64> {
    let mut r = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: r is a valid rlimit.
    let ok = unsafe { libc::getrlimit(resource, &mut r) } == 0;
    (ok && r.rlim_cur != libc::RLIM_INFINITY).then_some(r.rlim_cur)
}

/// Tasks (processes and threads) running now: all of them, and those of our user.
fn running_tasks() -> Option<(u64, u64)> {
    // SAFETY: getuid cannot fail.
    let me = unsafe { libc::getuid() };
    let (mut all, mut mine) = (0u64, 0u64);
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else {
            continue;
        };
        let field = |key: &str| crate::measure::usage::proc_field(&status, key);
        let threads = field("Threads:").unwrap_or(1);
        all += threads;
        if field("Uid:") == Some(u64::from(me)) {
            mine += threads;
        }
    }
    Some((all, mine))
}

impl Limits {
    /// The limits of this process now.
    pub fn detect(machine: &MachineInfo) -> Limits {
        let running = running_tasks();
        let threads_max = std::fs::read_to_string("/proc/sys/kernel/threads-max")
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok());
        Limits {
            nproc_left: rlimit(libc::RLIMIT_NPROC)
                .map(|l| (l, l.saturating_sub(running.map_or(0, |r| r.1)))),
            threads_left: threads_max.map(|l| (l, l.saturating_sub(running.map_or(0, |r| r.0)))),
            nofile: rlimit(libc::RLIMIT_NOFILE),
            address_space: rlimit(libc::RLIMIT_AS),
            memory: machine.total_memory_bytes,
        }
    }
}

/// Raises the soft open-file limit to the hard one (tcp-echo keeps every cell's connections
/// open for the whole run). Best effort.
pub fn raise_nofile() {
    let mut r = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain getrlimit/setrlimit on a valid struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) == 0 && r.rlim_cur < r.rlim_max {
            r.rlim_cur = r.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &r);
        }
    }
}

/// Checks every cell of `config` against `limits`; the first that cannot fit is an error.
pub fn check(config: &RunConfig, limits: &Limits, stack_size: usize) -> Result<()> {
    let stack = stack_size.max(1) as u64;
    // tcp-echo: every cell's connections stay open for the whole run.
    let sockets: u64 = config
        .cells()
        .iter()
        .filter(|c| c.workload.spec.kind() == crate::workload::WorkloadKind::TcpEcho)
        .map(|c| c.workers as u64)
        .sum();
    if let Some(limit) = limits.nofile
        && sockets + 64 > limit
    {
        return Err(Error::Config(format!(
            "tcp-echo keeps {sockets} client connections open over the run but RLIMIT_NOFILE (ulimit -n) is {limit}: use fewer or smaller connection counts (--workers) or raise the limit"
        )));
    }
    for cell in config.cells() {
        let n = cell.workers as u64;
        let what = format!(
            "{}/{} N={}",
            cell.workload.spec.kind(),
            cell.model,
            cell.workers
        );
        let threads = cell.model.threads_needed(cell.workers) as u64;
        // Tasks (processes or threads) the cell adds, and per worker.
        let (tasks, per) = if cell.model.uses_processes() {
            (n + threads, 1)
        } else {
            (threads, threads.div_ceil(n.max(1)).max(1))
        };
        let fits = |left: u64| {
            if cell.model.uses_processes() {
                left.saturating_sub(threads)
            } else {
                left / per
            }
        };
        if let Some((limit, left)) = limits.nproc_left
            && tasks > left
        {
            return Err(Error::Config(format!(
                "{what} needs {tasks} processes/threads but RLIMIT_NPROC (ulimit -u) is {limit} with {} in use: at most N = {} fits (raise the limit or lower --workers)",
                limit - left,
                fits(left)
            )));
        }
        if let Some((limit, left)) = limits.threads_left
            && tasks > left
        {
            return Err(Error::Config(format!(
                "{what} needs {tasks} threads but kernel.threads-max is {limit} with {} running: at most N = {} fits",
                limit - left,
                fits(left)
            )));
        }
        if cell.model == ModelKind::ProcessPool
            && let Some(limit) = limits.nofile
            && n + 64 > limit
        {
            return Err(Error::Config(format!(
                "{what} keeps a pipe to each of its {n} workers but RLIMIT_NOFILE (ulimit -n) is {limit}: at most N = {} fits",
                limit.saturating_sub(64)
            )));
        }
        let stacks = threads * stack;
        // Unknown memory (0) only counts when an address-space limit is set.
        let budget = match (limits.address_space, limits.memory) {
            (Some(a), 0) => a,
            (Some(a), m) => a.min(m),
            (None, 0) => u64::MAX,
            (None, m) => m,
        };
        if threads > 0 && stacks > budget {
            let name = if limits.address_space.is_some_and(|a| a < limits.memory) {
                format!("RLIMIT_AS (ulimit -v) of {} MiB", budget >> 20)
            } else {
                format!("the {} MiB of memory", budget >> 20)
            };
            return Err(Error::Config(format!(
                "{what} needs {threads} thread stacks of {} KiB = {} MiB, more than {name}: at most N = {} fits (or a smaller --stack-size)",
                stack >> 10,
                stacks >> 20,
                budget / stack / per
            )));
        }
    }
    Ok(())
}

/// Parses a `--stack-size` value: bytes, or with a `k`/`m` suffix (`256k`, `8m`); at least 16 KiB.
pub fn parse_stack_size(s: &str) -> std::result::Result<usize, String> {
    let t = s.trim().to_ascii_lowercase();
    let (num, mul) = match t.strip_suffix(['k', 'm']) {
        Some(n) if t.ends_with('k') => (n, 1usize << 10),
        Some(n) => (n, 1 << 20),
        None => (t.as_str(), 1),
    };
    let v: usize = num
        .trim_end_matches("ib")
        .parse()
        .map_err(|_| format!("'{s}' is not a size (bytes, or e.g. 256k, 8m)"))?;
    let bytes = v
        .checked_mul(mul)
        .ok_or_else(|| format!("'{s}' is too large"))?;
    if bytes < 16 << 10 {
        return Err(format!("'{s}' is below the 16 KiB a thread needs"));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Overrides, Preset, build_config};

    fn config(model: ModelKind, workers: usize) -> RunConfig {
        let mut m = MachineInfo::detect();
        m.logical_cores = 2;
        build_config(
            Preset::Quick,
            &m,
            &Overrides {
                models: Some(vec![model]),
                workers: Some(vec![workers]),
                ..Default::default()
            },
        )
        .unwrap()
    }

    #[test]
    fn each_limit_is_named_with_what_fits() {
        let roomy = Limits {
            memory: 1 << 40,
            ..Default::default()
        };
        assert!(check(&config(ModelKind::Threads, 4000), &roomy, DEFAULT_STACK).is_ok());
        let nproc = Limits {
            nproc_left: Some((1024, 1000)),
            ..roomy.clone()
        };
        let e = check(&config(ModelKind::Processes, 4000), &nproc, DEFAULT_STACK)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("RLIMIT_NPROC") && e.contains("1024") && e.contains("N = 999"),
            "{e}"
        );
        let small = Limits {
            memory: 1 << 30,
            ..roomy.clone()
        };
        let e = check(&config(ModelKind::Threads, 4000), &small, DEFAULT_STACK)
            .unwrap_err()
            .to_string();
        assert!(e.contains("1024 MiB") && e.contains("N = 512"), "{e}");
        assert!(check(&config(ModelKind::Threads, 4000), &small, 64 << 10).is_ok());
        let files = Limits {
            nofile: Some(256),
            ..roomy
        };
        let e = check(&config(ModelKind::ProcessPool, 1000), &files, DEFAULT_STACK)
            .unwrap_err()
            .to_string();
        assert!(e.contains("RLIMIT_NOFILE") && e.contains("N = 192"), "{e}");
    }

    #[test]
    fn stack_sizes_parse() {
        assert_eq!(parse_stack_size("256k"), Ok(256 << 10));
        assert_eq!(parse_stack_size("8M"), Ok(8 << 20));
        assert_eq!(parse_stack_size("65536"), Ok(65536));
        assert!(parse_stack_size("1k").unwrap_err().contains("16 KiB"));
        assert!(parse_stack_size("lots").unwrap_err().contains("'lots'"));
    }
}
