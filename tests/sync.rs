//! `wxsync status`, `sync` and `adopt` as a user runs them, against an in-process emulator of
//! the WeChat API (DESIGN §3 lockfile, §4 sync, §5 command line).
//!
//! Each test copies `example-site/` into a temporary directory, points the binary at its own
//! emulator, and judges behaviour by what the emulator received (its request log), what the
//! draft box holds, the lockfile and the exit code and JSON report — never by human wording.
//! Every run is also checked for leaked secrets (`support/sync_site.rs`).
//!
//! The example site has five articles in four drafts: `hello-wxsync` and `rust-error-handling`
//! (single news articles), `weekly/47-lead` + `weekly/47-links` (the two-article draft
//! `weekly-47`, in that order) and `spring-photos` (a `newspic` with three images). Its six
//! images are all different files: `diagram.png` is a body image (`media/uploadimg`);
//! `workflow.jpg` and `default-cover.jpg` (shared by three articles) are covers, and
//! `spring-{1,2,3}.jpg` the newspic's images, all permanent material (`add_material`).

#[path = "support/sync_site.rs"]
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::Value as Json;
use support::*;
use wxemu::{Fault, LogEntry};

/// The request body of a JSON API call.
fn body(call: &LogEntry) -> Json {
    serde_json::from_str(&call.body)
        .unwrap_or_else(|e| panic!("{} body is not JSON ({e}): {}", call.name(), call.body))
}

/// Which example-site image each upload call sent, recognised by its size (all six differ).
fn uploaded_files(site: &SyncSite, calls: &[&LogEntry]) -> Vec<String> {
    let mut by_size = BTreeMap::new();
    for entry in std::fs::read_dir(site.file("images")).expect("images") {
        let entry = entry.expect("entry");
        let size = entry.metadata().expect("metadata").len() as usize;
        by_size.insert(size, entry.file_name().to_string_lossy().into_owned());
    }
    calls
        .iter()
        .map(|c| {
            let part = c
                .parts
                .iter()
                .find(|p| p.name == "media")
                .unwrap_or_else(|| panic!("{} without a `media` part: {:?}", c.name(), c.parts));
            by_size
                .get(&part.size)
                .cloned()
                .unwrap_or_else(|| format!("<unknown image of {} bytes>", part.size))
        })
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// A first sync that must succeed; returns the run.
#[track_caller]
fn first_sync(site: &SyncSite) -> Run {
    let run = site.sync(&[]);
    run.assert_code(0);
    site.assert_box_matches_lock();
    run
}

// ---------------------------------------------------------------------------------------
// First sync, no-op sync, lockfile
// ---------------------------------------------------------------------------------------

#[test]
fn first_sync_creates_every_draft_and_uploads_each_image_once() {
    let site = SyncSite::new();
    let run = first_sync(&site);

    // One draft/add per draft, every one accepted; nothing else touches drafts.
    let adds = run.calls_to("draft/add");
    assert_eq!(adds.len(), 4, "calls: {:?}", run.call_names());
    assert!(adds.iter().all(|c| c.errcode == Some(0)));
    assert_eq!(run.count("draft/update"), 0);
    assert_eq!(run.count("draft/delete"), 0);

    // The weekly draft is one draft/add with both articles, in config order.
    let weekly: Vec<Json> = adds
        .iter()
        .map(|c| body(c))
        .filter(|b| b["articles"].as_array().is_some_and(|a| a.len() == 2))
        .collect();
    assert_eq!(weekly.len(), 1, "exactly one two-article draft/add");
    assert_eq!(weekly[0]["articles"][0]["title"], LEAD_TITLE);
    assert_eq!(weekly[0]["articles"][1]["title"], LINKS_TITLE);
    for add in &adds {
        let n = body(add)["articles"].as_array().map_or(0, Vec::len);
        assert!(n == 1 || n == 2, "draft/add with {n} articles");
    }
    let lock = site.lock();
    assert_eq!(lock.media_id(LEAD), lock.media_id(LINKS));
    assert_eq!((lock.index(LEAD), lock.index(LINKS)), (0, 1));

    // Each distinct image is uploaded once, by the endpoint its use needs.
    let body_images = uploaded_files(&site, &run.calls_to("media/uploadimg"));
    let materials = uploaded_files(&site, &run.calls_to("material/add_material"));
    assert_eq!(body_images, vec!["diagram.png".to_string()], "uploadimg");
    assert_eq!(
        sorted(materials),
        vec![
            "default-cover.jpg",
            "spring-1.jpg",
            "spring-2.jpg",
            "spring-3.jpg",
            "workflow.jpg"
        ],
        "add_material: each cover/newspic image once, the shared default cover once"
    );
    for c in run
        .calls_to("material/add_material")
        .iter()
        .chain(&run.calls_to("media/uploadimg"))
    {
        assert_eq!(c.errcode, Some(0), "{} failed", c.name());
    }

    // Body images in the stored drafts point at WeChat, never at a placeholder.
    let hello = site.draft(&lock.media_id(HELLO));
    let content = hello.articles[0]["content"].as_str().unwrap();
    assert!(!content.contains("wxsync-asset:"), "{content}");
    assert!(content.contains("mmbiz.qpic.cn"), "{content}");
    assert!(site.emu.warnings().is_empty(), "{:?}", site.emu.warnings());
}

#[test]
fn second_run_makes_no_call_and_keeps_the_lockfile_byte_identical() {
    let site = SyncSite::new();
    first_sync(&site);
    let before = site.lock_bytes().unwrap();
    let log = site.emu.log().len();

    let run = site.sync(&[]);
    run.assert_code(0).assert_no_calls();
    assert_eq!(site.emu.log().len(), log, "not even a token fetch");
    assert_eq!(site.lock_bytes().unwrap(), before, "wxsync.lock rewritten");
    for path in ALL {
        assert_eq!(run.action(path), "skip", "{path}");
    }

    // Human output too: still no call; the report (on stdout) says so.
    let human = site.run(&["sync"]);
    human.assert_code(0).assert_no_calls();
    assert!(
        human
            .stdout
            .contains("0 created, 0 updated, 5 skipped, 0 failed"),
        "stdout: {}",
        human.stdout
    );
    assert_eq!(site.lock_bytes().unwrap(), before);
}

#[test]
fn lockfile_is_sorted_stable_and_records_every_asset() {
    let site = SyncSite::new();
    first_sync(&site);
    let text = site.read("wxsync.lock");
    // Item 20: the lockfile is a file like the others, its mode from the umask (not 0600).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode(&site.file("wxsync.lock")),
            mode(&site.file("wxsync.yaml")),
            "wxsync.lock's mode"
        );
    }
    assert!(
        text.starts_with("# Generated by wxsync."),
        "header comment: {text}"
    );
    assert!(text.ends_with('\n'));
    let lock = site.lock();
    assert_eq!(lock.0.get("version").and_then(|v| v.as_u64()), Some(2));
    assert_eq!(lock.appid(), Some(site.emu.appid().as_str()));

    // Forward-slash keys relative to the site root, in sorted order in the file.
    let keys: Vec<String> = lock.0["articles"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    assert_eq!(sorted(keys.clone()), keys, "article keys sorted");
    assert_eq!(
        keys.iter().cloned().collect::<BTreeSet<_>>(),
        ALL.iter().map(|s| s.to_string()).collect()
    );
    for path in ALL {
        let hash = lock.hash(path).expect("hash");
        assert!(hash.starts_with("sha256:"), "{path}: {hash}");
    }

    // Assets: keyed by the sha256 of each image file, body image → url, material → media_id.
    let assets = lock.assets();
    let asset_keys: Vec<String> = assets.iter().map(|(k, _)| k.clone()).collect();
    assert_eq!(sorted(asset_keys.clone()), asset_keys, "asset keys sorted");
    let mut expected = BTreeMap::new();
    for name in [
        "default-cover.jpg",
        "diagram.png",
        "spring-1.jpg",
        "spring-2.jpg",
        "spring-3.jpg",
        "workflow.jpg",
    ] {
        expected.insert(file_hash(&site.file(&format!("images/{name}"))), name);
    }
    assert_eq!(
        asset_keys.iter().cloned().collect::<BTreeSet<_>>(),
        expected.keys().cloned().collect(),
        "one asset per distinct image, keyed by content hash"
    );
    let materials: BTreeSet<String> = site
        .emu
        .materials()
        .into_iter()
        .map(|m| m.media_id)
        .collect();
    for (hash, fields) in &assets {
        let url = fields.get("url").and_then(|u| u.as_str()).unwrap_or("");
        assert!(url.contains("mmbiz.qpic.cn"), "{hash}: url {url:?}");
        let media_id = fields.get("media_id").and_then(|m| m.as_str());
        if expected[hash] == "diagram.png" {
            assert!(media_id.is_none(), "a body image has no media_id");
        } else {
            let id = media_id.unwrap_or_else(|| panic!("{}: no media_id", expected[hash]));
            assert!(materials.contains(id), "{id} is not a material");
        }
    }

    // The same state written again gives the same bytes: edit and revert an article. The
    // draft itself was saved twice meanwhile, so its `update_time` (issue 17) is new state:
    // every other byte is the same.
    let without_times = |b: Vec<u8>| -> String {
        String::from_utf8(b)
            .unwrap()
            .lines()
            .filter(|l| !l.trim_start().starts_with("update_time:"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let before = without_times(site.lock_bytes().unwrap());
    let original = site.read(HELLO);
    site.touch_article(HELLO, "临时修改。");
    site.sync(&[]).assert_code(0);
    site.write(HELLO, &original);
    let run = site.sync(&[]);
    run.assert_code(0);
    assert_eq!(run.count("draft/update"), 1);
    assert_eq!(
        without_times(site.lock_bytes().unwrap()),
        before,
        "same state, same lockfile bytes"
    );
}

#[test]
fn a_lockfile_of_another_account_is_refused() {
    let site = SyncSite::new();
    first_sync(&site);
    let appid = site.emu.appid();
    site.edit("wxsync.lock", |t| {
        t.replace(&format!("appid: {appid}"), "appid: wx9999999999999999")
    });
    assert_eq!(site.lock().appid(), Some("wx9999999999999999"));
    site.touch_article(HELLO, "改动。");
    let before = site.lock_bytes();
    let run = site.sync(&[]);
    run.assert_code(2).assert_no_calls();
    assert!(
        run.output().to_lowercase().contains("appid"),
        "{}",
        run.stderr
    );
    assert_eq!(site.lock_bytes(), before);
}

// ---------------------------------------------------------------------------------------
// Updates
// ---------------------------------------------------------------------------------------

#[test]
fn editing_one_article_makes_exactly_one_update() {
    let site = SyncSite::new();
    first_sync(&site);
    let lock = site.lock();
    site.touch_article(HELLO, "新增的一段：只改这一篇。");

    let run = site.sync(&[]);
    run.assert_code(0);
    let updates = run.calls_to("draft/update");
    assert_eq!(updates.len(), 1, "calls: {:?}", run.call_names());
    assert_eq!(run.count("draft/add"), 0);
    assert_eq!(run.count("media/uploadimg"), 0, "images are cached");
    assert_eq!(run.count("material/add_material"), 0, "covers are cached");
    let b = body(updates[0]);
    assert_eq!(b["media_id"], lock.media_id(HELLO).as_str());
    assert_eq!(b["index"], 0);
    assert_eq!(b["articles"]["title"], HELLO_TITLE);
    assert_eq!(updates[0].errcode, Some(0));

    let stored = site.draft(&lock.media_id(HELLO));
    assert!(
        stored.articles[0]["content"]
            .as_str()
            .unwrap()
            .contains("只改这一篇")
    );
    let after = site.lock();
    assert_eq!(after.media_id(HELLO), lock.media_id(HELLO));
    assert_ne!(after.hash(HELLO), lock.hash(HELLO), "new hash recorded");
    for path in [ERRORS, SPRING, LEAD, LINKS] {
        assert_eq!(after.entry(path), lock.entry(path), "{path} untouched");
    }
    assert_eq!(run.action(HELLO), "update");
    site.assert_box_matches_lock();

    // And then it is in step again.
    site.sync(&[]).assert_code(0).assert_no_calls();
}

#[test]
fn editing_the_second_article_of_a_shared_draft_updates_index_1() {
    let site = SyncSite::new();
    first_sync(&site);
    let lock = site.lock();
    let weekly = lock.media_id(LINKS);
    site.touch_article(LINKS, "4. 新增一条链接说明。");

    let run = site.sync(&[]);
    run.assert_code(0);
    let updates = run.calls_to("draft/update");
    assert_eq!(updates.len(), 1, "calls: {:?}", run.call_names());
    assert_eq!(run.count("draft/add"), 0);
    let b = body(updates[0]);
    assert_eq!(b["media_id"], weekly.as_str());
    assert_eq!(b["index"], 1);
    assert_eq!(b["articles"]["title"], LINKS_TITLE);

    let stored = site.draft(&weekly);
    assert_eq!(stored.articles.len(), 2);
    assert_eq!(stored.articles[0]["title"], LEAD_TITLE);
    assert_eq!(stored.articles[1]["title"], LINKS_TITLE);
    assert!(
        stored.articles[1]["content"]
            .as_str()
            .unwrap()
            .contains("新增一条链接说明")
    );
    let json = run.article(LINKS);
    assert_eq!(json["action"], "update");
    assert_eq!(json["media_id"], weekly.as_str());
    assert_eq!(json["index"], 1);
    assert_eq!(run.action(LEAD), "skip");
    site.assert_box_matches_lock();
}

#[test]
fn an_entry_left_pushing_is_pushed_again() {
    let site = SyncSite::new();
    first_sync(&site);
    // What a crash between "pushing" and the answer leaves behind.
    let mut lock = site.lock();
    lock.0["articles"][ERRORS]["state"] = "pushing".into();
    let text = serde_yaml::to_string(&lock.0).unwrap();
    site.write("wxsync.lock", &text);

    let status = site.status();
    status.assert_code(0).assert_no_calls();
    assert_eq!(status.action(ERRORS), "update");
    assert_eq!(status.action(HELLO), "skip");

    let run = site.sync(&[]);
    run.assert_code(0);
    let updates = run.calls_to("draft/update");
    assert_eq!(updates.len(), 1, "calls: {:?}", run.call_names());
    assert_eq!(body(updates[0])["media_id"], lock.media_id(ERRORS).as_str());
    assert_eq!(run.count("draft/add"), 0);
    assert_eq!(site.lock().state(ERRORS), "synced");
}

#[test]
fn changing_the_order_of_a_multi_article_draft_recreates_it() {
    let site = SyncSite::new();
    first_sync(&site);
    let old_weekly = site.lock().media_id(LEAD);
    site.edit("wxsync.yaml", |t| {
        t.replace(
            "weekly-47: [articles/weekly/47-lead.md, articles/weekly/47-links.md]",
            "weekly-47: [articles/weekly/47-links.md, articles/weekly/47-lead.md]",
        )
    });
    let run = site.sync(&[]);
    run.assert_code(0);
    let adds = run.calls_to("draft/add");
    assert_eq!(adds.len(), 1, "calls: {:?}", run.call_names());
    let b = body(adds[0]);
    assert_eq!(b["articles"][0]["title"], LINKS_TITLE);
    assert_eq!(b["articles"][1]["title"], LEAD_TITLE);
    let lock = site.lock();
    assert_eq!(lock.media_id(LINKS), lock.media_id(LEAD));
    assert_eq!((lock.index(LINKS), lock.index(LEAD)), (0, 1));
    let stored = site.draft(&lock.media_id(LINKS));
    assert_eq!(stored.articles[0]["title"], LINKS_TITLE);
    for path in [HELLO, ERRORS, SPRING] {
        assert_eq!(run.action(path), "skip");
    }
    site.sync(&[]).assert_code(0).assert_no_calls();

    // Issue 15 item 14: the replaced draft is still in the box; sync, status and --json say
    // so (until --prune deletes it).
    let old = old_weekly;
    assert!(site.emu.draft(&old).is_some(), "the old draft is kept");
    let said = run.json();
    let listed = |j: &Json| {
        j["orphans"].as_array().is_some_and(|o| {
            o.iter()
                .any(|x| x["media_id"] == old.as_str() && x["reason"].is_string())
        })
    };
    assert!(
        listed(&said),
        "sync --json lists the replaced draft: {said}"
    );
    let status = site.status();
    assert!(listed(&status.json()), "status --json: {}", status.stdout);
    let human = site.run(&["status"]);
    assert!(
        human.stdout.contains("replaced: draft ") && human.stdout.contains("wxsync sync --prune"),
        "{}",
        human.stdout
    );
    site.sync(&["--prune"]).assert_code(0);
    assert!(site.emu.draft(&old).is_none(), "pruned");
    assert!(
        !listed(&site.status().json()),
        "no longer listed once pruned"
    );
}

// ---------------------------------------------------------------------------------------
// Failures, retries, tokens
// ---------------------------------------------------------------------------------------

#[test]
fn a_transient_system_error_on_update_is_retried() {
    let site = SyncSite::new();
    first_sync(&site);
    site.touch_article(ERRORS, "One more paragraph.");
    site.emu.inject(Fault::errcode("draft/update", -1).times(1));

    let run = site.sync(&[]);
    run.assert_code(0);
    let updates = run.calls_to("draft/update");
    assert_eq!(updates.len(), 2, "calls: {:?}", run.call_names());
    assert_eq!(updates[0].errcode, Some(-1));
    assert_eq!(updates[1].errcode, Some(0));
    assert_eq!(run.count("draft/add"), 0);
    assert!(site.emu.pending_faults().is_empty());
    let stored = site.draft(&site.lock().media_id(ERRORS));
    assert!(
        stored.articles[0]["content"]
            .as_str()
            .unwrap()
            .contains("One more paragraph.")
    );
    site.assert_box_matches_lock();
}

#[test]
fn an_expired_token_is_refreshed_between_runs() {
    let site = SyncSite::new();
    first_sync(&site);
    let first_tokens = site.secrets();
    site.emu.advance_clock(7300); // every token issued so far has expired
    site.touch_article(HELLO, "两小时以后的修改。");

    let run = site.sync(&[]);
    run.assert_code(0);
    assert!(run.token_calls() >= 1, "calls: {:?}", run.call_names());
    let updates = run.calls_to("draft/update");
    assert!(
        !updates.is_empty() && updates.len() <= 2,
        "calls: {:?}",
        run.call_names()
    );
    assert_eq!(updates.last().unwrap().errcode, Some(0));
    // The update that succeeded used a token minted after the clock moved.
    let used = updates.last().unwrap().access_token.clone().unwrap();
    assert!(!first_tokens.contains(&used), "an expired token was used");
    assert_eq!(run.count("draft/add"), 0);
    site.assert_box_matches_lock();
}

#[test]
fn a_rejected_token_is_refreshed_once() {
    let site = SyncSite::new();
    first_sync(&site);
    site.touch_article(HELLO, "令牌失效时的修改。");
    site.emu.inject(Fault::errcode("draft/update", 42001));

    let run = site.sync(&[]);
    run.assert_code(0);
    let updates = run.calls_to("draft/update");
    assert_eq!(updates.len(), 2, "calls: {:?}", run.call_names());
    assert_eq!(updates[0].errcode, Some(42001));
    assert_eq!(updates[1].errcode, Some(0));
    let tokens = run.token_calls();
    assert!((1..=2).contains(&tokens), "calls: {:?}", run.call_names());
    // The refresh happened between the two attempts.
    let first = updates[0].seq;
    let second = updates[1].seq;
    assert!(
        run.calls
            .iter()
            .any(|c| (c.name() == "stable_token" || c.name() == "token")
                && c.seq > first
                && c.seq < second),
        "calls: {:?}",
        run.call_names()
    );
    site.assert_box_matches_lock();
}

#[test]
fn a_quota_error_stops_the_run_and_keeps_every_earlier_success() {
    let site = SyncSite::new();
    site.emu.configure(|c| {
        c.daily_limits.insert("draft/add".into(), 2);
    });

    let run = site.sync(&[]);
    run.assert_code(1);
    let adds = run.calls_to("draft/add");
    assert_eq!(
        adds.iter().map(|c| c.errcode).collect::<Vec<_>>(),
        vec![Some(0), Some(0), Some(45009)],
        "two drafts made, the third add hits the quota and the run stops: {:?}",
        run.call_names()
    );
    let stop = adds[2].seq;
    assert!(
        !run.calls
            .iter()
            .any(|c| c.seq > stop && c.name().starts_with("draft/")),
        "no draft call after 45009: {:?}",
        run.call_names()
    );

    // Both successes are in the lockfile, with the ids the emulator gave.
    assert_eq!(site.emu.drafts().len(), 2);
    let lock = site.lock();
    let drafts: BTreeSet<String> = site.emu.drafts().into_iter().map(|d| d.media_id).collect();
    let mut recorded = BTreeSet::new();
    for path in ALL {
        if let Some(id) = lock
            .opt_media_id(path)
            .filter(|_| lock.state(path) == "synced")
        {
            assert!(drafts.contains(&id), "{path}: {id} not in the box");
            let found = site.drafts_titled(title_of(path));
            assert_eq!(
                found,
                vec![(id.clone(), lock.index(path) as usize)],
                "{path}"
            );
            recorded.insert(id);
        }
    }
    assert_eq!(recorded, drafts, "every created draft is recorded");
    let failed: Vec<Json> = run.json()["articles"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"] == "error")
        .cloned()
        .collect();
    assert!(!failed.is_empty(), "{}", run.stdout);
    assert!(
        failed.iter().any(|a| a["error"]["code"] == 45009),
        "{}",
        run.stdout
    );
    assert!(run.json()["summary"]["failed"].as_u64().unwrap() >= 1);

    // Next day (quota lifted): the rest is pushed, nothing is pushed twice.
    site.emu.configure(|c| c.daily_limits.clear());
    let run = site.sync(&[]);
    run.assert_code(0);
    assert_eq!(run.count("draft/add"), 2, "calls: {:?}", run.call_names());
    assert_eq!(run.count("draft/update"), 0);
    site.assert_box_matches_lock();
}

#[test]
fn a_draft_deleted_on_the_server_is_recreated_once() {
    let site = SyncSite::new();
    first_sync(&site);
    let old = site.lock().media_id(HELLO);
    site.delete_draft(&old); // published, or deleted by hand
    site.touch_article(HELLO, "发布之后又改了一处。");

    let run = site.sync(&[]);
    run.assert_code(0);
    // The check before the update finds the draft gone (issue 17): no update is sent, and
    // the published articles tell a deleted draft from a published one.
    assert_eq!(
        run.count("draft/update"),
        0,
        "calls: {:?}",
        run.call_names()
    );
    assert_eq!(
        run.count("freepublish/batchget"),
        1,
        "{:?}",
        run.call_names()
    );
    assert!(
        run.article(HELLO)["reason"]
            .as_str()
            .unwrap()
            .contains("deleted")
    );
    let adds = run.calls_to("draft/add");
    assert_eq!(adds.len(), 1, "calls: {:?}", run.call_names());
    // Before the add, the old draft is checked; after it, the new one's update_time is read.
    let (gets, after): (Vec<_>, Vec<_>) = run
        .calls_to("draft/get")
        .into_iter()
        .partition(|g| g.seq < adds[0].seq);
    assert!(!gets.is_empty(), "checked with draft/get");
    assert!(gets.iter().all(|g| body(g)["media_id"] == old.as_str()));
    assert!(gets.iter().all(|g| g.errcode == Some(40007)));
    assert_eq!(body(adds[0])["articles"][0]["title"], HELLO_TITLE);

    let lock = site.lock();
    let new = lock.media_id(HELLO);
    assert_ne!(new, old);
    assert!(after.iter().all(|g| body(g)["media_id"] == new.as_str()));
    assert_eq!(lock.state(HELLO), "synced");
    assert!(
        site.draft(&new).articles[0]["content"]
            .as_str()
            .unwrap()
            .contains("发布之后又改了一处")
    );
    site.assert_box_matches_lock();
    site.sync(&[]).assert_code(0).assert_no_calls();
}

#[test]
fn an_update_rejected_while_the_draft_exists_fails_only_that_article() {
    let site = SyncSite::new();
    first_sync(&site);
    let before = site.lock();
    site.touch_article(HELLO, "第一处修改。");
    site.touch_article(ERRORS, "Second change.");
    // WeChat answers 40007 for a payload it dislikes, too; the draft is still there.
    site.emu.inject(Fault::errcode("draft/update", 40007));

    let run = site.sync(&[]);
    run.assert_code(1);
    assert_eq!(run.count("draft/add"), 0, "calls: {:?}", run.call_names());
    assert!(run.count("draft/get") >= 1);
    let updates = run.calls_to("draft/update");
    assert_eq!(updates.len(), 2, "calls: {:?}", run.call_names());
    let failed_id = body(updates[0])["media_id"].as_str().unwrap().to_string();
    let (failed, ok) = if failed_id == before.media_id(HELLO) {
        (HELLO, ERRORS)
    } else {
        (ERRORS, HELLO)
    };
    assert_eq!(updates[1].errcode, Some(0));
    assert_eq!(body(updates[1])["media_id"], before.media_id(ok).as_str());

    assert_eq!(run.action(failed), "error");
    let err = &run.article(failed)["error"];
    assert_eq!(err["code"], 40007, "{err}");
    assert!(err["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(run.action(ok), "update");
    assert_eq!(run.json()["summary"]["failed"], 1);
    assert_eq!(run.json()["summary"]["updated"], 1);

    let after = site.lock();
    assert_eq!(
        after.hash(failed),
        before.hash(failed),
        "failure not recorded"
    );
    assert_ne!(after.hash(ok), before.hash(ok));

    let again = site.sync(&[]);
    again.assert_code(0);
    let updates = again.calls_to("draft/update");
    assert_eq!(updates.len(), 1, "calls: {:?}", again.call_names());
    assert_eq!(
        body(updates[0])["media_id"],
        before.media_id(failed).as_str()
    );
    site.assert_box_matches_lock();
}

#[test]
fn a_lost_add_answer_is_reconciled_without_a_duplicate() {
    let site = SyncSite::new();
    // The emulator makes the first draft, then drops the connection: the outcome is unknown.
    site.emu.inject(Fault::drop_after("draft/add"));

    let run = site.sync(&[]);
    run.assert_code(1);
    let adds = run.calls_to("draft/add");
    assert_eq!(
        adds.len(),
        4,
        "one add per draft, the dropped one not retried: {:?}",
        run.call_names()
    );
    assert_eq!(site.emu.drafts().len(), 4, "the dropped add was processed");
    let dropped: Vec<String> = body(adds[0])["articles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap().to_string())
        .collect();
    let lock = site.lock();
    let unknown: Vec<&str> = ALL
        .iter()
        .copied()
        .filter(|p| lock.entry(p).is_some() && lock.state(p) == "unknown")
        .collect();
    assert!(!unknown.is_empty(), "no `unknown` entry:\n{lock:?}");
    for p in &unknown {
        assert!(dropped.iter().any(|t| t == title_of(p)), "{p} is unknown");
    }
    for p in ALL {
        if !dropped.iter().any(|t| t == title_of(p)) {
            assert_eq!(lock.state(p), "synced", "{p}");
        }
    }
    assert!(
        run.json()["articles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["action"] == "error"),
        "{}",
        run.stdout
    );

    // The next run reconciles via draft/batchget before creating anything: no duplicate.
    let run = site.sync(&[]);
    run.assert_code(0);
    let batch = run.calls_to("draft/batchget");
    assert!(!batch.is_empty(), "calls: {:?}", run.call_names());
    assert_eq!(run.count("draft/add"), 0, "calls: {:?}", run.call_names());
    site.assert_box_matches_lock();
    for p in &unknown {
        assert_eq!(site.drafts_titled(title_of(p)).len(), 1, "{p}");
    }
    // Converged.
    site.sync(&[]).assert_code(0).assert_no_calls();
}

#[test]
fn two_concurrent_runs_cannot_both_push() {
    let site = SyncSite::new();
    // Long enough that the second run starts while the first holds the lock, even on a
    // machine busy compiling (6 s was not always enough).
    site.emu.inject(Fault::delay("draft/add", 15000));
    let mut first = site
        .command()
        .arg("-C")
        .arg(site.path())
        .args(["sync"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn the first run");
    let started = wait_for(Duration::from_secs(120), || {
        !site.emu.calls("draft/add").is_empty() || first.try_wait().ok().flatten().is_some()
    });
    if site.emu.calls("draft/add").is_empty() {
        let _ = first.kill();
        let out = first.wait_with_output().expect("wait");
        panic!(
            "the first run never reached draft/add (timed out: {}): {}",
            !started,
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let second = site.sync(&[]);
    let first_still_running = first.try_wait().expect("try_wait").is_none();
    second.assert_code(2);
    assert!(
        second.output().to_lowercase().contains("lock"),
        "the refusal names the lock:\n{}",
        second.stderr
    );
    if first_still_running {
        second.assert_no_calls();
    }

    let out = first.wait_with_output().expect("wait");
    assert_eq!(
        out.status.code(),
        Some(0),
        "first run: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    site.assert_box_matches_lock();
    assert_eq!(site.emu.calls("draft/add").len(), 4);
    // The lock is released: a later run works.
    site.sync(&[]).assert_code(0).assert_no_calls();
}

// ---------------------------------------------------------------------------------------
// Renames, orphans, newspic
// ---------------------------------------------------------------------------------------

#[test]
fn a_renamed_article_keeps_its_draft() {
    let site = SyncSite::new();
    first_sync(&site);
    let before = site.lock();
    let renamed = "articles/hello-renamed.md";
    std::fs::rename(site.file(HELLO), site.file(renamed)).unwrap();

    let status = site.status();
    status.assert_code(0).assert_no_calls();
    assert_ne!(status.action(renamed), "create", "{}", status.stdout);

    let run = site.sync(&[]);
    run.assert_code(0);
    assert_eq!(run.count("draft/add"), 0, "calls: {:?}", run.call_names());
    assert_eq!(run.count("draft/delete"), 0);
    let lock = site.lock();
    assert!(lock.entry(HELLO).is_none(), "old key gone:\n{lock:?}");
    assert_eq!(lock.media_id(renamed), before.media_id(HELLO));
    assert_eq!(lock.index(renamed), 0);
    assert_eq!(lock.state(renamed), "synced");
    assert_eq!(site.emu.drafts().len(), 4);
    assert_eq!(site.drafts_titled(HELLO_TITLE).len(), 1);
    site.sync(&[]).assert_code(0).assert_no_calls();
}

#[test]
fn a_deleted_article_is_an_orphan_and_its_draft_survives_unless_pruned() {
    let site = SyncSite::new();
    first_sync(&site);
    let id = site.lock().media_id(ERRORS);
    std::fs::remove_file(site.file(ERRORS)).unwrap();

    let status = site.run(&["status"]);
    status.assert_code(0).assert_no_calls();
    assert!(
        status.output().to_lowercase().contains("orphan"),
        "status reports the orphan:\n{}",
        status.stderr
    );
    assert!(status.output().contains(ERRORS), "{}", status.stderr);

    let run = site.run(&["sync"]);
    run.assert_code(0);
    assert_eq!(
        run.count("draft/delete"),
        0,
        "calls: {:?}",
        run.call_names()
    );
    assert_eq!(run.count("draft/add"), 0);
    assert!(
        run.output().to_lowercase().contains("orphan"),
        "{}",
        run.stderr
    );
    assert!(site.emu.draft(&id).is_some(), "the draft survives");
    assert_eq!(site.lock().media_id(ERRORS), id, "kept in the lockfile");

    let run = site.sync(&["--prune"]);
    run.assert_code(0);
    let deletes = run.calls_to("draft/delete");
    assert_eq!(deletes.len(), 1, "calls: {:?}", run.call_names());
    assert_eq!(body(deletes[0])["media_id"], id.as_str());
    assert_eq!(run.count("draft/add"), 0);
    assert_eq!(run.count("draft/update"), 0);
    assert!(site.emu.draft(&id).is_none());
    assert_eq!(site.emu.drafts().len(), 3);
    let lock = site.lock();
    assert!(
        lock.entry(ERRORS).is_none(),
        "pruned entry removed:\n{lock:?}"
    );
    for path in [HELLO, SPRING, LEAD, LINKS] {
        assert_eq!(lock.state(path), "synced");
    }
    site.sync(&["--prune"]).assert_code(0).assert_no_calls();
}

#[test]
fn prune_deletes_nothing_in_a_run_where_something_failed() {
    let site = SyncSite::new();
    first_sync(&site);
    let id = site.lock().media_id(ERRORS);
    std::fs::remove_file(site.file(ERRORS)).unwrap();
    site.touch_article(HELLO, "这次更新会失败。");
    site.emu.inject(Fault::errcode("draft/update", 45009));

    let run = site.sync(&["--prune"]);
    run.assert_code(1);
    assert_eq!(
        run.count("draft/delete"),
        0,
        "calls: {:?}",
        run.call_names()
    );
    assert!(site.emu.draft(&id).is_some());
    assert_eq!(site.lock().media_id(ERRORS), id);
}

#[test]
fn a_newspic_article_sends_three_permanent_images() {
    let site = SyncSite::new();
    let run = first_sync(&site);
    let lock = site.lock();
    let stored = site.draft(&lock.media_id(SPRING));
    assert_eq!(stored.articles.len(), 1);
    let a = &stored.articles[0];
    assert_eq!(a["article_type"], "newspic");
    assert_eq!(a["title"], SPRING_TITLE);
    let list = a["image_info"]["image_list"]
        .as_array()
        .expect("image_list");
    assert_eq!(list.len(), 3);
    let materials: BTreeMap<String, wxemu::StoredMaterial> = site
        .emu
        .materials()
        .into_iter()
        .map(|m| (m.media_id.clone(), m))
        .collect();
    let sizes: Vec<u64> = (1..=3)
        .map(|i| {
            std::fs::metadata(site.file(&format!("images/spring-{i}.jpg")))
                .unwrap()
                .len()
        })
        .collect();
    for (i, item) in list.iter().enumerate() {
        let id = item["image_media_id"].as_str().expect("image_media_id");
        let m = materials
            .get(id)
            .unwrap_or_else(|| panic!("{id} is not a permanent material"));
        assert_eq!(m.kind, "image");
        assert_eq!(m.size as u64, sizes[i], "image {i} is spring-{}.jpg", i + 1);
    }
    let content = a["content"].as_str().unwrap();
    assert!(!content.contains('<'), "plain text: {content}");
    assert!(content.contains("绿色是新叶"));
    assert!(a["cover_info"]["crop_percent_list"].is_array(), "{a}");
    let add = run
        .calls_to("draft/add")
        .into_iter()
        .find(|c| body(c)["articles"][0]["title"] == SPRING_TITLE)
        .expect("the newspic draft/add");
    assert_eq!(add.errcode, Some(0));
}

// ---------------------------------------------------------------------------------------
// status, --dry-run, PATH…, --json, sync: false, validation
// ---------------------------------------------------------------------------------------

#[test]
fn status_makes_no_call_and_explains_the_plan() {
    let site = SyncSite::new();
    let run = site.status();
    run.assert_code(0).assert_no_calls();
    for path in ALL {
        let a = run.article(path);
        assert_eq!(a["action"], "create", "{path}");
        assert!(a["reason"].as_str().is_some_and(|r| !r.is_empty()), "{a}");
    }
    assert!(site.lock_bytes().is_none(), "status writes no lockfile");

    first_sync(&site);
    let before = site.lock_bytes();
    site.touch_article(HELLO, "改一下。");
    site.write(
        "articles/new-post.md",
        "---\ntitle: 一篇新文章\n---\n\n新文章的正文。\n",
    );
    let log = site.emu.log().len();
    let run = site.status();
    run.assert_code(0).assert_no_calls();
    assert_eq!(site.emu.log().len(), log);
    assert_eq!(run.action(HELLO), "update");
    assert_eq!(run.action("articles/new-post.md"), "create");
    for path in [ERRORS, SPRING, LEAD, LINKS] {
        assert_eq!(run.action(path), "skip", "{path}");
    }
    let json = run.json();
    for a in json["articles"].as_array().unwrap() {
        assert!(
            a["reason"].as_str().is_some_and(|r| !r.is_empty()),
            "every action has a reason: {a}"
        );
    }
    let hello = run.article(HELLO);
    assert_eq!(hello["media_id"], site.lock().media_id(HELLO).as_str());
    assert_eq!(hello["index"], 0);
    assert_eq!(json["summary"]["created"], 1);
    assert_eq!(json["summary"]["updated"], 1);
    assert_eq!(json["summary"]["skipped"], 4);
    assert_eq!(json["summary"]["failed"], 0);
    assert_eq!(
        site.lock_bytes(),
        before,
        "status never writes the lockfile"
    );

    // Human form: the plan is the command's product, on stdout (`wxsync status > plan.txt`
    // captures it); stderr has only the diagnostics.
    let human = site.run(&["status"]);
    human.assert_code(0).assert_no_calls();
    for path in ALL {
        assert!(human.stdout.contains(path), "{path} in:\n{}", human.stdout);
    }
    assert!(
        !human.stderr.contains("ARTICLE") && !human.stderr.contains("to create"),
        "the plan on stderr:\n{}",
        human.stderr
    );
    for action in ["create", "update", "skip"] {
        assert!(
            human.stdout.contains(action),
            "{action} in:\n{}",
            human.stdout
        );
    }
    assert!(
        human
            .stdout
            .contains("1 to create, 1 to update, 4 unchanged or skipped"),
        "{}",
        human.stdout
    );
    // Redirected to a file, as a user would.
    let plan = site.file("plan.txt");
    let file = std::fs::File::create(&plan).expect("plan.txt");
    let status = site
        .command()
        .args(["status"])
        .stdout(file)
        .status()
        .expect("run wxsync status");
    assert_eq!(status.code(), Some(0));
    let written = std::fs::read_to_string(&plan).expect("read plan.txt");
    assert_eq!(written, human.stdout, "status > plan.txt captures the plan");
}

#[test]
fn status_works_without_credentials() {
    let site = SyncSite::new();
    let out = site
        .command()
        .env_remove("WECHAT_APPSECRET")
        .arg("-C")
        .arg(site.path())
        .args(["status", "--json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(site.emu.log().is_empty());
}

#[test]
fn dry_run_prints_the_plan_writes_the_payloads_and_sends_nothing() {
    let site = SyncSite::new();
    let run = site.sync(&["--dry-run"]);
    run.assert_code(0).assert_no_calls();
    for path in ALL {
        assert_eq!(run.action(path), "create", "{path}");
        let stem = path.trim_end_matches(".md");
        for ext in ["html", "json"] {
            let out = site.file(&format!(".wxsync/out/{stem}.{ext}"));
            assert!(out.is_file(), "{} written", out.display());
        }
    }
    let payload: Json = serde_json::from_str(&site.read(".wxsync/out/articles/hello-wxsync.json"))
        .expect("payload json");
    assert_eq!(payload["title"], HELLO_TITLE);
    assert!(site.lock_bytes().is_none(), "a dry run writes no lockfile");
    assert!(site.emu.drafts().is_empty());

    first_sync(&site);
    let before = site.lock_bytes();
    site.touch_article(LINKS, "演练模式下的改动。");
    let run = site.sync(&["--dry-run"]);
    run.assert_code(0).assert_no_calls();
    assert_eq!(run.action(LINKS), "update");
    assert_eq!(run.action(HELLO), "skip");
    assert_eq!(site.lock_bytes(), before);
    assert!(
        site.read(".wxsync/out/articles/weekly/47-links.html")
            .contains("演练模式下的改动")
    );

    // In words, on stdout: what it is, and where the payloads went.
    let human = site.run(&["sync", "--dry-run"]);
    human.assert_code(0).assert_no_calls();
    assert!(
        human
            .stdout
            .contains("dry run: nothing sent; the payloads are in .wxsync/out/"),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains("1 to update"), "{}", human.stdout);
}

#[test]
fn sync_paths_limit_the_run() {
    let site = SyncSite::new();
    let run = site.sync(&[HELLO]);
    run.assert_code(0);
    let adds = run.calls_to("draft/add");
    assert_eq!(adds.len(), 1, "calls: {:?}", run.call_names());
    assert_eq!(body(adds[0])["articles"][0]["title"], HELLO_TITLE);
    assert_eq!(
        uploaded_files(&site, &run.calls_to("material/add_material")),
        vec!["workflow.jpg"],
        "only the assets the named articles need"
    );
    assert_eq!(site.lock().articles(), BTreeSet::from([HELLO.to_string()]));
    assert_eq!(site.emu.drafts().len(), 1);

    // Another run for the rest; the named-only run changed nothing else.
    site.touch_article(HELLO, "未点名的改动。");
    let run = site.sync(&[ERRORS]);
    run.assert_code(0);
    assert_eq!(run.count("draft/add"), 1, "calls: {:?}", run.call_names());
    assert_eq!(run.count("draft/update"), 0, "hello was not named");
    let lock = site.lock();
    assert_eq!(
        lock.articles(),
        BTreeSet::from([HELLO.to_string(), ERRORS.to_string()])
    );

    let run = site.sync(&[]);
    run.assert_code(0);
    assert_eq!(run.count("draft/update"), 1);
    assert_eq!(run.count("draft/add"), 2);
    site.assert_box_matches_lock();
}

#[test]
fn json_report_matches_the_contract() {
    let site = SyncSite::new();
    let run = site.sync(&[]);
    run.assert_code(0);
    let json = run.json();
    let articles = json["articles"].as_array().expect("articles");
    assert_eq!(
        articles
            .iter()
            .map(|a| a["path"].as_str().unwrap().to_string())
            .collect::<BTreeSet<_>>(),
        ALL.iter().map(|s| s.to_string()).collect(),
        "every article listed once, by its site-relative path"
    );
    assert_eq!(articles.len(), 5);
    let lock = site.lock();
    for a in articles {
        let path = a["path"].as_str().unwrap();
        for key in ["path", "action", "reason", "media_id", "index"] {
            assert!(a.get(key).is_some(), "{path}: no `{key}` in {a}");
        }
        assert_eq!(a["action"], "create", "{path}");
        assert!(a["reason"].as_str().is_some_and(|r| !r.is_empty()));
        assert_eq!(a["media_id"], lock.media_id(path).as_str(), "{path}");
        assert_eq!(a["index"], lock.index(path), "{path}");
        assert!(
            a.get("error").is_none_or(Json::is_null),
            "{path}: error on success: {a}"
        );
    }
    let summary = &json["summary"];
    assert_eq!(summary["created"], 5, "{summary}");
    assert_eq!(summary["updated"], 0);
    assert_eq!(summary["skipped"], 0);
    assert_eq!(summary["failed"], 0);
    assert_eq!(summary["uploads"], 6, "six distinct images uploaded");

    site.touch_article(SPRING, "还有紫色的丁香。");
    let run = site.sync(&[]);
    run.assert_code(0);
    let summary = &run.json()["summary"];
    assert_eq!(summary["created"], 0, "{summary}");
    assert_eq!(summary["updated"], 1);
    assert_eq!(summary["skipped"], 4);
    assert_eq!(summary["failed"], 0);
    assert_eq!(summary["uploads"], 0);
    assert_eq!(
        run.article(SPRING)["media_id"],
        lock.media_id(SPRING).as_str()
    );
}

#[test]
fn articles_with_sync_false_are_never_pushed() {
    let site = SyncSite::new();
    site.add_front_matter(ERRORS, "sync: false");
    let run = site.sync(&[]);
    run.assert_code(0);
    assert_eq!(run.count("draft/add"), 3, "calls: {:?}", run.call_names());
    assert!(site.drafts_titled(ERRORS_TITLE).is_empty());
    assert_eq!(run.action(ERRORS), "skip");
    assert!(
        run.article(ERRORS)["reason"]
            .as_str()
            .is_some_and(|r| !r.is_empty())
    );
    assert!(site.lock().entry(ERRORS).is_none());
    assert_eq!(site.emu.drafts().len(), 3);

    site.touch_article(ERRORS, "Edited, still not synced.");
    let run = site.sync(&[]);
    run.assert_code(0).assert_no_calls();
    assert_eq!(run.action(ERRORS), "skip");
}

#[test]
fn a_validation_error_exits_2_before_anything_is_sent() {
    let site = SyncSite::new();
    let long = "很".repeat(70);
    site.edit(ERRORS, |t| {
        t.replace("title: Errors users can act on", &format!("title: {long}"))
    });
    let run = site.sync(&[]);
    run.assert_code(2).assert_no_calls();
    assert!(site.emu.log().is_empty(), "emulator log empty");
    assert!(site.lock_bytes().is_none());
    assert!(
        run.output().contains("rust-error-handling"),
        "{}",
        run.stderr
    );

    // Also with a lockfile in place: nothing sent, nothing rewritten.
    site.edit(ERRORS, |t| {
        t.replace(&format!("title: {long}"), "title: Errors users can act on")
    });
    first_sync(&site);
    let before = site.lock_bytes();
    site.touch_article(HELLO, "这篇是好的。");
    site.edit(LINKS, |t| {
        t.replace("title: 周刊第 47 期：本周链接", &format!("title: {long}"))
    });
    let run = site.sync(&[]);
    run.assert_code(2).assert_no_calls();
    assert_eq!(site.lock_bytes(), before);
}

#[test]
fn missing_credentials_exit_2_before_anything_is_sent() {
    let site = SyncSite::new();
    let out = site
        .command()
        .env_remove("WECHAT_APPSECRET")
        .arg("-C")
        .arg(site.path())
        .args(["sync"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("WECHAT_APPSECRET"),
        "names the variable: {stderr}"
    );
    assert!(site.emu.log().is_empty());
    assert!(site.lock_bytes().is_none());
}

// ---------------------------------------------------------------------------------------
// adopt
// ---------------------------------------------------------------------------------------

#[test]
fn adopt_binds_an_article_to_an_existing_draft() {
    let site = SyncSite::new();
    let id = site.create_foreign_draft(&["旧草稿"]);
    let run = site.run(&["adopt", HELLO, "--media-id", &id]);
    run.assert_code(0);
    assert!(run.count("draft/get") >= 1, "checked with draft/get");
    assert_eq!(run.count("draft/add"), 0);
    assert_eq!(run.count("draft/update"), 0);
    let lock = site.lock();
    assert_eq!(lock.media_id(HELLO), id);
    assert_eq!(lock.index(HELLO), 0);
    assert_eq!(lock.appid(), Some(site.emu.appid().as_str()));

    let status = site.status();
    status.assert_code(0).assert_no_calls();
    assert_eq!(status.action(HELLO), "update");

    let run = site.sync(&[]);
    run.assert_code(0);
    let updates = run.calls_to("draft/update");
    assert_eq!(updates.len(), 1, "calls: {:?}", run.call_names());
    assert_eq!(body(updates[0])["media_id"], id.as_str());
    assert_eq!(body(updates[0])["index"], 0);
    assert_eq!(run.count("draft/add"), 3, "the other drafts are created");
    assert_eq!(site.draft(&id).articles[0]["title"], HELLO_TITLE);
    site.assert_box_matches_lock();
}

#[test]
fn adopt_with_an_index_binds_that_article_of_the_draft() {
    let site = SyncSite::new();
    let id = site.create_foreign_draft(&["旧文一", "旧文二"]);
    site.run(&["adopt", HELLO, "--media-id", &id, "--index", "1"])
        .assert_code(0);
    let lock = site.lock();
    assert_eq!(lock.media_id(HELLO), id);
    assert_eq!(lock.index(HELLO), 1);

    let run = site.sync(&[]);
    run.assert_code(0);
    let updates = run.calls_to("draft/update");
    assert_eq!(updates.len(), 1, "calls: {:?}", run.call_names());
    assert_eq!(body(updates[0])["media_id"], id.as_str());
    assert_eq!(body(updates[0])["index"], 1);
    let stored = site.draft(&id);
    assert_eq!(stored.articles[0]["title"], "旧文一", "index 0 untouched");
    assert_eq!(stored.articles[1]["title"], HELLO_TITLE);
    assert_eq!(site.drafts_titled(HELLO_TITLE), vec![(id, 1)]);
}

#[test]
fn adopt_refuses_a_draft_that_does_not_exist() {
    let site = SyncSite::new();
    first_sync(&site);
    let before = site.lock_bytes();
    let run = site.run(&[
        "adopt",
        HELLO,
        "--media-id",
        "NoSuchDraft0000000000000000000000000000000",
    ]);
    assert_ne!(run.code, 0, "stderr: {}", run.stderr);
    assert!(run.count("draft/get") >= 1);
    assert_eq!(site.lock_bytes(), before, "lockfile untouched");

    let run = site.run(&[
        "adopt",
        HELLO,
        "--media-id",
        &site.lock().media_id(ERRORS),
        "--index",
        "5",
    ]);
    assert_ne!(run.code, 0, "index out of range: {}", run.stderr);
    assert_eq!(site.lock_bytes(), before);
}

// ---------------------------------------------------------------------------------------
// More crash, reconcile and multi-article cases
// ---------------------------------------------------------------------------------------

#[test]
fn every_lost_add_is_reconciled_whichever_draft_it_was() {
    // The first add is covered above; here the 2nd, 3rd and 4th, so the two-article draft
    // is among them whatever order the drafts are pushed in.
    for k in 1..4u32 {
        let site = SyncSite::new();
        site.emu.inject(Fault::delay("draft/add", 0).times(k)); // k untouched adds
        site.emu.inject(Fault::drop_after("draft/add"));
        let run = site.sync(&[]);
        run.assert_code(1);
        let adds = run.calls_to("draft/add");
        assert_eq!(adds.len(), 4, "k={k}: {:?}", run.call_names());
        assert_eq!(site.emu.drafts().len(), 4, "k={k}");
        let lost: Vec<String> = body(adds[k as usize])["articles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["title"].as_str().unwrap().to_string())
            .collect();
        let lock = site.lock();
        for p in ALL {
            let expected = if lost.iter().any(|t| t == title_of(p)) {
                "unknown"
            } else {
                "synced"
            };
            assert_eq!(lock.state(p), expected, "k={k} {p}");
        }

        let run = site.sync(&[]);
        run.assert_code(0);
        assert!(run.count("draft/batchget") >= 1, "k={k}");
        assert_eq!(run.count("draft/add"), 0, "k={k}: {:?}", run.call_names());
        site.assert_box_matches_lock();
        site.sync(&[]).assert_code(0).assert_no_calls();
    }
}

#[test]
fn an_add_that_never_reached_wechat_is_made_on_the_next_run() {
    for fault in [
        Fault::drop_before("draft/add"),
        Fault::http_status("draft/add", 502),
    ] {
        let site = SyncSite::new();
        site.emu.inject(fault.clone());
        let run = site.sync(&[]);
        run.assert_code(1);
        assert_eq!(
            run.count("draft/add"),
            4,
            "{fault:?}: {:?}",
            run.call_names()
        );
        assert_eq!(site.emu.drafts().len(), 3, "{fault:?}");

        let run = site.sync(&[]);
        run.assert_code(0);
        assert!(
            run.count("draft/batchget") >= 1,
            "{fault:?}: reconcile first"
        );
        let adds = run.calls_to("draft/add");
        assert_eq!(adds.len(), 1, "{fault:?}: {:?}", run.call_names());
        let batch = run.calls_to("draft/batchget");
        assert!(batch[0].seq < adds[0].seq, "batchget before the add");
        site.assert_box_matches_lock();
        site.sync(&[]).assert_code(0).assert_no_calls();
    }
}

#[test]
fn a_run_killed_mid_add_leaves_no_duplicate() {
    let site = SyncSite::new();
    site.emu.inject(Fault::delay("draft/add", 2000));
    let mut run = site
        .command()
        .arg("-C")
        .arg(site.path())
        .args(["sync"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let reached = wait_for(Duration::from_secs(120), || {
        !site.emu.calls("draft/add").is_empty() || run.try_wait().ok().flatten().is_some()
    });
    assert!(reached && !site.emu.calls("draft/add").is_empty());
    run.kill().expect("kill the run"); // SIGKILL: no chance to write anything
    run.wait().expect("reap");
    // Let the emulator finish the call if it goes on without the client: it answers (and
    // records its errcode) after the 2 s delay. A fixed sleep was too short on a loaded
    // machine; when the server drops the call with the connection, this gives up after 5 s.
    wait_for(Duration::from_secs(5), || {
        site.emu
            .calls("draft/add")
            .iter()
            .all(|c| c.errcode.is_some())
    });

    let next = site.sync(&[]);
    next.assert_code(0);
    site.assert_box_matches_lock();
    site.sync(&[]).assert_code(0).assert_no_calls();
}

#[test]
fn reconcile_never_binds_to_a_foreign_draft_with_the_same_title() {
    let site = SyncSite::new();
    // Someone's draft, made by hand before wxsync, with the same title as hello-wxsync.
    let foreign = site.create_foreign_draft(&[HELLO_TITLE]);
    let foreign_before = site.draft(&foreign);
    site.emu.advance_clock(3600);
    site.emu.inject(Fault::drop_after("draft/add"));
    site.sync(&[HELLO]).assert_code(1);
    assert_eq!(site.drafts_titled(HELLO_TITLE).len(), 2);
    let ours: String = site
        .emu
        .drafts()
        .into_iter()
        .find(|d| d.media_id != foreign)
        .unwrap()
        .media_id;

    let run = site.sync(&[HELLO]);
    run.assert_code(0);
    assert_eq!(run.count("draft/add"), 0, "{:?}", run.call_names());
    for u in run.calls_to("draft/update") {
        assert_ne!(
            body(u)["media_id"],
            foreign.as_str(),
            "overwrote a foreign draft"
        );
    }
    assert_eq!(
        site.draft(&foreign).articles,
        foreign_before.articles,
        "the foreign draft is untouched"
    );
    assert_eq!(site.lock().media_id(HELLO), ours);
}

#[test]
fn prune_never_deletes_a_draft_this_lockfile_did_not_create() {
    let site = SyncSite::new();
    let foreign = site.create_foreign_draft(&["旧草稿"]);
    site.run(&["adopt", HELLO, "--media-id", &foreign])
        .assert_code(0);
    first_sync(&site);
    assert_eq!(site.lock().media_id(HELLO), foreign);
    std::fs::remove_file(site.file(HELLO)).unwrap();

    let run = site.sync(&["--prune"]);
    run.assert_code(0);
    assert_eq!(run.count("draft/delete"), 0, "{:?}", run.call_names());
    assert!(
        site.emu.draft(&foreign).is_some(),
        "an adopted draft survives"
    );
}

#[test]
fn a_deleted_shared_draft_is_recreated_whole() {
    let site = SyncSite::new();
    first_sync(&site);
    let old = site.lock().media_id(LINKS);
    site.delete_draft(&old);
    site.touch_article(LINKS, "周刊发布后又补了一条。");

    let run = site.sync(&[]);
    run.assert_code(0);
    let adds = run.calls_to("draft/add");
    assert_eq!(adds.len(), 1, "{:?}", run.call_names());
    let b = body(adds[0]);
    let titles: Vec<&str> = b["articles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        vec![LEAD_TITLE, LINKS_TITLE],
        "the whole draft, in order"
    );
    let lock = site.lock();
    assert_ne!(lock.media_id(LINKS), old);
    assert_eq!(lock.media_id(LEAD), lock.media_id(LINKS));
    site.assert_box_matches_lock();
    site.sync(&[]).assert_code(0).assert_no_calls();
}

#[test]
fn editing_both_articles_of_a_shared_draft_updates_both_indexes() {
    let site = SyncSite::new();
    first_sync(&site);
    let weekly = site.lock().media_id(LEAD);
    site.touch_article(LEAD, "头条补充。");
    site.touch_article(LINKS, "链接补充。");
    let run = site.sync(&[]);
    run.assert_code(0);
    assert_eq!(run.count("draft/add"), 0);
    let mut seen: Vec<(String, u64)> = run
        .calls_to("draft/update")
        .iter()
        .map(|u| {
            let b = body(u);
            (
                b["media_id"].as_str().unwrap().to_string(),
                b["index"].as_u64().unwrap(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(seen, vec![(weekly.clone(), 0), (weekly.clone(), 1)]);
    let stored = site.draft(&weekly);
    assert!(
        stored.articles[0]["content"]
            .as_str()
            .unwrap()
            .contains("头条补充")
    );
    assert!(
        stored.articles[1]["content"]
            .as_str()
            .unwrap()
            .contains("链接补充")
    );
    site.assert_box_matches_lock();
}

#[test]
fn a_quota_error_on_uploads_keeps_the_uploaded_assets() {
    let site = SyncSite::new();
    site.emu.configure(|c| {
        c.daily_limits.insert("material/add_material".into(), 2);
    });
    let run = site.sync(&[]);
    run.assert_code(1);
    let uploads = run.calls_to("material/add_material");
    let ok: Vec<&&LogEntry> = uploads.iter().filter(|c| c.errcode == Some(0)).collect();
    assert_eq!(ok.len(), 2, "{:?}", run.call_names());
    assert!(uploads.iter().any(|c| c.errcode == Some(45009)));
    // The two materials made are recorded, whatever else happened.
    let ids: BTreeSet<String> = site
        .emu
        .materials()
        .into_iter()
        .map(|m| m.media_id)
        .collect();
    let recorded: BTreeSet<String> = site
        .lock()
        .assets()
        .into_iter()
        .filter_map(|(_, v)| v.get("media_id")?.as_str().map(str::to_string))
        .collect();
    assert_eq!(recorded, ids, "every material made is in the lockfile");

    site.emu.configure(|c| c.daily_limits.clear());
    let run = site.sync(&[]);
    run.assert_code(0);
    assert_eq!(
        run.count("material/add_material"),
        3,
        "only the three not yet uploaded: {:?}",
        run.call_names()
    );
    site.assert_box_matches_lock();
    assert_eq!(site.emu.materials().len(), 5);
}

// ---------------------------------------------------------------------------------------
// What the payload depends on besides the article file
// ---------------------------------------------------------------------------------------

#[test]
fn a_fresh_checkout_with_only_the_lockfile_makes_no_call() {
    // CI: the lockfile is committed, `.wxsync/` (caches, token) is not.
    let site = SyncSite::new();
    first_sync(&site);
    let before = site.lock_bytes().unwrap();
    std::fs::remove_dir_all(site.file(".wxsync")).expect("remove .wxsync");
    let run = site.sync(&[]);
    run.assert_code(0).assert_no_calls();
    assert_eq!(site.lock_bytes().unwrap(), before);
    for path in ALL {
        assert_eq!(run.action(path), "skip", "{path}");
    }
}

#[test]
fn changing_the_theme_updates_every_news_article() {
    let site = SyncSite::new();
    first_sync(&site);
    site.edit("wxsync.yaml", |t| {
        t.replace("theme: default", "theme: sunset")
    });
    let status = site.status();
    status.assert_code(0).assert_no_calls();
    for path in [HELLO, ERRORS, LEAD, LINKS] {
        assert_eq!(status.action(path), "update", "{path}: the theme changed");
    }
    let run = site.sync(&[]);
    run.assert_code(0);
    assert_eq!(
        run.count("draft/update"),
        4 + usize::from(run.action(SPRING) == "update")
    );
    assert_eq!(run.count("draft/add"), 0);
    site.assert_box_matches_lock();
    site.sync(&[]).assert_code(0).assert_no_calls();
}

#[test]
fn changing_a_config_default_updates_the_articles_that_use_it() {
    let site = SyncSite::new();
    first_sync(&site);
    site.edit("wxsync.yaml", |t| {
        t.replace("author: 编辑部", "author: 新编辑部")
    });
    let run = site.sync(&[]);
    run.assert_code(0);
    assert_eq!(run.action(HELLO), "update", "hello takes defaults.author");
    for path in [ERRORS, LEAD, LINKS] {
        assert_eq!(run.action(path), "skip", "{path} sets its own author");
    }
    let hello = site.draft(&site.lock().media_id(HELLO));
    assert_eq!(hello.articles[0]["author"], "新编辑部");
    site.assert_box_matches_lock();
}

#[test]
fn changing_an_image_file_reuploads_it_and_updates_its_articles() {
    let site = SyncSite::new();
    first_sync(&site);
    let lock = site.lock();

    // A body image: new bytes, same path.
    let mut png = std::fs::read(site.file("images/diagram.png")).unwrap();
    png.extend_from_slice(b"\0changed");
    std::fs::write(site.file("images/diagram.png"), &png).unwrap();
    let run = site.sync(&[]);
    run.assert_code(0);
    assert_eq!(run.count("media/uploadimg"), 1, "{:?}", run.call_names());
    assert_eq!(run.count("material/add_material"), 0);
    let updates = run.calls_to("draft/update");
    assert_eq!(updates.len(), 1, "{:?}", run.call_names());
    assert_eq!(body(updates[0])["media_id"], lock.media_id(HELLO).as_str());
    site.assert_box_matches_lock();

    // The shared default cover: one upload, its three articles updated.
    let mut jpg = std::fs::read(site.file("images/default-cover.jpg")).unwrap();
    jpg.extend_from_slice(b"\0changed");
    std::fs::write(site.file("images/default-cover.jpg"), &jpg).unwrap();
    let run = site.sync(&[]);
    run.assert_code(0);
    assert_eq!(
        run.count("material/add_material"),
        1,
        "{:?}",
        run.call_names()
    );
    assert_eq!(run.count("media/uploadimg"), 0);
    let mut seen: Vec<(String, u64)> = run
        .calls_to("draft/update")
        .iter()
        .map(|u| {
            let b = body(u);
            (
                b["media_id"].as_str().unwrap().to_string(),
                b["index"].as_u64().unwrap(),
            )
        })
        .collect();
    seen.sort();
    let mut expected = vec![
        (lock.media_id(ERRORS), 0),
        (lock.media_id(LEAD), 0),
        (lock.media_id(LINKS), 1),
    ];
    expected.sort();
    assert_eq!(seen, expected);
    assert_eq!(run.action(HELLO), "skip");
    assert_eq!(run.action(SPRING), "skip");
    site.assert_box_matches_lock();
    site.sync(&[]).assert_code(0).assert_no_calls();
}

#[test]
fn a_copied_article_gets_its_own_draft_and_the_original_keeps_its_own() {
    let site = SyncSite::new();
    first_sync(&site);
    let before = site.lock();
    let copy = "articles/hello-copy.md";
    std::fs::copy(site.file(HELLO), site.file(copy)).unwrap();
    let run = site.sync(&[]);
    run.assert_code(0);
    assert_eq!(run.action(HELLO), "skip");
    assert_eq!(run.action(copy), "create");
    let adds = run.calls_to("draft/add");
    assert_eq!(adds.len(), 1, "{:?}", run.call_names());
    assert_eq!(run.count("draft/update"), 0);
    let lock = site.lock();
    assert_eq!(
        lock.entry(HELLO),
        before.entry(HELLO),
        "not stolen by the copy"
    );
    assert_ne!(lock.media_id(copy), lock.media_id(HELLO));
    assert_eq!(site.drafts_titled(HELLO_TITLE).len(), 2);
}

#[test]
fn a_rename_with_an_edit_is_a_new_article_and_an_orphan() {
    let site = SyncSite::new();
    first_sync(&site);
    let old = site.lock().media_id(HELLO);
    let renamed = "articles/hello-renamed.md";
    std::fs::rename(site.file(HELLO), site.file(renamed)).unwrap();
    site.touch_article(renamed, "改名的同时也改了内容。");
    let run = site.run(&["sync"]);
    run.assert_code(0);
    assert_eq!(run.count("draft/add"), 1, "{:?}", run.call_names());
    assert_eq!(run.count("draft/delete"), 0);
    assert!(
        run.output().to_lowercase().contains("orphan"),
        "{}",
        run.stderr
    );
    let lock = site.lock();
    assert_eq!(
        lock.media_id(HELLO),
        old,
        "the old entry stays, as an orphan"
    );
    assert_ne!(lock.media_id(renamed), old);
    assert!(site.emu.draft(&old).is_some());
}

#[test]
fn a_token_rejected_on_add_is_refreshed_and_the_add_made_once() {
    let site = SyncSite::new();
    site.emu.inject(Fault::errcode("draft/add", 42001));
    let run = site.sync(&[]);
    run.assert_code(0);
    let adds = run.calls_to("draft/add");
    assert_eq!(adds.len(), 5, "{:?}", run.call_names());
    assert_eq!(adds[0].errcode, Some(42001));
    site.assert_box_matches_lock();
}

#[test]
fn a_lost_add_of_an_edited_article_is_reconciled_then_updated() {
    let site = SyncSite::new();
    site.emu.inject(Fault::drop_after("draft/add"));
    site.sync(&[HELLO]).assert_code(1);
    assert_eq!(site.lock().state(HELLO), "unknown");
    let id = site.emu.drafts()[0].media_id.clone();
    site.touch_article(HELLO, "在对账之前又改了一次。");

    let run = site.sync(&[HELLO]);
    run.assert_code(0);
    assert_eq!(run.count("draft/add"), 0, "{:?}", run.call_names());
    let updates = run.calls_to("draft/update");
    assert_eq!(updates.len(), 1, "{:?}", run.call_names());
    assert_eq!(body(updates[0])["media_id"], id.as_str());
    assert!(
        site.draft(&id).articles[0]["content"]
            .as_str()
            .unwrap()
            .contains("在对账之前又改了一次")
    );
    let lock = site.lock();
    assert_eq!(lock.media_id(HELLO), id);
    assert_eq!(lock.state(HELLO), "synced");
    site.sync(&[HELLO]).assert_code(0).assert_no_calls();
}

/// Issue 12 item 2: two drafts that fit a lost add (same title, author and digest, made in
/// the same minutes) — ours and a twin made by hand. Binding either could destroy someone's
/// work, so nothing is created or updated, and the message lists both and says how to bind.
#[test]
fn reconcile_with_two_candidates_touches_neither() {
    let site = SyncSite::new();
    site.emu.inject(Fault::drop_after("draft/add"));
    site.sync(&[HELLO]).assert_code(1);
    let ours = site.drafts_titled(HELLO_TITLE);
    assert_eq!(ours.len(), 1);
    let stored = site.draft(&ours[0].0);
    let a = &stored.articles[0];
    let s = |k: &str| a[k].as_str().filter(|v| !v.is_empty()).map(str::to_string);
    let twin = site.create_foreign_articles(&[(HELLO_TITLE.to_string(), s("author"), s("digest"))]);
    let twin_before = site.draft(&twin);

    let run = site.sync(&[HELLO]);
    run.assert_code(1);
    assert_eq!(run.count("draft/add"), 0, "{:?}", run.call_names());
    assert_eq!(run.count("draft/update"), 0, "{:?}", run.call_names());
    let out = run.output();
    assert!(out.contains(&ours[0].0) && out.contains(&twin), "{out}");
    assert!(out.contains("wxsync adopt"), "{out}");
    assert_eq!(site.draft(&twin).articles, twin_before.articles);
    assert_eq!(site.lock().state(HELLO), "unknown");

    // The writer binds ours; the next sync updates it and leaves the twin alone.
    site.run(&["adopt", HELLO, "--media-id", &ours[0].0])
        .assert_code(0);
    site.sync(&[HELLO]).assert_code(0);
    assert_eq!(site.draft(&twin).articles, twin_before.articles);
}

/// A twin made hours after the lost add (same title, author and digest, and newer than ours,
/// which is what used to decide) is not a candidate: it was not made by that call.
#[test]
fn reconcile_ignores_a_twin_made_hours_after_the_attempt() {
    let site = SyncSite::new();
    site.emu.inject(Fault::drop_after("draft/add"));
    site.sync(&[HELLO]).assert_code(1);
    site.emu.advance_clock(3 * 3600);
    // What hello-wxsync sends: the site's default author and its own digest.
    let digest = "把 Markdown 写进仓库，wxsync 负责渲染、上传图片，并让草稿箱与仓库保持一致。";
    let twin = site.create_foreign_articles(&[(
        HELLO_TITLE.to_string(),
        Some("编辑部".to_string()),
        Some(digest.to_string()),
    )]);
    let twin_before = site.draft(&twin);
    let run = site.sync(&[HELLO]);
    run.assert_code(0);
    assert_eq!(run.count("draft/add"), 0, "{:?}", run.call_names());
    assert_eq!(
        site.draft(&twin).articles,
        twin_before.articles,
        "the twin is untouched"
    );
    assert_ne!(site.lock().media_id(HELLO), twin);
}

/// Issue 12 item 4: the add that re-creates a multi-article draft loses its answer. The
/// replaced draft is an orphan from the attempt on, so `--prune` still deletes it.
#[test]
fn a_lost_recreate_still_records_the_replaced_draft() {
    let site = SyncSite::new();
    first_sync(&site);
    let old = site.lock().media_id(LEAD);
    site.edit("wxsync.yaml", |t| {
        t.replace(
            "weekly-47: [articles/weekly/47-lead.md, articles/weekly/47-links.md]",
            "weekly-47: [articles/weekly/47-links.md, articles/weekly/47-lead.md]",
        )
    });
    site.emu.inject(Fault::drop_after("draft/add"));
    site.sync(&[]).assert_code(1);
    let text = site.read("wxsync.lock");
    assert!(
        text.contains(&old),
        "the replaced draft is recorded:\n{text}"
    );
    assert_eq!(site.lock().state(LEAD), "unknown");

    let run = site.sync(&["--prune"]);
    run.assert_code(0);
    assert_eq!(run.count("draft/add"), 0, "{:?}", run.call_names());
    assert!(
        site.emu.drafts().iter().all(|d| d.media_id != old),
        "the replaced draft was pruned"
    );
    assert!(!site.read("wxsync.lock").contains(&old));
    site.assert_box_matches_lock();
}

/// Issue 12 item 11: an error about the account (here the IP whitelist, 40164) is said once,
/// with its hint, and ends the run; nothing was sent, so the exit code is 2.
#[test]
fn an_account_error_is_reported_once_and_exits_2() {
    let site = SyncSite::new();
    site.emu.configure(|c| {
        c.allowed_ips = Some(vec!["198.51.100.1".into()]);
        c.seen_ip = Some("203.0.113.9".into());
    });
    let run = site.run(&["sync"]);
    run.assert_code(2);
    // Item 20: a first sync that recorded nothing leaves no lockfile behind.
    assert!(
        site.lock_bytes().is_none(),
        "an empty wxsync.lock was written"
    );
    let out = run.output();
    assert_eq!(out.matches("IP 白名单").count(), 1, "the hint once:\n{out}");
    assert!(out.contains("203.0.113.9"), "{out}");
    assert_eq!(run.count("draft/add"), 0, "{:?}", run.call_names());
    assert!(
        run.call_names()
            .iter()
            .filter(|c| !c.contains("token"))
            .count()
            == 0,
        "only the token was asked for: {:?}",
        run.call_names()
    );

    let json = site.sync(&[]);
    json.assert_code(2);
    let j = json.json();
    assert!(
        j["stopped"].as_str().unwrap_or("").contains("203.0.113.9"),
        "{j}"
    );
    for a in j["articles"].as_array().unwrap() {
        let m = a["error"]["message"].as_str().unwrap_or("");
        assert!(
            !m.contains("IP 白名单"),
            "the hint is not repeated per article: {m}"
        );
    }
}

/// Issue 12 item 21: an image replaced by other bytes of the same size, its modification
/// time set back (`cp -p`, `touch -r`), is noticed: the render cache does not vouch for it.
#[test]
fn an_image_replaced_with_the_same_size_and_mtime_is_noticed() {
    let site = SyncSite::new();
    first_sync(&site);
    let img = site.file("images/workflow.jpg");
    let before = std::fs::metadata(&img).expect("meta");
    let mut bytes = std::fs::read(&img).expect("read");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    // Replace the file (a new inode, as an editor's save or a checkout makes), then set its
    // modification time back.
    let tmp = site.file("images/workflow.jpg.new");
    std::fs::write(&tmp, &bytes).expect("write");
    std::fs::rename(&tmp, &img).expect("rename");
    let f = std::fs::File::options()
        .write(true)
        .open(&img)
        .expect("open");
    f.set_modified(before.modified().expect("mtime"))
        .expect("set mtime");
    drop(f);
    assert_eq!(std::fs::metadata(&img).unwrap().len(), before.len());
    let status = site.status();
    status.assert_code(0);
    assert_eq!(status.action(HELLO), "update", "{}", status.output());
}

/// Issue 12 item 11: the lockfile cannot be written after something reached WeChat (a full
/// disk; here the site directory made immutable with `chattr +i`, which stops root too).
/// That is a partial run, exit 1 — not 2, which says nothing was sent — and the next run
/// pushes what was not recorded.
#[cfg(target_os = "linux")]
#[test]
fn a_lockfile_that_cannot_be_written_after_a_push_exits_1() {
    let site = SyncSite::new();
    first_sync(&site);
    site.touch_article(HELLO, "一段新的文字");
    site.emu.inject(Fault::delay("draft/update", 3000));
    let mut cmd = site.command();
    cmd.arg("-C").arg(site.path()).args(["sync"]);
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn wxsync");
    assert!(
        wait_for(Duration::from_secs(60), || !site
            .emu
            .calls("draft/update")
            .is_empty()),
        "the update never started"
    );
    let locked = std::process::Command::new("chattr")
        .arg("+i")
        .arg(site.path())
        .status()
        .expect("chattr (e2fsprogs) makes the directory immutable");
    assert!(
        locked.success(),
        "chattr +i failed: the site must be on ext2/3/4"
    );
    let out = child.wait_with_output().expect("wait");
    let unlocked = std::process::Command::new("chattr")
        .arg("-i")
        .arg(site.path())
        .status()
        .expect("chattr -i");
    assert!(unlocked.success());
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("cannot write"), "{said}");
    // The update was recorded in the journal (an existing file, which an immutable directory
    // still lets grow) before the lockfile could not be replaced: the next run replays it,
    // sends nothing again, and folds it into the lockfile.
    let run = site.sync(&[]);
    run.assert_code(0);
    assert_eq!(run.count("draft/update"), 0, "{:?}", run.call_names());
    assert!(!site.file("wxsync.lock.journal").exists());
    assert_eq!(site.sync(&[]).calls.len(), 0);
}

// ---------------------------------------------------------------------------------------
// Answers that cannot be read: the call may have been applied (issue items 3 and 16)
// ---------------------------------------------------------------------------------------

/// The titles one `draft/add` sent.
fn titles_sent(call: &LogEntry) -> Vec<String> {
    body(call)["articles"]
        .as_array()
        .expect("articles")
        .iter()
        .map(|a| a["title"].as_str().expect("title").to_string())
        .collect()
}

/// The error message of an article in a `--json` run.
#[track_caller]
fn error_of(run: &Run, path: &str) -> String {
    run.article(path)["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{path} has no error:\n{}", run.stdout))
        .to_string()
}

/// A 200 whose body is not a complete answer may still mean WeChat made the draft: the
/// articles are `unknown`, the message says the next run checks, and that run binds the
/// draft that was made instead of adding a second one.
#[test]
fn an_unreadable_add_answer_is_reconciled_without_a_duplicate() {
    for fault in [
        Fault::malformed("draft/add"),
        Fault::without_field("draft/add", "media_id"),
        Fault::oversized("draft/add", 8 << 20),
        Fault::oversized("draft/add", 8 << 20).declare_length(),
    ] {
        let site = SyncSite::new();
        site.emu.inject(fault.clone());
        let run = site.sync(&[]);
        run.assert_code(1);
        let adds = run.calls_to("draft/add");
        assert_eq!(adds.len(), 4, "{fault:?}: {:?}", run.call_names());
        assert_eq!(
            site.emu.drafts().len(),
            4,
            "{fault:?}: the add was processed"
        );
        let lost = titles_sent(adds[0]);
        let lock = site.lock();
        for p in ALL {
            if lost.iter().any(|t| t == title_of(p)) {
                assert_eq!(lock.state(p), "unknown", "{fault:?} {p}");
                let msg = error_of(&run, p);
                assert!(
                    msg.contains("next run") && msg.contains("draft box"),
                    "{fault:?} {p}: {msg}"
                );
            } else {
                assert_eq!(lock.state(p), "synced", "{fault:?} {p}");
            }
        }

        let run = site.sync(&[]);
        run.assert_code(0);
        assert!(run.count("draft/batchget") >= 1, "{fault:?}");
        assert_eq!(
            run.count("draft/add"),
            0,
            "{fault:?}: {:?}",
            run.call_names()
        );
        assert_eq!(site.emu.drafts().len(), 4, "{fault:?}");
        site.assert_box_matches_lock();
        site.sync(&[]).assert_code(0).assert_no_calls();
    }
}

/// The one `add_material` call that got `fault`, and the file name it sent.
#[track_caller]
fn faulted_upload(run: &Run) -> String {
    let calls = run.calls_to("material/add_material");
    let hit: Vec<&&LogEntry> = calls.iter().filter(|c| c.fault.is_some()).collect();
    assert_eq!(hit.len(), 1, "{:?}", run.call_names());
    hit[0].parts[0].filename.clone().expect("a file name")
}

/// The lockfile's asset entry recorded for an upload named `name`.
fn asset_named(lock: &Lock, name: &str) -> Option<serde_yaml::Value> {
    lock.assets()
        .into_iter()
        .map(|(_, v)| v)
        .find(|v| v.get("name").and_then(|n| n.as_str()) == Some(name))
}

/// An `add_material` whose answer is lost (dropped, unreadable, too long) stored the image
/// all the same. The lockfile keeps the name it was sent under and when; the next run finds
/// that material with `material/batchget_material` and records it: nothing is uploaded
/// again and no orphaned material is left.
#[test]
fn a_lost_material_answer_is_found_not_uploaded_again() {
    let path = "material/add_material";
    for fault in [
        Fault::drop_after(path),
        Fault::malformed(path),
        Fault::without_field(path, "media_id"),
        Fault::oversized(path, 8 << 20),
    ] {
        let site = SyncSite::new();
        site.emu.inject(fault.clone());
        let run = site.sync(&[]);
        run.assert_code(1);
        let name = faulted_upload(&run);
        let stored: Vec<_> = site
            .emu
            .materials()
            .into_iter()
            .filter(|m| m.name == name)
            .collect();
        assert_eq!(stored.len(), 1, "{fault:?}: the upload was processed");
        let lock = site.lock();
        let entry = asset_named(&lock, &name)
            .unwrap_or_else(|| panic!("{fault:?}: no evidence for {name}:\n{lock:?}"));
        assert!(entry.get("media_id").is_none(), "{fault:?}");
        assert!(entry.get("attempted").is_some(), "{fault:?}");
        let failed: Vec<Json> = run.json()["articles"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["action"] == "error")
            .cloned()
            .collect();
        assert!(!failed.is_empty(), "{fault:?}");
        for a in &failed {
            let msg = a["error"]["message"].as_str().unwrap();
            assert!(
                msg.contains("batchget_material") && !msg.contains("draft box"),
                "{fault:?}: {msg}"
            );
        }
        let materials = site.emu.materials().len();

        let run = site.sync(&[]);
        run.assert_code(0);
        let lists = run.calls_to("material/batchget_material");
        assert!(!lists.is_empty(), "{fault:?}: {:?}", run.call_names());
        assert_eq!(
            run.count("material/add_material"),
            0,
            "{fault:?}: {:?}",
            run.call_names()
        );
        assert_eq!(
            site.emu.materials().len(),
            materials,
            "{fault:?}: no orphan"
        );
        let entry = asset_named(&site.lock(), &name);
        assert!(entry.is_none(), "{fault:?}: the evidence is settled");
        let bound =
            site.lock().assets().into_iter().any(|(_, v)| {
                v.get("media_id").and_then(|m| m.as_str()) == Some(&stored[0].media_id)
            });
        assert!(bound, "{fault:?}: the material found is recorded");
        site.assert_box_matches_lock();
        site.sync(&[]).assert_code(0).assert_no_calls();
    }
}

/// An `add_material` that may not have been applied (dropped unprocessed, a 5xx from a
/// gateway) is looked for, not found, and uploaded once on the next run; one WeChat refused
/// outright leaves no evidence and is simply uploaded again.
#[test]
fn a_material_that_was_not_stored_is_uploaded_on_the_next_run() {
    let path = "material/add_material";
    for (fault, ambiguous) in [
        (Fault::drop_before(path), true),
        (Fault::http_status(path, 502), true),
        (Fault::errcode(path, 40005), false),
    ] {
        let site = SyncSite::new();
        site.emu.inject(fault.clone());
        let run = site.sync(&[]);
        run.assert_code(1);
        let name = faulted_upload(&run);
        assert!(site.emu.materials().iter().all(|m| m.name != name));
        assert_eq!(
            asset_named(&site.lock(), &name).is_some(),
            ambiguous,
            "{fault:?}"
        );

        let run = site.sync(&[]);
        run.assert_code(0);
        assert_eq!(
            run.count("material/batchget_material") > 0,
            ambiguous,
            "{fault:?}: {:?}",
            run.call_names()
        );
        let uploads = run.calls_to("material/add_material");
        assert_eq!(uploads.len(), 1, "{fault:?}: {:?}", run.call_names());
        assert_eq!(uploads[0].parts[0].filename.as_deref(), Some(name.as_str()));
        if let Some(list) = run.calls_to("material/batchget_material").first() {
            assert!(list.seq < uploads[0].seq, "looked before uploading");
        }
        assert_eq!(
            site.emu
                .materials()
                .iter()
                .filter(|m| m.name == name)
                .count(),
            1
        );
        site.assert_box_matches_lock();
        site.sync(&[]).assert_code(0).assert_no_calls();
    }
}

/// The name alone is not enough: a material of that name made hours after the lost upload
/// (the same picture uploaded by hand, say) was not made by that call, so the image is
/// uploaded and that material left alone.
#[test]
fn a_lost_material_is_matched_by_time_as_well_as_name() {
    let site = SyncSite::new();
    site.emu.inject(Fault::drop_before("material/add_material"));
    site.sync(&[]).assert_code(1);
    let lock = site.lock();
    let (_, entry) = lock
        .assets()
        .into_iter()
        .find(|(_, v)| v.get("attempted").is_some())
        .expect("the evidence of the lost upload");
    let name = entry["name"].as_str().unwrap().to_string();
    site.emu.advance_clock(3 * 3600);
    let late = {
        use wxsync::wechat::{Client, ClientOptions, Secret};
        let mut o = ClientOptions::new(site.emu.base_url(), site.emu.appid());
        o.secret = Some(Secret::new(site.emu.secret()));
        let client = Client::new(o).expect("client");
        let jpeg = std::fs::read(site.file("images/workflow.jpg")).expect("jpeg");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(client.add_image_material(jpeg, &name))
            .expect("upload")
            .media_id
    };

    let run = site.sync(&[]);
    run.assert_code(0);
    assert!(run.count("material/batchget_material") >= 1);
    assert_eq!(
        run.count("material/add_material"),
        1,
        "{:?}",
        run.call_names()
    );
    let bound = site
        .lock()
        .assets()
        .into_iter()
        .any(|(_, v)| v.get("media_id").and_then(|m| m.as_str()) == Some(late.as_str()));
    assert!(!bound, "bound a material made hours later");
    site.assert_box_matches_lock();
}

/// The evidence of an `add_material` is written before it is sent: a run killed while the
/// upload is in flight (nothing written after it) leaves no orphan either.
#[test]
fn a_run_killed_mid_upload_leaves_no_orphaned_material() {
    let site = SyncSite::new();
    site.emu.inject(Fault::delay("material/add_material", 2000));
    let mut run = site
        .command()
        .arg("-C")
        .arg(site.path())
        .args(["sync"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let delayed = || {
        site.emu
            .calls("material/add_material")
            .into_iter()
            .find(|c| c.fault.is_some())
    };
    let reached = wait_for(Duration::from_secs(120), || {
        delayed().is_some() || run.try_wait().ok().flatten().is_some()
    });
    assert!(reached && delayed().is_some());
    run.kill().expect("kill the run"); // SIGKILL: no chance to write anything
    run.wait().expect("reap");
    // The emulator may finish the call without the client (it then stores the material
    // after its delay) or drop it with the connection; wait for the first, up to 5 s.
    let name = delayed()
        .and_then(|c| c.parts[0].filename.clone())
        .expect("name");
    let stored = wait_for(Duration::from_secs(5), || {
        site.emu.materials().iter().any(|m| m.name == name)
    });
    let lock = site.lock();
    assert!(
        asset_named(&lock, &name).is_some(),
        "no evidence written before the call:\n{lock:?}"
    );

    let next = site.sync(&[]);
    next.assert_code(0);
    assert!(next.count("material/batchget_material") >= 1);
    let again = next
        .calls_to("material/add_material")
        .into_iter()
        .filter(|c| c.parts[0].filename.as_deref() == Some(name.as_str()))
        .count();
    assert_eq!(again, usize::from(!stored), "{:?}", next.call_names());
    assert_eq!(
        site.emu
            .materials()
            .iter()
            .filter(|m| m.name == name)
            .count(),
        1,
        "an orphan was left"
    );
    site.assert_box_matches_lock();
    site.sync(&[]).assert_code(0).assert_no_calls();
}

/// Recording an `add_material` before it is sent writes the lockfile of a first run early;
/// when every such upload is then refused outright (here no token can be had), nothing is
/// recorded and no lockfile is left behind.
#[test]
fn a_first_run_whose_uploads_are_all_refused_leaves_no_lockfile() {
    let site = SyncSite::new();
    site.emu.configure(|c| {
        c.allowed_ips = Some(vec!["198.51.100.1".into()]);
        c.seen_ip = Some("203.0.113.9".into());
    });
    let run = site.sync(&[]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(
        site.lock_bytes().is_none(),
        "a lockfile was left: {:?}",
        site.lock_bytes()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    );
}
