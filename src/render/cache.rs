//! The render cache (`.wxsync/render-cache.json`): for each article rendered cleanly, the
//! hash of its payload, keyed by everything the rendering read, so an unchanged site is
//! planned without rendering anything.
//!
//! The key covers the wxsync version, `wxsync.yaml`, the theme's CSS, and the article's
//! bytes; the entry also lists the image files the article uses with their size and
//! modification time, and is valid only while they are unchanged. An image whose stamp
//! differs (a fresh checkout gives every file a new one) is hashed, and the entry holds if its
//! bytes are the ones rendered; its stamp is then brought up to date. So a cache carried to a
//! fresh checkout (the GitHub Action restores it) still plans an unchanged site without
//! rendering. Warnings are kept and printed again (without the source snippet); articles with
//! errors are not cached.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::diag::Diagnostic;
use crate::fs::{Durability, write_atomic};
use crate::render::{ContentHash, Rendered};
use crate::site::{ArticlePath, CACHE_DIR};

const FILE: &str = "render-cache.json";

/// What says an image file is unchanged without reading it: its size and modification
/// time, and on Unix its inode and change time, which no tool sets back (`touch -r`, `cp -p`
/// and `rsync -t` restore the modification time of a file replaced by other bytes of the same
/// size, never its change time). Where there is no change time, the bytes are hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    pub path: ArticlePath,
    pub len: u64,
    pub mtime_ns: u128,
    /// Unix: the inode and the change time; elsewhere the hash of the bytes.
    #[serde(default)]
    pub id: String,
    /// The hash of the bytes that were rendered, to recognise them under a new stamp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<ContentHash>,
}

impl FileStamp {
    pub fn of(root: &Path, path: &ArticlePath) -> Option<FileStamp> {
        let file = root.join(path.as_str());
        let meta = std::fs::metadata(&file).ok()?;
        let mtime_ns = meta
            .modified()
            .ok()?
            .duration_since(UNIX_EPOCH)
            .ok()?
            .as_nanos();
        Some(FileStamp {
            path: path.clone(),
            len: meta.len(),
            mtime_ns,
            id: identity(&file, &meta)?,
            hash: None,
        })
    }

    /// Whether `now` (the file's stamp as it is) is this one's.
    fn same_stamp(&self, now: &FileStamp) -> bool {
        (&self.path, self.len, self.mtime_ns, &self.id)
            == (&now.path, now.len, now.mtime_ns, &now.id)
    }
}

#[cfg(unix)]
fn identity(_file: &Path, meta: &std::fs::Metadata) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    Some(format!(
        "{}:{}.{}",
        meta.ino(),
        meta.ctime(),
        meta.ctime_nsec()
    ))
}

#[cfg(not(unix))]
fn identity(file: &Path, _meta: &std::fs::Metadata) -> Option<String> {
    std::fs::read(file)
        .ok()
        .map(|b| ContentHash::of(&b).as_str().to_string())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub key: String,
    pub hash: ContentHash,
    pub sync: bool,
    #[serde(default)]
    pub ignored_keys: Vec<String>,
    #[serde(default)]
    pub files: Vec<FileStamp>,
    #[serde(default)]
    pub warnings: Vec<Warning>,
    /// What the render read, wxsync's version aside ([`inputs_fingerprint`]).
    #[serde(default)]
    pub inputs: Option<ContentHash>,
}

/// A warning as the cache keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    pub help: Option<String>,
}

impl Warning {
    fn of(d: &Diagnostic) -> Warning {
        Warning {
            file: d.file.clone(),
            line: d.line,
            column: d.column,
            message: d.message.clone(),
            help: d.help.clone(),
        }
    }

    pub fn to_diagnostic(&self) -> Diagnostic {
        let mut d = Diagnostic::warning(self.file.clone(), self.message.clone());
        d.line = self.line;
        d.column = self.column;
        d.help = self.help.clone();
        d
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct RenderCache {
    #[serde(default)]
    entries: BTreeMap<ArticlePath, Entry>,
    #[serde(skip)]
    dirty: bool,
    /// Image hashes computed in this run, by path (an image many articles share is read once).
    #[serde(skip)]
    hashed: BTreeMap<ArticlePath, Option<ContentHash>>,
}

impl RenderCache {
    fn path(root: &Path) -> PathBuf {
        root.join(CACHE_DIR).join(FILE)
    }

    /// Loads the cache; a missing or unreadable one is empty (it is only a cache).
    pub fn load(root: &Path) -> RenderCache {
        std::fs::read(RenderCache::path(root))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Writes the cache if it changed. A failure is not an error: the next run renders again.
    pub fn save(&self, root: &Path) {
        if !self.dirty {
            return;
        }
        if let Ok(bytes) = serde_json::to_vec(self) {
            let _ = write_atomic(&RenderCache::path(root), &bytes, Durability::Atomic);
        }
    }

    /// The cached entry for an article whose inputs hash to `key`, if its images are unchanged:
    /// by their stamps, else by their bytes (then the stamps are renewed).
    pub fn get(&mut self, root: &Path, path: &ArticlePath, key: &str) -> Option<&Entry> {
        let files = match self.entries.get(path) {
            Some(e) if e.key == key => e.files.clone(),
            _ => return None,
        };
        let mut renewed = Vec::with_capacity(files.len());
        let mut changed = false;
        for f in files {
            let now = FileStamp::of(root, &f.path)?;
            if f.same_stamp(&now) {
                renewed.push(f);
                continue;
            }
            let recorded = f.hash.clone()?;
            let hash = self
                .hashed
                .entry(f.path.clone())
                .or_insert_with(|| {
                    std::fs::read(root.join(f.path.as_str()))
                        .ok()
                        .map(|b| ContentHash::of(&b))
                })
                .clone();
            if hash.as_ref() != Some(&recorded) {
                return None;
            }
            renewed.push(FileStamp {
                hash: Some(recorded),
                ..now
            });
            changed = true;
        }
        let e = self.entries.get_mut(path)?;
        if changed {
            e.files = renewed;
            self.dirty = true;
        }
        Some(e)
    }

    /// Records a clean render.
    pub fn put(
        &mut self,
        root: &Path,
        key: String,
        rendered: &Rendered,
        hash: ContentHash,
        ignored_keys: Vec<String>,
        inputs: ContentHash,
    ) {
        if rendered.has_errors() {
            if self.entries.remove(&rendered.path).is_some() {
                self.dirty = true;
            }
            return;
        }
        let mut files: Vec<FileStamp> = rendered
            .assets
            .iter()
            .filter_map(|a| {
                let stamp = FileStamp::of(root, &a.path)?;
                // An inline (`data:`) image's bytes are in the article, which the key covers.
                let hash = a.inline.is_none().then(|| a.hash.clone());
                Some(FileStamp { hash, ..stamp })
            })
            .collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        files.dedup();
        let warnings = rendered.diagnostics.iter().map(Warning::of).collect();
        let entry = Entry {
            key,
            hash,
            sync: rendered.sync,
            ignored_keys,
            files,
            warnings,
            inputs: Some(inputs),
        };
        if self.entries.get(&rendered.path) != Some(&entry) {
            self.entries.insert(rendered.path.clone(), entry);
            self.dirty = true;
        }
    }
}

/// The part of the key shared by every article of a site: wxsync's version, the config and
/// the theme.
pub fn site_key(config_text: &str, theme_css: &str) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    h.update([0]);
    h.update(config_text.as_bytes());
    h.update([0]);
    h.update(theme_css.as_bytes());
    h.finalize().to_vec()
}

/// An article's image files (not `data:` URIs, whose bytes are the article's) with the hashes
/// of the bytes rendered, sorted by path: what its render read beyond its own file.
pub fn image_files(rendered: &Rendered) -> Vec<(ArticlePath, ContentHash)> {
    let mut files: Vec<(ArticlePath, ContentHash)> = rendered
        .assets
        .iter()
        .filter(|a| a.inline.is_none())
        .map(|a| (a.path.clone(), a.hash.clone()))
        .collect();
    files.sort();
    files.dedup();
    files
}

/// What the lockfile records an article's payload was rendered from (`rendered_from`): the
/// site key (wxsync's version, the config, the theme), the hash of the article's bytes and its
/// image files with theirs. On a checkout without `.wxsync/` (a CI run), an article whose key
/// this still is needs no rendering to be planned.
pub fn origin_key(
    site_key: &[u8],
    source: &ContentHash,
    images: &[(ArticlePath, ContentHash)],
) -> ContentHash {
    let mut bytes = site_key.to_vec();
    bytes.extend_from_slice(source.as_str().as_bytes());
    for (path, hash) in images {
        bytes.push(0);
        bytes.extend_from_slice(path.as_str().as_bytes());
        bytes.push(0);
        bytes.extend_from_slice(hash.as_str().as_bytes());
    }
    ContentHash::of(&bytes)
}

/// The key of one article: the site key and the article's bytes.
pub fn article_key(site_key: &[u8], text: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(site_key);
    h.update(text);
    hex::encode(h.finalize())
}

/// The part of an article's input fingerprint shared by every article: the config and the
/// theme, without wxsync's version.
pub fn inputs_key(config_text: &str, theme_css: &str) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(config_text.as_bytes());
    h.update([0]);
    h.update(theme_css.as_bytes());
    h.finalize().to_vec()
}

/// What an article's render read but for wxsync itself: the config and theme
/// ([`inputs_key`]), the article's bytes (their hash) and its images (their hashes, and the
/// URLs of remote ones). The same fingerprint with another payload hash means wxsync's
/// rendering changed.
pub fn inputs_fingerprint(
    inputs_key: &[u8],
    source: &ContentHash,
    rendered: &Rendered,
) -> ContentHash {
    let mut images: Vec<&str> = rendered
        .assets
        .iter()
        .map(|a| a.hash.as_str())
        .chain(rendered.remote.iter().map(|r| r.url.as_str()))
        .collect();
    images.sort_unstable();
    images.dedup();
    let mut bytes = inputs_key.to_vec();
    bytes.extend_from_slice(source.as_str().as_bytes());
    for i in images {
        bytes.push(0);
        bytes.extend_from_slice(i.as_bytes());
    }
    ContentHash::of(&bytes)
}
