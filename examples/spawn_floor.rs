//! How close can a process per task get to N cores on this machine? This diagnostic sets parbench's
//! `processes` model against a minimal spawn-per-task in Rust, on the same
//! multiply-loop batch, so a shortfall can be pinned on parbench or on the machine.
//!
//! Four variants run in shuffled order in every round, each after a short settling pause:
//! - `sequential`: parbench's baseline, every task on the calling thread;
//! - `thread-pool`: parbench's N threads (what in-process parallelism reaches here);
//! - `spawn-floor`: this example re-executes itself as `spawn_floor child <task> <iterations>`,
//!   at most N alive; a child computes its task and writes its pid and checksum (16 bytes) to
//!   one pipe shared by all children, then exits; the parent reaps the child that answered and
//!   spawns the next. No request protocol, no clap, no worker loop: only exec, compute, exit;
//! - `processes`: parbench's model (`parbench worker` per task), which finds the `parbench`
//!   binary as the library always does (`$PARBENCH_WORKER`, or beside/above this executable).
//!
//! It prints each variant's median, min and max, the speedup of the medians, the median and range
//! of the per-round speedups (a round's sequential time over its variant's time, which cancels
//! slow drift), and the ratio of the fastest batches (the least disturbed by other load). Every batch's checksum must equal sequential's. It measures, it does not
//! judge: no threshold, no result file.
//!
//! `cargo build --release && cargo run --release --example spawn_floor -- --rounds 21`
//! (Unix only: the floor's child writes to an inherited pipe and is waited for with `poll`.)

use clap::Parser;
use parbench::model::{ModelContext, ModelKind};
use parbench::stats::{median, summarize};
use parbench::workload::{MultiplyLoop, Workload, WorkloadSpec, combine};
use std::collections::HashMap;
use std::io::{IsTerminal, PipeReader, Read, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::path::Path;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "Set parbench's `processes` against a minimal spawn-per-task floor")]
struct Args {
    /// Tasks per batch.
    #[arg(long, default_value_t = 12)]
    tasks: u64,
    /// Multiply steps per task.
    #[arg(long, default_value_t = 10_000_000)]
    iterations: u64,
    /// Most tasks in flight at once.
    #[arg(long, default_value_t = 2)]
    workers: usize,
    /// Rounds; each runs every variant once.
    #[arg(long, default_value_t = 15)]
    rounds: usize,
    /// Settling pause before each batch, milliseconds.
    #[arg(long, default_value_t = 30)]
    pause_ms: u64,
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    if argv.get(1).map(String::as_str) == Some("child") {
        return child(&argv[2..]);
    }
    let args = Args::parse();
    match measure(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("spawn_floor: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The floor's child: compute one task, answer on stdout (the shared pipe), exit.
fn child(args: &[String]) -> ExitCode {
    let parse = |i: usize| args.get(i).and_then(|s| s.parse::<u64>().ok());
    let (Some(task), Some(iterations)) = (parse(0), parse(1)) else {
        eprintln!("spawn_floor child: expected <task> <iterations>, got {args:?}");
        return ExitCode::from(2);
    };
    let sum = MultiplyLoop::new(iterations).run_task(task);
    let mut frame = [0u8; 16];
    frame[..8].copy_from_slice(&u64::from(std::process::id()).to_le_bytes());
    frame[8..].copy_from_slice(&sum.to_le_bytes());
    // Not through std's line-buffered stdout: it would split a frame holding a newline byte
    // into two writes, which other children's answers could come between. One write of 16
    // bytes (< PIPE_BUF) on a duplicate of fd 1 arrives whole.
    let answer = std::io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .and_then(|fd| std::fs::File::from(fd).write_all(&frame));
    match answer {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("spawn_floor child: cannot answer: {e}");
            ExitCode::FAILURE
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Variant {
    Sequential,
    ThreadPool,
    SpawnFloor,
    Processes,
}

impl Variant {
    const ALL: [Variant; 4] = [
        Variant::Sequential,
        Variant::ThreadPool,
        Variant::SpawnFloor,
        Variant::Processes,
    ];

    fn name(self) -> &'static str {
        match self {
            Variant::Sequential => "sequential",
            Variant::ThreadPool => "thread-pool",
            Variant::SpawnFloor => "spawn-floor",
            Variant::Processes => "processes",
        }
    }
}

fn measure(args: &Args) -> anyhow::Result<()> {
    anyhow::ensure!(args.tasks > 0, "--tasks must be at least 1");
    anyhow::ensure!(args.workers > 0, "--workers must be at least 1");
    anyhow::ensure!(args.rounds > 0, "--rounds must be at least 1");
    let worker = parbench::worker::locate_worker_exe().map_err(|e| {
        anyhow::anyhow!("{e}; build it first: cargo build --release (or set PARBENCH_WORKER)")
    })?;
    let me = std::env::current_exe()?;
    let spec = WorkloadSpec::Cpu(parbench::workload::MultiplyLoop::new(args.iterations));
    let ctx = ModelContext {
        worker_exe: Some(worker.clone()),
        ..Default::default()
    };
    let mut sequential = ModelKind::Sequential.start(1, &ctx)?;
    let mut pool = ModelKind::ThreadPool.start(args.workers, &ctx)?;
    let mut processes = ModelKind::Processes.start(args.workers, &ctx)?;
    let expected = spec.expected_batch_checksum(args.tasks);
    eprintln!(
        "spawn_floor: {} tasks × {} steps, N = {}, {} rounds; worker {}",
        args.tasks,
        args.iterations,
        args.workers,
        args.rounds,
        worker.display()
    );

    let pause = Duration::from_millis(args.pause_ms);
    let tty = std::io::stderr().is_terminal();
    let mut times: HashMap<&str, Vec<f64>> = HashMap::new();
    let mut ratios: HashMap<&str, Vec<f64>> = HashMap::new();
    // Round 0 is a warm-up, discarded: page cache, first page faults, the pool's first wake-ups.
    for round in 0..=args.rounds {
        let mut order = Variant::ALL;
        fastrand::shuffle(&mut order);
        let mut this_round = HashMap::new();
        for v in order {
            std::thread::sleep(pause);
            let t0 = Instant::now();
            let checksum = match v {
                Variant::Sequential => sequential.run_batch(&spec, args.tasks)?.checksum,
                Variant::ThreadPool => pool.run_batch(&spec, args.tasks)?.checksum,
                Variant::Processes => processes.run_batch(&spec, args.tasks)?.checksum,
                Variant::SpawnFloor => spawn_floor(&me, args)?,
            };
            let secs = t0.elapsed().as_secs_f64();
            anyhow::ensure!(
                checksum == expected,
                "{}: checksum {checksum:#x}, expected {expected:#x}",
                v.name()
            );
            this_round.insert(v.name(), secs);
        }
        if round == 0 {
            continue;
        }
        let base = this_round["sequential"];
        for (name, secs) in this_round {
            times.entry(name).or_default().push(secs);
            ratios.entry(name).or_default().push(base / secs);
        }
        if tty {
            eprint!("\rspawn_floor: round {round}/{}", args.rounds);
        }
    }
    if tty {
        eprintln!();
    }

    let base = median(&times["sequential"]);
    let base_min = summarize(&times["sequential"]).map_or(f64::NAN, |s| s.min);
    println!(
        "{:<12} {:>10} {:>10} {:>10} {:>9} {:>22} {:>9}",
        "variant", "median", "min", "max", "speedup", "per-round (min..max)", "min÷min"
    );
    for v in Variant::ALL {
        let s = summarize(&times[v.name()]).expect("every round ran every variant");
        let r = &ratios[v.name()];
        let (lo, hi) = r.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        });
        println!(
            "{:<12} {:>8.1}ms {:>8.1}ms {:>8.1}ms {:>8.2}× {:>7.2}× ({:.2}..{:.2}) {:>8.2}×",
            v.name(),
            s.median * 1e3,
            s.min * 1e3,
            s.max * 1e3,
            base / s.median,
            median(r),
            lo,
            hi,
            base_min / s.min
        );
    }
    println!(
        "{} samples per variant (after one discarded round), shuffled order each round, \
         {} ms pause before each batch; speedup = sequential median ÷ median; \
         min÷min = the fastest sequential batch ÷ the fastest batch (least disturbed by other load)",
        args.rounds, args.pause_ms
    );
    Ok(())
}

/// One batch of the floor: a fresh child per task, at most `workers` alive; returns the combined
/// checksum. A child that exits without answering is an error after a second, never a hang; on
/// any error every child still alive is killed and reaped.
fn spawn_floor(me: &Path, args: &Args) -> anyhow::Result<u64> {
    let mut alive: HashMap<u32, Child> = HashMap::new();
    let result = floor_batch(me, args, &mut alive);
    if result.is_err() {
        for (_, mut c) in alive.drain() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
    result
}

fn floor_batch(me: &Path, args: &Args, alive: &mut HashMap<u32, Child>) -> anyhow::Result<u64> {
    let (mut reader, writer) = std::io::pipe()?;
    let spawn = |task: u64, alive: &mut HashMap<u32, Child>| -> anyhow::Result<()> {
        let child = Command::new(me)
            .arg("child")
            .arg(task.to_string())
            .arg(args.iterations.to_string())
            .stdin(Stdio::null())
            .stdout(writer.try_clone()?)
            .spawn()?;
        alive.insert(child.id(), child);
        Ok(())
    };
    let mut next = 0;
    while next < args.tasks && alive.len() < args.workers {
        spawn(next, alive)?;
        next += 1;
    }
    let mut checksum = 0;
    for _ in 0..args.tasks {
        let (pid, sum) = read_answer(&mut reader, alive)?;
        checksum = combine(checksum, sum);
        let mut done = alive
            .remove(&pid)
            .ok_or_else(|| anyhow::anyhow!("answer from unknown pid {pid}"))?;
        done.wait()?;
        if next < args.tasks {
            spawn(next, alive)?;
            next += 1;
        }
    }
    Ok(checksum)
}

/// Reads one 16-byte answer, polling so that a child that died silently is noticed.
fn read_answer(
    reader: &mut PipeReader,
    alive: &mut HashMap<u32, Child>,
) -> anyhow::Result<(u32, u64)> {
    let mut pfd = libc::pollfd {
        fd: reader.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    loop {
        // SAFETY: one valid pollfd, count 1.
        let ready = unsafe { libc::poll(&mut pfd, 1, 1000) };
        if ready > 0 {
            break;
        }
        if ready < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(e.into());
            }
            continue;
        }
        for (pid, c) in alive.iter_mut() {
            if let Some(status) = c.try_wait()? {
                anyhow::bail!("child {pid} exited ({status}) without answering");
            }
        }
    }
    // Answers are 16 bytes, below PIPE_BUF: each arrives whole.
    let mut frame = [0u8; 16];
    reader.read_exact(&mut frame)?;
    let pid = u64::from_le_bytes(frame[..8].try_into().expect("8 bytes"));
    let sum = u64::from_le_bytes(frame[8..].try_into().expect("8 bytes"));
    Ok((u32::try_from(pid)?, sum))
}
