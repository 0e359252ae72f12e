//! Records the git commit parbench is built from (as PARBENCH_GIT_COMMIT), where git knows it.
use std::path::Path;
use std::process::Command;

fn main() {
    for f in [".git/HEAD", ".git/refs/heads"] {
        if Path::new(f).exists() {
            println!("cargo:rerun-if-changed={f}");
        }
    }
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    println!("cargo:rustc-env=PARBENCH_GIT_COMMIT={commit}");
}
