//! Issue 5's target: preparing a 3 MB screenshot for `media/uploadimg` (decode, re-encode as
//! JPEG under 1 MB) takes under 300 ms in release mode. The image is generated (see
//! `tests/support/image_gen.rs`), not committed.

#[path = "../tests/support/image_gen.rs"]
mod image_gen;

use criterion::{Criterion, criterion_group, criterion_main};
use wxsync::media::prepare::UPLOADIMG_MAX;
use wxsync::media::{Use, prepare};

fn bench(c: &mut Criterion) {
    let png = image_gen::screenshot();
    let once = prepare(&png, Use::Body).expect("prepare");
    eprintln!(
        "screenshot: {} bytes PNG -> {} bytes {} {}x{}",
        png.len(),
        once.bytes.len(),
        once.format,
        once.width,
        once.height
    );
    assert!(
        png.len() > 2_500_000,
        "the screenshot is {} bytes",
        png.len()
    );
    assert!(once.bytes.len() as u64 <= UPLOADIMG_MAX);
    let mut g = c.benchmark_group("images");
    g.sample_size(20);
    g.bench_function("prepare_3mb_screenshot", |b| {
        b.iter(|| prepare(std::hint::black_box(&png), Use::Body).expect("prepare"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
