//! A copy of the example site wired to its own in-process WeChat emulator, for driving the real
//! `wxsync` binary through `status`, `sync` and `adopt` (DESIGN §3–§5).
//!
//! Every run goes through [`SyncSite::run`], which records the API calls the run made (the
//! emulator's log grows only) and checks that neither the AppSecret nor any access token the
//! emulator has seen so far appears in the run's stdout, stderr or the lockfile (DESIGN §1.2).
#![allow(dead_code)] // Not every test uses every helper.

#[path = "site_copy.rs"]
mod site_copy;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value as Json;
use serde_yaml::Value as Yaml;
use wxemu::{Emulator, LogEntry, StoredDraft};

/// The articles of the example site, as lockfile keys.
pub const HELLO: &str = "articles/hello-wxsync.md";
pub const ERRORS: &str = "articles/rust-error-handling.md";
pub const SPRING: &str = "articles/spring-photos.md";
pub const LEAD: &str = "articles/weekly/47-lead.md";
pub const LINKS: &str = "articles/weekly/47-links.md";
pub const ALL: [&str; 5] = [HELLO, ERRORS, SPRING, LEAD, LINKS];

/// Their titles, which is how a stored draft is recognised.
pub const HELLO_TITLE: &str = "用 Git 管理公众号文章：wxsync 入门";
pub const ERRORS_TITLE: &str = "Errors users can act on";
pub const SPRING_TITLE: &str = "春天的三种颜色";
pub const LEAD_TITLE: &str = "周刊第 47 期：草稿箱也能 Code Review";
pub const LINKS_TITLE: &str = "周刊第 47 期：本周链接";

pub fn title_of(path: &str) -> &'static str {
    match path {
        HELLO => HELLO_TITLE,
        ERRORS => ERRORS_TITLE,
        SPRING => SPRING_TITLE,
        LEAD => LEAD_TITLE,
        LINKS => LINKS_TITLE,
        _ => panic!("no known title for {path}"),
    }
}

/// What one run of the binary did.
#[derive(Debug, Clone)]
pub struct Run {
    pub args: Vec<String>,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// The API calls (`/cgi-bin/…`) the emulator received during the run, oldest first.
    pub calls: Vec<LogEntry>,
    pub elapsed: Duration,
}

impl Run {
    /// The calls to one endpoint, e.g. `draft/add`.
    pub fn calls_to(&self, name: &str) -> Vec<&LogEntry> {
        self.calls.iter().filter(|c| c.name() == name).collect()
    }

    pub fn count(&self, name: &str) -> usize {
        self.calls_to(name).len()
    }

    /// Token fetches (stable or classic).
    pub fn token_calls(&self) -> usize {
        self.count("stable_token") + self.count("token")
    }

    /// The API calls by name, for assertion messages.
    pub fn call_names(&self) -> Vec<String> {
        self.calls
            .iter()
            .map(|c| match c.errcode {
                Some(0) => c.name().to_string(),
                Some(e) => format!("{}→{e}", c.name()),
                None => format!("{}→{}", c.name(), c.fault.as_deref().unwrap_or("?")),
            })
            .collect()
    }

    /// stdout parsed as JSON (for `--json` runs).
    pub fn json(&self) -> Json {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout of `wxsync {}` is not JSON ({e}):\n{}\nstderr:\n{}",
                self.args.join(" "),
                self.stdout,
                self.stderr
            )
        })
    }

    /// Everything the run printed, for wording-insensitive checks.
    pub fn output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code,
            code,
            "`wxsync {}` exited {} (expected {code}); calls: {:?}\nstdout:\n{}\nstderr:\n{}",
            self.args.join(" "),
            self.code,
            self.call_names(),
            self.stdout,
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn assert_no_calls(&self) -> &Run {
        assert!(
            self.calls.is_empty(),
            "`wxsync {}` made API calls: {:?}\nstderr:\n{}",
            self.args.join(" "),
            self.call_names(),
            self.stderr
        );
        self
    }

    /// The JSON report entry for `path` (`--json` runs of status/sync).
    #[track_caller]
    pub fn article(&self, path: &str) -> Json {
        let json = self.json();
        let articles = json["articles"]
            .as_array()
            .unwrap_or_else(|| panic!("no `articles` array in the JSON report:\n{}", self.stdout));
        articles
            .iter()
            .find(|a| a["path"] == path)
            .cloned()
            .unwrap_or_else(|| panic!("{path} missing from the JSON report:\n{}", self.stdout))
    }

    /// `action` of `path` in the JSON report.
    #[track_caller]
    pub fn action(&self, path: &str) -> String {
        self.article(path)["action"]
            .as_str()
            .unwrap_or_else(|| panic!("{path}: no string action in:\n{}", self.stdout))
            .to_string()
    }
}

/// `wxsync.lock`, read as YAML.
#[derive(Debug, Clone)]
pub struct Lock(pub Yaml);

impl Lock {
    pub fn articles(&self) -> BTreeSet<String> {
        match self.0.get("articles").and_then(Yaml::as_mapping) {
            Some(m) => m
                .keys()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect(),
            None => BTreeSet::new(),
        }
    }

    pub fn entry(&self, path: &str) -> Option<&Yaml> {
        self.0.get("articles")?.get(path)
    }

    #[track_caller]
    fn field(&self, path: &str, field: &str) -> Option<&Yaml> {
        self.entry(path)
            .unwrap_or_else(|| panic!("no lockfile entry for {path}:\n{self:?}"))
            .get(field)
    }

    #[track_caller]
    pub fn media_id(&self, path: &str) -> String {
        self.field(path, "media_id")
            .and_then(Yaml::as_str)
            .unwrap_or_else(|| panic!("{path}: no media_id in the lockfile:\n{self:?}"))
            .to_string()
    }

    pub fn opt_media_id(&self, path: &str) -> Option<String> {
        self.entry(path)?
            .get("media_id")?
            .as_str()
            .map(str::to_string)
    }

    #[track_caller]
    pub fn index(&self, path: &str) -> u64 {
        self.field(path, "index")
            .and_then(Yaml::as_u64)
            .unwrap_or(0)
    }

    #[track_caller]
    pub fn state(&self, path: &str) -> String {
        self.field(path, "state")
            .and_then(Yaml::as_str)
            .unwrap_or_else(|| panic!("{path}: no state in the lockfile:\n{self:?}"))
            .to_string()
    }

    #[track_caller]
    pub fn hash(&self, path: &str) -> Option<String> {
        self.field(path, "hash")
            .and_then(Yaml::as_str)
            .map(str::to_string)
    }

    pub fn appid(&self) -> Option<&str> {
        self.0.get("appid")?.as_str()
    }

    /// The `assets` map: content hash → fields.
    pub fn assets(&self) -> Vec<(String, Yaml)> {
        match self.0.get("assets").and_then(Yaml::as_mapping) {
            Some(m) => m
                .iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.clone())))
                .collect(),
            None => Vec::new(),
        }
    }
}

/// A temporary copy of `example-site/` and an emulator for it.
pub struct SyncSite {
    pub emu: Emulator,
    dir: tempfile::TempDir,
}

impl Default for SyncSite {
    fn default() -> Self {
        SyncSite::new()
    }
}

impl SyncSite {
    /// The example site with `appid:` set to the emulator's account.
    pub fn new() -> SyncSite {
        let emu = Emulator::start().expect("start the emulator");
        let dir = tempfile::tempdir().expect("tempdir");
        site_copy::copy_site(&example_site(), dir.path());
        let site = SyncSite { emu, dir };
        let appid = site.emu.appid();
        site.edit("wxsync.yaml", |text| {
            let mut replaced = false;
            let out: Vec<String> = text
                .lines()
                .map(|l| {
                    if l.starts_with("appid:") {
                        replaced = true;
                        format!("appid: {appid}")
                    } else {
                        l.to_string()
                    }
                })
                .collect();
            assert!(replaced, "example-site/wxsync.yaml has no `appid:` line");
            out.join("\n") + "\n"
        });
        site
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn file(&self, rel: &str) -> PathBuf {
        self.path().join(rel)
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.file(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    pub fn write(&self, rel: &str, text: &str) {
        let p = self.file(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, text).unwrap_or_else(|e| panic!("write {rel}: {e}"));
    }

    pub fn edit(&self, rel: &str, f: impl FnOnce(&str) -> String) {
        let text = self.read(rel);
        self.write(rel, &f(&text));
    }

    /// Appends a paragraph to an article: its payload changes, nothing else.
    pub fn touch_article(&self, rel: &str, marker: &str) {
        self.edit(rel, |t| format!("{t}\n\n{marker}\n"));
    }

    /// Sets a front-matter line (inserted right after the opening `---`).
    pub fn add_front_matter(&self, rel: &str, line: &str) {
        self.edit(rel, |t| {
            let rest = t.strip_prefix("---\n").expect("article starts with ---");
            format!("---\n{line}\n{rest}")
        });
    }

    pub fn lock_bytes(&self) -> Option<Vec<u8>> {
        std::fs::read(self.file("wxsync.lock")).ok()
    }

    /// What the next run reads: `wxsync.lock`, with the journal a killed run left beside it
    /// replayed (each of its lines sets keys of the lockfile's maps; `null` removes one; a
    /// last line cut short is ignored).
    #[track_caller]
    pub fn lock(&self) -> Lock {
        let text = std::fs::read_to_string(self.file("wxsync.lock"));
        let journal = std::fs::read_to_string(self.file("wxsync.lock.journal")).ok();
        let mut lock: Yaml = match &text {
            Ok(text) => serde_yaml::from_str(text).unwrap_or_else(|e| {
                panic!("wxsync.lock is not YAML ({e}):\n{text}");
            }),
            Err(e) => {
                assert!(journal.is_some(), "wxsync.lock exists: {e}");
                Yaml::Mapping(Default::default())
            }
        };
        for line in journal.iter().flat_map(|j| j.lines()) {
            let Ok(Json::Object(delta)) = serde_json::from_str::<Json>(line) else {
                continue;
            };
            for (section, changes) in delta {
                let Json::Object(changes) = changes else {
                    lock[section.as_str()] = serde_yaml::to_value(&changes).expect("yaml");
                    continue;
                };
                if !lock.get(&section).is_some_and(Yaml::is_mapping) {
                    lock[section.as_str()] = Yaml::Mapping(Default::default());
                }
                let Some(map) = lock.get_mut(&section).and_then(Yaml::as_mapping_mut) else {
                    continue;
                };
                for (k, v) in changes {
                    if v.is_null() {
                        map.remove(k.as_str());
                    } else {
                        map.insert(Yaml::from(k), serde_yaml::to_value(&v).expect("yaml"));
                    }
                }
            }
        }
        Lock(lock)
    }

    /// The environment a run gets: the emulator, its credentials, nothing from the host that
    /// could change behaviour (GitHub Actions, proxies, a fixed token).
    pub fn command(&self) -> std::process::Command {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_wxsync"));
        c.current_dir(self.path())
            .env("NO_COLOR", "1")
            .env("WXSYNC_API_BASE", self.emu.base_url())
            .env("WECHAT_APPID", self.emu.appid())
            .env("WECHAT_APPSECRET", self.emu.secret());
        for var in [
            "WECHAT_APP_ID",
            "WECHAT_APP_SECRET",
            "WECHAT_ACCESS_TOKEN",
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

    /// Runs `wxsync -C <site> ARGS…` from the site root, waits (at most 3 minutes), checks
    /// secret hygiene and returns what happened.
    #[track_caller]
    pub fn run(&self, args: &[&str]) -> Run {
        let before = self.emu.log().len();
        let started = Instant::now();
        let mut cmd = assert_cmd::Command::from_std(self.command());
        cmd.arg("-C").arg(self.path()).args(args);
        cmd.timeout(Duration::from_secs(180));
        let out = cmd.output().expect("run wxsync");
        let elapsed = started.elapsed();
        let run = Run {
            args: args.iter().map(|s| s.to_string()).collect(),
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            calls: self.emu.log().split_off(before),
            elapsed,
        };
        self.assert_no_secrets(&run);
        assert!(
            !run.stderr.contains("panicked"),
            "`wxsync {}` panicked:\n{}",
            run.args.join(" "),
            run.stderr
        );
        run
    }

    /// `wxsync sync --json ARGS…`.
    #[track_caller]
    pub fn sync(&self, args: &[&str]) -> Run {
        let mut all = vec!["sync", "--json"];
        all.extend_from_slice(args);
        self.run(&all)
    }

    /// `wxsync status --json`.
    #[track_caller]
    pub fn status(&self) -> Run {
        self.run(&["status", "--json"])
    }

    /// The secret and every access token the emulator has seen: none may leak.
    pub fn secrets(&self) -> Vec<String> {
        let mut s: BTreeSet<String> = self
            .emu
            .log()
            .into_iter()
            .filter_map(|e| e.access_token)
            .filter(|t| !t.is_empty())
            .collect();
        s.insert(self.emu.secret());
        s.into_iter().collect()
    }

    #[track_caller]
    pub fn assert_no_secrets(&self, run: &Run) {
        let lock = self
            .lock_bytes()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        for secret in self.secrets() {
            for (what, text) in [
                ("stdout", &run.stdout),
                ("stderr", &run.stderr),
                ("wxsync.lock", &lock),
            ] {
                assert!(
                    !text.contains(&secret),
                    "`wxsync {}`: a secret or access token leaked into {what}:\n{text}",
                    run.args.join(" ")
                );
            }
        }
    }

    /// The stored drafts holding an article with this title (as (media_id, index)).
    pub fn drafts_titled(&self, title: &str) -> Vec<(String, usize)> {
        let mut out = Vec::new();
        for d in self.emu.drafts() {
            for (i, a) in d.articles.iter().enumerate() {
                if a["title"] == title {
                    out.push((d.media_id.clone(), i));
                }
            }
        }
        out
    }

    #[track_caller]
    pub fn draft(&self, media_id: &str) -> StoredDraft {
        self.emu
            .draft(media_id)
            .unwrap_or_else(|| panic!("the emulator has no draft {media_id}"))
    }

    /// Asserts the emulator holds exactly the example site's four drafts, each article once,
    /// in the places the lockfile says, all entries synced.
    #[track_caller]
    pub fn assert_box_matches_lock(&self) {
        let lock = self.lock();
        let drafts = self.emu.drafts();
        assert_eq!(
            drafts.len(),
            4,
            "expected 4 drafts, found {:?}",
            drafts
                .iter()
                .map(|d| d.articles.iter().map(|a| a["title"].clone()).collect())
                .collect::<Vec<Vec<Json>>>()
        );
        for path in ALL {
            let found = self.drafts_titled(title_of(path));
            assert_eq!(found.len(), 1, "{path}: stored {} times", found.len());
            assert_eq!(
                found[0],
                (lock.media_id(path), lock.index(path) as usize),
                "{path}: lockfile and draft box disagree"
            );
            assert_eq!(lock.state(path), "synced", "{path}");
        }
    }

    /// Creates a draft directly in the emulator (as if made before wxsync), with a cover
    /// uploaded as permanent material. Returns its media_id.
    pub fn create_foreign_draft(&self, titles: &[&str]) -> String {
        let articles: Vec<(String, Option<String>, Option<String>)> = titles
            .iter()
            .map(|t| (t.to_string(), Some("旧作者".to_string()), None))
            .collect();
        self.create_foreign_articles(&articles)
    }

    /// A draft made outside wxsync (by hand, another tool) with these titles, authors and
    /// digests.
    pub fn create_foreign_articles(
        &self,
        articles: &[(String, Option<String>, Option<String>)],
    ) -> String {
        use wxsync::wechat::{Article, Client, ClientOptions, Secret};
        let mut o = ClientOptions::new(self.emu.base_url(), self.emu.appid());
        o.secret = Some(Secret::new(self.emu.secret()));
        let client = Client::new(o).expect("client");
        let jpeg = std::fs::read(self.file("images/workflow.jpg")).expect("jpeg");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let thumb = client
                .add_image_material(jpeg, "old-cover.jpg")
                .await
                .expect("cover")
                .media_id;
            let articles: Vec<Article> = articles
                .iter()
                .map(|(t, author, digest)| Article {
                    title: t.to_string(),
                    author: author.clone(),
                    digest: digest.clone(),
                    content: format!("<p>{t} 的旧正文</p>"),
                    thumb_media_id: Some(thumb.clone()),
                    ..Article::default()
                })
                .collect();
            client
                .draft_add(&articles)
                .await
                .expect("draft/add")
                .as_str()
                .to_string()
        })
    }

    /// Deletes a draft in the emulator, as publishing it (or a user) would.
    pub fn delete_draft(&self, media_id: &str) {
        use wxsync::wechat::{Client, ClientOptions, MediaId, Secret};
        let mut o = ClientOptions::new(self.emu.base_url(), self.emu.appid());
        o.secret = Some(Secret::new(self.emu.secret()));
        let client = Client::new(o).expect("client");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            client
                .draft_delete(&MediaId::new(media_id))
                .await
                .expect("draft/delete")
        });
        assert!(self.emu.draft(media_id).is_none());
    }
}

/// Polls `cond` every 20 ms until it holds or `timeout` passes.
pub fn wait_for(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    cond()
}

pub use site_copy::example_site;

/// sha256 of a file's bytes, as `sha256:<hex>`.
pub fn file_hash(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(path).expect("read");
    format!("sha256:{}", hex::encode(Sha256::digest(&bytes)))
}
