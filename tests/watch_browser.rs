//! End to end in a real browser: headless Chromium opens an article's preview, the Markdown
//! file is edited, and the new text appears in the page by itself (server-sent events reload
//! it) within 2 s; a broken front matter shows its error in the page. Chromium is driven over
//! the DevTools protocol.
//!
//! The browser suite is opt-in (`support/opt_in.rs`): `WXSYNC_BROWSER=1` runs it with
//! Debian's `chromium` (which `.ci/run` installs when it is missing), `WXSYNC_CHROMIUM=<binary>`
//! with another browser. Without either, the test says so in one line and passes.

#[path = "support/opt_in.rs"]
mod opt_in;
#[path = "support/watch_proc.rs"]
mod watch_proc;

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tungstenite::{Message, WebSocket, stream::MaybeTlsStream};
use watch_proc::{WatchProcess, example_site_copy, http_get};

struct Browser {
    child: Child,
    _profile: tempfile::TempDir,
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
    next_id: u64,
}

impl Browser {
    /// Starts the headless Chromium at `chromium` on `url` and attaches to its page.
    fn open(chromium: &Path, url: &str) -> Browser {
        let profile = tempfile::tempdir().expect("profile dir");
        let mut child = Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(url)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", chromium.display()));
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(i) = line.find("ws://127.0.0.1:") {
                    let _ = tx.send(line[i..].to_string());
                }
            }
        });
        let ws_url = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("DevTools URL from chromium");
        let port: u16 = ws_url["ws://127.0.0.1:".len()..]
            .split('/')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port");
        // The page target opened with the URL.
        let start = Instant::now();
        let page_ws = loop {
            let (_, body) = http_get(port, "/json/list");
            let targets: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            let found = targets
                .as_array()
                .into_iter()
                .flatten()
                .find(|t| t["type"] == "page")
                .and_then(|t| t["webSocketDebuggerUrl"].as_str().map(str::to_string));
            if let Some(u) = found {
                break u;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "no page target: {body}"
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        let (ws, _) = tungstenite::connect(page_ws.as_str()).expect("attach to the page");
        Browser {
            child,
            _profile: profile,
            ws,
            next_id: 0,
        }
    }

    /// Evaluates JavaScript in the page and returns the value.
    fn eval(&mut self, expr: &str) -> serde_json::Value {
        self.next_id += 1;
        let id = self.next_id;
        let msg = serde_json::json!({"id": id, "method": "Runtime.evaluate",
            "params": {"expression": expr, "returnByValue": true}});
        self.ws.send(Message::text(msg.to_string())).expect("send");
        loop {
            let m = self.ws.read().expect("read");
            let Message::Text(t) = m else { continue };
            let v: serde_json::Value = serde_json::from_str(t.as_str()).expect("json");
            if v["id"].as_u64() == Some(id) {
                return v["result"]["result"]["value"].clone();
            }
        }
    }

    fn text(&mut self) -> String {
        self.eval("document.body ? document.body.innerText : ''")
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// Waits until the page's text satisfies `pred`; returns how long it took.
    fn wait_text(&mut self, within: Duration, what: &str, pred: impl Fn(&str) -> bool) -> Duration {
        let start = Instant::now();
        loop {
            let t = self.text();
            if pred(&t) {
                return start.elapsed();
            }
            if start.elapsed() > within {
                panic!("the page did not show {what} within {within:?}; it shows:\n{t}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_page_follows_edits_by_itself() {
    let Some(chromium) = opt_in::chromium() else {
        return;
    };
    let site = example_site_copy();
    let article = "articles/rust-error-handling.md";
    let w = WatchProcess::start(site.path(), &[], &[]);
    let mut b = Browser::open(&chromium, &format!("{}/a/{article}", w.base));
    b.wait_text(Duration::from_secs(20), "the article", |t| {
        t.contains("Errors users can act on")
    });
    // The page is marked so a reload by hand would show: a reload clears it.
    b.eval("window.__wxsyncMarker = 1");

    let path = site.path().join(article);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace("A tool earns trust", "A tool EARNS-TRUST-LIVE"),
    )
    .unwrap();
    let took = b.wait_text(Duration::from_secs(2), "the edit", |t| {
        t.contains("EARNS-TRUST-LIVE")
    });
    eprintln!("edit visible in the browser after {took:?}");
    assert!(
        b.eval("window.__wxsyncMarker === undefined")
            .as_bool()
            .unwrap_or(false),
        "the page reloaded itself"
    );

    // A broken front matter: the page shows the error, not the stale article.
    std::fs::write(
        &path,
        text.replacen("title: Errors users can act on", "title: [broken", 1),
    )
    .unwrap();
    b.wait_text(Duration::from_secs(3), "the error", |t| {
        t.contains("does not build") && t.contains(article)
    });
    let t = b.text();
    assert!(!t.contains("EARNS-TRUST-LIVE"), "no stale article:\n{t}");
    assert!(
        t.contains(&format!("{article}:")),
        "file and line are shown:\n{t}"
    );

    // Fixed again: the article comes back.
    std::fs::write(&path, &text).unwrap();
    b.wait_text(Duration::from_secs(3), "the fixed article", |t| {
        t.contains("A tool earns trust")
    });
}
