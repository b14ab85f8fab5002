//! The images a payload shows outside the body: a `news` article's cover
//! (`thumb_media_id`) and a `newspic` article's image list (`image_info`).

use crate::diag::Diagnostic;
use crate::render::assets::Role;
use crate::render::images::{ArticleImages, Resolver, shown};
use crate::render::located::Located;
use crate::render::payload::MediaRef;
use crate::render::validate::NEWSPIC_MAX_IMAGES;
use crate::site::Article;
use crate::site::config::Defaults;
use crate::wechat::{ImageInfo, ImageItem, MediaId};

/// The cover of a `news` article: the front matter's, then `defaults`, then the first image
/// of the body. Every problem is a diagnostic; `None` means there is none.
pub fn news_cover(
    res: &Resolver<'_>,
    defaults: &Defaults,
    article: &Article,
    first_image: Option<MediaRef>,
    images: &mut ArticleImages,
    out: &mut Located<'_>,
) -> Option<MediaRef> {
    let fm = &article.front;
    if !fm.images.is_empty() {
        out.push_at_key(
            Diagnostic::warning(
                out.file,
                "`images` is only used by `article_type: newspic`; ignored",
            ),
            "images",
        );
    }
    if fm.cover.is_some() && fm.thumb_media_id.is_some() {
        out.push_at_key(
            Diagnostic::error(out.file, "both `cover` and `thumb_media_id` are set")
                .with_help("keep one: `cover` is a local image, `thumb_media_id` an existing permanent media id"),
            "cover",
        );
    }
    let cover = if let Some(id) = &fm.thumb_media_id {
        Some(MediaRef::Id(MediaId::new(id.clone())))
    } else if let Some(c) = &fm.cover {
        match images.add(res, c, &article.path, article.dir(), Role::Cover) {
            Ok(m) => Some(m),
            Err(why) => {
                out.push_at_key(
                    Diagnostic::error(out.file, format!("cover `{}`: {why}", shown(c))),
                    "cover",
                );
                None
            }
        }
    } else if let Some(id) = &defaults.thumb_media_id {
        Some(MediaRef::Id(MediaId::new(id.clone())))
    } else if let Some(c) = &defaults.cover {
        match images.add_file(res, res.root, c, Role::Cover) {
            Ok(m) => Some(m),
            Err(why) => {
                out.push(
                    Diagnostic::error(
                        "wxsync.yaml",
                        format!("defaults.cover `{}`: {why}", shown(c)),
                    )
                    .with_help("`defaults.cover` is relative to the site root"),
                );
                None
            }
        }
    } else {
        first_image.and_then(|first| images.reuse_as_cover(first, res.remote))
    };
    let cover_failed = out
        .list()
        .iter()
        .any(|d| d.is_error() && d.message.starts_with("cover"));
    // A misspelt or mistyped cover (or type) has been reported as such.
    let unsure = ["cover", "thumb_media_id", "article_type"]
        .iter()
        .any(|k| article.doubtful.contains(k));
    if cover.is_none() && !cover_failed && !unsure {
        out.push(
            Diagnostic::error(out.file, "the article has no cover image")
                .at(out.src, 0, 0)
                .with_help("set `cover:` in the front matter or `defaults.cover` in wxsync.yaml, or put an image in the body"),
        );
    }
    cover
}

/// The image list of a `newspic` article (`images:`, the first is the cover).
pub fn newspic_images(
    res: &Resolver<'_>,
    article: &Article,
    images: &mut ArticleImages,
    out: &mut Located<'_>,
) -> ImageInfo<MediaRef> {
    let fm = &article.front;
    let mut list = Vec::new();
    for img in &fm.images {
        match images.add(res, img, &article.path, article.dir(), Role::Newspic) {
            Ok(m) => list.push(ImageItem { image_media_id: m }),
            Err(why) => out.push_at_key(
                Diagnostic::error(out.file, format!("image `{}`: {why}", shown(img))),
                "images",
            ),
        }
    }
    let n = fm.images.len();
    let unsure = n == 0 && article.doubtful.contains(&"images");
    if (n == 0 || n > NEWSPIC_MAX_IMAGES) && !unsure {
        out.push_at_key(
            Diagnostic::error(
                out.file,
                format!("a newspic article needs 1 to {NEWSPIC_MAX_IMAGES} images; it has {n}"),
            )
            .with_help("list them under `images:`; the first is the cover"),
            "images",
        );
    }
    ImageInfo { image_list: list }
}
