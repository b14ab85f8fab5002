//! `wxsync check`: parse, render and validate every article, with no network.

use std::path::Path;

use crate::cmd::{Output, json_report, open, print_diagnostics, render_all};
use crate::error::Result;

pub fn run(site: Option<&Path>, out: Output) -> Result<i32> {
    let (site, renderer) = open(site)?;
    let paths = site.discover()?;
    let results = render_all(&site, &renderer, &paths);
    let draft_errors = site.check_drafts(&paths);
    let (errors, warnings) = print_diagnostics(&results, &draft_errors, out);
    if out.json {
        println!("{}", json_report(&results, &draft_errors));
    } else {
        let failed = results.iter().filter(|r| r.has_errors()).count();
        out.info(&format!(
            "checked {} article{}: {} with errors, {} error{}, {} warning{}",
            results.len(),
            plural(results.len()),
            failed,
            errors,
            plural(errors),
            warnings,
            plural(warnings)
        ));
        if paths.is_empty() {
            out.info(&format!("no article matched {:?}", site.config.articles));
        }
    }
    Ok(if errors > 0 { 2 } else { 0 })
}

pub fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
