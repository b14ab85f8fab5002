//! Where a render's diagnostics point: the article's file, and a byte range of its body or a
//! key of its front matter.

use std::sync::Arc;

use crate::diag::Diagnostic;
use crate::site::Article;
use crate::site::yamlpos::key_offset;

/// A render's diagnostics, and how they point into the article's file.
pub struct Located<'a> {
    pub file: &'a str,
    pub src: &'a Arc<str>,
    /// Where the body starts in `src`.
    base: usize,
    pub list: Vec<Diagnostic>,
}

impl<'a> Located<'a> {
    pub fn new(article: &'a Article) -> Located<'a> {
        Located {
            file: article.path.as_str(),
            src: &article.source,
            base: article.body_offset,
            list: Vec::new(),
        }
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.list.push(d);
    }

    /// At a byte range of the body.
    pub fn push_at_body(&mut self, d: Diagnostic, range: std::ops::Range<usize>) {
        let d = d.at(self.src, self.base + range.start, self.base + range.end);
        self.list.push(d);
    }

    /// At a front matter key, when the front matter has it.
    pub fn push_at_key(&mut self, d: Diagnostic, key: &str) {
        let d = match self.key_offset(key) {
            Some(o) => d.at(self.src, o, o + key.len()),
            None => d,
        };
        self.list.push(d);
    }

    fn key_offset(&self, key: &str) -> Option<usize> {
        if !self.src.starts_with("---") {
            return None;
        }
        let yaml_start = self.src.find('\n').map(|i| i + 1)?;
        key_offset(&self.src[yaml_start..self.base.max(yaml_start)], &[key]).map(|o| yaml_start + o)
    }
}
