//! `wxsync sync [PATH…] [--dry-run] [--prune]`: push new and changed articles to the draft
//! box (see [`crate::project::sync`]).

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::output::Output;
use crate::project::sync::{Flags, sync};

pub fn run(site: Option<&Path>, paths: &[PathBuf], flags: Flags, out: Output) -> Result<i32> {
    Ok(sync(site, paths, flags, out)?.0)
}
