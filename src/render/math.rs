//! Formulas: TeX typeset into a self-contained inline SVG that WeChat keeps, glyphs as
//! paths in `currentColor`, sized in `em` so it sits on the text's baseline at the text's size.
//!
//! The engine is `latex-rust` (pure Rust, TeX's layout rules, the STIX Two Math font built
//! in): on the shared corpus it typesets 647 of 648 formulas at about 50 µs each, where
//! `mitex` + `typst` cost minutes of build and megabytes of binary (BENCHMARKS.md). Its SVG
//! goes through [`crate::render::svg`], wxsync's own SVG rules, before it reaches a payload.
//! A formula it cannot typeset comes back as an error naming the construct, and the writer
//! shows the source instead.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use latex_rust::{MathFont, MathStyle, SvgOptions};

use crate::render::svg;

/// The most bytes of TeX typeset as one formula; a longer one is shown as source (it is
/// not a formula a reader can take in, and it bounds the work one can ask for).
pub const TEX_MAX: usize = 8 * 1024;

/// Formulas kept in memory per process: typesetting one costs less than reading it from a
/// cache file would, so repeats within a run (watch mode, a corpus) are what is saved.
const MEMO_MAX: usize = 16 * 1024;

/// How large a formula is drawn, in `em` of the text around it per `em` of TeX.
const SCALE: f64 = 1.15;

/// Why a formula was not typeset: the construct, as a reader of the warning needs it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MathError(pub String);

/// A formula typeset: the `<svg>` element, ready for the payload.
pub type Svg = String;

fn font() -> Option<&'static MathFont> {
    static FONT: OnceLock<Option<MathFont>> = OnceLock::new();
    FONT.get_or_init(|| MathFont::stix_two_math().ok()).as_ref()
}

type Memo = Mutex<HashMap<(String, bool), Result<Svg, MathError>>>;

fn memo() -> &'static Memo {
    static MEMO: OnceLock<Memo> = OnceLock::new();
    MEMO.get_or_init(Memo::default)
}

/// `tex` typeset, inline (text style) or as display math.
pub fn typeset(tex: &str, display: bool) -> Result<Svg, MathError> {
    let key = (tex.to_string(), display);
    if let Some(hit) = memo().lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return hit.clone();
    }
    let result = typeset_uncached(tex, display);
    let mut m = memo().lock().unwrap_or_else(|p| p.into_inner());
    if m.len() >= MEMO_MAX {
        m.clear();
    }
    m.insert(key, result.clone());
    result
}

fn typeset_uncached(tex: &str, display: bool) -> Result<Svg, MathError> {
    let tex = tex.trim();
    if tex.is_empty() {
        return Err(MathError("the formula is empty".into()));
    }
    if tex.len() > TEX_MAX {
        return Err(MathError(format!(
            "the formula is {} bytes; at most {TEX_MAX} are typeset",
            tex.len()
        )));
    }
    let font = font().ok_or_else(|| MathError("the math font cannot be read".into()))?;
    let tex = normalize(tex);
    // The engine bounds its nesting; a panic in it is still no reason to lose the article.
    let laid = std::panic::catch_unwind(|| -> Result<_, latex_rust::Error> {
        let ast = latex_rust::parse(&tex)?;
        let style = if display {
            MathStyle::Display
        } else {
            MathStyle::Text
        };
        let tree = latex_rust::layout(&ast, font, style)?;
        let mut opts = SvgOptions::new();
        opts.display = display;
        let svg = latex_rust::render_svg(&tree, font, &opts)?;
        Ok((tree.width, tree.height, tree.depth, svg))
    })
    .map_err(|_| MathError("the typesetter failed on this formula".into()))?
    .map_err(|e| MathError(e.to_string()))?;
    let (width, height, depth, raw) = laid;
    let em = |d: &latex_rust::Dim| d.to_svg_string().parse::<f64>().unwrap_or(0.0);
    // STIX Two at the text's size looks a size smaller than the sans-serif text around it
    // (its x-height is lower): drawn as large as MathJax draws it next to the same text.
    let (w, h, d) = (
        em(&width) * SCALE,
        (em(&height) + em(&depth)) * SCALE,
        em(&depth) * SCALE,
    );
    if w <= 0.0 || h <= 0.0 {
        return Err(MathError("the formula draws nothing".into()));
    }
    let width = format!("{}em", round(w));
    let height = format!("{}em", round(h));
    let style = if display {
        // Centred on its own line by the block around it, which scrolls when it is wider.
        "display:inline-block;vertical-align:middle;max-width:none;overflow:visible".to_string()
    } else {
        format!(
            "vertical-align:-{}em;display:inline;max-width:none;overflow:visible",
            round(d)
        )
    };
    svg::clean(
        &raw,
        &svg::Root {
            width: &width,
            height: &height,
            style: &style,
        },
    )
    .ok_or_else(|| MathError("the typesetter wrote SVG that wxsync does not send".into()))
}

/// Spellings the engine lacks, written as ones it has.
fn normalize(tex: &str) -> String {
    let mut out = String::with_capacity(tex.len());
    let mut rest = tex;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let name_len = after
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(after.len());
        let name = &after[..name_len];
        let swap = match name {
            "gt" => Some(">"),
            "lt" => Some("<"),
            "bmod" | "mod" => Some("\\;\\mathrm{mod}\\;"),
            _ => None,
        };
        match swap {
            Some(s) => {
                out.push_str(s);
                rest = &after[name_len..];
            }
            None if name_len == 0 => {
                // `\\`, `\{`, `\,`: the backslash and the one character after it.
                let ch = after.chars().next().map_or(0, char::len_utf8);
                out.push('\\');
                out.push_str(&after[..ch]);
                rest = &after[ch..];
            }
            None => {
                out.push('\\');
                out.push_str(name);
                rest = &after[name_len..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn round(f: f64) -> String {
    let s = format!("{f:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_formula_is_clean_svg_on_the_baseline() {
        let svg = typeset(r"\frac{a}{b} + x_1^2", false).unwrap();
        assert!(
            svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
            "{svg}"
        );
        assert!(svg.contains("fill=\"currentColor\""));
        assert!(svg.contains("vertical-align:-"), "{svg}");
        assert!(svg.contains("em\" height=\""));
        for bad in [
            "id=",
            "class=",
            "<defs",
            "<use",
            "<style",
            "foreignObject",
            "#000000",
        ] {
            assert!(!svg.contains(bad), "{bad}");
        }
    }

    #[test]
    fn display_formula_is_a_block() {
        let svg = typeset(r"\sum_{i=1}^n i = \frac{n(n+1)}{2}", true).unwrap();
        assert!(svg.contains("display:inline-block"));
        // Display style sets limits above and below: taller than the inline form.
        let inline = typeset(r"\sum_{i=1}^n i = \frac{n(n+1)}{2}", false).unwrap();
        let height = |s: &str| -> f64 {
            let at = s.find(" height=\"").unwrap() + 9;
            s[at..].split("em").next().unwrap().parse().unwrap()
        };
        assert!(height(&svg) > height(&inline));
    }

    #[test]
    fn failures_name_the_construct() {
        let e = typeset(r"\notacommand{x}", false).unwrap_err();
        assert!(e.0.contains("notacommand"), "{e}");
        assert!(typeset("", false).is_err());
        assert!(typeset(&"x".repeat(TEX_MAX + 1), false).is_err());
        // Deep nesting is refused, not a stack overflow.
        let deep = format!("{}x{}", "{".repeat(5000), "}".repeat(5000));
        assert!(typeset(&deep, false).is_err());
    }

    #[test]
    fn spellings_the_engine_lacks() {
        assert_eq!(normalize(r"a \gt b \lt c"), "a > b < c");
        assert_eq!(normalize(r"\gtrless \\ \{"), r"\gtrless \\ \{");
        assert!(typeset(r"k \bmod n", false).is_ok());
        assert!(typeset(r"a \gt 0", false).is_ok());
    }
}
