//! `wxsync status [PATH…]`: the plan (create / update / skip, and why), orphans and renames.
//! No network: it compares the rendered articles with the lockfile.

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::output::Output;
use crate::project::sync::status;

pub fn run(site: Option<&Path>, paths: &[PathBuf], out: Output) -> Result<i32> {
    status(site, paths, out)
}
