//! Payload types of the draft and material endpoints, with serde names exactly as the API
//! spells them. Optional fields are omitted when empty: WeChat reports `content_source_url: ""`
//! as invalid, and absent numbers take their documented defaults.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

/// An opaque id WeChat hands out (draft `media_id`, material `media_id`). WeChat sometimes
/// sends ids as JSON numbers, so both forms are read.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct MediaId(String);

impl MediaId {
    pub fn new(id: impl Into<String>) -> MediaId {
        MediaId(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MediaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for MediaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MediaId({:?})", self.0)
    }
}

impl From<String> for MediaId {
    fn from(s: String) -> MediaId {
        MediaId(s)
    }
}

impl From<&str> for MediaId {
    fn from(s: &str) -> MediaId {
        MediaId(s.to_string())
    }
}

impl<'de> Deserialize<'de> for MediaId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<MediaId, D::Error> {
        d.deserialize_any(IdVisitor).map(MediaId)
    }
}

/// Reads a string or an integer into a string (ids, `publish_id`).
struct IdVisitor;

impl Visitor<'_> for IdVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or an integer id")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
}

/// `article_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArticleType {
    /// 图文消息: HTML content and a cover (`thumb_media_id`).
    #[default]
    News,
    /// 图片消息: plain-text content and 1–20 images.
    Newspic,
}

/// One article as sent to `draft/add` (in `articles[]`) and `draft/update` (as `articles`):
/// the one payload type of wxsync.
///
/// `M` is how an image is referred to. On the wire it is a [`MediaId`]; before a push, the
/// renderer's payload uses its own reference type (a placeholder for an image not uploaded
/// yet), so a payload can be hashed and shown before anything is sent, and
/// [`Article::try_map_media`] turns it into what is sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Article<M = MediaId> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article_type: Option<ArticleType>,
    #[serde(default)]
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// HTML for `news`, plain text for `newspic`. Absent from `draft/batchget` with
    /// `no_content`.
    #[serde(default)]
    pub content: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_source_url: Option<String>,
    /// Permanent material id of the cover; required for `news`.
    #[serde(default = "none", skip_serializing_if = "Option::is_none")]
    pub thumb_media_id: Option<M>,
    /// 0 or 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub need_open_comment: Option<u8>,
    /// 0 or 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only_fans_can_comment: Option<u8>,
    /// `X1_Y1_X2_Y2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pic_crop_235_1: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pic_crop_1_1: Option<String>,
    #[serde(default = "none", skip_serializing_if = "Option::is_none")]
    pub image_info: Option<ImageInfo<M>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cover_info: Option<CoverInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_info: Option<ProductInfo>,
}

fn none<T>() -> Option<T> {
    None
}

impl<M> Default for Article<M> {
    fn default() -> Self {
        Article {
            article_type: None,
            title: String::new(),
            author: None,
            digest: None,
            content: String::new(),
            content_source_url: None,
            thumb_media_id: None,
            need_open_comment: None,
            only_fans_can_comment: None,
            pic_crop_235_1: None,
            pic_crop_1_1: None,
            image_info: None,
            cover_info: None,
            product_info: None,
        }
    }
}

impl<M> Article<M> {
    /// The same article with every image reference mapped (`thumb_media_id` and `image_info`),
    /// and `content` replaced; the first error ends it.
    pub fn try_map_media<N, E>(
        &self,
        content: String,
        mut f: impl FnMut(&M) -> Result<N, E>,
    ) -> Result<Article<N>, E> {
        Ok(Article {
            article_type: self.article_type,
            title: self.title.clone(),
            author: self.author.clone(),
            digest: self.digest.clone(),
            content,
            content_source_url: self.content_source_url.clone(),
            thumb_media_id: self.thumb_media_id.as_ref().map(&mut f).transpose()?,
            need_open_comment: self.need_open_comment,
            only_fans_can_comment: self.only_fans_can_comment,
            pic_crop_235_1: self.pic_crop_235_1.clone(),
            pic_crop_1_1: self.pic_crop_1_1.clone(),
            image_info: match &self.image_info {
                Some(info) => Some(ImageInfo {
                    image_list: info
                        .image_list
                        .iter()
                        .map(|i| {
                            f(&i.image_media_id).map(|image_media_id| ImageItem { image_media_id })
                        })
                        .collect::<Result<_, _>>()?,
                }),
                None => None,
            },
            cover_info: self.cover_info.clone(),
            product_info: self.product_info.clone(),
        })
    }
}

/// `image_info` of a `newspic`: the first image is the cover.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageInfo<M = MediaId> {
    #[serde(default = "Vec::new")]
    pub image_list: Vec<ImageItem<M>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageItem<M = MediaId> {
    pub image_media_id: M,
}

/// `cover_info` of a `newspic`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CoverInfo {
    #[serde(default)]
    pub crop_percent_list: Vec<CropPercent>,
}

/// One crop; WeChat wants the coordinates as strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CropPercent {
    /// `1_1`, `16_9` or `2.35_1`.
    pub ratio: String,
    pub x1: String,
    pub y1: String,
    pub x2: String,
    pub y2: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductInfo {
    pub footer_product_info: FooterProductInfo,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FooterProductInfo {
    pub product_key: String,
}

/// One article as `draft/get` and `draft/batchget` return it. The content comes back rewritten
/// by WeChat, so never compare it with what was sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewsItem {
    #[serde(flatten)]
    pub article: Article,
    /// The draft's temporary preview link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumb_url: Option<String>,
}

/// `draft/get`, and the `content` of each `draft/batchget` item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    #[serde(default)]
    pub news_item: Vec<NewsItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_time: Option<i64>,
}

/// `draft/batchget`. Its order is undocumented: match drafts by `media_id`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DraftPage {
    #[serde(default)]
    pub total_count: u64,
    #[serde(default)]
    pub item_count: u64,
    #[serde(default)]
    pub item: Vec<DraftSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftSummary {
    pub media_id: MediaId,
    #[serde(default)]
    pub content: Draft,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_time: Option<i64>,
}

/// `media/uploadimg`: a URL usable in article HTML. There is no media id and no way to list or
/// delete these, so the caller caches them by content hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadedImage {
    pub url: String,
}

/// `material/add_material`: a permanent material, usable as `thumb_media_id` or in
/// `image_info`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Material {
    pub media_id: MediaId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// `material/batchget_material`: one page of the account's permanent material of one type.
/// Its order is undocumented.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaterialPage {
    #[serde(default)]
    pub total_count: u64,
    #[serde(default)]
    pub item_count: u64,
    #[serde(default)]
    pub item: Vec<MaterialItem>,
}

/// A permanent material as `material/batchget_material` lists it: `name` is the file name it
/// was uploaded under, the only trace of what was uploaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaterialItem {
    pub media_id: MediaId,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_as_string_or_number() {
        let m: MediaId = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(m.as_str(), "abc");
        let m: MediaId = serde_json::from_str("2650177668").unwrap();
        assert_eq!(m.as_str(), "2650177668");
    }

    #[test]
    fn empty_optionals_are_omitted_and_text_stays_raw() {
        let a: Article = Article {
            title: "标题".into(),
            content: "<p>正文</p>".into(),
            thumb_media_id: Some("m1".into()),
            ..Article::default()
        };
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(
            json,
            r#"{"title":"标题","content":"<p>正文</p>","thumb_media_id":"m1"}"#
        );
    }

    #[test]
    fn news_items_read_live_shapes() {
        let body = r#"{"news_item":[{"title":"标题","author":"","digest":"d","content":"c",
            "content_source_url":"","thumb_media_id":"zU","show_cover_pic":1,"url":"http://u",
            "thumb_url":"http://t","need_open_comment":0,"only_fans_can_comment":0}],
            "create_time":1634886802,"update_time":1634886802}"#;
        let d: Draft = serde_json::from_str(body).unwrap();
        assert_eq!(d.news_item[0].article.title, "标题");
        assert_eq!(d.news_item[0].url.as_deref(), Some("http://u"));
        assert_eq!(d.update_time, Some(1634886802));
    }
}
