//! Adopting a draft that already exists (for accounts that had drafts before wxsync): the
//! draft is checked with `draft/get`, and the article bound to it in the lockfile, so the
//! next sync pushes into it instead of creating a new one.

use std::path::Path;

use super::{appid, client, runtime};
use crate::error::{Error, Result};
use crate::fs::{TEXT_MAX, read_capped, strip_bom};
use crate::hash::ContentHash;
use crate::output::Output;
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
pub fn adopt(
    site: Option<&Path>,
    path: &Path,
    media_id: &str,
    index: u32,
    out: Output,
) -> Result<Adopted> {
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
    let client = client(&site, out)?;
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

/// One draft of the account, as `wxsync adopt PATH` lists it.
#[derive(Debug, serde::Serialize)]
pub struct Candidate {
    pub media_id: MediaId,
    pub update_time: Option<i64>,
    /// The titles of its articles, in order (index 0 first).
    pub titles: Vec<String>,
    /// The index of the article whose title is the article's, if one is.
    pub matches: Option<u32>,
}

/// At most this many drafts are listed (the newest, 20 per `draft/batchget`).
const LIST_MAX: u32 = 100;

/// The account's drafts, without their content, for the user to pick the one to adopt: those
/// with an article titled as `path` is come first. Nothing is bound.
pub fn candidates(site: Option<&Path>, path: &Path, out: Output) -> Result<Vec<Candidate>> {
    let project = super::Project::open(site)?;
    let article = project.site.article_arg(path)?;
    let title = project
        .render_one(&article)
        .rendered
        .map(|r| r.payload.title.clone());
    let client = client(&project.site, out)?;
    let rt = runtime(1)?;
    let mut found = Vec::new();
    let mut offset = 0;
    while offset < LIST_MAX {
        let page = rt
            .block_on(client.draft_batchget(offset, 20, true))
            .map_err(|e| Error::Usage(format!("the account's drafts cannot be listed: {e}")))?;
        let n = page.item.len() as u32;
        for d in page.item {
            let titles: Vec<String> = d
                .content
                .news_item
                .iter()
                .map(|a| a.article.title.clone())
                .collect();
            let matches = titles
                .iter()
                .position(|t| Some(t) == title.as_ref())
                .map(|i| i as u32);
            found.push(Candidate {
                media_id: d.media_id,
                update_time: d.update_time.or(d.content.update_time),
                titles,
                matches,
            });
        }
        offset += n;
        if n < 20 || u64::from(offset) >= page.total_count {
            break;
        }
    }
    found.sort_by_key(|c| c.matches.is_none());
    Ok(found)
}
