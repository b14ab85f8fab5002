//! Command-line definitions (clap). The commands themselves live in [`crate::cmd`].

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "wxsync",
    version = env!("WXSYNC_VERSION"),
    about = "Render Markdown articles into WeChat-safe HTML and keep an Official Account's draft box in step with git",
    propagate_version = true
)]
pub struct Cli {
    /// The site directory (default: the nearest ancestor holding wxsync.yaml)
    #[arg(short = 'C', long = "site", global = true, value_name = "DIR")]
    pub site: Option<PathBuf>,

    /// The account to work with, from `accounts:` in wxsync.yaml (default: every account
    /// for sync and status; the articles' account, else the default one, for the others)
    #[arg(long, global = true, value_name = "NAME")]
    pub account: Option<String>,

    /// Machine-readable output on stdout
    #[arg(long, global = true)]
    pub json: bool,

    /// Print only errors
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print more detail: each WeChat API call and each render-cache decision
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

/// The environment and exit codes of `sync` (`sync --help`).
const SYNC_HELP: &str = "\
Credentials come from the environment only:
  WECHAT_APPID        the Official Account's AppID (or `appid` in wxsync.yaml)
  WECHAT_APPSECRET    its AppSecret (never in a file)
  WECHAT_ACCESS_TOKEN a token minted elsewhere, used as is instead of the two above
  WXSYNC_RELAY_URL, WXSYNC_RELAY_KEY  tokens from a `wxsync relay` instead of the AppSecret
  WXSYNC_API_BASE     another API base: a fixed-IP reverse proxy (default https://api.weixin.qq.com)
  HTTPS_PROXY, ALL_PROXY  a proxy for every call (or `api.proxy` in wxsync.yaml)
--rehearse needs none of them.

Exit codes:
  0  everything was pushed, or there was nothing to do
  1  some article failed, or the run stopped partway; what was pushed is recorded
  2  a usage, config, credential or validation error, or an error about the account before
     anything was sent: nothing was sent";

/// The environment and exit codes of `status` (`status --help`).
const STATUS_HELP: &str = "\
status needs no credentials and makes no call: it compares the rendered articles with
wxsync.lock. The plan is printed on stdout (`wxsync status > plan.txt`).

Exit codes:
  0  the plan was made
  2  a usage, config or validation error (an article that would not be sent)";

/// The environment and setup of `relay` (`relay --help`).
const RELAY_HELP: &str = "\
The relay's own credentials come from its environment only:
  WECHAT_APPID, WECHAT_APPSECRET  the account's (the relay fetches stable_tokens with them)
  WXSYNC_API_BASE                 another API base (default https://api.weixin.qq.com)

A key for a client:
  openssl rand -base64 32 > ci.key
  wxsync relay --hash-key ci < ci.key >> /etc/wxsync/relay-keys
and give the client ci.key as WXSYNC_RELAY_KEY with WXSYNC_RELAY_URL=https://HOST:PORT.

Clients: POST /token with `Authorization: Bearer <key>` and an optional body
{\"force_refresh\":true} (sent after WeChat rejected their token) get
{\"access_token\":…,\"expires_in\":…}; 401 for an unknown or revoked key, 429 with
Retry-After past a rate limit.";

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
    #[command(after_help = STATUS_HELP)]
    Status {
        /// Articles to consider (default: all)
        paths: Vec<PathBuf>,
        /// Also ask WeChat: drafts edited there since the last push, gone, or published
        #[arg(long)]
        remote: bool,
    },
    /// Push new and changed articles to the draft box
    #[command(after_help = SYNC_HELP)]
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
        /// Rehearse: sync against wxsync's bundled WeChat emulator on 127.0.0.1, with its
        /// limits and checks, on a copy of the lockfile; needs no account and changes nothing
        /// real (wxsync.lock is untouched)
        #[arg(long, conflicts_with = "dry_run")]
        rehearse: bool,
        /// With --rehearse: keep serving the emulator's draft box page until Ctrl-C
        #[arg(long, requires = "rehearse")]
        serve: bool,
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
        /// The address to listen on. Anything but 127.0.0.1 exposes the preview (every
        /// article, drafts included) to the network: 0.0.0.0 for every interface, to open it
        /// on a phone on the same LAN
        #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
        host: std::net::IpAddr,
        /// Port of the preview server (0 picks a free one)
        #[arg(long, default_value_t = 8765)]
        port: u16,
        /// Open the preview in a browser
        #[arg(long)]
        open: bool,
        /// Push what `status` would push at start, then the changed articles after each
        /// successful rebuild (at most once per article every 5 s)
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
    /// Bind an article to a draft that already exists in the account, or list the drafts
    ///
    /// Without --media-id: for an article bound to a draft, accept the edits made to it in
    /// WeChat; for one that is not, list the account's drafts to choose from.
    Adopt {
        /// The article
        path: PathBuf,
        /// The draft's media_id (without it: accept WeChat's edits, or list the drafts)
        // WeChat's ids are URL-safe base64 and may start with `-`.
        #[arg(long, value_name = "ID", allow_hyphen_values = true)]
        media_id: Option<String>,
        /// The article's position in the draft (0 for a single-article draft)
        #[arg(long, default_value_t = 0, value_name = "N")]
        index: u32,
    },
    /// Token relay for a host in the account's IP whitelist: hands access tokens to clients
    /// with a key
    #[command(after_help = RELAY_HELP)]
    Relay {
        /// The address to listen on. Plain HTTP is served on loopback only (behind a reverse
        /// proxy) unless --insecure; give --tls-cert and --tls-key to serve TLS anywhere
        #[arg(long, default_value = "127.0.0.1:8787", value_name = "ADDR:PORT")]
        listen: std::net::SocketAddr,
        /// The file of hashed keys, one `sha256:<hex> NAME` a line; a line deleted is a key
        /// revoked, at once
        #[arg(long, value_name = "FILE", required_unless_present = "hash_key")]
        keys: Option<PathBuf>,
        /// The TLS certificate chain (PEM)
        #[arg(long, value_name = "FILE", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The TLS private key (PEM)
        #[arg(long, value_name = "FILE", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Serve plain HTTP on an address other than loopback
        #[arg(long)]
        insecure: bool,
        /// Requests a minute each key may make (0: no limit)
        #[arg(long, default_value_t = 30, value_name = "N")]
        key_rate: u32,
        /// Requests a minute each client address may make, keys or not (0: no limit)
        #[arg(long, default_value_t = 60, value_name = "N")]
        ip_rate: u32,
        /// Print a systemd unit that runs the relay with these options, and exit
        #[arg(long)]
        systemd: bool,
        /// Read a key on stdin and print its line for the key file, named NAME, and exit
        #[arg(long, value_name = "NAME", conflicts_with = "systemd")]
        hash_key: Option<String>,
    },
    /// Model Context Protocol server on stdin/stdout, for agents: check, render, status, sync
    /// (a dry run unless told otherwise), quota
    Mcp,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) on stdout
    #[command(
        after_help = "e.g. wxsync completions bash > ~/.local/share/bash-completion/completions/wxsync\n     wxsync completions zsh > \"${fpath[1]}/_wxsync\"\n     wxsync completions fish > ~/.config/fish/completions/wxsync.fish"
    )]
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) on stdout
    #[command(after_help = "e.g. wxsync man > ~/.local/share/man/man1/wxsync.1 && man wxsync")]
    Man,
}
