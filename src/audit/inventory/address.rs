//! Host names as Ansible reads them: `parse_address` (a name, an IPv4 or IPv6 address, with an
//! optional `:port` or `[...]:port`) and `expand_hostname_range` (`web[01:20]`, `db-[a:f]`,
//! `[0:10:2]`), from ansible-core 2.18's `parsing/utils/addresses.py` and
//! `plugins/inventory/__init__.py`.
//!
//! Both are reproduced with their quirks, because a name Ansible reads differently from netvet
//! is a host audited under the wrong name or at the wrong port: the IPv6 check accepts any
//! string that merely starts like an address (Python's regex alternation anchors only its
//! first branch), a name the checks refuse is kept whole, port included, and a letter range
//! finds its ends as substrings of `a..zA..Z`.

/// A host pattern split into the name (still holding any ranges) and the port written with it.
pub(crate) fn parse_address(address: &str) -> Option<(String, Option<u64>)> {
    let mut address = address.to_string();
    let mut port = None;
    if let Some((inner, p)) = bracketed_hostport(&address) {
        port = Some(p);
        address = inner;
    }
    if let Some((inner, p)) = hostport(&address) {
        port = Some(p);
        address = inner;
    }
    if ipv6(&address) || hostname(&address) {
        Some((address, port))
    } else {
        None
    }
}

/// A port as Python's `int()` reads `[0-9]+`; one too large for any port is kept as `u64::MAX`
/// so that it is refused later rather than wrapped.
fn port_number(digits: &str) -> u64 {
    digits.parse().unwrap_or(u64::MAX)
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `^\[(.+)\]:([0-9]+)$`
fn bracketed_hostport(s: &str) -> Option<(String, u64)> {
    let rest = s.strip_prefix('[')?;
    let at = rest.rfind("]:")?;
    let (inner, digits) = (&rest[..at], &rest[at + 2..]);
    (!inner.is_empty() && !inner.contains('\n') && all_digits(digits))
        .then(|| (inner.to_string(), port_number(digits)))
}

/// `^((?:[^:\[\]]|\[[^\]]*\])*):([0-9]+)$`: the first colon outside brackets must be followed
/// by digits only.
fn hostport(s: &str) -> Option<(String, u64)> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'[' => i += 1 + s[i + 1..].find(']')? + 1,
            b']' => return None,
            b':' => {
                let digits = &s[i + 1..];
                return all_digits(digits).then(|| (s[..i].to_string(), port_number(digits)));
            }
            _ => i += 1,
        }
    }
    None
}

/// One IPv6 component: 1 to 4 hex digits, or a hex range `[a:b]`/`[a:b:step]`; its length.
fn v6_component(s: &str) -> Option<usize> {
    if let Some(rest) = s.strip_prefix('[') {
        let end = rest.find(']')?;
        let parts: Vec<&str> = rest[..end].split(':').collect();
        let hex = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_hexdigit());
        let ok = (parts.len() == 2 || parts.len() == 3)
            && hex(parts[0])
            && hex(parts[1])
            && parts.get(2).is_none_or(|p| all_digits(p));
        return ok.then_some(end + 2);
    }
    let n = s.bytes().take(4).take_while(u8::is_ascii_hexdigit).count();
    (n > 0).then_some(n)
}

/// `k` components each followed by `sep`, from the start; the bytes they take.
fn v6_run(s: &str, k: usize, sep: u8) -> Option<usize> {
    let mut at = 0;
    for _ in 0..k {
        at += v6_component(&s[at..])?;
        if s.as_bytes().get(at) != Some(&sep) {
            return None;
        }
        at += 1;
    }
    Some(at)
}

/// Four components joined by dots, the IPv4 tail of an IPv4-in-IPv6 address.
fn v6_dotted(s: &str) -> Option<usize> {
    let at = v6_run(s, 3, b'.')?;
    Some(at + v6_component(&s[at..])?)
}

/// Ansible's IPv6 expression, which only its first branch anchors at the start and only its
/// last at the end: so a string is accepted when it starts like an address.
fn ipv6(s: &str) -> bool {
    if s.starts_with("::") {
        return true;
    }
    // (c:){1,6}: and every compressed form with something on the left start with c:...::.
    for k in 1..=6 {
        if let Some(at) = v6_run(s, k, b':')
            && s.as_bytes().get(at) == Some(&b':')
        {
            return true;
        }
    }
    // (c:){7}c, then anything.
    if let Some(at) = v6_run(s, 7, b':')
        && v6_component(&s[at..]).is_some()
    {
        return true;
    }
    let lower = s.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("0:0:0:0:0:0:")
        && v6_dotted(rest).is_some()
    {
        return true;
    }
    // The last branch, (0:){5}ffff:(c.){3}c, is anchored at the end.
    lower
        .strip_prefix("0:0:0:0:0:ffff:")
        .is_some_and(|rest| v6_dotted(rest) == Some(rest.len()))
}

/// Python's `\w` for text: letters, digits and `_` of any script.
fn word(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// An alphanumeric range inside a host name, `[a:f]` or `[01:20]` with an optional `:step`;
/// the bytes it takes.
fn name_range(s: &str) -> Option<usize> {
    let rest = s.strip_prefix('[')?;
    let end = rest.find(']')?;
    let parts: Vec<&str> = rest[..end].split(':').collect();
    let letter = |p: &str| p.len() == 1 && p.bytes().all(|b| b.is_ascii_alphabetic());
    let ends = (letter(parts[0]) && parts.get(1).is_some_and(|p| letter(p)))
        || (all_digits(parts[0]) && parts.get(1).is_some_and(|p| all_digits(p)));
    let ok = (parts.len() == 2 || parts.len() == 3)
        && ends
        && parts.get(2).is_none_or(|p| all_digits(p));
    ok.then_some(end + 2)
}

/// Ansible's host name expression: dot-separated labels of word characters, `-` and ranges,
/// each starting with a word character or a range and not ending with `-` or `_`.
fn hostname(s: &str) -> bool {
    s.split('.').all(|label| {
        let mut i = 0;
        let mut last = None;
        while i < label.len() {
            if label[i..].starts_with('[') {
                match name_range(&label[i..]) {
                    Some(n) => i += n,
                    None => return false,
                }
                last = Some(']');
            } else {
                let c = label[i..].chars().next().unwrap_or('\0');
                if !(word(c) || (c == '-' && i > 0)) {
                    return false;
                }
                i += c.len_utf8();
                last = Some(c);
            }
        }
        last.is_some_and(|c| c != '-' && c != '_')
    })
}

const ASCII_LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// The values one `[begin:end:step]` stands for.
enum Sequence {
    Letters(Vec<char>),
    Numbers {
        begin: i128,
        step: i128,
        count: u64,
        width: Option<usize>,
    },
}

/// The longest host name a range may make.
const MAX_NAME: usize = 255;

impl Sequence {
    /// The longest value, in bytes.
    fn widest(&self) -> usize {
        match self {
            Sequence::Letters(_) => 1,
            Sequence::Numbers {
                begin,
                step,
                count,
                width,
            } => {
                let last = begin + step * (*count as i128 - 1);
                let digits = |n: i128| n.to_string().len();
                digits(*begin).max(digits(last)).max(width.unwrap_or(0))
            }
        }
    }

    fn len(&self) -> u64 {
        match self {
            Sequence::Letters(l) => l.len() as u64,
            Sequence::Numbers { count, .. } => *count,
        }
    }

    fn get(&self, i: u64) -> String {
        match self {
            Sequence::Letters(l) => l[i as usize].to_string(),
            Sequence::Numbers {
                begin, step, width, ..
            } => {
                let n = begin + step * i as i128;
                match width {
                    Some(w) => zfill(n, *w),
                    None => n.to_string(),
                }
            }
        }
    }
}

/// Python's `str(n).zfill(width)`: zeros after the sign.
fn zfill(n: i128, width: usize) -> String {
    let digits = n.unsigned_abs().to_string();
    let sign = if n < 0 { "-" } else { "" };
    let pad = width.saturating_sub(digits.len() + sign.len());
    format!("{sign}{}{digits}", "0".repeat(pad))
}

/// Python's `int()` of a range bound: white space around, a sign, digits with single
/// underscores between them. Python also takes digits of other scripts; netvet refuses those
/// rather than guess (`None`).
pub(crate) fn py_int(s: &str) -> Option<i128> {
    let t = s.trim();
    let (negative, digits) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'_')
    {
        return None;
    }
    let plain: String = digits.chars().filter(|&c| c != '_').collect();
    // 30 digits are far beyond any range netvet expands; the bound keeps i128 from overflowing.
    if plain.trim_start_matches('0').len() > 30 {
        return None;
    }
    let n: i128 = plain.parse().ok()?;
    Some(if negative { -n } else { n })
}

/// Why a range could not be expanded, in Ansible's words where it has some.
pub(crate) enum RangeError {
    Invalid(String),
    TooMany(u64),
}

fn invalid(msg: &str) -> RangeError {
    RangeError::Invalid(msg.to_string())
}

/// One `begin:end[:step]`, as `expand_hostname_range` reads it.
fn sequence(nrange: &str) -> Result<Sequence, RangeError> {
    let bounds: Vec<&str> = nrange.split(':').collect();
    if bounds.len() != 2 && bounds.len() != 3 {
        return Err(invalid("host range must be begin:end or begin:end:step"));
    }
    let begin = if bounds[0].is_empty() { "0" } else { bounds[0] };
    let end = bounds[1];
    let step = bounds.get(2).copied().unwrap_or("1");
    if end.is_empty() {
        return Err(invalid("host range must specify end value"));
    }
    let width = if begin.starts_with('0') && begin.len() > 1 {
        if begin.len() != end.len() {
            return Err(invalid(
                "host range must specify equal-length begin and end formats",
            ));
        }
        Some(begin.len())
    } else {
        None
    };
    if let (Some(b), Some(e)) = (ASCII_LETTERS.find(begin), ASCII_LETTERS.find(end)) {
        if b > e {
            return Err(invalid("host range must have begin <= end"));
        }
        if let Some(s) = py_int(step).filter(|&s| s != 0) {
            // A negative step over begin <= end is Python's empty slice.
            let letters: Vec<char> = if s < 0 {
                Vec::new()
            } else {
                ASCII_LETTERS[b..=e]
                    .chars()
                    .step_by(usize::try_from(s).unwrap_or(usize::MAX))
                    .collect()
            };
            return Ok(Sequence::Letters(letters));
        }
    }
    let number = |s: &str| {
        py_int(s).ok_or_else(|| {
            RangeError::Invalid(format!(
                "`{s}` is not a number netvet reads in a host range (ASCII digits, an optional sign)"
            ))
        })
    };
    let (b, e, s) = (number(begin)?, number(end)?, number(step)?);
    if s == 0 {
        return Err(invalid("a host range's step must not be zero"));
    }
    // Python's range(b, e + 1, s).
    let stop = e + 1;
    let count = if s > 0 {
        if stop > b { (stop - b + s - 1) / s } else { 0 }
    } else if b > stop {
        (b - stop + (-s) - 1) / (-s)
    } else {
        0
    };
    Ok(Sequence::Numbers {
        begin: b,
        step: s,
        count: u64::try_from(count).unwrap_or(u64::MAX),
        width,
    })
}

/// `expand_hostname_range`: every name a pattern with `[...]` ranges stands for, at most
/// `budget` of them (more is `RangeError::TooMany` with the count, before any is made).
///
/// Ansible expands the first range and recurses on each result. A range's values hold no
/// brackets, so every later range lies in the text after the first one and is the same for
/// each value: the names are the product of the ranges, taken left to right. As in Ansible,
/// an empty range ends the expansion with no names, before later ranges are read.
pub(crate) fn expand(line: &str, budget: u64) -> Result<Vec<String>, RangeError> {
    if line.contains('|') {
        return Err(invalid("a host range may not contain `|`"));
    }
    let mut parts: Vec<(String, Sequence)> = Vec::new();
    let mut rest = line.to_string();
    let mut total: u64 = 1;
    while rest.contains('[') {
        let replaced = rest.replacen('[', "|", 1).replacen(']', "|", 1);
        let pieces: Vec<&str> = replaced.split('|').collect();
        let [head, nrange, tail] = pieces[..] else {
            return Err(invalid("a host range must be closed by `]`"));
        };
        let seq = sequence(nrange)?;
        if seq.len() == 0 {
            return Ok(Vec::new());
        }
        total = total.saturating_mul(seq.len());
        if total > budget {
            return Err(RangeError::TooMany(total));
        }
        parts.push((head.to_string(), seq));
        rest = tail.to_string();
    }
    // The longest name the ranges make: past 255 bytes (a DNS name is at most 253) it is no
    // host name, and a zero-padded range could otherwise make every name megabytes long.
    let longest = rest.len()
        + parts
            .iter()
            .map(|(head, seq)| head.len() + seq.widest())
            .sum::<usize>();
    if longest > MAX_NAME {
        return Err(RangeError::Invalid(format!(
            "its names would be up to {longest} bytes long, more than the {MAX_NAME} of any host name"
        )));
    }
    let mut names = vec![String::new()];
    for (head, seq) in &parts {
        let mut next = Vec::with_capacity(names.len() * seq.len() as usize);
        for name in &names {
            for i in 0..seq.len() {
                next.push(format!("{name}{head}{}", seq.get(i)));
            }
        }
        names = next;
    }
    for name in &mut names {
        name.push_str(&rest);
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &str) -> Vec<String> {
        match expand(s, 1_000) {
            Ok(n) => n,
            Err(RangeError::Invalid(m)) => panic!("{s}: {m}"),
            Err(RangeError::TooMany(n)) => panic!("{s}: {n}"),
        }
    }

    #[test]
    fn addresses_as_ansible_reads_them() {
        let p = |s: &str| parse_address(s);
        assert_eq!(
            p("[fe80::1%eth0]:22"),
            Some(("fe80::1%eth0".into(), Some(22)))
        );
        assert_eq!(p("[::1]:2222"), Some(("::1".into(), Some(2222))));
        assert_eq!(p("fe80::1"), Some(("fe80::1".into(), None)));
        assert_eq!(p("web[01:03]:22"), Some(("web[01:03]".into(), Some(22))));
        assert_eq!(p("1:2"), Some(("1".into(), Some(2))));
        assert_eq!(p("a_:22"), None);
        assert_eq!(p("user@host"), None);
        assert_eq!(
            p("db-[a:f].example.com"),
            Some(("db-[a:f].example.com".into(), None))
        );
    }

    #[test]
    fn ranges_expand_like_ansible() {
        assert_eq!(names("web[01:03]"), ["web01", "web02", "web03"]);
        assert_eq!(names("db-[a:c]"), ["db-a", "db-b", "db-c"]);
        assert_eq!(names("h[0:10:5]"), ["h0", "h5", "h10"]);
        assert_eq!(names("[1:2]x[a:b]"), ["1xa", "1xb", "2xa", "2xb"]);
        assert_eq!(names("h[:1]"), ["h0", "h1"]);
        // A letter range's ends are found as substrings of a..zA..Z.
        assert_eq!(names("h[ab:c]"), ["ha", "hb", "hc"]);
        assert!(names("h[5:2]").is_empty());
        assert!(matches!(expand("h[01:9]", 10), Err(RangeError::Invalid(_))));
        assert!(matches!(
            expand("h[1:5:0]", 10),
            Err(RangeError::Invalid(_))
        ));
        assert!(matches!(expand("h[1:", 10), Err(RangeError::Invalid(_))));
        let padded = format!("h[{}:{}9]", "0".repeat(300), "0".repeat(299));
        assert!(matches!(expand(&padded, 10), Err(RangeError::Invalid(_))));
        assert!(matches!(
            expand("h[0:999999][0:999999]", 1_000_000),
            Err(RangeError::TooMany(1_000_000_000_000))
        ));
    }
}
