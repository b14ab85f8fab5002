//! A push: the run lock taken, the site prepared, the plan applied against WeChat (or, for a
//! dry run, the payloads written), and the run reported. `wxsync sync`, `wxsync status` and
//! `watch --push` are this.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::outputs::{out_dir, write_payload};
use super::prepare::{Prepared, prepare_after};
use super::{Project, client, runtime};
use crate::error::{Error, Result};
use crate::output::Output;
use crate::render::Rendered;
use crate::site::{ArticlePath, Site};
use crate::sync::apply::{self, Outcome};
use crate::sync::plan::Plan;
use crate::sync::runlock::RunLock;
use crate::sync::{budget, github, report};
use crate::wechat::Client;

#[derive(Debug, Clone, Copy, Default)]
pub struct Flags {
    pub dry_run: bool,
    pub prune: bool,
    /// Against the bundled emulator, on a copy of the lockfile ([`super::rehearse`]).
    pub rehearse: bool,
    /// After a rehearsal, keep serving the emulator's draft box until Ctrl-C.
    pub serve: bool,
    /// Push even over drafts edited in WeChat since our last push.
    pub overwrite: bool,
    /// Update every article whose rendering alone changed, not a batch of them.
    pub rerender: bool,
}

/// `wxsync status`: the plan, printed; nothing sent, nothing locked. On a site with several
/// accounts, every account's plan (or the one `account` names).
pub fn status(
    site: Option<&Path>,
    paths: &[PathBuf],
    account: Option<&str>,
    out: Output,
) -> Result<i32> {
    let prepared = match prepare_accounts(Project::open(site)?, paths, account, true, out)? {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    let outcomes: Vec<Outcome> = prepared.iter().map(|p| report::planned(&p.plan)).collect();
    let parts: Vec<report::Part> = prepared
        .iter()
        .zip(&outcomes)
        .map(|(p, o)| part(&p.project.site, &p.plan, o))
        .collect();
    if out.json {
        out.document(&report::json_parts(&parts));
    } else {
        out.report(&report::table_parts(&parts, true));
    }
    Ok(0)
}

/// The accounts a run of `sync` or `status` works on: the one `--account` names, else those
/// the named articles go to, else all of them. A named article that goes to none of them is
/// a usage error.
pub fn run_accounts(site: &Site, account: Option<&str>, paths: &[PathBuf]) -> Result<Vec<String>> {
    let accounts = &site.config.accounts;
    let names: Vec<String> = match account {
        Some(name) => vec![accounts.named(name).map_err(Error::Usage)?.name.to_string()],
        None => accounts.names().iter().map(|n| n.to_string()).collect(),
    };
    if paths.is_empty() || !accounts.several() {
        return Ok(names);
    }
    let mut named = Vec::new();
    for p in paths {
        named.push(site.article_arg(p)?);
    }
    let assignment = site.assign(&named);
    let mut used: Vec<String> = Vec::new();
    for p in &named {
        let goes: Vec<&str> = assignment
            .of
            .get(p)
            .map(|v| v.iter().map(|a| a.as_str()).collect())
            .unwrap_or_default();
        if !goes.iter().any(|g| names.iter().any(|n| n == g)) {
            return Err(Error::Usage(format!(
                "{p} does not go to account {}; it goes to {}",
                names.join(", "),
                goes.join(", ")
            )));
        }
        used.extend(goes.iter().map(|g| g.to_string()));
    }
    Ok(names.into_iter().filter(|n| used.contains(n)).collect())
}

/// Prepares the push to every account of the run (see [`run_accounts`]), in order of name,
/// with rendering-only updates batched unless `batch` is false. `Err(code)` inside: an
/// account's articles had errors (printed), and nothing may be sent to any account.
pub(super) fn prepare_accounts(
    first: Project,
    paths: &[PathBuf],
    account: Option<&str>,
    batch: bool,
    out: Output,
) -> Result<std::result::Result<Vec<Prepared>, i32>> {
    let names = run_accounts(&first.site, account, paths)?;
    let root = first.site.root.clone();
    let mut first = Some(first);
    let mut all = Vec::new();
    let mut shown: Option<BTreeSet<ArticlePath>> = None;
    for name in &names {
        // The first account reuses the project opened; the others open their own.
        let mut project = match first.take() {
            Some(p) => p,
            None => Project::open(Some(&root))?,
        };
        project.site.use_account(name)?;
        let mut prepared = match prepare_after(project, paths, out, shown.as_ref())? {
            Ok(p) => p,
            Err(code) => return Ok(Err(code)),
        };
        // What the site and this account's articles had to say is said once.
        shown
            .get_or_insert_with(BTreeSet::new)
            .extend(prepared.inputs.keys().cloned());
        if batch {
            let n = prepared.project.site.config.sync.rerender_batch;
            report_rerender(budget::batch_rerenders(&mut prepared.plan, n), out);
        }
        all.push(prepared);
    }
    Ok(Ok(all))
}

/// One account's part of a report: named when the site has several.
pub(super) fn part<'a>(site: &'a Site, plan: &'a Plan, outcome: &'a Outcome) -> report::Part<'a> {
    report::Part {
        account: site
            .config
            .accounts
            .several()
            .then(|| site.account.name.as_str()),
        plan,
        outcome,
    }
}

/// Runs a sync and returns its exit code and, when it got as far as pushing, its outcome
/// (`watch --push` shows it in the page; with several accounts, all their rows).
pub fn sync(
    site: Option<&Path>,
    paths: &[PathBuf],
    account: Option<&str>,
    flags: Flags,
    out: Output,
) -> Result<(i32, Option<Outcome>)> {
    // Take the run lock before reading the lockfile: two runs must not plan from one state.
    let root = Site::open(site)?.root;
    let _guard = if flags.dry_run {
        None
    } else {
        Some(RunLock::acquire(&root)?)
    };
    let prepared = match prepare_accounts(
        Project::open(Some(&root))?,
        paths,
        account,
        !flags.rerender,
        out,
    )? {
        Ok(p) => p,
        Err(code) => return Ok((code, None)),
    };
    if flags.dry_run {
        for p in &prepared {
            dry_run(p)?;
        }
        let planned: Vec<Outcome> = prepared.iter().map(|p| report::planned(&p.plan)).collect();
        let parts: Vec<report::Part> = prepared
            .iter()
            .zip(&planned)
            .map(|(p, o)| part(&p.project.site, &p.plan, o))
            .collect();
        if github::active() {
            github::report_parts(&parts, true);
        }
        emit_parts(&parts, true, out);
        return Ok((0, None));
    }
    // Every account's credentials are checked before anything is sent to any of them.
    let mut clients = Vec::new();
    for p in &prepared {
        clients.push(if needs_client(p, flags) {
            Some(client(&p.project.site, out)?)
        } else {
            None
        });
    }
    let mut pushed = Vec::new();
    for (p, c) in prepared.into_iter().zip(clients) {
        let mut c = c;
        pushed.push(push(p, flags, out, |s| match c.take() {
            Some(c) => Ok(c),
            None => client(s, out),
        })?);
    }
    let parts: Vec<report::Part> = pushed
        .iter()
        .map(|p| part(&p.site, &p.plan, &p.outcome))
        .collect();
    // In Actions: annotations, step summary and outputs, before the report so that with
    // `--json` the JSON document is the last thing on stdout.
    if github::active() {
        github::report_parts(&parts, false);
    }
    emit_parts(&parts, false, out);
    let code = combined_code(pushed.iter().map(|p| (p.code, p.outcome.sent)));
    Ok((
        code,
        Some(merged(pushed.into_iter().map(|p| p.outcome).collect())),
    ))
}

/// The exit code of a run over several accounts, from each account's code and whether
/// anything was sent to it: 0 when every account's was; 2 only when every failing account
/// stopped before anything was sent anywhere; else 1.
pub(super) fn combined_code(runs: impl Iterator<Item = (i32, bool)>) -> i32 {
    let runs: Vec<(i32, bool)> = runs.collect();
    if runs.iter().all(|(code, _)| *code == 0) {
        0
    } else if runs.iter().all(|(code, sent)| *code != 1 && !sent) {
        2
    } else {
        1
    }
}

/// One outcome of several accounts' (what `watch --push` shows).
fn merged(mut outcomes: Vec<Outcome>) -> Outcome {
    if outcomes.len() == 1 {
        return outcomes.remove(0);
    }
    let mut all = Outcome::default();
    for o in outcomes {
        all.rows.extend(o.rows);
        all.uploads += o.uploads;
        all.pruned.extend(o.pruned);
        all.stopped = all.stopped.or(o.stopped);
        all.account_error |= o.account_error;
        all.sent |= o.sent;
        all.replaced.extend(o.replaced);
    }
    all
}

/// Whether applying the plan talks to WeChat (else no client, no token, no call).
fn needs_client(prepared: &Prepared, flags: Flags) -> bool {
    let prune_work = flags.prune
        && (prepared.plan.orphans.iter().any(|o| o.media_id.is_some())
            || !prepared.lock.orphans.is_empty());
    prepared.plan.needs_network() || prune_work
}

/// A plan applied.
pub(super) struct Pushed {
    pub code: i32,
    pub plan: Plan,
    pub outcome: Outcome,
    /// The site as the push saw it (its account).
    pub site: Site,
}

/// Applies a prepared plan with the client `connect` makes for the site (the account's, or a
/// rehearsal's emulator), and says with which exit code the command ends.
pub(super) fn push(
    prepared: Prepared,
    flags: Flags,
    out: Output,
    connect: impl FnOnce(&Site) -> Result<Client>,
) -> Result<Pushed> {
    let Prepared {
        project,
        mut lock,
        inputs,
        mut plan,
    } = prepared;
    let site = &project.site;
    let needs = plan.needs_network()
        || (flags.prune
            && (plan.orphans.iter().any(|o| o.media_id.is_some()) || !lock.orphans.is_empty()));
    let outcome = if needs {
        let client = connect(site)?;
        let rt = runtime(1)?;
        let fit = rt.block_on(budget::fit_quota(
            &mut plan,
            &client,
            site.config.sync.quota_check,
        ));
        report_fit(&fit, out);
        let opts = apply::Options {
            prune: flags.prune,
            // With -v the calls are printed instead.
            progress: !out.json
                && !out.quiet
                && out.verbose == 0
                && !github::active()
                && std::io::IsTerminal::is_terminal(&std::io::stderr()),
            image_timeout: Duration::from_secs(site.config.images.timeout),
            proxy: site.account.api.proxy.clone(),
            overwrite: flags.overwrite,
            quotas: fit.quotas,
        };
        let render = |p: &ArticlePath| project.render_one(p).rendered.filter(|r| !r.has_errors());
        rt.block_on(apply::apply(
            &plan, &inputs, &mut lock, &site.root, &client, &render, &opts,
        ))?
    } else {
        // Nothing to push: no token, no call. Renames and orphans still reach the lockfile.
        if flags.prune {
            lock.articles.retain(|p, e| {
                !(plan.orphans.iter().any(|o| &o.path == p) && e.media_id.is_none())
            });
        }
        lock.save(&site.root)?;
        report::planned(&plan)
    };
    // An error about the account before anything was sent is like a usage error: nothing
    // happened, and nothing will until the account is fixed.
    let code = if outcome.account_error && !outcome.sent {
        2
    } else if outcome.failed() > 0 || outcome.stopped.is_some() {
        1
    } else {
        0
    };
    Ok(Pushed {
        code,
        plan,
        outcome,
        site: project.site.clone(),
    })
}

/// Says that a new wxsync's rendering changes are updated in batches.
pub(super) fn report_rerender(held: Option<budget::Deferred>, out: Output) {
    if let Some(d) = held {
        out.info(&format!(
            "{} article{} left for later runs ({})",
            d.paths.len(),
            crate::output::plural(d.paths.len()),
            d.reason
        ));
    }
}

/// Says what the quota check held back for a later run, and which quotas it could not read.
fn report_fit(fit: &budget::Fit, out: Output) {
    for d in &fit.deferred {
        out.info(&format!(
            "{} article{} left for a later run ({}): {}",
            d.paths.len(),
            crate::output::plural(d.paths.len()),
            d.reason,
            d.paths
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for e in &fit.unread {
        out.info(&format!(
            "warning: the quota could not be read, pushing unchecked: {}",
            e.headline()
        ));
    }
}

/// Writes the payload of every article in play, rendering those planned from the cache.
pub(super) fn dry_run(p: &Prepared) -> Result<()> {
    let dir = out_dir(&p.project.site.root);
    let unrendered: Vec<ArticlePath> = p
        .inputs
        .iter()
        .filter(|(_, i)| i.rendered.is_none())
        .map(|(path, _)| path.clone())
        .collect();
    let fresh = p.project.render(&unrendered);
    let all: Vec<(&ArticlePath, &Rendered)> = p
        .inputs
        .iter()
        .filter_map(|(path, i)| i.rendered.as_ref().map(|r| (path, r)))
        .chain(
            fresh
                .iter()
                .filter_map(|r| r.rendered.as_ref().map(|x| (&r.path, x))),
        )
        .collect();
    for (path, rendered) in all {
        write_payload(&dir, path, rendered)?;
    }
    Ok(())
}

/// The report of a run over one account or several, on stdout.
pub(super) fn emit_parts(parts: &[report::Part], dry_run: bool, out: Output) {
    let failed: usize = parts.iter().map(|p| p.outcome.failed()).sum();
    if out.json {
        out.document(&report::json_parts(parts));
    } else if !out.quiet || failed > 0 {
        out.report(&report::table_parts(parts, dry_run));
        if dry_run {
            out.report(&format!(
                "dry run: nothing sent; the payloads are in {}/out/\n",
                crate::site::CACHE_DIR
            ));
        }
    }
}
