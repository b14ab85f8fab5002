//! Code, shown as written: code blocks highlighted with their whitespace spelled out (WeChat
//! collapses spaces and drops newlines in `<pre>`), inline code, and the source boxes of the
//! diagrams and formulas that could not be drawn (each reported as a notice).

use std::ops::Range;

use pulldown_cmark::CodeBlockKind;

use super::{Capture, Notice, Writer};
use crate::render::highlight;
use crate::render::html::escape_text;
use crate::render::theme::El;
use crate::render::validate::TEXT_MAX;

/// How much of an article's code is highlighted. Highlighting costs about a second per
/// 150 KB; once the code alone holds WeChat's limit of visible characters for the whole
/// article, the article is refused whatever colour its code has, so the rest is written plain
/// (the text, and so the error, stay the same). The byte cap bounds code that shows few
/// characters (blank lines).
#[derive(Default)]
pub(super) struct Budget {
    chars: usize,
    bytes: usize,
}

const HIGHLIGHT_MAX_BYTES: usize = 256 * 1024;

impl Budget {
    /// Splits `code` after the last whole line that still fits the budget, and spends it.
    fn take<'c>(&mut self, code: &'c str) -> (&'c str, &'c str) {
        let mut end = 0;
        for line in code.split_inclusive('\n') {
            let chars = line
                .chars()
                .map(|c| match c {
                    '\n' | '\r' => 0,
                    '\t' => highlight::TAB_WIDTH,
                    _ => 1,
                })
                .sum::<usize>();
            if self.chars + chars >= TEXT_MAX || self.bytes + line.len() > HIGHLIGHT_MAX_BYTES {
                // Nothing more is highlighted in this article.
                self.chars = TEXT_MAX;
                break;
            }
            self.chars += chars;
            self.bytes += line.len();
            end += line.len();
        }
        code.split_at(end)
    }
}

/// Code-block languages that are diagrams (`mermaid` is drawn, the others shown as source).
const DIAGRAMS: &[&str] = &[
    "mermaid",
    "plantuml",
    "puml",
    "flowchart",
    "sequence",
    "dot",
    "graphviz",
];

/// Code-block languages that are math.
pub(super) const MATH: &[&str] = &["math", "latex", "tex", "katex"];

impl Writer<'_, '_> {
    pub(super) fn code_block_start(&mut self, kind: CodeBlockKind<'_>, range: Range<usize>) {
        self.paras.inline_next = false;
        let lang = match kind {
            // The language is the info string's first word (```rust,ignore or ```js {1,3}).
            CodeBlockKind::Fenced(info) => info
                .split(|c: char| c.is_whitespace() || c == ',' || c == '{')
                .next()
                .unwrap_or("")
                .to_string(),
            CodeBlockKind::Indented => String::new(),
        };
        self.capture = Capture::Code {
            lang,
            text: String::new(),
            range,
        };
    }

    pub(super) fn code_block_end(&mut self) {
        let Capture::Code { lang, text, range } = std::mem::take(&mut self.capture) else {
            return;
        };
        let lower = lang.to_ascii_lowercase();
        let source = if lower == "mermaid" {
            match self.diagram_block(&text, range.clone()) {
                Ok(()) => return,
                Err(why) => Some((El::Diagram, Notice::DiagramFailed(range, why))),
            }
        } else if DIAGRAMS.contains(&lower.as_str()) {
            Some((El::Diagram, Notice::Diagram(lower, range)))
        } else if MATH.contains(&lower.as_str()) {
            match self.math_block(&text) {
                Ok(()) => return,
                Err(why) => Some((El::MathBlock, Notice::Math(range, why))),
            }
        } else {
            None
        };
        if let Some((el, notice)) = source {
            self.result.notices.push(notice);
            self.source_box(el, &text);
            return;
        }
        let pre = self.style(El::Pre);
        let colors = highlight::theme_colors(self.opt.code_theme, !pre.contains("background"));
        // The code theme gives the default colours; the theme's `pre` rules come after, so a
        // theme may still set its own background.
        self.open_tag("pre", "", &[&colors, pre]);
        self.open(El::PreCode, "code");
        match self.code.take(&text) {
            (all, "") => highlight::highlight(all, &lang, self.opt.code_theme, &mut self.out),
            (lit, rest) => {
                // `lit` ends with a newline, which `highlight` leaves out: written here.
                if !lit.is_empty() {
                    highlight::highlight(lit, &lang, self.opt.code_theme, &mut self.out);
                    self.out.push_str("<br>");
                }
                highlight::push_code_text(rest.strip_suffix('\n').unwrap_or(rest), &mut self.out);
            }
        }
        self.out.push_str("</code></pre>");
    }

    pub(super) fn inline_code(&mut self, code: &str) {
        self.flush_soft(code.chars().next());
        self.open(El::Code, "code");
        // A run of spaces would collapse; single spaces stay breakable.
        let mut prev_space = false;
        for ch in code.chars() {
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
        self.flow.last_char = code.chars().next_back();
    }

    /// A diagram or formula block shown as its source.
    pub(super) fn source_box(&mut self, el: El, text: &str) {
        self.open(el, "section");
        highlight::push_code_text(text.strip_suffix('\n').unwrap_or(text), &mut self.out);
        self.close("section");
    }

    /// Inline TeX shown as its source.
    pub(super) fn inline_math_source(&mut self, tex: &str, range: Range<usize>, why: String) {
        self.flush_soft(None);
        self.result.notices.push(Notice::Math(range, why));
        self.open(El::Math, "span");
        escape_text(tex, &mut self.out);
        self.close("span");
        // Not CJK: a soft break after the formula stays a space.
        self.flow.last_char = Some('$');
    }

    /// Display TeX shown as its source.
    pub(super) fn display_math_source(&mut self, tex: &str, range: Range<usize>, why: String) {
        self.result.notices.push(Notice::Math(range, why));
        self.open(El::MathBlock, "section");
        highlight::push_code_text(tex.trim_matches('\n'), &mut self.out);
        self.close("section");
    }
}
