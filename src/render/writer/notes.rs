//! Numbered notes: footnotes and link references, each listed at the end of the article and
//! numbered 1…n on its own, so neither list has gaps. Their marks differ so the reader can
//! tell them apart: a reference is `[n]`, a footnote a circled ① (see [`note_mark`]).
//! Footnote bodies are written aside as they come.

use std::collections::HashMap;

use super::Writer;
use crate::render::html::escape_text;
use crate::render::links::References;
use crate::render::theme::El;
use crate::render::words;

#[derive(Default)]
pub(super) struct Notes {
    /// The last number given to a footnote.
    counter: usize,
    /// The last number given to a reference.
    ref_counter: usize,
    /// The number each footnote label was given.
    numbers: HashMap<String, usize>,
    /// Each footnote's label and rendered body, in the order defined.
    bodies: Vec<(String, String)>,
    /// The bytes of those bodies.
    pub(super) written: usize,
    refs: References,
    /// The footnote definition being written.
    pub(super) open: Option<OpenNote>,
}

/// A footnote definition being written.
pub(super) struct OpenNote {
    label: String,
    /// The article's output, set aside meanwhile.
    pub(super) article: String,
    /// Whether the block around the footnote already held raw HTML: the footnote is sanitized
    /// on its own, and the block around it must still be when it closes.
    pub(super) outer_raw: bool,
}

impl Notes {
    fn number_of(&self, label: &str) -> Option<usize> {
        self.numbers.get(label).copied()
    }

    /// The footnote's number, given on first use (a reference or the definition).
    fn footnote(&mut self, label: &str) -> usize {
        if let Some(n) = self.number_of(label) {
            return n;
        }
        self.counter += 1;
        self.numbers.insert(label.to_string(), self.counter);
        self.counter
    }

    /// The number of a link's reference; `title` is its text at first use.
    pub(super) fn reference(&mut self, url: &str, title: &str) -> usize {
        self.refs.number(url, title, &mut self.ref_counter)
    }
}

/// A footnote's mark: ① to ㊿ (one glyph, so it cannot wrap), then `(n)`.
pub(super) fn note_mark(n: usize) -> String {
    let code = match n {
        1..=20 => 0x2460 + n - 1,
        21..=35 => 0x3251 + n - 21,
        36..=50 => 0x32B1 + n - 36,
        _ => return format!("({n})"),
    };
    u32::try_from(code)
        .ok()
        .and_then(char::from_u32)
        .map_or_else(|| format!("({n})"), String::from)
}

impl Writer<'_, '_> {
    /// `[n]` after a link turned into a reference.
    pub(super) fn ref_mark(&mut self, n: usize) {
        self.open(El::RefMark, "sup");
        self.out.push_str(&format!("[{n}]"));
        self.close("sup");
    }

    pub(super) fn footnote_reference(&mut self, label: &str) {
        let n = self.notes.footnote(label);
        self.flush_soft(None);
        self.open(El::NoteMark, "sup");
        self.out.push_str(&note_mark(n));
        self.close("sup");
    }

    pub(super) fn footnote_start(&mut self, label: &str) {
        let n = self.notes.footnote(label);
        let article = std::mem::take(&mut self.out);
        self.notes.open = Some(OpenNote {
            label: label.to_string(),
            article,
            outer_raw: std::mem::take(&mut self.block.raw),
        });
        self.open(El::Note, "section");
        self.out.push_str(&note_mark(n));
        self.out.push_str("&nbsp;");
        self.paras.inline_next = true;
    }

    pub(super) fn footnote_end(&mut self) {
        self.paras.inline_next = false;
        self.close("section");
        let Some(open) = self.notes.open.take() else {
            return;
        };
        if std::mem::take(&mut self.block.raw) {
            let at = self.block.src_start;
            self.sanitize_from(0, at..at);
        }
        let body = std::mem::replace(&mut self.out, open.article);
        self.notes.written += body.len();
        self.notes.bodies.push((open.label, body));
        self.block.raw = open.outer_raw;
    }

    /// The footnotes (in the order of their numbers), then the references.
    pub(super) fn write_notes(&mut self) {
        if !self.notes.bodies.is_empty() {
            let mut bodies = std::mem::take(&mut self.notes.bodies);
            bodies.sort_by_key(|(label, _)| self.notes.number_of(label).unwrap_or(usize::MAX));
            self.open(El::NotesTitle, "p");
            self.out.push_str(words::notes_title(self.opt.language));
            self.close("p");
            self.open(El::Notes, "section");
            for (_, body) in bodies {
                self.out.push_str(&body);
            }
            self.close("section");
        }
        if !self.notes.refs.list.is_empty() {
            self.open(El::RefsTitle, "p");
            self.out.push_str(words::refs_title(self.opt.language));
            self.close("p");
            self.open(El::Refs, "section");
            for r in std::mem::take(&mut self.notes.refs.list) {
                self.open(El::Ref, "p");
                self.out.push_str(&format!("[{}]&nbsp;", r.number));
                if !r.title.is_empty() && r.title != r.url {
                    escape_text(&r.title, &mut self.out);
                    self.out.push_str(": ");
                }
                self.open(El::RefUrl, "span");
                escape_text(&r.url, &mut self.out);
                self.close("span");
                self.close("p");
            }
            self.close("section");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::note_mark;

    #[test]
    fn note_marks_are_one_glyph_up_to_fifty() {
        assert_eq!(note_mark(1), "①");
        assert_eq!(note_mark(20), "⑳");
        assert_eq!(note_mark(21), "㉑");
        assert_eq!(note_mark(35), "㉟");
        assert_eq!(note_mark(36), "㊱");
        assert_eq!(note_mark(50), "㊿");
        assert_eq!(note_mark(51), "(51)");
        for n in 1..=50 {
            assert_eq!(note_mark(n).chars().count(), 1, "{n}");
        }
    }
}
