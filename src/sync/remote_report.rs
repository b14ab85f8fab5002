//! The report of `wxsync status --remote`: what the account says of each article's draft,
//! after the plan (a section for people, a `remote` object per article in the JSON).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::site::ArticlePath;
use crate::sync::lock::Published;
use crate::sync::plan::Plan;
use crate::time::utc;

/// An article's draft as the account has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    /// As wxsync last pushed it (or as `adopt` accepted it).
    InStep,
    /// Saved in WeChat at `at`, after our push at `ours`.
    Edited { at: i64, ours: i64 },
    /// Gone from the draft box: published.
    Published(Published),
    /// Gone from the draft box, not among the published articles: deleted.
    Deleted,
    /// Gone; the account may not list its published articles, so published or deleted.
    Gone,
    /// In the box, but no `update_time` was recorded at our last push (an older lockfile).
    Unchecked,
    /// No draft yet.
    NoDraft,
}

impl View {
    pub fn state(&self) -> &'static str {
        match self {
            View::InStep => "in_step",
            View::Edited { .. } => "edited",
            View::Published(_) => "published",
            View::Deleted => "deleted",
            View::Gone => "gone",
            View::Unchecked => "unchecked",
            View::NoDraft => "no_draft",
        }
    }

    fn json(&self) -> Value {
        match self {
            View::Edited { at, ours } => {
                json!({"state": self.state(), "update_time": at, "pushed_update_time": ours})
            }
            View::Published(p) => json!({
                "state": self.state(),
                "article_url": p.article_url,
                "publish_time": p.publish_time,
            }),
            _ => json!({"state": self.state()}),
        }
    }

    /// What a person should know, or nothing for a draft in step.
    fn sentence(&self, path: &ArticlePath) -> Option<String> {
        Some(match self {
            View::Edited { at, ours } => format!(
                "edited in WeChat at {} (after wxsync's push at {}): `wxsync sync --overwrite {path}` pushes ours, `wxsync adopt {path}` keeps theirs",
                utc(*at),
                utc(*ours)
            ),
            View::Published(p) => format!(
                "published on {} ({}); the next edit creates a new draft",
                utc(p.publish_time),
                p.article_url
            ),
            View::Deleted => {
                "gone: deleted in WeChat; the next sync creates it anew".to_string()
            }
            View::Gone => "gone: published or deleted (this account may not list its published articles); the next sync creates it anew".to_string(),
            View::Unchecked => {
                "not checked: no update_time recorded yet (the next push records it)".to_string()
            }
            View::InStep | View::NoDraft => return None,
        })
    }
}

/// The status JSON (DESIGN §5, `status` the document of [`crate::sync::report::json_parts`]) with
/// `remote` on each article and the calls it took.
pub fn json(status: &str, views: &BTreeMap<ArticlePath, View>, calls: usize) -> String {
    let mut doc: Value = serde_json::from_str(status).unwrap_or_else(|_| json!({}));
    if let Some(articles) = doc.get_mut("articles").and_then(Value::as_array_mut) {
        for a in articles {
            let view = a
                .get("path")
                .and_then(Value::as_str)
                .and_then(|p| views.iter().find(|(k, _)| k.as_str() == p))
                .map(|(_, v)| v.json());
            if let (Some(v), Some(obj)) = (view, a.as_object_mut()) {
                obj.insert("remote".into(), v);
            }
        }
    }
    if let Some(obj) = doc.as_object_mut() {
        obj.insert("remote_calls".into(), json!(calls));
    }
    serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".to_string())
}

/// The section for people: one line per draft that is not in step, and the counts.
pub fn table(plan: &Plan, views: &BTreeMap<ArticlePath, View>, calls: usize) -> String {
    let mut out = String::new();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for row in &plan.rows {
        let Some(v) = views.get(&row.path) else {
            continue;
        };
        *counts.entry(v.state()).or_default() += 1;
        if let Some(s) = v.sentence(&row.path) {
            out.push_str(&format!("in WeChat: {}: {s}\n", row.path));
        }
    }
    let list: Vec<String> = counts
        .iter()
        .map(|(k, n)| format!("{n} {}", k.replace('_', " ")))
        .collect();
    let s = if calls == 1 { "" } else { "s" };
    out.push_str(&format!(
        "in WeChat: {} ({calls} API call{s})\n",
        list.join(", ")
    ));
    out
}
