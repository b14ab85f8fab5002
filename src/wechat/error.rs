//! The WeChat client's one error type: which endpoint failed, how (an `errcode`, the transport,
//! an HTTP status, an unreadable body), what the user can do about it (a hint per code from the
//! reference table), and what the caller should do (retry, refresh the token, fail).
//!
//! Every string stored here has been through [`scrub`], so neither `Display` nor `Debug` can
//! show a secret.

use std::fmt;

use super::endpoint::Endpoint;
pub use super::errcode::ErrCode;
use super::redact::scrub;

/// What the caller should do with an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Transient: transport errors, HTTP 5xx, `-1`, `45011`. Retry with backoff if the call is
    /// idempotent.
    Retry,
    /// The access token was rejected: fetch a fresh one and retry once.
    RefreshToken,
    /// Retrying cannot help; show the hint.
    Fail,
}

/// How a request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// WeChat answered with a non-zero `errcode`.
    Api { code: i64, errmsg: String },
    /// No answer in time; the request may have been applied.
    Timeout,
    /// The connection failed. `connect` is true when it failed before the request was sent.
    Transport { detail: String, connect: bool },
    /// A non-200 HTTP status (WeChat itself answers 200 even for errors, so this is a proxy or
    /// an outage).
    Http { status: u16, body: String },
    /// A 200 answer that is not the JSON we expected: cut short, garbled, or lacking what
    /// the call returns. The request may have been applied.
    Decode { detail: String },
    /// An answer longer than the call's cap ([`Endpoint::reply_cap`]); it was not read
    /// further. The request may have been applied.
    TooLarge { limit: u64 },
    /// Missing or unusable settings (no AppID, no secret, a bad proxy URL).
    Config { detail: String, setting: Setting },
}

/// Which setting a [`ErrorKind::Config`] error is about: what its hint tells the user to fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// The AppID, the AppSecret or a fixed token.
    Credentials,
    /// `api.base_url` / `WXSYNC_API_BASE`.
    BaseUrl,
    /// `api.proxy`.
    Proxy,
    /// The relay: `WXSYNC_RELAY_URL` / `api.relay_url` and `WXSYNC_RELAY_KEY`.
    Relay,
    /// Something of this machine's (the TLS setup).
    Local,
}

/// An error from the WeChat client. See the module doc.
#[derive(Debug, Clone)]
pub struct Error {
    endpoint: Option<Endpoint>,
    kind: ErrorKind,
    outcome_unknown: bool,
}

impl Error {
    pub(crate) fn api(endpoint: Endpoint, code: i64, errmsg: &str) -> Error {
        Error::new(
            Some(endpoint),
            ErrorKind::Api {
                code,
                errmsg: scrub(errmsg),
            },
        )
    }

    pub(crate) fn timeout(endpoint: Endpoint) -> Error {
        Error::new(Some(endpoint), ErrorKind::Timeout)
    }

    pub(crate) fn transport(endpoint: Endpoint, detail: &str, connect: bool) -> Error {
        Error::new(
            Some(endpoint),
            ErrorKind::Transport {
                detail: scrub(detail),
                connect,
            },
        )
    }

    pub(crate) fn http(endpoint: Endpoint, status: u16, body: &str) -> Error {
        Error::new(
            Some(endpoint),
            ErrorKind::Http {
                status,
                body: snippet(&scrub(body)),
            },
        )
    }

    pub(crate) fn decode(endpoint: Endpoint, detail: &str) -> Error {
        Error::new(
            Some(endpoint),
            ErrorKind::Decode {
                detail: snippet(&scrub(detail)),
            },
        )
    }

    pub(crate) fn too_large(endpoint: Endpoint, limit: u64) -> Error {
        Error::new(Some(endpoint), ErrorKind::TooLarge { limit })
    }

    pub(crate) fn config(setting: Setting, detail: &str) -> Error {
        Error::new(
            None,
            ErrorKind::Config {
                detail: scrub(detail),
                setting,
            },
        )
    }

    fn new(endpoint: Option<Endpoint>, kind: ErrorKind) -> Error {
        Error {
            endpoint,
            kind,
            outcome_unknown: false,
        }
    }

    /// Marks a failed non-idempotent call (`draft/add`, `add_material`) whose effect on the
    /// server cannot be known.
    pub(crate) fn into_outcome_unknown(mut self) -> Error {
        self.outcome_unknown = true;
        self
    }

    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    pub fn endpoint(&self) -> Option<Endpoint> {
        self.endpoint
    }

    /// WeChat's `errcode`, when WeChat answered.
    pub fn code(&self) -> Option<i64> {
        match self.kind {
            ErrorKind::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// WeChat's `errmsg` (redacted), when WeChat answered.
    pub fn errmsg(&self) -> Option<&str> {
        match &self.kind {
            ErrorKind::Api { errmsg, .. } => Some(errmsg),
            _ => None,
        }
    }

    pub fn errcode(&self) -> Option<ErrCode> {
        self.code().map(ErrCode::from_code)
    }

    /// True when the call may or may not have taken effect (a `draft/add` that timed out): the
    /// caller must reconcile (e.g. via `draft/batchget`) before creating anything again.
    pub fn is_outcome_unknown(&self) -> bool {
        self.outcome_unknown
    }

    /// True when the request may have reached WeChat and been applied even though no clear
    /// answer came back: no answer in time (including the overall deadline), a connection
    /// lost after the request was sent, a 5xx from something in between (it may have passed
    /// the request on), `-1` (WeChat's own "system busy"), and an HTTP 200 whose body cannot
    /// be read as a complete answer (malformed, lacking the id, too long). Definitely not
    /// applied: a connection that failed before sending, any other `errcode`, a 4xx, a bad
    /// setting.
    pub fn is_ambiguous(&self) -> bool {
        match &self.kind {
            ErrorKind::Timeout | ErrorKind::Decode { .. } | ErrorKind::TooLarge { .. } => true,
            ErrorKind::Transport { connect, .. } => !connect,
            ErrorKind::Http { status, .. } => *status >= 500,
            ErrorKind::Api { code, .. } => *code == -1,
            ErrorKind::Config { .. } => false,
        }
    }

    /// The rule every call ends with: a non-idempotent call whose request may have been
    /// applied is marked outcome-unknown, so its caller reconciles instead of repeating it.
    pub(crate) fn settled(self, endpoint: Endpoint) -> Error {
        if !endpoint.is_idempotent() && self.is_ambiguous() {
            self.into_outcome_unknown()
        } else {
            self
        }
    }

    /// True for errors about the account rather than an article: credentials, the IP
    /// whitelist, API rights, a token that cannot be had. Every further call would fail the
    /// same way, so a run stops at the first.
    pub fn is_account_level(&self) -> bool {
        if matches!(self.kind, ErrorKind::Config { .. }) || self.is_token_endpoint() {
            return true;
        }
        matches!(
            self.errcode(),
            Some(
                ErrCode::InvalidAppSecret
                    | ErrCode::InvalidAppId
                    | ErrCode::IpNotWhitelisted
                    | ErrCode::AppSecretFrozen
                    | ErrCode::ApiUnauthorized
                    | ErrCode::ApiForbidden
                    | ErrCode::UserLimited
                    | ErrCode::AccountFrozen
                    | ErrCode::TokenApiForbidden
                    | ErrCode::AdminConfirmationPending
                    | ErrCode::IpRejected24h
                    | ErrCode::IpRejected1h
            )
        )
    }

    /// The error on one line, without its hint.
    pub fn headline(&self) -> String {
        let full = self.to_string();
        full.lines().next().unwrap_or_default().to_string()
    }

    pub fn class(&self) -> ErrorClass {
        match &self.kind {
            ErrorKind::Api { code, .. } => {
                let code = ErrCode::from_code(*code);
                match code {
                    ErrCode::SystemError | ErrCode::MinuteQuota => ErrorClass::Retry,
                    // On a token endpoint 40001 means a wrong AppSecret, not a stale token.
                    c if c.is_token_error() && !self.is_token_endpoint() => {
                        ErrorClass::RefreshToken
                    }
                    _ => ErrorClass::Fail,
                }
            }
            ErrorKind::Timeout | ErrorKind::Transport { .. } => ErrorClass::Retry,
            ErrorKind::Http { status, .. } if *status >= 500 || *status == 429 => ErrorClass::Retry,
            _ => ErrorClass::Fail,
        }
    }

    fn is_token_endpoint(&self) -> bool {
        matches!(
            self.endpoint,
            Some(Endpoint::Token) | Some(Endpoint::StableToken) | Some(Endpoint::RelayToken)
        )
    }

    /// For `40164`: the IP address WeChat saw the request come from.
    pub fn rejected_ip(&self) -> Option<&str> {
        let ErrorKind::Api {
            code: 40164,
            errmsg,
        } = &self.kind
        else {
            return None;
        };
        let rest = errmsg.split("invalid ip ").nth(1)?;
        let ip = rest.split(|c: char| c.is_whitespace() || c == ',').next()?;
        (!ip.is_empty()).then_some(ip)
    }

    /// What the user can do about this error.
    pub fn hint(&self) -> Option<String> {
        if self.outcome_unknown {
            // Each creating call has its own way of finding what it may have made.
            let next = match self.endpoint {
                Some(Endpoint::FreepublishSubmit) => {
                    "look at the account's published articles (mp.weixin.qq.com → 内容管理 → \
                     发表记录) before publishing again"
                }
                Some(Endpoint::AddMaterial) => {
                    "the next run looks for the image among the account's permanent material \
                     (material/batchget_material) before uploading it again"
                }
                _ => "the next run checks the draft box before creating anything",
            };
            return Some(format!(
                "the request may or may not have been applied by WeChat; it was not retried \
                 so as not to create a duplicate — {next}"
            ));
        }
        if self.endpoint == Some(Endpoint::RelayToken) {
            return self.relay_hint();
        }
        match &self.kind {
            ErrorKind::Api { code, .. } => self.api_hint(*code),
            ErrorKind::Timeout => Some(
                "WeChat did not answer in time; check the network or proxy (api.proxy, \
                 HTTPS_PROXY) and rerun"
                    .into(),
            ),
            ErrorKind::Transport { .. } => Some(
                "could not reach the WeChat API; check the network, the proxy (api.proxy, \
                 HTTPS_PROXY/ALL_PROXY) and the base URL (api.base_url, WXSYNC_API_BASE)"
                    .into(),
            ),
            ErrorKind::Http { status, .. } if *status < 500 => Some(
                "WeChat answers every API error with HTTP 200, so this status came from \
                 something in between: check api.base_url / WXSYNC_API_BASE and the proxy"
                    .into(),
            ),
            ErrorKind::TooLarge { .. } => Some(
                "no WeChat answer is this long: check api.base_url / WXSYNC_API_BASE and the \
                 proxy"
                    .into(),
            ),
            ErrorKind::Config { setting, .. } => match setting {
                Setting::Credentials => Some(
                    "set WECHAT_APPID and WECHAT_APPSECRET (or WECHAT_ACCESS_TOKEN) in the \
                     environment"
                        .into(),
                ),
                Setting::BaseUrl => Some(
                    "write the API base as a whole http(s) URL, scheme included, e.g. \
                     WXSYNC_API_BASE=http://127.0.0.1:8090 or api.base_url: \
                     https://api.weixin.qq.com"
                        .into(),
                ),
                Setting::Proxy => Some(
                    "write the proxy as a URL such as http://host:port or socks5://host:port \
                     (api.proxy in wxsync.yaml)"
                        .into(),
                ),
                Setting::Relay => Some(
                    "a relay client needs WXSYNC_RELAY_URL (or api.relay_url in wxsync.yaml) \
                     and WXSYNC_RELAY_KEY, the key the relay's operator gave you"
                        .into(),
                ),
                Setting::Local => None,
            },
            _ => None,
        }
    }

    /// Hints for a failed call to a `wxsync relay`: its own refusals come as HTTP statuses;
    /// WeChat's answer to the relay comes through as an `errcode`, to be fixed on the relay.
    fn relay_hint(&self) -> Option<String> {
        let s = match &self.kind {
            ErrorKind::Http { status: 401, .. } => {
                "the relay refused the key: check WXSYNC_RELAY_KEY (the action's `relay-key`), \
                 or ask the relay's operator whether the key was revoked"
            }
            ErrorKind::Http { status: 429, .. } => {
                "the relay's rate limit for this key or address was reached; rerun in a minute"
            }
            ErrorKind::Http { status, .. } if *status >= 500 => {
                "the relay could not get a token from WeChat; its log says why"
            }
            ErrorKind::Http { .. } | ErrorKind::Decode { .. } | ErrorKind::TooLarge { .. } => {
                "this does not look like a wxsync relay: check WXSYNC_RELAY_URL (or \
                 api.relay_url); it is the relay's base URL, e.g. https://relay.example:8443"
            }
            ErrorKind::Timeout | ErrorKind::Transport { .. } => {
                "could not reach the relay: check WXSYNC_RELAY_URL (or api.relay_url), that the \
                 relay runs, and the proxy (HTTPS_PROXY/ALL_PROXY)"
            }
            ErrorKind::Api { code, .. } => {
                let wechat = self.api_hint(*code).unwrap_or_default();
                return Some(format!(
                    "WeChat refused the relay's token request; fix this on the relay's host: \
                     {wechat}"
                ));
            }
            ErrorKind::Config { .. } => return None,
        };
        Some(s.to_string())
    }

    fn api_hint(&self, code: i64) -> Option<String> {
        let on_token = self.is_token_endpoint();
        let s = match ErrCode::from_code(code) {
            ErrCode::SystemError => {
                "WeChat reported a transient system error; retry later if it persists"
            }
            ErrCode::InvalidCredential if on_token => {
                "WeChat rejected the AppSecret: check WECHAT_APPSECRET (reset it at \
                 mp.weixin.qq.com → 设置与开发 → 基本配置 if needed)"
            }
            ErrCode::InvalidCredential | ErrCode::InvalidAccessToken => {
                "the access token was rejected even after fetching a new one: another system \
                 may be fetching tokens with cgi-bin/token (use api.token: stable everywhere), \
                 or WECHAT_ACCESS_TOKEN holds a stale token"
            }
            ErrCode::AccessTokenExpired => {
                "the access token expired; if it comes from WECHAT_ACCESS_TOKEN, mint a fresh one"
            }
            ErrCode::InvalidFileType => {
                "WeChat accepts JPEG or PNG for body images and bmp/png/jpeg/jpg/gif for \
                 covers; convert the image and keep a matching file extension"
            }
            ErrCode::UnsupportedFileType => {
                "the upload's file extension is not one WeChat accepts (.jpg, .jpeg, .png, \
                 .gif, .bmp)"
            }
            ErrCode::InvalidFileSize | ErrCode::InvalidImageSize => {
                "body images must be under 1 MB: compress or resize the image"
            }
            ErrCode::InvalidThumbSize => "a thumb must be a JPEG of at most 64 KB",
            ErrCode::MediaSizeOutOfLimit => {
                "the image is larger than WeChat accepts for permanent material (10 MB)"
            }
            // Only an add or an update carries a cover; a get or a delete names a draft.
            ErrCode::InvalidMediaId
                if matches!(
                    self.endpoint,
                    Some(Endpoint::DraftGet) | Some(Endpoint::DraftDelete)
                ) =>
            {
                "WeChat has no draft with this media_id in this account: it was published or \
                 deleted, or the id is mistyped (`wxsync adopt PATH` lists the account's drafts \
                 with their media_ids)"
            }
            ErrCode::InvalidMediaId => {
                "WeChat does not know this media_id: the draft was published or deleted, or \
                 the cover (thumb_media_id) is not a permanent material of this account"
            }
            ErrCode::InvalidAppId => {
                "WECHAT_APPID is not a valid Official Account AppID (a Mini Program AppID does \
                 not work)"
            }
            ErrCode::InvalidAppSecret => {
                "WECHAT_APPSECRET is wrong: copy it again, or reset it at mp.weixin.qq.com → \
                 设置与开发 → 基本配置"
            }
            ErrCode::IpNotWhitelisted => {
                let ip = self.rejected_ip().unwrap_or("(not reported)");
                return Some(format!(
                    "WeChat saw this request come from IP {ip}, which is not in the account's \
                     IP whitelist. Add {ip} at mp.weixin.qq.com → 设置与开发 → 安全中心 → IP \
                     白名单, or send WeChat traffic through a proxy with a fixed, whitelisted IP \
                     (api.proxy or HTTPS_PROXY/ALL_PROXY), or through a reverse proxy on such a \
                     host (api.base_url or WXSYNC_API_BASE). CI runners change IP on every run."
                ));
            }
            ErrCode::AppSecretFrozen => {
                "the AppSecret is frozen: unfreeze it at mp.weixin.qq.com, then rerun"
            }
            ErrCode::AppIdMissing | ErrCode::AppSecretMissing => {
                "set WECHAT_APPID and WECHAT_APPSECRET in the environment"
            }
            ErrCode::MediaDataMissing => {
                "the upload carried no file (a wxsync bug: uploads must have a filename)"
            }
            ErrCode::InvalidContentSourceUrl => {
                "content_source_url must be a public http(s) URL of at most 1 KB \
                 (no localhost); remove it from the front matter if there is none"
            }
            ErrCode::InvalidIndex => {
                "the draft has no article at this index any more (it was edited in the web \
                 editor); adopt the draft again with `wxsync adopt`"
            }
            ErrCode::ContentSizeOutOfLimit => {
                "the article is too long for WeChat (under 20,000 characters and 1 MB): split \
                 or shorten it"
            }
            ErrCode::TitleSizeOutOfLimit => {
                "the title is too long for this account: WeChat documents 32 characters; set \
                 `limits.title` in wxsync.yaml to what the account accepts, so that `wxsync \
                 check` refuses longer titles before a sync"
            }
            ErrCode::AuthorSizeOutOfLimit => "the author is too long: WeChat allows 16 characters",
            ErrCode::DescriptionSizeOutOfLimit => {
                "the digest is too long: WeChat allows 128 characters"
            }
            ErrCode::ArticleCountOutOfLimit => "a draft holds at most 8 articles",
            ErrCode::DailyQuota => {
                "the account's daily quota for this API is used up: rerun tomorrow, or reset \
                 it (10 times a month) at mp.weixin.qq.com or with the clear_quota API"
            }
            ErrCode::MinuteQuota => "too many calls this minute; rerun in a minute",
            ErrCode::InvalidContent => {
                "WeChat rejected the content: for a newspic (图片消息) the text is too long; \
                 otherwise simplify the HTML"
            }
            ErrCode::ApiUnauthorized
                if matches!(
                    self.endpoint,
                    Some(
                        Endpoint::FreepublishSubmit
                            | Endpoint::FreepublishGet
                            | Endpoint::FreepublishBatchget
                    )
                ) =>
            {
                "this account may not publish through the API: freepublish/* needs a verified \
                 account, and WeChat revoked it from personal and unverified accounts in 2025; \
                 publish the draft at mp.weixin.qq.com instead"
            }
            ErrCode::ApiUnauthorized => {
                "this account may not call this API: unverified subscription accounts cannot \
                 publish, and a Mini Program AppID cannot use Official Account APIs"
            }
            ErrCode::ApiForbidden => {
                "the API is banned for this account for irregularities: see mp.weixin.qq.com"
            }
            ErrCode::UserLimited | ErrCode::AccountFrozen => {
                "the account is restricted or frozen: see mp.weixin.qq.com"
            }
            ErrCode::TokenApiForbidden => {
                "the account may not fetch access tokens: see mp.weixin.qq.com"
            }
            ErrCode::CommerceRestricted => {
                "the account's commerce ability is restricted: remove product_key and retry"
            }
            ErrCode::BadProductInfo => "check product_key and the product's status",
            ErrCode::CommerceNotEnabled => {
                "the account has no commerce ability (带货能力): enable it or remove product_key"
            }
            ErrCode::NoCommentPrivilege => {
                "the account has no comment privilege: set need_open_comment: 0 (or false) in \
                 the front matter or in defaults"
            }
            ErrCode::AdminConfirmationPending => {
                "an administrator must approve this IP: confirm in WeChat, then rerun"
            }
            ErrCode::IpRejected24h => {
                "an administrator rejected this IP: retry after 24 hours, after talking to them"
            }
            ErrCode::IpRejected1h => {
                "an administrator rejected this IP: retry after 1 hour, after talking to them"
            }
            ErrCode::InvalidArgument
            | ErrCode::InvalidMediaType
            | ErrCode::AccessTokenMissing
            | ErrCode::RequirePost
            | ErrCode::RequireHttps
            | ErrCode::EmptyPostData
            | ErrCode::EmptyNewsData
            | ErrCode::DataFormatError => {
                "WeChat rejected the request's form: this is a wxsync bug, please report it"
            }
            ErrCode::Other(_) => return None,
        };
        Some(s.to_string())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(ep) = self.endpoint {
            write!(f, "{}: ", ep.name())?;
        }
        match &self.kind {
            ErrorKind::Api { code, errmsg } => write!(f, "WeChat error {code}: {errmsg}")?,
            ErrorKind::Timeout => f.write_str("no answer in time")?,
            ErrorKind::Transport { detail, .. } => write!(f, "connection failed: {detail}")?,
            ErrorKind::Http { status, body } => write!(f, "HTTP {status}: {body}")?,
            ErrorKind::Decode { detail } => write!(f, "unexpected response: {detail}")?,
            ErrorKind::TooLarge { limit } => write!(
                f,
                "the answer is longer than {} and was not read",
                size(*limit)
            )?,
            ErrorKind::Config { detail, .. } => write!(f, "{detail}")?,
        }
        if self.outcome_unknown {
            f.write_str(" (outcome unknown)")?;
        }
        if let Some(hint) = self.hint() {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// A byte count for messages: `64 MiB`, `512 KiB`, `300 bytes`.
fn size(n: u64) -> String {
    const KIB: u64 = 1024;
    if n >= KIB * KIB && n.is_multiple_of(KIB * KIB) {
        format!("{} MiB", n / (KIB * KIB))
    } else if n >= KIB && n.is_multiple_of(KIB) {
        format!("{} KiB", n / KIB)
    } else {
        format!("{n} bytes")
    }
}

/// Long bodies (an HTML error page from a proxy) are cut so a message stays readable.
fn snippet(text: &str) -> String {
    const MAX: usize = 300;
    let text = text.trim();
    if text.chars().count() <= MAX {
        return text.to_string();
    }
    let cut: String = text.chars().take(MAX).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::super::errcode::CODES;
    use super::*;

    /// A token that straddles the cut: redacted whole first, then cut.
    #[test]
    fn bodies_are_redacted_before_they_are_cut() {
        let token = "TOKEN_straddles_the_cut_0123456789abcdefghijklmnopqrstuvwxyz";
        super::super::redact::Secret::new(token);
        let body = format!("{}{token} and more", "x".repeat(290));
        for e in [
            Error::http(Endpoint::DraftAdd, 502, &body),
            Error::decode(Endpoint::DraftAdd, &body),
        ] {
            let shown = format!("{e} {e:?}");
            assert!(!shown.contains(&token[..8]), "{shown}");
        }
    }

    #[test]
    fn codes_round_trip() {
        for (code, e) in CODES {
            assert_eq!(ErrCode::from_code(*code), *e);
            assert_eq!(e.code(), *code);
        }
        assert_eq!(ErrCode::from_code(12345), ErrCode::Other(12345));
    }

    #[test]
    fn classification() {
        let e = Error::api(Endpoint::DraftGet, 42001, "access_token expired");
        assert_eq!(e.class(), ErrorClass::RefreshToken);
        let e = Error::api(Endpoint::StableToken, 40001, "invalid credential");
        assert_eq!(e.class(), ErrorClass::Fail);
        assert_eq!(
            Error::api(Endpoint::DraftUpdate, -1, "system error").class(),
            ErrorClass::Retry
        );
        assert_eq!(
            Error::api(Endpoint::DraftAdd, 45009, "quota").class(),
            ErrorClass::Fail
        );
        assert_eq!(
            Error::http(Endpoint::DraftAdd, 502, "bad gateway").class(),
            ErrorClass::Retry
        );
    }

    /// What may have been applied, and so makes a creating call outcome-unknown.
    #[test]
    fn ambiguity() {
        let ep = Endpoint::DraftAdd;
        let maybe = [
            Error::timeout(ep),
            Error::transport(ep, "reset", false),
            Error::http(ep, 502, "bad gateway"),
            Error::api(ep, -1, "system error"),
            Error::decode(ep, "EOF while parsing"),
            Error::too_large(ep, 1 << 20),
        ];
        for e in maybe {
            assert!(e.is_ambiguous(), "{e}");
            let e = e.settled(ep);
            assert!(e.is_outcome_unknown(), "{e}");
            assert!(e.to_string().contains("draft box"), "{e}");
        }
        // A read is never outcome-unknown: there is nothing to reconcile.
        let read = Error::decode(Endpoint::DraftGet, "x").settled(Endpoint::DraftGet);
        assert!(!read.is_outcome_unknown());
        let not = [
            Error::transport(ep, "refused", true),
            Error::http(ep, 404, "not found"),
            Error::api(ep, 45009, "quota"),
            Error::config(Setting::Credentials, "no AppID"),
        ];
        for e in not {
            assert!(!e.is_ambiguous(), "{e}");
            assert!(!e.settled(ep).is_outcome_unknown());
        }
        let m = Error::decode(Endpoint::AddMaterial, "x").settled(Endpoint::AddMaterial);
        assert!(m.to_string().contains("material/batchget_material"), "{m}");
        assert!(!m.to_string().contains("draft box"), "{m}");
        assert!(
            Error::too_large(ep, 64 << 20)
                .to_string()
                .contains("64 MiB")
        );
    }

    #[test]
    fn whitelist_ip_is_parsed() {
        let e = Error::api(
            Endpoint::StableToken,
            40164,
            "invalid ip 118.190.42.90 ipv6 ::ffff:118.190.42.90, not in whitelist rid: 6019-4c5b",
        );
        assert_eq!(e.rejected_ip(), Some("118.190.42.90"));
        assert!(e.hint().is_some_and(|h| h.contains("118.190.42.90")));
        assert!(e.to_string().contains("IP 白名单"));
    }
}
