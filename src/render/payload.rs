//! The article payload: exactly the fields `draft/add` and `draft/update` take, with image
//! placeholders still unresolved.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageRef {
    pub image_media_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageInfo {
    pub image_list: Vec<ImageRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CropOut {
    pub ratio: String,
    pub x1: String,
    pub y1: String,
    pub x2: String,
    pub y2: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoverInfo {
    pub crop_percent_list: Vec<CropOut>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FooterProduct {
    pub product_key: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductInfo {
    pub footer_product_info: FooterProduct,
}

/// One article as the draft API takes it. Optional fields are left out when empty (an empty
/// `content_source_url` is reported to be refused).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Payload {
    pub article_type: &'static str,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    pub content: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_source_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumb_media_id: Option<String>,
    pub need_open_comment: u8,
    pub only_fans_can_comment: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pic_crop_235_1: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pic_crop_1_1: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_info: Option<ImageInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cover_info: Option<CoverInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_info: Option<ProductInfo>,
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
