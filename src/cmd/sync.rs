//! `wxsync sync [PATH…] [--dry-run] [--prune] [--rehearse [--serve]]`: push new and changed
//! articles to the draft box (see [`crate::project::sync`]), or rehearse that against the
//! bundled emulator ([`crate::project::rehearse`]).

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::output::Output;
use crate::project::rehearse::rehearse;
use crate::project::sync::{Flags, sync};

pub fn run(
    site: Option<&Path>,
    account: Option<&str>,
    paths: &[PathBuf],
    flags: Flags,
    out: Output,
) -> Result<i32> {
    if flags.rehearse {
        return rehearse(site, account, paths, flags, out);
    }
    Ok(sync(site, paths, account, flags, out)?.0)
}
