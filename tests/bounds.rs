//! Hostile articles, through `wxsync check` as a user runs it: small files that cost minutes or
//! gigabytes before their work was bounded (each built large enough that the old quadratic
//! cost would take far longer than these tests do), and raw HTML that never closes, which
//! must not hide the rest of the article. Each test asserts what the user sees: an error
//! naming the limit and the line, or a clean check with the text kept.
//! Timings are the benchmark's (`cargo run --release --example hostile`), not these tests'.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use wxsync::render::theme::BUILTIN;
use wxsync::render::{Renderer, Theme, render_text};
use wxsync::site::LinkMode;

const BIN: &str = env!("CARGO_BIN_EXE_wxsync");

/// Far more than any of these takes once bounded; only a run that never ends hits it.
const HANG: Duration = Duration::from_secs(120);

/// A site holding one article, `articles/a.md`, with `text` after a front matter of a title
/// and a cover id. The front matter is 4 lines: the body starts on line 5.
fn site_with(text: &str) -> tempfile::TempDir {
    site_raw(&format!("---\ntitle: t\nthumb_media_id: M\n---\n{text}"))
}

fn site_raw(article: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("wxsync.yaml"),
        "articles: [\"articles/**/*.md\"]\n",
    )
    .expect("config");
    std::fs::create_dir(dir.path().join("articles")).expect("mkdir");
    std::fs::write(dir.path().join("articles/a.md"), article).expect("article");
    dir
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// `wxsync check` (with `--json` when asked), stopped if it hangs.
fn check(site: &Path, json: bool) -> Run {
    let mut c = Command::new(BIN);
    c.args(["check", "--color", "never", "--site"]).arg(site);
    if json {
        c.arg("--json");
    }
    let mut child = c
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run wxsync");
    // Read both streams as the run goes, so a full pipe cannot stall it.
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > HANG {
            let _ = child.kill();
            let _ = child.wait();
            panic!("wxsync check did not finish in {HANG:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code(),
        stdout: reader.join().expect("stdout reader"),
        stderr: err_reader.join().expect("stderr reader"),
    }
}

/// Asserts a refusal: exit 2, and a message holding each of `needles`.
fn refused(site: &Path, needles: &[&str]) -> String {
    let r = check(site, false);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    for n in needles {
        assert!(r.stderr.contains(n), "`{n}` not in:\n{}", r.stderr);
    }
    r.stderr
}

fn json(r: &Run) -> Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout))
}

// --- Item 8: bounded work.

#[test]
fn an_article_over_the_source_cap_is_refused_before_rendering() {
    let site = site_with(&"word ".repeat(400_001));
    let err = refused(
        site.path(),
        &["articles/a.md", "at most 2000000 bytes", "split it"],
    );
    // Nothing was rendered: no complaint about its text.
    assert!(!err.contains("WeChat takes fewer than"), "{err}");
}

#[test]
fn raw_html_nested_too_deep_is_refused_at_its_line() {
    // 40,000 levels: html5ever's cost grows with the square of the depth.
    for (name, unit) in [("div", "<div>"), ("ul-li", "<ul><li>x")] {
        let site = site_with(&format!("intro\n\n{}\n", unit.repeat(40_000)));
        refused(
            site.path(),
            &[
                "articles/a.md:7:1",
                "raw HTML nests elements more than 100 deep",
            ],
        );
        let _ = name;
    }
    // An element left open again and again in one paragraph nests as deep.
    let site = site_with(&format!("para {}\n", "<b>x ".repeat(40_000)));
    refused(site.path(), &["articles/a.md:5:", "more than 100 deep"]);
}

#[test]
fn raw_html_just_under_the_depth_cap_checks_clean() {
    let site = site_with(&format!(
        "{}deep{}\n\nafter\n",
        "<div>".repeat(95),
        "</div>".repeat(95)
    ));
    let r = check(site.path(), true);
    assert_eq!(r.code, Some(0), "{}", r.stdout);
    let content = json(&r)["articles"][0]["payload"]["content"].to_string();
    assert!(
        content.contains("deep") && content.contains("after"),
        "{content}"
    );
}

#[test]
fn markdown_nested_too_deep_is_refused_at_its_line() {
    let site = site_with(&format!("intro\n\n{} x\n", ">".repeat(200_000)));
    refused(
        site.path(),
        &["articles/a.md:7:33", "nest more than 32 deep"],
    );
    let list: String = (0..40)
        .map(|i| format!("{}- x\n", "  ".repeat(i)))
        .collect();
    let site = site_with(&list);
    refused(
        site.path(),
        &["articles/a.md:37:", "nest more than 32 deep"],
    );
}

#[test]
fn front_matter_over_its_caps_is_refused() {
    let keys =
        |n: usize, pad: &str| -> String { (0..n).map(|i| format!("key{i}: {pad}\n")).collect() };
    // 40,000 keys, over the bytes cap.
    let site = site_raw(&format!("---\ntitle: t\n{}---\nbody\n", keys(40_000, "v")));
    refused(
        site.path(),
        &[
            "articles/a.md:1:1",
            "the front matter is",
            "the limit is 65536",
        ],
    );
    // Under 64 KB, over the keys cap.
    let site = site_raw(&format!("---\ntitle: t\n{}---\nbody\n", keys(5_000, "1")));
    refused(site.path(), &["articles/a.md:1:1", "more than 1000 keys"]);
    // A few lines of aliases that stand for millions of values.
    let mut bomb = String::from("---\ntitle: t\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..8 {
        let p = i - 1;
        let refs = vec![format!("*a{p}"); 10].join(", ");
        bomb.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    bomb.push_str("---\nbody\n");
    refused(
        site_raw(&bomb).path(),
        &["articles/a.md:1:1", "more than 10000 values"],
    );
}

#[test]
fn front_matter_just_under_its_caps_checks_clean() {
    // 998 keys wxsync ignores (and one warning naming them), under 64 KB.
    let keys: String = (0..998)
        .map(|i| format!("key{i}: {}\n", "v".repeat(50)))
        .collect();
    let site = site_raw(&format!(
        "---\ntitle: t\nthumb_media_id: M\n{keys}---\nbody\n"
    ));
    let r = check(site.path(), false);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stderr.contains("key997"), "{}", r.stderr);
}

#[test]
fn many_near_miss_keys_are_each_located() {
    // Near misses of `title`, each an error at its own line: one scan of the YAML places all.
    let names: Vec<String> = (0..26 * 26)
        .map(|i| {
            format!(
                "tit{}{}",
                char::from(b'a' + (i / 26) as u8),
                char::from(b'a' + (i % 26) as u8)
            )
        })
        .filter(|n| n != "title")
        .collect();
    let fm: String = names.iter().map(|n| format!("{n}: v\n")).collect();
    let site = site_raw(&format!(
        "---\ntitle: t\nthumb_media_id: M\n{fm}---\nbody\n"
    ));
    let r = check(site.path(), true);
    assert_eq!(r.code, Some(2), "{}", r.stdout);
    let errors = json(&r)["articles"][0]["errors"].clone();
    let first = &errors[0];
    assert_eq!(first["line"], 4, "{first}");
    assert!(
        first["message"].as_str().unwrap_or("").contains(&names[0]),
        "{first}"
    );
}

#[test]
fn an_html_flood_stops_at_wechats_limit() {
    // A list of 300,000 items makes about 75 MB of HTML; writing stops once it passes 1 MB.
    let site = site_with(&"- x\n".repeat(300_000));
    refused(
        site.path(),
        &["articles/a.md:", "passes WeChat's limit of 1000000 bytes"],
    );
}

#[test]
fn a_huge_code_block_is_refused_for_its_size() {
    let site = site_with(&format!("```rust\n{}\n```\n", "let x = 1; ".repeat(90_000)));
    refused(site.path(), &["articles/a.md:", "1000000"]);
}

/// The HTML of `body` rendered through the library (errors or not), without the article's
/// wrapping `<section>`.
fn render_body(body: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let theme = Theme::parse("default", BUILTIN[0].1, "default").expect("theme");
    let renderer = Renderer::with(
        dir.path(),
        theme,
        "InspiredGitHub",
        LinkMode::Footnotes,
        Default::default(),
    )
    .expect("renderer");
    let text = format!("---\ntitle: t\nthumb_media_id: M\n---\n{body}");
    let html = render_text(dir.path(), "a.md", &text, &renderer)
        .expect("renders")
        .payload
        .content;
    let inner = html.split_once('>').map_or("", |(_, rest)| rest);
    inner
        .strip_suffix("</section>")
        .unwrap_or(inner)
        .to_string()
}

#[test]
fn code_past_wechats_text_limit_is_written_without_colours() {
    // 40,000 characters of code: the article is refused for its text whatever colour the
    // code has, so only what fits WeChat's 20,000 is highlighted.
    let line = "let value = compute(1, 2); // a comment\n";
    let html = render_body(&format!("```rust\n{}```\n", line.repeat(1_000)));
    let (head, tail) = html.split_at(html.len() / 2);
    assert!(head.contains("<span style=\"color:"), "{}", &head[..400]);
    let last = &tail[tail.len() - tail.len() / 4..];
    assert!(!last.contains("<span"), "{}", &last[..400]);
    assert!(
        last.contains("let&nbsp;value&nbsp;=&nbsp;compute(1,&nbsp;2);"),
        "{last:.400}"
    );
}

#[test]
fn raw_blocks_sanitized_together_come_out_as_one_by_one() {
    // Blocks that leave nothing open share one sanitizer pass; the others go alone. Either
    // way each comes out as it would on its own.
    let blocks = [
        "<b>x</b>",
        "<span style=\"color:red;position:fixed\">y</span> tail",
        "<p>para</p>",
        "<div><i>z</i><br></div>",
        "<x>",
        "plain *text*",
        "<center>c</center> and <sup>1</sup>",
        "<p>unclosed",
        "<table><tr><td>cell</td></tr></table>",
        "<!-- c --> <u>u</u>",
        "- item <b>b</b>\n- two",
        "<span onclick=\"alert(1)\">s</span>",
    ];
    let all: Vec<&str> = blocks
        .iter()
        .chain(&blocks)
        .chain(&blocks)
        .copied()
        .collect();
    let together = render_body(&all.iter().map(|b| format!("{b}\n\n")).collect::<String>());
    let apart: String = all
        .iter()
        .map(|b| render_body(&format!("{b}\n\n")))
        .collect();
    assert_eq!(together, apart);
    assert!(!together.contains("onclick") && !together.contains("position"));
}

#[test]
fn many_links_and_footnotes_keep_their_numbers() {
    // One number per distinct URL, a footnote's number at first use; with 20,000 of each
    // (a search of every earlier one per link was quadratic).
    let mut body = String::new();
    for i in 0..20_000 {
        body.push_str(&format!("[a](https://e.com/{i}) x[^n{i}] "));
    }
    body.push_str("[again](https://e.com/7)\n\n");
    for i in 0..20_000 {
        body.push_str(&format!("[^n{i}]: note {i}\n"));
    }
    let site = site_with(&body);
    let r = check(site.path(), false);
    // Far past WeChat's limits, and so refused; what matters is that it ends, naming them.
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("1000000"), "{}", r.stderr);
}

#[test]
fn a_problem_repeated_on_every_line_is_reported_a_hundred_times() {
    let body: String = (0..30_000)
        .map(|i| format!("![](missing{i}.png)\n"))
        .collect();
    let site = site_with(&body);
    let r = check(site.path(), true);
    assert_eq!(r.code, Some(2), "{}", r.stdout);
    let errors = json(&r)["articles"][0]["errors"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(errors.len(), 101, "{errors:?}");
    assert_eq!(errors[0]["line"], 5);
    let last = errors[100]["message"].as_str().unwrap_or("");
    assert!(
        last.contains("more problems in this article are not shown"),
        "{last}"
    );
}

#[test]
fn a_problem_on_a_very_long_line_is_reported_not_a_crash() {
    // The code frame quoted the whole line, and its renderer panicked past 65,535 columns.
    let site = site_with(&format!("{} ![](missing.png)\n", "word ".repeat(20_000)));
    refused(site.path(), &["articles/a.md:5:100002", "missing.png"]);
}

#[test]
fn many_small_raw_blocks_left_open_are_refused() {
    // Each block that leaves an element open is sanitized alone, at a cost per pass.
    let site = site_with(&"<x>\n\n".repeat(30_000));
    refused(
        site.path(),
        &[
            "articles/a.md:",
            "more than 20000 blocks of raw HTML leave an element open",
        ],
    );
}

// --- Item 9: raw HTML that never closes keeps the rest of the article.

/// `opener` on line 7 of `articles/a.md`, never closed, with text after it: `check` warns at
/// line 7 and keeps the text, and the payload holds everything after it.
fn unclosed_keeps_the_rest(opener: &str, shown: &str) {
    let site = site_with(&format!(
        "before\n\n{opener} forgotten\n\n# Heading after\n\nThe **last** paragraph.\n"
    ));
    let r = check(site.path(), true);
    assert_eq!(r.code, Some(0), "{opener}: {}", r.stdout);
    let doc = json(&r);
    let article = &doc["articles"][0];
    let content = article["payload"]["content"]
        .as_str()
        .unwrap_or("")
        .to_string();
    for kept in ["before", "Heading after", "<strong", "last", "paragraph."] {
        assert!(content.contains(kept), "{opener}: `{kept}` lost: {content}");
    }
    assert!(!content.contains("forgotten"), "{opener}: {content}");
    let warnings = article["warnings"].as_array().cloned().unwrap_or_default();
    let w = warnings
        .iter()
        .find(|w| {
            w["message"]
                .as_str()
                .is_some_and(|m| m.contains("is never closed"))
        })
        .unwrap_or_else(|| panic!("{opener}: no warning in {warnings:?}"));
    assert_eq!(w["line"], 7, "{opener}: {w}");
    assert_eq!(w["column"], 1, "{opener}: {w}");
    assert!(
        w["message"].as_str().unwrap_or("").contains(shown),
        "{opener}: {w}"
    );
    // The terminal shows the same, at `file:line:column`.
    let text = check(site.path(), false);
    assert_eq!(text.code, Some(0), "{}", text.stderr);
    assert!(text.stderr.contains("articles/a.md:7:1"), "{}", text.stderr);
}

#[test]
fn an_unclosed_comment_keeps_the_rest() {
    unclosed_keeps_the_rest("<!--", "`<!--` is never closed with `-->`");
}

#[test]
fn an_unclosed_script_keeps_the_rest() {
    unclosed_keeps_the_rest("<script>", "`<script>` is never closed with `</script>`");
}

#[test]
fn an_unclosed_style_keeps_the_rest() {
    unclosed_keeps_the_rest("<style>", "`<style>` is never closed with `</style>`");
}

#[test]
fn an_unclosed_textarea_keeps_the_rest() {
    unclosed_keeps_the_rest("<textarea>", "`<textarea>` is never closed");
}

#[test]
fn an_unclosed_processing_instruction_keeps_the_rest() {
    unclosed_keeps_the_rest("<?php", "`<?` is never closed with `?>`");
}

#[test]
fn an_unclosed_cdata_keeps_the_rest() {
    unclosed_keeps_the_rest("<![CDATA[", "`<![CDATA[` is never closed with `]]>`");
}

#[test]
fn an_unclosed_opener_in_a_list_or_quote_keeps_the_rest_of_it() {
    for (body, line) in [
        ("- one\n- <!-- two\n\n  still two\n- three\n", 6),
        ("> quote\n>\n> <script>\n>\n> more quote\n\nafter\n", 7),
    ] {
        let site = site_with(body);
        let r = check(site.path(), true);
        assert_eq!(r.code, Some(0), "{body}: {}", r.stdout);
        let doc = json(&r);
        let content = doc["articles"][0]["payload"]["content"].to_string();
        for kept in ["still two", "three", "more quote", "after"] {
            if body.contains(kept) {
                assert!(content.contains(kept), "{body}: `{kept}` lost: {content}");
            }
        }
        let warnings = doc["articles"][0]["warnings"].to_string();
        assert!(
            warnings.contains(&format!("\"line\":{line}")),
            "{body}: {warnings}"
        );
    }
}

#[test]
fn a_block_closed_in_another_case_ends_there_without_a_warning() {
    let site = site_with("<SCRIPT>\nalert(1)\n</SCRIPT>\n\nafter the script\n");
    let r = check(site.path(), true);
    assert_eq!(r.code, Some(0), "{}", r.stdout);
    let doc = json(&r);
    let content = doc["articles"][0]["payload"]["content"].to_string();
    assert!(content.contains("after the script"), "{content}");
    assert!(!content.contains("alert"), "{content}");
    assert!(
        !doc["articles"][0]["warnings"]
            .to_string()
            .contains("never closed")
    );
}

#[test]
fn closed_raw_html_blocks_are_left_alone() {
    let site = site_with("<!-- a\nmultiline comment -->\n\n<pre>\nkept  code\n</pre>\n\nafter\n");
    let r = check(site.path(), true);
    assert_eq!(r.code, Some(0), "{}", r.stdout);
    let doc = json(&r);
    let content = doc["articles"][0]["payload"]["content"].to_string();
    assert!(!content.contains("multiline"), "{content}");
    assert!(
        content.contains("kept&nbsp;&nbsp;code") && content.contains("after"),
        "{content}"
    );
    assert!(
        !doc["articles"][0]["warnings"]
            .to_string()
            .contains("never closed")
    );
}

#[test]
fn too_many_unclosed_blocks_are_an_error() {
    let site = site_with(&"<!-- open\n\ntext\n\n".repeat(12));
    refused(
        site.path(),
        &[
            "more than 8 raw HTML blocks are never closed",
            "articles/a.md:37:1",
        ],
    );
}
