//! The WeChat Official Account API: HTTP client, access tokens, error codes, payload types.

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
