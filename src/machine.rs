//! What machine this is: CPU, core counts, memory, OS, and the parbench build, detected with
//! sysinfo and `std::thread::available_parallelism`. Detection never fails: what cannot be read is
//! left empty. This module does not decide worker counts (see `plan`).

use serde::{Deserialize, Serialize};

/// The machine a run was measured on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MachineInfo {
    /// Host name as the OS reports it.
    pub hostname: String,
    /// The host name made safe for a folder name (see [`host_slug`]).
    pub host_slug: String,
    /// CPU brand string.
    pub cpu_brand: String,
    /// Physical cores, where the OS tells.
    pub physical_cores: Option<usize>,
    /// Logical CPUs (hardware threads) the OS reports.
    pub logical_cores: usize,
    /// What `std::thread::available_parallelism` allows this process (affinity, cgroup quota).
    pub available_parallelism: usize,
    /// CPU frequency in MHz, where known.
    pub cpu_frequency_mhz: Option<u64>,
    /// Total memory, bytes.
    pub total_memory_bytes: u64,
    /// Operating system name and version.
    pub os: String,
    /// Kernel version.
    pub kernel: String,
    /// CPU architecture.
    pub arch: String,
    /// parbench version that measured.
    pub parbench_version: String,
    /// Git commit parbench was built from, where known.
    pub git_commit: Option<String>,
}

impl MachineInfo {
    /// Detects the current machine.
    pub fn detect() -> MachineInfo {
        use sysinfo::{CpuRefreshKind, MemoryRefreshKind, RefreshKind, System};
        let sys = System::new_with_specifics(
            RefreshKind::nothing()
                .with_cpu(CpuRefreshKind::nothing().with_frequency())
                .with_memory(MemoryRefreshKind::nothing().with_ram()),
        )
        .ok();
        let cpus = sys.as_ref().map(|s| s.cpus()).unwrap_or(&[]);
        let available = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        let hostname = System::host_name().unwrap_or_else(|_| "unknown-host".into());
        MachineInfo {
            host_slug: host_slug(&hostname),
            hostname,
            cpu_brand: cpus
                .first()
                .map(|c| c.brand().trim().to_string())
                .unwrap_or_default(),
            physical_cores: System::physical_core_count().ok(),
            logical_cores: if cpus.is_empty() {
                available
            } else {
                cpus.len()
            },
            available_parallelism: available,
            cpu_frequency_mhz: cpus.first().map(|c| c.frequency()).filter(|f| *f > 0),
            total_memory_bytes: sys.as_ref().map(|s| s.total_memory()).unwrap_or(0),
            os: System::long_os_version().unwrap_or_default(),
            kernel: System::kernel_version().unwrap_or_default(),
            arch: System::cpu_arch(),
            parbench_version: env!("CARGO_PKG_VERSION").to_string(),
            git_commit: option_env!("PARBENCH_GIT_COMMIT")
                .filter(|c| !c.is_empty())
                .map(str::to_string),
        }
    }

    /// Physical cores if known, else the logical count.
    pub fn cores_for_cpu_bound(&self) -> usize {
        self.physical_cores.unwrap_or(self.logical_cores).max(1)
    }
}

/// A host name reduced to `[a-z0-9-]`, never empty, never `.` or `..`: safe as one path component.
pub fn host_slug(hostname: &str) -> String {
    let mut slug = String::new();
    for c in hostname.trim().chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_matches('-');
    if slug.is_empty() {
        "unknown-host".into()
    } else {
        slug.chars().take(63).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_safe_path_components() {
        assert_eq!(host_slug("My-Laptop.local"), "my-laptop-local");
        assert_eq!(host_slug("../../etc"), "etc");
        assert_eq!(host_slug("a/b\\c"), "a-b-c");
        assert_eq!(host_slug(".."), "unknown-host");
        assert_eq!(host_slug(""), "unknown-host");
    }

    #[test]
    fn detection_finds_at_least_one_core() {
        let m = MachineInfo::detect();
        assert!(m.logical_cores >= 1);
        assert!(m.available_parallelism >= 1);
        assert!(!m.host_slug.is_empty());
        assert!(m.cores_for_cpu_bound() >= 1);
    }
}
