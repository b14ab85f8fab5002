//! What `render` and `sync --dry-run` write for a writer to look at, under `.wxsync/out/`:
//! `<path>.html` (exactly the `content` that would be sent), `<path>.json` (the whole
//! payload) and, for `render`, `<path>.preview.html` (the content with its images as WeChat
//! will get them, copied to `_images/`).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::diag::Diagnostic;
use crate::error::{Error, Result};
use crate::fs::{Durability, write_atomic};
use crate::media::{self, Use};
use crate::output::Output;
use crate::render::{Asset, Rendered, Role, placeholder};
use crate::site::{ArticlePath, CACHE_DIR};

/// `.wxsync/out` of a site.
pub fn out_dir(root: &Path) -> PathBuf {
    root.join(CACHE_DIR).join("out")
}

/// `.wxsync/out/articles/hello` for `articles/hello.md`.
pub fn output_base(out_dir: &Path, path: &ArticlePath) -> PathBuf {
    let p = out_dir.join(path.as_str());
    match p.extension() {
        Some(e) if e == "md" || e == "markdown" => p.with_extension(""),
        _ => p,
    }
}

/// `base` with `.ext` added to its whole file name: `markdown.zh-CN` becomes
/// `markdown.zh-CN.html` (`with_extension` would take `zh-CN` for the extension and make
/// `markdown.html`, the same file as `markdown.en-US`'s).
pub fn with_suffix(base: &Path, ext: &str) -> PathBuf {
    let mut name = base.as_os_str().to_owned();
    name.push(".");
    name.push(ext);
    PathBuf::from(name)
}

/// Writes `<path>.html` and `<path>.json` of one article; returns the base path.
pub fn write_payload(out_dir: &Path, path: &ArticlePath, rendered: &Rendered) -> Result<PathBuf> {
    let base = output_base(out_dir, path);
    write_atomic(
        &with_suffix(&base, "html"),
        rendered.payload.content.as_bytes(),
        Durability::Atomic,
    )?;
    let json = serde_json::to_string_pretty(&rendered.payload)
        .map_err(|e| Error::Usage(format!("cannot encode the payload of {path}: {e}")))?;
    write_atomic(
        &with_suffix(&base, "json"),
        json.as_bytes(),
        Durability::Atomic,
    )?;
    Ok(base)
}

/// Writes `<path>.preview.html`: see [`with_prepared_images`].
pub fn write_preview(
    root: &Path,
    out_dir: &Path,
    path: &ArticlePath,
    rendered: &Rendered,
    out: Output,
) -> Result<()> {
    let html = with_prepared_images(root, out_dir, path, rendered, out);
    let file = with_suffix(&output_base(out_dir, path), "preview.html");
    write_atomic(&file, html.as_bytes(), Durability::Atomic)
}

/// The file a preview shows for an asset: what WeChat will get (`media::cache`).
pub fn prepared_file(root: &Path, asset: &Asset) -> std::result::Result<PathBuf, String> {
    let source = root.join(asset.path.as_str());
    let src = match &asset.inline {
        Some(b) => b.to_vec(),
        None => std::fs::read(&source).map_err(|e| crate::fs::io_reason(&e))?,
    };
    let use_ = match asset.role {
        Role::Body => Use::Body,
        _ => Use::Material,
    };
    let file = asset.inline.is_none().then_some(source.as_path());
    media::cache::prepared_file(root, &src, use_, file).map_err(|e| e.0)
}

/// The content with each image placeholder pointing at the prepared image, copied to
/// `.wxsync/out/_images/`. An image that cannot be prepared keeps its placeholder, with a
/// warning (the push reports it as an error).
fn with_prepared_images(
    root: &Path,
    out_dir: &Path,
    path: &ArticlePath,
    rendered: &Rendered,
    out: Output,
) -> String {
    let mut html = rendered.payload.content.clone();
    let up = "../".repeat(path.as_str().matches('/').count());
    let images = out_dir.join("_images");
    let mut done = HashSet::new();
    // Body uses first: the preview shows the body's form of an image also used as cover.
    let mut assets: Vec<&Asset> = rendered.assets.iter().collect();
    assets.sort_by_key(|a| a.role != Role::Body);
    for a in assets {
        if !done.insert(a.hash.clone()) {
            continue;
        }
        let ph = placeholder::of(&a.hash);
        if !html.contains(&ph) {
            continue;
        }
        let copied = prepared_file(root, a).and_then(|file| {
            let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("img");
            let name = format!("{}.{ext}", a.hash.hex());
            let dest = images.join(&name);
            if !dest.is_file() {
                let bytes = std::fs::read(&file).map_err(|e| crate::fs::io_reason(&e))?;
                write_atomic(&dest, &bytes, Durability::Atomic).map_err(|e| e.to_string())?;
            }
            Ok(format!("{up}_images/{name}"))
        });
        match copied {
            Ok(rel) => html = html.replace(&ph, &rel),
            Err(why) => out.diag(&Diagnostic::warning(
                path.as_str(),
                format!("image {}: {why}", a.describe()),
            )),
        }
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_variants_get_files_of_their_own() {
        let out = Path::new("/o");
        let names: Vec<PathBuf> = [
            "a/markdown.zh-CN.md",
            "a/markdown.en-US.md",
            "a/markdown.md",
        ]
        .into_iter()
        .map(|p| {
            let path = ArticlePath::from_relative(Path::new(p)).expect("path");
            with_suffix(&output_base(out, &path), "html")
        })
        .collect();
        assert_eq!(
            names,
            [
                PathBuf::from("/o/a/markdown.zh-CN.html"),
                PathBuf::from("/o/a/markdown.en-US.html"),
                PathBuf::from("/o/a/markdown.html"),
            ]
        );
        let path = ArticlePath::from_relative(Path::new("x.v2.md")).expect("path");
        assert_eq!(
            with_suffix(&output_base(out, &path), "preview.html"),
            PathBuf::from("/o/x.v2.preview.html")
        );
    }
}
