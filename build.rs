//! Puts the commit into `wxsync --version` when built from a git checkout
//! (`wxsync 0.1.0 (1a2b3c4d5 2026-12-02)`); a build from the crates.io package, which has no
//! `.git`, or without git, says only the version.

use std::path::Path;
use std::process::Command;

fn main() {
    let version = env!("CARGO_PKG_VERSION");
    let commit = git(&["log", "-1", "--format=%h %cs", "--abbrev=9"]);
    let full = match commit {
        Some(c) => format!("{version} ({c})"),
        None => version.to_string(),
    };
    println!("cargo:rustc-env=WXSYNC_VERSION={full}");
    // Rebuilt when HEAD moves: a commit, a checkout, a branch that advances.
    if let Some(dir) = git(&["rev-parse", "--git-dir"]) {
        let dir = Path::new(&dir);
        println!("cargo:rerun-if-changed={}", dir.join("HEAD").display());
        if let Some(head) = git(&["symbolic-ref", "-q", "HEAD"]) {
            println!("cargo:rerun-if-changed={}", dir.join(head).display());
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}

/// What `git ARGS` prints in the crate's directory, trimmed; `None` without git or a repository.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (out.status.success() && !text.is_empty()).then(|| text.to_string())
}
