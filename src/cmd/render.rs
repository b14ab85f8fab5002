//! `wxsync render [PATH…]`: write what would be sent, `.wxsync/out/<path>.html` (the exact
//! `content`) and `.json` (the whole payload), so a writer can look before pushing; and
//! `<path>.preview.html`, the content with its images as WeChat will get them (prepared,
//! in `.wxsync/out/_images/`), for a browser.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cmd::check::plural;
use crate::cmd::{Output, json_report, open, print_diagnostics, render_all, select};
use crate::error::{Error, Result};
use crate::site::{ArticlePath, CACHE_DIR};

pub fn run(site: Option<&Path>, paths: &[PathBuf], out: Output) -> Result<i32> {
    let (site, renderer) = open(site)?;
    let selected = select(&site, paths)?;
    let results = render_all(&site, &renderer, &selected);
    let (errors, _) = print_diagnostics(&results, &[], out);
    let out_dir = site.root.join(CACHE_DIR).join("out");
    let mut written = 0;
    for r in &results {
        let Some(rendered) = &r.rendered else {
            continue;
        };
        if r.has_errors() {
            continue;
        }
        let base = output_base(&out_dir, &r.path);
        write_atomic(
            &base.with_extension("html"),
            rendered.payload.content.as_bytes(),
        )?;
        let preview = with_prepared_images(&site.root, &out_dir, &r.path, rendered, out);
        write_atomic(&base.with_extension("preview.html"), preview.as_bytes())?;
        let json = serde_json::to_string_pretty(&rendered.payload)
            .map_err(|e| Error::Usage(format!("cannot encode the payload of {}: {e}", r.path)))?;
        write_atomic(&base.with_extension("json"), json.as_bytes())?;
        written += 1;
        if out.verbose > 0 && !out.json {
            eprintln!("wrote {}", base.with_extension("html").display());
        }
    }
    if out.json {
        println!("{}", json_report(&results, &[]));
    } else {
        out.info(&format!(
            "rendered {written} of {} article{} into {}",
            results.len(),
            plural(results.len()),
            out_dir.display()
        ));
    }
    Ok(if errors > 0 { 2 } else { 0 })
}

/// The content with each image placeholder pointing at the prepared image (what WeChat will
/// get: converted, re-encoded or downscaled as the push will), copied to
/// `.wxsync/out/_images/`. An image that cannot be prepared keeps its placeholder, with a
/// warning (the push reports it as an error).
pub fn with_prepared_images(
    root: &Path,
    out_dir: &Path,
    path: &ArticlePath,
    rendered: &crate::render::Rendered,
    out: Output,
) -> String {
    let mut html = rendered.payload.content.clone();
    let depth = path.as_str().matches('/').count();
    let up = "../".repeat(depth);
    let images = out_dir.join("_images");
    let mut done = std::collections::HashSet::new();
    // Body uses first: the preview shows the body's form of an image also used as cover.
    let mut assets: Vec<&crate::render::Asset> = rendered.assets.iter().collect();
    assets.sort_by_key(|a| a.role != crate::render::Role::Body);
    for a in assets {
        if !done.insert(a.hash.clone()) {
            continue;
        }
        let placeholder = a.hash.placeholder();
        if !html.contains(&placeholder) {
            continue;
        }
        let copied = crate::render::images::preview_file(root, a)
            .map_err(|e| e.to_string())
            .and_then(|file| {
                let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("img");
                let hex = a.hash.as_str().trim_start_matches("sha256:");
                let name = format!("{hex}.{ext}");
                let dest = images.join(&name);
                if !dest.is_file() {
                    let bytes = std::fs::read(&file).map_err(|e| e.to_string())?;
                    write_atomic(&dest, &bytes).map_err(|e| e.to_string())?;
                }
                Ok(format!("{up}_images/{name}"))
            });
        match copied {
            Ok(rel) => html = html.replace(&placeholder, &rel),
            Err(why) => out.diag(&crate::diag::Diagnostic::warning(
                path.as_str(),
                format!("image {}: {why}", a.describe()),
            )),
        }
    }
    html
}

/// `.wxsync/out/articles/hello` for `articles/hello.md`.
pub fn output_base(out_dir: &Path, path: &ArticlePath) -> PathBuf {
    let p = out_dir.join(path.as_str());
    match p.extension() {
        Some(e) if e == "md" || e == "markdown" => p.with_extension(""),
        _ => p,
    }
}

/// Writes a file by way of a temporary file in the same directory, so a reader never sees
/// half of it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let err = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(err)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(err)?;
    tmp.write_all(bytes).map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}
