//! Issue 5: every picture a writer uses reaches WeChat, once. The real binary syncs sites
//! whose images are generated here (a 3 MB screenshot, WebP, an animated GIF, a 16-bit PNG, a
//! CMYK JPEG, a remote image served from a loopback HTTP server, a `data:` URI) against the
//! in-process emulator, which enforces WeChat's upload rules (uploadimg: jpg/png ≤ 1 MB with a
//! matching extension; add_material: png/jpeg/gif/bmp ≤ 10 MB) and drops from stored drafts
//! any image not on its own servers. The hostile cases must fail with the article, the image
//! and the reason, no panic, and nothing recorded for the article that failed.

#[path = "support/sync_site.rs"]
mod support;

#[path = "support/image_gen.rs"]
mod image_gen;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use image::ImageFormat;
use support::*;
use wxemu::LogEntry;

// ---------------------------------------------------------------------------------------
// A loopback image host
// ---------------------------------------------------------------------------------------

/// What the image host answers for a path.
#[derive(Clone)]
enum Reply {
    Ok(&'static str, Arc<Vec<u8>>),
    Status(u16),
    /// Accepts and never answers.
    Hang,
    /// Declares a body of this many bytes (and sends a little of it).
    Huge(u64),
}

/// A tiny HTTP/1.1 server on 127.0.0.1 standing in for a remote image host; counts requests.
struct Host {
    base: String,
    hits: Arc<Mutex<BTreeMap<String, usize>>>,
}

impl Host {
    fn start(routes: Vec<(&'static str, Reply)>) -> Host {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let routes: Arc<BTreeMap<String, Reply>> = Arc::new(
            routes
                .into_iter()
                .map(|(p, r)| (p.to_string(), r))
                .collect(),
        );
        let hits = Arc::new(Mutex::new(BTreeMap::new()));
        let h = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let routes = routes.clone();
                let hits = h.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                    let mut line = String::new();
                    if reader.read_line(&mut line).is_err() {
                        return;
                    }
                    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).is_err() || h == "\r\n" || h.is_empty() {
                            break;
                        }
                    }
                    *hits.lock().unwrap().entry(path.clone()).or_default() += 1;
                    let reply = routes.get(&path).cloned().unwrap_or(Reply::Status(404));
                    let _ = match reply {
                        Reply::Ok(ct, body) => stream
                            .write_all(
                                format!(
                                    "HTTP/1.1 200 OK\r\nContent-Type: {ct}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                                    body.len()
                                )
                                .as_bytes(),
                            )
                            .and_then(|_| stream.write_all(&body)),
                        Reply::Status(code) => stream.write_all(
                            format!(
                                "HTTP/1.1 {code} Nope\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            )
                            .as_bytes(),
                        ),
                        Reply::Hang => {
                            std::thread::sleep(Duration::from_secs(20));
                            Ok(())
                        }
                        Reply::Huge(n) => stream
                            .write_all(
                                format!(
                                    "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {n}\r\nConnection: close\r\n\r\n"
                                )
                                .as_bytes(),
                            )
                            .and_then(|_| stream.write_all(b"\x89PNG\r\n\x1a\n")),
                    };
                });
            }
        });
        Host { base, hits }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// The example site with its articles removed and `extra` appended to `wxsync.yaml`.
fn empty_site(extra: &str) -> SyncSite {
    let site = SyncSite::new();
    std::fs::remove_dir_all(site.file("articles")).expect("rm articles");
    let appid = site.emu.appid();
    site.write(
        "wxsync.yaml",
        &format!(
            "appid: {appid}\narticles: [\"articles/**/*.md\"]\ndefaults:\n  author: 编辑部\n{extra}"
        ),
    );
    site
}

fn write_bytes(site: &SyncSite, rel: &str, bytes: &[u8]) {
    let p = site.file(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

fn article(title: &str, cover: Option<&str>, body: &str) -> String {
    match cover {
        Some(c) => format!("---\ntitle: {title}\ncover: {c}\n---\n\n{body}\n"),
        None => format!("---\ntitle: {title}\n---\n\n{body}\n"),
    }
}

fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The `media` part of an upload call.
fn media(call: &LogEntry) -> &wxemu::PartInfo {
    call.parts
        .iter()
        .find(|p| p.name == "media")
        .unwrap_or_else(|| panic!("{} without a media part", call.name()))
}

fn uploads(run: &Run) -> Vec<&LogEntry> {
    run.calls
        .iter()
        .filter(|c| matches!(c.name(), "media/uploadimg" | "material/add_material"))
        .collect()
}

/// Every stored draft's content and thumb: no placeholder, no foreign host, nothing dropped.
#[track_caller]
fn assert_all_on_wechat(site: &SyncSite) {
    for d in site.emu.drafts() {
        for a in &d.articles {
            let content = a["content"].as_str().unwrap_or_default();
            assert!(!content.contains("wxsync-asset:"), "{content}");
            assert!(!content.contains("127.0.0.1"), "{content}");
            assert!(!content.contains("data:"), "{content}");
        }
    }
    assert!(
        site.emu.warnings().is_empty(),
        "the emulator dropped images: {:?}",
        site.emu.warnings()
    );
}

// ---------------------------------------------------------------------------------------
// Every kind of image arrives, each distinct image once
// ---------------------------------------------------------------------------------------

#[test]
fn every_kind_of_image_arrives_once_across_articles_and_runs() {
    let screenshot = image_gen::screenshot();
    assert!(screenshot.len() > 2_500_000, "{}", screenshot.len());
    let remote_webp = image_gen::webp_opaque(300, 200);
    let host = Host::start(vec![(
        "/photos/remote.webp",
        Reply::Ok("image/webp", Arc::new(remote_webp)),
    )]);
    let remote = host.url("/photos/remote.webp");
    let site = empty_site("");
    write_bytes(&site, "images/screenshot.png", &screenshot);
    write_bytes(&site, "images/photo.webp", &image_gen::webp(320, 240));
    write_bytes(&site, "images/anim.gif", &image_gen::gif(64, 48, 3));
    write_bytes(&site, "images/still.gif", &image_gen::gif(64, 48, 1));
    let deep = image_gen::deep_png(700, 700);
    assert!(
        deep.len() > 1_000_000,
        "the 16-bit PNG is {} bytes",
        deep.len()
    );
    write_bytes(&site, "images/deep.png", &deep);
    write_bytes(
        &site,
        "images/cmyk.jpg",
        &std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/images/cmyk.jpg"),
        )
        .unwrap(),
    );
    write_bytes(
        &site,
        "images/cover.webp",
        &image_gen::webp_opaque(470, 200),
    );
    let small_png = image_gen::encode(&image_gen::noise_rgb(16, 16, 3), ImageFormat::Png);
    let data_uri = format!("data:image/png;base64,{}", base64(&small_png));

    let body_a = format!(
        "Screenshot:\n\n![s](../images/screenshot.png)\n\nWebP: ![w](../images/photo.webp)\n\n\
         Animated: ![a](../images/anim.gif) and still ![g](../images/still.gif)\n\n\
         Deep: ![d](../images/deep.png) CMYK: ![c](../images/cmyk.jpg)\n\n\
         Remote: ![r]({remote})\n\nInline: ![i]({data_uri})\n\n\
         Raw HTML: <img src=\"{remote}\" alt=\"again\">\n"
    );
    // The second article reuses three of them (file, remote, data:) and adds nothing new.
    let body_b = format!(
        "Same screenshot: ![s](../images/screenshot.png)\n\n![r]({remote})\n\n<img src=\"{data_uri}\">\n"
    );
    site.write(
        "articles/a.md",
        &article("Images A", Some("../images/cover.webp"), &body_a),
    );
    site.write(
        "articles/b.md",
        &article("Images B", Some("../images/cover.webp"), &body_b),
    );

    let run = site.sync(&[]);
    run.assert_code(0);
    assert_eq!(run.count("draft/add"), 2, "{:?}", run.call_names());
    let ups = uploads(&run);
    assert!(
        ups.iter().all(|c| c.errcode == Some(0)),
        "every upload is accepted: {:?}",
        run.call_names()
    );
    // Body images: screenshot, webp, still gif, deep, cmyk, remote, data → uploadimg; the
    // animated GIF and the cover → add_material. Each once, whoever uses it.
    let uploadimg = run.calls_to("media/uploadimg");
    let material = run.calls_to("material/add_material");
    assert_eq!(uploadimg.len(), 7, "{:?}", run.call_names());
    assert_eq!(material.len(), 2, "{:?}", run.call_names());
    for c in &uploadimg {
        let m = media(c);
        assert!(m.size <= 1_000_000, "uploadimg of {} bytes", m.size);
        let name = m.filename.as_deref().unwrap_or_default();
        assert!(name.ends_with(".png") || name.ends_with(".jpg"), "{name}");
    }
    let names: Vec<String> = material
        .iter()
        .map(|c| media(c).filename.clone().unwrap_or_default())
        .collect();
    assert!(
        names.iter().any(|n| n.ends_with(".gif")),
        "the animated GIF goes to add_material as a GIF: {names:?}"
    );
    let gif_size = std::fs::metadata(site.file("images/anim.gif"))
        .unwrap()
        .len() as usize;
    assert!(
        material.iter().any(|c| media(c).size == gif_size),
        "the animation is uploaded as it is, not flattened"
    );
    assert_eq!(host.hits("/photos/remote.webp"), 1, "fetched once");
    assert_all_on_wechat(&site);
    // The stored article holds one image per use, all on WeChat.
    let a = site
        .emu
        .drafts()
        .into_iter()
        .flat_map(|d| d.articles)
        .find(|a| a["title"] == "Images A")
        .expect("article A stored");
    assert_eq!(
        a["content"].as_str().unwrap().matches("<img").count(),
        9,
        "{}",
        a["content"]
    );

    // The lockfile maps the remote URL to the hash of its bytes; the payload keeps the URL.
    let lock = site.lock();
    let remote_map = lock
        .0
        .get("remote")
        .and_then(|m| m.as_mapping())
        .expect("remote map");
    assert_eq!(remote_map.len(), 1);
    assert!(remote_map.contains_key(remote.as_str()));
    let render = site.run(&["render", "--json"]);
    render.assert_code(0);
    assert!(
        render.stdout.contains(&remote),
        "the payload keeps the remote URL"
    );
    assert!(
        !render.stdout.contains("data:image"),
        "a data: URI becomes a placeholder"
    );
    // The preview shows what WeChat gets: each image prepared, next to the HTML; the JSON
    // stays the exact payload.
    let html = site.read(".wxsync/out/articles/a.preview.html");
    assert!(!html.contains("wxsync-asset:"), "{html}");
    let json = site.read(".wxsync/out/articles/a.json");
    assert!(json.contains("wxsync-asset:sha256:"), "{json}");
    let shot = file_hash(&site.file("images/screenshot.png"));
    let shot = shot.trim_start_matches("sha256:");
    let shown: Vec<&str> = html
        .split("src=\"../_images/")
        .skip(1)
        .map(|r| r.split('"').next().unwrap())
        .collect();
    assert_eq!(shown.len(), 7, "{html}");
    for name in &shown {
        let bytes = std::fs::read(site.file(&format!(".wxsync/out/_images/{name}"))).unwrap();
        if name.starts_with(shot) {
            assert!(name.ends_with(".jpg"), "{name}");
            assert!(bytes.len() <= 1_000_000);
        }
        assert!(
            !name.ends_with(".webp"),
            "WebP is converted in the preview too: {name}"
        );
    }

    // Prepared images are cached by source hash.
    let cached = std::fs::read_dir(site.file(".wxsync/images"))
        .expect("image cache")
        .count();
    assert!(cached >= 5, "{cached} prepared images cached");

    // An edit of both articles: updates, and not one upload or fetch.
    site.touch_article("articles/a.md", "Edited.");
    site.touch_article("articles/b.md", "Edited.");
    let again = site.sync(&[]);
    again.assert_code(0);
    assert_eq!(again.count("draft/update"), 2, "{:?}", again.call_names());
    assert!(uploads(&again).is_empty(), "{:?}", again.call_names());
    assert_eq!(host.hits("/photos/remote.webp"), 1, "not fetched again");
    assert_all_on_wechat(&site);

    // A fresh machine (no .wxsync/): the lockfile still knows every image.
    std::fs::remove_dir_all(site.file(".wxsync")).unwrap();
    site.touch_article("articles/a.md", "Edited again.");
    let fresh = site.sync(&[]);
    fresh.assert_code(0);
    assert!(uploads(&fresh).is_empty(), "{:?}", fresh.call_names());
    assert_eq!(host.hits("/photos/remote.webp"), 1);
}

#[test]
fn a_remote_first_image_becomes_the_cover_and_mmbiz_images_stay() {
    let host = Host::start(vec![(
        "/c.png",
        Reply::Ok(
            "image/png",
            Arc::new(image_gen::encode(
                &image_gen::noise_rgb(235, 100, 9),
                ImageFormat::Png,
            )),
        ),
    )]);
    let site = empty_site("");
    let wx = "https://mmbiz.qpic.cn/mmbiz_png/abc/0?wx_fmt=png";
    site.write(
        "articles/r.md",
        &article(
            "Remote cover",
            None,
            &format!("![c]({})\n\n![w]({wx})\n", host.url("/c.png")),
        ),
    );
    let run = site.sync(&[]);
    run.assert_code(0);
    // One fetch serves the body (uploadimg) and the cover (add_material).
    assert_eq!(host.hits("/c.png"), 1);
    assert_eq!(run.count("media/uploadimg"), 0, "{:?}", run.call_names());
    assert_eq!(
        run.count("material/add_material"),
        1,
        "{:?}",
        run.call_names()
    );
    let add = run.calls_to("draft/add");
    let body: serde_json::Value = serde_json::from_str(&add[0].body).unwrap();
    let thumb = body["articles"][0]["thumb_media_id"].as_str().unwrap();
    assert!(
        !thumb.starts_with("http"),
        "thumb_media_id is a media id: {thumb}"
    );
    let content = body["articles"][0]["content"].as_str().unwrap();
    assert!(
        content.contains(wx.replace('&', "&amp;").as_str()),
        "{content}"
    );
    assert!(!content.contains("127.0.0.1"), "{content}");
}

#[test]
fn images_remote_keep_and_error() {
    let host = Host::start(vec![(
        "/k.png",
        Reply::Ok(
            "image/png",
            Arc::new(image_gen::encode(
                &image_gen::noise_rgb(20, 20, 1),
                ImageFormat::Png,
            )),
        ),
    )]);
    let url = host.url("/k.png");
    let site = empty_site("images:\n  remote: keep\n");
    site.write(
        "articles/k.md",
        &article(
            "Keep",
            Some("../images/workflow.jpg"),
            &format!("![k]({url})\n"),
        ),
    );
    let check = site.run(&["check"]);
    check.assert_code(0);
    assert!(
        check.stderr.contains(&url) && check.stderr.contains("drops"),
        "{}",
        check.stderr
    );
    let run = site.sync(&[]);
    run.assert_code(0);
    assert_eq!(host.hits("/k.png"), 0, "keep never fetches");
    assert_eq!(run.count("media/uploadimg"), 0);
    assert!(
        site.emu.warnings().iter().any(|w| w.contains(&url)),
        "WeChat drops it, as the warning said"
    );

    site.write(
        "wxsync.yaml",
        &site.read("wxsync.yaml").replace("keep", "error"),
    );
    let refused = site.run(&["check"]);
    refused.assert_code(2);
    assert!(
        refused.stderr.contains("articles/k.md") && refused.stderr.contains(&url),
        "{}",
        refused.stderr
    );
}

// ---------------------------------------------------------------------------------------
// Hostile images
// ---------------------------------------------------------------------------------------

/// A PNG whose (valid) header claims 60000 × 60000 pixels.
fn bomb_png() -> Vec<u8> {
    let mut b = image_gen::encode(&image_gen::noise_rgb(1, 1, 1), ImageFormat::Png);
    b[16..20].copy_from_slice(&60000u32.to_be_bytes());
    b[20..24].copy_from_slice(&60000u32.to_be_bytes());
    let crc = crc32(&b[12..29]);
    b[29..33].copy_from_slice(&crc.to_be_bytes());
    b
}

fn crc32(b: &[u8]) -> u32 {
    let mut c = !0u32;
    for &x in b {
        c ^= u32::from(x);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

#[test]
fn local_images_that_cannot_be_used_are_refused_before_anything_is_sent() {
    let site = empty_site("");
    write_bytes(&site, "images/notes.png", b"these are not pixels");
    write_bytes(&site, "images/bomb.png", &bomb_png());
    // 50 MB, sparse: a PNG signature and zeros.
    let huge = site.file("images/huge.png");
    {
        let mut f = std::fs::File::create(&huge).unwrap();
        f.write_all(b"\x89PNG\r\n\x1a\n").unwrap();
        f.set_len(50_000_000).unwrap();
    }
    std::fs::create_dir_all(site.file("images/dir.png")).unwrap();
    let cases = [
        ("missing", "../images/nope.png", "no such file"),
        ("outside", "../../outside.png", "outside the site root"),
        ("notimage", "../images/notes.png", "not an image"),
        ("huge", "../images/huge.png", "50.0 MB"),
        ("bomb", "../images/bomb.png", "decompression bomb"),
        ("dir", "../images/dir.png", "not a file"),
    ];
    for (name, src, _) in &cases {
        site.write(
            &format!("articles/{name}.md"),
            &article(
                name,
                Some("../images/workflow.jpg"),
                &format!("![x]({src})"),
            ),
        );
    }
    let bomb_uri = format!("data:image/png;base64,{}", base64(&bomb_png()));
    site.write(
        "articles/databomb.md",
        &article(
            "db",
            Some("../images/workflow.jpg"),
            &format!("![x]({bomb_uri})"),
        ),
    );
    let before = site.lock_bytes();
    let run = site.run(&["sync"]);
    run.assert_code(2);
    run.assert_no_calls();
    for (name, src, reason) in cases {
        let at = format!("articles/{name}.md");
        let line = run
            .stderr
            .lines()
            .position(|l| l.contains(src))
            .unwrap_or_else(|| panic!("{src} not named:\n{}", run.stderr));
        // The message names the image and the reason; the snippet below names the article.
        let block: String = run
            .stderr
            .lines()
            .skip(line)
            .take(4)
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            block.contains(reason),
            "{name}: `{reason}` missing in:\n{block}"
        );
        assert!(
            block.contains(&at),
            "{name}: the article is not named:\n{block}"
        );
    }
    assert!(
        run.stderr.contains("articles/databomb.md"),
        "{}",
        run.stderr
    );
    assert_eq!(site.lock_bytes(), before, "the lockfile is untouched");
}

#[test]
fn remote_failures_fail_their_article_alone() {
    let html = Arc::new(b"<html>not found, but 200</html>".to_vec());
    let host = Host::start(vec![
        ("/gone.png", Reply::Status(404)),
        ("/slow.png", Reply::Hang),
        ("/page.png", Reply::Ok("text/html", html)),
        ("/huge.png", Reply::Huge(50_000_000)),
        (
            "/broken.png",
            Reply::Ok("image/png", Arc::new(b"\x89PNG\r\n\x1a\nbroken".to_vec())),
        ),
    ]);
    let site = empty_site("images:\n  timeout: 2\n");
    let cases = [
        ("gone", "/gone.png", "404"),
        ("slow", "/slow.png", "timed out"),
        ("page", "/page.png", "text/html"),
        ("huge", "/huge.png", "50.0 MB"),
        ("broken", "/broken.png", "cannot be read"),
    ];
    for (name, path, _) in &cases {
        site.write(
            &format!("articles/{name}.md"),
            &article(
                name,
                Some("../images/workflow.jpg"),
                &format!("![x]({})", host.url(path)),
            ),
        );
    }
    site.write(
        "articles/fine.md",
        &article(
            "fine",
            Some("../images/workflow.jpg"),
            "No remote image here.",
        ),
    );
    let run = site.sync(&[]);
    run.assert_code(1);
    assert_eq!(run.action("articles/fine.md"), "create", "{}", run.stdout);
    assert!(
        run.elapsed < Duration::from_secs(30),
        "took {:?}",
        run.elapsed
    );
    let lock = site.lock();
    for (name, path, reason) in cases {
        let at = format!("articles/{name}.md");
        let a = run.article(&at);
        assert_eq!(a["action"], "error", "{at}: {a}");
        let msg = a["error"]["message"].as_str().unwrap_or_default();
        assert!(msg.contains(&host.url(path)), "{at}: {msg}");
        assert!(msg.contains(reason), "{at}: `{reason}` missing in: {msg}");
        assert!(lock.entry(&at).is_none(), "{at} was recorded");
    }
    assert_eq!(site.drafts_titled("fine").len(), 1);
    assert!(
        lock.0.get("remote").is_none(),
        "no remote image was recorded"
    );
}
