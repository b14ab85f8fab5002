//! Command-line definitions (clap). The commands themselves live in [`crate::cmd`].

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "wxsync",
    version,
    about = "Render Markdown articles into WeChat-safe HTML and keep an Official Account's draft box in step with git",
    propagate_version = true
)]
pub struct Cli {
    /// The site directory (default: the nearest ancestor holding wxsync.yaml)
    #[arg(short = 'C', long = "site", global = true, value_name = "DIR")]
    pub site: Option<PathBuf>,

    /// Machine-readable output on stdout
    #[arg(long, global = true)]
    pub json: bool,

    /// Print only errors
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print more detail
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// When to colour human output
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scaffold a site: wxsync.yaml, a first article and its cover, .gitignore, a GitHub
    /// Actions workflow
    Init {
        /// Where to create the site (default: the current directory)
        dir: Option<PathBuf>,
    },
    /// Parse, render and validate every article; no network
    Check,
    /// Write what would be sent: .wxsync/out/<path>.html and .json
    Render {
        /// Articles to render (default: all)
        paths: Vec<PathBuf>,
    },
    /// The plan: what sync would create, update or skip, and why; no network
    Status {
        /// Articles to consider (default: all)
        paths: Vec<PathBuf>,
        /// Also ask WeChat: drafts edited there since the last push, gone, or published
        #[arg(long)]
        remote: bool,
    },
    /// Push new and changed articles to the draft box
    Sync {
        /// Articles to push (default: all)
        paths: Vec<PathBuf>,
        /// Print the plan and write the payloads, with no network
        #[arg(long)]
        dry_run: bool,
        /// Delete the drafts of articles that no longer exist (only drafts this lockfile
        /// created, only when nothing else failed)
        #[arg(long)]
        prune: bool,
        /// Push the named articles even over drafts edited in WeChat since wxsync's last push
        /// (their edits are lost)
        #[arg(long, requires = "paths")]
        overwrite: bool,
        /// Update every article whose payload changed only because wxsync's rendering did
        /// (else at most `sync.rerender_batch` of them a run)
        #[arg(long)]
        rerender: bool,
    },
    /// Live preview on http://127.0.0.1:8765 that reloads on every save; --push also syncs
    Watch {
        /// Port of the preview server on 127.0.0.1 (0 picks a free one)
        #[arg(long, default_value_t = 8765)]
        port: u16,
        /// Open the preview in a browser
        #[arg(long)]
        open: bool,
        /// After each successful rebuild, push the changed articles (at most once per article
        /// every 5 s)
        #[arg(long)]
        push: bool,
        /// Poll the file system instead of using native events (network mounts, WSL, VMs)
        #[arg(long)]
        poll: bool,
        /// Wait this long after the last change before rebuilding
        #[arg(long, default_value_t = 200, value_name = "MS")]
        debounce: u64,
    },
    /// Today's quota of each API wxsync uses: daily limit, used, remaining
    Quota {
        /// APIs to report, e.g. draft/update (default: every API wxsync uses)
        #[arg(value_name = "API")]
        apis: Vec<String>,
    },
    /// Publish the drafts of these articles (freepublish); asks first unless --yes
    Publish {
        /// The articles whose drafts to publish
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Publish without asking
        #[arg(long)]
        yes: bool,
        /// How long to wait for WeChat to finish each draft
        #[arg(long, default_value_t = 300, value_name = "SECS")]
        timeout: u64,
    },
    /// Bind an article to a draft that already exists in the account; without --media-id,
    /// accept the edits made in WeChat to the article's draft
    Adopt {
        /// The article
        path: PathBuf,
        /// The draft's media_id (without it: keep the draft as edited in WeChat)
        #[arg(long, value_name = "ID")]
        media_id: Option<String>,
        /// The article's position in the draft (0 for a single-article draft)
        #[arg(long, default_value_t = 0, value_name = "N")]
        index: u32,
    },
}
