//! The tcp-echo workload: every server design echoes upper-cased bytes exactly, servers stop and
//! release their port when a cell ends (also after a failure), a client that disconnects
//! mid-request does not disturb the server, and results round-trip through JSON. Loopback only.

use parbench::machine::MachineInfo;
use parbench::measure::runner::{Silent, run};
use parbench::model::{ModelContext, ModelKind};
use parbench::net::EchoServer;
use parbench::net::model::EchoModel;
use parbench::plan::{Overrides, Preset, build_config};
use parbench::workload::{WorkloadKind, WorkloadSpec};
use std::io::Write;
use std::time::Duration;

fn ctx() -> ModelContext {
    ModelContext {
        worker_exe: Some(crate::parbench_exe()),
        ..Default::default()
    }
}

/// The designs this machine can run (io_uring may be refused by the kernel).
fn designs() -> Vec<EchoServer> {
    EchoServer::ALL
        .into_iter()
        .filter(|d| match d.model().available() {
            Ok(()) => true,
            Err(why) => {
                eprintln!("not tested here: {}: {why}", d.model());
                false
            }
        })
        .collect()
}

fn alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn every_server_design_echoes_upper_case_exactly() {
    for design in designs() {
        let model = design.model();
        let mut ex = design.start(3, &ctx()).unwrap();
        for (bytes, trips) in [(64, 50), (100_000, 4), (1, 7)] {
            let spec = WorkloadSpec::TcpEcho(parbench::workload::TcpEcho {
                message_bytes: bytes,
            });
            let out = ex.run_batch(&spec, trips).unwrap();
            assert_eq!(
                out.checksum,
                spec.expected_batch_checksum(trips),
                "{model}: {trips} × {bytes} B"
            );
            assert_eq!(out.latency_us.unwrap().len(), trips, "{model}");
        }
        // Fewer round trips than connections: the idle ones just wait.
        let spec = WorkloadSpec::TcpEcho(parbench::workload::TcpEcho { message_bytes: 8 });
        assert_eq!(
            ex.run_batch(&spec, 2).unwrap().checksum,
            spec.expected_batch_checksum(2)
        );
    }
}

#[test]
fn servers_stop_and_release_their_port_when_the_cell_ends_even_after_a_failure() {
    let spec = WorkloadSpec::TcpEcho(parbench::workload::TcpEcho { message_bytes: 32 });
    for model in designs().into_iter().map(|d| d.model().name()) {
        let mut ex = EchoModel::start(&crate::parbench_exe(), model, 2).unwrap();
        let (port, pid) = (ex.port(), ex.server_pid());
        parbench::model::Executor::run_batch(&mut ex, &spec, 10).unwrap();
        drop(ex);
        assert!(!alive(pid), "{model}: server {pid} still running");
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
            "{model}: port {port} still accepts"
        );
        // A failing client: the server dies under it; the batch fails, nothing stays behind.
        let mut ex = EchoModel::start(&crate::parbench_exe(), model, 2).unwrap();
        let pid = ex.server_pid();
        // SAFETY: killing the server this test started.
        unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        std::thread::sleep(Duration::from_millis(50));
        let err = parbench::model::Executor::run_batch(&mut ex, &spec, 10).unwrap_err();
        assert!(err.to_string().contains("tcp-echo"), "{model}: {err}");
        drop(ex);
        assert!(!alive(pid), "{model}: server {pid} not reaped");
    }
}

#[test]
fn a_client_that_disconnects_mid_request_does_not_stop_the_server() {
    let spec = WorkloadSpec::TcpEcho(parbench::workload::TcpEcho { message_bytes: 64 });
    for model in designs().into_iter().map(|d| d.model().name()) {
        let mut ex = EchoModel::start(&crate::parbench_exe(), model, 2).unwrap();
        let port = ex.port();
        for _ in 0..3 {
            // Half a message, then gone without reading the reply.
            let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.write_all(&[b'x'; 32]).unwrap();
            drop(s);
            // Connected and gone at once.
            drop(std::net::TcpStream::connect(("127.0.0.1", port)).unwrap());
        }
        // A reset in the middle of a large reply.
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.write_all(&vec![b'y'; 200_000]).unwrap();
        drop(s);
        std::thread::sleep(Duration::from_millis(50));
        let out = parbench::model::Executor::run_batch(&mut ex, &spec, 40).unwrap();
        assert_eq!(out.checksum, spec.expected_batch_checksum(40), "{model}");
    }
}

#[test]
fn a_tcp_echo_run_reports_throughput_and_latency_and_round_trips() {
    let machine = MachineInfo::detect();
    let o = Overrides {
        workloads: Some(vec![WorkloadKind::TcpEcho]),
        models: Some(vec![ModelKind::Multiplexing, ModelKind::Async]),
        workers: Some(vec![1, 4]),
        tasks: Some(200),
        samples: Some(2),
        warmup: Some(0),
        settle_ms: Some(0),
        ..Default::default()
    };
    let config = build_config(Preset::Quick, &machine, &o).unwrap();
    let results = run(&config, &machine, &ctx(), &mut Silent).unwrap();
    assert_eq!(results.cells.len(), 4);
    for c in &results.cells {
        let n = c.net.as_ref().expect("tcp-echo cells carry net metrics");
        assert_eq!(n.latency_count, 400);
        assert!(n.latency_p50_s <= n.latency_p99_s && n.latency_p99_s <= n.latency_max_s);
        assert!(n.round_trips_per_s > 0.0);
        assert!(c.checksum_ok);
    }
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("r.json");
    parbench::store::write_atomic(&p, &serde_json::to_vec(&results).unwrap()).unwrap();
    assert_eq!(parbench::store::load(&p).unwrap(), results);
}

#[test]
fn tcp_echo_refuses_models_that_are_not_servers_and_vice_versa() {
    let machine = MachineInfo::detect();
    let err = |workload, model| {
        let o = Overrides {
            workloads: Some(vec![workload]),
            models: Some(vec![model]),
            ..Default::default()
        };
        build_config(Preset::Quick, &machine, &o)
            .unwrap_err()
            .to_string()
    };
    assert!(err(WorkloadKind::TcpEcho, ModelKind::Threads).contains("does not serve tcp-echo"));
    assert!(err(WorkloadKind::Cpu, ModelKind::Multiplexing).contains("only the tcp-echo"));
}

/// A client that sends and never reads its replies stalls its own connection: no design
/// buffers what it cannot send (the socket buffers fill and the server stops reading).
#[test]
fn a_client_that_never_reads_cannot_grow_the_server() {
    use std::io::ErrorKind;
    let rss_kib = |pid: u32| -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    for model in designs().into_iter().map(|d| d.model().name()) {
        // The hidden server mode itself (a cell's executor keeps its server stopped between
        // batches).
        let mut server = std::process::Command::new(crate::parbench_exe())
            .args(["echo-server", "--model", model])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let pid = server.id();
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(server.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        let port: u16 = line.trim().strip_prefix("PORT ").unwrap().parse().unwrap();
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_nonblocking(true).unwrap();
        let chunk = vec![b'z'; 1 << 20];
        let (mut sent, mut stuck_since) = (0usize, None);
        // Until 100 MiB went out or writing has been blocked for 300 ms.
        while sent < 100 << 20 {
            match s.write(&chunk) {
                Ok(n) => {
                    sent += n;
                    stuck_since = None;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    let t = *stuck_since.get_or_insert_with(std::time::Instant::now);
                    if t.elapsed() > Duration::from_millis(300) {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) => panic!("{model}: {e}"),
            }
        }
        let rss = rss_kib(pid);
        assert!(
            rss < 48 * 1024,
            "{model}: the server holds {rss} KiB after {} MiB unread",
            sent >> 20
        );
        drop(s);
        drop(server.stdin.take());
        let _ = server.kill();
        server.wait().unwrap();
    }
}
