//! The library's error type: what stops a command before it can report per-article results.

use std::io;
use std::path::PathBuf;

use crate::diag::Diagnostic;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no wxsync.yaml in {} or any parent directory", .0.display())]
    NoSite(PathBuf),
    #[error("cannot read {}: {source}", .path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot write {}: {source}", .path.display())]
    Write { path: PathBuf, source: io::Error },
    /// Problems in files the user can fix (config, theme); each names its file and line.
    #[error("{}", .0.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Diagnostic>),
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// Every error here happens before anything is sent: DESIGN §5 exit code 2.
    pub fn exit_code(&self) -> i32 {
        2
    }

    pub fn help(&self) -> Option<&'static str> {
        match self {
            Error::NoSite(_) => Some(
                "run wxsync inside a site, pass `--site DIR`, or create one with `wxsync init`",
            ),
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
