//! wxsync's own rules for the SVG it puts in a payload: an allowlist of elements and
//! attributes that WeChat keeps, applied to SVG that wxsync generated (never to the author's
//! HTML, whose `<svg>` the sanitizer removes). What is not on the list is dropped: `id`,
//! `class`, `style`, `<defs>`, `<use>`, `<foreignObject>`, `url(#…)` paints. Black becomes
//! `currentColor`, so WeChat's dark mode recolours the ink with the text. Numbers are
//! shortened, as every glyph is a path written out in full (WeChat keeps no `<use>`).

/// Elements kept, all of them shapes or groups.
const ELEMENTS: &[&str] = &["svg", "g", "path", "rect", "line"];

/// Attributes kept, and what their value may hold.
const ATTRIBUTES: &[(&str, Value)] = &[
    ("xmlns", Value::Namespace),
    ("viewBox", Value::Numbers),
    ("width", Value::Length),
    ("height", Value::Length),
    ("x", Value::Numbers),
    ("y", Value::Numbers),
    ("x1", Value::Numbers),
    ("y1", Value::Numbers),
    ("x2", Value::Numbers),
    ("y2", Value::Numbers),
    ("d", Value::Path),
    ("transform", Value::Transform),
    ("fill", Value::Paint),
    ("stroke", Value::Paint),
    ("stroke-width", Value::Numbers),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Value {
    Namespace,
    Numbers,
    Length,
    Path,
    Transform,
    Paint,
}

/// What the root `<svg>` gets on top of the generator's attributes: its size and how it
/// sits in the text.
pub struct Root<'a> {
    pub width: &'a str,
    pub height: &'a str,
    pub style: &'a str,
}

/// The SVG `svg` (one root element, as a generator wrote it) rewritten by the rules above,
/// with `root`'s size and style on the root. `None` when it is not SVG this module can read,
/// so that the caller shows the source instead.
pub fn clean(svg: &str, root: &Root<'_>) -> Option<String> {
    let start = svg.find("<svg")?;
    let mut rest = &svg[start..];
    let mut out = String::with_capacity(svg.len() / 2);
    let mut open: Vec<&str> = Vec::new();
    let mut skipping = 0usize;
    while let Some(lt) = rest.find('<') {
        if skipping == 0 && !rest[..lt].trim().is_empty() {
            // Text content: none of the kept elements holds any.
            return None;
        }
        let gt = rest[lt..].find('>')? + lt;
        let tag = &rest[lt + 1..gt];
        rest = &rest[gt + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let name = name.trim();
            if skipping > 0 {
                skipping -= 1;
                continue;
            }
            if open.pop() != Some(name) {
                return None;
            }
            out.push_str("</");
            out.push_str(name);
            out.push('>');
            if open.is_empty() {
                return Some(out);
            }
            continue;
        }
        if tag.starts_with('?') || tag.starts_with('!') {
            return None;
        }
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let name_end = tag.find(char::is_whitespace).unwrap_or(tag.len());
        let name = &tag[..name_end];
        if skipping > 0 || !ELEMENTS.contains(&name) || (name == "svg") != open.is_empty() {
            if !self_closing {
                skipping += 1;
            }
            continue;
        }
        out.push('<');
        out.push_str(name);
        for (key, value) in attributes(&tag[name_end..])? {
            let Some(&(_, kind)) = ATTRIBUTES.iter().find(|(k, _)| *k == key) else {
                continue;
            };
            if name == "svg" && matches!(key, "width" | "height") {
                continue;
            }
            let Some(v) = checked(kind, value) else {
                continue;
            };
            out.push(' ');
            out.push_str(key);
            out.push_str("=\"");
            out.push_str(&v);
            out.push('"');
        }
        if name == "svg" {
            for (k, v) in [("width", root.width), ("height", root.height)] {
                out.push_str(&format!(" {k}=\"{}\"", checked(Value::Length, v)?));
            }
            if !root.style.is_empty() {
                out.push_str(" style=\"");
                crate::render::html::escape_attr(root.style, &mut out);
                out.push('"');
            }
        }
        if self_closing {
            out.push_str("/>");
        } else {
            out.push('>');
            open.push(name);
        }
    }
    None
}

/// The `key="value"` pairs of a tag, or `None` if they are not written that way.
fn attributes(mut s: &str) -> Option<Vec<(&str, &str)>> {
    let mut out = Vec::new();
    loop {
        s = s.trim_start();
        if s.is_empty() {
            return Some(out);
        }
        let eq = s.find('=')?;
        let key = s[..eq].trim();
        let rest = s[eq + 1..].trim_start();
        let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let end = rest[1..].find(quote)? + 1;
        out.push((key, &rest[1..end]));
        s = &rest[end + 1..];
    }
}

/// The value rewritten in its kind's alphabet, numbers shortened; `None` drops the attribute.
fn checked(kind: Value, v: &str) -> Option<String> {
    let v = v.trim();
    match kind {
        Value::Namespace => (v == "http://www.w3.org/2000/svg").then(|| v.to_string()),
        Value::Paint => paint(v),
        Value::Length => {
            let unit_at = v
                .find(|c: char| c.is_ascii_alphabetic() || c == '%')
                .unwrap_or(v.len());
            let (n, unit) = v.split_at(unit_at);
            matches!(unit, "" | "px" | "em" | "ex" | "pt" | "%")
                .then(|| numbers(n))
                .flatten()
                .map(|n| n + unit)
        }
        Value::Numbers => numbers(v),
        Value::Path => {
            let ok = v
                .chars()
                .all(|c| "MLHVCSQTAZmlhvcsqtaz0123456789.-+eE, ".contains(c));
            ok.then(|| shorten(v))
        }
        Value::Transform => {
            // translate(…), scale(…), matrix(…) only.
            let mut out = String::new();
            for part in v.split(')') {
                let part = part.trim();
                if part.is_empty() {
                    continue;
                }
                let (f, args) = part.split_once('(')?;
                let f = f.trim();
                if !matches!(f, "translate" | "scale" | "matrix") {
                    return None;
                }
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(f);
                out.push('(');
                out.push_str(&numbers(args)?);
                out.push(')');
            }
            Some(out)
        }
    }
}

/// A paint: `none`, `currentColor`, or a `#rgb`/`#rrggbb` colour, black made `currentColor`.
fn paint(v: &str) -> Option<String> {
    let lower = v.to_ascii_lowercase();
    if lower == "none" {
        return Some("none".into());
    }
    if lower == "currentcolor" || lower == "#000" || lower == "#000000" || lower == "black" {
        return Some("currentColor".into());
    }
    let hex = lower.strip_prefix('#')?;
    (matches!(hex.len(), 3 | 6) && hex.bytes().all(|b| b.is_ascii_hexdigit())).then_some(lower)
}

/// A list of numbers (separated by spaces or commas), each shortened.
fn numbers(v: &str) -> Option<String> {
    let mut out = String::new();
    for n in v.split([' ', ',']).filter(|n| !n.is_empty()) {
        let f: f64 = n.parse().ok()?;
        if !f.is_finite() {
            return None;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&short(f));
    }
    (!out.is_empty()).then_some(out)
}

/// Path data with each number shortened (commands and separators kept).
fn shorten(d: &str) -> String {
    let mut out = String::with_capacity(d.len());
    for token in d.split(' ').filter(|t| !t.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        match token.parse::<f64>() {
            Ok(f) if f.is_finite() => out.push_str(&short(f)),
            _ => out.push_str(token),
        }
    }
    out
}

/// At most four decimals, no trailing zeros: finer than a pixel at any size WeChat shows.
fn short(f: f64) -> String {
    let s = format!("{:.4}", f);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    match s {
        "-0" | "" => "0".to_string(),
        s => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: Root<'static> = Root {
        width: "2em",
        height: "1em",
        style: "vertical-align:-0.2em",
    };

    #[test]
    fn keeps_shapes_and_drops_the_rest() {
        let svg = r##"<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" width="9pt" height="3pt" viewBox="0 0 9.000 3.50" id="x" class="c">
<defs><path id="g" d="M 0 0"/></defs><style>path{fill:red}</style>
<g fill="#000000" style="fill:url(#p)"><path d="M 190.0 467.0 L 186.0 -0.00001 Z" transform="translate(0.0 8.832) scale(0.012 -0.012)" onclick="x()"/>
<use href="#g"/><foreignObject><div>hi</div></foreignObject>
<rect x="1" y="2" width="3" height="4" fill="url(#grad)"/><line x1="0" y1="0" x2="1" y2="1" stroke="#FF0000" stroke-width="0.5"/></g></svg>"##;
        let out = clean(svg, &ROOT).unwrap();
        assert_eq!(
            out,
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 9 3.5" width="2em" height="1em" style="vertical-align:-0.2em"><g fill="currentColor"><path d="M 190 467 L 186 0 Z" transform="translate(0 8.832) scale(0.012 -0.012)"/><rect x="1" y="2" width="3" height="4"/><line x1="0" y1="0" x2="1" y2="1" stroke="#ff0000" stroke-width="0.5"/></g></svg>"##
        );
        for bad in [
            "id=",
            "class=",
            "<defs",
            "<use",
            "<style",
            "foreignObject",
            "url(",
            "onclick",
        ] {
            assert!(!out.contains(bad), "{bad} in {out}");
        }
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        // An element off the list goes with its content.
        let out = clean("<svg><text>hi</text></svg>x", &ROOT).unwrap();
        assert!(!out.contains("hi") && !out.contains("text"), "{out}");
        assert!(clean("no svg", &ROOT).is_none());
        assert!(clean("<svg><g></svg>", &ROOT).is_none());
        assert!(clean("<svg><path d=\"M 0 0\"", &ROOT).is_none());
        // Text inside a kept element (a generator that writes labels) is not kept as text.
        assert!(clean("<svg><g>label</g></svg>", &ROOT).is_none());
    }

    #[test]
    fn path_data_outside_its_alphabet_drops_the_attribute() {
        let out = clean(
            "<svg xmlns=\"http://www.w3.org/2000/svg\"><path d=\"M0 0 url(#x)\" fill=\"red\"/></svg>",
            &ROOT,
        )
        .unwrap();
        assert!(out.contains("<path/>"), "{out}");
    }
}
