//! Formulas and diagrams in the body. A formula typeset by [`crate::render::math`] is kept
//! out of the HTML while it is written, as a marker that only this writer can spell (it holds
//! a random nonce), and put in by [`Formulas::put_in`] once every block is sanitized: user
//! HTML around a formula can never carry SVG in, and the sanitizer never sees the formula's.
//! Display math is a block of its own, centred and scrolling when wide, never inside a `<p>`.
//! A diagram becomes an image ([`crate::render::diagram`]). Either falls back to its source.

use std::hash::{BuildHasher, Hasher};
use std::ops::Range;

use super::{Notice, Writer};
use crate::render::diagram::DiagramError;
use crate::render::html::escape_attr;
use crate::render::math;
use crate::render::theme::El;

/// The block around display math: its own line, centred, scrolling sideways when wider than
/// the column (WeChat keeps `overflow-x` on a `<section>`, as it does for tables).
const DISPLAY_STYLE: &str = "display:block;margin:0.8em 0;overflow-x:auto;overflow-y:hidden;text-align:center;line-height:1";

/// The formulas of one article, waiting for the HTML to be final.
pub(super) struct Formulas {
    /// `wxsyncmath<nonce>x`: what opens a marker.
    prefix: String,
    svgs: Vec<String>,
}

impl Default for Formulas {
    fn default() -> Self {
        let random = std::collections::hash_map::RandomState::new();
        let (mut a, mut b) = (random.build_hasher(), random.build_hasher());
        a.write_u8(1);
        b.write_u8(2);
        Formulas {
            prefix: format!("wxsyncmath{:016x}{:016x}x", a.finish(), b.finish()),
            svgs: Vec::new(),
        }
    }
}

impl Formulas {
    /// The marker that stands for `svg` in the HTML until [`Formulas::put_in`].
    fn marker(&mut self, svg: String) -> String {
        self.svgs.push(svg);
        format!("{}{}z", self.prefix, self.svgs.len() - 1)
    }

    /// `html` with each marker in its text replaced by its formula.
    pub(super) fn put_in(&self, html: String) -> String {
        if self.svgs.is_empty() {
            return html;
        }
        let mut out =
            String::with_capacity(html.len() + self.svgs.iter().map(String::len).sum::<usize>());
        let mut in_tag = false;
        let mut rest = html.as_str();
        while let Some(i) = rest.find(['<', '>', 'w']) {
            let (before, at) = rest.split_at(i);
            out.push_str(before);
            match at.as_bytes()[0] {
                b'<' => in_tag = true,
                b'>' => in_tag = false,
                _ if !in_tag && at.starts_with(&self.prefix) => {
                    let tail = &at[self.prefix.len()..];
                    let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
                    let svg = tail
                        .get(digits..)
                        .filter(|t| t.starts_with('z'))
                        .and_then(|_| tail[..digits].parse::<usize>().ok())
                        .and_then(|n| self.svgs.get(n));
                    if let Some(svg) = svg {
                        out.push_str(svg);
                        rest = &tail[digits + 1..];
                        continue;
                    }
                }
                _ => {}
            }
            out.push_str(&at[..1]);
            rest = &at[1..];
        }
        out.push_str(rest);
        out
    }
}

impl Writer<'_, '_> {
    pub(super) fn inline_math(&mut self, tex: &str, range: Range<usize>) {
        match math::typeset(tex, false) {
            Ok(svg) => {
                self.flush_soft(None);
                let marker = self.formulas.marker(svg);
                self.out.push_str(&marker);
                // Not CJK: a soft break after the formula stays a space.
                self.flow.last_char = Some('$');
            }
            Err(why) => self.inline_math_source(tex, range, why.0),
        }
    }

    pub(super) fn display_math(&mut self, tex: &str, range: Range<usize>) {
        self.flush_soft(None);
        let reopen = self.leave_paragraph();
        match math::typeset(tex, true) {
            Ok(svg) => self.display_svg(svg),
            Err(why) => self.display_math_source(tex, range, why.0),
        }
        if reopen {
            self.reopen_paragraph();
        }
    }

    /// A ```` ```math ```` block typeset, or why not.
    pub(super) fn math_block(&mut self, tex: &str) -> Result<(), String> {
        let svg = math::typeset(tex, true).map_err(|e| e.0)?;
        self.display_svg(svg);
        Ok(())
    }

    fn display_svg(&mut self, svg: String) {
        self.open_tag("section", "", &[DISPLAY_STYLE]);
        let marker = self.formulas.marker(svg);
        self.out.push_str(&marker);
        // A zero-width space: WeChat's dark mode recolours only elements that hold text, and
        // the formula's ink is the colour of the block around it.
        self.out.push('\u{200b}');
        self.close("section");
    }

    /// A ```` ```mermaid ```` block drawn as an image, or why not.
    pub(super) fn diagram_block(
        &mut self,
        source: &str,
        range: Range<usize>,
    ) -> Result<(), DiagramError> {
        let image = (self.diagram)(source)?;
        if !image.missing_glyphs.is_empty() {
            self.result
                .notices
                .push(Notice::DiagramGlyphs(range, image.missing_glyphs.clone()));
        }
        let mut attrs = String::from(" src=\"");
        escape_attr(&image.src, &mut attrs);
        attrs.push_str("\" alt=\"diagram\"");
        let width = format!("width:{}px", image.width);
        self.open_tag("img", &attrs, &[self.style(El::Img), &width]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_replaced_in_text_only() {
        let mut f = Formulas::default();
        let m0 = f.marker("<svg>0</svg>".into());
        let m1 = f.marker("<svg>1</svg>".into());
        let html = format!(
            "<p>a {m0} b</p><span title=\"{m1}\">{m1}</span>w{}",
            f.prefix
        );
        let out = f.put_in(html);
        assert_eq!(
            out,
            format!(
                "<p>a <svg>0</svg> b</p><span title=\"{m1}\"><svg>1</svg></span>w{}",
                f.prefix
            )
        );
        // Another writer's markers are not this one's.
        let other = Formulas::default();
        assert_ne!(other.prefix, f.prefix);
        assert_eq!(other.put_in(m0.clone()), m0);
    }
}
