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
    assert!(before.contains("#124d87"), "default theme");
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
        after.contains("#ef7060") && !after.contains("#124d87"),
        "sunset theme applied"
    );
}

/// The example site, without its `appid` (the emulator's is used), and the environment that
/// sends its pushes to `emu`.
fn emulated_site(emu: &wxemu::Emulator) -> (tempfile::TempDir, Vec<(&'static str, String)>) {
    let site = example_site_copy();
    let cfg = std::fs::read_to_string(site.path().join("wxsync.yaml")).unwrap();
    let cfg: String = cfg
        .lines()
        .filter(|l| !l.starts_with("appid:"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(site.path().join("wxsync.yaml"), cfg).unwrap();
    let env = vec![
        ("WXSYNC_API_BASE", emu.base_url().to_string()),
        ("WECHAT_APPID", emu.appid()),
        ("WECHAT_APPSECRET", emu.secret()),
    ];
    (site, env)
}

#[test]
fn push_syncs_changed_articles_at_most_every_five_seconds() {
    let emu = wxemu::Emulator::start().expect("emulator");
    let (site, env) = emulated_site(&emu);
    // Synced before watching, so that only the saves below are pushed.
    let synced = std::process::Command::new(env!("CARGO_BIN_EXE_wxsync"))
        .arg("-C")
        .arg(site.path())
        .arg("sync")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("run sync");
    assert_eq!(synced.status.code(), Some(0), "{synced:?}");
    let adds = emu.calls("draft/add").len();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let w = WatchProcess::start(site.path(), &["--push", "--debounce", "100"], &env);
    // The push of what was pending at start (nothing: all synced) ends first; an edit made
    // while it runs may go out with it.
    w.wait_status(Duration::from_secs(15), "the push at start", |s| {
        s["articles"][HELLO]["push"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("skip"))
    });
    append(site.path(), HELLO, "first edit");
    w.wait_status(Duration::from_secs(15), "the first push", |s| {
        s["articles"][HELLO]["push"]["ok"] == true
            && s["articles"][HELLO]["push"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("update"))
    });
    assert_eq!(
        emu.calls("draft/update").len(),
        1,
        "the edited article is updated (the others were not changed)"
    );
    assert_eq!(emu.calls("draft/add").len(), adds, "nothing is created");
    let t0 = std::time::Instant::now();
    append(site.path(), HELLO, "second edit");
    std::thread::sleep(Duration::from_millis(1500));
    append(site.path(), HELLO, "third edit");
    // Both later edits go out together, once the 5 s interval is over.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while emu.calls("draft/update").len() < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let waited = t0.elapsed();
    std::thread::sleep(Duration::from_millis(1500));
    let updates = emu.calls("draft/update");
    assert_eq!(
        updates.len(),
        2,
        "one push for two edits within 5 s:\n{}",
        w.log()
    );
    assert!(
        waited >= Duration::from_millis(3000),
        "the second push waited for the interval ({waited:?})"
    );
    assert!(updates[1].body.contains("third edit"));
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

/// With `--push`, what was already pending when watching began (what `status` would push)
/// goes out at start, without a save; a second start with nothing pending sends nothing.
#[test]
fn push_at_start_pushes_what_was_pending() {
    let emu = wxemu::Emulator::start().expect("emulator");
    let (site, env) = emulated_site(&emu);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let w = WatchProcess::start(site.path(), &["--push"], &env);
    let s = w.wait_status(Duration::from_secs(20), "the push at start", |s| {
        s["articles"]
            .as_object()
            .is_some_and(|a| a.values().all(|p| p["push"]["ok"] == true))
    });
    // Four drafts: three articles, and the two of `weekly-47` in one.
    assert_eq!(emu.calls("draft/add").len(), 4, "{s}\n{}", w.log());
    assert!(emu.calls("draft/update").is_empty());
    assert!(
        s["articles"][HELLO]["push"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("create")),
        "{s}"
    );
    let lock = std::fs::read_to_string(site.path().join("wxsync.lock")).expect("lockfile");
    assert!(lock.contains(HELLO), "recorded in the lockfile:\n{lock}");
    assert_eq!(w.interrupt(), Some(0));

    // Nothing pending: the push at start skips every article and calls nothing.
    let calls = emu.log().len();
    let w = WatchProcess::start(site.path(), &["--push"], &env);
    let s = w.wait_status(Duration::from_secs(20), "the push at start", |s| {
        s["articles"][HELLO]["push"]["ok"] == true
    });
    assert!(
        s["articles"][HELLO]["push"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("skip")),
        "{s}"
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(emu.log().len(), calls, "no call:\n{}", w.log());
    // A save right after is pushed at once: a skip does not start the 5 s interval.
    let t0 = std::time::Instant::now();
    append(site.path(), HELLO, "edit after start");
    w.wait_status(Duration::from_secs(15), "the push of the save", |s| {
        s["articles"][HELLO]["push"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("update"))
    });
    assert!(
        t0.elapsed() < Duration::from_secs(4),
        "pushed without waiting out an interval ({:?})",
        t0.elapsed()
    );
    assert_eq!(w.interrupt(), Some(0));
}

/// `--host` binds where it is told, and the `Host` check still refuses other names: the
/// address itself (with its port) and the loopback names are answered.
#[cfg(target_os = "linux")]
#[test]
fn host_binds_the_address_given_and_answers_only_it() {
    let site = example_site_copy();
    let w = WatchProcess::start(site.path(), &["--host", "127.0.0.2"], &[]);
    assert!(w.base.starts_with("http://127.0.0.2:"), "{}", w.base);
    let port = w.port();
    let at = |host: &str| watch_proc::http_get_at("127.0.0.2", port, "/", host).0;
    assert_eq!(at(&format!("127.0.0.2:{port}")), 200);
    assert_eq!(at(&format!("localhost:{port}")), 200);
    assert_eq!(at(&format!("evil.example:{port}")), 403);
    assert_eq!(at(&format!("127.0.0.2:{}", port.wrapping_add(1))), 403);
    assert_eq!(at("127.0.0.3"), 403);
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "not bound on 127.0.0.1 too"
    );
}

/// `--host 0.0.0.0` listens on every interface, says that the preview is open to the
/// network, prints the URLs, and answers a request by the address it arrived at, not by
/// another address or a name.
#[test]
fn host_0_0_0_0_answers_each_interface_by_its_own_address() {
    let site = example_site_copy();
    let w = WatchProcess::start(site.path(), &["--host", "0.0.0.0"], &[]);
    w.wait_log(Duration::from_secs(5), "open to the network");
    assert!(w.base.starts_with("http://127.0.0.1:"), "{}", w.base);
    let port = w.port();
    let get = |ip: &str, host: &str| watch_proc::http_get_at(ip, port, "/", host).0;
    assert_eq!(get("127.0.0.1", &format!("127.0.0.1:{port}")), 200);
    assert_eq!(get("127.0.0.1", &format!("192.0.2.77:{port}")), 403);
    assert_eq!(get("127.0.0.1", &format!("evil.example:{port}")), 403);
    if cfg!(target_os = "linux") {
        // Another address of this machine, named by itself.
        assert_eq!(get("127.0.0.3", &format!("127.0.0.3:{port}")), 200);
        assert_eq!(get("127.0.0.3", &format!("127.0.0.4:{port}")), 403);
    }
}

/// A port in use says how to pick another, and exits 2 before building anything.
#[test]
fn a_busy_port_says_to_pick_another() {
    let site = example_site_copy();
    let taken = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind");
    let port = taken.local_addr().unwrap().port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wxsync"))
        .arg("-C")
        .arg(site.path())
        .args(["watch", "--port", &port.to_string()])
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start wxsync watch");
    let start = std::time::Instant::now();
    let code = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st.code();
        }
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("wxsync watch kept running on a busy port");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(&format!("port {port} is in use"))
            && err.contains("--port N")
            && err.contains("--port 0"),
        "{err}"
    );
    assert!(!err.contains("built in"), "nothing was built first:\n{err}");
}

/// `--open` keeps the opener's own output off the terminal, and when there is no browser
/// (no opener, or one that fails) says in one line to open the URL by hand.
#[cfg(unix)]
#[test]
fn open_without_a_browser_says_so_in_one_line() {
    use std::os::unix::fs::PermissionsExt;
    let site = example_site_copy();
    let bin = tempfile::tempdir().expect("tempdir");
    let fake = |script: &str| {
        for name in ["xdg-open", "open"] {
            let p = bin.path().join(name);
            std::fs::write(&p, format!("#!/bin/sh\n{script}\n")).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    };
    let path = bin.path().to_str().unwrap().to_string();

    // No opener at all.
    let w = WatchProcess::start(site.path(), &["--open"], &[("PATH", &path)]);
    let log = w.wait_log(Duration::from_secs(10), "could not open a browser");
    assert!(
        log.contains(&format!(
            "could not open a browser; open {}/ yourself",
            w.base
        )),
        "{log}"
    );
    assert_eq!(w.interrupt(), Some(0));

    // An opener that fails noisily: its noise stays off the terminal.
    fake("echo OPENER-NOISE-OUT; echo OPENER-NOISE-ERR >&2; exit 3");
    let w = WatchProcess::start(site.path(), &["--open"], &[("PATH", &path)]);
    let log = w.wait_log(Duration::from_secs(10), "could not open a browser");
    assert!(!log.contains("OPENER-NOISE"), "{log}");
    assert_eq!(
        log.matches("could not open a browser").count(),
        1,
        "one line:\n{log}"
    );
    drop(w);

    // An opener that works: it gets the URL, and nothing is said.
    let got = bin.path().join("opened");
    fake(&format!(
        "echo \"$1\" > '{}'; echo OPENER-NOISE",
        got.display()
    ));
    let w = WatchProcess::start(site.path(), &["--open"], &[("PATH", &path)]);
    let start = std::time::Instant::now();
    while !got.exists() && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    let opened = std::fs::read_to_string(&got).expect("the opener ran");
    assert_eq!(opened.trim(), format!("{}/", w.base));
    let log = w.log();
    assert!(
        !log.contains("could not open") && !log.contains("OPENER-NOISE"),
        "{log}"
    );
}
