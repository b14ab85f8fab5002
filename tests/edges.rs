//! The edges of the binary a user hits: a reader that closes the pipe early, and colour
//! choices that hold for every kind of error.

use std::io::Read;
use std::process::{Command, Stdio};

#[path = "support/site_copy.rs"]
mod site_copy;

use site_copy::{example_site, example_site_copy};

const BIN: &str = env!("CARGO_BIN_EXE_wxsync");

/// `wxsync check --json | head -c1`: the reader is gone before the document is written.
/// ripgrep's rule: exit quietly, no panic, nothing on stderr.
#[test]
fn a_closed_stdout_ends_quietly() {
    for _ in 0..3 {
        let mut child = Command::new(BIN)
            .args(["check", "--json", "--site"])
            .arg(example_site())
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn wxsync");
        // Close the read end at once: every write to stdout then fails with EPIPE.
        drop(child.stdout.take());
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .expect("stderr")
            .read_to_string(&mut stderr)
            .expect("read stderr");
        let status = child.wait().expect("wait");
        assert!(
            matches!(status.code(), Some(0) | Some(141)) || status.code().is_none(),
            "exit {status:?}, stderr: {stderr}"
        );
        assert_eq!(stderr, "", "nothing on stderr");
    }
}

/// A site whose `wxsync.yaml` has a typo: a config error, which ends the run before any
/// article is read (and was once printed with its own idea of colour).
fn broken_config_site() -> tempfile::TempDir {
    let site = example_site_copy();
    let cfg = site.path().join("wxsync.yaml");
    let text = std::fs::read_to_string(&cfg).expect("config");
    std::fs::write(&cfg, format!("themee: default\n{text}")).expect("write config");
    site
}

#[test]
fn color_always_colours_a_config_error() {
    let site = broken_config_site();
    let out = Command::new(BIN)
        .args(["check", "--color", "always", "--site"])
        .arg(site.path())
        .env_remove("NO_COLOR")
        .output()
        .expect("run wxsync");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("themee"), "{stderr}");
    assert!(stderr.contains("\x1b["), "coloured: {stderr}");
}

/// On a terminal (a pty from util-linux `script`), `--color never` still means no colour
/// for a config error.
#[test]
fn color_never_holds_for_a_config_error_on_a_terminal() {
    let site = broken_config_site();
    let shown = on_a_pty(&format!(
        "{BIN} check --color never --site '{}'",
        site.path().display()
    ));
    assert!(shown.contains("themee"), "{shown}");
    assert!(!shown.contains("\x1b["), "no colour: {shown}");
    // The same run without the flag is coloured: the pty is a terminal.
    let shown = on_a_pty(&format!("{BIN} check --site '{}'", site.path().display()));
    assert!(shown.contains("\x1b["), "coloured on a terminal: {shown}");
}

/// What a shell command prints on a pseudo-terminal (util-linux `script`), stdout and stderr
/// together as a terminal shows them.
fn on_a_pty(cmd: &str) -> String {
    let out = Command::new("script")
        .args(["-qec", cmd, "/dev/null"])
        .env_remove("NO_COLOR")
        .env("TERM", "xterm-256color")
        .stdin(Stdio::null())
        .output()
        .expect("util-linux `script` runs wxsync on a pty");
    String::from_utf8_lossy(&out.stdout).into_owned()
}
