//! Adopting a draft that already exists (for accounts that had drafts before wxsync): the
//! draft is checked with `draft/get`, and the article bound to it in the lockfile, so the
//! next sync pushes into it instead of creating a new one.

use std::path::Path;

use super::{appid, client, runtime};
use crate::error::{Error, Result};
use crate::fs::{TEXT_MAX, read_capped, strip_bom};
use crate::hash::ContentHash;
use crate::site::{ArticlePath, Site};
use crate::sync::lock::{Entry, Lockfile, State};
use crate::sync::runlock::RunLock;
use crate::wechat::MediaId;

/// What was adopted.
pub struct Adopted {
    pub article: ArticlePath,
    pub media_id: MediaId,
    pub index: u32,
    /// The title the draft's article has on WeChat.
    pub title: String,
}

/// Binds the article at `path` (as given on the command line) to article `index` of draft
/// `media_id`.
pub fn adopt(site: Option<&Path>, path: &Path, media_id: &str, index: u32) -> Result<Adopted> {
    let site = Site::open(site)?;
    let _guard = RunLock::acquire(&site.root)?;
    let mut lock = Lockfile::load(&site.root)?;
    if let Some(id) = appid(&site) {
        lock.check_appid(&id)?;
    }
    let article = site.article_arg(path)?;
    let bytes = read_capped(&site.abs(&article), TEXT_MAX).map_err(|e| e.at(path))?;
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
    let draft = runtime(1)?
        .block_on(client.draft_get(&id))
        .map_err(|e| Error::Usage(format!("draft {id} cannot be adopted: {e}")))?;
    let n = draft.news_item.len() as u32;
    if index >= n {
        return Err(Error::Usage(format!(
            "draft {id} has {n} article{}; index {index} does not exist (indices start at 0)",
            crate::output::plural(n as usize)
        )));
    }
    lock.articles.insert(
        article.clone(),
        Entry {
            media_id: Some(id.clone()),
            index,
            hash: None,
            state: State::Synced,
            source: Some(ContentHash::of(strip_bom(&bytes))),
            draft: None,
            adopted: true,
            ..Entry::default()
        },
    );
    lock.save(&site.root)?;
    Ok(Adopted {
        article,
        media_id: id,
        index,
        title: draft.news_item[index as usize].article.title.clone(),
    })
}
