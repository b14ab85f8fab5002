//! The draft box as others see it (issue 17): edits made in WeChat are never overwritten
//! without `--overwrite`, `adopt` accepts them, `status --remote` shows edited, gone and
//! published drafts, `publish` publishes, `quota` reports the quota. Against the emulator,
//! judged by its request log, the draft box, the lockfile and the JSON reports.

#[path = "support/sync_site.rs"]
mod support;

use serde_json::Value as Json;
use support::*;

fn body(call: &wxemu::LogEntry) -> Json {
    serde_json::from_str(&call.body).unwrap_or_else(|e| panic!("{} body: {e}", call.name()))
}

/// A first sync that must succeed.
#[track_caller]
fn first_sync(site: &SyncSite) -> Run {
    let run = site.sync(&[]);
    run.assert_code(0);
    site.assert_box_matches_lock();
    run
}

/// The `update_time` the lockfile records for an article.
fn recorded(site: &SyncSite, path: &str) -> Option<i64> {
    site.lock().entry(path)?.get("update_time")?.as_i64()
}

/// Edits article `index` of a draft in "WeChat's editor", a minute after the last push.
fn edit_in_wechat(site: &SyncSite, media_id: &str, index: usize, text: &str) {
    site.emu.advance_clock(60);
    assert!(
        site.emu
            .edit_draft(media_id, index, &format!("<p>{text}</p>"))
    );
}

/// The calls of a run but token fetches (the token is cached on disk between runs).
fn api_calls(run: &Run) -> Vec<String> {
    run.call_names()
        .into_iter()
        .filter(|c| !c.starts_with("stable_token") && !c.starts_with("token"))
        .collect()
}

fn error_message(run: &Run, path: &str) -> String {
    run.article(path)["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{path} has no error:\n{}", run.stdout))
        .to_string()
}

#[test]
fn every_push_records_the_update_time_wechat_reports_with_one_read() {
    let site = SyncSite::new();
    let run = first_sync(&site);
    // Four drafts pushed: their times are read back with one batchget page, no content.
    let pages = run.calls_to("draft/batchget");
    assert_eq!(pages.len(), 1, "calls: {:?}", run.call_names());
    assert_eq!(body(pages[0])["no_content"], 1);
    assert_eq!(run.count("draft/get"), 0, "calls: {:?}", run.call_names());
    let lock = site.lock();
    for path in ALL {
        let d = site.draft(&lock.media_id(path));
        assert_eq!(recorded(&site, path), Some(d.update_time), "{path}");
    }
    // The no-op run stays free and byte-identical.
    let before = site.lock_bytes();
    site.sync(&[]).assert_code(0).assert_no_calls();
    assert_eq!(site.lock_bytes(), before);

    // One article edited: one draft/get checks it before, one reads it back after.
    site.emu.advance_clock(5);
    site.touch_article(HELLO, "再改一处。");
    let run = site.sync(&[]);
    run.assert_code(0);
    assert_eq!(api_calls(&run), ["draft/get", "draft/update", "draft/get"]);
    let d = site.draft(&site.lock().media_id(HELLO));
    assert_eq!(recorded(&site, HELLO), Some(d.update_time));
}

#[test]
fn an_edit_made_in_wechat_is_not_overwritten_and_overwrite_pushes_ours() {
    let site = SyncSite::new();
    first_sync(&site);
    let id = site.lock().media_id(HELLO);
    let ours = recorded(&site, HELLO).expect("update_time recorded");
    edit_in_wechat(&site, &id, 0, "编辑在微信里修了一个错别字。");
    let edited = site.draft(&id).update_time;
    assert!(edited > ours);
    site.touch_article(HELLO, "git 里也改了。");
    site.touch_article(ERRORS, "另一篇也改了。");

    let run = site.sync(&[]);
    run.assert_code(1);
    assert_eq!(run.action(HELLO), "error");
    let msg = error_message(&run, HELLO);
    for needle in [
        id.as_str(),
        "edited in WeChat",
        &format!("wxsync sync --overwrite {HELLO}"),
        &format!("wxsync adopt {HELLO}"),
    ] {
        assert!(msg.contains(needle), "{needle:?} missing from: {msg}");
    }
    // The other changed article still goes out; the edited draft is untouched.
    assert_eq!(run.action(ERRORS), "update");
    let updates = run.calls_to("draft/update");
    assert_eq!(updates.len(), 1, "calls: {:?}", run.call_names());
    assert_eq!(
        body(updates[0])["media_id"],
        site.lock().media_id(ERRORS).as_str()
    );
    assert!(
        site.draft(&id).articles[0]["content"]
            .as_str()
            .unwrap()
            .contains("错别字")
    );
    assert_eq!(recorded(&site, HELLO), Some(ours), "baseline unchanged");

    // Refused again on the next run, for the same reason.
    let again = site.sync(&[]);
    again.assert_code(1);
    assert_eq!(
        again.count("draft/update"),
        0,
        "calls: {:?}",
        again.call_names()
    );

    // --overwrite pushes ours.
    let run = site.sync(&["--overwrite", HELLO]);
    run.assert_code(0);
    assert_eq!(run.action(HELLO), "update");
    assert_eq!(run.count("draft/update"), 1);
    let d = site.draft(&id);
    assert!(
        d.articles[0]["content"]
            .as_str()
            .unwrap()
            .contains("git 里也改了")
    );
    assert_eq!(recorded(&site, HELLO), Some(d.update_time));
    site.sync(&[]).assert_code(0).assert_no_calls();
}

#[test]
fn overwrite_needs_the_articles_named() {
    let site = SyncSite::new();
    let run = site.run(&["sync", "--overwrite"]);
    run.assert_code(2).assert_no_calls();
}

#[test]
fn adopt_accepts_the_edit_made_in_wechat_and_the_next_git_edit_wins() {
    let site = SyncSite::new();
    first_sync(&site);
    let id = site.lock().media_id(HELLO);
    edit_in_wechat(&site, &id, 0, "微信里的版本。");
    site.touch_article(HELLO, "git 里的修改。");
    site.sync(&[]).assert_code(1);

    let run = site.run(&["adopt", HELLO, "--json"]);
    run.assert_code(0);
    assert_eq!(run.count("draft/get"), 1, "calls: {:?}", run.call_names());
    assert_eq!(run.count("draft/update"), 0);
    assert_eq!(recorded(&site, HELLO), Some(site.draft(&id).update_time));
    // Theirs is kept: the next sync leaves the draft alone, and makes no call.
    site.sync(&[]).assert_code(0).assert_no_calls();
    assert!(
        site.draft(&id).articles[0]["content"]
            .as_str()
            .unwrap()
            .contains("微信里的版本")
    );
    // The next edit in git wins.
    site.emu.advance_clock(5);
    site.touch_article(HELLO, "下一次修改。");
    let run = site.sync(&[]);
    run.assert_code(0);
    assert_eq!(
        run.count("draft/update"),
        1,
        "calls: {:?}",
        run.call_names()
    );
    assert!(
        site.draft(&id).articles[0]["content"]
            .as_str()
            .unwrap()
            .contains("下一次修改")
    );
}

#[test]
fn an_edit_to_one_article_of_a_shared_draft_holds_back_its_other_articles() {
    let site = SyncSite::new();
    first_sync(&site);
    let id = site.lock().media_id(LEAD);
    edit_in_wechat(&site, &id, 1, "链接页在微信里改了。");
    site.touch_article(LEAD, "头条在 git 里改了。");
    let run = site.sync(&[]);
    run.assert_code(1);
    assert_eq!(run.action(LEAD), "error");
    assert_eq!(
        run.count("draft/update"),
        0,
        "calls: {:?}",
        run.call_names()
    );
}

#[test]
fn an_old_lockfile_without_update_time_still_loads_and_pushes() {
    let site = SyncSite::new();
    first_sync(&site);
    let text = site.read("wxsync.lock");
    let old: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("update_time:"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(old, text);
    site.write("wxsync.lock", &old);
    site.status().assert_code(0).assert_no_calls();
    site.touch_article(HELLO, "旧锁文件。");
    let run = site.sync(&[]);
    run.assert_code(0);
    // Nothing to compare with: no check before; the time is read back after.
    assert_eq!(api_calls(&run), ["draft/update", "draft/get"]);
    assert!(recorded(&site, HELLO).is_some());
}
