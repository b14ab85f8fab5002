//! What `wxsync mcp`'s tools do: each runs the same pipeline as its command and returns the
//! same JSON document as the command's `--json` (built by the same report builders), as a
//! value, never printed. Diagnostics go to stderr only (`-q`-style), so stdout stays the
//! protocol's. The protocol itself is [`crate::mcp`].

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::prepare::{Prepared, prepare};
use super::sync::{Flags, dry_run, push, report_rerender};
use super::{Project, client};
use crate::error::{Error, Result};
use crate::output::{Output, json_report};
use crate::site::Site;
use crate::sync::runlock::RunLock;
use crate::sync::{budget, report};

/// A tool's answer: the JSON document, and whether it reports a failure (an article with
/// errors, a failed push) so that the agent sees `isError`.
#[derive(Debug, Clone)]
pub struct ToolOutcome {
    pub document: Value,
    pub failed: bool,
}

/// How the library talks while a tool runs: errors only, on stderr, never a JSON document
/// on stdout (that is the protocol's).
fn quiet() -> Output {
    Output {
        json: false,
        quiet: true,
        verbose: 0,
        color: false,
    }
}

/// Article paths as the tools take them: relative to the site root, whatever the server's
/// working directory (the CLI's are relative to the shell's).
fn rooted(root: &Path, paths: &[PathBuf]) -> Vec<PathBuf> {
    paths.iter().map(|p| root.join(p)).collect()
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// A library error as a tool's failure: `{"error":{"message","help"}}`, or for problems in
/// files the user can fix, `{"errors":[{"file","line","column","message","help"}]}`.
pub fn error_document(e: &Error) -> Value {
    match e {
        Error::Invalid(diags) => json!({ "errors": diags }),
        other => json!({ "error": { "message": other.to_string(), "help": other.help() } }),
    }
}

/// `check`: `wxsync check --json`.
pub fn check(site: Option<&Path>) -> Result<ToolOutcome> {
    let project = Project::open(site)?;
    let checked = project.check()?;
    let failed = checked.results.iter().any(|r| r.has_errors())
        || checked.site_errors.iter().any(|d| d.is_error());
    Ok(ToolOutcome {
        document: parse(&json_report(&checked.results, &checked.site_errors)),
        failed,
    })
}

/// `render`: `wxsync render --json`, having written the same files, with each article's
/// `preview` (the page to open in a browser) and `html` (the payload's content) paths added.
pub fn render(site: Option<&Path>, paths: &[PathBuf]) -> Result<ToolOutcome> {
    use super::outputs::{out_dir, with_suffix, write_payload, write_preview};
    let project = Project::open(site)?;
    let paths = rooted(&project.site.root, paths);
    let results = project.render(&project.select(&paths)?);
    let root = &project.site.root;
    let dir = out_dir(root);
    let mut files = std::collections::BTreeMap::new();
    for r in results.iter().filter(|r| !r.has_errors()) {
        let Some(rendered) = &r.rendered else {
            continue;
        };
        let base = write_payload(&dir, &r.path, rendered)?;
        write_preview(root, &dir, &r.path, rendered, quiet())?;
        files.insert(
            r.path.as_str().to_string(),
            (
                with_suffix(&base, "preview.html"),
                with_suffix(&base, "html"),
            ),
        );
    }
    let mut document = parse(&json_report(&results, &[]));
    if let Some(articles) = document.get_mut("articles").and_then(Value::as_array_mut) {
        for a in articles {
            let path = a
                .get("path")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if let (Some((preview, html)), Some(obj)) = (files.get(&path), a.as_object_mut()) {
                obj.insert("preview".into(), json!(preview.display().to_string()));
                obj.insert("html".into(), json!(html.display().to_string()));
            }
        }
    }
    Ok(ToolOutcome {
        document,
        failed: results.iter().any(|r| r.has_errors()),
    })
}

/// The articles' errors when a plan could not be made because of them: `check`'s document,
/// listing the articles with errors (each error with file, line and help) and the site's.
fn rejected(site: Option<&Path>) -> Result<ToolOutcome> {
    let project = Project::open(site)?;
    let (all, mut site_errors) = project.site.discover_checked()?;
    site_errors.extend(project.site.check_drafts(&all));
    let mut results = project.render(&all);
    results.retain(|r| r.has_errors());
    Ok(ToolOutcome {
        document: parse(&json_report(&results, &site_errors)),
        failed: true,
    })
}

/// `status`: `wxsync status --json`. No network.
pub fn status(
    site: Option<&Path>,
    account: Option<&str>,
    paths: &[PathBuf],
) -> Result<ToolOutcome> {
    let root = Site::open(site)?.root;
    let paths = rooted(&root, paths);
    let project = open_account(&root, account, &paths)?;
    let mut prepared = match prepare(project, &paths, quiet())? {
        Ok(p) => p,
        Err(_) => return rejected(site),
    };
    let batch = prepared.project.site.config.sync.rerender_batch;
    report_rerender(budget::batch_rerenders(&mut prepared.plan, batch), quiet());
    let outcome = report::planned(&prepared.plan);
    Ok(ToolOutcome {
        document: parse(&report::json(&prepared.plan, &outcome)),
        failed: false,
    })
}

/// `sync`: `wxsync sync --dry-run --json` unless `dry_run` is false, then `wxsync sync
/// --json` (with `prune` as `--prune`).
pub fn sync(
    site: Option<&Path>,
    account: Option<&str>,
    paths: &[PathBuf],
    dry: bool,
    prune: bool,
) -> Result<ToolOutcome> {
    let root = Site::open(site)?.root;
    let paths = &rooted(&root, paths);
    // As `sync` does: the run lock before the lockfile is read, for a real push.
    let _guard = if dry {
        None
    } else {
        Some(RunLock::acquire(&root)?)
    };
    let project = open_account(&root, account, paths)?;
    let mut prepared: Prepared = match prepare(project, paths, quiet())? {
        Ok(p) => p,
        Err(_) => return rejected(Some(&root)),
    };
    let batch = prepared.project.site.config.sync.rerender_batch;
    report_rerender(budget::batch_rerenders(&mut prepared.plan, batch), quiet());
    if dry {
        dry_run(&prepared)?;
        let planned = report::planned(&prepared.plan);
        return Ok(ToolOutcome {
            document: parse(&report::json(&prepared.plan, &planned)),
            failed: false,
        });
    }
    let flags = Flags {
        prune,
        ..Flags::default()
    };
    let out = quiet();
    let pushed = push(prepared, flags, out, |s| client(s, out))?;
    Ok(ToolOutcome {
        document: parse(&report::json(&pushed.plan, &pushed.outcome)),
        failed: pushed.code != 0,
    })
}

/// `quota`: `wxsync quota --json`.
pub fn quota(site: Option<&Path>, account: Option<&str>, apis: &[String]) -> Result<ToolOutcome> {
    let project = Project::open(site)?;
    if account.is_none() && project.site.config.accounts.several() {
        return Err(several_accounts(&project.site));
    }
    let rows = super::quota::quota(Some(&project.site.root), account, apis, quiet())?;
    Ok(ToolOutcome {
        failed: rows.iter().any(|r| r.error.is_some()),
        document: json!({ "apis": rows }),
    })
}

/// The site, talking to the account named, else to the one the articles named go to (else
/// the only one). A site with several accounts needs one of the two: a tool answers for one
/// account at a time.
fn open_account(root: &Path, account: Option<&str>, paths: &[PathBuf]) -> Result<Project> {
    let project = Project::open_as(Some(root), account, paths)?;
    if account.is_none() && paths.is_empty() && project.site.config.accounts.several() {
        return Err(several_accounts(&project.site));
    }
    Ok(project)
}

fn several_accounts(site: &Site) -> Error {
    Error::Usage(format!(
        "this site has several accounts ({}): name one with the `account` argument",
        site.config.accounts.names().join(", ")
    ))
}
