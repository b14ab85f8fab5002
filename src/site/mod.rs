//! A site on disk: finding its root, loading `wxsync.yaml`, discovering and reading articles.

pub mod accounts;
pub mod config;
pub mod frontmatter;
pub mod yamlpos;

use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::diag::Diagnostic;
use crate::error::{Error, Result};
use crate::fs;
pub use config::{Config, LinkMode};
pub use frontmatter::{ArticleType, FrontMatter};

pub const CONFIG_FILE: &str = "wxsync.yaml";
/// The largest article wxsync renders, in bytes. WeChat takes less than 1 MB of HTML and
/// 20,000 characters of text, so an article twice that size cannot be sent whatever it holds;
/// refusing it before rendering keeps the cost of a check bounded.
pub const ARTICLE_MAX: usize = 2_000_000;
/// The local cache directory (git-ignored).
pub const CACHE_DIR: &str = ".wxsync";

/// An article's path relative to the site root, with forward slashes: its identity in the
/// lockfile and in every message.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct ArticlePath(String);

impl ArticlePath {
    /// From a path relative to the root; `None` if it climbs out of it.
    pub fn from_relative(rel: &Path) -> Option<ArticlePath> {
        let mut parts = Vec::new();
        for c in rel.components() {
            match c {
                Component::Normal(p) => parts.push(p.to_str()?.to_string()),
                Component::CurDir => {}
                Component::ParentDir => {
                    parts.pop()?;
                }
                _ => return None,
            }
        }
        (!parts.is_empty()).then(|| ArticlePath(parts.join("/")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ArticlePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A loaded site: its root and configuration.
#[derive(Debug, Clone)]
pub struct Site {
    pub root: PathBuf,
    pub config: Config,
    /// The text of `wxsync.yaml`, to point diagnostics into it.
    pub config_source: Arc<str>,
    /// The account this run talks to (the default one until [`Site::use_account`]).
    pub account: accounts::Account,
}

impl Site {
    /// Opens the site at `dir` if given, else at the nearest ancestor of the current directory
    /// holding `wxsync.yaml`.
    pub fn open(dir: Option<&Path>) -> Result<Site> {
        let (site, errors) = Site::open_lenient(dir)?;
        if errors.is_empty() {
            Ok(site)
        } else {
            Err(Error::Invalid(errors))
        }
    }

    /// [`Site::open`], with the errors of `wxsync.yaml` returned beside a site whose config
    /// holds what passed (see [`Config::parse_lenient`]), so the caller can check what depends
    /// on it in the same run. Only a missing or unreadable site is an `Err`.
    pub fn open_lenient(dir: Option<&Path>) -> Result<(Site, Vec<Diagnostic>)> {
        // `--site` may name any directory inside a site (`--site my-site/articles`), as the
        // current directory may: the nearest one up holding wxsync.yaml is the site.
        let start = match dir {
            Some(d) => {
                if !d.is_dir() {
                    return Err(Error::Usage(format!(
                        "--site {}: no such directory",
                        d.display()
                    )));
                }
                d.canonicalize().map_err(|source| Error::Read {
                    path: d.to_path_buf(),
                    source,
                })?
            }
            None => fs::current_dir()?,
        };
        let root = start
            .ancestors()
            .find(|a| a.join(CONFIG_FILE).is_file())
            .map(Path::to_path_buf)
            .ok_or(Error::NoSite(start.clone()))?;
        let root = root.canonicalize().map_err(|source| Error::Read {
            path: root.clone(),
            source,
        })?;
        let config_path = root.join(CONFIG_FILE);
        let text = read_text(&config_path, CONFIG_FILE).map_err(|d| Error::Invalid(vec![d]))?;
        let (config, errors) = Config::parse_lenient(&text, CONFIG_FILE);
        let site = Site {
            root,
            account: config.accounts.default_account().clone(),
            config,
            config_source: Arc::from(text),
        };
        Ok((site, errors))
    }

    /// Makes the run talk to the account `name` (`--account`): its lockfile, credentials and
    /// articles.
    pub fn use_account(&mut self, name: &str) -> Result<()> {
        let account = self.config.accounts.named(name).map_err(Error::Usage)?;
        self.account = account.clone();
        Ok(())
    }

    /// Which accounts each of `paths` goes to (see [`accounts::Accounts::assign`]).
    pub fn assign(&self, paths: &[ArticlePath]) -> accounts::Assignment {
        self.config.accounts.assign(self, paths)
    }

    /// Every article matched by the `articles` globs, sorted by path. Hidden directories
    /// (`.git`, `.wxsync`) and `node_modules`/`target` are not searched.
    pub fn discover(&self) -> Result<Vec<ArticlePath>> {
        Ok(self.discover_checked()?.0)
    }

    /// [`Site::discover`], with what is wrong with the site's files as diagnostics: a file
    /// whose name is not UTF-8 (an error: it cannot be named in the lockfile) and a glob that
    /// matches nothing (a warning: probably a typo).
    pub fn discover_checked(&self) -> Result<(Vec<ArticlePath>, Vec<Diagnostic>)> {
        let mut globs = Vec::new();
        let mut builder = globset::GlobSetBuilder::new();
        for g in &self.config.articles {
            let glob = globset::GlobBuilder::new(g)
                .literal_separator(true)
                .build()
                .map_err(|e| Error::Usage(format!("{CONFIG_FILE}: invalid glob `{g}`: {e}")))?;
            globs.push(glob.compile_matcher());
            builder.add(glob);
        }
        let set = builder
            .build()
            .map_err(|e| Error::Usage(format!("{CONFIG_FILE}: invalid globs: {e}")))?;
        let mut found = Vec::new();
        let mut problems = Vec::new();
        let walker = walkdir::WalkDir::new(&self.root)
            .follow_links(true)
            .into_iter();
        for entry in
            walker.filter_entry(|e| {
                e.depth() == 0
                    || !(e.file_name().to_str().is_some_and(|n| {
                        n.starts_with('.') || n == "node_modules" || n == "target"
                    }) && e.file_type().is_dir())
            })
        {
            let entry = entry.map_err(|e| walk_error(e, &self.root))?;
            // Whatever matches a glob is an article, so that one which is not a regular file
            // inside the site (a FIFO, a directory named `x.md`, a link out) is reported when
            // it is read, never skipped in silence.
            let Ok(rel) = entry.path().strip_prefix(&self.root) else {
                continue;
            };
            let shown = rel.to_string_lossy();
            if !set.is_match(Path::new(shown.as_ref())) {
                continue;
            }
            match ArticlePath::from_relative(rel) {
                Some(p) => found.push(p),
                None if rel.to_str().is_none() => problems.push(
                    Diagnostic::error(
                        shown.replace('\\', "/"),
                        "the file name is not valid UTF-8, so it cannot be an article",
                    )
                    .with_help("rename the file (and its directories) with UTF-8 names"),
                ),
                None => {}
            }
        }
        found.sort();
        found.dedup();
        for (g, matcher) in self.config.articles.iter().zip(&globs) {
            if !found.iter().any(|p| matcher.is_match(p.as_str())) {
                let o = yamlpos::key_offset(&self.config_source, &["articles"]).unwrap_or(0);
                problems.push(
                    Diagnostic::warning(CONFIG_FILE, format!("the glob `{g}` in `articles` matches no file"))
                        .at(&self.config_source, o, o + "articles".len())
                        .with_help("globs are relative to the site root; `**` matches any number of directories"),
                );
            }
        }
        Ok((found, problems))
    }

    /// Maps a path given on the command line (relative to the current directory) to the
    /// article it names.
    pub fn article_arg(&self, arg: &Path) -> Result<ArticlePath> {
        let abs = if arg.is_absolute() {
            arg.to_path_buf()
        } else {
            fs::current_dir()?.join(arg)
        };
        let abs = abs.canonicalize().map_err(|source| Error::Read {
            path: arg.to_path_buf(),
            source,
        })?;
        abs.strip_prefix(&self.root)
            .ok()
            .and_then(ArticlePath::from_relative)
            .ok_or_else(|| {
                Error::Usage(format!(
                    "{} is not inside the site at {}",
                    arg.display(),
                    self.root.display()
                ))
            })
    }

    /// Checks `drafts:` against the articles found: every member exists, and no article is in
    /// two drafts.
    pub fn check_drafts(&self, articles: &[ArticlePath]) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let mut owner: Vec<(&str, &str)> = Vec::new();
        for (name, members) in &self.config.drafts {
            let o = yamlpos::key_offset(&self.config_source, &["drafts", name]).unwrap_or(0);
            let at = |d: Diagnostic| d.at(&self.config_source, o, o + name.len());
            for m in members {
                let known =
                    ArticlePath::from_relative(Path::new(m)).filter(|p| articles.contains(p));
                if known.is_none() {
                    out.push(at(Diagnostic::error(
                        CONFIG_FILE,
                        format!("draft `{name}` lists `{m}`, which is not an article of this site"),
                    )
                    .with_help("paths in `drafts:` are relative to the site root and must match the `articles` globs")));
                }
                if let Some((other, _)) = owner.iter().find(|(_, a)| *a == m.as_str()) {
                    out.push(at(Diagnostic::error(
                        CONFIG_FILE,
                        format!("`{m}` is in two drafts, `{other}` and `{name}`"),
                    )));
                }
                owner.push((name, m));
            }
        }
        out
    }

    pub fn abs(&self, path: &ArticlePath) -> PathBuf {
        self.root.join(path.as_str())
    }

    /// Reads and parses one article's front matter.
    pub fn load(&self, path: &ArticlePath) -> Result<Article, Vec<Diagnostic>> {
        let abs = self.abs(path);
        let shown = path.as_str();
        let text = read_inside_max(&self.root, &abs, shown, ARTICLE_MAX as u64, &|size| {
            too_large(shown, size)
        })
        .map_err(|d| vec![d])?;
        let source: Arc<str> = Arc::from(text);
        let split = frontmatter::split(&source, path.as_str(), &source).map_err(|d| vec![d])?;
        let parsed = match split.yaml {
            Some(y) => frontmatter::parse(y, split.yaml_offset, path.as_str(), &source)?,
            None => frontmatter::Parsed::default(),
        };
        Ok(Article {
            path: path.clone(),
            abs,
            body_offset: split.body_offset,
            front: parsed.front,
            ignored_keys: parsed.ignored_keys,
            front_errors: parsed.errors.into_iter().chain(parsed.warnings).collect(),
            doubtful: parsed.doubtful,
            source,
        })
    }
}

/// One article, read and with its front matter parsed.
#[derive(Debug, Clone)]
pub struct Article {
    pub path: ArticlePath,
    pub abs: PathBuf,
    /// The whole file (without a byte-order mark).
    pub source: Arc<str>,
    pub body_offset: usize,
    pub front: FrontMatter,
    pub ignored_keys: Vec<String>,
    /// Errors of the front matter that did not stop it being read (see
    /// [`frontmatter::Parsed::errors`]), then its warnings; the render reports them with its
    /// own.
    pub front_errors: Vec<Diagnostic>,
    /// Keys whose value those errors leave unknown ([`frontmatter::Parsed::doubtful`]).
    pub doubtful: Vec<&'static str>,
}

impl Article {
    pub fn body(&self) -> &str {
        &self.source[self.body_offset..]
    }

    pub fn dir(&self) -> &Path {
        self.abs.parent().unwrap_or(Path::new("."))
    }
}

/// A failure to walk the site, naming the path and keeping its cause (an I/O error, or a
/// symlink that loops back to a directory above it).
fn walk_error(e: walkdir::Error, root: &Path) -> Error {
    let path = e
        .path()
        .map_or_else(|| root.to_path_buf(), Path::to_path_buf);
    let source = match e.loop_ancestor() {
        Some(ancestor) => std::io::Error::other(format!(
            "it is a symbolic link to {}, a directory that contains it",
            ancestor.display()
        )),
        None => e
            .into_io_error()
            .unwrap_or_else(|| std::io::Error::other("the directory walk failed")),
    };
    Error::Read { path, source }
}

/// [`read_text`] of a file that must be inside the site: `path`, after following every link,
/// is a regular file under `root` (already canonical). A link that leads out of the site is
/// refused before anything is read.
pub fn read_inside(root: &Path, path: &Path, shown: &str) -> Result<String, Diagnostic> {
    read_inside_max(root, path, shown, fs::TEXT_MAX, &|_| text_too_large(shown))
}

/// [`read_inside`] with a cap of `max` bytes: a larger file is refused unread, with the error
/// `too_large` makes of its size.
fn read_inside_max(
    root: &Path,
    path: &Path,
    shown: &str,
    max: u64,
    too_large: &dyn Fn(usize) -> Diagnostic,
) -> Result<String, Diagnostic> {
    let real = path.canonicalize().map_err(|e| {
        Diagnostic::error(
            shown,
            format!("cannot read the file: {}", fs::io_reason(&e)),
        )
    })?;
    if !real.starts_with(root) {
        return Err(Diagnostic::error(
            shown,
            format!(
                "the file leads outside the site (to {}); wxsync reads only files inside {}",
                real.display(),
                root.display()
            ),
        )
        .with_help("replace the symbolic link with the file itself, or move the site root up"));
    }
    read_text_max(&real, shown, max, too_large)
}

/// Reads a UTF-8 text file of at most [`fs::TEXT_MAX`] bytes; a missing file, an unreadable
/// one, one that is not a regular file or invalid UTF-8 is a diagnostic naming the file (and
/// the line of the bad bytes). A byte-order mark is dropped.
pub fn read_text(path: &Path, shown: &str) -> Result<String, Diagnostic> {
    read_text_max(path, shown, fs::TEXT_MAX, &|_| text_too_large(shown))
}

fn text_too_large(shown: &str) -> Diagnostic {
    Diagnostic::error(
        shown,
        format!(
            "cannot read the file: it is larger than {} bytes",
            fs::TEXT_MAX
        ),
    )
}

fn read_text_max(
    path: &Path,
    shown: &str,
    max: u64,
    too_large: &dyn Fn(usize) -> Diagnostic,
) -> Result<String, Diagnostic> {
    let bytes = fs::read_capped(path, max).map_err(|e| match e {
        fs::ReadError::TooLarge { .. } => {
            too_large(std::fs::metadata(path).map_or(0, |m| m.len() as usize))
        }
        e => Diagnostic::error(shown, format!("cannot read the file: {e}")),
    })?;
    decode(bytes, shown)
}

/// The text of a file's bytes: UTF-8, a byte-order mark dropped.
fn decode(mut bytes: Vec<u8>, shown: &str) -> Result<String, Diagnostic> {
    let bom = bytes.len() - fs::strip_bom(&bytes).len();
    bytes.drain(..bom);
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let line = bytes[..valid].iter().filter(|&&b| b == b'\n').count() + 1;
        let column = bytes[..valid]
            .iter()
            .rev()
            .take_while(|&&b| b != b'\n')
            .count()
            + 1;
        Diagnostic::error(
            shown,
            format!("the file is not valid UTF-8 (bad byte at offset {valid})"),
        )
        .at_line(line, column)
        .with_help("save the file as UTF-8; binary files cannot be articles")
    })
}

/// The error for an article over [`ARTICLE_MAX`] bytes.
pub fn too_large(shown: &str, size: usize) -> Diagnostic {
    Diagnostic::error(
        shown,
        format!(
            "the article is {size} bytes; wxsync renders articles of at most {ARTICLE_MAX} bytes \
             (WeChat takes less than 1,000,000 bytes of HTML and 20,000 characters of text)"
        ),
    )
    .with_help(
        "split it into several articles, and keep large data (logs, base64 images) out of it",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn article_paths() {
        assert_eq!(
            ArticlePath::from_relative(Path::new("./a/../b/c.md"))
                .unwrap()
                .as_str(),
            "b/c.md"
        );
        assert!(ArticlePath::from_relative(Path::new("../x.md")).is_none());
    }
}
