//! Applying a plan: upload the images the lockfile lacks, then `draft/add` and
//! `draft/update`, recording each success in the lockfile at once.
//!
//! Nothing is lost on any failure: an article fails alone and the rest go on; a `draft/add`
//! whose outcome is unknown is recorded as `unknown` before the call, so a crash or a dropped
//! connection makes the next run look for that draft (`draft/batchget`) instead of creating a
//! duplicate; a daily quota error stops the run with everything so far recorded.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use crate::error::Result;
use crate::render::html::escape_attr;
use crate::render::images::{self as prep, Endpoint, Use};
use crate::render::payload::Payload;
use crate::render::sanitize::ASSET_SCHEME;
use crate::render::{ContentHash, RemoteImage, Rendered, Role};
use crate::site::ArticlePath;
use crate::sync::lock::{AssetEntry, Entry, Lockfile, Orphan, State};
use crate::sync::plan::{Action, Input, Plan, Row, Work, payload_hash};
use crate::sync::remote::Fetcher;
use crate::wechat::{self, Client, ErrCode, MediaId};

/// Uploads in flight at once.
const UPLOAD_CONCURRENCY: usize = 4;

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub prune: bool,
    /// Downloads remote images (`images.remote: upload`); `None` builds one with the
    /// default timeout when a remote image is needed.
    pub fetcher: Option<Fetcher>,
    /// Show a progress bar on stderr (only drawn when stderr is a terminal).
    pub progress: bool,
}

/// Why an article failed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RowError {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    pub message: String,
}

/// A row of the result: the plan's row, updated with what happened.
#[derive(Debug, Clone)]
pub struct Done {
    pub row: Row,
    pub error: Option<RowError>,
}

#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub rows: Vec<Done>,
    pub uploads: usize,
    pub pruned: Vec<MediaId>,
    /// The run stopped early (daily quota).
    pub stopped: Option<String>,
}

impl Outcome {
    pub fn failed(&self) -> usize {
        self.rows.iter().filter(|d| d.error.is_some()).count()
    }
}

/// Renders an article that was planned from the render cache, when a push turns out to need
/// it after all (a multi-article draft re-created because WeChat lost it).
pub type RenderFn<'a> = dyn Fn(&ArticlePath) -> Option<Rendered> + 'a;

struct Run<'a> {
    client: &'a Client,
    fetcher: Option<Fetcher>,
    root: &'a Path,
    inputs: &'a BTreeMap<ArticlePath, Input>,
    render: &'a RenderFn<'a>,
    late: BTreeMap<ArticlePath, Rendered>,
    bar: indicatif::ProgressBar,
    lock: &'a mut Lockfile,
    rows: BTreeMap<ArticlePath, Done>,
    uploads: usize,
    stopped: Option<String>,
}

/// Runs the plan's work against WeChat. The lockfile is saved after every remote change.
pub async fn apply(
    plan: &Plan,
    inputs: &BTreeMap<ArticlePath, Input>,
    lock: &mut Lockfile,
    root: &Path,
    client: &Client,
    render: &RenderFn<'_>,
    opts: &Options,
) -> Result<Outcome> {
    let mut run = Run {
        client,
        fetcher: opts.fetcher.clone(),
        root,
        inputs,
        render,
        late: BTreeMap::new(),
        bar: if opts.progress {
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(plan.work.len() as u64),
                indicatif::ProgressDrawTarget::stderr(),
            );
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("{spinner} {pos}/{len} {wide_msg}")
            {
                bar.set_style(style);
            }
            bar
        } else {
            indicatif::ProgressBar::hidden()
        },
        lock,
        rows: plan
            .rows
            .iter()
            .map(|r| {
                (
                    r.path.clone(),
                    Done {
                        row: r.clone(),
                        error: None,
                    },
                )
            })
            .collect(),
        uploads: 0,
        stopped: None,
    };
    run.lock.save(root)?; // renames, and the appid of a first run
    run.upload_assets(&plan.work).await?;
    run.reconcile(&plan.work).await?;
    for w in &plan.work {
        run.bar.inc(1);
        if let Some(first) = work_members(w).first() {
            run.bar.set_message(first.to_string());
        }
        if run.stopped.is_some() {
            run.not_attempted(w);
            continue;
        }
        if work_members(w).iter().any(|m| run.failed(m)) {
            continue;
        }
        let recreate = match w {
            Work::Create {
                draft,
                members,
                replaces,
                ..
            } => match run.reconciled(draft.as_deref(), members) {
                // The lost add did happen: push the current payloads into that draft.
                Some(id) => {
                    let mut again = None;
                    for (i, m) in members.iter().enumerate() {
                        again = again.or(run.update(m, &id, i as u32).await?);
                        if let Some(d) = run.rows.get_mut(m)
                            && d.error.is_none()
                        {
                            d.row.action = Action::Update;
                        }
                    }
                    again
                }
                None => {
                    run.create(draft.as_deref(), members, replaces).await?;
                    None
                }
            },
            Work::Update {
                path,
                media_id,
                index,
            } => run.update(path, media_id, *index).await?,
        };
        if let Some((draft, paths)) = recreate {
            run.create(draft.as_deref(), &paths, &[]).await?;
        }
    }
    run.bar.finish_and_clear();
    let mut pruned = Vec::new();
    if opts.prune && run.stopped.is_none() && !run.rows.values().any(|d| d.error.is_some()) {
        pruned = run.prune(plan).await?;
    }
    run.lock.save(root)?;
    Ok(Outcome {
        rows: run.rows.into_values().collect(),
        uploads: run.uploads,
        pruned,
        stopped: run.stopped,
    })
}

fn work_members(w: &Work) -> Vec<ArticlePath> {
    match w {
        Work::Create { members, .. } => members.clone(),
        Work::Update { path, .. } => vec![path.clone()],
    }
}

/// Where the bytes of an image to upload come from.
#[derive(Debug, Clone)]
enum Source {
    /// A file of the site (checked again against its hash when read).
    File(ArticlePath),
    /// A `data:` URI's bytes, or a remote image's download.
    Bytes(Arc<[u8]>),
}

/// One image to prepare and upload: its source hash, how messages name it, and whether
/// permanent material is needed (a cover or newspic image; else a body image).
#[derive(Debug, Clone)]
struct Job {
    hash: ContentHash,
    label: String,
    source: Source,
    material: bool,
}

/// Whether the lockfile already has what a use of an image needs: a URL for the body, a
/// media id for a cover or newspic image.
fn satisfied(have: Option<&AssetEntry>, material: bool) -> bool {
    have.is_some_and(|h| {
        if material {
            h.media_id.is_some()
        } else {
            h.url.is_some()
        }
    })
}

impl Run<'_> {
    fn fail(&mut self, path: &ArticlePath, code: Option<i64>, message: String) {
        if let Some(d) = self.rows.get_mut(path) {
            d.row.action = Action::Error;
            if d.error.is_none() {
                d.error = Some(RowError { code, message });
            }
        }
    }

    fn fail_api(&mut self, path: &ArticlePath, e: &wechat::Error) {
        self.fail(path, e.code(), e.to_string());
        if e.errcode() == Some(ErrCode::DailyQuota) && self.stopped.is_none() {
            self.stopped = Some(format!(
                "WeChat's daily quota is used up ({e}); the rest is pushed on the next run"
            ));
        }
    }

    fn failed(&self, path: &ArticlePath) -> bool {
        self.rows.get(path).is_some_and(|d| d.error.is_some())
    }

    fn not_attempted(&mut self, w: &Work) {
        let why = self.stopped.clone().unwrap_or_default();
        for m in work_members(w) {
            if !self.failed(&m) {
                self.fail(&m, Some(45009), format!("not pushed: {why}"));
            }
        }
    }

    fn payload(&self, path: &ArticlePath) -> Option<&Payload> {
        self.inputs
            .get(path)
            .and_then(|i| i.rendered.as_ref())
            .or_else(|| self.late.get(path))
            .map(|r| &r.payload)
    }

    /// The remote images an article's push uploads.
    fn remote_of(&self, path: &ArticlePath) -> &[RemoteImage] {
        self.inputs
            .get(path)
            .and_then(|i| i.rendered.as_ref())
            .or_else(|| self.late.get(path))
            .map_or(&[], |r| r.remote.as_slice())
    }

    /// Renders the members that were planned from the cache; false if one cannot be.
    fn ensure_rendered(&mut self, members: &[ArticlePath]) -> bool {
        for m in members {
            if self.payload(m).is_some() {
                continue;
            }
            match (self.render)(m) {
                Some(r) if !r.has_errors() => {
                    self.late.insert(m.clone(), r);
                }
                _ => {
                    for m2 in members {
                        self.fail(
                            m2,
                            None,
                            format!("{m} could not be rendered again; run `wxsync check`"),
                        );
                    }
                    return false;
                }
            }
        }
        true
    }

    /// Uploads every image the work needs and the lockfile lacks, once per content hash:
    /// remote images are fetched first (unless the lockfile knows their URL), then every
    /// image is prepared for its endpoint (`render::images`) and uploaded.
    async fn upload_assets(&mut self, work: &[Work]) -> Result<()> {
        let mut needed: BTreeMap<ContentHash, Job> = BTreeMap::new();
        let mut users: BTreeMap<ContentHash, BTreeSet<ArticlePath>> = BTreeMap::new();
        // Remote images to download: URL → (material needed, articles using it).
        let mut to_fetch: BTreeMap<String, (bool, BTreeSet<ArticlePath>)> = BTreeMap::new();
        for w in work {
            for m in work_members(w) {
                let Some(r) = self.inputs.get(&m).and_then(|i| i.rendered.as_ref()) else {
                    continue;
                };
                for a in &r.assets {
                    let material = a.role != Role::Body;
                    users.entry(a.hash.clone()).or_default().insert(m.clone());
                    if satisfied(self.lock.assets.get(&a.hash), material) {
                        continue;
                    }
                    let job = needed.entry(a.hash.clone()).or_insert_with(|| Job {
                        hash: a.hash.clone(),
                        label: a.describe(),
                        source: match &a.inline {
                            Some(b) => Source::Bytes(b.clone()),
                            None => Source::File(a.path.clone()),
                        },
                        material,
                    });
                    job.material |= material;
                }
                for RemoteImage { url, role } in &r.remote {
                    let material = *role != Role::Body;
                    if let Some(h) = self.lock.remote.get(url) {
                        users.entry(h.clone()).or_default().insert(m.clone());
                        if satisfied(self.lock.assets.get(h), material) {
                            continue;
                        }
                    }
                    let slot = to_fetch.entry(url.clone()).or_default();
                    slot.0 |= material;
                    slot.1.insert(m.clone());
                }
            }
        }
        // URLs whose bytes are being uploaded under a hash: recorded once the upload is.
        let mut urls_of: BTreeMap<ContentHash, Vec<String>> = BTreeMap::new();
        if !to_fetch.is_empty() {
            let fetcher = match self.fetcher.clone() {
                Some(f) => f,
                None => match Fetcher::new(crate::sync::remote::DEFAULT_TIMEOUT, None) {
                    Ok(f) => f,
                    Err(why) => {
                        for (url, (_, ms)) in &to_fetch {
                            for m in ms {
                                self.fail(m, None, format!("image {url}: {why}"));
                            }
                        }
                        return Ok(());
                    }
                },
            };
            let mut queue: Vec<String> = to_fetch.keys().rev().cloned().collect();
            let mut tasks = tokio::task::JoinSet::new();
            loop {
                while tasks.len() < UPLOAD_CONCURRENCY {
                    let Some(url) = queue.pop() else { break };
                    let f = fetcher.clone();
                    tasks.spawn(async move {
                        let r = f.fetch(&url).await;
                        (url, r)
                    });
                }
                let Some(joined) = tasks.join_next().await else {
                    break;
                };
                let Ok((url, result)) = joined else { continue };
                let Some((material, ms)) = to_fetch.get(&url).cloned() else {
                    continue;
                };
                let bytes = match result.and_then(|b| {
                    prep::check_header(&b).map_err(|e| e.0)?;
                    Ok(b)
                }) {
                    Ok(b) => b,
                    Err(why) => {
                        for m in &ms {
                            self.fail(m, None, format!("image {url}: {why}"));
                        }
                        continue;
                    }
                };
                let hash = ContentHash::of(&bytes);
                users.entry(hash.clone()).or_default().extend(ms);
                if satisfied(self.lock.assets.get(&hash), material) {
                    // The same picture was uploaded before (from a file or another URL).
                    self.lock.remote.insert(url, hash);
                    self.lock.save(self.root)?;
                    continue;
                }
                urls_of.entry(hash.clone()).or_default().push(url.clone());
                let job = needed.entry(hash.clone()).or_insert_with(|| Job {
                    hash: hash.clone(),
                    label: url.clone(),
                    source: Source::Bytes(Arc::from(bytes)),
                    material,
                });
                job.material |= material;
            }
        }
        let mut queue: Vec<Job> = needed.into_values().collect();
        queue.reverse();
        let mut tasks = tokio::task::JoinSet::new();
        let root = Arc::new(self.root.to_path_buf());
        loop {
            while tasks.len() < UPLOAD_CONCURRENCY && self.stopped.is_none() {
                let Some(job) = queue.pop() else {
                    break;
                };
                let client = self.client.clone();
                let root = root.clone();
                tasks.spawn(async move {
                    let result = upload(&client, &root, &job).await;
                    (job, result)
                });
            }
            let Some(joined) = tasks.join_next().await else {
                break;
            };
            let Ok((job, result)) = joined else {
                continue;
            };
            let hash = job.hash.clone();
            match result {
                Ok(entry) => {
                    self.uploads += 1;
                    let slot = self.lock.assets.entry(hash.clone()).or_default();
                    if entry.url.is_some() {
                        slot.url = entry.url;
                    }
                    if entry.media_id.is_some() {
                        slot.media_id = entry.media_id;
                    }
                    for url in urls_of.remove(&hash).unwrap_or_default() {
                        self.lock.remote.insert(url, hash.clone());
                    }
                    self.lock.save(self.root)?;
                }
                Err(UploadError::Api(e)) => {
                    for m in users.get(&hash).cloned().unwrap_or_default() {
                        self.fail_api(&m, &e);
                        if let Some(d) = self.rows.get_mut(&m)
                            && let Some(err) = &mut d.error
                        {
                            err.message = format!("uploading {}: {}", job.label, err.message);
                        }
                    }
                }
                Err(UploadError::Local(why)) => {
                    for m in users.get(&hash).cloned().unwrap_or_default() {
                        self.fail(&m, None, format!("image {}: {why}", job.label));
                    }
                }
            }
        }
        if let Some(why) = self.stopped.clone() {
            for job in queue {
                for m in users.get(&job.hash).cloned().unwrap_or_default() {
                    self.fail(
                        &m,
                        Some(45009),
                        format!("image {} not uploaded: {why}", job.label),
                    );
                }
            }
        }
        Ok(())
    }

    /// Finds drafts whose `draft/add` outcome was lost, before anything is created.
    async fn reconcile(&mut self, work: &[Work]) -> Result<()> {
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
    fn reconciled(&self, draft: Option<&str>, members: &[ArticlePath]) -> Option<MediaId> {
        let e = members.first().and_then(|m| self.lock.articles.get(m))?;
        (e.state == State::Pushing && e.draft.as_deref() == draft)
            .then(|| e.media_id.clone())
            .flatten()
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
        for (i, m) in members.iter().enumerate() {
            let source = self.inputs.get(m).map(|x| x.source.clone());
            self.lock.articles.insert(
                m.clone(),
                Entry {
                    media_id: None,
                    index: i as u32,
                    hash: None,
                    state: State::Unknown,
                    source,
                    draft: draft.map(str::to_string),
                    adopted: false,
                    title: Some(articles[i].title.clone()),
                },
            );
        }
        self.lock.save(self.root)?;
        match self.client.draft_add(&articles).await {
            Ok(media_id) => {
                for (i, m) in members.iter().enumerate() {
                    let hash = self.payload(m).map(payload_hash);
                    if let Some(e) = self.lock.articles.get_mut(m) {
                        e.media_id = Some(media_id.clone());
                        e.hash = hash;
                        e.state = State::Synced;
                        e.title = None;
                    }
                    if let Some(d) = self.rows.get_mut(m) {
                        d.row.media_id = Some(media_id.clone());
                        d.row.index = i as u32;
                    }
                }
                for old in replaces {
                    if self
                        .lock
                        .articles
                        .values()
                        .all(|e| e.media_id.as_ref() != Some(old))
                    {
                        self.lock.orphans.insert(
                            old.clone(),
                            Orphan {
                                reason: "replaced: the articles of this draft changed".to_string(),
                            },
                        );
                    }
                }
                self.lock.save(self.root)?;
            }
            Err(e) if e.is_outcome_unknown() => {
                for m in members {
                    self.fail(
                        m,
                        e.code(),
                        format!("{e} — the draft may or may not exist; the next run looks for it before creating one"),
                    );
                }
            }
            Err(e) => {
                for (m, prev) in previous {
                    match prev {
                        Some(p) => self.lock.articles.insert(m.clone(), p),
                        None => self.lock.articles.remove(&m),
                    };
                    self.fail_api(&m, &e);
                }
                self.lock.save(self.root)?;
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
        match self.client.draft_update(media_id, index, &article).await {
            Ok(()) => {
                if let Some(e) = self.lock.articles.get_mut(path) {
                    e.hash = Some(hash);
                    e.state = State::Synced;
                    e.source = self.inputs.get(path).map(|i| i.source.clone());
                }
                self.lock.save(self.root)?;
            }
            Err(e) if e.errcode() == Some(ErrCode::InvalidMediaId) => {
                // Published or deleted on the server, or the payload is at fault: ask.
                match self.client.draft_get(media_id).await {
                    Err(g) if g.errcode() == Some(ErrCode::InvalidMediaId) => {
                        let members: Vec<(ArticlePath, Option<String>)> = self
                            .lock
                            .members(media_id)
                            .into_iter()
                            .map(|(p, e)| (p.clone(), e.draft.clone()))
                            .collect();
                        let draft = members.first().and_then(|(_, d)| d.clone());
                        let mut order: Vec<(u32, ArticlePath)> = members
                            .iter()
                            .filter_map(|(p, _)| {
                                self.lock.articles.get(p).map(|e| (e.index, p.clone()))
                            })
                            .collect();
                        order.sort();
                        let paths: Vec<ArticlePath> = order.into_iter().map(|(_, p)| p).collect();
                        for p in &paths {
                            if let Some(d) = self.rows.get_mut(p) {
                                d.row.action = Action::Create;
                                d.row.reason =
                                    "the draft was published or deleted on WeChat: created anew"
                                        .to_string();
                            }
                        }
                        if paths.iter().all(|p| self.inputs.contains_key(p)) {
                            return Ok(Some((draft, paths)));
                        } else {
                            self.fail(
                                path,
                                Some(40007),
                                "the draft is gone and its other articles were not loaded".into(),
                            );
                        }
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

    fn mark_pushing(&mut self, path: &ArticlePath) -> Result<()> {
        if let Some(e) = self.lock.articles.get_mut(path) {
            e.state = State::Pushing;
        }
        self.lock.save(self.root)
    }

    /// Deletes the drafts of vanished articles (only drafts this lockfile created, only drafts
    /// no remaining article uses) and of replaced multi-article drafts.
    async fn prune(&mut self, plan: &Plan) -> Result<Vec<MediaId>> {
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
                    self.lock.orphans.remove(&id);
                    self.lock.articles.retain(|p, e| {
                        !(orphan_paths.contains(p) && e.media_id.as_ref() == Some(&id))
                    });
                    self.lock.save(self.root)?;
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

/// A multi-article draft's name and articles, to be created anew.
type Recreate = (Option<String>, Vec<ArticlePath>);

enum UploadError {
    Api(wechat::Error),
    Local(String),
}

/// Prepares one image for its endpoint (once per machine: `.wxsync/images/`) and uploads it.
async fn upload(
    client: &Client,
    root: &Path,
    job: &Job,
) -> std::result::Result<AssetEntry, UploadError> {
    let bytes: Vec<u8> = match &job.source {
        Source::File(p) => {
            let bytes = tokio::fs::read(root.join(p.as_str()))
                .await
                .map_err(|e| UploadError::Local(crate::site::io_reason(&e)))?;
            // The file may have changed since it was hashed: never upload other bytes under
            // this hash.
            if ContentHash::of(&bytes) != job.hash {
                return Err(UploadError::Local(
                    "the file changed during the run; run again".to_string(),
                ));
            }
            bytes
        }
        Source::Bytes(b) => b.to_vec(),
    };
    let use_ = if job.material {
        Use::Material
    } else {
        Use::Body
    };
    let (root2, hash) = (root.to_path_buf(), job.hash.clone());
    let prepared =
        tokio::task::spawn_blocking(move || prep::prepare_cached(&root2, &hash, &bytes, use_))
            .await
            .map_err(|e| UploadError::Local(format!("preparing it failed: {e}")))?
            .map_err(|e| UploadError::Local(e.0))?;
    let hex = job.hash.as_str().trim_start_matches("sha256:");
    let filename = format!("{}.{}", &hex[..hex.len().min(16)], prepared.extension());
    match prepared.endpoint {
        Endpoint::UploadImg => client
            .upload_image(prepared.bytes, &filename)
            .await
            .map(|u| AssetEntry {
                url: Some(u.url),
                media_id: None,
            })
            .map_err(UploadError::Api),
        Endpoint::Material => client
            .add_image_material(prepared.bytes, &filename)
            .await
            .map(|m| AssetEntry {
                url: m.url,
                media_id: Some(m.media_id),
            })
            .map_err(UploadError::Api),
    }
}

/// The payload with its placeholders replaced by what WeChat returned: a local or `data:`
/// image's `wxsync-asset:` placeholder by its upload, and each remote image the article
/// uploads (`remote`, keyed by URL in the lockfile) by the URL or media id of its upload.
pub fn resolve(
    p: &Payload,
    lock: &Lockfile,
    remote: &[RemoteImage],
) -> std::result::Result<wechat::Article, String> {
    let assets = &lock.assets;
    let prefix = format!("{ASSET_SCHEME}:");
    let lookup = |placeholder: &str| -> Option<ContentHash> {
        ContentHash::parse(placeholder.strip_prefix(&prefix)?)
    };
    let uploaded = |url: &str| lock.remote.get(url).and_then(|h| assets.get(h));
    let media = |v: &str| -> std::result::Result<MediaId, String> {
        if remote.iter().any(|r| r.url == v && r.role != Role::Body) {
            return uploaded(v)
                .and_then(|a| a.media_id.clone())
                .ok_or_else(|| format!("image {v} has no permanent media id yet"));
        }
        if !v.starts_with(&prefix) {
            return Ok(MediaId::new(v));
        }
        lookup(v)
            .and_then(|h| assets.get(&h).and_then(|a| a.media_id.clone()))
            .ok_or_else(|| format!("image {v} has no permanent media id yet"))
    };
    let mut content = String::with_capacity(p.content.len());
    let mut rest = p.content.as_str();
    while let Some(i) = rest.find(&prefix) {
        content.push_str(&rest[..i]);
        let tail = &rest[i..];
        let len = prefix.len() + "sha256:".len() + 64;
        let placeholder = tail.get(..len).unwrap_or(tail);
        let url = lookup(placeholder)
            .and_then(|h| assets.get(&h).and_then(|a| a.url.clone()))
            .ok_or_else(|| format!("image {placeholder} has not been uploaded"))?;
        content.push_str(&url);
        rest = &tail[placeholder.len()..];
    }
    content.push_str(rest);
    let mut done = BTreeSet::new();
    for r in remote.iter().filter(|r| r.role == Role::Body) {
        if !done.insert(r.url.as_str()) {
            continue;
        }
        let url = uploaded(&r.url)
            .and_then(|a| a.url.clone())
            .ok_or_else(|| format!("image {} has not been uploaded", r.url))?;
        let (mut from, mut to) = (String::from("src=\""), String::from("src=\""));
        escape_attr(&r.url, &mut from);
        escape_attr(&url, &mut to);
        from.push('"');
        to.push('"');
        content = content.replace(&from, &to);
    }
    Ok(wechat::Article {
        article_type: Some(if p.article_type == "newspic" {
            wechat::ArticleType::Newspic
        } else {
            wechat::ArticleType::News
        }),
        title: p.title.clone(),
        author: p.author.clone(),
        digest: p.digest.clone(),
        content,
        content_source_url: p.content_source_url.clone(),
        thumb_media_id: p.thumb_media_id.as_deref().map(media).transpose()?,
        need_open_comment: Some(p.need_open_comment),
        only_fans_can_comment: Some(p.only_fans_can_comment),
        pic_crop_235_1: p.pic_crop_235_1.clone(),
        pic_crop_1_1: p.pic_crop_1_1.clone(),
        image_info: match &p.image_info {
            Some(info) => Some(wechat::ImageInfo {
                image_list: info
                    .image_list
                    .iter()
                    .map(|i| {
                        media(&i.image_media_id).map(|id| wechat::ImageItem { image_media_id: id })
                    })
                    .collect::<std::result::Result<_, _>>()?,
            }),
            None => None,
        },
        cover_info: p.cover_info.as_ref().map(|c| wechat::CoverInfo {
            crop_percent_list: c
                .crop_percent_list
                .iter()
                .map(|x| wechat::CropPercent {
                    ratio: x.ratio.clone(),
                    x1: x.x1.clone(),
                    y1: x.y1.clone(),
                    x2: x.x2.clone(),
                    y2: x.y2.clone(),
                })
                .collect(),
        }),
        product_info: p.product_info.as_ref().map(|x| wechat::ProductInfo {
            footer_product_info: wechat::FooterProductInfo {
                product_key: x.footer_product_info.product_key.clone(),
            },
        }),
    })
}
