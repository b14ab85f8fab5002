//! The HTTP client for the WeChat API: options (from the environment and the site config),
//! one request path shared by every endpoint (token, retries with backoff, refresh-once on a
//! rejected token, the "error iff errcode ≠ 0" rule, UTF-8 in both directions), and one typed
//! method per endpoint.

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Once};
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::TokenMode;
use super::error::{ErrCode, Error, ErrorClass};
use super::redact::Secret;
use super::token::{TokenSource, TokenStore, now_unix};
use super::types::{Article, Draft, DraftPage, Material, MediaId, UploadedImage};

/// WeChat's API host.
pub const DEFAULT_BASE_URL: &str = "https://api.weixin.qq.com";

/// The endpoints the client calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Token,
    StableToken,
    UploadImg,
    AddMaterial,
    DraftAdd,
    DraftUpdate,
    DraftGet,
    DraftBatchget,
    DraftDelete,
    DraftCount,
}

impl Endpoint {
    /// The path below the base URL.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Token => "/cgi-bin/token",
            Endpoint::StableToken => "/cgi-bin/stable_token",
            Endpoint::UploadImg => "/cgi-bin/media/uploadimg",
            Endpoint::AddMaterial => "/cgi-bin/material/add_material",
            Endpoint::DraftAdd => "/cgi-bin/draft/add",
            Endpoint::DraftUpdate => "/cgi-bin/draft/update",
            Endpoint::DraftGet => "/cgi-bin/draft/get",
            Endpoint::DraftBatchget => "/cgi-bin/draft/batchget",
            Endpoint::DraftDelete => "/cgi-bin/draft/delete",
            Endpoint::DraftCount => "/cgi-bin/draft/count",
        }
    }

    /// The short name used in messages, e.g. `draft/add`.
    pub fn name(self) -> &'static str {
        self.path().trim_start_matches("/cgi-bin/")
    }

    /// Whether sending the call twice has the same effect as once. The others create
    /// something, so an ambiguous failure must not be retried blindly.
    pub fn is_idempotent(self) -> bool {
        !matches!(self, Endpoint::DraftAdd | Endpoint::AddMaterial)
    }

    fn is_get(self) -> bool {
        matches!(self, Endpoint::Token | Endpoint::DraftCount)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How transient failures are retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// First backoff delay; doubled on each retry, with jitter.
    pub base_delay: Duration,
    /// Cap on any one delay, including the wait for the next minute after `45011`.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_retries: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(61),
        }
    }
}

/// Called with every token as it is minted or read, e.g. to print `::add-mask::` in GitHub
/// Actions.
pub type TokenHook = Arc<dyn Fn(&Secret) + Send + Sync>;

/// Everything the client needs. Build it with [`ClientOptions::from_env`], or by hand in tests.
#[derive(Clone)]
pub struct ClientOptions {
    /// e.g. `https://api.weixin.qq.com` or the emulator's `http://127.0.0.1:PORT`.
    pub base_url: String,
    pub token_mode: TokenMode,
    /// Proxy for every call (`api.proxy`); else `HTTPS_PROXY`/`ALL_PROXY` apply.
    pub proxy: Option<String>,
    pub appid: String,
    pub secret: Option<Secret>,
    /// Used as is when `token_mode` is [`TokenMode::Env`].
    pub access_token: Option<Secret>,
    /// Where `token.json` lives (the site's `.wxsync/`); `None` keeps tokens in memory only.
    pub cache_dir: Option<PathBuf>,
    pub connect_timeout: Duration,
    /// Longest wait for the next bytes of an answer.
    pub read_timeout: Duration,
    pub retry: RetryPolicy,
    pub on_token: Option<TokenHook>,
}

impl fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientOptions")
            .field("base_url", &self.base_url)
            .field("token_mode", &self.token_mode)
            .field(
                "proxy",
                &self.proxy.as_deref().map(super::redact::redact_url),
            )
            .field("appid", &self.appid)
            .field("secret", &self.secret)
            .field("access_token", &self.access_token)
            .field("cache_dir", &self.cache_dir)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// What the site config says about the API; the environment overrides it.
#[derive(Debug, Clone, Default)]
pub struct ConfigDefaults {
    /// `appid` in `wxsync.yaml`.
    pub appid: Option<String>,
    /// `api.base_url`.
    pub base_url: Option<String>,
    /// `api.token`.
    pub token_mode: TokenMode,
    /// `api.proxy`.
    pub proxy: Option<String>,
    /// The site's `.wxsync/` directory.
    pub cache_dir: Option<PathBuf>,
}

impl ClientOptions {
    /// Options with defaults for everything but the base URL and AppID.
    pub fn new(base_url: impl Into<String>, appid: impl Into<String>) -> ClientOptions {
        ClientOptions {
            base_url: base_url.into(),
            token_mode: TokenMode::Stable,
            proxy: None,
            appid: appid.into(),
            secret: None,
            access_token: None,
            cache_dir: None,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
            on_token: None,
        }
    }

    /// Reads `WECHAT_APPID`/`WECHAT_APP_ID`, `WECHAT_APPSECRET`/`WECHAT_APP_SECRET`,
    /// `WECHAT_ACCESS_TOKEN` and `WXSYNC_API_BASE`, each winning over the config. A set
    /// `WECHAT_ACCESS_TOKEN` means that token is used as is (as `api.token: env` does).
    pub fn from_env(config: ConfigDefaults) -> Result<ClientOptions, Error> {
        ClientOptions::from_vars(config, |k| std::env::var(k).ok())
    }

    /// [`ClientOptions::from_env`] with the variables taken from `var` (for tests).
    pub fn from_vars(
        config: ConfigDefaults,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<ClientOptions, Error> {
        let get = |names: &[&str]| {
            names.iter().find_map(|n| {
                var(n)
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
            })
        };
        let base_url = get(&["WXSYNC_API_BASE"])
            .or(config.base_url)
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        let appid = get(&["WECHAT_APPID", "WECHAT_APP_ID"]).or(config.appid);
        let secret = get(&["WECHAT_APPSECRET", "WECHAT_APP_SECRET"]).map(Secret::new);
        let access_token = get(&["WECHAT_ACCESS_TOKEN"]).map(Secret::new);
        let token_mode = if access_token.is_some() {
            TokenMode::Env
        } else {
            config.token_mode
        };
        let mut opts = ClientOptions::new(base_url, appid.unwrap_or_default());
        opts.token_mode = token_mode;
        opts.proxy = config.proxy;
        opts.secret = secret;
        opts.access_token = access_token;
        opts.cache_dir = config.cache_dir;
        opts.token_source()?;
        Ok(opts)
    }

    fn token_source(&self) -> Result<TokenSource, Error> {
        if self.token_mode == TokenMode::Env {
            return self
                .access_token
                .clone()
                .map(TokenSource::Fixed)
                .ok_or_else(|| {
                    Error::config("api.token is `env` but WECHAT_ACCESS_TOKEN is not set")
                });
        }
        if self.appid.is_empty() {
            return Err(Error::config(
                "no AppID: set WECHAT_APPID (or `appid` in wxsync.yaml)",
            ));
        }
        let Some(secret) = self.secret.clone() else {
            return Err(Error::config(
                "no AppSecret: set WECHAT_APPSECRET (or WECHAT_ACCESS_TOKEN to use a token as is)",
            ));
        };
        let appid = self.appid.clone();
        Ok(match self.token_mode {
            TokenMode::Classic => TokenSource::Classic { appid, secret },
            _ => TokenSource::Stable { appid, secret },
        })
    }
}

/// A WeChat API client. Cheap to clone; clones share the token cache and connection pool.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: String,
    retry: RetryPolicy,
    tokens: Mutex<TokenStore>,
    on_token: Option<TokenHook>,
    /// The last token passed to `on_token`, so each is announced once however it was obtained.
    announced: std::sync::Mutex<Option<Secret>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.inner.base)
            .finish_non_exhaustive()
    }
}

/// What a call sends besides the token.
enum Payload {
    None,
    Json(Vec<u8>),
    /// A multipart form is consumed by sending, so the bytes are kept to rebuild it on retry.
    Upload {
        bytes: Vec<u8>,
        filename: String,
        mime: &'static str,
    },
}

fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Err means a provider is already installed (by us or the embedding program): fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

fn is_loopback(base: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(base) else {
        return false;
    };
    let host = url.host_str().unwrap_or("");
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl Client {
    pub fn new(opts: ClientOptions) -> Result<Client, Error> {
        install_crypto_provider();
        let source = opts.token_source()?;
        let base = opts.base_url.trim_end_matches('/').to_string();
        if reqwest::Url::parse(&base).is_err() {
            return Err(Error::config(&format!("invalid API base URL `{base}`")));
        }
        let mut builder = reqwest::Client::builder()
            .connect_timeout(opts.connect_timeout)
            .read_timeout(opts.read_timeout)
            .user_agent(concat!("wxsync/", env!("CARGO_PKG_VERSION")));
        if let Some(p) = &opts.proxy {
            let proxy = reqwest::Proxy::all(p)
                .map_err(|e| Error::config(&format!("invalid proxy `{p}`: {e}")))?;
            builder = builder.proxy(proxy);
        } else if is_loopback(&base) {
            // An emulator on this machine is never behind the user's proxy.
            builder = builder.no_proxy();
        }
        let http = builder
            .build()
            .map_err(|e| Error::config(&format!("cannot build the HTTP client: {e}")))?;
        let tokens = TokenStore::new(source, &base, opts.cache_dir.as_deref());
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                retry: opts.retry,
                tokens: Mutex::new(tokens),
                on_token: opts.on_token,
                announced: std::sync::Mutex::new(None),
            }),
        })
    }

    /// A valid access token: cached in memory or on disk, else fetched (once, even when many
    /// tasks ask at the same time).
    pub async fn access_token(&self) -> Result<Secret, Error> {
        let token = self.obtain_token().await?;
        if let Some(hook) = &self.inner.on_token {
            let mut last = self
                .inner
                .announced
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if last.as_ref() != Some(&token) {
                hook(&token);
                *last = Some(token.clone());
            }
        }
        Ok(token)
    }

    async fn obtain_token(&self) -> Result<Secret, Error> {
        let mut store = self.inner.tokens.lock().await;
        if let Some(t) = store.cached() {
            return Ok(t);
        }
        let (endpoint, query, payload) = match store.source() {
            TokenSource::Stable { appid, secret } => {
                let body = json!({
                    "grant_type": "client_credential",
                    "appid": appid,
                    "secret": secret.expose(),
                    "force_refresh": false,
                });
                (Endpoint::StableToken, vec![], Payload::Json(to_json(&body)))
            }
            TokenSource::Classic { appid, secret } => (
                Endpoint::Token,
                vec![
                    ("grant_type", "client_credential".to_string()),
                    ("appid", appid.clone()),
                    ("secret", secret.expose().to_string()),
                ],
                Payload::None,
            ),
            // cached() always answers for a fixed token.
            TokenSource::Fixed(t) => return Ok(t.clone()),
        };
        #[derive(Deserialize)]
        struct TokenResponse {
            access_token: String,
            #[serde(default)]
            expires_in: Option<u64>,
        }
        let value = self.send_retrying(endpoint, &query, &payload, None).await?;
        let resp: TokenResponse = decode(endpoint, value)?;
        let token = Secret::new(resp.access_token);
        store.store(token.clone(), resp.expires_in.unwrap_or(7200));
        Ok(token)
    }

    /// `media/uploadimg`: an image for the article body (JPEG/PNG under 1 MB). The filename's
    /// extension sets the content type; one is added from the bytes when missing.
    pub async fn upload_image(
        &self,
        bytes: impl Into<Vec<u8>>,
        filename: &str,
    ) -> Result<UploadedImage, Error> {
        let payload = upload_payload(bytes.into(), filename);
        let value = self.call(Endpoint::UploadImg, &[], &payload).await?;
        decode(Endpoint::UploadImg, value)
    }

    /// `material/add_material?type=image`: a permanent image, for `thumb_media_id` and
    /// `newspic` images. Never retried after an ambiguous failure (it would add a duplicate).
    pub async fn add_image_material(
        &self,
        bytes: impl Into<Vec<u8>>,
        filename: &str,
    ) -> Result<Material, Error> {
        let payload = upload_payload(bytes.into(), filename);
        let query = [("type", "image".to_string())];
        let value = self.call(Endpoint::AddMaterial, &query, &payload).await?;
        decode(Endpoint::AddMaterial, value)
    }

    /// `draft/add`: creates a draft with 1–8 articles and returns its `media_id`. Never retried
    /// after an ambiguous failure: check [`Error::is_outcome_unknown`].
    pub async fn draft_add(&self, articles: &[Article]) -> Result<MediaId, Error> {
        #[derive(Deserialize)]
        struct Resp {
            media_id: MediaId,
        }
        let body = to_json(&json!({ "articles": articles }));
        let value = self
            .call(Endpoint::DraftAdd, &[], &Payload::Json(body))
            .await?;
        decode::<Resp>(Endpoint::DraftAdd, value).map(|r| r.media_id)
    }

    /// `draft/update`: replaces the article at `index` (0-based) of a draft.
    pub async fn draft_update(
        &self,
        media_id: &MediaId,
        index: u32,
        article: &Article,
    ) -> Result<(), Error> {
        let body = to_json(&json!({ "media_id": media_id, "index": index, "articles": article }));
        self.call(Endpoint::DraftUpdate, &[], &Payload::Json(body))
            .await
            .map(drop)
    }

    /// `draft/get`. The content comes back rewritten by WeChat.
    pub async fn draft_get(&self, media_id: &MediaId) -> Result<Draft, Error> {
        let body = to_json(&json!({ "media_id": media_id }));
        let value = self
            .call(Endpoint::DraftGet, &[], &Payload::Json(body))
            .await?;
        decode(Endpoint::DraftGet, value)
    }

    /// `draft/batchget`: `count` in 1..=20; with `no_content` the articles lack `content`.
    pub async fn draft_batchget(
        &self,
        offset: u32,
        count: u32,
        no_content: bool,
    ) -> Result<DraftPage, Error> {
        let body = to_json(&json!({
            "offset": offset,
            "count": count,
            "no_content": u8::from(no_content),
        }));
        let value = self
            .call(Endpoint::DraftBatchget, &[], &Payload::Json(body))
            .await?;
        decode(Endpoint::DraftBatchget, value)
    }

    /// `draft/delete`. A draft that is already gone (`40007`) counts as deleted: the docs and
    /// live behaviour disagree on which answer a repeated delete gets.
    pub async fn draft_delete(&self, media_id: &MediaId) -> Result<(), Error> {
        let body = to_json(&json!({ "media_id": media_id }));
        match self
            .call(Endpoint::DraftDelete, &[], &Payload::Json(body))
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.errcode() == Some(ErrCode::InvalidMediaId) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// `draft/count`: the number of drafts in the box.
    pub async fn draft_count(&self) -> Result<u64, Error> {
        #[derive(Deserialize)]
        struct Resp {
            total_count: u64,
        }
        let value = self.call(Endpoint::DraftCount, &[], &Payload::None).await?;
        decode::<Resp>(Endpoint::DraftCount, value).map(|r| r.total_count)
    }

    /// One call with its token: if WeChat rejects the token, it is forgotten (unless another
    /// task already replaced it), a fresh one is fetched and the call is made once more.
    async fn call(
        &self,
        endpoint: Endpoint,
        query: &[(&str, String)],
        payload: &Payload,
    ) -> Result<Value, Error> {
        let token = self.access_token().await?;
        match self
            .send_retrying(endpoint, query, payload, Some(&token))
            .await
        {
            Err(e) if e.class() == ErrorClass::RefreshToken => {
                if !self.inner.tokens.lock().await.invalidate(&token) {
                    return Err(e);
                }
                let token = self.access_token().await?;
                self.send_retrying(endpoint, query, payload, Some(&token))
                    .await
            }
            other => other,
        }
    }

    /// Backoff retries for transient failures — except that a non-idempotent call whose
    /// request may have been applied is never repeated and is reported as outcome-unknown.
    async fn send_retrying(
        &self,
        endpoint: Endpoint,
        query: &[(&str, String)],
        payload: &Payload,
        token: Option<&Secret>,
    ) -> Result<Value, Error> {
        let policy = &self.inner.retry;
        let mut retries = 0;
        loop {
            let err = match self.send(endpoint, query, payload, token).await {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            if err.class() == ErrorClass::Retry
                && retries < policy.max_retries
                && (endpoint.is_idempotent() || !err.is_ambiguous())
            {
                tokio::time::sleep(backoff(policy, retries, &err)).await;
                retries += 1;
                continue;
            }
            if !endpoint.is_idempotent() && err.is_ambiguous() {
                return Err(err.into_outcome_unknown());
            }
            return Err(err);
        }
    }

    /// One HTTP exchange. WeChat answers errors with HTTP 200 and an `errcode`; success bodies
    /// may or may not carry `errcode: 0`.
    async fn send(
        &self,
        endpoint: Endpoint,
        query: &[(&str, String)],
        payload: &Payload,
        token: Option<&Secret>,
    ) -> Result<Value, Error> {
        let mut url = reqwest::Url::parse(&format!("{}{}", self.inner.base, endpoint.path()))
            .map_err(|e| Error::config(&format!("invalid API URL: {e}")))?;
        {
            let mut pairs = url.query_pairs_mut();
            if let Some(t) = token {
                pairs.append_pair("access_token", t.expose());
            }
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        let req = if endpoint.is_get() {
            self.inner.http.get(url)
        } else {
            self.inner.http.post(url)
        };
        let req = match payload {
            Payload::None => req,
            Payload::Json(body) => req
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/json; charset=utf-8",
                )
                .body(body.clone()),
            Payload::Upload {
                bytes,
                filename,
                mime,
            } => {
                let part = reqwest::multipart::Part::bytes(bytes.clone())
                    .file_name(filename.clone())
                    .mime_str(mime)
                    .map_err(|e| transport_error(endpoint, &e))?;
                req.multipart(reqwest::multipart::Form::new().part("media", part))
            }
        };
        let resp = req
            .send()
            .await
            .map_err(|e| transport_error(endpoint, &e))?;
        let status = resp.status();
        let body = resp
            .bytes()
            .await
            .map_err(|e| transport_error(endpoint, &e))?;
        // WeChat labels bodies `encoding=utf-8`, which generic decoders miss; they are UTF-8.
        let text = String::from_utf8_lossy(&body);
        if !status.is_success() {
            return Err(Error::http(endpoint, status.as_u16(), &text));
        }
        let value: Value = serde_json::from_str(&text)
            .map_err(|e| Error::decode(endpoint, &format!("{e}: {text}")))?;
        if !value.is_object() {
            return Err(Error::decode(
                endpoint,
                &format!("not a JSON object: {text}"),
            ));
        }
        if let Some(code) = errcode(&value)
            && code != 0
        {
            let msg = value.get("errmsg").and_then(Value::as_str).unwrap_or("");
            return Err(Error::api(endpoint, code, msg));
        }
        Ok(value)
    }
}

/// `errcode` as a number, or as a numeric string (seen in some gateways' answers).
fn errcode(v: &Value) -> Option<i64> {
    match v.get("errcode")? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn decode<T: DeserializeOwned>(endpoint: Endpoint, value: Value) -> Result<T, Error> {
    serde_json::from_value(value).map_err(|e| Error::decode(endpoint, &e.to_string()))
}

/// serde_json writes non-ASCII as raw UTF-8, which is what WeChat requires (escaped text shows
/// up literally in the editor and trips the length limits).
fn to_json(v: &Value) -> Vec<u8> {
    // Serializing a Value cannot fail: its map keys are always strings.
    serde_json::to_vec(v).unwrap_or_default()
}

fn transport_error(endpoint: Endpoint, e: &reqwest::Error) -> Error {
    if e.is_timeout() {
        return Error::timeout(endpoint);
    }
    // reqwest's own message is generic ("error sending request"); the cause says why.
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        source = s.source();
    }
    Error::transport(endpoint, &detail, e.is_connect())
}

/// Exponential backoff with jitter; after `45011` wait for the next minute, when the quota
/// resets.
fn backoff(policy: &RetryPolicy, retry: u32, err: &Error) -> Duration {
    if err.errcode() == Some(ErrCode::MinuteQuota) {
        let to_next_minute = Duration::from_secs(60 - now_unix() % 60 + 1);
        return to_next_minute.min(policy.max_delay);
    }
    let exp = policy
        .base_delay
        .saturating_mul(2u32.saturating_pow(retry))
        .min(policy.max_delay);
    // Jitter in [50%, 100%] from the clock's sub-second noise: enough to spread clients apart.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    exp.mul_f64(0.5 + f64::from(nanos % 1000) / 2000.0)
}

/// Image types by magic bytes, for uploads whose name lacks an extension.
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("jpg")
    } else if bytes.starts_with(b"GIF8") {
        Some("gif")
    } else if bytes.starts_with(b"BM") {
        Some("bmp")
    } else {
        None
    }
}

fn mime_for(ext: &str) -> Option<&'static str> {
    Some(match ext.to_ascii_lowercase().as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "bmp" => "image/bmp",
        "webp" => "image/webp",
        _ => return None,
    })
}

/// WeChat answers `41005` to a part without a filename and infers the type from the
/// extension, so both are always sent.
fn upload_payload(bytes: Vec<u8>, filename: &str) -> Payload {
    let base = filename
        .rsplit(['/', '\\'])
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or("image");
    let ext = base.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    let (filename, mime) = match mime_for(ext) {
        Some(m) => (base.to_string(), m),
        None => match sniff(&bytes) {
            Some(e) => (
                format!("{base}.{e}"),
                mime_for(e).unwrap_or("application/octet-stream"),
            ),
            None => (base.to_string(), "application/octet-stream"),
        },
    };
    Payload::Upload {
        bytes,
        filename,
        mime,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_wins_over_config() {
        let vars = |k: &str| match k {
            "WECHAT_APP_ID" => Some("wxenv".to_string()),
            "WECHAT_APPSECRET" => Some("s3cr3t-value".to_string()),
            "WXSYNC_API_BASE" => Some("http://127.0.0.1:9".to_string()),
            _ => None,
        };
        let config = ConfigDefaults {
            appid: Some("wxconfig".into()),
            base_url: Some("https://proxy.example".into()),
            token_mode: TokenMode::Classic,
            ..ConfigDefaults::default()
        };
        let o = ClientOptions::from_vars(config, vars).unwrap();
        assert_eq!(o.appid, "wxenv");
        assert_eq!(o.base_url, "http://127.0.0.1:9");
        assert_eq!(o.token_mode, TokenMode::Classic);
        assert!(!format!("{o:?}").contains("s3cr3t-value"));
    }

    #[test]
    fn access_token_var_means_env_mode_and_missing_secret_is_an_error() {
        let o = ClientOptions::from_vars(ConfigDefaults::default(), |k| {
            (k == "WECHAT_ACCESS_TOKEN").then(|| "given-token".to_string())
        })
        .unwrap();
        assert_eq!(o.token_mode, TokenMode::Env);
        let e = ClientOptions::from_vars(ConfigDefaults::default(), |k| {
            (k == "WECHAT_APPID").then(|| "wx1".to_string())
        })
        .unwrap_err();
        assert!(e.to_string().contains("WECHAT_APPSECRET"));
    }

    #[test]
    fn uploads_get_a_name_and_type() {
        let Payload::Upload { filename, mime, .. } =
            upload_payload(b"\x89PNG\r\n\x1a\nrest".to_vec(), "dir/abc")
        else {
            panic!("not an upload")
        };
        assert_eq!((filename.as_str(), mime), ("abc.png", "image/png"));
        let Payload::Upload { filename, mime, .. } = upload_payload(vec![1, 2], "a/b/Cover.JPG")
        else {
            panic!("not an upload")
        };
        assert_eq!((filename.as_str(), mime), ("Cover.JPG", "image/jpeg"));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(300),
        };
        let e = Error::api(Endpoint::DraftGet, -1, "system error");
        assert!(backoff(&p, 0, &e) <= Duration::from_millis(100));
        assert!(backoff(&p, 4, &e) <= Duration::from_millis(300));
        assert!(backoff(&p, 4, &e) >= Duration::from_millis(150));
    }
}
