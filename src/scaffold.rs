//! A new site (`wxsync init [DIR]`): one that `check` passes and `sync` can push as it is —
//! `wxsync.yaml` with comments, a first article and its cover, `.gitignore` with `.wxsync/`,
//! and the GitHub Actions workflow — then say what is left to do. Existing files are never
//! overwritten (an existing `.gitignore` gets the line it lacks appended).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::site::{CACHE_DIR, CONFIG_FILE};

const CONFIG: &str = include_str!("../templates/init/wxsync.yaml");
const ARTICLE: &str = include_str!("../templates/init/articles/hello.md");
const COVER: &[u8] = include_bytes!("../templates/init/images/default-cover.jpg");
const GITIGNORE: &str = include_str!("../templates/init/gitignore");
const WORKFLOW: &str = include_str!("../templates/init/workflow.yml");

/// Where the workflow goes, relative to the repository root.
pub const WORKFLOW_PATH: &str = ".github/workflows/wxsync.yml";

/// The workflow for a site at `site` (relative to the repository root, `.` for the root),
/// using the action of this wxsync's version.
pub fn workflow(site: &str) -> String {
    let site = site.trim_matches('/');
    let (site, prefix) = if site.is_empty() || site == "." {
        (".".to_string(), String::new())
    } else {
        (site.to_string(), format!("{site}/"))
    };
    WORKFLOW
        .replace("__WXSYNC_VERSION__", env!("CARGO_PKG_VERSION"))
        .replace("__SITE_PREFIX__", &prefix)
        .replace("__SITE__", &site)
}

/// What `init` made, and what is left to do.
#[derive(Serialize)]
pub struct Scaffolded {
    pub site: String,
    pub created: Vec<String>,
    pub next_steps: Vec<String>,
}

/// Writes a new site in `dir` (default: here), and the workflow at the root of the git
/// repository `dir` is in. Writes nothing if any of its files exists.
pub fn init(dir: Option<&Path>) -> Result<Scaffolded> {
    let dir = dir.unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|source| Error::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    let root = dir.canonicalize().map_err(|source| Error::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    // Inside a git repository the workflow belongs at its root, pointed at this directory.
    let found = root
        .ancestors()
        .find(|a| a.join(".git").exists())
        .map(Path::to_path_buf);
    let in_repo = found.is_some();
    let repo = found.unwrap_or_else(|| root.clone());
    let site_in_repo = root
        .strip_prefix(&repo)
        .map(|p| {
            p.components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/")
        })
        .unwrap_or_default();

    let files: Vec<(PathBuf, Vec<u8>)> = vec![
        (root.join(CONFIG_FILE), CONFIG.as_bytes().to_vec()),
        (root.join("articles/hello.md"), ARTICLE.as_bytes().to_vec()),
        (root.join("images/default-cover.jpg"), COVER.to_vec()),
        (
            repo.join(WORKFLOW_PATH),
            workflow(&site_in_repo).into_bytes(),
        ),
    ];
    let existing: Vec<String> = files
        .iter()
        .filter(|(p, _)| p.exists())
        .map(|(p, _)| shown(p, &root))
        .collect();
    if !existing.is_empty() {
        return Err(Error::Usage(format!(
            "{} already exist{} in {}; wxsync init never overwrites a file, so it wrote nothing \
             (move {} aside, or run `wxsync init` in an empty directory)",
            existing.join(", "),
            if existing.len() == 1 { "s" } else { "" },
            root.display(),
            if existing.len() == 1 { "it" } else { "them" },
        )));
    }

    let mut created = Vec::new();
    for (path, bytes) in &files {
        write_new(path, bytes)?;
        created.push(shown(path, &root));
    }
    let gitignore = root.join(".gitignore");
    if gitignore.exists() {
        let text = std::fs::read_to_string(&gitignore).map_err(|source| Error::Read {
            path: gitignore.clone(),
            source,
        })?;
        let ignored = text.lines().any(|l| {
            let l = l.trim().trim_start_matches('/');
            l == CACHE_DIR || l == format!("{CACHE_DIR}/")
        });
        if !ignored {
            let sep = if text.is_empty() || text.ends_with('\n') {
                ""
            } else {
                "\n"
            };
            std::fs::OpenOptions::new()
                .append(true)
                .open(&gitignore)
                .and_then(|mut f| f.write_all(format!("{sep}{GITIGNORE}").as_bytes()))
                .map_err(|source| Error::Write {
                    path: gitignore.clone(),
                    source,
                })?;
            created.push(".gitignore (appended .wxsync/)".to_string());
        }
    } else {
        write_new(&gitignore, GITIGNORE.as_bytes())?;
        created.push(".gitignore".to_string());
    }

    // Its next steps commit: outside a repository, the site becomes one.
    let git = if in_repo {
        Git::Existing
    } else if git_init(&root) {
        created.push(".git (git init)".to_string());
        Git::Initialised
    } else {
        Git::Missing
    };
    Ok(Scaffolded {
        site: root.display().to_string(),
        created,
        next_steps: next_steps(dir, &site_in_repo, git),
    })
}

/// What to do next, in the order a newcomer does it: write and preview, rehearse, then the
/// three things `init` cannot do (the secrets, the IP whitelist, the push).
fn next_steps(dir: &Path, site_in_repo: &str, git: Git) -> Vec<String> {
    let cd = if dir == Path::new(".") {
        String::new()
    } else {
        format!("cd {} && ", dir.display())
    };
    let workflow_hint = if site_in_repo.is_empty() {
        String::new()
    } else {
        format!(" (the workflow is at the repository root and syncs {site_in_repo}/)")
    };
    let git_init = match git {
        Git::Missing => "git init && ",
        Git::Existing | Git::Initialised => "",
    };
    vec![
        format!(
            "Write: edit articles/hello.md with a live preview that reloads on every save:\n  \
             {cd}wxsync watch --open"
        ),
        format!(
            "Rehearse a whole sync against the bundled WeChat emulator (no account needed;\n\
             nothing real changes):\n  \
             {cd}wxsync sync --rehearse"
        ),
        "Add two repository secrets (Settings → Secrets and variables → Actions), from\n\
         微信公众平台 → 设置与开发 → 基本配置:\n  \
         gh secret set WECHAT_APPID\n  \
         gh secret set WECHAT_APPSECRET"
            .to_string(),
        "Let WeChat answer the runner: it answers only IPs on the account's whitelist\n\
         (设置与开发 → 安全中心 → IP 白名单), and GitHub's runners change IP. Whitelist the IP of\n\
         a fixed-IP proxy and set `proxy:` in the workflow (or `api.proxy` in wxsync.yaml), or\n\
         see \"Use in GitHub Actions\" in the wxsync README for a reverse proxy, a self-hosted\n\
         runner or a token minted elsewhere."
            .to_string(),
        format!(
            "Check, commit and push{workflow_hint}:\n  \
             {cd}wxsync check\n  \
             {git_init}git add . && git commit -m \"Start a wxsync site\" && git push"
        ),
    ]
}

/// Whether the site is in a git repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Git {
    /// It was already.
    Existing,
    /// `init` made one.
    Initialised,
    /// There is none and `git` could not make one (not installed).
    Missing,
}

/// Makes `root` a git repository with `git init`, quietly; whether that worked.
fn git_init(root: &Path) -> bool {
    std::process::Command::new("git")
        .arg("init")
        .arg("--quiet")
        .arg(root)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Creates a file that must not exist yet, and its parent directories.
fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    let fail = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(fail)
}

/// A path as the user knows it: relative to the new site when inside it.
fn shown(path: &Path, root: &Path) -> String {
    match path.strip_prefix(root) {
        Ok(rel) => rel.to_string_lossy().replace('\\', "/"),
        Err(_) => path.display().to_string(),
    }
}
