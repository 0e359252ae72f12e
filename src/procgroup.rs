//! Process groups parbench leads: a child started with `process_group(0)` leads a group of its
//! own, so it and everything it starts (a shell's pipeline, a CPython driver's workers, a side
//! of `parbench ab`) can be killed at once, and reaped even after the leader died.
//!
//! [`adopt_orphans`] makes this process the reaper of its descendants' orphans (Linux), so the
//! members of such a group come back to us when their parent dies; [`kill`] signals a group;
//! [`reap`] collects what is left of one; [`kill_and_reap`] does both for a [`std::process::Child`];
//! [`kill_tree`] kills a child and its descendants when they share our group (`/proc`).
//! A leaf: it starts nothing and decides nothing about when a group must end.

/// Makes this process the reaper of its descendants' orphans (Linux; elsewhere a no-op), so the
/// members of a process group it started can be reaped after their leader died.
pub fn adopt_orphans() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with an integer argument; affects only who inherits our orphans.
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1);
    }
}

/// Sends SIGKILL to the process group `group` (a leader's pid).
pub fn kill(group: u32) {
    let Ok(group) = i32::try_from(group) else {
        return;
    };
    if group <= 1 {
        return;
    }
    // SAFETY: signalling a process group by its (positive) id; no memory is involved.
    unsafe {
        libc::kill(-group, libc::SIGKILL);
    }
}

/// Reaps the members of the process group `group` that are this process's children (its
/// orphans come back to us after [`adopt_orphans`]), waiting for each. Call it after the group
/// was killed and its leader reaped: it returns when none of our children is left in it.
pub fn reap(group: u32) {
    let Ok(group) = i32::try_from(group) else {
        return;
    };
    if group <= 1 {
        return;
    }
    loop {
        let mut status = 0;
        // SAFETY: waiting for members of a process group whose processes are our children.
        let r = unsafe { libc::waitpid(-group, &mut status, 0) };
        if r > 0 {
            continue;
        }
        if r < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        break;
    }
}

/// Kills the process group `child` leads (started with `process_group(0)`) and reaps it: the
/// child, and the members reparented to us ([`adopt_orphans`]).
pub fn kill_and_reap(child: &mut std::process::Child) {
    kill(child.id());
    let _ = child.wait();
    reap(child.id());
}

/// The pids of `pid`'s descendants (Linux: from `/proc`; elsewhere none).
fn descendants(pid: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    // pid → parent pid, for every process.
    let parents: Vec<(u32, u32)> = dir
        .flatten()
        .filter_map(|e| {
            let p: u32 = e.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            // "pid (comm) state ppid …": the name may hold spaces and parentheses.
            let ppid = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            Some((p, ppid))
        })
        .collect();
    let mut found = vec![pid];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(
            parents
                .iter()
                .filter(|(_, pp)| *pp == parent)
                .map(|(p, _)| *p),
        );
        i += 1;
    }
    found.remove(0);
    found
}

/// Kills `child` and every process it started (its children, theirs, …: a worker that is a
/// script and what it runs), then reaps the child and those of them that come back to us
/// ([`adopt_orphans`]).
pub fn kill_tree(child: &mut std::process::Child) {
    let tree = descendants(child.id());
    let _ = child.kill();
    for p in &tree {
        // SAFETY: signalling a process by pid; no memory is involved.
        unsafe {
            libc::kill(*p as i32, libc::SIGKILL);
        }
    }
    let _ = child.wait();
    for p in tree {
        // Ours once their parent died (we are their subreaper); not waiting for others'.
        let mut status = 0;
        // SAFETY: waiting for a process that may be our child; WNOHANG after a short wait.
        for _ in 0..50 {
            let r = unsafe { libc::waitpid(p as i32, &mut status, libc::WNOHANG) };
            if r != 0 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt;

    /// A shell that leaves a grandchild in its group: both end, and none is left to reap.
    #[test]
    fn a_group_is_killed_with_its_grandchildren() {
        adopt_orphans();
        let mut child = std::process::Command::new("sh")
            .args(["-c", "sleep 30 & sleep 30; true"])
            .process_group(0)
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(100));
        let group = child.id();
        kill_and_reap(&mut child);
        // SAFETY: probing the group with signal 0.
        let alive = unsafe { libc::kill(-(group as i32), 0) } == 0;
        assert!(!alive, "group {group} still has members");
    }
}
