//! The empty workload: a task that returns its checksum at once. Timing a batch of these isolates
//! what an execution model itself costs per task (spawn, dispatch, IPC, join).

use super::{AsyncTask, Batch, Builtin, Column, Ideal, Offload, Reading, Workload, mix};
use serde::{Deserialize, Serialize};

/// Salt so a noop task's checksum is its own.
const SALT: u64 = 0x5EED_0000_0000_0020;

/// Does nothing but return a checksum.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Noop;

impl Workload for Noop {
    fn run_task(&self, task: u64) -> u64 {
        mix(task ^ SALT)
    }

    /// Inline on the runtime's thread whatever the model: there is nothing to offload.
    fn run_async(&self, task: u64, _: Offload) -> AsyncTask {
        Box::pin(std::future::ready(Ok(self.run_task(task))))
    }

    fn computes(&self) -> bool {
        false
    }

    fn python(&self) -> Option<(&'static str, u64)> {
        Some(("noop", 0))
    }
}

impl Builtin for Noop {
    /// Enough empty tasks that a batch outlasts the clock's resolution by far.
    fn sized(_max_workers: u64, _batch_ms: u64) -> (Self, u64) {
        (Noop, 256)
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
