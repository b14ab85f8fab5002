//! Pruning (`sync --prune`): deleting the drafts of articles that are gone, only drafts this
//! lockfile created and no remaining article uses, and of replaced multi-article drafts.

use std::collections::BTreeSet;

use super::Run;
use crate::error::Result;
use crate::site::ArticlePath;
use crate::sync::plan::Plan;
use crate::wechat::MediaId;

impl Run<'_> {
    /// Deletes the drafts of vanished articles (only drafts this lockfile created, only drafts
    /// no remaining article uses) and of replaced multi-article drafts.
    pub(super) async fn prune(&mut self, plan: &Plan) -> Result<Vec<MediaId>> {
        let orphan_paths: BTreeSet<&ArticlePath> = plan.orphans.iter().map(|o| &o.path).collect();
        let mut candidates: BTreeSet<MediaId> = self.lock.orphans.keys().cloned().collect();
        for o in &plan.orphans {
            let Some(id) = &o.media_id else { continue };
            let users = self.lock.members(id);
            if users
                .iter()
                .all(|(p, e)| orphan_paths.contains(p) && !e.adopted)
            {
                candidates.insert(id.clone());
            }
        }
        let mut pruned = Vec::new();
        for id in candidates {
            match self.client.draft_delete(&id).await {
                Ok(()) => {
                    self.sent = true;
                    self.lock.orphans.remove(&id);
                    self.lock.articles.retain(|p, e| {
                        !(orphan_paths.contains(p) && e.media_id.as_ref() == Some(&id))
                    });
                    self.save()?;
                    pruned.push(id);
                }
                Err(e) => {
                    self.stopped
                        .get_or_insert(format!("could not delete draft {id}: {e}"));
                }
            }
        }
        // Orphans without a draft (never pushed) just leave the lockfile.
        self.lock
            .articles
            .retain(|p, e| !(orphan_paths.contains(p) && e.media_id.is_none()));
        Ok(pruned)
    }
}
