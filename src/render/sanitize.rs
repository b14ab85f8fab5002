//! Sanitizing: the allowlist that user HTML inside Markdown passes through (ammonia), and the
//! pass that gives elements from user HTML the theme's inline styles.
//!
//! wxsync's own writer escapes everything it emits, so an article with no raw HTML skips this
//! pass. A top-level block holding raw HTML goes through ammonia whole, because inline HTML
//! arrives from the Markdown parser in fragments (`<span …>`, text, `</span>`) that can only be
//! judged together (the writer decides which blocks share a pass). The CSS property list is shared with the theme loader, so a theme can never
//! use a property this pass would strip.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashSet;

use crate::render::css::ALLOWED_CSS_PROPERTIES;
use crate::render::html::escape_attr;
use crate::render::placeholder::SCHEME as ASSET_SCHEME;
use crate::render::rewrite::HIDDEN_STYLE;
use crate::render::theme::{El, Theme};

/// Tags kept from user HTML (and every tag wxsync writes).
const TAGS: &[&str] = &[
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "details",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "samp",
    "section",
    "small",
    "span",
    "strike",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
    "var",
];

/// Tags removed together with everything inside them.
const DROP_WITH_CONTENT: &[&str] = &[
    "script", "style", "svg", "math", "template", "noscript", "object", "iframe", "textarea",
    "select", "option", "button", "title", "head",
];

thread_local! {
    /// The local images `clean` found in the fragment being cleaned.
    static PENDING: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    /// The allowlist, built once per thread: building it costs more than cleaning a small
    /// fragment, and an article may have thousands of blocks with raw HTML.
    static ALLOWLIST: ammonia::Builder<'static> = allowlist();
}

/// Cleans an article's HTML. Returns the HTML and the local image paths found in user
/// `<img src>`: each such `src` is replaced by `wxsync-asset:pending:<n>` (n indexing the
/// list) for the caller to resolve, since resolving needs the article and the filter cannot
/// borrow it.
pub fn clean(html: &str) -> (String, Vec<String>) {
    PENDING.with(|p| p.borrow_mut().clear());
    let cleaned = ALLOWLIST.with(|b| b.clean(html).to_string());
    let list = PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()));
    (crate::render::rewrite::drop_hidden(&cleaned), list)
}

fn allowlist() -> ammonia::Builder<'static> {
    let mut b = ammonia::Builder::empty();
    b.add_tags(TAGS)
        .clean_content_tags(DROP_WITH_CONTENT.iter().copied().collect::<HashSet<_>>())
        // `hidden` is kept for the rewrite to drop its element (see `rewrite::drop_hidden`).
        .add_generic_attributes(["style", "title", "align", "hidden"])
        .add_tag_attributes("a", ["href"])
        .add_tag_attributes("img", ["src", "alt", "width", "height"])
        .add_tag_attributes("ol", ["start"])
        .add_tag_attributes("td", ["colspan", "rowspan"])
        .add_tag_attributes("th", ["colspan", "rowspan"])
        .url_schemes(
            ["http", "https", "mailto", "data", ASSET_SCHEME]
                .into_iter()
                .collect(),
        )
        .link_rel(None)
        .strip_comments(true)
        .filter_style_properties(ALLOWED_CSS_PROPERTIES.iter().copied().collect())
        .attribute_filter(|element, attribute, value| {
            filter_attribute(element, attribute, value, &|src| {
                PENDING.with(|p| {
                    let mut list = p.borrow_mut();
                    list.push(src.to_string());
                    format!("{ASSET_SCHEME}:pending:{}", list.len() - 1)
                })
            })
        });
    b
}

/// The marker `clean` leaves for the n-th local image.
pub fn pending_marker(n: usize) -> String {
    format!("{ASSET_SCHEME}:pending:{n}")
}

/// The numbers of the markers `clean` left in `html`, in order.
pub fn pending_indices(html: &str) -> Vec<usize> {
    let marker = format!("{ASSET_SCHEME}:pending:");
    html.match_indices(&marker)
        .filter_map(|(i, _)| {
            let digits = &html[i + marker.len()..];
            let n = digits.bytes().take_while(u8::is_ascii_digit).count();
            digits[..n].parse().ok()
        })
        .collect()
}

/// `html` with each marker `clean` left replaced by the n-th of `resolved`, escaped for the
/// attribute it sits in: one pass, however many images (a replace per image was quadratic).
pub fn fill_pending(html: &str, resolved: &[String]) -> String {
    let marker = format!("{ASSET_SCHEME}:pending:");
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find(&marker) {
        let digits_at = i + marker.len();
        let digits = rest[digits_at..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        let n: Option<usize> = rest[digits_at..digits_at + digits].parse().ok();
        match n.and_then(|n| resolved.get(n)) {
            Some(url) => {
                out.push_str(&rest[..i]);
                escape_attr(url, &mut out);
            }
            None => out.push_str(&rest[..digits_at + digits]),
        }
        rest = &rest[digits_at + digits..];
    }
    out.push_str(rest);
    out
}

fn filter_attribute<'u>(
    element: &str,
    attribute: &str,
    value: &'u str,
    local_img: &dyn Fn(&str) -> String,
) -> Option<Cow<'u, str>> {
    let v = value.trim();
    let scheme = url_scheme(v);
    match (element, attribute) {
        // Every image the writer can use goes to the caller, which turns it into what the
        // push needs (a placeholder for bytes, a remote URL to upload).
        ("img", "src") => match scheme.as_deref() {
            Some("data") => is_data_image(v).then(|| Cow::Owned(local_img(v))),
            Some("http" | "https") => Some(Cow::Owned(local_img(v))),
            Some(s) if s == ASSET_SCHEME && !v.contains(":pending:") => Some(Cow::Borrowed(value)),
            Some(_) => None,
            None if v.is_empty() => None,
            None if v.starts_with("//") => Some(Cow::Owned(local_img(&format!("https:{v}")))),
            None => Some(Cow::Owned(local_img(v))),
        },
        // WeChat keeps only links to its own articles; others lose their target.
        (_, "href") => match scheme.as_deref() {
            Some("http" | "https")
                if crate::render::links::is_wechat_article(&v.to_ascii_lowercase()) =>
            {
                Some(Cow::Borrowed(value))
            }
            _ => None,
        },
        (_, "src") => None,
        // Hidden text must not become visible once `position` and the like are stripped:
        // the element is marked, and dropped with its content after the sanitizer.
        (_, "style") if hides(value) => Some(Cow::Borrowed(HIDDEN_STYLE)),
        (_, "style") => {
            let kept = filter_style(value);
            (!kept.is_empty()).then_some(Cow::Owned(kept))
        }
        _ => Some(Cow::Borrowed(value)),
    }
}

/// True when a user `style` hides its element: `display:none`, `visibility:hidden`,
/// `opacity:0`, `font-size:0`, or pushed far off the page (`left:-9999px` and the like, the
/// trick anti-scraping text uses).
pub fn hides(style: &str) -> bool {
    style.split(';').any(|decl| {
        let Some((prop, value)) = decl.split_once(':') else {
            return false;
        };
        let prop = prop.trim().to_ascii_lowercase();
        let value = value
            .trim()
            .trim_end_matches("!important")
            .trim()
            .to_ascii_lowercase();
        let zero = value
            .trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == '%')
            .parse::<f64>()
            .is_ok_and(|v| v == 0.0);
        match prop.as_str() {
            "display" => value == "none",
            "visibility" => value == "hidden" || value == "collapse",
            "opacity" | "font-size" => zero,
            "left" | "top" | "right" | "bottom" | "margin-left" | "margin-top" | "text-indent" => {
                off_screen(&value)
            }
            _ => false,
        }
    })
}

/// A length that puts an element off the page: at least 1000px (or 100em) to the left or top.
fn off_screen(value: &str) -> bool {
    let (number, unit) = value.split_at(
        value
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
            .unwrap_or(value.len()),
    );
    let Ok(n) = number.parse::<f64>() else {
        return false;
    };
    match unit.trim() {
        "px" | "" => n <= -1000.0,
        "em" | "rem" => n <= -100.0,
        "vw" | "vh" | "%" => n <= -100.0,
        _ => false,
    }
}

/// Keeps the declarations of a user `style` whose property is allowed and whose value holds
/// nothing that loads or computes (`url(`, `expression(`, `var(`, escapes, comments).
/// ammonia filters property names only.
pub fn filter_style(style: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    for decl in style.split(';') {
        let Some((prop, value)) = decl.split_once(':') else {
            continue;
        };
        let prop = prop.trim().to_ascii_lowercase();
        let value = value.trim();
        let squashed: String = value
            .chars()
            .filter(|c| !c.is_whitespace() && !c.is_control())
            .collect::<String>()
            .to_ascii_lowercase();
        let bad = [
            "url(",
            "expression(",
            "var(",
            "\\",
            "/*",
            "javascript:",
            "@import",
            "image-set(",
        ]
        .iter()
        .any(|b| squashed.contains(b));
        if bad || value.is_empty() || !ALLOWED_CSS_PROPERTIES.contains(&prop.as_str()) {
            continue;
        }
        out.push(format!("{prop}:{value}"));
    }
    out.join(";")
}

/// Turns the raw newlines and spaces of user-written `<pre>` blocks into `<br>` and `&nbsp;`
/// (WeChat collapses them otherwise); elsewhere a raw newline is the space HTML makes of it.
pub fn spell_out_pre(html: &str) -> String {
    if !html.contains('\n') && !html.contains("<pre") {
        return html.to_string();
    }
    let mut out = String::with_capacity(html.len());
    let mut depth = 0usize;
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        push_pre_text(&rest[..lt], depth > 0, &mut out);
        rest = &rest[lt..];
        let Some(gt) = tag_end(rest) else { break };
        let tag = &rest[..=gt];
        if tag.starts_with("<pre") && tag[4..].starts_with([' ', '>']) {
            depth += 1;
        } else if tag.starts_with("</pre") {
            depth = depth.saturating_sub(1);
        }
        out.push_str(tag);
        rest = &rest[gt + 1..];
    }
    push_pre_text(rest, depth > 0, &mut out);
    out
}

fn push_pre_text(text: &str, in_pre: bool, out: &mut String) {
    if !in_pre {
        for c in text.chars() {
            match c {
                '\n' => out.push(' '),
                '\r' => {}
                c => out.push(c),
            }
        }
        return;
    }
    for c in text.chars() {
        match c {
            '\n' => out.push_str("<br>"),
            '\r' => {}
            ' ' => out.push_str("&nbsp;"),
            '\t' => out.push_str("&nbsp;&nbsp;&nbsp;&nbsp;"),
            c => out.push(c),
        }
    }
}

/// The lower-cased scheme of a URL, after the control characters and whitespace browsers
/// ignore (`java\tscript:` is still `javascript:`).
fn url_scheme(v: &str) -> Option<String> {
    let cleaned: String = v
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
        .collect();
    let colon = cleaned.find(':')?;
    let scheme = &cleaned[..colon];
    (!scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.'))
    .then(|| scheme.to_ascii_lowercase())
}

/// `data:` image URLs in raster formats; `data:image/svg+xml` can carry script and is refused.
pub fn is_data_image(v: &str) -> bool {
    let lower = v.trim().to_ascii_lowercase();
    [
        "data:image/png",
        "data:image/jpeg",
        "data:image/jpg",
        "data:image/gif",
        "data:image/webp",
        "data:image/bmp",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
}

/// Elements that must carry the theme's style, and the style they get when user HTML wrote
/// them without one.
const RESTYLE: &[(&str, El)] = &[
    ("p", El::P),
    ("h1", El::H1),
    ("h2", El::H2),
    ("h3", El::H3),
    ("h4", El::H4),
    ("h5", El::H5),
    ("h6", El::H6),
    ("ul", El::Ul),
    ("ol", El::Ol),
    ("li", El::Li),
    ("table", El::Table),
    ("th", El::Th),
    ("td", El::Td),
    ("pre", El::Pre),
    ("blockquote", El::Blockquote),
    ("img", El::Img),
    ("hr", El::Hr),
    ("code", El::Code),
];

/// Adds the theme's style to start tags from user HTML that have none. Runs on ammonia's
/// output, which is well-formed: every `<` outside a tag is escaped and attribute values are
/// double-quoted, so a linear scan over tags is exact.
pub fn restyle(html: &str, theme: &Theme) -> String {
    let mut out = String::with_capacity(html.len() + html.len() / 8);
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        rest = &rest[lt..];
        let Some(gt) = tag_end(rest) else {
            break;
        };
        let tag = &rest[..=gt];
        let name_end = tag[1..]
            .find(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
            .map_or(tag.len(), |i| i + 1);
        let name = &tag[1..name_end];
        match RESTYLE.iter().find(|(n, _)| *n == name) {
            Some((_, el)) if !theme.style(*el).is_empty() && !has_attr(tag, "style") => {
                out.push_str(&tag[..name_end]);
                out.push_str(" style=\"");
                out.push_str(&theme.style(*el).replace('"', "&quot;"));
                out.push('"');
                out.push_str(&tag[name_end..]);
            }
            // An empty style (every declaration was refused) gets the theme's.
            Some((_, el)) if !theme.style(*el).is_empty() && tag.contains(" style=\"\"") => {
                let theme_style = format!(" style=\"{}\"", theme.style(*el).replace('"', "&quot;"));
                out.push_str(&tag.replacen(" style=\"\"", &theme_style, 1));
            }
            _ => out.push_str(tag),
        }
        rest = &rest[gt + 1..];
    }
    out.push_str(rest);
    out
}

/// Index of the `>` closing the tag at the start of `s`, skipping quoted attribute values.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in s.char_indices().skip(1) {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

fn has_attr(tag: &str, attr: &str) -> bool {
    let mut i = 0;
    while let Some(pos) = tag[i..].find(attr) {
        let at = i + pos;
        let before = tag[..at].chars().next_back();
        let after = tag[at + attr.len()..].chars().next();
        if before.is_some_and(|c| c.is_ascii_whitespace()) && after == Some('=') {
            return true;
        }
        i = at + attr.len();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes() {
        assert_eq!(
            url_scheme("JaVa\tScRiPt:alert(1)").as_deref(),
            Some("javascript")
        );
        assert_eq!(url_scheme("img/a.png"), None);
        assert_eq!(url_scheme("https://x"), Some("https".into()));
    }

    #[test]
    fn style_values_are_filtered() {
        assert_eq!(
            filter_style("color: red; background:url(x); position:fixed"),
            "color:red"
        );
        assert_eq!(
            filter_style("width:expression(alert(1));color:var(--x)"),
            ""
        );
        assert_eq!(filter_style("color:\\72 ed"), "");
    }

    #[test]
    fn hiding_styles() {
        for hidden in [
            "opacity: 0; position: absolute; left: -9999px;",
            "display:none",
            "visibility: hidden",
            "font-size:0px",
            "opacity:0.0",
            "text-indent:-9999em",
            "color:red;DISPLAY: NONE !important",
        ] {
            assert!(hides(hidden), "{hidden}");
        }
        for shown in [
            "opacity:0.5",
            "left:-10px",
            "font-size:12px",
            "display:block",
            "",
        ] {
            assert!(!hides(shown), "{shown}");
        }
        let (html, _) = clean(
            "<p>a<span style=\"opacity: 0; position: absolute; left: -9999px;\">Create the \
             variable</span>b<span hidden>c</span></p>",
        );
        assert_eq!(html, "<p>ab</p>");
    }

    #[test]
    fn user_pre_whitespace_is_spelled_out() {
        assert_eq!(
            spell_out_pre("<p>a b</p><pre>x  y\nz</pre>"),
            "<p>a b</p><pre>x&nbsp;&nbsp;y<br>z</pre>"
        );
    }

    #[test]
    fn pending_markers_are_filled_in_one_pass() {
        let urls: Vec<String> = (0..11).map(|i| format!("u{i}&")).collect();
        let html = format!(
            "<img src=\"{}\"><img src=\"{}\"> {}",
            pending_marker(10),
            pending_marker(1),
            pending_marker(99)
        );
        assert_eq!(
            fill_pending(&html, &urls),
            format!(
                "<img src=\"u10&amp;\"><img src=\"u1&amp;\"> {}",
                pending_marker(99)
            )
        );
    }

    #[test]
    fn restyle_adds_missing_styles_only() {
        let t = Theme::parse("t", "p{color:red} td{padding:1px}", "t").unwrap();
        let out = restyle(
            "<p>a</p><p style=\"x:y\">b</p><td colspan=\"2\">c</td><pre>x</pre>",
            &t,
        );
        assert_eq!(
            out,
            "<p style=\"color:red\">a</p><p style=\"x:y\">b</p><td style=\"padding:1px\" colspan=\"2\">c</td><pre>x</pre>"
        );
    }
}
