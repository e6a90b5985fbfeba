//! Ansible's host patterns (`--limit`, `ansible PATTERN`), from ansible-core 2.18's
//! `InventoryManager.get_hosts`: names of hosts or groups, `all` and `*`, shell globs, unions
//! with `,` (or `:` where that cannot be an address), `&group` intersections and `!group`
//! exclusions applied after every union whatever their place, and `group[0]`, `group[-1]`,
//! `group[1:3]` subscripts.
//!
//! Regular expressions (`~pattern`) are refused: Ansible runs them through Python's `re`,
//! whose backtracking and syntax no Rust engine reproduces exactly, and a pattern that selects
//! other hosts than Ansible's would audit the wrong machines.

use std::collections::HashSet;
use std::fmt;

use super::address::parse_address;
use super::{Inventory, group_hosts};

/// A host pattern netvet cannot evaluate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatternError {
    pub pattern: String,
    pub message: String,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "host pattern {:?}: {}", self.pattern, self.message)
    }
}

impl std::error::Error for PatternError {}

/// `split_host_pattern`.
fn split(pattern: &str) -> Vec<String> {
    let parts: Vec<String> = if pattern.contains(',') {
        pattern.split(',').map(str::to_string).collect()
    } else if parse_address(pattern).is_some() {
        vec![pattern.to_string()]
    } else {
        // (?:[^\s:\[\]]|\[[^\]]*\])+
        let mut out = Vec::new();
        let mut cur = String::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '[' {
                let mut group = String::from('[');
                let mut closed = false;
                for n in chars.by_ref() {
                    group.push(n);
                    if n == ']' {
                        closed = true;
                        break;
                    }
                }
                if closed {
                    cur.push_str(&group);
                    continue;
                }
                out.extend((!cur.is_empty()).then(|| std::mem::take(&mut cur)));
                // The unclosed bracket matches nothing; what followed it is read again.
                let rest: String = group[1..].to_string();
                out.extend(split(&rest));
                return out;
            }
            if c.is_whitespace() || c == ':' || c == ']' {
                out.extend((!cur.is_empty()).then(|| std::mem::take(&mut cur)));
            } else {
                cur.push(c);
            }
        }
        out.extend((!cur.is_empty()).then_some(cur));
        out
    };
    parts
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// `fnmatch.fnmatchcase`: `*`, `?`, `[set]`, `[!set]`; an unclosed `[` is itself.
fn glob(pattern: &[char], name: &[char]) -> bool {
    // Backtracking on the last `*` only: linear for one star, at most pattern x name.
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        let step = match pattern.get(p) {
            Some('*') => {
                star = Some((p, n));
                p += 1;
                continue;
            }
            Some('?') => Some(1),
            Some('[') => match class(&pattern[p..], name[n]) {
                Some((true, len)) => Some(len),
                Some((false, _)) => None,
                None => (name[n] == '[').then_some(1),
            },
            Some(c) => (*c == name[n]).then_some(1),
            None => None,
        };
        match step {
            Some(len) => {
                p += len;
                n += 1;
            }
            None => match star {
                Some((sp, sn)) => {
                    p = sp + 1;
                    n = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// A `[...]` set at the start of `pattern`: whether `c` is in it, and the set's length;
/// `None` when the bracket is not closed.
fn class(pattern: &[char], c: char) -> Option<(bool, usize)> {
    let mut j = 1;
    let negated = pattern.get(j) == Some(&'!');
    if negated {
        j += 1;
    }
    if pattern.get(j) == Some(&']') {
        j += 1;
    }
    while pattern.get(j).is_some_and(|c| *c != ']') {
        j += 1;
    }
    if j >= pattern.len() {
        return None;
    }
    let body = &pattern[1 + usize::from(negated)..j];
    let mut hit = false;
    let mut i = 0;
    while i < body.len() {
        if i + 2 < body.len() && body[i + 1] == '-' {
            if body[i] <= c && c <= body[i + 2] {
                hit = true;
            }
            i += 3;
        } else {
            hit |= body[i] == c;
            i += 1;
        }
    }
    // `[!]` is any character, as fnmatch.translate makes it.
    if negated && body.is_empty() {
        return Some((true, j + 1));
    }
    Some((hit != negated, j + 1))
}

fn matches(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    glob(&p, &n)
}

/// `PATTERN_WITH_SUBSCRIPT`: `expr[i]`, `expr[a:b]`, `expr[a:]`, `expr[a-b]`.
fn subscript(pattern: &str) -> (&str, Option<(i64, Option<i64>)>) {
    let Some(body) = pattern.strip_suffix(']') else {
        return (pattern, None);
    };
    let Some(open) = body.rfind('[').filter(|&i| i > 0) else {
        return (pattern, None);
    };
    let (expr, inner) = (&body[..open], &body[open + 1..]);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let num = |s: &str| s.parse::<i64>().ok();
    let single = inner.strip_prefix('-').unwrap_or(inner);
    if digits(single) {
        return match num(inner) {
            Some(i) => (expr, Some((i, None))),
            None => (pattern, None),
        };
    }
    if let Some(sep) = inner.find([':', '-']) {
        let (a, b) = (&inner[..sep], &inner[sep + 1..]);
        if digits(a) && (b.is_empty() || digits(b)) {
            let end = if b.is_empty() { Some(-1) } else { num(b) };
            if let (Some(a), Some(end)) = (num(a), end) {
                return (expr, Some((a, Some(end))));
            }
        }
    }
    (pattern, None)
}

/// The hosts one pattern (without `&`/`!`) names, as host indexes in Ansible's order.
fn one(inv: &Inventory, pattern: &str) -> Result<Vec<usize>, PatternError> {
    let err = |message: String| PatternError {
        pattern: pattern.to_string(),
        message,
    };
    if pattern.is_empty() {
        return Err(err("`&` or `!` must be followed by a host or group".into()));
    }
    if pattern.starts_with('~') {
        return Err(err(
            "netvet does not evaluate regular expressions (~...): Python's re, which Ansible uses, \
             cannot be reproduced exactly; name the hosts or groups, or use a glob such as web*"
                .into(),
        ));
    }
    let (expr, sub) = subscript(pattern);
    let mut hosts = Vec::new();
    let mut matched_group = false;
    for (g, group) in inv.groups.iter().enumerate() {
        if matches(expr, &group.name) {
            matched_group = true;
            hosts.extend(group_hosts(&inv.groups, g));
            // Every host is in `all` (group 0), so without a subscript, which counts the
            // repeats, nothing after it adds a host: `*` costs one walk, not one per group.
            if g == 0 && sub.is_none() {
                return Ok(hosts);
            }
        }
    }
    if !matched_group || expr.contains(['.', '?', '*', '[']) {
        hosts.extend(
            inv.defined
                .iter()
                .copied()
                .filter(|&h| matches(expr, &inv.hosts[h].name)),
        );
    }
    let Some((start, end)) = sub else {
        return Ok(hosts);
    };
    if hosts.is_empty() {
        return Ok(hosts);
    }
    let len = hosts.len() as i64;
    // Python's indexing and slicing.
    let clamp = |i: i64| if i < 0 { (i + len).max(0) } else { i.min(len) };
    match end {
        Some(end) if end != 0 => {
            let end = if end == -1 { len - 1 } else { end };
            let (a, b) = (clamp(start), clamp(end.saturating_add(1)));
            Ok(if a < b {
                hosts[a as usize..b as usize].to_vec()
            } else {
                Vec::new()
            })
        }
        _ => {
            let i = if start < 0 { start + len } else { start };
            if (0..len).contains(&i) {
                Ok(vec![hosts[i as usize]])
            } else {
                Err(err(format!(
                    "no hosts matched the subscripted pattern: the pattern selects {len} hosts"
                )))
            }
        }
    }
}

/// `get_hosts(pattern)`: unions in order, then intersections, then exclusions, each host once.
pub(super) fn select(inv: &Inventory, pattern: &str) -> Result<Vec<usize>, PatternError> {
    let parts = split(pattern);
    if let Some(file) = parts.iter().find(|p| p.starts_with('@')) {
        return Err(PatternError {
            pattern: file.clone(),
            message: "netvet does not read a limit file (@FILE), as ansible --limit does: \
                      name the hosts or groups instead"
                .into(),
        });
    }
    let mut regular: Vec<&str> = Vec::new();
    let mut and: Vec<&str> = Vec::new();
    let mut not: Vec<&str> = Vec::new();
    for p in &parts {
        if let Some(r) = p.strip_prefix('!') {
            not.push(r);
        } else if let Some(r) = p.strip_prefix('&') {
            and.push(r);
        } else {
            regular.push(p);
        }
    }
    if regular.is_empty() {
        regular.push("all");
    }
    let mut hosts: Vec<usize> = Vec::new();
    let mut seen = HashSet::new();
    for p in regular {
        let found = match inv.by_name.get(p) {
            Some(&h) => vec![h],
            None => one(inv, p)?,
        };
        for h in found {
            if seen.insert(h) {
                hosts.push(h);
            }
        }
    }
    for p in and {
        let that: HashSet<usize> = one(inv, p)?.into_iter().collect();
        hosts.retain(|h| that.contains(h));
    }
    for p in not {
        let that: HashSet<usize> = one(inv, p)?.into_iter().collect();
        hosts.retain(|h| !that.contains(h));
    }
    Ok(hosts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_expressions_and_limit_files_are_refused() {
        let inv = super::super::parse("[web]\nw1\n", std::path::Path::new("hosts")).unwrap();
        let e = inv.limit("~w.*").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("host pattern \"~w.*\": netvet does not evaluate regular expressions"),
            "{e}"
        );
        assert!(
            inv.limit("@retry")
                .unwrap_err()
                .message
                .contains("limit file")
        );
        assert_eq!(
            inv.limit("web[5]").unwrap_err().message,
            "no hosts matched the subscripted pattern: the pattern selects 1 hosts"
        );
        assert!(inv.limit("nothing").unwrap().is_empty());
    }

    /// Found by the fuzzer: a pattern that names a host selects that host, before any group,
    /// in Ansible too, so `all` in an inventory with a host named `all` is that host.
    #[test]
    fn a_pattern_naming_a_host_selects_it_even_when_it_is_all() {
        let inv = super::super::parse("all\nother\n", std::path::Path::new("hosts")).unwrap();
        let names = |p: &str| -> Vec<String> {
            inv.limit(p)
                .unwrap()
                .iter()
                .map(|h| h.name.clone())
                .collect()
        };
        assert_eq!(names("all"), ["all"]);
        assert_eq!(names("*"), ["all", "other"]);
    }

    #[test]
    fn globs_as_fnmatch() {
        assert!(matches("web*", "web01"));
        assert!(matches("*", ""));
        assert!(matches("w?b[0-9]*", "web1x"));
        assert!(matches("[!a]b", "cb"));
        assert!(!matches("[!a]b", "ab"));
        assert!(matches("a[b", "a[b"));
        assert!(!matches("web", "web1"));
    }

    #[test]
    fn patterns_split_as_ansible() {
        assert_eq!(split("a,b[1], c[2:3] , d"), ["a", "b[1]", "c[2:3]", "d"]);
        assert_eq!(split("web:&prod:!db"), ["web", "&prod", "!db"]);
        assert_eq!(split("web[1:3]"), ["web[1:3]"]);
        assert_eq!(split("::1"), ["::1"]);
        assert_eq!(subscript("web[0]"), ("web", Some((0, None))));
        assert_eq!(subscript("web[1:]"), ("web", Some((1, Some(-1)))));
        assert_eq!(subscript("web[-1]"), ("web", Some((-1, None))));
    }
}
