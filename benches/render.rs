//! Renders the real-article corpus (`../shared/corpus/real`, or `WXSYNC_CORPUS`) on one core.
//! Target (issue 2): all articles in under 1 s in release mode. The baseline is
//! pulldown-cmark's own `push_html` over the same files: the parser's floor.

use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use wxsync::render::{Renderer, Theme, render_text, theme::BUILTIN};
use wxsync::site::LinkMode;

fn corpus_dir() -> PathBuf {
    std::env::var_os("WXSYNC_CORPUS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/real"),
        PathBuf::from,
    )
}

fn load_corpus() -> Vec<(String, String)> {
    let root = corpus_dir();
    let mut files: Vec<(String, String)> = walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .filter_map(|e| {
            let rel = e.path().strip_prefix(&root).ok()?.to_str()?.to_string();
            let text = String::from_utf8(std::fs::read(e.path()).ok()?).ok()?;
            Some((rel, text))
        })
        .collect();
    files.sort();
    files
}

fn bench(c: &mut Criterion) {
    let root = corpus_dir();
    let files = load_corpus();
    assert!(!files.is_empty(), "no corpus at {}", root.display());
    let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();
    eprintln!("corpus: {} articles, {} bytes", files.len(), bytes);
    let theme = Theme::parse("default", BUILTIN[0].1, "default").expect("default theme");
    let renderer = Renderer::with(
        &root,
        theme,
        "InspiredGitHub",
        LinkMode::Footnotes,
        Default::default(),
    )
    .expect("code theme");

    let mut g = c.benchmark_group("corpus");
    g.sample_size(10);
    g.throughput(criterion::Throughput::Bytes(bytes as u64));
    g.bench_function("wxsync_render_all", |b| {
        b.iter(|| {
            for (path, text) in &files {
                let _ = std::hint::black_box(render_text(&root, path, text, &renderer));
            }
        })
    });
    g.bench_function("baseline_pulldown_push_html", |b| {
        b.iter(|| {
            for (_, text) in &files {
                let mut out = String::new();
                let parser =
                    pulldown_cmark::Parser::new_ext(text, wxsync::render::markdown_options());
                pulldown_cmark::html::push_html(&mut out, parser);
                std::hint::black_box(out);
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
