//! `wxsync relay`: serve tokens to clients with a key ([`crate::relay`]), or print a key's
//! line for the key file (`--hash-key`) or a systemd unit (`--systemd`).

use std::io::Read;

use crate::error::{Error, Result};
use crate::output::Output;
use crate::relay::{self, RelayOptions, keys};

pub fn run(opts: &RelayOptions, systemd: bool, hash_key: Option<&str>, out: Output) -> Result<i32> {
    if let Some(name) = hash_key {
        // The key comes on stdin, never as an argument: arguments are visible to every user
        // of the machine (ps) and stay in shell history.
        let mut key = String::new();
        std::io::stdin()
            .take(4096)
            .read_to_string(&mut key)
            .map_err(|e| Error::Usage(format!("cannot read the key on stdin: {e}")))?;
        let line = keys::hash_line(&key, name).map_err(Error::Usage)?;
        out.document(&line);
        return Ok(0);
    }
    if systemd {
        let exe = std::env::current_exe()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| "/usr/local/bin/wxsync".to_string());
        out.bytes(relay::systemd_unit(&exe, opts).as_bytes());
        return Ok(0);
    }
    // The access log goes to stderr, even with -q: it is what the relay is for.
    let log: relay::Log =
        std::sync::Arc::new(|line: &str| crate::output::human(&format!("{line}\n")));
    relay::server::serve(opts, log)?;
    Ok(0)
}
