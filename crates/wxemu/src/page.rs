//! The draft box as a page (`GET /`): what a rehearsal created, shown as the account's owner
//! would see it in mp.weixin.qq.com's 草稿箱, newest first. Each article's stored content sits
//! in a sandboxed frame, so nothing in it runs or reaches the page.

use crate::state::StoredDraft;

/// The page for `drafts`, newest first.
pub fn draft_box(drafts: &[StoredDraft]) -> String {
    let mut drafts: Vec<&StoredDraft> = drafts.iter().collect();
    drafts.sort_by_key(|d| std::cmp::Reverse((d.update_time, d.update_seq)));
    let mut o = String::from(
        "<!doctype html><html lang=\"zh\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>wxemu · 草稿箱</title><style>\
         body{font-family:system-ui,sans-serif;margin:0 auto;max-width:720px;padding:16px;color:#222}\
         h1{font-size:20px}.draft{border:1px solid #ddd;border-radius:8px;margin:16px 0;padding:12px}\
         .meta{color:#666;font-size:13px;overflow-wrap:anywhere}\
         details{margin-top:8px}iframe{width:100%;height:70vh;border:1px solid #eee}\
         </style></head><body><h1>草稿箱 (wxemu)</h1>",
    );
    if drafts.is_empty() {
        o.push_str("<p>The draft box is empty.</p>");
    }
    o.push_str(&format!(
        "<p class=\"meta\">{} draft{}; JSON at <a href=\"/__emu/drafts\">/__emu/drafts</a></p>",
        drafts.len(),
        if drafts.len() == 1 { "" } else { "s" }
    ));
    for d in drafts {
        o.push_str(&format!(
            "<section class=\"draft\"><div class=\"meta\">media_id {} · updated {}</div>",
            escape(&d.media_id),
            d.update_time
        ));
        for (i, a) in d.articles.iter().enumerate() {
            let field = |k: &str| a.get(k).and_then(|v| v.as_str()).unwrap_or("");
            o.push_str(&format!(
                "<h2>#{i} {}</h2><div class=\"meta\">{} · {}</div>\
                 <details><summary>content</summary>\
                 <iframe sandbox title=\"article {i}\" srcdoc=\"{}\"></iframe></details>",
                escape(field("title")),
                escape(field("author")),
                escape(field("digest")),
                escape(field("content")),
            ));
        }
        o.push_str("</section>");
    }
    o.push_str("</body></html>");
    o
}

/// Text for an HTML text node or a double-quoted attribute.
fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn content_is_framed_and_escaped() {
        let d = StoredDraft {
            media_id: "m1".into(),
            articles: vec![json!({"title": "<b>T</b>", "content": "<p onclick=\"x\">hi</p>"})],
            create_time: 1,
            update_time: 2,
            update_seq: 0,
        };
        let page = draft_box(&[d]);
        assert!(page.contains("#0 &lt;b&gt;T&lt;/b&gt;"), "{page}");
        assert!(page.contains("srcdoc=\"&lt;p onclick=&quot;x&quot;&gt;hi&lt;/p&gt;\""));
        assert!(!page.contains("<p onclick"));
    }
}
