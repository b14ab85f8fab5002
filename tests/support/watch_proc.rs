//! A `wxsync watch` process for tests: started on a free port, its stderr collected, its
//! status endpoint read over plain HTTP, stopped with SIGINT (Ctrl-C) or killed on drop.

#![allow(dead_code)]

#[path = "site_copy.rs"]
mod site_copy;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct WatchProcess {
    pub child: Child,
    /// `http://127.0.0.1:PORT` (or the address given to `--host`)
    pub base: String,
    pub log: Arc<Mutex<String>>,
}

impl WatchProcess {
    pub fn start(site: &Path, extra: &[&str], env: &[(&str, &str)]) -> WatchProcess {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_wxsync"));
        cmd.arg("-C")
            .arg(site)
            .args(["watch", "--port", "0"])
            .args(extra);
        cmd.env("NO_COLOR", "1").env_remove("GITHUB_ACTIONS");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start wxsync watch");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                // The first URL of the line that says where the preview is.
                if let Some(i) = line
                    .find("http://")
                    .filter(|_| line.contains(" previewing "))
                {
                    let url = line[i..]
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .trim_end_matches('/')
                        .to_string();
                    let _ = tx.send(url);
                }
                let mut l = sink.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| {
                panic!(
                    "wxsync watch did not print its URL:\n{}",
                    log.lock().unwrap()
                )
            });
        WatchProcess { child, base, log }
    }

    pub fn port(&self) -> u16 {
        self.base
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port")
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        http_get(self.port(), path)
    }

    pub fn status(&self) -> serde_json::Value {
        let (code, body) = self.get("/__wxsync/status");
        assert_eq!(code, 200, "{body}");
        serde_json::from_str(&body).expect("status JSON")
    }

    pub fn generation(&self) -> u64 {
        self.status()["generation"].as_u64().expect("generation")
    }

    /// Waits until `pred` holds on the status, or panics after `timeout`.
    pub fn wait_status(
        &self,
        timeout: Duration,
        what: &str,
        pred: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let start = Instant::now();
        loop {
            let s = self.status();
            if pred(&s) {
                return s;
            }
            if start.elapsed() > timeout {
                panic!(
                    "timed out waiting for {what}; status: {s}\nlog:\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits until the terminal shows `needle`, or panics after `timeout`.
    pub fn wait_log(&self, timeout: Duration, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let log = self.log();
            if log.contains(needle) {
                return log;
            }
            if start.elapsed() > timeout {
                panic!("timed out waiting for `{needle}` in the log:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Ctrl-C, and the exit code.
    pub fn interrupt(mut self) -> Option<i32> {
        // The shell's own `kill`: /usr/bin/kill comes with procps, which slim images lack.
        let _ = Command::new("sh")
            .arg("-c")
            .arg(format!("kill -INT {}", self.child.id()))
            .status();
        let start = Instant::now();
        loop {
            if let Ok(Some(st)) = self.child.try_wait() {
                return st.code();
            }
            if start.elapsed() > Duration::from_secs(10) {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for WatchProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.1 GET on 127.0.0.1: status code and body. Reads exactly `Content-Length`
/// bytes when given (Chromium's DevTools server keeps the connection open regardless).
pub fn http_get(port: u16, path: &str) -> (u16, String) {
    http_get_as(port, path, &format!("127.0.0.1:{port}"))
}

/// [`http_get`] with the `Host` header a page on another site would send.
pub fn http_get_as(port: u16, path: &str, host: &str) -> (u16, String) {
    http_get_at("127.0.0.1", port, path, host)
}

/// [`http_get_as`] to another address of this machine (`127.0.0.2`, …).
pub fn http_get_at(ip: &str, port: u16, path: &str, host: &str) -> (u16, String) {
    let mut s = TcpStream::connect((ip, port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).ok();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut reader = BufReader::new(s);
    let mut status = String::new();
    let _ = reader.read_line(&mut status);
    let code = status
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((_, v)) = line
            .split_once(':')
            .filter(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        {
            length = v.trim().parse::<usize>().ok();
        }
    }
    let mut body = Vec::new();
    match length {
        Some(n) => {
            body.resize(n, 0);
            let _ = reader.read_exact(&mut body);
        }
        None => {
            let _ = reader.read_to_end(&mut body);
        }
    }
    (code, String::from_utf8_lossy(&body).to_string())
}

pub use site_copy::example_site_copy;
