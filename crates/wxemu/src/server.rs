//! HTTP: the routes (`/cgi-bin/*` like the real server, `/__emu/*` for tests), request
//! logging, fault injection (errcode, delay, HTTP status, dropped connection, and answers
//! that are malformed, incomplete, oversized or trickling) and the response format
//! (`application/json; encoding=utf-8`, HTTP 200 for API errors).

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, Multipart, State as AxState};
use axum::http::{HeaderMap, Request as HttpRequest, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::state::{Config, DropMode, Fault, LogEntry, Part, PartInfo, Request, State};

/// The state shared by the server and the [`crate::Emulator`] handle.
pub type Shared = Arc<Mutex<State>>;

/// A poisoned lock only means a handler panicked; the state is still usable for a test double.
pub fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

/// Uploads up to 10 MB (plus multipart overhead) must get through to the size checks.
const BODY_LIMIT: usize = 32 * 1024 * 1024;

pub fn router(shared: Shared) -> Router {
    Router::new()
        .route("/cgi-bin/{*path}", any(api))
        .route("/__emu/log", get(get_log).delete(clear_log))
        .route(
            "/__emu/faults",
            get(get_faults).post(add_faults).delete(clear_faults),
        )
        .route("/__emu/clock", get(get_clock).post(set_clock))
        .route("/", get(draft_box))
        .route("/__emu/drafts", get(get_drafts))
        .route("/__emu/drafts/edit", axum::routing::post(edit_draft))
        .route("/__emu/publish", axum::routing::post(publish_draft))
        .route("/__emu/media", get(get_media))
        .route("/__emu/config", get(get_config).post(set_config))
        .route("/__emu/reset", axum::routing::post(reset))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::map_response_with_state(
            shared.clone(),
            dated,
        ))
        .with_state(shared)
}

/// Every answer carries the emulator's clock in `Date`, as the real server's carries its own:
/// a test that moves the clock moves what a client reads of the server's time.
async fn dated(AxState(shared): AxState<Shared>, mut resp: Response) -> Response {
    let now = lock(&shared).now();
    let at = std::time::UNIX_EPOCH + Duration::from_secs(now.max(0) as u64);
    if let Ok(v) = header::HeaderValue::from_str(&httpdate::fmt_http_date(at)) {
        resp.headers_mut().insert(header::DATE, v);
    }
    resp
}

fn json_response(status: StatusCode, v: &Value) -> Response {
    // serde_json writes non-ASCII raw, as WeChat does; the odd `encoding=` is WeChat's too.
    let body = serde_json::to_vec(v).unwrap_or_default();
    (
        status,
        [(header::CONTENT_TYPE, "application/json; encoding=utf-8")],
        body,
    )
        .into_response()
}

/// A body that fails at once: hyper then closes the connection without a complete answer,
/// which is what a client sees when a connection is reset mid-call.
struct Broken;

impl HttpBody for Broken {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "wxemu: connection dropped by fault injection",
        ))))
    }
}

fn dropped() -> Response {
    Response::new(Body::new(Broken))
}

fn client_ip(headers: &HeaderMap, peer: SocketAddr) -> String {
    headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| peer.ip().to_string())
}

fn parse_query(q: &str) -> HashMap<String, String> {
    q.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match s.get(i + 1..i + 3) {
                Some(hex) if hex.bytes().all(|c| c.is_ascii_hexdigit()) => {
                    out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads multipart parts. The request keeps its extensions, so the raised body limit applies.
async fn parse_parts(req: HttpRequest<Body>) -> Vec<Part> {
    let Ok(mut mp) = Multipart::from_request(req, &()).await else {
        return Vec::new();
    };
    let mut parts = Vec::new();
    while let Ok(Some(field)) = mp.next_field().await {
        let name = field.name().unwrap_or("").to_string();
        let filename = field.file_name().map(str::to_string);
        let content_type = field.content_type().map(str::to_string);
        let Ok(data) = field.bytes().await else { break };
        parts.push(Part {
            info: PartInfo {
                name,
                filename,
                content_type,
                size: data.len(),
            },
            data: data.to_vec(),
        });
    }
    parts
}

async fn api(
    AxState(shared): AxState<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: HttpRequest<Body>,
) -> Response {
    let (head, body) = req.into_parts();
    let Ok(body) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
    };
    let method = head.method.clone();
    let uri = head.uri.clone();
    let headers = head.headers.clone();
    let path = uri.path().to_string();
    let raw_query = uri.query().unwrap_or("").to_string();
    let query = parse_query(&raw_query);
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let is_multipart = content_type
        .as_deref()
        .is_some_and(|c| c.starts_with("multipart/"));
    let parts = if is_multipart {
        parse_parts(HttpRequest::from_parts(head, Body::from(body.clone()))).await
    } else {
        Vec::new()
    };
    let logged_body = if is_multipart {
        String::new()
    } else {
        String::from_utf8_lossy(&body).into_owned()
    };

    let (seq, fault) = {
        let mut st = lock(&shared);
        let seq = st.next_seq();
        let time = st.now();
        let fault = st.take_fault(&path);
        st.log.push(LogEntry {
            seq,
            method: method.to_string(),
            path: path.clone(),
            query: raw_query,
            access_token: query.get("access_token").cloned(),
            content_type,
            body: logged_body,
            parts: parts.iter().map(|p| p.info.clone()).collect(),
            errcode: None,
            fault: fault.as_ref().map(Fault::describe),
            time,
            answer_bytes: None,
        });
        (seq, fault)
    };
    let set_code = |code: Option<i64>| {
        let mut st = lock(&shared);
        if let Some(e) = st.log.iter_mut().rev().find(|e| e.seq == seq) {
            e.errcode = code;
        }
    };

    if let Some(ms) = fault.as_ref().and_then(|f| f.delay_ms) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if let Some(f) = &fault {
        if f.drop == Some(DropMode::Before) {
            return dropped();
        }
        if let Some(status) = f.http_status {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
            return (status, format!("<html><body>{status}</body></html>")).into_response();
        }
        if let Some(code) = f.errcode {
            let answer = {
                let mut st = lock(&shared);
                match &f.errmsg {
                    Some(m) => st.error_msg(code, m),
                    None => st.error(code),
                }
            };
            set_code(Some(code));
            return json_response(StatusCode::OK, &answer);
        }
    }

    let answer = {
        let mut st = lock(&shared);
        let req = Request {
            method: method.as_str(),
            path: &path,
            query: &query,
            body: &body,
            parts: &parts,
            ip: client_ip(&headers, peer),
        };
        st.handle(&req)
    };
    set_code(Some(
        answer.get("errcode").and_then(Value::as_i64).unwrap_or(0),
    ));
    let Some(f) = fault else {
        let resp = json_response(StatusCode::OK, &answer);
        note_sent(&shared, seq, body_len(&resp));
        return resp;
    };
    if f.drop == Some(DropMode::After) {
        return dropped();
    }
    garbled(shared.clone(), seq, &f, answer)
}

fn body_len(resp: &Response) -> u64 {
    resp.body().size_hint().exact().unwrap_or(0)
}

/// Records in the log entry `seq` how many bytes of its answer were sent.
fn note_sent(shared: &Shared, seq: u64, n: u64) {
    let mut st = lock(shared);
    if let Some(e) = st.log.iter_mut().rev().find(|e| e.seq == seq) {
        e.answer_bytes = Some(n);
    }
}

/// The answer of a processed call, spoilt as the fault says: fields removed, cut in half,
/// padded to an enormous size, and/or sent a byte at a time.
fn garbled(shared: Shared, seq: u64, f: &Fault, mut answer: Value) -> Response {
    if let Some(m) = answer.as_object_mut() {
        for field in &f.without {
            m.remove(field);
        }
    }
    let mut bytes = serde_json::to_vec(&answer).unwrap_or_default();
    if f.malformed {
        bytes.truncate(bytes.len() / 2);
    }
    let body = Streamed {
        padding: f.oversize.unwrap_or(0),
        declared: f.oversize.is_none() || f.declare_length,
        answer: Bytes::from(bytes),
        pos: 0,
        every: f.trickle_ms.map(Duration::from_millis),
        sleep: None,
        log: Some((shared, seq)),
    };
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json; encoding=utf-8")
        .body(Body::new(body))
        .unwrap_or_else(|_| dropped())
}

/// Whitespace to pad an oversized answer with, sent from here rather than allocated.
static SPACES: [u8; 64 * 1024] = [b' '; 64 * 1024];

/// An answer body made as it is sent: `padding` bytes of whitespace, then `answer`; with
/// `every`, one byte per interval. When dropped (complete, or its connection closed), it
/// records in the log how many bytes it handed over.
struct Streamed {
    padding: u64,
    /// Whether the length is announced (`Content-Length`) rather than chunked.
    declared: bool,
    answer: Bytes,
    /// Bytes produced so far, padding included.
    pos: u64,
    every: Option<Duration>,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    log: Option<(Shared, u64)>,
}

impl Streamed {
    fn total(&self) -> u64 {
        self.padding + self.answer.len() as u64
    }
}

impl HttpBody for Streamed {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        if self.pos >= self.total() {
            return Poll::Ready(None);
        }
        if let Some(every) = self.every {
            let sleep = self
                .sleep
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(every)));
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.sleep = None;
        }
        // One byte per interval when trickling, else as much as one frame takes.
        let most = if self.every.is_some() {
            1
        } else {
            SPACES.len() as u64
        };
        let chunk = if self.pos < self.padding {
            let n = most.min(self.padding - self.pos) as usize;
            Bytes::from_static(&SPACES[..n])
        } else {
            let at = (self.pos - self.padding) as usize;
            let n = (most as usize).min(self.answer.len() - at);
            self.answer.slice(at..at + n)
        };
        self.pos += chunk.len() as u64;
        Poll::Ready(Some(Ok(http_body::Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.pos >= self.total()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        if self.declared {
            http_body::SizeHint::with_exact(self.total() - self.pos)
        } else {
            http_body::SizeHint::default()
        }
    }
}

impl Drop for Streamed {
    fn drop(&mut self) {
        if let Some((shared, seq)) = self.log.take() {
            note_sent(&shared, seq, self.pos);
        }
    }
}

async fn get_log(AxState(shared): AxState<Shared>) -> Response {
    let log = lock(&shared).log.clone();
    json_response(StatusCode::OK, &json!(log))
}

async fn clear_log(AxState(shared): AxState<Shared>) -> Response {
    lock(&shared).log.clear();
    json_response(StatusCode::OK, &json!({"ok": true}))
}

async fn get_faults(AxState(shared): AxState<Shared>) -> Response {
    let faults = lock(&shared).faults.clone();
    json_response(StatusCode::OK, &json!(faults))
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(Fault),
    Many(Vec<Fault>),
}

async fn add_faults(AxState(shared): AxState<Shared>, body: Bytes) -> Response {
    let faults = match serde_json::from_slice::<OneOrMany>(&body) {
        Ok(OneOrMany::One(f)) => vec![f],
        Ok(OneOrMany::Many(v)) => v,
        Err(e) => return bad_request(&e.to_string()),
    };
    let mut st = lock(&shared);
    for mut f in faults {
        f.path = crate::state::normalize_path(&f.path);
        st.faults.push(f);
    }
    json_response(StatusCode::OK, &json!(st.faults))
}

async fn clear_faults(AxState(shared): AxState<Shared>) -> Response {
    lock(&shared).faults.clear();
    json_response(StatusCode::OK, &json!({"ok": true}))
}

fn clock_json(st: &State) -> Value {
    json!({"now": st.now()})
}

async fn get_clock(AxState(shared): AxState<Shared>) -> Response {
    let st = lock(&shared);
    json_response(StatusCode::OK, &clock_json(&st))
}

#[derive(Deserialize)]
struct ClockChange {
    advance: Option<i64>,
    set: Option<i64>,
}

async fn set_clock(AxState(shared): AxState<Shared>, body: Bytes) -> Response {
    let change: ClockChange = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => return bad_request(&e.to_string()),
    };
    let mut st = lock(&shared);
    if let Some(t) = change.set {
        st.set_now(t);
    }
    if let Some(s) = change.advance {
        st.advance(s);
    }
    json_response(StatusCode::OK, &clock_json(&st))
}

async fn draft_box(AxState(shared): AxState<Shared>) -> Response {
    let drafts: Vec<_> = lock(&shared).drafts.values().cloned().collect();
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        crate::page::draft_box(&drafts),
    )
        .into_response()
}

async fn get_drafts(AxState(shared): AxState<Shared>) -> Response {
    let st = lock(&shared);
    let drafts: Vec<_> = st.drafts.values().cloned().collect();
    json_response(
        StatusCode::OK,
        &json!({"drafts": drafts, "warnings": st.warnings}),
    )
}

/// `{"media_id", "index", "content"}`: an edit in WeChat's web editor.
async fn edit_draft(AxState(shared): AxState<Shared>, body: Bytes) -> Response {
    let v: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return bad_request(&e.to_string()),
    };
    let id = v.get("media_id").and_then(Value::as_str).unwrap_or("");
    let index = v.get("index").and_then(Value::as_u64).unwrap_or(0) as usize;
    let content = v.get("content").and_then(Value::as_str).unwrap_or("");
    if lock(&shared).edit_draft(id, index, content) {
        json_response(StatusCode::OK, &json!({"ok": true}))
    } else {
        bad_request("no such draft or article")
    }
}

/// `{"media_id"}`: a draft published by hand in the web UI.
async fn publish_draft(AxState(shared): AxState<Shared>, body: Bytes) -> Response {
    let v: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return bad_request(&e.to_string()),
    };
    let id = v.get("media_id").and_then(Value::as_str).unwrap_or("");
    match lock(&shared).publish_draft(id) {
        Some(a) => json_response(StatusCode::OK, &json!({"article_id": a})),
        None => bad_request("no such draft"),
    }
}

async fn get_media(AxState(shared): AxState<Shared>) -> Response {
    let st = lock(&shared);
    let materials: Vec<_> = st.materials.values().cloned().collect();
    let mut images: Vec<_> = st.trusted_urls.iter().cloned().collect();
    images.sort();
    json_response(
        StatusCode::OK,
        &json!({"materials": materials, "urls": images}),
    )
}

async fn get_config(AxState(shared): AxState<Shared>) -> Response {
    let config = lock(&shared).config.clone();
    json_response(StatusCode::OK, &json!(config))
}

/// Merges the given fields into the configuration.
async fn set_config(AxState(shared): AxState<Shared>, body: Bytes) -> Response {
    let patch: Value = match serde_json::from_slice(&body) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => return bad_request("expected a JSON object"),
        Err(e) => return bad_request(&e.to_string()),
    };
    let mut st = lock(&shared);
    let mut current = json!(st.config);
    if let (Some(cur), Some(p)) = (current.as_object_mut(), patch.as_object()) {
        for (k, v) in p {
            cur.insert(k.clone(), v.clone());
        }
    }
    match serde_json::from_value::<Config>(current) {
        Ok(c) => {
            st.config = c;
            json_response(StatusCode::OK, &json!(st.config))
        }
        Err(e) => bad_request(&e.to_string()),
    }
}

/// Forgets tokens, media, drafts, log and faults; keeps the configuration.
async fn reset(AxState(shared): AxState<Shared>) -> Response {
    let mut st = lock(&shared);
    let config = st.config.clone();
    *st = State::new(config);
    json_response(StatusCode::OK, &json!({"ok": true}))
}

fn bad_request(msg: &str) -> Response {
    json_response(StatusCode::BAD_REQUEST, &json!({"error": msg}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_decoding() {
        let q = parse_query("a=1&secret=x%2By+z&e=%zz&f=%4");
        assert_eq!(q["a"], "1");
        assert_eq!(q["secret"], "x+y z");
        assert_eq!(q["e"], "%zz");
        assert_eq!(q["f"], "%4");
    }
}
