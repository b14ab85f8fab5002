//! The prepared-image store, `.wxsync/images/<source hash>[.m].<ext>`: an image is prepared
//! once per machine whatever the number of runs, and a preview shows the very bytes a push
//! would upload.

use std::path::{Path, PathBuf};

use crate::fs::{Durability, write_atomic};
use crate::hash::ContentHash;

use super::prepare::{Endpoint, Prepared, Use, prepare};
use super::probe::{ImageError, err, probe};
use crate::wechat::ImageFormat as Format;

/// Where the prepared form of an image is kept, with `.m` before the extension for the
/// permanent-material form.
pub fn cache_path(root: &Path, hash: &ContentHash, endpoint: Endpoint, format: Format) -> PathBuf {
    let kind = match endpoint {
        Endpoint::UploadImg => "",
        Endpoint::Material => ".m",
    };
    root.join(crate::site::CACHE_DIR)
        .join("images")
        .join(format!("{}{kind}.{}", hash.hex(), format.extension()))
}

/// [`prepare`], with converted results kept under `.wxsync/images/` by the source's hash.
/// `hash` must be the hash of `src`. A cache file that is unreadable or does not fit is
/// ignored and replaced; failing to write one is not an error (it only saves work).
pub fn prepare_cached(
    root: &Path,
    hash: &ContentHash,
    src: &[u8],
    use_: Use,
) -> Result<Prepared, ImageError> {
    let info = probe(src)?;
    let ep = Endpoint::of(&info, use_);
    if ep.takes(&info, src.len() as u64) {
        return prepare(src, use_);
    }
    for format in [Format::Jpeg, Format::Png] {
        let path = cache_path(root, hash, ep, format);
        if let Ok(bytes) = std::fs::read(&path)
            && let Ok(ci) = probe(&bytes)
            && ci.format == format
            && ep.takes(&ci, bytes.len() as u64)
        {
            return Ok(Prepared {
                bytes,
                format,
                width: ci.width,
                height: ci.height,
                endpoint: ep,
                converted: true,
            });
        }
    }
    let p = prepare(src, use_)?;
    let _ = write_atomic(
        &cache_path(root, hash, ep, p.format),
        &p.bytes,
        Durability::Atomic,
    );
    Ok(p)
}

/// The file holding what WeChat will get for these source bytes: `source` itself when the
/// image is sent as it is, else its prepared form in the store (made now if needed). `source`
/// is `None` for bytes that have no file of their own (a `data:` URI), which are then always
/// written to the store.
pub fn prepared_file(
    root: &Path,
    src: &[u8],
    use_: Use,
    source: Option<&Path>,
) -> Result<PathBuf, ImageError> {
    // The file may have changed since it was rendered: key the store by what is read.
    let hash = ContentHash::of(src);
    let p = prepare_cached(root, &hash, src, use_)?;
    if let (false, Some(file)) = (p.converted, source) {
        return Ok(file.to_path_buf());
    }
    let path = cache_path(root, &hash, p.endpoint, p.format);
    if !path.is_file() {
        write_atomic(&path, &p.bytes, Durability::Atomic).map_err(|e| err(e.to_string()))?;
    }
    Ok(path)
}
