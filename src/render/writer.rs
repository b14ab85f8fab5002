//! The HTML writer: pulldown-cmark events in, WeChat-safe HTML out, every element carrying
//! its theme style inline.
//!
//! WeChat's editor rewrites what it does not understand, so the writer emits only structures
//! known to survive: list item text wrapped in `<section>`, nested lists as indented sections
//! with their own markers, task boxes as ✅/⬜ text, tables in a scrolling wrapper, code with
//! its whitespace spelled out, links and footnotes as numbered notes at the end.

use std::ops::Range;

use pulldown_cmark::{
    Alignment, BlockQuoteKind, CodeBlockKind, Event, HeadingLevel, LinkType, Tag, TagEnd,
};

use crate::render::links::{LinkKind, References, classify};
use crate::render::theme::{El, Theme};
use crate::render::{highlight, sanitize};
use crate::site::LinkMode;

/// What the writer needs from outside.
pub struct WriterOptions<'a> {
    pub theme: &'a Theme,
    pub code_theme: &'a syntect::highlighting::Theme,
    pub links: LinkMode,
    /// Take a leading `# H1` as the title (the front matter has none).
    pub take_h1_title: bool,
}

/// Turns an image `src` as written (and its byte range in the body) into the `src` to emit.
pub type ImageResolver<'r> = dyn FnMut(&str, Range<usize>) -> String + 'r;

/// A warning about something the writer could not render faithfully.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Math(Range<usize>),
    Diagram(String, Range<usize>),
}

/// What the writer produced.
#[derive(Debug, Default)]
pub struct Written {
    pub html: String,
    pub title_from_h1: Option<String>,
    pub raw_html: bool,
    pub notices: Vec<Notice>,
}

struct ListState {
    ordered: bool,
    next: u64,
    nested: bool,
}

enum LinkState {
    Keep,
    Ref { url: String, start: usize },
    Inline { url: String },
    Plain,
}

struct Writer<'a, 'r> {
    opt: &'a WriterOptions<'a>,
    resolve: &'a mut ImageResolver<'r>,
    out: String,
    lists: Vec<ListState>,
    /// For each open item: where the `<li` tag starts (top level) and where its marker ends.
    items: Vec<(Option<usize>, usize)>,
    /// For each open paragraph: whether a `<p>` was written (the first paragraph of a list
    /// item or footnote is inlined after its marker).
    paras: Vec<bool>,
    inline_next_para: bool,
    quote_depth: usize,
    links: Vec<LinkState>,
    refs: References,
    counter: usize,
    footnote_numbers: Vec<(String, usize)>,
    footnotes: Vec<(String, String)>,
    saved_out: Option<(String, String)>,
    table_aligns: Vec<Alignment>,
    table_col: usize,
    in_table_head: bool,
    code: Option<(String, String, Range<usize>)>,
    image: Option<(String, String, String, Range<usize>)>,
    html_block: Option<String>,
    title: Option<String>,
    capturing_title: bool,
    pending_soft: bool,
    last_char: Option<char>,
    /// Nesting depth of block and inline tags; 0 between top-level blocks.
    depth: usize,
    /// Where the current top-level block starts in `out`, and in the source.
    block_start: usize,
    block_src_start: usize,
    /// The current top-level block holds raw HTML and must be sanitized when it ends.
    block_raw: bool,
    result: Written,
}

/// Renders Markdown body events into HTML.
pub fn write<'e>(
    events: impl Iterator<Item = (Event<'e>, Range<usize>)>,
    opt: &WriterOptions<'_>,
    resolve: &mut ImageResolver<'_>,
) -> Written {
    let mut w = Writer {
        opt,
        resolve,
        out: String::with_capacity(16 * 1024),
        lists: Vec::new(),
        items: Vec::new(),
        paras: Vec::new(),
        inline_next_para: false,
        quote_depth: 0,
        links: Vec::new(),
        refs: References::default(),
        counter: 0,
        footnote_numbers: Vec::new(),
        footnotes: Vec::new(),
        saved_out: None,
        table_aligns: Vec::new(),
        table_col: 0,
        in_table_head: false,
        code: None,
        image: None,
        html_block: None,
        title: None,
        capturing_title: false,
        pending_soft: false,
        last_char: None,
        depth: 0,
        block_start: 0,
        block_src_start: 0,
        block_raw: false,
        result: Written::default(),
    };
    w.open(El::Article, "section");
    let mut first = true;
    for (event, range) in events {
        if first {
            first = false;
            if opt.take_h1_title
                && matches!(
                    event,
                    Event::Start(Tag::Heading {
                        level: HeadingLevel::H1,
                        ..
                    })
                )
            {
                w.capturing_title = true;
                w.title = Some(String::new());
                continue;
            }
        }
        w.event(event, range);
    }
    w.finish();
    w.result.html = w.out;
    w.result.title_from_h1 = w
        .title
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    w.result
}

impl<'a> Writer<'a, '_> {
    fn style(&self, el: El) -> &'a str {
        self.opt.theme.style(el)
    }

    /// `<tag style="…">`
    fn open(&mut self, el: El, tag: &str) {
        self.open_with(tag, &[el], "");
    }

    fn open_with(&mut self, tag: &str, els: &[El], extra: &str) {
        self.out.push('<');
        self.out.push_str(tag);
        let mut style = String::new();
        for el in els {
            let s = self.style(*el);
            if !s.is_empty() {
                if !style.is_empty() {
                    style.push(';');
                }
                style.push_str(s);
            }
        }
        if !extra.is_empty() {
            if !style.is_empty() {
                style.push(';');
            }
            style.push_str(extra);
        }
        if !style.is_empty() {
            self.out.push_str(" style=\"");
            escape_attr(&style, &mut self.out);
            self.out.push('"');
        }
        self.out.push('>');
    }

    fn close(&mut self, tag: &str) {
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push('>');
    }

    fn text(&mut self, t: &str) {
        if self.capturing_title {
            if let Some(title) = &mut self.title {
                title.push_str(t);
            }
            return;
        }
        if let Some((_, _, alt, _)) = &mut self.image {
            alt.push_str(t);
            return;
        }
        self.flush_soft(t.chars().next());
        escape_text(t, &mut self.out);
        if let Some(c) = t.chars().next_back() {
            self.last_char = Some(c);
        }
    }

    /// A soft line break is a space between words, but nothing between two CJK characters
    /// (a space there shows as a gap in Chinese text).
    fn flush_soft(&mut self, next: Option<char>) {
        if !self.pending_soft {
            return;
        }
        self.pending_soft = false;
        let cjk_join = self.last_char.is_some_and(is_cjk) && next.is_none_or(is_cjk);
        if !cjk_join {
            self.out.push(' ');
        }
    }

    /// Handles one event, sanitizing each top-level block that holds raw HTML as it closes.
    /// Sanitizing per block (not per article) means an unclosed tag in one block cannot
    /// swallow or restyle the blocks after it.
    fn event(&mut self, event: Event<'_>, range: Range<usize>) {
        let (opens, closes) = match &event {
            Event::Start(_) => (true, false),
            Event::End(_) => (false, true),
            _ => (false, false),
        };
        if opens {
            if self.depth == 0 {
                self.block_start = self.out.len();
                self.block_src_start = range.start;
                self.block_raw = false;
            }
            self.depth += 1;
        }
        let end = range.end;
        self.dispatch(event, range);
        if closes {
            self.depth = self.depth.saturating_sub(1);
            if self.depth == 0 && self.block_raw {
                self.block_raw = false;
                let block = self.out.split_off(self.block_start.min(self.out.len()));
                let cleaned = self.clean_fragment(&block, self.block_src_start..end);
                self.out.push_str(&cleaned);
            }
        }
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

    fn dispatch(&mut self, event: Event<'_>, range: Range<usize>) {
        if let Some(block) = &mut self.html_block {
            match event {
                Event::Html(h) | Event::Text(h) => {
                    block.push_str(&h);
                    return;
                }
                Event::End(TagEnd::HtmlBlock) => {
                    let block = self.html_block.take().unwrap_or_default();
                    self.raw_block(&block);
                    return;
                }
                _ => {}
            }
        }
        if let Some((_, buf, _)) = &mut self.code {
            match event {
                Event::Text(t) => {
                    buf.push_str(&t);
                    return;
                }
                Event::End(TagEnd::CodeBlock) => {
                    self.code_block();
                    return;
                }
                _ => {}
            }
        }
        match event {
            Event::Start(tag) => self.start(tag, range),
            Event::End(tag) => self.end(tag),
            Event::Text(t) => self.text(&t),
            Event::Code(c) => {
                if self.image.is_some() || self.capturing_title {
                    self.text(&c);
                    return;
                }
                self.flush_soft(c.chars().next());
                self.open(El::Code, "code");
                // A run of spaces would collapse; single spaces stay breakable.
                let mut prev_space = false;
                for ch in c.chars() {
                    match ch {
                        ' ' if prev_space => self.out.push_str("&nbsp;"),
                        '&' => self.out.push_str("&amp;"),
                        '<' => self.out.push_str("&lt;"),
                        '>' => self.out.push_str("&gt;"),
                        ch => self.out.push(ch),
                    }
                    prev_space = ch == ' ';
                }
                self.close("code");
                self.last_char = c.chars().next_back();
            }
            Event::InlineMath(m) => {
                if self.image.is_some() || self.capturing_title {
                    self.text(&m);
                    return;
                }
                self.flush_soft(None);
                self.result.notices.push(Notice::Math(range));
                self.open(El::Math, "span");
                escape_text(&m, &mut self.out);
                self.close("span");
                self.last_char = Some('$');
            }
            Event::DisplayMath(m) => {
                self.flush_soft(None);
                self.result.notices.push(Notice::Math(range));
                self.open(El::MathBlock, "section");
                highlight::push_code_text(m.trim_matches('\n'), &mut self.out);
                self.close("section");
            }
            Event::Html(h) => self.raw_block(&h),
            Event::InlineHtml(h) => self.inline_html(&h),
            Event::FootnoteReference(label) => {
                let n = self.footnote_number(&label);
                self.flush_soft(None);
                self.open(El::RefMark, "sup");
                self.out.push_str(&format!("[{n}]"));
                self.close("sup");
            }
            Event::SoftBreak => {
                if self.capturing_title || self.image.is_some() {
                    self.text(" ");
                } else {
                    self.pending_soft = true;
                }
            }
            Event::HardBreak => {
                if self.capturing_title || self.image.is_some() {
                    self.text(" ");
                } else {
                    self.pending_soft = false;
                    self.out.push_str("<br>");
                }
            }
            Event::Rule => {
                self.open(El::Hr, "hr");
            }
            Event::TaskListMarker(done) => self.task_marker(done),
        }
    }

    fn start(&mut self, tag: Tag<'_>, range: Range<usize>) {
        if self.image.is_some() || self.capturing_title {
            // Nested markup inside alt text or the title: only its text counts.
            if let Tag::Image { .. } = tag
                && let Some(img) = &mut self.image
            {
                img.3 = img.3.start..range.end;
            }
            return;
        }
        match tag {
            Tag::Paragraph => {
                if self.inline_next_para {
                    self.inline_next_para = false;
                    self.paras.push(false);
                } else {
                    let el = if self.quote_depth > 0 {
                        El::BlockquoteP
                    } else {
                        El::P
                    };
                    self.open(el, "p");
                    self.paras.push(true);
                }
            }
            Tag::Heading { level, .. } => {
                self.inline_next_para = false;
                let (el, t) = heading(level);
                self.open(el, t);
            }
            Tag::BlockQuote(kind) => {
                self.inline_next_para = false;
                self.quote_depth += 1;
                self.open(El::Blockquote, "blockquote");
                if let Some(kind) = kind {
                    self.open(El::AlertTitle, "p");
                    self.out.push_str(alert_title(kind));
                    self.close("p");
                }
            }
            Tag::CodeBlock(kind) => {
                self.inline_next_para = false;
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => info
                        .split(|c: char| c.is_whitespace() || c == ',' || c == '{')
                        .next()
                        .unwrap_or("")
                        .to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some((lang, String::new(), range));
            }
            Tag::HtmlBlock => {
                self.html_block = Some(String::new());
            }
            Tag::List(start) => {
                self.inline_next_para = false;
                let nested = !self.lists.is_empty();
                let ordered = start.is_some();
                if nested {
                    self.open(El::NestedList, "section");
                } else if ordered {
                    let s = start.unwrap_or(1);
                    self.out.push_str("<ol");
                    if s != 1 {
                        self.out.push_str(&format!(" start=\"{s}\""));
                    }
                    self.out.truncate(self.out.len());
                    let style = self.style(El::Ol);
                    if !style.is_empty() {
                        self.out.push_str(" style=\"");
                        escape_attr(style, &mut self.out);
                        self.out.push('"');
                    }
                    self.out.push('>');
                } else {
                    self.open(El::Ul, "ul");
                }
                self.lists.push(ListState {
                    ordered,
                    next: start.unwrap_or(1),
                    nested,
                });
            }
            Tag::Item => {
                let Some(list) = self.lists.last_mut() else {
                    return;
                };
                if list.nested {
                    let marker = if list.ordered {
                        let m = format!("{}. ", list.next);
                        list.next += 1;
                        m
                    } else {
                        let depth = self.lists.len();
                        (if depth == 2 { "◦ " } else { "▪ " }).to_string()
                    };
                    self.open(El::NestedItem, "section");
                    let before = self.out.len();
                    self.open(El::Marker, "span");
                    self.out.push_str(&marker.replace(' ', "&nbsp;"));
                    self.close("span");
                    let _ = before;
                    self.items.push((None, before));
                } else {
                    let li_at = self.out.len();
                    self.open(El::Li, "li");
                    self.open(El::ListItem, "section");
                    self.items.push((Some(li_at), self.out.len()));
                }
                self.inline_next_para = true;
                self.last_char = None;
            }
            Tag::FootnoteDefinition(label) => {
                let n = self.footnote_number(&label);
                let saved = std::mem::take(&mut self.out);
                self.saved_out = Some((label.to_string(), saved));
                self.open(El::Note, "section");
                self.out.push_str(&format!("[{n}]&nbsp;"));
                self.inline_next_para = true;
            }
            Tag::Table(aligns) => {
                self.table_aligns = aligns;
                self.open(El::TableWrap, "section");
                self.open(El::Table, "table");
            }
            Tag::TableHead => {
                self.in_table_head = true;
                self.table_col = 0;
                self.out.push_str("<thead><tr>");
            }
            Tag::TableRow => {
                self.table_col = 0;
                self.out.push_str("<tr>");
            }
            Tag::TableCell => {
                let align = match self.table_aligns.get(self.table_col) {
                    Some(Alignment::Left) => "text-align:left",
                    Some(Alignment::Center) => "text-align:center",
                    Some(Alignment::Right) => "text-align:right",
                    _ => "",
                };
                if self.in_table_head {
                    self.open_with("th", &[El::Th], align);
                } else {
                    self.open_with("td", &[El::Td], align);
                }
                self.last_char = None;
            }
            Tag::Emphasis => {
                self.flush_soft(None);
                self.open(El::Em, "em");
            }
            Tag::Strong => {
                self.flush_soft(None);
                self.open(El::Strong, "strong");
            }
            Tag::Strikethrough => {
                self.flush_soft(None);
                self.open(El::Del, "del");
            }
            Tag::Superscript => self.out.push_str("<sup>"),
            Tag::Subscript => self.out.push_str("<sub>"),
            Tag::Link {
                link_type,
                dest_url,
                ..
            } => {
                self.flush_soft(None);
                let autolink = matches!(link_type, LinkType::Autolink | LinkType::Email);
                let state = match classify(&dest_url, autolink) {
                    LinkKind::Keep(url) => {
                        self.out.push_str("<a href=\"");
                        escape_attr(&url, &mut self.out);
                        self.out.push('"');
                        let style = self.style(El::A);
                        if !style.is_empty() {
                            self.out.push_str(" style=\"");
                            escape_attr(style, &mut self.out);
                            self.out.push('"');
                        }
                        self.out.push('>');
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
            Tag::Image {
                dest_url, title, ..
            } => {
                self.flush_soft(None);
                self.image = Some((
                    dest_url.to_string(),
                    title.to_string(),
                    String::new(),
                    range,
                ));
            }
            Tag::DefinitionList
            | Tag::DefinitionListTitle
            | Tag::DefinitionListDefinition
            | Tag::MetadataBlock(_) => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        if self.capturing_title {
            if let TagEnd::Heading(_) = tag {
                self.capturing_title = false;
            }
            return;
        }
        if self.image.is_some() {
            if let TagEnd::Image = tag {
                self.image_end();
            }
            return;
        }
        match tag {
            TagEnd::Paragraph => {
                if self.paras.pop().unwrap_or(true) {
                    self.close("p");
                }
                self.pending_soft = false;
            }
            TagEnd::Heading(level) => {
                self.close(heading(level).1);
                self.pending_soft = false;
            }
            TagEnd::BlockQuote(_) => {
                self.quote_depth = self.quote_depth.saturating_sub(1);
                self.close("blockquote");
            }
            TagEnd::CodeBlock | TagEnd::HtmlBlock => {}
            TagEnd::List(ordered) => {
                let nested = self.lists.pop().is_some_and(|l| l.nested);
                if nested {
                    self.close("section");
                } else {
                    self.close(if ordered { "ol" } else { "ul" });
                }
            }
            TagEnd::Item => {
                self.inline_next_para = false;
                self.pending_soft = false;
                match self.items.pop() {
                    Some((Some(_), _)) => self.out.push_str("</section></li>"),
                    _ => self.close("section"),
                }
            }
            TagEnd::FootnoteDefinition => {
                self.inline_next_para = false;
                self.close("section");
                if let Some((label, saved)) = self.saved_out.take() {
                    let mut body = std::mem::replace(&mut self.out, saved);
                    if self.block_raw {
                        self.block_raw = false;
                        body =
                            self.clean_fragment(&body, self.block_src_start..self.block_src_start);
                    }
                    self.footnotes.push((label, body));
                }
            }
            TagEnd::Table => self.out.push_str("</tbody></table></section>"),
            TagEnd::TableHead => {
                self.in_table_head = false;
                self.out.push_str("</tr></thead><tbody>");
            }
            TagEnd::TableRow => self.out.push_str("</tr>"),
            TagEnd::TableCell => {
                self.close(if self.in_table_head { "th" } else { "td" });
                self.table_col += 1;
                self.pending_soft = false;
            }
            TagEnd::Emphasis => self.close("em"),
            TagEnd::Strong => self.close("strong"),
            TagEnd::Strikethrough => self.close("del"),
            TagEnd::Superscript => self.close("sup"),
            TagEnd::Subscript => self.close("sub"),
            TagEnd::Link => self.link_end(),
            TagEnd::Image => {}
            TagEnd::DefinitionList
            | TagEnd::DefinitionListTitle
            | TagEnd::DefinitionListDefinition
            | TagEnd::MetadataBlock(_) => {}
        }
    }

    fn link_end(&mut self) {
        match self.links.pop() {
            Some(LinkState::Keep) => self.close("a"),
            Some(LinkState::Ref { url, start }) => {
                let title = strip_tags(&self.out[start..]);
                self.close("span");
                let n = self.refs.number(&url, &title, &mut self.counter);
                self.open(El::RefMark, "sup");
                self.out.push_str(&format!("[{n}]"));
                self.close("sup");
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

    fn image_end(&mut self) {
        let Some((src, title, alt, range)) = self.image.take() else {
            return;
        };
        let resolved = (self.resolve)(&src, range);
        self.out.push_str("<img src=\"");
        escape_attr(&resolved, &mut self.out);
        self.out.push('"');
        if !alt.is_empty() {
            self.out.push_str(" alt=\"");
            escape_attr(&alt, &mut self.out);
            self.out.push('"');
        }
        let style = self.style(El::Img);
        if !style.is_empty() {
            self.out.push_str(" style=\"");
            escape_attr(style, &mut self.out);
            self.out.push('"');
        }
        self.out.push('>');
        if !title.is_empty() {
            self.open(El::Caption, "span");
            escape_text(&title, &mut self.out);
            self.close("span");
        }
    }

    fn code_block(&mut self) {
        let Some((lang, code, range)) = self.code.take() else {
            return;
        };
        let lower = lang.to_ascii_lowercase();
        if matches!(
            lower.as_str(),
            "mermaid" | "plantuml" | "puml" | "flowchart" | "sequence" | "dot" | "graphviz"
        ) {
            self.result.notices.push(Notice::Diagram(lower, range));
            self.open(El::Diagram, "section");
            highlight::push_code_text(code.strip_suffix('\n').unwrap_or(&code), &mut self.out);
            self.close("section");
            return;
        }
        if matches!(lower.as_str(), "math" | "latex" | "tex" | "katex") {
            self.result.notices.push(Notice::Math(range));
            self.open(El::MathBlock, "section");
            highlight::push_code_text(code.strip_suffix('\n').unwrap_or(&code), &mut self.out);
            self.close("section");
            return;
        }
        let pre = self.style(El::Pre);
        let colors = highlight::theme_colors(self.opt.code_theme, !pre.contains("background"));
        // The code theme gives the default colours; the theme's `pre` rules come after, so a
        // theme may still set its own background.
        self.out.push_str("<pre style=\"");
        escape_attr(&colors, &mut self.out);
        if !pre.is_empty() {
            self.out.push(';');
            escape_attr(pre, &mut self.out);
        }
        self.out.push_str("\">");
        self.open(El::PreCode, "code");
        highlight::highlight(&code, &lang, self.opt.code_theme, &mut self.out);
        self.out.push_str("</code></pre>");
    }

    fn raw_block(&mut self, html: &str) {
        if is_only_comments(html) {
            return;
        }
        self.result.raw_html = true;
        self.block_raw = true;
        self.out.push_str(html);
    }

    fn inline_html(&mut self, html: &str) {
        if self.capturing_title || self.image.is_some() {
            return;
        }
        let t = html.trim();
        if is_only_comments(t) {
            return;
        }
        let lower = t.to_ascii_lowercase();
        if matches!(lower.as_str(), "<br>" | "<br/>" | "<br />") {
            self.pending_soft = false;
            self.out.push_str("<br>");
            return;
        }
        self.flush_soft(None);
        self.result.raw_html = true;
        self.block_raw = true;
        self.out.push_str(html);
    }

    fn task_marker(&mut self, done: bool) {
        let glyph = if done { "✅&nbsp;" } else { "⬜&nbsp;" };
        match self.items.last().copied() {
            // A nested item: the box replaces the bullet.
            Some((None, marker_start)) if self.lists.last().is_some_and(|l| !l.ordered) => {
                self.out.truncate(marker_start);
                self.out.push_str(glyph);
            }
            // A top-level item: hide the list's own bullet.
            Some((Some(li_at), _)) => {
                if let Some(rel) = self.out[li_at..].find("style=\"") {
                    self.out
                        .insert_str(li_at + rel + 7, "list-style-type:none;");
                } else {
                    self.out
                        .insert_str(li_at + 3, " style=\"list-style-type:none\"");
                }
                self.out.push_str(glyph);
            }
            _ => self.out.push_str(glyph),
        }
        self.last_char = None;
    }

    fn footnote_number(&mut self, label: &str) -> usize {
        if let Some((_, n)) = self.footnote_numbers.iter().find(|(l, _)| l == label) {
            return *n;
        }
        self.counter += 1;
        self.footnote_numbers
            .push((label.to_string(), self.counter));
        self.counter
    }

    fn finish(&mut self) {
        if let Some(block) = self.html_block.take() {
            self.raw_block(&block);
        }
        if self.block_raw {
            self.block_raw = false;
            let block = self.out.split_off(self.block_start.min(self.out.len()));
            let cleaned = self.clean_fragment(&block, self.block_src_start..self.block_src_start);
            self.out.push_str(&cleaned);
        }
        if !self.footnotes.is_empty() {
            // In the order their numbers were given.
            let mut notes = std::mem::take(&mut self.footnotes);
            notes.sort_by_key(|(label, _)| {
                self.footnote_numbers
                    .iter()
                    .find(|(l, _)| l == label)
                    .map_or(usize::MAX, |(_, n)| *n)
            });
            self.open(El::NotesTitle, "p");
            self.out.push_str("注释");
            self.close("p");
            self.open(El::Notes, "section");
            for (_, body) in notes {
                self.out.push_str(&body);
            }
            self.close("section");
        }
        if !self.refs.list.is_empty() {
            self.open(El::RefsTitle, "p");
            self.out.push_str("参考资料");
            self.close("p");
            self.open(El::Refs, "section");
            let refs = std::mem::take(&mut self.refs.list);
            for r in refs {
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
        self.close("section");
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

fn is_only_comments(html: &str) -> bool {
    let mut rest = html.trim();
    while let Some(r) = rest.strip_prefix("<!--") {
        match r.find("-->") {
            Some(end) => rest = r[end + 3..].trim_start(),
            None => return false,
        }
    }
    rest.is_empty()
}

pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x2FDF | 0x3000..=0x303F | 0x3040..=0x30FF | 0x3100..=0x31BF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFFEF
        | 0x20000..=0x2FA1F)
}

pub fn escape_text(s: &str, out: &mut String) {
    let mut last = 0;
    for (i, b) in s.bytes().enumerate() {
        let rep = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            _ => continue,
        };
        out.push_str(&s[last..i]);
        out.push_str(rep);
        last = i + 1;
    }
    out.push_str(&s[last..]);
}

pub fn escape_attr(s: &str, out: &mut String) {
    let mut last = 0;
    for (i, b) in s.bytes().enumerate() {
        let rep = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => continue,
        };
        out.push_str(&s[last..i]);
        out.push_str(rep);
        last = i + 1;
    }
    out.push_str(&s[last..]);
}

/// The text of an HTML fragment (tags removed, entities left as written).
fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    decode_entities(&out)
}

/// Decodes the entities wxsync itself writes.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    s.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}
