//! How deep an HTML fragment nests as the sanitizer's parser (html5ever) will build it, found
//! in one linear scan before that parser runs. html5ever walks its open elements on most tags,
//! so a fragment nested n deep costs it about n² steps (a 2 MB `<div><div>…` took minutes);
//! the writer refuses a fragment deeper than [`MAX_DEPTH`] instead of sanitizing it.
//!
//! The scan follows HTML's tokenizer (comments, raw text, quoted attributes, an unfinished
//! tag) and the tree builder's rules that close elements without an end tag (`<li>` closes an
//! open `<li>`, a block closes an open `<p>`, an end tag closes what it is in scope of). A
//! formatting element (`<b>`, `<font>`, …) closed by its parent's end tag still counts, as the
//! parser may open it again, so the count can be above what the parser keeps, rarely below.
//!
//! It is longer than most modules because its one job needs the tree builder's tag tables
//! and scoping rules together; split, each half would be half a model of the same parser.

use std::borrow::Cow;

/// The deepest an HTML fragment may nest: far deeper than any layout (a WeChat editor's
/// nested sections reach 20 or so), shallow enough that the parser's cost stays linear.
pub const MAX_DEPTH: usize = 100;

/// Where `html` first nests deeper than `max`: the offset of the start tag that does.
pub fn too_deep(html: &str, max: usize) -> Option<usize> {
    let mut m = Model::default();
    let b = html.as_bytes();
    let mut i = 0;
    while let Some(lt) = b[i..].iter().position(|&c| c == b'<') {
        let j = i + lt;
        let rest = &b[j..];
        if rest.starts_with(b"<!--") {
            i = j + comment_len(&rest[4..])? + 4;
        } else if matches!(rest.get(1), Some(b'!' | b'?')) {
            // A doctype, CDATA or bogus comment: up to the next `>`.
            i = j + rest.iter().position(|&c| c == b'>')? + 1;
        } else if rest.get(1) == Some(&b'/') && rest.get(2).is_some_and(u8::is_ascii_alphabetic) {
            let (name, end) = name_at(html, j + 2);
            i = end + tag_rest(&b[end..])?.0;
            m.end(&name);
        } else if rest.get(1).is_some_and(u8::is_ascii_alphabetic) {
            let (name, end) = name_at(html, j + 1);
            let (len, self_closing) = tag_rest(&b[end..])?;
            i = end + len;
            let attrs = &html[end..i - 1];
            if RAW_TEXT.contains(&name.as_ref()) {
                // Its content is text up to its end tag, or to the end of the fragment.
                i += raw_text_len(&b[i..], name.as_bytes())?;
                continue;
            }
            if name == "plaintext" {
                return None;
            }
            if m.start(name, attrs, self_closing) > max {
                return Some(j);
            }
        } else {
            i = j + 1;
        }
    }
    None
}

/// True when `html` leaves nothing open behind it for the parser: every element it opens it
/// closes, in order, and every comment and declaration ends. Such fragments parse one after
/// another exactly as they would alone, so they may share a sanitizer pass. Elements whose
/// parsing has modes of its own (raw text, `<svg>`, `<template>`, `<select>`, …) and `<x/>`
/// (which opens `<x>` in HTML) are never taken as closed.
pub fn self_contained(html: &str) -> bool {
    let b = html.as_bytes();
    let mut open: Vec<Cow<'_, str>> = Vec::new();
    let mut i = 0;
    while let Some(lt) = b[i..].iter().position(|&c| c == b'<') {
        let j = i + lt;
        let rest = &b[j..];
        let Some(&next) = rest.get(1) else {
            // A `<` at the very end is text, alone or followed by anything.
            return open.is_empty();
        };
        if rest.starts_with(b"<!--") {
            let Some(n) = comment_len(&rest[4..]) else {
                return false;
            };
            i = j + 4 + n;
        } else if next == b'!'
            || next == b'?'
            || (next == b'/' && !rest.get(2).is_some_and(u8::is_ascii_alphabetic))
        {
            // A declaration, or a bogus comment (`</` not followed by a letter): to the next `>`.
            let Some(n) = rest.iter().position(|&c| c == b'>') else {
                return false;
            };
            i = j + n + 1;
        } else if next == b'/' {
            let (name, end) = name_at(html, j + 2);
            let Some((len, _)) = tag_rest(&b[end..]) else {
                return false;
            };
            i = end + len;
            if open.pop().as_deref() != Some(name.as_ref()) {
                return false;
            }
        } else if next.is_ascii_alphabetic() {
            let (name, end) = name_at(html, j + 1);
            let Some((len, self_closing)) = tag_rest(&b[end..]) else {
                return false;
            };
            i = end + len;
            if VOID.contains(&name.as_ref()) {
                continue;
            }
            if self_closing
                || RAW_TEXT.contains(&name.as_ref())
                || OWN_MODES.contains(&name.as_ref())
            {
                return false;
            }
            open.push(name);
        } else {
            i = j + 1;
        }
    }
    open.is_empty()
}

/// Elements the parser gives a mode or a document of their own.
const OWN_MODES: &[&str] = &[
    "plaintext",
    "svg",
    "math",
    "template",
    "select",
    "frameset",
    "frame",
    "head",
    "body",
    "html",
];

/// Elements whose content is text, not tags (html5ever runs with scripting on, so
/// `<noscript>` is one).
const RAW_TEXT: &[&str] = &[
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript",
];

/// Elements that have no end tag (HTML's void elements).
pub(super) const VOID: &[&str] = &[
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "image", "img",
    "input", "keygen", "link", "meta", "param", "source", "track", "wbr",
];

/// Elements put in the list of active formatting elements (reopened after a misnested close).
const FORMATTING: &[&str] = &[
    "a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u",
];

/// Start tags that close an open `<p>` first.
const CLOSES_P: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "center",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "li",
    "dd",
    "dt",
    "listing",
    "main",
    "menu",
    "nav",
    "ol",
    "p",
    "pre",
    "search",
    "section",
    "summary",
    "table",
    "ul",
];

/// Elements that bound the default scope: an end tag does not close past them.
const SCOPE: &[&str] = &[
    "applet",
    "caption",
    "html",
    "table",
    "td",
    "th",
    "marquee",
    "object",
    "template",
    "foreignobject",
    "desc",
    "mi",
    "mo",
    "mn",
    "ms",
    "mtext",
    "annotation-xml",
];

/// Elements that start a new set of active formatting elements.
const MARKERS: &[&str] = &[
    "applet", "caption", "marquee", "object", "template", "td", "th",
];

/// The tree builder's "special" elements: a stray end tag of an ordinary element does not
/// close past them, nor does an `<li>` look for an open `<li>` beyond them.
const SPECIAL: &[&str] = &[
    "address",
    "applet",
    "area",
    "article",
    "aside",
    "base",
    "basefont",
    "bgsound",
    "blockquote",
    "body",
    "br",
    "button",
    "caption",
    "center",
    "col",
    "colgroup",
    "dd",
    "details",
    "dir",
    "div",
    "dl",
    "dt",
    "embed",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "frame",
    "frameset",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hgroup",
    "hr",
    "html",
    "iframe",
    "img",
    "input",
    "keygen",
    "li",
    "link",
    "listing",
    "main",
    "marquee",
    "menu",
    "meta",
    "nav",
    "noembed",
    "noframes",
    "noscript",
    "object",
    "ol",
    "p",
    "param",
    "plaintext",
    "pre",
    "script",
    "search",
    "section",
    "select",
    "source",
    "style",
    "summary",
    "table",
    "tbody",
    "td",
    "template",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "track",
    "ul",
    "wbr",
    "xmp",
];

fn is_heading(name: &str) -> bool {
    matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
}

/// The parser's open elements and active formatting elements, as far as depth goes.
#[derive(Default)]
struct Model<'a> {
    /// Open elements, outermost first, with the id of their formatting entry.
    open: Vec<(Cow<'a, str>, Option<usize>)>,
    /// Active formatting elements: `None` is a marker; `Some((id, key, open))`, where `key` is
    /// the name and attributes (three alike at most) and `open` says it is in `open`.
    formatting: Vec<Option<(usize, String, bool)>>,
    /// Formatting entries not open: the parser may reopen each.
    closed_formatting: usize,
    next_id: usize,
    /// Open `<svg>`/`<math>`, where `<x/>` closes itself.
    foreign: usize,
}

impl<'a> Model<'a> {
    /// A start tag; returns the depth after it.
    fn start(&mut self, name: Cow<'a, str>, attrs: &str, self_closing: bool) -> usize {
        let n = name.as_ref();
        if matches!(n, "html" | "head" | "body" | "frameset") {
            return self.depth();
        }
        if CLOSES_P.contains(&n) {
            self.close_in_scope("p", &["button"]);
        }
        if VOID.contains(&n) || (self.foreign > 0 && self_closing) {
            return self.depth();
        }
        match n {
            "li" => self.close_sibling(&["li"], &[]),
            "dd" | "dt" => self.close_sibling(&["dd", "dt"], &[]),
            _ if is_heading(n) && self.open.last().is_some_and(|(t, _)| is_heading(t)) => {
                self.pop();
            }
            // A row closes the open cell and row; a cell the open cell; a section the open one.
            "tr" => self.close_until(&["tr"], &["table", "template", "html"]),
            "td" | "th" => self.close_until(&["td", "th"], &["tr", "table", "template", "html"]),
            "tbody" | "thead" | "tfoot" => {
                self.close_until(&["tbody", "thead", "tfoot"], &["table", "template", "html"])
            }
            "option" | "optgroup" if self.open.last().is_some_and(|(t, _)| t == "option") => {
                self.pop();
            }
            "button" => self.close_in_scope("button", &[]),
            "rb" | "rt" | "rp" | "rtc" => self.close_sibling(&["rb", "rt", "rp", "rtc"], &["ruby"]),
            // A second `<a>` or `<nobr>` closes the first.
            "a" | "nobr" if self.formatting_entry(n).is_some() => self.end_formatting(n),
            _ => {}
        }
        if matches!(n, "svg" | "math") {
            self.foreign += 1;
        }
        let id = FORMATTING
            .contains(&n)
            .then(|| self.push_formatting(n, attrs));
        let marker = MARKERS.contains(&n);
        self.open.push((name, id));
        if marker {
            self.formatting.push(None);
        }
        self.depth()
    }

    fn end(&mut self, name: &str) {
        match name {
            "p" => self.close_in_scope("p", &["button"]),
            "br" => {}
            "li" => self.close_in_scope("li", &["ol", "ul"]),
            // Table parts close in table scope, through any open cell.
            "table" | "tbody" | "thead" | "tfoot" | "tr" | "td" | "th" | "caption" => {
                let stop: &[&str] = if name == "table" {
                    &["template", "html"]
                } else {
                    &["table", "template", "html"]
                };
                self.close_until(&[name], stop);
            }
            _ if FORMATTING.contains(&name) => self.end_formatting(name),
            _ if SPECIAL.contains(&name) => self.close_in_scope(name, &[]),
            // An ordinary element: the nearest one open, unless a special element is in between.
            _ => {
                for k in (0..self.open.len()).rev() {
                    let t = self.open[k].0.as_ref();
                    if t == name {
                        self.truncate(k);
                        return;
                    }
                    if SPECIAL.contains(&t) {
                        return;
                    }
                }
            }
        }
    }

    fn depth(&self) -> usize {
        self.open.len() + self.closed_formatting
    }

    /// Closes the nearest open `name` and what it holds, if no scope boundary (or one of
    /// `also`) is in between.
    fn close_in_scope(&mut self, name: &str, also: &[&str]) {
        for k in (0..self.open.len()).rev() {
            let t = self.open[k].0.as_ref();
            if t == name {
                self.truncate(k);
                return;
            }
            if SCOPE.contains(&t) || also.contains(&t) {
                return;
            }
        }
    }

    /// An `<li>`-like start tag closes the nearest open one of `names`, looking past ordinary
    /// elements (and `<address>`, `<div>`, `<p>`) but not past other special ones or `stop`.
    fn close_sibling(&mut self, names: &[&str], stop: &[&str]) {
        for k in (0..self.open.len()).rev() {
            let t = self.open[k].0.as_ref();
            if names.contains(&t) {
                self.truncate(k);
                return;
            }
            let special = SPECIAL.contains(&t) && !matches!(t, "address" | "div" | "p");
            if special || stop.contains(&t) {
                return;
            }
        }
    }

    /// Closes the nearest open one of `names` and what it holds, unless one of `stop` comes
    /// first.
    fn close_until(&mut self, names: &[&str], stop: &[&str]) {
        for k in (0..self.open.len()).rev() {
            let t = self.open[k].0.as_ref();
            if names.contains(&t) {
                self.truncate(k);
                return;
            }
            if stop.contains(&t) {
                return;
            }
        }
    }

    fn pop(&mut self) {
        if let Some(k) = self.open.len().checked_sub(1) {
            self.truncate(k);
        }
    }

    /// Closes the open elements from `k` on.
    fn truncate(&mut self, k: usize) {
        while self.open.len() > k {
            let Some((name, id)) = self.open.pop() else {
                break;
            };
            if matches!(name.as_ref(), "svg" | "math") {
                self.foreign = self.foreign.saturating_sub(1);
            }
            if MARKERS.contains(&name.as_ref()) {
                self.clear_to_marker();
            }
            if let Some(id) = id
                && let Some(Some((_, _, open))) = self
                    .formatting
                    .iter_mut()
                    .find(|e| matches!(e, Some((i, _, _)) if *i == id))
                && *open
            {
                *open = false;
                self.closed_formatting += 1;
            }
        }
    }

    fn clear_to_marker(&mut self) {
        while let Some(e) = self.formatting.pop() {
            match e {
                None => break,
                Some((_, _, false)) => self.closed_formatting -= 1,
                Some(_) => {}
            }
        }
    }

    /// The index of the last formatting entry named `name` after the last marker.
    fn formatting_entry(&self, name: &str) -> Option<usize> {
        for (k, e) in self.formatting.iter().enumerate().rev() {
            match e {
                None => return None,
                Some((_, key, _)) if key.split(' ').next() == Some(name) => return Some(k),
                Some(_) => {}
            }
        }
        None
    }

    /// Adds a formatting entry; no more than three alike after the last marker are kept.
    fn push_formatting(&mut self, name: &str, attrs: &str) -> usize {
        let key = format!("{name} {}", attrs.trim());
        let alike: Vec<usize> = self
            .formatting
            .iter()
            .enumerate()
            .rev()
            .take_while(|(_, e)| e.is_some())
            .filter(|(_, e)| matches!(e, Some((_, k, _)) if *k == key))
            .map(|(k, _)| k)
            .collect();
        if alike.len() >= 3
            && let Some(&earliest) = alike.last()
            && let Some((_, _, open)) = self.formatting.remove(earliest)
            && !open
        {
            self.closed_formatting -= 1;
        }
        let id = self.next_id;
        self.next_id += 1;
        self.formatting.push(Some((id, key, true)));
        id
    }

    /// The end tag of a formatting element: its entry goes, and it closes if it is open in
    /// scope (the parser's adoption agency moves things around; the depth comes out no deeper).
    fn end_formatting(&mut self, name: &str) {
        let Some(k) = self.formatting_entry(name) else {
            // Not active: like any other end tag.
            self.close_in_scope(name, &[]);
            return;
        };
        let Some((id, _, open)) = self.formatting.remove(k) else {
            return;
        };
        if !open {
            self.closed_formatting -= 1;
            return;
        }
        if let Some(at) = self.open.iter().rposition(|(_, i)| *i == Some(id)) {
            let in_scope = self.open[at + 1..]
                .iter()
                .all(|(t, _)| !SCOPE.contains(&t.as_ref()));
            if in_scope {
                self.truncate(at);
            }
        }
    }
}

/// The lower-cased tag name starting at `at`, and where it ends.
fn name_at(html: &str, at: usize) -> (Cow<'_, str>, usize) {
    let b = html.as_bytes();
    let end = at
        + b[at..]
            .iter()
            .position(|&c| c.is_ascii_whitespace() || c == b'/' || c == b'>')
            .unwrap_or(b.len() - at);
    let name = &html[at..end];
    let name = if name.bytes().any(|c| c.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    };
    (name, end)
}

/// The rest of a tag after its name, as HTML's tokenizer reads attributes (a quote opens a
/// value only after `=`): its length through `>`, and whether it ends `/>`. `None` when the
/// fragment ends inside the tag (the parser then drops the tag).
fn tag_rest(b: &[u8]) -> Option<(usize, bool)> {
    let mut k = 0;
    let mut slash = false;
    loop {
        let c = *b.get(k)?;
        if c == b'>' {
            return Some((k + 1, slash));
        }
        if c.is_ascii_whitespace() || c == b'/' {
            slash = c == b'/';
            k += 1;
            continue;
        }
        slash = false;
        // An attribute name (its first character may be `=`).
        k += 1;
        while b
            .get(k)
            .is_some_and(|&c| !(c.is_ascii_whitespace() || matches!(c, b'/' | b'>' | b'=')))
        {
            k += 1;
        }
        while b.get(k).is_some_and(u8::is_ascii_whitespace) {
            k += 1;
        }
        if b.get(k) != Some(&b'=') {
            continue;
        }
        k += 1;
        while b.get(k).is_some_and(u8::is_ascii_whitespace) {
            k += 1;
        }
        match b.get(k) {
            Some(&q @ (b'"' | b'\'')) => k += 2 + b[k + 1..].iter().position(|&c| c == q)?,
            _ => {
                while b
                    .get(k)
                    .is_some_and(|&c| !(c.is_ascii_whitespace() || c == b'>'))
                {
                    k += 1;
                }
            }
        }
    }
}

/// The length of a comment's rest (after `<!--`) through its end: `-->`, `--!>`, or the
/// abrupt `>` and `->` of an empty one. `None` when it runs to the end.
fn comment_len(b: &[u8]) -> Option<usize> {
    if b.first() == Some(&b'>') {
        return Some(1);
    }
    if b.starts_with(b"->") {
        return Some(2);
    }
    let mut k = 0;
    while let Some(d) = b[k..].windows(2).position(|w| w == b"--") {
        let at = k + d + 2;
        if b.get(at) == Some(&b'>') {
            return Some(at + 1);
        }
        if b[at..].starts_with(b"!>") {
            return Some(at + 2);
        }
        k = k + d + 1;
    }
    None
}

/// The length of raw text through the end tag `</name`. `None` when it runs to the end.
fn raw_text_len(b: &[u8], name: &[u8]) -> Option<usize> {
    let mut k = 0;
    while let Some(d) = b[k..].windows(2).position(|w| w == b"</") {
        let at = k + d + 2;
        let after = b.get(at + name.len());
        if b.len() >= at + name.len()
            && b[at..at + name.len()].eq_ignore_ascii_case(name)
            && after.is_none_or(|c| c.is_ascii_whitespace() || matches!(c, b'/' | b'>'))
        {
            return Some(at + name.len() + tag_rest(&b[at + name.len()..])?.0);
        }
        k = k + d + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_ok(html: &str, max: usize) -> bool {
        too_deep(html, max).is_none()
    }

    #[test]
    fn nested_elements_are_counted() {
        let deep = "<div>".repeat(101);
        assert_eq!(too_deep(&deep, MAX_DEPTH), Some(500));
        assert!(depth_ok(&"<div>".repeat(100), MAX_DEPTH));
        assert!(!depth_ok(&"<ul><li>x".repeat(60), MAX_DEPTH));
        assert!(!depth_ok(&"<b>x ".repeat(101), MAX_DEPTH));
        // `<div/>` opens a div in HTML.
        assert!(!depth_ok(&"<div/>".repeat(101), MAX_DEPTH));
    }

    #[test]
    fn implied_ends_are_followed() {
        for flat in [
            "<p>x".repeat(1000),
            "<li>x".repeat(1000),
            "<ul><li>a<li>b</ul>".repeat(1000),
            "<div></div>".repeat(1000),
            "<b>x</b>".repeat(1000),
            "<p><b>x</p>".repeat(1000),
            "<table><tr><td>x<td>y<tr><td>z</table>".repeat(1000),
            "<br><img src=x><hr>".repeat(1000),
            "<svg><path/></svg>".repeat(1000),
            "<dl><dt>a<dd>b</dl>".repeat(1000),
        ] {
            assert!(depth_ok(&flat, 10), "{}", &flat[..40]);
        }
    }

    #[test]
    fn what_is_not_a_tag_is_not_counted() {
        for text in [
            format!("<!--{}-->", "<div>".repeat(200)),
            format!("<script>{}</script>", "<div>".repeat(200)),
            format!("<textarea>{}", "<div>".repeat(200)),
            format!("<span title=\"{}\">", "<div>".repeat(200)),
            format!("<!-- {}", "<div>".repeat(200)),
            "&lt;div&gt;".repeat(200),
        ] {
            assert!(depth_ok(&text, 10), "{}", &text[..30]);
        }
        // A quote opens a value only after `=`: the tag ends at `>` and the divs count.
        assert!(!depth_ok(&format!("<span a\">{}", "<div>".repeat(20)), 10));
    }

    #[test]
    fn self_contained_fragments() {
        for closed in [
            "<p style=\"x\">a <b>b</b> c</p>",
            "<b>x</b><br><img src=\"a\"><!-- c --><!DOCTYPE x>",
            "<ul><li><section>x</section></li></ul>",
            "text &amp; a < b",
            "",
        ] {
            assert!(self_contained(closed), "{closed}");
        }
        for open in [
            "<b>x",
            "<div><span></div></span>",
            "<p>x</p></p>",
            "<!-- x",
            "<script>x</script>",
            "<div/>",
            "<svg></svg>",
            "<span title=\"x>",
            "x </ y",
            "<br",
        ] {
            assert!(!self_contained(open), "{open}");
        }
    }

    #[test]
    fn formatting_closed_by_a_parent_still_counts() {
        // The parser reopens each of these `<b>` in the next block: distinct attributes defeat
        // its limit of three alike.
        let html: String = (0..200)
            .map(|i| format!("<div><b id={i}></div>x"))
            .collect();
        assert!(!depth_ok(&html, MAX_DEPTH));
        // Alike ones are kept three at most.
        assert!(depth_ok(&"<div><b></div>x".repeat(1000), 10));
    }
}
