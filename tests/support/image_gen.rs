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

/// A 2560×1600 opaque RGBA "screenshot": a title bar, a sidebar and an editor full of text
/// (glyphs from a fixed random font, in words and lines), a gradient and a photo with sensor
/// noise; about 3 MB as PNG, as a Retina screenshot of a desktop is.
pub fn screenshot() -> Vec<u8> {
    let (w, h) = (2560u32, 1600u32);
    let mut rng = Rng::new(7);
    // 64 glyphs of 7×12 pixels.
    let font: Vec<[u16; 12]> = (0..64)
        .map(|_| {
            let mut g = [0u16; 12];
            for row in g.iter_mut().skip(2) {
                *row = (rng.next() as u16) & 0x7F & (rng.next() as u16 | 0x55);
            }
            g
        })
        .collect();
    let mut img: RgbaImage = ImageBuffer::from_pixel(w, h, Rgba([250, 250, 250, 255]));
    // Text: 9×18 cells; words of 2–9 glyphs; lines of varying length.
    let mut text = |x0: u32, y0: u32, x1: u32, y1: u32, ink: [u8; 3], rng: &mut Rng| {
        let mut y = y0;
        while y + 18 <= y1 {
            let line_end = x0 + (rng.next() % u64::from(x1 - x0)) as u32;
            let mut x = x0;
            while x + 9 <= line_end {
                let word = 2 + rng.next() % 8;
                for _ in 0..word {
                    if x + 9 > line_end {
                        break;
                    }
                    let g = &font[(rng.next() % 64) as usize];
                    for (r, bits) in g.iter().enumerate() {
                        for c in 0..7 {
                            if bits >> c & 1 == 1 {
                                img.put_pixel(
                                    x + c,
                                    y + r as u32 + 3,
                                    Rgba([ink[0], ink[1], ink[2], 255]),
                                );
                            }
                        }
                    }
                    x += 9;
                }
                x += 9;
            }
            y += 18;
        }
    };
    text(340, 80, 1880, 1280, [36, 41, 47], &mut rng);
    text(20, 80, 300, 1580, [90, 96, 110], &mut rng);
    for y in 0..h {
        for x in 0..w {
            if y < 60 {
                img.put_pixel(x, y, Rgba([40, 44, 52, 255]));
            } else if (320..324).contains(&x) {
                img.put_pixel(x, y, Rgba([220, 222, 226, 255]));
            } else if x > 1900 && y > 70 {
                // A photo: smooth colour with sensor noise.
                let n = (rng.next() % 40) as i32 - 20;
                let c = |v: u32| (v as i32 + n).clamp(0, 255) as u8;
                img.put_pixel(x, y, Rgba([c(x / 4 - 300), c(y / 5), c((x + y) / 12), 255]));
            } else if y > 1300 && x > 340 && x < 1880 {
                let t = ((x - 340) * 255 / 1540) as u8;
                img.put_pixel(x, y, Rgba([t, 120, 255 - t, 255]));
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
