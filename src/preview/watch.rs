//! Watching the site: debounced file events (notify + notify-debouncer-full), filtered down to
//! the files a build reads, so an editor's temporary files and wxsync's own writes never
//! trigger a rebuild.

use std::path::{Component, Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, new_debouncer, new_debouncer_opt};

/// Whether a change to `path` can change a build: articles, images, CSS and `wxsync.yaml`,
/// not hidden files or directories (`.git`, `.wxsync`, `.#a.md`, `.a.md.swp`), not editor
/// backups and swap files, not the lockfile.
pub fn is_relevant(root: &Path, path: &Path) -> bool {
    let Ok(rel) = path.strip_prefix(root) else {
        return false;
    };
    for c in rel.components() {
        let Component::Normal(name) = c else {
            return false;
        };
        let name = name.to_string_lossy();
        if name.starts_with('.') || name == "node_modules" || name == "target" {
            return false;
        }
    }
    let name = rel
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    if name.ends_with('~')
        || (name.starts_with('#') && name.ends_with('#'))
        || name == "4913"
        || name.starts_with("~$")
    {
        return false;
    }
    if name == crate::site::CONFIG_FILE {
        return true;
    }
    let ext = rel
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    matches!(
        ext.as_str(),
        "md" | "markdown" | "css" | "png" | "jpg" | "jpeg" | "gif" | "webp" | "bmp"
    )
}

/// How often `--poll` scans the site.
const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// A running watcher; dropping it stops watching.
pub struct Watcher {
    _inner: Box<dyn std::any::Any + Send>,
}

/// Watches `root` recursively and sends each debounced batch of relevant changed paths.
/// `poll` uses polling, for file systems where native events do not arrive (network mounts,
/// some containers and VMs).
pub fn watch(
    root: &Path,
    debounce: Duration,
    poll: bool,
    tx: mpsc::Sender<Vec<PathBuf>>,
) -> notify::Result<Watcher> {
    let filter_root = root.to_path_buf();
    let handler = move |res: DebounceEventResult| {
        let Ok(events) = res else { return };
        let mut paths: Vec<PathBuf> = events
            .iter()
            .filter(|e| !matches!(e.event.kind, EventKind::Access(_)))
            .flat_map(|e| e.event.paths.iter().cloned())
            .filter(|p| is_relevant(&filter_root, p))
            .collect();
        paths.sort();
        paths.dedup();
        if !paths.is_empty() {
            let _ = tx.send(paths);
        }
    };
    if poll {
        let config = notify::Config::default().with_poll_interval(POLL_INTERVAL);
        let mut d = new_debouncer_opt::<_, notify::PollWatcher, _>(
            debounce,
            None,
            handler,
            notify_debouncer_full::RecommendedCache::new(),
            config,
        )?;
        d.watch(root, RecursiveMode::Recursive)?;
        // The poller takes its first snapshot on its own thread; a save before that snapshot
        // would be part of it and never seen as a change. Let it take it before going on.
        std::thread::sleep(POLL_INTERVAL * 2);
        Ok(Watcher {
            _inner: Box::new(d),
        })
    } else {
        let mut d = new_debouncer(debounce, None, handler)?;
        d.watch(root, RecursiveMode::Recursive)?;
        Ok(Watcher {
            _inner: Box::new(d),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_editor_files_and_own_writes() {
        let root = Path::new("/site");
        for yes in [
            "/site/articles/a.md",
            "/site/wxsync.yaml",
            "/site/images/x.PNG",
            "/site/theme.css",
        ] {
            assert!(is_relevant(root, Path::new(yes)), "{yes}");
        }
        for no in [
            "/site/articles/.a.md.swp",
            "/site/articles/a.md~",
            "/site/articles/.#a.md",
            "/site/articles/#a.md#",
            "/site/articles/4913",
            "/site/.wxsync/out/a.html",
            "/site/.git/index",
            "/site/wxsync.lock",
            "/site/articles/a.md.tmp",
            "/elsewhere/a.md",
        ] {
            assert!(!is_relevant(root, Path::new(no)), "{no}");
        }
    }
}
