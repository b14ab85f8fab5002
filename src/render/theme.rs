//! Themes: a CSS file whose rules are resolved, at load time, into one inline `style` string
//! per kind of element the writer emits.
//!
//! WeChat keeps no `<style>`, no classes and no CSS variables, so a theme cannot be applied by
//! the reader's browser. Markdown yields a small, closed set of elements, so a theme is a list
//! of rules whose selectors name those elements (`h2`, `blockquote p`, `pre code`) or the roles
//! wxsync adds (`.refs`, `.table-wrap`, …). `:root` may declare custom properties, which are
//! substituted here so the output holds none. Properties WeChat or the sanitizer would drop
//! (`position`, `url()`, anything off the allowlist) are refused with the file and line.

use std::path::Path;
use std::sync::Arc;

use crate::diag::{Diagnostic, closest};
use crate::render::css::ALLOWED_CSS_PROPERTIES;

macro_rules! elements {
    ($($variant:ident => $selector:literal, $doc:literal;)*) => {
        /// A kind of element the writer styles.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum El { $(#[doc = $doc] $variant,)* }

        impl El {
            pub const ALL: &'static [El] = &[$(El::$variant,)*];

            /// The selector a theme uses for this element.
            pub fn selector(self) -> &'static str {
                match self { $(El::$variant => $selector,)* }
            }

            /// What the element is, for the README table and error help.
            pub fn describe(self) -> &'static str {
                match self { $(El::$variant => $doc,)* }
            }
        }
    };
}

elements! {
    Article => "article", "the `<section>` that wraps the whole article";
    H1 => "h1", "level-1 heading";
    H2 => "h2", "level-2 heading";
    H3 => "h3", "level-3 heading";
    H4 => "h4", "level-4 heading";
    H5 => "h5", "level-5 heading";
    H6 => "h6", "level-6 heading";
    P => "p", "paragraph";
    Strong => "strong", "bold text";
    Em => "em", "italic text";
    Del => "del", "strikethrough text";
    A => "a", "a link kept as a link (mp.weixin.qq.com)";
    Link => ".link", "the text of a link turned into a numbered reference";
    RefMark => ".ref-mark", "the `[n]` after a link turned into a reference";
    NoteMark => ".note-mark", "the superscript number of a footnote reference";
    Blockquote => "blockquote", "block quote";
    BlockquoteP => "blockquote p", "paragraph inside a block quote";
    AlertTitle => ".alert-title", "the title line of a `> [!NOTE]` alert";
    AlertNote => ".alert-note", "a `> [!NOTE]` alert (on top of `blockquote`)";
    AlertTip => ".alert-tip", "a `> [!TIP]` alert (on top of `blockquote`)";
    AlertImportant => ".alert-important", "a `> [!IMPORTANT]` alert (on top of `blockquote`)";
    AlertWarning => ".alert-warning", "a `> [!WARNING]` alert (on top of `blockquote`)";
    AlertCaution => ".alert-caution", "a `> [!CAUTION]` alert (on top of `blockquote`)";
    AlertNoteTitle => ".alert-note .alert-title", "the title of a note (on top of `.alert-title`)";
    AlertTipTitle => ".alert-tip .alert-title", "the title of a tip (on top of `.alert-title`)";
    AlertImportantTitle => ".alert-important .alert-title", "the title of an important alert (on top of `.alert-title`)";
    AlertWarningTitle => ".alert-warning .alert-title", "the title of a warning (on top of `.alert-title`)";
    AlertCautionTitle => ".alert-caution .alert-title", "the title of a caution (on top of `.alert-title`)";
    Ul => "ul", "top-level bulleted list";
    Ol => "ol", "top-level numbered list";
    Li => "li", "item of a top-level list";
    ListItem => ".list-item", "the `<section>` wrapping an item's content";
    NestedList => ".nested-list", "a nested list (rendered as sections, not `<ul>`)";
    NestedItem => ".nested-item", "an item of a nested list";
    Marker => ".marker", "the bullet or number of a nested item";
    Hr => "hr", "thematic break";
    Img => "img", "image";
    Caption => ".caption", "image caption (from its title or alt text, as `captions` says)";
    Code => "code", "inline code";
    Pre => "pre", "code block";
    PreCode => "pre code", "the scrolling inner part of a code block";
    Math => ".math", "inline math (TeX source)";
    MathBlock => ".math-block", "display math (TeX source)";
    Diagram => ".diagram", "a mermaid (or other diagram) block shown as source";
    TableWrap => ".table-wrap", "the horizontally scrollable wrapper of a table";
    Table => "table", "table";
    Th => "th", "table header cell";
    Td => "td", "table cell";
    NotesTitle => ".notes-title", "heading of the footnotes section";
    Notes => ".notes", "the footnotes section";
    Note => ".note", "one footnote";
    RefsTitle => ".refs-title", "heading of the 参考资料 (references) section";
    Refs => ".refs", "the references section";
    Ref => ".ref", "one reference";
    RefUrl => ".ref-url", "the URL of a reference";
}

/// The built-in themes, embedded in the binary.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "default",
        include_str!("../../templates/themes/default.css"),
    ),
    ("sunset", include_str!("../../templates/themes/sunset.css")),
    ("ink", include_str!("../../templates/themes/ink.css")),
];

/// A loaded theme: one inline style per element.
#[derive(Debug, Clone)]
pub struct Theme {
    pub name: String,
    styles: Vec<String>,
}

impl Theme {
    /// Every resolved style, one per element: what the render cache keys on.
    pub fn fingerprint(&self) -> String {
        format!("{}\n{}", self.name, self.styles.join("\n"))
    }

    /// The inline style of an element (`prop:value;…`, possibly empty).
    pub fn style(&self, el: El) -> &str {
        &self.styles[el as usize]
    }

    /// Loads `theme` from `wxsync.yaml`: a built-in name, or a `.css` path relative to the
    /// site root.
    pub fn load(theme: &str, root: &Path) -> Result<Theme, Vec<Diagnostic>> {
        if let Some((name, css)) = BUILTIN.iter().find(|(n, _)| *n == theme) {
            return Theme::parse(name, css, &format!("<built-in theme {name}>"));
        }
        if !theme.ends_with(".css") {
            let names: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
            let mut d = Diagnostic::error("wxsync.yaml", format!("unknown theme `{theme}`"));
            d = match closest(theme, &names, 3) {
                Some(n) => d.with_help(format!(
                    "did you mean `{n}`? (or give a path to a .css file)"
                )),
                None => d.with_help(format!(
                    "built-in themes: {}; or give a path to a .css file in the site",
                    names.join(", ")
                )),
            };
            return Err(vec![d]);
        }
        let path = root.join(theme);
        let css = crate::site::read_inside(root, &path, theme).map_err(|d| {
            vec![d.with_help("`theme` in wxsync.yaml names this file, relative to the site root")]
        })?;
        Theme::parse(theme, &css, theme)
    }

    /// Parses theme CSS. `file` names it in diagnostics.
    pub fn parse(name: &str, css: &str, file: &str) -> Result<Theme, Vec<Diagnostic>> {
        let src: Arc<str> = Arc::from(css);
        let stripped = strip_comments(css);
        let mut errors = Vec::new();
        let mut vars: Vec<(String, String)> = Vec::new();
        let mut decls: Vec<Vec<(String, String)>> = vec![Vec::new(); El::ALL.len()];
        let mut rules = Vec::new();
        let mut rest = 0;
        while let Some(open) = stripped[rest..].find('{') {
            let open = rest + open;
            let Some(close) = stripped[open..].find('}').map(|c| open + c) else {
                errors.push(Diagnostic::error(file, "unclosed `{`").at(&src, open, open + 1));
                break;
            };
            rules.push((rest, open, close));
            rest = close + 1;
        }
        if !stripped[rest..].trim().is_empty() {
            let o = rest + (stripped[rest..].len() - stripped[rest..].trim_start().len());
            errors.push(
                Diagnostic::error(file, "text after the last rule is not a rule")
                    .at(&src, o, o + 1)
                    .with_help("every rule is `selector { property: value; }`"),
            );
        }
        // Variables first, so a rule may use one declared further down.
        for &(start, open, close) in &rules {
            if stripped[start..open].trim() == ":root" {
                for (prop, value, at) in declarations(&stripped, open + 1, close) {
                    if let Some(var) = prop.strip_prefix("--") {
                        vars.push((var.to_string(), value));
                    } else {
                        errors.push(
                            Diagnostic::error(
                                file,
                                format!("`:root` may only declare variables, not `{prop}`"),
                            )
                            .at(&src, at, at + prop.len()),
                        );
                    }
                }
            }
        }
        for &(start, open, close) in &rules {
            let selectors = stripped[start..open].trim();
            if selectors == ":root" {
                continue;
            }
            let sel_at =
                start + (stripped[start..open].len() - stripped[start..open].trim_start().len());
            let mut targets = Vec::new();
            for sel in selectors.split(',') {
                let sel = sel.split_whitespace().collect::<Vec<_>>().join(" ");
                match El::ALL.iter().find(|e| e.selector() == sel) {
                    Some(e) => targets.push(*e),
                    None => {
                        let known: Vec<&str> = El::ALL.iter().map(|e| e.selector()).collect();
                        let mut d = Diagnostic::error(file, format!("unknown selector `{sel}`"))
                            .at(&src, sel_at, open);
                        d = match closest(&sel, &known, 3) {
                            Some(k) => d.with_help(format!("did you mean `{k}`?")),
                            None => d.with_help(
                                "a theme styles the elements wxsync writes; see the theme \
                                 selectors in the README",
                            ),
                        };
                        errors.push(d);
                    }
                }
            }
            for (prop, value, at) in declarations(&stripped, open + 1, close) {
                let value = match substitute_vars(&value, &vars) {
                    Ok(v) => v,
                    Err(var) => {
                        errors.push(
                            Diagnostic::error(file, format!("undefined variable `--{var}`"))
                                .at(&src, at, at + prop.len())
                                .with_help("declare it in a `:root { --name: value; }` rule"),
                        );
                        continue;
                    }
                };
                if let Err(why) = check_declaration(&prop, &value) {
                    errors.push(Diagnostic::error(file, why).at(&src, at, at + prop.len()));
                    continue;
                }
                for t in &targets {
                    let list = &mut decls[*t as usize];
                    list.retain(|(p, _)| *p != prop);
                    list.push((prop.clone(), value.clone()));
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let styles = decls
            .into_iter()
            .map(|list| {
                list.into_iter()
                    .map(|(p, v)| format!("{p}:{v}"))
                    .collect::<Vec<_>>()
                    .join(";")
            })
            .collect();
        Ok(Theme {
            name: name.to_string(),
            styles,
        })
    }
}

/// Replaces comments by spaces of the same length, so byte offsets stay valid.
fn strip_comments(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        let end = rest[start + 2..]
            .find("*/")
            .map_or(rest.len(), |e| start + 2 + e + 2);
        for c in rest[start..end].chars() {
            if c == '\n' {
                out.push('\n');
            } else {
                out.extend(std::iter::repeat_n(' ', c.len_utf8()));
            }
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// `(property, value, offset of the property)` for each declaration between two offsets.
fn declarations(css: &str, from: usize, to: usize) -> Vec<(String, String, usize)> {
    let mut out = Vec::new();
    let mut pos = from;
    for decl in css[from..to].split(';') {
        let here = pos;
        pos += decl.len() + 1;
        if decl.trim().is_empty() {
            continue;
        }
        let lead = decl.len() - decl.trim_start().len();
        let (prop, value) = match decl.split_once(':') {
            Some((p, v)) => (p.trim().to_ascii_lowercase(), v.trim()),
            None => (decl.trim().to_string(), ""),
        };
        let value = value.trim_end_matches("!important").trim().to_string();
        out.push((prop, value, here + lead));
    }
    out
}

fn substitute_vars(value: &str, vars: &[(String, String)]) -> Result<String, String> {
    let mut out = value.to_string();
    // Variables may refer to variables; a bound on the passes stops a cycle.
    for _ in 0..8 {
        let Some(start) = out.find("var(") else {
            return Ok(out);
        };
        let Some(end) = out[start..].find(')').map(|e| start + e) else {
            return Err(out[start..].to_string());
        };
        let inner = &out[start + 4..end];
        let (name, fallback) = match inner.split_once(',') {
            Some((n, f)) => (n.trim(), Some(f.trim())),
            None => (inner.trim(), None),
        };
        let name = name.trim_start_matches("--");
        let replacement = match vars.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => v.clone(),
            None => fallback
                .map(str::to_string)
                .ok_or_else(|| name.to_string())?,
        };
        out.replace_range(start..=end, &replacement);
    }
    Err("(a cycle)".to_string())
}

fn check_declaration(prop: &str, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err(format!("`{prop}` has no value"));
    }
    if prop.starts_with("--") {
        return Err(format!("variable `{prop}` must be declared in `:root`"));
    }
    if !ALLOWED_CSS_PROPERTIES.contains(&prop) {
        return Err(format!(
            "property `{prop}` is not allowed: WeChat (or wxsync's sanitizer) would drop it"
        ));
    }
    let lower = value.to_ascii_lowercase();
    if lower.contains("url(") || lower.contains("expression(") {
        return Err(format!(
            "`{prop}`: url() and expression() are not allowed in a theme"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_themes_load_and_style_every_block() {
        for (name, css) in BUILTIN {
            let t = Theme::parse(name, css, name).unwrap_or_else(|e| panic!("{name}: {e:?}"));
            for el in [
                El::P,
                El::H2,
                El::Blockquote,
                El::Pre,
                El::PreCode,
                El::Table,
                El::Li,
                El::Ul,
                El::Ol,
                El::Th,
                El::Td,
                El::Img,
            ] {
                assert!(
                    !t.style(el).is_empty(),
                    "{name}: {} unstyled",
                    el.selector()
                );
            }
            for el in El::ALL {
                let s = t.style(*el);
                assert!(!s.contains("var("), "{name}");
                assert!(!s.contains("position"), "{name}");
            }
        }
    }

    /// The declaration of `prop` in a style, if any.
    fn declared<'s>(style: &'s str, prop: &str) -> Option<&'s str> {
        style
            .split(';')
            .filter_map(|d| d.split_once(':'))
            .filter(|(p, _)| p.trim() == prop)
            .map(|(_, v)| v.trim())
            .next_back()
    }

    #[test]
    fn bold_dead_links_and_markers_each_look_their_own() {
        for (name, css) in BUILTIN {
            let t = Theme::parse(name, css, name).unwrap();
            let look = |el: El| {
                let s = t.style(el);
                (
                    declared(s, "color"),
                    declared(s, "border-bottom"),
                    declared(s, "text-decoration"),
                    declared(s, "font-weight"),
                )
            };
            let (strong, link, marker) = (look(El::Strong), look(El::Link), look(El::Marker));
            assert_ne!(strong, link, "{name}");
            assert_ne!(strong, marker, "{name}");
            assert_ne!(link, marker, "{name}");
            // A dead link is told from bold text by more than its colour.
            assert!(link.1.is_some() || link.2.is_some(), "{name}: {link:?}");
        }
    }

    #[test]
    fn inline_code_never_breaks_mid_word_and_marks_never_wrap() {
        for (name, css) in BUILTIN {
            let t = Theme::parse(name, css, name).unwrap();
            assert_eq!(declared(t.style(El::Code), "word-break"), None, "{name}");
            assert_eq!(
                declared(t.style(El::Code), "overflow-wrap"),
                Some("anywhere"),
                "{name}"
            );
            for el in [El::RefMark, El::NoteMark] {
                assert_eq!(
                    declared(t.style(el), "white-space"),
                    Some("nowrap"),
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn variables_and_overrides() {
        let t = Theme::parse(
            "t",
            ":root{--c:#123}\np{color:var(--c);margin:0}\np{margin:1px}",
            "t.css",
        )
        .unwrap();
        assert_eq!(t.style(El::P), "color:#123;margin:1px");
    }

    #[test]
    fn refuses_bad_css_with_position() {
        let e = Theme::parse("t", "p {\n  position: fixed;\n}\n", "t.css").unwrap_err();
        assert_eq!(e[0].location(), "t.css:2:3");
        let e = Theme::parse("t", "para { color: red }", "t.css").unwrap_err();
        assert!(e[0].message.contains("unknown selector"));
        let e = Theme::parse("t", "p { background: url(x.png) }", "t.css").unwrap_err();
        assert!(e[0].message.contains("url()"));
        let e = Theme::parse("t", "p { color: var(--nope) }", "t.css").unwrap_err();
        assert!(e[0].message.contains("undefined variable"));
    }
}
