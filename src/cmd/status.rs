//! `wxsync status [PATH…] [--remote]`: the plan (create / update / skip, and why), orphans
//! and renames. No network: it compares the rendered articles with the lockfile; with
//! `--remote` it also asks WeChat what became of each draft.

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::output::Output;
use crate::project::remote::status_remote;
use crate::project::sync::status;

pub fn run(
    site: Option<&Path>,
    account: Option<&str>,
    paths: &[PathBuf],
    remote: bool,
    out: Output,
) -> Result<i32> {
    if remote {
        return status_remote(site, account, paths, out);
    }
    status(site, paths, account, out)
}
