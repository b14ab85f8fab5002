//! Fitting a plan into the day: when it needs more calls of one kind than a threshold, the
//! quota of that API is read first (`openapi/quota/get`), and the work that does not fit
//! waits for a later run, in a stable order (the plan's), instead of a run that fails
//! halfway. A plan under the threshold asks nothing: the quota API has its own small
//! allowance. Likewise a new wxsync whose rendering changed updates at most a batch of
//! the articles it alone changed per run, unless `--rerender`.

use std::collections::BTreeMap;

use crate::site::ArticlePath;
use crate::sync::plan::{Action, Plan, Work};
use crate::wechat::{self, Client, Endpoint, Quota};

/// The API a unit of work calls.
pub fn endpoint(w: &Work) -> Endpoint {
    match w {
        Work::Create { .. } => Endpoint::DraftAdd,
        Work::Update { .. } => Endpoint::DraftUpdate,
    }
}

/// The articles of a unit of work.
fn members(w: &Work) -> Vec<ArticlePath> {
    match w {
        Work::Create { members, .. } => members.clone(),
        Work::Update { path, .. } => vec![path.clone()],
    }
}

/// Work held back from this run.
#[derive(Debug, Clone)]
pub struct Deferred {
    pub endpoint: Endpoint,
    pub paths: Vec<ArticlePath>,
    /// Why, for the report.
    pub reason: String,
}

/// Keeps the first `keep` units of work calling `api` (in plan order) and holds back the
/// rest: their rows become skips with `reason`. Returns the articles held back.
pub fn hold_back(plan: &mut Plan, api: Endpoint, keep: usize, reason: &str) -> Vec<ArticlePath> {
    let mut seen = 0;
    let mut held = Vec::new();
    plan.work.retain(|w| {
        if endpoint(w) != api {
            return true;
        }
        seen += 1;
        if seen <= keep {
            return true;
        }
        held.extend(members(w));
        false
    });
    for r in plan.rows.iter_mut().filter(|r| held.contains(&r.path)) {
        r.action = Action::Skip;
        r.reason = reason.to_string();
    }
    held
}

/// What the quota check found: the work held back, and the figures read (for a 45009 that
/// comes anyway).
#[derive(Debug, Default)]
pub struct Fit {
    pub deferred: Vec<Deferred>,
    pub quotas: BTreeMap<&'static str, Quota>,
    /// A quota that could not be read (the run goes on as if unchecked).
    pub unread: Vec<wechat::Error>,
}

/// Reads the quota of each API the plan calls more than `above` times, and holds back what
/// does not fit in today's remainder.
pub async fn fit_quota(plan: &mut Plan, client: &Client, above: usize) -> Fit {
    let mut fit = Fit::default();
    for api in [Endpoint::DraftAdd, Endpoint::DraftUpdate] {
        let needed = plan.work.iter().filter(|w| endpoint(w) == api).count();
        if needed <= above {
            continue;
        }
        let q = match client.quota_get(api).await {
            Ok(q) => q,
            Err(e) => {
                fit.unread.push(e);
                continue;
            }
        };
        fit.quotas.insert(api.name(), q);
        let fits = usize::try_from(q.remain).unwrap_or(usize::MAX);
        if needed <= fits {
            continue;
        }
        let reason = format!(
            "left for tomorrow: {} has {} of its {} calls left today, {needed} needed",
            api.name(),
            q.remain,
            q.daily_limit
        );
        let paths = hold_back(plan, api, fits, &reason);
        fit.deferred.push(Deferred {
            endpoint: api,
            paths,
            reason,
        });
    }
    fit
}

/// When more than `batch` updates are due to wxsync's rendering alone, keeps the first
/// `batch` of them (in plan order) and holds back the rest; every other update goes out.
pub fn batch_rerenders(plan: &mut Plan, batch: usize) -> Option<Deferred> {
    let rerender: Vec<ArticlePath> = plan
        .rows
        .iter()
        .filter(|r| r.rerender && r.action == Action::Update)
        .map(|r| r.path.clone())
        .collect();
    if rerender.len() <= batch {
        return None;
    }
    let mut kept = 0;
    let mut held = Vec::new();
    plan.work.retain(|w| match w {
        Work::Update { path, .. } if rerender.contains(path) => {
            kept += 1;
            if kept <= batch {
                true
            } else {
                held.push(path.clone());
                false
            }
        }
        _ => true,
    });
    let reason = format!(
        "{}: held back, {} articles changed by it alone and at most {batch} are updated a          run (`wxsync sync --rerender` updates them all)",
        crate::sync::plan::RERENDER,
        rerender.len()
    );
    for r in plan.rows.iter_mut().filter(|r| held.contains(&r.path)) {
        r.action = Action::Skip;
        r.reason = reason.clone();
    }
    Some(Deferred {
        endpoint: Endpoint::DraftUpdate,
        paths: held,
        reason,
    })
}

/// A quota's figures in a sentence.
pub fn figures(api: &str, q: &Quota) -> String {
    format!(
        "{api}: limit {} a day, {} used, {} remaining",
        q.daily_limit, q.used, q.remain
    )
}
