//! The plan: what each article needs (create, update, skip) and why, from the rendered
//! payloads, the lockfile and `drafts:`; with renames recognised and orphans listed. No
//! network: `wxsync status` is this module and the report.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::render::{ContentHash, Payload, Rendered};

use crate::site::ArticlePath;
use crate::sync::lock::{Entry, Lockfile, Published, State};
use crate::time::utc;
use crate::wechat::MediaId;

/// The hash of a payload: sha256 of its canonical JSON, image placeholders unresolved, so it
/// changes exactly when what WeChat would show changes.
pub fn payload_hash(p: &Payload) -> ContentHash {
    ContentHash::of(&serde_json::to_vec(p).unwrap_or_default())
}

/// What happens to one article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    Skip,
    Error,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Skip => "skip",
            Action::Error => "error",
        }
    }
}

/// An article ready to plan: the hash of its payload and of its file, and the rendered
/// payload itself unless it came from the render cache (then it is rendered again only if
/// it is to be pushed).
#[derive(Debug, Clone)]
pub struct Input {
    pub hash: ContentHash,
    pub source: ContentHash,
    pub sync: bool,
    pub rendered: Option<Rendered>,
    /// What the render read but wxsync itself (config, theme, article, images): when it is
    /// the one recorded and the payload is not, wxsync's rendering changed.
    pub inputs: Option<ContentHash>,
    /// What it was rendered from, wxsync's version included, and its image files: recorded
    /// with a push, so that a checkout without the render cache plans it without rendering.
    pub origin: Option<Origin>,
}

/// An article's `rendered_from` key and the image files it covers
/// ([`crate::render::cache::origin_key`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub key: ContentHash,
    pub images: Vec<ArticlePath>,
}

impl Input {
    pub fn new(rendered: Rendered, source: ContentHash) -> Input {
        Input {
            hash: payload_hash(&rendered.payload),
            source,
            sync: rendered.sync,
            rendered: Some(rendered),
            inputs: None,
            origin: None,
        }
    }

    /// Records in a lockfile entry what the payload now pushed (or found unchanged) was
    /// rendered from.
    pub fn record_origin(&self, e: &mut Entry) {
        e.inputs.clone_from(&self.inputs);
        e.rendered_from = self.origin.as_ref().map(|o| o.key.clone());
        e.images = self
            .origin
            .as_ref()
            .map(|o| o.images.clone())
            .unwrap_or_default();
    }
}

/// One row of the plan.
#[derive(Debug, Clone)]
pub struct Row {
    pub path: ArticlePath,
    pub action: Action,
    pub reason: String,
    pub media_id: Option<MediaId>,
    pub index: u32,
    pub draft: Option<String>,
    /// An update only because wxsync's rendering changed (see [`RERENDER`]).
    pub rerender: bool,
}

/// The reason of an update whose only cause is a new wxsync: its rendering changed, not
/// the article, the config, the theme or the images.
pub const RERENDER: &str = "wxsync's rendering changed";

/// A unit of work: one API call's worth.
#[derive(Debug, Clone)]
pub enum Work {
    /// `draft/add` of these articles, in order (one unless a `drafts:` group). `reconcile`:
    /// an earlier add's outcome was lost, so look for that draft first. `replaces`: drafts
    /// this one supersedes (membership changed).
    Create {
        draft: Option<String>,
        members: Vec<ArticlePath>,
        reconcile: bool,
        replaces: Vec<MediaId>,
    },
    /// `draft/update` of one article in place.
    Update {
        path: ArticlePath,
        media_id: MediaId,
        index: u32,
    },
}

/// An article that vanished; its draft is kept unless `--prune`.
#[derive(Debug, Clone, Serialize)]
pub struct OrphanRow {
    pub path: ArticlePath,
    pub media_id: Option<MediaId>,
    pub index: u32,
}

#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub rows: Vec<Row>,
    pub work: Vec<Work>,
    /// (from, to): the entry moves, the draft stays.
    pub renames: Vec<(ArticlePath, ArticlePath)>,
    pub orphans: Vec<OrphanRow>,
    /// Drafts the lockfile keeps for `--prune` that no article maps to any more (a
    /// multi-article draft re-created because its members changed), with why.
    pub replaced: Vec<(MediaId, String)>,
}

/// The drafts `lock` keeps only so that `--prune` can delete them.
pub fn replaced_drafts(lock: &Lockfile) -> Vec<(MediaId, String)> {
    lock.orphans
        .iter()
        .map(|(id, o)| (id.clone(), o.reason.clone()))
        .collect()
}

impl Plan {
    pub fn needs_network(&self) -> bool {
        !self.work.is_empty()
    }
}

/// Plans a run. `inputs` are the articles to consider (all, or those named on the command
/// line); `present` is every article of the site (for renames and orphans); `groups` is
/// `drafts:` as article paths. The lockfile is updated in memory for renames, and for the
/// inputs of articles whose payload is unchanged.
pub fn plan(
    inputs: &BTreeMap<ArticlePath, Input>,
    present: &BTreeSet<ArticlePath>,
    groups: &BTreeMap<String, Vec<ArticlePath>>,
    lock: &mut Lockfile,
) -> Plan {
    let mut out = Plan {
        replaced: replaced_drafts(lock),
        ..Plan::default()
    };

    // Renames: an article with no entry whose file hash equals that of a vanished one.
    for (path, input) in inputs {
        if lock.articles.contains_key(path) {
            continue;
        }
        let from = lock
            .articles
            .iter()
            .find(|(p, e)| !present.contains(*p) && e.source.as_ref() == Some(&input.source))
            .map(|(p, _)| p.clone());
        if let Some(from) = from
            && let Some(entry) = lock.articles.remove(&from)
        {
            lock.articles.insert(path.clone(), entry);
            out.renames.push((from, path.clone()));
        }
    }

    for (path, e) in &lock.articles {
        if !present.contains(path) {
            out.orphans.push(OrphanRow {
                path: path.clone(),
                media_id: e.media_id.clone(),
                index: e.index,
            });
        }
    }

    let group_of: BTreeMap<&ArticlePath, &str> = groups
        .iter()
        .flat_map(|(name, members)| members.iter().map(move |m| (m, name.as_str())))
        .collect();
    let renamed_from = |p: &ArticlePath| {
        out.renames
            .iter()
            .find(|(_, to)| to == p)
            .map(|(f, _)| f.clone())
    };
    let mut rows = Vec::new();
    let mut work = Vec::new();

    // Multi-article drafts.
    for (name, members) in groups {
        if !members.iter().any(|m| inputs.contains_key(m)) {
            continue;
        }
        if members.iter().any(|m| !inputs.contains_key(m)) {
            // Only part of the group was named: the rest must be rendered to create it, so
            // the caller always passes every member of a group it touches.
            for m in members.iter().filter(|m| inputs.contains_key(*m)) {
                rows.push(row(
                    m,
                    Action::Error,
                    "the other articles of its draft were not loaded",
                    None,
                    0,
                    Some(name),
                ));
            }
            continue;
        }
        if let Some(m) = members.iter().find(|m| !inputs[*m].sync) {
            for m2 in members {
                rows.push(row(
                    m2,
                    Action::Skip,
                    &format!("sync: false on {m} (same draft)"),
                    None,
                    0,
                    Some(name),
                ));
            }
            continue;
        }
        let entries: Vec<Option<&Entry>> = members.iter().map(|m| lock.articles.get(m)).collect();
        let ids: BTreeSet<Option<&MediaId>> = entries
            .iter()
            .map(|e| e.and_then(|e| e.media_id.as_ref()))
            .collect();
        let unknown = entries
            .iter()
            .any(|e| e.is_some_and(|e| e.state == State::Unknown));
        let intact = ids.len() == 1
            && !ids.contains(&None)
            && entries.iter().enumerate().all(|(i, e)| {
                e.is_some_and(|e| {
                    e.index as usize == i && e.draft.as_deref() == Some(name.as_str())
                })
            })
            && lock
                .articles
                .values()
                .filter(|e| e.media_id.as_ref() == *ids.iter().next().unwrap_or(&None))
                .count()
                == members.len();
        // A published draft is not in the box any more: an edit of any of its articles
        // creates the whole draft anew, once; until then there is nothing to push.
        if let Some(p) = entries
            .iter()
            .find_map(|e| e.and_then(|e| e.published.as_ref()))
            && !unknown
        {
            let edited = members
                .iter()
                .zip(&entries)
                .any(|(m, e)| e.is_some_and(|e| change(e, &inputs[m], renamed_from(m)).is_some()));
            for (i, m) in members.iter().enumerate() {
                let id = entries[i].and_then(|e| e.media_id.clone());
                if edited {
                    rows.push(row(
                        m,
                        Action::Create,
                        &republish(p),
                        None,
                        i as u32,
                        Some(name),
                    ));
                } else {
                    rows.push(row(
                        m,
                        Action::Skip,
                        &published(p),
                        id,
                        i as u32,
                        Some(name),
                    ));
                }
            }
            if edited {
                work.push(Work::Create {
                    draft: Some(name.clone()),
                    members: members.clone(),
                    reconcile: false,
                    replaces: Vec::new(),
                });
            }
            continue;
        }
        if unknown || !intact {
            let (reason, replaces) = if unknown {
                (
                    "an earlier push's outcome was lost: find the draft, else create it"
                        .to_string(),
                    Vec::new(),
                )
            } else if entries.iter().all(Option::is_none) {
                ("new".to_string(), Vec::new())
            } else {
                let old: Vec<MediaId> = ids.iter().filter_map(|i| i.cloned()).collect();
                ("draft membership changed".to_string(), old)
            };
            for (i, m) in members.iter().enumerate() {
                rows.push(row(m, Action::Create, &reason, None, i as u32, Some(name)));
            }
            work.push(Work::Create {
                draft: Some(name.clone()),
                members: members.clone(),
                reconcile: unknown,
                replaces,
            });
            continue;
        }
        for (i, m) in members.iter().enumerate() {
            let e = entries[i].expect("intact group has entries");
            let media_id = e.media_id.clone().expect("intact group has ids");
            match change(e, &inputs[m], renamed_from(m)) {
                Some(reason) => {
                    let mut r = row(
                        m,
                        Action::Update,
                        &reason,
                        Some(media_id.clone()),
                        i as u32,
                        Some(name),
                    );
                    r.rerender = only_renderer(e, &inputs[m]);
                    rows.push(r);
                    work.push(Work::Update {
                        path: m.clone(),
                        media_id,
                        index: i as u32,
                    });
                }
                None => rows.push(row(
                    m,
                    Action::Skip,
                    &unchanged(renamed_from(m)),
                    Some(media_id),
                    i as u32,
                    Some(name),
                )),
            }
        }
    }

    // Single-article drafts.
    for (path, input) in inputs {
        if group_of.contains_key(path) {
            continue;
        }
        if !input.sync {
            let e = lock.articles.get(path);
            rows.push(row(
                path,
                Action::Skip,
                "sync: false",
                e.and_then(|e| e.media_id.clone()),
                0,
                None,
            ));
            continue;
        }
        match lock.articles.get(path) {
            None => {
                rows.push(row(path, Action::Create, "new", None, 0, None));
                work.push(Work::Create {
                    draft: None,
                    members: vec![path.clone()],
                    reconcile: false,
                    replaces: Vec::new(),
                });
            }
            Some(e) if e.state == State::Unknown || e.media_id.is_none() => {
                rows.push(row(
                    path,
                    Action::Create,
                    "an earlier push's outcome was lost: find the draft, else create it",
                    None,
                    0,
                    None,
                ));
                work.push(Work::Create {
                    draft: None,
                    members: vec![path.clone()],
                    reconcile: true,
                    replaces: Vec::new(),
                });
            }
            Some(e) if e.published.is_some() => {
                let p = e.published.as_ref().expect("checked above");
                if change(e, input, renamed_from(path)).is_some() {
                    rows.push(row(path, Action::Create, &republish(p), None, 0, None));
                    work.push(Work::Create {
                        draft: None,
                        members: vec![path.clone()],
                        reconcile: false,
                        replaces: Vec::new(),
                    });
                } else {
                    let id = e.media_id.clone();
                    rows.push(row(path, Action::Skip, &published(p), id, e.index, None));
                }
            }
            Some(e) if e.draft.is_some() => {
                let old = e.media_id.clone().into_iter().collect();
                rows.push(row(
                    path,
                    Action::Create,
                    "draft membership changed",
                    None,
                    0,
                    None,
                ));
                work.push(Work::Create {
                    draft: None,
                    members: vec![path.clone()],
                    reconcile: false,
                    replaces: old,
                });
            }
            Some(e) => {
                let media_id = e.media_id.clone().expect("checked above");
                match change(e, input, renamed_from(path)) {
                    Some(reason) => {
                        let mut r = row(
                            path,
                            Action::Update,
                            &reason,
                            Some(media_id.clone()),
                            e.index,
                            None,
                        );
                        r.rerender = only_renderer(e, input);
                        rows.push(r);
                        work.push(Work::Update {
                            path: path.clone(),
                            media_id,
                            index: e.index,
                        });
                    }
                    None => rows.push(row(
                        path,
                        Action::Skip,
                        &unchanged(renamed_from(path)),
                        Some(media_id),
                        e.index,
                        None,
                    )),
                }
            }
        }
    }
    // An article whose payload is the one pushed was pushed from these inputs too (a config
    // edit that changes no payload): record them, so that a later change of wxsync's
    // rendering alone is still told apart. Only where inputs are recorded already: a
    // lockfile of an older wxsync gains them with its next push, not in a run that sends
    // nothing.
    for (path, input) in inputs {
        if let Some(e) = lock.articles.get_mut(path)
            && e.state == State::Synced
            && e.hash.as_ref() == Some(&input.hash)
            && e.inputs.is_some()
            && input.inputs.is_some()
        {
            input.record_origin(e);
        }
    }
    rows.sort_by(|a, b| a.path.cmp(&b.path));
    out.rows = rows;
    out.work = work;
    out
}

/// Why an article with a draft needs an update, or `None` when it does not.
fn change(e: &Entry, input: &Input, renamed_from: Option<ArticlePath>) -> Option<String> {
    let hash = input.hash.clone();
    let suffix = renamed_from
        .map(|f| format!(" (renamed from {f})"))
        .unwrap_or_default();
    if e.state == State::Pushing {
        return Some(format!("the previous push did not finish{suffix}"));
    }
    if e.hash.as_ref() == Some(&hash) {
        return None;
    }
    if e.hash.is_none() && e.adopted {
        // Bound with `wxsync adopt` and never pushed from here: the draft holds whatever it
        // held in WeChat.
        return Some(format!(
            "adopted: the next sync puts this article into the draft{suffix}"
        ));
    }
    if e.source.as_ref() == Some(&input.source) {
        if only_renderer(e, input) {
            return Some(format!("{RERENDER}{suffix}"));
        }
        Some(format!(
            "rendering changed (theme, config or images){suffix}"
        ))
    } else {
        Some(format!("content changed{suffix}"))
    }
}

/// A published draft's article, unchanged since.
fn published(p: &Published) -> String {
    format!(
        "published on {} ({}); the next edit creates a new draft",
        utc(p.publish_time),
        p.article_url
    )
}

/// A published draft's article, edited since.
fn republish(p: &Published) -> String {
    format!(
        "published on {}; this edit creates a new draft",
        utc(p.publish_time)
    )
}

/// Whether the payload differs from the one pushed only because wxsync renders it
/// differently: the article, config, theme and images are those of the last push.
fn only_renderer(e: &Entry, input: &Input) -> bool {
    e.state == State::Synced
        && e.hash.as_ref() != Some(&input.hash)
        && e.source.as_ref() == Some(&input.source)
        && e.inputs.is_some()
        && e.inputs == input.inputs
}

fn unchanged(renamed_from: Option<ArticlePath>) -> String {
    match renamed_from {
        Some(f) => format!("renamed from {f}, unchanged"),
        None => "unchanged".to_string(),
    }
}

fn row(
    path: &ArticlePath,
    action: Action,
    reason: &str,
    media_id: Option<MediaId>,
    index: u32,
    draft: Option<&str>,
) -> Row {
    Row {
        path: path.clone(),
        action,
        reason: reason.to_string(),
        media_id,
        index,
        draft: draft.map(str::to_string),
        rerender: false,
    }
}
