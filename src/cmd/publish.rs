//! `wxsync publish PATH… [--yes] [--timeout SECS]`: publish the drafts of these articles
//! (see [`crate::project::publish`]); never part of `sync`.

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::output::Output;
use crate::project::publish::{PublishFlags, PublishOutcome, publish};
use crate::time::utc;

pub fn run(
    site: Option<&Path>,
    account: Option<&str>,
    paths: &[PathBuf],
    flags: PublishFlags,
    out: Output,
) -> Result<i32> {
    let drafts = match publish(site, account, paths, flags, out)? {
        PublishOutcome::Done(d) => d,
        PublishOutcome::Declined => {
            out.info("nothing was published");
            return Ok(1);
        }
        PublishOutcome::Invalid(code) => return Ok(code),
    };
    if out.json {
        out.document(&serde_json::json!({ "drafts": drafts }).to_string());
    }
    for d in &drafts {
        let names: Vec<&str> = d.articles.iter().map(|a| a.as_str()).collect();
        match (&d.published, &d.error) {
            (Some(p), _) if !out.json => out.info(&format!(
                "published {} on {}: {}",
                names.join(", "),
                utc(p.publish_time),
                p.article_url
            )),
            (_, Some(e)) if !out.json => {
                crate::output::human(&format!("error: {}: {}\n", names.join(", "), e.message));
            }
            _ => {}
        }
    }
    Ok(if drafts.iter().any(|d| d.error.is_some()) {
        1
    } else {
        0
    })
}
