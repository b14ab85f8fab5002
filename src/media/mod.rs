//! Images as WeChat needs them, independent of articles: what a file is ([`probe`]), making
//! it fit an upload endpoint ([`prepare`]), keeping the result once per machine ([`cache`]),
//! and downloading remote images ([`fetch`]).
//!
//! Rendering uses [`probe`] to check an image before anything is sent; the push uses the
//! rest. Nothing here knows about Markdown, payloads or the lockfile.

pub mod cache;
pub mod fetch;
pub mod prepare;
pub mod probe;

pub use crate::wechat::ImageFormat as Format;
pub use fetch::{is_remote, is_wechat_hosted};
pub use prepare::{Endpoint, Prepared, Use, prepare};
pub use probe::{ImageError, Info, NOT_AN_IMAGE, SOURCE_MAX, megabytes, probe};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_extension_per_format() {
        assert_eq!(Format::Jpeg.extension(), "jpg");
        assert_eq!(Format::Jpeg.name(), "jpeg");
        assert_eq!(Format::sniff(b"GIF89a.."), Some(Format::Gif));
    }
}
