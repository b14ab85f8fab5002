//! What goes over the wire for the client: request bodies (JSON as WeChat wants it, uploads
//! named and typed), answers read with a cap, transport failures classified, and the backoff
//! between retries.

use std::time::Duration;

use serde_json::Value;

use super::endpoint::Endpoint;
use super::error::{ErrCode, Error};
use super::format::ImageFormat;
use super::options::RetryPolicy;
use super::token::now_unix;

/// What a call sends besides the token.
pub(super) enum Payload {
    None,
    Json(Vec<u8>),
    /// A multipart form is consumed by sending, so the bytes are kept to rebuild it on retry.
    Upload {
        bytes: Vec<u8>,
        filename: String,
        mime: &'static str,
    },
}

/// `errcode` as a number, or as a numeric string (seen in some gateways' answers).
pub(super) fn errcode(v: &Value) -> Option<i64> {
    match v.get("errcode")? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Of an error page (a non-2xx answer), at most this much is read.
pub(super) const ERROR_PAGE_MAX: u64 = 16 * 1024;

/// Why [`read_capped`] stopped.
pub(super) enum Capped {
    /// The body is longer than the cap: the bytes read so far (at most the cap).
    Over(Vec<u8>),
    Failed(Error),
}

/// Reads a body of at most `cap` bytes, stopping as soon as the bytes received are more: a
/// longer body is never held whole.
pub(super) async fn read_capped(
    mut resp: reqwest::Response,
    cap: u64,
    endpoint: Endpoint,
) -> Result<Vec<u8>, Capped> {
    // usize::MAX when u64 does not fit: then the cap is never reached before memory is.
    let cap = usize::try_from(cap).unwrap_or(usize::MAX);
    let mut body = Vec::with_capacity(
        resp.content_length()
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(0)
            .min(cap),
    );
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                let room = cap - body.len();
                if chunk.len() > room {
                    body.extend_from_slice(&chunk[..room]);
                    return Err(Capped::Over(body));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) => return Err(Capped::Failed(transport_error(endpoint, &e))),
        }
    }
}

/// serde_json writes non-ASCII as raw UTF-8, which is what WeChat requires (escaped text shows
/// up literally in the editor and trips the length limits).
pub(super) fn to_json(v: &Value) -> Vec<u8> {
    // Serializing a Value cannot fail: its map keys are always strings.
    serde_json::to_vec(v).unwrap_or_default()
}

pub(super) fn transport_error(endpoint: Endpoint, e: &reqwest::Error) -> Error {
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
pub(super) fn backoff(policy: &RetryPolicy, retry: u32, err: &Error) -> Duration {
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

/// WeChat answers `41005` to a part without a filename and infers the type from the
/// extension, so both are always sent.
pub(super) fn upload_payload(bytes: Vec<u8>, filename: &str) -> Payload {
    let base = filename
        .rsplit(['/', '\\'])
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or("image");
    let ext = base.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    let (filename, mime) = match ImageFormat::from_extension(ext) {
        Some(f) => (base.to_string(), f.mime()),
        None => match ImageFormat::sniff(&bytes) {
            Some(f) => (format!("{base}.{}", f.extension()), f.mime()),
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
