//! Pushing articles: `draft/add` (recorded as `unknown` before the call, so a lost answer
//! is reconciled next run instead of duplicated), `draft/update`, and re-creating a draft
//! that WeChat says is gone.

use super::Run;
use crate::error::Result;
use crate::site::ArticlePath;
use crate::sync::lock::{Entry, Orphan, State};
use crate::sync::plan::{Action, Work, payload_hash};
use crate::sync::resolve::resolve;
use crate::wechat::{ErrCode, MediaId};

impl Run<'_> {
    /// One unit of work: a `draft/add` (or, when reconcile found the lost add, updates of
    /// that draft), or a `draft/update`; a draft found gone is created anew.
    pub(super) async fn work(&mut self, w: &Work) -> Result<()> {
        let recreate = match w {
            Work::Create {
                draft,
                members,
                replaces,
                ..
            } => match self.reconciled(draft.as_deref(), members) {
                // The lost add did happen: push the current payloads into that draft.
                Some(id) => {
                    let mut again = None;
                    for (i, m) in members.iter().enumerate() {
                        again = again.or(self.update(m, &id, i as u32).await?);
                        if let Some(d) = self.rows.get_mut(m)
                            && d.error.is_none()
                        {
                            d.row.action = Action::Update;
                        }
                    }
                    again
                }
                None => {
                    self.create(draft.as_deref(), members, replaces).await?;
                    None
                }
            },
            Work::Update {
                path,
                media_id,
                index,
            } => self.update(path, media_id, *index).await?,
        };
        if let Some((draft, paths)) = recreate {
            self.create(draft.as_deref(), &paths, &[]).await?;
        }
        Ok(())
    }

    async fn create(
        &mut self,
        draft: Option<&str>,
        members: &[ArticlePath],
        replaces: &[MediaId],
    ) -> Result<()> {
        if !self.ensure_rendered(members) {
            return Ok(());
        }
        let mut articles = Vec::new();
        for m in members {
            let Some(p) = self.payload(m) else {
                return Ok(());
            };
            match resolve(p, self.lock, self.remote_of(m)) {
                Ok(a) => articles.push(a),
                Err(why) => {
                    for m2 in members {
                        self.fail(m2, None, format!("{m}: {why}"));
                    }
                    return Ok(());
                }
            }
        }
        // Record the attempt first: if the answer is lost, the next run looks for the draft.
        let previous: Vec<(ArticlePath, Option<Entry>)> = members
            .iter()
            .map(|m| (m.clone(), self.lock.articles.get(m).cloned()))
            .collect();
        // On WeChat's clock when an answer has told it (the drafts' times are on it).
        let attempted = crate::wechat::token::now_unix() as i64
            + self.client.server_clock_offset().unwrap_or(0);
        for (i, m) in members.iter().enumerate() {
            let source = self.inputs.get(m).map(|x| x.source.clone());
            self.lock.articles.insert(
                m.clone(),
                Entry {
                    index: i as u32,
                    state: State::Unknown,
                    source,
                    draft: draft.map(str::to_string),
                    title: Some(articles[i].title.clone()),
                    author: articles[i].author.clone(),
                    digest: articles[i].digest.clone(),
                    attempted: Some(attempted),
                    ..Entry::default()
                },
            );
        }
        // The drafts this one replaces become orphans now, with the attempt: should its answer
        // be lost, they are still known, and `--prune` still deletes them.
        let orphaned: Vec<MediaId> = replaces
            .iter()
            .filter(|old| !self.lock.orphans.contains_key(*old))
            .filter(|old| {
                self.lock
                    .articles
                    .values()
                    .all(|e| e.media_id.as_ref() != Some(*old))
            })
            .cloned()
            .collect();
        for old in &orphaned {
            self.lock.orphans.insert(
                old.clone(),
                Orphan {
                    reason: "replaced: the articles of this draft changed".to_string(),
                },
            );
        }
        self.save()?;
        match self.client.draft_add(&articles).await {
            Ok(media_id) => {
                self.sent = true;
                for (i, m) in members.iter().enumerate() {
                    let hash = self.payload(m).map(payload_hash);
                    let input = self.inputs.get(m);
                    if let Some(e) = self.lock.articles.get_mut(m) {
                        e.media_id = Some(media_id.clone());
                        e.hash = hash;
                        match input {
                            Some(i) => i.record_origin(e),
                            None => e.inputs = None,
                        }
                        e.state = State::Synced;
                        e.settle();
                    }
                    if let Some(d) = self.rows.get_mut(m) {
                        d.row.media_id = Some(media_id.clone());
                        d.row.index = i as u32;
                    }
                }
                self.save()?;
            }
            Err(e) if e.is_outcome_unknown() => {
                // The entries stay `unknown`; the error's hint says the next run looks for
                // the draft before creating one.
                for m in members {
                    self.fail(m, e.code(), e.to_string());
                }
            }
            Err(e) => {
                // Refused: nothing was created, so nothing was replaced.
                for old in &orphaned {
                    self.lock.orphans.remove(old);
                }
                for (m, prev) in previous {
                    match prev {
                        Some(p) => self.lock.articles.insert(m.clone(), p),
                        None => self.lock.articles.remove(&m),
                    };
                    self.fail_api(&m, &e);
                }
                self.save()?;
            }
        }
        Ok(())
    }

    /// `draft/update`. When the draft turns out to be gone, returns the draft to create anew
    /// (its name and articles in order).
    async fn update(
        &mut self,
        path: &ArticlePath,
        media_id: &MediaId,
        index: u32,
    ) -> Result<Option<Recreate>> {
        let Some(p) = self.payload(path) else {
            return Ok(None);
        };
        let hash = payload_hash(p);
        let article = match resolve(p, self.lock, self.remote_of(path)) {
            Ok(a) => a,
            Err(why) => {
                self.fail(path, None, why);
                return Ok(None);
            }
        };
        if self.gone.contains_key(media_id) {
            return Ok(self.recreate_gone(path, media_id));
        }
        // Our push moves the draft's update_time: until it is read back, none is known. It
        // is forgotten before the call, so that a run cut short after it (a crash, a full
        // disk) cannot pass our own push for an edit made in WeChat.
        let baseline: Vec<(ArticlePath, Option<i64>)> = self
            .lock
            .members(media_id)
            .into_iter()
            .map(|(p, e)| (p.clone(), e.update_time))
            .collect();
        if baseline.iter().any(|(_, t)| t.is_some()) {
            for (p, _) in &baseline {
                if let Some(e) = self.lock.articles.get_mut(p) {
                    e.update_time = None;
                }
            }
            self.save()?;
        }
        let result = self.client.draft_update(media_id, index, &article).await;
        if let Err(e) = &result
            && !e.is_ambiguous()
        {
            // Refused: the draft is as it was.
            for (p, t) in baseline {
                if let Some(e) = self.lock.articles.get_mut(&p) {
                    e.update_time = t;
                }
            }
        }
        match result {
            Ok(()) => {
                self.sent = true;
                if let Some(e) = self.lock.articles.get_mut(path) {
                    e.hash = Some(hash);
                    e.state = State::Synced;
                    e.source = self.inputs.get(path).map(|i| i.source.clone());
                    match self.inputs.get(path) {
                        Some(i) => i.record_origin(e),
                        None => e.inputs = None,
                    }
                }
                if let Some(d) = self.rows.get_mut(path) {
                    d.row.media_id = Some(media_id.clone());
                }
                self.save()?;
            }
            Err(e) if e.errcode() == Some(ErrCode::InvalidMediaId) => {
                // Published or deleted on the server, or the payload is at fault: ask.
                match self.client.draft_get(media_id).await {
                    Err(g) if g.errcode() == Some(ErrCode::InvalidMediaId) => {
                        let gone = vec![self.gone_draft(media_id)];
                        self.note_gone(&gone).await?;
                        return Ok(self.recreate_gone(path, media_id));
                    }
                    Err(g) => self.fail_api(path, &g),
                    Ok(_) => {
                        self.mark_pushing(path)?;
                        self.fail(
                            path,
                            e.code(),
                            format!("WeChat refused the update although the draft exists: {e}"),
                        );
                    }
                }
            }
            Err(e) => {
                self.mark_pushing(path)?;
                self.fail_api(path, &e);
            }
        }
        Ok(None)
    }

    /// A draft found gone: the draft to create anew (its name and articles in order), when
    /// every one of its articles is loaded.
    fn recreate_gone(&mut self, path: &ArticlePath, media_id: &MediaId) -> Option<Recreate> {
        let members: Vec<(ArticlePath, Option<String>)> = self
            .lock
            .members(media_id)
            .into_iter()
            .map(|(p, e)| (p.clone(), e.draft.clone()))
            .collect();
        let draft = members.first().and_then(|(_, d)| d.clone());
        let mut order: Vec<(u32, ArticlePath)> = members
            .iter()
            .filter_map(|(p, _)| self.lock.articles.get(p).map(|e| (e.index, p.clone())))
            .collect();
        order.sort();
        let paths: Vec<ArticlePath> = order.into_iter().map(|(_, p)| p).collect();
        let reason = self.gone_reason(media_id);
        for p in &paths {
            if let Some(d) = self.rows.get_mut(p) {
                d.row.action = Action::Create;
                d.row.reason = reason.clone();
            }
        }
        if paths.iter().all(|p| self.inputs.contains_key(p)) {
            Some((draft, paths))
        } else {
            self.fail(
                path,
                Some(ErrCode::InvalidMediaId.code()),
                "the draft is gone and its other articles were not loaded".into(),
            );
            None
        }
    }

    fn mark_pushing(&mut self, path: &ArticlePath) -> Result<()> {
        if let Some(e) = self.lock.articles.get_mut(path) {
            e.state = State::Pushing;
        }
        self.save()
    }
}

/// A multi-article draft's name and articles, to be created anew.
type Recreate = (Option<String>, Vec<ArticlePath>);
