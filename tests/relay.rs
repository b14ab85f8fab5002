//! `wxsync relay` (DESIGN §5) in front of the emulator, and `api.token: relay` clients of it:
//! a client with no AppSecret syncs the example site through the relay; a wrong or revoked key
//! is refused (401) with a clear client error; rate limits hold under a burst; the relay's log
//! holds no token, key or secret; and nothing the client received holds the secret.
//!
//! The relay runs as the real binary on 127.0.0.1 (port 0, read back from its first log line).

#[path = "support/sync_site.rs"]
mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::*;
use wxemu::Fault;

const KEY: &str = "relay-test-key-0123456789-abcdefgh";
const OTHER_KEY: &str = "relay-second-key-0123456789-xyzw";

/// The key file line for `key`, made by the binary as a user makes it.
fn hash_line(key: &str, name: &str) -> String {
    let out = assert_cmd::Command::new(env!("CARGO_BIN_EXE_wxsync"))
        .args(["relay", "--hash-key", name])
        .write_stdin(format!("{key}\n"))
        .output()
        .expect("run wxsync relay --hash-key");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        !line.contains(key),
        "the key file line holds the key: {line}"
    );
    line.trim().to_string()
}

/// A running `wxsync relay`; killed on drop.
struct Relay {
    child: Child,
    addr: SocketAddr,
    scheme: &'static str,
    log: Arc<Mutex<Vec<String>>>,
    keys: PathBuf,
    _dir: tempfile::TempDir,
}

impl Relay {
    /// A relay for `emu` with the keys `ci` (KEY) and `other` (OTHER_KEY), and `args`.
    fn start(emu: &wxemu::Emulator, args: &[&str]) -> Relay {
        let dir = tempfile::tempdir().expect("tempdir");
        let keys = dir.path().join("relay-keys");
        std::fs::write(
            &keys,
            format!(
                "# wxsync relay keys\n{}\n{}\n",
                hash_line(KEY, "ci"),
                hash_line(OTHER_KEY, "other")
            ),
        )
        .expect("write keys");
        let mut child = relay_command(emu)
            .args(["relay", "--listen", "127.0.0.1:0", "--keys"])
            .arg(&keys)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn wxsync relay");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on ").nth(1) {
                    let url = rest.split_whitespace().next().unwrap_or("").to_string();
                    let _ = tx.send(url);
                }
                sink.lock().unwrap().push(line);
            }
        });
        let (scheme, addr) = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(url) => match url.split_once("://") {
                Some(("https", a)) => ("https", a.parse().expect("listen address")),
                Some((_, a)) => ("http", a.parse().expect("listen address")),
                None => panic!("no URL in the relay's first line: {url}"),
            },
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "the relay did not start:\n{}",
                    log.lock().unwrap().join("\n")
                );
            }
        };
        Relay {
            child,
            addr,
            scheme,
            log,
            keys,
            _dir: dir,
        }
    }

    fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// The log so far (waits a moment for lines still in the pipe).
    fn log(&self) -> String {
        std::thread::sleep(Duration::from_millis(200));
        self.log.lock().unwrap().join("\n")
    }

    /// The access-log lines (requests), without the startup line.
    fn requests(&self) -> Vec<String> {
        self.log()
            .lines()
            .filter(|l| l.contains(" /token "))
            .map(str::to_string)
            .collect()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The relay's environment: the emulator's credentials, nothing of the host's.
fn relay_command(emu: &wxemu::Emulator) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wxsync"));
    c.env("NO_COLOR", "1")
        .env("WXSYNC_API_BASE", emu.base_url())
        .env("WECHAT_APPID", emu.appid())
        .env("WECHAT_APPSECRET", emu.secret());
    for var in [
        "WECHAT_ACCESS_TOKEN",
        "WXSYNC_RELAY_URL",
        "WXSYNC_RELAY_KEY",
        "GITHUB_ACTIONS",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        c.env_remove(var);
    }
    c
}

/// One `POST /token`: the status, the `Retry-After` header and the body.
fn post_token(addr: SocketAddr, key: Option<&str>, body: &str) -> (u16, Option<u64>, String) {
    let mut s = TcpStream::connect(addr).expect("connect to the relay");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let auth = key.map_or(String::new(), |k| format!("Authorization: Bearer {k}\r\n"));
    write!(
        s,
        "POST /token HTTP/1.1\r\nHost: relay\r\n{auth}Content-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("read the answer");
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head}"));
    let retry_after = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("retry-after:")
                .map(|v| v.trim().to_string())
        })
        .and_then(|v| v.parse().ok());
    (status, retry_after, body.to_string())
}

/// A client run of `wxsync` in `site` with tokens from the relay: no AppSecret anywhere in its
/// environment.
fn client_run(site: &SyncSite, relay_url: &str, key: &str, args: &[&str]) -> Run {
    client_run_with(site, relay_url, key, args, &[])
}

fn client_run_with(
    site: &SyncSite,
    relay_url: &str,
    key: &str,
    args: &[&str],
    env: &[(&str, &Path)],
) -> Run {
    let mut c = site.command();
    for (k, v) in env {
        c.env(k, v);
    }
    c.env_remove("WECHAT_APPSECRET")
        .env("WXSYNC_RELAY_URL", relay_url)
        .env("WXSYNC_RELAY_KEY", key);
    let before = site.emu.log().len();
    let started = Instant::now();
    let mut cmd = assert_cmd::Command::from_std(c);
    cmd.arg("-C").arg(site.path()).args(args);
    cmd.timeout(Duration::from_secs(180));
    let out = cmd.output().expect("run wxsync");
    let run = Run {
        args: args.iter().map(|s| s.to_string()).collect(),
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        calls: site.emu.log().split_off(before),
        elapsed: started.elapsed(),
    };
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    site.assert_no_secrets(&run);
    run
}

/// Every file under `dir`, as (path, bytes).
fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else if let Ok(b) = std::fs::read(&p) {
            out.push((p, b));
        }
    }
    out
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// The tokens WeChat (the emulator) issued so far: what the relay fetched and handed out.
fn tokens(emu: &wxemu::Emulator) -> Vec<String> {
    let mut t: Vec<String> = emu
        .log()
        .into_iter()
        .filter_map(|e| e.access_token)
        .filter(|t| !t.is_empty())
        .collect();
    t.sort();
    t.dedup();
    t
}

#[test]
fn a_client_without_the_secret_syncs_the_example_site_through_the_relay() {
    let site = SyncSite::new();
    let relay = Relay::start(&site.emu, &[]);
    let run = client_run(&site, &relay.url(), KEY, &["sync", "--json"]);
    run.assert_code(0);
    let lock = site.lock();
    for path in ALL {
        assert!(!lock.media_id(path).is_empty(), "{path} has no draft");
        assert_eq!(lock.state(path), "synced");
    }
    assert_eq!(site.emu.drafts().len(), 4, "calls: {:?}", run.call_names());
    // The client fetched no token itself: the only token call is the relay's, at its start.
    assert_eq!(run.token_calls(), 0, "calls: {:?}", run.call_names());
    let stable: Vec<_> = site.emu.calls("stable_token");
    assert_eq!(stable.len(), 1, "{stable:?}");
    // Every call the client made carried the relay's token.
    let issued = tokens(&site.emu);
    assert_eq!(issued.len(), 1, "{issued:?}");
    assert!(
        run.calls
            .iter()
            .all(|c| c.access_token.as_deref() == Some(issued[0].as_str()))
    );

    // The secret is in no byte the client received or wrote.
    let secret = site.emu.secret();
    assert!(!run.output().contains(&secret));
    assert!(!contains(&site.lock_bytes().unwrap(), &secret));
    let cache = files_under(&site.file(".wxsync"));
    assert!(!cache.is_empty(), "the client wrote nothing in .wxsync/");
    for (path, bytes) in &cache {
        assert!(
            !contains(bytes, &secret),
            "{} holds the secret",
            path.display()
        );
    }
    // Neither is the client's own key printed.
    assert!(!run.output().contains(KEY), "{}", run.output());

    // The relay logged the request by the key's name, and no token, key or secret.
    let log = relay.log();
    let requests = relay.requests();
    assert!(
        !requests.is_empty() && requests.iter().all(|l| l.contains(" 200 key=ci ")),
        "{log}"
    );
    for needle in issued
        .iter()
        .map(String::as_str)
        .chain([KEY, OTHER_KEY, secret.as_str()])
    {
        assert!(
            !log.contains(needle),
            "the relay's log holds a secret:\n{log}"
        );
    }

    // A second run plans from the lockfile: nothing to push, nothing fetched.
    let again = client_run(&site, &relay.url(), KEY, &["sync", "--json"]);
    again.assert_code(0);
    assert!(again.calls.is_empty(), "{:?}", again.call_names());
}

/// The relay serving TLS itself (a self-signed certificate for 127.0.0.1, trusted by the
/// client through `SSL_CERT_FILE`, which the platform verifier reads on Linux).
#[cfg(target_os = "linux")]
#[test]
fn the_relay_serves_tls_from_a_certificate_and_key_file() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/relay");
    let cert = fixtures.join("cert.pem");
    let key = fixtures.join("key.pem");
    let site = SyncSite::new();
    let relay = Relay::start(
        &site.emu,
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    assert!(relay.url().starts_with("https://"), "{}", relay.log());
    let run = client_run_with(
        &site,
        &relay.url(),
        KEY,
        &["sync", "--json", HELLO],
        &[("SSL_CERT_FILE", cert.as_path())],
    );
    run.assert_code(0);
    assert!(!site.lock().media_id(HELLO).is_empty());
    assert!(
        relay.requests().iter().any(|l| l.contains(" 200 key=ci ")),
        "{}",
        relay.log()
    );
    // Plain HTTP to the TLS port gets no token.
    let (status, _, body) = std::panic::catch_unwind(|| post_token(relay.addr, Some(KEY), ""))
        .unwrap_or((0, None, String::new()));
    assert_ne!(status, 200, "{body}");
    assert!(!body.contains("access_token"));
}

#[test]
fn a_rejected_token_is_refreshed_through_the_relay_exactly_once() {
    let site = SyncSite::new();
    let relay = Relay::start(&site.emu, &[]);
    // WeChat rejects the first draft/add's token as if it had been replaced elsewhere.
    site.emu.inject(Fault::errcode("draft/add", 40001).times(1));
    let run = client_run(&site, &relay.url(), KEY, &["sync", "--json", HELLO]);
    run.assert_code(0);
    assert!(!site.lock().media_id(HELLO).is_empty());
    let forced: Vec<_> = relay
        .requests()
        .into_iter()
        .filter(|l| l.contains("force=true"))
        .collect();
    assert_eq!(forced.len(), 1, "{}", relay.log());
    // The relay asked WeChat for a new token, once, and the retried call used it.
    let stable = site.emu.calls("stable_token");
    let forced_upstream = stable
        .iter()
        .filter(|c| c.body.contains("\"force_refresh\":true"))
        .count();
    assert_eq!(forced_upstream, 1, "{stable:?}");
    let adds = run.calls_to("draft/add");
    assert_eq!(adds.len(), 2, "{:?}", run.call_names());
    assert_ne!(adds[0].access_token, adds[1].access_token);

    // A token rejected again right after is not refreshed in a loop: the run fails it.
    site.emu.inject(Fault::errcode("draft/add", 40001).times(2));
    let run = client_run(&site, &relay.url(), KEY, &["sync", "--json", ERRORS]);
    assert_ne!(run.code, 0, "{}", run.output());
    assert_eq!(run.count("draft/add"), 2, "{:?}", run.call_names());
}

#[test]
fn a_wrong_key_gets_401_and_a_clear_client_error() {
    let site = SyncSite::new();
    let relay = Relay::start(&site.emu, &[]);
    let wrong = "not-a-key-of-this-relay-0123456789";
    let run = client_run(&site, &relay.url(), wrong, &["sync"]);
    run.assert_code(2);
    // The run stops at the first refusal, as for a wrong AppSecret: the report says why.
    let said = run.output();
    assert!(said.contains("HTTP 401"), "{said}");
    assert!(said.contains("relay refused the key"), "{said}");
    assert!(said.contains("WXSYNC_RELAY_KEY"), "{said}");
    assert!(
        !run.output().contains(wrong),
        "the key was printed:\n{}",
        run.output()
    );
    assert!(site.emu.drafts().is_empty());
    assert!(
        run.calls.iter().all(|c| c.name() == "stable_token"),
        "{:?}",
        run.call_names()
    );
    assert!(
        relay.requests().iter().any(|l| l.contains(" 401 key=- ")),
        "{}",
        relay.log()
    );
    assert!(!relay.log().contains(wrong));

    // No key at all, or the relay's URL unset, is a config error before any call.
    let mut c = site.command();
    c.env_remove("WECHAT_APPSECRET")
        .env("WXSYNC_RELAY_URL", relay.url())
        .env_remove("WXSYNC_RELAY_KEY");
    let out = assert_cmd::Command::from_std(c)
        .arg("-C")
        .arg(site.path())
        .arg("sync")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("WXSYNC_RELAY_KEY"));
}

#[test]
fn a_revoked_key_is_refused_without_a_restart() {
    let emu = wxemu::Emulator::start().expect("emulator");
    let relay = Relay::start(&emu, &[]);
    let (status, _, body) = post_token(relay.addr, Some(KEY), "");
    assert_eq!(status, 200, "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    // Only the token and its expiry.
    let fields: Vec<&String> = answer.as_object().unwrap().keys().collect();
    assert_eq!(fields, ["access_token", "expires_in"], "{body}");
    assert!(answer["expires_in"].as_u64().unwrap() > 7000);
    assert!(!body.contains(&emu.secret()));

    // Delete the `ci` line: the key is refused at once; the other still works.
    let text = std::fs::read_to_string(&relay.keys).unwrap();
    let kept: String = text
        .lines()
        .filter(|l| !l.ends_with(" ci"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(kept, text);
    std::fs::write(&relay.keys, kept).unwrap();
    let (status, _, body) = post_token(relay.addr, Some(KEY), "");
    assert_eq!(status, 401, "{body}");
    assert!(!body.contains("access_token"));
    assert_eq!(post_token(relay.addr, Some(OTHER_KEY), "").0, 200);
    // Without a bearer key, or with a malformed body.
    assert_eq!(post_token(relay.addr, None, "").0, 401);
    assert_eq!(post_token(relay.addr, Some(OTHER_KEY), "[1]").0, 400);
    // A key put in a path by mistake is not logged either.
    let mut s = TcpStream::connect(relay.addr).unwrap();
    write!(
        s,
        "GET /token/{KEY} HTTP/1.1\r\nHost: r\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    assert!(
        relay.log().contains("GET (other path) 404"),
        "{}",
        relay.log()
    );
    let log = relay.log();
    assert!(log.contains(" 401 key=- "), "{log}");
    assert!(!log.contains(KEY) && !log.contains(OTHER_KEY), "{log}");
}

#[test]
fn rate_limits_hold_under_a_bounded_burst() {
    let emu = wxemu::Emulator::start().expect("emulator");
    // Per key: 5 a minute.
    let relay = Relay::start(&emu, &["--key-rate", "5", "--ip-rate", "0"]);
    let statuses: Vec<(u16, Option<u64>)> = (0..12)
        .map(|_| {
            let (s, r, _) = post_token(relay.addr, Some(KEY), "");
            (s, r)
        })
        .collect();
    let ok = statuses.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!(ok, 5, "{statuses:?}");
    assert!(statuses[..5].iter().all(|(s, _)| *s == 200), "{statuses:?}");
    for (s, retry) in &statuses[5..] {
        assert_eq!(*s, 429);
        assert!(retry.is_some_and(|r| (1..=12).contains(&r)), "{statuses:?}");
    }
    // Another key has its own allowance.
    assert_eq!(post_token(relay.addr, Some(OTHER_KEY), "").0, 200);
    assert_eq!(
        relay
            .requests()
            .iter()
            .filter(|l| l.contains(" 429 "))
            .count(),
        7
    );
    drop(relay);

    // Per address, keys or not: guessing keys is limited too.
    let relay = Relay::start(&emu, &["--key-rate", "0", "--ip-rate", "4"]);
    let statuses: Vec<u16> = (0..10)
        .map(|i| {
            let key = format!("guessed-key-{i:02}-0123456789abcdef");
            post_token(relay.addr, Some(&key), "").0
        })
        .collect();
    assert_eq!(statuses[..4], [401; 4], "{statuses:?}");
    assert!(statuses[4..].iter().all(|s| *s == 429), "{statuses:?}");
    // The address is held back even with a good key now.
    assert_eq!(post_token(relay.addr, Some(KEY), "").0, 429);
}

#[test]
fn forced_refreshes_are_at_most_one_per_window() {
    let emu = wxemu::Emulator::start().expect("emulator");
    let relay = Relay::start(&emu, &[]);
    let first = post_token(relay.addr, Some(KEY), "").2;
    let forced: Vec<String> = (0..3)
        .map(|_| post_token(relay.addr, Some(KEY), r#"{"force_refresh":true}"#).2)
        .collect();
    let token =
        |b: &str| serde_json::from_str::<serde_json::Value>(b).unwrap()["access_token"].clone();
    assert_ne!(
        token(&first),
        token(&forced[0]),
        "a forced refresh gave the old token"
    );
    assert!(
        forced.iter().all(|b| token(b) == token(&forced[0])),
        "{forced:?}"
    );
    let upstream = emu
        .calls("stable_token")
        .iter()
        .filter(|c| c.body.contains("\"force_refresh\":true"))
        .count();
    assert_eq!(upstream, 1);
}

#[test]
fn plain_http_on_a_public_address_is_refused_and_bad_setups_fail_early() {
    let emu = wxemu::Emulator::start().expect("emulator");
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    std::fs::write(&keys, format!("{}\n", hash_line(KEY, "ci"))).unwrap();
    let run = |args: &[&str]| {
        let out = relay_command(&emu)
            .arg("relay")
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let keys_arg = keys.to_str().unwrap();
    let (code, err) = run(&["--listen", "0.0.0.0:0", "--keys", keys_arg]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("plain HTTP") && err.contains("--tls-cert"),
        "{err}"
    );

    // A key file holding a key rather than its hash: refused, naming the line, not echoing it.
    std::fs::write(&keys, format!("# comment\n{KEY} ci\n")).unwrap();
    let (code, err) = run(&["--keys", keys_arg]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(":2:") && err.contains("not a hashed key"),
        "{err}"
    );
    assert!(!err.contains(KEY), "{err}");

    // A wrong secret is found at start, not by the first client.
    std::fs::write(&keys, format!("{}\n", hash_line(KEY, "ci"))).unwrap();
    let out = relay_command(&emu)
        .env("WECHAT_APPSECRET", "a-wrong-secret-0123456789")
        .args(["relay", "--keys", keys_arg])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(!err.contains("a-wrong-secret-0123456789"), "{err}");

    // A key too short to hash.
    let out = assert_cmd::Command::new(env!("CARGO_BIN_EXE_wxsync"))
        .args(["relay", "--hash-key", "ci"])
        .write_stdin("short\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    // --systemd prints a unit that runs these options.
    let out = assert_cmd::Command::new(env!("CARGO_BIN_EXE_wxsync"))
        .args(["relay", "--systemd", "--keys", "/etc/wxsync/relay-keys"])
        .output()
        .unwrap();
    let unit = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        unit.contains("[Service]")
            && unit.contains("relay --listen 127.0.0.1:8787 --keys /etc/wxsync/relay-keys"),
        "{unit}"
    );
}
