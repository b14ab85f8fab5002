//! The image a preview shows for each asset: what WeChat will get (the prepared form, see
//! [`crate::project::outputs::prepared_file`]), remembered while the source file's size and
//! modification time stay the same, since every rebuild of a live preview asks again. The
//! memory is bounded: past [`CAPACITY`] entries it starts over.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use crate::project::outputs::prepared_file;
use crate::render::{Asset, Role};

/// Entries kept before the memory is cleared (each is a few hundred bytes).
pub const CAPACITY: usize = 4096;

type Key = (PathBuf, String, bool, Option<(u64, SystemTime)>);

/// Prepared images of a watch session.
#[derive(Debug)]
pub struct PreparedImages {
    seen: Mutex<HashMap<Key, PathBuf>>,
    capacity: usize,
}

impl Default for PreparedImages {
    fn default() -> Self {
        PreparedImages::with_capacity(CAPACITY)
    }
}

impl PreparedImages {
    pub fn with_capacity(capacity: usize) -> PreparedImages {
        PreparedImages {
            seen: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    /// The file to serve for `asset`, or `None` when it cannot be prepared (the page then
    /// shows the source, and the push reports the error).
    pub fn file(&self, root: &Path, asset: &Asset) -> Option<PathBuf> {
        let source = root.join(asset.path.as_str());
        let stamp = match asset.inline {
            Some(_) => None,
            None => std::fs::metadata(&source)
                .ok()
                .and_then(|m| Some((m.len(), m.modified().ok()?))),
        };
        let key: Key = (
            source,
            asset.hash.as_str().to_string(),
            asset.role == Role::Body,
            stamp,
        );
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = seen.get(&key)
            && p.is_file()
        {
            return Some(p.clone());
        }
        drop(seen);
        let path = prepared_file(root, asset).ok()?;
        seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() >= self.capacity {
            seen.clear();
        }
        seen.insert(key, path.clone());
        Some(path)
    }

    pub fn len(&self) -> usize {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::AssetCache;

    #[test]
    fn the_memory_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let images = PreparedImages::with_capacity(2);
        let cache = AssetCache::default();
        for i in 0..5u8 {
            let name = format!("{i}.png");
            let mut png = Vec::new();
            image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
                2,
                2,
                image::Rgb([i, 0, 0]),
            ))
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
            std::fs::write(dir.path().join(&name), png).unwrap();
            let root = dir.path().canonicalize().unwrap();
            let asset = cache.resolve(&root, &root, &name, Role::Body).unwrap();
            assert_eq!(images.file(&root, &asset), Some(root.join(&name)));
            assert!(images.len() <= 2, "{} entries", images.len());
        }
        assert!(!images.is_empty());
    }
}
