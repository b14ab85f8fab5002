//! `wxsync.yaml`: the site configuration, parsed into typed structs with every rule of
//! DESIGN §1.1 (unknown keys refused with a suggestion, no secrets, errors at `file:line:column`).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;
use serde_yaml::Value;

use crate::diag::{Diagnostic, closest};
use crate::site::accounts::Accounts;
use crate::site::yamlpos::key_offset;
use crate::wechat::TokenMode;

/// What happens to links that do not point at `mp.weixin.qq.com` (WeChat drops them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkMode {
    /// The text stays, followed by a numbered reference listed at the end.
    #[default]
    Footnotes,
    /// The URL is written after the text.
    Inline,
    /// Only the text stays.
    Strip,
}

/// The language of the words wxsync adds to an article (alert titles, the 注释 and 参考资料
/// headings): the site's, not the reader's, since WeChat shows one article to everyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum Language {
    #[default]
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

/// Where an image's caption comes from (`captions:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Captions {
    /// The title (`![alt](src "title")`), else a meaningful alt text.
    #[default]
    Title,
    /// A meaningful alt text, else the title.
    Alt,
    /// No caption.
    None,
}

/// A `0`/`1` switch that may be written `true`/`false` too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag(pub bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Bool(bool),
            Int(i64),
        }
        match Repr::deserialize(d)
            .map_err(|_| serde::de::Error::custom("expected true, false, 0 or 1"))?
        {
            Repr::Bool(b) => Ok(Flag(b)),
            Repr::Int(0) => Ok(Flag(false)),
            Repr::Int(1) => Ok(Flag(true)),
            Repr::Int(n) => Err(serde::de::Error::custom(format!(
                "expected true, false, 0 or 1, found {n}"
            ))),
        }
    }
}

/// Front-matter values applied to every article that does not set them (`defaults:`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Defaults {
    pub author: Option<String>,
    /// Relative to the site root.
    pub cover: Option<String>,
    pub thumb_media_id: Option<String>,
    pub need_open_comment: Option<Flag>,
    pub only_fans_can_comment: Option<Flag>,
    pub content_source_url: Option<String>,
}

/// The `api:` section.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ApiConfig {
    pub base_url: Option<String>,
    pub token: TokenMode,
    pub proxy: Option<String>,
    /// A `wxsync relay`'s URL, for `token: relay` (`WXSYNC_RELAY_URL` wins). Its key is
    /// never here: `WXSYNC_RELAY_KEY`.
    pub relay_url: Option<String>,
}

/// What a push does with an image hosted outside WeChat (`images.remote`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RemoteImages {
    /// Fetch it, upload it, and use WeChat's URL (WeChat drops images from other hosts).
    #[default]
    Upload,
    /// Leave the URL as it is, with a warning: WeChat will drop the image.
    Keep,
    /// Refuse it: an error names the article and the image.
    Error,
}

/// The `images:` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ImagesConfig {
    pub remote: RemoteImages,
    /// Seconds one remote image may take to download.
    pub timeout: u64,
}

impl Default for ImagesConfig {
    fn default() -> Self {
        ImagesConfig {
            remote: RemoteImages::Upload,
            timeout: 30,
        }
    }
}

/// The `limits:` section: the account's limits where WeChat's documentation and its web
/// editor disagree. `check` refuses what exceeds them, and a rehearsal's emulator enforces
/// the same figures, so a green check is not followed by a refused sync.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct LimitsConfig {
    /// Characters in a title. WeChat documents 32 (标题，总长度不超过32个字); its web editor
    /// takes 64, and some accounts' APIs do too.
    pub title: usize,
}

/// Characters in a digest (摘要), as WeChat documents and enforces it.
pub const DIGEST_MAX: usize = 128;

/// The title limit WeChat documents for `draft/add`.
pub const TITLE_DOCUMENTED: usize = 32;
/// The most any account is known to accept (the web editor's limit).
pub const TITLE_MOST: usize = 64;

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            title: TITLE_DOCUMENTED,
        }
    }
}

/// A plan with more calls than this of one kind checks the quota first (`sync.quota_check`).
pub const DEFAULT_QUOTA_CHECK: usize = 50;

/// At most this many updates a run whose only cause is wxsync's rendering
/// (`sync.rerender_batch`).
pub const DEFAULT_RERENDER_BATCH: usize = 20;

/// The `sync:` section: how much one run may spend.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct SyncConfig {
    /// A plan with more `draft/add` or `draft/update` calls than this reads that API's
    /// daily quota first, and pushes only what fits.
    pub quota_check: usize,
    /// When more articles than this need an update only because wxsync's rendering
    /// changed, a run updates this many of them (all with `sync --rerender`).
    pub rerender_batch: usize,
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            quota_check: DEFAULT_QUOTA_CHECK,
            rerender_batch: DEFAULT_RERENDER_BATCH,
        }
    }
}

/// The `diagrams:` section: how ```` ```mermaid ```` blocks become images.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct DiagramsConfig {
    /// An external renderer run instead of the built-in one: the program and its
    /// arguments (a string is split at spaces), the diagram's source on its stdin, a PNG or
    /// SVG on its stdout.
    pub command: Option<Command>,
    /// Seconds the command may take for one diagram.
    pub timeout: u64,
}

impl Default for DiagramsConfig {
    fn default() -> Self {
        DiagramsConfig {
            command: None,
            timeout: 30,
        }
    }
}

/// A command line: `mmdc -i - -o -` or `[mmdc, -i, -]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Command {
    Line(String),
    Args(Vec<String>),
}

impl Command {
    /// The program and its arguments.
    pub fn argv(&self) -> Vec<String> {
        match self {
            Command::Line(s) => s.split_whitespace().map(str::to_string).collect(),
            Command::Args(a) => a.clone(),
        }
    }
}

/// `wxsync.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Config {
    pub appid: Option<String>,
    pub articles: Vec<String>,
    pub theme: String,
    pub code_theme: String,
    pub links: LinkMode,
    pub defaults: Defaults,
    /// Multi-article drafts: name → article paths (relative to the site root), in order.
    pub drafts: BTreeMap<String, Vec<String>>,
    pub api: ApiConfig,
    pub images: ImagesConfig,
    pub limits: LimitsConfig,
    pub sync: SyncConfig,
    pub language: Language,
    pub captions: Captions,
    /// `accounts:`, resolved (one implicit default account without it).
    #[serde(skip)]
    pub accounts: Accounts,
    pub diagrams: DiagramsConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            appid: None,
            articles: vec!["articles/**/*.md".to_string()],
            theme: "default".to_string(),
            code_theme: "InspiredGitHub".to_string(),
            links: LinkMode::Footnotes,
            defaults: Defaults::default(),
            drafts: BTreeMap::new(),
            api: ApiConfig::default(),
            images: ImagesConfig::default(),
            limits: LimitsConfig::default(),
            sync: SyncConfig::default(),
            language: Language::default(),
            captions: Captions::default(),
            accounts: Accounts::default(),
            diagrams: DiagramsConfig::default(),
        }
    }
}

const TOP_KEYS: &[&str] = &[
    "appid",
    "articles",
    "theme",
    "code_theme",
    "links",
    "defaults",
    "drafts",
    "api",
    "images",
    "limits",
    "sync",
    "language",
    "captions",
    "accounts",
    "diagrams",
];
const DEFAULTS_KEYS: &[&str] = &[
    "author",
    "cover",
    "thumb_media_id",
    "need_open_comment",
    "only_fans_can_comment",
    "content_source_url",
];
/// The keys of `api:` (and of an account's `api:`, which has the same shape).
pub const API_KEYS: &[&str] = &["base_url", "token", "proxy", "relay_url"];
const IMAGES_KEYS: &[&str] = &["remote", "timeout"];
const LIMITS_KEYS: &[&str] = &["title"];
const SYNC_KEYS: &[&str] = &["quota_check", "rerender_batch"];
const DIAGRAMS_KEYS: &[&str] = &["command", "timeout"];

/// Key names that would hold the AppSecret: refused wherever they appear.
pub const SECRET_KEYS: &[&str] = &["secret", "appsecret", "app_secret"];

/// The maximum number of articles WeChat accepts in one draft.
pub const MAX_DRAFT_ARTICLES: usize = 8;

impl Config {
    /// Parses `wxsync.yaml`. `file` is the name shown in diagnostics.
    pub fn parse(text: &str, file: &str) -> Result<Config, Vec<Diagnostic>> {
        let (config, errors) = Config::parse_lenient(text, file);
        if errors.is_empty() {
            Ok(config)
        } else {
            Err(errors)
        }
    }

    /// Parses `wxsync.yaml` and reports every problem in one pass (each misspelt key, each
    /// value of the wrong type, each rule broken), not one per run. The config returned is
    /// made of what passed, the defaults standing in for the rest, so that what depends on it
    /// (the theme) can be checked in the same run without errors that only repeat these.
    pub fn parse_lenient(text: &str, file: &str) -> (Config, Vec<Diagnostic>) {
        let src: Arc<str> = Arc::from(text);
        let value: Value = match serde_yaml::from_str(text) {
            Ok(v) => v,
            Err(e) => return (Config::default(), vec![yaml_error(file, &src, 0, &e)]),
        };
        let map = match &value {
            Value::Null => return (Config::default(), Vec::new()),
            Value::Mapping(m) => m,
            _ => {
                return (
                    Config::default(),
                    vec![
                        Diagnostic::error(file, "wxsync.yaml must be a mapping of keys to values")
                            .at(&src, 0, 0)
                            .with_help("start from the example in the README"),
                    ],
                );
            }
        };
        let mut errors = Vec::new();
        find_secrets(&value, &mut Vec::new(), file, &src, &mut errors);
        check_keys(map, &[], TOP_KEYS, file, &src, &mut errors);
        let sections = [
            ("defaults", DEFAULTS_KEYS),
            ("api", API_KEYS),
            ("images", IMAGES_KEYS),
            ("limits", LIMITS_KEYS),
            ("sync", SYNC_KEYS),
            ("diagrams", DIAGRAMS_KEYS),
        ];
        for (section, known) in sections {
            if let Some(Value::Mapping(m)) = map.get(section) {
                check_keys(m, &[section], known, file, &src, &mut errors);
            }
        }
        // The values to type-check one by one: each known key, each key of a section.
        let mut paths: Vec<Vec<String>> = Vec::new();
        for (k, v) in map {
            let Some(name) = k.as_str().filter(|n| TOP_KEYS.contains(n)) else {
                continue;
            };
            match (sections.iter().find(|(s, _)| *s == name), v) {
                (Some((_, known)), Value::Mapping(m)) => paths.extend(
                    m.keys()
                        .filter_map(|sub| sub.as_str().filter(|s| known.contains(s)))
                        .map(|sub| vec![name.to_string(), sub.to_string()]),
                ),
                _ => paths.push(vec![name.to_string()]),
            }
        }
        let (mut config, bad) = typed_lenient::<Config>(file, &src, 0, text, &value, &paths);
        errors.extend(bad.into_iter().map(|(_, d)| d));
        config.accounts = Accounts::parse(
            &value,
            &src,
            config.appid.as_deref(),
            &config.api,
            &mut errors,
        );
        if let Err(more) = config.validate(file, &src) {
            errors.extend(more);
        }
        (config, errors)
    }

    fn validate(&self, file: &str, src: &Arc<str>) -> Result<(), Vec<Diagnostic>> {
        let mut errors = Vec::new();
        let at = |path: &[&str]| key_offset(src, path).unwrap_or(0);
        for glob in &self.articles {
            if let Err(e) = globset::Glob::new(glob) {
                let o = at(&["articles"]);
                errors.push(
                    Diagnostic::error(file, format!("`articles`: invalid glob `{glob}`: {e}")).at(
                        src,
                        o,
                        o + "articles".len(),
                    ),
                );
            }
        }
        if self.articles.is_empty() {
            let o = at(&["articles"]);
            errors.push(
                Diagnostic::error(file, "`articles` is empty: no article would be found")
                    .at(src, o, o + "articles".len())
                    .with_help("list globs such as `articles/**/*.md`"),
            );
        }
        if self.images.timeout == 0 || self.images.timeout > 600 {
            let o = at(&["images", "timeout"]);
            errors.push(
                Diagnostic::error(
                    file,
                    format!(
                        "`images.timeout` is {} s; it must be 1 to 600 seconds",
                        self.images.timeout
                    ),
                )
                .at(src, o, o + "timeout".len()),
            );
        }
        if self.diagrams.timeout == 0 || self.diagrams.timeout > 600 {
            let o = at(&["diagrams", "timeout"]);
            errors.push(
                Diagnostic::error(
                    file,
                    format!(
                        "`diagrams.timeout` is {} s; it must be 1 to 600 seconds",
                        self.diagrams.timeout
                    ),
                )
                .at(src, o, o + "timeout".len()),
            );
        }
        if let Some(c) = &self.diagrams.command
            && c.argv().first().is_none_or(|p| p.is_empty())
        {
            let o = at(&["diagrams", "command"]);
            errors.push(
                Diagnostic::error(file, "`diagrams.command` is empty")
                    .at(src, o, o + "command".len())
                    .with_help(
                        "name a renderer such as `mmdc`, or remove the key for the built-in one",
                    ),
            );
        }
        if !(1..=TITLE_MOST).contains(&self.limits.title) {
            let o = at(&["limits", "title"]);
            errors.push(
                Diagnostic::error(
                    file,
                    format!(
                        "`limits.title` is {}; it must be 1 to {TITLE_MOST} characters",
                        self.limits.title
                    ),
                )
                .at(src, o, o + "title".len())
                .with_help(format!(
                    "WeChat documents {TITLE_DOCUMENTED}; raise it only if the account accepts longer titles"
                )),
            );
        }
        for (name, members) in &self.drafts {
            let o = at(&["drafts", name]);
            if members.is_empty() || members.len() > MAX_DRAFT_ARTICLES {
                errors.push(
                    Diagnostic::error(
                        file,
                        format!(
                            "draft `{name}` has {} articles; a draft holds 1 to {MAX_DRAFT_ARTICLES}",
                            members.len()
                        ),
                    )
                    .at(src, o, o + name.len()),
                );
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// Turns a YAML error into a diagnostic at its position. `base` is the byte offset of the YAML
/// text inside `src` (front matter starts after the opening `---`).
pub fn yaml_error(file: &str, src: &Arc<str>, base: usize, e: &serde_yaml::Error) -> Diagnostic {
    let mut message = e.to_string();
    // The position is shown by the diagnostic itself, relative to the whole file.
    if let Some(i) = message.find(" at line ") {
        message.truncate(i);
    }
    // The parser places a duplicate key at the start of its mapping: point at the duplicate.
    if let Some(key) = message
        .strip_prefix("duplicate entry with key \"")
        .and_then(|k| k.split('"').next())
        && let Some(o) = src
            .get(base..)
            .and_then(|text| crate::site::yamlpos::duplicate_key_offset(text, key))
    {
        let o = base + o;
        return Diagnostic::error(file, format!("{message}: a key may appear once"))
            .at(src, o, o + key.len())
            .with_help("remove one of the two, or merge their values");
    }
    match e.location() {
        Some(loc) if !(loc.line() == 1 && loc.column() == 1 && loc.index() == 0) => {
            let o = base + loc.index();
            Diagnostic::error(file, message).at(src, o, o + 1)
        }
        // libyaml reports missing/duplicate fields at 1:1; point at the block instead.
        _ => Diagnostic::error(file, message).at(src, base, base),
    }
}

/// The typed pass, reporting every value of the wrong type rather than the first: serde stops
/// at the first, so each key in `paths` (a top-level key, or a key of a section) is tried
/// alone, in document order. Returns the value of `T` made of the keys that passed, and each
/// key that did not with its diagnostic. The first bad key keeps libyaml's exact position
/// when the whole-file error points inside it.
pub fn typed_lenient<T: serde::de::DeserializeOwned + Default>(
    file: &str,
    src: &Arc<str>,
    base: usize,
    yaml: &str,
    value: &Value,
    paths: &[Vec<String>],
) -> (T, Vec<(Vec<String>, Diagnostic)>) {
    let e = match serde_yaml::from_str::<T>(yaml) {
        Ok(t) => return (t, Vec::new()),
        Err(e) => e,
    };
    // Alone, each value is parsed from text as the whole file is (a `Value` would not take
    // `title: 123` as a string where the text does).
    let alone = |path: &[String]| -> Option<serde_yaml::Error> {
        let mut v = lookup(value, path)?.clone();
        for key in path.iter().rev() {
            let mut one = serde_yaml::Mapping::new();
            one.insert(Value::String(key.clone()), v);
            v = Value::Mapping(one);
        }
        let text = serde_yaml::to_string(&v).ok()?;
        serde_yaml::from_str::<T>(&text).err()
    };
    let tops = crate::site::yamlpos::top_level_keys(yaml);
    let whole = e
        .location()
        .filter(|l| !(l.line() == 1 && l.column() == 1 && l.index() == 0))
        .map(|l| l.index());
    let mut bad: Vec<(Vec<String>, Diagnostic)> = Vec::new();
    let mut rest = value.clone();
    for path in paths {
        let Some(inner) = alone(path) else { continue };
        let refs: Vec<&str> = path.iter().map(String::as_str).collect();
        let o = key_offset(yaml, &refs).unwrap_or(0);
        let top = tops.get(&path[0]).copied().unwrap_or(o);
        let next = tops.values().copied().filter(|&t| t > top).min();
        let d = match whole {
            Some(i) if bad.is_empty() && i >= top && next.is_none_or(|n| i < n) => {
                yaml_error(file, src, base, &e)
            }
            _ => {
                let mut message = inner.to_string();
                if let Some(i) = message.find(" at line ") {
                    message.truncate(i);
                }
                // Alone, the message may name (part of) the key path itself (`title: …`).
                let shown = refs.join(".");
                let message = (1..=refs.len())
                    .rev()
                    .find_map(|n| message.strip_prefix(&format!("{}: ", refs[..n].join("."))))
                    .unwrap_or(&message)
                    .to_string();
                let last = refs.last().map_or(0, |k| k.len());
                Diagnostic::error(file, format!("`{shown}`: {message}")).at(
                    src,
                    base + o,
                    base + o + last,
                )
            }
        };
        remove(&mut rest, path);
        bad.push((path.clone(), d));
    }
    if bad.is_empty() {
        // No key is at fault alone (two keys that conflict): the whole-file error, once.
        return (
            T::default(),
            vec![(Vec::new(), yaml_error(file, src, base, &e))],
        );
    }
    let good = serde_yaml::to_string(&rest)
        .ok()
        .and_then(|t| serde_yaml::from_str::<T>(&t).ok())
        .unwrap_or_default();
    (good, bad)
}

fn lookup<'v>(value: &'v Value, path: &[String]) -> Option<&'v Value> {
    path.iter()
        .try_fold(value, |v, k| v.as_mapping()?.get(k.as_str()))
}

fn remove(value: &mut Value, path: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut v = value;
    for k in parents {
        match v.as_mapping_mut().and_then(|m| m.get_mut(k.as_str())) {
            Some(inner) => v = inner,
            None => return,
        }
    }
    if let Some(m) = v.as_mapping_mut() {
        m.remove(last.as_str());
    }
}

fn key_name(k: &Value) -> String {
    match k {
        Value::String(s) => s.clone(),
        other => serde_yaml::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_string(),
    }
}

fn check_keys(
    map: &serde_yaml::Mapping,
    parent: &[&str],
    known: &[&str],
    file: &str,
    src: &Arc<str>,
    errors: &mut Vec<Diagnostic>,
) {
    for key in map.keys() {
        let name = key_name(key);
        if known.contains(&name.as_str()) || SECRET_KEYS.contains(&name.to_lowercase().as_str()) {
            continue;
        }
        let mut path: Vec<&str> = parent.to_vec();
        path.push(&name);
        let o = key_offset(src, &path).unwrap_or(0);
        let shown = path.join(".");
        let mut d =
            Diagnostic::error(file, format!("unknown key `{shown}`")).at(src, o, o + name.len());
        d = match closest(&name, known, 3) {
            Some(k) => d.with_help(format!("did you mean `{k}`?")),
            None => d.with_help(format!("known keys here: {}", known.join(", "))),
        };
        errors.push(d);
    }
}

/// Refuses any key that looks like it holds the AppSecret, at any depth.
pub fn find_secrets(
    value: &Value,
    path: &mut Vec<String>,
    file: &str,
    src: &Arc<str>,
    errors: &mut Vec<Diagnostic>,
) {
    match value {
        Value::Mapping(m) => {
            for (k, v) in m {
                let name = key_name(k);
                path.push(name.clone());
                if SECRET_KEYS.contains(&name.to_lowercase().as_str()) {
                    let p: Vec<&str> = path.iter().map(String::as_str).collect();
                    let o = key_offset(src, &p).unwrap_or(0);
                    errors.push(
                        Diagnostic::error(
                            file,
                            format!(
                                "`{}` must not be in a file: the AppSecret is a secret",
                                p.join(".")
                            ),
                        )
                        // No source snippet: the line would print the secret.
                        .at_line(
                            crate::diag::line_col(src, o).0,
                            crate::diag::line_col(src, o).1,
                        )
                        .with_help(
                            "remove it (and rotate the secret if it was committed); set the \
                             WECHAT_APPSECRET environment variable instead",
                        ),
                    );
                }
                find_secrets(v, path, file, src, errors);
                path.pop();
            }
        }
        Value::Sequence(s) => {
            for v in s {
                find_secrets(v, path, file, src, errors);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_when_empty() {
        let c = Config::parse("", "wxsync.yaml").unwrap();
        assert_eq!(c.theme, "default");
        assert_eq!(c.articles, vec!["articles/**/*.md"]);
    }

    #[test]
    fn unknown_key_suggests() {
        let e = Config::parse("theme: default\nthemes: x\n", "wxsync.yaml").unwrap_err();
        assert_eq!(e[0].location(), "wxsync.yaml:2:1");
        assert_eq!(e[0].help.as_deref(), Some("did you mean `theme`?"));
    }

    #[test]
    fn secret_refused_anywhere() {
        let e = Config::parse("api:\n  app_secret: abc\n", "wxsync.yaml").unwrap_err();
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].location(), "wxsync.yaml:2:3");
        assert!(e[0].help.as_deref().unwrap().contains("WECHAT_APPSECRET"));
        assert!(!e[0].message.contains("abc"));
    }

    #[test]
    fn type_error_located() {
        let e = Config::parse("theme: default\nlinks: sometimes\n", "wxsync.yaml").unwrap_err();
        assert_eq!(e[0].line, Some(2), "{e:?}");
    }

    #[test]
    fn full_example() {
        let y = "appid: wx0123456789abcdef\narticles: [\"articles/**/*.md\"]\ntheme: default\ncode_theme: InspiredGitHub\nlinks: footnotes\ndefaults:\n  author: 编辑部\n  cover: images/default-cover.jpg\n  need_open_comment: 1\ndrafts:\n  weekly-47: [a.md, b.md]\napi:\n  base_url: https://api.weixin.qq.com\n  token: classic\n  proxy: http://h:1\n";
        let c = Config::parse(y, "wxsync.yaml").unwrap();
        assert_eq!(c.defaults.need_open_comment, Some(Flag(true)));
        assert_eq!(c.api.token, TokenMode::Classic);
        assert_eq!(c.drafts["weekly-47"], vec!["a.md", "b.md"]);
        assert_eq!(c.images.remote, RemoteImages::Upload);
    }

    #[test]
    fn language_and_captions() {
        let c = Config::parse("", "wxsync.yaml").unwrap();
        assert_eq!((c.language, c.captions), (Language::ZhCn, Captions::Title));
        let c = Config::parse("language: en\ncaptions: alt\n", "wxsync.yaml").unwrap();
        assert_eq!((c.language, c.captions), (Language::En, Captions::Alt));
        let c = Config::parse("captions: none\n", "wxsync.yaml").unwrap();
        assert_eq!(c.captions, Captions::None);
        let e = Config::parse("theme: ink\nlanguage: fr\n", "wxsync.yaml").unwrap_err();
        assert_eq!(e[0].line, Some(2), "{e:?}");
        assert!(e[0].message.contains("zh-CN"), "{e:?}");
        let e = Config::parse("captions: both\n", "wxsync.yaml").unwrap_err();
        assert_eq!(e[0].line, Some(1), "{e:?}");
        let e = Config::parse("langauge: en\n", "wxsync.yaml").unwrap_err();
        assert_eq!(e[0].help.as_deref(), Some("did you mean `language`?"));
    }

    #[test]
    fn diagrams_section() {
        let c = Config::parse(
            "diagrams:\n  command: mmdc -i - -o -\n  timeout: 5\n",
            "wxsync.yaml",
        )
        .unwrap();
        assert_eq!(
            c.diagrams.command.unwrap().argv(),
            ["mmdc", "-i", "-", "-o", "-"]
        );
        assert_eq!(c.diagrams.timeout, 5);
        let c = Config::parse(
            "diagrams:\n  command: [my renderer, --png]\n",
            "wxsync.yaml",
        )
        .unwrap();
        assert_eq!(c.diagrams.command.unwrap().argv(), ["my renderer", "--png"]);
        assert!(Config::default().diagrams.command.is_none());
        assert!(Config::parse("diagrams:\n  comand: x\n", "wxsync.yaml").is_err());
        assert!(Config::parse("diagrams:\n  timeout: 0\n", "wxsync.yaml").is_err());
        assert!(Config::parse("diagrams:\n  command: \"\"\n", "wxsync.yaml").is_err());
        assert!(Config::parse("diagrams:\n  command: []\n", "wxsync.yaml").is_err());
    }

    #[test]
    fn images_section() {
        let c = Config::parse("images:\n  remote: keep\n  timeout: 5\n", "wxsync.yaml").unwrap();
        assert_eq!(c.images.remote, RemoteImages::Keep);
        assert_eq!(c.images.timeout, 5);
        let e = Config::parse("images:\n  remot: keep\n", "wxsync.yaml").unwrap_err();
        assert_eq!(e[0].help.as_deref(), Some("did you mean `remote`?"));
        assert!(Config::parse("images:\n  remote: sometimes\n", "wxsync.yaml").is_err());
        assert!(Config::parse("images:\n  timeout: 0\n", "wxsync.yaml").is_err());
    }
}
