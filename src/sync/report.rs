//! The report of a plan or a run: a table for people and JSON for tools (both on stdout,
//! DESIGN §5).

use serde::Serialize;

use crate::site::ArticlePath;
use crate::sync::apply::{Done, Outcome, RowError};
use crate::sync::plan::{Action, OrphanRow, Plan};
use crate::wechat::MediaId;

#[derive(Debug, Serialize)]
pub struct JsonRow<'a> {
    pub path: &'a str,
    pub action: Action,
    pub reason: &'a str,
    pub media_id: Option<&'a str>,
    pub index: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub draft: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a RowError>,
}

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub created: usize,
    pub updated: usize,
    pub skipped: usize,
    pub failed: usize,
    pub uploads: usize,
}

#[derive(Debug, Serialize)]
pub struct JsonReport<'a> {
    pub articles: Vec<JsonRow<'a>>,
    pub summary: Summary,
    /// Drafts no article maps to: those of articles that are gone (`path`), then replaced
    /// drafts (`reason`).
    pub orphans: Vec<JsonOrphan<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub renamed: Vec<Renamed<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pruned: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<&'a str>,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum JsonOrphan<'a> {
    Gone(&'a OrphanRow),
    Replaced { media_id: &'a str, reason: &'a str },
}

#[derive(Debug, Serialize)]
pub struct Renamed<'a> {
    pub from: &'a ArticlePath,
    pub to: &'a ArticlePath,
}

/// The rows of a plan as if applied with no change (for `status` and `--dry-run`).
pub fn planned(plan: &Plan) -> Outcome {
    Outcome {
        rows: plan
            .rows
            .iter()
            .map(|r| Done {
                row: r.clone(),
                error: None,
            })
            .collect(),
        replaced: plan.replaced.clone(),
        ..Default::default()
    }
}

pub fn summary(outcome: &Outcome) -> Summary {
    let mut s = Summary {
        uploads: outcome.uploads,
        ..Default::default()
    };
    for d in &outcome.rows {
        match (d.row.action, &d.error) {
            (_, Some(_)) | (Action::Error, _) => s.failed += 1,
            (Action::Create, None) => s.created += 1,
            (Action::Update, None) => s.updated += 1,
            (Action::Skip, None) => s.skipped += 1,
        }
    }
    s
}

pub fn json(plan: &Plan, outcome: &Outcome) -> String {
    let report = JsonReport {
        articles: outcome
            .rows
            .iter()
            .map(|d| JsonRow {
                path: d.row.path.as_str(),
                action: if d.error.is_some() {
                    Action::Error
                } else {
                    d.row.action
                },
                reason: &d.row.reason,
                media_id: d.row.media_id.as_ref().map(MediaId::as_str),
                index: d.row.index,
                draft: d.row.draft.as_deref(),
                error: d.error.as_ref(),
            })
            .collect(),
        summary: summary(outcome),
        orphans: plan
            .orphans
            .iter()
            .map(JsonOrphan::Gone)
            .chain(
                outcome
                    .replaced
                    .iter()
                    .map(|(id, reason)| JsonOrphan::Replaced {
                        media_id: id.as_str(),
                        reason,
                    }),
            )
            .collect(),
        renamed: plan
            .renames
            .iter()
            .map(|(from, to)| Renamed { from, to })
            .collect(),
        pruned: outcome.pruned.iter().map(MediaId::as_str).collect(),
        stopped: outcome.stopped.as_deref(),
    };
    serde_json::to_string_pretty(&report).unwrap_or_else(|_| "{}".to_string())
}

/// The table for people: article, action, draft, reason.
pub fn table(plan: &Plan, outcome: &Outcome, dry_run: bool) -> String {
    let mut lines = vec![(
        "ARTICLE".to_string(),
        "ACTION".to_string(),
        "DRAFT".to_string(),
        "REASON".to_string(),
    )];
    for d in &outcome.rows {
        let [action, draft, reason] = cells(d);
        lines.push((d.row.path.to_string(), action, draft, reason));
    }
    let w0 = lines.iter().map(|l| l.0.chars().count()).max().unwrap_or(0);
    let w1 = lines.iter().map(|l| l.1.len()).max().unwrap_or(0);
    let w2 = lines.iter().map(|l| l.2.chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    for (a, b, c, d) in &lines {
        out.push_str(&format!("{a:w0$}  {b:w1$}  {c:w2$}  {d}\n"));
    }
    out.push_str(&notes(plan, outcome));
    out.push_str(&summary(outcome).line(dry_run));
    out.push('\n');
    out
}

/// A row's action, draft and reason, as the table shows them.
fn cells(d: &Done) -> [String; 3] {
    let action = if d.error.is_some() {
        "error"
    } else {
        d.row.action.as_str()
    };
    let draft = match (&d.row.media_id, &d.row.draft) {
        (Some(id), _) => format!("{}#{}", short(id.as_str()), d.row.index),
        (None, Some(name)) => format!("({name})#{}", d.row.index),
        (None, None) => "-".to_string(),
    };
    let reason = match &d.error {
        Some(e) => e.message.clone(),
        None => d.row.reason.clone(),
    };
    [action.to_string(), draft, reason]
}

/// The lines under the table: renames, orphans, pruned and replaced drafts, a stop.
fn notes(plan: &Plan, outcome: &Outcome) -> String {
    let mut out = String::new();
    for (from, to) in &plan.renames {
        out.push_str(&format!("renamed: {from} → {to} (keeps its draft)\n"));
    }
    for o in &plan.orphans {
        let draft = o.media_id.as_ref().map_or("no draft".to_string(), |m| {
            format!("draft {}#{}", short(m.as_str()), o.index)
        });
        let pruned = outcome.was_pruned(o);
        out.push_str(&format!(
            "orphan: {} is gone; {draft} {}\n",
            o.path,
            if pruned {
                "was deleted (--prune)"
            } else {
                "is kept (delete it with `wxsync sync --prune`)"
            }
        ));
    }
    for m in &outcome.pruned {
        if !plan.orphans.iter().any(|o| o.media_id.as_ref() == Some(m)) {
            out.push_str(&format!("pruned: replaced draft {}\n", short(m.as_str())));
        }
    }
    for (id, reason) in &outcome.replaced {
        let reason = reason.strip_prefix("replaced: ").unwrap_or(reason);
        out.push_str(&format!(
            "replaced: draft {} is still in the draft box ({reason}); delete it with `wxsync sync --prune`\n",
            short(id.as_str())
        ));
    }
    if let Some(why) = &outcome.stopped {
        out.push_str(&format!("stopped: {why}\n"));
    }
    out
}

impl Summary {
    /// Adds another account's counts (a run over several accounts).
    pub fn add(&mut self, other: &Summary) {
        self.created += other.created;
        self.updated += other.updated;
        self.skipped += other.skipped;
        self.failed += other.failed;
        self.uploads += other.uploads;
    }

    /// The counts in one sentence (the last line of the table, the step summary's total).
    pub fn line(&self, dry_run: bool) -> String {
        if dry_run {
            format!(
                "{} to create, {} to update, {} unchanged or skipped, {} with errors",
                self.created, self.updated, self.skipped, self.failed
            )
        } else {
            format!(
                "{} created, {} updated, {} skipped, {} failed, {} image upload{}",
                self.created,
                self.updated,
                self.skipped,
                self.failed,
                self.uploads,
                if self.uploads == 1 { "" } else { "s" }
            )
        }
    }
}

fn short(id: &str) -> String {
    if id.chars().count() > 14 {
        format!("{}…", id.chars().take(12).collect::<String>())
    } else {
        id.to_string()
    }
}

/// One account's plan and outcome, in a run over several accounts. `account` is `None` on a
/// site with one account: its report is exactly what it was before accounts existed.
pub struct Part<'a> {
    pub account: Option<&'a str>,
    pub plan: &'a Plan,
    pub outcome: &'a Outcome,
}

/// The JSON document of a run over one or several accounts. With several, every row (and
/// orphan and rename) says its `account`, the summary adds them up, and `accounts` has each
/// account's own summary.
pub fn json_parts(parts: &[Part]) -> String {
    match parts {
        [one] if one.account.is_none() => return json(one.plan, one.outcome),
        _ => {}
    }
    use serde_json::{Map, Value, json};
    let mut articles = Vec::new();
    let mut orphans = Vec::new();
    let mut renamed = Vec::new();
    let mut pruned = Vec::new();
    let mut stopped = Vec::new();
    let mut total = Summary::default();
    let mut accounts = Vec::new();
    for p in parts {
        let name = p.account.unwrap_or(crate::site::accounts::MAIN);
        let doc: Value = serde_json::from_str(&json(p.plan, p.outcome)).unwrap_or_default();
        let tag = |list: Option<&Value>, into: &mut Vec<Value>| {
            for v in list.and_then(Value::as_array).into_iter().flatten() {
                let mut v = v.clone();
                if let Some(m) = v.as_object_mut() {
                    // The account first, so that a row reads `account, path, …`.
                    let mut tagged = Map::new();
                    tagged.insert("account".into(), json!(name));
                    tagged.extend(std::mem::take(m));
                    *m = tagged;
                }
                into.push(v);
            }
        };
        tag(doc.get("articles"), &mut articles);
        tag(doc.get("orphans"), &mut orphans);
        tag(doc.get("renamed"), &mut renamed);
        for id in doc
            .get("pruned")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            pruned.push(json!({"account": name, "media_id": id}));
        }
        if let Some(s) = &p.outcome.stopped {
            stopped.push(format!("{name}: {s}"));
        }
        let s = summary(p.outcome);
        total.add(&s);
        accounts.push(json!({"name": name, "summary": s}));
    }
    let mut doc = Map::new();
    doc.insert("articles".into(), Value::Array(articles));
    doc.insert("summary".into(), json!(total));
    doc.insert("orphans".into(), Value::Array(orphans));
    if !renamed.is_empty() {
        doc.insert("renamed".into(), Value::Array(renamed));
    }
    if !pruned.is_empty() {
        doc.insert("pruned".into(), Value::Array(pruned));
    }
    if !stopped.is_empty() {
        doc.insert("stopped".into(), json!(stopped.join("; ")));
    }
    doc.insert("accounts".into(), Value::Array(accounts));
    serde_json::to_string_pretty(&Value::Object(doc)).unwrap_or_else(|_| "{}".to_string())
}

/// The table of a run over one or several accounts. With several, an ACCOUNT column, each
/// account's notes (renames, orphans, …) under its name, and a summary line per account
/// before the total.
pub fn table_parts(parts: &[Part], dry_run: bool) -> String {
    match parts {
        [one] if one.account.is_none() => return table(one.plan, one.outcome, dry_run),
        _ => {}
    }
    let mut lines = vec![[
        "ARTICLE".to_string(),
        "ACCOUNT".to_string(),
        "ACTION".to_string(),
        "DRAFT".to_string(),
        "REASON".to_string(),
    ]];
    let mut notes_all = String::new();
    let mut total = Summary::default();
    let mut per = String::new();
    for p in parts {
        let name = p.account.unwrap_or(crate::site::accounts::MAIN);
        for d in &p.outcome.rows {
            let [action, draft, reason] = cells(d);
            lines.push([
                d.row.path.to_string(),
                name.to_string(),
                action,
                draft,
                reason,
            ]);
        }
        for n in notes(p.plan, p.outcome).lines() {
            notes_all.push_str(&format!("{name}: {n}\n"));
        }
        let s = summary(p.outcome);
        per.push_str(&format!("{name}: {}\n", s.line(dry_run)));
        total.add(&s);
    }
    let width = |i: usize| {
        lines
            .iter()
            .map(|l| l[i].chars().count())
            .max()
            .unwrap_or(0)
    };
    let (w0, w1, w2, w3) = (width(0), width(1), width(2), width(3));
    let mut out = String::new();
    for [a, b, c, d, e] in &lines {
        out.push_str(&format!("{a:w0$}  {b:w1$}  {c:w2$}  {d:w3$}  {e}\n"));
    }
    out.push_str(&notes_all);
    out.push_str(&per);
    out.push_str(&format!("all accounts: {}\n", total.line(dry_run)));
    out
}
