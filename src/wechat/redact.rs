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
    let mut out = mask_json_fields(&redact_url(text));
    let known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
    for k in known.iter() {
        if out.contains(&**k) {
            out = out.replace(&**k, MASK);
        }
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
