//! Rendering: an article (front matter + Markdown) into the payload WeChat's draft API takes,
//! with its images as placeholders, its warnings, and its validation errors.

pub mod assets;
pub mod cache;
pub mod highlight;
pub mod html;
pub mod images;
pub mod links;
pub mod payload;
pub mod sanitize;
pub mod theme;
pub mod validate;
pub mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use crate::diag::Diagnostic;
use crate::site::config::{Defaults, Flag, RemoteImages};
use crate::site::frontmatter::ArticleType;
use crate::site::yamlpos::key_offset;
use crate::site::{Article, ArticlePath, LinkMode, Site};
pub use assets::{Asset, AssetCache, ContentHash, Role};
pub use payload::Payload;
pub use theme::Theme;

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
}

/// An image hosted outside WeChat that the push fetches and uploads (`images.remote:
/// upload`). Its identity in the payload is its URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RemoteImage {
    pub url: String,
    pub role: Role,
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
        let theme = Theme::load(&config.theme, &site.root)?;
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
        })?;
        Ok(Renderer {
            root: site.root.clone(),
            theme,
            code_theme,
            links: config.links,
            defaults: config.defaults.clone(),
            assets: AssetCache::default(),
            remote: config.images.remote,
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
        })
    }

    /// What remote images become (`images.remote`).
    pub fn set_remote_images(&mut self, mode: RemoteImages) {
        self.remote = mode;
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The theme in use (its name and resolved styles key the render cache).
    pub fn theme(&self) -> &Theme {
        &self.theme
    }

    /// Renders one article into its payload and checks it.
    pub fn render(&self, article: &Article) -> Rendered {
        let file = article.path.as_str();
        let src = &article.source;
        let fm = &article.front;
        let mut diags: Vec<Diagnostic> = Vec::new();
        let mut assets: Vec<Asset> = Vec::new();
        let mut remote: Vec<RemoteImage> = Vec::new();
        let body = article.body();
        let base = article.body_offset;
        let mut first_image: Option<String> = None;

        let written = {
            let mut resolve = |raw: &str, range: std::ops::Range<usize>| -> String {
                let out = self.image_src(raw, article, Role::Body, &mut assets, &mut remote).unwrap_or_else(|why| {
                    diags.push(
                        Diagnostic::error(file, format!("image `{raw}`: {why}"))
                            .at(src, base + range.start, base + range.end)
                            .with_help("image paths are relative to the article's file and must stay inside the site"),
                    );
                    // Never echo a refused source into the HTML (it may be `javascript:`).
                    String::new()
                });
                if self.remote == RemoteImages::Keep
                    && images::is_remote(&out)
                    && !images::is_wechat_hosted(&out)
                {
                    diags.push(
                        Diagnostic::warning(
                            file,
                            format!("image `{raw}` is hosted outside WeChat, which drops it from the article"),
                        )
                        .at(src, base + range.start, base + range.end)
                        .with_help("`images.remote: keep` is set in wxsync.yaml; `upload` (the default) uploads it instead"),
                    );
                }
                if first_image.is_none() && !out.is_empty() {
                    first_image = Some(out.clone());
                }
                out
            };
            let opts = writer::WriterOptions {
                theme: &self.theme,
                code_theme: self.code_theme,
                links: self.links,
                take_h1_title: fm.title.is_none(),
            };
            let parser = Parser::new_ext(body, markdown_options()).into_offset_iter();
            writer::write(parser, &opts, &mut resolve)
        };

        let mut math_seen = false;
        let mut diagrams_seen = false;
        for n in &written.notices {
            match n {
                writer::Notice::Math(r) if !math_seen => {
                    math_seen = true;
                    diags.push(
                        Diagnostic::warning(
                            file,
                            "math is shown as TeX source: wxsync does not render formulas yet",
                        )
                        .at(src, base + r.start, base + r.end.min(r.start + 40))
                        .with_help(
                            "for a typeset formula, render it to an image and use the image",
                        ),
                    );
                }
                writer::Notice::Diagram(lang, r) if !diagrams_seen => {
                    diagrams_seen = true;
                    diags.push(
                        Diagnostic::warning(
                            file,
                            format!(
                                "`{lang}` diagrams are shown as source: WeChat cannot draw them"
                            ),
                        )
                        .at(src, base + r.start, base + r.start + 3)
                        .with_help(
                            "export the diagram as an image and reference the image instead",
                        ),
                    );
                }
                _ => {}
            }
        }

        let content = written.html;

        let title = fm
            .title
            .clone()
            .or(written.title_from_h1)
            .unwrap_or_default();
        let at_key = |key: &str| -> Option<usize> {
            if !src.starts_with("---") {
                return None;
            }
            let yaml_start = src.find('\n').map(|i| i + 1)?;
            key_offset(&src[yaml_start..base.max(yaml_start)], &[key]).map(|o| yaml_start + o)
        };
        let point = |d: Diagnostic, key: Option<&str>| -> Diagnostic {
            match key.and_then(|k| at_key(k).map(|o| (k, o))) {
                Some((k, o)) => d.at(src, o, o + k.len()),
                None => d,
            }
        };

        if title.trim().is_empty() {
            diags.push(
                Diagnostic::error(file, "the article has no title")
                    .at(src, 0, 0)
                    .with_help(
                        "add `title: …` to the front matter, or start the body with `# Title`",
                    ),
            );
        }

        let defaults = &self.defaults;
        let flag = |f: Option<Flag>, d: Option<Flag>| u8::from(f.or(d).is_some_and(|f| f.0));
        let mut payload = Payload {
            article_type: match fm.article_type {
                ArticleType::News => "news",
                ArticleType::Newspic => "newspic",
            },
            title,
            author: fm
                .author
                .clone()
                .or_else(|| defaults.author.clone())
                .filter(|s| !s.is_empty()),
            digest: fm.digest.clone().filter(|s| !s.is_empty()),
            content: String::new(),
            content_source_url: fm
                .content_source_url
                .clone()
                .or_else(|| defaults.content_source_url.clone())
                .filter(|s| !s.is_empty()),
            thumb_media_id: None,
            need_open_comment: flag(fm.need_open_comment, defaults.need_open_comment),
            only_fans_can_comment: flag(fm.only_fans_can_comment, defaults.only_fans_can_comment),
            pic_crop_235_1: fm.pic_crop_235_1.clone(),
            pic_crop_1_1: fm.pic_crop_1_1.clone(),
            image_info: None,
            cover_info: fm.cover_info.as_ref().map(|ci| payload::CoverInfo {
                crop_percent_list: ci
                    .crop_percent_list
                    .iter()
                    .map(|c| payload::CropOut {
                        ratio: c.ratio.clone(),
                        x1: payload::coord(c.x1.0),
                        y1: payload::coord(c.y1.0),
                        x2: payload::coord(c.x2.0),
                        y2: payload::coord(c.y2.0),
                    })
                    .collect(),
            }),
            product_info: fm.product_key.clone().map(|k| payload::ProductInfo {
                footer_product_info: payload::FooterProduct { product_key: k },
            }),
        };

        let text_chars;
        match fm.article_type {
            ArticleType::News => {
                text_chars = validate::visible_chars(&content);
                payload.content = content;
                if !fm.images.is_empty() {
                    diags.push(point(
                        Diagnostic::warning(
                            file,
                            "`images` is only used by `article_type: newspic`; ignored",
                        ),
                        Some("images"),
                    ));
                }
                // The cover: front matter, then defaults, then the first image in the body.
                if fm.cover.is_some() && fm.thumb_media_id.is_some() {
                    diags.push(point(
                        Diagnostic::error(file, "both `cover` and `thumb_media_id` are set")
                            .with_help("keep one: `cover` is a local image, `thumb_media_id` an existing permanent media id"),
                        Some("cover"),
                    ));
                }
                payload.thumb_media_id = if let Some(id) = &fm.thumb_media_id {
                    Some(id.clone())
                } else if let Some(c) = &fm.cover {
                    match self.image_src(c, article, Role::Cover, &mut assets, &mut remote) {
                        Ok(p) => Some(p),
                        Err(why) => {
                            diags.push(point(
                                Diagnostic::error(file, format!("cover `{c}`: {why}")),
                                Some("cover"),
                            ));
                            None
                        }
                    }
                } else if let Some(id) = &defaults.thumb_media_id {
                    Some(id.clone())
                } else if let Some(c) = &defaults.cover {
                    match self.site_image(c, Role::Cover, &mut assets) {
                        Ok(p) => Some(p),
                        Err(why) => {
                            diags.push(
                                Diagnostic::error(
                                    "wxsync.yaml",
                                    format!("defaults.cover `{c}`: {why}"),
                                )
                                .with_help("`defaults.cover` is relative to the site root"),
                            );
                            None
                        }
                    }
                } else if let Some(first) = first_image {
                    // The body image doubles as the cover, so it is also uploaded as material.
                    if let Some(a) = assets
                        .iter()
                        .find(|a| a.hash.placeholder() == first)
                        .cloned()
                    {
                        assets.push(Asset {
                            role: Role::Cover,
                            ..a
                        });
                        Some(first)
                    } else if images::is_remote(&first) && self.remote == RemoteImages::Upload {
                        // A remote first image (even one on mmbiz.qpic.cn) is fetched and
                        // uploaded as permanent material to become the cover.
                        remote.push(RemoteImage {
                            url: first.clone(),
                            role: Role::Cover,
                        });
                        Some(first)
                    } else {
                        None
                    }
                } else {
                    None
                };
                if payload.thumb_media_id.is_none()
                    && !diags
                        .iter()
                        .any(|d| d.is_error() && d.message.starts_with("cover"))
                {
                    diags.push(
                        Diagnostic::error(file, "the article has no cover image")
                            .at(src, 0, 0)
                            .with_help("set `cover:` in the front matter or `defaults.cover` in wxsync.yaml, or put an image in the body"),
                    );
                }
            }
            ArticleType::Newspic => {
                let text = plain_text(body);
                text_chars = text.chars().count();
                payload.content = text;
                let mut list = Vec::new();
                for img in &fm.images {
                    match self.image_src(img, article, Role::Newspic, &mut assets, &mut remote) {
                        Ok(p) => list.push(payload::ImageRef { image_media_id: p }),
                        Err(why) => diags.push(point(
                            Diagnostic::error(file, format!("image `{img}`: {why}")),
                            Some("images"),
                        )),
                    }
                }
                let n = fm.images.len();
                if n == 0 || n > validate::NEWSPIC_MAX_IMAGES {
                    diags.push(point(
                        Diagnostic::error(
                            file,
                            format!(
                                "a newspic article needs 1 to {} images; it has {n}",
                                validate::NEWSPIC_MAX_IMAGES
                            ),
                        )
                        .with_help("list them under `images:`; the first is the cover"),
                        Some("images"),
                    ));
                }
                payload.image_info = Some(payload::ImageInfo { image_list: list });
            }
        }

        for finding in validate::check(&payload, text_chars) {
            let d = if finding.error {
                Diagnostic::error(file, finding.message)
            } else {
                Diagnostic::warning(file, finding.message)
            };
            diags.push(point(d, finding.key));
        }

        // One entry per (hash, role), in first-use order.
        let mut seen = std::collections::HashSet::new();
        assets.retain(|a| seen.insert((a.hash.clone(), a.role)));
        let mut seen = std::collections::HashSet::new();
        remote.retain(|r| seen.insert(r.clone()));

        // Crops are fractions of the cover: check what they select of its real size.
        let cover = match fm.article_type {
            ArticleType::News => payload.thumb_media_id.as_ref().and_then(|t| {
                assets
                    .iter()
                    .find(|a| a.role == Role::Cover && &a.hash.placeholder() == t)
            }),
            ArticleType::Newspic => assets.iter().find(|a| a.role == Role::Newspic),
        };
        if let Some(cover) = cover
            && let Some((w, h)) = self.dimensions(cover)
        {
            let mut crops: Vec<(&str, String, f64)> = Vec::new();
            for (key, value, ratio) in [
                ("pic_crop_235_1", &payload.pic_crop_235_1, 2.35),
                ("pic_crop_1_1", &payload.pic_crop_1_1, 1.0),
            ] {
                if let Some(v) = value {
                    crops.push((key, v.clone(), ratio));
                }
            }
            for c in payload
                .cover_info
                .iter()
                .flat_map(|ci| &ci.crop_percent_list)
            {
                let ratio = match c.ratio.as_str() {
                    "1_1" => 1.0,
                    "16_9" => 16.0 / 9.0,
                    "2.35_1" => 2.35,
                    _ => continue,
                };
                crops.push((
                    "cover_info",
                    format!("{}_{}_{}_{}", c.x1, c.y1, c.x2, c.y2),
                    ratio,
                ));
            }
            for (key, value, ratio) in crops {
                if let Some(d) = images::check_crop(file, key, &value, ratio, w, h) {
                    diags.push(point(d, Some(key)));
                }
            }
        }

        Rendered {
            path: article.path.clone(),
            payload,
            assets,
            remote,
            diagnostics: diags,
            text_chars,
            sync: fm.sync.unwrap_or(true),
        }
    }

    /// The `src` to emit for an image written in an article: a remote URL as it is (listed
    /// in `remote` for the push to upload, per `images.remote`), a local file or a `data:`
    /// URI as the placeholder of its bytes.
    fn image_src(
        &self,
        raw: &str,
        article: &Article,
        role: Role,
        assets: &mut Vec<Asset>,
        remote: &mut Vec<RemoteImage>,
    ) -> Result<String, String> {
        let t = raw.trim();
        let lower = t.to_ascii_lowercase();
        let url = if lower.starts_with("http://") || lower.starts_with("https://") {
            Some(t.to_string())
        } else if lower.starts_with("//") {
            // Protocol-relative: WeChat pages are https.
            Some(format!("https:{t}"))
        } else {
            None
        };
        if let Some(url) = url {
            if role == Role::Body && images::is_wechat_hosted(&url) {
                return Ok(url);
            }
            return match (self.remote, role) {
                (RemoteImages::Upload, _) => {
                    remote.push(RemoteImage {
                        url: url.clone(),
                        role,
                    });
                    Ok(url)
                }
                (RemoteImages::Error, _) => Err(
                    "it is hosted outside WeChat, and `images.remote: error` in wxsync.yaml refuses such images".to_string(),
                ),
                (RemoteImages::Keep, Role::Body) => Ok(url),
                (RemoteImages::Keep, _) => Err(
                    "a cover or newspic image must be uploaded, but `images.remote: keep` leaves remote images alone; use a local file".to_string(),
                ),
            };
        }
        if lower.starts_with("data:") {
            if !sanitize::is_data_image(t) {
                return Err("only png, jpeg, gif, webp and bmp data: URLs are images".to_string());
            }
            let asset = self
                .assets
                .data_uri(&article.path, t, role)
                .map_err(|e| e.to_string())?;
            let p = asset.hash.placeholder();
            assets.push(asset);
            return Ok(p);
        }
        if lower.contains(':')
            && !lower.starts_with(sanitize::ASSET_SCHEME)
            && lower
                .split(':')
                .next()
                .is_some_and(|s| s.len() > 1 && s.chars().all(|c| c.is_ascii_alphabetic()))
        {
            return Err("only local files and http(s) URLs can be images".to_string());
        }
        if t.is_empty() {
            return Err("the path is empty".to_string());
        }
        let asset = self
            .assets
            .resolve(&self.root, article.dir(), t, role)
            .map_err(|e| e.to_string())?;
        let p = asset.hash.placeholder();
        assets.push(asset);
        Ok(p)
    }

    /// Width and height of a local or inline image, from its header.
    fn dimensions(&self, a: &Asset) -> Option<(u32, u32)> {
        let info = match &a.inline {
            Some(b) => images::probe(b).ok()?,
            None => return images::file_dimensions(&self.root.join(a.path.as_str())),
        };
        Some((info.width, info.height))
    }

    /// An image named in `wxsync.yaml` (relative to the site root).
    fn site_image(&self, raw: &str, role: Role, assets: &mut Vec<Asset>) -> Result<String, String> {
        let asset = self
            .assets
            .resolve(&self.root, &self.root, raw, role)
            .map_err(|e| e.to_string())?;
        let p = asset.hash.placeholder();
        assets.push(asset);
        Ok(p)
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

/// Convenience for tests and tools: renders Markdown text as an article at `path` inside
/// `root` with the built-in default theme.
pub fn render_text(
    root: &Path,
    path: &str,
    text: &str,
    renderer: &Renderer,
) -> Result<Rendered, Vec<Diagnostic>> {
    let source: Arc<str> = Arc::from(text);
    let split = crate::site::frontmatter::split(&source, path, &source).map_err(|d| vec![d])?;
    let parsed = match split.yaml {
        Some(y) => crate::site::frontmatter::parse(y, split.yaml_offset, path, &source)?,
        None => Default::default(),
    };
    let rel = ArticlePath::from_relative(Path::new(path))
        .ok_or_else(|| vec![Diagnostic::error(path, "bad path")])?;
    let article = Article {
        abs: root.join(path),
        path: rel,
        body_offset: split.body_offset,
        front: parsed.front,
        ignored_keys: parsed.ignored_keys,
        source,
    };
    Ok(renderer.render(&article))
}
