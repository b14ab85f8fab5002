//! Links: WeChat keeps `<a>` only to its own articles, so other links become their text
//! followed by a numbered reference, by the URL, or by nothing, as `links:` says.

use pulldown_cmark::LinkType;

use super::Writer;
use crate::render::html::{escape_attr, escape_text, strip_tags};
use crate::render::links::{LinkKind, classify};
use crate::render::theme::El;
use crate::site::LinkMode;

/// An open link: what its end writes.
pub(super) enum LinkState {
    Keep,
    /// A numbered reference; the link's text, written from `start` on, becomes its title.
    Ref {
        url: String,
        start: usize,
    },
    /// The URL after the text (none when the text is the URL).
    Inline {
        url: String,
    },
    Plain,
}

impl Writer<'_, '_> {
    pub(super) fn link_start(&mut self, link_type: LinkType, dest: &str) {
        self.flush_soft(None);
        let autolink = matches!(link_type, LinkType::Autolink | LinkType::Email);
        let state = match classify(dest, autolink) {
            LinkKind::Keep(url) => {
                let mut href = String::from(" href=\"");
                escape_attr(&url, &mut href);
                href.push('"');
                self.open_tag("a", &href, &[self.style(El::A)]);
                LinkState::Keep
            }
            LinkKind::External(url) => match self.opt.links {
                LinkMode::Footnotes => {
                    self.open(El::Link, "span");
                    LinkState::Ref {
                        url,
                        start: self.out.len(),
                    }
                }
                LinkMode::Inline => {
                    self.open(El::Link, "span");
                    LinkState::Inline { url }
                }
                LinkMode::Strip => LinkState::Plain,
            },
            LinkKind::SelfDescribing => {
                self.open(El::Link, "span");
                LinkState::Inline { url: String::new() }
            }
            LinkKind::Drop => LinkState::Plain,
        };
        self.links.push(state);
    }

    pub(super) fn link_end(&mut self) {
        match self.links.pop() {
            Some(LinkState::Keep) => self.close("a"),
            Some(LinkState::Ref { url, start }) => {
                // The text as the reader sees it, markup and all, read back from the output.
                let title = self.out.get(start..).map(strip_tags).unwrap_or_default();
                self.close("span");
                let n = self.notes.reference(&url, &title);
                self.ref_mark(n);
            }
            Some(LinkState::Inline { url }) => {
                self.close("span");
                if !url.is_empty() {
                    self.out.push_str(" (");
                    escape_text(&url, &mut self.out);
                    self.out.push(')');
                }
            }
            Some(LinkState::Plain) | None => {}
        }
    }
}
