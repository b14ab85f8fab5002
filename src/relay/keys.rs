//! The relay's key file: one hashed key a line (`sha256:<hex> NAME`), read again whenever its
//! bytes change, so deleting a line revokes that key without a restart. Keys are compared by
//! their SHA-256 in constant time; the file never holds a key itself.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::diag::Diagnostic;

/// A presented key shorter than this is refused before hashing; `--hash-key` refuses to hash
/// one (a guessable key defeats the point of a relay).
pub const MIN_KEY_LEN: usize = 20;

/// A key of the file: the SHA-256 of the key and the name it is logged and rate-limited by.
#[derive(Debug, Clone)]
struct Entry {
    digest: [u8; 32],
    name: String,
}

/// The line of the key file for `key`, named `name`.
pub fn hash_line(key: &str, name: &str) -> Result<String, String> {
    let key = key.trim();
    if key.chars().count() < MIN_KEY_LEN {
        return Err(format!(
            "the key is shorter than {MIN_KEY_LEN} characters; make one with e.g. \
             `openssl rand -base64 32`"
        ));
    }
    if name.is_empty() || name.chars().any(char::is_whitespace) {
        return Err("the key's name must be one word, e.g. `ci-main`".to_string());
    }
    Ok(format!(
        "sha256:{} {name}",
        hex::encode(Sha256::digest(key))
    ))
}

/// Parses the file's text: every entry, and a diagnostic per line that is not one.
fn parse(text: &str, file: &str) -> (Vec<Entry>, Vec<Diagnostic>) {
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (hash, name) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let name = name.split('#').next().unwrap_or("").trim();
        let digest = hash
            .strip_prefix("sha256:")
            .and_then(|h| hex::decode(h).ok())
            .and_then(|d| <[u8; 32]>::try_from(d).ok());
        let Some(digest) = digest else {
            problems.push(
                Diagnostic::error(
                    file,
                    "not a hashed key: expected `sha256:<64 hex digits> NAME`",
                )
                .at_line(n + 1, 1)
                .with_help(
                    "make the line with `wxsync relay --hash-key NAME < keyfile`; the file \
                         holds hashes, never keys",
                ),
            );
            continue;
        };
        let name = if name.is_empty() {
            // Unnamed keys are told apart in the log by their hash's first digits.
            format!("sha256:{}", &hex::encode(digest)[..8])
        } else {
            name.to_string()
        };
        entries.push(Entry { digest, name });
    }
    (entries, problems)
}

/// Equal in time independent of where the inputs differ.
fn ct_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Why a key could not be checked.
#[derive(Debug)]
pub enum KeyFileError {
    /// The file cannot be read: every key is refused until it can.
    Unreadable(String),
}

/// The key file, re-read on every check and re-parsed when its bytes changed.
#[derive(Debug)]
pub struct KeyFile {
    path: PathBuf,
    cached: Mutex<(Vec<u8>, Vec<Entry>)>,
}

impl KeyFile {
    /// Opens the file and checks every line: a line that is not a hashed key is an error here,
    /// at startup (later, while serving, it is skipped with a warning in the log).
    pub fn open(path: &Path) -> Result<KeyFile, Vec<Diagnostic>> {
        let file = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| {
            vec![
                Diagnostic::error(
                    &file,
                    format!("cannot read the key file: {}", crate::fs::io_reason(&e)),
                )
                .with_help("create it with lines made by `wxsync relay --hash-key NAME < keyfile`"),
            ]
        })?;
        let (entries, problems) = parse(&String::from_utf8_lossy(&bytes), &file);
        if !problems.is_empty() {
            return Err(problems);
        }
        if entries.is_empty() {
            return Err(vec![
                Diagnostic::error(
                    &file,
                    "the key file holds no key: every client would be refused",
                )
                .with_help("add a line made by `wxsync relay --hash-key NAME < keyfile`"),
            ]);
        }
        Ok(KeyFile {
            path: path.to_path_buf(),
            cached: Mutex::new((bytes, entries)),
        })
    }

    /// How many keys the file holds now.
    pub fn len(&self) -> usize {
        self.cached
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .1
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name of the key `presented`, if the file holds its hash now. Every entry is
    /// compared, in constant time, whichever matches. `warn` gets each problem of a changed file.
    pub fn check(
        &self,
        presented: &str,
        warn: impl Fn(&str),
    ) -> Result<Option<String>, KeyFileError> {
        let bytes = std::fs::read(&self.path)
            .map_err(|e| KeyFileError::Unreadable(crate::fs::io_reason(&e)))?;
        let mut cached = self.cached.lock().unwrap_or_else(|e| e.into_inner());
        if cached.0 != bytes {
            let (entries, problems) = parse(
                &String::from_utf8_lossy(&bytes),
                &self.path.display().to_string(),
            );
            for p in problems {
                warn(&format!(
                    "key file {}: line ignored: {}",
                    self.path.display(),
                    p.message
                ));
            }
            *cached = (bytes, entries);
        }
        if presented.len() < MIN_KEY_LEN {
            return Ok(None);
        }
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut found = None;
        for e in &cached.1 {
            if ct_eq(&e.digest, &digest) && found.is_none() {
                found = Some(e.name.clone());
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "k3y-for-the-unit-test-0123456789";

    #[test]
    fn hashed_keys_match_and_a_deleted_line_revokes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys");
        let line = hash_line(KEY, "ci").unwrap();
        assert!(!line.contains(KEY));
        let other = hash_line("another-key-0123456789abcdef", "laptop").unwrap();
        std::fs::write(&path, format!("# keys\n{line}\n{other}  # Ann's laptop\n")).unwrap();
        let keys = KeyFile::open(&path).unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys.check(KEY, |_| {}).unwrap().as_deref(), Some("ci"));
        assert_eq!(
            keys.check("wrong-key-0123456789abcdef", |_| {}).unwrap(),
            None
        );
        std::fs::write(&path, format!("{other}\n")).unwrap();
        assert_eq!(keys.check(KEY, |_| {}).unwrap(), None);
        std::fs::remove_file(&path).unwrap();
        assert!(keys.check(KEY, |_| {}).is_err());
    }

    #[test]
    fn bad_lines_and_weak_keys_are_refused() {
        assert!(hash_line("short", "ci").is_err());
        assert!(hash_line(KEY, "two words").is_err());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys");
        std::fs::write(&path, format!("{KEY} ci\n")).unwrap();
        let e = KeyFile::open(&path).unwrap_err();
        assert!(e[0].to_string().contains("not a hashed key"), "{}", e[0]);
        assert_eq!(e[0].line, Some(1));
        assert!(!e[0].to_string().contains(KEY), "{}", e[0]);
    }
}
