//! Test images generated at run time (nothing large is committed): a screenshot-like PNG of
//! about 3 MB, noise of any size, WebP, GIFs, 16-bit PNGs. Shared by `tests/images.rs` and
//! `benches/images.rs`. Deterministic: the same call gives the same bytes.
#![allow(dead_code)] // Not every user needs every generator.

use std::io::Cursor;

use image::{DynamicImage, ImageBuffer, ImageFormat, Rgb, Rgba, RgbaImage};

/// A small deterministic generator (xorshift).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn byte(&mut self) -> u8 {
        (self.next() >> 24) as u8
    }
}

pub fn encode(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), format)
        .expect("encode test image");
    out
}

/// A 2560×1600 opaque RGBA "screenshot": a title bar, a sidebar, lines of glyph-like marks,
/// a gradient and a photo-like noisy panel; about 3 MB as PNG.
pub fn screenshot() -> Vec<u8> {
    let (w, h) = (2560u32, 1600u32);
    let mut rng = Rng::new(7);
    let mut img: RgbaImage = ImageBuffer::from_pixel(w, h, Rgba([250, 250, 250, 255]));
    for y in 0..h {
        for x in 0..w {
            let p = img.get_pixel_mut(x, y);
            if y < 60 {
                *p = Rgba([40, 44, 52, 255]);
            } else if x < 320 {
                *p = Rgba([236, 238, 242, 255]);
                if (y / 28) % 2 == 0
                    && (x / 6) % 3 != 0
                    && x > 24
                    && x < 260
                    && y % 28 > 8
                    && y % 28 < 20
                {
                    *p = Rgba([90, 96, 110, 255]);
                }
            } else if x > 1900 && y > 900 {
                // A photo: smooth colour with sensor noise.
                let n = rng.byte() / 6;
                *p = Rgba([
                    (x / 3) as u8 ^ n,
                    (y / 4) as u8 ^ n,
                    ((x + y) / 7) as u8 ^ n,
                    255,
                ]);
            } else if y > 1300 {
                let t = ((x - 320) * 255 / (w - 320)) as u8;
                *p = Rgba([t, 120, 255 - t, 255]);
            } else {
                // Text: short runs of dark pixels on a 24 px line grid.
                let line = y % 24;
                if (4..18).contains(&line) && rng.next() % 5 < 2 {
                    *p = Rgba([30, 30, 30, 255]);
                }
            }
        }
    }
    encode(&DynamicImage::ImageRgba8(img), ImageFormat::Png)
}

/// Opaque RGB noise: incompressible, so `w×h×3` bytes give a file of about that size.
pub fn noise_rgb(w: u32, h: u32, seed: u64) -> DynamicImage {
    let mut rng = Rng::new(seed);
    DynamicImage::ImageRgb8(ImageBuffer::from_fn(w, h, |_, _| {
        Rgb([rng.byte(), rng.byte(), rng.byte()])
    }))
}

/// A PNG of noise over `bytes` bytes.
pub fn big_png(bytes: usize, seed: u64) -> Vec<u8> {
    let side = ((bytes as f64 / 3.0).sqrt() as u32) + 16;
    encode(&noise_rgb(side, side, seed), ImageFormat::Png)
}

/// A half-transparent WebP (lossless).
pub fn webp(w: u32, h: u32) -> Vec<u8> {
    let img: RgbaImage = ImageBuffer::from_fn(w, h, |x, y| {
        Rgba([
            (x * 7) as u8,
            (y * 5) as u8,
            128,
            if x < w / 2 { 255 } else { 90 },
        ])
    });
    encode(&DynamicImage::ImageRgba8(img), ImageFormat::WebP)
}

/// An opaque WebP.
pub fn webp_opaque(w: u32, h: u32) -> Vec<u8> {
    let img: RgbaImage =
        ImageBuffer::from_fn(w, h, |x, y| Rgba([(x * 3) as u8, (y * 3) as u8, 60, 255]));
    encode(&DynamicImage::ImageRgba8(img), ImageFormat::WebP)
}

/// A GIF of `frames` frames (animated when more than one).
pub fn gif(w: u16, h: u16, frames: usize) -> Vec<u8> {
    use image::codecs::gif::{GifEncoder, Repeat};
    use image::{Delay, Frame};
    let mut out = Vec::new();
    {
        let mut enc = GifEncoder::new(&mut out);
        if frames > 1 {
            enc.set_repeat(Repeat::Infinite).expect("repeat");
        }
        for i in 0..frames {
            let img: RgbaImage = ImageBuffer::from_fn(u32::from(w), u32::from(h), |x, y| {
                Rgba([((x as usize + i * 20) % 256) as u8, (y * 4) as u8, 200, 255])
            });
            enc.encode_frame(Frame::from_parts(
                img,
                0,
                0,
                Delay::from_numer_denom_ms(100, 1),
            ))
            .expect("frame");
        }
    }
    out
}

/// A 16-bit RGB PNG (the container for 10-, 12- and 16-bit images) of noise, over 1 MB.
pub fn deep_png(w: u32, h: u32) -> Vec<u8> {
    let mut rng = Rng::new(12);
    let img: ImageBuffer<Rgb<u16>, Vec<u16>> = ImageBuffer::from_fn(w, h, |x, _| {
        // 12 significant bits, as a 12-bit camera or scanner writes them.
        let v = ((x * 16) as u16 & 0x0FFF) << 4 | u16::from(rng.byte() & 0x0F);
        Rgb([v, v ^ 0x3F0, (rng.next() as u16) & 0xFFF0])
    });
    encode(&DynamicImage::ImageRgb16(img), ImageFormat::Png)
}
