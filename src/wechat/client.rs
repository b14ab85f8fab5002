//! The HTTP client for the WeChat API: one request path shared by every endpoint (token,
//! retries with backoff, refresh-once on a rejected token, the "error iff errcode ≠ 0" rule,
//! UTF-8 in both directions, an overall deadline per attempt and a size cap on every answer),
//! and one typed method per endpoint.

use std::fmt;
use std::sync::{Arc, Once};
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::account::{PublishJob, PublishStatus, PublishedPage, Quota};
use super::endpoint::Endpoint;
use super::error::{ErrCode, Error, ErrorClass, ErrorKind, Setting};

use super::options::{CallHook, CallRecord, ClientOptions, RetryPolicy, TokenHook};
use super::redact::Secret;
use super::token::{CachedToken, TokenSource, TokenStore, now_unix};
use super::types::{Article, Draft, DraftPage, Material, MaterialPage, MediaId, UploadedImage};
use super::wire::{
    Capped, ERROR_PAGE_MAX, Payload, backoff, errcode, read_capped, to_json, transport_error,
    upload_payload,
};

/// A WeChat API client. Cheap to clone; clones share the token cache and connection pool.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: String,
    retry: RetryPolicy,
    deadline: Duration,
    tokens: Mutex<TokenStore>,
    /// The relay's base URL and bearer key, for [`Endpoint::RelayToken`].
    relay: Option<(String, Secret)>,
    on_token: Option<TokenHook>,
    on_call: Option<CallHook>,
    /// The last token passed to `on_token`, so each is announced once however it was obtained.
    announced: std::sync::Mutex<Option<Secret>>,
    /// Server clock minus ours, in seconds, from the `Date` of the last answer.
    clock_offset: std::sync::Mutex<Option<i64>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.inner.base)
            .finish_non_exhaustive()
    }
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
        // `127.0.0.1:8090` fails to parse and `localhost:8090` parses with the scheme
        // `localhost`: both mean the scheme was left out.
        let parsed = reqwest::Url::parse(&base).ok();
        if !parsed.as_ref().is_some_and(|u| {
            matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
        }) {
            return Err(Error::config(
                Setting::BaseUrl,
                &format!("the API base URL `{base}` is not an http(s) URL"),
            ));
        }
        let mut builder = reqwest::Client::builder()
            .connect_timeout(opts.connect_timeout)
            .read_timeout(opts.read_timeout)
            // A redirect would send a `draft/add` again (307, 308) or drop its body (302): the
            // API never redirects, so one is an error, not a second request.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("wxsync/", env!("CARGO_PKG_VERSION")));
        if let Some(p) = &opts.proxy {
            let proxy = reqwest::Proxy::all(p)
                .map_err(|e| Error::config(Setting::Proxy, &format!("invalid proxy `{p}`: {e}")))?;
            builder = builder.proxy(proxy);
        } else if is_loopback(&base)
            && match &source {
                TokenSource::Relay { url, .. } => is_loopback(url),
                _ => true,
            }
        {
            // An emulator (and a relay) on this machine is never behind the user's proxy.
            builder = builder.no_proxy();
        }
        let http = builder.build().map_err(|e| {
            Error::config(
                Setting::Local,
                &format!("cannot build the HTTP client: {e}"),
            )
        })?;
        let relay = match &source {
            TokenSource::Relay { url, key, .. } => {
                let url = url.trim_end_matches('/').to_string();
                if !reqwest::Url::parse(&url).is_ok_and(|u| {
                    matches!(u.scheme(), "http" | "https")
                        && u.host_str().is_some_and(|h| !h.is_empty())
                }) {
                    return Err(Error::config(
                        Setting::Relay,
                        &format!("the relay URL `{url}` is not an http(s) URL"),
                    ));
                }
                Some((url, key.clone()))
            }
            _ => None,
        };
        let tokens = TokenStore::new(source, &base, opts.cache_dir.as_deref());
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                retry: opts.retry,
                deadline: opts.deadline,
                tokens: Mutex::new(tokens),
                relay,
                on_token: opts.on_token,
                on_call: opts.on_call,
                announced: std::sync::Mutex::new(None),
                clock_offset: std::sync::Mutex::new(None),
            }),
        })
    }

    /// How far WeChat's clock is ahead of this machine's (seconds; negative when behind), as
    /// the `Date` of its last answer says; `None` before any answer. Times WeChat reports
    /// (`create_time`) are on its clock.
    pub fn server_clock_offset(&self) -> Option<i64> {
        *self
            .inner
            .clock_offset
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn note_server_date(&self, headers: &reqwest::header::HeaderMap) {
        let Some(date) = headers
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
        else {
            return;
        };
        let Ok(server) = date.duration_since(std::time::UNIX_EPOCH) else {
            return;
        };
        let offset = server.as_secs() as i64 - now_unix() as i64;
        *self
            .inner
            .clock_offset
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(offset);
    }

    /// A valid access token: cached in memory or on disk, else fetched (once, even when many
    /// tasks ask at the same time).
    pub async fn access_token(&self) -> Result<Secret, Error> {
        self.token_with_expiry().await.map(|(t, _)| t)
    }

    /// [`Client::access_token`] and when it expires (Unix seconds on this machine's clock;
    /// `u64::MAX` for a fixed token, whose expiry is unknown). A `wxsync relay` hands both out.
    pub async fn token_with_expiry(&self) -> Result<(Secret, u64), Error> {
        let cached = self.obtain_token().await?;
        let token = cached.token;
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
        Ok((token, cached.expires_at))
    }

    /// A new token, not the cached one: `stable_token` with `force_refresh` (or the relay's
    /// forced refresh). WeChat allows few of these a day; a `wxsync relay` calls it when a
    /// client reports its token rejected.
    pub async fn refresh_token(&self) -> Result<(Secret, u64), Error> {
        self.inner.tokens.lock().await.force_refresh();
        self.token_with_expiry().await
    }

    async fn obtain_token(&self) -> Result<CachedToken, Error> {
        let mut store = self.inner.tokens.lock().await;
        if let Some(t) = store.cached() {
            return Ok(t);
        }
        let force = store.take_force();
        let (endpoint, query, payload) = match store.source() {
            TokenSource::Stable { appid, secret } => {
                let body = json!({
                    "grant_type": "client_credential",
                    "appid": appid,
                    "secret": secret.expose(),
                    "force_refresh": force,
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
            TokenSource::Relay { .. } => (
                Endpoint::RelayToken,
                vec![],
                Payload::Json(to_json(&json!({ "force_refresh": force }))),
            ),
            // cached() always answers for a fixed token.
            TokenSource::Fixed(t) => {
                return Ok(CachedToken {
                    token: t.clone(),
                    expires_at: u64::MAX,
                });
            }
        };
        #[derive(Deserialize)]
        struct TokenResponse {
            access_token: String,
            #[serde(default)]
            expires_in: Option<u64>,
        }
        let value = match self.send_retrying(endpoint, &query, &payload, None).await {
            Ok(v) => v,
            Err(e) => {
                // The next try must still ask for a new token, not the rejected one.
                store.keep_force(force);
                return Err(e);
            }
        };
        let resp: TokenResponse = decode(endpoint, value)?;
        let token = Secret::new(resp.access_token);
        Ok(store.store(token, resp.expires_in.unwrap_or(7200)))
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
        let m: Material = decode(Endpoint::AddMaterial, value)?;
        created_id(Endpoint::AddMaterial, &m.media_id)?;
        Ok(m)
    }

    /// `material/batchget_material?type=image`: a page of the account's permanent images
    /// (`count` in 1..=20), each with the file name it was uploaded under.
    pub async fn batchget_image_material(
        &self,
        offset: u32,
        count: u32,
    ) -> Result<MaterialPage, Error> {
        let body = to_json(&json!({ "type": "image", "offset": offset, "count": count }));
        let value = self
            .call(Endpoint::BatchgetMaterial, &[], &Payload::Json(body))
            .await?;
        decode(Endpoint::BatchgetMaterial, value)
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
        let id = decode::<Resp>(Endpoint::DraftAdd, value)?.media_id;
        created_id(Endpoint::DraftAdd, &id)?;
        Ok(id)
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
    /// With content, a page must fit [`super::endpoint::CONTENT_REPLY_MAX`]: ask for fewer
    /// drafts per page when they are long multi-article ones.
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

    /// `freepublish/submit`: starts publishing a draft (it leaves the draft box once
    /// published). Never retried after an ambiguous failure: it is not idempotent.
    pub async fn freepublish_submit(&self, media_id: &MediaId) -> Result<PublishJob, Error> {
        let body = to_json(&json!({ "media_id": media_id }));
        let value = self
            .call(Endpoint::FreepublishSubmit, &[], &Payload::Json(body))
            .await?;
        let job: PublishJob = decode(Endpoint::FreepublishSubmit, value)?;
        created_id(Endpoint::FreepublishSubmit, &job.publish_id)?;
        Ok(job)
    }

    /// `freepublish/get`: where a publish job stands.
    pub async fn freepublish_get(&self, publish_id: &MediaId) -> Result<PublishStatus, Error> {
        let body = to_json(&json!({ "publish_id": publish_id }));
        let value = self
            .call(Endpoint::FreepublishGet, &[], &Payload::Json(body))
            .await?;
        decode(Endpoint::FreepublishGet, value)
    }

    /// `freepublish/batchget`: a page (`count` 1..=20) of the account's published articles,
    /// without their content.
    pub async fn freepublish_batchget(
        &self,
        offset: u32,
        count: u32,
    ) -> Result<PublishedPage, Error> {
        let body = to_json(&json!({ "offset": offset, "count": count, "no_content": 1 }));
        let value = self
            .call(Endpoint::FreepublishBatchget, &[], &Payload::Json(body))
            .await?;
        decode(Endpoint::FreepublishBatchget, value)
    }

    /// `openapi/quota/get`: today's limit and use of one API.
    pub async fn quota_get(&self, api: Endpoint) -> Result<Quota, Error> {
        #[derive(Deserialize)]
        struct Resp {
            quota: Quota,
        }
        let body = to_json(&json!({ "cgi_path": api.path() }));
        let value = self
            .call(Endpoint::QuotaGet, &[], &Payload::Json(body))
            .await?;
        decode::<Resp>(Endpoint::QuotaGet, value).map(|r| r.quota)
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
            return Err(err.settled(endpoint));
        }
    }

    /// One HTTP exchange, all of it (connecting, sending, every byte of the answer) within the
    /// deadline: reqwest's read timeout restarts with each byte, so an answer trickling in
    /// would otherwise never end. Dropping the exchange closes its connection.
    async fn send(
        &self,
        endpoint: Endpoint,
        query: &[(&str, String)],
        payload: &Payload,
        token: Option<&Secret>,
    ) -> Result<Value, Error> {
        let started = std::time::Instant::now();
        let exchange = self.exchange(endpoint, query, payload, token);
        let result = match tokio::time::timeout(self.inner.deadline, exchange).await {
            Ok(result) => result,
            Err(_elapsed) => Err(Error::timeout(endpoint)),
        };
        if let Some(hook) = &self.inner.on_call {
            hook(&CallRecord {
                method: if endpoint.is_get() { "GET" } else { "POST" },
                path: endpoint.path(),
                outcome: outcome(&result),
                elapsed: started.elapsed(),
            });
        }
        result
    }

    /// One HTTP exchange, without the deadline. WeChat answers errors with HTTP 200 and an
    /// `errcode`; success bodies may or may not carry `errcode: 0`.
    async fn exchange(
        &self,
        endpoint: Endpoint,
        query: &[(&str, String)],
        payload: &Payload,
        token: Option<&Secret>,
    ) -> Result<Value, Error> {
        let relay = self
            .inner
            .relay
            .as_ref()
            .filter(|_| endpoint == Endpoint::RelayToken);
        let base = relay.map_or(self.inner.base.as_str(), |(url, _)| url.as_str());
        let mut url = reqwest::Url::parse(&format!("{base}{}", endpoint.path()))
            .map_err(|e| Error::config(Setting::BaseUrl, &format!("invalid API URL: {e}")))?;
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
        let req = match relay {
            Some((_, key)) => req.bearer_auth(key.expose()),
            None => req,
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
        self.note_server_date(resp.headers());
        if !status.is_success() {
            // Only a snippet of an error page is shown: read no more than that needs.
            let body = read_capped(resp, ERROR_PAGE_MAX, endpoint)
                .await
                .or_else(|e| match e {
                    Capped::Over(partial) => Ok(partial),
                    Capped::Failed(e) => Err(e),
                })?;
            return Err(Error::http(
                endpoint,
                status.as_u16(),
                &String::from_utf8_lossy(&body),
            ));
        }
        let cap = endpoint.reply_cap();
        if resp.content_length().is_some_and(|n| n > cap) {
            return Err(Error::too_large(endpoint, cap));
        }
        let body = read_capped(resp, cap, endpoint)
            .await
            .map_err(|e| match e {
                Capped::Over(_) => Error::too_large(endpoint, cap),
                Capped::Failed(e) => e,
            })?;
        // WeChat labels bodies `encoding=utf-8`, which generic decoders miss; they are UTF-8.
        let text = String::from_utf8_lossy(&body);
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

/// How an exchange ended, in a word or two (no errmsg: that is in the error itself).
fn outcome(result: &Result<Value, Error>) -> String {
    let Err(e) = result else {
        return "ok".to_string();
    };
    match e.kind() {
        ErrorKind::Api { code, .. } => format!("errcode {code}"),
        ErrorKind::Timeout => "timeout".to_string(),
        ErrorKind::Transport { connect: true, .. } => "could not connect".to_string(),
        ErrorKind::Transport { .. } => "connection lost".to_string(),
        ErrorKind::Http { status, .. } => format!("HTTP {status}"),
        ErrorKind::Decode { .. } => "unreadable answer".to_string(),
        ErrorKind::TooLarge { .. } => "answer too large".to_string(),
        ErrorKind::Config { .. } => "not sent".to_string(),
    }
}

/// A typed answer; an answer that lacks what the call returns is a decode error, which for a
/// creating call means its outcome is unknown.
fn decode<T: DeserializeOwned>(endpoint: Endpoint, value: Value) -> Result<T, Error> {
    serde_json::from_value(value)
        .map_err(|e| Error::decode(endpoint, &e.to_string()).settled(endpoint))
}

/// An empty id is no answer: WeChat may have created something it did not name.
fn created_id(endpoint: Endpoint, id: &MediaId) -> Result<(), Error> {
    if id.as_str().trim().is_empty() {
        return Err(Error::decode(endpoint, "the answer's `media_id` is empty").settled(endpoint));
    }
    Ok(())
}
