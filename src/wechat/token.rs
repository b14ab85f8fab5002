//! Access-token storage: where a token comes from ([`TokenSource`]), the in-memory cache, and
//! the on-disk cache `.wxsync/token.json` (mode 0600, keyed by AppID and token kind) that lets
//! consecutive runs share one token. Fetching over HTTP is the client's job; this module decides
//! when a cached token is still good and forgets one only if it is the token that failed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::redact::Secret;

/// A cached token is replaced this long before WeChat says it expires: a stable-token call in
/// the last 5 minutes returns a new token anyway, and a run should not start with a token that
/// dies mid-way.
pub const REFRESH_MARGIN_SECS: u64 = 300;

/// The file name inside the cache directory (`.wxsync/`).
pub const CACHE_FILE: &str = "token.json";

/// Where access tokens come from.
#[derive(Debug, Clone)]
pub(crate) enum TokenSource {
    /// `POST cgi-bin/stable_token` in normal mode.
    Stable { appid: String, secret: Secret },
    /// `GET cgi-bin/token`: invalidates the token every other user of the AppID holds.
    Classic { appid: String, secret: Secret },
    /// `WECHAT_ACCESS_TOKEN`, used as is and never refreshed.
    Fixed(Secret),
    /// `POST {url}/token` of a `wxsync relay`, with a bearer key: the relay holds the secret.
    /// The AppID, when known, only keys the disk cache.
    Relay {
        appid: Option<String>,
        url: String,
        key: Secret,
    },
}

impl TokenSource {
    /// The cache key for the kind of token: the two pools are independent on WeChat's side.
    fn kind(&self) -> &'static str {
        match self {
            TokenSource::Stable { .. } => "stable",
            TokenSource::Classic { .. } => "classic",
            TokenSource::Fixed(_) => "env",
            TokenSource::Relay { .. } => "relay",
        }
    }

    fn appid(&self) -> Option<&str> {
        match self {
            TokenSource::Stable { appid, .. } | TokenSource::Classic { appid, .. } => Some(appid),
            TokenSource::Relay { appid, .. } => appid.as_deref(),
            TokenSource::Fixed(_) => None,
        }
    }
}

/// A token and when it stops being usable (Unix seconds).
#[derive(Debug, Clone)]
pub(crate) struct CachedToken {
    pub token: Secret,
    pub expires_at: u64,
}

impl CachedToken {
    fn is_fresh(&self, now: u64) -> bool {
        now + REFRESH_MARGIN_SECS < self.expires_at
    }
}

/// This machine's clock, in Unix seconds.
pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The token cache of one client: memory first, then disk.
#[derive(Debug)]
pub(crate) struct TokenStore {
    source: TokenSource,
    /// Tokens minted for one API base are useless against another (the emulator vs WeChat).
    base_url: String,
    disk: Option<PathBuf>,
    current: Option<CachedToken>,
    disk_checked: bool,
    /// The next fetch asks for a new token rather than the current one (`force_refresh`).
    force_next: bool,
}

impl TokenStore {
    pub fn new(source: TokenSource, base_url: &str, cache_dir: Option<&Path>) -> TokenStore {
        let disk = match source {
            TokenSource::Fixed(_) => None,
            _ => cache_dir.map(|d| d.join(CACHE_FILE)),
        };
        TokenStore {
            source,
            base_url: base_url.to_string(),
            disk,
            current: None,
            disk_checked: false,
            force_next: false,
        }
    }

    pub fn source(&self) -> &TokenSource {
        &self.source
    }

    /// A token that is good for a while yet, from memory or disk, if there is one. A fixed
    /// token's expiry is unknown: it says `u64::MAX`.
    pub fn cached(&mut self) -> Option<CachedToken> {
        if let TokenSource::Fixed(t) = &self.source {
            return Some(CachedToken {
                token: t.clone(),
                expires_at: u64::MAX,
            });
        }
        let now = now_unix();
        if let Some(c) = self.current.as_ref().filter(|c| c.is_fresh(now)) {
            return Some(c.clone());
        }
        if !self.disk_checked {
            self.disk_checked = true;
            if let Some(c) = self.read_disk().filter(|c| c.is_fresh(now)) {
                self.current = Some(c.clone());
                return Some(c);
            }
        }
        None
    }

    /// Records a freshly fetched token in memory and (best effort) on disk.
    pub fn store(&mut self, token: Secret, expires_in: u64) -> CachedToken {
        let cached = CachedToken {
            token,
            expires_at: now_unix() + expires_in,
        };
        self.write_disk(Some(&cached));
        self.current = Some(cached.clone());
        cached
    }

    /// Whether this fetch must ask for a new token; asking clears the request.
    pub fn take_force(&mut self) -> bool {
        std::mem::take(&mut self.force_next)
    }

    /// Puts back a forced fetch that did not happen (the fetch failed).
    pub fn keep_force(&mut self, force: bool) {
        self.force_next |= force;
    }

    /// Drops the current token and makes the next fetch a forced one (the relay's
    /// `force_refresh`, after a client's token was rejected).
    pub fn force_refresh(&mut self) {
        self.current = None;
        self.disk_checked = true;
        self.force_next = true;
    }

    /// Forgets `failed` if it is still the cached token; a token another task already replaced
    /// stays. Returns false when the source cannot be refreshed (a fixed token).
    pub fn invalidate(&mut self, failed: &Secret) -> bool {
        if matches!(self.source, TokenSource::Fixed(_)) {
            return false;
        }
        if self.current.as_ref().is_some_and(|c| c.token == *failed) {
            self.current = None;
            self.write_disk(None);
            // The relay hands out its cached token, the one just rejected, unless asked for a
            // new one. (A direct stable_token call needs no force: WeChat's own answer is
            // fresh, and forced calls have a small daily quota.)
            self.force_next = matches!(self.source, TokenSource::Relay { .. });
        }
        true
    }

    fn read_disk(&self) -> Option<CachedToken> {
        let path = self.disk.as_ref()?;
        let appid = self.source.appid()?;
        let file = read_cache_file(path);
        let entry = file.tokens.get(appid)?.get(self.source.kind())?;
        (entry.base_url == self.base_url).then(|| CachedToken {
            token: Secret::new(entry.access_token.clone()),
            expires_at: entry.expires_at,
        })
    }

    /// Rewrites this store's entry (or removes it with `None`), keeping other entries. Failure
    /// to write only costs a token fetch next run, so it is not an error.
    fn write_disk(&self, token: Option<&CachedToken>) {
        let (Some(path), Some(appid)) = (self.disk.as_ref(), self.source.appid()) else {
            return;
        };
        let mut file = read_cache_file(path);
        let kinds = file.tokens.entry(appid.to_string()).or_default();
        match token {
            Some(t) => {
                kinds.insert(
                    self.source.kind().to_string(),
                    DiskEntry {
                        access_token: t.token.expose().to_string(),
                        expires_at: t.expires_at,
                        base_url: self.base_url.clone(),
                    },
                );
            }
            None => {
                kinds.remove(self.source.kind());
            }
        }
        let _ = write_private(path, &file);
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CacheFile {
    #[serde(default)]
    tokens: BTreeMap<String, BTreeMap<String, DiskEntry>>,
}

#[derive(Serialize, Deserialize)]
struct DiskEntry {
    access_token: String,
    expires_at: u64,
    base_url: String,
}

impl std::fmt::Debug for DiskEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiskEntry")
            .field("access_token", &"***")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A missing or unreadable cache is an empty one: it is only a cache.
fn read_cache_file(path: &Path) -> CacheFile {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Writes atomically through a temporary file, which tempfile creates with mode 0600, so the
/// token is never readable by others, not even for a moment.
fn write_private(path: &Path, file: &CacheFile) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    let bytes = serde_json::to_vec_pretty(file).map_err(std::io::Error::other)?;
    tmp.write_all(&bytes)?;
    tmp.as_file().sync_all()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stable() -> TokenSource {
        TokenSource::Stable {
            appid: "wxtest".into(),
            secret: Secret::new("unit-test-secret"),
        }
    }

    #[test]
    fn disk_cache_round_trips_with_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = TokenStore::new(stable(), "http://x", Some(dir.path()));
        assert!(a.cached().is_none());
        a.store(Secret::new("tok-on-disk-1"), 7200);
        let mut b = TokenStore::new(stable(), "http://x", Some(dir.path()));
        assert_eq!(b.cached().unwrap().token.expose(), "tok-on-disk-1");
        // Another base URL does not see it.
        let mut c = TokenStore::new(stable(), "http://y", Some(dir.path()));
        assert!(c.cached().is_none());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(CACHE_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn near_expiry_is_stale_and_invalidate_compares() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = TokenStore::new(stable(), "http://x", Some(dir.path()));
        a.store(Secret::new("short-lived-token"), REFRESH_MARGIN_SECS - 1);
        assert!(a.cached().is_none());
        a.store(Secret::new("current-token-x"), 7200);
        a.invalidate(&Secret::new("some-older-token"));
        assert_eq!(a.cached().unwrap().token.expose(), "current-token-x");
        a.invalidate(&Secret::new("current-token-x"));
        assert!(a.cached().is_none());
        let mut b = TokenStore::new(stable(), "http://x", Some(dir.path()));
        assert!(b.cached().is_none());
    }

    /// A rejected relay token makes the next fetch a forced one, once; a stable one does not.
    #[test]
    fn relay_invalidation_forces_the_next_fetch_once() {
        let relay = TokenSource::Relay {
            appid: None,
            url: "http://r".into(),
            key: Secret::new("unit-test-relay-key"),
        };
        let mut r = TokenStore::new(relay, "http://x", None);
        r.store(Secret::new("relay-token-1"), 7200);
        r.invalidate(&Secret::new("relay-token-1"));
        assert!(r.cached().is_none());
        assert!(r.take_force());
        assert!(!r.take_force());
        let mut s = TokenStore::new(stable(), "http://x", None);
        s.store(Secret::new("stable-token-1"), 7200);
        s.invalidate(&Secret::new("stable-token-1"));
        assert!(!s.take_force());
    }
}
