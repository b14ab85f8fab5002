//! A watch session (`wxsync watch`): rebuild on every save, serve a live preview on
//! 127.0.0.1, and with `--push` keep the draft box current through the same engine and
//! lockfile as `wxsync sync`. Three threads: the server, the rebuild loop, the push loop.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::output::{Output, plural};
use crate::preview::build::{PushStatus, Snapshot, build};
use crate::preview::images::PreparedImages;
use crate::preview::server::{AppState, SHUTDOWN, router};
use crate::project::runtime;
use crate::project::sync::{Flags, sync};
use crate::site::{ArticlePath, Site};
use crate::sync::plan::payload_hash;

/// At most one push per article in this interval.
pub const PUSH_INTERVAL: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy)]
pub struct WatchFlags {
    pub port: u16,
    pub open: bool,
    pub push: bool,
    pub poll: bool,
    pub debounce: Duration,
}

/// Watches the site at `site` until Ctrl-C.
pub fn run(site: Option<&Path>, flags: WatchFlags, out: Output) -> Result<i32> {
    let root = Site::open(site)?.root;
    // Watch before the first build: a save during it is then a rebuild, not lost.
    let stop = Arc::new(AtomicBool::new(false));
    let (changes_tx, changes_rx) = mpsc::channel::<Vec<PathBuf>>();
    // The notify debouncer only merges an editor's write-and-rename sequences; the quiet
    // period that turns a burst of saves into one rebuild is the rebuild loop's.
    let watcher =
        crate::preview::watch::watch(&root, Duration::from_millis(50), flags.poll, changes_tx)
            .map_err(|e| Error::Usage(format!("cannot watch {}: {e}", root.display())))?;
    let images = Arc::new(PreparedImages::default());
    let first = build(&root, 1, None, &[], &images);
    report(&first, &[], out);
    let state = AppState::new(first);

    let runtime = runtime(2)?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(("127.0.0.1", flags.port)))
        .map_err(|e| Error::Usage(format!("cannot listen on 127.0.0.1:{}: {e}", flags.port)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Usage(e.to_string()))?;
    let url = format!("http://{addr}/");
    eprintln!(
        "wxsync watch: previewing {} at {url} (Ctrl-C to stop)",
        root.display()
    );
    if flags.open {
        open_browser(&url);
    }

    let (push_tx, push_rx) = mpsc::channel::<Vec<ArticlePath>>();

    let rebuilder = {
        let (state, root, stop) = (state.clone(), root.clone(), stop.clone());
        let push_tx = flags.push.then_some(push_tx);
        let quiet = flags.debounce;
        std::thread::spawn(move || {
            let rebuild = Rebuild {
                root: &root,
                state: &state,
                images: &images,
                quiet,
                out,
            };
            rebuild.run(&changes_rx, push_tx, &stop)
        })
    };
    let pusher = flags.push.then(|| {
        let (state, root, stop) = (state.clone(), root.clone(), stop.clone());
        std::thread::spawn(move || push_loop(&root, &state, &push_rx, &stop, out))
    });

    let app = router(state.clone());
    let events = state.events.clone();
    let served = runtime.block_on(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = tokio::signal::ctrl_c().await;
                // End the open event streams, or the graceful shutdown would wait for them.
                let _ = events.send(SHUTDOWN);
            })
            .await
    });
    stop.store(true, Ordering::SeqCst);
    drop(watcher);
    let _ = rebuilder.join();
    if let Some(p) = pusher {
        // A push in flight finishes and records its result: the lockfile is never left half-written.
        let _ = p.join();
    }
    runtime.shutdown_timeout(Duration::from_secs(1));
    served.map_err(|e| Error::Usage(format!("the preview server failed: {e}")))?;
    eprintln!("wxsync watch: stopped");
    Ok(0)
}

fn open_browser(url: &str) {
    let cmd = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    if std::process::Command::new(cmd).arg(url).spawn().is_err() {
        eprintln!("wxsync watch: could not start a browser; open {url}");
    }
}

/// Prints a build's result on the terminal: a line, and every error (the page shows the same).
fn report(snap: &Snapshot, changed: &[PathBuf], out: Output) {
    for d in snap.errors() {
        out.diag(d);
    }
    let errors = snap.errors().count();
    let what = if changed.is_empty() {
        "built".to_string()
    } else {
        format!(
            "rebuilt after {} change{}",
            changed.len(),
            plural(changed.len())
        )
    };
    out.info(&format!(
        "wxsync watch: {what} in {} ms: {} article{}, {errors} error{}",
        snap.build_time.as_millis(),
        snap.pages.len(),
        plural(snap.pages.len()),
        plural(errors)
    ));
}

/// What the rebuild loop works with.
struct Rebuild<'a> {
    root: &'a Path,
    state: &'a AppState,
    images: &'a PreparedImages,
    /// The quiet period that ends a burst of saves.
    quiet: Duration,
    out: Output,
}

impl Rebuild<'_> {
    fn run(
        &self,
        changes: &mpsc::Receiver<Vec<PathBuf>>,
        push: Option<mpsc::Sender<Vec<ArticlePath>>>,
        stop: &AtomicBool,
    ) {
        let (root, state, quiet, out) = (self.root, self.state, self.quiet, self.out);
        while !stop.load(Ordering::SeqCst) {
            let Ok(mut changed) = changes.recv_timeout(Duration::from_millis(200)) else {
                continue;
            };
            // Debounce: a burst of saves is one rebuild, once the files have been quiet a while.
            while let Ok(more) = changes.recv_timeout(quiet) {
                changed.extend(more);
            }
            changed.sort();
            changed.dedup();
            let prev = state.current();
            let snap = build(
                root,
                prev.generation + 1,
                Some(&prev),
                &changed,
                self.images,
            );
            report(&snap, &changed, out);
            // Articles whose payload changed (and that build cleanly) are candidates for a push.
            let to_push: Vec<ArticlePath> = snap
                .pages
                .iter()
                .filter(|(_, p)| !p.has_errors())
                .filter(|(path, p)| {
                    let new = p.rendered.as_ref().map(|r| payload_hash(&r.payload));
                    let old = prev
                        .pages
                        .get(*path)
                        .and_then(|o| o.rendered.as_ref())
                        .map(|r| payload_hash(&r.payload));
                    new.is_some() && new != old
                })
                .map(|(path, _)| path.clone())
                .collect();
            let site_ok = snap.site_errors.is_empty();
            state.publish(snap);
            if let Some(tx) = push.as_ref().filter(|_| site_ok && !to_push.is_empty()) {
                let _ = tx.send(to_push);
            }
        }
    }
}

/// Pushes changed articles, at most once per article every [`PUSH_INTERVAL`]; an article saved
/// again sooner is pushed when its interval ends.
fn push_loop(
    root: &Path,
    state: &AppState,
    rx: &mpsc::Receiver<Vec<ArticlePath>>,
    stop: &AtomicBool,
    out: Output,
) {
    let mut pending: BTreeSet<ArticlePath> = BTreeSet::new();
    let mut last: BTreeMap<ArticlePath, Instant> = BTreeMap::new();
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(paths) => pending.extend(paths),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                if pending.is_empty() {
                    return;
                }
            }
        }
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let now = Instant::now();
        let ready: Vec<ArticlePath> = pending
            .iter()
            .filter(|p| {
                last.get(*p)
                    .is_none_or(|t| now.duration_since(*t) >= PUSH_INTERVAL)
            })
            .cloned()
            .collect();
        if ready.is_empty() {
            continue;
        }
        for p in &ready {
            pending.remove(p);
            last.insert(p.clone(), now);
        }
        let files: Vec<PathBuf> = ready.iter().map(|p| root.join(p.as_str())).collect();
        let result = sync(Some(root), &files, Flags::default(), out);
        let statuses: BTreeMap<ArticlePath, PushStatus> = match result {
            Ok((_, Some(outcome))) => outcome
                .rows
                .iter()
                .map(|d| {
                    let status = match &d.error {
                        Some(e) => PushStatus::Failed(e.message.clone()),
                        None => PushStatus::Pushed(format!(
                            "{}: {}",
                            d.row.action.as_str(),
                            d.row.reason
                        )),
                    };
                    (d.row.path.clone(), status)
                })
                .collect(),
            Ok((code, None)) => ready
                .iter()
                .map(|p| {
                    (
                        p.clone(),
                        PushStatus::Failed(format!(
                            "sync stopped before pushing (exit {code}); see the terminal"
                        )),
                    )
                })
                .collect(),
            Err(e) => {
                eprintln!("wxsync watch: push failed: {e}");
                ready
                    .iter()
                    .map(|p| (p.clone(), PushStatus::Failed(e.to_string())))
                    .collect()
            }
        };
        let mut snap = (*state.current()).clone();
        for (p, s) in statuses {
            if let Some(page) = snap.pages.get_mut(&p) {
                page.push = Some(s);
            }
        }
        snap.generation += 1;
        state.publish(snap);
    }
}
