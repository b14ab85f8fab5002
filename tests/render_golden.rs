//! Golden tests for the renderer: each fixture under `tests/fixtures/render/` is rendered and
//! its HTML pinned in `tests/snapshots/` (review every change with `cargo insta review`).
//! Snapshots break the HTML before block-level tags so a diff points at the changed block;
//! nothing else is altered. Other tests here read the output as a browser would.

#[path = "support/code_blocks.rs"]
mod code_blocks;

use std::path::{Path, PathBuf};

use code_blocks::{code_blocks_as_shown, source_code_blocks};
use wxsync::render::{Renderer, Theme, render_text, theme::BUILTIN};
use wxsync::site::LinkMode;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/render")
        .canonicalize()
        .expect("fixture dir")
}

fn renderer(theme: &str, links: LinkMode) -> Renderer {
    let css = BUILTIN.iter().find(|(n, _)| *n == theme).expect("theme").1;
    let theme = Theme::parse(theme, css, theme).expect("theme parses");
    let defaults = wxsync::site::config::Defaults {
        thumb_media_id: Some("test-thumb".into()),
        ..Default::default()
    };
    Renderer::with(&fixtures(), theme, "InspiredGitHub", links, defaults).expect("code theme")
}

fn render(name: &str, r: &Renderer) -> wxsync::render::Rendered {
    let text = std::fs::read_to_string(fixtures().join(name)).expect("fixture");
    render_text(&fixtures(), name, &text, r).expect("front matter parses")
}

/// One block-level tag per line, for reviewable diffs.
fn pretty(html: &str) -> String {
    let mut out = String::with_capacity(html.len() + html.len() / 10);
    let blocks = [
        "<p ",
        "<p>",
        "<h1",
        "<h2",
        "<h3",
        "<h4",
        "<h5",
        "<h6",
        "<section",
        "<li",
        "<ul",
        "<ol",
        "<pre",
        "<table",
        "<tr",
        "<blockquote",
        "<hr",
        "<img",
        "</section></section>",
    ];
    let mut rest = html;
    while !rest.is_empty() {
        let next = blocks
            .iter()
            .filter_map(|b| rest[1..].find(b).map(|i| i + 1))
            .min();
        match next {
            Some(i) => {
                out.push_str(&rest[..i]);
                out.push('\n');
                rest = &rest[i..];
            }
            None => {
                out.push_str(rest);
                break;
            }
        }
    }
    out
}

fn snapshot(name: &str, theme: &str, links: LinkMode) {
    let r = render(name, &renderer(theme, links));
    let errors: Vec<String> = r
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.to_string())
        .collect();
    assert!(errors.is_empty(), "{name}: {errors:?}");
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_suffix(format!(
        "{}-{theme}-{links:?}",
        name.trim_end_matches(".md")
    ));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        insta::assert_snapshot!(
            "render",
            format!(
                "title: {}\n\n{}",
                r.payload.title,
                pretty(&r.payload.content)
            )
        );
    });
}

#[test]
fn golden_headings() {
    snapshot("headings.md", "default", LinkMode::Footnotes);
}

#[test]
fn golden_lists() {
    snapshot("lists.md", "default", LinkMode::Footnotes);
}

#[test]
fn golden_code() {
    snapshot("code.md", "default", LinkMode::Footnotes);
}

#[test]
fn golden_links_all_modes() {
    snapshot("links.md", "default", LinkMode::Footnotes);
    snapshot("links.md", "default", LinkMode::Inline);
    snapshot("links.md", "default", LinkMode::Strip);
}

#[test]
fn golden_footnotes() {
    snapshot("footnotes.md", "default", LinkMode::Footnotes);
}

#[test]
fn golden_tables() {
    snapshot("tables.md", "default", LinkMode::Footnotes);
}

#[test]
fn golden_images() {
    snapshot("images.md", "default", LinkMode::Footnotes);
}

#[test]
fn golden_math_mermaid() {
    snapshot("math-mermaid.md", "default", LinkMode::Footnotes);
}

#[test]
fn golden_cjk() {
    snapshot("cjk.md", "default", LinkMode::Footnotes);
}

#[test]
fn golden_raw_html() {
    snapshot("raw-html.md", "default", LinkMode::Footnotes);
}

#[test]
fn golden_other_themes() {
    snapshot("headings.md", "sunset", LinkMode::Footnotes);
    snapshot("headings.md", "ink", LinkMode::Footnotes);
    snapshot("lists.md", "ink", LinkMode::Footnotes);
}

// ---- Reading the output as a browser would (support/code_blocks.rs) ----

#[test]
fn code_whitespace_survives_exactly() {
    let r = render("code.md", &renderer("default", LinkMode::Footnotes));
    let text = std::fs::read_to_string(fixtures().join("code.md")).unwrap();
    let shown = code_blocks_as_shown(&r.payload.content);
    let source = source_code_blocks(&text);
    assert_eq!(shown.len(), 5);
    assert_eq!(shown, source);
    assert!(
        shown[0].contains("\n    let s = \"tab  and  spaces\";   \n\n"),
        "{:?}",
        shown[0]
    );
}

#[test]
fn code_whitespace_survives_in_every_theme() {
    for (theme, _) in BUILTIN {
        let r = render("code.md", &renderer(theme, LinkMode::Footnotes));
        let text = std::fs::read_to_string(fixtures().join("code.md")).unwrap();
        assert_eq!(
            code_blocks_as_shown(&r.payload.content),
            source_code_blocks(&text),
            "{theme}"
        );
    }
}

#[test]
fn output_has_no_class_id_style_tag_or_variables() {
    for name in [
        "headings.md",
        "lists.md",
        "code.md",
        "links.md",
        "footnotes.md",
        "tables.md",
        "images.md",
        "math-mermaid.md",
        "cjk.md",
        "raw-html.md",
    ] {
        for (theme, _) in BUILTIN {
            let html = render(name, &renderer(theme, LinkMode::Footnotes))
                .payload
                .content;
            for bad in [
                " class=", " id=", "<style", "var(", "position", "<script", "<input", "onerror",
                "\n",
            ] {
                assert!(!html.contains(bad), "{name} ({theme}) contains {bad:?}");
            }
        }
    }
}

#[test]
fn links_are_numbered_once_per_url_and_wechat_links_kept() {
    let html = render("links.md", &renderer("default", LinkMode::Footnotes))
        .payload
        .content;
    assert_eq!(
        html.matches("https://www.rust-lang.org/").count(),
        1,
        "listed once in 参考资料"
    );
    assert!(html.contains("<a href=\"https://mp.weixin.qq.com/s/abc\""));
    assert_eq!(
        html.matches("<a ").count(),
        1,
        "only the WeChat link stays a link"
    );
    assert!(html.contains("参考资料"));
    assert!(!html.contains("#intro") && !html.contains("other.md"));
}

#[test]
fn images_become_content_placeholders() {
    let r = render("images.md", &renderer("default", LinkMode::Footnotes));
    let diagram = std::fs::read(fixtures().join("img/diagram.png")).unwrap();
    let hash = wxsync::render::ContentHash::of(&diagram);
    assert_eq!(
        r.payload
            .content
            .matches(&wxsync::render::placeholder::of(&hash))
            .count(),
        2
    );
    assert!(
        r.payload
            .content
            .contains("src=\"https://example.com/pic.png\"")
    );
    assert!(
        r.payload
            .content
            .contains("src=\"https://mmbiz.qpic.cn/mmbiz_png/abc/0?wx_fmt=png\"")
    );
    let body: Vec<_> = r
        .assets
        .iter()
        .filter(|a| a.role == wxsync::render::Role::Body)
        .collect();
    assert_eq!(
        body.len(),
        2,
        "diagram and photo, each once: {:?}",
        r.assets
    );
}
