//! The image placeholder, `wxsync-asset:sha256:<hex of the bytes>`: how a payload refers to an
//! image that is not uploaded yet, and how the push replaces it with what WeChat returned.
//!
//! It is keyed by content, not path, so an article's payload hash does not change when an
//! image is re-uploaded, and the same picture used by two articles is one upload.

use crate::hash::ContentHash;
use crate::render::html::escape_attr;

/// The URL scheme of a placeholder (never a real scheme, so the sanitizer can tell it apart).
pub const SCHEME: &str = "wxsync-asset";

/// The placeholder written in `src` (and `thumb_media_id`) for an image until the push.
pub fn of(hash: &ContentHash) -> String {
    format!("{SCHEME}:{hash}")
}

/// The hash a placeholder stands for.
pub fn parse(s: &str) -> Option<ContentHash> {
    ContentHash::parse(s.strip_prefix(SCHEME)?.strip_prefix(':')?)
}

/// `content` with each placeholder replaced by `url_of` its hash; the error names the first
/// placeholder it has no URL for.
pub fn substitute(
    content: &str,
    url_of: impl Fn(&ContentHash) -> Option<String>,
) -> Result<String, String> {
    let prefix = format!("{SCHEME}:");
    let len = prefix.len() + "sha256:".len() + 64;
    let mut out = String::with_capacity(content.len());
    let mut rest = content;
    while let Some(i) = rest.find(&prefix) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let placeholder = tail.get(..len).unwrap_or(tail);
        let url = parse(placeholder)
            .and_then(|h| url_of(&h))
            .ok_or_else(|| format!("image {placeholder} has not been uploaded"))?;
        out.push_str(&url);
        rest = &tail[placeholder.len()..];
    }
    out.push_str(rest);
    Ok(out)
}

/// `content` with every image `src` that is `from` (a remote image's URL, as the writer
/// escaped it) pointing at `to` instead.
pub fn replace_src(content: &str, from: &str, to: &str) -> String {
    let attr = |url: &str| {
        let mut s = String::from("src=\"");
        escape_attr(url, &mut s);
        s.push('"');
        s
    };
    content.replace(&attr(from), &attr(to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_round_trip_and_resolve() {
        let h = ContentHash::of(b"x");
        let p = of(&h);
        assert_eq!(parse(&p), Some(h.clone()));
        let html = format!("<img src=\"{p}\"><img src=\"{p}\">");
        let out = substitute(&html, |_| Some("http://u".into())).unwrap();
        assert_eq!(out, "<img src=\"http://u\"><img src=\"http://u\">");
        assert!(substitute(&html, |_| None).unwrap_err().contains(&p));
    }
}
