//! A host tree with some files' contents replaced in memory: how `fix` checks the text it
//! would write before anything is written.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use crate::load::fs::{Entry, HostFs, Kind, Refusal};

/// `base` with the files in `files` (keyed by their host path, links resolved) holding new text;
/// a path `base` does not have is a file the fixes add, listed in its directory.
#[derive(Debug)]
pub struct Overlay {
    pub base: super::Tree,
    pub files: HashMap<PathBuf, String>,
}

impl HostFs for Overlay {
    fn read_link(&self, path: &Path) -> io::Result<PathBuf> {
        self.base.read_link(path)
    }

    fn kind(&self, path: &Path) -> Option<Kind> {
        self.base.kind(path).or_else(|| {
            let path = self.base.identity(path);
            if self.files.contains_key(&path) {
                Some(Kind::File)
            } else {
                // A directory a fix adds, to hold the file it adds.
                self.files
                    .keys()
                    .any(|added| added.starts_with(&path))
                    .then_some(Kind::Dir)
            }
        })
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<Entry>> {
        let dir = self.base.identity(path);
        let mut entries = match self.base.read_dir(path) {
            Err(e) if self.files.keys().any(|added| added.starts_with(&dir)) => {
                if e.kind() != io::ErrorKind::NotFound {
                    return Err(e);
                }
                Vec::new()
            }
            other => other?,
        };
        for added in self.files.keys() {
            if let (Some(parent), Some(name)) = (added.parent(), added.file_name())
                && parent == dir
                && !entries.iter().any(|e| e.name == name)
            {
                entries.push(Entry {
                    name: name.to_os_string(),
                    is_symlink: false,
                });
            }
        }
        Ok(entries)
    }

    fn read(&self, path: &Path, limit: u64) -> io::Result<Vec<u8>> {
        match self.files.get(&self.base.identity(path)) {
            Some(text) if text.len() as u64 > limit => Err(Refusal::TooBig { limit }.into()),
            Some(text) => Ok(text.clone().into_bytes()),
            None => self.base.read(path, limit),
        }
    }

    fn confine(&self, path: &Path) -> io::Result<PathBuf> {
        self.base.confine(path)
    }

    fn shown(&self, path: &Path) -> String {
        self.base.shown(path)
    }

    fn label(&self) -> String {
        self.base.label()
    }

    fn is_system(&self) -> bool {
        self.base.is_system()
    }
}
