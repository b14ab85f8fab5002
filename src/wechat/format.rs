//! Image formats: what an upload's bytes are, and the extension and MIME type WeChat reads
//! that from. The one image sniffer of wxsync (the client names uploads by it; `media`
//! checks and prepares images by it).

use std::fmt;

use serde::Serialize;

/// The image formats wxsync reads, told apart by their first bytes; WeChat's upload
/// endpoints read the type from the file name's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    Png,
    Jpeg,
    Gif,
    Webp,
    Bmp,
}

impl ImageFormat {
    /// The format of some bytes, from their first bytes (a server's `Content-Type` or a
    /// file's extension is never trusted).
    pub fn sniff(b: &[u8]) -> Option<ImageFormat> {
        if b.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageFormat::Png)
        } else if b.starts_with(&[0xff, 0xd8, 0xff]) {
            Some(ImageFormat::Jpeg)
        } else if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
            Some(ImageFormat::Gif)
        } else if b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP" {
            Some(ImageFormat::Webp)
        } else if b.starts_with(b"BM") && b.len() > 26 {
            Some(ImageFormat::Bmp)
        } else {
            None
        }
    }

    /// The format a file name's extension names (`jpg` and `jpeg` alike).
    pub fn from_extension(ext: &str) -> Option<ImageFormat> {
        Some(match ext.to_ascii_lowercase().as_str() {
            "jpg" | "jpeg" => ImageFormat::Jpeg,
            "png" => ImageFormat::Png,
            "gif" => ImageFormat::Gif,
            "bmp" => ImageFormat::Bmp,
            "webp" => ImageFormat::Webp,
            _ => return None,
        })
    }

    /// `png`, `jpeg`, … as messages name it.
    pub fn name(self) -> &'static str {
        match self {
            ImageFormat::Png => "png",
            ImageFormat::Jpeg => "jpeg",
            ImageFormat::Gif => "gif",
            ImageFormat::Webp => "webp",
            ImageFormat::Bmp => "bmp",
        }
    }

    /// The file extension, from which WeChat reads the type of an upload.
    pub fn extension(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "jpg",
            other => other.name(),
        }
    }

    /// The MIME type, for serving a preview.
    pub fn mime(self) -> &'static str {
        match self {
            ImageFormat::Png => "image/png",
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Gif => "image/gif",
            ImageFormat::Webp => "image/webp",
            ImageFormat::Bmp => "image/bmp",
        }
    }
}

impl fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
