//! Numbered notes: footnotes and link references share one counter, so every `[n]` in an
//! article is unambiguous. Footnote bodies are written aside as they come and listed, with
//! the references, at the end of the article.

use std::collections::HashMap;

use super::Writer;
use crate::render::html::escape_text;
use crate::render::links::References;
use crate::render::theme::El;

#[derive(Default)]
pub(super) struct Notes {
    /// The last number given, to a footnote or a reference.
    counter: usize,
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
        self.refs.number(url, title, &mut self.counter)
    }
}

impl Writer<'_, '_> {
    /// `[n]` after a footnote reference or a link.
    pub(super) fn ref_mark(&mut self, n: usize) {
        self.open(El::RefMark, "sup");
        self.out.push_str(&format!("[{n}]"));
        self.close("sup");
    }

    pub(super) fn footnote_reference(&mut self, label: &str) {
        let n = self.notes.footnote(label);
        self.flush_soft(None);
        self.ref_mark(n);
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
        self.out.push_str(&format!("[{n}]&nbsp;"));
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
            self.out.push_str("注释");
            self.close("p");
            self.open(El::Notes, "section");
            for (_, body) in bodies {
                self.out.push_str(&body);
            }
            self.close("section");
        }
        if !self.notes.refs.list.is_empty() {
            self.open(El::RefsTitle, "p");
            self.out.push_str("参考资料");
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
