//! One thin module per subcommand: its arguments in, one call to the library, its result
//! out. No command imports another; what they share is in [`crate::project`] and
//! [`crate::output`].

pub mod adopt;
pub mod check;
pub mod completions;
pub mod init;
pub mod man;
pub mod mcp;
pub mod publish;
pub mod quota;
pub mod relay;
pub mod render;
pub mod status;
pub mod sync;
pub mod watch;

use crate::cli::{Cli, Command};
use crate::error::{Error, Result};
use crate::output::Output;
use crate::preview::session::WatchFlags;
use crate::project::sync::Flags;
use crate::sync::github;

/// Runs the command line; returns the exit code (DESIGN §5).
pub fn run(cli: Cli, out: Output) -> Result<i32> {
    let in_actions = github::active();
    if in_actions {
        github::locate_site(cli.site.as_deref());
    }
    let site = cli.site.as_deref();
    let account = cli.account.as_deref();
    // Only what talks to an account takes one; elsewhere it would be ignored in silence.
    if account.is_some()
        && !matches!(
            cli.command,
            Command::Status { .. }
                | Command::Sync { .. }
                | Command::Adopt { .. }
                | Command::Quota { .. }
                | Command::Publish { .. }
        )
    {
        return Err(Error::Usage(
            "--account applies to status, sync, adopt, quota and publish (the commands that \
             talk to an account)"
                .into(),
        ));
    }
    let result = match &cli.command {
        Command::Init { dir } => init::run(dir.as_deref().or(site), out),
        Command::Check => check::run(site, out),
        Command::Render { paths } => render::run(site, paths, out),
        Command::Status { paths, remote } => status::run(site, account, paths, *remote, out),
        Command::Sync {
            paths,
            dry_run,
            prune,
            rehearse,
            serve,
            overwrite,
            rerender,
        } => {
            let flags = Flags {
                dry_run: *dry_run,
                prune: *prune,
                rehearse: *rehearse,
                serve: *serve,
                overwrite: *overwrite,
                rerender: *rerender,
            };
            sync::run(site, account, paths, flags, out)
        }
        Command::Watch {
            host,
            port,
            open,
            push,
            poll,
            debounce,
        } => {
            let flags = WatchFlags {
                host: *host,
                port: *port,
                open: *open,
                push: *push,
                poll: *poll,
                debounce: std::time::Duration::from_millis(*debounce),
            };
            watch::run(site, flags, out)
        }
        Command::Completions { shell } => completions::run(*shell, out),
        Command::Man => man::run(out),
        Command::Quota { apis } => quota::run(site, account, apis, out),
        Command::Publish {
            paths,
            yes,
            timeout,
        } => {
            let flags = crate::project::publish::PublishFlags {
                yes: *yes,
                timeout: std::time::Duration::from_secs(*timeout),
            };
            publish::run(site, account, paths, flags, out)
        }
        Command::Mcp => mcp::run(site, out),
        Command::Relay {
            listen,
            keys,
            tls_cert,
            tls_key,
            insecure,
            key_rate,
            ip_rate,
            systemd,
            hash_key,
        } => {
            let opts = crate::relay::RelayOptions {
                listen: *listen,
                keys: keys.clone().unwrap_or_default(),
                tls: tls_cert.clone().zip(tls_key.clone()),
                insecure: *insecure,
                key_rate: *key_rate,
                ip_rate: *ip_rate,
            };
            relay::run(&opts, *systemd, hash_key.as_deref(), out)
        }
        Command::Adopt {
            path,
            media_id,
            index,
        } => adopt::run(site, account, path, media_id.as_deref(), *index, out),
    };
    // Config and theme errors end the run before any article is read: annotate them too.
    if let (true, Err(Error::Invalid(diags))) = (in_actions, &result) {
        diags.iter().for_each(github::annotate);
    }
    result
}
