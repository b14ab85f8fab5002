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
fn golden_alerts() {
    snapshot("alerts.md", "default", LinkMode::Footnotes);
    snapshot("alerts.md", "sunset", LinkMode::Footnotes);
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
        "alerts.md",
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

// ---- What readers see (issue 14) ----

/// Every fixture, for the checks that hold in every theme.
const FIXTURES: &[&str] = &[
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
    "alerts.md",
];

/// `#rgb` or `#rrggbb`, or `rgb(r, g, b)`, as numbers.
fn parse_colour(value: &str) -> Option<[f64; 3]> {
    let v = value.trim().to_ascii_lowercase();
    if let Some(hex) = v.strip_prefix('#') {
        let hex: String = match hex.len() {
            3 => hex.chars().flat_map(|c| [c, c]).collect(),
            6 => hex.to_string(),
            _ => return None,
        };
        let n = u32::from_str_radix(&hex, 16).ok()?;
        return Some([
            f64::from((n >> 16) & 255),
            f64::from((n >> 8) & 255),
            f64::from(n & 255),
        ]);
    }
    let inner = v.strip_prefix("rgb(")?.strip_suffix(')')?;
    let parts: Vec<f64> = inner
        .split(',')
        .map(|p| p.trim().parse().ok())
        .collect::<Option<_>>()?;
    (parts.len() == 3).then(|| [parts[0], parts[1], parts[2]])
}

/// What WeChat's dark mode (mp-darkmode) does with a background: it inverts a neutral grey
/// lighter than 40 % (HSL saturation 0) and anything of perceived brightness over 250; any
/// other colour only has its brightness capped at 190, which on the #191919 page is a light
/// slab. A background already dark needs nothing.
fn dark_mode_ok(rgb: [f64; 3]) -> bool {
    let [r, g, b] = rgb;
    let brightness = (r * 299.0 + g * 587.0 + b * 114.0) / 1000.0;
    let (max, min) = (r.max(g).max(b), r.min(g).min(b));
    let lightness = (max + min) / 2.0 / 255.0 * 100.0;
    let neutral = max == min;
    (neutral && lightness > 40.0) || brightness > 250.0 || brightness <= 50.0
}

/// Every `background`/`background-color` value in `html`.
fn backgrounds(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for style in html.split("style=\"").skip(1) {
        let style = style.split('"').next().unwrap_or("");
        for decl in style.split(';') {
            if let Some((prop, value)) = decl.split_once(':')
                && matches!(prop.trim(), "background" | "background-color")
            {
                out.push(value.trim().to_string());
            }
        }
    }
    out
}

#[test]
fn every_background_survives_wechat_dark_mode_in_every_theme() {
    let mut seen = 0;
    for (theme, _) in BUILTIN {
        for name in FIXTURES {
            let html = render(name, &renderer(theme, LinkMode::Footnotes))
                .payload
                .content;
            for value in backgrounds(&html) {
                let rgb = parse_colour(&value)
                    .unwrap_or_else(|| panic!("{name} ({theme}): unreadable background {value}"));
                assert!(
                    dark_mode_ok(rgb),
                    "{name} ({theme}): background {value} stays a light slab in WeChat's dark mode"
                );
                seen += 1;
            }
        }
    }
    assert!(seen > 30, "only {seen} backgrounds checked");
    // The check itself can fail: the tints of old.
    for tint in [
        "#f5f2f0", "#f6f8fa", "#f0f4f8", "#f4f8fb", "#fffbe6", "#faf7ff", "#fff5f2",
    ] {
        assert!(!dark_mode_ok(parse_colour(tint).unwrap()), "{tint}");
    }
    for fine in ["#f7f7f7", "#ffffff", "#fffaf8", "#191919"] {
        assert!(dark_mode_ok(parse_colour(fine).unwrap()), "{fine}");
    }
}

/// The text of `html` as a reader sees it: tags gone, entities decoded.
fn visible_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[test]
fn a_list_that_starts_at_five_shows_five() {
    for (theme, _) in BUILTIN {
        let html = render("lists.md", &renderer(theme, LinkMode::Footnotes))
            .payload
            .content;
        let text = visible_text(&html);
        assert!(
            text.contains("5. five, where the list starts"),
            "{theme}: {text}"
        );
        assert!(text.contains("6. six"), "{theme}");
        assert!(
            text.contains("1. first") && text.contains("• alpha"),
            "{theme}"
        );
        assert!(
            !html.contains(" start="),
            "{theme}: the number is text, not an attribute"
        );
    }
}

#[test]
fn raw_html_is_themed_wrapped_and_hidden_text_dropped() {
    let r = renderer("default", LinkMode::Footnotes);
    let html = render("raw-html.md", &r).payload.content;
    assert!(
        !html.contains("lurnavrethy"),
        "hidden text is out of the payload"
    );
    assert!(visible_text(&html).contains("Hidden text: stays out."));
    assert!(
        !html.contains("black"),
        "the theme's borders, not the author's"
    );
    // Every table in its scrolling wrapper, the author's alignment kept.
    assert_eq!(
        html.matches("<table").count(),
        html.matches("overflow-x:auto;-webkit-overflow-scrolling:touch\"><table")
            .count()
    );
    assert!(html.contains("text-align: right") || html.contains("text-align:right"));
    // No whitespace between items or rows, no empty paragraph, no div or center.
    for gap in [
        "\t",
        "<li> ",
        "</li> <li",
        "<tr> <",
        "<p></p>",
        "<div",
        "<center",
    ] {
        assert!(!html.contains(gap), "{gap:?} in {html}");
    }
    assert!(!html.contains("<p style=\"margin:1em 0\"></p>"));
    let text = visible_text(&html);
    assert!(text.contains("• 普通移动：向右或向下移动。"), "{text}");
    assert!(text.contains("3. nested three") && text.contains("4. nested four"));
    // The first paragraph of an item is inlined after its marker: no paragraph gap.
    assert!(!html.contains("&nbsp;</span><p"));
}

#[test]
fn notes_and_references_each_number_from_one() {
    let html = render("footnotes.md", &renderer("default", LinkMode::Footnotes))
        .payload
        .content;
    let text = visible_text(&html);
    let (body, lists) = text.split_once("注释").expect("notes");
    let (notes, refs) = lists.split_once("参考资料").expect("references");
    assert!(body.contains("①") && body.contains("②") && body.contains("[1]"));
    assert!(notes.contains("① ") && notes.contains("② ") && !notes.contains("[1]"));
    assert!(refs.contains("[1] ") && !refs.contains("[2]") && !refs.contains("①"));
    // A reference mark never wraps between `[` and its number.
    assert!(html.contains("white-space:nowrap\">[1]</sup>"));
}

#[test]
fn alerts_have_localized_titles_distinct_colours_and_custom_titles() {
    for (theme, _) in BUILTIN {
        let r = renderer(theme, LinkMode::Footnotes);
        let html = render("alerts.md", &r).payload.content;
        let text = visible_text(&html);
        for title in [
            "ℹ️ 注意",
            "💡 提示",
            "❗ 升级前必读",
            "⚠️ 警告",
            "🛑 Mind the gap",
        ] {
            assert!(text.contains(title), "{theme}: {title} in {text}");
        }
        assert!(!text.contains("[!IMPORTANT]") && !text.contains("[!CAUTION]"));
        assert!(
            text.contains("[!NOTE] in its text"),
            "a plain quote stays as written"
        );
        // Five alerts, five border colours.
        let mut colours: Vec<&str> = html
            .split("<blockquote style=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .filter_map(|style| style.rsplit("border-left:").next())
            .collect();
        colours.truncate(5);
        colours.sort_unstable();
        colours.dedup();
        assert_eq!(colours.len(), 5, "{theme}: {colours:?}");
    }
    let en = renderer("default", LinkMode::Footnotes).with_text(
        wxsync::site::config::Language::En,
        wxsync::site::config::Captions::Title,
    );
    let text = visible_text(&render("alerts.md", &en).payload.content);
    for title in ["ℹ️ Note", "💡 Tip", "⚠️ Warning"] {
        assert!(text.contains(title), "{title}");
    }
}

#[test]
fn captions_come_from_the_title_else_a_meaningful_alt() {
    use wxsync::site::config::{Captions, Language};
    let caption = "display:block;text-align:center";
    let count = |captions| {
        let r = renderer("default", LinkMode::Footnotes).with_text(Language::ZhCn, captions);
        render("images.md", &r)
            .payload
            .content
            .matches(caption)
            .count()
    };
    let (title, alt, none) = (
        count(Captions::Title),
        count(Captions::Alt),
        count(Captions::None),
    );
    assert_eq!(none, 0);
    assert!(title >= 4 && title == alt, "{title} {alt}");
}

#[test]
fn the_title_is_the_opening_heading_even_after_comments() {
    let r = renderer("default", LinkMode::Footnotes);
    let title = |body: &str| {
        let out = render_text(&fixtures(), "t.md", body, &r).expect("renders");
        let warned = out
            .diagnostics
            .iter()
            .any(|d| d.message.contains("opening heading is taken"));
        (out.payload.title, warned, out.payload.content)
    };
    let (t, warned, html) = title("<!-- licence -->\n\n<!--\nmore\n-->\n\n# 两数之和\n\ntext\n");
    assert_eq!((t.as_str(), warned), ("两数之和", false));
    assert!(!html.contains("两数之和"), "the title leaves the body");
    let (t, warned, _) = title("## 未定义的行为\n\ntext\n");
    assert_eq!((t.as_str(), warned), ("未定义的行为", true));
    // A comment with something after it on its block is content; the `#` after it is still
    // the first heading.
    let (t, _, html) = title("<!-- c --> <b>x</b>\n\n# T\n");
    assert_eq!(t, "T");
    assert!(html.contains("<b>x</b>"));
    // The first heading, a `#` one after an opening paragraph, is the title too.
    let (t, _, html) = title("该文所涉及的源码版本为 4.9.3。\n\n# 处理流程\n\ntext\n\n## Two\n");
    assert_eq!(t, "处理流程");
    assert!(!html.contains("处理流程") && html.contains("Two") && html.contains("4.9.3"));
    // Where there are several, the `#` headings are the article's parts, not its title.
    let (t, _, html) = title("intro\n\n# Part one\n\ntext\n\n# Part two\n");
    assert_eq!(t, "");
    assert!(html.contains("Part one"));
    let (t, _, _) = title("text first\n\n## Section\n\n# Later\n");
    assert_eq!(t, "");
}
