//! The images an article names, and what its payload refers to each one by: a local file or
//! a `data:` URI becomes an [`Asset`] (by the hash of its bytes), an image on another host a
//! [`RemoteImage`] the push uploads (`images.remote`), a WeChat-hosted one stays as it is.

use std::collections::HashSet;
use std::path::Path;

use crate::media::{self, is_remote, is_wechat_hosted};
use crate::render::assets::{Asset, AssetCache, Role};
use crate::render::payload::MediaRef;
use crate::render::{placeholder, sanitize};
use crate::site::ArticlePath;
use crate::site::config::RemoteImages;

/// An image hosted outside WeChat that the push fetches and uploads (`images.remote:
/// upload`). Its identity in the payload is its URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RemoteImage {
    pub url: String,
    pub role: Role,
}

/// The images one article uses, in first-use order.
#[derive(Debug, Default)]
pub struct ArticleImages {
    pub assets: Vec<Asset>,
    pub remote: Vec<RemoteImage>,
}

/// How a site's images are resolved.
#[derive(Debug)]
pub struct Resolver<'a> {
    pub root: &'a Path,
    pub cache: &'a AssetCache,
    pub remote: RemoteImages,
    pub diagrams: &'a crate::render::diagram::Diagrams,
}

impl ArticleImages {
    /// What the payload refers to an image by, as written in the article at `article` (its
    /// file in `dir`): a remote URL as it is (listed for the push to upload, per
    /// `images.remote`), a local file or a `data:` URI by the hash of its bytes.
    pub fn add(
        &mut self,
        r: &Resolver<'_>,
        raw: &str,
        article: &ArticlePath,
        dir: &Path,
        role: Role,
    ) -> Result<MediaRef, String> {
        let t = raw.trim();
        let lower = t.to_ascii_lowercase();
        let url = if lower.starts_with("http://") || lower.starts_with("https://") {
            Some(t.to_string())
        } else if lower.starts_with("//") {
            // Protocol-relative: WeChat pages are https.
            Some(format!("https:{t}"))
        } else {
            None
        };
        if let Some(url) = url {
            if role == Role::Body && is_wechat_hosted(&url) {
                return Ok(MediaRef::Remote(url));
            }
            return match (r.remote, role) {
                (RemoteImages::Upload, _) => {
                    self.remote.push(RemoteImage {
                        url: url.clone(),
                        role,
                    });
                    Ok(MediaRef::Remote(url))
                }
                (RemoteImages::Error, _) => Err(
                    "it is hosted outside WeChat, and `images.remote: error` in wxsync.yaml refuses such images".to_string(),
                ),
                (RemoteImages::Keep, Role::Body) => Ok(MediaRef::Remote(url)),
                (RemoteImages::Keep, _) => Err(
                    "a cover or newspic image must be uploaded, but `images.remote: keep` leaves remote images alone; use a local file".to_string(),
                ),
            };
        }
        if lower.starts_with("data:") {
            if !sanitize::is_data_image(t) {
                return Err("only png, jpeg, gif, webp and bmp data: URLs are images".to_string());
            }
            let asset = r
                .cache
                .data_uri(article, t, role)
                .map_err(|e| e.to_string())?;
            return Ok(self.push(asset));
        }
        if lower.contains(':')
            && !lower.starts_with(placeholder::SCHEME)
            && lower
                .split(':')
                .next()
                .is_some_and(|s| s.len() > 1 && s.chars().all(|c| c.is_ascii_alphabetic()))
        {
            return Err("only local files and http(s) URLs can be images".to_string());
        }
        if t.is_empty() {
            return Err("the path is empty".to_string());
        }
        self.add_file(r, dir, t, role)
    }

    /// A local image named relative to `dir` (an image in `wxsync.yaml` is relative to the
    /// site root).
    pub fn add_file(
        &mut self,
        r: &Resolver<'_>,
        dir: &Path,
        raw: &str,
        role: Role,
    ) -> Result<MediaRef, String> {
        let asset = r
            .cache
            .resolve(r.root, dir, raw, role)
            .map_err(|e| e.to_string())?;
        Ok(self.push(asset))
    }

    /// A diagram drawn for the article at `article`: an inline image, by the hash of its
    /// source and renderer.
    pub fn add_diagram(
        &mut self,
        article: &ArticlePath,
        d: &crate::render::diagram::Diagram,
    ) -> MediaRef {
        self.push(Asset {
            hash: d.hash.clone(),
            path: article.clone(),
            role: Role::Body,
            format: media::Format::Png,
            bytes: d.png.len() as u64,
            inline: Some(d.png.clone()),
        })
    }

    fn push(&mut self, asset: Asset) -> MediaRef {
        let m = MediaRef::Asset(asset.hash.clone());
        self.assets.push(asset);
        m
    }

    /// The body image `first` used as the cover too: it is then also uploaded as permanent
    /// material. `None` when it cannot be (a WeChat-hosted or kept remote image).
    pub fn reuse_as_cover(&mut self, first: MediaRef, remote: RemoteImages) -> Option<MediaRef> {
        match first {
            MediaRef::Asset(h) => {
                let a = self.assets.iter().find(|a| a.hash == h).cloned()?;
                self.assets.push(Asset {
                    role: Role::Cover,
                    ..a
                });
                Some(MediaRef::Asset(h))
            }
            // A remote first image (even one on mmbiz.qpic.cn) is fetched and uploaded as
            // permanent material to become the cover.
            MediaRef::Remote(url) if remote == RemoteImages::Upload && is_remote(&url) => {
                self.remote.push(RemoteImage {
                    url: url.clone(),
                    role: Role::Cover,
                });
                Some(MediaRef::Remote(url))
            }
            _ => None,
        }
    }

    /// One entry per (hash, role) and per (URL, role), in first-use order.
    pub fn dedup(&mut self) {
        let mut seen = HashSet::new();
        self.assets
            .retain(|a| seen.insert((a.hash.clone(), a.role)));
        let mut seen = HashSet::new();
        self.remote.retain(|r| seen.insert(r.clone()));
    }

    /// The asset a payload reference names in `role`.
    pub fn asset(&self, m: &MediaRef, role: Role) -> Option<&Asset> {
        match m {
            MediaRef::Asset(h) => self.assets.iter().find(|a| a.role == role && &a.hash == h),
            _ => None,
        }
    }
}

/// An image source as messages quote it: a long one (a `data:` URI of a megabyte) is cut,
/// with its length, so an error never echoes it whole.
pub fn shown(raw: &str) -> std::borrow::Cow<'_, str> {
    const MAX: usize = 80;
    if raw.chars().count() <= MAX {
        return std::borrow::Cow::Borrowed(raw);
    }
    let head: String = raw.chars().take(MAX - 20).collect();
    std::borrow::Cow::Owned(format!("{head}… ({} bytes)", raw.len()))
}

/// Width and height of a local or inline image, from its header.
pub fn dimensions(root: &Path, a: &Asset) -> Option<(u32, u32)> {
    match &a.inline {
        Some(b) => media::probe(b).ok().map(|i| (i.width, i.height)),
        None => media::probe::file_dimensions(&root.join(a.path.as_str())),
    }
}
