//! Ansible's INI inventory plugin (ansible-core 2.18 `plugins/inventory/ini.py`), and the plain
//! list of hosts, which is the same reading without sections and variables plus `user@`.
//!
//! Kept from Ansible: lines split as Python's `splitlines` splits them; `#` and `;` comment a
//! whole line; a host line is split as `shlex.split(line, comments=True)` does (quotes,
//! backslashes, and `#` starting a comment anywhere outside quotes, so `;` in the middle of a
//! line is not one); a `[group:vars]` line is `key = value` with nothing stripped after the
//! value (a `#` there is part of a text value); values go through `ast.literal_eval`; section
//! names have their non-word characters made `_` (Ansible forces it for INI) while names under
//! `[group:children]` are taken as written; a group used in `[group:children]` or
//! `[group:vars]` before its own section is fine if the section comes later.

use super::address::{RangeError, expand, parse_address};
use super::value::{Value, ini_value};
use super::{Builder, InventoryError, Set};
use crate::limits;

/// Python's `str.splitlines`: every line boundary Python knows, not only `\n`.
pub(super) fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let cut = rest.find(|c: char| {
            matches!(
                c,
                '\n' | '\r'
                    | '\x0b'
                    | '\x0c'
                    | '\x1c'
                    | '\x1d'
                    | '\x1e'
                    | '\u{85}'
                    | '\u{2028}'
                    | '\u{2029}'
            )
        });
        let Some(at) = cut else {
            let line = rest;
            rest = "";
            return Some(line);
        };
        let line = &rest[..at];
        let skip = if rest[at..].starts_with("\r\n") {
            2
        } else {
            rest[at..].chars().next().map_or(1, char::len_utf8)
        };
        rest = &rest[at + skip..];
        Some(line)
    })
}

/// Python's `str.isspace`.
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Python's `str.strip()`.
pub(super) fn strip(s: &str) -> &str {
    s.trim_matches(py_space)
}

/// `^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$`: a section header's group name and its tag.
pub(super) fn section(line: &str) -> Option<(&str, Option<&str>)> {
    let rest = line.strip_prefix('[')?;
    let name_len = rest.find(|c: char| c == ':' || c == ']' || py_space(c))?;
    if name_len == 0 {
        return None;
    }
    let name = &rest[..name_len];
    let mut rest = &rest[name_len..];
    let mut tag = None;
    if let Some(r) = rest.strip_prefix(':') {
        let n = r
            .find(|c: char| !(c == '_' || c.is_alphanumeric()))
            .unwrap_or(r.len());
        if n == 0 {
            return None;
        }
        tag = Some(&r[..n]);
        rest = &r[n..];
    }
    let rest = rest.strip_prefix(']')?.trim_start_matches(py_space);
    (rest.is_empty() || rest.starts_with('#')).then_some((name, tag))
}

/// `^([^:\]\s]+)\s*(?:#.*)?$`: a line under `[group:children]`.
fn group_name(line: &str) -> Option<&str> {
    let n = line
        .find(|c: char| c == ':' || c == ']' || py_space(c))
        .unwrap_or(line.len());
    let rest = line[n..].trim_start_matches(py_space);
    (n > 0 && (rest.is_empty() || rest.starts_with('#'))).then_some(&line[..n])
}

/// Ansible's `to_safe_group_name` with `force`: `^[\d\W]|[^\w]` becomes `_`.
fn safe_group_name(name: &str) -> String {
    name.chars()
        .enumerate()
        .map(|(i, c)| {
            let word = c == '_' || c.is_alphanumeric();
            if !word || (i == 0 && c.is_numeric()) {
                '_'
            } else {
                c
            }
        })
        .collect()
}

/// `shlex.split(line, comments=True)` (POSIX mode): `Err` for an open quote or a trailing
/// backslash, as Python raises.
fn shlex(line: &str) -> Result<Vec<String>, &'static str> {
    let mut tokens = Vec::new();
    let mut token: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\r' | '\n' => {
                tokens.extend(token.take());
            }
            '#' => break,
            '\\' => match chars.next() {
                Some(n) => token.get_or_insert_default().push(n),
                None => return Err("No escaped character"),
            },
            '\'' => {
                let t = token.get_or_insert_default();
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(n) => t.push(n),
                        None => return Err("No closing quotation"),
                    }
                }
            }
            '"' => {
                let t = token.get_or_insert_default();
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(n @ ('"' | '\\')) => t.push(n),
                            Some(n) => {
                                t.push('\\');
                                t.push(n);
                            }
                            None => return Err("No closing quotation"),
                        },
                        Some(n) => t.push(n),
                        None => return Err("No closing quotation"),
                    }
                }
            }
            _ => token.get_or_insert_default().push(c),
        }
    }
    tokens.extend(token);
    Ok(tokens)
}

enum State {
    Hosts,
    Children,
    Vars,
}

/// A group named before its own section: where, and for `[parent:children]`, under which
/// parents.
struct Pending {
    name: String,
    line: usize,
    vars: bool,
    parents: Vec<String>,
}

/// Reads an INI inventory into `b`; `list` reads a plain list of hosts instead.
pub(super) fn read(text: &str, b: &mut Builder, list: bool) -> Result<(), InventoryError> {
    let mut group = "ungrouped".to_string();
    let mut state = State::Hosts;
    let mut pending: Vec<Pending> = Vec::new();
    for (i, raw) in lines(text).enumerate() {
        let n = i + 1;
        let line = strip(raw);
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if list {
            host_line(b, line, n, &group, true)?;
            continue;
        }
        if let Some((name, tag)) = section(line) {
            group = safe_group_name(name);
            state = match tag.unwrap_or("hosts") {
                "hosts" => State::Hosts,
                "children" => State::Children,
                "vars" => State::Vars,
                other => {
                    return Err(b.error(
                        Some(n),
                        format!("section [{name}:{other}] has unknown type: {other}"),
                        "a section is [group], [group:vars] or [group:children]".into(),
                    ));
                }
            };
            let is_vars = matches!(state, State::Vars);
            if !b.has_group(&group) {
                if is_vars && !pending.iter().any(|p| p.name == group) {
                    pending.push(Pending {
                        name: group.clone(),
                        line: n,
                        vars: true,
                        parents: Vec::new(),
                    });
                }
                b.add_group(&group);
            }
            if !is_vars && let Some(at) = pending.iter().position(|p| p.name == group) {
                if pending[at].vars {
                    pending.remove(at);
                } else {
                    add_pending_children(b, &group, &mut pending, 0)?;
                }
            }
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            return Err(b.error(
                Some(n),
                format!("invalid section entry: {line:?}"),
                "a section header has no spaces and is [group], [group:vars] or [group:children]"
                    .into(),
            ));
        }
        match state {
            State::Hosts => host_line(b, line, n, &group, false)?,
            State::Vars => {
                let Some((k, v)) = line.split_once('=') else {
                    return Err(b.error(
                        Some(n),
                        format!("expected key=value, got: {line}"),
                        "a [group:vars] line is name=value".into(),
                    ));
                };
                let set = Set {
                    value: ini_value(strip(v)),
                    line: Some(n),
                    unsafe_text: false,
                };
                b.set_group_var(&group, strip(k), set)?;
            }
            State::Children => {
                let Some(child) = group_name(line) else {
                    return Err(b.error(
                        Some(n),
                        format!("expected group name, got: {line}"),
                        "a [group:children] line names one group".into(),
                    ));
                };
                if b.has_group(child) {
                    b.add_child(&group, child, Some(n))?;
                } else if let Some(p) = pending.iter_mut().find(|p| p.name == child) {
                    p.parents.push(group.clone());
                } else {
                    pending.push(Pending {
                        name: child.to_string(),
                        line: n,
                        vars: false,
                        parents: vec![group.clone()],
                    });
                }
            }
        }
    }
    if let Some(p) = pending.first() {
        return Err(if p.vars {
            b.error(
                Some(p.line),
                format!(
                    "section [{0}:vars] is not valid for undefined group: {0}",
                    p.name
                ),
                format!("add a [{}] section, or remove the variables", p.name),
            )
        } else {
            b.error(
                Some(p.line),
                format!(
                    "section [{}:children] includes undefined group: {}",
                    p.parents.last().map_or("", String::as_str),
                    p.name
                ),
                format!("add a [{}] section, or remove it from the children", p.name),
            )
        });
    }
    Ok(())
}

/// `_add_pending_children`: a group now declared joins the parents that named it.
fn add_pending_children(
    b: &mut Builder,
    group: &str,
    pending: &mut Vec<Pending>,
    depth: usize,
) -> Result<(), InventoryError> {
    let Some(at) = pending.iter().position(|p| p.name == group) else {
        return Ok(());
    };
    if depth > limits::MAX_GROUP_DEPTH {
        return Err(b.error(
            Some(pending[at].line),
            format!(
                "groups nest more than {} deep (at `{group}`)",
                limits::MAX_GROUP_DEPTH
            ),
            "flatten the group hierarchy".into(),
        ));
    }
    let line = pending[at].line;
    for parent in pending[at].parents.clone() {
        b.add_child(&parent, group, Some(line))?;
        if pending.iter().any(|p| p.name == parent && !p.vars) {
            add_pending_children(b, &parent, pending, depth + 1)?;
        }
    }
    pending.retain(|p| p.name != group);
    Ok(())
}

/// Ansible's `_expand_hostpattern`: the names one host pattern stands for, and its port.
pub(super) fn host_pattern(
    b: &mut Builder,
    pattern: &str,
    line: Option<usize>,
) -> Result<(Vec<String>, Option<u64>), InventoryError> {
    let (name, port) = parse_address(pattern).unwrap_or_else(|| (pattern.to_string(), None));
    if !name.contains('[') {
        return Ok((vec![name], port));
    }
    match expand(&name, b.range_budget()) {
        Ok(names) => Ok((names, port)),
        Err(RangeError::Invalid(m)) => Err(b.error(
            line,
            format!("host pattern {pattern:?}: {m}"),
            "write a range as [begin:end] or [begin:end:step], such as web[01:20] or db-[a:f]".into(),
        )),
        Err(RangeError::TooMany(count)) => Err(b.error(
            line,
            format!(
                "host pattern {pattern:?} expands to {} hosts, more than the {} hosts netvet reads in one inventory",
                limits::thousands(count),
                limits::thousands(limits::MAX_INVENTORY_HOSTS as u64)
            ),
            "check the range's bounds, or split the inventory".into(),
        )),
    }
}

fn host_line(
    b: &mut Builder,
    line: &str,
    n: usize,
    group: &str,
    list: bool,
) -> Result<(), InventoryError> {
    let tokens = shlex(line).map_err(|e| {
        b.error(
            Some(n),
            format!("error parsing host definition {line:?}: {e}"),
            "close the quote, or escape the character".into(),
        )
    })?;
    let Some(first) = tokens.first() else {
        return Err(b.error(
            Some(n),
            format!("no host in {line:?}"),
            "name a host".into(),
        ));
    };
    let (user, pattern) = match first.rsplit_once('@') {
        Some((u, h)) if list => (Some(u), h),
        _ => (None, first.as_str()),
    };
    if list && tokens.len() > 1 {
        return Err(b.error(
            Some(n),
            format!("more than one host on a line: {line:?}"),
            "a list of hosts names one host a line ([user@]host[:port]); for variables, write an Ansible inventory".into(),
        ));
    }
    let (names, port) = host_pattern(b, pattern, Some(n))?;
    if pattern.trim_matches(py_space).ends_with(':') && port.is_none() {
        return Err(b.error(
            Some(n),
            format!("invalid host pattern {pattern:?}: ending in ':' is not allowed, this character is reserved to provide a port"),
            "write host:port, or remove the colon".into(),
        ));
    }
    if names.iter().any(|h| strip(h) == "---") {
        return Err(b.error(
            Some(n),
            "invalid host pattern '---': this is normally a sign of a YAML file".into(),
            "start a YAML inventory with a mapping such as all:".into(),
        ));
    }
    let mut vars = Vec::new();
    for t in &tokens[1..] {
        let Some((k, v)) = t.split_once('=') else {
            return Err(b.error(
                Some(n),
                format!("expected key=value host variable assignment, got: {t}"),
                "write host variables as name=value; a comment starts with #".into(),
            ));
        };
        vars.push((k.to_string(), ini_value(v)));
    }
    if let Some(u) = user {
        vars.push(("ansible_user".into(), Value::Str(u.to_string())));
    }
    for name in names {
        let h = b.add_host(&name, group, port, Some(n))?;
        for (k, v) in &vars {
            b.set_host_var(
                h,
                k,
                Set {
                    value: v.clone(),
                    line: Some(n),
                    unsafe_text: false,
                },
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shlex_as_python_splits() {
        assert_eq!(shlex("a#b c").unwrap(), ["a"]);
        assert_eq!(shlex("a=\"x y\" b=c#d").unwrap(), ["a=x y", "b=c"]);
        assert_eq!(shlex("a='x'y").unwrap(), ["a=xy"]);
        assert_eq!(shlex("a=1 ;x").unwrap(), ["a=1", ";x"]);
        assert!(shlex("a='x").is_err());
    }

    #[test]
    fn sections_and_group_names() {
        assert_eq!(section("[web]"), Some(("web", None)));
        assert_eq!(section("[web:vars] # c"), Some(("web", Some("vars"))));
        assert_eq!(section("[::1]:22"), None);
        assert_eq!(section("[web servers]"), None);
        assert_eq!(safe_group_name("web-servers"), "web_servers");
        assert_eq!(safe_group_name("1st"), "_st");
    }
}
