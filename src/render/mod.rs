//! Rendering: an article (front matter + Markdown) into the payload WeChat's draft API takes,
//! with its images as placeholders, its warnings, and its validation errors.
//!
//! [`Renderer::render`] runs the steps in order: [`body`] (the writer, with each image resolved
//! by [`images`]), the title, [`payload`] (front matter into the API's fields), [`cover`] (the
//! cover or a `newspic`'s images), [`validate`] (WeChat's limits) and [`crops`].

pub mod assets;
pub mod body;
pub mod cache;
pub mod cover;
pub mod crops;
pub mod css;
pub mod delims;
pub mod diagram;
pub mod highlight;
pub mod html;
pub mod images;
pub mod links;
pub mod located;
pub mod markdown;
pub mod math;
pub mod payload;
pub mod placeholder;
pub mod rewrite;
pub mod sanitize;
pub mod shape;
pub mod svg;
pub mod theme;
pub mod unclosed;
pub mod validate;
pub mod words;
pub mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diag::Diagnostic;
pub use crate::hash::ContentHash;
use crate::site::config::{Captions, Defaults, Language, RemoteImages};
use crate::site::frontmatter::ArticleType;
use crate::site::{Article, ArticlePath, LinkMode, Site};
pub use assets::{Asset, AssetCache, Role};
pub use images::RemoteImage;
use images::{ArticleImages, Resolver};
use located::Located;
pub use markdown::markdown_options;
pub use payload::{MediaRef, Payload};
pub use theme::Theme;

/// The result of loading and rendering one article.
#[derive(Debug)]
pub struct ArticleResult {
    pub path: ArticlePath,
    pub rendered: Option<Rendered>,
    /// Hash of the article file (for rename detection).
    pub source_hash: Option<ContentHash>,
    /// Load errors (unreadable, bad front matter) and the render's diagnostics.
    pub diagnostics: Vec<Diagnostic>,
    pub ignored_keys: Vec<String>,
}

impl ArticleResult {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Everything rendering needs that is the same for every article of a site.
#[derive(Debug)]
pub struct Renderer {
    root: PathBuf,
    theme: Theme,
    code_theme: &'static syntect::highlighting::Theme,
    links: LinkMode,
    defaults: Defaults,
    assets: AssetCache,
    remote: RemoteImages,
    /// `limits.title`.
    title_max: usize,
    language: Language,
    captions: Captions,
    diagrams: diagram::Diagrams,
}

/// One rendered article.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub path: ArticlePath,
    /// The payload; present even when there are errors (so a preview can show it), but never
    /// to be sent then.
    pub payload: Payload,
    /// Local images the payload refers to, deduplicated by hash and role.
    pub assets: Vec<Asset>,
    /// Remote images the push uploads, deduplicated by URL and role.
    pub remote: Vec<RemoteImage>,
    pub diagnostics: Vec<Diagnostic>,
    /// Visible characters of text in `content`.
    pub text_chars: usize,
    /// `sync: false` in the front matter.
    pub sync: bool,
}

impl Rendered {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

impl Renderer {
    /// Loads the theme and code theme of a site.
    pub fn new(site: &Site) -> Result<Renderer, Vec<Diagnostic>> {
        let config = &site.config;
        // Both are checked, so a bad theme and a bad code theme show in one run.
        let theme = Theme::load(&config.theme, &site.root);
        let code_theme = highlight::code_theme(&config.code_theme).ok_or_else(|| {
            vec![
                Diagnostic::error(
                    "wxsync.yaml",
                    format!("unknown code_theme `{}`", config.code_theme),
                )
                .with_help(format!(
                    "choose one of: {}",
                    highlight::code_theme_names().join(", ")
                )),
            ]
        });
        let (theme, code_theme) = match (theme, code_theme) {
            (Ok(t), Ok(c)) => (t, c),
            (t, c) => {
                return Err([t.err(), c.err()].into_iter().flatten().flatten().collect());
            }
        };
        Ok(Renderer {
            root: site.root.clone(),
            theme,
            code_theme,
            links: config.links,
            defaults: config.defaults.clone(),
            assets: AssetCache::default(),
            remote: config.images.remote,
            title_max: config.limits.title,
            language: config.language,
            captions: config.captions,
            diagrams: diagram::Diagrams::new(&site.root, &config.diagrams),
        })
    }

    /// A renderer with explicit settings (for tests and benchmarks).
    pub fn with(
        root: &Path,
        theme: Theme,
        code_theme: &str,
        links: LinkMode,
        defaults: Defaults,
    ) -> Option<Renderer> {
        Some(Renderer {
            root: root.to_path_buf(),
            theme,
            code_theme: highlight::code_theme(code_theme)?,
            links,
            defaults,
            assets: AssetCache::default(),
            remote: RemoteImages::default(),
            title_max: crate::site::config::TITLE_DOCUMENTED,
            language: Language::default(),
            captions: Captions::default(),
            diagrams: diagram::Diagrams::in_memory(),
        })
    }

    /// The same renderer, with the words it adds in `language` and captions per `captions`
    /// (for tests and tools; a site sets both in `wxsync.yaml`).
    pub fn with_text(mut self, language: Language, captions: Captions) -> Renderer {
        self.language = language;
        self.captions = captions;
        self
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The theme in use (its name and resolved styles key the render cache).
    pub fn theme(&self) -> &Theme {
        &self.theme
    }

    fn resolver(&self) -> Resolver<'_> {
        Resolver {
            root: &self.root,
            cache: &self.assets,
            remote: self.remote,
            diagrams: &self.diagrams,
        }
    }

    /// Renders one article into its payload and checks it: the body, the title, the payload's
    /// fields, its cover or images, WeChat's limits, then the crops against the cover.
    pub fn render(&self, article: &Article) -> Rendered {
        let fm = &article.front;
        let mut out = Located::new(article);
        // The front matter's errors first, in file order; the render goes on without the
        // values at fault, so the body's errors show in the same run.
        for d in &article.front_errors {
            out.push(d.clone());
        }
        let mut images = ArticleImages::default();
        let res = self.resolver();
        let opts = writer::WriterOptions {
            theme: &self.theme,
            code_theme: self.code_theme,
            links: self.links,
            take_h1_title: fm.title.is_none(),
            single_h1: fm.title.is_none() && body::h1_count(article.body()) == 1,
            language: self.language,
            captions: self.captions,
        };
        let body = body::write(&opts, &res, article, &mut images, &mut out);
        let stopped = body.stopped;

        if body.title_below_h1 && body.title_from_h1.is_some() {
            out.push(
                Diagnostic::warning(
                    out.file,
                    "no `title` in the front matter: the opening heading is taken as the title",
                )
                .at(out.src, 0, 0)
                .with_help("add `title: …` to the front matter, or open the body with `# Title`"),
            );
        }
        let title = fm.title.clone().or(body.title_from_h1).unwrap_or_default();
        if title.trim().is_empty() && !article.doubtful.contains(&"title") {
            out.push(
                Diagnostic::error(out.file, "the article has no title")
                    .at(out.src, 0, 0)
                    .with_help(
                        "add `title: …` to the front matter, or start the body with `# Title`",
                    ),
            );
        }
        let mut payload = payload::from_front_matter(fm, &self.defaults, title);
        let text_chars = match fm.article_type {
            ArticleType::News => {
                let chars = validate::visible_chars(&body.html);
                payload.content = body.html;
                payload.thumb_media_id = cover::news_cover(
                    &res,
                    &self.defaults,
                    article,
                    body.first_image,
                    &mut images,
                    &mut out,
                );
                chars
            }
            ArticleType::Newspic => {
                payload.content = body::plain_text(article.body());
                payload.image_info =
                    Some(cover::newspic_images(&res, article, &mut images, &mut out));
                payload.content.chars().count()
            }
        };
        let stripped = validate::strip_controls(&mut payload.content);
        if stripped > 0 {
            out.push(
                Diagnostic::warning(
                    out.file,
                    format!(
                        "{stripped} control character{} removed from the content",
                        if stripped == 1 { " was" } else { "s were" }
                    ),
                )
                .with_help(
                    "they are invisible in the editor and shown as boxes, or refused, by WeChat",
                ),
            );
        }
        let mut findings = validate::check(&payload, text_chars, self.title_max);
        if stopped {
            // The sizes of a body the writer stopped are of what it wrote, not of the article;
            // the error that stopped it says enough. (Only the size findings name no key.)
            findings.retain(|f| f.key.is_some());
        }
        for finding in findings {
            let d = if finding.error {
                Diagnostic::error(out.file, finding.message)
            } else {
                Diagnostic::warning(out.file, finding.message)
            };
            match finding.key {
                Some(key) => out.push_at_key(d, key),
                None => out.push(d),
            }
        }
        images.dedup();
        for (d, key) in crops::check_cover(&self.root, out.file, &payload, &images) {
            out.push_at_key(d, key);
        }
        Rendered {
            path: article.path.clone(),
            payload,
            assets: images.assets,
            remote: images.remote,
            diagnostics: out.into_list(),
            text_chars,
            sync: fm.sync.unwrap_or(true),
        }
    }
}

/// Convenience for tests and tools: renders Markdown text as an article at `path` inside
/// `root` with the built-in default theme.
pub fn render_text(
    root: &Path,
    path: &str,
    text: &str,
    renderer: &Renderer,
) -> Result<Rendered, Vec<Diagnostic>> {
    if text.len() > crate::site::ARTICLE_MAX {
        return Err(vec![crate::site::too_large(path, text.len())]);
    }
    let source: Arc<str> = Arc::from(text);
    let split = crate::site::frontmatter::split(&source, path, &source).map_err(|d| vec![d])?;
    let parsed = match split.yaml {
        Some(y) => crate::site::frontmatter::parse(y, split.yaml_offset, path, &source)?,
        None => Default::default(),
    };
    if !parsed.errors.is_empty() {
        return Err(parsed.errors);
    }
    let rel = ArticlePath::from_relative(Path::new(path))
        .ok_or_else(|| vec![Diagnostic::error(path, "bad path")])?;
    let article = Article {
        abs: root.join(path),
        path: rel,
        body_offset: split.body_offset,
        front: parsed.front,
        ignored_keys: parsed.ignored_keys,
        front_errors: Vec::new(),
        doubtful: Vec::new(),
        source,
    };
    Ok(renderer.render(&article))
}
