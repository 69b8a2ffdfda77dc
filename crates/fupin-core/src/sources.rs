//! Where rules come from: the embedded default set, a directory, or memory (browser, tests).
//!
//! A rule set is a handful of text files addressed by relative path:
//! `ruleset.toml`, `identify.rhai`, `exit.rhai`, `monitor.rhai`, `params/national.toml` and
//! any `params/regions/*.toml`. Rule tests (`tests/`) are not part of the rule set.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::RulesError;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));
}

/// The text files of one rule set, by relative path (`/`-separated).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleSources {
    files: BTreeMap<String, String>,
    origin: Origin,
}

/// Where a [`RuleSources`] was read from, so it can be read again on reload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Compiled into the binary.
    Embedded,
    /// A rules directory on disk.
    Directory(PathBuf),
    /// Given by the caller.
    Memory,
}

impl RuleSources {
    /// The default national rule set compiled into this binary.
    pub fn embedded() -> RuleSources {
        let files = embedded::FILES.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect();
        RuleSources { files, origin: Origin::Embedded }
    }

    /// Files given by the caller as `(relative path, text)`.
    pub fn from_files<P: Into<String>, T: Into<String>>(files: impl IntoIterator<Item = (P, T)>) -> RuleSources {
        let files = files.into_iter().map(|(p, t)| (p.into(), t.into())).collect();
        RuleSources { files, origin: Origin::Memory }
    }

    /// Reads a rules directory (an edited copy of `rules/`).
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<RuleSources, RulesError> {
        let dir = dir.as_ref();
        let mut files = BTreeMap::new();
        let io = |file: &Path, e: std::io::Error| RulesError::Io { file: file.display().to_string(), message: e.to_string() };
        let read_dir = |sub: &str, ext: &str, files: &mut BTreeMap<String, String>| -> Result<(), RulesError> {
            let path = dir.join(sub);
            if !sub.is_empty() && !path.is_dir() {
                return Ok(());
            }
            let mut entries: Vec<_> = std::fs::read_dir(&path).map_err(|e| io(&path, e))?.collect::<Result<_, _>>().map_err(|e| io(&path, e))?;
            entries.sort_by_key(|e| e.file_name());
            for entry in entries {
                let file = entry.path();
                if file.is_file() && file.extension().is_some_and(|x| x == ext) {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    let rel = if sub.is_empty() { name } else { format!("{sub}/{name}") };
                    files.insert(rel, std::fs::read_to_string(&file).map_err(|e| io(&file, e))?);
                }
            }
            Ok(())
        };
        read_dir("", "rhai", &mut files)?;
        read_dir("", "toml", &mut files)?;
        read_dir("params", "toml", &mut files)?;
        read_dir("params/regions", "toml", &mut files)?;
        Ok(RuleSources { files, origin: Origin::Directory(dir.to_path_buf()) })
    }

    /// Reads the same origin again (a directory is re-read; other origins are returned as is).
    pub fn reread(&self) -> Result<RuleSources, RulesError> {
        match &self.origin {
            Origin::Directory(dir) => RuleSources::from_dir(dir),
            _ => Ok(self.clone()),
        }
    }

    /// Where these sources came from.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// One file's text.
    pub fn get(&self, path: &str) -> Option<&str> {
        self.files.get(path).map(String::as_str)
    }

    /// A required file's text, or an error naming it.
    pub fn require(&self, path: &str) -> Result<&str, RulesError> {
        self.get(path).ok_or_else(|| RulesError::Io { file: path.to_string(), message: "required file is missing".into() })
    }

    /// All files, sorted by path.
    pub fn files(&self) -> impl Iterator<Item = (&str, &str)> {
        self.files.iter().map(|(p, t)| (p.as_str(), t.as_str()))
    }

    /// Replaces or adds one file (for editors and what-if tools).
    pub fn set(&mut self, path: impl Into<String>, text: impl Into<String>) {
        self.files.insert(path.into(), text.into());
        self.origin = Origin::Memory;
    }

    /// `sha256:` over every file's path and text, in path order.
    pub fn content_hash(&self) -> String {
        let mut hasher = Sha256::new();
        for (path, text) in &self.files {
            hasher.update((path.len() as u64).to_le_bytes());
            hasher.update(path.as_bytes());
            hasher.update((text.len() as u64).to_le_bytes());
            hasher.update(text.as_bytes());
        }
        let digest = hasher.finalize();
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("sha256:{hex}")
    }
}
