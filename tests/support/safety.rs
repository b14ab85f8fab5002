//! An independent check that rendered article HTML is what WeChat may receive (DESIGN §2).
//!
//! It deliberately shares no code with `src/render/`: a bug in the sanitizer must not be
//! able to hide itself here. The renderer's output is well-formed (text `<` is escaped,
//! attribute values are double-quoted), so a linear tag scan sees exactly what a browser
//! would; anything that does not scan cleanly (a comment, CDATA, an unquoted value) is
//! itself reported as a violation.
#![allow(dead_code)] // Each test crate that includes this module uses a different subset.

/// Tags that must never reach the output (script vectors, or things WeChat strips).
const FORBIDDEN_TAGS: &[&str] = &[
    "script",
    "style",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "form",
    "input",
    "svg",
    "math",
    "link",
    "meta",
    "base",
    "textarea",
    "button",
    "select",
    "option",
    "noscript",
    "template",
    "title",
    "head",
    "body",
    "html",
    "xmp",
    "plaintext",
    "video",
    "audio",
    "source",
    "track",
    "param",
    "portal",
    "marquee",
    "isindex",
    "keygen",
];

/// Every tag the output may contain: what the writer emits plus the user-HTML allowlist of
/// DESIGN §2. Written out here rather than imported, so that widening the renderer's list is
/// a visible decision.
const KNOWN_TAGS: &[&str] = &[
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

/// Attributes the output may carry; anything else (`srcset`, `formaction`, `xlink:href`,
/// `background`, `on*`, `class`, `id`, …) is a violation.
const KNOWN_ATTRS: &[&str] = &[
    "style", "title", "align", "href", "src", "alt", "width", "height", "start", "colspan",
    "rowspan",
];

/// Inside wxsync's own `<svg>` (a typeset formula), the only elements and attributes WeChat
/// keeps: shapes and groups, no `id`/`class`/`<defs>`/`<use>`/`<style>`/`<foreignObject>`.
const SVG_TAGS: &[&str] = &["g", "path", "rect", "line"];
const SVG_ATTRS: &[&str] = &[
    "viewbox",
    "width",
    "height",
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "d",
    "transform",
    "fill",
    "stroke",
    "stroke-width",
];

/// CSS properties that must never appear: overlays (`position` and its offsets), script
/// hooks (`behavior`, `-moz-binding`) and generated content.
const FORBIDDEN_CSS: &[&str] = &[
    "position",
    "top",
    "left",
    "right",
    "bottom",
    "z-index",
    "behavior",
    "-moz-binding",
    "content",
    "background-image",
];

/// Substrings no attribute value may contain once decoded and squeezed as a browser would.
const FORBIDDEN_VALUE_PARTS: &[&str] = &[
    "javascript:",
    "vbscript:",
    "livescript:",
    "expression(",
    "url(",
    "var(",
    "@import",
];

/// Blocks that WeChat would show unstyled (its editor resets them), so each needs a style.
const MUST_BE_STYLED: &[&str] = &[
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "table",
    "th",
    "td",
    "pre",
    "blockquote",
];

/// One start or end tag as scanned.
#[derive(Debug)]
pub struct Tag {
    pub name: String,
    pub end: bool,
    /// Attribute names (lower-cased) and raw values (entities not decoded).
    pub attrs: Vec<(String, String)>,
    /// Byte offset of `<` in the HTML.
    pub at: usize,
}

impl Tag {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Scans every tag. Errors describe anything that is not a plain `<name attr="v">` or
/// `</name>`, since a browser might read such text differently from this scanner.
pub fn scan(html: &str) -> (Vec<Tag>, Vec<String>) {
    let b = html.as_bytes();
    let mut tags = Vec::new();
    let mut errors = Vec::new();
    let mut i = 0;
    while let Some(rel) = html[i..].find('<') {
        let at = i + rel;
        let mut j = at + 1;
        let end = b.get(j) == Some(&b'/');
        if end {
            j += 1;
        }
        if !b.get(j).is_some_and(u8::is_ascii_alphabetic) {
            // `<!--`, `<![CDATA[`, `<?`, `<!doctype`, or a bare `<` in text.
            errors.push(format!(
                "markup that is not a plain tag at byte {at}: {}",
                snippet(html, at)
            ));
            i = at + 1;
            continue;
        }
        let name_start = j;
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'-' || b[j] == b':') {
            j += 1;
        }
        let name = html[name_start..j].to_ascii_lowercase();
        let mut attrs = Vec::new();
        let mut closed = false;
        while j < b.len() {
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            match b.get(j) {
                Some(b'>') => {
                    closed = true;
                    j += 1;
                    break;
                }
                Some(b'/') if b.get(j + 1) == Some(&b'>') => {
                    closed = true;
                    j += 2;
                    break;
                }
                None => break,
                _ => {}
            }
            let an_start = j;
            while j < b.len() && !b[j].is_ascii_whitespace() && !matches!(b[j], b'=' | b'>' | b'/')
            {
                j += 1;
            }
            let aname = html[an_start..j].to_ascii_lowercase();
            if aname.is_empty() {
                errors.push(format!(
                    "stray `{}` in tag at byte {at}: {}",
                    b[j] as char,
                    snippet(html, at)
                ));
                j += 1;
                continue;
            }
            if b.get(j) != Some(&b'=') {
                // A bare attribute (`<input disabled>`) is never written by the renderer.
                errors.push(format!(
                    "attribute `{aname}` without a value: {}",
                    snippet(html, at)
                ));
                attrs.push((aname, String::new()));
                continue;
            }
            j += 1;
            if b.get(j) != Some(&b'"') {
                errors.push(format!(
                    "attribute `{aname}` not double-quoted: {}",
                    snippet(html, at)
                ));
                let v_start = j;
                while j < b.len() && !b[j].is_ascii_whitespace() && b[j] != b'>' {
                    j += 1;
                }
                attrs.push((aname, html[v_start..j].to_string()));
                continue;
            }
            let v_start = j + 1;
            match html[v_start..].find('"') {
                Some(q) => {
                    attrs.push((aname, html[v_start..v_start + q].to_string()));
                    j = v_start + q + 1;
                }
                None => {
                    errors.push(format!(
                        "unterminated attribute `{aname}`: {}",
                        snippet(html, at)
                    ));
                    j = b.len();
                }
            }
        }
        if !closed {
            errors.push(format!("unterminated tag: {}", snippet(html, at)));
        }
        tags.push(Tag {
            name,
            end,
            attrs,
            at,
        });
        i = j.max(at + 1);
    }
    (tags, errors)
}

/// What breaks the rules for an element inside an `<svg>`.
fn svg_violations(t: &Tag, out: &mut Vec<String>, here: &dyn Fn() -> String) {
    if !SVG_TAGS.contains(&t.name.as_str()) {
        out.push(format!("<{}> inside <svg>: {}", t.name, here()));
    }
    for (name, raw) in &t.attrs {
        if !SVG_ATTRS.contains(&name.as_str()) {
            out.push(format!("attribute `{name}` inside <svg>: {}", here()));
        }
        let ok = match name.as_str() {
            "fill" | "stroke" => {
                raw == "currentColor"
                    || raw == "none"
                    || raw.strip_prefix('#').is_some_and(|h| {
                        matches!(h.len(), 3 | 6) && h.bytes().all(|b| b.is_ascii_hexdigit())
                    })
            }
            "d" => raw
                .chars()
                .all(|c| "MLHVCSQTAZmlhvcsqtaz0123456789.-+eE, ".contains(c)),
            "transform" => raw
                .chars()
                .all(|c| "translatescalemix() 0123456789.-,".contains(c)),
            _ => raw.chars().all(|c| "0123456789.- em%px".contains(c)),
        };
        if !ok {
            out.push(format!("odd value in {name}=\"{raw}\": {}", here()));
        }
    }
}

/// Every way `html` breaks the WeChat safety rules; empty when it is safe.
pub fn safety_violations(html: &str) -> Vec<String> {
    let (tags, mut out) = scan(html);
    // How deep inside an `<svg>` the scan is.
    let mut svg = 0usize;
    for t in &tags {
        let here = || snippet(html, t.at);
        if svg > 0 {
            if t.name == "svg" {
                if t.end {
                    svg -= 1;
                } else {
                    out.push(format!("<svg> inside <svg>: {}", here()));
                }
                continue;
            }
            svg_violations(t, &mut out, &here);
            continue;
        }
        if t.name == "svg" && !t.end {
            // A formula: the root holds its size and how it sits in the text, nothing else.
            svg += 1;
            for (name, raw) in &t.attrs {
                match name.as_str() {
                    "xmlns" if raw == "http://www.w3.org/2000/svg" => {}
                    "viewbox" | "width" | "height" => {}
                    "style" => style_violations(&decode_entities(raw), &mut out, &here),
                    _ => out.push(format!("attribute `{name}` on <svg>: {}", here())),
                }
            }
            continue;
        }
        if FORBIDDEN_TAGS.contains(&t.name.as_str()) {
            out.push(format!("forbidden tag <{}>: {}", t.name, here()));
        } else if !KNOWN_TAGS.contains(&t.name.as_str()) {
            out.push(format!(
                "tag <{}> outside the allowlist: {}",
                t.name,
                here()
            ));
        }
        for (name, raw) in &t.attrs {
            if name == "class" || name == "id" || name.starts_with("on") {
                out.push(format!("attribute `{name}`: {}", here()));
            } else if !KNOWN_ATTRS.contains(&name.as_str()) {
                out.push(format!(
                    "attribute `{name}` outside the allowlist: {}",
                    here()
                ));
            }
            let decoded = decode_entities(raw);
            let squeezed = squeeze(&decoded);
            for bad in FORBIDDEN_VALUE_PARTS {
                if squeezed.contains(bad) {
                    out.push(format!("`{bad}` in {name}=: {}", here()));
                }
            }
            match name.as_str() {
                "style" => style_violations(&decoded, &mut out, &here),
                "href" if !is_wechat_article(&squeezed) => {
                    out.push(format!("href not on mp.weixin.qq.com: {}", here()));
                }
                "src" => match src_kind(&squeezed) {
                    Src::Ok => {}
                    Src::Relative => out.push(format!("{UNRESOLVED_SRC}: {}", here())),
                    Src::Bad => out.push(format!("src not allowed: {}", here())),
                },
                _ => {}
            }
        }
    }
    if html.to_ascii_lowercase().contains("<style") {
        out.push("`<style` in the output".to_string());
    }
    out
}

/// Start tags of blocks WeChat resets, lacking a non-empty `style`.
pub fn unstyled_blocks(html: &str) -> Vec<String> {
    let (tags, _) = scan(html);
    tags.iter()
        .filter(|t| !t.end && MUST_BE_STYLED.contains(&t.name.as_str()))
        .filter(|t| {
            t.attr("style")
                .is_none_or(|s| squeeze(&decode_entities(s)).is_empty())
        })
        .map(|t| format!("<{}> without a style: {}", t.name, snippet(html, t.at)))
        .collect()
}

/// Panics with every violation (safety and unstyled blocks) found in `html`.
pub fn assert_wechat_safe(html: &str) {
    let mut v = safety_violations(html);
    v.extend(unstyled_blocks(html));
    assert!(
        v.is_empty(),
        "unsafe output:\n  {}\n--- html ---\n{html}",
        v.join("\n  ")
    );
}

fn style_violations(style: &str, out: &mut Vec<String>, here: &dyn Fn() -> String) {
    // CSS escapes (`\75 rl(`) and comments (`ur/**/l(`) could disguise a property or a
    // function; the renderer never needs either, so both are refused outright.
    if style.contains('\\') {
        out.push(format!("backslash in style: {}", here()));
    }
    if style.contains("/*") {
        out.push(format!("CSS comment in style: {}", here()));
    }
    for decl in split_declarations(style, out, here) {
        let Some((prop, value)) = decl.split_once(':') else {
            if !decl.trim().is_empty() {
                out.push(format!("malformed declaration `{decl}`: {}", here()));
            }
            continue;
        };
        let prop = prop.trim().to_ascii_lowercase();
        if FORBIDDEN_CSS.contains(&prop.as_str()) {
            out.push(format!("CSS property `{prop}`: {}", here()));
        }
        if prop.starts_with("--") {
            out.push(format!("CSS custom property `{prop}`: {}", here()));
        }
        if value.contains('{') || value.contains('}') || value.contains('<') {
            out.push(format!("odd CSS value `{value}`: {}", here()));
        }
    }
}

/// Splits a style on `;` outside quoted strings, as CSS does (`font-family:"a;b"` is one
/// declaration). An unbalanced quote is reported: browsers and this split could disagree.
fn split_declarations<'s>(
    style: &'s str,
    out: &mut Vec<String>,
    here: &dyn Fn() -> String,
) -> Vec<&'s str> {
    let mut decls = Vec::new();
    let mut quote = None;
    let mut start = 0;
    for (i, c) in style.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, ';') => {
                decls.push(&style[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if quote.is_some() {
        out.push(format!("unbalanced quote in style: {}", here()));
    }
    decls.push(&style[start..]);
    decls
}

/// `http(s)://mp.weixin.qq.com/…`, judging the host as a URL parser would (user info and
/// port stripped, `\` treated as `/`). Input is squeezed and lower-case.
fn is_wechat_article(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return false;
    };
    let authority = rest.split(['/', '\\', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = host.split(':').next().unwrap_or("");
    host == "mp.weixin.qq.com"
}

/// How an image `src` is judged.
enum Src {
    Ok,
    /// A path with no scheme: a local image the renderer did not turn into a placeholder.
    Relative,
    Bad,
}

/// Prefix of the violation for a scheme-less `src`, so a caller that knows the article
/// already carries an image error (and so will never be sent) can tell it apart.
pub const UNRESOLVED_SRC: &str = "unresolved local image src";

/// Image sources WeChat can take: web URLs, wxsync's content-hash placeholder, raster data
/// URLs (jpg and bmp are raster too, and the renderer accepts them). An empty `src` (left
/// when a local image failed to resolve) loads nothing.
fn src_kind(src: &str) -> Src {
    if src.is_empty() || src.starts_with("http://") || src.starts_with("https://") {
        return Src::Ok;
    }
    if let Some(hex) = src.strip_prefix("wxsync-asset:sha256:") {
        let ok = hex.len() == 64 && hex.bytes().all(|c| c.is_ascii_hexdigit());
        return if ok { Src::Ok } else { Src::Bad };
    }
    let raster = ["png", "jpeg", "jpg", "gif", "webp", "bmp"]
        .iter()
        .any(|f| {
            src.strip_prefix("data:image/")
                .and_then(|r| r.strip_prefix(f))
                .is_some_and(|r| r.starts_with(';') || r.starts_with(','))
        });
    if raster {
        return Src::Ok;
    }
    let before_path = src.split(['/', '?', '#']).next().unwrap_or("");
    if !src.starts_with("//") && !before_path.contains(':') {
        return Src::Relative;
    }
    Src::Bad
}

/// Lower-cases and drops what browsers ignore inside a URL scheme (whitespace, control
/// characters) and zero-width characters, so `Java\tScript:` reads as `javascript:`.
pub fn squeeze(s: &str) -> String {
    s.chars()
        .filter(|c| {
            !c.is_whitespace()
                && !c.is_control()
                && !matches!(c, '\u{200b}'..='\u{200d}' | '\u{feff}')
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Decodes character references the way a browser does in an attribute, repeated until
/// nothing changes (stricter than a browser, so double-encoding cannot slip through).
pub fn decode_entities(s: &str) -> String {
    let mut cur = s.to_string();
    for _ in 0..4 {
        let next = decode_once(&cur);
        if next == cur {
            break;
        }
        cur = next;
    }
    cur
}

fn decode_once(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let (decoded, used) = decode_ref(rest);
        match decoded {
            Some(c) => out.push_str(&c),
            None => out.push('&'),
        }
        rest = &rest[used.max(1)..];
    }
    out.push_str(rest);
    out
}

/// Decodes one reference at the start of `s` (which starts with `&`); the `;` is optional,
/// as browsers accept `&#106avascript`.
fn decode_ref(s: &str) -> (Option<String>, usize) {
    let b = s.as_bytes();
    if b.get(1) == Some(&b'#') {
        let (hex, start) = match b.get(2) {
            Some(b'x' | b'X') => (true, 3),
            _ => (false, 2),
        };
        let mut end = start;
        while end < b.len()
            && (if hex {
                b[end].is_ascii_hexdigit()
            } else {
                b[end].is_ascii_digit()
            })
        {
            end += 1;
        }
        if end == start {
            return (None, 1);
        }
        let n = u32::from_str_radix(&s[start..end], if hex { 16 } else { 10 }).unwrap_or(0xFFFD);
        let c = char::from_u32(n).unwrap_or('\u{FFFD}');
        let used = if b.get(end) == Some(&b';') {
            end + 1
        } else {
            end
        };
        return (Some(c.to_string()), used);
    }
    const NAMED: &[(&str, &str)] = &[
        ("amp", "&"),
        ("lt", "<"),
        ("gt", ">"),
        ("quot", "\""),
        ("apos", "'"),
        ("nbsp", "\u{a0}"),
        ("colon", ":"),
        ("tab", "\t"),
        ("newline", "\n"),
        ("lpar", "("),
        ("rpar", ")"),
        ("sol", "/"),
        ("bsol", "\\"),
        ("semi", ";"),
        ("period", "."),
        ("excl", "!"),
    ];
    for (name, val) in NAMED {
        let n = name.len();
        if b.len() > n && b[1..=n].eq_ignore_ascii_case(name.as_bytes()) {
            let used = if b.get(n + 1) == Some(&b';') {
                n + 2
            } else {
                n + 1
            };
            return (Some((*val).to_string()), used);
        }
    }
    (None, 1)
}

fn snippet(html: &str, at: usize) -> String {
    let mut end = (at + 160).min(html.len());
    while !html.is_char_boundary(end) {
        end -= 1;
    }
    html[at..end].to_string()
}
