//! Image preparation: turning the bytes of an image a writer uses into bytes a WeChat upload
//! endpoint accepts, and nothing else.
//!
//! `media/uploadimg` (body images) takes jpg/png under 1 MB; `material/add_material` (covers,
//! `newspic` images, animated GIFs) takes png/jpeg/gif/bmp up to 10 MB. An image that already
//! fits is sent byte for byte. Any other one is decoded (with limits against decompression
//! bombs) and re-encoded: PNG when it has transparency and fits, else JPEG at quality 85,
//! then 70, then downscaled to at most 1080 px wide (and further) until it fits. CMYK JPEGs
//! and 16-bit PNGs are always converted to 8-bit RGB, which every reader shows alike.
//! Animated GIFs are never flattened: they go to `add_material` as they are.
//!
//! [`prepare_cached`] keeps the result in `.wxsync/images/<source hash>.<ext>`, so an image is
//! prepared once per machine whatever the number of runs.

use std::fmt;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{DynamicImage, ImageEncoder, ImageFormat, ImageReader, Limits, RgbImage};

use crate::render::ContentHash;
use crate::render::assets::sniff;

/// `media/uploadimg`: "大小必须在1MB以下". Whether 1 MB is 10⁶ or 2²⁰ bytes is not documented,
/// so the smaller is used.
pub const UPLOADIMG_MAX: u64 = 1_000_000;
/// `material/add_material?type=image`: "10M" (again the smaller reading).
pub const MATERIAL_MAX: u64 = 10_000_000;
/// The largest source file wxsync reads (local, `data:` or remote).
pub const SOURCE_MAX: u64 = 32_000_000;
/// The largest side, in pixels, of an image wxsync decodes.
pub const MAX_SIDE: u32 = 20_000;
/// The most pixels an image wxsync decodes may have (a 1080 × 46,000 long screenshot fits).
pub const MAX_PIXELS: u64 = 50_000_000;
/// Memory a decoder may allocate.
const MAX_ALLOC: u64 = 512 * 1024 * 1024;
/// Width a body image is downscaled to when re-encoding alone does not make it fit (WeChat
/// shows articles at most this wide).
pub const BODY_WIDTH: u32 = 1080;
/// Below this width, downscaling further would destroy the picture: give up instead.
const MIN_WIDTH: u32 = 240;
/// The JPEG quality tried first, at full size and after each downscale.
const QUALITY: u8 = 85;
/// The quality tried next, before giving up on a size.
const QUALITY_LOW: u8 = 70;

/// What an image is for, which decides the endpoint and its limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// An image in the article body (`media/uploadimg`, or `add_material` for an animated GIF).
    Body,
    /// A cover or `newspic` image: permanent material (`material/add_material`).
    Material,
}

/// The endpoint prepared bytes go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    UploadImg,
    Material,
}

impl Endpoint {
    pub fn max_bytes(self) -> u64 {
        match self {
            Endpoint::UploadImg => UPLOADIMG_MAX,
            Endpoint::Material => MATERIAL_MAX,
        }
    }
}

/// What the header of an image says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Info {
    /// `png`, `jpeg`, `gif`, `webp` or `bmp`.
    pub format: &'static str,
    pub width: u32,
    pub height: u32,
    /// A GIF with more than one frame.
    pub animated: bool,
    /// A JPEG in CMYK (or YCCK): shown wrongly by some readers, always converted.
    pub cmyk: bool,
    /// A PNG with 16-bit samples: always converted to 8 bits.
    pub deep: bool,
}

/// Image bytes ready for an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub bytes: Vec<u8>,
    /// `png`, `jpeg`, `gif` or `bmp`: decides the upload's file extension.
    pub format: &'static str,
    pub width: u32,
    pub height: u32,
    pub endpoint: Endpoint,
    /// False when `bytes` are the source's own.
    pub converted: bool,
}

impl Prepared {
    /// The extension WeChat reads the type from.
    pub fn extension(&self) -> &'static str {
        extension(self.format)
    }
}

/// The file extension for a format.
pub fn extension(format: &str) -> &'static str {
    match format {
        "jpeg" => "jpg",
        "png" => "png",
        "gif" => "gif",
        "bmp" => "bmp",
        "webp" => "webp",
        _ => "bin",
    }
}

/// Why an image cannot be prepared; the message completes "image X: …".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageError(pub String);

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ImageError {}

fn err(s: impl Into<String>) -> ImageError {
    ImageError(s.into())
}

/// Megabytes with one decimal, for messages.
pub fn megabytes(n: u64) -> String {
    format!("{:.1} MB", n as f64 / 1_000_000.0)
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

fn limits() -> Limits {
    let mut l = Limits::default();
    l.max_image_width = Some(MAX_SIDE);
    l.max_image_height = Some(MAX_SIDE);
    l.max_alloc = Some(MAX_ALLOC);
    l
}

fn image_format(format: &str) -> Option<ImageFormat> {
    Some(match format {
        "png" => ImageFormat::Png,
        "jpeg" => ImageFormat::Jpeg,
        "gif" => ImageFormat::Gif,
        "webp" => ImageFormat::WebP,
        "bmp" => ImageFormat::Bmp,
        _ => return None,
    })
}

/// Reads an image's header (no pixel data): its format, size and the traits that force a
/// conversion. Refuses what is not an image, is too large, or claims too many pixels.
pub fn probe(bytes: &[u8]) -> Result<Info, ImageError> {
    check_size(bytes.len() as u64)?;
    if bytes.is_empty() {
        return Err(err("the file is empty"));
    }
    let format =
        sniff(bytes).ok_or_else(|| err("it is not an image (png, jpeg, gif, webp or bmp)"))?;
    let fmt = image_format(format).ok_or_else(|| err("unsupported image format"))?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), fmt);
    // Dimensions are checked below, with a clearer message than the decoder's.
    let mut l = Limits::no_limits();
    l.max_alloc = Some(MAX_ALLOC);
    reader.limits(l);
    let (width, height) = reader
        .into_dimensions()
        .map_err(|e| err(format!("it cannot be read as {format}: {e}")))?;
    check_dimensions(width, height)?;
    Ok(Info {
        format,
        width,
        height,
        animated: format == "gif" && gif_frames(bytes) > 1,
        cmyk: format == "jpeg" && jpeg_components(bytes) == Some(4),
        deep: format == "png" && bytes.get(24) == Some(&16),
    })
}

/// The checks rendering makes on an image's bytes: its size and, when its header can be read,
/// its pixel count. A header that cannot be read is reported by the push, which decodes.
pub fn check_header(bytes: &[u8]) -> Result<(), ImageError> {
    check_size(bytes.len() as u64)?;
    let Some(fmt) = sniff(bytes).and_then(image_format) else {
        return Err(err("it is not an image (png, jpeg, gif, webp or bmp)"));
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), fmt);
    let mut l = Limits::no_limits();
    l.max_alloc = Some(MAX_ALLOC);
    reader.limits(l);
    match reader.into_dimensions() {
        Ok((w, h)) => check_dimensions(w, h),
        Err(_) => Ok(()),
    }
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

/// Whether the source can go to `endpoint` byte for byte.
fn fits(info: &Info, len: u64, endpoint: Endpoint) -> bool {
    if info.cmyk || info.deep || len > endpoint.max_bytes() {
        return false;
    }
    match endpoint {
        Endpoint::UploadImg => matches!(info.format, "png" | "jpeg"),
        Endpoint::Material => matches!(info.format, "png" | "jpeg" | "gif" | "bmp"),
    }
}

/// The endpoint an image goes to: an animated GIF in the body is permanent material.
pub fn endpoint(info: &Info, use_: Use) -> Endpoint {
    match use_ {
        Use::Body if info.animated => Endpoint::Material,
        Use::Body => Endpoint::UploadImg,
        Use::Material => Endpoint::Material,
    }
}

/// Whether [`prepare`] would change these bytes (a conversion is needed).
pub fn needs_conversion(bytes: &[u8], use_: Use) -> Result<bool, ImageError> {
    let info = probe(bytes)?;
    Ok(!fits(&info, bytes.len() as u64, endpoint(&info, use_)))
}

/// Prepares an image for its use: the source itself when it fits, else a re-encoding.
pub fn prepare(src: &[u8], use_: Use) -> Result<Prepared, ImageError> {
    let info = probe(src)?;
    let ep = endpoint(&info, use_);
    if fits(&info, src.len() as u64, ep) {
        return Ok(Prepared {
            bytes: src.to_vec(),
            format: info.format,
            width: info.width,
            height: info.height,
            endpoint: ep,
            converted: false,
        });
    }
    if info.animated {
        return Err(err(format!(
            "it is an animated GIF of {}, over WeChat's 10 MB limit; shorten it or make it smaller (wxsync does not flatten animations)",
            megabytes(src.len() as u64)
        )));
    }
    let img = decode(src, info.format)?;
    let (bytes, format, width, height) = encode_to_fit(img, ep.max_bytes())?;
    Ok(Prepared {
        bytes,
        format,
        width,
        height,
        endpoint: ep,
        converted: true,
    })
}

/// Decodes a whole image under the decoding limits.
pub fn decode(src: &[u8], format: &str) -> Result<DynamicImage, ImageError> {
    let fmt = image_format(format).ok_or_else(|| err("unsupported image format"))?;
    let mut reader = ImageReader::with_format(Cursor::new(src), fmt);
    reader.limits(limits());
    reader
        .decode()
        .map_err(|e| err(format!("it cannot be decoded as {format}: {e}")))
}

fn has_transparency(img: &DynamicImage) -> bool {
    if !img.color().has_alpha() {
        return false;
    }
    match img {
        DynamicImage::ImageRgba8(b) => b.pixels().any(|p| p.0[3] < 255),
        DynamicImage::ImageLumaA8(b) => b.pixels().any(|p| p.0[1] < 255),
        other => other.to_rgba8().pixels().any(|p| p.0[3] < 255),
    }
}

/// The image over a white background (WeChat's page colour), without alpha.
fn flatten(img: &DynamicImage, transparent: bool) -> RgbImage {
    if !transparent {
        return img.to_rgb8();
    }
    let rgba = img.to_rgba8();
    let (w, h) = rgba.dimensions();
    let mut out = RgbImage::new(w, h);
    for (o, p) in out.pixels_mut().zip(rgba.pixels()) {
        let [r, g, b, a] = p.0;
        let a = u16::from(a);
        let over = |c: u8| ((u16::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
        o.0 = [over(r), over(g), over(b)];
    }
    out
}

fn encode_png(img: &DynamicImage) -> Result<Vec<u8>, ImageError> {
    let rgba = img.to_rgba8();
    let mut out = Vec::new();
    PngEncoder::new_with_quality(&mut out, CompressionType::Default, FilterType::Adaptive)
        .write_image(
            rgba.as_raw(),
            rgba.width(),
            rgba.height(),
            image::ExtendedColorType::Rgba8,
        )
        .map_err(|e| err(format!("it cannot be encoded as PNG: {e}")))?;
    Ok(out)
}

fn encode_jpeg(img: &RgbImage, quality: u8) -> Result<Vec<u8>, ImageError> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            image::ExtendedColorType::Rgb8,
        )
        .map_err(|e| err(format!("it cannot be encoded as JPEG: {e}")))?;
    Ok(out)
}

type Encoded = (Vec<u8>, &'static str, u32, u32);

fn encode_to_fit(img: DynamicImage, max: u64) -> Result<Encoded, ImageError> {
    let transparent = has_transparency(&img);
    if transparent {
        let png = encode_png(&img)?;
        if png.len() as u64 <= max {
            return Ok((png, "png", img.width(), img.height()));
        }
    }
    let rgb = flatten(&img, transparent);
    drop(img);
    let (w0, h0) = rgb.dimensions();
    // JPEG encoding dominates the time: one try at full size, a second at a lower quality
    // only when it is likely to fit, else straight to a smaller size estimated from the
    // first try (JPEG size is about proportional to the pixel count).
    let first = encode_jpeg(&rgb, QUALITY)?;
    if first.len() as u64 <= max {
        return Ok((first, "jpeg", w0, h0));
    }
    let over = first.len() as f64 / max as f64;
    if over <= 1.4 {
        let second = encode_jpeg(&rgb, QUALITY_LOW)?;
        if second.len() as u64 <= max {
            return Ok((second, "jpeg", w0, h0));
        }
    }
    let mut width = w0.min(BODY_WIDTH);
    let estimate = over * f64::from(width) / f64::from(w0) * f64::from(width) / f64::from(w0);
    if estimate > 0.9 {
        width = (f64::from(width) * (0.8 / estimate).sqrt()) as u32;
    }
    if width == w0 {
        width = w0 * 3 / 4;
    }
    loop {
        if width < MIN_WIDTH.min(w0) || width == 0 {
            return Err(err(format!(
                "it does not fit in WeChat's {} limit even downscaled to {MIN_WIDTH} px wide",
                megabytes(max)
            )));
        }
        let height = ((u64::from(h0) * u64::from(width)) / u64::from(w0)).max(1) as u32;
        let small = image::imageops::thumbnail(&rgb, width, height);
        for q in [QUALITY, QUALITY_LOW] {
            let jpg = encode_jpeg(&small, q)?;
            if jpg.len() as u64 <= max {
                return Ok((jpg, "jpeg", width, height));
            }
        }
        width = width * 3 / 4;
    }
}

/// Whether `url` is an `http(s)` URL.
pub fn is_remote(url: &str) -> bool {
    let l = url.trim_start().get(..8).unwrap_or("").to_ascii_lowercase();
    l.starts_with("http://") || l.starts_with("https://")
}

/// Whether an image URL is on WeChat's own image servers (`mmbiz.qpic.cn`, `mmbiz.qlogo.cn`),
/// which WeChat
/// keeps in an article: such a body image is used as it is.
pub fn is_wechat_hosted(url: &str) -> bool {
    if !is_remote(url) {
        return false;
    }
    let rest = url.trim_start().split_once("//").map_or("", |(_, r)| r);
    let authority = rest.split(['/', '?', '#', '\\']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let host = host.split(':').next().unwrap_or("").to_ascii_lowercase();
    matches!(host.as_str(), "mmbiz.qpic.cn" | "mmbiz.qlogo.cn") || host.ends_with(".mmbiz.qpic.cn")
}

/// Width and height of an image file, from its header only.
pub fn file_dimensions(path: &Path) -> Option<(u32, u32)> {
    let mut r = ImageReader::open(path).ok()?.with_guessed_format().ok()?;
    let mut l = Limits::no_limits();
    l.max_alloc = Some(MAX_ALLOC);
    r.limits(l);
    r.into_dimensions().ok()
}

/// Checks a crop (`X1_Y1_X2_Y2`, fractions of the cover) against the cover's real size:
/// the area it selects should have the ratio WeChat shows it at. Malformed crops are left to
/// the payload checks.
pub fn check_crop(
    file: &str,
    key: &str,
    value: &str,
    ratio: f64,
    width: u32,
    height: u32,
) -> Option<crate::diag::Diagnostic> {
    use crate::diag::Diagnostic;
    let v: Vec<f64> = value.split('_').filter_map(|x| x.parse().ok()).collect();
    let [x1, y1, x2, y2] = v[..] else {
        return None;
    };
    if !(x1 < x2 && y1 < y2) {
        return None;
    }
    let (w, h) = (f64::from(width), f64::from(height));
    let (cw, ch) = ((x2 - x1) * w, (y2 - y1) * h);
    if cw < 1.0 || ch < 1.0 {
        return Some(Diagnostic::error(
            file,
            format!("`{key}` {value} selects less than one pixel of the {width}×{height} px cover"),
        ));
    }
    let got = cw / ch;
    if (got / ratio - 1.0).abs() <= 0.02 {
        return None;
    }
    // The largest centred area of the right ratio.
    let (fx, fy) = if w / h >= ratio {
        ((h * ratio / w).min(1.0), 1.0)
    } else {
        (1.0, (w / ratio / h).min(1.0))
    };
    // Within a pixel's worth of the whole side: the whole side.
    let snap = |f: f64| if f > 0.995 { 1.0 } else { f };
    let (fx, fy) = (snap(fx), snap(fy));
    let c = |v: f64| crate::render::payload::coord((v * 1e6).round() / 1e6);
    let suggestion = format!(
        "{}_{}_{}_{}",
        c((1.0 - fx) / 2.0),
        c((1.0 - fy) / 2.0),
        c((1.0 + fx) / 2.0),
        c((1.0 + fy) / 2.0)
    );
    let want = if ratio == 1.0 {
        "1:1".to_string()
    } else {
        format!("{ratio:.2}:1")
    };
    Some(
        Diagnostic::warning(
            file,
            format!(
                "`{key}` {value} selects {}×{} px of the {width}×{height} px cover, a {got:.2}:1 area; WeChat shows this crop at {want}, so it will look stretched",
                cw.round(),
                ch.round()
            ),
        )
        .with_help(format!("the largest centred {want} area is {suggestion}")),
    )
}

/// Where the prepared form of an image is kept: `.wxsync/images/<hex of the source hash>`,
/// with `.m` before the extension for the permanent-material form.
pub fn cache_path(root: &Path, hash: &ContentHash, endpoint: Endpoint, format: &str) -> PathBuf {
    let hex = hash.as_str().trim_start_matches("sha256:");
    let kind = match endpoint {
        Endpoint::UploadImg => "",
        Endpoint::Material => ".m",
    };
    root.join(crate::site::CACHE_DIR)
        .join("images")
        .join(format!("{hex}{kind}.{}", extension(format)))
}

/// [`prepare`], with converted results kept under `.wxsync/images/` by the source's hash.
/// `hash` must be the hash of `src`. A cache file that is unreadable or does not fit is
/// ignored and replaced.
pub fn prepare_cached(
    root: &Path,
    hash: &ContentHash,
    src: &[u8],
    use_: Use,
) -> Result<Prepared, ImageError> {
    let info = probe(src)?;
    let ep = endpoint(&info, use_);
    if fits(&info, src.len() as u64, ep) {
        return prepare(src, use_);
    }
    for format in ["jpeg", "png"] {
        let path = cache_path(root, hash, ep, format);
        if let Ok(bytes) = std::fs::read(&path)
            && let Ok(ci) = probe(&bytes)
            && ci.format == format
            && fits(&ci, bytes.len() as u64, ep)
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
    let path = cache_path(root, hash, ep, p.format);
    // The cache only saves work: failing to write it is not an error.
    if let Some(dir) = path.parent()
        && std::fs::create_dir_all(dir).is_ok()
        && let Ok(mut tmp) = tempfile::NamedTempFile::new_in(dir)
        && std::io::Write::write_all(&mut tmp, &p.bytes).is_ok()
    {
        let _ = tmp.persist(&path);
    }
    Ok(p)
}

/// The image a preview shows for an asset, as a file: what WeChat will get (the prepared
/// form from `.wxsync/images/`, made now if needed), or the source file itself when it is
/// sent as it is. A `data:` image is written to `.wxsync/images/` too.
pub fn preview_file(root: &Path, asset: &crate::render::Asset) -> Result<PathBuf, ImageError> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    // Rebuilds of a live preview ask again and again: remember the answer while the source
    // file's size and modification time stay the same.
    type Key = (PathBuf, String, bool, Option<(u64, std::time::SystemTime)>);
    static SEEN: OnceLock<Mutex<HashMap<Key, PathBuf>>> = OnceLock::new();
    let seen = SEEN.get_or_init(Default::default);
    let stamp = match asset.inline {
        Some(_) => None,
        None => std::fs::metadata(root.join(asset.path.as_str()))
            .ok()
            .and_then(|m| Some((m.len(), m.modified().ok()?))),
    };
    let key: Key = (
        root.join(asset.path.as_str()),
        asset.hash.as_str().to_string(),
        asset.role == crate::render::Role::Body,
        stamp,
    );
    if let Some(p) = seen.lock().unwrap_or_else(|e| e.into_inner()).get(&key)
        && p.is_file()
    {
        return Ok(p.clone());
    }
    let path = preview_file_uncached(root, asset)?;
    seen.lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, path.clone());
    Ok(path)
}

fn preview_file_uncached(root: &Path, asset: &crate::render::Asset) -> Result<PathBuf, ImageError> {
    let src = match &asset.inline {
        Some(b) => b.to_vec(),
        None => std::fs::read(root.join(asset.path.as_str()))
            .map_err(|e| err(crate::site::io_reason(&e)))?,
    };
    // The file may have changed since it was rendered: key the cache by what is read.
    let hash = ContentHash::of(&src);
    let use_ = match asset.role {
        crate::render::Role::Body => Use::Body,
        _ => Use::Material,
    };
    let p = prepare_cached(root, &hash, &src, use_)?;
    if !p.converted && asset.inline.is_none() {
        return Ok(root.join(asset.path.as_str()));
    }
    let path = cache_path(root, &hash, p.endpoint, p.format);
    if !path.is_file() {
        let dir = path.parent().unwrap_or(root);
        std::fs::create_dir_all(dir).map_err(|e| err(crate::site::io_reason(&e)))?;
        let mut tmp =
            tempfile::NamedTempFile::new_in(dir).map_err(|e| err(crate::site::io_reason(&e)))?;
        std::io::Write::write_all(&mut tmp, &p.bytes)
            .map_err(|e| err(crate::site::io_reason(&e)))?;
        tmp.persist(&path)
            .map_err(|e| err(crate::site::io_reason(&e.error)))?;
    }
    Ok(path)
}

/// The number of images in a GIF, by walking its blocks (no decompression). Stops at 2.
fn gif_frames(b: &[u8]) -> usize {
    if b.len() < 13 {
        return 0;
    }
    let mut i = 13;
    if b[10] & 0x80 != 0 {
        i += 3 * (1usize << ((b[10] & 0x07) + 1));
    }
    let mut frames = 0;
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
    while let Some(&tag) = b.get(i) {
        match tag {
            0x2C => {
                frames += 1;
                if frames > 1 {
                    break;
                }
                let Some(&flags) = b.get(i + 9) else { break };
                i += 10;
                if flags & 0x80 != 0 {
                    i += 3 * (1usize << ((flags & 0x07) + 1));
                }
                i += 1; // LZW minimum code size
                match skip_blocks(i) {
                    Some(n) => i = n,
                    None => break,
                }
            }
            0x21 => match skip_blocks(i + 2) {
                Some(n) => i = n,
                None => break,
            },
            _ => break,
        }
    }
    frames
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
    use image::{ImageBuffer, Rgba, RgbaImage};

    fn png(img: &RgbaImage) -> Vec<u8> {
        let mut out = Vec::new();
        DynamicImage::ImageRgba8(img.clone())
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn a_small_png_is_sent_as_it_is() {
        let img: RgbaImage = ImageBuffer::from_pixel(10, 10, Rgba([1, 2, 3, 255]));
        let bytes = png(&img);
        let p = prepare(&bytes, Use::Body).unwrap();
        assert!(!p.converted);
        assert_eq!(p.bytes, bytes);
        assert_eq!(p.endpoint, Endpoint::UploadImg);
    }

    #[test]
    fn a_transparent_webp_becomes_png() {
        let img: RgbaImage =
            ImageBuffer::from_fn(40, 30, |x, _| Rgba([x as u8, 0, 0, (x * 6) as u8]));
        let mut webp = Vec::new();
        DynamicImage::ImageRgba8(img)
            .write_to(&mut Cursor::new(&mut webp), ImageFormat::WebP)
            .unwrap();
        let p = prepare(&webp, Use::Body).unwrap();
        assert_eq!(p.format, "png");
    }

    #[test]
    fn headers_are_read_without_decoding() {
        assert!(probe(b"not an image").is_err());
        let mut bomb = png(&ImageBuffer::from_pixel(1, 1, Rgba([0, 0, 0, 255])));
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
    fn noise_too_big_for_any_quality_is_downscaled() {
        let mut seed = 1u32;
        let img = image::RgbImage::from_fn(2000, 1500, |_, _| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let b = seed.to_be_bytes();
            image::Rgb([b[0], b[1], b[2]])
        });
        let bytes = png(&DynamicImage::ImageRgb8(img).to_rgba8());
        let p = prepare(&bytes, Use::Body).unwrap();
        assert_eq!(p.format, "jpeg");
        assert!(p.bytes.len() as u64 <= UPLOADIMG_MAX, "{}", p.bytes.len());
        assert!(p.width <= BODY_WIDTH && p.width >= MIN_WIDTH, "{}", p.width);
        assert_eq!(probe(&p.bytes).unwrap().width, p.width);
        // Permanent material has room for it at full size.
        let m = prepare(&bytes, Use::Material).unwrap();
        assert_eq!(
            (m.width, m.format, m.endpoint),
            (2000, "jpeg", Endpoint::Material)
        );
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
