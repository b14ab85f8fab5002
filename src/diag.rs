//! Diagnostics: a message about a place in a file (errors and warnings), and how it is shown.
//!
//! Every problem a user can fix is a [`Diagnostic`] that names the file, and where it is known
//! the line and column. They are collected rather than thrown, so one run reports every
//! problem at once, and rendered once at the edge (human text on stderr or JSON on stdout).

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use crate::wechat::redact;

/// The longest source line a code frame quotes.
const MAX_FRAMED_LINE: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A problem with a file, optionally pointing into its text.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    #[serde(skip)]
    pub severity: Severity,
    /// Path as shown to the user (relative to the site root when inside it).
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The text the position refers to, kept to print a snippet.
    #[serde(skip)]
    pub source: Option<Arc<str>>,
    /// Byte range inside `source`.
    #[serde(skip)]
    pub span: Option<(usize, usize)>,
}

impl Diagnostic {
    pub fn error(file: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, file, message)
    }

    pub fn warning(file: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, file, message)
    }

    fn new(severity: Severity, file: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            file: file.into(),
            line: None,
            column: None,
            message: redact::scrub(&message.into()),
            help: None,
            source: None,
            span: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(redact::scrub(&help.into()));
        self
    }

    /// Points the diagnostic at a byte range of `source`; line and column are derived from it.
    pub fn at(mut self, source: &Arc<str>, start: usize, end: usize) -> Self {
        let start = floor_char_boundary(source, start.min(source.len()));
        let end = floor_char_boundary(source, end.clamp(start, source.len()));
        let (line, column) = line_col(source, start);
        self.line = Some(line);
        self.column = Some(column);
        self.source = Some(source.clone());
        self.span = Some((start, end));
        self
    }

    /// Points at a line and column without a source snippet.
    pub fn at_line(mut self, line: usize, column: usize) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:line:column` (or less, when the position is unknown).
    pub fn location(&self) -> String {
        match (self.line, self.column) {
            (Some(l), Some(c)) => format!("{}:{}:{}", self.file, l, c),
            (Some(l), None) => format!("{}:{}", self.file, l),
            _ => self.file.clone(),
        }
    }

    /// Renders the diagnostic for a terminal. With a source snippet it goes through miette's
    /// graphical handler (message, `file:line:column`, the line with the span underlined, help);
    /// without one it is a single `severity: file: message` line.
    pub fn render(&self, color: bool) -> String {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        // A frame quotes whole lines: one that is megabytes long (a `data:` URI, minified
        // HTML) would bury the message, so such a diagnostic is shown without one.
        let framed = self
            .source
            .as_ref()
            .zip(self.span)
            .filter(|(src, (start, end))| {
                let from = src[..*start].rfind('\n').map_or(0, |i| i + 1);
                let to = src[*end..].find('\n').map_or(src.len(), |i| end + i);
                to - from <= MAX_FRAMED_LINE
            });
        if let Some((src, (start, end))) = framed {
            let mut d = miette::MietteDiagnostic::new(format!("{label}: {}", self.message))
                .with_severity(match self.severity {
                    Severity::Error => miette::Severity::Error,
                    Severity::Warning => miette::Severity::Warning,
                })
                .with_label(miette::LabeledSpan::underline(
                    start..end.max(start + 1).min(src.len().max(start)),
                ));
            if let Some(help) = &self.help {
                d = d.with_help(help.clone());
            }
            // The frame quotes the file: whatever it holds, no credential is shown.
            let report = miette::Report::new(d).with_source_code(miette::NamedSource::new(
                self.file.clone(),
                redact::mask_source(src),
            ));
            let theme = if color {
                miette::GraphicalTheme::unicode()
            } else {
                miette::GraphicalTheme::unicode_nocolor()
            };
            let mut out = String::new();
            let handler = miette::GraphicalReportHandler::new_themed(theme).with_context_lines(1);
            if handler.render_report(&mut out, report.as_ref()).is_ok() {
                return redact::scrub(&out);
            }
        }
        let mut out = if color {
            let paint = if self.is_error() {
                "\x1b[1;31m"
            } else {
                "\x1b[1;33m"
            };
            format!(
                "{paint}{label}\x1b[0m: {}: {}\n",
                self.location(),
                self.message
            )
        } else {
            format!("{label}: {}: {}\n", self.location(), self.message)
        };
        if let Some(help) = &self.help {
            out.push_str(&format!("  help: {help}\n"));
        }
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location(), self.message)?;
        if let Some(help) = &self.help {
            write!(f, " ({help})")?;
        }
        Ok(())
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Levenshtein distance, for "did you mean" suggestions.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The known name closest to `name`, if it is within `max` edits.
pub fn closest<'a>(name: &str, known: &[&'a str], max: usize) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (edit_distance(name, k), *k))
        .filter(|(d, _)| *d <= max)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("autor", "author"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(closest("themes", &["theme", "links"], 2), Some("theme"));
        assert_eq!(closest("zzz", &["theme"], 2), None);
    }

    #[test]
    fn a_huge_line_is_not_quoted() {
        let src: Arc<str> = Arc::from(format!(
            "a\n![x](data:image/png;base64,{})\n",
            "A".repeat(50_000)
        ));
        let shown = Diagnostic::error("f.md", "bad")
            .at(&src, 2, 10)
            .render(false);
        assert!(shown.len() < 500, "{}", shown.len());
        assert!(shown.contains("f.md:2:1"), "{shown}");
    }

    #[test]
    fn positions() {
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("标题\nx", 3), (1, 2));
        let src: Arc<str> = Arc::from("a: 1\nautor: x\n");
        let d = Diagnostic::error("f.md", "bad").at(&src, 5, 10);
        assert_eq!(d.location(), "f.md:2:1");
        let shown = d.render(false);
        assert!(shown.contains("f.md:2:1"), "{shown}");
        assert!(shown.contains("autor: x"), "{shown}");
    }
}
