//! The one place secrets are kept out of text: the [`Secret`] wrapper, and [`scrub`], which every
//! error message of the WeChat client passes through before it is stored.
//!
//! Two layers, because either alone leaks: known values (the AppSecret, every token minted or
//! read) are replaced wherever they appear, and credential-shaped text (`access_token=…`,
//! `"secret":"…"`, `user:pass@` in a proxy URL) is masked even when its value was never seen.

use std::fmt;
use std::sync::{Arc, Mutex};

/// What a redacted value is replaced with.
pub const MASK: &str = "***";

/// Values shorter than this are not searched for in text: masking every "ab" in a message would
/// make it unreadable and such values are not real credentials anyway.
const MIN_KNOWN_LEN: usize = 6;

/// Every secret value this process has wrapped. A global so that text built anywhere (an error
/// from reqwest, a body snippet) can be scrubbed without threading the values through.
static KNOWN: Mutex<Vec<Arc<str>>> = Mutex::new(Vec::new());

/// The environment variables that hold credentials. Their values are known secrets from the
/// first scrub on, whether or not a client was ever built (a `check` prints diagnostics of
/// files that may hold them: an article linked to `/proc/self/environ`).
pub const SECRET_VARS: &[&str] = &[
    "WECHAT_APPSECRET",
    "WECHAT_APP_SECRET",
    "WECHAT_ACCESS_TOKEN",
    "WXSYNC_RELAY_KEY",
];

fn learn_environment() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for var in SECRET_VARS {
            if let Ok(v) = std::env::var(var) {
                let v = v.trim();
                if !v.is_empty() {
                    Secret::new(v);
                }
            }
        }
    });
}

/// A credential: the AppSecret or an access token. `Debug` prints `***`; there is no `Display`,
/// so the value reaches text only through [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Arc<str>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        let value: Arc<str> = Arc::from(value.into());
        if value.len() >= MIN_KNOWN_LEN {
            let mut known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
            if !known.iter().any(|k| **k == *value) {
                known.push(value.clone());
            }
        }
        Secret(value)
    }

    /// The raw value, for building a request. Never format it into a message.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

/// Query parameters and JSON keys whose values are credentials.
const SECRET_KEYS: &[&str] = &[
    "access_token",
    "secret",
    "appsecret",
    "app_secret",
    "authorizer_access_token",
];

/// Masks credentials in a URL: `access_token=***`, `secret=***`, `user:***@host`.
pub fn redact_url(url: &str) -> String {
    mask_params(&mask_userinfo(url))
}

/// Makes any text safe to show: known secret values, credential query parameters, JSON
/// credential fields and proxy passwords are replaced with `***`.
pub fn scrub(text: &str) -> String {
    learn_environment();
    let mut out = mask_json_fields(&redact_url(text));
    let known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
    for k in known.iter() {
        if out.contains(&**k) {
            out = out.replace(&**k, MASK);
        }
    }
    out
}

/// Names of keys whose values are credentials wherever they appear in a file (a config or
/// front matter line `secret: …`).
const SECRET_FILE_KEYS: &[&str] = &[
    "secret",
    "appsecret",
    "app_secret",
    "access_token",
    "relay_key",
];

/// A file's text made safe to quote in a code frame, with every byte offset unchanged (so a
/// diagnostic's span still points at the same place): known secret values, and the values of
/// credential-named keys (`secret: …`, `access_token=…`), become runs of `*`.
pub fn mask_source(text: &str) -> String {
    learn_environment();
    let mut out = text.to_string();
    let star = |out: &mut String, range: std::ops::Range<usize>| {
        let stars = "*".repeat(range.len());
        out.replace_range(range, &stars);
    };
    {
        let known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
        for k in known.iter() {
            let mut from = 0;
            while let Some(pos) = out[from..].find(&**k) {
                let start = from + pos;
                star(&mut out, start..start + k.len());
                from = start + k.len();
            }
        }
    }
    let lower = out.to_ascii_lowercase();
    let mut line_start = 0;
    for line in lower.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let trimmed = body.trim_start().trim_start_matches(['-', '"', '\'', ' ']);
        let indent = body.len() - trimmed.len();
        for key in SECRET_FILE_KEYS {
            let Some(rest) = trimmed.strip_prefix(key) else {
                continue;
            };
            let rest = rest.trim_start_matches(['"', '\'']);
            let sep = rest.trim_start();
            if !(sep.starts_with(':') || sep.starts_with('=')) {
                continue;
            }
            let value_at = indent + (trimmed.len() - sep.len()) + 1;
            let value = &body[value_at..];
            let lead = value.len() - value.trim_start().len();
            let (start, end) = (line_start + value_at + lead, line_start + body.len());
            if start < end && out.is_char_boundary(start) && out.is_char_boundary(end) {
                star(&mut out, start..end);
            }
            break;
        }
        line_start += line.len();
    }
    out
}

fn is_value_end(c: char) -> bool {
    matches!(c, '&' | '#' | '"' | '\'' | ')' | '>' | ',' | ';') || c.is_whitespace()
}

/// `key=value` for each credential key, where the key starts the text or follows a non-word
/// character (so `xsecret=` is left alone but `?secret=` and `&secret=` are masked).
fn mask_params(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    'outer: while i < text.len() {
        for key in SECRET_KEYS {
            let pat_len = key.len() + 1;
            if lower[i..].starts_with(key)
                && lower[i + key.len()..].starts_with('=')
                && (i == 0 || !is_word_byte(lower.as_bytes()[i - 1]))
            {
                out.push_str(&text[i..i + pat_len]);
                let rest = &text[i + pat_len..];
                let end = rest.find(is_value_end).unwrap_or(rest.len());
                if end > 0 {
                    out.push_str(MASK);
                }
                i += pat_len + end;
                continue 'outer;
            }
        }
        let ch = text[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&text[i..i + ch]);
        i += ch;
    }
    out
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `"key":"value"` (JSON, with optional spaces) for each credential key.
fn mask_json_fields(text: &str) -> String {
    let mut out = text.to_string();
    for key in SECRET_KEYS {
        let quoted = format!("\"{key}\"");
        let mut from = 0;
        while let Some(pos) = out[from..].find(&quoted) {
            let after_key = from + pos + quoted.len();
            let rest = &out[after_key..];
            let trimmed = rest.trim_start();
            let Some(after_colon) = trimmed.strip_prefix(':') else {
                from = after_key;
                continue;
            };
            let value = after_colon.trim_start();
            let Some(body) = value.strip_prefix('"') else {
                from = after_key;
                continue;
            };
            let value_start = out.len() - body.len();
            let end = string_literal_end(body);
            out.replace_range(value_start..value_start + end, MASK);
            from = value_start + MASK.len();
        }
    }
    out
}

/// Length of a JSON string body up to (not including) its closing quote, or to the end.
fn string_literal_end(body: &str) -> usize {
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return i,
            _ => {}
        }
    }
    body.len()
}

/// `scheme://user:password@host` → `scheme://user:***@host` (proxy URLs carry passwords).
fn mask_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("://") {
        let (head, tail) = rest.split_at(pos + 3);
        out.push_str(head);
        let authority_end = tail
            .find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace())
            .unwrap_or(tail.len());
        let authority = &tail[..authority_end];
        match authority.rfind('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                match userinfo.find(':') {
                    Some(colon) => {
                        out.push_str(&userinfo[..=colon]);
                        out.push_str(MASK);
                    }
                    None => out.push_str(MASK),
                }
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[authority_end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_masked_in_place() {
        Secret::new("tok-0123456789-known");
        let src =
            "title: x\nsecret: hunter2-plain\nbody tok-0123456789-known end\n  AppSecret : \"q\"\n";
        let m = mask_source(src);
        assert_eq!(m.len(), src.len());
        assert!(!m.contains("hunter2"), "{m}");
        assert!(!m.contains("tok-0123456789-known"), "{m}");
        assert!(!m.contains("\"q\""), "{m}");
        assert!(
            m.contains("title: x") && m.contains("body ") && m.contains(" end"),
            "{m}"
        );
    }

    #[test]
    fn debug_hides_the_value() {
        let s = Secret::new("topsecretvalue");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(s.expose(), "topsecretvalue");
    }

    #[test]
    fn urls_are_redacted() {
        assert_eq!(
            redact_url("https://h/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=abc"),
            "https://h/cgi-bin/token?grant_type=client_credential&appid=wx1&secret=***"
        );
        assert_eq!(
            redact_url(
                "error sending request for url (http://h/x?access_token=80_AbC-d&type=image)"
            ),
            "error sending request for url (http://h/x?access_token=***&type=image)"
        );
        assert_eq!(
            redact_url("http://u:pw@proxy:8080/"),
            "http://u:***@proxy:8080/"
        );
        assert_eq!(redact_url("clientsecret=keep"), "clientsecret=keep");
    }

    #[test]
    fn known_values_and_json_fields_are_scrubbed() {
        let _s = Secret::new("K9pL2mQ7-known");
        let text = r#"body {"access_token":"zzz\"q","expires_in":7200} and K9pL2mQ7-known"#;
        assert_eq!(
            scrub(text),
            r#"body {"access_token":"***","expires_in":7200} and ***"#
        );
        assert_eq!(scrub("中文 secret=值 ok"), "中文 secret=*** ok");
    }
}
