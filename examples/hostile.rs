//! Hostile articles: small files that used to cost minutes or gigabytes. Each case is generated
//! just under the limit that applies to it (the 2 MB source cap, or the front-matter caps) and
//! checked by the release `wxsync` binary in a site of its own, under `/usr/bin/time`.
//!
//! ```sh
//! cargo build --release --bin wxsync
//! cargo run --release --example hostile                  # every case, 3 runs each
//! cargo run --release --example hostile -- --runs 5 --only ul-li,div
//! cargo run --release --example hostile -- --bin path/to/wxsync   # another build
//! cargo run --release --example hostile -- --timeout 60  # stop a run after 60 s (default)
//! cargo run --release --example hostile -- --dump DIR     # write each case's site, run none
//! ```
//!
//! Prints one line per case: its size, the exit code, the median wall time and peak RSS, and
//! the first line wxsync printed. Exits 1 when a case misses the target (2 s and 200 MB) or
//! fails in a way a user should never see (a crash, a signal).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every article under the source cap checks within these (issue: bounded work).
const TARGET_S: f64 = 2.0;
const TARGET_MB: f64 = 200.0;
/// Hostile bodies are built up to this many bytes: just under the 2,000,000-byte cap.
const NEAR_CAP: usize = 1_990_000;

struct Case {
    name: &'static str,
    what: &'static str,
    text: String,
}

fn front(title: &str) -> String {
    format!("---\ntitle: {title}\nthumb_media_id: MEDIA_ID\n---\n\n")
}

/// `unit(i)` repeated until the article reaches `size` bytes, between `head` and `tail`.
fn fill(head: &str, size: usize, tail: &str, mut unit: impl FnMut(usize) -> String) -> String {
    let mut s = String::with_capacity(size + 64);
    s.push_str(head);
    let mut i = 0;
    loop {
        let u = unit(i);
        if s.len() + u.len() + tail.len() > size {
            break;
        }
        s.push_str(&u);
        i += 1;
    }
    s.push_str(tail);
    s
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let mut add = |name, what, text| out.push(Case { name, what, text });
    add(
        "ul-li",
        "raw <ul><li> nested, one HTML block",
        fill(&front("ul"), NEAR_CAP, "\n", |_| "<ul><li>x".into()),
    );
    add(
        "div",
        "raw <div> nested, one HTML block",
        fill(&front("div"), NEAR_CAP, "\n", |_| "<div>".into()),
    );
    add(
        "b-unclosed",
        "raw <b> opened and never closed, one paragraph",
        fill(&front("b"), NEAR_CAP, "\n", |_| "<b>x ".into()),
    );
    add("fm-keys", "front matter of 40,000 keys", {
        let mut s = String::from("---\ntitle: t\nthumb_media_id: M\n");
        for i in 0..40_000 {
            let _ = writeln!(s, "key{i}: v");
        }
        s.push_str("---\nbody\n");
        s
    });
    add(
        "fm-near-miss",
        "front matter of 675 near misses of `title` (each an error)",
        {
            let mut s = String::from("---\ntitle: t\nthumb_media_id: M\n");
            for i in 0..26 * 26 {
                let (a, b) = (b'a' + (i / 26) as u8, b'a' + (i % 26) as u8);
                if (a, b) != (b'l', b'e') {
                    let _ = writeln!(s, "tit{}{}: v", char::from(a), char::from(b));
                }
            }
            s.push_str("---\nbody\n");
            s
        },
    );
    add(
        "fm-keys-small",
        "front matter of 5,000 short keys (under 64 KB)",
        {
            let mut s = String::from("---\ntitle: t\nthumb_media_id: M\n");
            for i in 0..5_000 {
                let _ = writeln!(s, "k{i}: 1");
            }
            s.push_str("---\nbody\n");
            s
        },
    );
    add(
        "fm-alias-bomb",
        "front matter of aliases that expand to 10^8 values",
        {
            let mut s = String::from(
                "---\ntitle: t\nthumb_media_id: M\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n",
            );
            for i in 1..8 {
                let refs = vec![format!("*a{}", i - 1); 10].join(", ");
                let _ = writeln!(s, "a{i}: &a{i} [{refs}]");
            }
            s.push_str("---\nbody\n");
            s
        },
    );
    add(
        "fm-under-cap",
        "front matter just under its caps (64 KB, 1,000 keys)",
        {
            let mut s = String::from("---\ntitle: t\nthumb_media_id: M\n");
            let pad = "v".repeat(55);
            for i in 0..990 {
                let _ = writeln!(s, "key{i}: {pad}");
            }
            s.push_str("---\nbody\n");
            s
        },
    );
    add(
        "code-line",
        "one line of Rust code in a fence",
        fill(&front("code"), NEAR_CAP, "\n```\n", |i| {
            if i == 0 {
                "```rust\n".into()
            } else {
                "let x = 1; ".into()
            }
        }),
    );
    add(
        "code-lines",
        "Rust code, ordinary lines, one fence",
        fill(&front("code"), NEAR_CAP, "```\n", |i| {
            if i == 0 {
                "```rust\n".into()
            } else {
                format!("fn f{i}(x: u32) -> u32 {{ x + {i} }} // n\n")
            }
        }),
    );
    add(
        "md-list",
        "Markdown list nested as deep as the size allows",
        fill(&front("list"), NEAR_CAP, "", |i| {
            format!("{}- x\n", "  ".repeat(i))
        }),
    );
    add(
        "md-quote",
        "Markdown block quotes nested on one line",
        fill(&front("quote"), NEAR_CAP, " x\n", |_| ">".into()),
    );
    add(
        "links",
        "distinct external links",
        fill(&front("links"), NEAR_CAP, "\n", |i| {
            format!("[a](https://e.com/{i}) ")
        }),
    );
    add(
        "footnotes",
        "footnotes, each referenced and defined",
        fill(&front("notes"), NEAR_CAP, "", |i| {
            format!("x[^n{i}]\n\n[^n{i}]: y\n\n")
        }),
    );
    add(
        "raw-blocks",
        "small raw HTML blocks, one per paragraph",
        fill(&front("blocks"), NEAR_CAP, "", |_| "<b>x</b>\n\n".into()),
    );
    add(
        "raw-empty-blocks",
        "raw HTML blocks the sanitizer empties, one per paragraph",
        fill(&front("empty"), NEAR_CAP, "", |_| "<x>\n\n".into()),
    );
    add(
        "raw-images",
        "remote <img> in one HTML block",
        fill(&front("imgs"), NEAR_CAP, "\n", |i| {
            format!("<img src=\"https://e.com/{i}.png\">")
        }),
    );
    add(
        "md-images-missing",
        "Markdown images of missing files (each an error)",
        fill(&front("missing"), NEAR_CAP, "", |i| {
            format!("![](m{i}.png)\n")
        }),
    );
    add(
        "unclosed-comments",
        "`<!--` openers that never close, one per line",
        fill(&front("comments"), NEAR_CAP, "", |_| "<!--\nx\n".into()),
    );
    add(
        "inline-spans",
        "balanced inline <span>s in one paragraph",
        fill(&front("spans"), NEAR_CAP, "\n", |_| {
            "<span>x</span> ".into()
        }),
    );
    add(
        "emphasis",
        "unmatched emphasis and brackets",
        fill(&front("em"), NEAR_CAP, "\n", |_| "*a **b [c _d ".into()),
    );
    add(
        "table",
        "one table of many rows",
        fill(&front("table"), NEAR_CAP, "", |i| {
            if i == 0 {
                "| a | b | c |\n|---|---|---|\n".into()
            } else {
                "| x | y | z |\n".into()
            }
        }),
    );
    add("table-wide", "one table row of many columns", {
        let cols = (NEAR_CAP - 200) / 4;
        let mut s = front("wide");
        s.push_str(&"|a".repeat(cols));
        s.push_str("|\n");
        s.push_str(&"|-".repeat(cols));
        s.push_str("|\n");
        s
    });
    add(
        "brackets",
        "unclosed link brackets",
        fill(&front("brackets"), NEAR_CAP, "\n", |_| "[".into()),
    );
    add(
        "nested-emphasis",
        "emphasis nested as deep as the size allows",
        {
            let n = (NEAR_CAP - 100) / 2;
            format!("{}{}x{}\n", front("em"), "*".repeat(n), "*".repeat(n))
        },
    );
    // The issue's own figures, at its sizes.
    add(
        "issue-ul-li-720k",
        "the issue's nested <ul><li>, 720 KB",
        fill(&front("ul"), 720_000, "\n", |_| "<ul><li>x".into()),
    );
    add(
        "issue-div-880k",
        "the issue's nested <div>, 880 KB",
        fill(&front("div"), 880_000, "\n", |_| "<div>".into()),
    );
    add(
        "code-line-15mb",
        "one line of code, 15 MB (under the old 16 MB read cap)",
        fill(&front("code"), 15_000_000, "\n```\n", |i| {
            if i == 0 {
                "```rust\n".into()
            } else {
                "let x = 1; ".into()
            }
        }),
    );
    add(
        "issue-code-20mb",
        "the issue's one line of code, 20 MB (over the source cap)",
        fill(&front("code"), 20_000_000, "\n```\n", |i| {
            if i == 0 {
                "```rust\n".into()
            } else {
                "let x = 1; ".into()
            }
        }),
    );
    add(
        "over-cap",
        "an article over the 2 MB source cap",
        fill(&front("big"), 2_100_000, "", |_| "word ".into()),
    );
    out
}

struct Run {
    code: Option<i32>,
    secs: f64,
    mb: f64,
    first: String,
}

fn run_once(bin: &Path, site: &Path, timeout: u64) -> Run {
    // `timeout` stops a run that would take minutes (the figures before the fix); time
    // measures it with its child.
    let out = Command::new("/usr/bin/time")
        .args(["-f", "\n@@time %e %M", "timeout", "-s", "KILL"])
        .arg(timeout.to_string())
        .arg(bin)
        .args(["check", "--color", "never", "--site"])
        .arg(site)
        .env("NO_COLOR", "1")
        .output()
        .expect("run /usr/bin/time");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let (secs, mb) = stderr
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("@@time "))
        .and_then(|t| {
            let mut p = t.split_whitespace();
            let s: f64 = p.next()?.parse().ok()?;
            let kb: f64 = p.next()?.parse().ok()?;
            Some((s, kb / 1024.0))
        })
        .unwrap_or((f64::NAN, f64::NAN));
    // `/usr/bin/time` reports a signal as "Command terminated by signal N".
    let code = if stderr.contains("terminated by signal") || out.status.code() == Some(137) {
        None
    } else {
        out.status.code()
    };
    let first = stderr
        .lines()
        .map(str::trim)
        .find(|l| {
            l.starts_with("error")
                || l.starts_with("warning")
                || l.starts_with('×')
                || l.starts_with('⚠')
        })
        .unwrap_or("")
        .chars()
        .take(110)
        .collect();
    Run {
        code,
        secs,
        mb,
        first,
    }
}

/// A site of one article, `articles/a.md`.
fn write_site(dir: &Path, article: &str) {
    std::fs::create_dir_all(dir.join("articles")).expect("mkdir");
    std::fs::write(
        dir.join("wxsync.yaml"),
        "articles: [\"articles/**/*.md\"]\n",
    )
    .expect("config");
    std::fs::write(dir.join("articles/a.md"), article).expect("article");
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut runs = 3;
    let mut only: Option<Vec<String>> = None;
    let mut bin: Option<PathBuf> = None;
    let mut timeout = 60;
    let mut dump: Option<PathBuf> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--runs" => runs = it.next().and_then(|n| n.parse().ok()).unwrap_or(3),
            "--only" => {
                only = it
                    .next()
                    .map(|s| s.split(',').map(str::to_string).collect())
            }
            "--bin" => bin = it.next().map(PathBuf::from),
            "--dump" => dump = it.next().map(PathBuf::from),
            "--timeout" => timeout = it.next().and_then(|n| n.parse().ok()).unwrap_or(60),
            other => {
                eprintln!("unknown argument {other}");
                std::process::exit(2);
            }
        }
    }
    if let Some(dir) = dump {
        for case in cases() {
            let site = dir.join(case.name);
            write_site(&site, &case.text);
        }
        return;
    }
    // The binary next to this example: target/release/examples/hostile → target/release/wxsync.
    let bin = bin.unwrap_or_else(|| {
        let me = std::env::current_exe().expect("current exe");
        me.parent()
            .and_then(Path::parent)
            .map(|d| d.join("wxsync"))
            .expect("target dir")
    });
    assert!(bin.is_file(), "no wxsync binary at {}", bin.display());
    let mut missed = Vec::new();
    println!(
        "{:<18} {:>9} {:>4} {:>8} {:>8}  first line  ({} runs, {})",
        "case",
        "bytes",
        "exit",
        "wall s",
        "RSS MB",
        runs,
        bin.display()
    );
    for case in cases() {
        if only
            .as_ref()
            .is_some_and(|o| !o.iter().any(|n| n == case.name))
        {
            continue;
        }
        let site = tempfile::tempdir().expect("tempdir");
        write_site(site.path(), &case.text);
        let all: Vec<Run> = (0..runs)
            .map(|_| run_once(&bin, site.path(), timeout))
            .collect();
        let secs = median(all.iter().map(|r| r.secs).collect());
        let mb = median(all.iter().map(|r| r.mb).collect());
        let last = &all[all.len() - 1];
        let code = last.code.map_or("sig".to_string(), |c| c.to_string());
        println!(
            "{:<18} {:>9} {:>4} {:>8.2} {:>8.1}  {}",
            case.name,
            case.text.len(),
            code,
            secs,
            mb,
            last.first
        );
        let crashed = !matches!(last.code, Some(0..=2));
        if case.text.len() <= 2_000_000 && (secs.is_nan() || secs > TARGET_S || mb > TARGET_MB)
            || crashed
        {
            missed.push(format!(
                "{} ({}): {secs:.2} s, {mb:.0} MB, exit {code}",
                case.name, case.what
            ));
        }
    }
    if !missed.is_empty() {
        eprintln!("missed the target ({TARGET_S} s, {TARGET_MB} MB):");
        for m in &missed {
            eprintln!("  {m}");
        }
        std::process::exit(1);
    }
}
