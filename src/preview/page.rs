//! The preview's HTML: the index of articles, and an article inside a phone-width frame with
//! its title, author and digest as WeChat shows them, its size against WeChat's limits, and
//! its warnings; or, when it does not build, its errors instead of a stale article.

use crate::diag::Diagnostic;
use crate::preview::build::{Page, PushStatus, Snapshot};
use crate::render::payload::is_newspic;
use crate::render::placeholder::SCHEME as ASSET_SCHEME;
use crate::render::validate::{HTML_MAX, TEXT_MAX};
use crate::render::{MediaRef, placeholder};
use crate::site::ArticlePath;

const PAGE: &str = include_str!("../../templates/preview/page.html");
pub const CSS: &str = include_str!("../../templates/preview/preview.css");
/// WeChat's dark-mode rule (mp-darkmode's), applied by the page's light/dark toggle.
pub const DARKMODE_JS: &str = include_str!("../../templates/preview/darkmode.js");

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    crate::render::html::escape_attr(s, &mut out);
    out
}

/// The page around `body`. The index is titled once, and its header names it instead of
/// linking to itself; an article's header links back to the index.
fn page(title: Option<&str>, path: &str, generation: u64, body: &str) -> String {
    let (title, nav) = match title {
        Some(t) => (
            format!("{t} · wxsync preview"),
            "<a href=\"/\">← all articles</a>",
        ),
        None => (
            "wxsync preview".to_string(),
            "<b class=\"here\">wxsync preview</b>",
        ),
    };
    PAGE.replace("{{PAGE_TITLE}}", &esc(&title))
        .replace("{{NAV}}", nav)
        .replace("{{PATH}}", &esc(path))
        .replace("{{GENERATION}}", &generation.to_string())
        .replace("{{BODY}}", body)
}

fn diag_html(d: &Diagnostic) -> String {
    let class = if d.is_error() { "error" } else { "warning" };
    let mut text = format!("{}: {}", d.location(), d.message);
    if let Some(h) = &d.help {
        text.push_str(&format!("\nhelp: {h}"));
    }
    format!("<div class=\"diag {class}\">{}</div>", esc(&text))
}

/// The list of articles with their check status.
pub fn index(snap: &Snapshot) -> String {
    let mut body = String::new();
    if !snap.site_errors.is_empty() {
        body.push_str("<section class=\"errors\"><h2>The site does not build</h2>");
        for d in &snap.site_errors {
            body.push_str(&diag_html(d));
        }
        body.push_str("</section>");
    }
    body.push_str(
        "<table class=\"index\"><thead><tr><th>Article</th><th>Title</th><th>Check</th><th>Push</th></tr></thead><tbody>",
    );
    for (path, p) in &snap.pages {
        let title = p.rendered.as_ref().map_or("", |r| r.payload.title.as_str());
        let errors = p.diagnostics.iter().filter(|d| d.is_error()).count();
        let warnings = p.diagnostics.len() - errors;
        let status = if errors > 0 {
            format!(
                "<span class=\"bad\">{errors} error{}</span>",
                if errors == 1 { "" } else { "s" }
            )
        } else if warnings > 0 {
            format!(
                "<span class=\"warn\">{warnings} warning{}</span>",
                if warnings == 1 { "" } else { "s" }
            )
        } else {
            "<span class=\"ok\">ok</span>".to_string()
        };
        body.push_str(&format!(
            "<tr><td class=\"col-path\"><a href=\"/a/{}\">{}</a></td><td class=\"col-title\">{}</td><td>{status}</td><td>{}</td></tr>",
            esc(path.as_str()),
            esc(path.as_str()),
            esc(title),
            push_html(p)
        ));
    }
    body.push_str("</tbody></table>");
    page(None, "", snap.generation, &body)
}

fn push_html(p: &Page) -> String {
    match &p.push {
        Some(PushStatus::Pushed(s)) => format!("<span class=\"push\">{}</span>", esc(s)),
        Some(PushStatus::Failed(s)) => {
            format!("<span class=\"push failed\">push failed: {}</span>", esc(s))
        }
        None => String::new(),
    }
}

/// The payload HTML with image placeholders pointing at the preview server.
pub fn preview_content(content: &str) -> String {
    content.replace(&format!("{ASSET_SCHEME}:sha256:"), "/asset/sha256:")
}

fn meter(label: &str, value: usize, max: usize) -> String {
    let pct = (value as f64 / max as f64 * 100.0).min(100.0);
    let class = if value >= max {
        "over"
    } else if value * 10 >= max * 9 {
        "warn"
    } else {
        ""
    };
    format!(
        "<div>{label}: {value} / {max}</div><div class=\"meter\"><i class=\"{class}\" style=\"width:{pct:.1}%\"></i></div>"
    )
}

/// One article in the phone frame, or its errors.
pub fn article(snap: &Snapshot, path: &ArticlePath) -> Option<String> {
    let p = snap.pages.get(path)?;
    let mut body = String::new();
    let errors: Vec<&Diagnostic> = snap
        .site_errors
        .iter()
        .chain(p.diagnostics.iter())
        .filter(|d| d.is_error())
        .collect();
    match (&p.rendered, errors.is_empty()) {
        (Some(r), true) => {
            let pl = &r.payload;
            let cover = pl
                .thumb_media_id
                .as_ref()
                .or_else(|| {
                    pl.image_info
                        .as_ref()
                        .and_then(|i| i.image_list.first())
                        .map(|i| &i.image_media_id)
                })
                .and_then(|c| match c {
                    MediaRef::Asset(h) => Some(placeholder::of(h)),
                    _ => None,
                })
                .map(|c| format!("<img src=\"{}\" alt=\"cover\">", esc(&preview_content(&c))))
                .unwrap_or_default();
            body.push_str("<div>");
            body.push_str(&format!(
                "<div class=\"card\"><div class=\"text\"><b>{}</b><span>{}</span></div>{cover}</div>",
                esc(&pl.title),
                esc(pl.digest.as_deref().unwrap_or(""))
            ));
            body.push_str("<div class=\"phone\"><div class=\"screen\">");
            body.push_str(&format!("<h1 class=\"title\">{}</h1>", esc(&pl.title)));
            body.push_str(&format!(
                "<div class=\"meta\"><span class=\"author\">{}</span><span class=\"account\">公众号</span></div>",
                esc(pl.author.as_deref().unwrap_or(""))
            ));
            if is_newspic(pl) {
                for i in pl.image_info.iter().flat_map(|i| &i.image_list) {
                    body.push_str(&format!(
                        "<img src=\"{}\" style=\"width:100%;display:block;margin-bottom:8px\">",
                        esc(&preview_content(&i.image_media_id.to_string()))
                    ));
                }
                body.push_str(&format!(
                    "<div style=\"white-space:pre-wrap\">{}</div>",
                    esc(&pl.content)
                ));
            } else {
                body.push_str(&preview_content(&pl.content));
            }
            body.push_str("</div></div></div>");
            body.push_str("<aside class=\"side\"><section><h2>Size</h2>");
            body.push_str(&meter("characters of text", r.text_chars, TEXT_MAX));
            body.push_str(&meter("bytes of HTML", pl.content.len(), HTML_MAX));
            body.push_str("</section>");
            if let Some(push) = &p.push {
                body.push_str(&format!(
                    "<section><h2>Push</h2>{}</section>",
                    push_html(&Page {
                        push: Some(push.clone()),
                        ..p.clone()
                    })
                ));
            }
            let warnings: Vec<&Diagnostic> =
                p.diagnostics.iter().filter(|d| !d.is_error()).collect();
            body.push_str(&format!("<section><h2>Warnings ({})</h2>", warnings.len()));
            for d in warnings {
                body.push_str(&diag_html(d));
            }
            body.push_str("</section></aside>");
            Some(page(Some(&pl.title), path.as_str(), snap.generation, &body))
        }
        _ => {
            body.push_str("<section class=\"side errors\"><h2>This article does not build</h2>");
            for d in &errors {
                body.push_str(&diag_html(d));
            }
            body.push_str("<p>Fix the file and save: this page reloads by itself.</p></section>");
            Some(page(
                Some(path.as_str()),
                path.as_str(),
                snap.generation,
                &body,
            ))
        }
    }
}
