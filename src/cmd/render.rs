//! `wxsync render [PATH…]`: write what would be sent, so a writer can look before pushing
//! (see [`crate::project::outputs`]).

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::output::{Output, json_report, plural};
use crate::project::Project;
use crate::project::outputs::{out_dir, with_suffix, write_payload, write_preview};

pub fn run(site: Option<&Path>, paths: &[PathBuf], out: Output) -> Result<i32> {
    let project = Project::open(site)?;
    let results = project.render(&project.select(paths)?);
    let (errors, _) = out.diagnostics(&results, &[]);
    let root = &project.site.root;
    let dir = out_dir(root);
    let mut written = 0;
    for r in results.iter().filter(|r| !r.has_errors()) {
        let Some(rendered) = &r.rendered else {
            continue;
        };
        let base = write_payload(&dir, &r.path, rendered)?;
        write_preview(root, &dir, &r.path, rendered, out)?;
        written += 1;
        if out.verbose > 0 && !out.json {
            out.info(&format!("wrote {}", with_suffix(&base, "html").display()));
        }
    }
    if out.json {
        out.document(&json_report(&results, &[]));
    } else {
        out.info(&format!(
            "rendered {written} of {} article{} into {}",
            results.len(),
            plural(results.len()),
            dir.display()
        ));
    }
    Ok(if errors > 0 { 2 } else { 0 })
}
