//! Paragraphs, headings and block quotes (with GitHub's `> [!NOTE]` alerts, titled in the
//! site's language or by the author, `> [!TIP] Title`), and the first paragraph of a list
//! item or footnote, which is inlined after its marker.

use std::ops::Range;

use pulldown_cmark::{BlockQuoteKind, Event, HeadingLevel, Tag, TagEnd};

use super::{Capture, Writer};
use crate::render::html::escape_text;
use crate::render::theme::El;
use crate::render::words;

/// Events of a quote's first line held back at most: a title is one line of text.
const HEAD_EVENTS: usize = 32;

/// How paragraphs open.
#[derive(Default)]
pub(super) struct Paras {
    /// For each open paragraph: whether a `<p>` was written.
    written: Vec<bool>,
    /// Where the innermost `<p>` written begins and where its content begins, to take it
    /// out again when nothing went in it (display math ended it or began it).
    opened: Option<(usize, usize)>,
    /// That `<p>` was opened again after display math (an empty one is then not written).
    reopened: bool,
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
            self.open_p();
        }
        self.paras.written.push(written);
    }

    fn open_p(&mut self) {
        let el = if self.paras.quote_depth > 0 {
            El::BlockquoteP
        } else {
            El::P
        };
        let at = self.out.len();
        self.open(el, "p");
        self.paras.opened = Some((at, self.out.len()));
        self.paras.reopened = false;
    }

    /// Ends the `<p>` written and open here, if any, for a block that may not be inside one;
    /// an empty one is taken out. True when a `<p>` was open.
    pub(super) fn leave_paragraph(&mut self) -> bool {
        if self.paras.written.last() != Some(&true) {
            return false;
        }
        self.close_p(true);
        true
    }

    /// Opens the paragraph again after such a block.
    pub(super) fn reopen_paragraph(&mut self) {
        self.open_p();
        self.paras.reopened = true;
        self.flow.pending_soft = false;
    }

    /// `</p>`, or the `<p>` taken out when nothing was written in it.
    fn close_p(&mut self, drop_empty: bool) {
        match self.paras.opened.take() {
            Some((at, content))
                if drop_empty
                    && self.out.len() == content
                    && self.out.get(at..).is_some_and(|t| t.starts_with("<p")) =>
            {
                self.out.truncate(at);
            }
            _ => self.close("p"),
        }
    }

    pub(super) fn paragraph_end(&mut self) {
        if self.paras.written.pop().unwrap_or(true) {
            let reopened = self.paras.reopened;
            self.close_p(reopened);
        }
        self.paras.opened = None;
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

    /// A plain block quote.
    fn blockquote_start(&mut self) {
        self.paras.inline_next = false;
        self.paras.quote_depth += 1;
        self.open(El::Blockquote, "blockquote");
    }

    /// An alert: a quote with its type's colours and a title line, the author's or the
    /// type's name in the site's language.
    pub(super) fn alert_start(&mut self, kind: BlockQuoteKind, title: Option<&str>) {
        self.paras.inline_next = false;
        self.paras.quote_depth += 1;
        let (boxed, titled) = alert_elements(kind);
        self.open_tag(
            "blockquote",
            "",
            &[self.style(El::Blockquote), self.style(boxed)],
        );
        self.open_tag("p", "", &[self.style(El::AlertTitle), self.style(titled)]);
        self.out.push_str(words::alert_icon(kind));
        self.out.push(' ');
        match title {
            Some(t) => escape_text(t, &mut self.out),
            None => self
                .out
                .push_str(words::alert_title(self.opt.language, kind)),
        }
        self.close("p");
    }

    /// The first events of a block quote without an alert tag of GFM's: held until its first
    /// line shows whether it reads `[!TYPE] Title`, then written as an alert or a quote.
    pub(super) fn quote_head(&mut self, event: Event<'_>, range: Range<usize>) {
        let Capture::QuoteHead(held) = &mut self.capture else {
            return;
        };
        let more = match &event {
            Event::Start(Tag::Paragraph) => held.is_empty(),
            Event::Text(_) => !held.is_empty() && held.len() < HEAD_EVENTS,
            _ => false,
        };
        if more {
            held.push((event.into_static(), range));
            return;
        }
        let held = std::mem::take(held);
        self.capture = Capture::None;
        let line_ends = matches!(
            event,
            Event::SoftBreak | Event::HardBreak | Event::End(TagEnd::Paragraph)
        );
        let text: String = held
            .iter()
            .filter_map(|(e, _)| match e {
                Event::Text(t) => Some(t.as_ref()),
                _ => None,
            })
            .collect();
        match titled_alert(&text).filter(|_| line_ends) {
            Some((kind, title)) => {
                self.alert_start(kind, Some(title));
                if !matches!(event, Event::End(TagEnd::Paragraph)) {
                    // The rest of the first paragraph follows the title line.
                    self.paragraph_start();
                }
            }
            None => {
                self.blockquote_start();
                for (e, r) in held {
                    self.render(e, r);
                }
                self.dispatch(event, range);
            }
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

/// The box and title elements of an alert type.
fn alert_elements(kind: BlockQuoteKind) -> (El, El) {
    match kind {
        BlockQuoteKind::Note => (El::AlertNote, El::AlertNoteTitle),
        BlockQuoteKind::Tip => (El::AlertTip, El::AlertTipTitle),
        BlockQuoteKind::Important => (El::AlertImportant, El::AlertImportantTitle),
        BlockQuoteKind::Warning => (El::AlertWarning, El::AlertWarningTitle),
        BlockQuoteKind::Caution => (El::AlertCaution, El::AlertCautionTitle),
    }
}

/// `[!TYPE] Title` (a known type, a title after it): the type and the title.
fn titled_alert(line: &str) -> Option<(BlockQuoteKind, &str)> {
    let rest = line.trim_start().strip_prefix("[!")?;
    let (word, title) = rest.split_once(']')?;
    let kind = words::alert_kind(word)?;
    let title = title.trim();
    (!title.is_empty() && title.len() < line.len()).then_some((kind, title))
}

#[cfg(test)]
mod tests {
    use super::titled_alert;
    use pulldown_cmark::BlockQuoteKind;

    #[test]
    fn titled_alerts() {
        assert_eq!(
            titled_alert("[!IMPORTANT] 升级前必读"),
            Some((BlockQuoteKind::Important, "升级前必读"))
        );
        assert_eq!(
            titled_alert("[!tip]  Try it"),
            Some((BlockQuoteKind::Tip, "Try it"))
        );
        assert_eq!(titled_alert("[!NOTE]"), None);
        assert_eq!(titled_alert("[!DANGER] x"), None);
        assert_eq!(titled_alert("see [!NOTE] x"), None);
    }
}
