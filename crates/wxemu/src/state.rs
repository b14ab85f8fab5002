//! The emulated account: its configuration knobs, tokens, permanent material, drafts, request
//! log, pending faults and virtual clock, and the behaviour of every API endpoint as a plain
//! function from a parsed request to a JSON answer (the server module does the HTTP).

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::html;

/// How the 20,000-character content limit is counted (WeChat does not say).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContentCount {
    /// Characters of visible text.
    Text,
    /// Characters of the HTML source.
    Html,
}

/// Whether the account can attach products (`product_info`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Commerce {
    Enabled,
    /// → 53406.
    NotEnabled,
    /// → 53404.
    Restricted,
}

/// The emulated account and the knobs for behaviour the reference marks as uncertain. Every
/// field can be changed at run time (`Emulator::configure`, `POST /__emu/config`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    pub appid: String,
    pub secret: String,
    /// `None`: no whitelist. Otherwise token calls from other IPs get 40164.
    pub allowed_ips: Option<Vec<String>>,
    /// The caller IP to report instead of the peer address / `X-Forwarded-For`.
    pub seen_ip: Option<String>,
    /// Enforce the whitelist on every endpoint, not only on token endpoints.
    pub whitelist_all_endpoints: bool,
    /// `expires_in` of a new token.
    pub token_ttl: i64,
    /// How long the previous classic token keeps working after a new one is fetched.
    pub classic_overlap: i64,
    /// How long the previous stable token keeps working after a forced refresh.
    pub stable_grace: i64,
    pub uploadimg_max_bytes: usize,
    pub image_max_bytes: usize,
    pub thumb_max_bytes: usize,
    pub max_articles: usize,
    /// The code for more than `max_articles` (unknown on the real server).
    pub max_articles_code: i64,
    pub title_max_chars: usize,
    pub author_max_chars: usize,
    pub digest_max_chars: usize,
    pub content_max_chars: usize,
    pub content_count: ContentCount,
    pub content_max_bytes: usize,
    pub newspic_max_chars: usize,
    pub source_url_max_bytes: usize,
    /// `content_source_url: ""` → 41039 (reported in the wild).
    pub empty_source_url_rejected: bool,
    /// Keep `\uXXXX` escapes of non-ASCII text literally, as the real server shows them, so
    /// they count 6 characters each towards the limits.
    pub literal_unicode_escapes: bool,
    pub comment_privilege: bool,
    pub commerce: Commerce,
    /// Reduce links to their text unless they point at mp.weixin.qq.com.
    pub strip_links: bool,
    /// The answer to deleting an unknown draft: 0 (WxJava) or 40007 (the docs).
    pub delete_missing_code: i64,
    /// `draft/batchget` order: newest `update_time` first, else oldest first.
    pub batchget_newest_first: bool,
    /// `material/batchget_material` order: newest `update_time` first, else oldest first
    /// (the real order is not documented).
    pub material_batchget_newest_first: bool,
    /// Daily call limits per path (e.g. `"draft/add": 100`) → 45009. `openapi/quota/get`
    /// reports them (an API without one reports `default_daily_limit`).
    pub daily_limits: BTreeMap<String, u64>,
    /// The limit `openapi/quota/get` reports for an API without one in `daily_limits`
    /// (such an API is never refused).
    pub default_daily_limit: u64,
    /// Whether the account may call `freepublish/*` (verified); else 48001, as for accounts
    /// whose API publishing was revoked in 2025.
    pub publish_enabled: bool,
    /// How many `freepublish/get` polls answer "publishing" (status 1) before the job ends.
    pub publish_polls: u32,
    /// The status a publish job ends with: 0 published (the draft leaves the box), 2–4 a
    /// failure (the draft stays).
    pub publish_outcome: i64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            appid: "wxemu0000000000001".into(),
            secret: "wxemu-secret-0123456789abcdef".into(),
            allowed_ips: None,
            seen_ip: None,
            whitelist_all_endpoints: false,
            token_ttl: 7200,
            classic_overlap: 300,
            stable_grace: 300,
            uploadimg_max_bytes: 1_048_576,
            image_max_bytes: 10 * 1024 * 1024,
            thumb_max_bytes: 64 * 1024,
            max_articles: 8,
            max_articles_code: 45008,
            title_max_chars: 32,
            author_max_chars: 16,
            digest_max_chars: 128,
            content_max_chars: 20_000,
            content_count: ContentCount::Text,
            content_max_bytes: 1_000_000,
            newspic_max_chars: 1000,
            source_url_max_bytes: 1024,
            empty_source_url_rejected: true,
            literal_unicode_escapes: true,
            comment_privilege: true,
            commerce: Commerce::NotEnabled,
            strip_links: true,
            delete_missing_code: 0,
            batchget_newest_first: true,
            material_batchget_newest_first: true,
            daily_limits: BTreeMap::new(),
            default_daily_limit: 100_000,
            publish_enabled: true,
            publish_polls: 1,
            publish_outcome: 0,
        }
    }
}

/// One request as the emulator received it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogEntry {
    pub seq: u64,
    pub method: String,
    /// e.g. `/cgi-bin/draft/add`.
    pub path: String,
    pub query: String,
    /// The `access_token` query parameter, if any.
    pub access_token: Option<String>,
    pub content_type: Option<String>,
    /// The raw body as text (lossy UTF-8); for multipart uploads only the part headers.
    pub body: String,
    /// Multipart parts.
    pub parts: Vec<PartInfo>,
    /// The `errcode` answered (0 for success); `None` for an HTTP-level fault.
    pub errcode: Option<i64>,
    /// The fault that was applied, if any.
    pub fault: Option<String>,
    /// Virtual time of arrival.
    pub time: i64,
    /// Bytes of the answer's body the emulator handed to the connection: known once the body
    /// is complete or its connection is closed (how far an oversized or trickling answer got
    /// before the client gave up); `None` before then and for a dropped connection.
    #[serde(default)]
    pub answer_bytes: Option<u64>,
}

impl LogEntry {
    /// The path without `/cgi-bin/`, e.g. `draft/add`.
    pub fn name(&self) -> &str {
        self.path.trim_start_matches("/cgi-bin/")
    }
}

/// A multipart part's headers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PartInfo {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub size: usize,
}

/// A parsed multipart part.
#[derive(Debug, Clone)]
pub struct Part {
    pub info: PartInfo,
    pub data: Vec<u8>,
}

/// How a faulted connection is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DropMode {
    /// Before the request is processed: nothing happened.
    Before,
    /// After it was processed: the change was made but the answer is lost.
    After,
}

/// A fault for the next `times` calls to `path`. Combine a delay with any one effect; the
/// answer faults (`malformed`, `without`, `oversize`, `trickle_ms`) apply to a call that was
/// processed, so whatever it creates is created, and combine with each other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// `draft/add` or `/cgi-bin/draft/add`.
    pub path: String,
    #[serde(default = "one")]
    pub times: u32,
    /// Answer this errcode instead of processing the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errcode: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errmsg: Option<String>,
    /// Wait this long before answering.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// Close the connection without an answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop: Option<DropMode>,
    /// Answer this HTTP status (a failing gateway) instead of processing the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// Process the call, then answer HTTP 200 with only the first half of the JSON answer.
    #[serde(default, skip_serializing_if = "is_false")]
    pub malformed: bool,
    /// Process the call, then answer without these fields (e.g. `media_id`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub without: Vec<String>,
    /// Process the call, then answer HTTP 200 with this many bytes of whitespace before the
    /// JSON answer, generated as they are sent (never held in memory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oversize: Option<u64>,
    /// With `oversize`: declare the length in `Content-Length` (else the body is chunked, and
    /// only counting while reading finds it too long).
    #[serde(default, skip_serializing_if = "is_false")]
    pub declare_length: bool,
    /// Process the call, then send the answer one byte every this many milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trickle_ms: Option<u64>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn one() -> u32 {
    1
}

impl Fault {
    fn on(path: &str) -> Fault {
        Fault {
            path: normalize_path(path),
            times: 1,
            errcode: None,
            errmsg: None,
            delay_ms: None,
            drop: None,
            http_status: None,
            malformed: false,
            without: Vec::new(),
            oversize: None,
            declare_length: false,
            trickle_ms: None,
        }
    }

    /// The next call to `path` answers `errcode`.
    pub fn errcode(path: &str, errcode: i64) -> Fault {
        Fault {
            errcode: Some(errcode),
            ..Fault::on(path)
        }
    }

    /// The next call to `path` is answered only after `ms` milliseconds.
    pub fn delay(path: &str, ms: u64) -> Fault {
        Fault {
            delay_ms: Some(ms),
            ..Fault::on(path)
        }
    }

    /// The next call to `path` is processed, then its connection is dropped.
    pub fn drop_after(path: &str) -> Fault {
        Fault {
            drop: Some(DropMode::After),
            ..Fault::on(path)
        }
    }

    /// The next call to `path` is dropped unprocessed.
    pub fn drop_before(path: &str) -> Fault {
        Fault {
            drop: Some(DropMode::Before),
            ..Fault::on(path)
        }
    }

    /// The next call to `path` gets HTTP `status`.
    pub fn http_status(path: &str, status: u16) -> Fault {
        Fault {
            http_status: Some(status),
            ..Fault::on(path)
        }
    }

    /// The next call to `path` is processed, then answered with half of its JSON: HTTP 200, a
    /// body no parser reads.
    pub fn malformed(path: &str) -> Fault {
        Fault {
            malformed: true,
            ..Fault::on(path)
        }
    }

    /// The next call to `path` is processed, then answered without `field` (e.g. a
    /// `draft/add` answer without `media_id`).
    pub fn without_field(path: &str, field: &str) -> Fault {
        Fault {
            without: vec![field.to_string()],
            ..Fault::on(path)
        }
    }

    /// The next call to `path` is processed, then answered with `padding` bytes of whitespace
    /// before the JSON answer, chunked (no `Content-Length`). See [`Fault::declare_length`].
    pub fn oversized(path: &str, padding: u64) -> Fault {
        Fault {
            oversize: Some(padding),
            ..Fault::on(path)
        }
    }

    /// With [`Fault::oversized`]: the answer's length is declared up front.
    pub fn declare_length(mut self) -> Fault {
        self.declare_length = true;
        self
    }

    /// The next call to `path` is processed, then its answer is sent one byte every `ms`
    /// milliseconds (a connection that trickles: no single read ever waits long).
    pub fn trickle(path: &str, ms: u64) -> Fault {
        Fault {
            trickle_ms: Some(ms),
            ..Fault::on(path)
        }
    }

    /// Applies to the next `n` calls instead of one.
    pub fn times(mut self, n: u32) -> Fault {
        self.times = n;
        self
    }

    pub fn with_errmsg(mut self, msg: &str) -> Fault {
        self.errmsg = Some(msg.to_string());
        self
    }

    pub(crate) fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(ms) = self.delay_ms {
            parts.push(format!("delay {ms}ms"));
        }
        if let Some(c) = self.errcode {
            parts.push(format!("errcode {c}"));
        }
        if let Some(s) = self.http_status {
            parts.push(format!("http {s}"));
        }
        if let Some(d) = self.drop {
            parts.push(format!("drop {d:?}").to_lowercase());
        }
        if self.malformed {
            parts.push("malformed".to_string());
        }
        for f in &self.without {
            parts.push(format!("without {f}"));
        }
        if let Some(n) = self.oversize {
            let how = if self.declare_length {
                "declared"
            } else {
                "chunked"
            };
            parts.push(format!("oversize {n} ({how})"));
        }
        if let Some(ms) = self.trickle_ms {
            parts.push(format!("trickle {ms}ms/byte"));
        }
        parts.join(", ")
    }
}

/// `draft/add` → `/cgi-bin/draft/add`.
pub fn normalize_path(path: &str) -> String {
    let p = path.trim().trim_start_matches('/');
    let p = p.strip_prefix("cgi-bin/").unwrap_or(p);
    format!("/cgi-bin/{p}")
}

/// A stored draft, as `GET /__emu/drafts` shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredDraft {
    pub media_id: String,
    /// Articles as the draft box stores them (rewritten content, filled digest, url).
    pub articles: Vec<Value>,
    pub create_time: i64,
    pub update_time: i64,
    /// Orders drafts whose update_time is the same second.
    pub update_seq: u64,
}

/// A permanent material.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredMaterial {
    pub media_id: String,
    /// `image`, `thumb`, `voice`, `video`.
    pub kind: String,
    pub name: String,
    pub size: usize,
    pub url: String,
    pub update_time: i64,
    /// Orders materials whose update_time is the same second.
    #[serde(default)]
    pub update_seq: u64,
}

#[derive(Debug, Clone)]
struct TokenInfo {
    expires_at: i64,
    /// Superseded: unusable from this time on (40001).
    revoked_at: Option<i64>,
}

/// What a handler returns: a JSON answer (its errcode is logged).
pub type Answer = Value;

/// A parsed API request.
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a HashMap<String, String>,
    pub body: &'a [u8],
    pub parts: &'a [Part],
    pub ip: String,
}

/// Everything the emulator remembers.
pub struct State {
    pub config: Config,
    clock_offset: i64,
    counter: u64,
    salt: u64,
    tokens: HashMap<String, TokenInfo>,
    classic_current: Option<String>,
    stable_current: Option<String>,
    stable_grace_token: Option<String>,
    last_forced: Option<i64>,
    forced: (i64, u32),
    pub materials: BTreeMap<String, StoredMaterial>,
    pub trusted_urls: HashSet<String>,
    pub drafts: BTreeMap<String, StoredDraft>,
    pub warnings: Vec<String>,
    pub log: Vec<LogEntry>,
    pub faults: Vec<Fault>,
    quota: HashMap<(String, i64), u64>,
    /// Published articles by `article_id`.
    pub published: BTreeMap<String, crate::publish::PublishedArticle>,
    pub(crate) jobs: BTreeMap<String, crate::publish::Job>,
}

fn real_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

const URLSAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Base text of each errmsg the emulator produces; a `rid` is appended as on the real server.
fn errmsg_base(code: i64) -> &'static str {
    match code {
        -1 => "system error",
        40001 => {
            "invalid credential, access_token is invalid or not latest, could get access_token by getStableAccessToken, more details at https://mmbizurl.cn/s/JtxxFh33r"
        }
        40002 => "invalid grant_type",
        40004 => "invalid media type",
        40005 => "invalid file type",
        40007 => "invalid media_id",
        40009 => "invalid image size",
        40012 => "invalid thumb size",
        40013 => "invalid appid",
        40113 => "unsupported file type",
        40114 => "invalid index value",
        40125 => "invalid appsecret",
        41001 => "access_token missing",
        41002 => "appid missing",
        41004 => "appsecret missing",
        41005 => "media data missing",
        41039 => "invalid content_source_url",
        42001 => "access_token expired",
        43001 => "require GET method",
        43002 => "require POST method",
        44002 => "empty post data",
        44003 => "empty news data",
        45001 => "media size out of limit",
        45002 => "content size out of limit",
        45003 => "title size out of limit",
        45004 => "description size out of limit",
        45008 => "article size out of limit",
        45009 => "reach max api daily quota limit",
        45011 => "api minute-quota reach limit mustslower retry next minute",
        45110 => "author size out of limit",
        45166 => "invalid content",
        47001 => "data format error",
        48001 => "api unauthorized",
        53404 => "账号已被限制带货能力",
        53405 => "插入商品信息有误",
        53406 => "请先开通带货能力",
        88000 => "without comment privilege",
        _ => "error",
    }
}

impl State {
    pub fn new(config: Config) -> State {
        let salt = splitmix(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64),
        );
        State {
            config,
            clock_offset: 0,
            counter: 0,
            salt,
            tokens: HashMap::new(),
            classic_current: None,
            stable_current: None,
            stable_grace_token: None,
            last_forced: None,
            forced: (0, 0),
            materials: BTreeMap::new(),
            trusted_urls: HashSet::new(),
            drafts: BTreeMap::new(),
            warnings: Vec::new(),
            log: Vec::new(),
            faults: Vec::new(),
            quota: HashMap::new(),
            published: BTreeMap::new(),
            jobs: BTreeMap::new(),
        }
    }

    /// Virtual time: real time plus whatever the tests advanced.
    pub fn now(&self) -> i64 {
        real_now() + self.clock_offset
    }

    pub fn advance(&mut self, secs: i64) {
        self.clock_offset += secs;
    }

    pub fn set_now(&mut self, unix: i64) {
        self.clock_offset = unix - real_now();
    }

    /// Today's calls to an API (`draft/add`), refused ones included.
    pub fn used_today(&self, name: &str) -> u64 {
        let day = self.now().div_euclid(86_400);
        self.quota
            .get(&(name.to_string(), day))
            .copied()
            .unwrap_or(0)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.counter += 1;
        splitmix(self.salt ^ self.counter)
    }

    pub fn next_seq(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    /// An error answer with a `rid` suffix, as the real server writes them.
    pub fn error(&mut self, code: i64) -> Answer {
        let msg = errmsg_base(code).to_string();
        self.error_msg(code, &msg)
    }

    pub fn error_msg(&mut self, code: i64, msg: &str) -> Answer {
        let r = self.next();
        let rid = format!(
            "{:08x}-{:08x}-{:08x}",
            (r >> 32) as u32,
            r as u32,
            (r >> 16) as u32
        );
        json!({"errcode": code, "errmsg": format!("{msg} rid: {rid}")})
    }

    fn new_token(&mut self) -> String {
        // Real tokens are long opaque strings starting with a number and `_`.
        let mut s = String::from("80_");
        while s.len() < 136 {
            let r = self.next();
            for i in 0..8 {
                s.push(URLSAFE[((r >> (i * 6)) & 63) as usize] as char);
            }
        }
        let expires_at = self.now() + self.config.token_ttl;
        self.tokens.insert(
            s.clone(),
            TokenInfo {
                expires_at,
                revoked_at: None,
            },
        );
        s
    }

    fn new_media_id(&mut self) -> String {
        let mut s = String::new();
        while s.len() < 43 {
            let r = self.next();
            for i in 0..8 {
                if s.len() < 43 {
                    s.push(URLSAFE[((r >> (i * 6)) & 63) as usize] as char);
                }
            }
        }
        s
    }

    fn revoke_at(&mut self, token: &str, at: i64) {
        if let Some(t) = self.tokens.get_mut(token) {
            let at = at.min(t.expires_at);
            t.revoked_at = Some(t.revoked_at.map_or(at, |r| r.min(at)));
        }
    }

    /// Answers one API request (`/cgi-bin/...`); unknown paths get 48001.
    pub fn handle(&mut self, req: &Request<'_>) -> Answer {
        let name = req.path.trim_start_matches("/cgi-bin/");
        let is_token = matches!(name, "token" | "stable_token");
        let day = self.now().div_euclid(86_400);
        let used = self.quota.entry((name.to_string(), day)).or_insert(0);
        *used += 1;
        let used = *used;
        if let Some(limit) = self.config.daily_limits.get(name).copied()
            && used > limit
        {
            return self.error(45009);
        }
        if (is_token || self.config.whitelist_all_endpoints)
            && let Some(answer) = self.check_ip(&req.ip)
        {
            return answer;
        }
        let get_only = matches!(name, "token" | "draft/count" | "material/get_materialcount");
        let known = matches!(
            name,
            "token"
                | "stable_token"
                | "media/uploadimg"
                | "material/add_material"
                | "material/batchget_material"
                | "material/get_materialcount"
                | "draft/add"
                | "draft/update"
                | "draft/get"
                | "draft/batchget"
                | "draft/delete"
                | "draft/count"
                | "freepublish/submit"
                | "freepublish/get"
                | "freepublish/batchget"
                | "openapi/quota/get"
        );
        if !known {
            return self.error_msg(48001, "api unauthorized (not emulated by wxemu)");
        }
        if get_only && req.method != "GET" {
            return self.error(43001);
        }
        if !get_only && req.method != "POST" {
            return self.error(43002);
        }
        match name {
            "token" => return self.classic_token(req),
            "stable_token" => return self.stable_token(req),
            _ => {}
        }
        if let Some(answer) = self.check_token(req) {
            return answer;
        }
        match name {
            "media/uploadimg" => self.uploadimg(req),
            "material/add_material" => self.add_material(req),
            "draft/count" => json!({"total_count": self.drafts.len()}),
            "material/get_materialcount" => self.material_count(),
            _ => {
                let body = match self.json_body(req.body) {
                    Ok(v) => v,
                    Err(answer) => return answer,
                };
                match name {
                    "draft/add" => self.draft_add(&body),
                    "draft/update" => self.draft_update(&body),
                    "draft/get" => self.draft_get(&body),
                    "draft/batchget" => self.draft_batchget(&body),
                    "material/batchget_material" => self.material_batchget(&body),
                    "freepublish/submit" => self.freepublish_submit(&body),
                    "freepublish/get" => self.freepublish_get(&body),
                    "freepublish/batchget" => self.freepublish_batchget(&body),
                    "openapi/quota/get" => self.quota_get(&body),
                    _ => self.draft_delete(&body),
                }
            }
        }
    }

    fn check_ip(&mut self, peer: &str) -> Option<Answer> {
        let allowed = self.config.allowed_ips.clone()?;
        let ip = self
            .config
            .seen_ip
            .clone()
            .unwrap_or_else(|| peer.to_string());
        if allowed.contains(&ip) {
            return None;
        }
        let msg = format!("invalid ip {ip} ipv6 ::ffff:{ip}, not in whitelist");
        Some(self.error_msg(40164, &msg))
    }

    fn check_credentials(&mut self, appid: Option<&str>, secret: Option<&str>) -> Option<Answer> {
        let code = match (appid, secret) {
            (None, _) => 41002,
            (_, None) => 41004,
            (Some(a), _) if a != self.config.appid => 40013,
            (_, Some(s)) if s != self.config.secret => 40125,
            _ => return None,
        };
        Some(self.error(code))
    }

    fn classic_token(&mut self, req: &Request<'_>) -> Answer {
        let q = |k: &str| {
            req.query
                .get(k)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };
        if q("grant_type") != Some("client_credential") {
            return self.error(40002);
        }
        if let Some(answer) = self.check_credentials(q("appid"), q("secret")) {
            return answer;
        }
        let token = self.new_token();
        // Fetching a classic token supersedes the previous one after a short overlap.
        if let Some(prev) = self.classic_current.replace(token.clone()) {
            let at = self.now() + self.config.classic_overlap;
            self.revoke_at(&prev, at);
        }
        json!({"access_token": token, "expires_in": self.config.token_ttl})
    }

    fn stable_token(&mut self, req: &Request<'_>) -> Answer {
        let body = match self.json_body(req.body) {
            Ok(v) => v,
            Err(answer) => return answer,
        };
        let s = |k: &str| {
            body.get(k)
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
        };
        if s("grant_type") != Some("client_credential") {
            return self.error(40002);
        }
        if let Some(answer) = self.check_credentials(s("appid"), s("secret")) {
            return answer;
        }
        let force = match body.get("force_refresh") {
            Some(Value::Bool(b)) => *b,
            Some(Value::Number(n)) => n.as_i64() == Some(1),
            _ => false,
        };
        let now = self.now();
        let current = self.stable_current.clone().and_then(|t| {
            let info = self.tokens.get(&t)?;
            let live = info.revoked_at.is_none_or(|r| now < r) && now < info.expires_at;
            live.then_some((t, info.expires_at))
        });
        if force {
            let day = now.div_euclid(86_400);
            if self.forced.0 != day {
                self.forced = (day, 0);
            }
            let recent = self.last_forced.is_some_and(|t| now - t < 30);
            if let (true, Some((t, exp))) = (recent, &current) {
                // Forced refreshes less than 30 s apart return the current token.
                return json!({"access_token": t, "expires_in": exp - now});
            }
            if self.forced.1 >= 20 {
                return self.error(45009);
            }
            self.forced.1 += 1;
            self.last_forced = Some(now);
            // Only the token just replaced stays usable for a grace period; an older one dies.
            if let Some(older) = self.stable_grace_token.take() {
                self.revoke_at(&older, now);
            }
            if let Some((prev, _)) = current {
                self.revoke_at(&prev, now + self.config.stable_grace);
                self.stable_grace_token = Some(prev);
            }
        } else if let Some((t, exp)) = current
            && exp - now > 300
        {
            return json!({"access_token": t, "expires_in": exp - now});
        }
        // Normal mode in the last 5 minutes rotates; the old token lives to its own expiry.
        let token = self.new_token();
        self.stable_current = Some(token.clone());
        json!({"access_token": token, "expires_in": self.config.token_ttl})
    }

    fn check_token(&mut self, req: &Request<'_>) -> Option<Answer> {
        let Some(token) = req.query.get("access_token").filter(|t| !t.is_empty()) else {
            return Some(self.error(41001));
        };
        let now = self.now();
        let code = match self.tokens.get(token) {
            None => 40001,
            Some(t) if t.revoked_at.is_some_and(|r| now >= r) => 40001,
            Some(t) if now >= t.expires_at => 42001,
            Some(_) => return None,
        };
        Some(self.error(code))
    }

    /// Parses a JSON body like the real server: empty → 44002, broken → 47001. Non-ASCII
    /// `\uXXXX` escapes are kept literally (see `Config::literal_unicode_escapes`).
    fn json_body(&mut self, body: &[u8]) -> Result<Value, Answer> {
        let text = String::from_utf8_lossy(body);
        if text.trim().is_empty() {
            return Err(self.error(44002));
        }
        let text = if self.config.literal_unicode_escapes {
            keep_unicode_escapes(&text)
        } else {
            text.into_owned()
        };
        match serde_json::from_str::<Value>(&text) {
            Ok(v) if v.is_object() => Ok(v),
            _ => Err(self.error(47001)),
        }
    }

    fn media_part<'r>(&mut self, req: &'r Request<'_>) -> Result<&'r Part, Answer> {
        match req.parts.iter().find(|p| p.info.name == "media") {
            Some(p)
                if p.info.filename.as_deref().is_some_and(|f| !f.is_empty())
                    && !p.data.is_empty() =>
            {
                Ok(p)
            }
            _ => Err(self.error(41005)),
        }
    }

    fn uploadimg(&mut self, req: &Request<'_>) -> Answer {
        let part = match self.media_part(req) {
            Ok(p) => p,
            Err(a) => return a,
        };
        let ext = extension(part.info.filename.as_deref().unwrap_or(""));
        let sniffed = sniff(&part.data);
        let kind = match (ext.as_str(), sniffed) {
            ("jpg" | "jpeg", Some("jpeg")) => "jpg",
            ("png", Some("png")) => "png",
            _ => return self.error(40005),
        };
        if part.data.len() > self.config.uploadimg_max_bytes {
            return self.error(40009);
        }
        let id = self.new_media_id();
        let url = format!("http://mmbiz.qpic.cn/sz_mmbiz_{kind}/{id}/0?from=appmsg");
        self.trusted_urls.insert(url.clone());
        json!({"url": url, "errcode": 0, "errmsg": "ok"})
    }

    fn add_material(&mut self, req: &Request<'_>) -> Answer {
        let kind = req.query.get("type").map(String::as_str).unwrap_or("");
        if !matches!(kind, "image" | "thumb" | "voice" | "video") {
            return self.error(40004);
        }
        let part = match self.media_part(req) {
            Ok(p) => p,
            Err(a) => return a,
        };
        let name = part.info.filename.clone().unwrap_or_default();
        let ext = extension(&name);
        let size = part.data.len();
        let (fmt, code) = match kind {
            "image" => match ext.as_str() {
                "" => ("", Some(40005)),
                "jpg" | "jpeg" => ("jpeg", None),
                "png" | "gif" | "bmp" => (ext.as_str(), None),
                _ => ("", Some(40113)),
            },
            "thumb" => match ext.as_str() {
                "jpg" | "jpeg" => ("jpeg", None),
                "" => ("", Some(40005)),
                _ => ("", Some(40113)),
            },
            _ => ("", None),
        };
        if let Some(code) = code {
            return self.error(code);
        }
        if kind == "thumb" && size > self.config.thumb_max_bytes {
            return self.error(40012);
        }
        if size > self.config.image_max_bytes {
            return self.error(45001);
        }
        if kind != "voice" && kind != "video" && sniff(&part.data).is_none() {
            return self.error(40005);
        }
        let fmt = fmt.to_string();
        let media_id = self.new_media_id();
        let dir = if fmt == "jpeg" { "jpg" } else { &fmt };
        let url = format!("http://mmbiz.qpic.cn/mmbiz_{dir}/{media_id}/0?wx_fmt={fmt}");
        self.trusted_urls.insert(url.clone());
        let now = self.now();
        let seq = self.next_seq();
        self.materials.insert(
            media_id.clone(),
            StoredMaterial {
                media_id: media_id.clone(),
                kind: kind.to_string(),
                name,
                size,
                url: url.clone(),
                update_time: now,
                update_seq: seq,
            },
        );
        json!({"media_id": media_id, "url": url})
    }

    /// Checks one article and returns it as stored (content rewritten), or the error code.
    /// `update` selects the misleading codes `draft/update` gives for missing fields.
    fn validate(&mut self, article: &Value, update: bool) -> Result<Map<String, Value>, i64> {
        let missing = if update { 40007 } else { 44003 };
        let a = article.as_object().ok_or(missing)?;
        let cfg = self.config.clone();
        let text = |k: &str| a.get(k).and_then(Value::as_str);
        let chars = |s: &str| s.chars().count();
        let article_type = text("article_type").unwrap_or("news");
        if !matches!(article_type, "news" | "newspic") {
            return Err(47001);
        }
        let title = text("title").filter(|t| !t.is_empty()).ok_or(missing)?;
        if chars(title) > cfg.title_max_chars {
            return Err(45003);
        }
        let author = text("author").unwrap_or("");
        if chars(author) > cfg.author_max_chars {
            return Err(45110);
        }
        let digest = text("digest").unwrap_or("");
        if chars(digest) > cfg.digest_max_chars {
            return Err(45004);
        }
        let content = text("content").ok_or(missing)?;
        if content.len() >= cfg.content_max_bytes {
            return Err(45002);
        }
        let counted = match cfg.content_count {
            ContentCount::Text => chars(&html::visible_text(content)),
            ContentCount::Html => chars(content),
        };
        if counted >= cfg.content_max_chars {
            return Err(45002);
        }
        if let Some(url) = a.get("content_source_url") {
            let url = url.as_str().ok_or(41039)?;
            if !valid_source_url(url, &cfg) {
                return Err(41039);
            }
        }
        let mut thumb_url = None;
        if article_type == "news" {
            let thumb = text("thumb_media_id").ok_or(40007)?;
            let m = self
                .materials
                .get(thumb)
                .filter(|m| m.kind == "image" || m.kind == "thumb")
                .ok_or(40007)?;
            thumb_url = Some(m.url.clone());
        } else {
            if chars(content) > cfg.newspic_max_chars {
                return Err(45166);
            }
            let list = a
                .get("image_info")
                .and_then(|i| i.get("image_list"))
                .and_then(Value::as_array)
                .ok_or(40007)?;
            if list.is_empty() || list.len() > 20 {
                return Err(40007);
            }
            for item in list {
                let id = item.get("image_media_id").and_then(Value::as_str);
                let known = id
                    .and_then(|id| self.materials.get(id))
                    .is_some_and(|m| m.kind == "image");
                if !known {
                    return Err(40007);
                }
            }
            if let Some(first) = list[0].get("image_media_id").and_then(Value::as_str) {
                thumb_url = self.materials.get(first).map(|m| m.url.clone());
            }
        }
        if flag(a.get("need_open_comment")) && !cfg.comment_privilege {
            return Err(88000);
        }
        if let Some(p) = a.get("product_info") {
            match cfg.commerce {
                Commerce::Restricted => return Err(53404),
                Commerce::NotEnabled => return Err(53406),
                Commerce::Enabled => {
                    let key = p
                        .get("footer_product_info")
                        .and_then(|f| f.get("product_key"))
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    if key.is_empty() {
                        return Err(53405);
                    }
                }
            }
        }
        let mut warnings = Vec::new();
        let stored_content = if article_type == "news" {
            html::rewrite(content, cfg.strip_links, &mut warnings)
        } else {
            content.to_string()
        };
        self.warnings
            .extend(warnings.into_iter().map(|w| format!("{title}: {w}")));
        let mut out = Map::new();
        out.insert("article_type".into(), json!(article_type));
        out.insert("title".into(), json!(title));
        out.insert("author".into(), json!(author));
        out.insert("digest".into(), json!(digest));
        out.insert("content".into(), json!(stored_content));
        out.insert(
            "content_source_url".into(),
            json!(text("content_source_url").unwrap_or("")),
        );
        out.insert(
            "thumb_media_id".into(),
            json!(text("thumb_media_id").unwrap_or("")),
        );
        out.insert("show_cover_pic".into(), json!(0));
        out.insert(
            "need_open_comment".into(),
            json!(u8::from(flag(a.get("need_open_comment")))),
        );
        out.insert(
            "only_fans_can_comment".into(),
            json!(u8::from(flag(a.get("only_fans_can_comment")))),
        );
        for k in [
            "pic_crop_235_1",
            "pic_crop_1_1",
            "image_info",
            "cover_info",
            "product_info",
        ] {
            if let Some(v) = a.get(k) {
                out.insert(k.into(), v.clone());
            }
        }
        out.insert("thumb_url".into(), json!(thumb_url.unwrap_or_default()));
        Ok(out)
    }

    /// Fills what the server derives: the digest (from the text for a single-article draft,
    /// blank for a multi-article one) and each article's temporary URL.
    fn finish(&mut self, media_id: &str, articles: &mut [Map<String, Value>]) {
        let multi = articles.len() > 1;
        let mid = 100_000_000 + self.next_seq();
        for (i, a) in articles.iter_mut().enumerate() {
            if multi {
                a.insert("digest".into(), json!(""));
            } else if a.get("digest").and_then(Value::as_str) == Some("") {
                let text =
                    html::visible_text(a.get("content").and_then(Value::as_str).unwrap_or(""));
                a.insert(
                    "digest".into(),
                    json!(text.chars().take(54).collect::<String>()),
                );
            }
            let sn = format!("{:016x}", splitmix(mid ^ i as u64));
            let url = format!(
                "http://mp.weixin.qq.com/s?__biz=MzEmuAcct==&mid={mid}&idx={}&sn={sn}&chksm={}#rd",
                i + 1,
                &media_id[..media_id.len().min(8)]
            );
            a.insert("url".into(), json!(url));
        }
    }

    fn draft_add(&mut self, body: &Value) -> Answer {
        let Some(list) = body
            .get("articles")
            .and_then(Value::as_array)
            .filter(|l| !l.is_empty())
        else {
            return self.error(44003);
        };
        if list.len() > self.config.max_articles {
            let code = self.config.max_articles_code;
            return self.error(code);
        }
        let mut articles = Vec::new();
        for a in list {
            match self.validate(a, false) {
                Ok(v) => articles.push(v),
                Err(code) => return self.error(code),
            }
        }
        let media_id = self.new_media_id();
        self.finish(&media_id, &mut articles);
        let now = self.now();
        let seq = self.next_seq();
        self.drafts.insert(
            media_id.clone(),
            StoredDraft {
                media_id: media_id.clone(),
                articles: articles.into_iter().map(Value::Object).collect(),
                create_time: now,
                update_time: now,
                update_seq: seq,
            },
        );
        json!({"media_id": media_id, "item": []})
    }

    fn draft_update(&mut self, body: &Value) -> Answer {
        let id = body.get("media_id").and_then(Value::as_str).unwrap_or("");
        let Some(len) = self.drafts.get(id).map(|d| d.articles.len()) else {
            return self.error(40007);
        };
        let index = body
            .get("index")
            .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()));
        let Some(index) = index.map(|i| i as usize).filter(|i| *i < len) else {
            return self.error(40114);
        };
        let article = body.get("articles").cloned().unwrap_or(Value::Null);
        let mut stored = match self.validate(&article, true) {
            Ok(v) => vec![v],
            Err(code) => return self.error(code),
        };
        self.finish(id, &mut stored);
        let mut a = stored.pop().unwrap_or_default();
        if len > 1 {
            a.insert("digest".into(), json!(""));
        }
        let now = self.now();
        let seq = self.next_seq();
        if let Some(d) = self.drafts.get_mut(id) {
            d.articles[index] = Value::Object(a);
            d.update_time = now;
            d.update_seq = seq;
        }
        json!({"errcode": 0, "errmsg": "ok"})
    }

    fn draft_json(d: &StoredDraft, no_content: bool) -> Value {
        let items = news_items(&d.articles, no_content);
        json!({"news_item": items, "create_time": d.create_time, "update_time": d.update_time})
    }

    fn draft_get(&mut self, body: &Value) -> Answer {
        let id = body.get("media_id").and_then(Value::as_str).unwrap_or("");
        match self.drafts.get(id) {
            Some(d) => State::draft_json(d, false),
            None => self.error(40007),
        }
    }

    fn draft_batchget(&mut self, body: &Value) -> Answer {
        let offset = body.get("offset").and_then(Value::as_u64).unwrap_or(0) as usize;
        let count = body.get("count").and_then(Value::as_u64).unwrap_or(0) as usize;
        if !(1..=20).contains(&count) {
            return self.error_msg(40002, "invalid argument");
        }
        let no_content = flag(body.get("no_content"));
        let mut drafts: Vec<&StoredDraft> = self.drafts.values().collect();
        drafts.sort_by_key(|d| (d.update_time, d.update_seq));
        if self.config.batchget_newest_first {
            drafts.reverse();
        }
        let total = drafts.len();
        let items: Vec<Value> = drafts
            .into_iter()
            .skip(offset)
            .take(count)
            .map(|d| {
                json!({
                    "media_id": d.media_id,
                    "content": State::draft_json(d, no_content),
                    "update_time": d.update_time,
                })
            })
            .collect();
        if total == 0 {
            // The real server omits item_count for an empty box.
            return json!({"item": [], "total_count": 0});
        }
        json!({"total_count": total, "item_count": items.len(), "item": items})
    }

    fn draft_delete(&mut self, body: &Value) -> Answer {
        let id = body.get("media_id").and_then(Value::as_str).unwrap_or("");
        if self.drafts.remove(id).is_none() && self.config.delete_missing_code != 0 {
            let code = self.config.delete_missing_code;
            return self.error(code);
        }
        json!({"errcode": 0, "errmsg": "ok"})
    }

    /// `material/get_materialcount`: the library's size per type (images include thumbs).
    fn material_count(&self) -> Answer {
        let count = |kinds: &[&str]| {
            self.materials
                .values()
                .filter(|m| kinds.contains(&m.kind.as_str()))
                .count()
        };
        json!({
            "voice_count": count(&["voice"]),
            "video_count": count(&["video"]),
            "image_count": count(&["image", "thumb"]),
            "news_count": 0,
        })
    }

    /// `material/batchget_material`: one page (`count` 1–20) of the materials of a type, each
    /// with the file name it was uploaded under. `news` is a valid type with no items here.
    fn material_batchget(&mut self, body: &Value) -> Answer {
        let kind = body.get("type").and_then(Value::as_str).unwrap_or("");
        let kinds: &[&str] = match kind {
            "image" => &["image", "thumb"],
            "voice" => &["voice"],
            "video" => &["video"],
            "news" => &[],
            _ => return self.error(40004),
        };
        let offset = body.get("offset").and_then(Value::as_u64).unwrap_or(0) as usize;
        let count = body.get("count").and_then(Value::as_u64).unwrap_or(0) as usize;
        if !(1..=20).contains(&count) {
            return self.error_msg(40002, "invalid argument");
        }
        let mut list: Vec<&StoredMaterial> = self
            .materials
            .values()
            .filter(|m| kinds.contains(&m.kind.as_str()))
            .collect();
        list.sort_by_key(|m| (m.update_time, m.update_seq));
        if self.config.material_batchget_newest_first {
            list.reverse();
        }
        let total = list.len();
        let items: Vec<Value> = list
            .into_iter()
            .skip(offset)
            .take(count)
            .map(|m| {
                json!({
                    "media_id": m.media_id,
                    "name": m.name,
                    "update_time": m.update_time,
                    "url": m.url,
                })
            })
            .collect();
        json!({"total_count": total, "item_count": items.len(), "item": items})
    }

    /// Takes one use of the first pending fault for `path`.
    pub fn take_fault(&mut self, path: &str) -> Option<Fault> {
        let i = self
            .faults
            .iter()
            .position(|f| f.path == path && f.times > 0)?;
        let f = &mut self.faults[i];
        f.times -= 1;
        let fault = f.clone();
        if f.times == 0 {
            self.faults.remove(i);
        }
        Some(fault)
    }
}

/// `0`/`1` or `false`/`true`.
fn flag(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        Some(Value::String(s)) => s == "1",
        _ => false,
    }
}

fn valid_source_url(url: &str, cfg: &Config) -> bool {
    if url.is_empty() {
        return !cfg.empty_source_url_rejected;
    }
    if url.len() > cfg.source_url_max_bytes {
        return false;
    }
    let host = html::host_of(url);
    let loopback = host == "localhost"
        || host.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback() || ip.is_unspecified());
    !host.is_empty() && !loopback
}

fn extension(name: &str) -> String {
    name.rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

/// The real format, by magic bytes.
fn sniff(data: &[u8]) -> Option<&'static str> {
    if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("jpeg")
    } else if data.starts_with(b"GIF8") {
        Some("gif")
    } else if data.starts_with(b"BM") {
        Some("bmp")
    } else {
        None
    }
}

/// Turns each `\uXXXX` escape of a non-ASCII character into the literal text `\uXXXX`, as
/// the real server ends up storing it. Escapes of ASCII (control characters) decode normally.
fn keep_unicode_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let rest = &text[i + 1..];
        if let Some(hex) = rest.strip_prefix('u').and_then(|r| r.get(..4))
            && let Ok(cp) = u32::from_str_radix(hex, 16)
            && cp >= 0x80
        {
            out.push_str("\\\\");
        } else {
            out.push('\\');
            // Keep the escaped character with its backslash (e.g. `\\`, `\"`).
            if let Some((_, next)) = chars.next() {
                out.push(next);
            }
        }
    }
    out
}

/// Articles as a `news_item` list answers them: without their `content` when the call asked
/// for `no_content` (draft/batchget, freepublish/batchget).
pub fn news_items(articles: &[Value], no_content: bool) -> Vec<Value> {
    articles
        .iter()
        .map(|a| {
            let mut a = a.clone();
            if let (true, Some(m)) = (no_content, a.as_object_mut()) {
                m.remove("content");
            }
            a
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_stay_literal() {
        let raw = r#"{"t":"\u4f5c\u8005","a":"\u0001","b":"x\\u4f5c","q":"\""}"#;
        let v: Value = serde_json::from_str(&keep_unicode_escapes(raw)).unwrap();
        assert_eq!(v["t"], "\\u4f5c\\u8005");
        assert_eq!(v["a"], "\u{1}");
        assert_eq!(v["b"], "x\\u4f5c");
        assert_eq!(v["q"], "\"");
    }

    #[test]
    fn source_urls() {
        let c = Config::default();
        assert!(valid_source_url("https://example.com/a", &c));
        assert!(!valid_source_url("http://localhost:8080/", &c));
        assert!(!valid_source_url("http://127.0.0.1/", &c));
        assert!(!valid_source_url("ftp://example.com/", &c));
        assert!(!valid_source_url("", &c));
    }
}
