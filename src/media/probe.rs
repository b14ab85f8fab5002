//! Reading what an image is from its header, without decoding its pixels: format, size, and
//! the traits that force a conversion; and refusing what is too large to decode safely (a
//! decompression bomb).

use std::io::Cursor;
use std::path::Path;

use std::fmt;

use image::{ImageReader, Limits};

use crate::wechat::ImageFormat as Format;

/// The `image` crate's codec for a format.
pub(super) fn codec(f: Format) -> image::ImageFormat {
    match f {
        Format::Png => image::ImageFormat::Png,
        Format::Jpeg => image::ImageFormat::Jpeg,
        Format::Gif => image::ImageFormat::Gif,
        Format::Webp => image::ImageFormat::WebP,
        Format::Bmp => image::ImageFormat::Bmp,
    }
}

/// Why an image cannot be used; the message completes "image X: …".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageError(pub String);

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ImageError {}

pub(super) fn err(s: impl Into<String>) -> ImageError {
    ImageError(s.into())
}

/// What messages say of bytes that are no image wxsync reads.
pub const NOT_AN_IMAGE: &str = "it is not an image (png, jpeg, gif, webp or bmp)";

/// Megabytes with one decimal, for messages.
pub fn megabytes(n: u64) -> String {
    format!("{:.1} MB", n as f64 / 1_000_000.0)
}

/// The largest source file wxsync reads (local, `data:` or remote).
pub const SOURCE_MAX: u64 = 32_000_000;
/// The largest side, in pixels, of an image wxsync decodes.
pub const MAX_SIDE: u32 = 20_000;
/// The most pixels an image wxsync decodes may have (a 1080 × 46,000 long screenshot fits).
pub const MAX_PIXELS: u64 = 50_000_000;
/// Memory a decoder may allocate.
pub(super) const MAX_ALLOC: u64 = 512 * 1024 * 1024;

/// What the header of an image says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Info {
    pub format: Format,
    pub width: u32,
    pub height: u32,
    /// A GIF with more than one frame.
    pub animated: bool,
    /// A JPEG in CMYK (or YCCK): shown wrongly by some readers, always converted.
    pub cmyk: bool,
    /// A PNG with 16-bit samples: always converted to 8 bits.
    pub deep: bool,
}

/// Refuses a source larger than [`SOURCE_MAX`].
pub fn check_size(len: u64) -> Result<(), ImageError> {
    if len > SOURCE_MAX {
        return Err(err(format!(
            "it is {}; wxsync takes images up to {} (WeChat's own limit is 10 MB)",
            megabytes(len),
            megabytes(SOURCE_MAX)
        )));
    }
    Ok(())
}

/// A reader for the header only: dimensions are checked by [`check_dimensions`], with a
/// clearer message than the decoder's.
fn header_reader(bytes: &[u8], format: Format) -> ImageReader<Cursor<&[u8]>> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), codec(format));
    let mut l = Limits::no_limits();
    l.max_alloc = Some(MAX_ALLOC);
    reader.limits(l);
    reader
}

/// Reads an image's header (no pixel data): its format, size and the traits that force a
/// conversion. Refuses what is not an image, is too large, or claims too many pixels.
pub fn probe(bytes: &[u8]) -> Result<Info, ImageError> {
    check_size(bytes.len() as u64)?;
    if bytes.is_empty() {
        return Err(err("the file is empty"));
    }
    let format = Format::sniff(bytes).ok_or_else(|| err(NOT_AN_IMAGE))?;
    let (width, height) = header_reader(bytes, format)
        .into_dimensions()
        .map_err(|e| err(format!("it cannot be read as {format}: {e}")))?;
    check_dimensions(width, height)?;
    Ok(Info {
        format,
        width,
        height,
        animated: format == Format::Gif && gif_frames(bytes) > 1,
        cmyk: format == Format::Jpeg && jpeg_components(bytes) == Some(4),
        deep: format == Format::Png && bytes.get(24) == Some(&16),
    })
}

/// The checks rendering makes on an image's bytes, without decoding its pixels: its size,
/// its pixel count when its header can be read, and that the file is whole (a PNG reaches
/// `IEND`, a JPEG its end marker, a GIF its trailer, a WebP or BMP the length it declares),
/// so a truncated or header-only image is refused by `check`, not at push time. A header
/// that cannot be read is reported by the push, which decodes.
pub fn check_header(bytes: &[u8]) -> Result<Format, ImageError> {
    check_size(bytes.len() as u64)?;
    let format = Format::sniff(bytes).ok_or_else(|| err(NOT_AN_IMAGE))?;
    if let Some(missing) = incomplete(bytes, format) {
        return Err(err(format!(
            "it cannot be read as {format}: the file is cut short ({missing}); export or download it again"
        )));
    }
    match header_reader(bytes, format).into_dimensions() {
        Ok((w, h)) => check_dimensions(w, h).map(|()| format),
        Err(_) => Ok(format),
    }
}

/// What a file of this format lacks to be whole, if anything.
fn incomplete(b: &[u8], format: Format) -> Option<&'static str> {
    match format {
        Format::Png => png_incomplete(b),
        Format::Jpeg => {
            let sos = b.windows(2).position(|w| w == [0xFF, 0xDA]);
            let eoi = b.windows(2).rposition(|w| w == [0xFF, 0xD9]);
            match (sos, eoi) {
                (None, _) => Some("no image data"),
                (Some(s), Some(e)) if e > s => None,
                _ => Some("no end-of-image marker"),
            }
        }
        Format::Gif => (!gif_whole(b)).then_some("no trailer"),
        Format::Webp => {
            let declared = b
                .get(4..8)
                .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize + 8);
            (declared.is_none_or(|n| n > b.len())).then_some("shorter than its RIFF size")
        }
        Format::Bmp => {
            let field = |at: usize| {
                b.get(at..at + 4)
                    .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize)
            };
            let (size, data) = (field(2).unwrap_or(0), field(10).unwrap_or(usize::MAX));
            (data >= b.len() || size > b.len()).then_some("shorter than its header says")
        }
    }
}

/// Walks a PNG's chunks: it must reach `IEND` with image data before it, inside the file.
fn png_incomplete(b: &[u8]) -> Option<&'static str> {
    let mut i = 8;
    let mut data = false;
    while let Some(head) = b.get(i..i + 8) {
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let kind = &head[4..8];
        let next = i.saturating_add(12).saturating_add(len);
        if next > b.len() {
            return Some("a chunk runs past the end");
        }
        if kind == b"IDAT" {
            data = true;
        }
        if kind == b"IEND" {
            return (!data).then_some("no image data");
        }
        i = next;
    }
    Some("no IEND chunk")
}

/// Whether a GIF's blocks run, inside the file, to its trailer (`0x3B`).
fn gif_whole(b: &[u8]) -> bool {
    walk_gif(b, usize::MAX).1
}

fn check_dimensions(width: u32, height: u32) -> Result<(), ImageError> {
    let pixels = u64::from(width) * u64::from(height);
    if width == 0 || height == 0 {
        return Err(err(format!("it claims to be {width}×{height} pixels")));
    }
    if width > MAX_SIDE || height > MAX_SIDE || pixels > MAX_PIXELS {
        return Err(err(format!(
            "it is {width}×{height} pixels ({} megapixels); wxsync decodes images up to {MAX_SIDE} px a side and {} megapixels (a decompression bomb?)",
            pixels / 1_000_000,
            MAX_PIXELS / 1_000_000
        )));
    }
    Ok(())
}

/// Width and height of an image file, from its header only.
pub fn file_dimensions(path: &Path) -> Option<(u32, u32)> {
    let mut r = ImageReader::open(path).ok()?.with_guessed_format().ok()?;
    let mut l = Limits::no_limits();
    l.max_alloc = Some(MAX_ALLOC);
    r.limits(l);
    r.into_dimensions().ok()
}

/// The number of images in a GIF, by walking its blocks (no decompression). Stops at 2.
fn gif_frames(b: &[u8]) -> usize {
    walk_gif(b, 2).0
}

/// Walks a GIF's blocks without decompressing them, until `max_frames` images have been seen
/// or the blocks end: the images seen, and whether the walk reached the trailer (`0x3B`)
/// inside the file.
fn walk_gif(b: &[u8], max_frames: usize) -> (usize, bool) {
    if b.len() < 13 {
        return (0, false);
    }
    let mut i = 13;
    if b[10] & 0x80 != 0 {
        i += 3 * (1usize << ((b[10] & 0x07) + 1));
    }
    // Skips data sub-blocks from `i`; returns the index after the terminator.
    let skip_blocks = |mut i: usize| -> Option<usize> {
        loop {
            let n = *b.get(i)? as usize;
            i += 1;
            if n == 0 {
                return Some(i);
            }
            i += n;
        }
    };
    let mut frames = 0;
    loop {
        let next = match b.get(i) {
            Some(0x3B) => return (frames, true),
            Some(0x2C) => {
                frames += 1;
                if frames >= max_frames {
                    return (frames, false);
                }
                let Some(&flags) = b.get(i + 9) else {
                    return (frames, false);
                };
                i += 10;
                if flags & 0x80 != 0 {
                    i += 3 * (1usize << ((flags & 0x07) + 1));
                }
                skip_blocks(i + 1) // after the LZW minimum code size
            }
            Some(0x21) => skip_blocks(i + 2),
            _ => None,
        };
        match next {
            Some(n) => i = n,
            None => return (frames, false),
        }
    }
}

/// The number of colour components in a JPEG's frame header.
fn jpeg_components(b: &[u8]) -> Option<u8> {
    let mut i = 2;
    while i + 4 <= b.len() {
        if b[i] != 0xFF {
            return None;
        }
        let marker = b[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        if matches!(marker, 0xD8 | 0x01 | 0xD0..=0xD7) {
            i += 2;
            continue;
        }
        let len = usize::from(u16::from_be_bytes([b[i + 2], b[i + 3]]));
        if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            return b.get(i + 9).copied();
        }
        if marker == 0xDA || marker == 0xD9 {
            return None;
        }
        i += 2 + len;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{DynamicImage, ImageBuffer, ImageFormat, Rgba};

    #[test]
    fn headers_are_read_without_decoding() {
        assert!(probe(b"not an image").is_err());
        let mut bomb = Vec::new();
        DynamicImage::ImageRgba8(ImageBuffer::from_pixel(1, 1, Rgba([0, 0, 0, 255])))
            .write_to(&mut Cursor::new(&mut bomb), ImageFormat::Png)
            .unwrap();
        // Rewrite the IHDR size to 60000 × 60000 (the CRC is not checked for the header).
        bomb[16..20].copy_from_slice(&60000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&60000u32.to_be_bytes());
        let e = probe(&bomb).unwrap_err();
        assert!(
            e.0.contains("decompression bomb") || e.0.contains("cannot be read"),
            "{e}"
        );
    }

    #[test]
    fn cut_files_are_caught_by_their_structure() {
        let mut png = Vec::new();
        DynamicImage::ImageRgba8(ImageBuffer::from_pixel(4, 4, Rgba([9, 9, 9, 255])))
            .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
            .unwrap();
        assert!(check_header(&png).is_ok());
        for cut in [33, png.len() - 12, png.len() - 1] {
            let e = check_header(&png[..cut]).unwrap_err();
            assert!(e.0.contains("cut short"), "{cut}: {e}");
        }
        let mut jpg = Vec::new();
        DynamicImage::ImageRgb8(image::RgbImage::from_pixel(8, 8, image::Rgb([1, 2, 3])))
            .write_to(&mut Cursor::new(&mut jpg), ImageFormat::Jpeg)
            .unwrap();
        assert!(check_header(&jpg).is_ok());
        assert!(check_header(&jpg[..jpg.len() - 2]).is_err());
        let mut gif = Vec::new();
        DynamicImage::ImageRgba8(ImageBuffer::from_pixel(4, 4, Rgba([9, 9, 9, 255])))
            .write_to(&mut Cursor::new(&mut gif), ImageFormat::Gif)
            .unwrap();
        assert!(check_header(&gif).is_ok());
        assert!(check_header(&gif[..gif.len() - 1]).is_err());
    }

    #[test]
    fn gif_frames_are_counted() {
        // Header, logical screen (no table), two 1×1 images.
        let mut g = b"GIF89a\x01\x00\x01\x00\x00\x00\x00".to_vec();
        for _ in 0..2 {
            g.extend_from_slice(b"\x2C\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00");
        }
        g.push(0x3B);
        assert_eq!(gif_frames(&g), 2);
    }
}
