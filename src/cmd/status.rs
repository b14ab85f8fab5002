//! `wxsync status [PATH…]`: the plan (create / update / skip, and why), orphans and renames.
//! No network: it compares the rendered articles with the lockfile.

use std::path::{Path, PathBuf};

use crate::cmd::Output;
use crate::cmd::sync::prepare;
use crate::error::Result;
use crate::sync::report;

pub fn run(site: Option<&Path>, paths: &[PathBuf], out: Output) -> Result<i32> {
    let prepared = match prepare(site, paths, out)? {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    let outcome = report::planned(&prepared.plan);
    if out.json {
        println!("{}", report::json(&prepared.plan, &outcome));
    } else {
        eprint!("{}", report::table(&prepared.plan, &outcome, true));
    }
    Ok(0)
}
