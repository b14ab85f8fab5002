//! Builds of the preview: every article of the site rendered exactly as it would be sent,
//! kept in memory with its diagnostics, and rebuilt incrementally when files change.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::diag::Diagnostic;
use crate::preview::images::PreparedImages;
use crate::project::Project;
use crate::render::{Asset, Rendered, Role};
use crate::site::ArticlePath;

/// What the last push of an article did (`watch --push`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushStatus {
    Pushed(String),
    Failed(String),
}

/// One article of a build.
#[derive(Debug, Clone)]
pub struct Page {
    /// Absent when the article could not be read or parsed.
    pub rendered: Option<Rendered>,
    pub diagnostics: Vec<Diagnostic>,
    pub push: Option<PushStatus>,
}

impl Page {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// The state of the site as of one build.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Increases with every rebuild; pages reload when it changes.
    pub generation: u64,
    pub root: PathBuf,
    /// Problems that stop the whole site (config, theme): shown on every page.
    pub site_errors: Vec<Diagnostic>,
    pub pages: BTreeMap<ArticlePath, Page>,
    /// Image placeholder hash (`sha256:…`) → file, for serving images.
    pub assets: BTreeMap<String, PathBuf>,
    pub build_time: Duration,
}

impl Snapshot {
    /// Every error of the build, site-wide first.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.site_errors
            .iter()
            .chain(self.pages.values().flat_map(|p| p.diagnostics.iter()))
            .filter(|d| d.is_error())
    }
}

/// Files whose change means every article is rendered again (config, theme CSS, images).
fn affects_all(root: &Path, changed: &[PathBuf]) -> bool {
    changed.iter().any(|p| {
        let ext = p
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        !(ext == "md" || ext == "markdown") || !p.starts_with(root)
    })
}

/// Builds the site. With a previous snapshot and the changed files, only changed articles are
/// rendered again (unless a change affects every article).
pub fn build(
    root: &Path,
    generation: u64,
    prev: Option<&Snapshot>,
    changed: &[PathBuf],
    images: &PreparedImages,
) -> Snapshot {
    let started = Instant::now();
    let mut snap = Snapshot {
        generation,
        root: root.to_path_buf(),
        ..Default::default()
    };
    let project = match Project::open(Some(root)) {
        Ok(p) => p,
        Err(e) => {
            snap.site_errors = error_diagnostics(e);
            snap.build_time = started.elapsed();
            return snap;
        }
    };
    let site = &project.site;
    let (paths, problems) = match site.discover_checked() {
        Ok(p) => p,
        Err(e) => {
            snap.site_errors = error_diagnostics(e);
            snap.build_time = started.elapsed();
            return snap;
        }
    };
    let reuse = prev.filter(|p| p.site_errors.is_empty() && !affects_all(root, changed));
    let to_render: Vec<ArticlePath> = match reuse {
        Some(prev) => paths
            .iter()
            .filter(|p| !prev.pages.contains_key(*p) || changed.iter().any(|c| c == &site.abs(p)))
            .cloned()
            .collect(),
        None => paths.clone(),
    };
    let mut fresh: BTreeMap<ArticlePath, Page> = project
        .render(&to_render)
        .into_iter()
        .map(|r| {
            (
                r.path.clone(),
                Page {
                    rendered: r.rendered,
                    diagnostics: r.diagnostics,
                    push: None,
                },
            )
        })
        .collect();
    for p in &paths {
        let page = match fresh.remove(p) {
            Some(page) => page,
            None => match reuse.and_then(|prev| prev.pages.get(p)) {
                Some(old) => old.clone(),
                None => continue,
            },
        };
        snap.pages.insert(p.clone(), page);
    }
    // Keep the last push status of articles that were not rendered again.
    if let Some(prev) = prev {
        for (p, page) in &mut snap.pages {
            if page.push.is_none() {
                page.push = prev.pages.get(p).and_then(|o| o.push.clone());
            }
        }
    }
    snap.site_errors
        .extend(problems.into_iter().filter(Diagnostic::is_error));
    snap.site_errors.extend(site.check_drafts(&paths));
    for page in snap.pages.values() {
        // The preview shows what WeChat will get: prepared images, the body's form of an
        // image first.
        let mut assets: Vec<&Asset> = page.rendered.iter().flat_map(|r| &r.assets).collect();
        assets.sort_by_key(|a| a.role != Role::Body);
        for a in assets {
            let key = a.hash.as_str().to_string();
            if snap.assets.contains_key(&key) {
                continue;
            }
            let file = images
                .file(&site.root, a)
                .unwrap_or_else(|| site.abs(&a.path));
            snap.assets.insert(key, file);
        }
    }
    snap.build_time = started.elapsed();
    snap
}

fn error_diagnostics(e: crate::error::Error) -> Vec<Diagnostic> {
    match e {
        crate::error::Error::Invalid(d) => d,
        other => {
            let mut d = Diagnostic::error(crate::site::CONFIG_FILE, other.to_string());
            if let Some(h) = other.help() {
                d = d.with_help(h);
            }
            vec![d]
        }
    }
}
