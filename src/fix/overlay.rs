//! A host tree with some files' contents replaced in memory: how `fix` checks the text it
//! would write before anything is written.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use crate::load::Root;
use crate::load::fs::{Entry, HostFs, Kind, Refusal};

/// `base` with the files in `files` (keyed by their host path, links resolved) holding new text.
#[derive(Debug)]
pub struct Overlay {
    pub base: Root,
    pub files: HashMap<PathBuf, String>,
}

impl HostFs for Overlay {
    fn read_link(&self, path: &Path) -> io::Result<PathBuf> {
        self.base.read_link(path)
    }

    fn kind(&self, path: &Path) -> Option<Kind> {
        self.base.kind(path)
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<Entry>> {
        self.base.read_dir(path)
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
