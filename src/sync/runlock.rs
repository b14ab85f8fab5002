//! The run lock, `.wxsync/run.lock`: two runs must not plan from one lockfile state and
//! push at once, or both would create the same drafts.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// The exclusive lock a pushing run holds on `.wxsync/run.lock`. Released when dropped (or
/// when the process dies: the OS drops the lock with the file descriptor).
#[derive(Debug)]
pub struct RunLock {
    file: File,
}

impl RunLock {
    pub fn acquire(root: &Path) -> Result<RunLock> {
        let dir = root.join(crate::site::CACHE_DIR);
        std::fs::create_dir_all(&dir).map_err(|source| Error::Write {
            path: dir.clone(),
            source,
        })?;
        let path = dir.join("run.lock");
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|source| Error::Write {
                path: path.clone(),
                source,
            })?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let holder = std::fs::read_to_string(&path).unwrap_or_default();
                let holder = holder.trim();
                return Err(Error::Usage(format!(
                    "another wxsync run holds {} ({}); wait for it to finish",
                    path.display(),
                    if holder.is_empty() {
                        "process unknown"
                    } else {
                        holder
                    }
                )));
            }
            Err(std::fs::TryLockError::Error(source)) => return Err(Error::Write { path, source }),
        }
        // Say who holds it, for the run that finds it taken.
        let _ = file.set_len(0);
        let _ = writeln!(file, "pid {}", std::process::id());
        let _ = file.flush();
        Ok(RunLock { file })
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_lock_is_exclusive() {
        let dir = tempfile::tempdir().unwrap();
        let first = RunLock::acquire(dir.path()).unwrap();
        let second = RunLock::acquire(dir.path()).unwrap_err();
        assert!(
            second.to_string().contains("another wxsync run"),
            "{second}"
        );
        assert!(
            second
                .to_string()
                .contains(&format!("pid {}", std::process::id()))
        );
        drop(first);
        assert!(RunLock::acquire(dir.path()).is_ok());
    }
}
