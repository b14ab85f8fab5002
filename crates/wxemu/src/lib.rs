//! wxemu: a local emulator of the WeChat Official Account API — both token endpoints, image
//! uploads, permanent material, the draft box, publishing and per-API quotas — with the real paths, shapes, limits and
//! error codes, plus what tests need: a request log, fault injection and a virtual clock.
//!
//! ```no_run
//! let emu = wxemu::Emulator::start().expect("start the emulator");
//! emu.inject(wxemu::Fault::errcode("draft/update", -1).times(2));
//! emu.advance_clock(7200); // every token issued so far has now expired
//! println!("{}", emu.base_url());
//! ```
//!
//! The same controls are served over HTTP under `/__emu/` (`log`, `faults`, `clock`,
//! `drafts`, `drafts/edit`, `publish`, `media`, `config`, `reset`) for tests that drive the
//! `wxsync` binary, and the draft box as a page at `/`.

mod html;
mod page;
mod publish;
mod server;
mod state;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

pub use publish::PublishedArticle;
pub use state::{
    Commerce, Config, ContentCount, DropMode, Fault, LogEntry, PartInfo, StoredDraft,
    StoredMaterial, normalize_path,
};

use server::{Shared, lock};

/// A running emulator. It serves on its own thread until the handle is dropped, so it works
/// from plain `#[test]`s and from async tests alike.
pub struct Emulator {
    shared: Shared,
    addr: SocketAddr,
    base_url: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Emulator {
    /// Starts on a free port of 127.0.0.1 with the default account.
    pub fn start() -> std::io::Result<Emulator> {
        Emulator::start_with(Config::default())
    }

    /// Starts on a free port of 127.0.0.1.
    pub fn start_with(config: Config) -> std::io::Result<Emulator> {
        Emulator::bind("127.0.0.1:0", config)
    }

    /// Starts on `addr` (e.g. `127.0.0.1:8090`).
    pub fn bind(addr: &str, config: Config) -> std::io::Result<Emulator> {
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared: Shared = Arc::new(Mutex::new(state::State::new(config)));
        let app = server::router(shared.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name(format!("wxemu-{}", addr.port()))
            .spawn(move || {
                rt.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    let service = app.into_make_service_with_connect_info::<SocketAddr>();
                    let _ = axum::serve(listener, service)
                        .with_graceful_shutdown(async {
                            let _ = rx.await;
                        })
                        .await;
                });
            })?;
        Ok(Emulator {
            shared,
            addr,
            base_url: format!("http://{addr}"),
            shutdown: Some(tx),
        })
    }

    /// `http://127.0.0.1:PORT`: what `WXSYNC_API_BASE` should be.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn appid(&self) -> String {
        self.config().appid
    }

    pub fn secret(&self) -> String {
        self.config().secret
    }

    pub fn config(&self) -> Config {
        lock(&self.shared).config.clone()
    }

    /// Changes knobs at run time.
    pub fn configure(&self, f: impl FnOnce(&mut Config)) {
        f(&mut lock(&self.shared).config);
    }

    /// Every request received so far, oldest first.
    pub fn log(&self) -> Vec<LogEntry> {
        lock(&self.shared).log.clone()
    }

    /// The requests to one path (`draft/add` or `/cgi-bin/draft/add`).
    pub fn calls(&self, path: &str) -> Vec<LogEntry> {
        let path = normalize_path(path);
        lock(&self.shared)
            .log
            .iter()
            .filter(|e| e.path == path)
            .cloned()
            .collect()
    }

    pub fn clear_log(&self) {
        lock(&self.shared).log.clear();
    }

    /// Queues a fault; faults for the same path apply in the order queued.
    pub fn inject(&self, fault: Fault) {
        let mut fault = fault;
        fault.path = normalize_path(&fault.path);
        lock(&self.shared).faults.push(fault);
    }

    /// Faults not used up yet.
    pub fn pending_faults(&self) -> Vec<Fault> {
        lock(&self.shared).faults.clone()
    }

    pub fn clear_faults(&self) {
        lock(&self.shared).faults.clear();
    }

    /// Moves the virtual clock (token expiry, timestamps) forward by `secs`.
    pub fn advance_clock(&self, secs: i64) {
        lock(&self.shared).advance(secs);
    }

    /// The virtual time, Unix seconds.
    pub fn now(&self) -> i64 {
        lock(&self.shared).now()
    }

    /// Drafts as stored (content rewritten as WeChat does).
    pub fn drafts(&self) -> Vec<StoredDraft> {
        lock(&self.shared).drafts.values().cloned().collect()
    }

    pub fn draft(&self, media_id: &str) -> Option<StoredDraft> {
        lock(&self.shared).drafts.get(media_id).cloned()
    }

    pub fn materials(&self) -> Vec<StoredMaterial> {
        lock(&self.shared).materials.values().cloned().collect()
    }

    /// Puts in the account a draft made before the emulator started, with `articles`
    /// placeholder articles, last saved at `update_time` (default: now): a rehearsal starts
    /// from what a lockfile says the real account holds, so that its updates land where the
    /// real ones would and a draft nobody edited does not look edited.
    pub fn seed_draft(&self, media_id: &str, articles: usize, update_time: Option<i64>) {
        let mut st = lock(&self.shared);
        let now = update_time.unwrap_or_else(|| st.now());
        let seq = st.next_seq();
        let placeholder = |i: usize| {
            serde_json::json!({
                "title": format!("(made before this rehearsal, #{i})"),
                "author": "",
                "digest": "",
                "content": "",
            })
        };
        st.drafts.insert(
            media_id.to_string(),
            StoredDraft {
                media_id: media_id.to_string(),
                articles: (0..articles.max(1)).map(placeholder).collect(),
                create_time: now,
                update_time: now,
                update_seq: seq,
            },
        );
    }

    /// Puts in the account an image uploaded before the emulator started: permanent material
    /// when `media_id` is given, and an image URL articles may use when `url` is.
    pub fn seed_image(&self, media_id: Option<&str>, url: Option<&str>) {
        let mut st = lock(&self.shared);
        if let Some(url) = url {
            st.trusted_urls.insert(url.to_string());
        }
        if let Some(id) = media_id {
            let now = st.now();
            let seq = st.next_seq();
            st.materials.insert(
                id.to_string(),
                StoredMaterial {
                    media_id: id.to_string(),
                    kind: "image".into(),
                    name: format!("{id}.jpg"),
                    size: 0,
                    url: url.unwrap_or_default().to_string(),
                    update_time: now,
                    update_seq: seq,
                },
            );
        }
    }

    /// The draft box as a page, newest first (also served at `/`).
    pub fn draft_box_page(&self) -> String {
        page::draft_box(&self.drafts())
    }

    /// Edits article `index` of a draft as WeChat's web editor would: its HTML replaced by
    /// `content` (rewritten as the editor saves it) and the draft's `update_time` set to now.
    /// False when there is no such draft or article.
    pub fn edit_draft(&self, media_id: &str, index: usize, content: &str) -> bool {
        lock(&self.shared).edit_draft(media_id, index, content)
    }

    /// Publishes a draft as a person does in the web UI: it leaves the draft box and is
    /// listed by `freepublish/batchget`. Returns the article id.
    pub fn publish_draft(&self, media_id: &str) -> Option<String> {
        lock(&self.shared).publish_draft(media_id)
    }

    /// Published articles, newest last.
    pub fn published(&self) -> Vec<PublishedArticle> {
        let mut v: Vec<_> = lock(&self.shared).published.values().cloned().collect();
        v.sort_by_key(|p| p.update_time);
        v
    }

    /// Today's calls to an API (`draft/add`), as `openapi/quota/get` counts them.
    pub fn used_today(&self, name: &str) -> u64 {
        lock(&self.shared).used_today(name.trim_start_matches("/cgi-bin/"))
    }

    /// What the content rewriting dropped (images not hosted by WeChat).
    pub fn warnings(&self) -> Vec<String> {
        lock(&self.shared).warnings.clone()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
