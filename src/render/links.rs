//! Links: which links WeChat keeps, and the numbered references that replace the others.
//!
//! A WeChat article may only link to `mp.weixin.qq.com`; any other `<a>` is dropped by the
//! editor. So other links become their text plus a number, and the URLs are listed at the end
//! (`links: footnotes`), written after the text (`inline`), or dropped (`strip`). References
//! are numbered `[1]`…`[n]` on their own; GFM footnotes have their own numbers and marks.

/// How one link is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkKind {
    /// Kept as `<a href>`: a WeChat article link.
    Keep(String),
    /// An external URL, turned into a reference (or inline text) per `links:`.
    External(String),
    /// The link text shows the URL itself (autolinks): nothing to add.
    SelfDescribing,
    /// In-page anchors and relative paths mean nothing inside WeChat: text only.
    Drop,
}

/// Decides what a link with `dest` becomes. `autolink` is true for `<https://…>` and bare URLs.
pub fn classify(dest: &str, autolink: bool) -> LinkKind {
    let d = dest.trim();
    let lower = d.to_ascii_lowercase();
    let is_web = lower.starts_with("http://") || lower.starts_with("https://");
    if is_web && is_wechat_article(&lower) {
        return LinkKind::Keep(d.to_string());
    }
    if autolink {
        return LinkKind::SelfDescribing;
    }
    if is_web || lower.starts_with("mailto:") {
        LinkKind::External(d.to_string())
    } else {
        LinkKind::Drop
    }
}

/// True for `http(s)://mp.weixin.qq.com/…` (lower-cased input).
pub fn is_wechat_article(lower: &str) -> bool {
    let rest = lower.split_once("://").map_or(lower, |(_, r)| r);
    // Browsers read `\` as `/`, so it ends the host too.
    let host = rest.split(['/', '\\', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = host.split(':').next().unwrap_or(host);
    host == "mp.weixin.qq.com"
}

/// One entry of the numbered notes at the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub number: usize,
    /// The link text at its first use.
    pub title: String,
    pub url: String,
}

/// Numbers references in order of first use, one number per distinct URL.
#[derive(Debug, Default)]
pub struct References {
    pub list: Vec<Reference>,
    /// Each URL's place in `list`: a search of the list per link was quadratic.
    index: std::collections::HashMap<String, usize>,
}

impl References {
    /// The number for `url`, registering it with `title` on first use. `next` is the last
    /// number given.
    pub fn number(&mut self, url: &str, title: &str, next: &mut usize) -> usize {
        if let Some(&i) = self.index.get(url) {
            return self.list[i].number;
        }
        *next += 1;
        self.index.insert(url.to_string(), self.list.len());
        self.list.push(Reference {
            number: *next,
            title: title.trim().to_string(),
            url: url.to_string(),
        });
        *next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        assert_eq!(
            classify("https://mp.weixin.qq.com/s/abc", false),
            LinkKind::Keep("https://mp.weixin.qq.com/s/abc".into())
        );
        assert_eq!(
            classify("https://mp.weixin.qq.com.evil.com/s", false),
            LinkKind::External("https://mp.weixin.qq.com.evil.com/s".into())
        );
        assert_eq!(
            classify("https://x.com@mp.weixin.qq.com/s", false),
            LinkKind::Keep("https://x.com@mp.weixin.qq.com/s".into())
        );
        assert_eq!(
            classify("https://rust-lang.org", true),
            LinkKind::SelfDescribing
        );
        assert!(!is_wechat_article(
            "https://evil.example\\@mp.weixin.qq.com/s"
        ));
        assert_eq!(classify("#intro", false), LinkKind::Drop);
        assert_eq!(classify("../other.md", false), LinkKind::Drop);
        assert_eq!(classify("javascript:alert(1)", false), LinkKind::Drop);
    }

    #[test]
    fn dedup() {
        let mut r = References::default();
        let mut n = 0;
        assert_eq!(r.number("https://a", "A", &mut n), 1);
        assert_eq!(r.number("https://b", "B", &mut n), 2);
        assert_eq!(r.number("https://a", "again", &mut n), 1);
        assert_eq!(r.list[0].title, "A");
    }
}
