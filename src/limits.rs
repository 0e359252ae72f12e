//! Fail fast instead of mid-run: before anything starts, what a run needs at once — processes,
//! threads, memory mappings, file descriptors and thread-stack memory — is set against every
//! bound of this machine, user and cgroup that a batch can hit: `RLIMIT_NPROC`,
//! `kernel.threads-max`, `kernel.pid_max`, the cgroup's `pids.max` (v1 and v2),
//! `vm.max_map_count`, `RLIMIT_NOFILE`, `RLIMIT_AS` and the memory installed. A run that cannot
//! fit is refused with a message naming the tightest limit, its value, the largest worker count
//! that fits and how to raise it.
//!
//! The needs are estimates from each model's structure: the pools of every (model, N) stay
//! alive for the whole run, so theirs add up; a model that starts its threads or processes per
//! batch (`threads`, `processes`) adds only its largest batch. The cost of a thread in memory
//! mappings (its stack and guard page, and the signal stack std gives it and that stack's guard)
//! is measured on this machine by starting a few threads, not assumed. What is already in use is
//! read from `/proc` and `/sys/fs/cgroup` on Linux. Nothing here starts a model.

use crate::error::{Error, Result};
use crate::machine::MachineInfo;
use crate::model::ModelKind;
use crate::plan::RunConfig;
use std::path::{Path, PathBuf};

/// Rust's default thread stack, used when `--stack-size` is not given.
pub const DEFAULT_STACK: usize = 2 << 20;

/// Memory mappings a thread costs when they cannot be measured: its stack and guard page, and
/// its signal stack and that stack's guard page.
pub const ASSUMED_MAPS_PER_THREAD: u64 = 4;

/// PIDs below this are not handed out again once the kernel's PID counter has wrapped.
const RESERVED_PIDS: u64 = 300;

/// File descriptors kept free for everything but the cells' pipes and sockets.
const RESERVED_FDS: u64 = 64;

/// Threads of the `tcp-echo` client runtime, at most.
const ECHO_THREADS: u64 = 4;

/// A bound as it stands now: `limit`, of which `in_use` is taken and `reserve` kept free.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Bound {
    /// The limit.
    pub limit: u64,
    /// What is taken now.
    pub in_use: u64,
    /// What must stay free for other things parbench does.
    pub reserve: u64,
}

impl Bound {
    /// What a run may still take.
    pub fn room(&self) -> u64 {
        self.limit.saturating_sub(self.in_use + self.reserve)
    }
}

/// What this process may still create, where known.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Limits {
    /// Processes + threads of this user (`RLIMIT_NPROC`; in use: what this user runs).
    pub nproc: Option<Bound>,
    /// Threads system-wide (`kernel.threads-max`; in use: every task running).
    pub threads_max: Option<Bound>,
    /// PIDs system-wide, one per process or thread (`kernel.pid_max`).
    pub pid_max: Option<Bound>,
    /// The tightest `pids.max` of this process's cgroup and its ancestors, and its file.
    pub cgroup_pids: Option<(PathBuf, Bound)>,
    /// Memory mappings of this process (`vm.max_map_count`; in use: `/proc/self/maps`).
    pub map_count: Option<Bound>,
    /// Memory mappings one more thread costs, measured ([`ASSUMED_MAPS_PER_THREAD`] if not).
    pub maps_per_thread: u64,
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
        let field = |key: &str| crate::usage::proc_field(&status, key);
        let threads = field("Threads:").unwrap_or(1);
        all += threads;
        if field("Uid:") == Some(u64::from(me)) {
            mine += threads;
        }
    }
    Some((all, mine))
}

fn read_number(path: impl AsRef<Path>) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// The tightest `pids.max` over this process's cgroups (v1 `pids` controller, v2 unified) and
/// their ancestors: `proc_cgroup` is `/proc/self/cgroup`, `sysfs` where cgroups are mounted.
pub fn cgroup_pids(proc_cgroup: &str, sysfs: &Path) -> Option<(PathBuf, Bound)> {
    let mut best: Option<(PathBuf, Bound)> = None;
    for line in proc_cgroup.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(id), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let roots = if controllers.split(',').any(|c| c == "pids") {
            vec![sysfs.join("pids")]
        } else if id == "0" && controllers.is_empty() {
            vec![sysfs.to_path_buf(), sysfs.join("unified")]
        } else {
            continue;
        };
        for root in roots {
            let mut dir = root.join(path.trim_start_matches('/'));
            loop {
                // "max" (no limit) does not parse and is skipped.
                if let (Some(limit), Some(in_use)) = (
                    read_number(dir.join("pids.max")),
                    read_number(dir.join("pids.current")),
                ) {
                    let bound = Bound {
                        limit,
                        in_use,
                        reserve: 0,
                    };
                    if best.as_ref().is_none_or(|(_, b)| bound.room() < b.room()) {
                        best = Some((dir.join("pids.max"), bound));
                    }
                }
                if dir == root || !dir.pop() || !dir.starts_with(&root) {
                    break;
                }
            }
        }
    }
    best
}

/// Memory mappings of this process now (`/proc/self/maps` lines).
fn maps_in_use() -> Option<u64> {
    let maps = std::fs::read("/proc/self/maps").ok()?;
    Some(maps.iter().filter(|&&b| b == b'\n').count() as u64)
}

/// Memory mappings one more thread adds to this process, measured once: a few threads are
/// started and kept alive while `/proc/self/maps` is counted. Their stacks are larger than
/// glibc's 40 MiB stack cache can hold, so each is a fresh mapping, not one reused from an
/// earlier thread; the probe runs twice and the second count is kept, so malloc arenas the
/// first threads may have created (a fixed number per core, not a cost per thread) are not
/// counted. `None` where it cannot be measured.
pub fn measure_maps_per_thread() -> Option<u64> {
    static MEASURED: std::sync::OnceLock<Option<u64>> = std::sync::OnceLock::new();
    *MEASURED.get_or_init(|| {
        probe_maps(8)?;
        probe_maps(8)
    })
}

/// Starts `threads` threads that wait, counts the mappings they added, and ends them.
fn probe_maps(threads: u64) -> Option<u64> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    const STACK: usize = 41 << 20;
    let ready = Arc::new(AtomicU64::new(0));
    let release = Arc::new(AtomicBool::new(false));
    let before = maps_in_use()?;
    let mut handles = Vec::new();
    for _ in 0..threads {
        let (ready, release) = (ready.clone(), release.clone());
        let started = std::thread::Builder::new()
            .name("parbench-maps-probe".into())
            .stack_size(STACK)
            .spawn(move || {
                ready.fetch_add(1, Ordering::SeqCst);
                while !release.load(Ordering::SeqCst) {
                    std::thread::park();
                }
            });
        match started {
            Ok(h) => handles.push(h),
            Err(_) => break,
        }
    }
    let all_started = handles.len() as u64 == threads;
    while all_started && ready.load(Ordering::SeqCst) < threads {
        std::thread::yield_now();
    }
    let after = if all_started { maps_in_use() } else { None };
    release.store(true, Ordering::SeqCst);
    for h in handles {
        h.thread().unpark();
        let _ = h.join();
    }
    Some(after?.saturating_sub(before).div_ceil(threads).max(2))
}

impl Limits {
    /// The limits of this process now.
    pub fn detect(machine: &MachineInfo) -> Limits {
        let running = running_tasks();
        let sysctl = |name: &str| read_number(format!("/proc/sys/{name}"));
        let all = running.map_or(0, |r| r.0);
        let maps_per_thread = measure_maps_per_thread().unwrap_or(ASSUMED_MAPS_PER_THREAD);
        Limits {
            nproc: rlimit(libc::RLIMIT_NPROC).map(|limit| Bound {
                limit,
                in_use: running.map_or(0, |r| r.1),
                reserve: 0,
            }),
            threads_max: sysctl("kernel/threads-max").map(|limit| Bound {
                limit,
                in_use: all,
                reserve: 0,
            }),
            pid_max: sysctl("kernel/pid_max").map(|limit| Bound {
                limit,
                in_use: all,
                reserve: RESERVED_PIDS,
            }),
            cgroup_pids: std::fs::read_to_string("/proc/self/cgroup")
                .ok()
                .and_then(|text| cgroup_pids(&text, Path::new("/sys/fs/cgroup"))),
            map_count: sysctl("vm/max_map_count").map(|limit| Bound {
                limit,
                in_use: maps_in_use().unwrap_or(0),
                // glibc's malloc arenas (up to 8 per core, a mapping or two each), libraries
                // and buffers the run allocates later.
                reserve: 128 + 16 * machine.logical_cores.max(1) as u64,
            }),
            maps_per_thread,
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

/// What one executor of a run (a model at one N, for `tcp-echo` with its echo server) holds.
#[derive(Clone, Debug)]
struct Footprint {
    /// "io/threads N=20000", for messages.
    label: String,
    model: ModelKind,
    workers: u64,
    tcp: bool,
    /// Alive for the whole run (a pool, an echo server), rather than for one batch at a time.
    resident: bool,
}

impl Footprint {
    fn at(&self, workers: u64) -> Footprint {
        Footprint {
            workers,
            ..self.clone()
        }
    }

    /// Threads in parbench's own process.
    fn own_threads(&self) -> u64 {
        if self.tcp {
            ECHO_THREADS
        } else {
            self.model.threads_needed(self.workers as usize) as u64
        }
    }

    /// Threads of another process that parbench starts (an echo server).
    fn server_threads(&self) -> u64 {
        match crate::net::EchoServer::of(self.model) {
            Some(design) if self.tcp => design.server_threads(self.workers),
            _ => 0,
        }
    }

    /// Processes and threads in total (each takes a PID).
    fn tasks(&self) -> u64 {
        let others = if self.tcp {
            1 + self.server_threads()
        } else if self.model.is_python() {
            // The interpreter, and its N threads or processes.
            1 + self.workers
        } else if self.model.uses_processes() {
            self.workers
        } else {
            0
        };
        self.own_threads() + others
    }

    /// File descriptors parbench holds: a socket per connection, a pipe per pool worker
    /// process (CPython's pools are the interpreter's).
    fn fds(&self) -> u64 {
        let m = self.model;
        if self.tcp || (m.is_pool() && m.uses_processes() && !m.is_python()) {
            self.workers
        } else {
            0
        }
    }
}

/// One quantity a limit bounds.
struct Need<'a> {
    /// "processes/threads".
    unit: &'a str,
    amount: &'a dyn Fn(&Footprint) -> u64,
}

/// What the run needs of `need` at most at once: every resident footprint, plus the largest
/// per-batch one.
fn total(prints: &[Footprint], need: &Need) -> u64 {
    let resident: u64 = prints
        .iter()
        .filter(|f| f.resident)
        .map(|f| (need.amount)(f))
        .sum();
    let batch = prints
        .iter()
        .filter(|f| !f.resident)
        .map(|f| (need.amount)(f))
        .max()
        .unwrap_or(0);
    resident.saturating_add(batch)
}

/// A run that does not fit one limit: the largest N of its biggest consumer that would fit.
struct Refusal {
    fits: u64,
    message: String,
    /// The footprint that needs the most.
    big: Footprint,
}

/// Checks `need` against `room`; when it does not fit, the footprint needing the most is
/// named, with the largest N that fits beside the rest of the run.
fn refuse(
    prints: &[Footprint],
    need: &Need,
    room: u64,
    limit: &str,
    raise: &str,
) -> Option<Refusal> {
    let all = total(prints, need);
    if all <= room {
        return None;
    }
    let (i, big) = prints
        .iter()
        .enumerate()
        .max_by_key(|(_, f)| (need.amount)(f))?;
    let with = |n: u64| {
        let mut p = prints.to_vec();
        p[i] = big.at(n);
        total(&p, need)
    };
    // The largest n in 0..=N whose run fits (monotone in n: binary search).
    let (mut lo, mut hi) = (0u64, big.workers);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if with(mid) <= room {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let fits = if with(lo) <= room { lo } else { 0 };
    let own = (need.amount)(big);
    let others = if own < all {
        format!(" ({all} with the rest of the run, whose pools stay alive)")
    } else {
        String::new()
    };
    Some(Refusal {
        fits,
        message: format!(
            "{} needs {own} {}{others} but {limit}: at most N = {fits} fits ({raise})",
            big.label, need.unit
        ),
        big: big.clone(),
    })
}

/// The footprints of `config`: one per executor the runner keeps (model, N, tcp-echo or not).
fn footprints(config: &RunConfig) -> Vec<Footprint> {
    let mut prints: Vec<Footprint> = Vec::new();
    for cell in config.cells() {
        let tcp = cell.workload.spec.kind().over_network();
        let workers = cell.workers as u64;
        if prints
            .iter()
            .any(|f| f.model == cell.model && f.workers == workers && f.tcp == tcp)
        {
            continue;
        }
        prints.push(Footprint {
            label: cell.key().label(),
            model: cell.model,
            workers,
            tcp,
            resident: cell.model.is_pool() || tcp,
        });
    }
    prints
}

/// Rounds `n` up to a multiple of 1024, for a suggested sysctl value.
fn round_up(n: u64) -> u64 {
    n.div_ceil(1024).saturating_mul(1024)
}

/// Checks what `config` needs at once against `limits`; the tightest limit it exceeds is an
/// error naming it, its value, the largest N that fits and how to raise it.
pub fn check(config: &RunConfig, limits: &Limits, stack_size: usize) -> Result<()> {
    let prints = footprints(config);
    let stack = stack_size.max(1) as u64;
    let tasks = Need {
        unit: "processes/threads",
        amount: &|f| f.tasks(),
    };
    let per_thread = limits.maps_per_thread.max(1);
    let maps = Need {
        unit: "memory mappings",
        amount: &|f| (f.own_threads() + f.server_threads()).saturating_mul(per_thread),
    };
    let fds = Need {
        unit: "file descriptors (pipes and sockets)",
        amount: &|f| f.fds(),
    };
    let mut refusals = Vec::new();
    if let Some(b) = limits.nproc {
        refusals.extend(refuse(
            &prints,
            &tasks,
            b.room(),
            &format!(
                "RLIMIT_NPROC (ulimit -u) is {} with {} in use",
                b.limit, b.in_use
            ),
            "raise it with ulimit -u, or lower --workers",
        ));
    }
    if let Some(b) = limits.threads_max {
        refusals.extend(refuse(
            &prints,
            &tasks,
            b.room(),
            &format!(
                "kernel.threads-max is {} with {} running",
                b.limit, b.in_use
            ),
            &format!(
                "raise it with sysctl -w kernel.threads-max={}",
                round_up(b.in_use + total(&prints, &tasks))
            ),
        ));
    }
    if let Some(b) = limits.pid_max {
        refusals.extend(refuse(
            &prints,
            &tasks,
            b.room(),
            &format!(
                "kernel.pid_max is {} with {} PIDs in use and {} reserved",
                b.limit, b.in_use, b.reserve
            ),
            &format!(
                "raise it with sysctl -w kernel.pid_max={}; the kernel allows up to 4194304",
                round_up(b.in_use + b.reserve + total(&prints, &tasks)).min(4_194_304)
            ),
        ));
    }
    if let Some((path, b)) = &limits.cgroup_pids {
        refusals.extend(refuse(
            &prints,
            &tasks,
            b.room(),
            &format!(
                "this cgroup's {} is {} with {} in use",
                path.display(),
                b.limit,
                b.in_use
            ),
            "raise that pids.max, or run outside the cgroup",
        ));
    }
    if let Some(b) = limits.map_count {
        refusals.extend(refuse(
            &prints,
            &maps,
            b.room(),
            &format!(
                "vm.max_map_count is {} with {} mappings in use and {} kept free, {per_thread} per thread as measured here",
                b.limit, b.in_use, b.reserve
            ),
            &format!(
                "raise it with sysctl -w vm.max_map_count={}",
                round_up(b.in_use + b.reserve + total(&prints, &maps))
            ),
        ));
    }
    if let Some(limit) = limits.nofile {
        refusals.extend(refuse(
            &prints,
            &fds,
            limit.saturating_sub(RESERVED_FDS),
            &format!("RLIMIT_NOFILE (ulimit -n) is {limit}"),
            "raise it with ulimit -n, or use fewer or smaller worker or connection counts",
        ));
    }
    // Thread stacks: unknown memory (0) only counts when an address-space limit is set.
    let budget = match (limits.address_space, limits.memory) {
        (Some(a), 0) => a,
        (Some(a), m) => a.min(m),
        (None, 0) => u64::MAX,
        (None, m) => m,
    };
    let name = if limits.address_space.is_some_and(|a| a < limits.memory) {
        format!("RLIMIT_AS (ulimit -v) of {} MiB", budget >> 20)
    } else {
        format!("the {} MiB of memory", budget >> 20)
    };
    let stacks = Need {
        unit: "bytes of thread stacks",
        amount: &|f| f.own_threads().saturating_mul(stack),
    };
    if let Some(mut r) = refuse(&prints, &stacks, budget, "", "") {
        let threads = r.big.own_threads();
        r.message = format!(
            "{} needs {threads} thread stacks of {} KiB = {} MiB, more than {name}: at most N = {} fits (or a smaller --stack-size)",
            r.big.label,
            stack >> 10,
            threads.saturating_mul(stack) >> 20,
            r.fits
        );
        refusals.push(r);
    }
    match refusals.into_iter().min_by_key(|r| r.fits) {
        Some(r) => Err(Error::Config(r.message)),
        None => Ok(()),
    }
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
        configs(&[model], &[workers])
    }

    fn configs(models: &[ModelKind], workers: &[usize]) -> RunConfig {
        let mut m = MachineInfo::detect();
        m.logical_cores = 2;
        build_config(
            Preset::Quick,
            &m,
            &Overrides {
                models: Some(models.to_vec()),
                workers: Some(workers.to_vec()),
                ..Default::default()
            },
        )
        .unwrap()
    }

    fn bound(limit: u64, in_use: u64) -> Option<Bound> {
        Some(Bound {
            limit,
            in_use,
            reserve: 0,
        })
    }

    #[test]
    fn each_limit_is_named_with_what_fits() {
        let roomy = Limits {
            memory: 1 << 40,
            ..Default::default()
        };
        assert!(check(&config(ModelKind::Threads, 4000), &roomy, DEFAULT_STACK).is_ok());
        let nproc = Limits {
            nproc: bound(1024, 24),
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
    fn memory_mappings_bound_threads_whatever_their_stack() {
        let maps = Limits {
            memory: 1 << 40,
            map_count: Some(Bound {
                limit: 65530,
                in_use: 100,
                reserve: 160,
            }),
            maps_per_thread: 4,
            ..Default::default()
        };
        for model in [ModelKind::Threads, ModelKind::Gil, ModelKind::Async] {
            let e = check(&config(model, 20000), &maps, 256 << 10)
                .unwrap_err()
                .to_string();
            // (65530 - 100 - 160) / 4 = 16317 threads.
            assert!(
                e.contains("vm.max_map_count is 65530")
                    && e.contains("N = 16317")
                    && e.contains("sysctl -w vm.max_map_count=80896"),
                "{e}"
            );
            assert!(check(&config(model, 16317), &maps, 256 << 10).is_ok());
        }
        // Processes map their own memory: only the supervising thread counts here.
        assert!(check(&config(ModelKind::ProcessPool, 20000), &maps, DEFAULT_STACK).is_ok());
    }

    #[test]
    fn pools_add_up_and_per_batch_threads_do_not() {
        let limits = Limits {
            memory: 1 << 40,
            threads_max: bound(15_000, 0),
            ..Default::default()
        };
        // Both pools stay alive for the whole run: 20000 threads at once.
        let e = check(
            &configs(&[ModelKind::ThreadPool, ModelKind::Gil], &[10_000]),
            &limits,
            DEFAULT_STACK,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("kernel.threads-max")
                && e.contains("20000 with the rest of the run")
                && e.contains("N = 5000"),
            "{e}"
        );
        // `threads` starts its threads per batch: N = 8000 and 10000 never overlap.
        assert!(
            check(
                &configs(&[ModelKind::Threads], &[8_000, 10_000]),
                &limits,
                DEFAULT_STACK
            )
            .is_ok()
        );
    }

    #[test]
    fn the_tightest_limit_is_named() {
        let limits = Limits {
            memory: 1 << 40,
            nproc: bound(100_000, 0),
            pid_max: Some(Bound {
                limit: 32768,
                in_use: 268,
                reserve: 300,
            }),
            ..Default::default()
        };
        let e = check(
            &config(ModelKind::Processes, 40_000),
            &limits,
            DEFAULT_STACK,
        )
        .unwrap_err()
        .to_string();
        // 32768 - 268 - 300 = 32200 PIDs, one for the supervising thread.
        assert!(
            e.contains("kernel.pid_max is 32768") && e.contains("N = 32199"),
            "{e}"
        );
    }

    #[test]
    fn cgroup_pid_limits_are_found_in_v1_and_v2_layouts() {
        let sys = tempfile::tempdir().unwrap();
        let write = |dir: &str, max: &str, current: &str| {
            let d = sys.path().join(dir);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("pids.max"), max).unwrap();
            std::fs::write(d.join("pids.current"), current).unwrap();
        };
        // v2: the tightest of the cgroup and its ancestors.
        write("user.slice", "500\n", "450\n");
        write("user.slice/session-1.scope", "max\n", "12\n");
        let (path, b) = cgroup_pids("0::/user.slice/session-1.scope\n", sys.path()).expect("found");
        assert_eq!((b.limit, b.in_use, b.room()), (500, 450, 50));
        assert!(path.ends_with("user.slice/pids.max"), "{path:?}");
        // v1: the pids controller's hierarchy.
        write("pids/job", "64", "3");
        let (path, b) = cgroup_pids("8:pids:/job\n4:memory:/x\n", sys.path()).expect("found");
        assert_eq!((b.limit, b.in_use), (64, 3));
        assert!(path.ends_with("pids/job/pids.max"));
        // No limit anywhere.
        assert!(cgroup_pids("0::/elsewhere\n", sys.path()).is_none());
    }

    #[test]
    fn a_thread_costs_a_measured_number_of_mappings() {
        if let Some(n) = measure_maps_per_thread() {
            // Its stack, and at most a guard page, a signal stack and its guard besides.
            assert!((2..=8).contains(&n), "{n}");
        }
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
