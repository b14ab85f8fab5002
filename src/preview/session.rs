//! A watch session (`wxsync watch`): rebuild on every save, serve a live preview on
//! 127.0.0.1 (or the `--host` address), and with `--push` keep the draft box current through
//! the same engine and lockfile as `wxsync sync`, from what was pending at start on. Three
//! threads: the server, the rebuild loop, the push loop.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::output::{Output, plural};
use crate::preview::build::{PushStatus, Snapshot, build};
use crate::preview::images::PreparedImages;
use crate::preview::server::{AppState, LocalAddr, SHUTDOWN, router};
use crate::project::runtime;
use crate::project::sync::{Flags, sync};
use crate::site::{ArticlePath, Site};
use crate::sync::plan::{Action, payload_hash};

/// At most one push per article in this interval.
pub const PUSH_INTERVAL: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy)]
pub struct WatchFlags {
    /// The address to listen on: 127.0.0.1 unless the preview is to be opened elsewhere.
    pub host: IpAddr,
    pub port: u16,
    pub open: bool,
    pub push: bool,
    pub poll: bool,
    pub debounce: Duration,
}

/// Watches the site at `site` until Ctrl-C.
pub fn run(site: Option<&Path>, flags: WatchFlags, out: Output) -> Result<i32> {
    let root = Site::open(site)?.root;
    // Listen first: a port in use is said at once, before a build.
    let runtime = runtime(2)?;
    let listener = runtime.block_on(listen(flags.host, flags.port))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Usage(e.to_string()))?;
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

    let interrupted = crate::interrupt::handler(&runtime);
    let urls = urls(addr);
    eprintln!(
        "wxsync watch: previewing {} at {} (Ctrl-C to stop)",
        root.display(),
        urls.join(" or ")
    );
    if !addr.ip().is_loopback() {
        eprintln!(
            "wxsync watch: the preview is open to the network at {addr}: anyone who can reach \
             this machine can read the articles"
        );
    }
    if let Some(url) = urls.first().filter(|_| flags.open) {
        open_browser(url);
    }

    let (push_tx, push_rx) = mpsc::channel::<Vec<ArticlePath>>();
    if flags.push && state.current().site_errors.is_empty() {
        // What was pending before watching began (what `status` would push) goes out once
        // now; the push skips what is unchanged.
        let clean: Vec<ArticlePath> = state
            .current()
            .pages
            .iter()
            .filter(|(_, p)| !p.has_errors())
            .map(|(path, _)| path.clone())
            .collect();
        if !clean.is_empty() {
            let _ = push_tx.send(clean);
        }
    }

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
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<LocalAddr>(),
        )
        .with_graceful_shutdown(async move {
            interrupted.await;
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

/// Listens on `host:port`; a port in use, or an address not of this machine, says what to do.
async fn listen(host: IpAddr, port: u16) -> Result<tokio::net::TcpListener> {
    let at = SocketAddr::new(host, port);
    tokio::net::TcpListener::bind(at).await.map_err(|e| {
        Error::Usage(match e.kind() {
            std::io::ErrorKind::AddrInUse => format!(
                "port {port} is in use (another `wxsync watch`?); pick another with --port N, \
                 or --port 0 for a free one"
            ),
            std::io::ErrorKind::AddrNotAvailable => format!(
                "cannot listen on {at}: {host} is not an address of this machine; give --host \
                 one of its addresses, or 0.0.0.0 for all of them"
            ),
            _ => format!("cannot listen on {at}: {e}"),
        })
    })
}

/// The URLs to open the preview at: loopback first (what this machine's browser uses), then,
/// when listening on every interface, the LAN address a phone would use.
fn urls(addr: SocketAddr) -> Vec<String> {
    let port = addr.port();
    let url = |ip: IpAddr| format!("http://{}/", SocketAddr::new(ip, port));
    if !addr.ip().is_unspecified() {
        return vec![url(addr.ip())];
    }
    let loopback = match addr.ip() {
        IpAddr::V4(_) => IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
    };
    let mut out = vec![url(loopback)];
    if let Some(lan) = lan_address(addr.ip()).filter(|ip| !ip.is_loopback()) {
        out.push(url(lan));
    }
    out
}

/// The address this machine reaches the network from: the source address the system picks
/// for a route out, found by connecting a UDP socket (which sends nothing) to a documentation
/// address. `None` without a network.
fn lan_address(family: IpAddr) -> Option<IpAddr> {
    let (bind, probe): (SocketAddr, SocketAddr) = match family {
        IpAddr::V4(_) => ("0.0.0.0:0".parse().ok()?, "192.0.2.1:9".parse().ok()?),
        IpAddr::V6(_) => ("[::]:0".parse().ok()?, "[2001:db8::1]:9".parse().ok()?),
    };
    let socket = std::net::UdpSocket::bind(bind).ok()?;
    socket.connect(probe).ok()?;
    socket.local_addr().ok().map(|a| a.ip())
}

/// Opens `url` in the desktop's browser, the opener's own output kept off the terminal; if
/// there is none, or it fails, one line says to open the URL by hand.
fn open_browser(url: &str) {
    let (cmd, args): (&str, &[&str]) = if cfg!(target_os = "macos") {
        ("open", &[])
    } else if cfg!(windows) {
        ("rundll32", &["url.dll,FileProtocolHandler"])
    } else {
        ("xdg-open", &[])
    };
    let url = url.to_string();
    // The opener may wait for the browser it starts: wait for it on a thread of its own.
    std::thread::spawn(move || {
        let opened = std::process::Command::new(cmd)
            .args(args)
            .arg(&url)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !opened {
            eprintln!("wxsync watch: could not open a browser; open {url} yourself");
        }
    });
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
            // A push may have finished while this built: keep the statuses it published.
            state.update(|cur| {
                let mut snap = snap;
                for (path, page) in snap.pages.iter_mut() {
                    if let Some(now) = cur.pages.get(path) {
                        page.push = now.push.clone();
                    }
                }
                snap.generation = snap.generation.max(cur.generation + 1);
                snap
            });
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
        let mut before = BTreeMap::new();
        for p in &ready {
            pending.remove(p);
            before.insert(p.clone(), last.insert(p.clone(), now));
        }
        let files: Vec<PathBuf> = ready.iter().map(|p| root.join(p.as_str())).collect();
        let result = sync(Some(root), &files, None, Flags::default(), out);
        // An article the push skipped (unchanged) was not pushed: its interval does not start.
        if let Ok((_, Some(outcome))) = &result {
            for d in &outcome.rows {
                if d.row.action == Action::Skip
                    && d.error.is_none()
                    && let Some(prev) = before.remove(&d.row.path)
                {
                    match prev {
                        Some(t) => last.insert(d.row.path.clone(), t),
                        None => last.remove(&d.row.path),
                    };
                }
            }
        }
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
        state.update(|cur| {
            let mut snap = cur.clone();
            for (p, s) in statuses {
                if let Some(page) = snap.pages.get_mut(&p) {
                    page.push = Some(s);
                }
            }
            snap.generation += 1;
            snap
        });
    }
}
