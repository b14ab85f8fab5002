//! `wxsync status --remote`: the plan, and the account asked what became of each draft
//! (with the cheap calls of [`crate::sync::remote`]): edited in WeChat since our last push,
//! gone, published. Read-only: nothing is sent and the lockfile is not written (the next
//! sync of an article records what it finds).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::prepare::prepare;
use super::sync::part;
use super::{Project, client, runtime};
use crate::error::{Error, Result};
use crate::output::Output;
use crate::site::ArticlePath;
use crate::sync::remote::{self, Fate, GoneDraft, Remote};
use crate::sync::remote_report::{self, View};
use crate::sync::{budget, report};
use crate::wechat::MediaId;

/// Prints the plan with each draft's state in the account; returns the exit code.
pub fn status_remote(
    site: Option<&Path>,
    account: Option<&str>,
    paths: &[PathBuf],
    out: Output,
) -> Result<i32> {
    let mut prepared = match prepare(Project::open_as(site, account, paths)?, paths, out)? {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    let batch = prepared.project.site.config.sync.rerender_batch;
    budget::batch_rerenders(&mut prepared.plan, batch);
    let lock = &prepared.lock;
    let mut views: BTreeMap<ArticlePath, View> = BTreeMap::new();
    let mut ids: BTreeSet<MediaId> = BTreeSet::new();
    for row in &prepared.plan.rows {
        let entry = lock.articles.get(&row.path);
        match (
            entry.and_then(|e| e.published.clone()),
            entry.and_then(|e| e.media_id.clone()),
        ) {
            (Some(p), _) => {
                views.insert(row.path.clone(), View::Published(p));
            }
            (None, Some(id)) => {
                ids.insert(id);
            }
            (None, None) => {
                views.insert(row.path.clone(), View::NoDraft);
            }
        }
    }
    let client = client(&prepared.project.site, out)?;
    let rt = runtime(1)?;
    let reads = rt
        .block_on(remote::read(&client, &ids))
        .map_err(|e| Error::Usage(format!("cannot read the draft box: {e}")))?;
    let mut calls = reads.calls;
    // The titles of gone drafts, to find them among the published articles.
    let mut gone = Vec::new();
    for (id, state) in &reads.drafts {
        if *state != Remote::Gone {
            continue;
        }
        let mut members: Vec<(u32, &ArticlePath)> = lock
            .members(id)
            .into_iter()
            .map(|(p, e)| (e.index, p))
            .collect();
        members.sort();
        let titles = members
            .iter()
            .map(|(_, p)| {
                let rendered = prepared.inputs.get(*p).and_then(|i| i.rendered.clone());
                rendered
                    .or_else(|| prepared.project.render_one(p).rendered)
                    .map(|r| r.payload.title)
                    .unwrap_or_default()
            })
            .collect();
        let after = members
            .iter()
            .filter_map(|(_, p)| lock.articles.get(*p).and_then(|e| e.update_time))
            .max();
        gone.push(GoneDraft {
            media_id: id.clone(),
            titles,
            after,
        });
    }
    let (fates, fate_calls) = rt
        .block_on(remote::fates(&client, &gone))
        .map_err(|e| Error::Usage(format!("cannot read the published articles: {e}")))?;
    calls += fate_calls;
    for row in &prepared.plan.rows {
        if views.contains_key(&row.path) {
            continue;
        }
        let Some(e) = lock.articles.get(&row.path) else {
            continue;
        };
        let Some(id) = &e.media_id else { continue };
        let ours = lock
            .members(id)
            .iter()
            .filter_map(|(_, e)| e.update_time)
            .max();
        let view = match reads.drafts.get(id) {
            Some(Remote::Gone) => match fates.get(id) {
                Some(Fate::Published(p)) => View::Published(p.clone()),
                Some(Fate::Deleted) => View::Deleted,
                _ => View::Gone,
            },
            Some(Remote::Present(Some(t))) => match ours {
                Some(o) if *t > o => View::Edited { at: *t, ours: o },
                Some(_) => View::InStep,
                None => View::Unchecked,
            },
            _ => View::Unchecked,
        };
        views.insert(row.path.clone(), view);
    }
    let outcome = report::planned(&prepared.plan);
    // On a site with several accounts, the rows name the one asked.
    let parts = [part(&prepared.project.site, &prepared.plan, &outcome)];
    if out.json {
        out.document(&remote_report::json(
            &report::json_parts(&parts),
            &views,
            calls,
        ));
    } else {
        out.report(&report::table_parts(&parts, true));
        out.report(&remote_report::table(&prepared.plan, &views, calls));
    }
    Ok(0)
}
