//! Lists: a top-level list is a real `<ul>`/`<ol>` whose items wrap their content in a
//! `<section>`; nested lists are indented sections (WeChat flattens nested `<ul>`). Every
//! item, at every level, carries its bullet or number as text: WeChat resets the styles of
//! `ul > li` and `ol > li`, and a native marker drawn from them (or `<ol start>`) shows
//! differently, or not at all, from one client to the next. A task item shows its box as
//! ✅/⬜ text instead.

use std::collections::VecDeque;
use std::ops::Range;

use pulldown_cmark::{Event, Tag};

use super::Writer;
use crate::render::rewrite::{NO_LIST_ITEM, NO_NATIVE_MARKER};
use crate::render::theme::El;

#[derive(Default)]
pub(super) struct Lists {
    /// The open lists, outermost first; only the outermost is a real `<ul>`/`<ol>`.
    open: Vec<List>,
    /// The task box of the item about to open (see [`tasks_first`]).
    pub(super) task: Option<bool>,
}

struct List {
    ordered: bool,
    /// The number of the next item, for a nested ordered list's markers.
    next: u64,
}

impl Lists {
    /// The lists open here.
    pub(super) fn open_count(&self) -> usize {
        self.open.len()
    }
}

/// Moves each task marker ahead of the item it belongs to, so the item opens knowing whether
/// it is a task: its bullet is then left out, not written and patched away afterwards.
/// pulldown-cmark puts the marker first in the item, or first in the item's first paragraph.
pub(super) fn tasks_first<'e>(
    events: impl Iterator<Item = (Event<'e>, Range<usize>)>,
) -> impl Iterator<Item = (Event<'e>, Range<usize>)> {
    let mut events = events.fuse();
    let mut ahead = VecDeque::new();
    std::iter::from_fn(move || {
        if let Some(e) = ahead.pop_front() {
            return Some(e);
        }
        let item = events.next()?;
        if !matches!(item.0, Event::Start(Tag::Item)) {
            return Some(item);
        }
        ahead.push_back(item);
        for e in events.by_ref() {
            if matches!(e.0, Event::TaskListMarker(_)) {
                return Some(e);
            }
            let paragraph = matches!(e.0, Event::Start(Tag::Paragraph));
            ahead.push_back(e);
            if !paragraph || ahead.len() > 2 {
                break;
            }
        }
        ahead.pop_front()
    })
}

impl Writer<'_, '_> {
    pub(super) fn list_start(&mut self, start: Option<u64>) {
        self.paras.inline_next = false;
        if !self.lists.open.is_empty() {
            self.open(El::NestedList, "section");
        } else if start.is_some() {
            self.open_tag("ol", "", &[self.style(El::Ol), NO_NATIVE_MARKER]);
        } else {
            self.open_tag("ul", "", &[self.style(El::Ul), NO_NATIVE_MARKER]);
        }
        self.lists.open.push(List {
            ordered: start.is_some(),
            next: start.unwrap_or(1),
        });
    }

    pub(super) fn list_end(&mut self, ordered: bool) {
        let nested = self.lists.open.len() > 1;
        self.lists.open.pop();
        if nested {
            self.close("section");
        } else {
            self.close(if ordered { "ol" } else { "ul" });
        }
    }

    pub(super) fn item_start(&mut self) {
        let task = self.lists.task.take();
        match self.lists.open.len() {
            0 => return,
            1 => {
                let (li, section) = (self.style(El::Li), self.style(El::ListItem));
                self.open_tag("li", "", &[li, NO_LIST_ITEM]);
                self.open_tag("section", "", &[section]);
            }
            _ => self.open(El::NestedItem, "section"),
        }
        self.marker(task.is_some());
        if let Some(done) = task {
            self.out
                .push_str(if done { "✅&nbsp;" } else { "⬜&nbsp;" });
        }
        // The item's first paragraph continues the marker's line.
        self.paras.inline_next = true;
        self.flow.last_char = None;
    }

    /// The item's number or bullet as text (• at the top, then ◦ and ▪); a task's box
    /// stands in for a bullet.
    fn marker(&mut self, task: bool) {
        let depth = self.lists.open.len();
        let Some(list) = self.lists.open.last_mut() else {
            return;
        };
        let marker = if list.ordered {
            let n = list.next;
            list.next += 1;
            format!("{n}.&nbsp;")
        } else if task {
            return;
        } else {
            match depth {
                1 => "•&nbsp;",
                2 => "◦&nbsp;",
                _ => "▪&nbsp;",
            }
            .to_string()
        };
        self.open(El::Marker, "span");
        self.out.push_str(&marker);
        self.close("span");
    }

    pub(super) fn item_end(&mut self) {
        self.paras.inline_next = false;
        self.flow.pending_soft = false;
        if self.lists.open.len() == 1 {
            self.out.push_str("</section></li>");
        } else {
            self.close("section");
        }
    }
}

#[cfg(test)]
mod tests {
    use pulldown_cmark::{Event, Parser, Tag};

    use super::tasks_first;
    use crate::render::markdown_options;

    fn events(md: &str) -> Vec<Event<'_>> {
        let parser = Parser::new_ext(md, markdown_options()).into_offset_iter();
        tasks_first(parser).map(|(e, _)| e).collect()
    }

    #[test]
    fn task_markers_come_before_their_items() {
        // Tight (marker first in the item) and loose (first in its paragraph).
        for md in ["- [x] a\n- [ ] b\n", "- [x] a\n\n- [ ] b\n"] {
            let all = events(md);
            let markers: Vec<usize> = (0..all.len())
                .filter(|&i| matches!(all[i], Event::TaskListMarker(_)))
                .collect();
            assert_eq!(markers.len(), 2, "{md:?}: {all:?}");
            for i in markers {
                assert_eq!(all[i + 1], Event::Start(Tag::Item), "{md:?}: {all:?}");
            }
        }
        let plain = "- a\n\n  b\n";
        let parser = Parser::new_ext(plain, markdown_options());
        assert_eq!(events(plain), parser.collect::<Vec<_>>());
    }
}
