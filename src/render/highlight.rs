//! Code blocks: syntax highlighting with inline colours, and the whitespace rules that make
//! code survive WeChat (every space `&nbsp;`, a tab four of them, every newline `<br>`).
//!
//! WeChat collapses whitespace inside `<pre>` and drops the `\n` of code sent through the
//! draft API, so the layout of code has to be spelled out in entities. The syntax and theme
//! sets are loaded once per process; syntect compiles each language's regexes on first use.

use std::sync::OnceLock;

use syntect::easy::HighlightLines;
use syntect::highlighting::{Color, FontStyle, Style, Theme, ThemeSet};
use syntect::parsing::{SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;

pub const TAB_WIDTH: usize = 4;

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(SyntaxSet::load_defaults_newlines)
}

fn themes() -> &'static ThemeSet {
    static SET: OnceLock<ThemeSet> = OnceLock::new();
    SET.get_or_init(ThemeSet::load_defaults)
}

/// Names accepted for `code_theme`.
pub fn code_theme_names() -> Vec<&'static str> {
    themes().themes.keys().map(String::as_str).collect()
}

/// A code theme by name.
pub fn code_theme(name: &str) -> Option<&'static Theme> {
    themes().themes.get(name)
}

/// Common names for languages whose syntect name or extension differs.
fn alias(lang: &str) -> &str {
    match lang {
        "golang" => "go",
        "shell" | "sh" | "zsh" | "console" | "shell-session" => "bash",
        "py" | "python3" => "python",
        "rs" => "rust",
        "c++" | "cxx" | "hpp" => "cpp",
        "kt" => "java",
        "yml" => "yaml",
        "dockerfile" => "bash",
        "jsx" | "mjs" | "cjs" | "ts" | "typescript" | "tsx" | "vue" => "js",
        "html5" | "xhtml" | "vue-html" => "html",
        "objc" | "objective-c" => "objc",
        "csharp" | "c#" => "cs",
        "ps1" | "powershell" => "bash",
        "toml" | "ini" | "conf" | "properties" => "ini",
        other => other,
    }
}

fn find_syntax(lang: &str) -> Option<&'static SyntaxReference> {
    let set = syntaxes();
    let lang = alias(lang);
    if lang.is_empty() || matches!(lang, "text" | "plain" | "plaintext" | "txt") {
        return None;
    }
    set.find_syntax_by_token(lang)
}

/// Appends `code` as highlighted HTML spans (colours inline) to `out`. `lang` is the first
/// word of the fence's info string. The default text colour is the theme's; it is not
/// repeated on every span.
pub fn highlight(code: &str, lang: &str, theme: &Theme, out: &mut String) {
    let code = code.strip_suffix('\n').unwrap_or(code);
    let Some(syntax) = find_syntax(&lang.to_ascii_lowercase()) else {
        push_code_text(code, out);
        return;
    };
    let default_fg = theme.settings.foreground.unwrap_or(Color::BLACK);
    let mut h = HighlightLines::new(syntax, theme);
    for line in LinesWithEndings::from(code) {
        let ranges = match h.highlight_line(line, syntaxes()) {
            Ok(r) => r,
            // A grammar failure must not lose code: show the line as plain text.
            Err(_) => vec![(
                Style {
                    foreground: default_fg,
                    ..Style::default()
                },
                line,
            )],
        };
        let mut pending: Option<(Style, String)> = None;
        for (style, text) in ranges {
            let text = text.trim_end_matches(['\n', '\r']);
            if text.is_empty() {
                continue;
            }
            // Whitespace takes no colour: merge it into the current run.
            let blank = text.chars().all(|c| c == ' ' || c == '\t');
            match &mut pending {
                Some((s, buf)) if blank || same_look(s, &style) => buf.push_str(text),
                _ => {
                    if let Some((s, buf)) = pending.take() {
                        push_span(&s, &buf, default_fg, out);
                    }
                    pending = Some((style, text.to_string()));
                }
            }
        }
        if let Some((s, buf)) = pending {
            push_span(&s, &buf, default_fg, out);
        }
        // Every newline is a `<br>`, including one that ends a trailing empty line.
        if line.ends_with('\n') {
            out.push_str("<br>");
        }
    }
}

fn same_look(a: &Style, b: &Style) -> bool {
    a.foreground == b.foreground && a.font_style == b.font_style
}

fn push_span(style: &Style, text: &str, default_fg: Color, out: &mut String) {
    let plain = style.foreground == default_fg && style.font_style.is_empty();
    let blank = text.chars().all(|c| c == ' ' || c == '\t');
    if plain || blank {
        push_code_text(text, out);
        return;
    }
    let c = style.foreground;
    out.push_str(&format!(
        "<span style=\"color:#{:02x}{:02x}{:02x}",
        c.r, c.g, c.b
    ));
    if style.font_style.contains(FontStyle::BOLD) {
        out.push_str(";font-weight:bold");
    }
    if style.font_style.contains(FontStyle::ITALIC) {
        out.push_str(";font-style:italic");
    }
    out.push_str("\">");
    push_code_text(text, out);
    out.push_str("</span>");
}

/// The default text colour (and background, unless the page theme sets its own) of a code
/// theme, as CSS.
pub fn theme_colors(theme: &Theme, background: bool) -> String {
    let fg = theme.settings.foreground.unwrap_or(Color::BLACK);
    let mut s = format!("color:#{:02x}{:02x}{:02x}", fg.r, fg.g, fg.b);
    if let Some(bg) = theme.settings.background.filter(|_| background) {
        s.push_str(&format!(
            ";background-color:#{:02x}{:02x}{:02x}",
            bg.r, bg.g, bg.b
        ));
    }
    s
}

/// Escapes code text with WeChat's whitespace rules: space → `&nbsp;`, tab → four `&nbsp;`,
/// newline → `<br>`.
pub fn push_code_text(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            ' ' => out.push_str("&nbsp;"),
            '\t' => {
                for _ in 0..TAB_WIDTH {
                    out.push_str("&nbsp;");
                }
            }
            '\n' => out.push_str("<br>"),
            '\r' => {}
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_is_spelled_out() {
        let mut out = String::new();
        push_code_text("a b\n\tc<", &mut out);
        assert_eq!(out, "a&nbsp;b<br>&nbsp;&nbsp;&nbsp;&nbsp;c&lt;");
    }

    #[test]
    fn highlights_with_inline_colour() {
        let theme = code_theme("InspiredGitHub").unwrap();
        let mut out = String::new();
        highlight("fn main() {\n    let x = 1;\n}\n", "rust", theme, &mut out);
        assert!(out.contains("<span style=\"color:#"), "{out}");
        assert!(out.contains("<br>&nbsp;&nbsp;&nbsp;&nbsp;"), "{out}");
        assert!(!out.contains('\n'));
        assert!(!out.ends_with("<br>"));
    }

    #[test]
    fn unknown_language_is_plain() {
        let theme = code_theme("InspiredGitHub").unwrap();
        let mut out = String::new();
        highlight("x  y", "no-such-lang", theme, &mut out);
        assert_eq!(out, "x&nbsp;&nbsp;y");
    }
}
