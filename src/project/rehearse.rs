//! `wxsync sync --rehearse`: the whole sync, run against wxemu (the WeChat emulator bundled
//! with wxsync) in this process on 127.0.0.1, so that a newcomer sees one with no account and
//! a pull request's check catches what only the API refuses (a title over the account's
//! limit, a draft with too many articles).
//!
//! The emulator is given what the lockfile says the account holds (its drafts and images, as
//! placeholders), so the rehearsal makes the same calls the real sync would: adds for new
//! articles, updates for changed ones, nothing for the rest. It works on a copy of the
//! lockfile in `.wxsync/rehearsal/`; `wxsync.lock`, the token cache and the credentials are
//! never read or written. Its limits are the site's (`limits.title`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::sync::{Flags, Pushed, combined_code, emit_parts, part, prepare_accounts, push};
use super::{Project, appid, call_printer, runtime};
use crate::error::{Error, Result};
use crate::output::{Output, plural};
use crate::site::{CACHE_DIR, Site};
use crate::sync::lock::Lockfile;
use crate::sync::report;
use crate::sync::runlock::RunLock;
use crate::wechat::{Client, ClientOptions, Secret};

/// Where the rehearsal's copy of an account's lockfile (`lock_file`, e.g. `wxsync.lock`) is
/// written, under the site root.
pub fn lock_copy(root: &Path, lock_file: &str) -> PathBuf {
    root.join(CACHE_DIR).join("rehearsal").join(lock_file)
}

/// Runs a rehearsal and returns the exit code the real sync would have had. With several
/// accounts, each has its own emulator (its AppID, its draft box) and its own copy.
pub fn rehearse(
    site: Option<&Path>,
    account: Option<&str>,
    paths: &[PathBuf],
    flags: Flags,
    out: Output,
) -> Result<i32> {
    let root = Site::open(site)?.root;
    // The copy and the caches are shared with real runs: not two at once.
    let guard = RunLock::acquire(&root)?;
    // The same batching of rendering-only updates as the real sync.
    let prepared = match prepare_accounts(
        Project::open(Some(&root))?,
        paths,
        account,
        !flags.rerender,
        out,
    )? {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    let mut runs = Vec::new();
    for mut prepared in prepared {
        let site = &prepared.project.site;
        let emu = start(site, &prepared.lock)?;
        let seeded: BTreeMap<String, u64> = emu
            .drafts()
            .into_iter()
            .map(|d| (d.media_id, d.update_seq))
            .collect();
        let copy = lock_copy(&root, &site.account.lock_file());
        prepare_copy(&copy)?;
        prepared.lock.file = Some(copy.clone());
        let whose = if site.config.accounts.several() {
            format!("account {}: ", site.account.name)
        } else {
            String::new()
        };
        out.info(&format!(
            "rehearsal: {whose}syncing against wxemu, the bundled WeChat emulator, at {} \
             ({} is untouched; nothing reaches WeChat)",
            emu.base_url(),
            site.account.lock_file()
        ));
        let base = emu.base_url().to_string();
        let (appid, secret) = (emu.appid(), emu.secret());
        let pushed = push(prepared, flags, out, |_| {
            let mut opts = ClientOptions::new(base, appid);
            opts.secret = Some(Secret::new(secret));
            opts.on_call = call_printer(out);
            Client::new(opts).map_err(|e| Error::Usage(e.to_string()))
        })?;
        let seen = Seen::of(&emu, &seeded, &copy, &root);
        runs.push((pushed, seen, emu));
    }
    drop(guard);
    show(&runs, out);
    if flags.serve {
        let rt = runtime(1)?;
        let interrupted = crate::interrupt::handler(&rt);
        for (p, _, emu) in &runs {
            out.info(&format!(
                "serving the emulator's draft box{} at {}/ (press Ctrl-C to stop)",
                if p.site.config.accounts.several() {
                    format!(" of account {}", p.site.account.name)
                } else {
                    String::new()
                },
                emu.base_url()
            ));
        }
        rt.block_on(interrupted);
    }
    Ok(combined_code(
        runs.iter().map(|(p, _, _)| (p.code, p.outcome.sent)),
    ))
}

/// The emulator, with the site's limits and what the lockfile says the account holds.
fn start(site: &Site, lock: &Lockfile) -> Result<wxemu::Emulator> {
    let mut config = wxemu::Config {
        title_max_chars: site.config.limits.title,
        ..wxemu::Config::default()
    };
    if let Some(id) = lock.appid.clone().or_else(|| appid(site)) {
        config.appid = id;
    }
    let emu = wxemu::Emulator::start_with(config)
        .map_err(|e| Error::Usage(format!("cannot start the emulator on 127.0.0.1: {e}")))?;
    // Each draft with its articles and the update_time recorded after our last push.
    let mut drafts: BTreeMap<&str, (usize, Option<i64>)> = BTreeMap::new();
    for e in lock.articles.values() {
        // A published draft has left the box: the real sync creates it anew.
        if let (Some(id), None) = (&e.media_id, &e.published) {
            let d = drafts.entry(id.as_str()).or_default();
            d.0 = d.0.max(e.index as usize + 1);
            d.1 = d.1.max(e.update_time);
        }
    }
    for id in lock.orphans.keys() {
        drafts.entry(id.as_str()).or_insert((1, None));
    }
    for (id, (n, update_time)) in drafts {
        emu.seed_draft(id, n, update_time);
    }
    for a in lock.assets.values() {
        emu.seed_image(a.media_id.as_ref().map(|m| m.as_str()), a.url.as_deref());
    }
    Ok(emu)
}

/// A fresh start for the copy: the last rehearsal's is removed.
fn prepare_copy(copy: &Path) -> Result<()> {
    if let Some(dir) = copy.parent() {
        std::fs::create_dir_all(dir).map_err(|source| Error::Write {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    match std::fs::remove_file(copy) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::Write {
            path: copy.to_path_buf(),
            source: e,
        }),
        _ => Ok(()),
    }
}

/// What the emulator saw: the calls, and the drafts made or changed.
#[derive(Serialize)]
struct Seen {
    emulator: String,
    calls: Vec<Call>,
    created: Vec<Draft>,
    updated: Vec<Draft>,
    deleted: Vec<String>,
    /// The lockfile the real sync would leave (relative to the site root), if any.
    lockfile: Option<String>,
}

#[derive(Serialize)]
struct Call {
    method: String,
    api: String,
    errcode: Option<i64>,
}

#[derive(Serialize)]
struct Draft {
    media_id: String,
    titles: Vec<String>,
}

impl Seen {
    fn of(emu: &wxemu::Emulator, seeded: &BTreeMap<String, u64>, copy: &Path, root: &Path) -> Seen {
        let drafts = emu.drafts();
        let draft = |d: &wxemu::StoredDraft| Draft {
            media_id: d.media_id.clone(),
            titles: d
                .articles
                .iter()
                .map(|a| a["title"].as_str().unwrap_or_default().to_string())
                .collect(),
        };
        let mut created: Vec<&wxemu::StoredDraft> = drafts
            .iter()
            .filter(|d| !seeded.contains_key(&d.media_id))
            .collect();
        created.sort_by_key(|d| d.update_seq);
        Seen {
            emulator: emu.base_url().to_string(),
            calls: emu
                .log()
                .iter()
                .map(|e| Call {
                    method: e.method.clone(),
                    api: e.name().to_string(),
                    errcode: e.errcode,
                })
                .collect(),
            created: created.into_iter().map(draft).collect(),
            updated: drafts
                .iter()
                .filter(|d| seeded.get(&d.media_id).is_some_and(|s| *s != d.update_seq))
                .map(draft)
                .collect(),
            deleted: seeded
                .keys()
                .filter(|id| !drafts.iter().any(|d| &d.media_id == *id))
                .cloned()
                .collect(),
            lockfile: copy.exists().then(|| {
                copy.strip_prefix(root)
                    .unwrap_or(copy)
                    .display()
                    .to_string()
            }),
        }
    }

    /// The rehearsal's part of the report, for people (`-v` prints each call as it is made).
    fn text(&self) -> String {
        let mut o = format!(
            "rehearsal: {} call{} to the emulator",
            self.calls.len(),
            plural(self.calls.len())
        );
        let mut counts: Vec<(String, usize, usize)> = Vec::new();
        for c in &self.calls {
            let failed = usize::from(c.errcode != Some(0));
            match counts.iter_mut().find(|(api, ..)| *api == c.api) {
                Some(slot) => {
                    slot.1 += 1;
                    slot.2 += failed;
                }
                None => counts.push((c.api.clone(), 1, failed)),
            }
        }
        let parts: Vec<String> = counts
            .iter()
            .map(|(api, n, failed)| match failed {
                0 => format!("{api} ×{n}"),
                f => format!("{api} ×{n} ({f} refused)"),
            })
            .collect();
        if !parts.is_empty() {
            o.push_str(&format!(": {}", parts.join(", ")));
        }
        o.push('\n');
        for (what, list) in [("created", &self.created), ("updated", &self.updated)] {
            for d in list {
                o.push_str(&format!(
                    "  draft {what}: {} ({} article{}: {})\n",
                    d.media_id,
                    d.titles.len(),
                    plural(d.titles.len()),
                    d.titles.join(" / ")
                ));
            }
        }
        for id in &self.deleted {
            o.push_str(&format!("  draft deleted: {id}\n"));
        }
        if let Some(lock) = &self.lockfile {
            o.push_str(&format!(
                "  the lockfile this sync would leave is in {lock}\n"
            ));
        }
        o
    }
}

/// The report of the sync, then what the emulator saw; with `--json`, one document with the
/// rehearsal under `rehearsal` (with several accounts, a map of account name to it).
fn show(runs: &[(Pushed, Seen, wxemu::Emulator)], out: Output) {
    let parts: Vec<report::Part> = runs
        .iter()
        .map(|(p, _, _)| part(&p.site, &p.plan, &p.outcome))
        .collect();
    let several = parts.iter().any(|p| p.account.is_some());
    if !out.json {
        emit_parts(&parts, false, out);
        if !out.quiet {
            for (p, seen, _) in runs {
                if several {
                    out.report(&format!("account {}: {}", p.site.account.name, seen.text()));
                } else {
                    out.report(&seen.text());
                }
            }
        }
        return;
    }
    let doc = report::json_parts(&parts);
    let mut value: serde_json::Value = serde_json::from_str(&doc).unwrap_or_default();
    let seen: serde_json::Value = if several {
        runs.iter()
            .map(|(p, seen, _)| {
                (
                    p.site.account.name.to_string(),
                    serde_json::to_value(seen).unwrap_or_default(),
                )
            })
            .collect::<serde_json::Map<_, _>>()
            .into()
    } else {
        runs.first()
            .and_then(|(_, seen, _)| serde_json::to_value(seen).ok())
            .unwrap_or_default()
    };
    if let Some(map) = value.as_object_mut() {
        map.insert("rehearsal".into(), seen);
    }
    out.document(&serde_json::to_string_pretty(&value).unwrap_or(doc));
}
