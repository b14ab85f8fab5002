//! Paragraphs, headings and block quotes (with GitHub's `> [!NOTE]` alerts), and the first
//! paragraph of a list item or footnote, which is inlined after its marker.

use pulldown_cmark::{BlockQuoteKind, HeadingLevel};

use super::Writer;
use crate::render::theme::El;

/// How paragraphs open.
#[derive(Default)]
pub(super) struct Paras {
    /// For each open paragraph: whether a `<p>` was written.
    written: Vec<bool>,
    /// The next paragraph follows a list item's or footnote's marker: no `<p>` of its own.
    pub(super) inline_next: bool,
    /// Open block quotes: a paragraph inside one takes the quote's paragraph style.
    quote_depth: usize,
}

impl Paras {
    /// The block quotes open here.
    pub(super) fn quote_depth(&self) -> usize {
        self.quote_depth
    }
}

impl Writer<'_, '_> {
    pub(super) fn paragraph_start(&mut self) {
        let written = !std::mem::take(&mut self.paras.inline_next);
        if written {
            let el = if self.paras.quote_depth > 0 {
                El::BlockquoteP
            } else {
                El::P
            };
            self.open(el, "p");
        }
        self.paras.written.push(written);
    }

    pub(super) fn paragraph_end(&mut self) {
        if self.paras.written.pop().unwrap_or(true) {
            self.close("p");
        }
        self.flow.pending_soft = false;
    }

    pub(super) fn heading_start(&mut self, level: HeadingLevel) {
        self.paras.inline_next = false;
        let (el, tag) = heading(level);
        self.open(el, tag);
    }

    pub(super) fn heading_end(&mut self, level: HeadingLevel) {
        self.close(heading(level).1);
        self.flow.pending_soft = false;
    }

    pub(super) fn blockquote_start(&mut self, kind: Option<BlockQuoteKind>) {
        self.paras.inline_next = false;
        self.paras.quote_depth += 1;
        self.open(El::Blockquote, "blockquote");
        if let Some(kind) = kind {
            self.open(El::AlertTitle, "p");
            self.out.push_str(alert_title(kind));
            self.close("p");
        }
    }

    pub(super) fn blockquote_end(&mut self) {
        self.paras.quote_depth = self.paras.quote_depth.saturating_sub(1);
        self.close("blockquote");
    }
}

fn heading(level: HeadingLevel) -> (El, &'static str) {
    match level {
        HeadingLevel::H1 => (El::H1, "h1"),
        HeadingLevel::H2 => (El::H2, "h2"),
        HeadingLevel::H3 => (El::H3, "h3"),
        HeadingLevel::H4 => (El::H4, "h4"),
        HeadingLevel::H5 => (El::H5, "h5"),
        HeadingLevel::H6 => (El::H6, "h6"),
    }
}

fn alert_title(kind: BlockQuoteKind) -> &'static str {
    match kind {
        BlockQuoteKind::Note => "ℹ️ Note",
        BlockQuoteKind::Tip => "💡 Tip",
        BlockQuoteKind::Important => "❗ Important",
        BlockQuoteKind::Warning => "⚠️ Warning",
        BlockQuoteKind::Caution => "🛑 Caution",
    }
}
