//! The payload as rendering leaves it: WeChat's own article type ([`wechat::Article`]) whose
//! image references are still [`MediaRef`]s, and the mapping from front matter into it.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::hash::ContentHash;
use crate::render::placeholder;
use crate::site::FrontMatter;
use crate::site::config::{Defaults, Flag};
use crate::wechat::{self, ArticleType, MediaId};

/// One article as the draft API takes it, images not uploaded yet.
pub type Payload = wechat::Article<MediaRef>;

/// An image in a payload's `thumb_media_id` or `image_info` before the push.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MediaRef {
    /// A local or `data:` image, by the hash of its bytes (written as its placeholder).
    Asset(ContentHash),
    /// A remote image the push fetches and uploads, by its URL.
    Remote(String),
    /// A permanent material id given in the front matter or `defaults`, used as it is.
    Id(MediaId),
}

impl fmt::Display for MediaRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MediaRef::Asset(h) => f.write_str(&placeholder::of(h)),
            MediaRef::Remote(url) => f.write_str(url),
            MediaRef::Id(id) => f.write_str(id.as_str()),
        }
    }
}

/// Written as the string it stands for, so the payload's JSON (and its hash) reads as the
/// API's own.
impl Serialize for MediaRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The payload's fields that come from the front matter and `defaults` (everything but the
/// content and the images, which the renderer adds).
pub fn from_front_matter(fm: &FrontMatter, defaults: &Defaults, title: String) -> Payload {
    let flag = |f: Option<Flag>, d: Option<Flag>| u8::from(f.or(d).is_some_and(|f| f.0));
    Payload {
        article_type: Some(fm.article_type),
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
        need_open_comment: Some(flag(fm.need_open_comment, defaults.need_open_comment)),
        only_fans_can_comment: Some(flag(
            fm.only_fans_can_comment,
            defaults.only_fans_can_comment,
        )),
        pic_crop_235_1: fm.pic_crop_235_1.clone(),
        pic_crop_1_1: fm.pic_crop_1_1.clone(),
        image_info: None,
        cover_info: fm.cover_info.as_ref().map(|ci| wechat::CoverInfo {
            crop_percent_list: ci
                .crop_percent_list
                .iter()
                .map(|c| wechat::CropPercent {
                    ratio: c.ratio.clone(),
                    x1: coord(c.x1.0),
                    y1: coord(c.y1.0),
                    x2: coord(c.x2.0),
                    y2: coord(c.y2.0),
                })
                .collect(),
        }),
        product_info: fm.product_key.clone().map(|k| wechat::ProductInfo {
            footer_product_info: wechat::FooterProductInfo { product_key: k },
        }),
    }
}

/// Whether the payload is a `newspic` (图片消息).
pub fn is_newspic(p: &Payload) -> bool {
    p.article_type == Some(ArticleType::Newspic)
}

/// Formats a crop coordinate with at most 6 decimals and no trailing zeros.
pub fn coord(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-" {
        "0".to_string()
    } else {
        s.to_string()
    }
}
