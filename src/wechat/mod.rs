//! The WeChat Official Account API: HTTP client, access tokens, error codes, payload types.
//! It depends on nothing else in wxsync, so it could be a crate of its own.
//!
//! Start with [`ClientOptions::from_env`] and [`Client::new`]; every endpoint is an async
//! method of [`Client`] returning [`Error`] on failure.

pub mod account;
pub mod client;
pub mod endpoint;
pub mod errcode;
pub mod error;
pub mod format;
pub mod options;
pub mod redact;
pub mod token;
pub mod types;
mod wire;

pub use account::{
    PublishJob, PublishState, PublishStatus, PublishedItem, PublishedPage, PublishedSummary, Quota,
};
pub use client::Client;
pub use endpoint::Endpoint;
pub use error::{ErrCode, Error, ErrorClass, ErrorKind};
pub use format::ImageFormat;
pub use options::{
    CallHook, CallRecord, ClientOptions, ConfigDefaults, DEFAULT_BASE_URL, DEFAULT_DEADLINE,
    RetryPolicy, TokenHook, TokenMode,
};
pub use redact::Secret;
pub use types::{
    Article, ArticleType, CoverInfo, CropPercent, Draft, DraftPage, DraftSummary,
    FooterProductInfo, ImageInfo, ImageItem, Material, MaterialItem, MaterialPage, MediaId,
    NewsItem, ProductInfo, UploadedImage,
};
