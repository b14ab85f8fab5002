//! The release binaries: `scripts/package.sh` makes the archive the action installs, and
//! `scripts/install.sh` (the action's install step) installs it. The packaging script runs on
//! the test build of `wxsync` for the host target (a release build would add minutes to every
//! `cargo test`; the release workflow packages the stripped `dist` build with the same script
//! and installs it the same way). The archive is served from 127.0.0.1 by a tiny HTTP server
//! here, and the install logic is run against it: a good checksum installs a binary that
//! runs, a bad or missing one is refused with an error naming the asset, and a runner with no
//! asset gets the fallback to a build from source, saying so. The names the install step asks
//! for are the targets `release.yml` builds.
//!
//! Unix only: the scripts run in bash, which on Windows CI is Git Bash (the ci.yml step
//! "Package the test build and install it" runs them there).
#![cfg(unix)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use sha2::{Digest, Sha256};

const VERSION: &str = concat!("v", env!("CARGO_PKG_VERSION"));

/// The runners the action knows, and the asset each one asks for.
const RUNNERS: &[(&str, &str, &str)] = &[
    ("Linux", "X64", "wxsync-x86_64-unknown-linux-musl.tar.gz"),
    ("Linux", "ARM64", "wxsync-aarch64-unknown-linux-musl.tar.gz"),
    ("macOS", "X64", "wxsync-x86_64-apple-darwin.tar.gz"),
    ("macOS", "ARM64", "wxsync-aarch64-apple-darwin.tar.gz"),
    ("Windows", "X64", "wxsync-x86_64-pc-windows-msvc.zip"),
];

/// What every archive holds, at its root.
const MEMBERS: &[&str] = &[
    "wxsync",
    "README.md",
    "CHANGELOG.md",
    "LICENSE-MIT",
    "LICENSE-APACHE",
];

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn sha256_hex(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).expect("read")))
}

// ---------------------------------------------------------------------------------------
// A release served from 127.0.0.1
// ---------------------------------------------------------------------------------------

/// Serves the files of a directory under one URL prefix (`/v0.1.0/NAME`), 404 for anything
/// else, and records every path asked for.
struct Server {
    base: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(dir: &Path, prefix: &str) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let base = format!(
            "http://{}{}",
            listener.local_addr().expect("addr"),
            prefix.trim_end_matches('/')
        );
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (dir, prefix, log) = (
            dir.to_path_buf(),
            format!("{}/", prefix.trim_end_matches('/')),
            requests.clone(),
        );
        // The thread lives as long as the test process; each test has its own server.
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut request = String::new();
                if reader.read_line(&mut request).is_err() {
                    continue;
                }
                loop {
                    let mut header = String::new();
                    match reader.read_line(&mut header) {
                        Ok(0) | Err(_) => break,
                        Ok(_) if header == "\r\n" || header == "\n" => break,
                        Ok(_) => {}
                    }
                }
                let path = request.split(' ').nth(1).unwrap_or("").to_string();
                log.lock().expect("log").push(path.clone());
                let file = path
                    .strip_prefix(&prefix)
                    .filter(|name| !name.is_empty() && !name.contains('/') && !name.contains(".."))
                    .map(|name| dir.join(name))
                    .filter(|f| f.is_file());
                let (status, body) = match file {
                    Some(f) => ("200 OK", std::fs::read(f).expect("read")),
                    None => ("404 Not Found", b"Not Found".to_vec()),
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            }
        });
        Server { base, requests }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("log").clone()
    }
}

// ---------------------------------------------------------------------------------------
// The scripts
// ---------------------------------------------------------------------------------------

/// A script run with nothing of the caller's environment but what finds the toolchain: the
/// tests also run on GitHub runners, whose RUNNER_OS, GITHUB_OUTPUT, proxies and WXSYNC_*
/// must not leak in. Its temporary files go to `tmp`.
fn script(name: &str, tmp: &Path) -> Command {
    let mut cmd = Command::new("bash");
    cmd.arg(repo_file(name)).env_clear();
    for var in [
        "PATH",
        "HOME",
        "RUSTUP_HOME",
        "RUSTUP_TOOLCHAIN",
        "CARGO_HOME",
    ] {
        if let Some(v) = std::env::var_os(var) {
            cmd.env(var, v);
        }
    }
    cmd.env("TMPDIR", tmp).env("LC_ALL", "C");
    cmd
}

/// The host's archive, packaged once for all the tests here: (its directory, its path).
/// `WXSYNC_RELEASE_DIST=<dir>` takes it from a `scripts/package.sh` run instead (the stripped
/// `dist` build: `scripts/package.sh && WXSYNC_RELEASE_DIST=dist cargo test --test release`).
fn packaged() -> &'static (PathBuf, PathBuf) {
    static PACKAGED: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    PACKAGED.get_or_init(|| {
        if let Some(dist) = std::env::var_os("WXSYNC_RELEASE_DIST") {
            let dist = repo_file(".").join(dist);
            let archives: Vec<PathBuf> = std::fs::read_dir(&dist)
                .unwrap_or_else(|e| panic!("WXSYNC_RELEASE_DIST={}: {e}", dist.display()))
                .map(|e| e.expect("entry").path())
                .filter(|p| {
                    let name = file_name(p);
                    name.starts_with("wxsync-")
                        && name.ends_with(".tar.gz")
                        && name.contains(std::env::consts::ARCH)
                })
                .collect();
            assert_eq!(
                archives.len(),
                1,
                "one archive for this host in {}: {archives:?}",
                dist.display()
            );
            eprintln!("testing {}", archives[0].display());
            return (dist, archives[0].clone());
        }
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("release-package");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir");
        let out = script("scripts/package.sh", &dir)
            .arg("--bin")
            .arg(env!("CARGO_BIN_EXE_wxsync"))
            .arg("--out")
            .arg(dir.join("dist"))
            .output()
            .expect("run package.sh");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "package.sh failed:\n{stdout}\n{stderr}"
        );
        let archive = PathBuf::from(stdout.lines().last().expect("the archive's path"));
        assert!(archive.is_file(), "{stdout}\n{stderr}");
        (dir.join("dist"), archive)
    })
}

fn file_name(p: &Path) -> String {
    p.file_name().expect("name").to_string_lossy().into_owned()
}

/// One run of the install step.
struct Install {
    code: i32,
    stdout: String,
    stderr: String,
    outputs: Vec<(String, String)>,
    root: PathBuf,
    _dir: tempfile::TempDir,
}

impl Install {
    fn output(&self, key: &str) -> Option<&str> {
        self.outputs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn binary(&self) -> PathBuf {
        self.root.join("bin").join("wxsync")
    }

    #[track_caller]
    fn assert_code(&self, code: i32) -> &Install {
        assert_eq!(
            self.code, code,
            "install.sh exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// Runs `scripts/install.sh` as the action does, with `env` on top of a runner's variables.
fn install(env: &[(&str, &str)]) -> Install {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("tool-cache");
    let output = dir.path().join("github_output");
    let mut cmd = script("scripts/install.sh", dir.path());
    // A HOME of its own: no ~/.curlrc changes what curl does.
    cmd.env("HOME", dir.path());
    cmd.env("VERSION", VERSION)
        .env("REPO", "wxsync/wxsync")
        .env("ROOT", &root)
        .env("GITHUB_OUTPUT", &output);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run install.sh");
    Install {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        outputs: std::fs::read_to_string(&output)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        root,
        _dir: dir,
    }
}

/// The target the host archive was packaged for (`wxsync-<target>.tar.gz`).
fn host_target(archive: &Path) -> String {
    file_name(archive)
        .strip_prefix("wxsync-")
        .and_then(|n| n.strip_suffix(".tar.gz"))
        .unwrap_or_else(|| panic!("not wxsync-<target>.tar.gz: {}", archive.display()))
        .to_string()
}

// ---------------------------------------------------------------------------------------
// The archive
// ---------------------------------------------------------------------------------------

#[test]
fn the_package_is_named_for_the_host_and_holds_the_binary_readme_and_licences() {
    let (_, archive) = packaged();
    let target = host_target(archive);
    assert!(
        target.starts_with(std::env::consts::ARCH),
        "{target} is not for this {} host",
        std::env::consts::ARCH
    );
    let os = match std::env::consts::OS {
        "macos" => "apple-darwin",
        other => other,
    };
    assert!(target.contains(os), "{target} is not for {os}");

    // The checksum file is one `sha256sum` line naming the asset, so `sha256sum -c` checks it.
    let name = file_name(archive);
    let sums = std::fs::read_to_string(archive.with_file_name(format!("{name}.sha256")))
        .expect("the .sha256 beside the archive");
    assert_eq!(sums, format!("{}  {name}\n", sha256_hex(archive)));

    // The members, at the archive's root; the binary executable.
    let out = Command::new("tar")
        .arg("-tvzf")
        .arg(archive)
        .output()
        .expect("tar");
    assert!(out.status.success());
    let listing = String::from_utf8_lossy(&out.stdout);
    let members: BTreeSet<&str> = listing
        .lines()
        .filter_map(|l| l.split_whitespace().last())
        .collect();
    assert_eq!(
        members,
        MEMBERS.iter().copied().collect::<BTreeSet<_>>(),
        "{listing}"
    );
    let binary = listing
        .lines()
        .find(|l| l.ends_with(" wxsync"))
        .expect("the binary");
    assert!(binary.starts_with("-rwxr-xr-x"), "{binary}");
}

#[test]
fn package_sh_refuses_a_binary_of_another_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fake = dir.path().join("wxsync");
    std::fs::write(&fake, "#!/bin/sh\necho wxsync 0.0.0\n").expect("write");
    let out = script("scripts/package.sh", dir.path())
        .arg("--bin")
        .arg(&fake)
        .arg("--out")
        .arg(dir.path().join("dist"))
        .output()
        .expect("run package.sh");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Not executable: `--version` cannot run. Made executable: the version is wrong.
    assert!(!out.status.success(), "{stderr}");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let out = script("scripts/package.sh", dir.path())
        .arg("--bin")
        .arg(&fake)
        .arg("--out")
        .arg(dir.path().join("dist"))
        .output()
        .expect("run package.sh");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "says 'wxsync 0.0.0', expected 'wxsync {}'",
            env!("CARGO_PKG_VERSION")
        )),
        "{stderr}"
    );
    assert!(!dir.path().join("dist").exists(), "nothing was packaged");
}

// ---------------------------------------------------------------------------------------
// The action's install step against it
// ---------------------------------------------------------------------------------------

#[test]
fn a_release_with_a_good_checksum_installs_a_binary_that_runs() {
    let (dist, archive) = packaged();
    let target = host_target(archive);
    let name = file_name(archive);
    let server = Server::start(dist, &format!("/{VERSION}"));
    let run = install(&[
        ("RUNNER_OS", "Linux"),
        ("RUNNER_ARCH", "X64"),
        ("WXSYNC_TARGET", &target),
        ("WXSYNC_DOWNLOAD_BASE", &server.base),
    ]);
    run.assert_code(0);
    assert_eq!(run.output("found"), Some("true"), "{}", run.stdout);
    assert_eq!(run.output("asset"), Some(name.as_str()));
    assert_eq!(
        server.requests(),
        [
            format!("/{VERSION}/{name}"),
            format!("/{VERSION}/{name}.sha256")
        ]
    );
    // It says which path it took, and the binary it put in ROOT/bin runs.
    assert!(
        run.stdout
            .contains(&format!("Installed wxsync {}", env!("CARGO_PKG_VERSION")))
            && run.stdout.contains(&format!(
                " from the release binary {name} of {VERSION} (checksum verified)"
            )),
        "{}",
        run.stdout
    );
    let out = Command::new(run.binary())
        .arg("--version")
        .output()
        .expect("run the installed wxsync");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.trim() == format!("wxsync {}", env!("CARGO_PKG_VERSION"))
            || said.starts_with(&format!("wxsync {} (", env!("CARGO_PKG_VERSION"))),
        "{said}"
    );
    // Only the binary is unpacked into bin/.
    let installed: Vec<String> = std::fs::read_dir(run.root.join("bin"))
        .expect("bin")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(installed, ["wxsync"]);
}

/// A release whose archive or checksum was tampered with: served from a copy of `dist`.
fn tampered(edit: impl FnOnce(&Path, &str)) -> (tempfile::TempDir, Server, String) {
    let (_, archive) = packaged();
    let name = file_name(archive);
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(archive, dir.path().join(&name)).expect("copy");
    std::fs::copy(
        archive.with_file_name(format!("{name}.sha256")),
        dir.path().join(format!("{name}.sha256")),
    )
    .expect("copy");
    edit(dir.path(), &name);
    let server = Server::start(dir.path(), &format!("/{VERSION}"));
    (dir, server, name)
}

#[track_caller]
fn assert_refused(run: &Install, message: &str) {
    run.assert_code(1);
    let errors: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("::error "))
        .collect();
    assert_eq!(errors.len(), 1, "one error annotation:\n{}", run.stdout);
    assert!(
        errors[0].starts_with(&format!("::error title=wxsync::{message}")),
        "{}",
        errors[0]
    );
    assert!(!run.binary().exists(), "nothing is installed");
    assert_eq!(run.output("found"), None, "neither found nor a fallback");
}

#[test]
fn a_corrupted_checksum_is_refused_with_an_error_naming_the_asset() {
    let (_dir, server, name) = tampered(|dir, name| {
        let file = dir.join(format!("{name}.sha256"));
        let text = std::fs::read_to_string(&file).expect("read");
        let flipped = if text.starts_with('0') { "1" } else { "0" };
        std::fs::write(&file, format!("{flipped}{}", &text[1..])).expect("write");
    });
    let (_, archive) = packaged();
    let run = install(&[
        ("WXSYNC_TARGET", &host_target(archive)),
        ("WXSYNC_DOWNLOAD_BASE", &server.base),
    ]);
    assert_refused(&run, &format!("{name} does not match its checksum"));
    assert!(
        run.stdout
            .contains(&format!("the download is {}", sha256_hex(archive))),
        "{}",
        run.stdout
    );
}

#[test]
fn a_corrupted_archive_is_refused_with_an_error_naming_the_asset() {
    let (_dir, server, name) = tampered(|dir, name| {
        let file = dir.join(name);
        let mut bytes = std::fs::read(&file).expect("read");
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x20;
        std::fs::write(&file, bytes).expect("write");
    });
    let (_, archive) = packaged();
    let run = install(&[
        ("WXSYNC_TARGET", &host_target(archive)),
        ("WXSYNC_DOWNLOAD_BASE", &server.base),
    ]);
    assert_refused(&run, &format!("{name} does not match its checksum"));
}

#[test]
fn an_asset_without_a_checksum_or_with_a_malformed_one_is_refused() {
    let (_, archive) = packaged();
    let target = host_target(archive);
    let (_dir, server, name) = tampered(|dir, name| {
        std::fs::remove_file(dir.join(format!("{name}.sha256"))).expect("rm");
    });
    let run = install(&[
        ("WXSYNC_TARGET", &target),
        ("WXSYNC_DOWNLOAD_BASE", &server.base),
    ]);
    assert_refused(&run, &format!("{name} has no {name}.sha256 beside it"));

    let (_dir, server, name) = tampered(|dir, name| {
        std::fs::write(
            dir.join(format!("{name}.sha256")),
            "<html>Not Found</html>\n",
        )
        .expect("write");
    });
    let run = install(&[
        ("WXSYNC_TARGET", &target),
        ("WXSYNC_DOWNLOAD_BASE", &server.base),
    ]);
    assert_refused(&run, &format!("{name}.sha256 holds no SHA-256 digest"));
}

#[test]
fn an_unreachable_release_is_an_error_not_a_silent_build_from_source() {
    // A port nothing listens on: bound, then closed.
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let (_, archive) = packaged();
    let run = install(&[
        ("WXSYNC_TARGET", &host_target(archive)),
        (
            "WXSYNC_DOWNLOAD_BASE",
            &format!("http://127.0.0.1:{port}/{VERSION}"),
        ),
    ]);
    assert_refused(&run, &format!("could not download {}", file_name(archive)));
}

// ---------------------------------------------------------------------------------------
// No asset: the fallback, and the names asked for
// ---------------------------------------------------------------------------------------

#[test]
fn each_runner_asks_for_its_asset_and_without_one_builds_from_source() {
    let empty = tempfile::tempdir().expect("tempdir");
    for (os, arch, asset) in RUNNERS {
        let server = Server::start(empty.path(), &format!("/{VERSION}"));
        let run = install(&[
            ("RUNNER_OS", os),
            ("RUNNER_ARCH", arch),
            ("WXSYNC_DOWNLOAD_BASE", &server.base),
        ]);
        run.assert_code(0);
        assert_eq!(
            server.requests(),
            [format!("/{VERSION}/{asset}")],
            "{os}/{arch}"
        );
        assert_eq!(run.output("found"), Some("false"), "{os}/{arch}");
        assert_eq!(run.output("asset"), Some(*asset), "{os}/{arch}");
        assert!(
            run.stdout.contains(&format!(
                "No release asset {asset} in wxsync {VERSION} ({}/{asset} is not there): building wxsync from source (cargo install --locked, cached).",
                server.base
            )),
            "{os}/{arch}:\n{}",
            run.stdout
        );
        assert!(!run.stdout.contains("::error"), "{}", run.stdout);
        assert!(!run.binary().exists());
    }
}

#[test]
fn a_runner_without_a_binary_or_a_ref_that_is_not_a_tag_builds_from_source_unasked() {
    let empty = tempfile::tempdir().expect("tempdir");
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("RUNNER_OS", "Linux"), ("RUNNER_ARCH", "ARM")],
            "No wxsync release binary is built for Linux/ARM: building wxsync from source",
        ),
        (
            &[("RUNNER_OS", "Windows"), ("RUNNER_ARCH", "ARM64")],
            "No wxsync release binary is built for Windows/ARM64: building wxsync from source",
        ),
        (
            &[
                ("RUNNER_OS", "Linux"),
                ("RUNNER_ARCH", "X64"),
                ("VERSION", "main"),
            ],
            "'main' is not a release tag (release tags start with v): building wxsync from source",
        ),
        (
            &[
                ("RUNNER_OS", "macOS"),
                ("RUNNER_ARCH", "ARM64"),
                ("VERSION", ""),
            ],
            "No release tag to install (the action's ref is empty; set the version input): building wxsync from source",
        ),
    ];
    for (env, message) in cases {
        let server = Server::start(empty.path(), &format!("/{VERSION}"));
        let mut env = env.to_vec();
        env.push(("WXSYNC_DOWNLOAD_BASE", &server.base));
        let run = install(&env);
        run.assert_code(0);
        assert!(run.stdout.contains(message), "{env:?}:\n{}", run.stdout);
        assert_eq!(run.output("found"), Some("false"), "{env:?}");
        assert!(server.requests().is_empty(), "{env:?}: nothing to fetch");
    }
}

#[test]
fn by_default_the_asset_comes_from_the_github_release_of_the_tag() {
    let empty = tempfile::tempdir().expect("tempdir");
    // GITHUB_SERVER_URL is how the runner names github.com (or a GitHub Enterprise host).
    let server = Server::start(empty.path(), "/");
    let run = install(&[
        ("RUNNER_OS", "Linux"),
        ("RUNNER_ARCH", "ARM64"),
        ("GITHUB_SERVER_URL", &server.base),
    ]);
    run.assert_code(0);
    assert_eq!(
        server.requests(),
        [format!(
            "/wxsync/wxsync/releases/download/{VERSION}/wxsync-aarch64-unknown-linux-musl.tar.gz"
        )]
    );
}

/// The assets the install step asks for are exactly what release.yml builds, named the way
/// package.sh names them.
#[test]
fn the_install_step_asks_for_the_targets_the_release_workflow_builds() {
    let text = std::fs::read_to_string(repo_file(".github/workflows/release.yml")).expect("read");
    let wf: serde_yaml::Value = serde_yaml::from_str(&text).expect("YAML");
    let built: BTreeSet<String> = wf["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_sequence()
        .expect("a matrix of targets")
        .iter()
        .map(|e| {
            let target = e["target"].as_str().expect("target");
            let ext = if target.contains("-windows-") {
                "zip"
            } else {
                "tar.gz"
            };
            format!("wxsync-{target}.{ext}")
        })
        .collect();
    let asked: BTreeSet<String> = RUNNERS.iter().map(|r| r.2.to_string()).collect();
    assert_eq!(built, asked);
}

// ---------------------------------------------------------------------------------------
// Release notes
// ---------------------------------------------------------------------------------------

fn notes(tag: &str, changelog: &str) -> (bool, String, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("CHANGELOG.md");
    std::fs::write(&file, changelog).expect("write");
    let out = script("scripts/release-notes.sh", dir.path())
        .arg(tag)
        .arg(&file)
        .output()
        .expect("run release-notes.sh");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn release_notes_are_the_dated_section_of_the_tag() {
    let changelog = "# Changelog\n\n## [Unreleased]\n\n- next\n\n## [1.2.0] - 2026-12-01\n\n### Added\n\n- one\n- two\n\n## [1.1.0] - 2026-11-01\n\n- old\n\n[Unreleased]: https://example.com\n";
    let (ok, stdout, stderr) = notes("v1.2.0", changelog);
    assert!(ok, "{stderr}");
    assert_eq!(stdout, "### Added\n\n- one\n- two\n");
    let (ok, stdout, _) = notes("v1.1.0", changelog);
    assert!(ok);
    assert_eq!(stdout, "- old\n");

    let (ok, _, stderr) = notes("v1.3.0", changelog);
    assert!(!ok);
    assert!(
        stderr.contains("no section '## [1.3.0] - YYYY-MM-DD'"),
        "{stderr}"
    );
    let (ok, _, stderr) = notes("v2.0.0", "## [2.0.0] - Unreleased\n\n- soon\n");
    assert!(!ok);
    assert!(stderr.contains("is not dated"), "{stderr}");
    // 1.2.0 is not 1.2.0.1 or 1x2x0.
    let (ok, _, _) = notes(
        "v1.2.0",
        "## [1.2.0.1] - 2026-12-01\n\n- a\n## [1x2x0] - 2026-12-01\n- b\n",
    );
    assert!(!ok);
}

#[test]
fn the_changelog_has_a_section_for_this_version() {
    let text = std::fs::read_to_string(repo_file("CHANGELOG.md")).expect("CHANGELOG.md");
    assert!(
        text.contains("\n## [Unreleased]\n"),
        "an Unreleased section"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with(&format!("## [{}] - ", env!("CARGO_PKG_VERSION")))),
        "a section for {}",
        env!("CARGO_PKG_VERSION")
    );
}
