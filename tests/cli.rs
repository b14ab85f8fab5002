//! The `wxsync` binary as a user runs it: `check` and `render` on the example site and on
//! broken sites, with the exit codes and messages of DESIGN §5.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

#[path = "support/site_copy.rs"]
mod site_copy;

use site_copy::{example_site, example_site_copy};

fn wxsync() -> Command {
    let mut c = Command::cargo_bin("wxsync").expect("binary");
    c.env("NO_COLOR", "1").env_remove("WECHAT_APPSECRET");
    c
}

/// A copy of the example site in a temporary directory, so tests can break it.
fn site_copy() -> tempfile::TempDir {
    example_site_copy()
}

fn no_panic() -> impl Predicate<str> {
    predicate::str::contains("panicked").not()
}

#[test]
fn check_passes_on_the_example_site() {
    wxsync()
        .args(["check", "--site"])
        .arg(example_site())
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "checked 5 articles: 0 with errors",
        ));
}

#[test]
fn render_writes_exact_content_and_payload() {
    let site = site_copy();
    wxsync()
        .arg("-C")
        .arg(site.path())
        .arg("render")
        .assert()
        .code(0);
    let out = site.path().join(".wxsync/out/articles");
    for name in [
        "hello-wxsync",
        "rust-error-handling",
        "weekly/47-lead",
        "weekly/47-links",
        "spring-photos",
    ] {
        let html = std::fs::read_to_string(out.join(format!("{name}.html"))).expect("html written");
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(out.join(format!("{name}.json"))).expect("json written"),
        )
        .expect("valid json");
        assert_eq!(
            json["content"].as_str(),
            Some(html.as_str()),
            "{name}: .html is the payload's content"
        );
        assert!(json["title"].as_str().is_some_and(|t| !t.is_empty()));
    }
    let hello: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("hello-wxsync.json")).unwrap())
            .unwrap();
    assert_eq!(hello["article_type"], "news");
    assert_eq!(hello["author"], "编辑部", "defaults.author applies");
    assert_eq!(hello["need_open_comment"], 1);
    assert!(
        hello["thumb_media_id"]
            .as_str()
            .unwrap()
            .starts_with("wxsync-asset:sha256:")
    );
    let pic: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("spring-photos.json")).unwrap())
            .unwrap();
    assert_eq!(pic["article_type"], "newspic");
    assert_eq!(
        pic["image_info"]["image_list"].as_array().map(Vec::len),
        Some(3)
    );
    assert!(
        !pic["content"].as_str().unwrap().contains('<'),
        "newspic content is plain text"
    );
}

#[test]
fn render_only_the_named_paths() {
    let site = site_copy();
    wxsync()
        .current_dir(site.path().join("articles"))
        .args(["render", "hello-wxsync.md"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("rendered 1 of 1 article"));
    assert!(
        site.path()
            .join(".wxsync/out/articles/hello-wxsync.html")
            .is_file()
    );
    assert!(
        !site
            .path()
            .join(".wxsync/out/articles/rust-error-handling.html")
            .exists()
    );
}

#[test]
fn json_output_lists_every_article() {
    let out = wxsync()
        .args(["check", "--json", "-C"])
        .arg(example_site())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let articles = v["articles"].as_array().expect("articles");
    assert_eq!(articles.len(), 5);
    for a in articles {
        assert!(a["payload"]["content"].is_string(), "{a}");
        assert_eq!(a["errors"].as_array().map(Vec::len), Some(0));
    }
}

#[test]
fn finds_the_site_from_a_subdirectory() {
    wxsync()
        .current_dir(example_site().join("articles/weekly"))
        .arg("check")
        .assert()
        .code(0);
}

#[test]
fn no_site_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    wxsync()
        .current_dir(dir.path())
        .arg("check")
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("no wxsync.yaml").and(predicate::str::contains("wxsync init")),
        );
}

fn write(site: &Path, rel: &str, bytes: &[u8]) {
    let p = site.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

#[test]
fn config_errors_name_the_line_and_the_fix() {
    let site = site_copy();
    write(site.path(), "wxsync.yaml", b"theme: default\nthemes: ink\n");
    wxsync()
        .arg("-C")
        .arg(site.path())
        .arg("check")
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("wxsync.yaml:2:1")
                .and(predicate::str::contains("did you mean `theme`?")),
        );

    write(
        site.path(),
        "wxsync.yaml",
        b"appid: wx1\napp_secret: 0123456789abcdef\n",
    );
    wxsync()
        .arg("-C")
        .arg(site.path())
        .arg("check")
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("WECHAT_APPSECRET")
                .and(predicate::str::contains("0123456789abcdef").not()),
        );

    write(site.path(), "wxsync.yaml", b"theme: [unclosed\n");
    wxsync()
        .arg("-C")
        .arg(site.path())
        .arg("check")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("wxsync.yaml:"));

    write(site.path(), "wxsync.yaml", b"theme: nosuch\n");
    wxsync()
        .arg("-C")
        .arg(site.path())
        .arg("check")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown theme `nosuch`"));
}

#[test]
fn bad_articles_exit_2_naming_the_file_and_line() {
    let site = site_copy();
    let long_title = format!("---\ntitle: {}\n---\nx\n", "长".repeat(65));
    let cases: &[(&str, &[u8], &str)] = &[
        (
            "articles/secret.md",
            b"---\ntitle: t\nappsecret: s3cr3tvalue\n---\nx\n",
            "articles/secret.md:3:1",
        ),
        (
            "articles/bad-utf8.md",
            b"---\ntitle: x\n---\nok \xff\xfe bad\n",
            "articles/bad-utf8.md:4:4",
        ),
        (
            "articles/garbage.md",
            &[0u8, 159, 146, 150, 0xff, 0x00, 0x13, 0x37],
            "not valid UTF-8",
        ),
        (
            "articles/bad-yaml.md",
            b"---\ntitle: [oops\n---\nbody\n",
            "articles/bad-yaml.md:",
        ),
        (
            "articles/typo.md",
            b"---\ntitle: t\nautor: me\n---\nbody\n",
            "articles/typo.md:3:1",
        ),
        (
            "articles/unclosed.md",
            b"---\ntitle: t\nbody without end\n",
            "never closed",
        ),
        (
            "articles/no-title.md",
            b"just a body, no title\n",
            "has no title",
        ),
        (
            "articles/missing-image.md",
            b"---\ntitle: t\n---\n\n![x](../images/nope.png)\n",
            "articles/missing-image.md:5:1",
        ),
        (
            "articles/outside.md",
            b"---\ntitle: t\n---\n\n![x](../../../../../etc/hostname)\n",
            "outside the site root",
        ),
        (
            "articles/not-image.md",
            b"---\ntitle: t\n---\n\n![x](../wxsync.yaml)\n",
            "not an image",
        ),
        (
            "articles/long-title.md",
            long_title.as_bytes(),
            "the limit is 32",
        ),
        (
            "articles/bad-crop.md",
            b"---\ntitle: t\npic_crop_1_1: 0.5_0_0.2_1\n---\nx\n",
            "articles/bad-crop.md:3:1",
        ),
        (
            "articles/bad-source.md",
            b"---\ntitle: t\ncontent_source_url: http://localhost/x\n---\nx\n",
            "private host",
        ),
        (
            "articles/bad-flag.md",
            b"---\ntitle: t\nneed_open_comment: 5\n---\nx\n",
            "articles/bad-flag.md:3:1",
        ),
        (
            "articles/newspic-empty.md",
            b"---\ntitle: t\narticle_type: newspic\n---\nx\n",
            "needs 1 to 20 images",
        ),
    ];
    for (rel, bytes, expect) in cases {
        let fresh = site_copy();
        write(fresh.path(), rel, bytes);
        let out = wxsync()
            .arg("-C")
            .arg(fresh.path())
            .arg("check")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{rel}: {stderr}");
        assert!(
            stderr.contains(expect),
            "{rel}: expected {expect:?} in:\n{stderr}"
        );
        assert!(stderr.contains(rel), "{rel} is named:\n{stderr}");
        assert!(!stderr.contains("panicked"), "{rel}: {stderr}");
        assert!(
            !stderr.contains("s3cr3tvalue"),
            "{rel}: a secret value was printed:\n{stderr}"
        );
        // The same run still checks the good articles.
        assert!(
            stderr.contains("checked 6 articles: 1 with errors"),
            "{rel}: {stderr}"
        );
    }
    drop(site);
}

#[test]
fn render_writes_nothing_for_an_article_with_errors() {
    let site = site_copy();
    write(
        site.path(),
        "articles/broken.md",
        b"---\ntitle: t\n---\n![x](missing.png)\n",
    );
    wxsync()
        .arg("-C")
        .arg(site.path())
        .arg("render")
        .assert()
        .code(2)
        .stderr(no_panic());
    let out = site.path().join(".wxsync/out/articles");
    assert!(!out.join("broken.html").exists());
    assert!(
        out.join("hello-wxsync.html").exists(),
        "the good articles are still rendered"
    );
}

#[test]
fn render_of_a_missing_path_is_a_usage_error() {
    wxsync()
        .arg("-C")
        .arg(example_site())
        .args(["render", "no/such/file.md"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no/such/file.md").and(no_panic()));
}

#[test]
fn json_lists_errors_without_payload() {
    let site = site_copy();
    write(
        site.path(),
        "articles/broken.md",
        b"---\ntitle: t\n---\n![x](missing.png)\n",
    );
    let out = wxsync()
        .args(["check", "--json", "-C"])
        .arg(site.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let broken = v["articles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == "articles/broken.md")
        .unwrap();
    assert!(broken.get("payload").is_none());
    assert_eq!(broken["errors"][0]["line"], 4);
    assert!(
        broken["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("missing.png")
    );
}

#[test]
fn drafts_must_name_articles_of_the_site() {
    let site = site_copy();
    let cfg = std::fs::read_to_string(site.path().join("wxsync.yaml")).unwrap();
    write(
        site.path(),
        "wxsync.yaml",
        cfg.replace("47-links.md", "48-links.md").as_bytes(),
    );
    wxsync()
        .arg("-C")
        .arg(site.path())
        .arg("check")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not an article of this site"));
}

#[test]
fn theme_switch_and_custom_css() {
    let site = site_copy();
    let cfg = std::fs::read_to_string(site.path().join("wxsync.yaml")).unwrap();
    write(
        site.path(),
        "wxsync.yaml",
        cfg.replace("theme: default", "theme: my.css").as_bytes(),
    );
    write(
        site.path(),
        "my.css",
        b":root { --c: #aa0000; }\np { color: var(--c); }\nh2 { position: fixed; }\n",
    );
    wxsync()
        .arg("-C")
        .arg(site.path())
        .arg("check")
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("my.css:3:6")
                .and(predicate::str::contains("`position` is not allowed")),
        );
    write(
        site.path(),
        "my.css",
        b":root { --c: #aa0000; }\np { color: var(--c); }\n",
    );
    wxsync()
        .arg("-C")
        .arg(site.path())
        .arg("render")
        .assert()
        .code(0);
    let html = std::fs::read_to_string(site.path().join(".wxsync/out/articles/hello-wxsync.html"))
        .unwrap();
    assert!(html.contains("<p style=\"color:#aa0000\">"));
}
