//! The lockfile's journal (`wxsync.lock.journal`, beside the lockfile): while a sync runs,
//! each change it records is appended there and synced to disk, instead of the whole
//! lockfile being rewritten. Rewriting it after each of N pushes wrote O(N²) bytes and made a
//! first sync of 1,000 articles ten times the cost of its requests (BENCHMARKS.md).
//!
//! The run folds the journal into `wxsync.lock` at its end ([`Lockfile::save`] writes the
//! whole file and removes the journal). A run that died leaves it behind, and the next
//! [`Lockfile::load`] replays it, so the guarantees of a synced lockfile hold: what was
//! recorded before a call is on disk before the call is made.
//!
//! Each line is a JSON object of absolute values (this key now holds this entry; `null`: it is
//! gone), so a line replayed twice, or onto a lockfile it was already folded into, gives the
//! same state. A last line cut short by a crash was never synced whole: it is ignored, as an
//! interrupted atomic rename leaves the old file.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::diag::Diagnostic;
use crate::error::{Error, Result};
use crate::render::ContentHash;
use crate::site::ArticlePath;
use crate::sync::lock::{AssetEntry, Entry, Lockfile, Orphan};
use crate::wechat::MediaId;

/// What one recorded step changed.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
struct Delta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    appid: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    articles: BTreeMap<ArticlePath, Option<Entry>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    assets: BTreeMap<ContentHash, Option<AssetEntry>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    remote: BTreeMap<String, Option<ContentHash>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    orphans: BTreeMap<MediaId, Option<Orphan>>,
}

impl Delta {
    /// What turns `old` into `new`.
    fn between(old: &Lockfile, new: &Lockfile) -> Delta {
        Delta {
            appid: (new.appid != old.appid)
                .then(|| new.appid.clone())
                .flatten(),
            articles: changed(&old.articles, &new.articles),
            assets: changed(&old.assets, &new.assets),
            remote: changed(&old.remote, &new.remote),
            orphans: changed(&old.orphans, &new.orphans),
        }
    }

    fn is_empty(&self) -> bool {
        self == &Delta::default()
    }

    fn apply_to(self, lock: &mut Lockfile) {
        if self.appid.is_some() {
            lock.appid = self.appid;
        }
        set(&mut lock.articles, self.articles);
        set(&mut lock.assets, self.assets);
        set(&mut lock.remote, self.remote);
        set(&mut lock.orphans, self.orphans);
    }
}

/// The keys whose values differ, with their new values (`None`: removed). Both maps are
/// walked once, in order.
fn changed<K: Ord + Clone, V: PartialEq + Clone>(
    old: &BTreeMap<K, V>,
    new: &BTreeMap<K, V>,
) -> BTreeMap<K, Option<V>> {
    let mut out = BTreeMap::new();
    let (mut a, mut b) = (old.iter().peekable(), new.iter().peekable());
    loop {
        match (a.peek(), b.peek()) {
            (None, None) => break,
            (Some((k, _)), None) => {
                out.insert((*k).clone(), None);
                a.next();
            }
            (None, Some((k, v))) => {
                out.insert((*k).clone(), Some((*v).clone()));
                b.next();
            }
            (Some((ka, va)), Some((kb, vb))) => match ka.cmp(kb) {
                std::cmp::Ordering::Less => {
                    out.insert((*ka).clone(), None);
                    a.next();
                }
                std::cmp::Ordering::Greater => {
                    out.insert((*kb).clone(), Some((*vb).clone()));
                    b.next();
                }
                std::cmp::Ordering::Equal => {
                    if va != vb {
                        out.insert((*kb).clone(), Some((*vb).clone()));
                    }
                    a.next();
                    b.next();
                }
            },
        }
    }
    out
}

fn set<K: Ord, V>(map: &mut BTreeMap<K, V>, changes: BTreeMap<K, Option<V>>) {
    for (k, v) in changes {
        match v {
            Some(v) => map.insert(k, v),
            None => map.remove(&k),
        };
    }
}

/// The journal of a lockfile saved at `lock_file`.
pub fn path_of(lock_file: &Path) -> PathBuf {
    let mut name = lock_file.file_name().unwrap_or_default().to_os_string();
    name.push(".journal");
    lock_file.with_file_name(name)
}

/// Replays the journal left beside `lock_file` by a run that died, if there is one.
pub fn replay(lock_file: &Path, lock: &mut Lockfile) -> Result<()> {
    let path = path_of(lock_file);
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => return Err(Error::Read { path, source }),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut lines = text.split(|b| *b == b'\n').enumerate().peekable();
    while let Some((i, line)) = lines.next() {
        if line.is_empty() {
            continue;
        }
        match serde_json::from_slice::<Delta>(line) {
            Ok(d) => d.apply_to(lock),
            // The last line, without its newline: cut short by a crash before it was synced.
            Err(_) if lines.peek().is_none() => break,
            Err(e) => {
                return Err(Error::Invalid(vec![
                    Diagnostic::error(&name, format!("the lockfile's journal cannot be read: {e}"))
                        .at_line(i + 1, 1)
                        .with_help(
                            "wxsync writes it while a sync runs and folds it into the lockfile \
                             when the run ends; it was changed by something else. Restore it if \
                             you can: deleting it forgets what the interrupted run recorded, and \
                             its drafts would be created again",
                        ),
                ]));
            }
        }
    }
    Ok(())
}

/// Removes the journal once the lockfile holds everything it recorded.
pub fn remove(lock_file: &Path) -> Result<()> {
    let path = path_of(lock_file);
    match std::fs::remove_file(&path) {
        Ok(()) => {
            sync_dir(&path);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(Error::Write { path, source }),
    }
}

fn sync_dir(path: &Path) {
    if let Some(d) = path.parent()
        && let Ok(d) = File::open(if d.as_os_str().is_empty() {
            Path::new(".")
        } else {
            d
        })
    {
        let _ = d.sync_all();
    }
}

/// A run's journal: what is on disk (the lockfile and the lines appended since), to which
/// each [`Journal::record`] appends the difference.
pub struct Journal {
    path: PathBuf,
    file: Option<File>,
    durable: Lockfile,
}

impl Journal {
    /// Starts a run's journal. The lockfile is written whole first, which folds in any
    /// journal an earlier run left, so that the journal starts empty.
    pub fn begin(lock: &Lockfile, root: &Path) -> Result<Journal> {
        lock.save(root)?;
        Ok(Journal {
            path: path_of(&lock.file_in(root)),
            file: None,
            durable: lock.clone(),
        })
    }

    /// Appends what changed since the last record, and syncs it to disk.
    pub fn record(&mut self, lock: &Lockfile) -> Result<()> {
        let delta = Delta::between(&self.durable, lock);
        if delta.is_empty() {
            return Ok(());
        }
        let err = |source| Error::Write {
            path: self.path.clone(),
            source,
        };
        let mut line =
            serde_json::to_vec(&delta).map_err(|e| err(std::io::Error::other(e.to_string())))?;
        line.push(b'\n');
        if self.file.is_none() {
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .map_err(err)?;
            // The file's name must be on disk too, not only its bytes.
            sync_dir(&self.path);
            self.file = Some(f);
        }
        if let Some(f) = self.file.as_mut() {
            f.write_all(&line).map_err(err)?;
            f.sync_data().map_err(err)?;
        }
        delta.apply_to(&mut self.durable);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::lock::State;

    fn entry(id: &str) -> Entry {
        Entry {
            media_id: Some(MediaId::new(id)),
            hash: Some(ContentHash::of(id.as_bytes())),
            state: State::Synced,
            ..Entry::default()
        }
    }

    fn path(p: &str) -> ArticlePath {
        ArticlePath::from_relative(Path::new(p)).unwrap()
    }

    #[test]
    fn a_replayed_journal_gives_the_state_it_recorded_even_twice() {
        let dir = tempfile::tempdir().unwrap();
        let mut lock = Lockfile::default();
        lock.articles.insert(path("old.md"), entry("M0"));
        let mut j = Journal::begin(&lock, dir.path()).unwrap();
        lock.appid = Some("wx1".into());
        lock.articles.insert(path("a.md"), entry("M1"));
        j.record(&lock).unwrap();
        lock.articles.remove(&path("old.md"));
        lock.articles.get_mut(&path("a.md")).unwrap().index = 2;
        lock.orphans
            .insert(MediaId::new("-X"), Orphan { reason: "r".into() });
        j.record(&lock).unwrap();
        let file = Lockfile::path(dir.path());
        let mut replayed = Lockfile::load(dir.path()).unwrap();
        assert_eq!(replayed, lock);
        // Replaying onto the state it was folded into changes nothing.
        replay(&file, &mut replayed).unwrap();
        assert_eq!(replayed, lock);
        // Folding removes it.
        lock.save(dir.path()).unwrap();
        assert!(!path_of(&file).exists());
        assert_eq!(Lockfile::load(dir.path()).unwrap(), lock);
    }

    #[test]
    fn a_torn_last_line_is_ignored_and_a_torn_middle_line_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut lock = Lockfile::default();
        let mut j = Journal::begin(&lock, dir.path()).unwrap();
        lock.articles.insert(path("a.md"), entry("M1"));
        j.record(&lock).unwrap();
        let file = Lockfile::path(dir.path());
        let jp = path_of(&file);
        let whole = std::fs::read(&jp).unwrap();
        let mut torn = whole.clone();
        torn.extend_from_slice(br#"{"articles":{"b.md":{"media_id":"M"#);
        std::fs::write(&jp, &torn).unwrap();
        assert_eq!(Lockfile::load(dir.path()).unwrap(), lock);
        let mut bad = b"{not json\n".to_vec();
        bad.extend_from_slice(&whole);
        std::fs::write(&jp, &bad).unwrap();
        let e = Lockfile::load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("journal"), "{e}");
    }
}
