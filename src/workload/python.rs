//! The checksums of the CPython reference tasks (`scripts/pylesson.py`, run by the `py-*` models).
//!
//! The CPython CPU task is the lesson's exact loop, `res *= i` for `i` in `1..=iterations` with
//! `res` starting at 0, so its result is always 0 and cannot prove anything by itself; the script
//! therefore reports `mix(task ^ SALT) + res + i_last`, which proves that task `task` ran the loop
//! to its last step. Its `io` and `noop` tasks return the same checksums as parbench's own.
//! Mixed tasks are not offered to CPython: their compute time is calibrated for the Rust loop.

use super::WorkloadSpec;

/// The checksum the CPython script returns for task `task` of `spec`, or `None` for a workload
/// the script does not run ([`super::Workload::python`]).
pub fn expected_checksum(spec: &WorkloadSpec, task: u64) -> Option<u64> {
    let w = spec.workload();
    w.python().map(|_| w.python_checksum(task))
}

/// The checksum of a whole CPython batch of `tasks` tasks, or `None` (see [`expected_checksum`]).
pub fn lesson_batch_checksum(spec: &WorkloadSpec, tasks: u64) -> Option<u64> {
    (0..tasks).try_fold(0u64, |acc, t| {
        expected_checksum(spec, t).map(|c| super::combine(acc, c))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::{Mixed, MultiplyLoop, Noop};

    #[test]
    fn cpu_checksum_differs_from_the_rust_loop_and_depends_on_iterations() {
        let spec = WorkloadSpec::Cpu(MultiplyLoop::new(100));
        assert_ne!(expected_checksum(&spec, 1), Some(spec.expected_checksum(1)));
        assert_ne!(
            expected_checksum(&WorkloadSpec::Cpu(MultiplyLoop::new(101)), 1),
            expected_checksum(&spec, 1)
        );
        let noop = WorkloadSpec::Noop(Noop);
        assert_eq!(expected_checksum(&noop, 4), Some(noop.expected_checksum(4)));
        let mixed = WorkloadSpec::Mixed(Mixed {
            cpu_ms: 1,
            io_ms: 1,
            iterations: 1,
            sizes: Default::default(),
        });
        assert_eq!(lesson_batch_checksum(&mixed, 3), None);
    }
}
