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

// ---------------------------------------------------------------------------------------
// status --remote, published drafts, publish
// ---------------------------------------------------------------------------------------

/// The `remote` object of an article in a `status --remote --json` report.
fn remote_of(run: &Run, path: &str) -> Json {
    run.article(path)["remote"].clone()
}

#[test]
fn status_remote_shows_edited_gone_and_published_drafts() {
    let site = SyncSite::new();
    first_sync(&site);
    let lock = site.lock();
    edit_in_wechat(&site, &lock.media_id(HELLO), 0, "微信里改的。");
    site.delete_draft(&lock.media_id(ERRORS));
    let article_id = site
        .emu
        .publish_draft(&lock.media_id(SPRING))
        .expect("published");
    let before = site.lock_bytes();

    let run = site.run(&["status", "--remote", "--json"]);
    run.assert_code(0);
    assert_eq!(remote_of(&run, HELLO)["state"], "edited");
    assert_eq!(
        remote_of(&run, HELLO)["update_time"],
        site.draft(&lock.media_id(HELLO)).update_time
    );
    assert_eq!(remote_of(&run, ERRORS)["state"], "deleted");
    assert_eq!(remote_of(&run, SPRING)["state"], "published");
    let published = site.emu.published();
    assert_eq!(published[0].article_id, article_id);
    assert_eq!(
        remote_of(&run, SPRING)["article_url"],
        published[0].articles[0]["url"]
    );
    for path in [LEAD, LINKS] {
        assert_eq!(remote_of(&run, path)["state"], "in_step", "{path}");
    }
    // Four drafts: one page of the draft box, one page of the published articles.
    assert_eq!(
        api_calls(&run),
        ["draft/batchget", "freepublish/batchget"],
        "{:?}",
        run.call_names()
    );
    assert_eq!(run.json()["remote_calls"], 2);
    assert_eq!(site.lock_bytes(), before, "status writes nothing");

    // The human report names each case.
    let human = site.run(&["status", "--remote"]);
    human.assert_code(0);
    let text = human.output();
    assert!(text.contains("edited in WeChat"), "{text}");
    assert!(text.contains("deleted in WeChat"), "{text}");
    assert!(text.contains("the next edit creates a new draft"), "{text}");

    // An account that may not list published articles: gone, fate unknown.
    site.emu.configure(|c| c.publish_enabled = false);
    let run = site.run(&["status", "--remote", "--json"]);
    run.assert_code(0);
    assert_eq!(remote_of(&run, ERRORS)["state"], "gone");
    assert_eq!(remote_of(&run, SPRING)["state"], "gone");
}

#[test]
fn plain_status_still_makes_no_call() {
    let site = SyncSite::new();
    first_sync(&site);
    site.status().assert_code(0).assert_no_calls();
}

#[test]
fn a_draft_published_in_wechat_is_recreated_once_on_the_next_edit() {
    let site = SyncSite::new();
    first_sync(&site);
    let old = site.lock().media_id(HELLO);
    site.emu.advance_clock(30);
    site.emu.publish_draft(&old).expect("published");
    site.touch_article(HELLO, "发布之后的修改。");

    let run = site.sync(&[]);
    run.assert_code(0);
    assert_eq!(run.action(HELLO), "create");
    let reason = run.article(HELLO)["reason"].as_str().unwrap().to_string();
    assert!(reason.contains("published on"), "{reason}");
    assert_eq!(run.count("draft/update"), 0, "{:?}", run.call_names());
    assert_eq!(run.count("draft/add"), 1);
    assert_eq!(run.count("freepublish/batchget"), 1);
    let new = site.lock().media_id(HELLO);
    assert_ne!(new, old);
    assert!(site.lock().entry(HELLO).unwrap().get("published").is_none());
    assert_eq!(site.drafts_titled(HELLO_TITLE).len(), 1);
    // Once: the next run is a no-op.
    site.sync(&[]).assert_code(0).assert_no_calls();
}

#[test]
fn publish_submits_polls_records_and_the_next_edit_creates_one_new_draft() {
    let site = SyncSite::new();
    first_sync(&site);
    let old = site.lock().media_id(HELLO);

    let run = site.run(&["publish", HELLO, "--yes", "--json"]);
    run.assert_code(0);
    assert_eq!(run.count("freepublish/submit"), 1, "{:?}", run.call_names());
    assert_eq!(
        body(run.calls_to("freepublish/submit")[0])["media_id"],
        old.as_str()
    );
    // The emulator answers "publishing" once: polled until done.
    assert_eq!(run.count("freepublish/get"), 2, "{:?}", run.call_names());
    assert!(
        site.emu.draft(&old).is_none(),
        "published drafts leave the box"
    );
    let url = site.emu.published()[0].articles[0]["url"].clone();
    let lock = site.lock();
    let published = lock
        .entry(HELLO)
        .unwrap()
        .get("published")
        .expect("recorded");
    assert_eq!(
        published.get("article_url").and_then(|u| u.as_str()),
        url.as_str()
    );
    assert!(
        published
            .get("publish_time")
            .and_then(|t| t.as_i64())
            .is_some()
    );
    assert_eq!(run.json()["drafts"][0]["published"]["article_url"], url);

    // status says so, with no call; an unchanged article is not pushed.
    let status = site.status();
    status.assert_code(0).assert_no_calls();
    assert_eq!(status.action(HELLO), "skip");
    let reason = status.article(HELLO)["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        reason.contains("published on") && reason.contains("next edit creates a new draft"),
        "{reason}"
    );
    site.sync(&[]).assert_code(0).assert_no_calls();

    // The next edit creates a new draft, once.
    site.touch_article(HELLO, "发布后的第一次修改。");
    let run = site.sync(&[]);
    run.assert_code(0);
    assert_eq!(run.action(HELLO), "create");
    assert_eq!(run.count("draft/add"), 1, "{:?}", run.call_names());
    assert_eq!(run.count("draft/update"), 0);
    assert_ne!(site.lock().media_id(HELLO), old);
    assert!(site.lock().entry(HELLO).unwrap().get("published").is_none());
    site.sync(&[]).assert_code(0).assert_no_calls();
}

#[test]
fn publish_asks_first_and_off_a_terminal_needs_yes() {
    let site = SyncSite::new();
    first_sync(&site);
    let run = site.run(&["publish", HELLO]);
    run.assert_code(2).assert_no_calls();
    assert!(run.stderr.contains("--yes"), "{}", run.stderr);
    assert!(site.lock().entry(HELLO).unwrap().get("published").is_none());
}

#[test]
fn publish_refused_by_wechat_reports_its_hint_and_records_nothing() {
    let site = SyncSite::new();
    first_sync(&site);
    site.emu.configure(|c| c.publish_enabled = false);
    let before = site.lock_bytes();
    let run = site.run(&["publish", HELLO, "--yes", "--json"]);
    run.assert_code(1);
    let msg = run.json()["drafts"][0]["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(run.json()["drafts"][0]["error"]["code"], 48001);
    assert!(
        msg.contains("2025") && msg.contains("mp.weixin.qq.com"),
        "{msg}"
    );
    assert_eq!(site.lock_bytes(), before);
    assert!(site.emu.draft(&site.lock().media_id(HELLO)).is_some());
}

#[test]
fn publish_refuses_an_article_with_changes_not_pushed() {
    let site = SyncSite::new();
    first_sync(&site);
    site.touch_article(HELLO, "还没推送的修改。");
    let run = site.run(&["publish", HELLO, "--yes"]);
    run.assert_code(2).assert_no_calls();
    assert!(run.stderr.contains("wxsync sync"), "{}", run.stderr);
}

#[test]
fn a_failed_publish_job_keeps_the_draft_and_says_why() {
    let site = SyncSite::new();
    first_sync(&site);
    site.emu.configure(|c| {
        c.publish_outcome = 4;
        c.publish_polls = 0;
    });
    let run = site.run(&["publish", HELLO, "--yes", "--json"]);
    run.assert_code(1);
    let msg = run.json()["drafts"][0]["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("publish_status 4"), "{msg}");
    assert!(site.lock().entry(HELLO).unwrap().get("published").is_none());
    assert!(site.emu.draft(&site.lock().media_id(HELLO)).is_some());
}

// ---------------------------------------------------------------------------------------
// Quota
// ---------------------------------------------------------------------------------------

/// Sets `sync.quota_check` in wxsync.yaml.
fn quota_check(site: &SyncSite, n: usize) {
    site.edit("wxsync.yaml", |t| {
        format!("{t}\nsync:\n  quota_check: {n}\n")
    });
}

#[test]
fn quota_prints_each_api_s_limit_use_and_remainder() {
    let site = SyncSite::new();
    site.emu.configure(|c| {
        c.daily_limits.insert("draft/update".into(), 10);
    });
    first_sync(&site);
    let run = site.run(&["quota", "--json"]);
    run.assert_code(0);
    let apis = run.json()["apis"].as_array().unwrap().clone();
    assert_eq!(apis.len(), 11, "{}", run.stdout);
    assert_eq!(run.count("openapi/quota/get"), 11);
    let row = |name: &str| apis.iter().find(|a| a["api"] == name).cloned().unwrap();
    assert_eq!(row("draft/add")["used"], 4, "four drafts made");
    assert_eq!(row("draft/add")["daily_limit"], 100_000);
    assert_eq!(row("draft/update")["daily_limit"], 10);
    assert_eq!(row("draft/update")["remain"], 10);
    assert_eq!(
        body(run.calls_to("openapi/quota/get")[0])["cgi_path"],
        "/cgi-bin/media/uploadimg"
    );

    let table = site.run(&["quota", "draft/add", "draft/update"]);
    table.assert_code(0);
    assert_eq!(table.count("openapi/quota/get"), 2);
    // The table is the command's product: on stdout.
    let text = table.stdout.clone();
    assert!(
        text.contains("DAILY LIMIT") && text.contains("REMAINING"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("draft/update") && l.contains(" 10")),
        "{text}"
    );

    site.run(&["quota", "draft/nothing"])
        .assert_code(2)
        .assert_no_calls();
}

#[test]
fn quota_stops_when_its_own_allowance_is_used_up() {
    let site = SyncSite::new();
    site.emu.configure(|c| {
        c.daily_limits.insert("openapi/quota/get".into(), 2);
    });
    let run = site.run(&["quota", "--json"]);
    run.assert_code(1);
    assert_eq!(
        run.count("openapi/quota/get"),
        3,
        "stops after the first 45009"
    );
    let apis = run.json()["apis"].as_array().unwrap().clone();
    assert_eq!(apis.len(), 11);
    assert!(apis[1]["daily_limit"].is_number());
    assert_eq!(apis[2]["error"]["code"], 45009);
    assert_eq!(apis[10]["error"]["code"], 45009);
}

#[test]
fn a_plan_over_the_remaining_quota_pushes_what_fits_and_stops_cleanly() {
    let site = SyncSite::new();
    first_sync(&site);
    quota_check(&site, 2);
    for path in ALL {
        site.touch_article(path, "每篇都改了。");
    }
    site.emu.configure(|c| {
        c.daily_limits.insert("draft/update".into(), 3);
    });
    let before = site.lock();

    let run = site.sync(&[]);
    run.assert_code(0);
    assert_eq!(run.count("openapi/quota/get"), 1, "{:?}", run.call_names());
    let updates = run.calls_to("draft/update");
    assert_eq!(updates.len(), 3, "{:?}", run.call_names());
    assert!(
        updates.iter().all(|u| u.errcode == Some(0)),
        "never hits 45009"
    );
    // A stable order: the plan's (multi-article drafts, then articles by path).
    for path in [LEAD, LINKS, HELLO] {
        assert_eq!(run.action(path), "update", "{path}");
    }
    for path in [ERRORS, SPRING] {
        assert_eq!(run.action(path), "skip", "{path}");
        let reason = run.article(path)["reason"].as_str().unwrap().to_string();
        assert!(
            reason.contains("left for tomorrow") && reason.contains("draft/update"),
            "{reason}"
        );
        assert_eq!(
            site.lock().hash(path),
            before.hash(path),
            "{path} untouched"
        );
    }
    assert!(
        run.stderr.contains("left for a later run"),
        "{}",
        run.stderr
    );

    // The next day the rest goes out.
    site.emu.advance_clock(86_400);
    let run = site.sync(&[]);
    run.assert_code(0);
    assert_eq!(run.count("draft/update"), 2, "{:?}", run.call_names());
    assert_eq!(run.action(ERRORS), "update");
    assert_eq!(run.action(SPRING), "update");
    site.sync(&[]).assert_code(0).assert_no_calls();
}

#[test]
fn a_small_plan_never_asks_for_the_quota() {
    let site = SyncSite::new();
    let run = first_sync(&site);
    assert_eq!(run.count("openapi/quota/get"), 0);
}

#[test]
fn a_quota_error_names_the_remaining_figures_when_known() {
    let site = SyncSite::new();
    first_sync(&site);
    quota_check(&site, 1);
    site.touch_article(HELLO, "一");
    site.touch_article(ERRORS, "二");
    site.emu.configure(|c| {
        c.daily_limits.insert("draft/update".into(), 10);
    });
    site.emu
        .inject(wxemu::Fault::errcode("draft/update", 45009));
    let run = site.sync(&[]);
    run.assert_code(1);
    let stopped = run.json()["stopped"].as_str().unwrap().to_string();
    assert!(
        stopped.contains("draft/update: limit 10 a day, 0 used, 10 remaining"),
        "{stopped}"
    );
}

// ---------------------------------------------------------------------------------------
// Rendering changes
// ---------------------------------------------------------------------------------------

/// Plays an upgrade of wxsync whose rendering changed: the lockfile's payload hashes become
/// those an older renderer would have made from the same inputs.
fn older_renderer(site: &SyncSite) {
    let text = site.read("wxsync.lock");
    let mut n = 0;
    let out: String = text
        .lines()
        .map(|l| {
            if l.starts_with("    hash: ") {
                n += 1;
                format!("    hash: sha256:{:064x}\n", n)
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    assert_eq!(n, 5, "{text}");
    site.write("wxsync.lock", &out);
}

fn reason(run: &Run, path: &str) -> String {
    run.article(path)["reason"].as_str().unwrap().to_string()
}

#[test]
fn status_names_a_change_of_wxsync_s_rendering() {
    let site = SyncSite::new();
    first_sync(&site);
    older_renderer(&site);
    let status = site.status();
    status.assert_code(0).assert_no_calls();
    for path in ALL {
        assert_eq!(status.action(path), "update", "{path}");
        assert_eq!(
            reason(&status, path),
            "wxsync's rendering changed",
            "{path}"
        );
    }
    // An edit is still an edit, and a theme change is still the site's.
    site.touch_article(HELLO, "真的改了。");
    let status = site.status();
    assert_eq!(reason(&status, HELLO), "content changed");
    site.edit("wxsync.yaml", |t| t.replace("theme: default", "theme: ink"));
    let status = site.status();
    assert_eq!(
        reason(&status, ERRORS),
        "rendering changed (theme, config or images)"
    );
}

#[test]
fn a_rendering_change_beyond_the_batch_is_announced_and_batched() {
    let site = SyncSite::new();
    first_sync(&site);
    site.edit("wxsync.yaml", |t| {
        format!("{t}\nsync:\n  rerender_batch: 2\n")
    });
    first_sync_again(&site);
    older_renderer(&site);
    site.touch_article(SPRING, "这一篇是真的改了。");

    let status = site.status();
    status.assert_code(0).assert_no_calls();
    assert!(
        status.stderr.contains("left for later runs"),
        "{}\n{}",
        status.stderr,
        status.stdout
    );

    let run = site.sync(&[]);
    run.assert_code(0);
    // The edited article goes out, and two of the four that only wxsync changed.
    assert_eq!(run.action(SPRING), "update");
    assert_eq!(reason(&run, SPRING), "content changed");
    assert_eq!(run.count("draft/update"), 3, "{:?}", run.call_names());
    let held: Vec<&str> = [HELLO, ERRORS, LEAD, LINKS]
        .into_iter()
        .filter(|p| run.action(p) == "skip")
        .collect();
    assert_eq!(held, [HELLO, ERRORS], "a stable batch: the plan's order");
    for p in &held {
        assert!(
            reason(&run, p).contains("--rerender"),
            "{}",
            reason(&run, p)
        );
    }
    assert!(run.stderr.contains("left for later runs"), "{}", run.stderr);

    // Two left: within the batch, they go out next run; then nothing.
    let run = site.sync(&[]);
    run.assert_code(0);
    assert_eq!(run.count("draft/update"), 2, "{:?}", run.call_names());
    site.sync(&[]).assert_code(0).assert_no_calls();
}

#[test]
fn rerender_updates_them_all_at_once() {
    let site = SyncSite::new();
    first_sync(&site);
    site.edit("wxsync.yaml", |t| {
        format!("{t}\nsync:\n  rerender_batch: 2\n")
    });
    first_sync_again(&site);
    older_renderer(&site);
    let run = site.sync(&["--rerender"]);
    run.assert_code(0);
    assert_eq!(run.count("draft/update"), 5, "{:?}", run.call_names());
    site.sync(&[]).assert_code(0).assert_no_calls();
}

/// After a config change that re-renders everything: push it, so the lockfile holds the
/// new config's inputs.
#[track_caller]
fn first_sync_again(site: &SyncSite) {
    let run = site.sync(&[]);
    run.assert_code(0);
}

#[test]
fn the_update_time_check_pages_the_box_and_falls_back_to_draft_get() {
    let site = SyncSite::new();
    first_sync(&site);
    // 30 drafts made by others since, newer than ours: ours are on the second page.
    for i in 0..30 {
        site.create_foreign_draft(&[&format!("别人的草稿 {i}")]);
    }
    site.emu.advance_clock(5);
    site.touch_article(HELLO, "一");
    site.touch_article(ERRORS, "二");
    let run = site.sync(&[]);
    run.assert_code(0);
    let calls = api_calls(&run);
    // Before: two pages (34 drafts) find both; after: both are the newest, one page.
    assert_eq!(
        calls,
        [
            "draft/batchget",
            "draft/batchget",
            "draft/update",
            "draft/update",
            "draft/batchget"
        ],
        "{calls:?}"
    );

    // Deep in a box of 120 drafts, one page then draft/get for the two still missing.
    for i in 0..90 {
        site.create_foreign_draft(&[&format!("更多草稿 {i}")]);
    }
    site.emu.advance_clock(5);
    site.touch_article(HELLO, "三");
    site.touch_article(ERRORS, "四");
    let run = site.sync(&[]);
    run.assert_code(0);
    let calls = api_calls(&run);
    assert_eq!(
        calls,
        [
            "draft/batchget",
            "draft/get",
            "draft/get",
            "draft/update",
            "draft/update",
            "draft/batchget"
        ],
        "{calls:?}"
    );
}

#[test]
fn publish_refuses_a_draft_whose_other_article_has_changes_not_pushed() {
    let site = SyncSite::new();
    first_sync(&site);
    site.touch_article(LINKS, "链接页还没推送。");
    let run = site.run(&["publish", LEAD, "--yes"]);
    run.assert_code(2).assert_no_calls();
    assert!(run.stderr.contains(LINKS), "{}", run.stderr);
}

#[test]
fn a_lockfile_of_an_older_wxsync_is_not_rewritten_by_a_run_that_sends_nothing() {
    let site = SyncSite::new();
    first_sync(&site);
    let text = site.read("wxsync.lock");
    let old: String = text
        .lines()
        .filter(|l| {
            let t = l.trim_start();
            !t.starts_with("update_time:") && !t.starts_with("inputs:")
        })
        .map(|l| format!("{l}\n"))
        .collect();
    site.write("wxsync.lock", &old);
    site.sync(&[]).assert_code(0).assert_no_calls();
    assert_eq!(site.read("wxsync.lock"), old);
}

#[test]
fn publish_shows_its_progress_and_gives_up_at_the_timeout() {
    let site = SyncSite::new();
    first_sync(&site);
    let run = site.run(&["publish", HELLO, "--yes"]);
    run.assert_code(0);
    assert!(run.stderr.contains("waiting for WeChat"), "{}", run.stderr);
    assert!(
        run.stderr.contains("published articles/hello-wxsync.md on"),
        "{}",
        run.stderr
    );

    site.emu.configure(|c| c.publish_polls = 1000);
    let run = site.run(&["publish", ERRORS, "--yes", "--timeout", "1"]);
    run.assert_code(1);
    assert!(
        run.stderr.contains("still publishing after 1 s"),
        "{}",
        run.stderr
    );
    assert!(run.elapsed < std::time::Duration::from_secs(10));
    assert!(
        site.lock()
            .entry(ERRORS)
            .unwrap()
            .get("published")
            .is_none()
    );
}
