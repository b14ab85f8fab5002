//! Adopting a draft that already exists (for accounts that had drafts before wxsync): the
//! draft is checked with `draft/get`, and the article bound to it in the lockfile, so the
//! next sync pushes into it instead of creating a new one. Or, for a draft already bound
//! that was edited in WeChat, accepting those edits ([`accept`]): its current `update_time`
//! is recorded with the hash of the article as it is in git, so the next sync leaves the
//! draft alone and the next edit in git is pushed over it.

use std::path::Path;

use super::prepare::prepare;
use super::{Project, appid, client, runtime};
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
    account: Option<&str>,
    path: &Path,
    media_id: &str,
    index: u32,
    out: Output,
) -> Result<Adopted> {
    let mut site = Site::open(site)?;
    super::pick_account(&mut site, account, &[path.to_path_buf()])?;
    let _guard = RunLock::acquire(&site.root)?;
    let mut lock = Lockfile::load_named(&site.root, &site.account.lock_file())?;
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
            update_time: draft.update_time,
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

/// Whether the lockfile binds the article at `path` to a draft: what `wxsync adopt PATH`
/// without an id does depends on it (accept WeChat's edits, or list the drafts).
pub fn is_bound(site: Option<&Path>, account: Option<&str>, path: &Path) -> Result<bool> {
    let mut site = Site::open(site)?;
    super::pick_account(&mut site, account, &[path.to_path_buf()])?;
    let article = site.article_arg(path)?;
    let lock = Lockfile::load_named(&site.root, &site.account.lock_file())?;
    Ok(lock
        .articles
        .get(&article)
        .is_some_and(|e| e.media_id.is_some()))
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
pub fn candidates(
    site: Option<&Path>,
    account: Option<&str>,
    path: &Path,
    out: Output,
) -> Result<Vec<Candidate>> {
    let project = super::Project::open_as(site, account, &[path.to_path_buf()])?;
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

/// What accepting WeChat's edits recorded.
pub struct Accepted {
    pub media_id: MediaId,
    /// The draft's articles whose hash was recorded (every one this site has).
    pub articles: Vec<ArticlePath>,
    /// The draft's `update_time` now recorded (Unix seconds).
    pub update_time: Option<i64>,
}

/// Accepts the edits made in WeChat to the draft the article at `path` is bound to: records
/// the draft's current `update_time`, and for each of its articles the hash of its payload
/// as it is now, so the next sync skips them. `Err` inside: the articles had errors
/// (printed), exit code 2.
pub fn accept(
    site: Option<&Path>,
    account: Option<&str>,
    path: &Path,
    out: Output,
) -> Result<std::result::Result<Accepted, i32>> {
    let root = Site::open(site)?.root;
    let _guard = RunLock::acquire(&root)?;
    let project = Project::open_as(Some(&root), account, &[path.to_path_buf()])?;
    let article = project.site.article_arg(path)?;
    let mut prepared = match prepare(project, &[path.to_path_buf()], out)? {
        Ok(p) => p,
        Err(code) => return Ok(Err(code)),
    };
    let lock = &mut prepared.lock;
    let Some(id) = lock.articles.get(&article).and_then(|e| e.media_id.clone()) else {
        return Err(Error::Usage(format!(
            "{article} has no draft yet: bind it to one with `wxsync adopt {article} --media-id ID`"
        )));
    };
    let client = client(&prepared.project.site, out)?;
    let draft = runtime(1)?.block_on(client.draft_get(&id)).map_err(|e| {
        Error::Usage(format!(
            "the edits to draft {id} cannot be accepted: {e}\n  (a draft that is gone is created anew by the next `wxsync sync`)"
        ))
    })?;
    let members: Vec<ArticlePath> = lock
        .members(&id)
        .into_iter()
        .map(|(p, _)| p.clone())
        .collect();
    let mut accepted = Vec::new();
    for m in members {
        let input = prepared.inputs.get(&m);
        if let Some(e) = lock.articles.get_mut(&m) {
            e.update_time = draft.update_time;
            if let Some(i) = input {
                e.hash = Some(i.hash.clone());
                e.source = Some(i.source.clone());
                e.inputs = i.inputs.clone();
                e.state = State::Synced;
                accepted.push(m.clone());
            }
        }
    }
    lock.save(&prepared.project.site.root)?;
    Ok(Ok(Accepted {
        media_id: id,
        articles: accepted,
        update_time: draft.update_time,
    }))
}
