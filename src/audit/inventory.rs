//! The hosts `netvet audit` visits, read from an Ansible inventory (INI or YAML) or a plain list
//! of hosts, the way ansible-core 2.18 reads them.
//!
//! Pure parsing: the caller reads the file (under [`limits::MAX_FILE_BYTES`]) and hands the
//! text over with its path, which only names the file in messages.
//!
//! The format is decided from the content, not the name (an inventory is often called `hosts`):
//! - **YAML** when the first line that is not blank or a `#` comment is `---`, starts with `{`,
//!   or is a mapping key at the start of the line (`all:`, `web: {hosts: ...}`);
//! - **INI** when any line is a `[section]` header or holds `=` (a host's `key=value`);
//! - otherwise a **plain list**: one host a line, `host`, `host:port`, `[v6]:port`, ranges,
//!   and `user@` in front of any of them, `#` and `;` comment lines and blank lines. Such a
//!   file reads exactly as Ansible reads it as INI (ungrouped hosts), except `user@host`,
//!   which Ansible would take as the host's name.
//!
//! Ansible itself tries its plugins in turn (YAML, then INI) and keeps the first that reads
//! the file; deciding from the content instead gives one error message, from the format the
//! file was meant to be in, rather than the last plugin's.
//!
//! Ansible's own order and precedence are kept: hosts come in the order of `ansible all
//! --list-hosts` (the `all` group's hosts, then its child groups' level by level), variables are
//! merged `all` first, then the host's groups by depth, `ansible_group_priority` and name, then
//! the host's own; `ansible_ssh_host`, `ansible_ssh_port` and `ansible_ssh_user` win over
//! `ansible_host`, `ansible_port` and `ansible_user` when both are set (the ssh connection
//! plugin reads the later name last), and a null value counts as unset. One gap is Ansible's:
//! it walks child groups below the first level through a Python set, so where two groups of
//! one level both have child groups, their hosts' order varies between Ansible runs; netvet
//! takes them in their parents' order.
//!
//! A value netvet cannot reproduce is never guessed: a Jinja template (`{{ ... }}`), which
//! only a play evaluates, or a value Python or PyYAML would turn into something else than
//! text gives the host an error. An error, not a warning: connecting to the template's text or
//! falling back to the inventory name could audit a different machine than the operator's
//! plays reach, and a report about the wrong host is worse than none. The other hosts are
//! still audited.

mod address;
mod ini;
mod pattern;
mod value;
mod yaml;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use crate::limits;

pub use pattern::PatternError;
use value::Value;

/// One host to audit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InventoryHost {
    /// The inventory name (`inventory_hostname`).
    pub name: String,
    /// `ansible_host`: where to connect, when it is not the name.
    pub address: Option<String>,
    /// `ansible_port`.
    pub port: Option<u16>,
    /// `ansible_user`.
    pub user: Option<String>,
    /// Every group the host is in, directly or through child groups, sorted, without `all`
    /// (Ansible's `group_names`).
    pub groups: Vec<String>,
    /// Why netvet cannot tell how to reach this host (a template, a value that is not text);
    /// the host is not to be audited. Names the file, the line and what to do.
    pub error: Option<String>,
}

/// A group: its direct hosts and child groups, in the file's order.
#[derive(Clone, Debug)]
struct Group {
    name: String,
    hosts: Vec<usize>,
    children: Vec<usize>,
}

/// The hosts of an inventory, in Ansible's order, and its groups.
#[derive(Clone, Debug)]
pub struct Inventory {
    /// In `ansible all --list-hosts` order.
    hosts: Vec<InventoryHost>,
    /// Host indexes (into `hosts`) in the order the file first names them, the order Ansible
    /// matches host names against a pattern in.
    defined: Vec<usize>,
    by_name: HashMap<String, usize>,
    /// Groups in the order they were created, `all` and `ungrouped` first.
    groups: Vec<Group>,
}

/// Why an inventory could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InventoryError {
    pub path: PathBuf,
    /// 1-based, when the problem is on one line.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub help: String,
}

impl fmt::Display for InventoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}: {}", self.path.display(), self.message)?,
            None => write!(f, "{}: {}", self.path.display(), self.message)?,
        }
        write!(f, " ({})", self.help)
    }
}

impl std::error::Error for InventoryError {}

/// Reads an inventory: YAML, INI or a plain list, decided from the text (see the module's
/// documentation).
pub fn parse(text: &str, path: &Path) -> Result<Inventory, InventoryError> {
    let mut b = Builder::new(path);
    if text.len() as u64 > limits::MAX_FILE_BYTES {
        return Err(b.error(
            None,
            format!(
                "the inventory is {} bytes, more than netvet reads ({} bytes)",
                limits::thousands(text.len() as u64),
                limits::thousands(limits::MAX_FILE_BYTES)
            ),
            "split it, or name the hosts to audit on the command line".into(),
        ));
    }
    match detect(text) {
        Format::Yaml => yaml::read(text, &mut b)?,
        Format::Ini => ini::read(text, &mut b, false)?,
        Format::List => ini::read(text, &mut b, true)?,
    }
    b.finish()
}

enum Format {
    Yaml,
    Ini,
    List,
}

fn detect(text: &str) -> Format {
    let lines = || ini::lines(text).map(ini::strip);
    let first = lines().find(|l| !l.is_empty() && !l.starts_with('#'));
    if let Some(first) = first {
        let key = first.split_once(':').is_some_and(|(k, v)| {
            !k.is_empty()
                && !k.contains('=')
                && !k.starts_with(['[', ';'])
                && (v.is_empty() || v.starts_with([' ', '\t']))
        });
        if first == "---" || first.starts_with('{') || key {
            return Format::Yaml;
        }
    }
    let ini = lines()
        .any(|l| !l.starts_with(['#', ';']) && (l.contains('=') || ini::section(l).is_some()));
    if ini { Format::Ini } else { Format::List }
}

/// The six variables netvet reads, in the order the ssh plugin reads them (a later one wins).
const VARS: [&str; 6] = [
    "ansible_host",
    "ansible_ssh_host",
    "ansible_port",
    "ansible_ssh_port",
    "ansible_user",
    "ansible_ssh_user",
];

/// A variable's value and the line that set it.
#[derive(Clone, Debug)]
struct Set {
    value: Value,
    line: Option<usize>,
    /// `!unsafe` in YAML: Ansible never templates it.
    unsafe_text: bool,
}

#[derive(Clone, Debug, Default)]
struct Vars([Option<Set>; 6]);

impl Vars {
    fn set(&mut self, key: &str, set: Set) {
        if let Some(i) = VARS.iter().position(|v| *v == key) {
            self.0[i] = Some(set);
        }
    }

    /// `other` on top of `self`, as `combine_vars` replaces keys.
    fn overlay(&mut self, other: &Vars) {
        for (mine, theirs) in self.0.iter_mut().zip(&other.0) {
            if theirs.is_some() {
                mine.clone_from(theirs);
            }
        }
    }
}

#[derive(Debug)]
struct BGroup {
    name: String,
    hosts: Vec<usize>,
    children: Vec<usize>,
    /// The line of each child edge, for a cycle's message.
    child_lines: Vec<Option<usize>>,
    parents: Vec<usize>,
    vars: Vars,
    priority: i128,
}

#[derive(Debug)]
struct BHost {
    name: String,
    vars: Vars,
    /// Groups the host was added to directly.
    groups: Vec<usize>,
}

/// Ansible's `InventoryData`: groups and hosts as the plugins add them.
struct Builder {
    path: PathBuf,
    groups: Vec<BGroup>,
    group_index: HashMap<String, usize>,
    hosts: Vec<BHost>,
    host_index: HashMap<String, usize>,
    /// (group, child group) and (group, host) pairs made, so that a group of thousands of
    /// children or hosts is not searched for each one added.
    edges: HashSet<(usize, usize)>,
    members: HashSet<(usize, usize)>,
    /// Entries taken so far: a host placed in a group, a group visited.
    entries: u64,
}

const ALL: usize = 0;
const UNGROUPED: usize = 1;

impl Builder {
    fn new(path: &Path) -> Self {
        let mut b = Builder {
            path: path.to_path_buf(),
            groups: Vec::new(),
            group_index: HashMap::new(),
            hosts: Vec::new(),
            host_index: HashMap::new(),
            edges: HashSet::new(),
            members: HashSet::new(),
            entries: 0,
        };
        b.add_group("all");
        b.add_group("ungrouped");
        b.groups[ALL].children.push(UNGROUPED);
        b.groups[ALL].child_lines.push(None);
        b.groups[UNGROUPED].parents.push(ALL);
        b
    }

    fn error(&self, line: Option<usize>, message: String, help: String) -> InventoryError {
        InventoryError {
            path: self.path.clone(),
            line,
            message,
            help,
        }
    }

    fn location(&self, line: Option<usize>) -> String {
        match line {
            Some(l) => format!("{}:{l}", self.path.display()),
            None => self.path.display().to_string(),
        }
    }

    /// Counts one entry against [`limits::MAX_INVENTORY_ENTRIES`].
    fn take(&mut self, n: u64, line: Option<usize>) -> Result<(), InventoryError> {
        self.entries = self.entries.saturating_add(n);
        if self.entries > limits::MAX_INVENTORY_ENTRIES {
            return Err(self.too_many(line));
        }
        Ok(())
    }

    fn too_many(&self, line: Option<usize>) -> InventoryError {
        self.error(
            line,
            format!(
                "the inventory holds more than {} entries (hosts placed in groups, groups visited)",
                limits::thousands(limits::MAX_INVENTORY_ENTRIES)
            ),
            "a range or a YAML alias probably expands further than meant; split the inventory or name fewer hosts".into(),
        )
    }

    /// The most names one range may expand to: no more than an inventory may hold hosts, and
    /// what the entry budget still allows.
    fn range_budget(&self) -> u64 {
        (limits::MAX_INVENTORY_HOSTS as u64)
            .min(limits::MAX_INVENTORY_ENTRIES.saturating_sub(self.entries))
    }

    fn has_group(&self, name: &str) -> bool {
        self.group_index.contains_key(name)
    }

    fn add_group(&mut self, name: &str) -> usize {
        if let Some(&i) = self.group_index.get(name) {
            return i;
        }
        self.groups.push(BGroup {
            name: name.to_string(),
            hosts: Vec::new(),
            children: Vec::new(),
            child_lines: Vec::new(),
            parents: Vec::new(),
            vars: Vars::default(),
            priority: 1,
        });
        self.group_index
            .insert(name.to_string(), self.groups.len() - 1);
        self.groups.len() - 1
    }

    /// `add_host`: the host, created with its `:port` the first time, placed in `group`.
    fn add_host(
        &mut self,
        name: &str,
        group: &str,
        port: Option<u64>,
        line: Option<usize>,
    ) -> Result<usize, InventoryError> {
        if name.is_empty() {
            return Err(self.error(
                line,
                "a host has an empty name".into(),
                "give the host a name".into(),
            ));
        }
        self.take(1, line)?;
        let h = match self.host_index.get(name) {
            Some(&h) => h,
            None if self.hosts.len() >= limits::MAX_INVENTORY_HOSTS => {
                return Err(self.error(
                    line,
                    format!(
                        "the inventory defines more than {} hosts",
                        limits::thousands(limits::MAX_INVENTORY_HOSTS as u64)
                    ),
                    "split the inventory, or audit part of it at a time".into(),
                ));
            }
            None => {
                let mut vars = Vars::default();
                // Ansible sets ansible_port from `host:port` only when the port is not 0.
                if let Some(p) = port.filter(|&p| p != 0) {
                    vars.set(
                        "ansible_port",
                        Set {
                            value: Value::Int(i128::from(p)),
                            line,
                            unsafe_text: false,
                        },
                    );
                }
                self.hosts.push(BHost {
                    name: name.to_string(),
                    vars,
                    groups: Vec::new(),
                });
                self.host_index
                    .insert(name.to_string(), self.hosts.len() - 1);
                self.hosts.len() - 1
            }
        };
        let g = self.group_index[group];
        if self.members.insert((g, h)) {
            self.groups[g].hosts.push(h);
            self.hosts[h].groups.push(g);
        }
        Ok(h)
    }

    /// `add_child`: a group under a group, or (as Ansible does) a host of that name into it.
    fn add_child(
        &mut self,
        parent: &str,
        child: &str,
        line: Option<usize>,
    ) -> Result<(), InventoryError> {
        self.take(1, line)?;
        let p = self.group_index[parent];
        if let Some(&c) = self.group_index.get(child) {
            if p == c {
                return Err(self.error(
                    line,
                    format!("group `{child}` is made a child of itself"),
                    "remove it from its own children".into(),
                ));
            }
            if self.edges.insert((p, c)) {
                self.groups[p].children.push(c);
                self.groups[p].child_lines.push(line);
                self.groups[c].parents.push(p);
            }
            return Ok(());
        }
        if self.host_index.contains_key(child) {
            self.add_host(child, parent, None, line)?;
            return Ok(());
        }
        Err(self.error(
            line,
            format!("`{child}` is not a known host nor group"),
            "define the group, or remove it from the children".into(),
        ))
    }

    fn set_host_var(&mut self, host: usize, key: &str, set: Set) {
        self.hosts[host].vars.set(key, set);
    }

    /// A group variable; `ansible_group_priority` is the group's place among its depth.
    fn set_group_var(&mut self, group: &str, key: &str, set: Set) -> Result<(), InventoryError> {
        let g = self.group_index[group];
        if key == "ansible_group_priority" {
            let priority = match &set.value {
                Value::Int(n) => Some(*n),
                Value::Str(s) => address::py_int(s),
                _ => None,
            };
            let Some(priority) = priority else {
                return Err(self.error(
                    set.line,
                    format!("ansible_group_priority of group `{group}` is not a whole number"),
                    "write a number, such as ansible_group_priority=10".into(),
                ));
            };
            self.groups[g].priority = priority;
            return Ok(());
        }
        self.groups[g].vars.set(key, set);
        Ok(())
    }

    /// `reconcile_inventory`, then the order, the membership and the variables of each host.
    fn finish(mut self) -> Result<Inventory, InventoryError> {
        for g in 1..self.groups.len() {
            if self.groups[g].parents.is_empty() {
                self.groups[ALL].children.push(g);
                self.groups[ALL].child_lines.push(None);
                self.groups[g].parents.push(ALL);
            }
        }
        let depth = self.depths()?;
        let ancestors: Vec<Vec<usize>> = (0..self.hosts.len())
            .map(|h| self.host_ancestors(h))
            .collect();
        // Ansible takes out of `ungrouped` the hosts that have another group and adds those
        // that have none, host by host; removals never touch a host added, so removing all
        // at once and then appending keeps its order without a search per host.
        let mut leave = HashSet::new();
        let mut join = Vec::new();
        for (h, anc) in ancestors.iter().enumerate() {
            if anc.contains(&UNGROUPED) {
                if anc.iter().any(|&g| g != ALL && g != UNGROUPED) {
                    leave.insert(h);
                    self.hosts[h].groups.retain(|&g| g != UNGROUPED);
                }
            } else if anc.iter().all(|&g| g == ALL) {
                join.push(h);
                self.hosts[h].groups.push(UNGROUPED);
            }
        }
        self.groups[UNGROUPED].hosts.retain(|h| !leave.contains(h));
        self.groups[UNGROUPED].hosts.extend(join);
        let groups: Vec<Group> = self
            .groups
            .iter()
            .map(|g| Group {
                name: g.name.clone(),
                hosts: g.hosts.clone(),
                children: g.children.clone(),
            })
            .collect();
        let order = group_hosts(&groups, ALL);
        let mut position = vec![usize::MAX; self.hosts.len()];
        let mut hosts = Vec::with_capacity(self.hosts.len());
        for (i, &h) in order.iter().enumerate() {
            position[h] = i;
            hosts.push(self.resolve(h, &depth));
        }
        let remap = |v: &[usize]| v.iter().map(|&h| position[h]).collect::<Vec<_>>();
        let groups = groups
            .into_iter()
            .map(|g| Group {
                hosts: remap(&g.hosts),
                ..g
            })
            .collect();
        let defined = remap(&(0..self.hosts.len()).collect::<Vec<_>>());
        let by_name = hosts
            .iter()
            .enumerate()
            .map(|(i, h): (usize, &InventoryHost)| (h.name.clone(), i))
            .collect();
        Ok(Inventory {
            hosts,
            defined,
            by_name,
            groups,
        })
    }

    /// Each group's depth, the longest path from `all` (Ansible's `Group.depth`); a cycle or a
    /// nesting deeper than [`limits::MAX_GROUP_DEPTH`] is an error.
    fn depths(&self) -> Result<Vec<usize>, InventoryError> {
        let n = self.groups.len();
        let mut indegree: Vec<usize> = self.groups.iter().map(|g| g.parents.len()).collect();
        let mut depth = vec![0usize; n];
        let mut queue: Vec<usize> = (0..n).filter(|&g| indegree[g] == 0).collect();
        let mut done = 0;
        while let Some(g) = queue.pop() {
            done += 1;
            for (k, &c) in self.groups[g].children.iter().enumerate() {
                depth[c] = depth[c].max(depth[g] + 1);
                if depth[c] > limits::MAX_GROUP_DEPTH {
                    return Err(self.error(
                        self.groups[g].child_lines[k],
                        format!(
                            "groups nest more than {} deep (at `{}`)",
                            limits::MAX_GROUP_DEPTH,
                            self.groups[c].name
                        ),
                        "flatten the group hierarchy".into(),
                    ));
                }
                indegree[c] -= 1;
                if indegree[c] == 0 {
                    queue.push(c);
                }
            }
        }
        if done < n {
            // A group left with parents is on a cycle or below one: name an edge of a cycle.
            let stuck = |g: usize| indegree[g] > 0;
            let mut g = (0..n).find(|&g| stuck(g)).unwrap_or(0);
            let mut seen = vec![false; n];
            while !seen[g] {
                seen[g] = true;
                g = self.groups[g]
                    .parents
                    .iter()
                    .copied()
                    .find(|&p| stuck(p))
                    .unwrap_or(g);
            }
            let parent = g;
            let (child, line) = self.groups[parent]
                .children
                .iter()
                .zip(&self.groups[parent].child_lines)
                .find(|(c, _)| stuck(**c))
                .map_or((parent, None), |(c, l)| (*c, *l));
            return Err(self.error(
                line,
                format!(
                    "adding group `{}` as child to `{}` creates a recursive dependency loop",
                    self.groups[child].name, self.groups[parent].name
                ),
                "a group cannot contain itself through its children: remove one of the edges"
                    .into(),
            ));
        }
        Ok(depth)
    }

    /// The groups a host is in, directly or through child groups, `all` included.
    fn host_ancestors(&self, h: usize) -> Vec<usize> {
        // A set of what was met, not a flag per group: a fleet of hosts over thousands of
        // groups would otherwise cost hosts x groups.
        let mut seen = HashSet::new();
        let mut stack: Vec<usize> = self.hosts[h].groups.clone();
        let mut out = Vec::new();
        while let Some(g) = stack.pop() {
            if !seen.insert(g) {
                continue;
            }
            out.push(g);
            stack.extend(&self.groups[g].parents);
        }
        out
    }

    /// The host with its variables merged in Ansible's precedence.
    fn resolve(&self, h: usize, depth: &[usize]) -> InventoryHost {
        let host = &self.hosts[h];
        let mut groups: Vec<usize> = self
            .host_ancestors(h)
            .into_iter()
            .filter(|&g| g != ALL)
            .collect();
        groups.sort_by(|&a, &b| {
            (depth[a], self.groups[a].priority, &self.groups[a].name).cmp(&(
                depth[b],
                self.groups[b].priority,
                &self.groups[b].name,
            ))
        });
        let mut vars = self.groups[ALL].vars.clone();
        for &g in &groups {
            vars.overlay(&self.groups[g].vars);
        }
        vars.overlay(&host.vars);
        let mut names: Vec<String> = groups
            .iter()
            .map(|&g| self.groups[g].name.clone())
            .collect();
        names.sort();
        let mut out = InventoryHost {
            name: host.name.clone(),
            address: None,
            port: None,
            user: None,
            groups: names,
            error: None,
        };
        let mut errors = Vec::new();
        // The ssh plugin's `host`, `port` and `remote_user`: the later name, when not null.
        let pick = |i: usize| {
            [i + 1, i].into_iter().find_map(|k| {
                vars.0[k]
                    .as_ref()
                    .filter(|s| s.value != Value::Null)
                    .map(|s| (VARS[k], s))
            })
        };
        if let Some((name, set)) = pick(0) {
            match self.text(name, set) {
                Ok(t) => out.address = Some(t),
                Err(e) => errors.push(e),
            }
        }
        if let Some((name, set)) = pick(2) {
            match self.port(name, set) {
                Ok(p) => out.port = Some(p),
                Err(e) => errors.push(e),
            }
        }
        if let Some((name, set)) = pick(4) {
            match self.text(name, set) {
                Ok(t) => out.user = Some(t),
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            out.error = Some(errors.join("; "));
        }
        out
    }

    fn text(&self, name: &str, set: &Set) -> Result<String, String> {
        let at = self.location(set.line);
        match &set.value {
            Value::Str(s) if !set.unsafe_text && is_template(s) => Err(format!(
                "{at}: {name} is a Jinja template ({s:?}), which only a play evaluates: netvet does not, \
                 and will not guess where it leads; set {name} to the address itself, or name the host \
                 by its address on the command line"
            )),
            Value::Str(s) if s.is_empty() => {
                Err(format!("{at}: {name} is empty; set it or remove it"))
            }
            Value::Str(s) => Ok(s.clone()),
            Value::Int(n) => Err(format!(
                "{at}: {name} is the number {n}, not text; quote it if it is meant"
            )),
            Value::Other(what) => Err(format!(
                "{at}: {name} is {what}, not text; write it as plain text"
            )),
            Value::Null => Err(format!("{at}: {name} is null")),
        }
    }

    fn port(&self, name: &str, set: &Set) -> Result<u16, String> {
        let at = self.location(set.line);
        let n = match &set.value {
            Value::Int(n) => Some(*n),
            Value::Str(s) if !set.unsafe_text && is_template(s) => {
                return Err(format!(
                    "{at}: {name} is a Jinja template ({s:?}), which only a play evaluates: netvet does \
                     not; set {name} to the port number"
                ));
            }
            Value::Str(s)
                if !s.is_empty() && s.len() <= 10 && s.bytes().all(|b| b.is_ascii_digit()) =>
            {
                s.parse().ok()
            }
            Value::Str(s) => return Err(format!("{at}: {name} is {s:?}, not a port number")),
            Value::Other(what) => return Err(format!("{at}: {name} is {what}, not a port number")),
            Value::Null => None,
        };
        n.and_then(|n| u16::try_from(n).ok())
            .filter(|&p| p != 0)
            .ok_or_else(|| format!("{at}: {name} is not a port number between 1 and 65535"))
    }
}

/// Ansible templates any text holding one of Jinja's openers.
fn is_template(s: &str) -> bool {
    s.contains("{{") || s.contains("{%") || s.contains("{#")
}

/// `Group.get_hosts`: the group's own hosts, then its descendants' level by level, each host
/// once.
fn group_hosts(groups: &[Group], g: usize) -> Vec<usize> {
    let mut seen_group = vec![false; groups.len()];
    let mut seen_host = HashMap::new();
    let mut out = Vec::new();
    let mut level = vec![g];
    seen_group[g] = true;
    while !level.is_empty() {
        let mut next = Vec::new();
        for &grp in &level {
            for &h in &groups[grp].hosts {
                if seen_host.insert(h, ()).is_none() {
                    out.push(h);
                }
            }
        }
        for &grp in &level {
            for &c in &groups[grp].children {
                if !std::mem::replace(&mut seen_group[c], true) {
                    next.push(c);
                }
            }
        }
        level = next;
    }
    out
}

impl Inventory {
    /// Every host, in the order `ansible all --list-hosts` gives.
    pub fn hosts(&self) -> &[InventoryHost] {
        &self.hosts
    }

    /// The hosts an Ansible host pattern selects (`--limit`), in Ansible's order.
    pub fn limit(&self, pattern: &str) -> Result<Vec<&InventoryHost>, PatternError> {
        Ok(pattern::select(self, pattern)?
            .into_iter()
            .map(|h| &self.hosts[h])
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Inventory, InventoryError> {
        parse(text, Path::new("/inv/hosts"))
    }

    fn err(text: &str) -> InventoryError {
        read(text).expect_err("an error")
    }

    fn names(inv: &Inventory) -> Vec<&str> {
        inv.hosts().iter().map(|h| h.name.as_str()).collect()
    }

    #[test]
    fn errors_name_the_file_the_line_and_what_to_do() {
        let e = err("[web]\nw1\n[web:oops]\n");
        assert_eq!(e.line, Some(3));
        assert_eq!(
            e.to_string(),
            "/inv/hosts:3: section [web:oops] has unknown type: oops \
             (a section is [group], [group:vars] or [group:children])"
        );
        let e = err("[web]\nw1 ansible_host='x\n");
        assert_eq!(
            (e.line, e.help.as_str()),
            (Some(2), "close the quote, or escape the character")
        );
        let e = err("[web]\nw1 oops\n");
        assert!(e.message.contains("expected key=value"), "{e}");
        let e = err("[web:children]\nmissing\n");
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("undefined group: missing"), "{e}");
        let e = err("[db:vars]\nansible_port=1\n");
        assert_eq!(e.line, Some(1));
        let e = err("[web]\nw[1:3:0]\n");
        assert!(e.help.contains("[begin:end]"), "{e}");
        let e = err("all:\n  hosts:\n    h1: [1, 2]\n");
        assert_eq!(e.line, Some(3), "{e}");
        let e = err("all:\n  hosts: {a: 1\n");
        assert!(e.message.starts_with("YAML syntax error"), "{e}");
        let e = err("all:\n  hosts:\n    1:\n");
        assert!(e.message.contains("must be text"), "{e}");
        let e = err("plugin: aws_ec2\n");
        assert!(e.help.contains("ansible-inventory"), "{e}");
    }

    #[test]
    fn a_template_is_an_error_on_its_host_only() {
        let inv = read("[t]\nt1 ansible_host=\"{{ x }}\"\nt2 ansible_host=198.18.0.2\n").unwrap();
        let [t1, t2] = inv.hosts() else { panic!() };
        let e = t1.error.as_deref().unwrap();
        assert!(
            e.starts_with("/inv/hosts:2: ansible_host is a Jinja template"),
            "{e}"
        );
        assert_eq!(t1.address, None);
        assert_eq!(
            (t2.address.as_deref(), &t2.error),
            (Some("198.18.0.2"), &None)
        );
        // !unsafe text is never templated, so it is an address.
        let inv = read("all:\n  hosts:\n    y:\n      ansible_host: !unsafe '{{x}}'\n").unwrap();
        assert_eq!(inv.hosts()[0].address.as_deref(), Some("{{x}}"));
    }

    #[test]
    fn a_value_that_is_not_text_is_an_error() {
        let inv =
            read("all:\n  hosts:\n    y:\n      ansible_user: yes\n      ansible_port: 0x16\n")
                .unwrap();
        let e = inv.hosts()[0].error.as_deref().unwrap();
        assert!(e.contains("ansible_user is a YAML boolean"), "{e}");
        assert!(e.contains("ansible_port is a YAML 1.1 number"), "{e}");
        let inv = read("[g]\nh ansible_port=70000\n").unwrap();
        assert!(
            inv.hosts()[0]
                .error
                .as_deref()
                .unwrap()
                .contains("between 1 and 65535")
        );
    }

    #[test]
    fn formats_are_told_apart() {
        let list = read("# hosts\nroot@a.example.com:2222\nb\n[2001:db8::1]:22\n").unwrap();
        assert_eq!(names(&list), ["a.example.com", "b", "2001:db8::1"]);
        let a = &list.hosts()[0];
        assert_eq!((a.user.as_deref(), a.port), (Some("root"), Some(2222)));
        assert_eq!(list.hosts()[2].port, Some(22));
        // In INI, user@host is the host's name, as Ansible reads it.
        let ini = read("root@a x=1\n").unwrap();
        assert_eq!(names(&ini), ["root@a"]);
        let yaml = read("---\nall:\n  hosts:\n    y1:\n").unwrap();
        assert_eq!(names(&yaml), ["y1"]);
        let e = err("a b\n");
        assert!(e.message.contains("more than one host"), "{e}");
    }

    #[test]
    fn a_range_past_the_bound_is_refused_before_it_is_made() {
        let e = err("[web]\nweb[0:99999999]\n");
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("expands to 100,000,000 hosts"), "{e}");
        let many: String = (0..4).map(|i| format!("r{i}-[0:29999]\n")).collect();
        let e = err(&many);
        assert!(e.message.contains("more than 100,000 hosts"), "{e}");
    }

    #[test]
    fn an_alias_bomb_is_refused() {
        // Merge keys that copy a mapping six times a level, 40 levels deep: PyYAML flattens
        // each mapping once, and so does netvet, so this reads at once.
        let mut text = String::from("x0: &a0 {ansible_port: 1}\n");
        for i in 1..40 {
            let p = i - 1;
            text.push_str(&format!(
                "x{i}: &a{i} {{<<: [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]}}\n"
            ));
        }
        text.push_str("all:\n  hosts:\n    h: *a39\n");
        assert_eq!(read(&text).unwrap().hosts()[0].port, Some(1));
        // Groups are walked as Ansible walks them, once per alias: that is the bomb.
        let mut text = String::from("all:\n  children:\n    g0: &g0 {hosts: {h: }}\n");
        for i in 1..30 {
            let p = i - 1;
            text.push_str(&format!(
                "    g{i}: &g{i} {{children: {{a{i}: *g{p}, b{i}: *g{p}, c{i}: *g{p}}}}}\n"
            ));
        }
        let e = err(&text);
        assert!(e.message.contains("entries"), "{e}");
    }

    #[test]
    fn deep_and_cyclic_groups_are_refused() {
        let e = err("[a:children]\nb\n[b:children]\na\n");
        assert!(e.message.contains("recursive dependency loop"), "{e}");
        assert!(e.line.is_some());
        let e = err("[a:children]\na\n");
        assert!(e.message.contains("child of itself"), "{e}");
        let mut deep = String::new();
        for i in 0..100 {
            deep.push_str(&format!("[g{i}:children]\ng{}\n", i + 1));
        }
        deep.push_str("[g100]\nh\n");
        let e = err(&deep);
        assert!(e.message.contains("nest more than 64 deep"), "{e}");
        let mut yaml = String::from("all:\n");
        for i in 0..80 {
            yaml.push_str(&format!(
                "{}children:\n{}  g{i}:\n",
                "  ".repeat(2 * i + 1),
                "  ".repeat(2 * i + 1)
            ));
        }
        let e = err(&yaml);
        assert!(e.message.contains("deep"), "{e}");
    }

    #[test]
    fn a_file_past_the_byte_bound_is_refused() {
        let big = "h\n".repeat((limits::MAX_FILE_BYTES / 2 + 1) as usize);
        let e = err(&big);
        assert!(e.message.contains("more than netvet reads"), "{e}");
    }
}
