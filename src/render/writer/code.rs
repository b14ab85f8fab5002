//! Code and TeX, shown as written: code blocks highlighted with their whitespace spelled out
//! (WeChat collapses spaces and drops newlines in `<pre>`), diagrams and math as source (WeChat
//! can draw neither; each is reported as a notice), inline code and inline math.

use std::ops::Range;

use pulldown_cmark::CodeBlockKind;

use super::{Capture, Notice, Writer};
use crate::render::highlight;
use crate::render::html::escape_text;
use crate::render::theme::El;

/// Code-block languages that are diagrams.
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
const MATH: &[&str] = &["math", "latex", "tex", "katex"];

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
        let source = if DIAGRAMS.contains(&lower.as_str()) {
            Some((El::Diagram, Notice::Diagram(lower, range)))
        } else if MATH.contains(&lower.as_str()) {
            Some((El::MathBlock, Notice::Math(range)))
        } else {
            None
        };
        if let Some((el, notice)) = source {
            self.result.notices.push(notice);
            self.open(el, "section");
            highlight::push_code_text(text.strip_suffix('\n').unwrap_or(&text), &mut self.out);
            self.close("section");
            return;
        }
        let pre = self.style(El::Pre);
        let colors = highlight::theme_colors(self.opt.code_theme, !pre.contains("background"));
        // The code theme gives the default colours; the theme's `pre` rules come after, so a
        // theme may still set its own background.
        self.open_tag("pre", "", &[&colors, pre]);
        self.open(El::PreCode, "code");
        highlight::highlight(&text, &lang, self.opt.code_theme, &mut self.out);
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

    pub(super) fn inline_math(&mut self, tex: &str, range: Range<usize>) {
        self.flush_soft(None);
        self.result.notices.push(Notice::Math(range));
        self.open(El::Math, "span");
        escape_text(tex, &mut self.out);
        self.close("span");
        // Not CJK: a soft break after the formula stays a space.
        self.flow.last_char = Some('$');
    }

    pub(super) fn display_math(&mut self, tex: &str, range: Range<usize>) {
        self.flush_soft(None);
        self.result.notices.push(Notice::Math(range));
        self.open(El::MathBlock, "section");
        highlight::push_code_text(tex.trim_matches('\n'), &mut self.out);
        self.close("section");
    }
}
