//! The `wxemu` command: runs the emulator until interrupted, so wxsync can rehearse a sync
//! against it (`WXSYNC_API_BASE=http://127.0.0.1:PORT`).

use std::process::ExitCode;

const USAGE: &str = "\
usage: wxemu [--host HOST] [--port PORT] [--appid APPID] [--secret SECRET] [--config FILE]

Runs a local emulator of the WeChat Official Account API (tokens, uploads, draft box).
  --host     address to listen on (default 127.0.0.1)
  --port     port (default 8090; 0 picks a free one)
  --appid    the emulated account's AppID
  --secret   its AppSecret
  --config   a JSON file of knobs (see GET /__emu/config for the fields)
Test controls: /__emu/log, /__emu/faults, /__emu/clock, /__emu/drafts, /__emu/media,
/__emu/config, /__emu/reset.";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("wxemu: {msg}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let mut host = "127.0.0.1".to_string();
    let mut port = "8090".to_string();
    let mut config = wxemu::Config::default();
    let mut appid = None;
    let mut secret = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--host" => host = value("--host")?,
            "--port" => port = value("--port")?,
            "--appid" => appid = Some(value("--appid")?),
            "--secret" => secret = Some(value("--secret")?),
            "--config" => {
                let path = value("--config")?;
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read {path}: {e}"))?;
                config = serde_json::from_str(&text)
                    .map_err(|e| format!("{path} is not a valid config: {e}"))?;
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    if let Some(a) = appid {
        config.appid = a;
    }
    if let Some(s) = secret {
        config.secret = s;
    }
    let (appid, secret) = (config.appid.clone(), config.secret.clone());
    let emu = wxemu::Emulator::bind(&format!("{host}:{port}"), config)
        .map_err(|e| format!("cannot listen on {host}:{port}: {e}"))?;
    println!("wxemu listening on {}", emu.base_url());
    println!("  export WXSYNC_API_BASE={}", emu.base_url());
    println!("  export WECHAT_APPID={appid}");
    println!("  export WECHAT_APPSECRET={secret}");
    println!("Press Ctrl-C to stop.");
    // The server runs on its own thread; this one only keeps the process alive.
    loop {
        std::thread::park();
    }
}
