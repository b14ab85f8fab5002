//! The checks a payload must pass before anything is sent (DESIGN §2): WeChat's field limits,
//! measured the way WeChat counts them (characters, not bytes), each failure naming the limit.

use crate::render::payload::Payload;
use crate::site::config::TITLE_MOST;

pub const AUTHOR_MAX: usize = 16;
pub use crate::site::config::DIGEST_MAX;
pub const DIGEST_WARN: usize = 120;
pub const TEXT_MAX: usize = 20_000;
pub const HTML_MAX: usize = 1_000_000;
pub const HTML_WARN: usize = HTML_MAX * 9 / 10;
pub const SOURCE_URL_MAX: usize = 1024;
pub const NEWSPIC_MAX_IMAGES: usize = 20;

/// A finding about a field: which front matter key it concerns (to point at), and the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub error: bool,
    pub key: Option<&'static str>,
    pub message: String,
}

fn err(key: Option<&'static str>, message: String) -> Finding {
    Finding {
        error: true,
        key,
        message,
    }
}

fn warn(key: Option<&'static str>, message: String) -> Finding {
    Finding {
        error: false,
        key,
        message,
    }
}

/// The first control character in a field, if any: WeChat shows them as boxes or refuses the
/// field, and NUL truncates it in some clients. A digest may hold line breaks.
fn control_in(text: &str, breaks_ok: bool) -> Option<char> {
    text.chars()
        .find(|&c| c.is_control() && !(breaks_ok && matches!(c, '\n' | '\r' | '\t')))
}

/// Removes control characters from content (all but tab, line feed and carriage return,
/// which are white space): returns how many were removed.
pub fn strip_controls(content: &mut String) -> usize {
    let bad = |c: char| c.is_control() && !matches!(c, '\n' | '\r' | '\t');
    let n = content.chars().filter(|&c| bad(c)).count();
    if n > 0 {
        content.retain(|c| !bad(c));
    }
    n
}

/// Checks the limits on one payload.
/// `title_max` is `limits.title`.
pub fn check(p: &Payload, text_chars: usize, title_max: usize) -> Vec<Finding> {
    let mut f = Vec::new();
    for (key, value, breaks_ok) in [
        ("title", Some(&p.title), false),
        ("author", p.author.as_ref(), false),
        ("digest", p.digest.as_ref(), true),
        ("content_source_url", p.content_source_url.as_ref(), false),
    ] {
        if let Some(c) = value.and_then(|v| control_in(v, breaks_ok)) {
            f.push(err(
                Some(key),
                format!(
                    "the {key} contains a control character (U+{:04X}); remove it",
                    c as u32
                ),
            ));
        }
    }
    let title = p.title.chars().count();
    // An empty title is reported by the renderer, which knows about the H1 fallback.
    if title > title_max {
        let raise = if title_max < TITLE_MOST && title <= TITLE_MOST {
            format!(
                "; shorten it, or raise `limits.title` in wxsync.yaml (at most {TITLE_MOST}) \
                 if this account accepts longer titles"
            )
        } else {
            "; shorten it".to_string()
        };
        f.push(err(
            Some("title"),
            format!("the title is {title} characters; the limit is {title_max}{raise}"),
        ));
    }
    if let Some(a) = &p.author {
        let n = a.chars().count();
        if n > AUTHOR_MAX {
            f.push(err(
                Some("author"),
                format!("the author is {n} characters; the limit is {AUTHOR_MAX}"),
            ));
        }
    }
    if let Some(d) = &p.digest {
        let n = d.chars().count();
        if n > DIGEST_MAX {
            f.push(err(
                Some("digest"),
                format!("the digest is {n} characters; the limit is {DIGEST_MAX}"),
            ));
        } else if n > DIGEST_WARN {
            f.push(warn(
                Some("digest"),
                format!("the digest is {n} characters; older WeChat limits were {DIGEST_WARN}"),
            ));
        }
    }
    if text_chars >= TEXT_MAX {
        f.push(err(
            None,
            format!("the article has {text_chars} characters of text; WeChat takes fewer than {TEXT_MAX}"),
        ));
    }
    let bytes = p.content.len();
    if bytes >= HTML_MAX {
        f.push(err(
            None,
            format!("the HTML is {bytes} bytes; WeChat takes less than {HTML_MAX}"),
        ));
    } else if bytes >= HTML_WARN {
        f.push(warn(
            None,
            format!("the HTML is {bytes} bytes, over 90% of WeChat's {HTML_MAX}"),
        ));
    }
    if let Some(u) = &p.content_source_url
        && let Err(why) = check_source_url(u)
    {
        f.push(err(Some("content_source_url"), why));
    }
    for (key, v) in [
        ("pic_crop_235_1", &p.pic_crop_235_1),
        ("pic_crop_1_1", &p.pic_crop_1_1),
    ] {
        if let Some(v) = v
            && let Err(why) = check_crop(v)
        {
            f.push(err(Some(key), format!("`{key}` {why}")));
        }
    }
    if let Some(ci) = &p.cover_info {
        for c in &ci.crop_percent_list {
            if !matches!(c.ratio.as_str(), "1_1" | "16_9" | "2.35_1") {
                f.push(err(
                    Some("cover_info"),
                    format!("cover_info ratio `{}` must be 1_1, 16_9 or 2.35_1", c.ratio),
                ));
            }
            if let Err(why) = check_crop(&format!("{}_{}_{}_{}", c.x1, c.y1, c.x2, c.y2)) {
                f.push(err(Some("cover_info"), format!("cover_info crop {why}")));
            }
        }
    }
    f
}

/// `content_source_url`: an absolute, public http(s) URL of at most 1 KB.
pub fn check_source_url(u: &str) -> Result<(), String> {
    if u.len() > SOURCE_URL_MAX {
        return Err(format!(
            "content_source_url is {} bytes; the limit is {SOURCE_URL_MAX}",
            u.len()
        ));
    }
    let lower = u.to_ascii_lowercase();
    let Some(rest) = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
    else {
        return Err(format!(
            "content_source_url `{u}` must be an absolute http(s) URL"
        ));
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = if host.starts_with('[') {
        host.split(']')
            .next()
            .unwrap_or(host)
            .trim_start_matches('[')
    } else {
        host.split(':').next().unwrap_or(host)
    };
    if host.is_empty() || u.chars().any(char::is_whitespace) {
        return Err(format!("content_source_url `{u}` is not a valid URL"));
    }
    let private = host == "localhost"
        || host.ends_with(".localhost")
        || host.ends_with(".local")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| match ip {
            std::net::IpAddr::V4(v4) => {
                v4.is_loopback() || v4.is_private() || v4.is_link_local() || v4.is_unspecified()
            }
            std::net::IpAddr::V6(v6) => v6.is_loopback() || v6.is_unspecified(),
        })
        || !host.contains('.') && host.parse::<std::net::IpAddr>().is_err();
    if private {
        return Err(format!(
            "content_source_url `{u}` points at a private host; WeChat refuses it (41039)"
        ));
    }
    Ok(())
}

/// A crop `X1_Y1_X2_Y2`: four numbers in [0,1] with ≤ 6 decimals, X1<X2 and Y1<Y2.
pub fn check_crop(v: &str) -> Result<(), String> {
    let parts: Vec<&str> = v.split('_').collect();
    if parts.len() != 4 {
        return Err(format!(
            "`{v}` must be X1_Y1_X2_Y2 (four numbers joined by `_`)"
        ));
    }
    let mut n = [0f64; 4];
    for (i, p) in parts.iter().enumerate() {
        let decimals = p.split_once('.').map_or(0, |(_, d)| d.len());
        let x: f64 = p
            .parse()
            .map_err(|_| format!("`{v}`: `{p}` is not a number"))?;
        if !(0.0..=1.0).contains(&x) {
            return Err(format!("`{v}`: {p} is outside [0, 1]"));
        }
        if decimals > 6 {
            return Err(format!("`{v}`: {p} has more than 6 decimals"));
        }
        n[i] = x;
    }
    if n[0] >= n[2] || n[1] >= n[3] {
        return Err(format!(
            "`{v}`: X1 must be less than X2 and Y1 less than Y2"
        ));
    }
    Ok(())
}

/// Characters of visible text in HTML: tags removed, an entity counted as one character.
pub fn visible_chars(html: &str) -> usize {
    let mut n = 0;
    let mut in_tag = false;
    let mut in_entity = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if in_tag => {}
            '&' => {
                in_entity = true;
                n += 1;
            }
            ';' if in_entity => in_entity = false,
            c if in_entity && (c.is_ascii_alphanumeric() || c == '#') => {}
            _ => {
                in_entity = false;
                n += 1;
            }
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crops() {
        assert!(check_crop("0.1945_0_1_0.5236").is_ok());
        assert!(check_crop("0_0_1").is_err());
        assert!(check_crop("0.5_0_0.4_1").is_err());
        assert!(check_crop("0_0_1.5_1").is_err());
        assert!(check_crop("0.1234567_0_1_1").is_err());
    }

    #[test]
    fn source_urls() {
        assert!(check_source_url("https://example.com/post").is_ok());
        assert!(check_source_url("http://localhost:8080/x").is_err());
        assert!(check_source_url("http://127.0.0.1/x").is_err());
        assert!(check_source_url("http://192.168.1.2/x").is_err());
        assert!(check_source_url("ftp://example.com").is_err());
        assert!(check_source_url("/relative").is_err());
        assert!(check_source_url(&format!("https://e.com/{}", "a".repeat(1100))).is_err());
    }

    #[test]
    fn counts_visible_text() {
        assert_eq!(visible_chars("<p style=\"x\">a&nbsp;b</p>中文"), 5);
        assert_eq!(visible_chars("a & b"), 5);
    }
}
