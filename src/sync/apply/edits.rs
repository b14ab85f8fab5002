//! The draft box is shared: before a run's updates, the drafts they go to are read (their
//! `update_time`, with the fewest calls, [`crate::sync::remote`]); one saved in WeChat since
//! our last push is not overwritten (unless `--overwrite`), and one gone is told published
//! from deleted before it is created anew. After the pushes, each pushed draft's
//! `update_time` is read back and recorded, the baseline of the next run's check.

use std::collections::BTreeSet;

use super::{Run, work_members};
use crate::error::Result;
use crate::site::ArticlePath;
use crate::sync::plan::{Action, Work};
use crate::sync::remote::{self, Fate, GoneDraft, Remote};
use crate::time::utc;
use crate::wechat::MediaId;

impl Run<'_> {
    /// Reads the drafts the plan updates whose last push recorded an `update_time`, and
    /// refuses the updates of those edited in WeChat since. Drafts found gone are kept in
    /// `self.gone` with their fate, for [`Run::update`] to create them anew.
    pub(super) async fn check_edits(&mut self, work: &[Work]) -> Result<()> {
        let updates: Vec<(ArticlePath, MediaId)> = work
            .iter()
            .filter_map(|w| match w {
                Work::Update { path, media_id, .. } => Some((path.clone(), media_id.clone())),
                Work::Create { .. } => None,
            })
            .filter(|(p, _)| !self.failed(p))
            .collect();
        let ids: BTreeSet<MediaId> = updates
            .iter()
            .filter(|(_, id)| self.recorded_time(id).is_some())
            .map(|(_, id)| id.clone())
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        let reads = match remote::read(self.client, &ids).await {
            Ok(r) => r,
            Err(e) => {
                // Unchecked, a draft could be overwritten: those updates wait for a run that
                // can check them.
                for (p, id) in &updates {
                    if ids.contains(id) {
                        self.fail_api(p, &e);
                    }
                }
                return Ok(());
            }
        };
        let mut gone = Vec::new();
        for (id, state) in &reads.drafts {
            match state {
                Remote::Gone => gone.push(self.gone_draft(id)),
                Remote::Present(Some(now)) => {
                    let Some(ours) = self.recorded_time(id) else {
                        continue;
                    };
                    if *now <= ours {
                        continue;
                    }
                    for (p, _) in updates.iter().filter(|(_, i)| i == id) {
                        if self.opts.overwrite {
                            if let Some(d) = self.rows.get_mut(p) {
                                d.row.reason = format!(
                                    "{}; edited in WeChat at {}, overwritten (--overwrite)",
                                    d.row.reason,
                                    utc(*now)
                                );
                            }
                            continue;
                        }
                        self.fail(
                            p,
                            None,
                            format!(
                                "not overwritten: draft {id} was edited in WeChat at {} (after \
                                 wxsync's last push at {}); to push this version anyway run \
                                 `wxsync sync --overwrite {p}`, to keep the edit made in WeChat \
                                 run `wxsync adopt {p}`",
                                utc(*now),
                                utc(ours)
                            ),
                        );
                    }
                }
                Remote::Present(None) => {}
            }
        }
        if gone.is_empty() {
            return Ok(());
        }
        self.note_gone(&gone).await
    }

    /// Tells gone drafts published from deleted, records the published ones in the
    /// lockfile and keeps each fate for the report.
    pub(super) async fn note_gone(&mut self, gone: &[GoneDraft]) -> Result<()> {
        let fates = match remote::fates(self.client, gone).await {
            Ok((f, _calls)) => f,
            Err(e) => {
                self.stop_on(&e);
                gone.iter()
                    .map(|g| (g.media_id.clone(), Fate::Unknown))
                    .collect()
            }
        };
        for (id, fate) in fates {
            if let Fate::Published(p) = &fate {
                // Recorded at once: should the new draft fail, the next run still knows.
                for e in self.lock.articles.values_mut() {
                    if e.media_id.as_ref() == Some(&id) {
                        e.published = Some(p.clone());
                    }
                }
            }
            self.gone.insert(id, fate);
        }
        self.save()
    }

    /// The `update_time` our last push of a draft recorded (the latest of its articles').
    fn recorded_time(&self, id: &MediaId) -> Option<i64> {
        self.lock
            .members(id)
            .iter()
            .filter_map(|(_, e)| e.update_time)
            .max()
    }

    /// A gone draft with its titles (from this run's payloads) and our last push's time.
    pub(super) fn gone_draft(&self, id: &MediaId) -> GoneDraft {
        let mut members: Vec<(u32, ArticlePath)> = self
            .lock
            .members(id)
            .into_iter()
            .map(|(p, e)| (e.index, p.clone()))
            .collect();
        members.sort();
        GoneDraft {
            media_id: id.clone(),
            titles: members
                .iter()
                .map(|(_, p)| self.payload(p).map(|x| x.title.clone()).unwrap_or_default())
                .collect(),
            after: self.recorded_time(id),
        }
    }

    /// What a gone draft's re-creation says in the report.
    pub(super) fn gone_reason(&self, id: &MediaId) -> String {
        match self.gone.get(id) {
            Some(Fate::Published(p)) => format!(
                "published on {} ({}); this edit is a new draft",
                utc(p.publish_time),
                p.article_url
            ),
            Some(Fate::Deleted) => "the draft was deleted in WeChat: created anew".to_string(),
            _ => "the draft was published or deleted on WeChat: created anew".to_string(),
        }
    }

    /// Reads back and records the `update_time` of every draft this run pushed to: the
    /// baseline against which the next run tells an edit made in WeChat. Failing that, the
    /// drafts stay without one (unchecked next run), never with a stale one. A run that
    /// stopped (the day's quota, an account error) sends nothing more, this read included.
    pub(super) async fn record_update_times(&mut self, work: &[Work]) -> Result<()> {
        if self.stopped.is_some() {
            return Ok(());
        }
        let pushed: BTreeSet<MediaId> = work
            .iter()
            .flat_map(work_members)
            .filter_map(|m| {
                let d = self.rows.get(&m)?;
                let done =
                    d.error.is_none() && matches!(d.row.action, Action::Create | Action::Update);
                done.then(|| d.row.media_id.clone()).flatten()
            })
            .collect();
        if pushed.is_empty() {
            return Ok(());
        }
        let Ok(reads) = remote::read(self.client, &pushed).await else {
            return Ok(());
        };
        for (id, state) in reads.drafts {
            if let Remote::Present(Some(t)) = state {
                for e in self.lock.articles.values_mut() {
                    if e.media_id.as_ref() == Some(&id) {
                        e.update_time = Some(t);
                    }
                }
            }
        }
        self.save()
    }
}
