//! The `tcp-echo` workload's data: what round trip i sends (a lower-case payload), what a correct
//! reply is (the payload upper-cased) and the checksum term a verified round trip adds. The
//! servers and the client that move these bytes over sockets are in [`crate::net`], which uses
//! this module; nothing here does IO.

use super::{AsyncTask, Batch, Builtin, Column, Ideal, Offload, Params, Reading, Workload, mix};
use serde::{Deserialize, Serialize};

/// Salt of a round trip's checksum term.
const SALT: u64 = 0x5EED_0000_0000_0050;

/// Fills `buf` with the lower-case payload of round trip `index`.
pub fn payload(index: u64, buf: &mut [u8]) {
    for (k, b) in buf.iter_mut().enumerate() {
        *b = b'a' + ((index + k as u64) % 26) as u8;
    }
}

/// Whether `reply` is `sent` upper-cased.
pub fn is_upper_of(sent: &[u8], reply: &[u8]) -> bool {
    sent.len() == reply.len()
        && sent
            .iter()
            .zip(reply)
            .all(|(s, r)| s.to_ascii_uppercase() == *r)
}

/// The checksum term of a verified round trip.
pub fn round_trip_checksum(index: u64) -> u64 {
    mix(index ^ SALT)
}

/// Round trips of `message_bytes` bytes to an echo server ([`crate::net`]); a task is one
/// round trip, the model is the server's design and N the number of connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpEcho {
    /// Bytes per message.
    pub message_bytes: u64,
}

impl Workload for TcpEcho {
    /// Only the echo-server models run tcp-echo (the plan refuses anything else); this is the
    /// checksum term they return for a verified round trip.
    fn run_task(&self, task: u64) -> u64 {
        round_trip_checksum(task)
    }

    fn run_async(&self, task: u64, _: Offload) -> AsyncTask {
        Box::pin(std::future::ready(Ok(self.run_task(task))))
    }

    fn computes(&self) -> bool {
        false
    }

    fn check(&self) -> Result<(), String> {
        let n = self.message_bytes;
        if !(1..=1 << 20).contains(&n) {
            return Err(format!(
                "--message-bytes {n}: must be between 1 and 1048576"
            ));
        }
        Ok(())
    }

    fn set(&mut self, p: &Params) {
        self.message_bytes = p.message_bytes.unwrap_or(self.message_bytes);
    }
}

impl Builtin for TcpEcho {
    /// 20,000 round trips of 64 bytes per batch: ~0.2–1 s on 2 cores, and at least 19 per
    /// connection at the largest count.
    fn sized(_max_workers: u64, _batch_ms: u64) -> (Self, u64) {
        (TcpEcho { message_bytes: 64 }, 20_000)
    }
}

impl Reading for TcpEcho {
    fn describe(&self, tasks: u64) -> String {
        format!(
            "{tasks} round trips of {} bytes over loopback",
            self.message_bytes
        )
    }
    /// None: what bounds it is the server design, which the results show.
    fn ideal(&self, _: &Batch) -> Ideal {
        Ideal::default()
    }
    fn column(&self) -> Column {
        Column::Network
    }
    fn title(&self) -> String {
        "TCP echo".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_lower_case_and_checked_as_upper_case() {
        let mut p = [0u8; 30];
        payload(3, &mut p);
        assert!(p.iter().all(|b| b.is_ascii_lowercase()));
        let up: Vec<u8> = p.iter().map(|b| b.to_ascii_uppercase()).collect();
        assert!(is_upper_of(&p, &up));
        assert!(!is_upper_of(&p, &p));
        assert!(!is_upper_of(&p, &up[1..]));
    }
}
