//! GitHub Actions output (DESIGN §5), active only when `GITHUB_ACTIONS=true`: `::add-mask::`
//! for each access token before it is used, `::error`/`::warning` annotations that name the
//! file and line of an invalid or failed article, a Markdown table appended to
//! `$GITHUB_STEP_SUMMARY` and the counts written to `$GITHUB_OUTPUT`.
//!
//! Workflow commands go to stdout, where the runner reads them. With `--json` they come
//! before the JSON document, each on its own line starting with `::`, so the document is
//! still the last thing printed (`grep -v '^::' | jq` parses it).
//!
//! Paths in annotations are relative to the repository (`$GITHUB_WORKSPACE`, else the current
//! directory), so a site in a subdirectory still points GitHub at the right file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::diag::Diagnostic;
use crate::site::CONFIG_FILE;
use crate::sync::apply::Outcome;
use crate::sync::plan::{Action, Plan};
use crate::sync::report::summary;
use crate::wechat::{Secret, TokenHook};

/// Whether this process runs as a GitHub Actions step.
pub fn active() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// The site's directory relative to the repository, with a trailing `/` (empty at the root).
static PREFIX: Mutex<Option<String>> = Mutex::new(None);

/// Finds the site the command will open (`--site DIR`, else the nearest ancestor of the
/// current directory holding `wxsync.yaml`), to name files relative to the repository.
pub fn locate_site(site: Option<&Path>) {
    let Ok(cwd) = std::env::current_dir() else {
        return;
    };
    let root = match site {
        Some(d) => Some(cwd.join(d)),
        None => cwd
            .ancestors()
            .find(|a| a.join(CONFIG_FILE).is_file())
            .map(Path::to_path_buf),
    };
    let workspace = std::env::var_os("GITHUB_WORKSPACE")
        .map(PathBuf::from)
        .filter(|w| !w.as_os_str().is_empty())
        .unwrap_or(cwd);
    let prefix = root.and_then(|r| relative_prefix(&r, &workspace));
    *PREFIX.lock().unwrap_or_else(|e| e.into_inner()) = prefix;
}

fn relative_prefix(root: &Path, workspace: &Path) -> Option<String> {
    let root = root.canonicalize().ok()?;
    let workspace = workspace.canonicalize().ok()?;
    let rel = root.strip_prefix(&workspace).ok()?;
    let mut prefix = String::new();
    for part in rel.components() {
        prefix.push_str(&part.as_os_str().to_string_lossy());
        prefix.push('/');
    }
    Some(prefix)
}

/// A site-relative path as GitHub names it (relative to the repository).
fn repo_path(file: &str) -> String {
    let prefix = PREFIX.lock().unwrap_or_else(|e| e.into_inner()).clone();
    format!("{}{file}", prefix.unwrap_or_default())
}

/// Prints a workflow command line on stdout and flushes it at once, so it reaches the runner
/// before anything that depends on it.
fn command(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// `::add-mask::TOKEN`: from here on the runner hides the token in the log. The one place a
/// token is printed, by necessity.
pub fn mask(token: &Secret) {
    if !token.expose().is_empty() {
        command(&format!("::add-mask::{}", escape_data(token.expose())));
    }
}

/// The client's token hook: a mask for every token, in Actions; none elsewhere.
pub fn token_hook() -> Option<TokenHook> {
    active().then(|| Arc::new(|t: &Secret| mask(t)) as TokenHook)
}

/// `::error` or `::warning` for a diagnostic, at its file, line and column.
pub fn annotate(d: &Diagnostic) {
    let level = if d.is_error() { "error" } else { "warning" };
    // Diagnostics not about a file ("front matter" summaries) are annotated without one.
    let file = (d.file.contains('.') || d.file.contains('/')).then(|| repo_path(&d.file));
    let mut props = Vec::new();
    if let Some(f) = &file {
        props.push(format!("file={}", escape_property(f)));
        props.push(format!("line={}", d.line.unwrap_or(1)));
        if let Some(c) = d.column {
            props.push(format!("col={c}"));
        }
    }
    props.push(format!("title={}", escape_property("wxsync")));
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    command(&format!(
        "::{level} {}::{}",
        props.join(","),
        escape_data(&message)
    ));
}

/// What a `sync` run adds in Actions: an annotation per failed article (line 1: the push
/// failed, not a line of it), the step summary and the step outputs.
pub fn report(plan: &Plan, outcome: &Outcome, dry_run: bool) {
    annotate_rows(outcome);
    append_env_file(
        "GITHUB_STEP_SUMMARY",
        &summary_markdown(plan, outcome, dry_run),
    );
    write_outputs(&summary(outcome));
}

/// [`report`] for a run over several accounts: each account's annotations and step summary
/// (headed with its name), and the counts of all of them once in `$GITHUB_OUTPUT`.
pub fn report_parts(parts: &[crate::sync::report::Part], dry_run: bool) {
    if let [one] = parts
        && one.account.is_none()
    {
        return report(one.plan, one.outcome, dry_run);
    }
    let mut total = crate::sync::report::Summary::default();
    for p in parts {
        annotate_rows(p.outcome);
        let md = summary_markdown(p.plan, p.outcome, dry_run);
        // The heading (the first line) names the account.
        let md = match p.account {
            Some(name) => md.replacen("\n", &format!(" — account `{name}`\n"), 1),
            None => md,
        };
        append_env_file("GITHUB_STEP_SUMMARY", &md);
        total.add(&summary(p.outcome));
    }
    write_outputs(&total);
}

fn write_outputs(s: &crate::sync::report::Summary) {
    append_env_file(
        "GITHUB_OUTPUT",
        &format!(
            "created={}\nupdated={}\nskipped={}\nfailed={}\nuploads={}\n",
            s.created, s.updated, s.skipped, s.failed, s.uploads
        ),
    );
}

/// An `::error` annotation per article that failed, and one if the run stopped.
fn annotate_rows(outcome: &Outcome) {
    for d in &outcome.rows {
        let failure = match (&d.error, d.row.action) {
            (Some(e), _) => Some(match e.code {
                Some(code) => format!("{} (errcode {code})", e.message),
                None => e.message.clone(),
            }),
            (None, Action::Error) => Some(d.row.reason.clone()),
            _ => None,
        };
        if let Some(message) = failure {
            command(&format!(
                "::error file={},line=1,title={}::{}",
                escape_property(&repo_path(d.row.path.as_str())),
                escape_property("wxsync: not synced"),
                escape_data(&message)
            ));
        }
    }
    if let Some(why) = &outcome.stopped {
        command(&format!(
            "::error title={}::{}",
            escape_property("wxsync: run stopped"),
            escape_data(why)
        ));
    }
}

/// Appends to the file an environment variable names (the runner's summary and output files).
fn append_env_file(var: &str, text: &str) {
    let Some(path) = std::env::var_os(var).filter(|p| !p.is_empty()) else {
        return;
    };
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()));
    if let Err(e) = written {
        eprintln!(
            "warning: cannot write ${var} ({}): {e}",
            Path::new(&path).display()
        );
    }
}

/// The step summary: a Markdown table of the articles, then renames, orphans and the counts.
pub fn summary_markdown(plan: &Plan, outcome: &Outcome, dry_run: bool) -> String {
    let mut md = String::new();
    md.push_str(if dry_run {
        "### wxsync sync --dry-run (nothing was sent)\n\n"
    } else {
        "### wxsync sync\n\n"
    });
    let s = summary(outcome);
    if outcome.rows.is_empty() {
        md.push_str("No article matched.\n\n");
    } else {
        md.push_str("| Article | Action | Draft | Reason |\n| --- | --- | --- | --- |\n");
        for d in &outcome.rows {
            let action = match (&d.error, d.row.action, dry_run) {
                (Some(_), _, _) | (None, Action::Error, _) => "❌ failed",
                (None, Action::Create, false) => "✅ created",
                (None, Action::Update, false) => "✅ updated",
                (None, Action::Create, true) => "to create",
                (None, Action::Update, true) => "to update",
                (None, Action::Skip, _) => "skipped",
            };
            let draft = match (&d.row.media_id, &d.row.draft) {
                (Some(id), _) => format!("`{}`#{}", id.as_str(), d.row.index),
                (None, Some(name)) => format!("({})#{}", cell(name), d.row.index),
                (None, None) => "–".to_string(),
            };
            let reason = match &d.error {
                Some(e) => match e.code {
                    Some(code) => format!("{} (errcode {code})", e.message),
                    None => e.message.clone(),
                },
                None => d.row.reason.clone(),
            };
            md.push_str(&format!(
                "| `{}` | {action} | {draft} | {} |\n",
                repo_path(d.row.path.as_str()).replace('`', "'"),
                cell(&reason)
            ));
        }
        md.push('\n');
    }
    for (from, to) in &plan.renames {
        md.push_str(&format!(
            "- renamed: `{}` → `{}` (keeps its draft)\n",
            repo_path(from.as_str()),
            repo_path(to.as_str())
        ));
    }
    for o in &plan.orphans {
        let pruned = outcome.was_pruned(o);
        md.push_str(&format!(
            "- orphan: `{}` is gone; {}\n",
            repo_path(o.path.as_str()),
            match (&o.media_id, pruned) {
                (None, _) => "it had no draft".to_string(),
                (Some(m), true) => format!("draft `{}` was deleted (--prune)", m.as_str()),
                (Some(m), false) => format!(
                    "draft `{}` is kept (delete it with `wxsync sync --prune`)",
                    m.as_str()
                ),
            }
        ));
    }
    if let Some(why) = &outcome.stopped {
        md.push_str(&format!("- **stopped:** {}\n", cell(why)));
    }
    if !plan.renames.is_empty() || !plan.orphans.is_empty() || outcome.stopped.is_some() {
        md.push('\n');
    }
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    if dry_run {
        md.push_str(&format!(
            "**{} to create, {} to update, {} skipped, {} failed**\n\n",
            s.created, s.updated, s.skipped, s.failed
        ));
    } else {
        md.push_str(&format!(
            "**{} created, {} updated, {} skipped, {} failed**, {} image upload{}\n\n",
            s.created,
            s.updated,
            s.skipped,
            s.failed,
            s.uploads,
            plural(s.uploads)
        ));
    }
    md
}

/// Text safe inside a Markdown table cell: one line, no column breaks.
fn cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\r', '\n'], " ")
}

/// Human text made inert for the runner, which reads a line that starts with `::` (or the
/// old `##[`) on either stream as a workflow command: a file name or a title with a newline
/// and `::stop-commands::` could otherwise turn masking off or forge an annotation. Outside
/// Actions the text is unchanged.
pub fn defuse(text: &str) -> std::borrow::Cow<'_, str> {
    if !active() || !(text.contains("::") || text.contains("##[")) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with("::") || t.starts_with("##[") {
            out.push('\\');
        }
        out.push_str(line);
    }
    std::borrow::Cow::Owned(out)
}

/// The message of a workflow command (`::cmd::MESSAGE`).
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value of a workflow command (`file=…,line=…`).
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_follow_the_runner() {
        assert_eq!(escape_data("50%\nnext"), "50%25%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
        assert_eq!(cell("a|b\nc"), "a\\|b c");
    }

    #[test]
    fn human_text_cannot_carry_commands() {
        // SAFETY-free: tests in this binary do not read GITHUB_ACTIONS concurrently.
        unsafe { std::env::set_var("GITHUB_ACTIONS", "true") };
        let t =
            defuse("error: articles/x\n::stop-commands::abc.md: bad\n  ##[set-output name=a]b\n");
        unsafe { std::env::remove_var("GITHUB_ACTIONS") };
        assert!(
            t.lines()
                .all(|l| !l.trim_start().starts_with("::") && !l.trim_start().starts_with("##[")),
            "{t}"
        );
        assert!(t.contains("stop-commands"), "{t}");
    }

    #[test]
    fn prefix_is_the_site_inside_the_workspace() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("blog/site");
        std::fs::create_dir_all(&site).unwrap();
        assert_eq!(
            relative_prefix(&site, dir.path()).as_deref(),
            Some("blog/site/")
        );
        assert_eq!(relative_prefix(dir.path(), dir.path()).as_deref(), Some(""));
        assert_eq!(relative_prefix(dir.path(), &site), None);
    }
}
