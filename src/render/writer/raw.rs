//! Raw HTML: written through as the author gave it, then sanitized with the top-level block
//! (or footnote) that holds it. Sanitizing per block, not per article, means an unclosed tag
//! in one block cannot swallow or restyle the blocks after it.

use std::ops::Range;

use super::Writer;
use crate::render::html::{escape_attr, is_only_comments};
use crate::render::sanitize;

/// The top-level block being written.
#[derive(Default)]
pub(super) struct TopBlock {
    /// Nesting depth of block and inline tags; 0 between top-level blocks.
    depth: usize,
    /// Where the block starts in the output, and in the source.
    start: usize,
    pub(super) src_start: usize,
    /// The block holds raw HTML and must be sanitized when it ends.
    pub(super) raw: bool,
}

impl TopBlock {
    /// A tag opens at `out` in the output and `src` in the source.
    pub(super) fn enter(&mut self, out: usize, src: usize) {
        if self.depth == 0 {
            self.start = out;
            self.src_start = src;
            self.raw = false;
        }
        self.depth += 1;
    }

    /// A tag closes; true when that ends the top-level block.
    pub(super) fn leave(&mut self) -> bool {
        self.depth = self.depth.saturating_sub(1);
        self.depth == 0
    }
}

impl Writer<'_, '_> {
    pub(super) fn raw_block(&mut self, html: &str) {
        if is_only_comments(html) {
            return;
        }
        self.raw_html(html);
    }

    pub(super) fn html_block_end(&mut self) {
        if let super::Capture::HtmlBlock(html) = std::mem::take(&mut self.capture) {
            self.raw_block(&html);
        }
    }

    pub(super) fn inline_html(&mut self, html: &str) {
        let t = html.trim();
        if is_only_comments(t) {
            return;
        }
        // A line break is common and harmless: written as wxsync's own, it neither marks the
        // article as holding raw HTML nor costs a sanitizer pass.
        if matches!(t.to_ascii_lowercase().as_str(), "<br>" | "<br/>" | "<br />") {
            self.flow.pending_soft = false;
            self.out.push_str("<br>");
            return;
        }
        self.flush_soft(None);
        self.raw_html(html);
    }

    fn raw_html(&mut self, html: &str) {
        self.result.raw_html = true;
        self.block.raw = true;
        self.out.push_str(html);
    }

    /// Sanitizes the top-level block if it holds raw HTML; it ends at `src_end` in the source.
    pub(super) fn sanitize_block(&mut self, src_end: usize) {
        if std::mem::take(&mut self.block.raw) {
            self.sanitize_from(self.block.start, self.block.src_start..src_end);
        }
    }

    /// Replaces what was written since `start` by its sanitized form: the one place the writer
    /// rewrites its output, as the sanitizer needs the whole fragment to balance its tags.
    /// `src` is the fragment's source range, for the diagnostics of its images.
    pub(super) fn sanitize_from(&mut self, start: usize, src: Range<usize>) {
        let fragment = self.out.split_off(start.min(self.out.len()));
        let cleaned = self.clean_fragment(&fragment, src);
        self.out.push_str(&cleaned);
    }

    /// Sanitizes a fragment with raw HTML: ammonia's allowlist, the user's local images
    /// resolved to placeholders, and the theme's style on user elements that have none.
    fn clean_fragment(&mut self, html: &str, range: Range<usize>) -> String {
        let (mut cleaned, pending) = sanitize::clean(html);
        // From the last marker down, so `…:pending:1` never matches inside `…:pending:10`.
        for (n, raw) in pending.iter().enumerate().rev() {
            let resolved = (self.resolve)(raw, range.clone());
            // The marker sits in a serialized attribute: the URL must be escaped for it.
            let mut escaped = String::with_capacity(resolved.len());
            escape_attr(&resolved, &mut escaped);
            cleaned = cleaned.replace(&sanitize::pending_marker(n), &escaped);
        }
        sanitize::restyle(&sanitize::spell_out_pre(&cleaned), self.opt.theme)
    }
}
