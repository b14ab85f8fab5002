//! The body: the Markdown run through the writer with each image resolved, raw HTML blocks
//! that never close ended at their first line, what the writer could not render faithfully
//! turned into warnings (and the limits that stopped it into errors), and the plain text a
//! `newspic` takes.

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

use crate::diag::Diagnostic;
use crate::media::{is_remote, is_wechat_hosted};
use crate::render::assets::Role;
use crate::render::delims;
use crate::render::diagram::DiagramError;
use crate::render::images::{ArticleImages, Resolver, shown};
use crate::render::located::Located;
use crate::render::markdown::markdown_options;
use crate::render::payload::MediaRef;
use crate::render::shape::MAX_DEPTH;
use crate::render::unclosed::{self, MAX_UNCLOSED};
use crate::render::validate::HTML_MAX;
use crate::render::writer::{self, MAX_NESTING};
use crate::site::Article;
use crate::site::config::RemoteImages;

/// The body as HTML.
pub struct Body {
    pub html: String,
    /// The title from a leading `# H1`, when the front matter has none.
    pub title_from_h1: Option<String>,
    /// That title came from a heading below `#`.
    pub title_below_h1: bool,
    /// The first image that resolved, a candidate cover.
    pub first_image: Option<MediaRef>,
    /// A limit stopped the writer (an error says which): the HTML is not all there.
    pub stopped: bool,
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
    let closed = unclosed::close(article.body());
    warn_unclosed(&closed, out);
    // Both resolvers add to the article's images, one at a time.
    let images = std::cell::RefCell::new(images);
    let written = {
        let mut diagram = |source: &str| -> Result<writer::DiagramImage, DiagramError> {
            let d = res.diagrams.render(source)?;
            let m = images.borrow_mut().add_diagram(&article.path, &d);
            Ok(writer::DiagramImage {
                src: m.to_string(),
                width: d.width,
                missing_glyphs: d.missing_glyphs,
            })
        };
        let mut resolve = |raw: &str, range: std::ops::Range<usize>| -> String {
            let added = images
                .borrow_mut()
                .add(res, raw, &article.path, article.dir(), Role::Body);
            let m = match added {
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
        let events = delims::bracket_math(
            without_dropped(
                Parser::new_ext(&closed.text, markdown_options()).into_offset_iter(),
                &closed,
            ),
            &closed.text,
        )
        .map(|(e, r)| (e, closed.range_to_body(r)));
        writer::write(events, opts, &mut resolve, &mut diagram)
    };
    warn_notices(&written.notices, out);
    Body {
        html: written.html,
        title_from_h1: written.title_from_h1,
        title_below_h1: written.title_below_h1,
        first_image,
        stopped: written.stopped,
    }
}

/// The events of `closed.text` without the HTML blocks it ended early that show nothing (their
/// first line opens something that never ends).
fn without_dropped<'e>(
    events: impl Iterator<Item = (Event<'e>, std::ops::Range<usize>)>,
    closed: &unclosed::Closed<'_>,
) -> impl Iterator<Item = (Event<'e>, std::ops::Range<usize>)> {
    let mut dropping = false;
    events.filter(move |(e, r)| match e {
        Event::Start(Tag::HtmlBlock) if closed.is_dropped(r.start) => {
            dropping = true;
            false
        }
        Event::End(TagEnd::HtmlBlock) if dropping => {
            dropping = false;
            false
        }
        _ => !dropping,
    })
}

/// A warning at each raw HTML block that never closes, and an error past the most ended.
fn warn_unclosed(closed: &unclosed::Closed<'_>, out: &mut Located<'_>) {
    for u in &closed.unclosed {
        out.push_at_body(
            Diagnostic::warning(
                out.file,
                format!(
                    "`{}` is never closed with `{}`, which would hide everything after it: \
                     wxsync ends it at this line",
                    u.opener, u.marker
                ),
            )
            .with_help(format!(
                "add `{}` where it should end, or write `\\<` to show the `<` as text",
                u.marker
            )),
            u.at..u.at + u.opener.trim_end_matches('>').len(),
        );
    }
    if let Some(u) = &closed.too_many {
        out.push_at_body(
            Diagnostic::error(
                out.file,
                format!(
                    "more than {MAX_UNCLOSED} raw HTML blocks are never closed; this `{}` \
                     hides the rest of the article",
                    u.opener
                ),
            )
            .with_help(format!(
                "close each with `{}` where it should end",
                u.marker
            )),
            u.at..u.at + u.opener.trim_end_matches('>').len(),
        );
    }
}

/// A warning for each formula or diagram shown as source (naming what stopped it), one for
/// the first diagram in a language wxsync does not draw; an error for a limit that stopped the
/// writer, or for a `diagrams.command` that is not there.
fn warn_notices(notices: &[writer::Notice], out: &mut Located<'_>) {
    let mut diagrams_seen = false;
    let mut command_missing = false;
    for n in notices {
        match n {
            writer::Notice::Math(r, why) => {
                out.push_at_body(
                    Diagnostic::warning(
                        out.file,
                        format!("formula shown as TeX source: {why}"),
                    )
                    .with_help("rewrite the formula with commands the typesetter knows (README: Formulas and diagrams)"),
                    r.start..r.end.min(r.start + 40),
                );
            }
            writer::Notice::DiagramFailed(r, why) if why.is_config() && !command_missing => {
                command_missing = true;
                out.push_at_body(
                    Diagnostic::error(out.file, format!("the diagram cannot be drawn: {why}"))
                        .with_help("install it, or remove `diagrams.command` from wxsync.yaml to use the built-in renderer"),
                    r.start..r.start + 3,
                );
            }
            // Said once per article.
            writer::Notice::DiagramFailed(_, why) if why.is_config() => {}
            writer::Notice::DiagramFailed(r, why) => {
                out.push_at_body(
                    Diagnostic::warning(
                        out.file,
                        format!("mermaid diagram shown as source: {why}"),
                    )
                    .with_help(
                        "fix the diagram, or export it as an image and reference the image instead",
                    ),
                    r.start..r.start + 3,
                );
            }
            writer::Notice::DiagramGlyphs(r, chars) => {
                let shown: String = chars.chars().take(8).collect();
                out.push_at_body(
                    Diagnostic::warning(
                        out.file,
                        format!("the diagram's text has characters no installed font has (`{shown}`): they are left out of the image"),
                    )
                    .with_help("install a font that has them (for Chinese: `apt-get install fonts-noto-cjk`), or set `diagrams.command`"),
                    r.start..r.start + 3,
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
            writer::Notice::TooDeep(at) => out.push_at_body(
                Diagnostic::error(
                    out.file,
                    format!(
                        "lists and block quotes nest more than {MAX_NESTING} deep here; \
                         wxsync stops rendering the article"
                    ),
                )
                .with_help(
                    "flatten the nesting: WeChat shows deep levels as an ever narrower column",
                ),
                *at..*at + 1,
            ),
            writer::Notice::HtmlTooDeep(at) => out.push_at_body(
                Diagnostic::error(
                    out.file,
                    format!(
                        "raw HTML nests elements more than {MAX_DEPTH} deep here; \
                         wxsync stops rendering the article"
                    ),
                )
                .with_help(
                    "close the elements you open (`</div>`, `</li>`), or flatten the markup",
                ),
                *at..*at + 1,
            ),
            writer::Notice::TooManyPasses(at) => out.push_at_body(
                Diagnostic::error(
                    out.file,
                    format!(
                        "more than {} blocks of raw HTML leave an element open, and each must \
                         be sanitized alone; wxsync stops rendering the article here",
                        writer::MAX_PASSES
                    ),
                )
                .with_help("close the elements you open (`</p>`, `</span>`) in each block"),
                *at..*at + 1,
            ),
            writer::Notice::TooLarge(at) => out.push_at_body(
                Diagnostic::error(
                    out.file,
                    format!(
                        "the HTML passes WeChat's limit of {HTML_MAX} bytes by here; \
                         wxsync stops rendering the article"
                    ),
                )
                .with_help("split the article into several"),
                *at..*at,
            ),
            _ => {}
        }
    }
}

/// How many `#` headings the body has (a title after an opening paragraph is taken only
/// from an article with one: where there are several, they are its parts).
pub fn h1_count(body: &str) -> usize {
    let closed = unclosed::close(body);
    Parser::new_ext(&closed.text, markdown_options())
        .filter(|e| {
            matches!(
                e,
                Event::Start(Tag::Heading {
                    level: pulldown_cmark::HeadingLevel::H1,
                    ..
                })
            )
        })
        .count()
}

/// The body as plain text (for `newspic`, whose content WeChat takes without HTML):
/// paragraphs separated by a blank line.
pub fn plain_text(body: &str) -> String {
    let mut out = String::new();
    // Raw HTML shows nothing here, but one that never closes would hide the text after it.
    let closed = unclosed::close(body);
    for event in Parser::new_ext(&closed.text, markdown_options()) {
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
