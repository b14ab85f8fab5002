//! `wxsync sync [PATH…]`: push new and changed articles to the draft box, and what `status`
//! shares with it (loading, rendering and planning).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::cmd::render::{output_base, write_atomic};
use crate::cmd::{ArticleResult, Output, open, print_diagnostics, render_all, select};
use crate::error::{Error, Result};
use crate::render::ContentHash;
use crate::render::cache::{self, RenderCache};
use crate::site::{ArticlePath, CACHE_DIR, Site};
use crate::sync::apply::{self, Outcome};
use crate::sync::lock::{Lockfile, RunLock};
use crate::sync::plan::{self, Input, Plan, Work};
use crate::sync::{github, report};
use crate::wechat::{Client, ClientOptions, ConfigDefaults};

#[derive(Debug, Clone, Copy, Default)]
pub struct Flags {
    pub dry_run: bool,
    pub prune: bool,
}

/// A site loaded, rendered and planned.
pub struct Prepared {
    pub site: Site,
    pub renderer: crate::render::Renderer,
    pub lock: Lockfile,
    pub inputs: BTreeMap<ArticlePath, Input>,
    pub plan: Plan,
}

/// The AppID this run works for: `WECHAT_APPID` wins over `wxsync.yaml`.
pub fn appid(site: &Site) -> Option<String> {
    ["WECHAT_APPID", "WECHAT_APP_ID"]
        .iter()
        .find_map(|k| {
            std::env::var(k)
                .ok()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        })
        .or_else(|| site.config.appid.clone())
}

/// Loads the site and lockfile, renders the articles in play and plans. Validation errors
/// end here with exit code 2, before anything could be sent.
pub fn prepare(
    site: Option<&Path>,
    paths: &[PathBuf],
    out: Output,
) -> Result<std::result::Result<Prepared, i32>> {
    let (site, renderer) = open(site)?;
    let mut lock = Lockfile::load(&site.root)?;
    if let Some(id) = appid(&site) {
        lock.check_appid(&id)?;
    }
    let all = site.discover()?;
    let present: BTreeSet<ArticlePath> = all.iter().cloned().collect();
    let groups: BTreeMap<String, Vec<ArticlePath>> = site
        .config
        .drafts
        .iter()
        .map(|(name, members)| {
            let paths = members
                .iter()
                .filter_map(|m| ArticlePath::from_relative(Path::new(m)))
                .collect();
            (name.clone(), paths)
        })
        .collect();
    let mut selected = select(&site, paths)?;
    // A draft of several articles is pushed whole: naming one member brings the others.
    if !paths.is_empty() {
        for members in groups.values() {
            if members.iter().any(|m| selected.contains(m)) {
                selected.extend(members.iter().cloned());
            }
        }
        selected.sort();
        selected.dedup();
    }
    // Articles whose inputs are unchanged since a clean render are planned from the cache.
    let site_key = cache::site_key(&site.config_source, &renderer.theme().fingerprint());
    let mut rcache = RenderCache::load(&site.root);
    let mut inputs = BTreeMap::new();
    let mut keys = BTreeMap::new();
    let mut to_render = Vec::new();
    let mut cached = Vec::new();
    for p in &selected {
        let Ok(bytes) = std::fs::read(site.abs(p)) else {
            to_render.push(p.clone());
            continue;
        };
        let text = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes);
        let key = cache::article_key(&site_key, text);
        match rcache.get(&site.root, p, &key) {
            Some(e) => {
                inputs.insert(
                    p.clone(),
                    Input {
                        hash: e.hash.clone(),
                        source: ContentHash::of(text),
                        sync: e.sync,
                        rendered: None,
                    },
                );
                cached.push(ArticleResult {
                    path: p.clone(),
                    rendered: None,
                    source_hash: None,
                    diagnostics: e.warnings.iter().map(|w| w.to_diagnostic()).collect(),
                    ignored_keys: e.ignored_keys.clone(),
                });
            }
            None => {
                keys.insert(p.clone(), key);
                to_render.push(p.clone());
            }
        }
    }
    let mut results = render_all(&site, &renderer, &to_render);
    let draft_errors = site.check_drafts(&all);
    for r in &results {
        if let (Some(rendered), Some(key)) = (&r.rendered, keys.get(&r.path)) {
            let hash = plan::payload_hash(&rendered.payload);
            rcache.put(
                &site.root,
                key.clone(),
                rendered,
                hash,
                r.ignored_keys.clone(),
            );
        }
    }
    rcache.save(&site.root);
    results.extend(cached);
    let (errors, _) = print_diagnostics(&results, &draft_errors, out);
    if out.json && errors > 0 {
        println!("{}", crate::cmd::json_report(&results, &draft_errors));
    }
    if errors > 0 {
        if !out.json {
            eprintln!(
                "error: {errors} problem(s) must be fixed before anything is sent; nothing was sent"
            );
        }
        return Ok(Err(2));
    }
    for r in results {
        if let (Some(rendered), Some(source)) = (r.rendered, r.source_hash) {
            inputs.insert(r.path, Input::new(rendered, source));
        }
    }
    let plan = plan::plan(&inputs, &present, &groups, &mut lock);
    // What is to be pushed must be rendered in full.
    let missing: Vec<ArticlePath> = plan
        .work
        .iter()
        .flat_map(|w| match w {
            Work::Create { members, .. } => members.clone(),
            Work::Update { path, .. } => vec![path.clone()],
        })
        .filter(|p| inputs.get(p).is_some_and(|i| i.rendered.is_none()))
        .collect();
    for r in render_all(&site, &renderer, &missing) {
        if r.has_errors() {
            print_diagnostics(std::slice::from_ref(&r), &[], out);
            return Ok(Err(2));
        }
        if let (Some(rendered), Some(input)) = (r.rendered, inputs.get_mut(&r.path)) {
            input.rendered = Some(rendered);
        }
    }
    Ok(Ok(Prepared {
        site,
        renderer,
        lock,
        inputs,
        plan,
    }))
}

pub fn run(site: Option<&Path>, paths: &[PathBuf], flags: Flags, out: Output) -> Result<i32> {
    Ok(execute(site, paths, flags, out)?.0)
}

/// Runs a sync and returns its exit code and, when it got as far as pushing, its outcome
/// (`watch --push` shows it in the page).
pub fn execute(
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
    let Prepared {
        site,
        renderer,
        mut lock,
        inputs,
        plan,
    } = match prepare(Some(&root), paths, out)? {
        Ok(p) => p,
        Err(code) => return Ok((code, None)),
    };
    if flags.dry_run {
        let out_dir = site.root.join(CACHE_DIR).join("out");
        // Articles planned from the render cache are rendered now, to write their payloads.
        let unrendered: Vec<ArticlePath> = inputs
            .iter()
            .filter(|(_, i)| i.rendered.is_none())
            .map(|(p, _)| p.clone())
            .collect();
        let fresh = render_all(&site, &renderer, &unrendered);
        let all: Vec<(&ArticlePath, &crate::render::Rendered)> = inputs
            .iter()
            .filter_map(|(p, i)| i.rendered.as_ref().map(|r| (p, r)))
            .chain(
                fresh
                    .iter()
                    .filter_map(|r| r.rendered.as_ref().map(|x| (&r.path, x))),
            )
            .collect();
        for (path, rendered) in all {
            let base = output_base(&out_dir, path);
            write_atomic(
                &base.with_extension("html"),
                rendered.payload.content.as_bytes(),
            )?;
            let json = serde_json::to_string_pretty(&rendered.payload)
                .map_err(|e| Error::Usage(format!("cannot encode the payload of {path}: {e}")))?;
            write_atomic(&base.with_extension("json"), json.as_bytes())?;
        }
        let planned = report::planned(&plan);
        if github::active() {
            github::report(&plan, &planned, true);
        }
        emit(&plan, &planned, true, out);
        return Ok((0, None));
    }
    let prune_work = flags.prune
        && (plan.orphans.iter().any(|o| o.media_id.is_some()) || !lock.orphans.is_empty());
    let outcome = if plan.needs_network() || prune_work {
        let client = client(&site)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))?;
        let opts = apply::Options {
            prune: flags.prune,
            progress: !out.json
                && !out.quiet
                && !github::active()
                && std::io::IsTerminal::is_terminal(&std::io::stderr()),
            fetcher: crate::sync::remote::Fetcher::new(
                std::time::Duration::from_secs(site.config.images.timeout),
                None,
            )
            .ok(),
        };
        let render = |p: &ArticlePath| site.load(p).ok().map(|a| renderer.render(&a));
        runtime.block_on(apply::apply(
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
    // In Actions: annotations, step summary and outputs, before the report so that with
    // `--json` the JSON document is the last thing on stdout.
    if github::active() {
        github::report(&plan, &outcome, false);
    }
    emit(&plan, &outcome, false, out);
    let code = if outcome.failed() > 0 || outcome.stopped.is_some() {
        1
    } else {
        0
    };
    Ok((code, Some(outcome)))
}

fn emit(plan: &Plan, outcome: &Outcome, dry_run: bool, out: Output) {
    if out.json {
        println!("{}", report::json(plan, outcome));
    } else if !out.quiet || outcome.failed() > 0 {
        eprint!("{}", report::table(plan, outcome, dry_run));
    }
}

/// The WeChat client for this site: credentials from the environment, the rest from
/// `wxsync.yaml`.
pub fn client(site: &Site) -> Result<Client> {
    let api = &site.config.api;
    let defaults = ConfigDefaults {
        appid: site.config.appid.clone(),
        base_url: api.base_url.clone(),
        token_mode: api.token,
        proxy: api.proxy.clone(),
        cache_dir: Some(site.root.join(CACHE_DIR)),
    };
    let mut opts = ClientOptions::from_env(defaults).map_err(|e| Error::Usage(e.to_string()))?;
    // In Actions every token is masked in the log before its first use.
    opts.on_token = opts.on_token.or_else(github::token_hook);
    Client::new(opts).map_err(|e| Error::Usage(e.to_string()))
}
