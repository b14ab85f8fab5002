//! One module per subcommand, plus what they share: opening the site, rendering articles in
//! parallel, and printing diagnostics.

pub mod adopt;
pub mod check;
pub mod init;
pub mod render;
pub mod status;
pub mod sync;
pub mod watch;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use serde::Serialize;

use crate::cli::{Cli, ColorChoice, Command};
use crate::diag::Diagnostic;
use crate::error::{Error, Result};
use crate::render::{Payload, Rendered, Renderer};
use crate::site::{ArticlePath, Site};

/// How human output is written.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
    pub quiet: bool,
    pub verbose: u8,
    pub color: bool,
}

impl Output {
    pub fn from_cli(cli: &Cli) -> Output {
        let color = match cli.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stderr().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none()
                    && !crate::sync::github::active()
            }
        };
        Output {
            json: cli.json,
            quiet: cli.quiet,
            verbose: cli.verbose,
            color,
        }
    }

    /// Prints a diagnostic on stderr (warnings are hidden by `-q`).
    pub fn diag(&self, d: &Diagnostic) {
        if self.quiet && !d.is_error() {
            return;
        }
        let _ = std::io::stderr().write_all(d.render(self.color).as_bytes());
    }

    pub fn info(&self, msg: &str) {
        if !self.quiet {
            eprintln!("{msg}");
        }
    }
}

/// Runs the command line; returns the exit code (DESIGN §5).
pub fn run(cli: Cli) -> Result<i32> {
    let out = Output::from_cli(&cli);
    let in_actions = crate::sync::github::active();
    if in_actions {
        crate::sync::github::locate_site(cli.site.as_deref());
    }
    let result = match &cli.command {
        Command::Init { dir } => init::run(dir.as_deref().or(cli.site.as_deref()), out),
        Command::Check => check::run(cli.site.as_deref(), out),
        Command::Render { paths } => render::run(cli.site.as_deref(), paths, out),
        Command::Status { paths } => status::run(cli.site.as_deref(), paths, out),
        Command::Sync {
            paths,
            dry_run,
            prune,
        } => sync::run(
            cli.site.as_deref(),
            paths,
            sync::Flags {
                dry_run: *dry_run,
                prune: *prune,
            },
            out,
        ),
        Command::Watch {
            port,
            open,
            push,
            poll,
            debounce,
        } => watch::run(
            cli.site.as_deref(),
            watch::WatchFlags {
                port: *port,
                open: *open,
                push: *push,
                poll: *poll,
                debounce: std::time::Duration::from_millis(*debounce),
            },
            out,
        ),
        Command::Adopt {
            path,
            media_id,
            index,
        } => adopt::run(cli.site.as_deref(), path, media_id, *index, out),
    };
    // Config and theme errors end the run before any article is read: annotate them too.
    if let (true, Err(Error::Invalid(diags))) = (in_actions, &result) {
        diags.iter().for_each(crate::sync::github::annotate);
    }
    result
}

/// The result of loading and rendering one article.
#[derive(Debug)]
pub struct ArticleResult {
    pub path: ArticlePath,
    pub rendered: Option<Rendered>,
    /// Hash of the article file (for rename detection).
    pub source_hash: Option<crate::render::ContentHash>,
    /// Load errors (unreadable, bad front matter) and the render's diagnostics.
    pub diagnostics: Vec<Diagnostic>,
    pub ignored_keys: Vec<String>,
}

impl ArticleResult {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Opens the site and builds its renderer.
pub fn open(site: Option<&std::path::Path>) -> Result<(Site, Renderer)> {
    let site = Site::open(site)?;
    let renderer = Renderer::new(&site).map_err(Error::Invalid)?;
    Ok((site, renderer))
}

/// Loads and renders articles, on every core.
pub fn render_all(site: &Site, renderer: &Renderer, paths: &[ArticlePath]) -> Vec<ArticleResult> {
    let one = |path: &ArticlePath| match site.load(path) {
        Ok(article) => {
            let rendered = renderer.render(&article);
            ArticleResult {
                path: path.clone(),
                source_hash: Some(crate::render::ContentHash::of(article.source.as_bytes())),
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
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(paths.len().max(1));
    if threads <= 1 {
        return paths.iter().map(one).collect();
    }
    let chunk = paths.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = paths
            .chunks(chunk)
            .map(|c| s.spawn(move || c.iter().map(one).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// The articles a command works on: those named on the command line, else all.
pub fn select(site: &Site, paths: &[PathBuf]) -> Result<Vec<ArticlePath>> {
    if paths.is_empty() {
        return site.discover();
    }
    let mut out = Vec::new();
    for p in paths {
        let a = site.article_arg(p)?;
        if !site.abs(&a).is_file() {
            return Err(Error::Usage(format!("{} is not a file", p.display())));
        }
        out.push(a);
    }
    Ok(out)
}

/// `--json` for `check` and `render` (DESIGN §5).
#[derive(Serialize)]
pub struct JsonReport<'a> {
    pub articles: Vec<JsonArticle<'a>>,
}

#[derive(Serialize)]
pub struct JsonArticle<'a> {
    pub path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<&'a Payload>,
    pub warnings: Vec<&'a Diagnostic>,
    pub errors: Vec<&'a Diagnostic>,
}

pub fn json_report(results: &[ArticleResult], extra_errors: &[Diagnostic]) -> String {
    let mut articles: Vec<JsonArticle> = results
        .iter()
        .map(|r| JsonArticle {
            path: r.path.as_str(),
            payload: if r.has_errors() {
                None
            } else {
                r.rendered.as_ref().map(|x| &x.payload)
            },
            warnings: r.diagnostics.iter().filter(|d| !d.is_error()).collect(),
            errors: r.diagnostics.iter().filter(|d| d.is_error()).collect(),
        })
        .collect();
    if !extra_errors.is_empty() {
        articles.push(JsonArticle {
            path: crate::site::CONFIG_FILE,
            payload: None,
            warnings: Vec::new(),
            errors: extra_errors.iter().collect(),
        });
    }
    serde_json::to_string_pretty(&JsonReport { articles }).unwrap_or_else(|_| "{}".to_string())
}

/// Prints every diagnostic and the one "ignored front matter keys" warning; returns the
/// numbers of errors and warnings.
pub fn print_diagnostics(
    results: &[ArticleResult],
    extra: &[Diagnostic],
    out: Output,
) -> (usize, usize) {
    let mut errors = 0;
    let mut warnings = 0;
    for d in results.iter().flat_map(|r| &r.diagnostics).chain(extra) {
        if d.is_error() {
            errors += 1;
        } else {
            warnings += 1;
        }
        if !out.json {
            out.diag(d);
        }
        if crate::sync::github::active() && (d.is_error() || !out.quiet) {
            crate::sync::github::annotate(d);
        }
    }
    let mut ignored: std::collections::BTreeMap<&str, usize> = Default::default();
    for r in results {
        for k in &r.ignored_keys {
            *ignored.entry(k.as_str()).or_default() += 1;
        }
    }
    if !ignored.is_empty() && !out.json {
        let list: Vec<String> = ignored.iter().map(|(k, n)| format!("{k} ({n})")).collect();
        out.diag(
            &Diagnostic::warning("front matter", format!("keys wxsync does not use were ignored: {}", list.join(", ")))
                .with_help("the number is how many articles set each; see the front matter reference in the README"),
        );
    }
    (errors, warnings)
}
