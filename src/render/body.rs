//! The body: the Markdown run through the writer with each image resolved, what the writer
//! could not render faithfully turned into warnings, and the plain text a `newspic` takes.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use crate::diag::Diagnostic;
use crate::media::{is_remote, is_wechat_hosted};
use crate::render::assets::Role;
use crate::render::images::{ArticleImages, Resolver, shown};
use crate::render::located::Located;
use crate::render::payload::MediaRef;
use crate::render::writer;
use crate::site::Article;
use crate::site::config::RemoteImages;

/// The Markdown extensions wxsync enables (DESIGN §2).
pub fn markdown_options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_MATH
        | Options::ENABLE_GFM
}

/// The body as HTML.
pub struct Body {
    pub html: String,
    /// The title from a leading `# H1`, when the front matter has none.
    pub title_from_h1: Option<String>,
    /// The first image that resolved, a candidate cover.
    pub first_image: Option<MediaRef>,
}

/// Writes the body, resolving its images into `images` (a `newspic` sends plain text, but its
/// body images are checked and resolved all the same).
pub fn write(
    opts: &writer::WriterOptions<'_>,
    res: &Resolver<'_>,
    article: &Article,
    images: &mut ArticleImages,
    out: &mut Located<'_>,
) -> Body {
    let mut first_image: Option<MediaRef> = None;
    let written = {
        let mut resolve = |raw: &str, range: std::ops::Range<usize>| -> String {
            let m = match images.add(res, raw, &article.path, article.dir(), Role::Body) {
                Ok(m) => m,
                Err(why) => {
                    out.push_at_body(
                        Diagnostic::error(out.file, format!("image `{}`: {why}", shown(raw)))
                            .with_help("image paths are relative to the article's file and must stay inside the site"),
                        range,
                    );
                    // Never echo a refused source into the HTML (it may be `javascript:`).
                    return String::new();
                }
            };
            let src = m.to_string();
            if res.remote == RemoteImages::Keep && is_remote(&src) && !is_wechat_hosted(&src) {
                out.push_at_body(
                    Diagnostic::warning(
                        out.file,
                        format!("image `{}` is hosted outside WeChat, which drops it from the article", shown(raw)),
                    )
                    .with_help("`images.remote: keep` is set in wxsync.yaml; `upload` (the default) uploads it instead"),
                    range,
                );
            }
            if first_image.is_none() && !src.is_empty() {
                first_image = Some(m);
            }
            src
        };
        let parser = Parser::new_ext(article.body(), markdown_options()).into_offset_iter();
        writer::write(parser, opts, &mut resolve)
    };
    warn_notices(&written.notices, out);
    Body {
        html: written.html,
        title_from_h1: written.title_from_h1,
        first_image,
    }
}

/// One warning for the first formula and one for the first diagram.
fn warn_notices(notices: &[writer::Notice], out: &mut Located<'_>) {
    let mut math_seen = false;
    let mut diagrams_seen = false;
    for n in notices {
        match n {
            writer::Notice::Math(r) if !math_seen => {
                math_seen = true;
                out.push_at_body(
                    Diagnostic::warning(
                        out.file,
                        "math is shown as TeX source: wxsync does not render formulas yet",
                    )
                    .with_help("for a typeset formula, render it to an image and use the image"),
                    r.start..r.end.min(r.start + 40),
                );
            }
            writer::Notice::Diagram(lang, r) if !diagrams_seen => {
                diagrams_seen = true;
                out.push_at_body(
                    Diagnostic::warning(
                        out.file,
                        format!("`{lang}` diagrams are shown as source: WeChat cannot draw them"),
                    )
                    .with_help("export the diagram as an image and reference the image instead"),
                    r.start..r.start + 3,
                );
            }
            _ => {}
        }
    }
}

/// The body as plain text (for `newspic`, whose content WeChat takes without HTML):
/// paragraphs separated by a blank line.
pub fn plain_text(body: &str) -> String {
    let mut out = String::new();
    for event in Parser::new_ext(body, markdown_options()) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                out.push_str(&t)
            }
            Event::SoftBreak => out.push(' '),
            Event::HardBreak => out.push('\n'),
            Event::TaskListMarker(done) => out.push_str(if done { "✅ " } else { "⬜ " }),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::CodeBlock
                | TagEnd::Item
                | TagEnd::TableRow
                | TagEnd::TableHead,
            ) => {
                out.push('\n');
            }
            Event::Start(Tag::Item) => out.push_str("• "),
            Event::End(TagEnd::TableCell) => out.push('\t'),
            _ => {}
        }
    }
    let mut text = String::new();
    for para in out.split('\n').map(str::trim).filter(|l| !l.is_empty()) {
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(para);
    }
    text
}
