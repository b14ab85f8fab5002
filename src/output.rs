//! What wxsync says, and where: machine-readable documents on stdout, diagnostics and human
//! messages on stderr, colour when asked for or when stderr is a terminal. A closed stdout
//! (`wxsync check --json | head -c1`) ends the output quietly, as ripgrep does.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};

use serde::Serialize;

use crate::cli::ColorChoice;
use crate::diag::Diagnostic;
use crate::error::Error;
use crate::render::{ArticleResult, Payload};
use crate::sync::github;

/// How human output is written.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
    pub quiet: bool,
    pub verbose: u8,
    pub color: bool,
}

impl Output {
    pub fn new(json: bool, quiet: bool, verbose: u8, color: ColorChoice) -> Output {
        let color = match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stderr().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none()
                    && !github::active()
            }
        };
        Output {
            json,
            quiet,
            verbose,
            color,
        }
    }

    /// Prints a diagnostic on stderr (warnings are hidden by `-q`).
    pub fn diag(&self, d: &Diagnostic) {
        if self.quiet && !d.is_error() {
            return;
        }
        human(&d.render(self.color));
    }

    /// A human message on stderr, unless `-q`.
    pub fn info(&self, msg: &str) {
        if !self.quiet {
            human(&format!("{msg}\n"));
        }
    }

    /// A document (JSON) on stdout. A reader that has gone away is not an error: the rest is
    /// dropped.
    pub fn document(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{text}").and_then(|()| out.flush());
    }

    /// The error that ended a command, as the user reads it.
    pub fn error(&self, e: &Error) {
        if let Error::Invalid(diags) = e {
            for d in diags {
                human(&d.render(self.color));
            }
            return;
        }
        let mut text = format!("error: {e}\n");
        if let Some(help) = e.help() {
            text.push_str(&format!("  help: {help}\n"));
        }
        human(&text);
    }

    /// Prints every diagnostic and the one "ignored front matter keys" warning (and, in
    /// Actions, annotates them); returns the numbers of errors and warnings.
    pub fn diagnostics(&self, results: &[ArticleResult], extra: &[Diagnostic]) -> (usize, usize) {
        let mut errors = 0;
        let mut warnings = 0;
        for d in results.iter().flat_map(|r| &r.diagnostics).chain(extra) {
            if d.is_error() {
                errors += 1;
            } else {
                warnings += 1;
            }
            if !self.json {
                self.diag(d);
            }
            if github::active() && (d.is_error() || !self.quiet) {
                github::annotate(d);
            }
        }
        let mut ignored: BTreeMap<&str, usize> = BTreeMap::new();
        for r in results {
            for k in &r.ignored_keys {
                *ignored.entry(k.as_str()).or_default() += 1;
            }
        }
        if !ignored.is_empty() && !self.json {
            let list: Vec<String> = ignored.iter().map(|(k, n)| format!("{k} ({n})")).collect();
            self.diag(
                &Diagnostic::warning("front matter", format!("keys wxsync does not use were ignored: {}", list.join(", ")))
                    .with_help("the number is how many articles set each; see the front matter reference in the README"),
            );
        }
        (errors, warnings)
    }
}

/// Human text on stderr: never a workflow command in Actions ([`github::defuse`]), and a
/// closed stderr is not an error.
pub fn human(text: &str) {
    let _ = std::io::stderr().write_all(github::defuse(text).as_bytes());
}

/// `--json` for `check` and `render` (DESIGN §5).
#[derive(Serialize)]
struct JsonReport<'a> {
    articles: Vec<JsonArticle<'a>>,
}

#[derive(Serialize)]
struct JsonArticle<'a> {
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<&'a Payload>,
    warnings: Vec<&'a Diagnostic>,
    errors: Vec<&'a Diagnostic>,
}

/// The `--json` document of `check` and `render`: every article, with its payload when it has
/// no error; site-wide problems (`drafts:`, globs, file names) under the file they concern.
pub fn json_report(results: &[ArticleResult], site: &[Diagnostic]) -> String {
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
    let mut files: BTreeMap<&str, (Vec<&Diagnostic>, Vec<&Diagnostic>)> = BTreeMap::new();
    for d in site {
        let slot = files.entry(d.file.as_str()).or_default();
        if d.is_error() {
            slot.1.push(d);
        } else {
            slot.0.push(d);
        }
    }
    for (path, (warnings, errors)) in files {
        articles.push(JsonArticle {
            path,
            payload: None,
            warnings,
            errors,
        });
    }
    serde_json::to_string_pretty(&JsonReport { articles }).unwrap_or_else(|_| "{}".to_string())
}

/// `s` for a count other than one.
pub fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
