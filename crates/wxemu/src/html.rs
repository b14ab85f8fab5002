//! The content rewriting WeChat applies to a stored article, as observed on the real server:
//! scripts removed, images not hosted by WeChat dropped, `src` renamed to `data-src`, links
//! other than to WeChat articles reduced to their text, `<br>` respelled. Also the visible-text
//! helpers used for length limits and the automatic digest.

/// Rewrites `html` the way the draft box stores it. Dropped images are reported in `warnings`.
pub fn rewrite(html: &str, strip_links: bool, warnings: &mut Vec<String>) -> String {
    let html = remove_scripts(html);
    let mut out = String::with_capacity(html.len());
    // For each open <a>: whether its tag was kept, so the matching </a> is treated alike.
    let mut anchors: Vec<bool> = Vec::new();
    for token in tokens(&html) {
        match token {
            Token::Text(t) => out.push_str(t),
            Token::Tag { raw, name, closing } => match (name.as_str(), closing) {
                ("img", false) => {
                    let src = attr(raw, "src").unwrap_or_default();
                    if is_wechat_image(&src) {
                        out.push_str(&img_with_data_src(raw));
                    } else {
                        warnings.push(format!("dropped image not hosted by WeChat: {src}"));
                    }
                }
                ("a", false) => {
                    let keep = !strip_links
                        || attr(raw, "href").is_some_and(|h| host_of(&h) == "mp.weixin.qq.com");
                    anchors.push(keep);
                    if keep {
                        out.push_str(raw);
                    }
                }
                ("a", true) => {
                    if anchors.pop().unwrap_or(true) {
                        out.push_str(raw);
                    }
                }
                ("br", _) => out.push_str("<br  />"),
                _ => out.push_str(raw),
            },
        }
    }
    out
}

/// The text a reader sees: tags removed, common entities decoded, whitespace collapsed.
pub fn visible_text(html: &str) -> String {
    let html = remove_scripts(html);
    let mut text = String::new();
    for token in tokens(&html) {
        match token {
            Token::Text(t) => text.push_str(&decode_entities(t)),
            Token::Tag { .. } => text.push(' '),
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

enum Token<'a> {
    Text(&'a str),
    Tag {
        raw: &'a str,
        name: String,
        closing: bool,
    },
}

/// Splits HTML into text and tags. Quotes inside tags are honoured, comments stay text.
fn tokens(html: &str) -> Vec<Token<'_>> {
    let bytes = html.as_bytes();
    let mut out = Vec::new();
    let mut text_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'<' {
            i += 1;
            continue;
        }
        let rest = &html[i..];
        let closing = rest.starts_with("</");
        let name_start = if closing { 2 } else { 1 };
        let name: String = rest[name_start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if name.is_empty() {
            i += 1;
            continue;
        }
        let Some(end) = tag_end(rest) else { break };
        if text_start < i {
            out.push(Token::Text(&html[text_start..i]));
        }
        out.push(Token::Tag {
            raw: &rest[..end],
            name,
            closing,
        });
        i += end;
        text_start = i;
    }
    if text_start < html.len() {
        out.push(Token::Text(&html[text_start..]));
    }
    out
}

/// Length of the tag at the start of `s`, through its `>`.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '>' => return Some(i + 1),
            None => {}
        }
    }
    None
}

/// The value of attribute `name` in a raw tag.
fn attr(tag: &str, name: &str) -> Option<String> {
    let (start, len) = find_attr(tag, name)?;
    let rest = &tag[start + len..];
    let rest = rest.trim_start().strip_prefix('=')?.trim_start();
    let value = match rest.chars().next()? {
        q @ ('"' | '\'') => rest[1..].split(q).next().unwrap_or(""),
        _ => rest
            .split(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .next()
            .unwrap_or(""),
    };
    Some(decode_entities(value))
}

/// Where attribute `name` starts in a raw tag (outside quoted values), and its length.
fn find_attr(tag: &str, name: &str) -> Option<(usize, usize)> {
    let lower = tag.to_ascii_lowercase();
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    for (i, c) in lower.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if prev.is_whitespace() && lower[i..].starts_with(name) => {
                let after = lower[i + name.len()..].trim_start();
                if after.starts_with('=') {
                    return Some((i, name.len()));
                }
            }
            None => {}
        }
        prev = c;
    }
    None
}

fn img_with_data_src(tag: &str) -> String {
    let mut out = match find_attr(tag, "src") {
        Some((start, len)) => format!("{}data-src{}", &tag[..start], &tag[start + len..]),
        None => tag.to_string(),
    };
    // The server writes void elements without the XHTML slash.
    if out.ends_with("/>") {
        out.truncate(out.len() - 2);
        let trimmed = out.trim_end().len();
        out.truncate(trimmed);
        out.push('>');
    }
    out
}

fn is_wechat_image(src: &str) -> bool {
    let host = host_of(src);
    host == "mmbiz.qpic.cn" || host == "mmbiz.qlogo.cn"
}

/// The lowercase host of an absolute http(s) URL, or "" for anything else.
pub fn host_of(url: &str) -> String {
    let lower = url.trim().to_ascii_lowercase();
    let Some(rest) = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
    else {
        return String::new();
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    if let Some(v6) = host_port.strip_prefix('[') {
        return v6.split(']').next().unwrap_or("").to_string();
    }
    host_port.split(':').next().unwrap_or("").to_string()
}

fn remove_scripts(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let lower = html.to_ascii_lowercase();
    let mut i = 0;
    while let Some(pos) = lower[i..].find("<script") {
        let start = i + pos;
        out.push_str(&html[i..start]);
        match lower[start..].find("</script") {
            Some(end) => {
                let close = start + end;
                i = lower[close..]
                    .find('>')
                    .map_or(html.len(), |g| close + g + 1);
            }
            None => {
                i = html.len();
            }
        }
    }
    out.push_str(&html[i.min(html.len())..]);
    out
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    s.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_like_the_draft_box() {
        let mut w = Vec::new();
        let html = concat!(
            "<p>a<script>alert(1)</script>b</p>",
            "<img src=\"http://mmbiz.qpic.cn/x/0\" style=\"width:1px\" />",
            "<img src='https://example.com/e.png'>",
            "<a href=\"https://example.com\">ext</a>",
            "<a href=\"https://mp.weixin.qq.com/s/abc\">wx</a><br>"
        );
        let out = rewrite(html, true, &mut w);
        assert_eq!(
            out,
            concat!(
                "<p>ab</p>",
                "<img data-src=\"http://mmbiz.qpic.cn/x/0\" style=\"width:1px\">",
                "ext",
                "<a href=\"https://mp.weixin.qq.com/s/abc\">wx</a><br  />"
            )
        );
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("example.com/e.png"));
    }

    #[test]
    fn visible_text_and_hosts() {
        assert_eq!(
            visible_text("<p>Hello&nbsp;<b>世界</b></p>\n<p>x</p>"),
            "Hello 世界 x"
        );
        assert_eq!(host_of("http://LocalHost:8080/a"), "localhost");
        assert_eq!(host_of("https://[::1]/a"), "::1");
        assert_eq!(host_of("ftp://x"), "");
    }
}
