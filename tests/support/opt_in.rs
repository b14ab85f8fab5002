//! The opt-in suites: tests that need something beside the clone. Plain `cargo test` needs
//! nothing but the clone and 127.0.0.1, so these run only when asked for (`.ci/run` asks for
//! all of them):
//!
//! - the corpus suite, with `WXSYNC_CORPUS=<dir>`: the real articles to render;
//! - the browser suite, with `WXSYNC_BROWSER=1` or `WXSYNC_CHROMIUM=<binary>`: a headless
//!   Chromium.
//!
//! Not asked for, a suite says in one line how to run it and its tests pass. Asked for but
//! unable to run (no such directory, no browser), it panics: a suite that was asked for is
//! never skipped quietly.
#![allow(dead_code)] // Each test crate that includes this module uses a different subset.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Once;

/// Says once per test process that a suite was skipped, and how to run it. Written to the
/// stderr handle itself: the test harness captures only `print!`/`eprint!`, and a skip that
/// nobody sees is how a suite gets forgotten.
fn skipped(note: &'static Once, how: &str) {
    note.call_once(|| {
        let _ = writeln!(std::io::stderr(), "skipped: {how}");
    });
}

/// The real-article corpus named by `WXSYNC_CORPUS`, or `None` (after the skip line) when it
/// is unset. Set to something that is not a directory, it panics.
pub fn corpus_dir() -> Option<PathBuf> {
    static NOTE: Once = Once::new();
    let Some(raw) = std::env::var_os("WXSYNC_CORPUS") else {
        skipped(
            &NOTE,
            "the corpus suite needs WXSYNC_CORPUS=<dir of real articles> (CI: ../shared/corpus/real)",
        );
        return None;
    };
    // Relative to the package root, where cargo runs its tests.
    let dir = PathBuf::from(&raw);
    match dir.canonicalize() {
        Ok(d) if d.is_dir() => Some(d),
        Ok(d) => panic!(
            "WXSYNC_CORPUS={} is not a directory ({}): the corpus suite was asked for and cannot run",
            dir.display(),
            d.display()
        ),
        Err(e) => panic!(
            "WXSYNC_CORPUS={:?}: {e}: the corpus suite was asked for and cannot run",
            raw
        ),
    }
}

/// The names Debian, Ubuntu and Google give Chromium, looked for on PATH and then in
/// `/usr/bin` when `WXSYNC_CHROMIUM` does not name one.
const CHROMIUM_NAMES: &[&str] = &["chromium", "chromium-browser", "google-chrome"];
const CHROMIUM_PATHS: &[&str] = &[
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
];

/// The Chromium to drive, or `None` (after the skip line) when neither `WXSYNC_BROWSER` nor
/// `WXSYNC_CHROMIUM` is set. Asked for and not found, it panics; so does a `WXSYNC_BROWSER`
/// other than `1`, so that a typo cannot turn the suite off.
pub fn chromium() -> Option<PathBuf> {
    static NOTE: Once = Once::new();
    let named = std::env::var_os("WXSYNC_CHROMIUM");
    match std::env::var_os("WXSYNC_BROWSER") {
        None if named.is_none() => {
            skipped(
                &NOTE,
                "the browser suite needs WXSYNC_BROWSER=1 and Debian's chromium (or WXSYNC_CHROMIUM=<binary>)",
            );
            return None;
        }
        None => {}
        Some(v) if v == "1" => {}
        Some(v) => {
            panic!("WXSYNC_BROWSER={v:?}: set it to 1 to run the browser suite, or leave it unset")
        }
    }
    if let Some(named) = named {
        return Some(find_named(&named).unwrap_or_else(|| {
            panic!(
                "WXSYNC_CHROMIUM={named:?} is neither a file nor a program on PATH: the browser suite was asked for and cannot run"
            )
        }));
    }
    let on_path = CHROMIUM_NAMES.iter().find_map(|n| on_path(Path::new(n)));
    let found = on_path.or_else(|| {
        CHROMIUM_PATHS
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
    });
    Some(found.unwrap_or_else(|| {
        panic!(
            "WXSYNC_BROWSER=1 but no Chromium ({} on PATH, or {}): install Debian's `chromium` (`.ci/run` does) or set WXSYNC_CHROMIUM=<binary>",
            CHROMIUM_NAMES.join(", "),
            CHROMIUM_PATHS.join(", ")
        )
    }))
}

/// `WXSYNC_CHROMIUM` as a path, or as a program name looked up on PATH.
fn find_named(named: &OsString) -> Option<PathBuf> {
    let p = Path::new(named);
    if p.is_file() {
        return Some(p.to_path_buf());
    }
    if p.components().count() == 1 {
        return on_path(p);
    }
    None
}

fn on_path(name: &Path) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}
