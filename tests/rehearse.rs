//! `wxsync sync --rehearse`: a whole sync against the bundled emulator, with no account, on a
//! copy of the lockfile; and `limits.title`, which check and the rehearsal's emulator share.

#[path = "support/sync_site.rs"]
mod support;

use support::SyncSite;

/// What a newcomer runs: no credentials, no API base, a proxy that would swallow any call
/// leaving this machine (none may).
fn rehearse(site: &SyncSite, args: &[&str]) -> std::process::Output {
    let mut c = site.command();
    c.env_remove("WXSYNC_API_BASE")
        .env_remove("WECHAT_APPID")
        .env("WECHAT_APPSECRET", "real-secret-never-used-0123456789")
        .env("HTTPS_PROXY", "http://127.0.0.1:9")
        .env("ALL_PROXY", "http://127.0.0.1:9")
        .args(["sync", "--rehearse"])
        .args(args);
    let out = c.output().expect("run wxsync");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains("panicked"), "{all}");
    assert!(
        !all.contains("real-secret-never-used"),
        "the real AppSecret was shown:\n{all}"
    );
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn a_rehearsal_syncs_the_example_site_with_no_account_and_writes_no_lockfile() {
    let site = SyncSite::new();
    let out = rehearse(&site, &[]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("5 created, 0 updated"), "{stdout}");
    // The example site has four drafts: three single ones and a two-article issue.
    assert_eq!(stdout.matches("draft created: ").count(), 4, "{stdout}");
    assert!(stdout.contains("(2 articles: "), "{stdout}");
    assert!(stdout.contains("draft/add ×4"), "{stdout}");
    assert!(stderr.contains("wxsync.lock is untouched"), "{stderr}");
    assert!(site.lock_bytes().is_none(), "a rehearsal wrote wxsync.lock");
    assert!(
        site.file(".wxsync/rehearsal/wxsync.lock").exists(),
        "the copy it worked on is kept for inspection"
    );
    assert!(
        site.emu.log().is_empty(),
        "the test's emulator was called: {:?}",
        site.emu.log()
    );
    // Again: the copy starts afresh, so the same plan is rehearsed.
    let again = rehearse(&site, &[]);
    assert!(
        text(&again.stdout).contains("5 created"),
        "{}",
        text(&again.stdout)
    );
}

#[test]
fn a_rehearsal_after_a_real_sync_makes_the_calls_the_real_sync_would() {
    let site = SyncSite::new();
    // The push a day ago on WeChat's clock: the rehearsal must start each draft from the
    // update_time the lockfile recorded, or every draft would look edited in WeChat since.
    site.emu.advance_clock(-86_400);
    site.sync(&[]).assert_code(0);
    let lock = site.lock_bytes().expect("a lockfile");
    site.touch_article("articles/spring-photos.md", "一段新的文字。");

    let out = rehearse(&site, &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(j["summary"]["updated"], 1, "{j}");
    assert_eq!(j["summary"]["created"], 0, "{j}");
    let r = &j["rehearsal"];
    let rehearsed: Vec<String> = r["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .filter_map(|c| c["api"].as_str().map(str::to_string))
        .collect();
    assert!(rehearsed.iter().any(|a| a == "draft/update"), "{r}");
    assert_eq!(r["created"].as_array().map(Vec::len), Some(0), "{r}");
    assert_eq!(r["updated"][0]["titles"][0], "春天的三种颜色", "{r}");
    assert_eq!(site.lock_bytes(), Some(lock), "wxsync.lock changed");
    assert_eq!(
        site.emu.calls("draft/update").len(),
        0,
        "the real account was updated"
    );

    // The real sync then makes exactly the calls rehearsed.
    let real = site.sync(&[]);
    real.assert_code(0);
    let made: Vec<String> = real.calls.iter().map(|c| c.name().to_string()).collect();
    // (The real run has a cached token; the rehearsal's emulator issues its own.)
    let rehearsed: Vec<String> = rehearsed
        .into_iter()
        .filter(|a| a != "stable_token")
        .collect();
    assert_eq!(rehearsed, made);
}

#[test]
fn serve_needs_rehearse_and_rehearse_excludes_dry_run() {
    let site = SyncSite::new();
    let run = site.run(&["sync", "--serve"]);
    run.assert_code(2);
    assert!(run.stderr.contains("--rehearse"), "{}", run.stderr);
    let run = site.run(&["sync", "--rehearse", "--dry-run"]);
    run.assert_code(2);
    assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
}

const LONG_TITLE: &str =
    "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六七八";

#[test]
fn a_title_over_limits_title_fails_check_and_the_rehearsal_follows_the_setting() {
    let site = SyncSite::new();
    assert_eq!(LONG_TITLE.chars().count(), 38);
    site.edit("articles/spring-photos.md", |t| {
        t.replace("title: 春天的三种颜色", &format!("title: {LONG_TITLE}"))
    });

    // The documented 32 by default: refused before anything is sent, with the way out.
    let check = site.run(&["check"]);
    check.assert_code(2);
    assert!(
        check
            .stderr
            .contains("the title is 38 characters; the limit is 32"),
        "{}",
        check.stderr
    );
    assert!(check.stderr.contains("limits.title"), "{}", check.stderr);
    assert!(
        check.stderr.contains("articles/spring-photos.md"),
        "{}",
        check.stderr
    );

    // Raised for an account that takes 64: check passes and the rehearsal's emulator, which
    // enforces the same figure, accepts it.
    site.edit("wxsync.yaml", |t| format!("{t}limits:\n  title: 64\n"));
    site.run(&["check"]).assert_code(0);
    let out = rehearse(&site, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));

    // An account that does refuse it (the test's emulator keeps the documented 32): the
    // hint names the setting instead of contradicting it.
    let real = site.run(&["sync"]);
    real.assert_code(1);
    assert!(real.output().contains("45003"), "{}", real.output());
    assert!(
        real.output().contains("`limits.title`"),
        "{}",
        real.output()
    );
}

#[test]
fn limits_title_out_of_range_is_refused_at_its_line() {
    let site = SyncSite::new();
    site.edit("wxsync.yaml", |t| format!("{t}limits:\n  title: 100\n"));
    let run = site.run(&["check"]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("`limits.title` is 100; it must be 1 to 64 characters"),
        "{}",
        run.stderr
    );
    let line = site
        .read("wxsync.yaml")
        .lines()
        .position(|l| l.contains("title: 100"))
        .expect("the line")
        + 1;
    assert!(
        run.stderr.contains(&format!("wxsync.yaml:{line}:")),
        "not at line {line}:\n{}",
        run.stderr
    );
}

#[test]
fn serve_keeps_the_emulators_draft_box_page_up_until_interrupted() {
    use std::io::{BufRead, BufReader, Read, Write};
    let site = SyncSite::new();
    let mut c = site.command();
    c.env_remove("WXSYNC_API_BASE")
        .args(["sync", "--rehearse", "--serve"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().expect("spawn wxsync");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let url = loop {
        let Some(Ok(line)) = lines.next() else {
            let _ = child.kill();
            panic!("wxsync ended before serving");
        };
        if let Some(rest) = line.strip_prefix("serving the emulator's draft box at ") {
            break rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string();
        }
    };
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let mut conn = std::net::TcpStream::connect(&addr).expect("connect to the draft box");
    write!(
        conn,
        "GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut page = String::new();
    conn.read_to_string(&mut page).expect("read the page");
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("草稿箱"), "{page}");
    assert!(
        page.contains("春天的三种颜色"),
        "the drafts are listed: {page}"
    );
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(interrupted.success());
    let status = child.wait().expect("wait");
    assert_eq!(
        status.code(),
        Some(0),
        "Ctrl-C ends a rehearsal that succeeded with 0"
    );
}
