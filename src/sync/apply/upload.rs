//! Uploading the images a run's work needs and the lockfile lacks, once per content hash:
//! remote images are fetched first (unless the lockfile knows their URL), an `add_material`
//! an earlier run lost the answer to is looked for ([`super::reconcile`]), then every image is
//! prepared for its endpoint ([`crate::media`]) and uploaded, four at a time, each success
//! recorded in the lockfile at once. An `add_material` is recorded (name, time) before it is
//! sent, like a `draft/add`, so a lost answer leaves no orphaned material behind.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use tokio::task::{JoinError, JoinSet};

use super::{Run, work_members};
use crate::error::Result;
use crate::hash::ContentHash;
use crate::media::fetch::Fetcher;
use crate::media::{Endpoint, Prepared, Use, cache::prepare_cached, probe::check_header};
use crate::render::{RemoteImage, Role};
use crate::site::ArticlePath;
use crate::sync::lock::AssetEntry;
use crate::sync::plan::Work;
use crate::wechat::{self, Client};

/// Uploads (and downloads) in flight at once.
const CONCURRENCY: usize = 4;

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

/// What a run must upload, and who needs it.
#[derive(Default)]
struct Needs {
    jobs: BTreeMap<ContentHash, Job>,
    users: BTreeMap<ContentHash, BTreeSet<ArticlePath>>,
    /// Remote images to download: URL → (material needed, articles using it).
    to_fetch: BTreeMap<String, (bool, BTreeSet<ArticlePath>)>,
    /// URLs whose bytes are being uploaded under a hash: recorded once the upload is.
    urls_of: BTreeMap<ContentHash, Vec<String>>,
}

impl Needs {
    fn add(&mut self, job: Job) {
        let material = job.material;
        self.jobs.entry(job.hash.clone()).or_insert(job).material |= material;
    }
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

/// What a task that panicked says, for the article that needed it.
fn panicked(e: &JoinError) -> String {
    format!("wxsync failed unexpectedly while handling it ({e}); please report this")
}

impl Run<'_> {
    /// Uploads every image the work needs and the lockfile lacks.
    pub(super) async fn upload_assets(&mut self, work: &[Work]) -> Result<()> {
        let mut needs = self.needs(work);
        if !needs.to_fetch.is_empty() {
            self.fetch_remote(&mut needs).await?;
        }
        self.reconcile_uploads(&mut needs).await?;
        self.upload_jobs(needs).await
    }

    /// The images the work's articles use that the lockfile lacks.
    fn needs(&self, work: &[Work]) -> Needs {
        let mut n = Needs::default();
        for m in work.iter().flat_map(work_members) {
            if self.failed(&m) {
                continue; // refused before anything is sent (an edit made in WeChat)
            }
            let Some(r) = self.inputs.get(&m).and_then(|i| i.rendered.as_ref()) else {
                continue;
            };
            for a in &r.assets {
                let material = a.role != Role::Body;
                n.users.entry(a.hash.clone()).or_default().insert(m.clone());
                if satisfied(self.lock.assets.get(&a.hash), material) {
                    continue;
                }
                n.add(Job {
                    hash: a.hash.clone(),
                    label: a.describe(),
                    source: match &a.inline {
                        Some(b) => Source::Bytes(b.clone()),
                        None => Source::File(a.path.clone()),
                    },
                    material,
                });
            }
            for RemoteImage { url, role } in &r.remote {
                let material = *role != Role::Body;
                if let Some(h) = self.lock.remote.get(url) {
                    n.users.entry(h.clone()).or_default().insert(m.clone());
                    if satisfied(self.lock.assets.get(h), material) {
                        continue;
                    }
                }
                let slot = n.to_fetch.entry(url.clone()).or_default();
                slot.0 |= material;
                slot.1.insert(m.clone());
            }
        }
        n
    }

    /// Downloads the remote images; each becomes a job under the hash of its bytes (or is
    /// recorded at once when those bytes were uploaded before).
    async fn fetch_remote(&mut self, n: &mut Needs) -> Result<()> {
        let fetcher = match Fetcher::new(self.opts.image_timeout, self.opts.proxy.as_deref()) {
            Ok(f) => f,
            Err(why) => {
                for (url, (_, ms)) in &n.to_fetch {
                    for m in ms {
                        self.fail(m, None, format!("image {url}: {why}"));
                    }
                }
                return Ok(());
            }
        };
        let mut queue: Vec<String> = n.to_fetch.keys().rev().cloned().collect();
        let mut tasks = JoinSet::new();
        let mut running: BTreeMap<tokio::task::Id, String> = BTreeMap::new();
        loop {
            while tasks.len() < CONCURRENCY {
                let Some(url) = queue.pop() else { break };
                let f = fetcher.clone();
                let u = url.clone();
                let handle = tasks.spawn(async move { f.fetch(&u).await });
                running.insert(handle.id(), url);
            }
            let Some(joined) = tasks.join_next_with_id().await else {
                break;
            };
            let (url, result) = match joined {
                Ok((id, r)) => (running.remove(&id).unwrap_or_default(), r),
                Err(e) => (
                    running.remove(&e.id()).unwrap_or_default(),
                    Err(panicked(&e)),
                ),
            };
            let Some((material, ms)) = n.to_fetch.get(&url).cloned() else {
                continue;
            };
            let checked = result.and_then(|b| match check_header(&b) {
                Ok(_) => Ok(b),
                Err(e) => Err(e.0),
            });
            let bytes = match checked {
                Ok(b) => b,
                Err(why) => {
                    for m in &ms {
                        self.fail(m, None, format!("image {url}: {why}"));
                    }
                    continue;
                }
            };
            let hash = ContentHash::of(&bytes);
            n.users.entry(hash.clone()).or_default().extend(ms);
            if satisfied(self.lock.assets.get(&hash), material) {
                // The same picture was uploaded before (from a file or another URL).
                self.lock.remote.insert(url, hash);
                self.save()?;
                continue;
            }
            n.urls_of.entry(hash.clone()).or_default().push(url.clone());
            n.add(Job {
                hash,
                label: url,
                source: Source::Bytes(Arc::from(bytes)),
                material,
            });
        }
        Ok(())
    }

    /// Settles the uploads an earlier run left without an outcome (an `add_material` whose
    /// answer was lost) before any of those images is uploaded again: a material found is
    /// recorded and its job dropped; one not found is uploaded as usual. If the material
    /// library cannot be read, those images are not uploaded in this run (that could orphan a
    /// material) and their articles fail.
    async fn reconcile_uploads(&mut self, n: &mut Needs) -> Result<()> {
        let pending: Vec<(ContentHash, String, i64)> = n
            .jobs
            .keys()
            .filter_map(|h| {
                let (name, at) = self.lock.assets.get(h)?.pending_material()?;
                Some((h.clone(), name.to_string(), at))
            })
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        let found = match self.find_lost_materials(&pending).await {
            Ok(f) => f,
            Err(e) => {
                for (hash, _, _) in &pending {
                    let Some(job) = n.jobs.remove(hash) else {
                        continue;
                    };
                    for m in n.users.get(hash).cloned().unwrap_or_default() {
                        self.fail_api(&m, &e);
                        self.prefix_error(
                            &m,
                            &format!(
                                "looking for the lost upload of {} (it stays recorded as unknown)",
                                job.label
                            ),
                        );
                    }
                }
                return Ok(());
            }
        };
        for (hash, _, _) in &pending {
            let slot = self.lock.assets.entry(hash.clone()).or_default();
            slot.settle();
            if let Some(item) = found.get(hash) {
                slot.media_id = Some(item.media_id.clone());
                if item.url.is_some() {
                    slot.url = item.url.clone();
                }
            }
            let material = n.jobs.get(hash).is_some_and(|j| j.material);
            if satisfied(Some(slot), material) {
                n.jobs.remove(hash);
                for url in n.urls_of.remove(hash).unwrap_or_default() {
                    self.lock.remote.insert(url, hash.clone());
                }
            } else if slot.is_empty() {
                self.lock.assets.remove(hash);
            }
        }
        self.save()
    }

    /// Prepares and uploads every job, recording each success; a daily quota error stops the
    /// uploads not yet started. Each job is two tasks, preparing then sending, so that what an
    /// `add_material` will be named is recorded (with the time) before it is sent: if its
    /// answer is lost, that is what the next run looks for.
    async fn upload_jobs(&mut self, mut n: Needs) -> Result<()> {
        let mut queue: Vec<Job> = std::mem::take(&mut n.jobs).into_values().rev().collect();
        // A first run writes the lockfile for the evidence of its first add_material; should
        // that be all, and settled, it removes the file again (a run that recorded nothing
        // leaves no lockfile behind).
        let lock_path = self.lock.file_in(self.root);
        let had_lock = lock_path.exists();
        let mut tasks = JoinSet::new();
        // Each task's job, and whether it is sending (past the point where the request may
        // reach WeChat).
        let mut running: BTreeMap<tokio::task::Id, (Job, bool)> = BTreeMap::new();
        let root = Arc::new(self.root.to_path_buf());
        loop {
            while tasks.len() < CONCURRENCY && self.stopped.is_none() {
                let Some(job) = queue.pop() else {
                    break;
                };
                let (root, j) = (root.clone(), job.clone());
                let handle =
                    tasks.spawn(async move { prepare_job(&root, &j).await.map(Step::Prepared) });
                running.insert(handle.id(), (job, false));
            }
            let Some(joined) = tasks.join_next_with_id().await else {
                break;
            };
            let (job, result) = match joined {
                Ok((id, r)) => (running.remove(&id).map(|(j, _)| j), r),
                Err(e) => {
                    let (job, sending) = running.remove(&e.id()).unzip();
                    let why = panicked(&e);
                    // A task that failed while sending may have sent: as good as a lost answer.
                    let err = if sending == Some(true) {
                        UploadError::Lost(why)
                    } else {
                        UploadError::Local(why)
                    };
                    (job, Err(err))
                }
            };
            let Some(job) = job else { continue };
            match result {
                Ok(Step::Prepared(_)) if self.stopped.is_some() => queue.push(job),
                Ok(Step::Prepared(prepared)) => {
                    let name = file_name(&job.hash, &prepared);
                    if prepared.endpoint == Endpoint::Material {
                        self.record_attempt(&job.hash, &name)?;
                    }
                    let client = self.client.clone();
                    let handle = tasks
                        .spawn(async move { send(&client, prepared, &name).await.map(Step::Sent) });
                    running.insert(handle.id(), (job, true));
                }
                Ok(Step::Sent(entry)) => self.record(&mut n, &job, Ok(entry))?,
                Err(e) => self.record(&mut n, &job, Err(e))?,
            }
        }
        if let Some(why) = self.stopped.clone() {
            // The reason is said in full once, as why the run stopped (with its hint); each
            // article names only its first line.
            let why = why.lines().next().unwrap_or_default().to_string();
            for job in queue {
                for m in n.users.get(&job.hash).cloned().unwrap_or_default() {
                    self.fail(
                        &m,
                        self.stop_code,
                        format!("image {} not uploaded: {why}", job.label),
                    );
                }
            }
        }
        if !had_lock && self.lock.is_empty() {
            match std::fs::remove_file(&lock_path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(crate::error::Error::Write {
                        path: lock_path,
                        source: e,
                    });
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Records, before an `add_material` is sent, what it is named and when it is sent: the
    /// evidence the next run needs if the answer is lost (or the run killed meanwhile).
    fn record_attempt(&mut self, hash: &ContentHash, name: &str) -> Result<()> {
        // On WeChat's clock when an answer has told it (the materials' times are on it).
        let now = crate::wechat::token::now_unix() as i64
            + self.client.server_clock_offset().unwrap_or(0);
        let slot = self.lock.assets.entry(hash.clone()).or_default();
        slot.name = Some(name.to_string());
        slot.attempted = Some(now);
        self.save()
    }

    /// Records an upload in the lockfile, or fails the articles that needed it. An upload
    /// whose outcome is unknown keeps its evidence for the next run; any other outcome
    /// settles it.
    fn record(
        &mut self,
        n: &mut Needs,
        job: &Job,
        result: std::result::Result<AssetEntry, UploadError>,
    ) -> Result<()> {
        let hash = &job.hash;
        let users = n.users.get(hash).cloned().unwrap_or_default();
        let unknown = match &result {
            Err(UploadError::Api(e)) => e.is_outcome_unknown(),
            Err(UploadError::Lost(_)) => true,
            _ => false,
        };
        if !unknown && let Some(slot) = self.lock.assets.get_mut(hash) {
            slot.settle();
            if slot.is_empty() {
                self.lock.assets.remove(hash);
            }
        }
        match result {
            Ok(entry) => {
                self.uploads += 1;
                self.sent = true;
                let slot = self.lock.assets.entry(hash.clone()).or_default();
                if entry.url.is_some() {
                    slot.url = entry.url;
                }
                if entry.media_id.is_some() {
                    slot.media_id = entry.media_id;
                }
                for url in n.urls_of.remove(hash).unwrap_or_default() {
                    self.lock.remote.insert(url, hash.clone());
                }
            }
            Err(UploadError::Api(e)) => {
                for m in users {
                    // An article whose other image already failed keeps that first error.
                    if self.failed(&m) {
                        self.stop_on(&e);
                        continue;
                    }
                    self.fail_api(&m, &e);
                    self.prefix_error(&m, &format!("uploading {}", job.label));
                }
            }
            Err(UploadError::Local(why)) => {
                for m in users {
                    self.fail(&m, None, format!("image {}: {why}", job.label));
                }
            }
            Err(UploadError::Lost(why)) => {
                let next = if self
                    .lock
                    .assets
                    .get(hash)
                    .is_some_and(|a| a.pending_material().is_some())
                {
                    "; the next run looks for it among the account's permanent material \
                     (material/batchget_material) before uploading it again"
                } else {
                    ""
                };
                for m in users {
                    self.fail(&m, None, format!("image {}: {why}{next}", job.label));
                }
            }
        }
        self.save()
    }

    /// Puts what was being done in front of an article's error message.
    fn prefix_error(&mut self, m: &ArticlePath, doing: &str) {
        if let Some(d) = self.rows.get_mut(m)
            && let Some(err) = &mut d.error
        {
            err.message = format!("{doing}: {}", err.message);
        }
    }
}

/// What one upload task did.
enum Step {
    /// The image is ready for its endpoint; sending it is the next task.
    Prepared(Prepared),
    Sent(AssetEntry),
}

enum UploadError {
    Api(wechat::Error),
    /// Failed here, before anything was sent.
    Local(String),
    /// Failed here while sending: the request may have reached WeChat.
    Lost(String),
}

/// Prepares one image for its endpoint (once per machine: `.wxsync/images/`).
async fn prepare_job(root: &Path, job: &Job) -> std::result::Result<Prepared, UploadError> {
    let bytes: Vec<u8> = match &job.source {
        Source::File(p) => {
            let bytes = tokio::fs::read(root.join(p.as_str()))
                .await
                .map_err(|e| UploadError::Local(crate::fs::io_reason(&e)))?;
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
    tokio::task::spawn_blocking(move || prepare_cached(&root2, &hash, &bytes, use_))
        .await
        .map_err(|e| UploadError::Local(format!("preparing it failed: {e}")))?
        .map_err(|e| UploadError::Local(e.0))
}

/// The name an image is uploaded under: from the hash of its source, so that a permanent
/// material can be recognised in the library (`material/batchget_material` lists names).
fn file_name(hash: &ContentHash, prepared: &Prepared) -> String {
    let hex = hash.hex();
    format!("{}.{}", &hex[..hex.len().min(16)], prepared.extension())
}

/// Uploads a prepared image to its endpoint.
async fn send(
    client: &Client,
    prepared: Prepared,
    filename: &str,
) -> std::result::Result<AssetEntry, UploadError> {
    match prepared.endpoint {
        Endpoint::UploadImg => client
            .upload_image(prepared.bytes, filename)
            .await
            .map(|u| AssetEntry {
                url: Some(u.url),
                ..AssetEntry::default()
            })
            .map_err(UploadError::Api),
        Endpoint::Material => client
            .add_image_material(prepared.bytes, filename)
            .await
            .map(|m| AssetEntry {
                url: m.url,
                media_id: Some(m.media_id),
                ..AssetEntry::default()
            })
            .map_err(UploadError::Api),
    }
}
