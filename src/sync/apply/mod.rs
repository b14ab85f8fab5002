//! Applying a plan: upload the images the lockfile lacks, then `draft/add` and
//! `draft/update`, recording each success in the lockfile at once.
//!
//! Nothing is lost on any failure: an article fails alone and the rest go on; a `draft/add`
//! is recorded as `unknown` before the call, so a crash or an answer lost (a timeout, a
//! dropped connection, a body that cannot be read) makes the next run look for that draft
//! (`draft/batchget`) instead of creating a duplicate; an `add_material` is recorded the same
//! way, and the next run looks for that material (`material/batchget_material`) instead of
//! uploading an orphan; a daily quota error stops the run with everything so far recorded.
//!
//! This module is the run loop; each job has its own: [`upload`] (images), [`reconcile`]
//! (finding the drafts and materials whose creation's answer was lost), [`push`]
//! (`draft/add`, `draft/update`), [`edits`] (drafts edited in WeChat, gone or published,
//! and the `update_time` recorded after each push) and [`prune`]. What is sent is the payload with its
//! placeholders resolved ([`crate::sync::resolve`]).

mod edits;
mod prune;
mod push;
mod reconcile;
mod upload;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use crate::error::Result;
use crate::render::{Payload, RemoteImage, Rendered};
use crate::site::ArticlePath;
use crate::sync::journal::Journal;
use crate::sync::lock::Lockfile;
use crate::sync::plan::{Action, Input, Plan, Row, Work};
use crate::sync::remote::Fate;
use crate::wechat::{self, Client, ErrCode, MediaId};

#[derive(Debug, Clone)]
pub struct Options {
    pub prune: bool,
    /// Show a progress bar on stderr (only drawn when stderr is a terminal).
    pub progress: bool,
    /// The time one remote image may take to download (`images.timeout`).
    pub image_timeout: Duration,
    /// The proxy remote images are fetched through (`api.proxy`; else the usual proxy
    /// variables apply).
    pub proxy: Option<String>,
    /// Push even over drafts edited in WeChat since our last push (`--overwrite`).
    pub overwrite: bool,
    /// Quotas read before the run (`openapi/quota/get`), shown with a 45009.
    pub quotas: BTreeMap<&'static str, wechat::Quota>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            prune: false,
            progress: false,
            image_timeout: crate::media::fetch::DEFAULT_TIMEOUT,
            proxy: None,
            overwrite: false,
            quotas: BTreeMap::new(),
        }
    }
}

/// Why an article failed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RowError {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    pub message: String,
}

/// A row of the result: the plan's row, updated with what happened.
#[derive(Debug, Clone)]
pub struct Done {
    pub row: Row,
    pub error: Option<RowError>,
}

#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub rows: Vec<Done>,
    pub uploads: usize,
    pub pruned: Vec<MediaId>,
    /// The run stopped early (daily quota, an account-level error, the lockfile could not be
    /// written), and why.
    pub stopped: Option<String>,
    /// It stopped on an error about the account (credentials, IP whitelist, API rights).
    pub account_error: bool,
    /// Something changed on WeChat in this run (an upload, an add, an update, a delete).
    pub sent: bool,
    /// Replaced drafts still in the draft box after the run, kept for `--prune`.
    pub replaced: Vec<(MediaId, String)>,
}

impl Outcome {
    /// Whether the draft of an orphan was deleted in this run.
    pub fn was_pruned(&self, o: &crate::sync::plan::OrphanRow) -> bool {
        o.media_id.as_ref().is_some_and(|m| self.pruned.contains(m))
    }

    pub fn failed(&self) -> usize {
        self.rows.iter().filter(|d| d.error.is_some()).count()
    }
}

/// Renders an article that was planned from the render cache, when a push turns out to need
/// it after all (a multi-article draft re-created because WeChat lost it).
pub type RenderFn<'a> = dyn Fn(&ArticlePath) -> Option<Rendered> + 'a;

/// The state of one run of [`apply`], shared by its jobs.
struct Run<'a> {
    client: &'a Client,
    opts: &'a Options,
    root: &'a Path,
    inputs: &'a BTreeMap<ArticlePath, Input>,
    render: &'a RenderFn<'a>,
    late: BTreeMap<ArticlePath, Rendered>,
    bar: indicatif::ProgressBar,
    lock: &'a mut Lockfile,
    /// Where each change to `lock` is recorded as it is made.
    journal: Journal,
    rows: BTreeMap<ArticlePath, Done>,
    uploads: usize,
    stopped: Option<String>,
    /// The errcode the articles not attempted after a stop are failed with.
    stop_code: Option<i64>,
    account_error: bool,
    sent: bool,
    pruned: Vec<MediaId>,
    /// Drafts found gone before their update, and what became of them.
    gone: BTreeMap<MediaId, Fate>,
}

/// Runs the plan's work against WeChat. Every remote change is recorded (in the journal) at once.
pub async fn apply(
    plan: &Plan,
    inputs: &BTreeMap<ArticlePath, Input>,
    lock: &mut Lockfile,
    root: &Path,
    client: &Client,
    render: &RenderFn<'_>,
    opts: &Options,
) -> Result<Outcome> {
    // Renames, and the appid of a first run, are written with the whole file.
    let journal = Journal::begin(lock, root)?;
    let mut run = Run {
        journal,
        client,
        opts,
        root,
        inputs,
        render,
        late: BTreeMap::new(),
        bar: progress_bar(plan.work.len(), opts.progress),
        lock,
        rows: plan
            .rows
            .iter()
            .map(|r| {
                (
                    r.path.clone(),
                    Done {
                        row: r.clone(),
                        error: None,
                    },
                )
            })
            .collect(),
        uploads: 0,
        stopped: None,
        stop_code: None,
        account_error: false,
        sent: false,
        pruned: Vec::new(),
        gone: BTreeMap::new(),
    };
    if let Err(e) = run.steps(plan).await {
        // Fold what the journal holds into the lockfile if the disk lets us; if not, the
        // journal stays, and the next run replays it.
        let _ = run.lock.save(root);
        // A failure to record (a full disk) after something was sent is a partial run (exit
        // 1, the next run reconciles what the lockfile lacks); before, nothing happened.
        if !run.sent {
            return Err(e);
        }
        run.bar.finish_and_clear();
        run.stopped.get_or_insert(format!(
            "{e}; the next run reconciles what was pushed but not recorded"
        ));
    }
    Ok(Outcome {
        rows: run.rows.into_values().collect(),
        uploads: run.uploads,
        pruned: run.pruned,
        stopped: run.stopped,
        account_error: run.account_error,
        sent: run.sent,
        replaced: crate::sync::plan::replaced_drafts(run.lock),
    })
}

impl Run<'_> {
    /// The work of a run, in order: uploads, reconcile, adds and updates, prune.
    async fn steps(&mut self, plan: &Plan) -> Result<()> {
        self.check_edits(&plan.work).await?;
        self.upload_assets(&plan.work).await?;
        self.reconcile(&plan.work).await?;
        for w in &plan.work {
            self.bar.inc(1);
            if let Some(first) = work_members(w).first() {
                self.bar.set_message(first.to_string());
            }
            if self.stopped.is_some() {
                self.not_attempted(w);
                continue;
            }
            if work_members(w).iter().any(|m| self.failed(m)) {
                continue;
            }
            self.work(w).await?;
        }
        self.bar.finish_and_clear();
        self.record_update_times(&plan.work).await?;
        if self.opts.prune
            && self.stopped.is_none()
            && !self.rows.values().any(|d| d.error.is_some())
        {
            self.pruned = self.prune(plan).await?;
        }
        // The journal folded into the lockfile.
        self.lock.save(self.root)?;
        Ok(())
    }
}

impl Run<'_> {
    /// Records the lockfile's changes on disk (in the journal) before anything else is sent.
    fn save(&mut self) -> Result<()> {
        self.journal.record(self.lock)
    }
}

/// A progress bar on stderr, or a hidden one.
fn progress_bar(len: usize, show: bool) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(len as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {pos}/{len} {wide_msg}") {
        bar.set_style(style);
    }
    bar
}

fn work_members(w: &Work) -> Vec<ArticlePath> {
    match w {
        Work::Create { members, .. } => members.clone(),
        Work::Update { path, .. } => vec![path.clone()],
    }
}

impl Run<'_> {
    fn fail(&mut self, path: &ArticlePath, code: Option<i64>, message: String) {
        if let Some(d) = self.rows.get_mut(path) {
            d.row.action = Action::Error;
            if d.error.is_none() {
                d.error = Some(RowError { code, message });
            }
        }
    }

    fn fail_api(&mut self, path: &ArticlePath, e: &wechat::Error) {
        self.stop_on(e);
        if e.is_account_level() {
            // Said once, in full, as the reason the run stopped; each article only points
            // at it.
            self.fail(path, e.code(), format!("not pushed: {}", e.headline()));
        } else {
            self.fail(path, e.code(), e.to_string());
        }
    }

    /// Stops the run on an error that no other request can get past: one about the account,
    /// or the day's quota.
    pub(super) fn stop_on(&mut self, e: &wechat::Error) {
        if self.stopped.is_some() {
            return;
        }
        if e.is_account_level() {
            self.stopped = Some(e.to_string());
            self.stop_code = e.code();
            self.account_error = true;
        } else if e.errcode() == Some(ErrCode::DailyQuota) {
            let known = e
                .endpoint()
                .and_then(|ep| self.opts.quotas.get(ep.name()).map(|q| (ep.name(), q)))
                .map(|(name, q)| format!(" [{}]", crate::sync::budget::figures(name, q)))
                .unwrap_or_default();
            self.stopped = Some(format!(
                "WeChat's daily quota is used up ({e}){known}; the rest is pushed on the next run"
            ));
            self.stop_code = e.code();
        }
    }

    fn failed(&self, path: &ArticlePath) -> bool {
        self.rows.get(path).is_some_and(|d| d.error.is_some())
    }

    fn not_attempted(&mut self, w: &Work) {
        let why = self.stopped.clone().unwrap_or_default();
        let why = why.lines().next().unwrap_or_default().to_string();
        for m in work_members(w) {
            if !self.failed(&m) {
                self.fail(&m, self.stop_code, format!("not pushed: {why}"));
            }
        }
    }

    fn payload(&self, path: &ArticlePath) -> Option<&Payload> {
        self.inputs
            .get(path)
            .and_then(|i| i.rendered.as_ref())
            .or_else(|| self.late.get(path))
            .map(|r| &r.payload)
    }

    /// The remote images an article's push uploads.
    fn remote_of(&self, path: &ArticlePath) -> &[RemoteImage] {
        self.inputs
            .get(path)
            .and_then(|i| i.rendered.as_ref())
            .or_else(|| self.late.get(path))
            .map_or(&[], |r| r.remote.as_slice())
    }

    /// Renders the members that were planned from the cache; false if one cannot be.
    fn ensure_rendered(&mut self, members: &[ArticlePath]) -> bool {
        for m in members {
            if self.payload(m).is_some() {
                continue;
            }
            match (self.render)(m) {
                Some(r) if !r.has_errors() => {
                    self.late.insert(m.clone(), r);
                }
                _ => {
                    for m2 in members {
                        self.fail(
                            m2,
                            None,
                            format!("{m} could not be rendered again; run `wxsync check`"),
                        );
                    }
                    return false;
                }
            }
        }
        true
    }
}
