//! `wxsync relay`: a token relay for a host whose IP is in the account's whitelist. It holds
//! the AppID and AppSecret (from its environment only), fetches `stable_token`s, and hands
//! the token and its expiry (nothing else) to clients presenting a bearer key listed, hashed,
//! in its key file ([`keys`]), within rate limits per key and per address ([`limit`]). It
//! serves TLS itself (rustls) or plain HTTP on loopback behind a reverse proxy ([`server`]).
//!
//! WeChat's whitelist guards the token call, so clients (CI runners with changing IPs) make
//! every other call directly with the token they got.

pub mod keys;
pub mod limit;
pub mod server;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How long after a forced refresh another client's `force_refresh` gets the same (new) token
/// instead of a new one: WeChat itself answers forced calls less than 30 s apart so, and
/// allows only 20 of them a day.
pub const FORCE_WINDOW: Duration = Duration::from_secs(30);

/// Where the relay's access log and notices go (one line each, no newline).
pub type Log = Arc<dyn Fn(&str) + Send + Sync>;

/// What `wxsync relay` was asked to do.
#[derive(Debug, Clone)]
pub struct RelayOptions {
    pub listen: SocketAddr,
    /// The file of hashed keys ([`keys`]).
    pub keys: PathBuf,
    /// The certificate chain and private key (PEM) for TLS; `None` serves plain HTTP.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Allow plain HTTP on an address other than loopback.
    pub insecure: bool,
    /// Requests a minute per key (0: no limit).
    pub key_rate: u32,
    /// Requests a minute per client address (0: no limit).
    pub ip_rate: u32,
}

/// A systemd unit that runs the relay as an unprivileged, sandboxed service, reading its
/// credentials from an environment file only root can read.
pub fn systemd_unit(exe: &str, opts: &RelayOptions) -> String {
    let mut args = format!(
        "relay --listen {} --keys {}",
        opts.listen,
        opts.keys.display()
    );
    let mut creds = String::new();
    if let Some((cert, key)) = &opts.tls {
        // systemd hands the service a copy it alone can read: the key stays root's 0600 file.
        creds = format!(
            "LoadCredential=tls.crt:{}\nLoadCredential=tls.key:{}\n",
            cert.display(),
            key.display()
        );
        args.push_str(
            " --tls-cert ${CREDENTIALS_DIRECTORY}/tls.crt --tls-key ${CREDENTIALS_DIRECTORY}/tls.key",
        );
    }
    if opts.insecure {
        args.push_str(" --insecure");
    }
    format!(
        "\
# /etc/systemd/system/wxsync-relay.service
# /etc/wxsync/relay.env (mode 0600, owner root) holds, one a line:
#   WECHAT_APPID=wx...
#   WECHAT_APPSECRET=...
# The key file holds only hashes (mode 0644 is fine); a line deleted from it is refused at
# once, with no restart. Then: systemctl daemon-reload && systemctl enable --now wxsync-relay
[Unit]
Description=wxsync token relay
After=network-online.target
Wants=network-online.target

[Service]
ExecStart={exe} {args}
EnvironmentFile=/etc/wxsync/relay.env
{creds}DynamicUser=yes
# For a port below 1024 (443).
AmbientCapabilities=CAP_NET_BIND_SERVICE
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
RestrictAddressFamilies=AF_INET AF_INET6
Restart=on-failure
RestartSec=5

[Install]
WantedBy=multi-user.target
"
    )
}
