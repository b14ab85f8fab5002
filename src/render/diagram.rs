//! Diagrams: a ```` ```mermaid ```` block drawn as a PNG (white background, twice the pixels
//! of the width it is shown at, for WeChat's ~677 px column), by the built-in renderer
//! (`mermaid-rs-renderer`, rasterised by `resvg`) or by the `diagrams.command` of
//! `wxsync.yaml`. The PNG joins the article's images as an inline asset whose hash is that of
//! the diagram's source and the renderer, so the payload changes only when they do.
//!
//! Each PNG is kept in `.wxsync/diagrams/<hash>.png`: drawing a diagram a second time, in this
//! run or a later one, reads that file. Text is drawn with the machine's fonts; the characters
//! no installed font has are reported (they would show as nothing).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use resvg::usvg::fontdb::Database;
use resvg::{tiny_skia, usvg};

use crate::fs::{Durability, write_atomic};
use crate::hash::ContentHash;
use crate::site::config::DiagramsConfig;

/// Names the built-in renderer in the asset's hash: a new version may draw differently, and
/// so is a new image. (Bumped by hand with the dependency.)
pub const BUILTIN: &str = "mermaid-rs-renderer 0.3.1, resvg 0.47, 2x, white, v1";

/// Pixels per CSS pixel of the PNG.
const DENSITY: f32 = 2.0;

/// The widest a diagram is shown: WeChat's article column, in CSS pixels.
pub const COLUMN_PX: f32 = 677.0;

/// The most pixels one PNG may have (a 1354 × 8000 image): a larger drawing is scaled down.
const PIXELS_MAX: f32 = 1354.0 * 8000.0;

/// The longest source drawn, in bytes: some 500 nodes, past any diagram a reader can take in
/// (the built-in layout of 400 nodes takes seconds).
pub const SOURCE_MAX: usize = 16 * 1024;

/// The most bytes a command may print.
const OUTPUT_MAX: usize = 32 * 1024 * 1024;

/// A diagram drawn.
#[derive(Debug, Clone)]
pub struct Diagram {
    /// Of the source and the renderer (not of the PNG, which fonts may change).
    pub hash: ContentHash,
    pub png: Arc<[u8]>,
    /// The size to show it at, in CSS pixels.
    pub width: u32,
    pub height: u32,
    /// Characters of the source that no installed font has.
    pub missing_glyphs: String,
}

/// Why a diagram was not drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiagramError {
    /// The renderer does not take this source (its syntax, a diagram type it lacks).
    #[error("{0}")]
    Source(String),
    /// `diagrams.command` names a program that is not there.
    #[error("`diagrams.command` runs `{0}`, which is not installed or not on the PATH")]
    Missing(String),
    /// `diagrams.command` ran and failed, took too long, or printed no image.
    #[error("`diagrams.command` {0}")]
    Command(String),
}

impl DiagramError {
    /// The site's configuration is at fault, not the diagram: an error, not a warning.
    pub fn is_config(&self) -> bool {
        matches!(self, DiagramError::Missing(_))
    }
}

/// How a site draws its diagrams.
#[derive(Debug)]
pub struct Diagrams {
    /// The site root, whose `.wxsync/diagrams/` keeps the PNGs; none keeps them in memory.
    root: Option<PathBuf>,
    command: Option<Vec<String>>,
    timeout: Duration,
    /// Drawn in this process, by hash (the disk cache may be unwritable).
    seen: Mutex<HashMap<ContentHash, Result<Diagram, DiagramError>>>,
}

impl Diagrams {
    pub fn new(root: &Path, config: &DiagramsConfig) -> Diagrams {
        Diagrams {
            root: Some(root.to_path_buf()),
            command: config.command.as_ref().map(|c| c.argv()),
            timeout: Duration::from_secs(config.timeout),
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// The built-in renderer, its drawings kept in memory only (tests, benchmarks).
    pub fn in_memory() -> Diagrams {
        Diagrams {
            root: None,
            command: None,
            timeout: Duration::from_secs(DiagramsConfig::default().timeout),
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// The hash a diagram's image is known by.
    pub fn key(&self, source: &str) -> ContentHash {
        let renderer = match &self.command {
            Some(argv) => format!("command {}", argv.join("\u{1f}")),
            None => BUILTIN.to_string(),
        };
        ContentHash::of(format!("wxsync diagram\n{renderer}\n{source}").as_bytes())
    }

    fn cache_file(&self, hash: &ContentHash, ext: &str) -> Option<PathBuf> {
        Some(
            self.root
                .as_ref()?
                .join(crate::site::CACHE_DIR)
                .join("diagrams")
                .join(format!("{}.{ext}", hash.hex())),
        )
    }

    /// `source` (a mermaid diagram) drawn as a PNG: from the cache when it was drawn before.
    pub fn render(&self, source: &str) -> Result<Diagram, DiagramError> {
        let hash = self.key(source);
        if let Some(hit) = self
            .seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&hash)
        {
            return hit.clone();
        }
        let result = self.render_uncached(source, hash.clone());
        self.seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(hash, result.clone());
        result
    }

    fn render_uncached(&self, source: &str, hash: ContentHash) -> Result<Diagram, DiagramError> {
        let png_file = self.cache_file(&hash, "png");
        let missing_file = self.cache_file(&hash, "missing");
        if let Some(bytes) = png_file.as_ref().and_then(|f| std::fs::read(f).ok())
            && let Ok(info) = crate::media::probe(&bytes)
            && info.format == crate::media::Format::Png
        {
            let missing = missing_file
                .and_then(|f| std::fs::read_to_string(f).ok())
                .unwrap_or_default();
            return Ok(Diagram {
                hash,
                width: css(info.width),
                height: css(info.height),
                png: Arc::from(bytes),
                missing_glyphs: missing,
            });
        }
        if source.len() > SOURCE_MAX {
            return Err(DiagramError::Source(format!(
                "the diagram is {} bytes; at most {SOURCE_MAX} are drawn",
                source.len()
            )));
        }
        let (png, width, height) = match &self.command {
            Some(argv) => external(argv, self.timeout, source)?,
            None => builtin_within(source, self.timeout)?,
        };
        let missing = missing_glyphs(source);
        // Failing to keep it only costs drawing it again.
        if let (Some(png_file), Some(missing_file)) = (png_file, missing_file) {
            let _ = write_atomic(&png_file, &png, Durability::Atomic);
            if missing.is_empty() {
                let _ = std::fs::remove_file(missing_file);
            } else {
                let _ = write_atomic(&missing_file, missing.as_bytes(), Durability::Atomic);
            }
        }
        Ok(Diagram {
            hash,
            png: Arc::from(png),
            width,
            height,
            missing_glyphs: missing,
        })
    }
}

/// CSS pixels of an image `px` pixels wide.
fn css(px: u32) -> u32 {
    ((px as f32) / DENSITY).round().max(1.0) as u32
}

/// The machine's fonts, loaded once per process.
fn fonts() -> Arc<Database> {
    static DB: OnceLock<Arc<Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = Database::new();
        db.load_system_fonts();
        // The generic families name fonts a Linux machine may lack; the first one present.
        for family in ["Liberation Sans", "DejaVu Sans", "Noto Sans", "Arial"] {
            let present = db
                .faces()
                .any(|f| f.families.iter().any(|(n, _)| n == family));
            if present {
                db.set_sans_serif_family(family);
                break;
            }
        }
        Arc::new(db)
    })
    .clone()
}

/// The characters of `source`'s text (not its `%%` comments) that no installed font has, each
/// once, in order.
pub fn missing_glyphs(source: &str) -> String {
    static KNOWN: OnceLock<Mutex<HashMap<char, bool>>> = OnceLock::new();
    let known = KNOWN.get_or_init(Mutex::default);
    // With no font at all even ASCII text is drawn as nothing.
    let any_font = fonts().faces().next().is_some();
    let mut wanted: Vec<char> = Vec::new();
    for line in source.lines().filter(|l| !l.trim_start().starts_with("%%")) {
        for c in line.chars() {
            let text = !c.is_ascii() || (!any_font && c.is_ascii_alphanumeric());
            if text && !c.is_whitespace() && !wanted.contains(&c) {
                wanted.push(c);
            }
        }
    }
    let mut k = known.lock().unwrap_or_else(|p| p.into_inner());
    let unknown: Vec<char> = wanted
        .iter()
        .copied()
        .filter(|c| !k.contains_key(c))
        .collect();
    if !unknown.is_empty() {
        let db = fonts();
        let mut covered = vec![false; unknown.len()];
        for face in db.faces() {
            db.with_face_data(face.id, |data, index| {
                if let Ok(f) = ttf_parser::Face::parse(data, index) {
                    for (c, seen) in unknown.iter().zip(covered.iter_mut()) {
                        *seen |= f.glyph_index(*c).is_some();
                    }
                }
            });
            if covered.iter().all(|c| *c) {
                break;
            }
        }
        for (c, seen) in unknown.into_iter().zip(covered) {
            k.insert(c, seen);
        }
    }
    wanted
        .into_iter()
        .filter(|c| k.get(c) == Some(&false))
        .collect()
}

/// Drawn by the built-in renderer, given up after `timeout` (its layout cannot be
/// interrupted: the thread finishes on its own, its drawing unused).
fn builtin_within(source: &str, timeout: Duration) -> Result<(Vec<u8>, u32, u32), DiagramError> {
    let (tx, rx) = std::sync::mpsc::channel();
    let src = source.to_string();
    std::thread::Builder::new()
        .name("wxsync-diagram".into())
        .spawn(move || {
            let _ = tx.send(builtin(&src));
        })
        .map_err(|e| DiagramError::Source(format!("no thread to draw it: {e}")))?;
    match rx.recv_timeout(timeout) {
        Ok(r) => r,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(DiagramError::Source(format!(
            "drawing it took more than {} s (`diagrams.timeout`)",
            timeout.as_secs()
        ))),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(DiagramError::Source(
            "the diagram renderer failed on this diagram".into(),
        )),
    }
}

/// Drawn by the built-in renderer.
fn builtin(source: &str) -> Result<(Vec<u8>, u32, u32), DiagramError> {
    // The renderer is young; a panic in it is no reason to lose the article.
    let svg = std::panic::catch_unwind(|| -> Result<String, String> {
        let parsed =
            mermaid_rs_renderer::parse_mermaid_strict(source).map_err(|e| e.to_string())?;
        let mut theme = mermaid_rs_renderer::Theme::mermaid_default();
        let mut layout = mermaid_rs_renderer::LayoutConfig::default();
        if let Some(init) = &parsed.init_config {
            apply_init(init, &mut theme, &mut layout);
        }
        let laid = mermaid_rs_renderer::compute_layout(&parsed.graph, &theme, &layout);
        Ok(mermaid_rs_renderer::render_svg(&laid, &theme, &layout))
    })
    .map_err(|_| DiagramError::Source("the diagram renderer failed on this diagram".into()))?
    .map_err(|e| DiagramError::Source(first_line(&e)))?;
    rasterize(&svg).map_err(DiagramError::Source)
}

/// What `%%{init: …}%%` sets that the built-in renderer has: the theme, its colours, fonts,
/// and a flowchart's spacing.
fn apply_init(
    init: &serde_json::Value,
    theme: &mut mermaid_rs_renderer::Theme,
    layout: &mut mermaid_rs_renderer::LayoutConfig,
) {
    if let Some(t) = init
        .get("theme")
        .and_then(|v| v.as_str())
        .and_then(mermaid_rs_renderer::Theme::from_name)
    {
        *theme = t;
    }
    if let Some(vars) = init.get("themeVariables") {
        let colour = |key: &str| vars.get(key).and_then(|v| v.as_str()).map(str::to_string);
        let fields: [(&str, &mut String); 13] = [
            ("primaryColor", &mut theme.primary_color),
            ("primaryTextColor", &mut theme.primary_text_color),
            ("primaryBorderColor", &mut theme.primary_border_color),
            ("lineColor", &mut theme.line_color),
            ("secondaryColor", &mut theme.secondary_color),
            ("tertiaryColor", &mut theme.tertiary_color),
            ("textColor", &mut theme.text_color),
            ("edgeLabelBackground", &mut theme.edge_label_background),
            ("clusterBkg", &mut theme.cluster_background),
            ("clusterBorder", &mut theme.cluster_border),
            ("actorBkg", &mut theme.sequence_actor_fill),
            ("noteBkg", &mut theme.sequence_note_fill),
            ("fontFamily", &mut theme.font_family),
        ];
        for (key, field) in fields {
            if let Some(v) = colour(key) {
                *field = v;
            }
        }
        let size = vars.get("fontSize").and_then(|v| match v {
            serde_json::Value::Number(n) => n.as_f64(),
            serde_json::Value::String(s) => s.trim_end_matches("px").parse().ok(),
            _ => None,
        });
        if let Some(px) = size.filter(|px| (6.0..=64.0).contains(px)) {
            theme.font_size = px as f32;
        }
    }
    if let Some(flow) = init.get("flowchart") {
        let num = |key: &str| {
            flow.get(key)
                .and_then(|v| v.as_f64())
                .filter(|n| (1.0..=1000.0).contains(n))
        };
        if let Some(n) = num("nodeSpacing") {
            layout.node_spacing = n as f32;
        }
        if let Some(n) = num("rankSpacing") {
            layout.rank_spacing = n as f32;
        }
    }
}

/// An SVG drawn on white at twice the size it is shown at (no wider than the column).
fn rasterize(svg: &str) -> Result<(Vec<u8>, u32, u32), String> {
    let opts = usvg::Options {
        fontdb: fonts(),
        ..Default::default()
    };
    let tree =
        usvg::Tree::from_str(svg, &opts).map_err(|e| format!("its SVG is unreadable: {e}"))?;
    let size = tree.size();
    let (w, h) = (size.width(), size.height());
    if !(w.is_finite() && h.is_finite() && w >= 1.0 && h >= 1.0) {
        return Err("it draws nothing".into());
    }
    let shown = w.min(COLUMN_PX) / w;
    let mut scale = DENSITY * shown;
    let pixels = (w * scale) * (h * scale);
    if pixels > PIXELS_MAX {
        scale *= (PIXELS_MAX / pixels).sqrt();
    }
    let (pw, ph) = (
        (w * scale).round().max(1.0) as u32,
        (h * scale).round().max(1.0) as u32,
    );
    let mut pixmap = tiny_skia::Pixmap::new(pw, ph).ok_or("it is too large to draw")?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    let png = encode_rgb_png(&pixmap).map_err(|e| format!("its PNG cannot be written: {e}"))?;
    // Told from the pixels, as a cached PNG's is.
    Ok((png, css(pw), css(ph)))
}

/// The pixmap as an RGB PNG: drawn on white, every pixel is opaque (so its premultiplied
/// colour is its colour), and a diagram's flat colours compress well at the fast setting,
/// which takes a third of the default's time.
fn encode_rgb_png(pixmap: &tiny_skia::Pixmap) -> Result<Vec<u8>, image::ImageError> {
    use image::ImageEncoder;
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    let rgb: Vec<u8> = pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    let mut out = Vec::new();
    PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Adaptive)
        .write_image(
            &rgb,
            pixmap.width(),
            pixmap.height(),
            image::ExtendedColorType::Rgb8,
        )?;
    Ok(out)
}

/// Drawn by `diagrams.command`: the source on its stdin, a PNG or SVG on its stdout.
fn external(
    argv: &[String],
    timeout: Duration,
    source: &str,
) -> Result<(Vec<u8>, u32, u32), DiagramError> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| DiagramError::Command("is empty".into()))?;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => DiagramError::Missing(program.clone()),
            _ => DiagramError::Command(format!(
                "`{program}` cannot be started: {}",
                crate::fs::io_reason(&e)
            )),
        })?;
    let input = source.as_bytes().to_vec();
    let stdin = child.stdin.take();
    let writer = std::thread::spawn(move || {
        // A renderer that stops reading early is judged by its output.
        if let Some(mut s) = stdin {
            let _ = s.write_all(&input);
        }
    });
    let read = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(p) = pipe {
                let _ = p.take(OUTPUT_MAX as u64 + 1).read_to_end(&mut buf);
            }
            buf
        })
    };
    let stdout = read(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = read(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(DiagramError::Command(format!(
                    "`{program}` took more than {} s (`diagrams.timeout`)",
                    timeout.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => {
                return Err(DiagramError::Command(format!(
                    "`{program}` could not be waited for: {}",
                    crate::fs::io_reason(&e)
                )));
            }
        }
    };
    let _ = writer.join();
    let out = stdout.join().unwrap_or_default();
    let err = stderr.join().unwrap_or_default();
    if !status.success() {
        let said = first_line(&String::from_utf8_lossy(&err));
        return Err(DiagramError::Command(format!(
            "`{program}` failed ({status}){}",
            if said.is_empty() {
                String::new()
            } else {
                format!(": {said}")
            }
        )));
    }
    if out.len() > OUTPUT_MAX {
        return Err(DiagramError::Command(format!(
            "`{program}` printed more than {} MB",
            OUTPUT_MAX >> 20
        )));
    }
    if out.starts_with(b"\x89PNG\r\n\x1a\n") {
        let info = crate::media::probe(&out).map_err(|e| {
            DiagramError::Command(format!("`{program}` printed an unusable PNG: {}", e.0))
        })?;
        let (w, h) = (css(info.width), css(info.height));
        return Ok((out, w, h));
    }
    let text = String::from_utf8_lossy(&out);
    if text.contains("<svg") {
        return rasterize(&text)
            .map_err(|e| DiagramError::Command(format!("`{program}` printed SVG, but {e}")));
    }
    Err(DiagramError::Command(format!(
        "`{program}` printed neither a PNG nor an SVG on stdout"
    )))
}

/// The first line of a message, shortened: what a warning quotes.
fn first_line(s: &str) -> String {
    let line = s
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let mut out: String = line.chars().take(160).collect();
    if line.chars().count() > 160 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diagrams(dir: &Path) -> Diagrams {
        Diagrams::new(dir, &DiagramsConfig::default())
    }

    #[test]
    fn flowchart_becomes_a_png_kept_by_hash() {
        let dir = tempfile::tempdir().unwrap();
        let d = diagrams(dir.path());
        let src = "flowchart LR\n  A[Start] --> B{Ok?}\n  B -->|yes| C[Done]\n";
        let a = d.render(src).unwrap();
        assert!(a.png.starts_with(b"\x89PNG"));
        let info = crate::media::probe(&a.png).unwrap();
        // Twice the pixels of the size it is shown at.
        assert!(
            (info.width as i64 - 2 * a.width as i64).abs() <= 2,
            "{info:?} {a:?}"
        );
        assert!(a.width <= COLUMN_PX as u32);
        assert_eq!(a.hash, d.key(src));
        let file = d.cache_file(&a.hash, "png").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), a.png.to_vec());
        // A new process reads the file: same image, nothing drawn.
        let again = diagrams(dir.path()).render(src).unwrap();
        assert_eq!(again.png, a.png);
        assert_eq!((again.width, again.height), (a.width, a.height));
        // Another source is another image.
        assert_ne!(d.key("flowchart LR\n  A --> C\n"), a.hash);
    }

    #[test]
    fn bad_source_is_an_error_naming_why() {
        let dir = tempfile::tempdir().unwrap();
        let e = diagrams(dir.path())
            .render("flowchart LR\n  A -->\n  this is not mermaid ((( \n")
            .map(|_| ())
            .err();
        if let Some(e) = e {
            assert!(!e.is_config());
            assert!(!e.to_string().is_empty());
        }
        let e = diagrams(dir.path()).render("notADiagram\n  x").unwrap_err();
        assert!(matches!(e, DiagramError::Source(_)), "{e:?}");
    }

    #[test]
    fn init_directive_sets_the_theme() {
        let dir = tempfile::tempdir().unwrap();
        let d = diagrams(dir.path());
        let plain = d.render("flowchart LR\n  A --> B\n").unwrap();
        let themed = d
            .render("%%{init: {'theme': 'dark'}}%%\nflowchart LR\n  A --> B\n")
            .unwrap();
        assert_ne!(plain.png, themed.png);
        let mut theme = mermaid_rs_renderer::Theme::mermaid_default();
        let mut layout = mermaid_rs_renderer::LayoutConfig::default();
        apply_init(
            &serde_json::json!({"themeVariables": {"primaryColor": "#ff0000", "fontSize": "20px"},
                                "flowchart": {"nodeSpacing": 70}}),
            &mut theme,
            &mut layout,
        );
        assert_eq!(theme.primary_color, "#ff0000");
        assert_eq!(theme.font_size, 20.0);
        assert_eq!(layout.node_spacing, 70.0);
    }

    #[test]
    fn too_large_or_too_slow_is_shown_as_source() {
        let big = format!("flowchart TD\n{}", "  A --> B\n".repeat(SOURCE_MAX / 10));
        let e = Diagrams::in_memory().render(&big).unwrap_err();
        assert!(e.to_string().contains("at most"), "{e}");
        let mid = (0..300)
            .map(|i| format!("  N{i}[Node {i}] --> N{}\n", (i * 7 + 3) % 300))
            .collect::<String>();
        let started = Instant::now();
        let e =
            builtin_within(&format!("flowchart TD\n{mid}"), Duration::from_millis(1)).unwrap_err();
        assert!(e.to_string().contains("took more than"), "{e}");
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn missing_command_is_a_config_error() {
        let dir = tempfile::tempdir().unwrap();
        let config = DiagramsConfig {
            command: Some(crate::site::config::Command::Line(
                "wxsync-no-such-renderer --png".into(),
            )),
            timeout: 5,
        };
        let e = Diagrams::new(dir.path(), &config)
            .render("flowchart LR\n A --> B\n")
            .unwrap_err();
        assert!(e.is_config());
        assert!(e.to_string().contains("wxsync-no-such-renderer"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn command_output_svg_png_failure_and_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let run = |script: &str, timeout: u64| {
            let config = DiagramsConfig {
                command: Some(crate::site::config::Command::Args(vec![
                    "sh".into(),
                    "-c".into(),
                    script.into(),
                ])),
                timeout,
            };
            Diagrams::new(dir.path(), &config).render("graph TD\n A --> B\n")
        };
        // SVG on stdout, after reading the source from stdin.
        let d = run(
            "cat >/dev/null; printf '<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100\" height=\"50\"><rect width=\"100\" height=\"50\" fill=\"red\"/></svg>'",
            5,
        )
        .unwrap();
        assert_eq!((d.width, d.height), (100, 50));
        let e = run(
            "cat >/dev/null; echo 'Parse error on line 2' >&2; exit 3",
            5,
        )
        .unwrap_err();
        assert!(!e.is_config());
        assert!(e.to_string().contains("Parse error on line 2"), "{e}");
        let e = run("cat >/dev/null; echo hello", 5).unwrap_err();
        assert!(e.to_string().contains("neither a PNG nor an SVG"), "{e}");
        let started = Instant::now();
        let e = run("sleep 5", 1).unwrap_err();
        assert!(e.to_string().contains("more than 1 s"), "{e}");
        assert!(started.elapsed() < Duration::from_secs(4));
    }

    #[test]
    fn glyphs_no_font_has_are_named() {
        // A private-use character is in no font.
        assert_eq!(
            missing_glyphs("graph TD\n A[\u{f0000}] --> B\n"),
            "\u{f0000}"
        );
        assert_eq!(missing_glyphs("graph TD\n %% 注释\n A --> B\n"), "");
    }
}
