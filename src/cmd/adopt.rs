//! `wxsync adopt PATH --media-id ID [--index N]`: bind an article to a draft that already
//! exists; `wxsync adopt PATH`: accept the edits made in WeChat to its draft (see
//! [`crate::project::adopt`]).

use std::path::Path;

use crate::error::Result;
use crate::output::Output;
use crate::project::adopt::{accept, adopt};
use crate::time::utc;

pub fn run(
    site: Option<&Path>,
    path: &Path,
    media_id: Option<&str>,
    index: u32,
    out: Output,
) -> Result<i32> {
    let Some(media_id) = media_id else {
        let a = match accept(site, path, out)? {
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
    let a = adopt(site, path, media_id, index)?;
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
