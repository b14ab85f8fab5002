//! `wxsync mcp` spoken to over stdio as an agent would (DESIGN §5): initialize, list the
//! tools, call `check`, `render`, `status` and a dry-run `sync` on the example site, then a
//! real push only when asked for with `dry_run: false`, against the emulator. Every line on
//! stdout must be a JSON-RPC message, and no secret may be in any of them.

#[path = "support/sync_site.rs"]
mod support;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use serde_json::{Value, json};
use support::*;

/// A running `wxsync mcp` and the lines it wrote on stdout.
struct Mcp {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    seen: Vec<String>,
    next_id: u64,
}

impl Mcp {
    fn start(site: &SyncSite) -> Mcp {
        let mut cmd = site.command();
        // Elsewhere than the site: paths in calls are relative to the site, not to the server.
        cmd.current_dir(std::env::temp_dir())
            .arg("-C")
            .arg(site.path())
            .arg("mcp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().expect("spawn wxsync mcp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut mcp = Mcp {
            child,
            stdin,
            lines: rx,
            seen: Vec::new(),
            next_id: 1,
        };
        let init = mcp.request(
            "initialize",
            json!({
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": { "name": "wxsync-test", "version": "1" }
            }),
        );
        let result = &init["result"];
        assert_eq!(result["serverInfo"]["name"], "wxsync", "{init}");
        assert!(result["capabilities"]["tools"].is_object(), "{init}");
        assert!(result["protocolVersion"].is_string(), "{init}");
        mcp.notify("notifications/initialized", json!({}));
        mcp
    }

    fn send(&mut self, message: &Value) {
        writeln!(self.stdin, "{message}").expect("write to wxsync mcp");
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and waits for its answer (every line read must be a JSON-RPC message).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(120))
                .unwrap_or_else(|_| {
                    panic!("no answer to {method}; stdout so far: {:?}", self.seen)
                });
            self.seen.push(line.clone());
            let msg: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("stdout has a line that is not JSON ({e}): {line}"));
            assert_eq!(msg["jsonrpc"], "2.0", "not a JSON-RPC message: {line}");
            if msg["id"] == json!(id) {
                return msg;
            }
        }
    }

    /// `tools/call`: the result (`structuredContent`, `isError`).
    fn call(&mut self, tool: &str, arguments: Value) -> (Value, bool) {
        let answer = self.request(
            "tools/call",
            json!({ "name": tool, "arguments": arguments }),
        );
        let result = &answer["result"];
        assert!(result.is_object(), "{tool}: no result: {answer}");
        let structured = result["structuredContent"].clone();
        assert!(
            structured.is_object(),
            "{tool}: no structured content: {answer}"
        );
        // The text content is the same document, for clients that read only text.
        let text = result["content"][0]["text"].as_str().unwrap_or("");
        assert_eq!(
            serde_json::from_str::<Value>(text).ok(),
            Some(structured.clone())
        );
        (structured, result["isError"] == json!(true))
    }

    /// Everything the server wrote on stdout so far.
    fn stdout(&self) -> String {
        self.seen.join("\n")
    }
}

impl Drop for Mcp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn actions(doc: &Value) -> Vec<(String, String)> {
    doc["articles"]
        .as_array()
        .unwrap_or_else(|| panic!("no articles: {doc}"))
        .iter()
        .map(|a| {
            (
                a["path"].as_str().unwrap_or("").to_string(),
                a["action"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn an_agent_checks_plans_and_dry_runs_the_example_site_over_stdio() {
    let site = SyncSite::new();
    let mut mcp = Mcp::start(&site);

    let list = mcp.request("tools/list", json!({}));
    let names: Vec<&str> = list["result"]["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("{list}"))
        .iter()
        .map(|t| t["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names, ["check", "render", "status", "sync", "quota"]);
    let sync_tool = &list["result"]["tools"][3];
    assert_eq!(
        sync_tool["inputSchema"]["properties"]["dry_run"]["default"],
        true
    );

    // check: the same document as `wxsync check --json`.
    assert_ne!(std::env::temp_dir(), site.path());
    let (check, failed) = mcp.call("check", json!({}));
    assert!(!failed, "{check}");
    let cli = site.run(&["check", "--json"]);
    cli.assert_code(0);
    assert_eq!(
        check,
        cli.json(),
        "check over MCP differs from `check --json`"
    );

    // render: the payloads and the preview page of each article, written.
    let (render, failed) = mcp.call("render", json!({ "paths": [HELLO] }));
    assert!(!failed, "{render}");
    let article = &render["articles"][0];
    assert_eq!(article["path"], HELLO);
    assert!(article["payload"]["title"].is_string(), "{render}");
    let preview = article["preview"].as_str().expect("a preview path");
    let page = std::fs::read_to_string(preview).expect("the preview page exists");
    // The article as it will look, its images shown from local files (no placeholders).
    assert!(page.starts_with("<section"), "{preview}");
    assert!(!page.contains("wxsync-asset:"), "{preview}");
    assert!(std::path::Path::new(article["html"].as_str().unwrap()).is_file());

    // status: the plan, with no call.
    let before = site.emu.log().len();
    let (status, failed) = mcp.call("status", json!({}));
    assert!(!failed, "{status}");
    let planned = actions(&status);
    assert_eq!(planned.len(), 5, "{status}");
    assert!(planned.iter().all(|(_, a)| a == "create"), "{status}");
    assert_eq!(site.emu.log().len(), before, "status called WeChat");
    let cli = site.status();
    cli.assert_code(0);
    assert_eq!(
        status,
        cli.json(),
        "status over MCP differs from `status --json`"
    );

    // sync is a dry run by default: the plan, the payloads written, nothing sent or locked.
    let (dry, failed) = mcp.call("sync", json!({}));
    assert!(!failed, "{dry}");
    assert_eq!(actions(&dry), planned);
    assert_eq!(site.emu.log().len(), before, "a dry run called WeChat");
    assert!(site.lock_bytes().is_none(), "a dry run wrote wxsync.lock");
    assert!(
        site.file(".wxsync/out/articles/hello-wxsync.json")
            .is_file()
    );

    // A push needs dry_run: false, said explicitly.
    let (pushed, failed) = mcp.call("sync", json!({ "dry_run": false }));
    assert!(!failed, "{pushed}");
    assert_eq!(pushed["summary"]["created"], 5, "{pushed}");
    assert_eq!(site.emu.drafts().len(), 4);
    let lock = site.lock();
    for path in ALL {
        assert!(!lock.media_id(path).is_empty());
    }
    let (after, _) = mcp.call("status", json!({}));
    assert!(actions(&after).iter().all(|(_, a)| a == "skip"), "{after}");

    // quota: `wxsync quota --json`, read from the emulator.
    let (quota, failed) = mcp.call("quota", json!({ "apis": ["draft/add"] }));
    assert!(!failed, "{quota}");
    assert_eq!(quota["apis"][0]["api"], "draft/add", "{quota}");
    assert_eq!(quota["apis"][0]["used"], 4, "{quota}");

    // No secret in anything the agent received.
    let stdout = mcp.stdout();
    for secret in site.secrets() {
        assert!(!stdout.contains(&secret), "a secret reached the agent");
    }
}

#[test]
fn errors_carry_file_line_and_help_and_bad_calls_are_refused() {
    let site = SyncSite::new();
    // A misspelt front matter key on line 2 of an article.
    site.add_front_matter(HELLO, "autor: someone");
    let mut mcp = Mcp::start(&site);
    let (check, failed) = mcp.call("check", json!({}));
    assert!(failed, "{check}");
    let hello = check["articles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == HELLO)
        .cloned()
        .unwrap();
    let error = &hello["errors"][0];
    assert_eq!(error["file"], HELLO, "{error}");
    assert_eq!(error["line"], 2, "{error}");
    assert!(
        error["help"].as_str().is_some_and(|h| h.contains("author")),
        "{error}"
    );

    // status and sync refuse to plan it, with the same errors, and send nothing.
    for tool in ["status", "sync"] {
        let (doc, failed) = mcp.call(tool, json!({}));
        assert!(failed, "{tool}: {doc}");
        let text = doc.to_string();
        assert!(
            text.contains("\"line\":2") && text.contains(HELLO),
            "{tool}: {doc}"
        );
    }
    assert!(site.emu.log().is_empty());

    // A site that is not one.
    let (doc, failed) = mcp.call("status", json!({ "site": "/nonexistent-wxsync-site" }));
    assert!(failed);
    assert!(doc["error"]["message"].is_string(), "{doc}");

    // Unknown tools and arguments are protocol errors.
    let answer = mcp.request("tools/call", json!({ "name": "publish", "arguments": {} }));
    assert!(answer["error"]["code"].is_i64(), "{answer}");
    let answer = mcp.request(
        "tools/call",
        json!({ "name": "sync", "arguments": { "dryrun": false } }),
    );
    assert!(answer["error"]["code"].is_i64(), "{answer}");
    assert!(site.emu.log().is_empty(), "a refused call reached WeChat");
}

/// A site with several accounts: a tool that talks to one needs to be told which, unless the
/// articles named go to one; with `account` it answers for that account alone.
#[test]
fn with_several_accounts_a_tool_names_its_account() {
    let site = SyncSite::new();
    site.edit("wxsync.yaml", |t| {
        format!(
            "{t}accounts:\n  main: {{}}\n  brand2:\n    appid: wxemu0000000000002\n    articles: [\"articles/weekly/**\"]\n"
        )
    });
    let mut mcp = Mcp::start(&site);
    let (doc, failed) = mcp.call("status", json!({}));
    assert!(failed, "{doc}");
    let message = doc["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("several accounts") && message.contains("brand2"),
        "{doc}"
    );
    let (doc, failed) = mcp.call("status", json!({ "account": "main" }));
    assert!(!failed, "{doc}");
    let paths: Vec<String> = actions(&doc).into_iter().map(|(p, _)| p).collect();
    assert!(paths.contains(&HELLO.to_string()), "{doc}");
    assert!(
        !paths.iter().any(|p| p.starts_with("articles/weekly/")),
        "{doc}"
    );
    // Named articles pick their account.
    let (doc, failed) = mcp.call("status", json!({ "paths": ["articles/weekly/47-lead.md"] }));
    assert!(!failed, "{doc}");
    let (doc, failed) = mcp.call("sync", json!({ "account": "nobody" }));
    assert!(failed, "{doc}");
    assert!(site.emu.log().is_empty());
}
