//! Copies of the example site for tests that change files: one place that knows what to
//! leave behind (`.wxsync/`, a lockfile).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub fn example_site() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("example-site")
}

/// Copies a site without its local cache or lockfile.
pub fn copy_site(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("walk");
        let rel = entry.path().strip_prefix(from).expect("prefix");
        if rel.starts_with(".wxsync") || rel.starts_with("wxsync.lock") {
            continue;
        }
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).expect("mkdir");
        } else {
            std::fs::copy(entry.path(), &dest).expect("copy");
        }
    }
}

/// The example site in a temporary directory.
pub fn example_site_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_site(&example_site(), dir.path());
    dir
}
