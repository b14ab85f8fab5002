//! Positions of keys inside block-style YAML text, for diagnostics.
//!
//! The YAML parser gives positions for syntax and type errors, but the key checks (unknown,
//! misspelt, secret) run on the parsed tree, which has none. This scanner finds where a key
//! path such as `defaults.cover` is written, so those errors can point at `file:line:column`
//! too. It understands the block style people write by hand; a key it cannot place (flow
//! style) makes the caller fall back to the start of the block.

/// Byte offset of the key at `path` (outermost first) in `text`.
pub fn key_offset(text: &str, path: &[&str]) -> Option<usize> {
    let mut found = None;
    walk(text, |stack, at| {
        let hit = stack.len() == path.len() && stack.iter().zip(path).all(|((_, k), p)| k == p);
        if hit {
            found = Some(at);
        }
        hit
    });
    found
}

/// The offset of every top-level key of `text` (its first occurrence), in one scan: what
/// pointing at many keys needs, where [`key_offset`] per key would scan the text each time.
pub fn top_level_keys(text: &str) -> std::collections::HashMap<String, usize> {
    let mut keys = std::collections::HashMap::new();
    walk(text, |stack, at| {
        if let [(_, key)] = stack {
            keys.entry(key.clone()).or_insert(at);
        }
        false
    });
    keys
}

/// Byte offset of the second time a key path ending in `key` is written in `text`: where a
/// duplicate key is (the parser points at the start of its mapping instead).
pub fn duplicate_key_offset(text: &str, key: &str) -> Option<usize> {
    let mut seen = std::collections::HashSet::new();
    let mut found = None;
    walk(text, |stack, at| {
        if stack.last().is_none_or(|(_, k)| k != key) {
            return false;
        }
        let path: Vec<String> = stack.iter().map(|(_, k)| k.clone()).collect();
        if seen.insert(path) {
            return false;
        }
        found = Some(at);
        true
    });
    found
}

/// Calls `f` with the path of each key line (indent and key, outermost first) and the key's
/// offset, until `f` returns true.
fn walk(text: &str, mut f: impl FnMut(&[(usize, String)], usize) -> bool) {
    let mut stack: Vec<(usize, String)> = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let line_start = offset;
        offset += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        let indent = body.len() - body.trim_start_matches(' ').len();
        let rest = &body[indent..];
        if rest.is_empty() || rest.starts_with('#') || rest.starts_with('-') {
            continue;
        }
        let Some(key) = key_of(rest) else { continue };
        while stack.last().is_some_and(|(i, _)| *i >= indent) {
            stack.pop();
        }
        stack.push((indent, key));
        if f(&stack, line_start + indent) {
            return;
        }
    }
}

/// The key of a `key: value` line, unquoted.
fn key_of(rest: &str) -> Option<String> {
    let (raw, _) = if let Some(q) = rest.strip_prefix('"') {
        let end = q.find('"')?;
        return q[end + 1..]
            .trim_start()
            .starts_with(':')
            .then(|| q[..end].to_string());
    } else if let Some(q) = rest.strip_prefix('\'') {
        let end = q.find('\'')?;
        return q[end + 1..]
            .trim_start()
            .starts_with(':')
            .then(|| q[..end].to_string());
    } else {
        let colon = rest.char_indices().find(|&(i, c)| {
            c == ':'
                && rest[i + 1..]
                    .chars()
                    .next()
                    .is_none_or(|n| n == ' ' || n == '\t')
        })?;
        rest.split_at(colon.0)
    };
    Some(raw.trim_end().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_keys() {
        let y = "appid: x\ndefaults:\n  author: a\n  cover: c.jpg\napi:\n  token: stable\n";
        assert_eq!(key_offset(y, &["appid"]), Some(0));
        assert_eq!(
            key_offset(y, &["defaults", "cover"]),
            Some(y.find("cover").unwrap())
        );
        assert_eq!(
            key_offset(y, &["api", "token"]),
            Some(y.find("token").unwrap())
        );
        assert_eq!(key_offset(y, &["api", "cover"]), None);
        assert_eq!(key_offset("'a b': 1\n", &["a b"]), Some(0));
        assert_eq!(key_offset("url: http://x\n", &["url"]), Some(0));
        let keys = top_level_keys(y);
        assert_eq!(keys.get("api"), Some(&y.find("api").unwrap()));
        assert_eq!(keys.get("cover"), None);
        assert_eq!(keys.len(), 3);
    }
}

#[cfg(test)]
mod duplicate_tests {
    use super::duplicate_key_offset;

    #[test]
    fn the_second_occurrence_of_the_same_path() {
        let text = "theme: a\ndefaults:\n  theme: b\ncode: c\ntheme: d\n";
        assert_eq!(duplicate_key_offset(text, "theme"), text.rfind("theme"));
        let nested = "defaults:\n  author: a\n  author: b\n";
        assert_eq!(
            duplicate_key_offset(nested, "author"),
            nested.rfind("author")
        );
        assert_eq!(duplicate_key_offset("a: 1\nb: 2\n", "a"), None);
    }
}
