//! Reconciling lost adds: a `draft/add` whose answer never came may have created a draft.
//! Before creating anything, the drafts of the account are listed (`draft/batchget`) and a
//! match is bound instead of creating a duplicate.

use std::collections::BTreeSet;

use super::{Run, work_members};
use crate::error::Result;
use crate::site::ArticlePath;
use crate::sync::lock::{Entry, State};
use crate::sync::plan::Work;
use crate::wechat::MediaId;

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
            let titles: Vec<String> = members
                .iter()
                .map(|m| {
                    self.lock
                        .articles
                        .get(m)
                        .and_then(|e| e.title.clone())
                        .or_else(|| self.payload(m).map(|p| p.title.clone()))
                        .unwrap_or_default()
                })
                .collect();
            let found = drafts
                .iter()
                .filter(|d| !known.contains(&d.media_id))
                .filter(|d| {
                    d.content.news_item.len() == members.len()
                        && d.content
                            .news_item
                            .iter()
                            .zip(&titles)
                            .all(|(n, t)| &n.article.title == t)
                })
                .max_by_key(|d| d.update_time.or(d.content.update_time).unwrap_or(0));
            if let Some(d) = found {
                // The lost add did happen: bind it, and push the current payload into it.
                for (i, m) in members.iter().enumerate() {
                    let prev = self.lock.articles.get(m).cloned();
                    self.lock.articles.insert(
                        m.clone(),
                        Entry {
                            media_id: Some(d.media_id.clone()),
                            index: i as u32,
                            hash: None,
                            state: State::Pushing,
                            source: prev.and_then(|p| p.source),
                            draft: draft.clone(),
                            adopted: false,
                            title: None,
                        },
                    );
                    if let Some(row) = self.rows.get_mut(m) {
                        row.row.reason = "found the draft an earlier run created".to_string();
                    }
                }
                self.lock.save(self.root)?;
            } else {
                for m in members {
                    self.lock.articles.remove(m);
                }
            }
        }
        Ok(())
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
