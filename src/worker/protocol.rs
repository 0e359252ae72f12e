//! The worker wire protocol: frames (the magic `PBW1`, a little-endian `u32` body length of at
//! most [`MAX_FRAME`], a JSON body), the [`Request`] a parent sends and the [`Response`] a worker
//! answers. Encoding and checked decoding only; no processes, no task running.

use crate::error::{Error, Result};
use crate::usage::Usage;
use crate::workload::WorkloadSpec;
use serde::{Deserialize, Serialize};
use std::io::{self, Read};

/// Frame magic: "parbench worker, protocol 1".
pub const MAGIC: [u8; 4] = *b"PBW1";
/// Protocol version carried in every request.
pub const PROTOCOL: u32 = 1;
/// Largest frame body accepted. Responses stay far below `PIPE_BUF` (4096 on Linux).
pub const MAX_FRAME: usize = 3072;
/// A task for a worker.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Request {
    /// Must equal [`PROTOCOL`].
    pub protocol: u32,
    /// The parent's parbench version; a worker of another version refuses the task.
    pub version: String,
    /// Task index.
    pub task: u64,
    /// What to run.
    pub workload: WorkloadSpec,
}

impl Request {
    /// A request for task `task` of `workload`, from this version of parbench.
    pub fn new(task: u64, workload: WorkloadSpec) -> Self {
        Request {
            protocol: PROTOCOL,
            version: env!("CARGO_PKG_VERSION").to_string(),
            task,
            workload,
        }
    }
}

/// A worker's answer to one [`Request`].
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Response {
    /// The worker's pid, so answers on a shared pipe can be told apart.
    pub pid: u32,
    /// The task this answers.
    pub task: u64,
    /// The task's checksum, or why it could not run.
    pub result: std::result::Result<u64, String>,
    /// The worker's cumulative resource usage after the task.
    pub usage: Usage,
    /// When the task started and ended ([`crate::taskclock::now_ns`]); 0 from older workers.
    #[serde(default)]
    pub started_ns: u64,
    /// See `started_ns`.
    #[serde(default)]
    pub ended_ns: u64,
}

/// Encodes `body` as one frame.
pub fn encode<T: Serialize>(body: &T) -> Vec<u8> {
    let json = serde_json::to_vec(body).expect("protocol types always serialise");
    let mut frame = Vec::with_capacity(8 + json.len());
    frame.extend_from_slice(&MAGIC);
    frame.extend_from_slice(&(json.len() as u32).to_le_bytes());
    frame.extend_from_slice(&json);
    frame
}

fn bad_magic(got: &[u8]) -> Error {
    Error::Protocol(format!(
        "bad frame magic {got:02x?} (expected {:02x?})",
        MAGIC
    ))
}

/// The body length a frame header announces, after checking its magic and the size limit.
fn frame_len(header: &[u8; 8]) -> Result<usize> {
    if header[..4] != MAGIC {
        return Err(bad_magic(&header[..4]));
    }
    let len = u32::from_le_bytes(header[4..].try_into().unwrap()) as usize;
    if len > MAX_FRAME {
        return Err(Error::Protocol(format!(
            "frame of {len} bytes exceeds the limit of {MAX_FRAME}"
        )));
    }
    Ok(len)
}

fn decode_body<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| Error::Protocol(format!("malformed frame body: {e}")))
}

/// Reads one frame and decodes its body. `Ok(None)` on a clean end of stream before a frame.
pub fn read_frame<T: for<'de> Deserialize<'de>>(r: &mut impl Read) -> Result<Option<T>> {
    let mut header = [0u8; 8];
    let mut got = 0;
    while got < header.len() {
        match r.read(&mut header[got..]) {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => return Err(Error::Protocol("stream ended inside a frame header".into())),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::Protocol(format!("read failed: {e}"))),
        }
    }
    let len = frame_len(&header)?;
    let mut body = vec![0u8; len];
    r.read_exact(&mut body)
        .map_err(|e| Error::Protocol(format!("stream ended inside a frame body: {e}")))?;
    decode_body(&body).map(Some)
}

/// Decodes the frame at the start of `buf` once all of it is there: `Ok(Some((body, bytes
/// used)))`, or `Ok(None)` while bytes are missing. A wrong magic is an error as soon as the
/// bytes that differ have arrived.
pub fn decode_frame<T: for<'de> Deserialize<'de>>(buf: &[u8]) -> Result<Option<(T, usize)>> {
    let seen = buf.len().min(MAGIC.len());
    if buf[..seen] != MAGIC[..seen] {
        return Err(bad_magic(&buf[..seen]));
    }
    let Some(header) = buf.first_chunk::<8>() else {
        return Ok(None);
    };
    let len = frame_len(header)?;
    match buf.get(8..8 + len) {
        Some(body) => decode_body(body).map(|body| Some((body, 8 + len))),
        None => Ok(None),
    }
}
