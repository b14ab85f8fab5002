//! `accounts:` in `wxsync.yaml`: the WeChat accounts a site publishes to, which one is the
//! default, where each keeps its lockfile, token cache and credentials, and which articles go
//! to which account (front matter `accounts:`, else the accounts' `articles` globs, else the
//! default account).
//!
//! A site without `accounts:` has one account, the default, named `main`: its lockfile is
//! `wxsync.lock` and its credentials are `WECHAT_APPID` / `WECHAT_APPSECRET`, as before.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_yaml::Value;

use crate::diag::{Diagnostic, closest};
use crate::site::config::ApiConfig;
use crate::site::yamlpos::key_offset;
use crate::site::{ArticlePath, CACHE_DIR, CONFIG_FILE};

/// The name of the one account of a site without `accounts:`, and the default account when
/// several are listed and none says `default: true`.
pub const MAIN: &str = "main";
/// The default account's lockfile (every other account's is `wxsync.<name>.lock`).
pub const DEFAULT_LOCK_FILE: &str = "wxsync.lock";
/// The longest account name: it becomes part of file and variable names.
pub const NAME_MAX: usize = 32;

const ACCOUNT_KEYS: &[&str] = &[
    "appid",
    "appid_env",
    "secret_env",
    "token_env",
    "default",
    "articles",
    "api",
];

/// An account's name: lowercase ASCII letters, digits and inner `-`, so that it is the same
/// file name on every file system (`wxsync.<name>.lock`) and one variable suffix
/// (`WECHAT_APPID_<NAME>`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountName(String);

impl AccountName {
    /// Checks a name; the error says what is wrong with it.
    pub fn parse(name: &str) -> Result<AccountName, String> {
        let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        if name.is_empty() {
            return Err("an account name may not be empty".into());
        }
        if name.len() > NAME_MAX {
            return Err(format!(
                "the account name `{name}` is longer than {NAME_MAX} characters"
            ));
        }
        if !name.chars().all(ok_char) || name.starts_with('-') || name.ends_with('-') {
            return Err(format!(
                "`{name}` is not a valid account name: use lowercase letters, digits and `-` \
                 (not first or last); it names the lockfile wxsync.<name>.lock"
            ));
        }
        Ok(AccountName(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The suffix of its environment variables: `brand-2` → `BRAND_2`.
    pub fn env_suffix(&self) -> String {
        self.0.to_ascii_uppercase().replace('-', "_")
    }
}

impl fmt::Display for AccountName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One account, resolved: names, files and settings a run needs.
#[derive(Debug, Clone)]
pub struct Account {
    pub name: AccountName,
    /// The default account: `wxsync.lock`, the unsuffixed variables, the `.wxsync/` token cache.
    pub default: bool,
    /// `appid` in `wxsync.yaml` (the account's, else the top-level one for the default
    /// account); its AppID variable wins over it.
    pub appid: Option<String>,
    /// Variables that hold its AppID, AppSecret and a ready-made access token.
    pub appid_env: String,
    pub secret_env: String,
    pub token_env: String,
    /// The site's `api:` with the account's `api:` keys over it.
    pub api: ApiConfig,
    /// Globs (relative to the site root) of the articles that go to this account.
    pub articles: Vec<String>,
}

impl Account {
    /// The one account of a site without `accounts:`.
    fn implicit(appid: Option<String>, api: ApiConfig) -> Account {
        Account {
            name: AccountName(MAIN.to_string()),
            default: true,
            appid,
            appid_env: "WECHAT_APPID".into(),
            secret_env: "WECHAT_APPSECRET".into(),
            token_env: "WECHAT_ACCESS_TOKEN".into(),
            api,
            articles: Vec::new(),
        }
    }

    /// The lockfile's name in the site root: one lockfile, one account.
    pub fn lock_file(&self) -> String {
        if self.default {
            DEFAULT_LOCK_FILE.to_string()
        } else {
            format!("wxsync.{}.lock", self.name)
        }
    }

    /// Where its token cache (`token.json`) lives: `.wxsync/` for the default account (as
    /// before), `.wxsync/accounts/<name>/` for the others, so no two accounts share one.
    pub fn cache_dir(&self, root: &Path) -> PathBuf {
        let dir = root.join(CACHE_DIR);
        if self.default {
            dir
        } else {
            dir.join("accounts").join(self.name.as_str())
        }
    }

    /// The environment variables to read, in order, for what wxsync calls `standard` for the
    /// default account (`WECHAT_APPID`, `WECHAT_APPSECRET`, `WECHAT_ACCESS_TOKEN`,
    /// `WXSYNC_API_BASE`, …). The default account reads them as they are (with their
    /// aliases) unless `*_env` names others; another account reads `<NAME>_<SUFFIX>`
    /// (`WECHAT_APPID_BRAND2`), and for `WXSYNC_API_BASE` the shared one after its own.
    pub fn env_names(&self, standard: &str) -> Vec<String> {
        let (given, default_names): (Option<&str>, &[&str]) = match standard {
            "WECHAT_APPID" | "WECHAT_APP_ID" => (
                Some(self.appid_env.as_str()),
                &["WECHAT_APPID", "WECHAT_APP_ID"],
            ),
            "WECHAT_APPSECRET" | "WECHAT_APP_SECRET" => (
                Some(self.secret_env.as_str()),
                &["WECHAT_APPSECRET", "WECHAT_APP_SECRET"],
            ),
            "WECHAT_ACCESS_TOKEN" => (Some(self.token_env.as_str()), &["WECHAT_ACCESS_TOKEN"]),
            _ => (None, &[]),
        };
        match given {
            // Names as they always were: keep the aliases.
            Some(g) if self.default && default_names.first() == Some(&g) => {
                default_names.iter().map(|s| s.to_string()).collect()
            }
            Some(g) => vec![g.to_string()],
            None if self.default => vec![standard.to_string()],
            None if standard == "WXSYNC_API_BASE" => vec![
                format!("{standard}_{}", self.name.env_suffix()),
                standard.to_string(),
            ],
            None => vec![format!("{standard}_{}", self.name.env_suffix())],
        }
    }

    /// Reads the account's value of a variable from `var` (see [`Account::env_names`]).
    pub fn var(&self, standard: &str, var: impl Fn(&str) -> Option<String>) -> Option<String> {
        self.env_names(standard).iter().find_map(|n| {
            var(n)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        })
    }

    /// The AppID this account works for: its variable, else `wxsync.yaml`.
    pub fn appid_now(&self) -> Option<String> {
        self.var("WECHAT_APPID", |k| std::env::var(k).ok())
            .or_else(|| self.appid.clone())
    }
}

/// The accounts of a site, sorted by name, with the default marked.
#[derive(Debug, Clone)]
pub struct Accounts {
    list: Vec<Account>,
}

impl Default for Accounts {
    fn default() -> Self {
        Accounts {
            list: vec![Account::implicit(None, ApiConfig::default())],
        }
    }
}

impl Accounts {
    pub fn all(&self) -> &[Account] {
        &self.list
    }

    /// More than one account: reports name the account on every row.
    pub fn several(&self) -> bool {
        self.list.len() > 1
    }

    pub fn default_account(&self) -> &Account {
        self.list
            .iter()
            .find(|a| a.default)
            .unwrap_or(&self.list[0])
    }

    pub fn get(&self, name: &str) -> Option<&Account> {
        self.list.iter().find(|a| a.name.as_str() == name)
    }

    pub fn names(&self) -> Vec<&str> {
        self.list.iter().map(|a| a.name.as_str()).collect()
    }

    /// The account `--account NAME` names; an unknown name is a usage error listing them.
    pub fn named(&self, name: &str) -> Result<&Account, String> {
        self.get(name).ok_or_else(|| {
            let names = self.names();
            let hint = closest(name, &names, 2)
                .map(|n| format!(" (did you mean `{n}`?)"))
                .unwrap_or_default();
            format!(
                "--account {name}: the site has no such account{hint}; its accounts: {}",
                names.join(", ")
            )
        })
    }

    /// Parses `accounts:` out of the whole `wxsync.yaml` (`value`, text `src`), with the
    /// site's top-level `appid` and `api:` (as parsed) as the default account's fallbacks.
    /// Every problem is reported at its key.
    pub fn parse(
        value: &Value,
        src: &Arc<str>,
        top_appid: Option<&str>,
        site_api: &ApiConfig,
        errors: &mut Vec<Diagnostic>,
    ) -> Accounts {
        let file = CONFIG_FILE;
        let at = |path: &[&str], len: usize| {
            let o = key_offset(src, path).or_else(|| key_offset(src, &path[..1]));
            let o = o.unwrap_or(0);
            (o, o + len)
        };
        let err = |path: &[&str], message: String| {
            let last = path.last().map_or(0, |k| k.len());
            let (s, e) = at(path, last);
            Diagnostic::error(file, message).at(src, s, e)
        };
        // Without `accounts:` (or with errors in it), the one account sites always had.
        let fallback = Accounts {
            list: vec![Account::implicit(
                top_appid.map(str::to_string),
                site_api.clone(),
            )],
        };
        let Some(section) = value.get("accounts") else {
            return fallback;
        };
        let Some(map) = section.as_mapping().filter(|m| !m.is_empty()) else {
            errors.push(
                err(
                    &["accounts"],
                    "`accounts` must map each account's name to its settings".into(),
                )
                .with_help("e.g. `accounts: {main: {appid: wx…}, brand2: {appid: wx…}}`"),
            );
            return fallback;
        };
        // The site's `api:` under each account's; if it is wrong, its own error says so once.
        let site_api_value = value
            .get("api")
            .filter(|v| serde_yaml::from_value::<ApiConfig>((*v).clone()).is_ok())
            .cloned()
            .unwrap_or(Value::Null);
        let mut list: Vec<(Account, bool)> = Vec::new();
        let mut bad = false;
        for (k, v) in map {
            let Some(raw) = k.as_str() else {
                errors.push(err(&["accounts"], "account names must be strings".into()));
                bad = true;
                continue;
            };
            let name = match AccountName::parse(raw) {
                Ok(n) => n,
                Err(why) => {
                    errors.push(err(&["accounts", raw], why));
                    bad = true;
                    continue;
                }
            };
            let settings = match v {
                Value::Null => serde_yaml::Mapping::new(),
                Value::Mapping(m) => m.clone(),
                _ => {
                    errors.push(
                        err(
                            &["accounts", raw],
                            format!("account `{raw}` must be a mapping of settings"),
                        )
                        .with_help(format!("known keys: {}", ACCOUNT_KEYS.join(", "))),
                    );
                    bad = true;
                    continue;
                }
            };
            match one_account(&name, &settings, &site_api_value, src, errors) {
                Some((account, explicit_default)) => list.push((account, explicit_default)),
                None => bad = true,
            }
        }
        if bad || list.is_empty() {
            return fallback;
        }
        // The default: the one marked `default: true`, else the only one, else `main`.
        let marked: Vec<&str> = list
            .iter()
            .filter(|(_, d)| *d)
            .map(|(a, _)| a.name.as_str())
            .collect();
        let default = match marked.as_slice() {
            [one] => Some(one.to_string()),
            [first, rest @ ..] => {
                for second in rest {
                    errors.push(
                        err(
                            &["accounts", second, "default"],
                            format!(
                                "accounts `{first}` and `{second}` are both `default: true`; \
                                 one account is the default"
                            ),
                        )
                        .with_help("keep `default: true` on one account only"),
                    );
                }
                return fallback;
            }
            [] if list.len() == 1 => Some(list[0].0.name.to_string()),
            [] => list
                .iter()
                .any(|(a, _)| a.name.as_str() == MAIN)
                .then(|| MAIN.to_string()),
        };
        let Some(default) = default else {
            errors.push(
                err(
                    &["accounts"],
                    format!(
                        "{} accounts and none is the default",
                        list.len()
                    ),
                )
                .with_help(
                    "mark one `default: true` (or name it `main`): it keeps wxsync.lock and \
                     WECHAT_APPID / WECHAT_APPSECRET, and gets every article no other account claims",
                ),
            );
            return fallback;
        };
        let mut accounts: Vec<Account> = list.into_iter().map(|(a, _)| a).collect();
        for a in &mut accounts {
            a.default = a.name.as_str() == default;
        }
        finish_env_names(&mut accounts);
        if let Some(top) = top_appid {
            let d = accounts.iter_mut().find(|a| a.default);
            if let Some(d) = d {
                match &d.appid {
                    Some(own) if own != top => errors.push(
                        err(
                            &["appid"],
                            format!(
                                "`appid` ({top}) and `accounts.{}.appid` ({own}) disagree",
                                d.name
                            ),
                        )
                        .with_help("set the default account's AppID in one place"),
                    ),
                    Some(_) => {}
                    None => d.appid = Some(top.to_string()),
                }
            }
        }
        // Two accounts with one AppID would share one draft box under two lockfiles.
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        for a in &accounts {
            if let Some(id) = a.appid.as_deref() {
                if let Some(other) = seen.get(id) {
                    errors.push(
                        err(
                            &["accounts", a.name.as_str(), "appid"],
                            format!(
                                "accounts `{other}` and `{}` have the same AppID {id}",
                                a.name
                            ),
                        )
                        .with_help("one account, one AppID: merge the two accounts"),
                    );
                } else {
                    seen.insert(id, a.name.as_str());
                }
            }
        }
        // Two accounts reading one variable would push with one account's credentials twice.
        let mut vars: BTreeMap<String, &str> = BTreeMap::new();
        for a in &accounts {
            for (key, var) in [("appid_env", &a.appid_env), ("secret_env", &a.secret_env)] {
                if let Some(other) = vars.insert(var.clone(), a.name.as_str()) {
                    errors.push(err(
                        &["accounts", a.name.as_str(), key],
                        format!(
                            "accounts `{other}` and `{}` both read {var}; each account needs its own",
                            a.name
                        ),
                    ));
                }
            }
        }
        accounts.sort_by(|a, b| a.name.cmp(&b.name));
        Accounts { list: accounts }
    }

    /// Which accounts each article goes to: its front matter's `accounts:` if it has one,
    /// else every account whose `articles` globs match it, else the default account. An
    /// unknown name in front matter is an error at its line.
    pub fn assign(&self, site: &super::Site, paths: &[ArticlePath]) -> Assignment {
        let mut out = Assignment::default();
        let globs: Vec<(&AccountName, globset::GlobSet)> = self
            .list
            .iter()
            .filter(|a| !a.articles.is_empty())
            .filter_map(|a| {
                let mut b = globset::GlobSetBuilder::new();
                for g in &a.articles {
                    // Checked when the config was parsed.
                    let glob = globset::GlobBuilder::new(g)
                        .literal_separator(true)
                        .build()
                        .ok()?;
                    b.add(glob);
                }
                Some((&a.name, b.build().ok()?))
            })
            .collect();
        let default = self.default_account().name.clone();
        for p in paths {
            let chosen = match front_accounts(site, p) {
                FrontAccounts::Listed { names, src, offset } => {
                    let mut chosen = Vec::new();
                    let shown = p.as_str();
                    if names.is_empty() {
                        out.diagnostics.push(
                            Diagnostic::error(shown, "`accounts` lists no account")
                                .at(&src, offset, offset + "accounts".len())
                                .with_help(format!(
                                    "name one or more of: {} (or use `sync: false` to never push it)",
                                    self.names().join(", ")
                                )),
                        );
                    }
                    for n in names {
                        match self.get(&n) {
                            Some(a) => chosen.push(a.name.clone()),
                            None => {
                                let known = self.names();
                                let help = match closest(&n, &known, 2) {
                                    Some(k) => format!("did you mean `{k}`?"),
                                    None => format!(
                                        "the accounts of {CONFIG_FILE}: {}",
                                        known.join(", ")
                                    ),
                                };
                                out.diagnostics.push(
                                    Diagnostic::error(
                                        shown,
                                        format!("`accounts` names `{n}`, which is not an account of this site"),
                                    )
                                    .at(&src, offset, offset + "accounts".len())
                                    .with_help(help),
                                );
                            }
                        }
                    }
                    chosen
                }
                // A front matter that cannot be read is reported by the render.
                FrontAccounts::Absent | FrontAccounts::Unreadable => {
                    let by_glob: Vec<AccountName> = globs
                        .iter()
                        .filter(|(_, set)| set.is_match(p.as_str()))
                        .map(|(n, _)| (*n).clone())
                        .collect();
                    if by_glob.is_empty() {
                        vec![default.clone()]
                    } else {
                        by_glob
                    }
                }
            };
            let mut chosen = chosen;
            chosen.sort();
            chosen.dedup();
            out.of.insert(p.clone(), chosen);
        }
        for (name, set) in &globs {
            if !paths.iter().any(|p| set.is_match(p.as_str())) {
                let path = ["accounts", name.as_str(), "articles"];
                let o = key_offset(&site.config_source, &path).unwrap_or(0);
                out.diagnostics.push(
                    Diagnostic::warning(
                        CONFIG_FILE,
                        format!("the globs of `accounts.{name}.articles` match no article"),
                    )
                    .at(&site.config_source, o, o + "articles".len())
                    .with_help(
                        "they are relative to the site root and pick among the articles the \
                         top-level `articles` globs find",
                    ),
                );
            }
        }
        out
    }
}

/// Which accounts each article goes to; the errors of front matter `accounts:`, and a
/// warning for each account whose `articles` globs match no article.
#[derive(Debug, Clone, Default)]
pub struct Assignment {
    pub of: BTreeMap<ArticlePath, Vec<AccountName>>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Assignment {
    /// Whether `path` goes to `account`.
    pub fn goes_to(&self, path: &ArticlePath, account: &AccountName) -> bool {
        self.of.get(path).is_some_and(|a| a.contains(account))
    }

    /// A multi-article draft (`drafts:`) is one draft in each account it goes to: its
    /// members must go to the same accounts.
    pub fn check_drafts(&self, site: &super::Site) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (name, members) in &site.config.drafts {
            let sets: Vec<(&String, &Vec<AccountName>)> = members
                .iter()
                .filter_map(|m| {
                    let p = ArticlePath::from_relative(Path::new(m))?;
                    Some((m, self.of.get(&p)?))
                })
                .collect();
            let Some((first, want)) = sets.first() else {
                continue;
            };
            if let Some((other, got)) = sets.iter().find(|(_, s)| s != want) {
                let o = key_offset(&site.config_source, &["drafts", name]).unwrap_or(0);
                let list = |v: &[AccountName]| {
                    v.iter()
                        .map(AccountName::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                out.push(
                    Diagnostic::error(
                        CONFIG_FILE,
                        format!(
                            "draft `{name}` mixes accounts: `{first}` goes to {} but `{other}` to {}",
                            list(want),
                            list(got)
                        ),
                    )
                    .at(&site.config_source, o, o + name.len())
                    .with_help("the articles of one draft must go to the same accounts"),
                );
            }
        }
        out
    }
}

/// Parses one account's settings; `None` when they had errors (reported).
fn one_account(
    name: &AccountName,
    settings: &serde_yaml::Mapping,
    site_api: &Value,
    src: &Arc<str>,
    errors: &mut Vec<Diagnostic>,
) -> Option<(Account, bool)> {
    let file = CONFIG_FILE;
    let n = name.as_str();
    let before = errors.len();
    let err = |key: &str, message: String| {
        let path = ["accounts", n, key];
        let o = key_offset(src, &path)
            .or_else(|| key_offset(src, &path[..2]))
            .unwrap_or(0);
        Diagnostic::error(file, message).at(src, o, o + key.len())
    };
    let string = |key: &str, errors: &mut Vec<Diagnostic>| -> Option<String> {
        match settings.get(key)? {
            Value::String(s) => Some(s.trim().to_string()),
            Value::Null => None,
            _ => {
                errors.push(err(key, format!("`accounts.{n}.{key}` must be a string")));
                None
            }
        }
    };
    for key in settings.keys() {
        let k = key.as_str().unwrap_or_default();
        if ACCOUNT_KEYS.contains(&k)
            || crate::site::config::SECRET_KEYS.contains(&k.to_lowercase().as_str())
        {
            continue;
        }
        let help = match closest(k, ACCOUNT_KEYS, 3) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("known keys here: {}", ACCOUNT_KEYS.join(", ")),
        };
        errors.push(err(k, format!("unknown key `accounts.{n}.{k}`")).with_help(help));
    }
    let appid = string("appid", errors);
    let env = |key: &str, errors: &mut Vec<Diagnostic>| -> Option<String> {
        let v = string(key, errors)?;
        let valid = !v.is_empty()
            && !v.starts_with(|c: char| c.is_ascii_digit())
            && v.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            errors.push(
                err(key, format!("`{v}` is not an environment variable name"))
                    .with_help("name the variable (e.g. BRAND2_APPSECRET), not its value: credentials stay in the environment"),
            );
            return None;
        }
        Some(v)
    };
    let appid_env = env("appid_env", errors);
    let secret_env = env("secret_env", errors);
    let token_env = env("token_env", errors);
    let default = match settings.get("default") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            errors.push(err(
                "default",
                format!("`accounts.{n}.default` must be true or false"),
            ));
            false
        }
    };
    let mut articles = Vec::new();
    match settings.get("articles") {
        None | Some(Value::Null) => {}
        Some(Value::Sequence(s)) => {
            for g in s {
                match g.as_str() {
                    Some(g) => match globset::Glob::new(g) {
                        Ok(_) => articles.push(g.to_string()),
                        Err(e) => errors.push(err(
                            "articles",
                            format!("`accounts.{n}.articles`: invalid glob `{g}`: {e}"),
                        )),
                    },
                    None => errors.push(err(
                        "articles",
                        format!("`accounts.{n}.articles` must be a list of globs"),
                    )),
                }
            }
        }
        Some(Value::String(g)) => articles.push(g.clone()),
        Some(_) => errors.push(err(
            "articles",
            format!("`accounts.{n}.articles` must be a list of globs"),
        )),
    }
    // The account's `api:` has the shape of the site's: its keys replace the site's.
    let api = match settings.get("api") {
        None | Some(Value::Null) => merged_api(site_api, None),
        Some(Value::Mapping(m)) => {
            for key in m.keys() {
                let k = key.as_str().unwrap_or_default();
                if !crate::site::config::API_KEYS.contains(&k) {
                    let path = ["accounts", n, "api", k];
                    let o = key_offset(src, &path)
                        .or_else(|| key_offset(src, &path[..3]))
                        .unwrap_or(0);
                    let help = match closest(k, crate::site::config::API_KEYS, 3) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!(
                            "known keys here: {}",
                            crate::site::config::API_KEYS.join(", ")
                        ),
                    };
                    errors.push(
                        Diagnostic::error(file, format!("unknown key `accounts.{n}.api.{k}`"))
                            .at(src, o, o + k.len())
                            .with_help(help),
                    );
                }
            }
            merged_api(site_api, Some(m))
        }
        Some(_) => Err(format!(
            "`accounts.{n}.api` must be a mapping, as `api:` is"
        )),
    };
    let api = match api {
        Ok(a) => a,
        Err(why) => {
            errors.push(err("api", why));
            ApiConfig::default()
        }
    };
    if errors.len() > before {
        return None;
    }
    Some((
        Account {
            name: name.clone(),
            default: false,
            appid,
            // Filled in once the default is known.
            appid_env: appid_env.unwrap_or_default(),
            secret_env: secret_env.unwrap_or_default(),
            token_env: token_env.unwrap_or_default(),
            api,
            articles,
        },
        default,
    ))
}

/// The variables of each account not named in `wxsync.yaml`: the default account's are
/// today's, the others' carry the account's name.
fn finish_env_names(accounts: &mut [Account]) {
    for a in accounts {
        let suffix = a.name.env_suffix();
        let pick = |given: &mut String, base: &str| {
            if given.is_empty() {
                *given = if a.default {
                    base.to_string()
                } else {
                    format!("{base}_{suffix}")
                };
            }
        };
        pick(&mut a.appid_env, "WECHAT_APPID");
        pick(&mut a.secret_env, "WECHAT_APPSECRET");
        pick(&mut a.token_env, "WECHAT_ACCESS_TOKEN");
    }
}

/// The site's `api:` with `over`'s keys replacing its own, parsed as one `api:` section.
fn merged_api(site_api: &Value, over: Option<&serde_yaml::Mapping>) -> Result<ApiConfig, String> {
    let mut base = match site_api {
        Value::Mapping(m) => m.clone(),
        _ => serde_yaml::Mapping::new(),
    };
    if let Some(over) = over {
        for (k, v) in over {
            base.insert(k.clone(), v.clone());
        }
    }
    serde_yaml::from_value(Value::Mapping(base)).map_err(|e| {
        let mut m = e.to_string();
        if let Some(i) = m.find(" at line ") {
            m.truncate(i);
        }
        format!("`api` of this account: {m}")
    })
}

/// What an article's front matter says under `accounts:`.
enum FrontAccounts {
    /// No such key: the globs and the default decide.
    Absent,
    /// Its front matter or the key's value cannot be read; the render reports why.
    Unreadable,
    /// The names listed (a name or a list), with the article's text and the key's offset in
    /// it, to point errors at.
    Listed {
        names: Vec<String>,
        src: Arc<str>,
        offset: usize,
    },
}

fn front_accounts(site: &super::Site, path: &ArticlePath) -> FrontAccounts {
    let Ok(bytes) = crate::fs::read_capped(&site.abs(path), crate::fs::TEXT_MAX) else {
        return FrontAccounts::Unreadable;
    };
    let Ok(text) = std::str::from_utf8(crate::fs::strip_bom(&bytes)) else {
        return FrontAccounts::Unreadable;
    };
    // Most articles never mention it: no YAML parse for them.
    if !text.contains("accounts") {
        return FrontAccounts::Absent;
    }
    let src: Arc<str> = Arc::from(text);
    let Ok(split) = super::frontmatter::split(&src, path.as_str(), &src) else {
        return FrontAccounts::Unreadable;
    };
    let Some(yaml) = split.yaml else {
        return FrontAccounts::Absent;
    };
    let Ok(value) = serde_yaml::from_str::<Value>(yaml) else {
        return FrontAccounts::Unreadable;
    };
    let names = match value.get("accounts") {
        None => return FrontAccounts::Absent,
        Some(Value::String(s)) => vec![s.trim().to_string()],
        Some(Value::Sequence(items)) => {
            let names: Option<Vec<String>> = items
                .iter()
                .map(|i| i.as_str().map(|s| s.trim().to_string()))
                .collect();
            match names {
                Some(n) => n,
                None => return FrontAccounts::Unreadable,
            }
        }
        // A wrong type is the typed front matter's error.
        Some(_) => return FrontAccounts::Unreadable,
    };
    let offset = split.yaml_offset + key_offset(yaml, &["accounts"]).unwrap_or(0);
    FrontAccounts::Listed {
        names,
        src: src.clone(),
        offset,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::Config;

    fn parse(y: &str) -> Result<Config, Vec<Diagnostic>> {
        Config::parse(y, CONFIG_FILE)
    }

    #[test]
    fn no_section_is_one_default_account_as_before() {
        let c = parse("appid: wx1\n").unwrap();
        let a = c.accounts.default_account();
        assert_eq!(
            (a.name.as_str(), a.lock_file().as_str(), a.appid.as_deref()),
            ("main", "wxsync.lock", Some("wx1"))
        );
        assert!(!c.accounts.several());
        assert_eq!(
            a.env_names("WECHAT_APPID"),
            ["WECHAT_APPID", "WECHAT_APP_ID"]
        );
        assert_eq!(a.env_names("WXSYNC_API_BASE"), ["WXSYNC_API_BASE"]);
        assert_eq!(a.cache_dir(Path::new("/s")), Path::new("/s/.wxsync"));
    }

    #[test]
    fn default_rules_and_files() {
        let c = parse("accounts:\n  main:\n    appid: wxA\n  brand-2:\n    appid: wxB\n").unwrap();
        let d = c.accounts.default_account();
        assert_eq!(d.name.as_str(), "main");
        let b = c.accounts.get("brand-2").unwrap();
        assert_eq!(b.lock_file(), "wxsync.brand-2.lock");
        assert_eq!(b.secret_env, "WECHAT_APPSECRET_BRAND_2");
        assert_eq!(
            b.env_names("WXSYNC_API_BASE"),
            ["WXSYNC_API_BASE_BRAND_2", "WXSYNC_API_BASE"]
        );
        // Never the default account's credentials.
        assert_eq!(
            b.env_names("WECHAT_APPSECRET"),
            ["WECHAT_APPSECRET_BRAND_2"]
        );
        assert_eq!(
            b.env_names("WECHAT_APP_SECRET"),
            ["WECHAT_APPSECRET_BRAND_2"]
        );
        assert_eq!(
            b.env_names("WECHAT_ACCESS_TOKEN"),
            ["WECHAT_ACCESS_TOKEN_BRAND_2"]
        );
        assert_eq!(
            b.env_names("WXSYNC_RELAY_KEY"),
            ["WXSYNC_RELAY_KEY_BRAND_2"]
        );
        assert_eq!(
            b.cache_dir(Path::new("/s")),
            Path::new("/s/.wxsync/accounts/brand-2")
        );
        let c = parse("accounts:\n  a:\n    appid: wxA\n  b:\n    default: true\n").unwrap();
        assert_eq!(c.accounts.default_account().name.as_str(), "b");
        assert_eq!(c.accounts.default_account().lock_file(), "wxsync.lock");
        let c = parse("accounts:\n  only:\n    appid: wxA\n").unwrap();
        assert_eq!(c.accounts.default_account().name.as_str(), "only");
    }

    #[test]
    fn bad_accounts_are_errors_at_their_line() {
        let e =
            parse("theme: default\naccounts:\n  a:\n    default: true\n  b:\n    default: true\n")
                .unwrap_err();
        assert_eq!(e[0].location(), "wxsync.yaml:6:5", "{e:?}");
        let e = parse("accounts:\n  a: {}\n  b: {}\n").unwrap_err();
        assert_eq!(e[0].line, Some(1), "{e:?}");
        assert!(e[0].message.contains("none is the default"), "{e:?}");
        let e = parse("accounts:\n  main: {}\n  Brand/2: {}\n").unwrap_err();
        assert_eq!(e[0].location(), "wxsync.yaml:3:3", "{e:?}");
        let e = parse("accounts:\n  main:\n    secret_env: abc-123\n").unwrap_err();
        assert_eq!(e[0].line, Some(3), "{e:?}");
        let e = parse("accounts:\n  main:\n    appid_evn: X\n").unwrap_err();
        assert_eq!(e[0].help.as_deref(), Some("did you mean `appid_env`?"));
        let e = parse("accounts:\n  main:\n    api:\n      tokn: stable\n").unwrap_err();
        assert_eq!(e[0].line, Some(4), "{e:?}");
        let e = parse("accounts:\n  main:\n    appid: wx1\n  b:\n    appid: wx1\n").unwrap_err();
        assert_eq!(e[0].line, Some(5), "{e:?}");
        let e = parse("accounts:\n  main:\n    secret: x\n").unwrap_err();
        assert!(e[0].help.as_deref().unwrap().contains("WECHAT_APPSECRET"));
        let e = parse("accounts: []\n").unwrap_err();
        assert_eq!(e[0].line, Some(1));
    }

    #[test]
    fn account_api_overrides_the_site_api_key_by_key() {
        let c = parse(
            "api:\n  token: classic\n  proxy: http://p:1\naccounts:\n  main: {}\n  b:\n    api:\n      base_url: http://127.0.0.1:9\n",
        )
        .unwrap();
        let b = c.accounts.get("b").unwrap();
        assert_eq!(b.api.base_url.as_deref(), Some("http://127.0.0.1:9"));
        assert_eq!(b.api.token, crate::wechat::TokenMode::Classic);
        assert_eq!(b.api.proxy.as_deref(), Some("http://p:1"));
        let m = c.accounts.get("main").unwrap();
        assert_eq!(m.api.base_url, None);
    }

    #[test]
    fn a_bad_site_api_is_reported_once_not_per_account() {
        let e = parse("api:\n  token: sometimes\naccounts:\n  main: {}\n  b: {}\n").unwrap_err();
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].line, Some(2), "{e:?}");
        let e =
            parse("accounts:\n  main: {}\n  b:\n    api:\n      token: sometimes\n").unwrap_err();
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].line, Some(4), "{e:?}");
    }

    #[test]
    fn names() {
        assert!(AccountName::parse("brand2").is_ok());
        for bad in ["", "-a", "a-", "A", "a_b", "a.b", "a/b", &"x".repeat(33)] {
            assert!(AccountName::parse(bad).is_err(), "{bad}");
        }
    }
}
