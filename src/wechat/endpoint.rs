//! The endpoints wxsync calls: their paths and names, shared by the client (to call them) and
//! the errors (to say which call failed).

use std::fmt;

/// The cap on answers that carry article content. A draft's article holds under 1 MB of
/// HTML (and under 20,000 characters); the emulator's answer to `draft/batchget` of 20 drafts
/// of one article each at that limit, with content, is 20.1 MB (measured by
/// `tests/wechat_client.rs`); 64 MiB leaves more than three times that, and one draft
/// (`draft/get`, at most eight articles) fits eight times. A page of 20 drafts of eight
/// such articles each would not fit: ask for fewer drafts per page when reading content.
pub const CONTENT_REPLY_MAX: u64 = 64 * 1024 * 1024;

/// The cap on every other answer: the largest (a page of 20 drafts of eight articles without
/// content) is about 120 KB (measured likewise).
pub const REPLY_MAX: u64 = 1024 * 1024;

/// The endpoints the client calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Token,
    StableToken,
    UploadImg,
    AddMaterial,
    BatchgetMaterial,
    DraftAdd,
    DraftUpdate,
    DraftGet,
    DraftBatchget,
    DraftDelete,
    DraftCount,
    FreepublishSubmit,
    FreepublishGet,
    FreepublishBatchget,
    QuotaGet,
    /// `POST {relay}/token` of a `wxsync relay`: a token minted on a whitelisted host.
    RelayToken,
}

impl Endpoint {
    /// The path below the base URL.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Token => "/cgi-bin/token",
            Endpoint::StableToken => "/cgi-bin/stable_token",
            Endpoint::UploadImg => "/cgi-bin/media/uploadimg",
            Endpoint::AddMaterial => "/cgi-bin/material/add_material",
            Endpoint::BatchgetMaterial => "/cgi-bin/material/batchget_material",
            Endpoint::DraftAdd => "/cgi-bin/draft/add",
            Endpoint::DraftUpdate => "/cgi-bin/draft/update",
            Endpoint::DraftGet => "/cgi-bin/draft/get",
            Endpoint::DraftBatchget => "/cgi-bin/draft/batchget",
            Endpoint::DraftDelete => "/cgi-bin/draft/delete",
            Endpoint::DraftCount => "/cgi-bin/draft/count",
            Endpoint::FreepublishSubmit => "/cgi-bin/freepublish/submit",
            Endpoint::FreepublishGet => "/cgi-bin/freepublish/get",
            Endpoint::FreepublishBatchget => "/cgi-bin/freepublish/batchget",
            Endpoint::QuotaGet => "/cgi-bin/openapi/quota/get",
            // Below the relay's URL, not the API base.
            Endpoint::RelayToken => "/token",
        }
    }

    /// The short name used in messages, e.g. `draft/add`.
    pub fn name(self) -> &'static str {
        if self == Endpoint::RelayToken {
            return "relay token";
        }
        self.path().trim_start_matches("/cgi-bin/")
    }

    /// The endpoints whose daily quota `wxsync quota` reports: every API a sync or a
    /// publish calls (the token endpoints and the quota endpoint itself aside).
    pub const QUOTA_REPORTED: [Endpoint; 11] = [
        Endpoint::UploadImg,
        Endpoint::AddMaterial,
        Endpoint::BatchgetMaterial,
        Endpoint::DraftAdd,
        Endpoint::DraftUpdate,
        Endpoint::DraftGet,
        Endpoint::DraftBatchget,
        Endpoint::DraftDelete,
        Endpoint::FreepublishSubmit,
        Endpoint::FreepublishGet,
        Endpoint::FreepublishBatchget,
    ];

    /// Whether sending the call twice has the same effect as once. The others create
    /// something, so an ambiguous failure must not be retried blindly.
    pub fn is_idempotent(self) -> bool {
        !matches!(
            self,
            Endpoint::DraftAdd | Endpoint::AddMaterial | Endpoint::FreepublishSubmit
        )
    }

    /// The largest answer read, in bytes; a longer one is an error without being read whole.
    /// Only `draft/get` and `draft/batchget` carry article content: room for a page of 20
    /// drafts at WeChat's limits (see [`CONTENT_REPLY_MAX`]). Every other answer is under a
    /// kilobyte, even a page of 20 drafts without content or of 20 materials.
    pub fn reply_cap(self) -> u64 {
        match self {
            Endpoint::DraftGet | Endpoint::DraftBatchget => CONTENT_REPLY_MAX,
            _ => REPLY_MAX,
        }
    }

    pub(super) fn is_get(self) -> bool {
        matches!(self, Endpoint::Token | Endpoint::DraftCount)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
