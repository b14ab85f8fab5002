//! Fetching remote images (`http(s)://` not hosted by WeChat) so a push can upload them:
//! its own HTTP client with a connect and a total timeout, a size cap enforced while the body
//! streams in, and the bytes sniffed (a server's `Content-Type` is not trusted).

use std::time::Duration;

use super::probe::{SOURCE_MAX, megabytes};
use crate::wechat::ImageFormat as Format;

/// The default total time one image may take (`images.timeout` in `wxsync.yaml`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Redirects followed before giving up.
const MAX_REDIRECTS: usize = 5;

/// Downloads images.
#[derive(Debug, Clone)]
pub struct Fetcher {
    http: reqwest::Client,
    timeout: Duration,
}

impl Fetcher {
    /// A fetcher whose every download is done within `timeout` (connecting within 10 s at
    /// most). `proxy` is `api.proxy`, else the usual proxy variables apply.
    pub fn new(timeout: Duration, proxy: Option<&str>) -> Result<Fetcher, String> {
        // The WeChat client installs the same provider; whichever is first wins.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut b = reqwest::Client::builder()
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
            .user_agent(concat!("wxsync/", env!("CARGO_PKG_VERSION")));
        if let Some(p) = proxy {
            let proxy = reqwest::Proxy::all(p).map_err(|e| format!("invalid proxy `{p}`: {e}"))?;
            b = b.proxy(proxy);
        }
        let http = b
            .build()
            .map_err(|e| format!("cannot build the HTTP client for images: {e}"))?;
        Ok(Fetcher { http, timeout })
    }

    /// The image at `url`: its bytes, at most [`SOURCE_MAX`], checked to be an image. The
    /// error completes "image URL: …".
    pub async fn fetch(&self, url: &str) -> Result<Vec<u8>, String> {
        let parsed = reqwest::Url::parse(url.trim()).map_err(|e| format!("invalid URL: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err("only http and https images can be fetched".to_string());
        }
        let mut resp = self
            .http
            .get(parsed)
            .header(reqwest::header::ACCEPT, "image/*")
            .send()
            .await
            .map_err(|e| self.reason(&e))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(format!(
                "the server answered HTTP {}{}",
                status.as_u16(),
                status
                    .canonical_reason()
                    .map(|r| format!(" {r}"))
                    .unwrap_or_default()
            ));
        }
        let declared = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or(v).trim().to_string());
        if let Some(n) = resp.content_length()
            && n > SOURCE_MAX
        {
            return Err(too_big(n));
        }
        let mut bytes = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if (bytes.len() + chunk.len()) as u64 > SOURCE_MAX {
                        return Err(too_big((bytes.len() + chunk.len()) as u64));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => return Err(self.reason(&e)),
            }
        }
        if bytes.is_empty() {
            return Err("the server sent an empty body".to_string());
        }
        if Format::sniff(&bytes).is_none() {
            return Err(match declared {
                Some(t) if !t.is_empty() => {
                    format!("the server sent {t}, not an image (png, jpeg, gif, webp or bmp)")
                }
                _ => "the server did not send an image (png, jpeg, gif, webp or bmp)".to_string(),
            });
        }
        Ok(bytes)
    }

    fn reason(&self, e: &reqwest::Error) -> String {
        if e.is_timeout() {
            format!(
                "fetching it timed out after {} s (images.timeout in wxsync.yaml)",
                self.timeout.as_secs_f32()
            )
        } else if e.is_connect() {
            format!("cannot connect to its server: {}", root_cause(e))
        } else if e.is_redirect() {
            format!("more than {MAX_REDIRECTS} redirects")
        } else {
            format!("fetching it failed: {}", root_cause(e))
        }
    }
}

fn too_big(n: u64) -> String {
    format!(
        "it is {} or more; wxsync fetches images up to {}",
        megabytes(n),
        megabytes(SOURCE_MAX)
    )
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// Whether `url` is an `http(s)` URL.
pub fn is_remote(url: &str) -> bool {
    let l = url.trim_start().get(..8).unwrap_or("").to_ascii_lowercase();
    l.starts_with("http://") || l.starts_with("https://")
}

/// Whether an image URL is on WeChat's own image servers (`mmbiz.qpic.cn`, `mmbiz.qlogo.cn`),
/// which WeChat keeps in an article: such a body image is used as it is.
pub fn is_wechat_hosted(url: &str) -> bool {
    if !is_remote(url) {
        return false;
    }
    let rest = url.trim_start().split_once("//").map_or("", |(_, r)| r);
    let authority = rest.split(['/', '?', '#', '\\']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let host = host.split(':').next().unwrap_or("").to_ascii_lowercase();
    matches!(host.as_str(), "mmbiz.qpic.cn" | "mmbiz.qlogo.cn") || host.ends_with(".mmbiz.qpic.cn")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wechat_hosts() {
        assert!(is_wechat_hosted(
            "https://mmbiz.qpic.cn/mmbiz_png/x/0?wx_fmt=png"
        ));
        assert!(is_wechat_hosted("http://MMBIZ.qpic.cn/a"));
        assert!(!is_wechat_hosted("https://mmbiz.qpic.cn.evil.com/a"));
        assert!(!is_wechat_hosted("https://example.com/mmbiz.qpic.cn/a"));
        assert!(is_remote("HTTPS://x/y.png"));
        assert!(!is_remote("data:image/png;base64,AA"));
    }
}
