//! `wxsync adopt PATH --media-id ID [--index N]`: bind an article to a draft that already
//! exists (for accounts that had drafts before wxsync). The draft is checked with
//! `draft/get`; the next sync pushes the article into it instead of creating a new one.

use std::path::Path;

use crate::cmd::Output;
use crate::cmd::sync::{appid, client};
use crate::error::{Error, Result};
use crate::render::ContentHash;
use crate::site::Site;
use crate::sync::lock::{Entry, Lockfile, RunLock, State};
use crate::wechat::MediaId;

pub fn run(
    site: Option<&Path>,
    path: &Path,
    media_id: &str,
    index: u32,
    out: Output,
) -> Result<i32> {
    let site = Site::open(site)?;
    let _guard = RunLock::acquire(&site.root)?;
    let mut lock = Lockfile::load(&site.root)?;
    if let Some(id) = appid(&site) {
        lock.check_appid(&id)?;
    }
    let article = site.article_arg(path)?;
    let text = std::fs::read(site.abs(&article)).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let text = text.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&text);
    let id = MediaId::new(media_id.trim());
    if let Some((other, _)) = lock
        .articles
        .iter()
        .find(|(p, e)| **p != article && e.media_id.as_ref() == Some(&id) && e.index == index)
    {
        return Err(Error::Usage(format!(
            "draft {id} index {index} is already bound to {other}"
        )));
    }
    let client = client(&site)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))?;
    let draft = runtime
        .block_on(client.draft_get(&id))
        .map_err(|e| Error::Usage(format!("draft {id} cannot be adopted: {e}")))?;
    let n = draft.news_item.len() as u32;
    if index >= n {
        return Err(Error::Usage(format!(
            "draft {id} has {n} article{}; index {index} does not exist (indices start at 0)",
            if n == 1 { "" } else { "s" }
        )));
    }
    lock.articles.insert(
        article.clone(),
        Entry {
            media_id: Some(id.clone()),
            index,
            hash: None,
            state: State::Synced,
            source: Some(ContentHash::of(text)),
            draft: None,
            adopted: true,
            title: None,
        },
    );
    lock.save(&site.root)?;
    if out.json {
        println!(
            "{}",
            serde_json::json!({"path": article.as_str(), "media_id": id.as_str(), "index": index})
        );
    } else {
        out.info(&format!(
            "{article} is bound to draft {id} (article {index}: “{}”); the next `wxsync sync` updates it",
            draft.news_item[index as usize].article.title
        ));
    }
    Ok(0)
}
