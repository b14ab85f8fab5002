//! The preview server (axum), on 127.0.0.1 unless `--host` says otherwise: the index, each
//! article as it will be sent, its images from the local files, and server-sent events that
//! make open pages reload after every rebuild. It answers only requests addressed to it.

use std::convert::Infallible;
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::connect_info::{ConnectInfo, Connected};
use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::serve::IncomingStream;
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::BroadcastStream;

use crate::preview::build::{PushStatus, Snapshot};
use crate::preview::page;
use crate::site::ArticlePath;

/// Sent on the events channel when the server stops, so open event streams end.
pub const SHUTDOWN: u64 = u64::MAX;

/// What the handlers share: the current build and the channel announcing new ones.
#[derive(Clone)]
pub struct AppState {
    pub snap: Arc<RwLock<Arc<Snapshot>>>,
    pub events: broadcast::Sender<u64>,
}

impl AppState {
    pub fn new(snap: Snapshot) -> AppState {
        let (events, _) = broadcast::channel(64);
        AppState {
            snap: Arc::new(RwLock::new(Arc::new(snap))),
            events,
        }
    }

    pub fn current(&self) -> Arc<Snapshot> {
        self.snap
            .read()
            .map(|s| s.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    /// Replaces the snapshot with what `f` makes of the current one, under the lock, and
    /// tells every open page: the rebuild loop and the push loop both publish, and neither may
    /// drop what the other published meanwhile.
    pub fn update(&self, f: impl FnOnce(&Snapshot) -> Snapshot) {
        let generation = {
            let mut guard = self.snap.write().unwrap_or_else(|e| e.into_inner());
            let next = f(&guard);
            let generation = next.generation;
            *guard = Arc::new(next);
            generation
        };
        let _ = self.events.send(generation);
    }

    /// Publishes a new build and tells every open page.
    pub fn publish(&self, snap: Snapshot) {
        let generation = snap.generation;
        match self.snap.write() {
            Ok(mut s) => *s = Arc::new(snap),
            Err(e) => *e.into_inner() = Arc::new(snap),
        }
        let _ = self.events.send(generation);
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/a/{*path}", get(article))
        .route("/asset/{hash}", get(asset))
        .route("/events", get(events))
        .route("/__wxsync/preview.css", get(css))
        .route("/__wxsync/darkmode.js", get(darkmode))
        .route("/__wxsync/status", get(status))
        .layer(axum::middleware::from_fn(local_host_only))
        .with_state(state)
}

/// The address a connection was made to (this end of it): with `--host 0.0.0.0`, the
/// interface the client reached, whose address it may name in `Host`.
#[derive(Debug, Clone, Copy)]
pub struct LocalAddr(pub Option<std::net::SocketAddr>);

impl Connected<IncomingStream<'_, TcpListener>> for LocalAddr {
    fn connect_info(stream: IncomingStream<'_, TcpListener>) -> Self {
        LocalAddr(stream.io().local_addr().ok())
    }
}

/// Answers only requests addressed to this machine: by a loopback name (`127.0.0.1`,
/// `localhost`, `[::1]`), or by the very address (and port) the connection was made to, as a
/// phone on the LAN does with `--host`. A page of some other site whose name was made to
/// resolve to this machine (DNS rebinding) sends its own name as `Host`, and is refused
/// before it can read a preview.
async fn local_host_only(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let local = req
        .extensions()
        .get::<ConnectInfo<LocalAddr>>()
        .and_then(|c| c.0.0);
    if is_local_host(host) || local.is_some_and(|a| names_address(host, a)) {
        next.run(req).await
    } else {
        (
            StatusCode::FORBIDDEN,
            "wxsync watch answers only requests to its own address (http://127.0.0.1, \
             http://localhost, or the address given to --host)\n",
        )
            .into_response()
    }
}

/// Splits a `Host` header into its name (brackets of an IPv6 address removed) and port.
fn split_host(host: &str) -> (&str, Option<&str>) {
    match host.strip_prefix('[') {
        Some(v6) => {
            let (name, rest) = v6.split_once(']').unwrap_or((v6, ""));
            (name, rest.strip_prefix(':'))
        }
        None => match host.rsplit_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (host, None),
        },
    }
}

/// Whether a `Host` header names this machine (any port).
fn is_local_host(host: &str) -> bool {
    let (name, _) = split_host(host);
    matches!(
        name.to_ascii_lowercase().as_str(),
        "127.0.0.1" | "localhost" | "::1"
    )
}

/// Whether a `Host` header is the IP address `addr` itself, with its port (or none, for port
/// 80). Only an address literal: a name is what DNS rebinding would send.
fn names_address(host: &str, addr: std::net::SocketAddr) -> bool {
    let (name, port) = split_host(host);
    let port_ok = match port {
        Some(p) => p.parse::<u16>().is_ok_and(|p| p == addr.port()),
        None => addr.port() == 80,
    };
    // Canonical: on `::`, an IPv4 client arrives at an IPv4-mapped IPv6 address.
    port_ok
        && name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.to_canonical() == addr.ip().to_canonical())
}

async fn index(State(st): State<AppState>) -> Html<String> {
    Html(page::index(&st.current()))
}

async fn article(State(st): State<AppState>, UrlPath(path): UrlPath<String>) -> Response {
    let snap = st.current();
    let found = ArticlePath::from_relative(std::path::Path::new(&path))
        .and_then(|p| page::article(&snap, &p));
    match found {
        Some(html) => Html(html).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Html(format!(
                "no article {path} in this site; <a href=\"/\">all articles</a>"
            )),
        )
            .into_response(),
    }
}

async fn asset(State(st): State<AppState>, UrlPath(hash): UrlPath<String>) -> Response {
    let Some(file) = st.current().assets.get(&hash).cloned() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match tokio::fs::read(&file).await {
        Ok(bytes) => {
            let mime = crate::media::Format::sniff(&bytes)
                .map_or("application/octet-stream", |f| f.mime());
            (
                [
                    (header::CONTENT_TYPE, mime),
                    (header::CACHE_CONTROL, "no-cache"),
                ],
                bytes,
            )
                .into_response()
        }
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        page::CSS,
    )
}

/// The dark mode of WeChat's reader, for the page's light/dark toggle.
async fn darkmode() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        page::DARKMODE_JS,
    )
}

/// The build number now, then after every rebuild; ends when the server stops.
async fn events(
    State(st): State<AppState>,
) -> Sse<impl tokio_stream::Stream<Item = Result<Event, Infallible>>> {
    let rx = st.events.subscribe();
    let now = st.current().generation;
    let first = tokio_stream::once(now);
    let rest = BroadcastStream::new(rx).filter_map(|r| r.ok());
    let stream = first
        .chain(rest)
        .take_while(|g| *g != SHUTDOWN)
        .map(|g| Ok(Event::default().data(g.to_string())));
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// Machine-readable state of the build, for tests and tools.
async fn status(State(st): State<AppState>) -> impl IntoResponse {
    let snap = st.current();
    let articles: serde_json::Map<String, serde_json::Value> = snap
        .pages
        .iter()
        .map(|(p, page)| {
            let errors: Vec<String> = page
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .map(|d| d.to_string())
                .collect();
            let push = match &page.push {
                Some(PushStatus::Pushed(s)) => serde_json::json!({"ok": true, "message": s}),
                Some(PushStatus::Failed(s)) => serde_json::json!({"ok": false, "message": s}),
                None => serde_json::Value::Null,
            };
            (
                p.to_string(),
                serde_json::json!({"errors": errors, "push": push}),
            )
        })
        .collect();
    axum::Json(serde_json::json!({
        "generation": snap.generation,
        "build_ms": snap.build_time.as_secs_f64() * 1000.0,
        "site_errors": snap.site_errors.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
        "articles": articles,
    }))
}

#[cfg(test)]
mod tests {
    use super::{is_local_host, names_address};

    #[test]
    fn addresses() {
        let lan: std::net::SocketAddr = "192.168.1.20:8765".parse().unwrap();
        assert!(names_address("192.168.1.20:8765", lan));
        for bad in [
            "192.168.1.20:8766",
            "192.168.1.20",
            "192.168.1.21:8765",
            "phone.example:8765",
            "192.168.1.20.nip.io:8765",
            "",
        ] {
            assert!(!names_address(bad, lan), "{bad}");
        }
        let v6: std::net::SocketAddr = "[fe80::1]:80".parse().unwrap();
        assert!(names_address("[fe80::1]", v6));
        assert!(names_address("[fe80::1]:80", v6));
        assert!(!names_address("[fe80::2]:80", v6));
        let mapped: std::net::SocketAddr = "[::ffff:192.168.1.20]:8765".parse().unwrap();
        assert!(names_address("192.168.1.20:8765", mapped));
    }

    #[test]
    fn hosts() {
        for ok in [
            "127.0.0.1:8765",
            "localhost:1",
            "LOCALHOST",
            "[::1]:80",
            "127.0.0.1",
        ] {
            assert!(is_local_host(ok), "{ok}");
        }
        for bad in [
            "evil.example:8765",
            "127.0.0.1.evil.example",
            "",
            "[::2]:1",
            "localhost.evil:1",
        ] {
            assert!(!is_local_host(bad), "{bad}");
        }
    }
}
