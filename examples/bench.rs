//! wxsync's figures in one run: speed, cost and scale, each with a baseline measured in the
//! same run so the ratio holds on a noisy machine (issue 8). See BENCHMARKS.md.
//!
//! ```sh
//! cargo run --release --example bench                      # JSON lines on stdout
//! cargo run --release --example bench -- --write BENCHMARKS.md --svg benches/scale.svg
//! cargo run --release --example bench -- --sizes 100,1000  # a quicker scale table
//! ```
//!
//! Prints one JSON line per figure (`figure`, `value`, `unit`, `baseline`, `baseline_of`,
//! `ratio`, `target`, `met`) and exits 1, listing the misses on stderr, when a target is
//! missed. It builds and runs the release `wxsync` binary next to this example
//! (`target/release/wxsync`), and starts the WeChat emulator (`wxemu`) in this process. The
//! corpus is `../shared/corpus/real` or `WXSYNC_CORPUS`.

#[path = "../tests/support/image_gen.rs"]
mod image_gen;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use wxsync::media::{Use, prepare};
use wxsync::render::{Renderer, Theme, render_text, theme::BUILTIN};
use wxsync::site::LinkMode;

/// Distinct body images in a generated site; each article shows two of them.
const IMAGES: usize = 24;
/// The watch debounce the latency is measured beyond.
const DEBOUNCE_MS: u64 = 100;

#[path = "bench/peer.rs"]
mod peer;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--render-child") {
        render_child(Path::new(&args[1]));
        return;
    }
    let mut write_md = None;
    let mut svg = None;
    let mut sizes = vec![100, 300, 1_000, 2_000];
    let mut seeded = vec![10_000];
    let mut only: Option<Vec<String>> = None;
    let mut with_peer = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--write" => write_md = it.next().map(PathBuf::from),
            "--svg" => svg = it.next().map(PathBuf::from),
            "--peer" => {
                with_peer = it.next().map(String::as_str) == Some("wenyan");
                if !with_peer {
                    eprintln!("bench: --peer takes `wenyan`");
                    std::process::exit(2);
                }
            }
            "--only" => {
                only = it
                    .next()
                    .map(|s| s.split(',').map(str::to_string).collect())
            }
            "--seeded" => {
                seeded = it
                    .next()
                    .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
                    .unwrap_or_default()
            }
            "--sizes" => {
                sizes = it
                    .next()
                    .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
                    .unwrap_or_default()
            }
            other => {
                eprintln!(
                    "usage: bench [--write BENCHMARKS.md] [--svg FILE.svg] [--only render,check,sync,binary,watch,images] [--peer wenyan] [--sizes 100,300,1000,2000] [--seeded 10000]\nunknown argument {other}"
                );
                std::process::exit(2);
            }
        }
    }
    let started = Instant::now();
    let bin = wxsync_binary();
    let corpus = corpus_dir();
    let mut b = Bench::default();

    let run = |what: &str| only.as_ref().is_none_or(|o| o.iter().any(|x| x == what));
    let mut render_one_core = f64::NAN;
    if run("render") {
        eprintln!("bench: render (one core, fresh process)");
        render_one_core = bench_render(&mut b, &corpus);
    }
    let mut check = None;
    if run("check") {
        eprintln!("bench: check (process, all cores)");
        check = Some(bench_check(&mut b, &bin, &corpus, render_one_core));
    }
    if with_peer {
        bench_peer(&mut b, &corpus, check);
    }
    let mut scale = Vec::new();
    if run("sync") {
        let mut base = None;
        for &n in &sizes {
            eprintln!("bench: sync of {n} generated articles");
            let (row, site) = bench_sync(&mut b, &bin, &corpus, n, n == 1_000);
            scale.push(row);
            if n == 1_000 || (base.is_none() && n == *sizes.last().unwrap_or(&n)) {
                base = Some(site);
            }
        }
        for &n in &seeded {
            if let Some(base) = &base {
                eprintln!("bench: no-op sync of {n} articles seeded from {}", base.n);
                scale.extend(bench_seeded(&mut b, &bin, base, n));
            }
        }
    }
    if let (Some(a), Some(b2)) = (
        scale
            .iter()
            .find(|r| r.n == 1_000)
            .and_then(|r| r.first.as_ref()),
        scale
            .iter()
            .find(|r| r.n == 2_000)
            .and_then(|r| r.first.as_ref()),
    ) {
        b.emit(
            Figure::new("sync.first_2000_over_1000", b2.ms / a.ms, "×")
                .target(Target::Max(2.2))
                .note("first sync of 2,000 articles over that of 1,000: 2 when linear"),
        );
    }
    if run("binary") {
        eprintln!("bench: the stripped release binary (cargo build --profile dist)");
        bench_binary(&mut b);
    }
    if run("watch") {
        eprintln!("bench: watch");
        bench_watch(&mut b, &bin);
    }
    if run("images") {
        eprintln!("bench: images");
        bench_images(&mut b);
    }

    let total = started.elapsed();
    b.push(Figure::new("bench.run_wall", secs(total), "s").target(Target::Max(300.0)));
    println!("{}", b.figures.last().map(Figure::json).unwrap_or_default());

    if let Some(path) = write_md {
        write_markdown(&path, &b, &scale, total);
        eprintln!("bench: wrote {}", path.display());
    }
    if let Some(path) = svg {
        std::fs::write(&path, plot(&scale)).expect("write the plot");
        eprintln!("bench: wrote {}", path.display());
    }
    let missed: Vec<&Figure> = b
        .figures
        .iter()
        .filter(|f| f.met() == Some(false))
        .collect();
    eprintln!("bench: {} figures in {:.1} s", b.figures.len(), secs(total));
    if !missed.is_empty() {
        eprintln!("\n!!!!!!!! {} TARGET(S) MISSED !!!!!!!!", missed.len());
        for f in &missed {
            eprintln!(
                "  MISSED {}: {} {} (target {})",
                f.name,
                num(f.value),
                f.unit,
                f.target_text()
            );
        }
        std::process::exit(1);
    }
}

// ---------------------------------------------------------------------------------------------
// Figures

#[derive(Debug, Clone)]
enum Target {
    Max(f64),
    Eq(f64),
}

impl Target {
    fn text(&self) -> String {
        match self {
            Target::Max(v) => format!("≤ {}", num(*v)),
            Target::Eq(v) => format!("= {}", num(*v)),
        }
    }
    fn met(&self, v: f64) -> bool {
        match self {
            Target::Max(t) => v <= *t,
            Target::Eq(t) => (v - t).abs() < 1e-9,
        }
    }
}

#[derive(Debug, Clone)]
struct Figure {
    name: String,
    value: f64,
    unit: &'static str,
    baseline: Option<(f64, String)>,
    /// Ratio value / baseline (inverted for throughputs, so above 1 is always slower).
    ratio: Option<f64>,
    target: Option<Target>,
    /// A target on the ratio (e.g. within 10× of the floor).
    ratio_target: Option<f64>,
    note: String,
}

impl Figure {
    fn new(name: &str, value: f64, unit: &'static str) -> Figure {
        Figure {
            name: name.to_string(),
            value,
            unit,
            baseline: None,
            ratio: None,
            target: None,
            ratio_target: None,
            note: String::new(),
        }
    }
    fn baseline(mut self, value: f64, of: &str) -> Figure {
        self.ratio = Some(self.value / value);
        self.baseline = Some((value, of.to_string()));
        self
    }
    /// For throughputs: the ratio is baseline / value.
    fn baseline_rate(mut self, value: f64, of: &str) -> Figure {
        self.ratio = Some(value / self.value);
        self.baseline = Some((value, of.to_string()));
        self
    }
    fn target(mut self, t: Target) -> Figure {
        self.target = Some(t);
        self
    }
    fn ratio_target(mut self, r: f64) -> Figure {
        self.ratio_target = Some(r);
        self
    }
    fn note(mut self, n: &str) -> Figure {
        self.note = n.to_string();
        self
    }
    fn met(&self) -> Option<bool> {
        let a = self.target.as_ref().map(|t| t.met(self.value));
        let b = self.ratio_target.and_then(|r| self.ratio.map(|x| x <= r));
        match (a, b) {
            (None, None) => None,
            (x, y) => Some(x.unwrap_or(true) && y.unwrap_or(true)),
        }
    }
    fn target_text(&self) -> String {
        let mut t = self.target.as_ref().map(Target::text).unwrap_or_default();
        if let Some(r) = self.ratio_target {
            if !t.is_empty() {
                t.push_str(", ");
            }
            let _ = write!(t, "ratio ≤ {}", num(r));
        }
        t
    }
    fn json(&self) -> String {
        let mut v = json!({
            "figure": self.name,
            "value": round(self.value),
            "unit": self.unit,
        });
        if let Some((b, of)) = &self.baseline {
            v["baseline"] = json!(round(*b));
            v["baseline_of"] = json!(of);
        }
        if let Some(r) = self.ratio {
            v["ratio"] = json!(round(r));
        }
        let t = self.target_text();
        if !t.is_empty() {
            v["target"] = json!(t);
        }
        if let Some(m) = self.met() {
            v["met"] = json!(m);
        }
        if !self.note.is_empty() {
            v["note"] = json!(self.note);
        }
        v.to_string()
    }
}

#[derive(Default)]
struct Bench {
    figures: Vec<Figure>,
}

impl Bench {
    fn push(&mut self, f: Figure) {
        self.figures.push(f);
    }
    /// Records and prints a figure at once, so a slow run shows progress.
    fn emit(&mut self, f: Figure) {
        println!("{}", f.json());
        self.figures.push(f);
    }
}

fn round(v: f64) -> f64 {
    if v.abs() >= 100.0 {
        (v * 10.0).round() / 10.0
    } else {
        (v * 1000.0).round() / 1000.0
    }
}

fn num(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e12 {
        format!("{}", v as i64)
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v.get(i).copied().unwrap_or(f64::NAN)
}

/// Times `f` `runs` times; the median in ms.
fn time_median(runs: usize, mut f: impl FnMut()) -> f64 {
    let v = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            ms(t.elapsed())
        })
        .collect();
    median(v)
}

// ---------------------------------------------------------------------------------------------
// Set-up

fn corpus_dir() -> PathBuf {
    let dir = std::env::var_os("WXSYNC_CORPUS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/real"),
        PathBuf::from,
    );
    if !dir.is_dir() {
        eprintln!("bench: no corpus at {} (set WXSYNC_CORPUS)", dir.display());
        std::process::exit(2);
    }
    dir
}

/// The release `wxsync` next to this example (`target/release/examples/bench` →
/// `target/release/wxsync`), built first when run through cargo.
/// The size of the binary the releases ship (`--profile dist`: the release build, stripped).
fn bench_binary(b: &mut Bench) {
    let Some(cargo) = std::env::var_os("CARGO") else {
        eprintln!("bench: binary: skipped (run through cargo)");
        return;
    };
    let st = Command::new(cargo)
        .args([
            "build",
            "--quiet",
            "--locked",
            "--profile",
            "dist",
            "--bin",
            "wxsync",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let bin = target
        .join("dist")
        .join(format!("wxsync{}", std::env::consts::EXE_SUFFIX));
    match (st, std::fs::metadata(&bin)) {
        (Ok(st), Ok(meta)) if st.success() => {
            let release = std::fs::metadata(wxsync_binary()).map(|m| m.len() as f64 / 1e6);
            let mut f = Figure::new("binary.dist_mb", meta.len() as f64 / 1e6, "MB")
                .target(Target::Max(20.0));
            if let Ok(r) = release {
                f = f.baseline(
                    r,
                    "the release build with line tables (`cargo install`'s before)",
                );
            }
            b.emit(f);
        }
        _ => eprintln!("bench: binary: `cargo build --profile dist` failed; skipped"),
    }
}

fn wxsync_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the example lives in target/<profile>/examples");
    if let Some(cargo) = std::env::var_os("CARGO") {
        let profile = dir
            .file_name()
            .and_then(|s| s.to_str())
            .unwrap_or("release");
        let mut c = Command::new(cargo);
        c.args(["build", "--quiet", "--bin", "wxsync"])
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        if profile == "release" {
            c.arg("--release");
        }
        let st = c.status().expect("run cargo build");
        assert!(st.success(), "cargo build --bin wxsync failed");
    }
    let bin = dir.join(format!("wxsync{}", std::env::consts::EXE_SUFFIX));
    if !bin.is_file() {
        eprintln!(
            "bench: {} is missing: run `cargo build --release --bins` first",
            bin.display()
        );
        std::process::exit(2);
    }
    if dir.file_name().is_some_and(|n| n != "release") {
        eprintln!("bench: WARNING: not a release build; run with --release");
    }
    bin
}

fn load_corpus(root: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .filter_map(|e| {
            let rel = e.path().strip_prefix(root).ok()?.to_str()?.to_string();
            let text = String::from_utf8(std::fs::read(e.path()).ok()?).ok()?;
            Some((rel, text))
        })
        .collect();
    files.sort();
    files
}

/// `VmHWM` (peak resident set) of this process, in kB.
fn vm_hwm_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn copy_tree(from: &Path, to: &Path, skip_wxsync: bool) {
    for e in walkdir::WalkDir::new(from)
        .into_iter()
        .filter_map(Result::ok)
    {
        let rel = e.path().strip_prefix(from).expect("inside");
        if skip_wxsync && rel.starts_with(".wxsync") {
            continue;
        }
        let dest = to.join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dest).expect("mkdir");
        } else if e.file_type().is_file() {
            std::fs::copy(e.path(), &dest).expect("copy");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Render: a fresh single-threaded process, so the first article pays for loading the syntax
// set and the peak RSS is the render's own.

fn render_child(corpus: &Path) {
    let files = load_corpus(corpus);
    let input_hwm = vm_hwm_kb().unwrap_or(0);
    let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();
    // The first article with a code block, so the syntax set loads on it.
    let first = files
        .iter()
        .position(|(_, t)| t.contains("```"))
        .unwrap_or(0);
    let t = Instant::now();
    let theme = Theme::parse("default", BUILTIN[0].1, "default").expect("default theme");
    let renderer = Renderer::with(
        corpus,
        theme,
        "InspiredGitHub",
        LinkMode::Footnotes,
        Default::default(),
    )
    .expect("code theme");
    let _ = std::hint::black_box(render_text(
        corpus,
        &files[first].0,
        &files[first].1,
        &renderer,
    ));
    let first_ms = ms(t.elapsed());
    let first_hwm = vm_hwm_kb().unwrap_or(0);
    let pass = || {
        let t = Instant::now();
        let mut ok = 0;
        for (path, text) in &files {
            if std::hint::black_box(render_text(corpus, path, text, &renderer)).is_ok() {
                ok += 1;
            }
        }
        (ms(t.elapsed()), ok)
    };
    let (cold_ms, rendered) = pass();
    let cold_hwm = vm_hwm_kb().unwrap_or(0);
    let warm: Vec<f64> = (0..3).map(|_| pass().0).collect();
    let first_warm = time_median(5, || {
        let _ = std::hint::black_box(render_text(
            corpus,
            &files[first].0,
            &files[first].1,
            &renderer,
        ));
    });
    let pulldown: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            for (_, text) in &files {
                let mut out = String::new();
                let parser =
                    pulldown_cmark::Parser::new_ext(text, wxsync::render::markdown_options());
                pulldown_cmark::html::push_html(&mut out, parser);
                std::hint::black_box(out);
            }
            ms(t.elapsed())
        })
        .collect();
    println!(
        "{}",
        json!({
            "articles": files.len(),
            "rendered": rendered,
            "bytes": bytes,
            "first_path": files[first].0,
            "first_ms": first_ms,
            "first_warm_ms": first_warm,
            "cold_ms": cold_ms,
            "warm_ms": warm,
            "pulldown_ms": pulldown,
            "input_hwm_kb": input_hwm,
            "first_hwm_kb": first_hwm,
            "cold_hwm_kb": cold_hwm,
            "hwm_kb": vm_hwm_kb().unwrap_or(0),
        })
    );
}

/// Returns the one-core warm corpus render, ms.
fn bench_render(b: &mut Bench, corpus: &Path) -> f64 {
    let out = Command::new(std::env::current_exe().expect("exe"))
        .arg("--render-child")
        .arg(corpus)
        .stderr(Stdio::inherit())
        .output()
        .expect("run the render child");
    assert!(out.status.success(), "the render child failed");
    let v: Value = serde_json::from_slice(&out.stdout).expect("render child JSON");
    let f = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    let list = |k: &str| -> Vec<f64> {
        v[k].as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default()
    };
    let articles = f("articles");
    let mb = f("bytes") / 1e6;
    let warm = median(list("warm_ms"));
    let pulldown = median(list("pulldown_ms"));
    let note = format!(
        "{} articles ({} rendered without a front-matter error), {:.1} MB; median of {} warm passes",
        articles,
        f("rendered"),
        mb,
        list("warm_ms").len()
    );
    b.emit(
        Figure::new("render.corpus_warm_ms", warm, "ms")
            .baseline(pulldown, "pulldown-cmark push_html, same files")
            .target(Target::Max(1000.0))
            .note(&note),
    );
    b.emit(
        Figure::new("render.corpus_cold_ms", f("cold_ms"), "ms")
            .baseline(pulldown, "pulldown-cmark push_html, same files")
            .target(Target::Max(1000.0))
            .note("first pass of a fresh process (syntax set already loaded by the first article)"),
    );
    b.emit(
        Figure::new(
            "render.articles_per_s",
            articles / warm * 1000.0,
            "articles/s",
        )
        .baseline_rate(articles / pulldown * 1000.0, "pulldown-cmark push_html"),
    );
    b.emit(
        Figure::new("render.mb_per_s", mb / warm * 1000.0, "MB/s")
            .baseline_rate(mb / pulldown * 1000.0, "pulldown-cmark push_html"),
    );
    b.emit(
        Figure::new("render.first_article_ms", f("first_ms"), "ms")
            .baseline(f("first_warm_ms"), "the same article rendered warm")
            .note(&format!(
                "fresh process: renderer + syntax-set load + {}",
                v["first_path"].as_str().unwrap_or("")
            )),
    );
    b.emit(
        Figure::new("render.peak_rss_mb", f("hwm_kb") / 1024.0, "MB")
            .baseline(
                f("input_hwm_kb") / 1024.0,
                "peak RSS with the corpus read, before rendering",
            )
            .target(Target::Max(150.0))
            .note(&format!(
                "peak after the first article {:.0} MB, after one pass over the corpus {:.0} MB, after {} more passes {:.0} MB",
                f("first_hwm_kb") / 1024.0,
                f("cold_hwm_kb") / 1024.0,
                list("warm_ms").len() + 1,
                f("hwm_kb") / 1024.0
            )),
    );
    warm
}

// ---------------------------------------------------------------------------------------------
// Check: the whole corpus as a site, `wxsync check` as a process (every core).

/// Returns the median wall time (ms) and the largest peak resident set (kB) of the runs.
fn bench_check(
    b: &mut Bench,
    bin: &Path,
    corpus: &Path,
    render_one_core: f64,
) -> (f64, Option<u64>) {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(corpus, &dir.path().join("articles"), true);
    std::fs::write(
        dir.path().join("wxsync.yaml"),
        "articles: [\"articles/**/*.md\"]\n",
    )
    .expect("write config");
    let mut peak = None;
    let runs: Vec<f64> = (0..3)
        .map(|_| {
            let _ = std::fs::remove_dir_all(dir.path().join(".wxsync"));
            let ran = peer::run_measured(
                Command::new(bin)
                    .arg("-C")
                    .arg(dir.path())
                    .args(["check", "-q", "--color", "never"]),
            );
            // 0 clean, 2 with article errors (some corpus files are not wxsync articles).
            assert!(
                matches!(ran.code, Some(0 | 2)),
                "wxsync check crashed (exit {:?})",
                ran.code
            );
            peak = peak.max(ran.peak_kb);
            ms(ran.wall)
        })
        .collect();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let wall = median(runs);
    b.emit(
        Figure::new("check.corpus_wall_ms", wall, "ms")
            .baseline(render_one_core, "in-process corpus render, one core")
            .note(&format!(
                "a process on {cores} cores, cold (no render cache)"
            )),
    );
    if let Some(kb) = peak {
        b.emit(
            Figure::new("check.corpus_peak_rss_mb", kb as f64 / 1024.0, "MB")
                .target(Target::Max(100.0)),
        );
    }
    (wall, peak)
}

/// wxsync's `check` of the corpus against @wenyan-md/core rendering the same files in the
/// same run: the ratio is wxsync's time over the peer's (target: 60 times faster).
fn bench_peer(b: &mut Bench, corpus: &Path, check: Option<(f64, Option<u64>)>) {
    let dir = match peer::install() {
        Ok(d) => d,
        Err(why) => {
            eprintln!("bench: skipped the peer ({why})");
            return;
        }
    };
    eprintln!(
        "bench: the peer, {} (one pass over the corpus)",
        peer::WENYAN
    );
    let ran = peer::render_corpus(&dir, corpus);
    if !ran.ok {
        eprintln!("bench: the peer failed: {}", ran.stdout);
        return;
    }
    let said = ran.stdout.trim().to_string();
    let wall = ms(ran.wall);
    let peak_mb = ran.peak_kb.map(|kb| kb as f64 / 1024.0);
    b.emit(Figure::new("peer.wenyan_corpus_wall_ms", wall, "ms").note(&said));
    if let Some(mb) = peak_mb {
        b.emit(Figure::new("peer.wenyan_corpus_peak_rss_mb", mb, "MB"));
    }
    if let Some((check_wall, _)) = check {
        b.emit(
            Figure::new("peer.check_vs_wenyan_wall_ms", check_wall, "ms")
                .baseline(wall, "@wenyan-md/core rendering the same corpus, same run")
                .ratio_target(1.0 / 60.0)
                .note(&format!("{:.1}× faster", wall / check_wall)),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Sync: generated sites of n articles (corpus bodies, two of IMAGES distinct images each, one
// shared cover) against the in-process emulator.

/// Corpus bodies that pass wxsync's checks once given a title and cover: the corpus's own
/// relative image paths do not survive the copy, so its images become links.
fn bodies(corpus: &Path) -> Vec<String> {
    let mut out: Vec<String> = load_corpus(corpus)
        .into_iter()
        .filter_map(|(_, text)| {
            let body = match text
                .strip_prefix("---\n")
                .and_then(|r| r.find("\n---\n").map(|i| &r[i + 5..]))
            {
                Some(b) => b.to_string(),
                None => text,
            };
            let body = body.replace("![", "[").replace("<img", "<span");
            (body.chars().count() < 15_000).then_some(body)
        })
        .collect();
    out.sort();
    out
}

fn images_of(i: usize) -> [usize; 2] {
    [i % IMAGES, (i * 7 + 3) % IMAGES]
}

fn make_site(dir: &Path, n: usize, bodies: &[String], appid: &str) -> usize {
    std::fs::create_dir_all(dir.join("articles")).expect("mkdir");
    std::fs::create_dir_all(dir.join("images")).expect("mkdir");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("example-site/images/default-cover.jpg"),
        dir.join("images/cover.jpg"),
    )
    .expect("copy cover");
    let mut used = BTreeSet::new();
    for i in 0..n {
        used.extend(images_of(i));
    }
    for k in &used {
        let png = image_gen::encode(
            &image_gen::noise_rgb(48, 32, *k as u64 + 1),
            image::ImageFormat::Png,
        );
        std::fs::write(dir.join(format!("images/fig{k:02}.png")), png).expect("write image");
    }
    std::fs::write(
        dir.join("wxsync.yaml"),
        format!(
            "appid: {appid}\narticles: [\"articles/**/*.md\"]\ndefaults:\n  cover: images/cover.jpg\n"
        ),
    )
    .expect("write config");
    for i in 0..n {
        let sub = dir.join(format!("articles/{:02}", i % 50));
        std::fs::create_dir_all(&sub).expect("mkdir");
        let [a, c] = images_of(i);
        std::fs::write(
            sub.join(format!("a{i:05}.md")),
            format!(
                "---\ntitle: Article {i}\n---\n![](../../images/fig{a:02}.png)\n\n{}\n\n![](../../images/fig{c:02}.png)\n",
                bodies[i % bodies.len()]
            ),
        )
        .expect("write article");
    }
    used.len()
}

fn sync_cmd(bin: &Path, site: &Path, emu: &wxemu::Emulator) -> Command {
    let mut c = Command::new(bin);
    c.arg("-C")
        .arg(site)
        .args(["sync", "-q", "--color", "never"])
        .env("WXSYNC_API_BASE", emu.base_url())
        .env("WECHAT_APPID", emu.appid())
        .env("WECHAT_APPSECRET", emu.secret())
        .env_remove("GITHUB_ACTIONS")
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
            let bytes = std::fs::read(e.path()).expect("read");
            std::hint::black_box(Sha256::digest(&bytes));
            n += 1;
        }
    }
    n
}

/// Sends the logged requests again, one after another on one keep-alive connection: what
/// the emulator and loopback cost for the same calls, with no wxsync in between.
fn replay(addr: std::net::SocketAddr, calls: &[wxemu::LogEntry]) -> Duration {
    let mut s = TcpStream::connect(addr).expect("connect to the emulator");
    s.set_nodelay(true).expect("nodelay");
    let mut r = BufReader::new(s.try_clone().expect("clone"));
    let t = Instant::now();
    for c in calls {
        let target = if c.query.is_empty() {
            c.path.clone()
        } else {
            format!("{}?{}", c.path, c.query)
        };
        write!(
            s,
            "POST {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            c.body.len()
        )
        .expect("send");
        s.write_all(c.body.as_bytes()).expect("send");
        let mut len = 0usize;
        let mut status = String::new();
        r.read_line(&mut status).expect("status line");
        assert!(status.contains(" 200"), "replay: {status}");
        loop {
            let mut line = String::new();
            r.read_line(&mut line).expect("header");
            if line == "\r\n" || line.is_empty() {
                break;
            }
            let lower = line.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                len = v.trim().parse().expect("content-length");
            }
        }
        let mut body = vec![0; len];
        r.read_exact(&mut body).expect("body");
    }
    t.elapsed()
}

struct ScaleRow {
    n: usize,
    /// None when the site's synced state was seeded instead of pushed.
    first: Option<FirstSync>,
    noop_ms: f64,
    hash_ms: f64,
}

struct FirstSync {
    ms: f64,
    calls: usize,
    replay_ms: f64,
}

/// A synced site kept for seeding bigger ones.
struct Synced {
    dir: tempfile::TempDir,
    emu: wxemu::Emulator,
    n: usize,
}

fn start_emulator() -> wxemu::Emulator {
    let emu = wxemu::Emulator::start().expect("start the emulator");
    emu.configure(|c| {
        c.daily_limits.clear();
        c.content_max_chars = usize::MAX;
    });
    emu
}

/// A first sync of `n` articles, then no-op syncs. Returns the site for seeding.
fn bench_sync(
    b: &mut Bench,
    bin: &Path,
    corpus: &Path,
    n: usize,
    cold_cache: bool,
) -> (ScaleRow, Synced) {
    let emu = start_emulator();
    let dir = tempfile::tempdir().expect("tempdir");
    let distinct = make_site(dir.path(), n, &bodies(corpus), &emu.appid());

    // First sync.
    let mut cmd = sync_cmd(bin, dir.path(), &emu);
    // WXSYNC_BENCH_WRAP="strace -f -c -w -o FILE" (or perf record …) profiles the first sync.
    if let Some(wrap) = std::env::var("WXSYNC_BENCH_WRAP")
        .ok()
        .filter(|w| !w.trim().is_empty())
    {
        let mut words = wrap.split_whitespace();
        let mut w = Command::new(words.next().unwrap_or("env"));
        w.args(words).arg(cmd.get_program()).args(cmd.get_args());
        for (k, v) in cmd.get_envs() {
            match v {
                Some(v) => w.env(k, v),
                None => w.env_remove(k),
            };
        }
        cmd = w;
    }
    let t = Instant::now();
    let out = cmd.output().expect("run sync");
    let first_ms = ms(t.elapsed());
    assert!(
        out.status.success(),
        "first sync of {n} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = emu.log();
    let mut by_name: BTreeMap<String, usize> = BTreeMap::new();
    for e in &log {
        *by_name.entry(e.name().to_string()).or_default() += 1;
    }
    let count = |name: &str| by_name.get(name).copied().unwrap_or(0);
    let drafts = count("draft/add");
    let uploads = count("media/uploadimg");
    let materials = count("material/add_material");
    let tokens: usize = by_name
        .iter()
        .filter(|(k, _)| k.contains("token"))
        .map(|(_, v)| v)
        .sum();
    // Drafts, body images, the cover, one token; then the pages of draft/batchget (20 a page)
    // that read back each new draft's update_time, and the one quota read before the run.
    let expected = n + distinct + 1 + 1 + n.div_ceil(20) + 1;
    let adds: Vec<wxemu::LogEntry> = log
        .iter()
        .filter(|e| e.name() == "draft/add")
        .cloned()
        .collect();
    emu.clear_log();
    let replay_ms = ms(replay(emu.addr(), &adds));
    emu.clear_log();
    b.emit(
        Figure::new(&format!("sync.first_{n}_wall_ms"), first_ms, "ms")
            .baseline(
                replay_ms,
                "the same draft/add requests replayed on one connection",
            )
            .ratio_target(3.0)
            .note(&format!(
                "{n} articles, {distinct} distinct body images + 1 cover: {}",
                by_name
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
    );
    if n == 1_000 {
        b.emit(
            Figure::new(
                &format!("sync.first_{n}_draft_calls_per_article"),
                drafts as f64 / n as f64,
                "calls/article",
            )
            .target(Target::Eq(1.0)),
        );
        b.emit(
            Figure::new(
                &format!("sync.first_{n}_uploads_per_distinct_image"),
                (uploads + materials) as f64 / (distinct + 1) as f64,
                "uploads/image",
            )
            .target(Target::Eq(1.0))
            .note(&format!(
                "media/uploadimg {uploads} for {distinct} body images, material/add_material {materials} for 1 cover"
            )),
        );
        b.emit(
            Figure::new(
                &format!("sync.first_{n}_token_calls"),
                tokens as f64,
                "calls",
            )
            .target(Target::Max(1.0)),
        );
        b.emit(
            Figure::new(
                &format!("sync.first_{n}_api_calls"),
                log.len() as f64,
                "calls",
            )
            .baseline(
                expected as f64,
                "one per article and distinct image, one token, a batchget per 20 new drafts, one quota read",
            )
            .target(Target::Max(expected as f64)),
        );
    }
    let (noop_ms, hash_ms) = bench_noop(b, bin, dir.path(), &emu, n, "");
    if cold_cache {
        // What CI sees: a fresh checkout has no .wxsync/render-cache.json.
        let _ = std::fs::remove_dir_all(dir.path().join(".wxsync"));
        let t = Instant::now();
        let st = sync_cmd(bin, dir.path(), &emu)
            .stdout(Stdio::null())
            .status()
            .expect("run sync");
        assert!(st.success(), "no-op sync failed");
        let wall = ms(t.elapsed());
        b.emit(
            Figure::new(&format!("sync.noop_{n}_no_render_cache_wall_ms"), wall, "ms")
                .baseline(hash_ms, "read + sha256 every article file (in-process)")
                .ratio_target(10.0)
                .note(&format!(
                    "no .wxsync/ at all (a fresh CI checkout): planned from wxsync.lock's rendered_from keys; {} API calls",
                    emu.log().len()
                )),
        );
        emu.clear_log();
    }
    let row = ScaleRow {
        n,
        first: Some(FirstSync {
            ms: first_ms,
            calls: log.len(),
            replay_ms,
        }),
        noop_ms,
        hash_ms,
    };
    (row, Synced { dir, emu, n })
}

/// Times no-op syncs of a synced site and the read+hash floor; emits the figures.
fn bench_noop(
    b: &mut Bench,
    bin: &Path,
    site: &Path,
    emu: &wxemu::Emulator,
    n: usize,
    note: &str,
) -> (f64, f64) {
    emu.clear_log();
    // One untimed run: the first run after a push may still write the render cache.
    let st = sync_cmd(bin, site, emu)
        .stdout(Stdio::null())
        .status()
        .expect("run sync");
    assert!(st.success(), "no-op sync failed");
    let runs = if n >= 5_000 { 5 } else { 9 };
    let noop: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            let st = sync_cmd(bin, site, emu)
                .stdout(Stdio::null())
                .status()
                .expect("run sync");
            assert!(st.success(), "no-op sync failed");
            ms(t.elapsed())
        })
        .collect();
    let noop_calls = emu.log().len();
    let noop_ms = median(noop);
    let hash_ms = time_median(runs, || assert_eq!(hash_all(site), n));
    let mut f = Figure::new(&format!("sync.noop_{n}_wall_ms"), noop_ms, "ms")
        .baseline(hash_ms, "read + sha256 every article file (in-process)")
        .note(note);
    match n {
        1_000 => f = f.target(Target::Max(200.0)).ratio_target(10.0),
        10_000 => f = f.target(Target::Max(1_500.0)).ratio_target(10.0),
        _ => {}
    }
    b.emit(f);
    b.emit(
        Figure::new(
            &format!("sync.noop_{n}_api_calls"),
            noop_calls as f64,
            "calls",
        )
        .target(Target::Eq(0.0)),
    );
    (noop_ms, hash_ms)
}

/// Grows a synced site to `n` articles by copying its articles (same bytes, so the same
/// payloads) under new names, with lockfile and render-cache entries cloned for them (each
/// bound to its own made-up draft id: a no-op sync never asks WeChat). A first sync of
/// 10,000 articles takes a quarter of an hour today (BENCHMARKS.md, "first sync"), so the
/// 10,000-article no-op is measured on this seeded state; a wrong seed shows as API calls.
fn bench_seeded(b: &mut Bench, bin: &Path, base: &Synced, n: usize) -> Option<ScaleRow> {
    if !n.is_multiple_of(base.n) {
        eprintln!("bench: {n} is not a multiple of {}; skipped", base.n);
        return None;
    }
    let root = base.dir.path();
    let copies = n / base.n;
    let originals: Vec<PathBuf> = walkdir::WalkDir::new(root.join("articles"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    assert_eq!(originals.len(), base.n, "the base site is already grown");
    let renamed = |rel: &str, k: usize| -> String {
        let (dir, file) = rel.rsplit_once('/').unwrap_or(("", rel));
        format!("{dir}/r{k}-{file}")
    };
    for p in &originals {
        let rel = p
            .strip_prefix(root)
            .expect("inside")
            .to_str()
            .expect("utf-8");
        for k in 1..copies {
            std::fs::copy(p, root.join(renamed(rel, k))).expect("copy article");
        }
    }
    // The lockfile, through wxsync's own type.
    let lock = wxsync::sync::lock::Lockfile::load(root).expect("load the lockfile");
    let mut v = serde_json::to_value(&lock).expect("lockfile as JSON");
    if let Some(articles) = v["articles"].as_object_mut() {
        let entries: Vec<(String, Value)> = articles
            .iter()
            .map(|(k, e)| (k.clone(), e.clone()))
            .collect();
        for (path, e) in entries {
            for k in 1..copies {
                let mut e = e.clone();
                if let Some(id) = e["media_id"].as_str() {
                    e["media_id"] = json!(format!("{id}-r{k}"));
                }
                articles.insert(renamed(&path, k), e);
            }
        }
    }
    let lock: wxsync::sync::lock::Lockfile = serde_json::from_value(v).expect("seeded lockfile");
    lock.save(root).expect("save the seeded lockfile");
    // The render cache (a plain JSON map of entries by article path).
    let cache_path = root.join(".wxsync/render-cache.json");
    if let Some(mut cache) = std::fs::read(&cache_path)
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
    {
        if let Some(entries) = cache["entries"].as_object_mut() {
            let list: Vec<(String, Value)> = entries
                .iter()
                .map(|(k, e)| (k.clone(), e.clone()))
                .collect();
            for (path, e) in list {
                for k in 1..copies {
                    entries.insert(renamed(&path, k), e.clone());
                }
            }
        }
        std::fs::write(&cache_path, serde_json::to_vec(&cache).expect("JSON"))
            .expect("write the seeded render cache");
    }
    let (noop_ms, hash_ms) = bench_noop(
        b,
        bin,
        root,
        &base.emu,
        n,
        &format!(
            "state seeded from the {}-article first sync ({copies} copies of each article, lockfile and render cache entries cloned)",
            base.n
        ),
    );
    Some(ScaleRow {
        n,
        first: None,
        noop_ms,
        hash_ms,
    })
}

// ---------------------------------------------------------------------------------------------
// Watch: save → reload event on an open page, less the debounce.

fn bench_watch(b: &mut Bench, bin: &Path) {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("example-site"),
        dir.path(),
        true,
    );
    let mut child = Command::new(bin)
        .arg("-C")
        .arg(dir.path())
        .args([
            "watch",
            "--port",
            "0",
            "--debounce",
            &DEBOUNCE_MS.to_string(),
            "-q",
        ])
        .env("NO_COLOR", "1")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("run wxsync watch");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let port: u16 = loop {
        let line = lines.next().expect("watch output").expect("read");
        if let Some(i) = line.find("http://127.0.0.1:") {
            break line[i + 17..]
                .trim_end_matches(|c: char| !c.is_ascii_digit())
                .split('/')
                .next()
                .and_then(|p| p.parse().ok())
                .expect("port");
        }
    };
    std::thread::spawn(move || for _ in lines {});
    let mut sse = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        sse,
        "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
    )
    .expect("send");
    let mut events = BufReader::new(sse);
    let mut next_event = move || {
        loop {
            let mut line = String::new();
            events.read_line(&mut line).expect("event");
            if line.starts_with("data:") {
                return;
            }
        }
    };
    next_event(); // the current build
    let rel = "articles/rust-error-handling.md";
    let article = dir.path().join(rel);
    let mut lat = Vec::new();
    for i in 0..15 {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&article)
            .expect("open");
        let start = Instant::now();
        writeln!(f, "\nedit {i}").expect("write");
        drop(f);
        next_event();
        lat.push(ms(start
            .elapsed()
            .saturating_sub(Duration::from_millis(DEBOUNCE_MS))));
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();

    // Floor: rendering the same article in-process, warm.
    let theme = Theme::parse("default", BUILTIN[0].1, "default").expect("default theme");
    let renderer = Renderer::with(
        dir.path(),
        theme,
        "InspiredGitHub",
        LinkMode::Footnotes,
        Default::default(),
    )
    .expect("code theme");
    let text = std::fs::read_to_string(&article).expect("read");
    let _ = render_text(dir.path(), rel, &text, &renderer);
    let floor = time_median(9, || {
        let _ = std::hint::black_box(render_text(dir.path(), rel, &text, &renderer));
    });
    b.emit(
        Figure::new("watch.save_to_reload_ms", median(lat.clone()), "ms")
            .baseline(floor, "in-process render of the edited article, warm")
            .target(Target::Max(300.0))
            .note(&format!(
                "median of {} saves, less the {DEBOUNCE_MS} ms debounce; p90 {:.1} ms; target from issue 6",
                lat.len(),
                percentile(lat, 0.9)
            )),
    );
}

// ---------------------------------------------------------------------------------------------
// Images: preparing a 3 MB screenshot for media/uploadimg.

fn bench_images(b: &mut Bench) {
    let png = image_gen::screenshot();
    let once = prepare(&png, Use::Body).expect("prepare");
    let prep = time_median(7, || {
        std::hint::black_box(prepare(&png, Use::Body).expect("prepare"));
    });
    let decode = time_median(7, || {
        std::hint::black_box(image::load_from_memory(&png).expect("decode"));
    });
    b.emit(
        Figure::new("images.prepare_3mb_screenshot_ms", prep, "ms")
            .baseline(decode, "decoding the PNG alone (image crate)")
            .target(Target::Max(300.0))
            .note(&format!(
                "{} bytes PNG → {} bytes {} {}x{}; target from issue 5",
                png.len(),
                once.bytes.len(),
                once.format,
                once.width,
                once.height
            )),
    );
}

// ---------------------------------------------------------------------------------------------
// Output: BENCHMARKS.md's generated section, and the scale plot.

const BEGIN: &str = "<!-- bench:begin (generated by `cargo run --release --example bench -- --write BENCHMARKS.md`) -->";
const END: &str = "<!-- bench:end -->";

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let commit = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    format!("{cores} cores, {cpu}; commit {commit}")
}

fn write_markdown(path: &Path, b: &Bench, scale: &[ScaleRow], total: Duration) {
    let mut s = String::new();
    let _ = writeln!(s, "{BEGIN}\n");
    let _ = writeln!(
        s,
        "Measured on {}; the whole bench ran in {:.0} s.\n",
        machine(),
        secs(total)
    );
    s.push_str("| figure | value | baseline | ratio | target | met |\n");
    s.push_str("| --- | ---: | --- | ---: | --- | --- |\n");
    for f in &b.figures {
        let base = f
            .baseline
            .as_ref()
            .map(|(v, of)| format!("{} {} ({of})", num(*v), f.unit))
            .unwrap_or_default();
        let ratio = f.ratio.map(|r| format!("{r:.2}×")).unwrap_or_default();
        let met = match f.met() {
            Some(true) => "yes",
            Some(false) => "**MISSED**",
            None => "",
        };
        let _ = writeln!(
            s,
            "| `{}` | {} {} | {base} | {ratio} | {} | {met} |",
            f.name,
            num(f.value),
            f.unit,
            f.target_text()
        );
    }
    let notes: Vec<&Figure> = b.figures.iter().filter(|f| !f.note.is_empty()).collect();
    if !notes.is_empty() {
        s.push('\n');
        for f in notes {
            let _ = writeln!(s, "- `{}`: {}", f.name, f.note);
        }
    }
    s.push_str("\n### Scale\n\n");
    s.push_str("| articles | first sync | per article | API calls | replay floor | no-op sync | hash floor | no-op / floor |\n");
    s.push_str("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for r in scale {
        let first = match &r.first {
            Some(f) => format!(
                "{:.0} ms | {:.1} ms | {} | {:.0} ms",
                f.ms,
                f.ms / r.n as f64,
                f.calls,
                f.replay_ms
            ),
            None => "not run (seeded) | | | ".to_string(),
        };
        let _ = writeln!(
            s,
            "| {} | {first} | {:.1} ms | {:.1} ms | {:.1}× |",
            r.n,
            r.noop_ms,
            r.hash_ms,
            r.noop_ms / r.hash_ms
        );
    }
    s.push_str("\n![Cost against the number of articles](benches/scale.svg)\n\n");
    let _ = writeln!(s, "{END}");
    let old = std::fs::read_to_string(path).unwrap_or_default();
    let new = match (old.find(BEGIN), old.find(END)) {
        (Some(a), Some(z)) if a < z => format!("{}{}{}", &old[..a], s, &old[z + END.len() + 1..]),
        _ => format!("{old}\n{s}"),
    };
    std::fs::write(path, new).expect("write BENCHMARKS.md");
}

/// A plot line: name, colour, (articles, ms) points.
type Series = (&'static str, &'static str, Vec<(f64, f64)>);

/// A log-log plot of wall time against articles: first sync, its replay floor, no-op sync and
/// the hash floor.
fn plot(scale: &[ScaleRow]) -> String {
    let (w, h, l, r, t, bm) = (640.0, 400.0, 70.0, 190.0, 30.0, 50.0);
    let xs: Vec<f64> = scale.iter().map(|r| r.n as f64).collect();
    let pick = |f: &dyn Fn(&ScaleRow) -> Option<f64>| -> Vec<(f64, f64)> {
        scale
            .iter()
            .filter_map(|r| f(r).map(|y| (r.n as f64, y)))
            .collect()
    };
    let series: [Series; 4] = [
        (
            "first sync",
            "#d62728",
            pick(&|r| r.first.as_ref().map(|f| f.ms)),
        ),
        (
            "replay floor",
            "#ff9896",
            pick(&|r| r.first.as_ref().map(|f| f.replay_ms)),
        ),
        ("no-op sync", "#1f77b4", pick(&|r| Some(r.noop_ms))),
        ("hash floor", "#aec7e8", pick(&|r| Some(r.hash_ms))),
    ];
    let all: Vec<f64> = series
        .iter()
        .flat_map(|s| s.2.iter().map(|p| p.1))
        .collect();
    let ymin = 10f64.powf(
        all.iter()
            .copied()
            .fold(f64::INFINITY, f64::min)
            .log10()
            .floor(),
    );
    let ymax = 10f64.powf(all.iter().copied().fold(0.0, f64::max).log10().ceil());
    let xmin = 10f64.powf(
        xs.iter()
            .copied()
            .fold(f64::INFINITY, f64::min)
            .log10()
            .floor(),
    );
    let xmax = 10f64.powf(xs.iter().copied().fold(0.0, f64::max).log10().ceil());
    let px = |x: f64| l + (x.log10() - xmin.log10()) / (xmax.log10() - xmin.log10()) * (w - l - r);
    let py =
        |y: f64| h - bm - (y.log10() - ymin.log10()) / (ymax.log10() - ymin.log10()) * (h - t - bm);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"{}\" y=\"18\" text-anchor=\"middle\" font-size=\"14\">wxsync sync: wall time against articles (log-log)</text>\n",
        (l + w - r) / 2.0
    );
    let mut y = ymin;
    while y <= ymax * 1.001 {
        let _ = writeln!(
            s,
            "<line x1=\"{l}\" x2=\"{x2}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#ddd\"/><text x=\"{tx}\" y=\"{ty:.1}\" text-anchor=\"end\">{label} ms</text>",
            x2 = w - r,
            yy = py(y),
            tx = l - 6.0,
            ty = py(y) + 4.0,
            label = num(y)
        );
        y *= 10.0;
    }
    let mut x = xmin;
    while x <= xmax * 1.001 {
        let _ = writeln!(
            s,
            "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{t}\" y2=\"{1}\" stroke=\"#ddd\"/><text x=\"{0:.1}\" y=\"{2}\" text-anchor=\"middle\">{3}</text>",
            px(x),
            h - bm,
            h - bm + 16.0,
            num(x)
        );
        x *= 10.0;
    }
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">articles</text>",
        (l + w - r) / 2.0,
        h - 10.0
    );
    for (i, (name, color, ys)) in series.iter().enumerate() {
        let pts: Vec<String> = ys
            .iter()
            .map(|(x, y)| format!("{:.1},{:.1}", px(*x), py(*y)))
            .collect();
        let _ = writeln!(
            s,
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{}\"/>",
            pts.join(" ")
        );
        for p in &pts {
            let (cx, cy) = p.split_once(',').unwrap_or(("0", "0"));
            let _ = writeln!(
                s,
                "<circle cx=\"{cx}\" cy=\"{cy}\" r=\"3\" fill=\"{color}\"/>"
            );
        }
        let ly = t + 20.0 + i as f64 * 20.0;
        let _ = writeln!(
            s,
            "<line x1=\"{0}\" x2=\"{1}\" y1=\"{ly}\" y2=\"{ly}\" stroke=\"{color}\" stroke-width=\"2\"/><text x=\"{2}\" y=\"{3}\">{name}</text>",
            w - r + 15.0,
            w - r + 40.0,
            w - r + 46.0,
            ly + 4.0
        );
    }
    s.push_str("</svg>\n");
    s
}
