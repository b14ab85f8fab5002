//! Answer types of the endpoints about the account rather than its drafts: publishing
//! (`freepublish/submit`, `freepublish/get`, `freepublish/batchget`) and the daily quota of
//! each API (`openapi/quota/get`). Ids come as strings or numbers (`publish_id` is a number
//! on the live server, a string in the docs), so both are read.

use serde::{Deserialize, Serialize};

use super::types::{Draft, MediaId};

/// `freepublish/submit`: the publish job, to poll with `freepublish/get`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishJob {
    pub publish_id: MediaId,
}

/// Where a publish job stands (`publish_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishState {
    /// 0: published.
    Published,
    /// 1: still publishing.
    Publishing,
    /// 2–6: refused or undone, with WeChat's number.
    Failed(i64),
}

impl PublishState {
    pub fn from_code(code: i64) -> PublishState {
        match code {
            0 => PublishState::Published,
            1 => PublishState::Publishing,
            c => PublishState::Failed(c),
        }
    }

    /// What a failed status means, in WeChat's terms.
    pub fn describe(code: i64) -> &'static str {
        match code {
            2 => "原创声明失败 (originality check failed)",
            3 => "常规失败 (publishing failed)",
            4 => "平台审核不通过 (rejected by WeChat's review)",
            5 => "published, then every article was deleted by the user",
            6 => "published, then every article was blocked by WeChat",
            _ => "an unknown publish status",
        }
    }
}

/// One published article of a job (`article_detail.item`); `idx` is 1-based.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedItem {
    #[serde(default)]
    pub idx: u32,
    #[serde(default)]
    pub article_url: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleDetail {
    #[serde(default)]
    pub count: u32,
    #[serde(default)]
    pub item: Vec<PublishedItem>,
}

/// `freepublish/get`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishStatus {
    pub publish_status: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article_id: Option<MediaId>,
    #[serde(default)]
    pub article_detail: ArticleDetail,
    /// 1-based indexes of the articles that failed (status 2 or 4).
    #[serde(default)]
    pub fail_idx: Vec<u32>,
}

impl PublishStatus {
    pub fn state(&self) -> PublishState {
        PublishState::from_code(self.publish_status)
    }
}

/// One item of `freepublish/batchget`: a published article group and its articles (each
/// news item has its `url`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishedSummary {
    pub article_id: MediaId,
    #[serde(default)]
    pub content: Draft,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_time: Option<i64>,
}

/// `freepublish/batchget`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PublishedPage {
    #[serde(default)]
    pub total_count: u64,
    #[serde(default)]
    pub item_count: u64,
    #[serde(default)]
    pub item: Vec<PublishedSummary>,
}

/// `openapi/quota/get`: one API's calls today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quota {
    pub daily_limit: u64,
    pub used: u64,
    pub remain: u64,
}
