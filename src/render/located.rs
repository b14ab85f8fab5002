//! Where a render's diagnostics point: the article's file, and a byte range of its body or a
//! key of its front matter; and how many one article reports.

use std::sync::Arc;

use crate::diag::Diagnostic;
use crate::site::Article;
use crate::site::yamlpos::key_offset;

/// The most diagnostics one article reports; one more says how many were left out. Each is
/// located by counting the lines before it and printed with its line, so a problem repeated
/// in every line (an image that is missing, 100,000 times) would cost more than the render.
pub const MAX_DIAGNOSTICS: usize = 100;

/// A render's diagnostics, and how they point into the article's file.
pub struct Located<'a> {
    pub file: &'a str,
    pub src: &'a Arc<str>,
    /// Where the body starts in `src`.
    base: usize,
    list: Vec<Diagnostic>,
    /// Errors and warnings past [`MAX_DIAGNOSTICS`], counted only.
    left_out: (usize, usize),
}

impl<'a> Located<'a> {
    pub fn new(article: &'a Article) -> Located<'a> {
        Located {
            file: article.path.as_str(),
            src: &article.source,
            base: article.body_offset,
            list: Vec::new(),
            left_out: (0, 0),
        }
    }

    /// False (and `d` counted) once the list is full.
    fn room(&mut self, d: &Diagnostic) -> bool {
        if self.list.len() < MAX_DIAGNOSTICS {
            return true;
        }
        if d.is_error() {
            self.left_out.0 += 1;
        } else {
            self.left_out.1 += 1;
        }
        false
    }

    pub fn push(&mut self, d: Diagnostic) {
        if self.room(&d) {
            self.list.push(d);
        }
    }

    /// At a byte range of the body.
    pub fn push_at_body(&mut self, d: Diagnostic, range: std::ops::Range<usize>) {
        if self.room(&d) {
            let d = d.at(self.src, self.base + range.start, self.base + range.end);
            self.list.push(d);
        }
    }

    /// At a front matter key, when the front matter has it.
    pub fn push_at_key(&mut self, d: Diagnostic, key: &str) {
        if !self.room(&d) {
            return;
        }
        let d = match self.key_offset(key) {
            Some(o) => d.at(self.src, o, o + key.len()),
            None => d,
        };
        self.list.push(d);
    }

    /// The diagnostics so far.
    pub fn list(&self) -> &[Diagnostic] {
        &self.list
    }

    /// The diagnostics, and one saying how many were left out (an error if any of them was).
    pub fn into_list(mut self) -> Vec<Diagnostic> {
        let (errors, warnings) = self.left_out;
        if errors + warnings > 0 {
            let message = format!(
                "{} more problems in this article are not shown ({errors} errors, \
                 {warnings} warnings)",
                errors + warnings
            );
            let d = if errors > 0 {
                Diagnostic::error(self.file, message)
            } else {
                Diagnostic::warning(self.file, message)
            };
            self.list.push(
                d.with_help("fix the ones shown (they are often the same mistake) and check again"),
            );
        }
        self.list
    }

    fn key_offset(&self, key: &str) -> Option<usize> {
        if !self.src.starts_with("---") {
            return None;
        }
        let yaml_start = self.src.find('\n').map(|i| i + 1)?;
        key_offset(&self.src[yaml_start..self.base.max(yaml_start)], &[key]).map(|o| yaml_start + o)
    }
}
