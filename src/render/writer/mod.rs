//! The HTML writer: pulldown-cmark events in, WeChat-safe HTML out, every element carrying
//! its theme style inline.
//!
//! WeChat's editor rewrites what it does not understand, so the writer emits only structures
//! known to survive: list item text wrapped in `<section>`, nested lists as indented sections
//! with their own markers, task boxes as ✅/⬜ text, tables in a scrolling wrapper, code with
//! its whitespace spelled out, links and footnotes as numbered notes at the end.
//!
//! This module is the driver: it routes each event to the capture in progress or to the
//! module of its construct, and holds what they share (the output, tag writing, soft breaks).

mod blocks;
mod code;
mod images;
mod links;
mod lists;
mod math;
mod notes;
mod raw;
mod tables;

pub use raw::MAX_PASSES;

use std::ops::Range;

use pulldown_cmark::{Event, HeadingLevel, Tag, TagEnd};

use crate::render::diagram::DiagramError;
use crate::render::html::{escape_attr, escape_text, is_cjk, is_only_comments};
use crate::render::theme::{El, Theme};
use crate::render::validate::HTML_MAX;
use crate::site::LinkMode;
use crate::site::config::{Captions, Language};

/// How deep lists and block quotes may nest inside one another. Deeper than any article
/// needs (WeChat shows a few levels as an ever narrower column); the cap keeps what one line
/// of `>>>>…` can make small.
pub const MAX_NESTING: usize = 32;

/// Writing stops when the output, sanitized or not, reaches this size: far past what WeChat
/// takes, and the most a sanitizer pass is given.
const OUTPUT_MAX: usize = 4 * HTML_MAX;

/// What the writer needs from outside.
pub struct WriterOptions<'a> {
    pub theme: &'a Theme,
    pub code_theme: &'a syntect::highlighting::Theme,
    pub links: LinkMode,
    /// Take a leading heading as the title (the front matter has none).
    pub take_h1_title: bool,
    /// The article has one `#` heading: it is the title even after an opening paragraph.
    pub single_h1: bool,
    /// The language of the words the writer adds (alert titles, list headings).
    pub language: Language,
    /// Where image captions come from.
    pub captions: Captions,
}

/// Turns an image `src` as written (and its byte range in the body) into the `src` to emit.
pub type ImageResolver<'r> = dyn FnMut(&str, Range<usize>) -> String + 'r;

/// Draws a diagram's source (a ```` ```mermaid ```` block) as an image the article holds.
pub type DiagramResolver<'r> = dyn FnMut(&str) -> Result<DiagramImage, DiagramError> + 'r;

/// A diagram drawn: the `src` of its image, its width in CSS pixels, and the characters of
/// its text that no installed font has.
#[derive(Debug, Clone)]
pub struct DiagramImage {
    pub src: String,
    pub width: u32,
    pub missing_glyphs: String,
}

/// Something the writer could not render faithfully (a warning), or a limit that stopped it
/// (an error: the article cannot be sent, and the rest of the body was not written). Positions
/// are in the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A formula that could not be typeset (shown as source), and why.
    Math(Range<usize>, String),
    /// A diagram in a language wxsync does not draw (shown as source).
    Diagram(String, Range<usize>),
    /// A diagram that could not be drawn (shown as source).
    DiagramFailed(Range<usize>, DiagramError),
    /// A diagram drawn without these characters: no installed font has them.
    DiagramGlyphs(Range<usize>, String),
    /// A list or quote here nests deeper than [`MAX_NESTING`].
    TooDeep(usize),
    /// Raw HTML here nests deeper than [`crate::render::shape::MAX_DEPTH`].
    HtmlTooDeep(usize),
    /// The HTML passed WeChat's limit by here.
    TooLarge(usize),
    /// The block here is one sanitizer pass too many ([`raw::MAX_PASSES`]).
    TooManyPasses(usize),
}

/// What the writer produced.
#[derive(Debug, Default)]
pub struct Written {
    pub html: String,
    pub title_from_h1: Option<String>,
    /// The title came from a heading below `#` (the article opens with `## …`).
    pub title_below_h1: bool,
    pub raw_html: bool,
    pub notices: Vec<Notice>,
    /// A limit stopped the writer: the HTML is not all there.
    pub stopped: bool,
}

/// Where the events of a construct go when it can only be written once it ends. None of these
/// constructs can contain another, so at most one capture is open.
#[derive(Default)]
enum Capture {
    #[default]
    None,
    /// A leading heading taken as the title: its text only.
    Title(String),
    /// An image: the text inside it becomes its alt text.
    Image {
        src: String,
        title: String,
        alt: String,
        range: Range<usize>,
    },
    /// A code block: highlighted as a whole.
    Code {
        lang: String,
        text: String,
        range: Range<usize>,
    },
    /// A raw HTML block, which pulldown-cmark may split into several events, and where it
    /// starts in the body.
    HtmlBlock(String, usize),
    /// The start of a block quote that may be an alert with a title of its own
    /// (`> [!TIP] Title`, which GFM does not take for an alert): its first events, until its
    /// first line is known.
    QuoteHead(Vec<(Event<'static>, Range<usize>)>),
}

/// A soft line break waiting for the next character, which decides how it is written.
#[derive(Default)]
struct Flow {
    pending_soft: bool,
    last_char: Option<char>,
}

struct Writer<'a, 'r> {
    opt: &'a WriterOptions<'a>,
    resolve: &'a mut ImageResolver<'r>,
    diagram: &'a mut DiagramResolver<'r>,
    /// Formulas typeset, put in place once the HTML is final.
    formulas: math::Formulas,
    out: String,
    capture: Capture,
    flow: Flow,
    block: raw::TopBlock,
    paras: blocks::Paras,
    lists: lists::Lists,
    links: Vec<links::LinkState>,
    notes: notes::Notes,
    table: tables::Table,
    code: code::Budget,
    batch: raw::Batch,
    /// Sanitizer passes so far (see [`raw::MAX_PASSES`]).
    passes: usize,
    /// A limit was reached: nothing more is written (see [`Notice`]).
    stopped: bool,
    /// A heading was written or taken as the title: a later `#` is no title.
    headings_seen: bool,
    result: Written,
}

/// Renders Markdown body events into HTML.
pub fn write<'e>(
    events: impl Iterator<Item = (Event<'e>, Range<usize>)>,
    opt: &WriterOptions<'_>,
    resolve: &mut ImageResolver<'_>,
    diagram: &mut DiagramResolver<'_>,
) -> Written {
    let mut w = Writer {
        opt,
        resolve,
        diagram,
        formulas: math::Formulas::default(),
        out: String::with_capacity(16 * 1024),
        capture: Capture::None,
        flow: Flow::default(),
        block: raw::TopBlock::default(),
        paras: blocks::Paras::default(),
        lists: lists::Lists::default(),
        links: Vec::new(),
        notes: notes::Notes::default(),
        table: tables::Table::default(),
        code: code::Budget::default(),
        batch: raw::Batch::default(),
        passes: 0,
        stopped: false,
        headings_seen: false,
        result: Written::default(),
    };
    w.open(El::Article, "section");
    let mut events = lists::tasks_first(events);
    // Comments before the title show nothing (doocs and leetcode put a licence or a
    // generator's note there): the first heading after them is still the first thing read.
    let mut comments = Vec::new();
    let mut first = events.next();
    while let Some((event, range)) = first.take() {
        if !matches!(event, Event::Start(Tag::HtmlBlock)) {
            first = Some((event, range));
            break;
        }
        let mut block = vec![(event, range)];
        let mut html = String::new();
        for (e, r) in events.by_ref() {
            let end = matches!(e, Event::End(TagEnd::HtmlBlock));
            if let Event::Html(h) | Event::Text(h) = &e {
                html.push_str(h);
            }
            block.push((e, r));
            if end {
                break;
            }
        }
        let only_comments = is_only_comments(&html);
        comments.extend(block);
        if !only_comments {
            break;
        }
        first = events.next();
    }
    // An article that opens with a heading of another level (`## …`, as some books' chapters
    // do) has that for its title: what a reader sees first.
    let heading = match &first {
        Some((Event::Start(Tag::Heading { level, .. }), _)) => Some(*level),
        _ => None,
    };
    if opt.take_h1_title
        && let Some(level) = heading
    {
        w.headings_seen = true;
        w.result.title_below_h1 = level != HeadingLevel::H1;
        // The comments would write nothing: left out, the title is taken as if first.
        w.capture = Capture::Title(String::new());
    } else {
        for (event, range) in comments.into_iter().chain(first) {
            w.event(event, range);
        }
    }
    for (event, range) in events {
        if w.stopped {
            break;
        }
        w.event(event, range);
    }
    w.finish()
}

impl<'a> Writer<'a, '_> {
    fn style(&self, el: El) -> &'a str {
        self.opt.theme.style(el)
    }

    /// `<tag style="…">`
    fn open(&mut self, el: El, tag: &str) {
        self.open_tag(tag, "", &[self.style(el)]);
    }

    /// `<tag{attrs} style="…">`: `attrs` as given (already escaped), the style the non-empty
    /// `styles` joined by `;`, left out when there is none.
    fn open_tag(&mut self, tag: &str, attrs: &str, styles: &[&str]) {
        self.out.push('<');
        self.out.push_str(tag);
        self.out.push_str(attrs);
        let mut styled = false;
        for s in styles.iter().filter(|s| !s.is_empty()) {
            self.out.push_str(if styled { ";" } else { " style=\"" });
            escape_attr(s, &mut self.out);
            styled = true;
        }
        if styled {
            self.out.push('"');
        }
        self.out.push('>');
    }

    fn close(&mut self, tag: &str) {
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push('>');
    }

    /// An inline tag: a soft break before it is written first, outside it.
    fn open_inline(&mut self, el: El, tag: &str) {
        self.flush_soft(None);
        self.open(el, tag);
    }

    fn text(&mut self, t: &str) {
        self.flush_soft(t.chars().next());
        escape_text(t, &mut self.out);
        if let Some(c) = t.chars().next_back() {
            self.flow.last_char = Some(c);
        }
    }

    /// A soft line break is a space between words, but nothing between two CJK characters
    /// (a space there shows as a gap in Chinese text).
    fn flush_soft(&mut self, next: Option<char>) {
        if !std::mem::take(&mut self.flow.pending_soft) {
            return;
        }
        let cjk_join = self.flow.last_char.is_some_and(is_cjk) && next.is_none_or(is_cjk);
        if !cjk_join {
            self.out.push(' ');
        }
    }

    /// Handles one event, sanitizing each top-level block that holds raw HTML as it closes.
    fn event(&mut self, event: Event<'_>, range: Range<usize>) {
        let closes = matches!(event, Event::End(_));
        if matches!(event, Event::Start(_)) {
            self.block.enter(self.out.len(), range.start);
        }
        let end = range.end;
        self.dispatch(event, range);
        if closes && self.block.leave() {
            self.sanitize_block(end);
            self.block.marks.clear();
        }
        let (kept, all) = self.size();
        if !self.stopped && (kept >= HTML_MAX || all >= OUTPUT_MAX) {
            self.stop(Notice::TooLarge(end));
        }
    }

    /// Bytes written so far: those that are final (wxsync's own HTML, and raw HTML once
    /// sanitized), and all of them.
    fn size(&self) -> (usize, usize) {
        let notes = self.notes.written;
        let (kept, all) = match &self.notes.open {
            // In a footnote, `out` is the footnote's and the article's is set aside.
            Some(open) => {
                let outer = if open.outer_raw {
                    self.block.start
                } else {
                    open.article.len()
                };
                let inner = if self.block.raw { 0 } else { self.out.len() };
                (outer + inner, open.article.len() + self.out.len())
            }
            None => {
                let kept = if self.block.raw {
                    self.block.start
                } else {
                    self.out.len()
                };
                (kept, self.out.len())
            }
        };
        (kept + notes, all + notes + self.batch.len())
    }

    /// Stops writing: the article is refused for `why`, and the rest would only cost.
    fn stop(&mut self, why: Notice) {
        self.result.notices.push(why);
        self.stopped = true;
    }

    /// Sends an event to the open capture, or renders it.
    fn dispatch(&mut self, event: Event<'_>, range: Range<usize>) {
        match (&mut self.capture, event) {
            (Capture::None, event) => self.render(event, range),
            (Capture::HtmlBlock(html, _), Event::Html(h) | Event::Text(h)) => html.push_str(&h),
            (Capture::HtmlBlock(..), Event::End(TagEnd::HtmlBlock)) => self.html_block_end(),
            (Capture::QuoteHead(_), event) => self.quote_head(event, range),
            (Capture::Code { text, .. }, Event::Text(t)) => text.push_str(&t),
            (Capture::Code { .. }, Event::End(TagEnd::CodeBlock)) => self.code_block_end(),
            // Inside alt text or the title only the text counts: breaks become spaces, and
            // markup is dropped.
            (
                Capture::Title(text) | Capture::Image { alt: text, .. },
                Event::Text(t) | Event::Code(t) | Event::InlineMath(t),
            ) => text.push_str(&t),
            (
                Capture::Title(text) | Capture::Image { alt: text, .. },
                Event::SoftBreak | Event::HardBreak,
            ) => text.push(' '),
            (Capture::Image { range: r, .. }, Event::Start(Tag::Image { .. })) => {
                // An image inside the alt text: the outer image's diagnostics cover it too.
                r.end = range.end;
            }
            (Capture::Title(_), Event::End(TagEnd::Heading(_))) => self.title_end(),
            (Capture::Image { .. }, Event::End(TagEnd::Image)) => self.image_end(),
            (
                Capture::Title(_) | Capture::Image { .. },
                Event::Start(_) | Event::End(_) | Event::InlineHtml(_),
            ) => {}
            (_, event) => self.render(event, range),
        }
    }

    fn render(&mut self, event: Event<'_>, range: Range<usize>) {
        match event {
            Event::Start(tag) => self.start(tag, range),
            Event::End(tag) => self.end(tag),
            Event::Text(t) => self.text(&t),
            Event::Code(c) => self.inline_code(&c),
            Event::InlineMath(m) => self.inline_math(&m, range),
            Event::DisplayMath(m) => self.display_math(&m, range),
            Event::Html(h) => self.raw_block(&h, range.start),
            Event::InlineHtml(h) => self.inline_html(&h, range.start),
            Event::FootnoteReference(label) => self.footnote_reference(&label),
            Event::SoftBreak => self.flow.pending_soft = true,
            Event::HardBreak => {
                self.flow.pending_soft = false;
                self.out.push_str("<br>");
            }
            Event::Rule => self.open(El::Hr, "hr"),
            Event::TaskListMarker(done) => self.lists.task = Some(done),
        }
    }

    fn start(&mut self, tag: Tag<'_>, range: Range<usize>) {
        match tag {
            Tag::Paragraph => self.paragraph_start(),
            // The article's first heading, its only `#` one, after an opening paragraph or
            // two ("this covers version 4.9"), is its title all the same.
            Tag::Heading {
                level: HeadingLevel::H1,
                ..
            } if self.opt.take_h1_title
                && self.opt.single_h1
                && !self.headings_seen
                && self.result.title_from_h1.is_none()
                && self.nesting() == 0
                && self.notes.open.is_none() =>
            {
                self.headings_seen = true;
                self.capture = Capture::Title(String::new());
            }
            Tag::Heading { level, .. } => {
                self.headings_seen = true;
                self.heading_start(level);
            }
            Tag::List(_) | Tag::BlockQuote(_) if self.nesting() >= MAX_NESTING => {
                self.stop(Notice::TooDeep(range.start));
            }
            Tag::BlockQuote(None) => self.capture = Capture::QuoteHead(Vec::new()),
            Tag::BlockQuote(Some(kind)) => self.alert_start(kind, None),
            Tag::CodeBlock(kind) => self.code_block_start(kind, range),
            Tag::HtmlBlock => self.capture = Capture::HtmlBlock(String::new(), range.start),
            Tag::List(start) => self.list_start(start),
            Tag::Item => self.item_start(),
            Tag::FootnoteDefinition(label) => self.footnote_start(&label),
            Tag::Table(aligns) => self.table_start(aligns),
            Tag::TableHead => self.table_head_start(),
            Tag::TableRow => self.table_row_start(),
            Tag::TableCell => self.table_cell_start(),
            Tag::Emphasis => self.open_inline(El::Em, "em"),
            Tag::Strong => self.open_inline(El::Strong, "strong"),
            Tag::Strikethrough => self.open_inline(El::Del, "del"),
            Tag::Superscript => self.out.push_str("<sup>"),
            Tag::Subscript => self.out.push_str("<sub>"),
            Tag::Link {
                link_type,
                dest_url,
                ..
            } => self.link_start(link_type, &dest_url),
            Tag::Image {
                dest_url, title, ..
            } => self.image_start(&dest_url, &title, range),
            Tag::DefinitionList
            | Tag::DefinitionListTitle
            | Tag::DefinitionListDefinition
            | Tag::MetadataBlock(_) => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph => self.paragraph_end(),
            TagEnd::Heading(level) => self.heading_end(level),
            TagEnd::BlockQuote(_) => self.blockquote_end(),
            TagEnd::List(ordered) => self.list_end(ordered),
            TagEnd::Item => self.item_end(),
            TagEnd::FootnoteDefinition => self.footnote_end(),
            TagEnd::Table => self.out.push_str("</tbody></table></section>"),
            TagEnd::TableHead => self.table_head_end(),
            TagEnd::TableRow => self.out.push_str("</tr>"),
            TagEnd::TableCell => self.table_cell_end(),
            TagEnd::Emphasis => self.close("em"),
            TagEnd::Strong => self.close("strong"),
            TagEnd::Strikethrough => self.close("del"),
            TagEnd::Superscript => self.close("sup"),
            TagEnd::Subscript => self.close("sub"),
            TagEnd::Link => self.link_end(),
            // Written when their capture ends (see `dispatch`).
            TagEnd::CodeBlock | TagEnd::HtmlBlock | TagEnd::Image => {}
            TagEnd::DefinitionList
            | TagEnd::DefinitionListTitle
            | TagEnd::DefinitionListDefinition
            | TagEnd::MetadataBlock(_) => {}
        }
    }

    fn title_end(&mut self) {
        if let Capture::Title(title) = std::mem::take(&mut self.capture) {
            self.set_title(&title);
        }
    }

    fn set_title(&mut self, title: &str) {
        let title = title.trim();
        self.result.title_from_h1 = (!title.is_empty()).then(|| title.to_string());
    }

    /// Lists and block quotes open here.
    fn nesting(&self) -> usize {
        self.lists.open_count() + self.paras.quote_depth()
    }

    fn finish(mut self) -> Written {
        if self.stopped {
            self.discard_unsanitized();
        } else {
            // pulldown-cmark closes everything it opens; should a capture still be open, the
            // title and raw HTML keep what they collected.
            match std::mem::take(&mut self.capture) {
                Capture::HtmlBlock(html, src) => self.raw_block(&html, src),
                Capture::Title(title) => self.set_title(&title),
                _ => {}
            }
            let src_start = self.block.src_start;
            self.sanitize_block(src_start);
            self.flush_batch();
        }
        self.write_notes();
        self.close("section");
        self.result.stopped = self.stopped;
        // Sanitizing is over: the formulas' SVG goes in now, where no user HTML can reach.
        self.result.html = self.formulas.put_in(self.out);
        self.result
    }
}
