//! Images: the text inside `![…]` becomes the alt text, the caller resolves the `src` (an
//! upload placeholder, or nothing for a refused source), and the title or the alt text shows
//! as a caption, as `captions:` says.

use std::ops::Range;

use super::{Capture, Writer};
use crate::render::html::{escape_attr, escape_text};
use crate::render::theme::El;
use crate::site::config::Captions;

/// Alt texts that say nothing about the picture (editors and screenshot tools write them).
const EMPTY_ALTS: &[&str] = &[
    "image",
    "img",
    "picture",
    "pic",
    "photo",
    "screenshot",
    "图片",
    "图",
    "截图",
    "插图",
];

/// Extensions of image file names, which an editor pastes as the alt text.
const IMAGE_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "webp", "bmp", "svg", "avif", "tif", "tiff", "heic",
];

/// True when an alt text is worth showing as a caption: not empty, not a generic word such
/// as `image`, not a file name.
pub(super) fn meaningful_alt(alt: &str) -> bool {
    let alt = alt.trim();
    let lower = alt.to_lowercase();
    if alt.is_empty() || EMPTY_ALTS.contains(&lower.as_str()) {
        return false;
    }
    let file_name = lower.rsplit_once('.').is_some_and(|(stem, ext)| {
        IMAGE_EXTENSIONS.contains(&ext) && !stem.contains(char::is_whitespace)
    });
    // `image-20230101…`, `img_0042`: a name an editor made up.
    let generated = ["image-", "image_", "img-", "img_", "pasted-", "screenshot"]
        .iter()
        .any(|p| lower.starts_with(p))
        && !lower.contains(' ');
    !(file_name || generated)
}

/// The caption of an image with `title` and `alt`, as `captions:` says.
pub(super) fn caption<'t>(mode: Captions, title: &'t str, alt: &'t str) -> Option<&'t str> {
    let title = Some(title.trim()).filter(|t| !t.is_empty());
    let alt = Some(alt.trim()).filter(|a| meaningful_alt(a));
    match mode {
        Captions::Title => title.or(alt),
        Captions::Alt => alt.or(title),
        Captions::None => None,
    }
}

impl Writer<'_, '_> {
    pub(super) fn image_start(&mut self, src: &str, title: &str, range: Range<usize>) {
        self.flush_soft(None);
        self.capture = Capture::Image {
            src: src.to_string(),
            title: title.to_string(),
            alt: String::new(),
            range,
        };
    }

    pub(super) fn image_end(&mut self) {
        let Capture::Image {
            src,
            title,
            alt,
            range,
        } = std::mem::take(&mut self.capture)
        else {
            return;
        };
        let resolved = (self.resolve)(&src, range);
        let mut attrs = String::from(" src=\"");
        escape_attr(&resolved, &mut attrs);
        attrs.push('"');
        if !alt.is_empty() {
            attrs.push_str(" alt=\"");
            escape_attr(&alt, &mut attrs);
            attrs.push('"');
        }
        self.open_tag("img", &attrs, &[self.style(El::Img)]);
        if let Some(text) = caption(self.opt.captions, &title, &alt) {
            self.open(El::Caption, "span");
            escape_text(text, &mut self.out);
            self.close("span");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{caption, meaningful_alt};
    use crate::site::config::Captions;

    #[test]
    fn meaningless_alts_are_no_captions() {
        for alt in [
            "",
            " ",
            "image",
            "IMG",
            "图片",
            "photo.png",
            "image-20230101123456789.png",
            "img_0042",
            "Screenshot",
        ] {
            assert!(!meaningful_alt(alt), "{alt:?}");
        }
        for alt in [
            "架构图",
            "The build pipeline",
            "v1.2 release",
            "a photo.png of us",
        ] {
            assert!(meaningful_alt(alt), "{alt:?}");
        }
    }

    #[test]
    fn captions_follow_the_setting() {
        assert_eq!(caption(Captions::Title, "T", "架构图"), Some("T"));
        assert_eq!(caption(Captions::Title, "", "架构图"), Some("架构图"));
        assert_eq!(caption(Captions::Title, "", "image.png"), None);
        assert_eq!(caption(Captions::Alt, "T", "架构图"), Some("架构图"));
        assert_eq!(caption(Captions::Alt, "T", "img"), Some("T"));
        assert_eq!(caption(Captions::None, "T", "架构图"), None);
    }
}
