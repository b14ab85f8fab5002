//! Code blocks read two ways, to check that rendering keeps them exactly: from the Markdown
//! source (what the writer typed) and from rendered HTML as a browser would show it. Shared
//! by `render_golden.rs` (the render fixtures) and `corpus.rs` (the hermetic articles and the
//! real corpus).
#![allow(dead_code)] // Each test crate that includes this module uses a different subset.

/// The code blocks of rendered HTML, as a browser shows them: `<br>` is a line break, tags
/// carry no text, entities are decoded, and `&nbsp;` is a space that is never collapsed.
pub fn code_blocks_as_shown(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    // wxsync's code blocks open with the code theme's colour; a user's raw `<pre>` does not.
    while let Some(start) = rest.find("<pre style=\"color:#") {
        let after = &rest[start..];
        let (Some(open_end), Some(close)) = (
            after
                .find("<code")
                .and_then(|c| after[c..].find('>').map(|e| c + e + 1)),
            after.find("</code></pre>"),
        ) else {
            panic!(
                "a code block that is not <pre><code>…</code></pre>: {}",
                &after[..after.len().min(600)]
            );
        };
        out.push(shown_text(&after[open_end..close]));
        rest = &after[close..];
    }
    out
}

fn shown_text(fragment: &str) -> String {
    let mut text = String::new();
    let mut rest = fragment;
    while let Some(lt) = rest.find('<') {
        text.push_str(&rest[..lt]);
        let gt = rest[lt..].find('>').expect("tag end") + lt;
        if rest[lt..=gt].starts_with("<br") {
            text.push('\n');
        }
        rest = &rest[gt + 1..];
    }
    text.push_str(rest);
    // Raw whitespace in HTML collapses; only entities carry layout. A raw newline or space
    // here would be a bug, so make it visible instead of passing it through.
    assert!(
        !text.contains('\n') || fragment.contains("<br"),
        "raw newline in code: {fragment}"
    );
    assert!(
        !text.contains(' ') && !text.contains('\t'),
        "raw whitespace would collapse: {text:?}"
    );
    text.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The code blocks of Markdown source as they should be shown: diagram and math blocks left
/// out (they are not `<pre><code>`), the closing newline and `\r` dropped, a tab as four spaces.
/// Code-block languages the writer shows as diagram or math source instead of `<pre>`.
pub const NOT_PRE: &[&str] = &[
    "mermaid",
    "plantuml",
    "puml",
    "flowchart",
    "sequence",
    "dot",
    "graphviz",
    "math",
    "latex",
    "tex",
    "katex",
];

pub fn source_code_blocks(md: &str) -> Vec<String> {
    use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};
    let mut blocks = Vec::new();
    let mut cur: Option<String> = None;
    for ev in Parser::new_ext(md, wxsync::render::markdown_options()) {
        match ev {
            Event::Start(Tag::CodeBlock(kind)) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(i) => {
                        i.split([' ', ',', '{']).next().unwrap_or("").to_lowercase()
                    }
                    CodeBlockKind::Indented => String::new(),
                };
                cur = (!NOT_PRE.contains(&lang.as_str())).then(String::new);
            }
            Event::Text(t) => {
                if let Some(c) = &mut cur {
                    c.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some(c) = cur.take() {
                    let c = c.strip_suffix('\n').unwrap_or(&c).replace('\r', "");
                    blocks.push(c.replace('\t', "    "));
                }
            }
            _ => {}
        }
    }
    blocks
}

/// The Markdown after a `---` front matter block (the whole text when there is none).
pub fn body_of(text: &str) -> &str {
    let t = text.strip_prefix('\u{feff}').unwrap_or(text);
    if !t.starts_with("---") {
        return t;
    }
    let mut offset = t.find('\n').map_or(t.len(), |i| i + 1);
    for line in t[offset..].split_inclusive('\n') {
        offset += line.len();
        if matches!(line.trim_end(), "---" | "...") {
            return &t[offset..];
        }
    }
    t
}
