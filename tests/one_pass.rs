//! Errors arrive in one run, not in rounds: an article with a misspelt key, a value of the
//! wrong type and a missing image reports all three at once, each at its `file:line`, from
//! `check`, `render`, `status` and `sync` alike (exit 2); every article's errors are shown;
//! a config with several independent errors reports them all; an error is never shown twice
//! and does not bring errors that only repeat it.

use std::path::Path;
use std::process::{Command, Output};

#[path = "support/site_copy.rs"]
mod site_copy;

use site_copy::example_site_copy;

const BIN: &str = env!("CARGO_BIN_EXE_wxsync");

fn run(site: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("-C")
        .arg(site)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("WECHAT_APPSECRET")
        .env_remove("WECHAT_ACCESS_TOKEN")
        .env_remove("WXSYNC_API_BASE")
        .output()
        .expect("run wxsync")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write(site: &Path, rel: &str, text: &str) {
    let p = site.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A front matter with a misspelt key (line 3), a bad value (line 4), and a missing image in
/// the body (line 7).
const THREE: &str = "---\ntitle: Three errors\nautor: me\nneed_open_comment: 7\n---\n\n![x](../images/nowhere.png)\n";
/// Another article with two bad values of its own (lines 3 and 4).
const TWO: &str =
    "---\ntitle: Two errors\npic_crop_1_1: 0_0_2_1\nonly_fans_can_comment: maybe\n---\n\ntext\n";

fn assert_all_reported(err: &str, what: &str) {
    for (at, text) in [
        ("articles/three.md:3:1", "unknown front matter key `autor`"),
        ("articles/three.md:4:1", "need_open_comment"),
        ("articles/three.md:7:1", "nowhere.png"),
        ("articles/two.md:3:1", "pic_crop_1_1"),
        ("articles/two.md:4:1", "only_fans_can_comment"),
    ] {
        assert!(err.contains(at), "{what}: no error at {at}:\n{err}");
        assert!(err.contains(text), "{what}: no `{text}`:\n{err}");
    }
    assert_eq!(
        err.matches("× error").count(),
        5,
        "{what}: five errors, each once:\n{err}"
    );
}

#[test]
fn check_reports_every_error_of_every_article_in_one_run() {
    let site = example_site_copy();
    write(site.path(), "articles/three.md", THREE);
    write(site.path(), "articles/two.md", TWO);
    let o = run(site.path(), &["check"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_all_reported(&err, "check");
    assert!(
        err.contains("2 with errors, 5 errors"),
        "the summary counts them all:\n{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn render_status_and_sync_report_them_all_too() {
    let site = example_site_copy();
    write(site.path(), "articles/three.md", THREE);
    write(site.path(), "articles/two.md", TWO);
    for args in [
        &["render"][..],
        &["status"],
        &["sync"],
        &["sync", "--dry-run"],
    ] {
        let o = run(site.path(), args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_all_reported(&err, &format!("{args:?}"));
    }
    // Nothing was written for the broken articles.
    assert!(!site.path().join(".wxsync/out/articles/three.json").exists());
}

#[test]
fn json_lists_each_error_with_its_line() {
    let site = example_site_copy();
    write(site.path(), "articles/three.md", THREE);
    let o = run(site.path(), &["check", "--json"]);
    assert_eq!(o.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let a = doc["articles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == "articles/three.md")
        .expect("the article is listed");
    assert!(
        a["payload"].is_null(),
        "an article with errors has no payload"
    );
    let mut lines: Vec<u64> = a["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().expect("a line"))
        .collect();
    lines.sort();
    assert_eq!(lines, [3, 4, 7], "{a}");
}

/// A misspelt title, cover or type is not also "no title", "no cover": those would only
/// repeat the error the user has to fix.
#[test]
fn an_error_does_not_bring_errors_that_repeat_it() {
    let site = example_site_copy();
    // No defaults.cover, so that a missing cover would be an error of its own.
    let cfg = std::fs::read_to_string(site.path().join("wxsync.yaml")).unwrap();
    let cfg: String = cfg
        .lines()
        .filter(|l| !l.trim_start().starts_with("cover:"))
        .map(|l| format!("{l}\n"))
        .collect();
    write(site.path(), "wxsync.yaml", &cfg);
    write(
        site.path(),
        "articles/typos.md",
        "---\ntitel: Hello\ncovr: ../images/default-cover.jpg\n---\n\ntext\n",
    );
    write(
        site.path(),
        "articles/types.md",
        "---\ntitle: [a, b]\ncover: {x: 1}\n---\n\ntext\n",
    );
    let o = run(site.path(), &["check"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    for at in [
        "articles/typos.md:2:1",
        "articles/typos.md:3:1",
        "articles/types.md:2",
        "articles/types.md:3",
    ] {
        assert!(err.contains(at), "no error at {at}:\n{err}");
    }
    assert!(err.contains("did you mean `title`?"), "{err}");
    assert!(err.contains("did you mean `cover`?"), "{err}");
    // Each error block of the two articles (other articles of the site lose their cover).
    let blocks: Vec<&str> = err
        .split("× error")
        .filter(|b| b.contains("typos.md:") || b.contains("types.md:"))
        .collect();
    assert_eq!(blocks.len(), 4, "four errors, no more:\n{err}");
    for b in &blocks {
        assert!(
            !b.contains("has no title") && !b.contains("has no cover"),
            "no error that repeats another:\n{b}"
        );
    }
}

#[test]
fn config_errors_are_reported_together() {
    let site = example_site_copy();
    write(
        site.path(),
        "wxsync.yaml",
        "articles: [\"articles/**/*.md\"]\nthemes: ink\nlinks: sometimes\ncode_theme: Nope\ndefaults:\n  autor: x\n  need_open_comment: 7\nimages:\n  timeout: 0\n  remote: sometimes\n",
    );
    let o = run(site.path(), &["check"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    for (at, text) in [
        ("wxsync.yaml:2:1", "unknown key `themes`"),
        ("wxsync.yaml:3:", "sometimes"),
        ("wxsync.yaml:6:3", "unknown key `defaults.autor`"),
        ("wxsync.yaml:7:3", "defaults.need_open_comment"),
        ("wxsync.yaml:9:3", "images.timeout"),
        ("wxsync.yaml:10:3", "images.remote"),
    ] {
        assert!(err.contains(at), "no error at {at}:\n{err}");
        assert!(err.contains(text), "no `{text}`:\n{err}");
    }
    assert!(
        err.contains("unknown code_theme `Nope`"),
        "the code theme is checked in the same run:\n{err}"
    );
    assert_eq!(
        err.matches("error:").count(),
        7,
        "seven errors, each once:\n{err}"
    );
}
