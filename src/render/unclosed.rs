//! Raw HTML blocks that never close. CommonMark runs a block opened by `<!--`, `<?`,
//! `<![CDATA[`, a declaration (`<!DOCTYPE`), `<script>`, `<style>`, `<textarea>` or `<pre>`
//! until its end marker (`-->`, `?>`, `]]>`, `>`, the closing tag), or else to the end of the
//! document or of the list item or quote holding it: one forgotten `-->` makes raw HTML of the
//! rest of the article, which the sanitizer then drops. This module finds such blocks before
//! the body is written, ends each at its first line (by adding the end marker there, so the
//! parser itself ends it), and maps positions in the changed text back to the body.

use std::borrow::Cow;
use std::ops::Range;

use pulldown_cmark::{Event, Parser, Tag};

use crate::render::markdown::markdown_options;

/// The most blocks ended in one article (unclosed ones, and those closed in another letter
/// case). Each one found may need another parse of the body (the blocks it swallowed are only
/// seen then), so the count bounds the work; an article with more is refused.
pub const MAX_UNCLOSED: usize = 8;

/// An unclosed block: where it opens in the body, and how it opens and should have ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unclosed {
    /// The `<` that opens it, in the body.
    pub at: usize,
    /// The opener as a writer would recognise it (`<!--`, `<script>`).
    pub opener: String,
    /// The end marker it lacks (`-->`, `</script>`).
    pub marker: &'static str,
}

/// The body with every unclosed block ended at its first line.
#[derive(Debug)]
pub struct Closed<'a> {
    /// The body, with an end marker added after each unclosed opening line.
    pub text: Cow<'a, str>,
    /// Where markers were added in `text` and how long each is, in order.
    inserted: Vec<(usize, usize)>,
    /// The blocks that were ended early, in the order found.
    pub unclosed: Vec<Unclosed>,
    /// A further unclosed block, past [`MAX_UNCLOSED`]: left as it is, and an error.
    pub too_many: Option<Unclosed>,
    /// Where each block ended early starts in `text`, to leave its first line out (it opens
    /// something that never ends; only a `<pre>` keeps it).
    starts: Vec<usize>,
}

impl Closed<'_> {
    /// A position in `text` as a position in the body (a position inside an added marker is
    /// the end of the line it was added to).
    pub fn to_body(&self, pos: usize) -> usize {
        let mut shift = 0;
        for &(at, len) in &self.inserted {
            if pos <= at {
                break;
            }
            if pos < at + len {
                return at - shift;
            }
            shift += len;
        }
        pos - shift
    }

    pub fn range_to_body(&self, r: Range<usize>) -> Range<usize> {
        self.to_body(r.start)..self.to_body(r.end)
    }

    /// True for the HTML block starting at `start` in `text` that was ended early and shows
    /// nothing of its own (everything but `<pre>`).
    pub fn is_dropped(&self, start: usize) -> bool {
        self.starts.binary_search(&start).is_ok()
    }
}

/// Finds the unclosed blocks of `body` and ends each at its opening line.
pub fn close(body: &str) -> Closed<'_> {
    let mut closed = Closed {
        text: Cow::Borrowed(body),
        inserted: Vec::new(),
        unclosed: Vec::new(),
        too_many: None,
        starts: Vec::new(),
    };
    // Every opener starts with `<`: an article without one has nothing to close.
    if !body.contains('<') {
        return closed;
    }
    // A block ended early may have hidden further unclosed blocks, which only the next parse
    // sees: parse again until none is left (at most MAX_UNCLOSED + 1 parses).
    let mut fixed = 0;
    loop {
        let found = find(&closed.text);
        if found.is_empty() {
            break;
        }
        let mut text = String::with_capacity(closed.text.len() + 16 * found.len());
        let mut last = 0;
        // This pass's markers, at their position in the text before it.
        let mut added: Vec<(usize, usize)> = Vec::new();
        let mut starts = Vec::new();
        for f in found {
            let mut u = f.unclosed;
            u.at = closed.to_body(f.start);
            if fixed == MAX_UNCLOSED {
                closed.too_many = Some(u);
                break;
            }
            fixed += 1;
            text.push_str(&closed.text[last..f.line_end]);
            text.push_str(u.marker);
            last = f.line_end;
            added.push((f.line_end, u.marker.len()));
            if !f.other_case {
                if u.opener != "<pre>" {
                    starts.push(f.start);
                }
                closed.unclosed.push(u);
            }
        }
        text.push_str(&closed.text[last..]);
        // Positions in the old text move by the markers added before them.
        let moved = |p: usize| {
            p + added
                .iter()
                .filter(|&&(a, _)| a < p)
                .map(|&(_, l)| l)
                .sum::<usize>()
        };
        let mut inserted: Vec<(usize, usize)> = closed
            .inserted
            .iter()
            .map(|&(p, l)| (moved(p), l))
            .chain(added.iter().map(|&(p, l)| (moved(p), l)))
            .collect();
        inserted.sort_unstable();
        closed.inserted = inserted;
        closed.starts = closed
            .starts
            .iter()
            .chain(&starts)
            .map(|&p| moved(p))
            .collect();
        closed.text = Cow::Owned(text);
        if closed.too_many.is_some() {
            break;
        }
    }
    closed.starts.sort_unstable();
    closed
}

/// One unclosed block found in a parse: where it starts and where its first line ends, in the
/// text of that parse.
struct Found {
    unclosed: Unclosed,
    /// The block does close, in another letter case (`</SCRIPT>`), which pulldown-cmark does
    /// not see: it gets the marker on that line, and no warning.
    other_case: bool,
    start: usize,
    /// Where the marker goes: the end of the opening line, or of the line that closes it.
    line_end: usize,
}

/// The unclosed blocks of one parse of `text` that hide something (a block that runs to the
/// end with nothing after its first line loses nothing).
fn find(text: &str) -> Vec<Found> {
    let mut out = Vec::new();
    for (event, range) in Parser::new_ext(text, markdown_options()).into_offset_iter() {
        if !matches!(event, Event::Start(Tag::HtmlBlock)) {
            continue;
        }
        let block = &text[range.clone()];
        let Some((opener, marker)) = block.strip_prefix('<').and_then(opener) else {
            continue;
        };
        // pulldown-cmark ends the block at the first line holding the marker as written.
        if block.contains(marker) {
            continue;
        }
        let line_end = |from: usize| {
            let end = block[from..].find('\n').map_or(block.len(), |i| from + i);
            range.start + block[..end].trim_end_matches('\r').len()
        };
        // Only end tags have a letter case to differ in.
        let other_case = marker
            .starts_with("</")
            .then(|| find_ignoring_case(block, marker));
        if let Some(Some(i)) = other_case {
            out.push(Found {
                unclosed: Unclosed {
                    at: range.start,
                    opener,
                    marker,
                },
                other_case: true,
                start: range.start,
                line_end: line_end(i),
            });
            continue;
        }
        let first_end = block.find('\n').unwrap_or(block.len());
        if block[first_end..].trim().is_empty() {
            continue;
        }
        out.push(Found {
            unclosed: Unclosed {
                at: range.start,
                opener,
                marker,
            },
            other_case: false,
            start: range.start,
            line_end: line_end(0),
        });
    }
    out
}

/// Where `needle` (an end tag) is in `hay`, in any letter case.
fn find_ignoring_case(hay: &str, needle: &str) -> Option<usize> {
    hay.match_indices("</").map(|(i, _)| i).find(|&i| {
        hay.as_bytes()
            .get(i..i + needle.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
    })
}

/// The opener of an HTML block of CommonMark's types 1 to 5 (`after` follows its `<`), and the
/// marker that ends it, as pulldown-cmark recognises them.
fn opener(after: &str) -> Option<(String, &'static str)> {
    let b = after.as_bytes();
    for (name, end) in [
        ("pre", "</pre>"),
        ("style", "</style>"),
        ("script", "</script>"),
        ("textarea", "</textarea>"),
    ] {
        let n = name.len();
        if b.len() >= n
            && b[..n].eq_ignore_ascii_case(name.as_bytes())
            && b.get(n)
                .is_none_or(|c| c.is_ascii_whitespace() || *c == b'>')
        {
            return Some((format!("<{name}>"), end));
        }
    }
    for (start, end) in [("!--", "-->"), ("?", "?>"), ("![CDATA[", "]]>")] {
        if after.starts_with(start) {
            return Some((format!("<{start}"), end));
        }
    }
    if b.len() > 1 && b[0] == b'!' && b[1].is_ascii_alphabetic() {
        let word: String = after[1..]
            .chars()
            .take_while(char::is_ascii_alphabetic)
            .collect();
        return Some((format!("<!{word}"), ">"));
    }
    None
}
