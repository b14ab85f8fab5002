//! `wxsync check`: parse, render and validate every article, with no network.

use std::path::Path;

use crate::error::Result;
use crate::output::{Output, json_report, plural};
use crate::project::Project;

pub fn run(site: Option<&Path>, out: Output) -> Result<i32> {
    let project = Project::open(site)?;
    let checked = project.check()?;
    let (results, site_errors) = (&checked.results, &checked.site_errors);
    let (errors, warnings) = out.diagnostics(results, site_errors);
    if out.json {
        out.document(&json_report(results, site_errors));
    } else {
        if out.verbose > 0 {
            for r in results {
                let e = r.diagnostics.iter().filter(|d| d.is_error()).count();
                let w = r.diagnostics.len() - e;
                out.info(&format!(
                    "checked {}: {e} error{}, {w} warning{}",
                    r.path,
                    plural(e),
                    plural(w)
                ));
            }
        }
        let failed = results.iter().filter(|r| r.has_errors()).count();
        out.info(&format!(
            "checked {} article{}: {failed} with errors, {errors} error{}, {warnings} warning{}",
            results.len(),
            plural(results.len()),
            plural(errors),
            plural(warnings)
        ));
        if results.is_empty() {
            out.info(&format!(
                "no article matched {:?}",
                project.site.config.articles
            ));
        }
    }
    Ok(if errors > 0 { 2 } else { 0 })
}
