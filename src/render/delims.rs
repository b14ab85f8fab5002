//! The `\(…\)` and `\[…\]` math delimiters. pulldown-cmark reads `\(` as an escaped
//! bracket; this turns each pair inside one paragraph (or heading, cell, item) into the
//! inline or display math event that `$…$` and `$$…$$` give, its TeX taken from the source
//! as written (Markdown escapes would eat its backslashes).

use std::collections::VecDeque;
use std::ops::Range;

use pulldown_cmark::{CowStr, Event, Tag, TagEnd};

/// Events looked through for the closing delimiter at most: a formula is short.
const LOOKAHEAD: usize = 256;

/// `events` (with their ranges in `source`) with the bracket delimiters made math.
pub fn bracket_math<'e>(
    events: impl Iterator<Item = (Event<'e>, Range<usize>)>,
    source: &'e str,
) -> impl Iterator<Item = (Event<'e>, Range<usize>)> {
    BracketMath {
        inner: events,
        source,
        queue: VecDeque::new(),
        block_end: source.len(),
        quotes: 0,
    }
}

struct BracketMath<'e, I> {
    inner: I,
    source: &'e str,
    /// Events read ahead and given back.
    queue: VecDeque<(Event<'e>, Range<usize>)>,
    /// Where the innermost block that holds text ends.
    block_end: usize,
    /// Block quotes open: their `>` markers are taken out of a formula's lines.
    quotes: usize,
}

impl<'e, I: Iterator<Item = (Event<'e>, Range<usize>)>> BracketMath<'e, I> {
    fn pull(&mut self) -> Option<(Event<'e>, Range<usize>)> {
        self.queue.pop_front().or_else(|| self.inner.next())
    }

    /// `\(` or `\[` at the start of `text`, at `range`: the math it opens, if it closes.
    fn try_math(&mut self, text: &str, range: &Range<usize>) -> Option<(Event<'e>, Range<usize>)> {
        let (close, display) = match text.as_bytes().first()? {
            b'(' => ("\\)", false),
            b'[' => ("\\]", true),
            _ => return None,
        };
        let open_at = range.start.checked_sub(1)?;
        if self.source.as_bytes().get(open_at) != Some(&b'\\') {
            return None;
        }
        let body_start = range.start + 1;
        let hay = self
            .source
            .get(body_start..self.block_end.min(self.source.len()))?;
        let close_at = body_start + hay.find(close)?;
        // The events up to the one that holds the closing bracket, balanced.
        let mut taken: Vec<(Event<'e>, Range<usize>)> = Vec::new();
        let mut depth = 0i32;
        let mut rest: Option<(Event<'e>, Range<usize>)> = None;
        let found = loop {
            if taken.len() > LOOKAHEAD {
                break false;
            }
            let Some((e, r)) = self.pull() else {
                break false;
            };
            if r.start > close_at + 1 {
                taken.push((e, r));
                break false;
            }
            match &e {
                Event::Text(t) if r.start == close_at + 1 => {
                    // `)` or `]` and what follows it.
                    let after = t.get(1..).unwrap_or("").to_string();
                    if !after.is_empty() {
                        rest = Some((Event::Text(CowStr::from(after)), r.start + 1..r.end));
                    }
                    taken.push((e, r));
                    break depth == 0;
                }
                Event::Start(_) => depth += 1,
                Event::End(_) => depth -= 1,
                _ => {}
            }
            taken.push((e, r));
            if depth < 0 {
                break false;
            }
        };
        if !found {
            self.queue.extend(taken);
            return None;
        }
        if let Some(r) = rest {
            self.queue.push_front(r);
        }
        let tex = self.tex(body_start..close_at);
        let event = if display {
            Event::DisplayMath(CowStr::from(tex))
        } else {
            Event::InlineMath(CowStr::from(tex))
        };
        Some((event, open_at..close_at + 2))
    }

    /// The source of a formula, without the `>` of block quotes on its later lines.
    fn tex(&self, range: Range<usize>) -> String {
        let raw = &self.source[range];
        if self.quotes == 0 {
            return raw.to_string();
        }
        let mut out = String::with_capacity(raw.len());
        for (i, line) in raw.split('\n').enumerate() {
            if i > 0 {
                out.push('\n');
                let mut l = line;
                for _ in 0..self.quotes {
                    l = l.trim_start_matches([' ', '\t']);
                    l = l.strip_prefix('>').unwrap_or(l);
                }
                out.push_str(l);
            } else {
                out.push_str(line);
            }
        }
        out
    }
}

impl<'e, I: Iterator<Item = (Event<'e>, Range<usize>)>> Iterator for BracketMath<'e, I> {
    type Item = (Event<'e>, Range<usize>);

    fn next(&mut self) -> Option<Self::Item> {
        let (e, r) = self.pull()?;
        match &e {
            Event::Start(Tag::Paragraph | Tag::Heading { .. } | Tag::TableCell | Tag::Item) => {
                self.block_end = r.end
            }
            Event::Start(Tag::BlockQuote(_)) => self.quotes += 1,
            Event::End(TagEnd::BlockQuote(_)) => self.quotes = self.quotes.saturating_sub(1),
            Event::Text(t) => {
                let t = t.clone();
                if let Some(math) = self.try_math(&t, &r) {
                    return Some(math);
                }
            }
            _ => {}
        }
        Some((e, r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pulldown_cmark::Parser;

    fn events(md: &str) -> Vec<Event<'_>> {
        bracket_math(
            Parser::new_ext(md, crate::render::markdown_options()).into_offset_iter(),
            md,
        )
        .map(|(e, _)| e)
        .collect()
    }

    fn maths(md: &str) -> Vec<String> {
        events(md)
            .into_iter()
            .filter_map(|e| match e {
                Event::InlineMath(m) => Some(format!("i:{m}")),
                Event::DisplayMath(m) => Some(format!("d:{m}")),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn brackets_become_math() {
        assert_eq!(
            maths(r"Euler \(e^{i\pi} + 1 = 0\) and \(a_1 * b_2\)."),
            [r"i:e^{i\pi} + 1 = 0", "i:a_1 * b_2"]
        );
        assert_eq!(
            maths("\\[\n\\int_0^1 x\\,dx\n\\]\n"),
            ["d:\n\\int_0^1 x\\,dx\n"]
        );
        assert_eq!(maths("> quote \\[a\n> = b\\]\n"), ["d:a\n = b"]);
        assert_eq!(maths("- item \\(x\\) and $y$\n"), ["i:x", "i:y"]);
    }

    #[test]
    fn the_text_around_stays() {
        let text: String = events(r"a \(x\)b, c")
            .into_iter()
            .filter_map(|e| match e {
                Event::Text(t) => Some(t.to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(text, "a b, c");
    }

    #[test]
    fn what_is_no_formula_stays_text() {
        // Unclosed, escaped backslash, across paragraphs, or across an emphasis boundary.
        assert!(maths(r"an \( alone").is_empty());
        assert!(maths(r"\\(not\\)").is_empty());
        assert!(maths("\\(a\n\nb\\)").is_empty());
        assert!(maths(r"*a \(b* c\)").is_empty());
        assert!(maths("`\\(code\\)`").is_empty());
        let text: String = events(r"an \( alone")
            .into_iter()
            .filter_map(|e| match e {
                Event::Text(t) => Some(t.to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(text, "an ( alone");
    }
}
