//! The empty workload: a task that returns its checksum at once. Timing a batch of these isolates
//! what an execution model itself costs per task (spawn, dispatch, IPC, join).

use super::{Batch, Column, Ideal, Reading, Workload, mix};

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

impl Reading for Noop {
    fn describe(&self, tasks: u64) -> String {
        format!("{tasks} empty tasks")
    }
    /// None: an empty task has nothing to speed up.
    fn ideal(&self, _: &Batch) -> Ideal {
        Ideal::default()
    }
    fn column(&self) -> Column {
        Column::PerTask
    }
    fn title(&self) -> String {
        "Cost per task".into()
    }
}
