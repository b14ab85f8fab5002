//! The common case in CI: `wxsync sync` on a site where nothing changed. Issue 4's target:
//! 1,000 unchanged articles decide "nothing to do" in under 200 ms wall (release, 2 cores)
//! with zero network calls. The baseline is the physical floor: reading and hashing the same
//! files with sha256.
//!
//! The site is generated from the real-article corpus (`../shared/corpus/real` or
//! `WXSYNC_CORPUS`), synced once against the in-process emulator, then timed with the
//! emulator's log checked to stay empty.

use std::path::{Path, PathBuf};
use std::process::Command;

use criterion::{Criterion, criterion_group, criterion_main};
use sha2::{Digest, Sha256};

fn corpus_dir() -> PathBuf {
    std::env::var_os("WXSYNC_CORPUS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/real"),
        PathBuf::from,
    )
}

/// Corpus bodies that pass wxsync's checks once given a title and cover (images become
/// links: the corpus's relative image paths do not survive the copy).
fn bodies() -> Vec<String> {
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(corpus_dir())
        .into_iter()
        .filter_map(Result::ok)
    {
        if e.path().extension().is_none_or(|x| x != "md") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(e.path()) else {
            continue;
        };
        let body = match text
            .strip_prefix("---\n")
            .and_then(|r| r.find("\n---\n").map(|i| &r[i + 5..]))
        {
            Some(b) => b.to_string(),
            None => text.clone(),
        };
        // Images become links (the corpus's relative paths do not survive the copy), raw
        // HTML images go too.
        let body = body.replace("![", "[").replace("<img", "<span");
        // WeChat's limits: keep articles well inside them.
        if body.chars().count() < 15_000 {
            out.push(body);
        }
    }
    out.sort();
    out
}

fn make_site(dir: &Path, n: usize, appid: &str) {
    let bodies = bodies();
    assert!(
        !bodies.is_empty(),
        "no corpus at {}",
        corpus_dir().display()
    );
    std::fs::create_dir_all(dir.join("articles")).unwrap();
    std::fs::create_dir_all(dir.join("images")).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("example-site/images/default-cover.jpg"),
        dir.join("images/cover.jpg"),
    )
    .unwrap();
    std::fs::write(
        dir.join("wxsync.yaml"),
        format!("appid: {appid}\narticles: [\"articles/**/*.md\"]\ndefaults:\n  cover: images/cover.jpg\n"),
    )
    .unwrap();
    for i in 0..n {
        let sub = dir.join(format!("articles/{:02}", i % 50));
        std::fs::create_dir_all(&sub).unwrap();
        let body = &bodies[i % bodies.len()];
        std::fs::write(
            sub.join(format!("a{i:05}.md")),
            format!("---\ntitle: Article {i}\n---\n{body}"),
        )
        .unwrap();
    }
}

fn wxsync(site: &Path, emu: &wxemu::Emulator) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wxsync"));
    c.arg("-C")
        .arg(site)
        .args(["sync", "-q"])
        .env("WXSYNC_API_BASE", emu.base_url())
        .env("WECHAT_APPID", emu.appid())
        .env("WECHAT_APPSECRET", emu.secret())
        .env("NO_COLOR", "1");
    c
}

fn hash_all(site: &Path) -> usize {
    let mut n = 0;
    for e in walkdir::WalkDir::new(site.join("articles"))
        .into_iter()
        .filter_map(Result::ok)
    {
        if e.file_type().is_file() {
            let bytes = std::fs::read(e.path()).unwrap();
            std::hint::black_box(Sha256::digest(&bytes));
            n += 1;
        }
    }
    n
}

fn bench(c: &mut Criterion) {
    let emu = wxemu::Emulator::start().expect("emulator");
    emu.configure(|cfg| {
        cfg.daily_limits.clear();
        cfg.content_max_chars = usize::MAX;
    });
    let mut g = c.benchmark_group("noop_sync");
    g.sample_size(10);
    // WXSYNC_BENCH_SIZES=1000,10000 for the scale table (the first sync of 10,000 takes a
    // minute or two).
    let sizes: Vec<usize> = std::env::var("WXSYNC_BENCH_SIZES")
        .unwrap_or_else(|_| "1000".to_string())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    for n in sizes {
        let dir = tempfile::tempdir().unwrap();
        make_site(dir.path(), n, &emu.appid());
        let first = wxsync(dir.path(), &emu).output().unwrap();
        assert!(
            first.status.success(),
            "first sync failed: {}",
            String::from_utf8_lossy(&first.stderr)
        );
        let adds = emu.calls("draft/add").len();
        assert_eq!(adds, n, "one draft/add per article");
        emu.clear_log();
        g.bench_function(format!("wxsync_sync_{n}_unchanged"), |b| {
            b.iter(|| {
                let st = wxsync(dir.path(), &emu).status().unwrap();
                assert!(st.success());
            })
        });
        assert_eq!(emu.log().len(), 0, "a no-op sync made API calls");
        g.bench_function(format!("baseline_read_and_sha256_{n}"), |b| {
            b.iter(|| assert_eq!(hash_all(dir.path()), n))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
