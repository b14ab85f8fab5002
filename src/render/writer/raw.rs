//! Raw HTML: written through as the author gave it, then sanitized with the top-level block
//! (or footnote) that holds it. Sanitizing per block, not per article, means an unclosed tag
//! in one block cannot swallow or restyle the blocks after it. A block nested too deep for the
//! sanitizer's parser to take in linear time is refused instead, and consecutive blocks that
//! leave nothing open share one sanitizer pass (see [`Batch`]).

use std::ops::Range;

use super::{Notice, Writer};
use crate::render::html::is_only_comments;
use crate::render::{rewrite, sanitize, shape};

/// The top-level block being written.
#[derive(Default)]
pub(super) struct TopBlock {
    /// Nesting depth of block and inline tags; 0 between top-level blocks.
    depth: usize,
    /// Where the block starts in the output, and in the source.
    pub(super) start: usize,
    pub(super) src_start: usize,
    /// The block holds raw HTML and must be sanitized when it ends.
    pub(super) raw: bool,
    /// Where each piece of raw HTML in the block was written (in the output being written)
    /// and where it is in the body: to point at the one that nests too deep.
    pub(super) marks: Vec<(usize, usize)>,
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

/// Top-level blocks with raw HTML waiting to be sanitized together. A sanitizer pass costs
/// microseconds however small its fragment (an article of 400,000 one-tag blocks took
/// seconds), and blocks that leave no element, comment or raw text open
/// ([`shape::self_contained`]) parse together exactly as apart: they go through one pass,
/// separated by a character the sanitizer keeps, and are split again after it.
#[derive(Default)]
pub(super) struct Batch {
    /// The blocks' HTML, separated by [`SEPARATOR`].
    html: String,
    /// Each block's range in the body, for the diagnostics of its images.
    blocks: Vec<Range<usize>>,
    /// Where the blocks were in the output.
    at: usize,
}

impl Batch {
    pub(super) fn len(&self) -> usize {
        self.html.len()
    }
}

/// Text no fragment holds (a block holding it is sanitized alone): a private-use character.
const SEPARATOR: char = '\u{E000}';

/// The most sanitizer passes one article may need. Blocks that leave elements open are
/// sanitized one by one, at some microseconds each: past this many (more blocks than an
/// article WeChat takes has), the article is refused.
pub const MAX_PASSES: usize = 20_000;

/// True when the fragment has an `<img` tag, in any letter case.
fn has_img(html: &str) -> bool {
    html.as_bytes()
        .windows(4)
        .any(|w| w.eq_ignore_ascii_case(b"<img"))
}

impl Writer<'_, '_> {
    /// A raw HTML block starting at `src` in the body.
    pub(super) fn raw_block(&mut self, html: &str, src: usize) {
        if is_only_comments(html) {
            return;
        }
        self.raw_html(html, src);
    }

    pub(super) fn html_block_end(&mut self) {
        if let super::Capture::HtmlBlock(html, src) = std::mem::take(&mut self.capture) {
            self.raw_block(&html, src);
        }
    }

    pub(super) fn inline_html(&mut self, html: &str, src: usize) {
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
        self.raw_html(html, src);
    }

    fn raw_html(&mut self, html: &str, src: usize) {
        self.result.raw_html = true;
        self.block.raw = true;
        self.block.marks.push((self.out.len(), src));
        self.out.push_str(html);
    }

    /// Drops the raw HTML written and not yet sanitized (the writer stopped): it is never
    /// shown, not even in a preview.
    pub(super) fn discard_unsanitized(&mut self) {
        self.capture = super::Capture::None;
        self.batch = Batch::default();
        if let Some(open) = self.notes.open.take() {
            self.out = open.article;
            self.block.raw = open.outer_raw;
        }
        if self.block.raw {
            self.out.truncate(self.block.start.min(self.out.len()));
            self.block.raw = false;
        }
    }

    /// Sanitizes the top-level block if it holds raw HTML; it ends at `src_end` in the source.
    /// A block that leaves nothing open waits in the batch for the blocks after it.
    pub(super) fn sanitize_block(&mut self, src_end: usize) {
        let start = self.block.start.min(self.out.len());
        if self.batch.blocks.is_empty() {
            self.batch.at = start;
        }
        if !std::mem::take(&mut self.block.raw) {
            // wxsync's own HTML, final: the batch goes before it, if it wrote anything.
            if self.out.len() > start {
                self.flush_batch();
            }
            return;
        }
        {
            let src = self.block.src_start..src_end;
            let fragment = &self.out[start..];
            // Images are resolved in the order they come (the first may become the cover):
            // a block with one is sanitized alone, where it is.
            if shape::too_deep(fragment, shape::MAX_DEPTH).is_none()
                && !fragment.contains(SEPARATOR)
                && !has_img(fragment)
                && shape::self_contained(fragment)
            {
                if !self.batch.blocks.is_empty() {
                    self.batch.html.push(SEPARATOR);
                }
                self.batch.html.push_str(fragment);
                self.batch.blocks.push(src);
                self.out.truncate(start);
                return;
            }
            self.sanitize_from(start, src);
        }
        self.flush_batch();
    }

    /// Counts a sanitizer pass; false (and the writer stopped) past [`MAX_PASSES`].
    fn count_pass(&mut self, src: usize) -> bool {
        self.passes += 1;
        if self.passes > MAX_PASSES {
            self.stop(Notice::TooManyPasses(src));
            return false;
        }
        true
    }

    /// Sanitizes the blocks waiting in the batch, in one pass, and puts them where they were.
    pub(super) fn flush_batch(&mut self) {
        if self.batch.blocks.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut self.batch);
        if !self.count_pass(batch.blocks.first().map_or(0, |r| r.start)) {
            return;
        }
        let (cleaned, pending) = sanitize::clean(&batch.html);
        let pieces: Vec<&str> = cleaned.split(SEPARATOR).collect();
        let mut html = String::with_capacity(cleaned.len());
        if pieces.len() == batch.blocks.len() {
            // Each block's images resolved with its own range, from its last to its first,
            // blocks in order: what sanitizing them one by one did.
            let mut resolved = vec![String::new(); pending.len()];
            for (piece, range) in pieces.iter().zip(&batch.blocks) {
                for n in sanitize::pending_indices(piece).into_iter().rev() {
                    if let (Some(raw), Some(slot)) = (pending.get(n), resolved.get_mut(n)) {
                        *slot = (self.resolve)(raw, range.clone());
                    }
                }
            }
            for piece in pieces {
                let filled = sanitize::fill_pending(piece, &resolved);
                html.push_str(&themed(&filled, self.opt.theme));
            }
        } else {
            // The separators did not come through one per block: each block on its own.
            for (fragment, range) in batch.html.split(SEPARATOR).zip(batch.blocks) {
                html.push_str(&self.clean_fragment(fragment, range));
            }
        }
        let at = batch.at.min(self.out.len());
        let after = self.out.split_off(at);
        self.out.push_str(&html);
        self.out.push_str(&after);
    }

    /// Replaces what was written since `start` by its sanitized form: the one place the writer
    /// rewrites its output, as the sanitizer needs the whole fragment to balance its tags.
    /// `src` is the fragment's source range, for the diagnostics of its images.
    pub(super) fn sanitize_from(&mut self, start: usize, src: Range<usize>) {
        let start = start.min(self.out.len());
        let fragment = self.out.split_off(start);
        if !self.count_pass(src.start) {
            return;
        }
        if let Some(at) = shape::too_deep(&fragment, shape::MAX_DEPTH) {
            // The piece of raw HTML holding the tag that goes too deep (else the block).
            let piece = self
                .block
                .marks
                .iter()
                .rev()
                .find(|(o, _)| *o <= start + at);
            self.stop(Notice::HtmlTooDeep(piece.map_or(src.start, |&(_, s)| s)));
            return;
        }
        let cleaned = self.clean_fragment(&fragment, src);
        self.out.push_str(&cleaned);
    }

    /// Sanitizes a fragment with raw HTML: ammonia's allowlist, the user's local images
    /// resolved to placeholders, and the theme's style on user elements that have none.
    fn clean_fragment(&mut self, html: &str, range: Range<usize>) -> String {
        let (cleaned, pending) = sanitize::clean(html);
        // Resolved from the last image to the first, as they always were (the first one
        // resolved may become the cover), then put in place in one pass. Only those still
        // there: an image inside hidden HTML went with it.
        let mut resolved = vec![String::new(); pending.len()];
        for n in sanitize::pending_indices(&cleaned).into_iter().rev() {
            if let (Some(raw), Some(slot)) = (pending.get(n), resolved.get_mut(n)) {
                *slot = (self.resolve)(raw, range.clone());
            }
        }
        let cleaned = sanitize::fill_pending(&cleaned, &resolved);
        themed(&cleaned, self.opt.theme)
    }
}

/// Sanitized HTML as the writer's own: whitespace in `<pre>` spelled out, user structures
/// rewritten into wxsync's (while the author's styles are still told from the theme's), then
/// the theme's style on user elements that have none.
fn themed(cleaned: &str, theme: &crate::render::Theme) -> String {
    sanitize::restyle(
        &rewrite::restructure(&sanitize::spell_out_pre(cleaned), theme),
        theme,
    )
}
