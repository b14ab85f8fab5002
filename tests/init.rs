//! `wxsync init [DIR]` (DESIGN §5): the site it writes passes `check` and syncs against the
//! emulator as it is; it never overwrites a file; it ends with its next steps
//! (preview, rehearse, secrets, whitelist, push) and makes the site a git repository; and the
//! workflow it writes is the example site's.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value as Json;
use wxemu::Emulator;

/// The binary with nothing from the host that could change its behaviour.
fn wxsync(cwd: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wxsync"));
    c.current_dir(cwd).env("NO_COLOR", "1");
    for var in [
        "WECHAT_APPID",
        "WECHAT_APP_ID",
        "WECHAT_APPSECRET",
        "WECHAT_APP_SECRET",
        "WECHAT_ACCESS_TOKEN",
        "WXSYNC_API_BASE",
        "GITHUB_ACTIONS",
        "GITHUB_STEP_SUMMARY",
        "GITHUB_OUTPUT",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        c.env_remove(var);
    }
    c
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[track_caller]
fn run_ok(cmd: &mut Command) -> (String, String) {
    let out = cmd.output().expect("run wxsync");
    let (stdout, stderr) = text(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{cmd:?}\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    (stdout, stderr)
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter(|e| {
            !e.path()
                .strip_prefix(dir)
                .is_ok_and(|p| p.starts_with(".git"))
        })
        .map(|e| {
            e.path()
                .strip_prefix(dir)
                .expect("inside")
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    out.sort();
    out
}

const WRITTEN: [&str; 5] = [
    ".github/workflows/wxsync.yml",
    ".gitignore",
    "articles/hello.md",
    "images/default-cover.jpg",
    "wxsync.yaml",
];

#[test]
fn init_writes_a_site_that_checks_clean_and_syncs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let site = dir.path().join("my-site");
    let (_, stderr) = run_ok(wxsync(dir.path()).args(["init", "my-site"]));
    assert_eq!(files(&site), WRITTEN);

    // Outside a repository the site becomes one: its last step commits.
    assert!(site.join(".git").is_dir(), "no git init:\n{stderr}");
    assert!(stderr.contains(".git (git init)"), "{stderr}");

    // The next steps: preview, rehearse, the secrets, the whitelist (or a proxy), the push.
    let steps = stderr
        .split_once("Next steps:")
        .unwrap_or_else(|| panic!("no next steps:\n{stderr}"))
        .1;
    for (n, words) in [
        (1, &["wxsync watch"][..]),
        (2, &["wxsync sync --rehearse"]),
        (3, &["WECHAT_APPID", "WECHAT_APPSECRET"]),
        (4, &["whitelist", "proxy"]),
        (5, &["cd my-site && wxsync check", "git commit", "git push"]),
    ] {
        let step = steps
            .split(&format!("  {n}. "))
            .nth(1)
            .unwrap_or_else(|| panic!("no step {n}:\n{steps}"));
        let step = step.split(&format!("  {}. ", n + 1)).next().unwrap_or("");
        for w in words {
            assert!(step.contains(w), "step {n} does not mention {w}:\n{step}");
        }
    }
    assert!(!steps.contains("  6. "), "five steps:\n{steps}");
    assert!(!steps.contains("git init"), "already done:\n{steps}");

    // The second step, as written: a rehearsed sync of the new site.
    let (stdout, _) = run_ok(wxsync(&site).args(["sync", "--rehearse"]));
    assert!(stdout.contains("1 created"), "{stdout}");
    assert!(stdout.contains("draft created: "), "{stdout}");
    assert!(
        !site.join("wxsync.lock").exists(),
        "a rehearsal writes no lockfile"
    );

    let gitignore = std::fs::read_to_string(site.join(".gitignore")).expect("gitignore");
    assert!(gitignore.lines().any(|l| l == ".wxsync/"), "{gitignore}");
    let config = std::fs::read_to_string(site.join("wxsync.yaml")).expect("config");
    assert!(
        config.contains("WECHAT_APPSECRET"),
        "says where the secret goes"
    );
    assert!(
        config
            .lines()
            .filter(|l| l.trim_start().starts_with('#'))
            .count()
            >= 5,
        "a commented config:\n{config}"
    );

    // `check`: clean, not even a warning.
    let (stdout, _) = run_ok(wxsync(&site).args(["check", "--json"]));
    let json: Json = serde_json::from_str(&stdout).expect("json");
    let articles = json["articles"].as_array().expect("articles");
    assert_eq!(articles.len(), 1, "{json}");
    assert_eq!(articles[0]["path"], "articles/hello.md");
    assert_eq!(articles[0]["errors"], Json::Array(vec![]), "{json}");
    assert_eq!(articles[0]["warnings"], Json::Array(vec![]), "{json}");

    // `sync` against the emulator: one draft with the article and its cover.
    let emu = Emulator::start().expect("emulator");
    let (stdout, stderr) = run_ok(
        wxsync(&site)
            .args(["sync", "--json"])
            .env("WXSYNC_API_BASE", emu.base_url())
            .env("WECHAT_APPID", emu.appid())
            .env("WECHAT_APPSECRET", emu.secret()),
    );
    let json: Json = serde_json::from_str(&stdout).expect("json");
    assert_eq!(json["summary"]["created"], 1, "{json}");
    assert_eq!(json["summary"]["failed"], 0, "{json}");
    let drafts = emu.drafts();
    assert_eq!(drafts.len(), 1);
    let article = &drafts[0].articles[0];
    assert_eq!(article["title"], "你好，wxsync");
    assert!(
        article["thumb_media_id"]
            .as_str()
            .is_some_and(|s| !s.is_empty()),
        "the default cover became the thumb: {article}"
    );
    assert!(
        emu.warnings().is_empty(),
        "the emulator saw content WeChat would alter: {:?}",
        emu.warnings()
    );
    for secret in std::iter::once(emu.secret()).chain(
        emu.log()
            .into_iter()
            .filter_map(|e| e.access_token)
            .filter(|t| !t.is_empty()),
    ) {
        assert!(!stdout.contains(&secret) && !stderr.contains(&secret));
    }
    // The lockfile now records it; the cache stays out of git.
    let lock = std::fs::read_to_string(site.join("wxsync.lock")).expect("lockfile");
    assert!(lock.contains("articles/hello.md"), "{lock}");
    assert!(site.join(".wxsync").is_dir());
}

#[test]
fn init_in_the_current_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    run_ok(wxsync(dir.path()).arg("init"));
    assert_eq!(files(dir.path()), WRITTEN);
}

#[test]
fn init_overwrites_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("wxsync.yaml"), "theme: ink\n").expect("write");
    let out = wxsync(dir.path()).arg("init").output().expect("run");
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("wxsync.yaml"), "{stderr}");
    // Nothing was written: not even the files that did not exist.
    assert_eq!(files(dir.path()), ["wxsync.yaml"]);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("wxsync.yaml")).expect("read"),
        "theme: ink\n"
    );

    // A workflow of the same name is kept as well.
    let dir = tempfile::tempdir().expect("tempdir");
    let wf = dir.path().join(".github/workflows/wxsync.yml");
    std::fs::create_dir_all(wf.parent().expect("parent")).expect("mkdir");
    std::fs::write(&wf, "name: mine\n").expect("write");
    let out = wxsync(dir.path()).arg("init").output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(files(dir.path()), [".github/workflows/wxsync.yml"]);
}

#[test]
fn an_existing_gitignore_gets_the_cache_line_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join(".gitignore"), "node_modules").expect("write");
    run_ok(wxsync(dir.path()).arg("init"));
    let text = std::fs::read_to_string(dir.path().join(".gitignore")).expect("read");
    assert!(text.starts_with("node_modules\n"), "{text}");
    assert_eq!(text.lines().filter(|l| *l == ".wxsync/").count(), 1);

    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join(".gitignore"), "/.wxsync\n").expect("write");
    run_ok(wxsync(dir.path()).arg("init"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".gitignore")).expect("read"),
        "/.wxsync\n"
    );
}

#[test]
fn in_a_repository_the_workflow_goes_to_its_root() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join(".git")).expect("fake repository");
    run_ok(wxsync(dir.path()).args(["init", "docs/wechat"]));
    let site = dir.path().join("docs/wechat");
    assert!(site.join("wxsync.yaml").is_file());
    assert!(!site.join(".github").exists());
    let wf = std::fs::read_to_string(dir.path().join(".github/workflows/wxsync.yml"))
        .expect("workflow at the root");
    assert!(wf.contains("site: \"docs/wechat\""), "{wf}");
    assert!(wf.contains("- \"docs/wechat/**\""), "{wf}");
    assert!(wf.contains("- \"!docs/wechat/wxsync.lock\""), "{wf}");
    let yaml: serde_yaml::Value = serde_yaml::from_str(&wf).expect("yaml");
    assert!(yaml["jobs"]["sync"].is_mapping());
}

#[test]
fn the_workflow_init_writes_is_the_example_sites() {
    let dir = tempfile::tempdir().expect("tempdir");
    run_ok(wxsync(dir.path()).arg("init"));
    let written =
        std::fs::read_to_string(dir.path().join(".github/workflows/wxsync.yml")).expect("read");
    let example: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "example-site/.github/workflows/wxsync.yml",
    ]
    .iter()
    .collect();
    assert_eq!(
        written,
        std::fs::read_to_string(example).expect("read"),
        "templates/init/workflow.yml and example-site's workflow differ: regenerate the \
         example with `wxsync init` in an empty directory"
    );
}

#[test]
fn init_json_lists_what_it_wrote() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (stdout, _) = run_ok(wxsync(dir.path()).args(["init", "--json"]));
    let json: Json = serde_json::from_str(&stdout).expect("json");
    let mut created: Vec<&str> = json["created"]
        .as_array()
        .expect("created")
        .iter()
        .filter_map(Json::as_str)
        .collect();
    created.sort();
    let mut expected = WRITTEN.to_vec();
    expected.insert(0, ".git (git init)");
    assert_eq!(created, expected);
    assert_eq!(json["next_steps"].as_array().map(Vec::len), Some(5));
}

#[test]
fn without_git_the_last_step_says_git_init() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = tempfile::tempdir().expect("an empty PATH");
    let (_, stderr) = run_ok(wxsync(dir.path()).arg("init").env("PATH", empty.path()));
    assert!(!dir.path().join(".git").exists());
    assert!(
        stderr.contains("git init && git add . && git commit"),
        "{stderr}"
    );
}
