//! Finding sysctl files in systemd-sysctl's order.

use super::{Host, Root};

pub fn load(_root: &Root, _host: &mut Host) {}
