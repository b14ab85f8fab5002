//! Publishing drafts (`wxsync publish PATH…`), explicitly and never as part of a sync: each
//! article's draft is submitted with `freepublish/submit`, polled with `freepublish/get`
//! until WeChat is done (or the timeout passes), and the result recorded in the lockfile
//! (`published`), after which the next edit of the article creates a new draft. An article
//! with changes not pushed yet is refused: what is published is what the draft box holds.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::prepare::prepare;
use super::{Project, client, runtime};
use crate::error::{Error, Result};
use crate::output::Output;
use crate::site::{ArticlePath, Site};
use crate::sync::lock::Published;
use crate::sync::plan::Action;
use crate::sync::runlock::RunLock;
use crate::wechat::{self, Client, MediaId, PublishState};

/// How `wxsync publish` runs.
#[derive(Debug, Clone, Copy)]
pub struct PublishFlags {
    /// Do not ask for confirmation.
    pub yes: bool,
    /// How long to wait for WeChat to finish each draft.
    pub timeout: Duration,
}

/// What became of one draft.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Publication {
    pub media_id: MediaId,
    /// Its articles in this site, in draft order.
    pub articles: Vec<ArticlePath>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<Published>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<crate::sync::apply::RowError>,
}

/// The drafts of a run, and whether it was confirmed.
pub enum PublishOutcome {
    Done(Vec<Publication>),
    /// The user said no (nothing was sent).
    Declined,
    /// The articles had errors (printed): exit code 2.
    Invalid(i32),
}

/// Publishes the drafts of the articles at `paths`.
pub fn publish(
    site: Option<&Path>,
    account: Option<&str>,
    paths: &[PathBuf],
    flags: PublishFlags,
    out: Output,
) -> Result<PublishOutcome> {
    let root = Site::open(site)?.root;
    let _guard = RunLock::acquire(&root)?;
    let prepared = match prepare(Project::open_as(Some(&root), account, paths)?, paths, out)? {
        Ok(p) => p,
        Err(code) => return Ok(PublishOutcome::Invalid(code)),
    };
    let mut lock = prepared.lock;
    let mut drafts: Vec<Publication> = Vec::new();
    for p in paths {
        let article = prepared.project.site.article_arg(p)?;
        let row = prepared.plan.rows.iter().find(|r| r.path == article);
        let entry = lock.articles.get(&article);
        if entry.is_some_and(|e| e.published.is_some()) {
            return Err(Error::Usage(format!(
                "{article} is already published; edit it and `wxsync sync` to make a new draft"
            )));
        }
        let media_id = match (entry.and_then(|e| e.media_id.clone()), row) {
            (Some(id), Some(r)) if r.action == Action::Skip => id,
            _ => {
                return Err(Error::Usage(format!(
                    "{article} has changes that are not in its draft yet: run `wxsync sync {article}` first, then publish"
                )));
            }
        };
        if drafts.iter().any(|d| d.media_id == media_id) {
            continue;
        }
        let mut members: Vec<(u32, ArticlePath)> = lock
            .members(&media_id)
            .into_iter()
            .map(|(p, e)| (e.index, p.clone()))
            .collect();
        members.sort();
        // What is published is the whole draft: every article of it must be pushed.
        if let Some(r) = members.iter().find_map(|(_, m)| {
            prepared
                .plan
                .rows
                .iter()
                .find(|r| &r.path == m && r.action != Action::Skip)
        }) {
            return Err(Error::Usage(format!(
                "{} (in the same draft as {article}) has changes that are not in the draft yet: run `wxsync sync {article}` first, then publish",
                r.path
            )));
        }
        drafts.push(Publication {
            media_id,
            articles: members.into_iter().map(|(_, p)| p).collect(),
            published: None,
            error: None,
        });
    }
    if !flags.yes && !confirm(&drafts)? {
        return Ok(PublishOutcome::Declined);
    }
    let client = client(&prepared.project.site, out)?;
    let rt = runtime(1)?;
    let progress = !out.quiet && !out.json;
    let mut stop: Option<String> = None;
    for d in &mut drafts {
        if let Some(why) = &stop {
            d.error = Some(row_error(None, format!("not published: {why}")));
            continue;
        }
        match rt.block_on(publish_one(&client, &d.media_id, flags.timeout, progress)) {
            Ok(p) => {
                for m in &d.articles {
                    if let Some(e) = lock.articles.get_mut(m) {
                        e.published = Some(p.clone());
                    }
                }
                lock.save(&root)?;
                d.published = Some(p);
            }
            Err(Failure::Api(e)) => {
                if e.is_account_level() {
                    stop = Some(e.headline());
                }
                d.error = Some(row_error(e.code(), e.to_string()));
            }
            Err(Failure::Refused(msg)) => d.error = Some(row_error(None, msg)),
        }
    }
    Ok(PublishOutcome::Done(drafts))
}

fn row_error(code: Option<i64>, message: String) -> crate::sync::apply::RowError {
    crate::sync::apply::RowError { code, message }
}

/// Asks on the terminal; refuses to guess anywhere else.
fn confirm(drafts: &[Publication]) -> Result<bool> {
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return Err(Error::Usage(
            "publishing asks for confirmation on a terminal; pass --yes to publish without asking"
                .into(),
        ));
    }
    let list: Vec<String> = drafts
        .iter()
        .map(|d| {
            let names: Vec<&str> = d.articles.iter().map(|a| a.as_str()).collect();
            format!("  draft {}: {}", d.media_id, names.join(", "))
        })
        .collect();
    let mut err = std::io::stderr().lock();
    let _ = write!(
        err,
        "Publish {} draft{} to the account? Published articles are public.\n{}\n[y/N] ",
        drafts.len(),
        crate::output::plural(drafts.len()),
        list.join("\n")
    );
    let _ = err.flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Error::Usage(format!("cannot read the answer: {e}")))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

enum Failure {
    Api(wechat::Error),
    /// WeChat finished the job without publishing, or did not finish in time.
    Refused(String),
}

/// Submits one draft and polls until WeChat is done: every second at first, then up to
/// every 5 s, with a progress line on stderr.
async fn publish_one(
    client: &Client,
    media_id: &MediaId,
    timeout: Duration,
    progress: bool,
) -> std::result::Result<Published, Failure> {
    let job = client
        .freepublish_submit(media_id)
        .await
        .map_err(Failure::Api)?;
    let started = Instant::now();
    let mut wait = Duration::from_secs(1);
    loop {
        let status = client
            .freepublish_get(&job.publish_id)
            .await
            .map_err(Failure::Api)?;
        match status.state() {
            PublishState::Published => {
                if progress {
                    crate::output::human("\n");
                }
                let url = status
                    .article_detail
                    .item
                    .iter()
                    .min_by_key(|i| i.idx)
                    .map(|i| i.article_url.clone())
                    .unwrap_or_default();
                let now = crate::wechat::token::now_unix() as i64
                    + client.server_clock_offset().unwrap_or(0);
                return Ok(Published {
                    article_url: url,
                    publish_time: now,
                });
            }
            PublishState::Failed(code) => {
                if progress {
                    crate::output::human("\n");
                }
                let failed: Vec<String> = status.fail_idx.iter().map(u32::to_string).collect();
                return Err(Failure::Refused(format!(
                    "WeChat did not publish draft {media_id} (publish_status {code}: {}){}; the draft stays in the draft box",
                    PublishState::describe(code),
                    if failed.is_empty() {
                        String::new()
                    } else {
                        format!(", articles {} (1-based)", failed.join(", "))
                    }
                )));
            }
            PublishState::Publishing => {}
        }
        let elapsed = started.elapsed();
        if elapsed >= timeout {
            if progress {
                crate::output::human("\n");
            }
            return Err(Failure::Refused(format!(
                "draft {media_id} was still publishing after {} s (publish_id {}); see \
                 mp.weixin.qq.com → 发表记录, and run `wxsync status --remote` later",
                timeout.as_secs(),
                job.publish_id
            )));
        }
        if progress {
            crate::output::human(&format!(
                "\rpublishing draft {media_id}: waiting for WeChat ({} s)",
                elapsed.as_secs()
            ));
        }
        tokio::time::sleep(wait.min(timeout.saturating_sub(elapsed))).await;
        wait = (wait * 2).min(Duration::from_secs(5));
    }
}
