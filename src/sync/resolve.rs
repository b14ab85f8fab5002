//! Resolving a payload into what is sent: each image reference replaced by what WeChat
//! returned for it, as the lockfile records it.

use std::collections::BTreeSet;

use crate::render::{MediaRef, Payload, RemoteImage, Role, placeholder};
use crate::sync::lock::{AssetEntry, Lockfile};
use crate::wechat::{self, MediaId};

/// The payload with its images resolved: a local or `data:` image's placeholder by its
/// upload, and each remote image the article uploads (`remote`, keyed by URL in the
/// lockfile) by the URL or media id of its upload. The error names the first image that has
/// not been uploaded.
pub fn resolve(
    p: &Payload,
    lock: &Lockfile,
    remote: &[RemoteImage],
) -> Result<wechat::Article, String> {
    let uploaded = |url: &str| -> Option<&AssetEntry> {
        lock.remote.get(url).and_then(|h| lock.assets.get(h))
    };
    let mut content = placeholder::substitute(&p.content, |h| {
        lock.assets.get(h).and_then(|a| a.url.clone())
    })?;
    let mut done = BTreeSet::new();
    for r in remote.iter().filter(|r| r.role == Role::Body) {
        if !done.insert(r.url.as_str()) {
            continue;
        }
        let url = uploaded(&r.url)
            .and_then(|a| a.url.clone())
            .ok_or_else(|| format!("image {} has not been uploaded", r.url))?;
        content = placeholder::replace_src(&content, &r.url, &url);
    }
    let no_id = |m: &MediaRef| format!("image {m} has no permanent media id yet");
    p.try_map_media(content, |m| -> Result<MediaId, String> {
        match m {
            MediaRef::Id(id) => Ok(id.clone()),
            MediaRef::Asset(h) => lock
                .assets
                .get(h)
                .and_then(|a| a.media_id.clone())
                .ok_or_else(|| no_id(m)),
            MediaRef::Remote(url) => uploaded(url)
                .and_then(|a| a.media_id.clone())
                .ok_or_else(|| no_id(m)),
        }
    })
}
