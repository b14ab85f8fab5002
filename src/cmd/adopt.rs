//! `wxsync adopt PATH --media-id ID [--index N]`: bind an article to a draft that already
//! exists; `wxsync adopt PATH`: accept the edits made in WeChat to its draft, or, for an
//! article with no draft yet, list the account's drafts to choose one (see
//! [`crate::project::adopt`]).

use std::path::Path;

use crate::error::Result;
use crate::output::Output;
use crate::project::adopt::{accept, adopt, candidates, is_bound};
use crate::time::utc;

pub fn run(
    site: Option<&Path>,
    account: Option<&str>,
    path: &Path,
    media_id: Option<&str>,
    index: u32,
    out: Output,
) -> Result<i32> {
    let Some(media_id) = media_id else {
        if !is_bound(site, account, path)? {
            return list(site, account, path, out);
        }
        let a = match accept(site, account, path, out)? {
            Ok(a) => a,
            Err(code) => return Ok(code),
        };
        let paths: Vec<&str> = a.articles.iter().map(|p| p.as_str()).collect();
        if out.json {
            out.document(
                &serde_json::json!({"media_id": a.media_id.as_str(), "accepted": paths, "update_time": a.update_time})
                    .to_string(),
            );
        } else {
            let when = a.update_time.map_or_else(|| "unknown".to_string(), utc);
            out.info(&format!(
                "kept draft {} as edited in WeChat (saved {when}) for {}; the next edit in git is pushed over it",
                a.media_id,
                paths.join(", ")
            ));
        }
        return Ok(0);
    };
    let a = adopt(site, account, path, media_id, index, out)?;
    if out.json {
        out.document(
            &serde_json::json!({"path": a.article.as_str(), "media_id": a.media_id.as_str(), "index": a.index})
                .to_string(),
        );
    } else {
        out.info(&format!(
            "{} is bound to draft {} (article {}: “{}”); the next `wxsync sync` updates it",
            a.article, a.media_id, a.index, a.title
        ));
    }
    Ok(0)
}

/// The account's drafts, to choose the one to bind `path` to.
fn list(site: Option<&Path>, account: Option<&str>, path: &Path, out: Output) -> Result<i32> {
    let list = candidates(site, account, path, out)?;
    if out.json {
        out.document(&serde_json::to_string_pretty(&list).unwrap_or_default());
        return Ok(0);
    }
    let mut text = String::new();
    for c in &list {
        let mark = c
            .matches
            .map_or(String::new(), |i| format!("  ← same title, --index {i}"));
        text.push_str(&format!("{}{mark}\n", c.media_id));
        for (i, t) in c.titles.iter().enumerate() {
            text.push_str(&format!("  {i}: {t}\n"));
        }
    }
    if list.is_empty() {
        text.push_str("the account's draft box is empty: there is nothing to adopt\n");
    } else {
        text.push_str(&format!(
            "adopt one with: wxsync adopt {} --media-id ID [--index N]\n",
            path.display()
        ));
    }
    out.report(&text);
    Ok(0)
}
