//! Turning the bytes of an image a writer uses into bytes a WeChat upload endpoint accepts.
//!
//! `media/uploadimg` (body images) takes jpg/png under 1 MB; `material/add_material` (covers,
//! `newspic` images, animated GIFs) takes png/jpeg/gif/bmp up to 10 MB. An image that already
//! fits is sent byte for byte. Any other one is decoded (with limits against decompression
//! bombs) and re-encoded: PNG when it has transparency and fits, else JPEG at quality 85,
//! then 70, then downscaled to at most 1080 px wide (and further) until it fits. CMYK JPEGs
//! and 16-bit PNGs are always converted to 8-bit RGB, which every reader shows alike.
//! Animated GIFs are never flattened: they go to `add_material` as they are.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{DynamicImage, ImageEncoder, ImageReader, Limits, RgbImage};

use super::probe::{ImageError, Info, MAX_ALLOC, MAX_SIDE, codec, err, megabytes, probe};
use crate::wechat::ImageFormat as Format;

/// `media/uploadimg`: "大小必须在1MB以下". Whether 1 MB is 10⁶ or 2²⁰ bytes is not documented,
/// so the smaller is used.
pub const UPLOADIMG_MAX: u64 = 1_000_000;
/// `material/add_material?type=image`: "10M" (again the smaller reading).
pub const MATERIAL_MAX: u64 = 10_000_000;
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

    /// The endpoint an image goes to: an animated GIF in the body is permanent material.
    pub fn of(info: &Info, use_: Use) -> Endpoint {
        match use_ {
            Use::Body if info.animated => Endpoint::Material,
            Use::Body => Endpoint::UploadImg,
            Use::Material => Endpoint::Material,
        }
    }

    /// Whether an image can go to this endpoint byte for byte.
    pub fn takes(self, info: &Info, len: u64) -> bool {
        if info.cmyk || info.deep || len > self.max_bytes() {
            return false;
        }
        match self {
            Endpoint::UploadImg => matches!(info.format, Format::Png | Format::Jpeg),
            Endpoint::Material => !matches!(info.format, Format::Webp),
        }
    }
}

/// Image bytes ready for an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub bytes: Vec<u8>,
    /// Decides the upload's file extension.
    pub format: Format,
    pub width: u32,
    pub height: u32,
    pub endpoint: Endpoint,
    /// False when `bytes` are the source's own.
    pub converted: bool,
}

impl Prepared {
    /// The extension WeChat reads the type from.
    pub fn extension(&self) -> &'static str {
        self.format.extension()
    }
}

/// Prepares an image for its use: the source itself when it fits, else a re-encoding.
pub fn prepare(src: &[u8], use_: Use) -> Result<Prepared, ImageError> {
    let info = probe(src)?;
    let ep = Endpoint::of(&info, use_);
    if ep.takes(&info, src.len() as u64) {
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
pub fn decode(src: &[u8], format: Format) -> Result<DynamicImage, ImageError> {
    let mut reader = ImageReader::with_format(Cursor::new(src), codec(format));
    let mut l = Limits::default();
    l.max_image_width = Some(MAX_SIDE);
    l.max_image_height = Some(MAX_SIDE);
    l.max_alloc = Some(MAX_ALLOC);
    reader.limits(l);
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

type Encoded = (Vec<u8>, Format, u32, u32);

fn encode_to_fit(img: DynamicImage, max: u64) -> Result<Encoded, ImageError> {
    let transparent = has_transparency(&img);
    if transparent {
        let png = encode_png(&img)?;
        if png.len() as u64 <= max {
            return Ok((png, Format::Png, img.width(), img.height()));
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
        return Ok((first, Format::Jpeg, w0, h0));
    }
    let over = first.len() as f64 / max as f64;
    if over <= 1.4 {
        let second = encode_jpeg(&rgb, QUALITY_LOW)?;
        if second.len() as u64 <= max {
            return Ok((second, Format::Jpeg, w0, h0));
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
                return Ok((jpg, Format::Jpeg, width, height));
            }
        }
        width = width * 3 / 4;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageBuffer, ImageFormat, Rgba, RgbaImage};

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
        assert_eq!(p.format, Format::Png);
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
        assert_eq!(p.format, Format::Jpeg);
        assert!(p.bytes.len() as u64 <= UPLOADIMG_MAX, "{}", p.bytes.len());
        assert!(p.width <= BODY_WIDTH && p.width >= MIN_WIDTH, "{}", p.width);
        assert_eq!(probe(&p.bytes).unwrap().width, p.width);
        // Permanent material has room for it at full size.
        let m = prepare(&bytes, Use::Material).unwrap();
        assert_eq!(
            (m.width, m.format, m.endpoint),
            (2000, Format::Jpeg, Endpoint::Material)
        );
    }
}
