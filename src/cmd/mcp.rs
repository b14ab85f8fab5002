//! `wxsync mcp`: serve the Model Context Protocol on stdin/stdout ([`crate::mcp`]).

use std::path::Path;

use crate::error::Result;
use crate::output::Output;
use crate::sync::github;

pub fn run(site: Option<&Path>, out: Output) -> Result<i32> {
    if github::active() {
        // Workflow commands (`::error`, `::add-mask::`) go to stdout, which is the protocol's.
        // SAFETY: no other thread exists yet; the runtime starts below.
        unsafe { std::env::remove_var("GITHUB_ACTIONS") };
    }
    out.info("wxsync mcp: serving the Model Context Protocol on stdin/stdout");
    crate::mcp::serve(site)?;
    Ok(0)
}
