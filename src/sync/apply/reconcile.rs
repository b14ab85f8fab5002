//! Reconciling lost creations. A `draft/add` whose answer never came may have created a
//! draft: before creating anything, the drafts of the account are listed (`draft/batchget`)
//! and a match is bound instead of creating a duplicate. Likewise an `add_material` whose
//! answer never came may have stored the image: before it is uploaded again, the account's
//! permanent images are listed (`material/batchget_material`) and one with the name it was
//! sent under, made around then, is recorded instead of uploading an orphan.

use std::collections::{BTreeMap, BTreeSet};

use super::{Run, work_members};
use crate::error::Result;
use crate::hash::ContentHash;
use crate::site::ArticlePath;
use crate::sync::lock::{Entry, State};
use crate::sync::plan::Work;
use crate::wechat::{self, DraftSummary, MaterialItem, MediaId};

/// How far from the recorded attempt a draft's or material's creation may be and still be
/// ours: the call itself (at most the client's deadline), plus a margin for clocks (the
/// attempt is on WeChat's clock when an earlier answer of that run told it, else on this
/// machine's).
const WINDOW_BEFORE: i64 = 120;
const WINDOW_AFTER: i64 = 900;

/// The evidence an add leaves in the lockfile.
struct Sent {
    title: String,
    author: Option<String>,
    digest: Option<String>,
    /// Unix seconds; absent in lockfiles written before it was recorded.
    attempted: Option<i64>,
}

/// Whether a creation time fits an attempt; no time from WeChat leaves it to the rest of the
/// evidence.
fn around(attempted: i64, created: Option<i64>) -> bool {
    created.is_none_or(|c| c >= attempted - WINDOW_BEFORE && c <= attempted + WINDOW_AFTER)
}

fn created(d: &DraftSummary) -> Option<i64> {
    d.content
        .create_time
        .or(d.content.update_time)
        .or(d.update_time)
}

/// Whether a draft not in the lockfile could be the one a lost add made: as many articles,
/// each with the title, author and digest sent, created around the attempt.
fn could_be_ours(d: &DraftSummary, sent: &[Sent]) -> bool {
    let items = &d.content.news_item;
    if items.len() != sent.len() {
        return false;
    }
    let same = items.iter().zip(sent).all(|(n, s)| {
        let a = &n.article;
        a.title == s.title
            && a.author.as_deref().unwrap_or("") == s.author.as_deref().unwrap_or("")
            // WeChat writes a digest of its own when none is sent.
            && s.digest.as_ref().is_none_or(|dg| a.digest.as_deref() == Some(dg.as_str()))
    });
    // No recorded attempt (an older lockfile) or no time from WeChat: content decides.
    let when = sent
        .first()
        .and_then(|s| s.attempted)
        .is_none_or(|t| around(t, created(d)));
    same && when
}

impl Run<'_> {
    /// Finds drafts whose `draft/add` outcome was lost, before anything is created.
    pub(super) async fn reconcile(&mut self, work: &[Work]) -> Result<()> {
        let pending: Vec<&Work> = work
            .iter()
            .filter(|w| {
                matches!(
                    w,
                    Work::Create {
                        reconcile: true,
                        ..
                    }
                )
            })
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        let known: BTreeSet<MediaId> = self
            .lock
            .articles
            .values()
            .filter_map(|e| e.media_id.clone())
            .collect();
        let mut drafts = Vec::new();
        let mut offset = 0;
        loop {
            let page = match self.client.draft_batchget(offset, 20, true).await {
                Ok(p) => p,
                Err(e) => {
                    for w in &pending {
                        for m in work_members(w) {
                            self.fail_api(&m, &e);
                        }
                    }
                    return Ok(());
                }
            };
            let n = page.item.len() as u32;
            drafts.extend(page.item);
            offset += n;
            if n == 0 || u64::from(offset) >= page.total_count {
                break;
            }
        }
        for w in pending {
            let Work::Create { draft, members, .. } = w else {
                continue;
            };
            let sent: Vec<Sent> = members.iter().map(|m| self.sent(m)).collect();
            let candidates: Vec<&DraftSummary> = drafts
                .iter()
                .filter(|d| !known.contains(&d.media_id) && could_be_ours(d, &sent))
                .collect();
            match candidates[..] {
                [d] => {
                    // The lost add did happen: bind it, and push the current payload into it.
                    for (i, m) in members.iter().enumerate() {
                        let prev = self.lock.articles.get(m).cloned();
                        self.lock.articles.insert(
                            m.clone(),
                            Entry {
                                media_id: Some(d.media_id.clone()),
                                index: i as u32,
                                state: State::Pushing,
                                source: prev.and_then(|p| p.source),
                                draft: draft.clone(),
                                ..Entry::default()
                            },
                        );
                        if let Some(row) = self.rows.get_mut(m) {
                            row.row.reason = "found the draft an earlier run created".to_string();
                        }
                    }
                    self.save()?;
                }
                [] => {
                    for m in members {
                        self.lock.articles.remove(m);
                    }
                }
                _ => {
                    // Several drafts fit: binding one could overwrite someone else's. Create
                    // nothing; the entries stay `unknown` until the writer chooses.
                    let list: Vec<String> = candidates
                        .iter()
                        .map(|d| format!("{} (created {})", d.media_id, created(d).unwrap_or(0)))
                        .collect();
                    let first = members.first().map(|m| m.to_string()).unwrap_or_default();
                    for m in members {
                        self.fail(
                            m,
                            None,
                            format!(
                                "the answer to an earlier draft/add was lost, and {} drafts could be the one it made: {}; bind the right one with `wxsync adopt {first} --media-id ID` (and delete the others in WeChat), then run again",
                                candidates.len(),
                                list.join(", ")
                            ),
                        );
                    }
                }
            }
        }
        Ok(())
    }

    /// Looks for the permanent images whose `add_material` answers were lost, given as
    /// (hash, name sent, time sent): the name comes from the image's content hash, so a
    /// material of that name made around that time is that image. Two such (the same image
    /// stored twice) are the same picture, so the first found is taken. Returns those found.
    ///
    /// The library's order is undocumented: the listing stops early only once every image is
    /// found, or once it has been newest-first so far and has reached materials older than
    /// every attempt; else it reads to the end.
    pub(super) async fn find_lost_materials(
        &self,
        pending: &[(ContentHash, String, i64)],
    ) -> std::result::Result<BTreeMap<ContentHash, MaterialItem>, wechat::Error> {
        let earliest = pending.iter().map(|p| p.2).min().unwrap_or(0);
        let mut found = BTreeMap::new();
        let mut offset = 0u32;
        let mut newest_first = true;
        let mut last: Option<i64> = None;
        loop {
            let page = self.client.batchget_image_material(offset, 20).await?;
            let n = page.item.len() as u32;
            for item in page.item {
                if let (Some(prev), Some(t)) = (last, item.update_time) {
                    newest_first &= t <= prev;
                }
                last = item.update_time.or(last);
                let ours = pending.iter().find(|(hash, name, at)| {
                    !found.contains_key(hash) && item.name == *name && around(*at, item.update_time)
                });
                if let Some((hash, _, _)) = ours {
                    found.insert(hash.clone(), item);
                }
            }
            offset += n;
            let past = newest_first && last.is_some_and(|t| t < earliest - WINDOW_BEFORE);
            if found.len() == pending.len()
                || n == 0
                || u64::from(offset) >= page.total_count
                || past
            {
                return Ok(found);
            }
        }
    }

    /// What was sent for an article in the add whose answer was lost.
    fn sent(&self, m: &ArticlePath) -> Sent {
        let e = self.lock.articles.get(m);
        let payload = self.payload(m);
        Sent {
            title: e
                .and_then(|e| e.title.clone())
                .or_else(|| payload.map(|p| p.title.clone()))
                .unwrap_or_default(),
            author: e.and_then(|e| e.author.clone()),
            digest: e.and_then(|e| e.digest.clone()),
            attempted: e.and_then(|e| e.attempted),
        }
    }

    /// The draft a reconciled create found, if any.
    pub(super) fn reconciled(
        &self,
        draft: Option<&str>,
        members: &[ArticlePath],
    ) -> Option<MediaId> {
        let e = members.first().and_then(|m| self.lock.articles.get(m))?;
        (e.state == State::Pushing && e.draft.as_deref() == draft)
            .then(|| e.media_id.clone())
            .flatten()
    }
}
