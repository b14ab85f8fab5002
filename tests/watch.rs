//! `wxsync watch` as a user runs it: rebuilds on save (one per burst), ignores editor
//! temporary files, shows errors instead of stale articles, pushes with `--push` at most once
//! per article every 5 s, and stops cleanly on Ctrl-C.

#[path = "support/watch_proc.rs"]
mod watch_proc;

use std::time::Duration;

use watch_proc::{WatchProcess, example_site_copy};

const HELLO: &str = "articles/hello-wxsync.md";

fn append(site: &std::path::Path, rel: &str, text: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(site.join(rel))
        .expect("open");
    writeln!(f, "\n{text}").expect("append");
}

#[test]
fn a_save_rebuilds_and_the_page_shows_the_new_text() {
    let site = example_site_copy();
    let w = WatchProcess::start(site.path(), &[], &[]);
    assert_eq!(w.generation(), 1);
    let (code, index) = w.get("/");
    assert_eq!(code, 200);
    assert!(index.contains(HELLO) && index.contains("rust-error-handling.md"));
    append(site.path(), HELLO, "新加的段落 fresh-paragraph-1");
    w.wait_status(Duration::from_secs(5), "a rebuild", |s| {
        s["generation"].as_u64() >= Some(2)
    });
    let (_, page) = w.get(&format!("/a/{HELLO}"));
    assert!(page.contains("fresh-paragraph-1"), "{page}");
    // Images are served from the local files.
    let img = page
        .split("src=\"/asset/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("an image");
    let (code, _) = w.get(&format!("/asset/{img}"));
    assert_eq!(code, 200);
    assert_eq!(w.interrupt(), Some(0), "Ctrl-C stops cleanly");
}

#[test]
fn a_burst_of_saves_is_one_rebuild() {
    let site = example_site_copy();
    let w = WatchProcess::start(site.path(), &["--debounce", "300"], &[]);
    for i in 0..8 {
        append(site.path(), HELLO, &format!("burst {i}"));
        std::thread::sleep(Duration::from_millis(40));
    }
    w.wait_status(Duration::from_secs(5), "the rebuild", |s| {
        s["generation"].as_u64() >= Some(2)
    });
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(
        w.generation(),
        2,
        "eight saves within the debounce are one rebuild:\n{}",
        w.log()
    );
    let (_, page) = w.get(&format!("/a/{HELLO}"));
    assert!(page.contains("burst 7"), "the rebuild saw the last save");
}

#[test]
fn editor_temporary_files_and_own_output_do_not_rebuild() {
    let site = example_site_copy();
    let w = WatchProcess::start(site.path(), &[], &[]);
    let a = site.path().join("articles");
    for name in [
        ".hello-wxsync.md.swp",
        "hello-wxsync.md~",
        "4913",
        ".#hello-wxsync.md",
        "#hello-wxsync.md#",
    ] {
        std::fs::write(a.join(name), "temp").unwrap();
    }
    std::fs::create_dir_all(site.path().join(".wxsync/out")).unwrap();
    std::fs::write(site.path().join(".wxsync/out/x.html"), "x").unwrap();
    std::fs::write(site.path().join("wxsync.lock"), "# x\n").unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        w.generation(),
        1,
        "no rebuild for temporary files:\n{}",
        w.log()
    );
    // A real save after them still rebuilds.
    append(site.path(), HELLO, "real save");
    w.wait_status(Duration::from_secs(5), "a rebuild", |s| {
        s["generation"].as_u64() == Some(2)
    });
}

#[test]
fn a_broken_article_shows_its_error_instead_of_a_stale_page() {
    let site = example_site_copy();
    let w = WatchProcess::start(site.path(), &[], &[]);
    let text = std::fs::read_to_string(site.path().join(HELLO)).unwrap();
    std::fs::write(
        site.path().join(HELLO),
        text.replacen("title:", "title: [unclosed\nx:", 1),
    )
    .unwrap();
    let s = w.wait_status(Duration::from_secs(5), "the error", |s| {
        s["articles"][HELLO]["errors"]
            .as_array()
            .is_some_and(|e| !e.is_empty())
    });
    let err = s["articles"][HELLO]["errors"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        err.contains(&format!("{HELLO}:")),
        "the error names the file and line: {err}"
    );
    let (_, page) = w.get(&format!("/a/{HELLO}"));
    assert!(
        page.contains("does not build") && page.contains(HELLO),
        "{page}"
    );
    assert!(!page.contains("class=\"phone\""), "no stale article");
    assert!(
        w.log().contains(HELLO),
        "the terminal says the same:\n{}",
        w.log()
    );
    // Fixed: the article is back.
    std::fs::write(site.path().join(HELLO), text).unwrap();
    w.wait_status(Duration::from_secs(5), "the fix", |s| {
        s["articles"][HELLO]["errors"]
            .as_array()
            .is_some_and(Vec::is_empty)
    });
}

#[test]
fn config_changes_are_reloaded() {
    let site = example_site_copy();
    let w = WatchProcess::start(site.path(), &[], &[]);
    let (_, before) = w.get(&format!("/a/{HELLO}"));
    assert!(before.contains("#1e6bb8"), "default theme");
    let cfg = std::fs::read_to_string(site.path().join("wxsync.yaml")).unwrap();
    std::fs::write(
        site.path().join("wxsync.yaml"),
        cfg.replace("theme: default", "theme: sunset"),
    )
    .unwrap();
    w.wait_status(Duration::from_secs(5), "a rebuild", |s| {
        s["generation"].as_u64() >= Some(2)
    });
    let (_, after) = w.get(&format!("/a/{HELLO}"));
    assert!(
        after.contains("#ef7060") && !after.contains("#1e6bb8"),
        "sunset theme applied"
    );
}

#[test]
fn push_syncs_changed_articles_at_most_every_five_seconds() {
    let emu = wxemu::Emulator::start().expect("emulator");
    let site = example_site_copy();
    let cfg = std::fs::read_to_string(site.path().join("wxsync.yaml")).unwrap();
    let cfg: String = cfg
        .lines()
        .filter(|l| !l.starts_with("appid:"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(site.path().join("wxsync.yaml"), cfg).unwrap();
    let env = [
        ("WXSYNC_API_BASE", emu.base_url().to_string()),
        ("WECHAT_APPID", emu.appid()),
        ("WECHAT_APPSECRET", emu.secret()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let w = WatchProcess::start(site.path(), &["--push", "--debounce", "100"], &env);
    append(site.path(), HELLO, "first edit");
    w.wait_status(Duration::from_secs(15), "the first push", |s| {
        s["articles"][HELLO]["push"]["ok"] == true
    });
    assert_eq!(
        emu.calls("draft/add").len(),
        1,
        "the edited article is created (the others were not changed)"
    );
    let t0 = std::time::Instant::now();
    append(site.path(), HELLO, "second edit");
    std::thread::sleep(Duration::from_millis(1500));
    append(site.path(), HELLO, "third edit");
    // Both later edits go out together, once the 5 s interval is over.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while emu.calls("draft/update").is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let waited = t0.elapsed();
    std::thread::sleep(Duration::from_millis(1500));
    let updates = emu.calls("draft/update");
    assert_eq!(
        updates.len(),
        1,
        "one push for two edits within 5 s:\n{}",
        w.log()
    );
    assert!(
        waited >= Duration::from_millis(3000),
        "the second push waited for the interval ({waited:?})"
    );
    assert!(updates[0].body.contains("third edit"));
    // A push error is shown and watching goes on.
    emu.inject(wxemu::Fault::errcode("draft/update", 45009).times(1));
    std::thread::sleep(Duration::from_secs(5));
    append(site.path(), HELLO, "fourth edit");
    let s = w.wait_status(Duration::from_secs(15), "the failed push", |s| {
        s["articles"][HELLO]["push"]["ok"] == false
    });
    assert!(
        s["articles"][HELLO]["push"]["message"]
            .as_str()
            .unwrap()
            .contains("45009"),
        "{s}"
    );
    assert!(
        !w.log().contains(&emu.secret()),
        "no secret in the terminal"
    );
    assert_eq!(w.interrupt(), Some(0));
}

#[test]
fn poll_mode_sees_saves_too() {
    let site = example_site_copy();
    let w = WatchProcess::start(site.path(), &["--poll"], &[]);
    // The poller compares each scan with its first snapshot, taken on its own thread at
    // start; on a loaded machine that can come late, so give it time before saving.
    std::thread::sleep(Duration::from_secs(1));
    append(site.path(), HELLO, "polled-edit");
    w.wait_status(Duration::from_secs(5), "a rebuild by polling", |s| {
        s["generation"].as_u64() >= Some(2)
    });
    let (_, page) = w.get(&format!("/a/{HELLO}"));
    assert!(page.contains("polled-edit"));
}

/// A page on another site whose name resolves to 127.0.0.1 (DNS rebinding) sends its own
/// name as `Host`: the preview refuses it, and answers the browser that asks by 127.0.0.1 or
/// localhost.
#[test]
fn the_preview_answers_only_its_own_host_names() {
    let site = example_site_copy();
    let w = WatchProcess::start(site.path(), &[], &[]);
    let port = w.port();
    for path in ["/", &format!("/a/{HELLO}"), "/__wxsync/status"] {
        let (code, body) = watch_proc::http_get_as(port, path, &format!("evil.example:{port}"));
        assert_eq!(code, 403, "{path}: {body}");
        assert!(!body.contains("wxsync 入门"), "{body}");
    }
    assert_eq!(
        watch_proc::http_get_as(port, "/", &format!("localhost:{port}")).0,
        200
    );
    assert_eq!(w.get("/").0, 200);
}
