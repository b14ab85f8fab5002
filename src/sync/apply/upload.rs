//! Uploading the images a run's work needs and the lockfile lacks, once per content hash:
//! remote images are fetched first (unless the lockfile knows their URL), then every image is
//! prepared for its endpoint ([`crate::media`]) and uploaded, four at a time, each success
//! recorded in the lockfile at once.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use tokio::task::{JoinError, JoinSet};

use super::{Run, work_members};
use crate::error::Result;
use crate::hash::ContentHash;
use crate::media::fetch::Fetcher;
use crate::media::{Endpoint, Use, cache::prepare_cached, probe::check_header};
use crate::render::{RemoteImage, Role};
use crate::site::ArticlePath;
use crate::sync::lock::AssetEntry;
use crate::sync::plan::Work;
use crate::wechat::{self, Client, ErrCode};

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
        self.upload_jobs(needs).await
    }

    /// The images the work's articles use that the lockfile lacks.
    fn needs(&self, work: &[Work]) -> Needs {
        let mut n = Needs::default();
        for m in work.iter().flat_map(work_members) {
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
                self.lock.save(self.root)?;
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

    /// Prepares and uploads every job, recording each success; a daily quota error stops the
    /// uploads not yet started.
    async fn upload_jobs(&mut self, mut n: Needs) -> Result<()> {
        let mut queue: Vec<Job> = std::mem::take(&mut n.jobs).into_values().rev().collect();
        let mut tasks = JoinSet::new();
        let mut running: BTreeMap<tokio::task::Id, Job> = BTreeMap::new();
        let root = Arc::new(self.root.to_path_buf());
        loop {
            while tasks.len() < CONCURRENCY && self.stopped.is_none() {
                let Some(job) = queue.pop() else {
                    break;
                };
                let (client, root, j) = (self.client.clone(), root.clone(), job.clone());
                let handle = tasks.spawn(async move { upload(&client, &root, &j).await });
                running.insert(handle.id(), job);
            }
            let Some(joined) = tasks.join_next_with_id().await else {
                break;
            };
            let (job, result) = match joined {
                Ok((id, r)) => (running.remove(&id), r),
                Err(e) => (
                    running.remove(&e.id()),
                    Err(UploadError::Local(panicked(&e))),
                ),
            };
            let Some(job) = job else { continue };
            self.record(&mut n, &job, result)?;
        }
        if let Some(why) = self.stopped.clone() {
            for job in queue {
                for m in n.users.get(&job.hash).cloned().unwrap_or_default() {
                    self.fail(
                        &m,
                        Some(ErrCode::DailyQuota.code()),
                        format!("image {} not uploaded: {why}", job.label),
                    );
                }
            }
        }
        Ok(())
    }

    /// Records an upload in the lockfile, or fails the articles that needed it.
    fn record(
        &mut self,
        n: &mut Needs,
        job: &Job,
        result: std::result::Result<AssetEntry, UploadError>,
    ) -> Result<()> {
        let hash = &job.hash;
        let users = n.users.get(hash).cloned().unwrap_or_default();
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
                self.lock.save(self.root)?;
            }
            Err(UploadError::Api(e)) => {
                for m in users {
                    self.fail_api(&m, &e);
                    if let Some(d) = self.rows.get_mut(&m)
                        && let Some(err) = &mut d.error
                    {
                        err.message = format!("uploading {}: {}", job.label, err.message);
                    }
                }
            }
            Err(UploadError::Local(why)) => {
                for m in users {
                    self.fail(&m, None, format!("image {}: {why}", job.label));
                }
            }
        }
        Ok(())
    }
}

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
    let prepared = tokio::task::spawn_blocking(move || prepare_cached(&root2, &hash, &bytes, use_))
        .await
        .map_err(|e| UploadError::Local(format!("preparing it failed: {e}")))?
        .map_err(|e| UploadError::Local(e.0))?;
    let hex = job.hash.hex();
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
