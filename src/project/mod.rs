//! The driver, as mdBook's `MDBook` is: a site opened with its renderer, and the pipeline
//! every command runs a part of. Select articles ([`Project::select`]), render them on every
//! core ([`Project::render`]), or from the render cache and plan them against the lockfile
//! ([`prepare`]), push the plan ([`sync`]), write what would be sent ([`outputs`]), bind an
//! existing draft ([`adopt`]).

pub mod adopt;
pub mod mcp;
pub mod outputs;
pub mod prepare;
pub mod publish;
pub mod quota;
pub mod rehearse;
pub mod remote;
pub mod sync;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diag::Diagnostic;
use crate::error::{Error, Result};
use crate::hash::ContentHash;
use crate::output::Output;
pub use crate::render::ArticleResult;
use crate::render::Renderer;
use crate::site::{ArticlePath, Site};
use crate::sync::github;
use crate::wechat::{CallHook, CallRecord, Client, ClientOptions, ConfigDefaults};

/// A site and its renderer.
pub struct Project {
    pub site: Site,
    pub renderer: Renderer,
}

/// Every article of a site checked: the results, and the site-wide errors of `drafts:`.
pub struct Checked {
    pub results: Vec<ArticleResult>,
    pub site_errors: Vec<Diagnostic>,
}

impl Project {
    /// Opens the site at `dir` (else the nearest one up from here) and builds its renderer.
    pub fn open(dir: Option<&Path>) -> Result<Project> {
        // The config's errors and the theme's, in one run: the theme is loaded from what of
        // the config passed.
        let (site, mut errors) = Site::open_lenient(dir)?;
        match Renderer::new(&site) {
            Ok(renderer) if errors.is_empty() => Ok(Project { site, renderer }),
            Ok(_) => Err(Error::Invalid(errors)),
            Err(more) => {
                errors.extend(more);
                Err(Error::Invalid(errors))
            }
        }
    }

    /// [`Project::open`], talking to the account [`pick_account`] picks.
    pub fn open_as(
        dir: Option<&Path>,
        account: Option<&str>,
        paths: &[PathBuf],
    ) -> Result<Project> {
        let mut project = Project::open(dir)?;
        pick_account(&mut project.site, account, paths)?;
        Ok(project)
    }

    /// The articles a command works on: those named on the command line, else all.
    pub fn select(&self, paths: &[PathBuf]) -> Result<Vec<ArticlePath>> {
        if paths.is_empty() {
            return self.site.discover();
        }
        let mut out = Vec::new();
        for p in paths {
            let a = self.site.article_arg(p)?;
            if !self.site.abs(&a).is_file() {
                return Err(Error::Usage(format!("{} is not a file", p.display())));
            }
            out.push(a);
        }
        Ok(out)
    }

    /// Loads and renders one article.
    pub fn render_one(&self, path: &ArticlePath) -> ArticleResult {
        match self.site.load(path) {
            Ok(article) => {
                let rendered = self.renderer.render(&article);
                ArticleResult {
                    path: path.clone(),
                    source_hash: Some(ContentHash::of(article.source.as_bytes())),
                    diagnostics: rendered.diagnostics.clone(),
                    rendered: Some(rendered),
                    ignored_keys: article.ignored_keys,
                }
            }
            Err(diagnostics) => ArticleResult {
                path: path.clone(),
                rendered: None,
                source_hash: None,
                diagnostics,
                ignored_keys: Vec::new(),
            },
        }
    }

    /// Loads and renders articles, on every core, in the order given.
    pub fn render(&self, paths: &[ArticlePath]) -> Vec<ArticleResult> {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(paths.len().max(1));
        if threads <= 1 {
            return paths.iter().map(|p| self.render_one(p)).collect();
        }
        let chunk = paths.len().div_ceil(threads);
        std::thread::scope(|s| {
            let handles: Vec<_> = paths
                .chunks(chunk)
                .map(|c| s.spawn(move || c.iter().map(|p| self.render_one(p)).collect::<Vec<_>>()))
                .collect();
            // A render that panicked is a bug; its articles are reported, not dropped.
            handles
                .into_iter()
                .zip(paths.chunks(chunk))
                .flat_map(|(h, c)| {
                    h.join()
                        .unwrap_or_else(|_| c.iter().map(panicked).collect())
                })
                .collect()
        })
    }

    /// Every article rendered and checked, with no network.
    pub fn check(&self) -> Result<Checked> {
        let (paths, mut site_errors) = self.site.discover_checked()?;
        let results = self.render(&paths);
        site_errors.extend(self.site.check_drafts(&paths));
        let assignment = self.site.assign(&paths);
        site_errors.extend(assignment.check_drafts(&self.site));
        site_errors.extend(assignment.diagnostics);
        Ok(Checked {
            results,
            site_errors,
        })
    }
}

/// The result of an article whose render panicked.
fn panicked(path: &ArticlePath) -> ArticleResult {
    ArticleResult {
        path: path.clone(),
        rendered: None,
        source_hash: None,
        diagnostics: vec![
            Diagnostic::error(
                path.as_str(),
                "wxsync failed unexpectedly while rendering it",
            )
            .with_help("this is a bug in wxsync; please report it with the article"),
        ],
        ignored_keys: Vec::new(),
    }
}

/// Points a command that talks to one account (`adopt`, `publish`, `quota`,
/// `status --remote`) at it: the one `--account` names, else the one account the named
/// articles all go to, else (no article named) the default account. Named articles that go
/// to several accounts, or to another one than `--account` names, are a usage error.
pub fn pick_account(site: &mut Site, account: Option<&str>, paths: &[PathBuf]) -> Result<()> {
    if let Some(name) = account {
        site.use_account(name)?;
    }
    if !site.config.accounts.several() || paths.is_empty() {
        return Ok(());
    }
    let mut named = Vec::new();
    for p in paths {
        named.push(site.article_arg(p)?);
    }
    let assignment = site.assign(&named);
    let goes = |p: &ArticlePath| -> Vec<String> {
        assignment
            .of
            .get(p)
            .map(|v| v.iter().map(|a| a.to_string()).collect())
            .unwrap_or_default()
    };
    if account.is_some() {
        for p in &named {
            if !assignment.goes_to(p, &site.account.name) {
                return Err(Error::Usage(format!(
                    "{p} does not go to account {}; it goes to {}",
                    site.account.name,
                    goes(p).join(", ")
                )));
            }
        }
        return Ok(());
    }
    let mut common = goes(&named[0]);
    for p in &named[1..] {
        let g = goes(p);
        common.retain(|a| g.contains(a));
    }
    match common.as_slice() {
        [one] => site.use_account(one),
        [] => Err(Error::Usage(
            "the articles named go to different accounts: name one with --account NAME".into(),
        )),
        several => Err(Error::Usage(format!(
            "{} go{} to accounts {}: name one with --account NAME",
            named
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            if named.len() == 1 { "es" } else { "" },
            several.join(", ")
        ))),
    }
}

/// The AppID the site's account works for: its variable (`WECHAT_APPID` for the default
/// account) wins over `wxsync.yaml`.
pub fn appid(site: &Site) -> Option<String> {
    site.account.appid_now()
}

/// The WeChat client for the site's account; with `-v` it prints each call.
pub fn client(site: &Site, out: Output) -> Result<Client> {
    let account = &site.account;
    let api = &account.api;
    let defaults = ConfigDefaults {
        appid: account.appid.clone(),
        base_url: api.base_url.clone(),
        token_mode: api.token,
        proxy: api.proxy.clone(),
        relay_url: api.relay_url.clone(),
        cache_dir: Some(account.cache_dir(&site.root)),
    };
    // The account reads its own variables under the names the client knows.
    let var = |k: &str| account.var(k, |n| std::env::var(n).ok());
    // The client's messages name the default variables: say the account's instead.
    let named = |e: &dyn std::fmt::Display| {
        if site.config.accounts.several() || !account.default {
            Error::Usage(format!(
                "account `{}`: {}",
                account.name,
                account_vars(&e.to_string(), account)
            ))
        } else {
            Error::Usage(e.to_string())
        }
    };
    let mut opts = ClientOptions::from_vars(defaults, var).map_err(|e| named(&e))?;
    // In Actions every token is masked in the log before its first use.
    opts.on_token = opts.on_token.or_else(github::token_hook);
    opts.on_call = call_printer(out);
    Client::new(opts).map_err(|e| named(&e))
}

/// `message` with each variable wxsync reads (`WECHAT_APPSECRET`, …) replaced by the one
/// `account` reads for it (`WECHAT_APPSECRET_BRAND2`).
fn account_vars(message: &str, account: &crate::site::accounts::Account) -> String {
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let variable = (word.starts_with("WECHAT_") || word.starts_with("WXSYNC_"))
            && word.chars().all(|c| c.is_ascii_uppercase() || c == '_');
        if variable {
            match account.env_names(word).first() {
                Some(name) => out.push_str(name),
                None => out.push_str(word),
            }
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in message.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// With `-v`, a line on stderr for each exchange with WeChat: the endpoint, how it ended and
/// how long it took (never the token or the body).
pub fn call_printer(out: Output) -> Option<CallHook> {
    (out.verbose > 0).then(|| -> CallHook {
        Arc::new(move |c: &CallRecord| {
            out.info(&format!(
                "api: {} {} → {} ({} ms)",
                c.method,
                c.path,
                c.outcome,
                c.elapsed.as_millis()
            ));
        })
    })
}

/// The async runtime for network work: one thread (a sync is sequential but for uploads,
/// which wait on the network), or `workers` threads (the preview server).
pub fn runtime(workers: usize) -> Result<tokio::runtime::Runtime> {
    let mut b = if workers <= 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(workers);
        b
    };
    b.enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))
}
