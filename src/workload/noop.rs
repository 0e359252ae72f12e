//! The empty workload: a task that returns its checksum at once. Timing a batch of these isolates
//! what an execution model itself costs per task (spawn, dispatch, IPC, join).

use super::{Workload, mix};

/// Salt so a noop task's checksum is its own.
const SALT: u64 = 0x5EED_0000_0000_0020;

/// Does nothing but return a checksum.
#[derive(Clone, Copy, Debug, Default)]
pub struct Noop;

impl Workload for Noop {
    fn run_task(&self, task: u64) -> u64 {
        mix(task ^ SALT)
    }
}
