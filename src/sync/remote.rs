//! What the account says about our drafts, read with the fewest calls: each draft's
//! `update_time` (edits made in WeChat are told by it: WeChat rewrites the HTML on save, so
//! comparing content cannot work), whether it is gone, and whether a gone draft was
//! published (`freepublish/batchget`) or deleted. Used before a run's updates, after its
//! pushes, and by `wxsync status --remote`.

use std::collections::{BTreeMap, BTreeSet};

use crate::sync::lock::Published;
use crate::wechat::{self, Client, ErrCode, MediaId};

/// Up to this many drafts are read one `draft/get` each; more are listed with
/// `draft/batchget` (`no_content`, 20 a page), falling back to `draft/get` for the last few
/// when that costs fewer calls than the pages left. Measured (tests/remote.rs): one draft
/// costs 1 call either way, and `draft/get` answers without a page of other drafts.
pub const GET_AT_MOST: usize = 1;

/// A page of `draft/batchget` / `freepublish/batchget`: the API's maximum.
const PAGE: u32 = 20;

/// A draft as the account has it now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remote {
    /// In the draft box, last saved at this time (Unix seconds, WeChat's clock).
    Present(Option<i64>),
    /// Not in the draft box: published or deleted.
    Gone,
}

/// The answers of [`read`], and the number of calls they took.
#[derive(Debug, Default)]
pub struct Reads {
    pub drafts: BTreeMap<MediaId, Remote>,
    pub calls: usize,
}

/// Reads where each draft of `ids` stands. Fewest calls: up to [`GET_AT_MOST`] drafts by
/// `draft/get`; else pages of `draft/batchget` without content until every draft is found,
/// switching to `draft/get` for the drafts still missing when they are fewer than the
/// pages left. A draft neither listed nor found by `draft/get` is gone.
pub async fn read(client: &Client, ids: &BTreeSet<MediaId>) -> Result<Reads, wechat::Error> {
    let mut out = Reads::default();
    if ids.is_empty() {
        return Ok(out);
    }
    if ids.len() > GET_AT_MOST {
        let mut offset = 0u32;
        loop {
            let page = client.draft_batchget(offset, PAGE, true).await?;
            out.calls += 1;
            let n = page.item.len() as u32;
            for d in page.item {
                if ids.contains(&d.media_id) {
                    let t = d.update_time.or(d.content.update_time);
                    out.drafts.insert(d.media_id, Remote::Present(t));
                }
            }
            offset += n;
            let missing = ids.len() - out.drafts.len();
            if missing == 0 {
                return Ok(out);
            }
            if n == 0 || u64::from(offset) >= page.total_count {
                for id in ids {
                    out.drafts.entry(id.clone()).or_insert(Remote::Gone);
                }
                return Ok(out);
            }
            let left = (page.total_count - u64::from(offset)).div_ceil(u64::from(PAGE));
            if (missing as u64) < left {
                break;
            }
        }
    }
    let missing: Vec<MediaId> = ids
        .iter()
        .filter(|id| !out.drafts.contains_key(*id))
        .cloned()
        .collect();
    for id in missing {
        out.calls += 1;
        let state = match client.draft_get(&id).await {
            Ok(d) => Remote::Present(d.update_time),
            Err(e) if e.errcode() == Some(ErrCode::InvalidMediaId) => Remote::Gone,
            Err(e) => return Err(e),
        };
        out.drafts.insert(id, state);
    }
    Ok(out)
}

/// A gone draft to look for among the published articles: its articles' titles in order,
/// and the time of our last push (it was published after that).
#[derive(Debug, Clone)]
pub struct GoneDraft {
    pub media_id: MediaId,
    pub titles: Vec<String>,
    pub after: Option<i64>,
}

/// What became of gone drafts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    /// Published: the first article's URL and the time.
    Published(Published),
    /// Not among the published articles: deleted (by hand, or by another tool).
    Deleted,
    /// The account may not list its published articles (48001): published or deleted.
    Unknown,
}

/// Tells published drafts from deleted ones with `freepublish/batchget` (which has no
/// draft id: a published group matches when it has the draft's titles in its order, and was
/// published after our last push). Pages are read until every draft is found or, while the
/// list has been newest first, it reaches articles older than every push; 48001 (no right
/// to the API) leaves each [`Fate::Unknown`]. Returns the fates and the number of calls.
pub async fn fates(
    client: &Client,
    gone: &[GoneDraft],
) -> Result<(BTreeMap<MediaId, Fate>, usize), wechat::Error> {
    let mut out = BTreeMap::new();
    let mut calls = 0;
    if gone.is_empty() {
        return Ok((out, calls));
    }
    let earliest = gone.iter().filter_map(|g| g.after).min();
    // The order is undocumented: the listing stops early only while it has been newest
    // first.
    let mut newest_first = true;
    let mut last: Option<i64> = None;
    let mut offset = 0u32;
    'pages: loop {
        calls += 1;
        let page = match client.freepublish_batchget(offset, PAGE).await {
            Ok(p) => p,
            Err(e) if e.errcode() == Some(ErrCode::ApiUnauthorized) => {
                for g in gone {
                    out.entry(g.media_id.clone()).or_insert(Fate::Unknown);
                }
                return Ok((out, calls));
            }
            Err(e) => return Err(e),
        };
        let n = page.item.len() as u32;
        for item in &page.item {
            let when = item.update_time.or(item.content.update_time).unwrap_or(0);
            newest_first &= last.is_none_or(|l| when <= l);
            last = Some(when);
            for g in gone {
                if out.contains_key(&g.media_id) || g.after.is_some_and(|t| when < t) {
                    continue;
                }
                let titles: Vec<&str> = item
                    .content
                    .news_item
                    .iter()
                    .map(|a| a.article.title.as_str())
                    .collect();
                if titles == g.titles.iter().map(String::as_str).collect::<Vec<_>>() {
                    let url = item
                        .content
                        .news_item
                        .first()
                        .and_then(|a| a.url.clone())
                        .unwrap_or_default();
                    out.insert(
                        g.media_id.clone(),
                        Fate::Published(Published {
                            article_url: url,
                            publish_time: when,
                        }),
                    );
                }
            }
            if out.len() == gone.len() || (newest_first && earliest.is_some_and(|t| when < t)) {
                break 'pages;
            }
        }
        offset += n;
        if n == 0 || u64::from(offset) >= page.total_count {
            break;
        }
    }
    for g in gone {
        out.entry(g.media_id.clone()).or_insert(Fate::Deleted);
    }
    Ok((out, calls))
}
