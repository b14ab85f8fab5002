//! HTML text helpers: escaping and entity decoding. The writer, the preview page and the sync
//! step that swaps in uploaded image URLs share them; pure functions over strings that parse
//! no more than wxsync's own output needs.

/// Escapes text for an element's content.
pub fn escape_text(s: &str, out: &mut String) {
    escape(s, out, false);
}

/// Escapes text for a double-quoted attribute value.
pub fn escape_attr(s: &str, out: &mut String) {
    escape(s, out, true);
}

fn escape(s: &str, out: &mut String, quote: bool) {
    let mut last = 0;
    for (i, b) in s.bytes().enumerate() {
        let rep = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' if quote => "&quot;",
            _ => continue,
        };
        out.push_str(&s[last..i]);
        out.push_str(rep);
        last = i + 1;
    }
    out.push_str(&s[last..]);
}

/// Decodes the entities wxsync itself writes.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    // `&amp;` last, so an escaped `&amp;lt;` stays `&lt;`.
    s.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// The text of an HTML fragment: tags removed, wxsync's own entities decoded.
pub fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    decode_entities(&out)
}

/// True when `html` is nothing but comments and whitespace (and so shows nothing).
pub fn is_only_comments(html: &str) -> bool {
    let mut rest = html.trim();
    while let Some(r) = rest.strip_prefix("<!--") {
        match r.find("-->") {
            Some(end) => rest = r[end + 3..].trim_start(),
            None => return false,
        }
    }
    rest.is_empty()
}

/// CJK ideographs, kana, hangul and their punctuation: scripts written without spaces.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x2FDF | 0x3000..=0x303F | 0x3040..=0x30FF | 0x3100..=0x31BF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFFEF
        | 0x20000..=0x2FA1F)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        let mut t = String::new();
        escape_text("a<b>&\"c\"", &mut t);
        assert_eq!(t, "a&lt;b&gt;&amp;\"c\"");
        let mut a = String::new();
        escape_attr("a<b>&\"c\"", &mut a);
        assert_eq!(a, "a&lt;b&gt;&amp;&quot;c&quot;");
    }

    #[test]
    fn decoding_and_stripping() {
        assert_eq!(decode_entities("&amp;lt;&nbsp;&quot;"), "&lt; \"");
        assert_eq!(strip_tags("<b>a&amp;b</b> <i>c</i>"), "a&b c");
        assert!(is_only_comments(" <!-- a --> <!--b-->"));
        assert!(!is_only_comments("<!-- a --> x"));
        assert!(!is_only_comments("<!-- open"));
        assert!(is_cjk('中') && is_cjk('，') && !is_cjk('a'));
    }
}
