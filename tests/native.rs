//! The command line as people use it (issue 15): `-v`, `--site` inside a site, help texts,
//! plain English counts, the hints of a few mistakes, `adopt` without an id, completions, the
//! man page and `--version`.

#[path = "support/sync_site.rs"]
mod support;

use support::SyncSite;

const HELLO: &str = "articles/hello-wxsync.md";
const LEAD: &str = "articles/weekly/47-lead.md";

#[test]
fn verbose_sync_shows_each_api_call_and_each_cache_decision_and_no_token() {
    let site = SyncSite::new();
    let run = site.run(&["sync", "-v"]);
    run.assert_code(0);
    for line in [
        "api: POST /cgi-bin/stable_token → ok (",
        "api: POST /cgi-bin/material/add_material → ok (",
        "api: POST /cgi-bin/draft/add → ok (",
        &format!("cache: {HELLO}: rendered"),
    ] {
        assert!(run.stderr.contains(line), "{line:?} in:\n{}", run.stderr);
    }
    assert_eq!(
        run.stderr.matches("api: POST /cgi-bin/draft/add").count(),
        run.count("draft/add"),
        "one line per call"
    );
    // (SyncSite::run asserts that no token or secret reached either stream.)

    let status = site.run(&["status", "-v"]);
    status.assert_code(0).assert_no_calls();
    assert!(
        status
            .stderr
            .contains(&format!("cache: {HELLO}: planned from the render cache")),
        "{}",
        status.stderr
    );
    // A refused call says so with its code.
    site.touch_article(HELLO, "再改一次。");
    site.emu
        .inject(wxemu::Fault::errcode("draft/update", 45009).times(1));
    let run = site.run(&["sync", "-v"]);
    assert!(
        run.stderr
            .contains("api: POST /cgi-bin/draft/update → errcode 45009"),
        "{}",
        run.stderr
    );

    let check = site.run(&["check", "-v"]);
    assert!(
        check
            .stderr
            .contains(&format!("checked {HELLO}: 0 errors, 0 warnings")),
        "{}",
        check.stderr
    );
}

#[test]
fn site_may_name_a_directory_inside_the_site() {
    let site = SyncSite::new();
    let inside = site.file("articles/weekly");
    let run = site.run(&["status", "--json", "--site", &inside.to_string_lossy()]);
    run.assert_code(0);
    assert_eq!(run.action(HELLO), "create", "the whole site is planned");

    let run = site.run(&["status", "--site", "no/such/dir"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("--site no/such/dir: no such directory"),
        "{}",
        run.stderr
    );

    let outside = tempfile::tempdir().expect("tempdir");
    let run = site.run(&["status", "--site", &outside.path().to_string_lossy()]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("or any parent directory"),
        "says what was looked for: {}",
        run.stderr
    );
}

#[test]
fn help_for_sync_and_status_names_the_variables_and_the_exit_codes() {
    let site = SyncSite::new();
    let sync = site.run(&["sync", "--help"]);
    sync.assert_code(0);
    for word in [
        "WECHAT_APPID",
        "WECHAT_APPSECRET",
        "WECHAT_ACCESS_TOKEN",
        "WXSYNC_API_BASE",
        "Exit codes:",
        "--rehearse",
    ] {
        assert!(sync.stdout.contains(word), "{word} in:\n{}", sync.stdout);
    }
    let status = site.run(&["status", "--help"]);
    assert!(status.stdout.contains("Exit codes:"), "{}", status.stdout);
    assert!(
        status.stdout.contains("no credentials"),
        "{}",
        status.stdout
    );
}

#[test]
fn counts_are_english_and_the_ignored_keys_warning_counts_and_names_its_files() {
    let site = SyncSite::new();
    // The example site sets `date` and `tags`, which wxsync does not use.
    let check = site.run(&["check"]);
    check.assert_code(0);
    assert!(check.stderr.contains("1 warning"), "{}", check.stderr);
    assert!(
        check
            .stderr
            .contains("date (articles/rust-error-handling.md)"),
        "{}",
        check.stderr
    );
    site.edit(HELLO, |t| {
        t.replacen("title:", "title: \"\"\nautor: x\nx_title:", 1)
    });
    let run = site.run(&["sync"]);
    run.assert_code(2);
    assert!(!run.stderr.contains("(s)"), "{}", run.stderr);
    assert!(
        run.stderr.contains("error must be fixed") || run.stderr.contains("errors must be fixed"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_api_base_without_a_scheme_says_so() {
    let site = SyncSite::new();
    for base in ["127.0.0.1:8090", "localhost:8090"] {
        let out = site
            .command()
            .env("WXSYNC_API_BASE", base)
            .args(["sync"])
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("is not an http(s) URL"), "{stderr}");
        assert!(stderr.contains("scheme included"), "{stderr}");
        assert!(!stderr.contains("set WECHAT_APPID"), "{stderr}");
    }
}

#[test]
fn a_duplicate_key_is_reported_at_the_duplicate() {
    let site = SyncSite::new();
    site.edit("wxsync.yaml", |t| format!("{t}theme: ink\n"));
    let line = site.read("wxsync.yaml").lines().count();
    let run = site.run(&["check"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains(&format!("wxsync.yaml:{line}:1")),
        "not at line {line}:\n{}",
        run.stderr
    );
    assert!(run.stderr.contains("duplicate entry"), "{}", run.stderr);
}

#[test]
fn adopt_without_an_id_lists_the_drafts_and_marks_the_same_title() {
    let site = SyncSite::new();
    let id = site.create_foreign_draft(&["旧草稿", support::title_of(HELLO)]);
    let run = site.run(&["adopt", HELLO]);
    run.assert_code(0);
    assert!(
        run.stdout
            .contains(&format!("{id}  ← same title, --index 1")),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("  0: 旧草稿"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains(&format!("wxsync adopt {HELLO} --media-id ID")),
        "{}",
        run.stdout
    );
    assert!(site.lock_bytes().is_none(), "listing binds nothing");
    assert_eq!(run.count("draft/batchget"), 1, "{:?}", run.call_names());

    // Bound, the next plan says why it will update, in words that fit.
    site.run(&["adopt", HELLO, "--media-id", &id, "--index", "1"])
        .assert_code(0);
    let status = site.status();
    let reason = status.article(HELLO)["reason"].to_string();
    assert!(reason.contains("adopted"), "{reason}");
    assert!(!reason.contains("rendering"), "{reason}");

    // A mistyped id: the hint is about drafts, not covers.
    let run = site.run(&[
        "adopt",
        HELLO,
        "--media-id",
        "NoSuchDraft0000000000000000000000000000000",
    ]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("wxsync adopt PATH"), "{}", run.stderr);
    assert!(!run.stderr.contains("thumb_media_id"), "{}", run.stderr);
}

#[test]
fn completions_man_page_and_version() {
    let site = SyncSite::new();
    for (shell, marker) in [
        ("bash", "_wxsync()"),
        ("zsh", "#compdef wxsync"),
        ("fish", "complete -c wxsync"),
    ] {
        let run = site.run(&["completions", shell]);
        run.assert_code(0);
        assert!(run.stdout.contains(marker), "{shell}: {}", run.stdout);
        assert!(run.stdout.contains("rehearse"), "{shell} knows --rehearse");
    }
    let man = site.run(&["man"]);
    man.assert_code(0);
    assert!(man.stdout.contains(".TH wxsync 1"), "{}", man.stdout);
    assert!(man.stdout.contains("sync"), "{}", man.stdout);

    let version = site.run(&["--version"]);
    version.assert_code(0);
    let said = version.stdout.trim().to_string();
    assert!(
        said.starts_with(&format!("wxsync {}", env!("CARGO_PKG_VERSION"))),
        "{said}"
    );
    // Built from a git checkout, it names the commit.
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=9", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    if let Some(head) = head {
        assert!(said.contains(&format!("({head} ")), "{said} names {head}");
    }
}

/// WeChat's media ids are URL-safe base64: one in 64 starts with `-`, which must not be read
/// as a flag.
#[test]
fn a_media_id_that_starts_with_a_dash_is_a_value() {
    let site = SyncSite::new();
    let run = site.run(&[
        "adopt",
        HELLO,
        "--media-id",
        "-MK7dQBWdf8pX8yiZNAdHoGmT3xmLOwXvgX3kjDfB-E",
    ]);
    assert!(
        !run.stderr.contains("unexpected argument"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("draft -MK7dQBWdf8pX8yiZNAdHoGmT3xmLOwXvgX3kjDfB-E cannot be adopted"),
        "{}",
        run.stderr
    );
    assert_eq!(run.count("draft/get"), 1, "{:?}", run.call_names());
}

/// A blog's `description` longer than WeChat's digest is cut to it with a warning at its
/// line; a `digest` that long is the writer's own and stays an error.
#[test]
fn a_long_description_is_cut_to_the_digest_and_a_long_digest_is_refused() {
    let site = SyncSite::new();
    let long = "长".repeat(200);
    site.add_front_matter(LEAD, &format!("description: {long}"));
    let run = site.run(&["check", "--json"]);
    run.assert_code(0);
    let j = run.json();
    let a = j["articles"]
        .as_array()
        .and_then(|l| l.iter().find(|a| a["path"] == LEAD))
        .expect("the article")
        .clone();
    let digest = a["payload"]["digest"]
        .as_str()
        .expect("a digest")
        .to_string();
    assert_eq!(digest.chars().count(), 128, "{digest}");
    assert!(digest.ends_with('…'), "{digest}");
    let w = a["warnings"].to_string();
    assert!(w.contains("`description` is 200 characters"), "{w}");
    assert!(w.contains("\"line\":2"), "at the description's line: {w}");

    site.edit(LEAD, |t| t.replacen("description:", "digest:", 1));
    let run = site.run(&["check"]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("the digest is 200 characters; the limit is 128"),
        "{}",
        run.stderr
    );
}

/// Issue 15 item 7: the README sends readers to the page that shows the images, and `render`
/// writes it beside the placeholder HTML.
#[test]
fn the_readme_points_at_the_preview_page_render_writes() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    assert!(
        readme.contains("`.wxsync/out/<path>.preview.html`: open that one in a browser"),
        "the README names the preview page"
    );
    let site = SyncSite::new();
    site.run(&["render", HELLO]).assert_code(0);
    let page = site.read(".wxsync/out/articles/hello-wxsync.preview.html");
    assert!(
        !page.contains("wxsync-asset:"),
        "its images are real, not placeholders"
    );
    assert!(
        site.read(".wxsync/out/articles/hello-wxsync.html")
            .contains("wxsync-asset:")
    );
}

/// Issue 16: the render cache carried to a fresh checkout (new inodes and times for every
/// file, as the GitHub Action's restored cache sees them) still plans an unchanged site
/// without rendering; an image with other bytes is still noticed.
#[test]
fn a_render_cache_carried_to_a_fresh_checkout_still_holds() {
    let site = SyncSite::new();
    site.sync(&[]).assert_code(0);
    let fresh = tempfile::tempdir().expect("tempdir");
    let copy = |from: &std::path::Path, to: &std::path::Path| {
        let ok = std::process::Command::new("cp")
            .arg("-R")
            .arg(from)
            .arg(to)
            .status()
            .expect("cp");
        assert!(ok.success());
    };
    let checkout = fresh.path().join("site");
    copy(site.path(), &checkout);
    let status = |dir: &std::path::Path| {
        let out = site
            .command()
            .current_dir(dir)
            .args(["status", "-v"])
            .output()
            .expect("status");
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let said = status(&checkout);
    assert_eq!(
        said.matches("planned from the render cache").count(),
        5,
        "every article from the cache:\n{said}"
    );
    // Renewed: the next run needs no hashing, and says the same.
    assert_eq!(
        status(&checkout)
            .matches("planned from the render cache")
            .count(),
        5
    );

    let again = fresh.path().join("again");
    copy(site.path(), &again);
    let cover = again.join("images/default-cover.jpg");
    let mut bytes = std::fs::read(&cover).expect("cover");
    let last = bytes.len() - 3;
    bytes[last] ^= 0x01;
    std::fs::write(&cover, bytes).expect("write");
    let said = status(&again);
    assert!(
        said.contains("cache: articles/rust-error-handling.md: rendered"),
        "a changed image is noticed:\n{said}"
    );
}

/// A checkout without `.wxsync/` at all (a CI run with no cache) plans an unchanged site from
/// what the lockfile recorded each article was pushed from, without rendering it and without
/// a call; a changed image, article or config is still rendered and pushed.
#[test]
fn a_checkout_without_wxsync_dir_plans_unchanged_articles_from_the_lockfile() {
    let site = SyncSite::new();
    site.sync(&[]).assert_code(0);
    let lock = site.lock_bytes().expect("lockfile");
    let bare = |site: &SyncSite| {
        // (A run that rendered nothing may have made none.)
        let _ = std::fs::remove_dir_all(site.file(".wxsync"));
        assert!(!site.file(".wxsync").exists());
    };
    bare(&site);
    let status = site.run(&["status", "-v"]);
    status.assert_code(0).assert_no_calls();
    assert_eq!(
        status.stderr.matches("planned from wxsync.lock").count(),
        5,
        "every article from the lockfile:\n{}",
        status.stderr
    );
    assert!(!status.stderr.contains(": rendered"), "{}", status.stderr);
    bare(&site);
    let noop = site.run(&["sync"]);
    noop.assert_code(0).assert_no_calls();
    assert_eq!(
        site.lock_bytes().as_ref(),
        Some(&lock),
        "a no-op keeps the bytes"
    );

    // An image the lockfile lists, changed: that article is rendered again, and updated.
    bare(&site);
    let diagram = site.file("images/diagram.png");
    let mut bytes = std::fs::read(&diagram).expect("diagram");
    bytes.push(0); // after IEND: the same picture, other bytes
    std::fs::write(&diagram, bytes).expect("write");
    let run = site.run(&["sync", "-v"]);
    run.assert_code(0);
    assert!(
        run.stderr.contains(&format!("cache: {HELLO}: rendered")),
        "{}",
        run.stderr
    );
    assert_eq!(run.count("media/uploadimg"), 1, "{:?}", run.call_names());
    assert_eq!(run.count("draft/update"), 1, "{:?}", run.call_names());

    // The config changed: everything is rendered (nothing is pushed: the payloads are equal).
    bare(&site);
    site.edit("wxsync.yaml", |t| format!("{t}\n# a comment\n"));
    let status = site.run(&["status", "-v"]);
    status.assert_code(0).assert_no_calls();
    assert_eq!(status.stderr.matches("planned from wxsync.lock").count(), 0);
}
