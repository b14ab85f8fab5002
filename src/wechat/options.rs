//! How a client is configured: credentials from the environment only (never a file), the
//! rest from `wxsync.yaml`, and the retry policy.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::error::{Error, Setting};
use super::redact::Secret;
use super::token::TokenSource;

/// WeChat's API host.
pub const DEFAULT_BASE_URL: &str = "https://api.weixin.qq.com";

/// The default [`ClientOptions::deadline`]. The longest legitimate exchange is a 10 MB
/// permanent image going up (or a draft of eight 1 MB articles coming down): 120 s covers it
/// down to about 100 KB/s, twice the 60 s a single read may wait. It stays well inside the
/// window in which a lost `draft/add` or `add_material` is matched by time (15 minutes).
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(120);

/// How transient failures are retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// First backoff delay; doubled on each retry, with jitter.
    pub base_delay: Duration,
    /// Cap on any one delay, including the wait for the next minute after `45011`.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_retries: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(61),
        }
    }
}

/// Called with every token as it is minted or read, e.g. to print `::add-mask::` in GitHub
/// Actions.
pub type TokenHook = Arc<dyn Fn(&Secret) + Send + Sync>;

/// Called after every HTTP exchange with WeChat (`-v` prints them). It sees the endpoint, never
/// the query (which holds the token) or the body (which may hold the secret).
pub type CallHook = Arc<dyn Fn(&CallRecord) + Send + Sync>;

/// One exchange, as [`CallHook`] sees it.
#[derive(Debug, Clone)]
pub struct CallRecord {
    pub method: &'static str,
    /// e.g. `/cgi-bin/draft/add`.
    pub path: &'static str,
    /// `ok`, `errcode 45009`, `HTTP 502`, `timeout`, …
    pub outcome: String,
    pub elapsed: Duration,
}

/// Everything the client needs. Build it with [`ClientOptions::from_env`], or by hand in tests.
#[derive(Clone)]
pub struct ClientOptions {
    /// e.g. `https://api.weixin.qq.com` or the emulator's `http://127.0.0.1:PORT`.
    pub base_url: String,
    pub token_mode: TokenMode,
    /// Proxy for every call (`api.proxy`); else `HTTPS_PROXY`/`ALL_PROXY` apply.
    pub proxy: Option<String>,
    pub appid: String,
    pub secret: Option<Secret>,
    /// Used as is when `token_mode` is [`TokenMode::Env`].
    pub access_token: Option<Secret>,
    /// A `wxsync relay`'s URL (`WXSYNC_RELAY_URL`, `api.relay_url`) for [`TokenMode::Relay`].
    pub relay_url: Option<String>,
    /// Its bearer key (`WXSYNC_RELAY_KEY`, environment only).
    pub relay_key: Option<Secret>,
    /// Where `token.json` lives (the site's `.wxsync/`); `None` keeps tokens in memory only.
    pub cache_dir: Option<PathBuf>,
    pub connect_timeout: Duration,
    /// Longest wait for the next bytes of an answer.
    pub read_timeout: Duration,
    /// Longest time one attempt may take from connecting to the last byte of the answer,
    /// however steadily bytes arrive: `read_timeout` alone lets an answer that trickles in a
    /// byte a second hold a run for hours. Reached, the call is a timeout.
    pub deadline: Duration,
    pub retry: RetryPolicy,
    pub on_token: Option<TokenHook>,
    pub on_call: Option<CallHook>,
}

impl fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientOptions")
            .field("base_url", &self.base_url)
            .field("token_mode", &self.token_mode)
            .field(
                "proxy",
                &self.proxy.as_deref().map(super::redact::redact_url),
            )
            .field("appid", &self.appid)
            .field("secret", &self.secret)
            .field("access_token", &self.access_token)
            .field(
                "relay_url",
                &self.relay_url.as_deref().map(super::redact::redact_url),
            )
            .field("relay_key", &self.relay_key)
            .field("cache_dir", &self.cache_dir)
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("deadline", &self.deadline)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// What the site config says about the API; the environment overrides it.
#[derive(Debug, Clone, Default)]
pub struct ConfigDefaults {
    /// `appid` in `wxsync.yaml`.
    pub appid: Option<String>,
    /// `api.base_url`.
    pub base_url: Option<String>,
    /// `api.token`.
    pub token_mode: TokenMode,
    /// `api.proxy`.
    pub proxy: Option<String>,
    /// `api.relay_url`.
    pub relay_url: Option<String>,
    /// The site's `.wxsync/` directory.
    pub cache_dir: Option<PathBuf>,
}

impl ClientOptions {
    /// Options with defaults for everything but the base URL and AppID.
    pub fn new(base_url: impl Into<String>, appid: impl Into<String>) -> ClientOptions {
        ClientOptions {
            base_url: base_url.into(),
            token_mode: TokenMode::Stable,
            proxy: None,
            appid: appid.into(),
            secret: None,
            access_token: None,
            relay_url: None,
            relay_key: None,
            cache_dir: None,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            deadline: DEFAULT_DEADLINE,
            retry: RetryPolicy::default(),
            on_token: None,
            on_call: None,
        }
    }

    /// Reads `WECHAT_APPID`/`WECHAT_APP_ID`, `WECHAT_APPSECRET`/`WECHAT_APP_SECRET`,
    /// `WECHAT_ACCESS_TOKEN`, `WXSYNC_API_BASE`, `WXSYNC_RELAY_URL` and `WXSYNC_RELAY_KEY`, each
    /// winning over the config. A set `WECHAT_ACCESS_TOKEN` means that token is used as is (as
    /// `api.token: env` does); else a set `WXSYNC_RELAY_URL` means tokens come from that relay
    /// (as `api.token: relay` does), which is what the action's `relay-url` input sets.
    pub fn from_env(config: ConfigDefaults) -> Result<ClientOptions, Error> {
        ClientOptions::from_vars(config, |k| std::env::var(k).ok())
    }

    /// [`ClientOptions::from_env`] with the variables taken from `var` (for tests).
    pub fn from_vars(
        config: ConfigDefaults,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<ClientOptions, Error> {
        let get = |names: &[&str]| {
            names.iter().find_map(|n| {
                var(n)
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
            })
        };
        let base_url = get(&["WXSYNC_API_BASE"])
            .or(config.base_url)
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        let appid = get(&["WECHAT_APPID", "WECHAT_APP_ID"]).or(config.appid);
        let secret = get(&["WECHAT_APPSECRET", "WECHAT_APP_SECRET"]).map(Secret::new);
        let access_token = get(&["WECHAT_ACCESS_TOKEN"]).map(Secret::new);
        let relay_env = get(&["WXSYNC_RELAY_URL"]);
        let token_mode = if access_token.is_some() {
            TokenMode::Env
        } else if relay_env.is_some() {
            TokenMode::Relay
        } else {
            config.token_mode
        };
        let mut opts = ClientOptions::new(base_url, appid.unwrap_or_default());
        opts.token_mode = token_mode;
        opts.proxy = config.proxy;
        opts.secret = secret;
        opts.access_token = access_token;
        opts.relay_url = relay_env.or(config.relay_url);
        opts.relay_key = get(&["WXSYNC_RELAY_KEY"]).map(Secret::new);
        opts.cache_dir = config.cache_dir;
        opts.token_source()?;
        Ok(opts)
    }

    pub(super) fn token_source(&self) -> Result<TokenSource, Error> {
        if self.token_mode == TokenMode::Env {
            return self
                .access_token
                .clone()
                .map(TokenSource::Fixed)
                .ok_or_else(|| {
                    Error::config(
                        Setting::Credentials,
                        "api.token is `env` but WECHAT_ACCESS_TOKEN is not set",
                    )
                });
        }
        if self.token_mode == TokenMode::Relay {
            let Some(url) = self.relay_url.clone() else {
                return Err(Error::config(
                    Setting::Relay,
                    "api.token is `relay` but no relay URL is set (WXSYNC_RELAY_URL or \
                     api.relay_url)",
                ));
            };
            let Some(key) = self.relay_key.clone() else {
                return Err(Error::config(
                    Setting::Relay,
                    "api.token is `relay` but WXSYNC_RELAY_KEY is not set",
                ));
            };
            let appid = (!self.appid.is_empty()).then(|| self.appid.clone());
            return Ok(TokenSource::Relay { appid, url, key });
        }
        if self.appid.is_empty() {
            return Err(Error::config(
                Setting::Credentials,
                "no AppID: set WECHAT_APPID (or `appid` in wxsync.yaml)",
            ));
        }
        let Some(secret) = self.secret.clone() else {
            return Err(Error::config(
                Setting::Credentials,
                "no AppSecret: set WECHAT_APPSECRET (or WECHAT_ACCESS_TOKEN to use a token as is)",
            ));
        };
        let appid = self.appid.clone();
        Ok(match self.token_mode {
            TokenMode::Classic => TokenSource::Classic { appid, secret },
            _ => TokenSource::Stable { appid, secret },
        })
    }
}

/// How wxsync obtains an access token (`api.token` in `wxsync.yaml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenMode {
    /// `POST /cgi-bin/stable_token`: does not invalidate tokens held by other users of the AppID.
    #[default]
    Stable,
    /// `GET /cgi-bin/token`: each fetch invalidates the token other users of the AppID hold.
    Classic,
    /// `WECHAT_ACCESS_TOKEN` used as is, never refreshed.
    Env,
    /// From a `wxsync relay` on a whitelisted host (`WXSYNC_RELAY_URL`, `WXSYNC_RELAY_KEY`):
    /// no AppSecret here at all.
    Relay,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_wins_over_config() {
        let vars = |k: &str| match k {
            "WECHAT_APP_ID" => Some("wxenv".to_string()),
            "WECHAT_APPSECRET" => Some("s3cr3t-value".to_string()),
            "WXSYNC_API_BASE" => Some("http://127.0.0.1:9".to_string()),
            _ => None,
        };
        let config = ConfigDefaults {
            appid: Some("wxconfig".into()),
            base_url: Some("https://proxy.example".into()),
            token_mode: TokenMode::Classic,
            ..ConfigDefaults::default()
        };
        let o = ClientOptions::from_vars(config, vars).unwrap();
        assert_eq!(o.appid, "wxenv");
        assert_eq!(o.base_url, "http://127.0.0.1:9");
        assert_eq!(o.token_mode, TokenMode::Classic);
        assert!(!format!("{o:?}").contains("s3cr3t-value"));
    }

    #[test]
    fn access_token_var_means_env_mode_and_missing_secret_is_an_error() {
        let o = ClientOptions::from_vars(ConfigDefaults::default(), |k| {
            (k == "WECHAT_ACCESS_TOKEN").then(|| "given-token".to_string())
        })
        .unwrap();
        assert_eq!(o.token_mode, TokenMode::Env);
        let e = ClientOptions::from_vars(ConfigDefaults::default(), |k| {
            (k == "WECHAT_APPID").then(|| "wx1".to_string())
        })
        .unwrap_err();
        assert!(e.to_string().contains("WECHAT_APPSECRET"));
    }

    #[test]
    fn relay_url_var_means_relay_mode_and_needs_the_key() {
        let o = ClientOptions::from_vars(ConfigDefaults::default(), |k| match k {
            "WXSYNC_RELAY_URL" => Some("https://relay.example:8443".to_string()),
            "WXSYNC_RELAY_KEY" => Some("relay-key-for-unit-test".to_string()),
            _ => None,
        })
        .unwrap();
        assert_eq!(o.token_mode, TokenMode::Relay);
        assert!(o.secret.is_none());
        assert!(!format!("{o:?}").contains("relay-key-for-unit-test"));
        let config = ConfigDefaults {
            token_mode: TokenMode::Relay,
            relay_url: Some("https://relay.example".into()),
            ..ConfigDefaults::default()
        };
        let e = ClientOptions::from_vars(config, |_| None).unwrap_err();
        assert!(e.to_string().contains("WXSYNC_RELAY_KEY"), "{e}");
    }
}
