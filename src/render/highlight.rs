//! Code blocks: syntax highlighting with inline colours, and the whitespace rules that make
//! code survive WeChat (every space `&nbsp;`, a tab four of them, every newline `<br>`).
//!
//! WeChat collapses whitespace inside `<pre>` and drops the `\n` of code sent through the
//! draft API, so the layout of code has to be spelled out in entities. The syntax and theme
//! sets are loaded once per process; syntect compiles each language's regexes on first use.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

use syntect::easy::HighlightLines;
use syntect::highlighting::{
    Color, FontStyle, HighlightIterator, HighlightState, Highlighter, Style, Theme, ThemeSet,
};
use syntect::parsing::{
    BasicScopeStackOp, ParseState, Scope, ScopeStack, ScopeStackOp, SyntaxReference, SyntaxSet,
};
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
///
/// The output is exactly what syntect's `HighlightLines` gives; the work is syntect's parser
/// with a cache of theme styles by scope stack ([`Styles`]) instead of matching the theme's
/// selectors again on every scope change. Anything unusual (a grammar error, a scope stack
/// that does not add up) falls back to `HighlightLines` for the whole block.
pub fn highlight(code: &str, lang: &str, theme: &Theme, out: &mut String) {
    let code = code.strip_suffix('\n').unwrap_or(code);
    let Some(syntax) = find_syntax(&lang.to_ascii_lowercase()) else {
        push_code_text(code, out);
        return;
    };
    let mark = out.len();
    if highlight_fast(code, syntax, theme, out).is_none() {
        out.truncate(mark);
        highlight_syntect(code, syntax, theme, out);
    }
}

/// The highlighted HTML of `code` through syntect's own `HighlightLines`: the reference
/// the fast path must equal, and its fallback.
fn highlight_syntect(code: &str, syntax: &SyntaxReference, theme: &Theme, out: &mut String) {
    let default_fg = theme.settings.foreground.unwrap_or(Color::BLACK);
    let mut h = HighlightLines::new(syntax, theme);
    let mut run = Run::default();
    for line in LinesWithEndings::from(code) {
        match h.highlight_line(line, syntaxes()) {
            Ok(ranges) => {
                for (style, text) in ranges {
                    run.add(style, text, default_fg, out);
                }
            }
            // A grammar failure must not lose code: show the line as plain text.
            Err(_) => run.add(
                Style {
                    foreground: default_fg,
                    ..Style::default()
                },
                line,
                default_fg,
                out,
            ),
        }
        run.end_line(line, default_fg, out);
    }
}

fn highlight_fast(
    code: &str,
    syntax: &SyntaxReference,
    theme: &Theme,
    out: &mut String,
) -> Option<()> {
    let mut parser = ParseState::new(syntax);
    let default_fg = theme.settings.foreground.unwrap_or(Color::BLACK);
    with_styles(theme, |styles| {
        let mut path = ScopeStack::new();
        // The style node of each level of `path`, root first (syntect's `HighlightState`).
        let mut nodes: Vec<u32> = vec![0];
        let mut run = Run::default();
        for line in LinesWithEndings::from(code) {
            let ops = parser.parse_line(line, syntaxes()).ok()?;
            // syntect's `HighlightIterator`: each piece of text takes the style in force
            // before the operation at its end.
            let mut pos = 0;
            let noop = (line.len(), ScopeStackOp::Noop);
            for (end, op) in ops.iter().chain(std::iter::once(&noop)) {
                let style = styles.style(*nodes.last()?);
                let text = line.get(pos..*end)?;
                let mut ok = true;
                path.apply_with_hook(op, |op, stack| match op {
                    BasicScopeStackOp::Push(scope) => match nodes.last() {
                        Some(&parent) => nodes.push(styles.child(parent, scope, stack)),
                        None => ok = false,
                    },
                    BasicScopeStackOp::Pop => {
                        nodes.pop();
                        // Popping the root desynchronises syntect's styles from the stack;
                        // leave that to syntect.
                        ok &= !nodes.is_empty();
                    }
                })
                .ok()?;
                if !ok {
                    return None;
                }
                pos = *end;
                run.add(style, text, default_fg, out);
            }
            run.end_line(line, default_fg, out);
        }
        Some(())
    })
}

/// Theme styles by scope stack, as a trie: node 0 is the empty stack; a child is its
/// parent's stack with one more scope pushed. A style is computed by syntect once per
/// distinct stack, exactly as its `HighlightState` does for that stack.
struct Styles<'t> {
    highlighter: Highlighter<'t>,
    styles: Vec<Style>,
    children: HashMap<(u32, Scope), u32>,
}

impl<'t> Styles<'t> {
    fn new(theme: &'t Theme) -> Styles<'t> {
        let highlighter = Highlighter::new(theme);
        Styles {
            styles: vec![highlighter.get_default()],
            highlighter,
            children: HashMap::new(),
        }
    }

    fn style(&self, node: u32) -> Style {
        self.styles[node as usize]
    }

    fn child(&mut self, parent: u32, scope: Scope, stack: &[Scope]) -> u32 {
        if let Some(&node) = self.children.get(&(parent, scope)) {
            return node;
        }
        let highlighter = &self.highlighter;
        let mut state = HighlightState::new(highlighter, ScopeStack::from_vec(stack.to_vec()));
        let style = HighlightIterator::new(&mut state, &[], " ", highlighter)
            .next()
            .map_or_else(Style::default, |(style, _)| style);
        let node = self.styles.len() as u32;
        self.styles.push(style);
        self.children.insert((parent, scope), node);
        node
    }
}

/// Runs `f` with the style cache of `theme`: kept per thread for the built-in themes (the
/// only ones with a stable address), fresh for any other.
fn with_styles<R>(theme: &Theme, f: impl FnOnce(&mut Styles<'_>) -> R) -> R {
    thread_local! {
        static CACHE: RefCell<HashMap<usize, Styles<'static>>> = RefCell::new(HashMap::new());
    }
    let Some(known) = themes().themes.values().find(|t| std::ptr::eq(*t, theme)) else {
        return f(&mut Styles::new(theme));
    };
    let key = known as *const Theme as usize;
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        let styles = cache.entry(key).or_insert_with(|| Styles::new(known));
        f(styles)
    })
}

/// The current run of same-looking text on a line, merged into one span.
#[derive(Default)]
struct Run {
    style: Option<Style>,
    text: String,
}

impl Run {
    fn add(&mut self, style: Style, text: &str, default_fg: Color, out: &mut String) {
        let text = text.trim_end_matches(['\n', '\r']);
        if text.is_empty() {
            return;
        }
        // Whitespace takes no colour: merge it into the current run.
        let blank = text.chars().all(|c| c == ' ' || c == '\t');
        match &self.style {
            Some(s) if blank || same_look(s, &style) => self.text.push_str(text),
            _ => {
                self.flush(default_fg, out);
                self.style = Some(style);
                self.text.push_str(text);
            }
        }
    }

    fn flush(&mut self, default_fg: Color, out: &mut String) {
        if let Some(s) = self.style.take() {
            push_span(&s, &self.text, default_fg, out);
        }
        self.text.clear();
    }

    fn end_line(&mut self, line: &str, default_fg: Color, out: &mut String) {
        self.flush(default_fg, out);
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
    let _ = write!(
        out,
        "<span style=\"color:#{:02x}{:02x}{:02x}",
        c.r, c.g, c.b
    );
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
    fn fast_path_equals_syntect() {
        let samples = [
            (
                "rust",
                "fn main() {\n    let s = r#\"a \"q\" b\"#; // c\n}\n",
            ),
            (
                "bash",
                "cat <<EOF\nhello $x\nEOF\nif [ -n \"$1\" ]; then echo ok; fi",
            ),
            (
                "java",
                "@Override\npublic static <T> List<T> f(int[] a) {\n  return a.length > 0 ? null : List.of();\n}",
            ),
            (
                "cpp",
                "#include <vector>\nauto x = R\"d(raw \" text)d\";\nstd::vector<int> v{1, 2};",
            ),
            (
                "python",
                "def f(x):\n    \"\"\"doc\"\"\"\n    return f'{x!r}'  # 注释",
            ),
        ];
        for name in code_theme_names() {
            let theme = code_theme(name).unwrap();
            for (lang, code) in samples {
                let syntax = find_syntax(lang).unwrap();
                let (mut fast, mut reference) = (String::new(), String::new());
                assert!(highlight_fast(code, syntax, theme, &mut fast).is_some());
                highlight_syntect(code, syntax, theme, &mut reference);
                assert_eq!(fast, reference, "{name} {lang}");
            }
        }
    }

    #[test]
    fn unknown_language_is_plain() {
        let theme = code_theme("InspiredGitHub").unwrap();
        let mut out = String::new();
        highlight("x  y", "no-such-lang", theme, &mut out);
        assert_eq!(out, "x&nbsp;&nbsp;y");
    }
}
