//! Local images: resolving a path written in an article (or a `data:` URI) to bytes inside
//! the site, checked to be an image wxsync can take and hashed, once per process. The hash is
//! what the payload's placeholder ([`crate::render::placeholder`]) names.

use std::collections::HashMap;
use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::fs::io_reason;
use crate::hash::ContentHash;
use crate::media::{Format, probe};
use crate::site::ArticlePath;

/// What an image is used for: decides the upload endpoint later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// An image in the body (`media/uploadimg`).
    Body,
    /// The cover (`material/add_material`, its media id is `thumb_media_id`).
    Cover,
    /// A `newspic` image (`material/add_material`).
    Newspic,
}

/// An image file an article needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Asset {
    pub hash: ContentHash,
    /// Relative to the site root, forward slashes.
    pub path: ArticlePath,
    pub role: Role,
    pub format: Format,
    pub bytes: u64,
    /// The decoded bytes of a `data:` URI (then `path` is the article that holds it).
    #[serde(skip)]
    pub inline: Option<Arc<[u8]>>,
}

impl Asset {
    /// How messages name the image: its path, or `data: URI` for an inline one.
    pub fn describe(&self) -> String {
        match self.inline {
            Some(_) => format!("data: URI ({} bytes) in {}", self.bytes, self.path),
            None => self.path.to_string(),
        }
    }
}

/// Why an image path cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssetError {
    OutsideRoot,
    Missing,
    Unreadable(String),
    NotAnImage,
    Empty,
    /// Too large, too many pixels, an unreadable header, a malformed `data:` URI.
    Refused(String),
}

impl fmt::Display for AssetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AssetError::OutsideRoot => f.write_str("it resolves outside the site root"),
            AssetError::Missing => f.write_str("no such file"),
            AssetError::Unreadable(e) => write!(f, "cannot read it: {e}"),
            AssetError::NotAnImage => f.write_str(crate::media::NOT_AN_IMAGE),
            AssetError::Empty => f.write_str("the file is empty"),
            AssetError::Refused(why) => f.write_str(why),
        }
    }
}

/// What hashing a file found: its hash, format and size.
type Hashed = Result<(ContentHash, Format, u64), AssetError>;

/// Hashes image files once per process, whichever article uses them.
#[derive(Debug, Default)]
pub struct AssetCache {
    seen: Mutex<HashMap<PathBuf, Hashed>>,
}

impl AssetCache {
    /// Resolves `src` (as written in `article_dir`'s article; `/x` is relative to the site
    /// root) to an asset, reading and hashing the file the first time.
    pub fn resolve(
        &self,
        root: &Path,
        article_dir: &Path,
        src: &str,
        role: Role,
    ) -> Result<Asset, AssetError> {
        let decoded = percent_decode(src.split(['?', '#']).next().unwrap_or(src));
        let joined = match decoded.strip_prefix('/') {
            Some(r) => root.join(r),
            None => article_dir.join(&decoded),
        };
        let lexical = normalize(&joined).ok_or(AssetError::OutsideRoot)?;
        if !lexical.starts_with(root) {
            return Err(AssetError::OutsideRoot);
        }
        // Symlinks may still lead out of the site.
        let real = match lexical.canonicalize() {
            Ok(p) => p,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(AssetError::Missing),
            Err(e) => return Err(AssetError::Unreadable(io_reason(&e))),
        };
        if !real.starts_with(root) {
            return Err(AssetError::OutsideRoot);
        }
        let rel = real
            .strip_prefix(root)
            .ok()
            .and_then(ArticlePath::from_relative)
            .ok_or(AssetError::OutsideRoot)?;
        let found = {
            let seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
            seen.get(&real).cloned()
        };
        let (hash, format, bytes) = match found {
            Some(r) => r?,
            None => {
                let r = hash_file(&real);
                self.seen
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(real.clone(), r.clone());
                r?
            }
        };
        Ok(Asset {
            hash,
            path: rel,
            role,
            format,
            bytes,
            inline: None,
        })
    }

    /// An image written as a `data:` URI in the article at `article`: decoded, checked like a
    /// file, and keyed by the hash of the decoded bytes (so it is the same asset as the file
    /// it was made from).
    pub fn data_uri(
        &self,
        article: &ArticlePath,
        uri: &str,
        role: Role,
    ) -> Result<Asset, AssetError> {
        let bytes = decode_data_uri(uri).ok_or_else(|| {
            AssetError::Refused(
                "the data: URI is malformed (expected `data:image/…;base64,…`)".to_string(),
            )
        })?;
        let (hash, format, len) = check_bytes(&bytes)?;
        Ok(Asset {
            hash,
            path: article.clone(),
            role,
            format,
            bytes: len,
            inline: Some(Arc::from(bytes)),
        })
    }
}

fn hash_file(path: &Path) -> Hashed {
    let unreadable = |e: std::io::Error| AssetError::Unreadable(io_reason(&e));
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    if !meta.is_file() {
        return Err(AssetError::Unreadable("it is not a file".to_string()));
    }
    probe::check_size(meta.len()).map_err(|e| AssetError::Refused(e.0))?;
    let bytes = std::fs::read(path).map_err(unreadable)?;
    check_bytes(&bytes)
}

/// Checks that bytes are an image wxsync can take (format, size, pixel count from the header)
/// and hashes them.
fn check_bytes(bytes: &[u8]) -> Hashed {
    if bytes.is_empty() {
        return Err(AssetError::Empty);
    }
    if Format::sniff(bytes).is_none() {
        return Err(AssetError::NotAnImage);
    }
    let format = probe::check_header(bytes).map_err(|e| AssetError::Refused(e.0))?;
    Ok((ContentHash::of(bytes), format, bytes.len() as u64))
}

/// The bytes of a `data:` URI: base64 when it says `;base64`, else percent-encoded.
pub fn decode_data_uri(uri: &str) -> Option<Vec<u8>> {
    let rest = uri.trim().get(5..)?;
    if !uri.trim().get(..5)?.eq_ignore_ascii_case("data:") {
        return None;
    }
    let (meta, data) = rest.split_once(',')?;
    if meta
        .to_ascii_lowercase()
        .split(';')
        .any(|p| p.trim() == "base64")
    {
        base64_decode(data)
    } else {
        Some(percent_decode_bytes(data))
    }
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        if c.is_ascii_whitespace() || c == b'=' {
            continue;
        }
        acc = (acc << 6) | val(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn percent_decode_bytes(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex_val(b[i + 1]), hex_val(b[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// Removes `.` and `..` without touching the disk; `None` if `..` climbs above the root of
/// the path.
fn normalize(p: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    Some(out)
}

/// Decodes `%XX` escapes (Markdown image paths often have `%20` for spaces).
pub fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    String::from_utf8(percent_decode_bytes(s)).unwrap_or_else(|_| s.to_string())
}

fn hex_val(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding() {
        assert_eq!(percent_decode("a%20b%E4%BD%A0.png"), "a b你.png");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }

    #[test]
    fn normalizing() {
        assert_eq!(
            normalize(Path::new("/a/b/../c")),
            Some(PathBuf::from("/a/c"))
        );
        assert_eq!(normalize(Path::new("/../..")), None);
    }

    #[test]
    fn data_uris() {
        assert_eq!(
            decode_data_uri("data:image/png;base64,aGVsbG8="),
            Some(b"hello".to_vec())
        );
        assert_eq!(
            decode_data_uri("DATA:image/png;BASE64,aGVs\nbG8"),
            Some(b"hello".to_vec())
        );
        assert_eq!(
            decode_data_uri("data:image/png,a%20b"),
            Some(b"a b".to_vec())
        );
        assert_eq!(decode_data_uri("data:image/png;base64,a*b"), None);
        assert_eq!(decode_data_uri("image/png;base64,aGVsbG8="), None);
    }

    #[test]
    fn sniffs() {
        assert_eq!(Format::sniff(b"\x89PNG\r\n\x1a\n...."), Some(Format::Png));
        assert_eq!(Format::sniff(b"hello"), None);
    }
}
