//! modprobe.d(5) files as kmod reads them. (Being written: see the contract in the helper brief.)

use super::{SyntaxError, Word};

#[derive(Debug, Default)]
pub struct ModprobeFile {
    pub commands: Vec<Command>,
    pub errors: Vec<SyntaxError>,
}

#[derive(Debug)]
pub enum Command {
    Options { module: Word, params: Vec<Param> },
}

#[derive(Debug)]
pub struct Param {
    pub name: Word,
    pub value: Option<Word>,
}

pub fn parse(_text: &str) -> ModprobeFile {
    ModprobeFile::default()
}
