//! Preparing a push: the lockfile loaded, the articles in play rendered (or taken from the
//! render cache when nothing they read has changed) and checked, and the plan made. What the
//! plan will push is then rendered in full. Validation errors end here, before anything
//! could be sent.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::{ArticleResult, Project, appid};
use crate::error::Result;
use crate::fs::strip_bom;
use crate::hash::ContentHash;
use crate::output::{Output, json_report, plural};
use crate::render::cache::{self, RenderCache};
use crate::site::ArticlePath;
use crate::sync::lock::{Entry, Lockfile, State};
use crate::sync::plan::{self, Input, Origin, Plan, Work};

/// A site loaded, rendered and planned.
pub struct Prepared {
    pub project: Project,
    pub lock: Lockfile,
    pub inputs: BTreeMap<ArticlePath, Input>,
    pub plan: Plan,
}

/// The articles to plan: those named (with every other member of their multi-article
/// drafts, which are pushed whole), else all.
fn selection(
    project: &Project,
    paths: &[PathBuf],
    groups: &BTreeMap<String, Vec<ArticlePath>>,
) -> Result<Vec<ArticlePath>> {
    let mut selected = project.select(paths)?;
    if !paths.is_empty() {
        for members in groups.values() {
            if members.iter().any(|m| selected.contains(m)) {
                selected.extend(members.iter().cloned());
            }
        }
        selected.sort();
        selected.dedup();
    }
    Ok(selected)
}

/// Loads the lockfile, renders the articles in play and plans. `Err(2)` inside means the
/// articles had errors, which have been printed: nothing may be sent.
pub fn prepare(
    project: Project,
    paths: &[PathBuf],
    out: Output,
) -> Result<std::result::Result<Prepared, i32>> {
    prepare_after(project, paths, out, None)
}

/// [`prepare`] for a later account of a run over several (`shown` is `Some`): the
/// diagnostics of the articles in `shown`, and the site's own, were printed with an earlier
/// account's, and are not again.
pub fn prepare_after(
    project: Project,
    paths: &[PathBuf],
    out: Output,
    shown: Option<&BTreeSet<ArticlePath>>,
) -> Result<std::result::Result<Prepared, i32>> {
    let site = &project.site;
    // One lockfile, one account: the account's own (`wxsync.lock` for the default one).
    let mut lock = Lockfile::load_named(&site.root, &site.account.lock_file())?;
    if let Some(id) = appid(site) {
        lock.check_appid(&id)?;
    }
    let (every, mut site_problems) = site.discover_checked()?;
    // The account's articles only: another account's are neither planned nor orphans here.
    let assignment = site.assign(&every);
    site_problems.extend(assignment.diagnostics.iter().cloned());
    site_problems.extend(assignment.check_drafts(site));
    let all: Vec<ArticlePath> = every
        .iter()
        .filter(|p| assignment.goes_to(p, &site.account.name))
        .cloned()
        .collect();
    let present: BTreeSet<ArticlePath> = all.iter().cloned().collect();
    let groups: BTreeMap<String, Vec<ArticlePath>> = site
        .config
        .drafts
        .iter()
        .map(|(name, members)| {
            let paths: Vec<ArticlePath> = members
                .iter()
                .filter_map(|m| ArticlePath::from_relative(Path::new(m)))
                .collect();
            (name.clone(), paths)
        })
        .filter(|(_, members)| members.iter().all(|m| present.contains(m)))
        .collect();
    let mut selected = selection(&project, paths, &groups)?;
    selected.retain(|p| present.contains(p));
    let (mut inputs, results) = render_cached(&project, &selected, &lock, out);
    let mut draft_errors = site_problems;
    draft_errors.extend(site.check_drafts(&every));
    if shown.is_some() {
        draft_errors.clear();
    }
    let (mut results, repeated): (Vec<ArticleResult>, Vec<ArticleResult>) = results
        .into_iter()
        .partition(|r| shown.is_none_or(|s| !s.contains(&r.path)));
    let (errors, _) = out.diagnostics(&results, &draft_errors);
    if out.json && errors > 0 {
        out.document(&json_report(&results, &draft_errors));
    }
    results.extend(repeated);
    if errors > 0 {
        if !out.json {
            crate::output::human(&format!(
                "error: {errors} error{} must be fixed before anything is sent; nothing was sent\n",
                plural(errors)
            ));
        }
        return Ok(Err(2));
    }
    let ikey = cache::inputs_key(&site.config_source, &project.renderer.theme().fingerprint());
    let site_key = cache::site_key(&site.config_source, &project.renderer.theme().fingerprint());
    for r in results {
        if let (Some(rendered), Some(source)) = (r.rendered, r.source_hash) {
            let fingerprint = cache::inputs_fingerprint(&ikey, &source, &rendered);
            let images = cache::image_files(&rendered);
            let origin = origin(&site_key, &source, &images);
            let mut input = Input::new(rendered, source);
            input.inputs = Some(fingerprint);
            input.origin = Some(origin);
            inputs.insert(r.path, input);
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
    // Every article's errors are shown, not only the first one's.
    let mut failed = false;
    for r in project.render(&missing) {
        if r.has_errors() {
            out.diagnostics(std::slice::from_ref(&r), &[]);
            failed = true;
            continue;
        }
        if let (Some(rendered), Some(input)) = (r.rendered, inputs.get_mut(&r.path)) {
            input.rendered = Some(rendered);
        }
    }
    if failed {
        return Ok(Err(2));
    }
    Ok(Ok(Prepared {
        project,
        lock,
        inputs,
        plan,
    }))
}

/// Renders the selected articles, except those whose inputs are unchanged since a clean
/// render: those are planned from the render cache (`inputs`, without a rendered payload),
/// with their warnings shown again. Returns the cached inputs and every article's result.
fn render_cached(
    project: &Project,
    selected: &[ArticlePath],
    lock: &Lockfile,
    out: Output,
) -> (BTreeMap<ArticlePath, Input>, Vec<ArticleResult>) {
    let site = &project.site;
    let site_key = cache::site_key(&site.config_source, &project.renderer.theme().fingerprint());
    let mut rcache = RenderCache::load(&site.root);
    let mut inputs = BTreeMap::new();
    let mut keys = BTreeMap::new();
    let mut to_render = Vec::new();
    let mut cached = Vec::new();
    // Image hashes, by path: an image many articles share is read once.
    let mut hashed = BTreeMap::new();
    for p in selected {
        let Ok(bytes) = crate::fs::read_capped(&site.abs(p), crate::fs::TEXT_MAX) else {
            to_render.push(p.clone());
            continue;
        };
        let text = strip_bom(&bytes);
        let source = ContentHash::of(text);
        let key = cache::article_key(&site_key, text);
        let hit = rcache.get(&site.root, p, &key);
        let pushed = match hit {
            Some(_) => None,
            None => lock
                .articles
                .get(p)
                .and_then(|e| from_lock(e, &site.root, &site_key, &source, &mut hashed)),
        };
        if out.verbose > 0 {
            out.info(&if hit.is_some() {
                format!("cache: {p}: planned from the render cache (nothing it reads changed)")
            } else if pushed.is_some() {
                format!(
                    "cache: {p}: planned from wxsync.lock (it, its images, wxsync.yaml, the \
                     theme and wxsync are those it was pushed from)"
                )
            } else {
                format!(
                    "cache: {p}: rendered (new, or it, wxsync.yaml, the theme, an image or \
                     wxsync changed since its last clean render)"
                )
            });
        }
        if let Some(input) = pushed {
            inputs.insert(p.clone(), input);
            cached.push(ArticleResult {
                path: p.clone(),
                rendered: None,
                source_hash: None,
                diagnostics: Vec::new(),
                ignored_keys: Vec::new(),
            });
            continue;
        }
        match hit {
            Some(e) => {
                let images: Vec<(ArticlePath, ContentHash)> = e
                    .files
                    .iter()
                    .filter_map(|f| Some((f.path.clone(), f.hash.clone()?)))
                    .collect();
                inputs.insert(
                    p.clone(),
                    Input {
                        hash: e.hash.clone(),
                        origin: Some(origin(&site_key, &source, &images)),
                        source,
                        sync: e.sync,
                        rendered: None,
                        inputs: e.inputs.clone(),
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
    let mut results = project.render(&to_render);
    let ikey = cache::inputs_key(&site.config_source, &project.renderer.theme().fingerprint());
    for r in &results {
        if let (Some(rendered), Some(key), Some(source)) =
            (&r.rendered, keys.get(&r.path), &r.source_hash)
        {
            let hash = plan::payload_hash(&rendered.payload);
            let fingerprint = cache::inputs_fingerprint(&ikey, source, rendered);
            rcache.put(
                &site.root,
                key.clone(),
                rendered,
                hash,
                r.ignored_keys.clone(),
                fingerprint,
            );
        }
    }
    rcache.save(&site.root);
    results.extend(cached);
    (inputs, results)
}

/// An article's `rendered_from` key and the image files it covers.
fn origin(site_key: &[u8], source: &ContentHash, images: &[(ArticlePath, ContentHash)]) -> Origin {
    Origin {
        key: cache::origin_key(site_key, source, images),
        images: images.iter().map(|(p, _)| p.clone()).collect(),
    }
}

/// The input of an article the lockfile says was pushed from exactly these bytes, images,
/// config, theme and wxsync: its payload is the one pushed, so it is planned without rendering
/// (a checkout without `.wxsync/`, as in CI). Its warnings were shown when it was pushed.
fn from_lock(
    e: &Entry,
    root: &Path,
    site_key: &[u8],
    source: &ContentHash,
    hashed: &mut BTreeMap<ArticlePath, Option<ContentHash>>,
) -> Option<Input> {
    let recorded = e.rendered_from.as_ref()?;
    if e.state != State::Synced || e.media_id.is_none() {
        return None;
    }
    let hash = e.hash.clone()?;
    let mut images = Vec::with_capacity(e.images.len());
    for p in &e.images {
        let h = hashed
            .entry(p.clone())
            .or_insert_with(|| image_hash(root, p))
            .clone()?;
        images.push((p.clone(), h));
    }
    let origin = origin(site_key, source, &images);
    (&origin.key == recorded).then(|| Input {
        hash,
        source: source.clone(),
        sync: true,
        rendered: None,
        inputs: e.inputs.clone(),
        origin: Some(origin),
    })
}

/// The hash of an image file the lockfile names, if it is a file inside the site (the
/// lockfile is only trusted to say what to compare, never where to read outside the site).
fn image_hash(root: &Path, p: &ArticlePath) -> Option<ContentHash> {
    if ArticlePath::from_relative(Path::new(p.as_str())).as_ref() != Some(p) {
        return None;
    }
    let file = std::fs::canonicalize(root.join(p.as_str())).ok()?;
    if !file.starts_with(std::fs::canonicalize(root).ok()?) {
        return None;
    }
    crate::fs::read_capped(&file, crate::media::probe::SOURCE_MAX)
        .ok()
        .map(|b| ContentHash::of(&b))
}
