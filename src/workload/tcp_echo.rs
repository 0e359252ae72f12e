//! The `tcp-echo` workload's data: what round trip i sends (a lower-case payload), what a correct
//! reply is (the payload upper-cased) and the checksum term a verified round trip adds. The
//! servers and the client that move these bytes over sockets are in [`crate::net`], which uses
//! this module; nothing here does IO.

use super::{Batch, Column, Ideal, Reading, mix};

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

/// The `tcp-echo` workload's parameters, for reading its results.
#[derive(Clone, Copy, Debug)]
pub struct Echo {
    /// Bytes per message.
    pub message_bytes: u64,
}

impl Reading for Echo {
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
