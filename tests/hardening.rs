//! Hostile sites: files that lead outside the site, files that are not files, and secrets
//! that must never reach the terminal or `--json`, whatever file they come from.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

#[path = "support/site_copy.rs"]
mod site_copy;

use site_copy::example_site_copy;

const BIN: &str = env!("CARGO_BIN_EXE_wxsync");
const SECRET: &str = "appsecret-9f1c2e7d4b-hardening";

fn check(site: &Path, json: bool) -> Output {
    let mut c = Command::new(BIN);
    c.arg("check").arg("--site").arg(site);
    if json {
        c.arg("--json");
    }
    c.env("NO_COLOR", "1")
        .env("WECHAT_APPSECRET", SECRET)
        .env("WECHAT_ACCESS_TOKEN", "token-4e8a1b-hardening-value")
        .output()
        .expect("run wxsync")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn no_secret(o: &Output) {
    let all = text(o);
    assert!(!all.contains(SECRET), "the AppSecret was printed:\n{all}");
    assert!(
        !all.contains("token-4e8a1b-hardening-value"),
        "the token was printed:\n{all}"
    );
}

#[cfg(unix)]
#[test]
fn an_article_linked_outside_the_site_is_refused() {
    let site = example_site_copy();
    let outside = tempfile::tempdir().expect("tempdir");
    let target = outside.path().join("private.md");
    std::fs::write(
        &target,
        "---\ntitle: private\n---\nprivate words outside the site\n",
    )
    .expect("write");
    std::os::unix::fs::symlink(&target, site.path().join("articles/linked.md")).expect("link");
    for json in [false, true] {
        let o = check(site.path(), json);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        let all = text(&o);
        assert!(all.contains("articles/linked.md"), "{all}");
        assert!(all.contains("leads outside the site"), "{all}");
        assert!(!all.contains("private words"), "{all}");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn an_article_linked_to_the_environment_prints_no_secret() {
    let site = example_site_copy();
    std::os::unix::fs::symlink("/proc/self/environ", site.path().join("articles/env.md"))
        .expect("link");
    for json in [false, true] {
        let o = check(site.path(), json);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains("articles/env.md"), "{}", text(&o));
        no_secret(&o);
    }
}

/// The second layer: a file inside the site that holds a secret, quoted in a code frame.
#[test]
fn code_frames_never_show_a_secret() {
    let site = example_site_copy();
    std::fs::write(
        site.path().join("articles/leak.md"),
        format!("---\ntitle: t\nautor: {SECRET}\n---\nbody with token-4e8a1b-hardening-value\n"),
    )
    .expect("write");
    let cfg = site.path().join("wxsync.yaml");
    let text_cfg = std::fs::read_to_string(&cfg).expect("config");
    for json in [false, true] {
        let o = check(site.path(), json);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains("autor"), "{}", text(&o));
        no_secret(&o);
    }
    // A config error whose frame includes a credential-named line.
    std::fs::write(
        &cfg,
        format!("appsecret: plain-cfg-secret-value\nthemee: x\n{text_cfg}"),
    )
    .expect("write config");
    let o = check(site.path(), false);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(!text(&o).contains("plain-cfg-secret-value"), "{}", text(&o));
}

#[cfg(unix)]
#[test]
fn a_fifo_or_a_directory_named_like_an_article_is_an_error_not_a_hang() {
    let site = example_site_copy();
    let fifo = site.path().join("articles/pipe.md");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    std::fs::create_dir(site.path().join("articles/folder.md")).expect("dir");
    let started = Instant::now();
    let o = check(site.path(), false);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "check hung on a FIFO"
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let all = text(&o);
    assert!(
        all.contains("articles/pipe.md") && all.contains("not a regular file"),
        "{all}"
    );
    assert!(
        all.contains("articles/folder.md") && all.contains("is a directory"),
        "{all}"
    );
}

#[cfg(unix)]
#[test]
fn a_theme_linked_outside_the_site_is_refused() {
    let site = example_site_copy();
    let outside = tempfile::tempdir().expect("tempdir");
    std::fs::write(outside.path().join("t.css"), "p { color: red; }\n").expect("write");
    std::os::unix::fs::symlink(outside.path().join("t.css"), site.path().join("mine.css"))
        .expect("link");
    let cfg = site.path().join("wxsync.yaml");
    let text_cfg = std::fs::read_to_string(&cfg).expect("config");
    let edited: String = text_cfg
        .lines()
        .map(|l| {
            if l.starts_with("theme:") {
                "theme: mine.css".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let edited = if edited.contains("theme: mine.css") {
        edited
    } else {
        format!("theme: mine.css\n{edited}")
    };
    std::fs::write(&cfg, edited).expect("config");
    let o = check(site.path(), false);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("leads outside the site"), "{}", text(&o));
}

/// A file name carrying a newline and `::stop-commands::` must not become a workflow command
/// on either stream (it would turn masking off before `::add-mask::` is printed).
#[cfg(target_os = "linux")]
#[test]
fn file_names_cannot_inject_workflow_commands() {
    let site = example_site_copy();
    let name = "articles/evil\n::stop-commands::pwned\n::warning::forged.md";
    std::fs::write(
        site.path().join(name),
        "---\ntitle: t\nautor: x\n---\nbody\n",
    )
    .expect("write");
    let o = Command::new(BIN)
        .arg("check")
        .arg("--site")
        .arg(site.path())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_WORKSPACE", site.path())
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_OUTPUT")
        .output()
        .expect("run wxsync");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    for stream in [&o.stdout, &o.stderr] {
        for line in String::from_utf8_lossy(stream).lines() {
            let l = line.trim_start();
            assert!(
                !l.starts_with("::stop-commands") && !l.starts_with("::warning::forged"),
                "a forged command: {line:?}"
            );
            if l.starts_with("::") {
                assert!(
                    l.starts_with("::error ")
                        || l.starts_with("::warning ")
                        || l.starts_with("::add-mask::"),
                    "unexpected command {line:?}"
                );
            }
        }
    }
    assert!(
        text(&o).contains("stop-commands"),
        "the name is still shown: {}",
        text(&o)
    );
}

/// A megabyte `data:` URI that is not an image is an error that names it briefly: the URI
/// is never echoed whole (1.17 MB was printed once), neither in the message nor in a frame.
#[test]
fn a_huge_data_uri_is_never_echoed_whole() {
    let site = example_site_copy();
    let payload = "QUFB".repeat(300_000); // 1.2 MB of base64 "AAA…": not an image
    std::fs::write(
        site.path().join("articles/big.md"),
        format!("---\ntitle: t\n---\n![x](data:image/png;base64,{payload})\n"),
    )
    .expect("write");
    for json in [false, true] {
        let o = check(site.path(), json);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{}",
            &text(&o)[..2000.min(text(&o).len())]
        );
        let all = text(&o);
        assert!(all.len() < 64 * 1024, "{} bytes of output", all.len());
        assert!(
            all.contains("articles/big.md") && all.contains("data:image/png"),
            "{all}"
        );
    }
}

/// Item 13: a PNG cut after its header is refused by `check`, not at push time.
#[test]
fn a_truncated_image_is_caught_by_check() {
    let site = example_site_copy();
    let png = std::fs::read(site.path().join("images/diagram.png")).expect("png");
    std::fs::write(site.path().join("images/cut.png"), &png[..png.len() / 2]).expect("write");
    std::fs::write(site.path().join("images/header-only.png"), &png[..33]).expect("write");
    std::fs::write(
        site.path().join("articles/cut.md"),
        "---\ntitle: t\n---\n![a](../images/cut.png)\n\n![b](../images/header-only.png)\n",
    )
    .expect("write");
    let o = check(site.path(), false);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let all = text(&o);
    assert!(
        all.contains("cut.png") && all.contains("header-only.png"),
        "{all}"
    );
    assert_eq!(all.matches("cut short").count(), 2, "{all}");
}

/// Item 12: control characters never reach WeChat: refused in a title, author or digest
/// (with the key's line), removed from the content with a warning.
#[test]
fn control_characters_are_refused_or_removed() {
    let site = example_site_copy();
    std::fs::write(
        site.path().join("articles/ctl.md"),
        "---\ntitle: \"bad\\u0007title\"\nauthor: \"a\\u0000b\"\n---\nbody\u{b}with\u{1b}[31mcontrols\n",
    )
    .expect("write");
    let o = check(site.path(), true);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let a = json_article(&o, "articles/ctl.md");
    let errors = a["errors"].to_string();
    assert!(
        errors.contains("title contains a control character (U+0007)"),
        "{errors}"
    );
    assert!(
        errors.contains("author contains a control character (U+0000)"),
        "{errors}"
    );
    assert!(
        a["warnings"]
            .to_string()
            .contains("control characters were removed"),
        "{a}"
    );

    // Fixed title and author: the article renders, with the controls gone from the content.
    std::fs::write(
        site.path().join("articles/ctl.md"),
        "---\ntitle: ok\n---\nbody\u{b}with\u{1b}[31mcontrols\n",
    )
    .expect("write");
    let o = check(site.path(), true);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let a = json_article(&o, "articles/ctl.md");
    let content = a["payload"]["content"].as_str().unwrap();
    assert!(content.contains("bodywith[31mcontrols"), "{content}");
    assert!(!content.chars().any(|c| c.is_control()), "{content:?}");
}

/// Item 14: a glob that matches nothing is a warning naming it (a typo would otherwise
/// silently drop articles from every sync).
#[test]
fn a_glob_that_matches_nothing_is_a_warning() {
    let site = example_site_copy();
    let cfg = site.path().join("wxsync.yaml");
    let t = std::fs::read_to_string(&cfg).expect("config");
    std::fs::write(
        &cfg,
        t.replace(
            "articles: [\"articles/**/*.md\"]",
            "articles: [\"articles/**/*.md\", \"artcles/**/*.md\"]",
        ),
    )
    .expect("write");
    let o = check(site.path(), false);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("`artcles/**/*.md` in `articles` matches no file"),
        "{}",
        text(&o)
    );
    let o = check(site.path(), true);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert!(j.to_string().contains("matches no file"), "{j}");
}

/// Item 15: a file whose name is not UTF-8 is reported, not silently skipped.
#[cfg(target_os = "linux")]
#[test]
fn a_file_name_that_is_not_utf8_is_reported() {
    use std::os::unix::ffi::OsStrExt;
    let site = example_site_copy();
    let name = std::ffi::OsStr::from_bytes(b"articles/bad-\xff-name.md");
    std::fs::write(site.path().join(name), "---\ntitle: t\n---\nx\n").expect("write");
    let o = check(site.path(), false);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("not valid UTF-8"), "{}", text(&o));
    assert!(text(&o).contains("bad-\u{fffd}-name.md"), "{}", text(&o));
}

/// One article of `check --json`.
fn json_article(o: &Output, path: &str) -> serde_json::Value {
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    j["articles"]
        .as_array()
        .and_then(|list| list.iter().find(|a| a["path"] == path))
        .cloned()
        .unwrap_or_else(|| panic!("{path} is not in the report: {j}"))
}
