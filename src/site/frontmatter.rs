//! Front matter: the YAML block at the top of an article, split from the body and parsed into
//! [`FrontMatter`] with the rules of DESIGN §1.3 (API names, `description` → `digest`, ignored
//! keys collected for one warning, near-miss keys refused, positions at `file:line:column`),
//! within caps on its size that keep parsing it cheap.

use std::cell::Cell;
use std::sync::Arc;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Visitor};
use serde_yaml::Value;

use crate::diag::{Diagnostic, closest};
use crate::site::config::{DIGEST_MAX, Flag, SECRET_KEYS, find_secrets, typed_lenient, yaml_error};
use crate::site::yamlpos::top_level_keys;
pub use crate::wechat::ArticleType;

/// The largest front matter wxsync parses, in bytes. Real ones are well under 1 KB; the YAML is
/// parsed twice and every key checked, so the cap bounds that work.
pub const MAX_BYTES: usize = 64 * 1024;
/// The most keys a front matter may have, counting those of nested mappings.
pub const MAX_KEYS: usize = 1_000;
/// The most values it may expand to. A YAML alias (`*a`) repeats the whole value it names, so
/// a few lines can stand for millions of values; each use counts.
pub const MAX_VALUES: usize = 10_000;

/// A number written as a YAML number or a string (the API sends crops as strings).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coord(pub f64);

impl<'de> Deserialize<'de> for Coord {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Num(f64),
            Str(String),
        }
        match Repr::deserialize(d).map_err(|_| serde::de::Error::custom("expected a number"))? {
            Repr::Num(n) => Ok(Coord(n)),
            Repr::Str(s) => {
                s.trim().parse().map(Coord).map_err(|_| {
                    serde::de::Error::custom(format!("expected a number, found `{s}`"))
                })
            }
        }
    }
}

/// One entry of `cover_info.crop_percent_list`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Crop {
    pub ratio: String,
    pub x1: Coord,
    pub y1: Coord,
    pub x2: Coord,
    pub y2: Coord,
}

/// `cover_info` for `newspic` articles.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverInfo {
    pub crop_percent_list: Vec<Crop>,
}

/// The typed front matter of one article.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FrontMatter {
    pub title: Option<String>,
    pub author: Option<String>,
    pub digest: Option<String>,
    /// Taken as `digest` when `digest` is absent (a Hexo/Hugo habit).
    pub description: Option<String>,
    pub content_source_url: Option<String>,
    /// Relative to the article's own file.
    pub cover: Option<String>,
    pub thumb_media_id: Option<String>,
    pub need_open_comment: Option<Flag>,
    pub only_fans_can_comment: Option<Flag>,
    pub pic_crop_235_1: Option<String>,
    pub pic_crop_1_1: Option<String>,
    pub article_type: ArticleType,
    pub images: Vec<String>,
    pub cover_info: Option<CoverInfo>,
    pub product_key: Option<String>,
    pub sync: Option<bool>,
    /// The accounts it goes to (names from `accounts:` in `wxsync.yaml`); read by
    /// [`crate::site::accounts`], never part of the payload.
    pub accounts: Option<AccountList>,
}

/// `accounts: brand2` or `accounts: [main, brand2]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountList(pub Vec<String>);

impl<'de> Deserialize<'de> for AccountList {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            One(String),
            Many(Vec<String>),
        }
        match Repr::deserialize(d).map_err(|_| {
            serde::de::Error::custom("expected an account name or a list of account names")
        })? {
            Repr::One(s) => Ok(AccountList(vec![s])),
            Repr::Many(v) => Ok(AccountList(v)),
        }
    }
}

pub const KNOWN_KEYS: &[&str] = &[
    "title",
    "author",
    "digest",
    "description",
    "content_source_url",
    "cover",
    "thumb_media_id",
    "need_open_comment",
    "only_fans_can_comment",
    "pic_crop_235_1",
    "pic_crop_1_1",
    "article_type",
    "images",
    "cover_info",
    "product_key",
    "sync",
    "accounts",
];

/// Near misses that mean something else than the key they are spelt like (Hugo's `image` is
/// a cover, not `images`).
const RENAMED: &[(&str, &str)] = &[("image", "cover")];

/// An article's text split into front matter and body.
#[derive(Debug, Clone)]
pub struct Split<'a> {
    /// The YAML between the fences, if there is a front matter block.
    pub yaml: Option<&'a str>,
    /// Byte offset of the YAML inside the text.
    pub yaml_offset: usize,
    /// The Markdown body.
    pub body: &'a str,
    /// Byte offset of the body inside the text.
    pub body_offset: usize,
}

/// Splits `---` fenced front matter from the body. An opening fence with no closing one is
/// an error, since the whole article would otherwise be swallowed.
pub fn split<'a>(text: &'a str, file: &str, src: &Arc<str>) -> Result<Split<'a>, Diagnostic> {
    let first_end = text.find('\n').map_or(text.len(), |i| i + 1);
    if text[..first_end].trim_end() != "---" {
        return Ok(Split {
            yaml: None,
            yaml_offset: 0,
            body: text,
            body_offset: 0,
        });
    }
    let mut offset = first_end;
    for line in text[first_end..].split_inclusive('\n') {
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed == "..." {
            let body_offset = offset + line.len();
            return Ok(Split {
                yaml: Some(&text[first_end..offset]),
                yaml_offset: first_end,
                body: &text[body_offset..],
                body_offset,
            });
        }
        offset += line.len();
    }
    Err(
        Diagnostic::error(file, "front matter opened with `---` is never closed")
            .at(src, 0, 3)
            .with_help("end the front matter with a line holding only `---`"),
    )
}

/// What parsing front matter produced.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub front: FrontMatter,
    /// Keys wxsync does not use (`date`, `tags`, …), reported once per run.
    pub ignored_keys: Vec<String>,
    /// What is wrong with keys and values (misspelt keys, values of the wrong type): the
    /// article is still rendered without them, so its other errors show in the same run.
    pub errors: Vec<Diagnostic>,
    /// What was adapted and should be known (a `description` cut to the digest's limit).
    pub warnings: Vec<Diagnostic>,
    /// The keys whose value is not known because of those errors (misspelt as, or of the wrong
    /// type): checks that a value is missing skip them, they would only repeat the error.
    pub doubtful: Vec<&'static str>,
}

/// A `description` (another tool's summary, a blog's) as the digest: one longer than WeChat's
/// digest limit is cut to it, with a warning, rather than refused; a `digest` of that length
/// is the writer's own words and stays an error.
fn description_as_digest(
    description: String,
    yaml: &str,
    base: usize,
    file: &str,
    src: &Arc<str>,
    warnings: &mut Vec<Diagnostic>,
) -> String {
    let n = description.chars().count();
    if n <= DIGEST_MAX {
        return description;
    }
    let o = base + crate::site::yamlpos::key_offset(yaml, &["description"]).unwrap_or(0);
    warnings.push(
        Diagnostic::warning(
            file,
            format!(
                "`description` is {n} characters; used as the digest, it was cut to WeChat's \
                 {DIGEST_MAX}"
            ),
        )
        .at(src, o, o + "description".len())
        .with_help(format!(
            "set `digest:` to the summary readers should see (at most {DIGEST_MAX} characters)"
        )),
    );
    let mut cut: String = description.chars().take(DIGEST_MAX - 1).collect();
    cut.push('…');
    cut
}

/// Parses the YAML of a front matter block. `src` is the whole article text and `base` the
/// offset of the YAML inside it, so positions are relative to the file.
pub fn parse(
    yaml: &str,
    base: usize,
    file: &str,
    src: &Arc<str>,
) -> Result<Parsed, Vec<Diagnostic>> {
    if let Err(over) = check_size(yaml) {
        // The opening fence: the front matter as a whole is at fault.
        return Err(vec![Diagnostic::error(file, over).at(src, 0, 3).with_help(
            "keep the front matter to the keys wxsync and your other tools use",
        )]);
    }
    let value: Value = match serde_yaml::from_str(yaml) {
        Ok(v) => v,
        Err(e) => return Err(vec![yaml_error(file, src, base, &e)]),
    };
    let map = match &value {
        Value::Null => return Ok(Parsed::default()),
        Value::Mapping(m) => m,
        _ => {
            return Err(vec![
                Diagnostic::error(file, "front matter must be a mapping of keys to values")
                    .at(src, base, base)
                    .with_help("write `title: …` and other keys, one per line"),
            ]);
        }
    };
    let yaml_src: Arc<str> = Arc::from(yaml);
    // One scan for every key's position: a lookup per key would scan the YAML each time.
    let offsets = top_level_keys(yaml);
    let at = |name: &str| base + offsets.get(name).copied().unwrap_or(0);
    let mut errors = Vec::new();
    let mut secret_errors = Vec::new();
    find_secrets(&value, &mut Vec::new(), file, &yaml_src, &mut secret_errors);
    for mut e in secret_errors {
        // Re-anchor the line on the whole file (there is no snippet: it would show the secret).
        if let Some(line) = e.line {
            let first = crate::diag::line_col(src, base).0;
            e.line = Some(first + line - 1);
        }
        errors.push(e);
    }
    let mut ignored = Vec::new();
    let mut doubtful = Vec::new();
    for key in map.keys() {
        let Some(name) = key.as_str() else {
            errors.push(
                Diagnostic::error(file, "front matter keys must be strings").at(src, base, base),
            );
            continue;
        };
        if KNOWN_KEYS.contains(&name) || SECRET_KEYS.contains(&name.to_lowercase().as_str()) {
            continue;
        }
        let o = at(name);
        if let Some(k) = closest(name, KNOWN_KEYS, 2) {
            // A near miss; some have a better suggestion than spelling alone gives.
            let suggest = RENAMED
                .iter()
                .find(|(from, _)| *from == name)
                .map_or(k, |(_, to)| *to);
            errors.push(
                Diagnostic::error(file, format!("unknown front matter key `{name}`"))
                    .at(src, o, o + name.len())
                    .with_help(format!("did you mean `{suggest}`?")),
            );
            doubtful.push(suggest);
        } else {
            ignored.push(name.to_string());
        }
    }
    // Type errors come from the typed pass, which knows positions; every bad value is
    // reported, and the article keeps the good ones.
    let paths: Vec<Vec<String>> = map
        .keys()
        .filter_map(|k| k.as_str().filter(|n| KNOWN_KEYS.contains(n)))
        .map(|n| vec![n.to_string()])
        .collect();
    let (mut front, bad) = typed_lenient::<FrontMatter>(file, src, base, yaml, &value, &paths);
    for (path, d) in bad {
        if let Some(k) = path
            .first()
            .and_then(|p| KNOWN_KEYS.iter().find(|k| *k == p))
        {
            doubtful.push(k);
        }
        errors.push(d);
    }
    let mut warnings = Vec::new();
    if front.digest.is_none()
        && let Some(description) = front.description.take()
    {
        front.digest = Some(description_as_digest(
            description,
            yaml,
            base,
            file,
            src,
            &mut warnings,
        ));
    }
    Ok(Parsed {
        front,
        ignored_keys: ignored,
        errors,
        warnings,
        doubtful,
    })
}

/// Checks the front matter's size against [`MAX_BYTES`], [`MAX_KEYS`] and [`MAX_VALUES`]
/// before it is parsed into a tree: the error says which cap it passes. YAML that does not
/// parse passes here, for the parse that follows to report.
fn check_size(yaml: &str) -> Result<(), String> {
    if yaml.len() > MAX_BYTES {
        return Err(format!(
            "the front matter is {} bytes; the limit is {MAX_BYTES}",
            yaml.len()
        ));
    }
    let budget = Budget {
        keys: &Cell::new(0),
        values: &Cell::new(0),
    };
    let _ = budget.deserialize(serde_yaml::Deserializer::from_str(yaml));
    if budget.keys.get() > MAX_KEYS {
        return Err(format!(
            "the front matter has more than {MAX_KEYS} keys; the limit is {MAX_KEYS}"
        ));
    }
    if budget.values.get() > MAX_VALUES {
        return Err(format!(
            "the front matter expands to more than {MAX_VALUES} values (each use of a YAML alias \
             counts again); the limit is {MAX_VALUES}"
        ));
    }
    Ok(())
}

/// Counts keys and values while the YAML is deserialized, and stops once either passes its cap:
/// aliases are expanded as they are met, so counting as it goes never builds the tree.
#[derive(Clone, Copy)]
struct Budget<'a> {
    keys: &'a Cell<usize>,
    values: &'a Cell<usize>,
}

impl Budget<'_> {
    fn value<E: de::Error>(self) -> Result<(), E> {
        self.values.set(self.values.get() + 1);
        if self.values.get() > MAX_VALUES {
            return Err(E::custom("too many values"));
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Budget<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Budget<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.value()
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.value()
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.value()
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.value()
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.value()
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.value()
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.value()
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.deserialize(d)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.value()?;
        while seq.next_element_seed(self)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.value()?;
        while map.next_key_seed(self)?.is_some() {
            self.keys.set(self.keys.get() + 1);
            if self.keys.get() > MAX_KEYS {
                return Err(de::Error::custom("too many keys"));
            }
            map.next_value_seed(self)?;
        }
        Ok(())
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        // A tagged value (`!tag x`): its tag is a value, and so is what it tags.
        use serde::de::VariantAccess;
        let ((), variant) = data.variant_seed(self)?;
        variant.newtype_variant_seed(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Result<Parsed, Vec<Diagnostic>> {
        let src: Arc<str> = Arc::from(text);
        let s = split(text, "a.md", &src).map_err(|d| vec![d])?;
        let p = parse(s.yaml.unwrap_or(""), s.yaml_offset, "a.md", &src)?;
        if p.errors.is_empty() {
            Ok(p)
        } else {
            Err(p.errors)
        }
    }

    #[test]
    fn splits_and_parses() {
        let p = run("---\ntitle: 你好\ndescription: d\ndate: 2024-01-01\n---\n# body\n").unwrap();
        assert_eq!(p.front.title.as_deref(), Some("你好"));
        assert_eq!(p.front.digest.as_deref(), Some("d"));
        assert_eq!(p.ignored_keys, vec!["date"]);
    }

    #[test]
    fn near_miss_is_error_with_position() {
        let e = run("---\ntitle: t\nautor: x\n---\n").unwrap_err();
        assert_eq!(e[0].location(), "a.md:3:1");
        assert_eq!(e[0].help.as_deref(), Some("did you mean `author`?"));
    }

    #[test]
    fn type_error_position_is_in_file() {
        let e = run("---\ntitle: t\nneed_open_comment: 7\n---\n").unwrap_err();
        assert_eq!(e[0].line, Some(3), "{e:?}");
        let e = run("---\ntitle: [a\n---\n").unwrap_err();
        assert!(e[0].line.unwrap() >= 2, "{e:?}");
    }

    #[test]
    fn unclosed_fence() {
        let e = run("---\ntitle: t\n# body\n").unwrap_err();
        assert!(e[0].message.contains("never closed"));
    }

    #[test]
    fn size_caps() {
        let many: String = (0..MAX_KEYS + 1).map(|i| format!("k{i}: v\n")).collect();
        let e = run(&format!("---\n{many}---\n")).unwrap_err();
        assert!(e[0].message.contains("more than 1000 keys"), "{e:?}");
        assert_eq!(e[0].line, Some(1));
        let big = format!("---\ntitle: {}\n---\n", "x".repeat(MAX_BYTES));
        assert!(
            run(&big).unwrap_err()[0]
                .message
                .contains("the limit is 65536")
        );
        // A billion laughs: nine aliases a level, each level naming the one before.
        let mut bomb = String::from("---\na0: &a0 [x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let p = i - 1;
            bomb.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        bomb.push_str("---\n");
        let e = run(&bomb).unwrap_err();
        assert!(e[0].message.contains("values"), "{e:?}");
        // Just under the caps parses.
        let under: String = (0..MAX_KEYS - 1).map(|i| format!("k{i}: v\n")).collect();
        let p = run(&format!("---\ntitle: t\n{under}---\n")).unwrap();
        assert_eq!(p.ignored_keys.len(), MAX_KEYS - 1);
    }

    #[test]
    fn crlf_fences() {
        let p = run("---\r\ntitle: t\r\n---\r\nbody\r\n").unwrap();
        assert_eq!(p.front.title.as_deref(), Some("t"));
    }
}
