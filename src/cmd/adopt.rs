//! `wxsync adopt PATH --media-id ID [--index N]`: bind an article to a draft that already
//! exists (see [`crate::project::adopt`]).

use std::path::Path;

use crate::error::Result;
use crate::output::Output;
use crate::project::adopt::adopt;

pub fn run(
    site: Option<&Path>,
    path: &Path,
    media_id: &str,
    index: u32,
    out: Output,
) -> Result<i32> {
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
