//! The WeChat Official Account API: HTTP client, access tokens, error codes, payload types.
//!
//! Start with [`ClientOptions::from_env`] and [`Client::new`]; every endpoint is an async
//! method of [`Client`] returning [`Error`] on failure.

pub mod client;
pub mod error;
pub mod redact;
pub mod token;
pub mod types;

pub use client::{
    Client, ClientOptions, ConfigDefaults, DEFAULT_BASE_URL, Endpoint, RetryPolicy, TokenHook,
};
pub use error::{ErrCode, Error, ErrorClass, ErrorKind};
pub use redact::Secret;
pub use types::{
    Article, ArticleType, CoverInfo, CropPercent, Draft, DraftPage, DraftSummary,
    FooterProductInfo, ImageInfo, ImageItem, Material, MediaId, NewsItem, ProductInfo,
    UploadedImage,
};

use serde::Deserialize;

/// How wxsync obtains an access token (`api.token` in `wxsync.yaml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenMode {
    /// `POST /cgi-bin/stable_token`: does not invalidate tokens held by other users of the AppID.
    #[default]
    Stable,
    /// `GET /cgi-bin/token`: each fetch invalidates the token other users of the AppID hold.
    Classic,
    /// `WECHAT_ACCESS_TOKEN` used as is, never refreshed.
    Env,
}
