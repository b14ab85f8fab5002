//! Several WeChat accounts per site (issue 18, part 2): `accounts:` in `wxsync.yaml`, one
//! lockfile and one token cache per account, articles chosen by front matter or globs,
//! `--account`, and the account on every row of `status` and `sync`.
//!
//! Each test drives the real binary against two in-process emulators, one per account (two
//! AppIDs, two secrets, two draft boxes), and judges by what each emulator received, what each
//! draft box holds and each lockfile. A single-account site is compared byte for byte with
//! what wxsync wrote before accounts existed (`tests/fixtures/accounts/single-account.golden`,
//! made by the binary of the commit before them: see [`BLESS`]).

#[path = "support/sync_site.rs"]
mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value as Json;
use support::*;
use wxemu::Emulator;

/// Set to a wxsync binary to rewrite the golden file with its output (it was made with the
/// binary of the last commit before `accounts:`, so that single-account sites are held to
/// exactly what they were): `WXSYNC_BLESS_WITH=/path/to/old/wxsync cargo test --test accounts`.
const BLESS: &str = "WXSYNC_BLESS_WITH";

const BRAND2_APPID: &str = "wxemu0000000000002";
const BRAND2_SECRET: &str = "wxemu-secret-brand2-fedcba9876543210";

/// The example site with two accounts: `main` (the default, the site's emulator) and
/// `brand2` (a second emulator). The weekly draft goes to brand2 by glob, spring-photos to
/// both by front matter, the other two to the default account.
struct TwoAccounts {
    site: SyncSite,
    brand2: Emulator,
}

impl TwoAccounts {
    fn new() -> TwoAccounts {
        let site = SyncSite::new();
        let brand2 = Emulator::start_with(wxemu::Config {
            appid: BRAND2_APPID.into(),
            secret: BRAND2_SECRET.into(),
            ..wxemu::Config::default()
        })
        .expect("start the second emulator");
        site.edit("wxsync.yaml", |t| {
            format!(
                "{t}accounts:\n  main: {{}}\n  brand2:\n    appid: {BRAND2_APPID}\n    articles: [\"articles/weekly/**\"]\n"
            )
        });
        site.add_front_matter(SPRING, "accounts: [main, brand2]");
        TwoAccounts { site, brand2 }
    }

    fn command(&self) -> std::process::Command {
        let mut c = self.site.command();
        c.env("WXSYNC_API_BASE_BRAND2", self.brand2.base_url())
            .env("WECHAT_APPSECRET_BRAND2", BRAND2_SECRET)
            .env_remove("WECHAT_APPID_BRAND2")
            .env_remove("WECHAT_ACCESS_TOKEN_BRAND2");
        c
    }

    /// Runs `wxsync -C SITE ARGS…`; `calls` holds main's calls, the second value brand2's.
    #[track_caller]
    fn run(&self, args: &[&str]) -> (Run, Vec<wxemu::LogEntry>) {
        let before = (self.site.emu.log().len(), self.brand2.log().len());
        let mut cmd = assert_cmd::Command::from_std(self.command());
        cmd.arg("-C").arg(self.site.path()).args(args);
        cmd.timeout(Duration::from_secs(180));
        let out = cmd.output().expect("run wxsync");
        let run = Run {
            args: args.iter().map(|s| s.to_string()).collect(),
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            calls: self.site.emu.log().split_off(before.0),
            elapsed: Duration::ZERO,
        };
        let brand2 = self.brand2.log().split_off(before.1);
        self.assert_no_secrets(&run);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        (run, brand2)
    }

    /// Neither account's secret nor any token either emulator minted is in the output or
    /// in a lockfile.
    #[track_caller]
    fn assert_no_secrets(&self, run: &Run) {
        let mut secrets: BTreeSet<String> = self.site.secrets().into_iter().collect();
        secrets.insert(BRAND2_SECRET.to_string());
        secrets.extend(
            self.brand2
                .log()
                .into_iter()
                .filter_map(|e| e.access_token)
                .filter(|t| !t.is_empty()),
        );
        let locks = [
            self.read_opt("wxsync.lock"),
            self.read_opt("wxsync.brand2.lock"),
        ]
        .join("\n");
        for s in &secrets {
            for (what, text) in [
                ("stdout", &run.stdout),
                ("stderr", &run.stderr),
                ("a lockfile", &locks),
            ] {
                assert!(
                    !text.contains(s.as_str()),
                    "a secret leaked into {what}:\n{text}"
                );
            }
        }
    }

    fn read_opt(&self, rel: &str) -> String {
        std::fs::read_to_string(self.site.file(rel)).unwrap_or_default()
    }

    #[track_caller]
    fn lock(&self, rel: &str) -> Lock {
        let text = self.site.read(rel);
        Lock(serde_yaml::from_str(&text).expect("lockfile is YAML"))
    }

    fn bytes(&self, rel: &str) -> Option<Vec<u8>> {
        std::fs::read(self.site.file(rel)).ok()
    }
}

/// The titles of each draft in an emulator, sorted.
fn boxes(emu: &Emulator) -> BTreeSet<Vec<String>> {
    emu.drafts()
        .iter()
        .map(|d| {
            d.articles
                .iter()
                .map(|a| a["title"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .collect()
}

/// Each lockfile entry is the draft its account's emulator holds for the article.
#[track_caller]
fn assert_lock_matches(lock: &Lock, emu: &Emulator, paths: &[&str]) {
    assert_eq!(
        lock.articles(),
        paths.iter().map(|p| p.to_string()).collect::<BTreeSet<_>>(),
        "lockfile articles"
    );
    for p in paths {
        let draft = emu
            .draft(&lock.media_id(p))
            .unwrap_or_else(|| panic!("{p}: its lockfile draft is not in this account's box"));
        let i = lock.index(p) as usize;
        assert_eq!(draft.articles[i]["title"], title_of(p), "{p}");
        assert_eq!(lock.state(p), "synced", "{p}");
    }
}

/// The rows of a JSON report as (account, path, action).
fn rows(run: &Run) -> BTreeSet<(String, String, String)> {
    run.json()["articles"]
        .as_array()
        .expect("articles")
        .iter()
        .map(|r| {
            (
                r["account"].as_str().unwrap_or("-").to_string(),
                r["path"].as_str().unwrap_or_default().to_string(),
                r["action"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn row(account: &str, path: &str, action: &str) -> (String, String, String) {
    (account.into(), path.into(), action.into())
}

#[test]
fn two_accounts_each_get_their_articles_lockfile_and_token_cache() {
    let t = TwoAccounts::new();
    let (run, brand2) = t.run(&["sync", "--json"]);
    run.assert_code(0);
    // Each account's draft box has its articles, spring-photos in both.
    assert_eq!(
        boxes(&t.site.emu),
        [
            vec![HELLO_TITLE.to_string()],
            vec![ERRORS_TITLE.to_string()],
            vec![SPRING_TITLE.to_string()]
        ]
        .into_iter()
        .collect()
    );
    assert_eq!(
        boxes(&t.brand2),
        [
            vec![LEAD_TITLE.to_string(), LINKS_TITLE.to_string()],
            vec![SPRING_TITLE.to_string()]
        ]
        .into_iter()
        .collect()
    );
    // Each call went to the account's own emulator with its own credentials.
    assert!(run.count("draft/add") == 3, "{:?}", run.call_names());
    assert_eq!(
        brand2.iter().filter(|c| c.name() == "draft/add").count(),
        2,
        "brand2 calls"
    );
    // One lockfile, one account.
    let main_lock = t.lock("wxsync.lock");
    assert_eq!(main_lock.appid(), Some(t.site.emu.appid().as_str()));
    assert_lock_matches(&main_lock, &t.site.emu, &[HELLO, ERRORS, SPRING]);
    let b_lock = t.lock("wxsync.brand2.lock");
    assert_eq!(b_lock.appid(), Some(BRAND2_APPID));
    assert_lock_matches(&b_lock, &t.brand2, &[LEAD, LINKS, SPRING]);
    // Both accounts uploaded the images they need into their own box.
    assert!(!b_lock.assets().is_empty());
    assert_ne!(main_lock.media_id(SPRING), b_lock.media_id(SPRING));
    // The report names the account of every row; spring-photos has one row per account.
    assert_eq!(
        rows(&run),
        [
            row("main", HELLO, "create"),
            row("main", ERRORS, "create"),
            row("main", SPRING, "create"),
            row("brand2", LEAD, "create"),
            row("brand2", LINKS, "create"),
            row("brand2", SPRING, "create"),
        ]
        .into_iter()
        .collect()
    );
    let json = run.json();
    assert_eq!(json["summary"]["created"], 6, "{json}");
    let names: Vec<&str> = json["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert_eq!(names, ["brand2", "main"]);
    // Token caches are not shared: each file holds its own account's AppID only.
    let main_cache = t.read_opt(".wxsync/token.json");
    let b_cache = t.read_opt(".wxsync/accounts/brand2/token.json");
    assert!(main_cache.contains(&t.site.emu.appid()), "{main_cache}");
    assert!(!main_cache.contains(BRAND2_APPID), "{main_cache}");
    assert!(b_cache.contains(BRAND2_APPID), "{b_cache}");
    assert!(!b_cache.contains(&t.site.emu.appid()), "{b_cache}");

    // A second sync makes no call to either account and changes no byte.
    let before = (t.bytes("wxsync.lock"), t.bytes("wxsync.brand2.lock"));
    let (again, brand2) = t.run(&["sync", "--json"]);
    again.assert_code(0).assert_no_calls();
    assert!(brand2.is_empty(), "brand2 got calls on a no-op sync");
    assert_eq!(
        before,
        (t.bytes("wxsync.lock"), t.bytes("wxsync.brand2.lock"))
    );
    assert!(rows(&again).iter().all(|(_, _, a)| a == "skip"));
}

#[test]
fn account_flag_limits_a_run_to_one_account() {
    let t = TwoAccounts::new();
    t.run(&["sync", "--json"]).0.assert_code(0);
    t.site.touch_article(SPRING, "两个账号都要更新。");
    t.site.touch_article(HELLO, "只有主账号。");
    let main_before = t.bytes("wxsync.lock");

    // status shows both accounts' plans, each row with its account.
    let (status, brand2) = t.run(&["status", "--json"]);
    status.assert_code(0).assert_no_calls();
    assert!(brand2.is_empty());
    let plan = rows(&status);
    for r in [
        row("main", SPRING, "update"),
        row("main", HELLO, "update"),
        row("main", ERRORS, "skip"),
        row("brand2", SPRING, "update"),
        row("brand2", LEAD, "skip"),
    ] {
        assert!(plan.contains(&r), "{r:?} not in {plan:?}");
    }
    let (status, _) = t.run(&["status", "--account", "brand2", "--json"]);
    assert!(
        rows(&status).iter().all(|(a, _, _)| a == "brand2"),
        "{}",
        status.stdout
    );

    // sync --account brand2 talks to brand2 only, and leaves main's lockfile alone.
    let (run, brand2) = t.run(&["sync", "--account", "brand2", "--json"]);
    run.assert_code(0).assert_no_calls();
    assert_eq!(
        brand2.iter().filter(|c| c.name() == "draft/update").count(),
        1,
        "brand2 calls: {:?}",
        brand2
            .iter()
            .map(|c| c.name().to_string())
            .collect::<Vec<_>>()
    );
    assert_eq!(
        rows(&run),
        [
            row("brand2", LEAD, "skip"),
            row("brand2", LINKS, "skip"),
            row("brand2", SPRING, "update"),
        ]
        .into_iter()
        .collect()
    );
    assert_eq!(
        t.bytes("wxsync.lock"),
        main_before,
        "main's lockfile changed"
    );

    // The rest goes to main in the next full run, and brand2 is left alone.
    let (run, brand2) = t.run(&["sync", "--json"]);
    run.assert_code(0);
    assert_eq!(run.count("draft/update"), 2, "{:?}", run.call_names());
    assert!(
        brand2
            .iter()
            .all(|c| c.name() != "draft/update" && c.name() != "draft/add"),
        "brand2 pushed again"
    );

    // A named article limits the run to its accounts; one of another account is refused.
    t.site.touch_article(LEAD, "周刊改动。");
    let (run, _) = t.run(&["sync", "--account", "main", "--json", LEAD]);
    run.assert_code(2).assert_no_calls();
    assert!(run.stderr.contains("brand2"), "{}", run.stderr);
    let (run, brand2) = t.run(&["sync", "--json", LEAD]);
    run.assert_code(0).assert_no_calls();
    assert_eq!(
        brand2.iter().filter(|c| c.name() == "draft/update").count(),
        1
    );

    // An unknown account is a usage error that lists the accounts.
    let (run, brand2) = t.run(&["sync", "--account", "brnad2"]);
    run.assert_code(2).assert_no_calls();
    assert!(brand2.is_empty());
    assert!(
        run.stderr.contains("did you mean `brand2`"),
        "{}",
        run.stderr
    );
}

#[test]
fn human_status_has_an_account_column_and_dry_run_sends_nothing() {
    let t = TwoAccounts::new();
    let (run, brand2) = t.run(&["status"]);
    run.assert_code(0).assert_no_calls();
    assert!(brand2.is_empty());
    let header = run.stdout.lines().next().unwrap_or_default();
    assert!(
        header.split_whitespace().collect::<Vec<_>>()
            == ["ARTICLE", "ACCOUNT", "ACTION", "DRAFT", "REASON"],
        "{}",
        run.stdout
    );
    let spring: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with(SPRING))
        .collect();
    assert_eq!(spring.len(), 2, "{}", run.stdout);
    assert!(spring.iter().any(|l| l.contains(" brand2 ")));
    assert!(spring.iter().any(|l| l.contains(" main ")));
    let (dry, brand2) = t.run(&["sync", "--dry-run", "--json"]);
    dry.assert_code(0).assert_no_calls();
    assert!(brand2.is_empty());
    assert_eq!(rows(&dry).len(), 6);
    assert!(t.bytes("wxsync.lock").is_none() && t.bytes("wxsync.brand2.lock").is_none());
}

#[test]
fn missing_credentials_of_one_account_stop_the_run_before_anything_is_sent() {
    let t = TwoAccounts::new();
    let mut cmd = assert_cmd::Command::from_std(t.command());
    cmd.env_remove("WECHAT_APPSECRET_BRAND2");
    cmd.arg("-C").arg(t.site.path()).args(["sync", "--json"]);
    let out = cmd.output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("WECHAT_APPSECRET_BRAND2"), "{stderr}");
    assert!(t.site.emu.log().is_empty() && t.brand2.log().is_empty());
    assert!(t.bytes("wxsync.lock").is_none());
}

/// `wxsync check` on the example site with `wxsync.yaml` extended by `yaml` and, if given,
/// an article's front matter line: its exit code and stderr.
fn check_with(yaml: &str, front: Option<(&str, &str)>) -> (i32, String, SyncSite) {
    let site = SyncSite::new();
    site.edit("wxsync.yaml", |t| format!("{t}{yaml}"));
    if let Some((path, line)) = front {
        site.add_front_matter(path, line);
    }
    let run = site.run(&["check"]);
    (run.code, run.stderr.clone(), site)
}

/// The line of `needle` in the site's file `rel` (1-based).
fn line_of(site: &SyncSite, rel: &str, needle: &str) -> usize {
    site.read(rel)
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} not in {rel}"))
        + 1
}

#[test]
fn bad_accounts_are_errors_at_their_line() {
    // Two defaults: at the second.
    let (code, err, site) = check_with(
        "accounts:\n  main:\n    default: true\n  brand2:\n    default: true\n",
        None,
    );
    assert_eq!(code, 2, "{err}");
    let l = site.read("wxsync.yaml").lines().count();
    assert!(err.contains(&format!("wxsync.yaml:{l}:")), "{err}");
    // A name that cannot be a file name.
    let (code, err, site) = check_with("accounts:\n  main: {}\n  ../evil: {}\n", None);
    assert_eq!(code, 2, "{err}");
    let l = line_of(&site, "wxsync.yaml", "../evil");
    assert!(err.contains(&format!("wxsync.yaml:{l}:")), "{err}");
    assert!(!site.file("wxsync.../evil.lock").exists());
    // Several and none the default.
    let (code, err, _) = check_with("accounts:\n  a: {}\n  b: {}\n", None);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("default: true"), "{err}");
    // An unknown account in front matter: at its line in the article.
    let (code, err, _) = check_with(
        "accounts:\n  main: {}\n  brand2: {}\n",
        Some((HELLO, "accounts: [main, brnad2]")),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&format!("{HELLO}:2:")), "{err}");
    assert!(err.contains("did you mean `brand2`"), "{err}");
    // On a site without `accounts:` too: the only account is `main`.
    let (code, err, _) = check_with("", Some((HELLO, "accounts: brand2")));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains(&format!("{HELLO}:2:")), "{err}");
    let (code, err, _) = check_with("", Some((HELLO, "accounts: main")));
    assert_eq!(code, 0, "{err}");
    // A draft whose articles go to different accounts.
    let (code, err, site) = check_with(
        "accounts:\n  main: {}\n  brand2:\n    articles: [\"articles/weekly/47-lead.md\"]\n",
        None,
    );
    assert_eq!(code, 2, "{err}");
    let l = line_of(&site, "wxsync.yaml", "weekly-47:");
    assert!(err.contains(&format!("wxsync.yaml:{l}:")), "{err}");
    // A secret under an account is refused like anywhere else, without its value.
    let (code, err, _) = check_with("accounts:\n  main:\n    appsecret: hunter2-value\n", None);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("WECHAT_APPSECRET") && !err.contains("hunter2-value"),
        "{err}"
    );
}

#[test]
fn a_bad_account_config_sends_nothing() {
    let t = TwoAccounts::new();
    t.site.add_front_matter(HELLO, "accounts: nobody");
    let (run, brand2) = t.run(&["sync", "--json"]);
    run.assert_code(2).assert_no_calls();
    assert!(brand2.is_empty());
    assert!(t.bytes("wxsync.lock").is_none() && t.bytes("wxsync.brand2.lock").is_none());
}

/// Media ids, URLs and times differ from run to run: each distinct id becomes `<n>` in
/// order of appearance and each time `<time>`, so the rest (keys, order, quoting, layout) is compared byte for byte.
fn normalize(text: &str) -> String {
    let mut seen: Vec<String> = Vec::new();
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String, seen: &mut Vec<String>, next: char| {
        // The table shows an id cut to 12 characters and `…`: the id it begins.
        if next == '…'
            && let Some(n) = seen.iter().position(|s| s.starts_with(word.as_str()))
        {
            out.push_str(&format!("<{n}>"));
            word.clear();
            return;
        }
        // Content hashes (64 hex digits) are the same every run: they stay.
        let hash = word.len() == 64 && word.chars().all(|c| c.is_ascii_hexdigit());
        let id_like = word.len() >= 20
            && !hash
            && word.chars().any(|c| c.is_ascii_digit())
            && word.chars().any(|c| c.is_ascii_alphabetic());
        let time_like = word.len() == 10 && word.chars().all(|c| c.is_ascii_digit());
        if time_like {
            // Times move on within a run (a second may tick between two drafts).
            out.push_str("<time>");
        } else if id_like {
            let n = match seen.iter().position(|s| s == word) {
                Some(n) => n,
                None => {
                    seen.push(word.clone());
                    seen.len() - 1
                }
            };
            out.push_str(&format!("<{n}>"));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            word.push(c);
        } else {
            flush(&mut word, &mut out, &mut seen, c);
            out.push(c);
        }
    }
    flush(&mut word, &mut out, &mut seen, '\n');
    // The lockfile quotes an id that YAML would misread (one starting with `-`): which ids
    // need it is chance, so a quoted placeholder counts as a plain one (JSON keys stay).
    out.lines()
        .map(|l| {
            let t = l.trim_start();
            match l.rsplit_once(": \"<") {
                Some((key, rest))
                    if !t.starts_with('"') && rest.ends_with(">\"") && !key.contains('"') =>
                {
                    format!("{key}: <{}", &rest[..rest.len() - 1])
                }
                _ => l.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn golden_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/accounts/single-account.golden")
}

/// What a first sync, a second sync and `status` of the example site leave and print.
fn single_account_record(bin: &Path) -> String {
    let site = SyncSite::new();
    let run = |args: &[&str]| {
        let base = site.command();
        let mut c = std::process::Command::new(bin);
        if let Some(d) = base.get_current_dir() {
            c.current_dir(d);
        }
        for (k, v) in base.get_envs() {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
        }
        let out = c
            .arg("-C")
            .arg(site.path())
            .args(args)
            .output()
            .expect("run wxsync");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let first = run(&["sync", "--json"]);
    let lock = site.read("wxsync.lock");
    let second = run(&["sync", "--json"]);
    let status = run(&["status"]);
    let status_json = run(&["status", "--json"]);
    assert_eq!(
        site.read("wxsync.lock"),
        lock,
        "a no-op sync rewrote the lockfile"
    );
    // One account: no other lockfile, the token cache where it always was.
    let locks: Vec<String> = std::fs::read_dir(site.path())
        .expect("site")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".lock"))
        .collect();
    assert_eq!(locks, ["wxsync.lock"]);
    assert!(site.file(".wxsync/token.json").is_file());
    assert!(!site.file(".wxsync/accounts").exists());
    normalize(&format!(
        "== wxsync.lock\n{lock}== sync --json\n{first}\n== sync --json (again)\n{second}\n== status\n{status}== status --json\n{status_json}\n"
    ))
}

#[test]
fn a_single_account_site_is_unchanged_byte_for_byte() {
    if let Some(bin) = std::env::var_os(BLESS) {
        let record = single_account_record(Path::new(&bin));
        std::fs::create_dir_all(golden_path().parent().expect("dir")).expect("mkdir");
        std::fs::write(golden_path(), record).expect("write golden");
        return;
    }
    let record = single_account_record(Path::new(env!("CARGO_BIN_EXE_wxsync")));
    let golden = std::fs::read_to_string(golden_path()).expect("the golden file");
    assert!(
        record == golden,
        "the example site's lockfile or report changed:\n--- golden\n{golden}\n--- now\n{record}"
    );
    // And the normalised lockfile is a real one: five articles and their images.
    assert_eq!(record.matches("    state: synced").count(), 5, "{record}");
}

#[test]
fn rehearsal_of_two_accounts_uses_one_emulator_each_and_touches_no_lockfile() {
    let t = TwoAccounts::new();
    let (run, brand2) = t.run(&["sync", "--rehearse", "--json"]);
    run.assert_code(0).assert_no_calls();
    assert!(brand2.is_empty());
    let json: Json = run.json();
    assert_eq!(rows(&run).len(), 6, "{json}");
    let rehearsal = &json["rehearsal"];
    assert_eq!(
        rehearsal["main"]["created"].as_array().map(Vec::len),
        Some(3),
        "{json}"
    );
    assert_eq!(
        rehearsal["brand2"]["created"].as_array().map(Vec::len),
        Some(2),
        "{json}"
    );
    assert!(t.bytes("wxsync.lock").is_none() && t.bytes("wxsync.brand2.lock").is_none());
    assert!(
        t.site
            .file(".wxsync/rehearsal/wxsync.brand2.lock")
            .is_file()
    );
}

#[test]
fn commands_that_talk_to_one_account_pick_it() {
    let t = TwoAccounts::new();
    t.run(&["sync", "--json"]).0.assert_code(0);
    // quota: the default account, or the one named.
    let (run, brand2) = t.run(&["quota", "--json"]);
    run.assert_code(0);
    assert!(run.count("openapi/quota/get") > 0 && brand2.is_empty());
    let (run, brand2) = t.run(&["quota", "--account", "brand2", "--json"]);
    run.assert_code(0).assert_no_calls();
    assert!(brand2.iter().any(|c| c.name() == "openapi/quota/get"));
    // adopt of an article in two accounts needs --account; with it, that account's box.
    let (run, brand2) = t.run(&["adopt", SPRING]);
    run.assert_code(2).assert_no_calls();
    assert!(brand2.is_empty());
    assert!(run.stderr.contains("--account"), "{}", run.stderr);
    let (run, brand2) = t.run(&["adopt", SPRING, "--account", "brand2", "--json"]);
    run.assert_code(0).assert_no_calls();
    assert!(
        brand2.iter().any(|c| c.name() == "draft/get"),
        "{:?}",
        run.stderr
    );
    // An article of one account picks it alone.
    let (run, brand2) = t.run(&["status", "--remote", "--json", LEAD]);
    run.assert_code(0).assert_no_calls();
    assert!(
        !brand2.is_empty(),
        "status --remote of a brand2 article asked main"
    );
    let lead = run.article(LEAD);
    assert_eq!(lead["account"], "brand2", "{lead}");
    assert_eq!(lead["remote"]["state"], "in_step", "{lead}");
    // publish: the account the articles go to.
    let (run, brand2) = t.run(&["publish", "--yes", "--json", LEAD]);
    run.assert_code(0).assert_no_calls();
    assert!(
        brand2.iter().any(|c| c.name() == "freepublish/submit"),
        "{}",
        run.stderr
    );
    assert!(
        t.lock("wxsync.brand2.lock")
            .entry(LEAD)
            .and_then(|e| e.get("published"))
            .is_some()
    );
    // --account where it means nothing is refused rather than ignored.
    let (run, _) = t.run(&["check", "--account", "brand2"]);
    run.assert_code(2);
}

#[test]
fn an_article_that_leaves_an_account_is_an_orphan_there_and_stays_in_the_other() {
    let t = TwoAccounts::new();
    t.run(&["sync", "--json"]).0.assert_code(0);
    let kept = t.lock("wxsync.brand2.lock").media_id(SPRING);
    t.site.edit(SPRING, |s| {
        s.replace("accounts: [main, brand2]", "accounts: [main]")
    });
    let (status, _) = t.run(&["status", "--json"]);
    let orphans = status.json()["orphans"].clone();
    assert!(
        orphans
            .as_array()
            .expect("orphans")
            .iter()
            .any(|o| o["account"] == "brand2"
                && o["path"] == SPRING
                && o["media_id"] == kept.as_str()),
        "{orphans}"
    );
    // --prune deletes it from brand2's box only; main keeps its draft.
    let (run, brand2) = t.run(&["sync", "--prune", "--json"]);
    run.assert_code(0);
    assert!(brand2.iter().any(|c| c.name() == "draft/delete"));
    assert!(run.count("draft/delete") == 0, "{:?}", run.call_names());
    assert!(t.brand2.draft(&kept).is_none());
    assert!(!t.lock("wxsync.brand2.lock").articles().contains(SPRING));
    assert!(t.lock("wxsync.lock").articles().contains(SPRING));
}

#[test]
fn a_lockfile_of_another_appid_is_refused_with_its_name() {
    let t = TwoAccounts::new();
    t.run(&["sync", "--json"]).0.assert_code(0);
    let mut cmd = assert_cmd::Command::from_std(t.command());
    cmd.env("WECHAT_APPID_BRAND2", "wxsomeoneelse0000");
    cmd.arg("-C").arg(t.site.path()).args(["status"]);
    let out = cmd.output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("wxsync.brand2.lock"), "{stderr}");
}

#[test]
fn account_flag_on_a_single_account_site() {
    let site = SyncSite::new();
    site.run(&["status", "--account", "main"]).assert_code(0);
    let run = site.run(&["status", "--account", "brand2"]);
    run.assert_code(2);
    assert!(run.stderr.contains("main"), "{}", run.stderr);
}

#[test]
fn an_account_glob_that_matches_nothing_is_a_warning() {
    let (code, err, site) = check_with(
        "accounts:\n  main: {}\n  brand2:\n    articles: [\"brand2/**\"]\n",
        None,
    );
    assert_eq!(code, 0, "{err}");
    let l = line_of(&site, "wxsync.yaml", "articles: [\"brand2");
    assert!(err.contains(&format!("wxsync.yaml:{l}:")), "{err}");
    assert!(err.contains("match no article"), "{err}");
}

#[test]
fn rehearsal_honours_the_account_flag() {
    let t = TwoAccounts::new();
    let (run, brand2) = t.run(&["sync", "--rehearse", "--account", "brand2", "--json"]);
    run.assert_code(0).assert_no_calls();
    assert!(brand2.is_empty());
    assert!(
        rows(&run).iter().all(|(a, _, _)| a == "brand2"),
        "{}",
        run.stdout
    );
    let json = run.json();
    assert!(json["rehearsal"].get("main").is_none(), "{json}");
    assert_eq!(
        json["rehearsal"]["brand2"]["created"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}

/// The action passes its `account` input as `--account` and keeps every account's lockfile.
#[test]
fn the_action_takes_an_account_and_keeps_every_lockfile() {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml"))
        .expect("action.yml");
    let action: serde_yaml::Value = serde_yaml::from_str(&text).expect("YAML");
    assert_eq!(
        action["inputs"]["account"]["default"],
        serde_yaml::Value::from("")
    );
    assert!(
        text.contains(r#"extra+=(--account "$ACCOUNT")"#),
        "--account is passed"
    );
    assert!(
        text.contains(r#""$SITE"/wxsync.*.lock"#),
        "other accounts' lockfiles are kept"
    );
    assert!(text.contains("wxsync*.lock"), "and uploaded when unkept");
}

/// The action's "Keep wxsync.lock" step, run as the runner runs it in a repository whose
/// sync changed both accounts' lockfiles: one commit with both, and nothing else, is pushed.
#[cfg(unix)]
#[test]
fn the_action_commits_every_changed_lockfile_and_nothing_else() {
    use std::process::Command;
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml"))
        .expect("action.yml");
    let action: serde_yaml::Value = serde_yaml::from_str(&text).expect("YAML");
    let script = action["runs"]["steps"]
        .as_sequence()
        .expect("steps")
        .iter()
        .find(|s| s["id"].as_str() == Some("commit"))
        .and_then(|s| s["run"].as_str())
        .expect("the commit step")
        .to_string();
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    let origin = dir.path().join("origin.git");
    let git = |args: &[&str], cwd: &Path| {
        let out = Command::new("git")
            .args(args)
            .current_dir(cwd)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", dir.path())
            .output()
            .expect("git");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    std::fs::create_dir_all(&repo).expect("mkdir");
    git(
        &["init", "-q", "--bare", origin.to_str().expect("utf-8")],
        dir.path(),
    );
    git(&["init", "-q", "-b", "main"], &repo);
    git(
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "start",
        ],
        &repo,
    );
    git(
        &["remote", "add", "origin", origin.to_str().expect("utf-8")],
        &repo,
    );
    git(&["push", "-q", "origin", "main"], &repo);
    for (file, text) in [
        ("wxsync.lock", "version: 2\ncount: 0\n"),
        ("wxsync.brand2.lock", "version: 2\ncount: 0\n"),
        ("notes.txt", "not a lockfile\n"),
    ] {
        std::fs::write(repo.join(file), text).expect("write");
    }
    let outputs = dir.path().join("github_output");
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(&repo)
        .env("HOME", dir.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("SITE", ".")
        .env("MODE", "push")
        .env("MESSAGE", "wxsync: record drafts")
        .env("GITHUB_OUTPUT", &outputs)
        .env("GITHUB_REF_NAME", "main")
        .env_remove("GITHUB_HEAD_REF")
        .output()
        .expect("bash");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let pushed = git(&["show", "--name-only", "--format=", "main"], &origin);
    let files: Vec<&str> = pushed.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(files, ["wxsync.brand2.lock", "wxsync.lock"]);
    assert!(
        std::fs::read_to_string(&outputs)
            .expect("outputs")
            .contains("changed=true")
    );
}
