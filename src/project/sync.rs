//! A push: the run lock taken, the site prepared, the plan applied against WeChat (or, for a
//! dry run, the payloads written), and the run reported. `wxsync sync`, `wxsync status` and
//! `watch --push` are this.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::outputs::{out_dir, write_payload};
use super::prepare::{Prepared, prepare};
use super::{Project, client, runtime};
use crate::error::Result;
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

/// `wxsync status`: the plan, printed; nothing sent, nothing locked.
pub fn status(site: Option<&Path>, paths: &[PathBuf], out: Output) -> Result<i32> {
    let mut prepared = match prepare(Project::open(site)?, paths, out)? {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    let batch = prepared.project.site.config.sync.rerender_batch;
    report_rerender(budget::batch_rerenders(&mut prepared.plan, batch), out);
    let outcome = report::planned(&prepared.plan);
    if out.json {
        out.document(&report::json(&prepared.plan, &outcome));
    } else {
        out.report(&report::table(&prepared.plan, &outcome, true));
    }
    Ok(0)
}

/// Runs a sync and returns its exit code and, when it got as far as pushing, its outcome
/// (`watch --push` shows it in the page).
pub fn sync(
    site: Option<&Path>,
    paths: &[PathBuf],
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
    let mut prepared = match prepare(Project::open(Some(&root))?, paths, out)? {
        Ok(p) => p,
        Err(code) => return Ok((code, None)),
    };
    if !flags.rerender {
        let batch = prepared.project.site.config.sync.rerender_batch;
        report_rerender(budget::batch_rerenders(&mut prepared.plan, batch), out);
    }
    if flags.dry_run {
        dry_run(&prepared)?;
        let planned = report::planned(&prepared.plan);
        if github::active() {
            github::report(&prepared.plan, &planned, true);
        }
        emit(&prepared.plan, &planned, true, out);
        return Ok((0, None));
    }
    let pushed = push(prepared, flags, out, |s| client(s, out))?;
    // In Actions: annotations, step summary and outputs, before the report so that with
    // `--json` the JSON document is the last thing on stdout.
    if github::active() {
        github::report(&pushed.plan, &pushed.outcome, false);
    }
    emit(&pushed.plan, &pushed.outcome, false, out);
    Ok((pushed.code, Some(pushed.outcome)))
}

/// A plan applied.
pub(super) struct Pushed {
    pub code: i32,
    pub plan: Plan,
    pub outcome: Outcome,
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
    let prune_work = flags.prune
        && (plan.orphans.iter().any(|o| o.media_id.is_some()) || !lock.orphans.is_empty());
    let outcome = if plan.needs_network() || prune_work {
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
            proxy: site.config.api.proxy.clone(),
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

pub(super) fn emit(plan: &Plan, outcome: &Outcome, dry_run: bool, out: Output) {
    if out.json {
        out.document(&report::json(plan, outcome));
    } else if !out.quiet || outcome.failed() > 0 {
        out.report(&report::table(plan, outcome, dry_run));
        if dry_run {
            out.report(&format!(
                "dry run: nothing sent; the payloads are in {}/out/\n",
                crate::site::CACHE_DIR
            ));
        }
    }
}
