//! File system helpers every part of wxsync writes and reads through, so that each error
//! names its path and no reader ever sees half a file.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// How hard a write must try to survive a crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Outputs and caches: a crash may lose the new file, never leave half of it.
    Atomic,
    /// The lockfile: fsync the file and its directory, so a recorded `draft/add` is on disk
    /// before the next call is made.
    Synced,
}

/// Writes a file by way of a temporary file in the same directory (created with its
/// parents), so a reader sees the old bytes or the new ones, never a mix.
pub fn write_atomic(path: &Path, bytes: &[u8], durability: Durability) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let err = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(err)?;
    let mut tmp = temp_in(dir).map_err(err)?;
    tmp.write_all(bytes).map_err(err)?;
    if durability == Durability::Synced {
        tmp.as_file().sync_all().map_err(err)?;
    }
    tmp.persist(path).map_err(|e| err(e.error))?;
    if durability == Durability::Synced
        && let Ok(d) = File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(())
}

/// A temporary file in `dir` that becomes a file like any other: its mode follows the umask
/// (0644 typically), not tempfile's private 0600, so a committed lockfile or a prepared image
/// reads as the user's other files do.
fn temp_in(dir: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let mut b = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        b.permissions(std::fs::Permissions::from_mode(0o666));
    }
    b.tempfile_in(dir)
}

/// Why a file could not be read, for messages that complete "cannot read …: ".
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{}", io_reason(.0))]
    Io(std::io::Error),
    #[error("it is a directory")]
    Directory,
    #[error("it is not a regular file (a FIFO, socket or device)")]
    NotAFile,
    #[error("it is larger than {max} bytes")]
    TooLarge { max: u64 },
}

impl ReadError {
    /// The error as the library reports it, naming the path.
    pub fn at(self, path: &Path) -> Error {
        match self {
            ReadError::Io(source) => Error::Read {
                path: path.to_path_buf(),
                source,
            },
            other => Error::Read {
                path: path.to_path_buf(),
                source: std::io::Error::other(other.to_string()),
            },
        }
    }
}

/// Reads a regular file of at most `max` bytes. Anything else (a directory, a FIFO, a device,
/// a file that grows past the cap while it is read) is refused without reading on.
pub fn read_capped(path: &Path, max: u64) -> std::result::Result<Vec<u8>, ReadError> {
    // Look before opening: opening a FIFO blocks until someone writes to it.
    let meta = std::fs::metadata(path).map_err(ReadError::Io)?;
    if meta.is_dir() {
        return Err(ReadError::Directory);
    }
    if !meta.is_file() {
        return Err(ReadError::NotAFile);
    }
    let file = File::open(path).map_err(ReadError::Io)?;
    let meta = file.metadata().map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile);
    }
    if meta.len() > max {
        return Err(ReadError::TooLarge { max });
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > max {
        return Err(ReadError::TooLarge { max });
    }
    Ok(bytes)
}

/// The bytes without a leading UTF-8 byte-order mark, which would otherwise hide a front
/// matter fence and change a source hash.
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes)
}

/// The largest text file (article, theme, config) wxsync reads: far above anything WeChat
/// takes (2 MB of HTML), low enough that a stray binary is refused quickly.
pub const TEXT_MAX: u64 = 16 * 1024 * 1024;

/// A short, human reason for an I/O error.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::IsADirectory => "it is a directory".to_string(),
        _ => e.to_string(),
    }
}

/// The current directory, as the library reports a failure to read it.
pub fn current_dir() -> Result<PathBuf> {
    std::env::current_dir().map_err(|source| Error::Read {
        path: PathBuf::from("."),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_capped_and_refuse_directories() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.md");
        std::fs::write(&f, b"\xef\xbb\xbfhello").unwrap();
        assert_eq!(strip_bom(&read_capped(&f, 100).unwrap()), b"hello");
        assert!(matches!(
            read_capped(&f, 3),
            Err(ReadError::TooLarge { max: 3 })
        ));
        assert!(matches!(
            read_capped(dir.path(), 100),
            Err(ReadError::Directory)
        ));
    }

    #[test]
    fn atomic_writes_create_parents() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("x/y/z.txt");
        write_atomic(&f, b"1", Durability::Synced).unwrap();
        write_atomic(&f, b"2", Durability::Atomic).unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), b"2");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // The umask decides, as for any new file: never the 0600 of a private temp file.
            let plain = dir.path().join("plain");
            std::fs::write(&plain, b"").unwrap();
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&f), mode(&plain));
        }
    }
}
