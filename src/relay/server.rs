//! The relay's HTTP side: `POST /token` (bearer key → token and expiry), the access log, the
//! accept loop (TLS through rustls, or plain HTTP), and the upstream token cache with its
//! forced-refresh window.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use super::keys::{KeyFile, KeyFileError};
use super::limit::Limiter;
use super::{FORCE_WINDOW, Log, RelayOptions};
use crate::error::{Error, Result};
use crate::wechat::redact::scrub;
use crate::wechat::{Client, ClientOptions, ConfigDefaults, Secret, TokenMode};

/// Connections served at once; more wait in the kernel's backlog.
const MAX_CONNECTIONS: usize = 256;
/// A TLS handshake or a request's headers must arrive within this.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// `POST /token` carries at most `{"force_refresh":true}`.
const BODY_MAX: usize = 1024;

/// The relay's shared state.
struct Relay {
    keys: KeyFile,
    by_key: Limiter<String>,
    by_ip: Limiter<IpAddr>,
    upstream: Client,
    /// When the last forced refresh went to WeChat; held across it, so simultaneous forced
    /// requests make one call.
    forced: tokio::sync::Mutex<Option<Instant>>,
    log: Log,
}

/// The client's address, set per connection.
#[derive(Debug, Clone, Copy)]
struct Peer(SocketAddr);

/// What the access log says about a request beyond its status: the key's name (never the key)
/// and whether it asked for a forced refresh.
#[derive(Debug, Clone, Default)]
struct Served {
    key: Option<String>,
    force: bool,
}

/// Checks what can be checked before listening, binds, and serves until Ctrl-C or SIGTERM.
pub fn serve(opts: &RelayOptions, log: Log) -> Result<()> {
    let keys = KeyFile::open(&opts.keys).map_err(Error::Invalid)?;
    if opts.tls.is_none() && !opts.listen.ip().is_loopback() && !opts.insecure {
        return Err(Error::Usage(format!(
            "refusing to serve plain HTTP on {}: keys and tokens would cross the network in \
             clear. Give --tls-cert and --tls-key, or listen on 127.0.0.1 behind a reverse \
             proxy that terminates TLS (or pass --insecure on a network you trust)",
            opts.listen
        )));
    }
    let tls = match &opts.tls {
        Some((cert, key)) => Some(tls_acceptor(cert, key)?),
        None => None,
    };
    let upstream = upstream_client()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(async move {
        // A wrong secret or a host outside the whitelist is found now, not by the first client.
        match upstream.token_with_expiry().await {
            Ok(_) => {}
            Err(e) if e.code().is_some() => {
                return Err(Error::Usage(format!("the relay cannot get a token: {e}")));
            }
            Err(e) => log(&format!(
                "warning: no token yet ({}); clients will be served once WeChat answers",
                e.headline()
            )),
        }
        let listener = TcpListener::bind(opts.listen)
            .await
            .map_err(|e| Error::Usage(format!("cannot listen on {}: {e}", opts.listen)))?;
        let local = listener
            .local_addr()
            .map_err(|e| Error::Usage(format!("cannot listen on {}: {e}", opts.listen)))?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        log(&format!(
            "relay: listening on {scheme}://{local} ({} key{} in {})",
            keys.len(),
            crate::output::plural(keys.len()),
            opts.keys.display()
        ));
        let relay = Arc::new(Relay {
            keys,
            by_key: Limiter::new(opts.key_rate),
            by_ip: Limiter::new(opts.ip_rate),
            upstream,
            forced: tokio::sync::Mutex::new(None),
            log: log.clone(),
        });
        let app = Router::new()
            .route("/token", post(token))
            // Before the layer, so that requests for other paths are logged too.
            .fallback(|| async { StatusCode::NOT_FOUND })
            .layer(axum::middleware::from_fn_with_state(
                relay.clone(),
                access_log,
            ))
            .with_state(relay);
        tokio::select! {
            () = accept_loop(listener, tls, app, log.clone()) => {}
            () = shutdown() => log("relay: stopped"),
        }
        Ok(())
    })
}

/// The upstream client: `stable_token` with the relay's own AppID and AppSecret, against
/// `WXSYNC_API_BASE` when set. A relay never takes its tokens from another relay or a fixed
/// token, whatever its environment says.
fn upstream_client() -> Result<Client> {
    let vars = |k: &str| match k {
        "WECHAT_ACCESS_TOKEN" | "WXSYNC_RELAY_URL" | "WXSYNC_RELAY_KEY" => None,
        _ => std::env::var(k).ok(),
    };
    let set = |names: &[&str]| {
        names
            .iter()
            .any(|n| vars(n).is_some_and(|v| !v.trim().is_empty()))
    };
    if !set(&["WECHAT_APPID", "WECHAT_APP_ID"]) || !set(&["WECHAT_APPSECRET", "WECHAT_APP_SECRET"])
    {
        return Err(Error::Usage(
            "the relay needs the account's WECHAT_APPID and WECHAT_APPSECRET in its environment \
             (e.g. an EnvironmentFile only root can read; see `wxsync relay --systemd`)"
                .to_string(),
        ));
    }
    let defaults = ConfigDefaults {
        token_mode: TokenMode::Stable,
        ..ConfigDefaults::default()
    };
    let opts = ClientOptions::from_vars(defaults, vars).map_err(|e| Error::Usage(e.to_string()))?;
    Client::new(opts).map_err(|e| Error::Usage(e.to_string()))
}

fn tls_acceptor(cert: &Path, key: &Path) -> Result<tokio_rustls::TlsAcceptor> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let bad = |path: &Path, what: &str, e: &dyn std::fmt::Display| {
        Error::Usage(format!(
            "{}: cannot read the TLS {what} (PEM): {e}",
            path.display()
        ))
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<std::result::Result<Vec<_>, _>>())
        .map_err(|e| bad(cert, "certificate", &e))?;
    if certs.is_empty() {
        return Err(bad(cert, "certificate", &"no CERTIFICATE block"));
    }
    let private = PrivateKeyDer::from_pem_file(key).map_err(|e| bad(key, "private key", &e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(certs, private))
        .map_err(|e| {
            Error::Usage(format!(
                "{} and {} do not make a TLS identity: {e}",
                cert.display(),
                key.display()
            ))
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

async fn shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Accepts connections and serves each on its own task: the TLS handshake there (a slow
/// client holds up no one else), HTTP/1.1 with a deadline for each request's headers.
async fn accept_loop(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    app: Router,
    log: Log,
) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let (stream, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Out of file descriptors and the like: wait rather than spin.
                log(&format!("warning: accept failed: {e}"));
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let app = app.clone().layer(Extension(Peer(peer)));
        let tls = tls.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let service = hyper_util::service::TowerToHyperService::new(app);
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(HANDSHAKE_TIMEOUT);
            match tls {
                Some(acceptor) => {
                    let Ok(Ok(stream)) =
                        tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
                    else {
                        return;
                    };
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = http.serve_connection(io, service).await;
                }
                None => {
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = http.serve_connection(io, service).await;
                }
            }
        });
    }
}

/// One line per request: time, address, method, path, status, key name, forced or not, and
/// how long it took. Never a key, a token or a query string.
async fn access_log(State(relay): State<Arc<Relay>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let peer = req
        .extensions()
        .get::<Peer>()
        .map_or("-".to_string(), |p| p.0.ip().to_string());
    let method = req.method().to_string();
    // Any other path is not named: a misconfigured client could have put its key in it.
    let path = if req.uri().path() == "/token" {
        "/token"
    } else {
        "(other path)"
    };
    let resp = next.run(req).await;
    let served = resp
        .extensions()
        .get::<Served>()
        .cloned()
        .unwrap_or_default();
    let line = format!(
        "{} {peer} {method} {path} {} key={} force={} {}ms",
        crate::time::utc(crate::wechat::token::now_unix() as i64),
        resp.status().as_u16(),
        served.key.as_deref().unwrap_or("-"),
        served.force,
        started.elapsed().as_millis()
    );
    (relay.log)(&scrub(&line));
    resp
}

fn refuse(status: StatusCode, message: &str, served: Served) -> Response {
    let mut resp = (status, Json(json!({ "error": message }))).into_response();
    resp.extensions_mut().insert(served);
    resp
}

fn too_many(wait: Duration, served: Served) -> Response {
    let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
    let mut resp = refuse(
        StatusCode::TOO_MANY_REQUESTS,
        "rate limit reached; retry later",
        served,
    );
    resp.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    resp
}

/// The bearer key of `Authorization: Bearer <key>`.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, key) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| key.trim())
        .filter(|k| !k.is_empty())
}

/// `POST /token`: the address's bucket first (so guessing keys costs), then the key, then
/// the key's bucket, then the token.
async fn token(
    State(relay): State<Arc<Relay>>,
    Extension(Peer(peer)): Extension<Peer>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut served = Served::default();
    if let Err(wait) = relay.by_ip.take(&peer.ip()) {
        return too_many(wait, served);
    }
    let Some(presented) = bearer(&headers) else {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "no key: send `Authorization: Bearer <key>`",
            served,
        );
    };
    let log = relay.log.clone();
    let name = match relay.keys.check(presented, |w| log(w)) {
        Ok(Some(name)) => name,
        Ok(None) => return refuse(StatusCode::UNAUTHORIZED, "unknown or revoked key", served),
        Err(KeyFileError::Unreadable(why)) => {
            (relay.log)(&format!(
                "error: the key file cannot be read ({why}): refusing every key"
            ));
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "the relay cannot check keys now",
                served,
            );
        }
    };
    served.key = Some(name.clone());
    if let Err(wait) = relay.by_key.take(&name) {
        return too_many(wait, served);
    }
    let force = if body.is_empty() {
        false
    } else if body.len() > BODY_MAX {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the request is too long",
            served,
        );
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(m)) => m.get("force_refresh").and_then(Value::as_bool) == Some(true),
            _ => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    "the body must be a JSON object such as {\"force_refresh\":false}",
                    served,
                );
            }
        }
    };
    served.force = force;
    let mut resp = match relay.token(force).await {
        Ok((token, expires_at)) => {
            let expires_in = expires_at.saturating_sub(crate::wechat::token::now_unix());
            Json(json!({ "access_token": token.expose(), "expires_in": expires_in }))
                .into_response()
        }
        // WeChat's refusal (a wrong secret, this host outside the whitelist) goes to the
        // client as WeChat would have answered it, so its hint applies; every string in a
        // client error has been scrubbed of the relay's secrets.
        Err(e) => match e.code() {
            Some(code) => {
                (relay.log)(&format!("error: {}", e.headline()));
                Json(json!({ "errcode": code, "errmsg": e.errmsg().unwrap_or("") })).into_response()
            }
            None => {
                (relay.log)(&format!("error: {}", e.headline()));
                refuse(
                    StatusCode::BAD_GATEWAY,
                    "the relay could not reach WeChat",
                    served.clone(),
                )
            }
        },
    };
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp.extensions_mut().insert(served);
    resp
}

impl Relay {
    /// The cached token (refreshed before it expires), or after a client's token was
    /// rejected, a new one: at most one forced call to WeChat per [`FORCE_WINDOW`].
    async fn token(&self, force: bool) -> std::result::Result<(Secret, u64), crate::wechat::Error> {
        if !force {
            return self.upstream.token_with_expiry().await;
        }
        let mut last = self.forced.lock().await;
        if last.is_some_and(|t| t.elapsed() < FORCE_WINDOW) {
            return self.upstream.token_with_expiry().await;
        }
        let fresh = self.upstream.refresh_token().await?;
        *last = Some(Instant::now());
        Ok(fresh)
    }
}
