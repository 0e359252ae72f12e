//! The client load of `tcp-echo`: C connections to the server, opened once (outside the timed
//! batches), and batches of round trips over them on a tokio runtime. A batch of T round trips
//! deals round trip i to connection i mod C; each connection writes its payload, reads the full
//! reply, checks it is the payload upper-cased and records the round trip's latency in
//! microseconds. A batch is bounded in count (T) and in time (`cap`): past the cap it fails
//! instead of waiting for a server that stopped answering.

use crate::error::{Error, Result};
use crate::workload::tcp_echo::{is_upper_of, payload, round_trip_checksum};
use hdrhistogram::Histogram;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::runtime::Runtime;

/// A latency histogram of microseconds, 1 µs to 100 s, 3 significant digits.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 100_000_000, 3).expect("valid histogram bounds")
}

/// C open connections and the runtime that drives them.
pub struct EchoClient {
    runtime: Runtime,
    conns: Vec<Option<TcpStream>>,
}

fn net_err(what: String, e: std::io::Error) -> Error {
    Error::Protocol(format!("tcp-echo: {what}: {e}"))
}

impl EchoClient {
    /// Opens `connections` connections to 127.0.0.1:`port`.
    pub fn connect(port: u16, connections: usize) -> Result<Self> {
        let cpus = super::split_cpus().1;
        let threads = cpus.len().max(1);
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder
            .worker_threads(threads)
            .on_thread_start(move || super::pin_current_thread(&cpus))
            .enable_all()
            .thread_name("echo-client");
        let runtime = crate::spawn::catch_refused("tcp-echo client runtime", threads, move || {
            builder.build()
        })?;
        let conns = runtime.block_on(async {
            let mut conns = Vec::with_capacity(connections);
            for i in 0..connections {
                let s = tokio::time::timeout(
                    Duration::from_secs(10),
                    TcpStream::connect(("127.0.0.1", port)),
                )
                .await
                .map_err(|_| {
                    Error::Protocol(format!("tcp-echo: connection {i} to port {port} timed out"))
                })?
                .map_err(|e| net_err(format!("connection {i} to port {port}"), e))?;
                let _ = s.set_nodelay(true);
                conns.push(Some(s));
            }
            Ok::<_, Error>(conns)
        })?;
        Ok(EchoClient { runtime, conns })
    }

    /// Runs `round_trips` round trips of `size` bytes; returns the checksum and the latencies.
    /// On an error the connections are gone and the client must not be used again.
    pub fn run(
        &mut self,
        round_trips: u64,
        size: usize,
        cap: Duration,
    ) -> Result<(u64, Histogram<u64>)> {
        let c = self.conns.len() as u64;
        if c == 0 {
            return Err(Error::Protocol(
                "tcp-echo: the client has no connections".into(),
            ));
        }
        let mut streams = Vec::with_capacity(self.conns.len());
        for (i, s) in self.conns.iter_mut().enumerate() {
            streams.push(s.take().ok_or_else(|| {
                Error::Protocol(format!(
                    "tcp-echo: connection {i} was lost in an earlier batch"
                ))
            })?);
        }
        let outcome = self.runtime.block_on(async move {
            let handles: Vec<_> = streams
                .into_iter()
                .enumerate()
                .map(|(i, stream)| tokio::spawn(connection(i as u64, c, round_trips, size, stream)))
                .collect();
            let all = async {
                let mut out = Vec::with_capacity(handles.len());
                for h in handles {
                    out.push(h.await.map_err(|e| {
                        Error::Protocol(format!("tcp-echo: a client task failed: {e}"))
                    })??);
                }
                Ok::<_, Error>(out)
            };
            match tokio::time::timeout(cap, all).await {
                Ok(r) => r,
                Err(_) => Err(Error::Protocol(format!(
                    "tcp-echo: the batch did not finish within {:.1} s (the server stopped answering?)",
                    cap.as_secs_f64()
                ))),
            }
        })?;
        let mut hist = new_histogram();
        let mut checksum = 0u64;
        for (i, (stream, h, sum)) in outcome.into_iter().enumerate() {
            hist.add(&h)
                .map_err(|e| Error::Protocol(format!("tcp-echo: histogram: {e}")))?;
            checksum = checksum.wrapping_add(sum);
            self.conns[i] = Some(stream);
        }
        Ok((checksum, hist))
    }
}

/// Connection `i` of `c`: round trips i, i + c, … below `total`.
async fn connection(
    i: u64,
    c: u64,
    total: u64,
    size: usize,
    mut stream: TcpStream,
) -> Result<(TcpStream, Histogram<u64>, u64)> {
    let mut hist = new_histogram();
    let (mut out, mut back) = (vec![0u8; size], vec![0u8; size]);
    let mut sum = 0u64;
    let mut index = i;
    while index < total {
        payload(index, &mut out);
        let t0 = Instant::now();
        stream
            .write_all(&out)
            .await
            .map_err(|e| net_err(format!("send of round trip {index} on connection {i}"), e))?;
        stream
            .read_exact(&mut back)
            .await
            .map_err(|e| net_err(format!("reply to round trip {index} on connection {i}"), e))?;
        let us = t0.elapsed().as_micros().max(1) as u64;
        if !is_upper_of(&out, &back) {
            return Err(Error::Protocol(format!(
                "tcp-echo: the reply to round trip {index} on connection {i} is not the upper-cased payload"
            )));
        }
        hist.saturating_record(us);
        sum = sum.wrapping_add(round_trip_checksum(index));
        index += c;
    }
    Ok((stream, hist, sum))
}
