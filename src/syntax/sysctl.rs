//! sysctl.d(5) files. (Being written: see the contract in the helper brief.)

use super::{SyntaxError, Word};

#[derive(Debug, Default)]
pub struct SysctlFile {
    pub entries: Vec<Entry>,
    pub errors: Vec<SyntaxError>,
}

#[derive(Debug)]
pub struct Entry {
    pub key: Word,
    pub value: Word,
}

pub fn parse(_text: &str) -> SysctlFile {
    SysctlFile::default()
}
