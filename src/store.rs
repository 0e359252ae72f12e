//! Reading and writing result files. Writes are atomic (a temp file in the same folder, then a
//! rename), so a reader or an interrupted run never sees half a file. Loading checks
//! `schema_version` before anything else and names the file in every error.

use crate::error::{Error, Result};
use crate::result::{OLDEST_SCHEMA_VERSION, RunResults, SCHEMA_VERSION};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The one output-path policy: parbench writes regular files only. A path that exists and is
/// anything else — a folder, a device (even `/dev/null`), a FIFO, a socket, or a symbolic link
/// (whose target a rename would not follow but replace) — is refused, before anything is
/// written.
pub fn check_output(path: &Path) -> Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(Error::Config(format!(
            "{} is a symbolic link; parbench writes regular files only and will not replace it",
            path.display()
        ))),
        Ok(m) if m.is_dir() => Err(Error::Config(format!(
            "{} is a folder, not a file to write",
            path.display()
        ))),
        Ok(m) if !m.is_file() => Err(Error::Config(format!(
            "{} is not a regular file (a device, FIFO or socket); parbench writes regular files only and will not replace it",
            path.display()
        ))),
        _ => Ok(()),
    }
}

/// `bytes` in a temporary file in `path`'s folder (created if missing), ready to be renamed to
/// `path` (which [`check_output`] allows).
fn staged(path: &Path, bytes: &[u8]) -> Result<tempfile::NamedTempFile> {
    check_output(path)?;
    let err = |source| Error::Write {
        path: path.to_path_buf(),
        io: source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(err)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".parbench-").suffix(".tmp");
    // Temp files are private by default; these are ordinary result files.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let mut tmp = builder.tempfile_in(dir).map_err(err)?;
    tmp.write_all(bytes).map_err(err)?;
    Ok(tmp)
}

/// Writes `bytes` to `path` atomically, creating the parent folder.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    // No fsync: checkpoints are written between timed batches, and a forced disk flush there
    // wakes kernel IO threads that disturb the next batch on a small machine. The rename alone
    // keeps readers and interrupted runs from ever seeing half a file; only an OS crash could
    // lose the last checkpoint.
    staged(path, bytes)?
        .persist(path)
        .map_err(|e| Error::Write {
            path: path.to_path_buf(),
            io: e.error,
        })?;
    Ok(())
}

/// Writes `bytes` to `path` atomically like [`write_atomic`], but refuses to replace an existing
/// file unless `force` (the check and the rename are one step: no race with another writer).
pub fn write_new(path: &Path, bytes: &[u8], force: bool) -> Result<()> {
    if force {
        return write_atomic(path, bytes);
    }
    match staged(path, bytes)?.persist_noclobber(path) {
        Ok(_) => Ok(()),
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => Err(Error::Exists {
            path: path.to_path_buf(),
        }),
        Err(e) => Err(Error::Write {
            path: path.to_path_buf(),
            io: e.error,
        }),
    }
}

/// The largest result file `load` reads (a default run is ~100 KiB; 4000-cell sweeps a few MiB).
pub const MAX_RESULT_BYTES: u64 = 64 << 20;

/// Where one run's results go: `<dir>/<timestamp>.json`, mirrored to `<dir>/latest.json`.
#[derive(Clone, Debug)]
pub struct ResultSink {
    /// The run's own file.
    pub run_file: PathBuf,
    /// `latest.json` beside it.
    pub latest_file: PathBuf,
}

impl ResultSink {
    /// A sink in `dir` named after `started_utc` (`2026-11-26T14:06:22Z` →
    /// `2026-11-26T14-06-22Z.json`, `…-2.json` if that name is taken), its name claimed by
    /// creating the file exclusively: two runs started in the same second into one folder get
    /// two files. The folder is created; one that cannot be written is refused here, before
    /// anything is measured. The claimed file stays empty until the first save replaces it
    /// ([`ResultSink::abandon`] removes it if nothing is ever saved).
    pub fn claim(dir: &Path, started_utc: &str) -> Result<ResultSink> {
        let refuse = |e: std::io::Error| {
            Error::Config(format!(
                "cannot write results to --out {}: {e}",
                dir.display()
            ))
        };
        check_output(&dir.join("latest.json"))?;
        std::fs::create_dir_all(dir).map_err(refuse)?;
        let stem = started_utc.replace(':', "-");
        for i in 1.. {
            let name = match i {
                1 => format!("{stem}.json"),
                i => format!("{stem}-{i}.json"),
            };
            let run_file = dir.join(name);
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&run_file)
            {
                Ok(_) => {
                    return Ok(ResultSink {
                        run_file,
                        latest_file: dir.join("latest.json"),
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(refuse(e)),
            }
        }
        unreachable!("some suffix is free")
    }

    /// Removes the claimed run file if nothing was ever saved in it.
    pub fn abandon(&self) {
        if std::fs::metadata(&self.run_file).is_ok_and(|m| m.len() == 0) {
            let _ = std::fs::remove_file(&self.run_file);
        }
    }

    /// Writes `results` to both files, atomically each.
    pub fn save(&self, results: &RunResults) -> Result<()> {
        let mut text = serde_json::to_vec_pretty(results).expect("results always serialise");
        text.push(b'\n');
        write_atomic(&self.run_file, &text)?;
        write_atomic(&self.latest_file, &text)
    }
}

/// Reads at most `max` bytes of `path`, however the bytes arrive (a regular file, a FIFO,
/// `/dev/stdin`, a device that never ends): more is an error naming the file, and nothing past
/// the limit is read.
pub fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let read_err = |source| Error::Read {
        path: path.to_path_buf(),
        io: source,
    };
    let file = std::fs::File::open(path).map_err(read_err)?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(Error::Config(format!(
            "{} is a folder, not a file to read",
            path.display()
        )));
    }
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > max {
        return Err(Error::Parse {
            path: path.to_path_buf(),
            detail: format!(
                "more than {} MiB, larger than a result file can be",
                max >> 20
            ),
        });
    }
    Ok(bytes)
}

/// Reads a result file (at most [`MAX_RESULT_BYTES`]), checking its schema version and then its
/// values.
pub fn load(path: &Path) -> Result<RunResults> {
    let text = read_bounded(path, MAX_RESULT_BYTES)?;
    parse(path, &text)
}

/// Parses result-file bytes; `path` is only used in error messages.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<RunResults> {
    let parse_err = |detail: String| Error::Parse {
        path: path.to_path_buf(),
        detail,
    };
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(parse_err("the file is empty".into()));
    }
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| parse_err(e.to_string()))?;
    let version = value
        .get("schema_version")
        .ok_or_else(|| parse_err("no schema_version field".into()))?
        .as_u64()
        .ok_or_else(|| parse_err("schema_version is not a number".into()))?;
    if !(u64::from(OLDEST_SCHEMA_VERSION)..=u64::from(SCHEMA_VERSION)).contains(&version) {
        return Err(Error::SchemaVersion {
            path: path.to_path_buf(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    if let Some(at) = crate::result::check::huge_float(&value) {
        return Err(parse_err(format!(
            "the number at {} is larger than any measurement",
            at.trim_start_matches('.')
        )));
    }
    let r: RunResults = serde_json::from_value(value).map_err(|e| parse_err(e.to_string()))?;
    crate::result::check::check(&r).map_err(parse_err)?;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/x.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path().join("sub")).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn bad_files_are_named() {
        let p = Path::new("some/file.json");
        let e = parse(p, b"{\"schema_version\": 99}")
            .unwrap_err()
            .to_string();
        assert!(e.contains("some/file.json") && e.contains("99"), "{e}");
        let e = parse(p, b"{\"schema_ver").unwrap_err().to_string();
        assert!(e.contains("some/file.json"), "{e}");
        let e = parse(p, b"[]").unwrap_err().to_string();
        assert!(e.contains("schema_version"), "{e}");
        let e = load(Path::new("/nonexistent/r.json"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("/nonexistent/r.json"), "{e}");
    }

    #[test]
    fn sink_names_follow_the_timestamp_and_never_collide() {
        let dir = tempfile::tempdir().unwrap();
        let a = ResultSink::claim(dir.path(), "2026-11-26T14:06:22Z").unwrap();
        assert!(a.run_file.ends_with("2026-11-26T14-06-22Z.json"));
        // Claimed, not yet written: the next run of the same second gets another name.
        let b = ResultSink::claim(dir.path(), "2026-11-26T14:06:22Z").unwrap();
        assert!(b.run_file.ends_with("2026-11-26T14-06-22Z-2.json"));
        b.abandon();
        assert!(!b.run_file.exists());
        // Many at once, from threads: every one its own file.
        let names: Vec<PathBuf> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..8)
                .map(|_| s.spawn(|| ResultSink::claim(dir.path(), "T").unwrap().run_file))
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut distinct = names.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), 8);
    }

    #[test]
    fn only_regular_files_are_written_or_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target.json");
        std::fs::write(&target, "keep").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let e = write_atomic(&link, b"x").unwrap_err().to_string();
        assert!(e.contains("symbolic link"), "{e}");
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read(&target).unwrap(), b"keep");
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo with a valid path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        let e = write_new(&fifo, b"x", true).unwrap_err().to_string();
        assert!(e.contains("not a regular file"), "{e}");
        assert!(!std::fs::symlink_metadata(&fifo).unwrap().is_file());
        let e = write_atomic(Path::new("/dev/null"), b"x")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a regular file"), "{e}");
        assert!(
            write_atomic(dir.path(), b"x")
                .unwrap_err()
                .to_string()
                .contains("folder")
        );
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 3, "no temp file left");
    }
}
