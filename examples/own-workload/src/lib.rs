//! Two workloads of shapes parbench's own do not have, written as any crate would write its
//! code, with nothing parbench-specific in them:
//!
//! - [`hash_task`]: compute — hash a 64 KiB buffer (FNV-1a), the kind of work a content-addressed
//!   store or a deduplicating backup does per chunk;
//! - [`echo_task`]: blocking IO — one request/response round trip over a loopback TCP
//!   connection to an echo thread, the kind of wait a service calling another service has.
//!
//! `benches/scaling.rs` hands them to `parbench::Harness`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::OnceLock;

/// Bytes hashed per task.
pub const CHUNK: usize = 64 << 10;

/// FNV-1a over `data`.
pub fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Task `task`: fills a 64 KiB chunk from the task index and hashes it. The hash is the task's
/// checksum: the same task gives the same hash wherever it runs.
pub fn hash_task(task: u64) -> u64 {
    let mut chunk = vec![0u8; CHUNK];
    let mut x = task.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for b in chunk.iter_mut() {
        // xorshift: cheap, deterministic bytes.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    fnv1a(&chunk)
}

/// The address of this process's echo thread, started on first use: it answers every
/// connection by sending back what it reads until the peer closes.
fn echo_server() -> SocketAddr {
    static ADDR: OnceLock<SocketAddr> = OnceLock::new();
    *ADDR.get_or_init(|| {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind 127.0.0.1");
        let addr = listener.local_addr().expect("a bound address");
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::spawn(move || {
                    let mut stream = stream;
                    let mut buf = [0u8; 512];
                    while let Ok(n @ 1..) = stream.read(&mut buf) {
                        if stream.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                });
            }
        });
        addr
    })
}

/// Task `task`: connects to the echo thread, sends a 256-byte request made from the task index,
/// waits for the whole answer and returns its hash.
pub fn echo_task(task: u64) -> u64 {
    let request: Vec<u8> = (0..256u64).map(|i| (task ^ i) as u8).collect();
    let mut stream = TcpStream::connect(echo_server()).expect("connect to the echo thread");
    stream.set_nodelay(true).expect("nodelay");
    stream.write_all(&request).expect("send the request");
    let mut answer = vec![0u8; request.len()];
    stream.read_exact(&mut answer).expect("read the answer");
    fnv1a(&answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_are_deterministic_and_distinct() {
        assert_eq!(hash_task(3), hash_task(3));
        assert_ne!(hash_task(3), hash_task(4));
        assert_eq!(echo_task(7), echo_task(7));
        let request: Vec<u8> = (0..256u64).map(|i| (7 ^ i) as u8).collect();
        assert_eq!(echo_task(7), fnv1a(&request), "the echo answers the request");
    }
}
