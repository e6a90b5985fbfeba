//! Ansible's YAML inventory plugin (ansible-core 2.18 `plugins/inventory/yaml.py`) over
//! PyYAML's reading of the file.
//!
//! The file is read with saphyr-parser's event parser into a small tree. Aliases share the
//! anchored node (nothing is copied), so a "billion laughs" file costs only its own size to
//! hold; walking it is bounded by the inventory's entry budget (every group visited, every
//! host placed and every mapping pair read, a merge key's copies included, counts), and nesting by
//! [`limits::MAX_GROUP_DEPTH`]. Scalars are resolved as PyYAML's YAML 1.1 does (`yes` is a
//! boolean, `0022` octal), where saphyr would apply YAML 1.2; mappings as Ansible's
//! constructor builds them: `<<` merge keys, and a repeated key keeps its first place and
//! takes its last value.

use std::collections::HashMap;
use std::rc::Rc;

use saphyr_parser::{Event, Parser, ScalarStyle, Tag};

use super::ini::host_pattern;
use super::value::{Tagged, Value, yaml_plain};
use super::{Builder, InventoryError, Set};
use crate::limits;

/// How deep YAML may nest: each group level takes two (the group's mapping and its
/// `children`), plus room for variables' values.
const MAX_YAML_DEPTH: usize = 2 * limits::MAX_GROUP_DEPTH + 8;

enum Node {
    Scalar {
        text: String,
        style: ScalarStyle,
        tag: Option<Tag>,
        line: usize,
    },
    Seq(Vec<Rc<Node>>),
    Map(Vec<(Rc<Node>, Rc<Node>)>, usize),
}

impl Node {
    fn line(&self) -> Option<usize> {
        match self {
            Node::Scalar { line, .. } | Node::Map(_, line) => Some(*line),
            Node::Seq(_) => None,
        }
    }

    fn tagged(&self) -> Tagged {
        let Node::Scalar { tag, style, .. } = self else {
            return Tagged::Other;
        };
        match tag {
            None if *style == ScalarStyle::Plain => Tagged::None,
            None => Tagged::Str,
            Some(t)
                if t.suffix == "str" && (t.handle == "!!" || t.handle == "tag:yaml.org,2002:") =>
            {
                Tagged::Str
            }
            Some(t) if t.suffix == "unsafe" && t.handle == "!" => Tagged::Unsafe,
            Some(_) => Tagged::Other,
        }
    }

    /// The value Ansible's loader gives this node.
    fn value(&self) -> Value {
        match self {
            Node::Scalar { text, .. } => match self.tagged() {
                Tagged::None => yaml_plain(text),
                Tagged::Str | Tagged::Unsafe => Value::Str(text.clone()),
                Tagged::Other => Value::Other("a YAML value with a tag netvet does not read"),
            },
            Node::Seq(_) => Value::Other("a YAML list"),
            Node::Map(..) => Value::Other("a YAML mapping"),
        }
    }

    fn is_null(&self) -> bool {
        matches!(self, Node::Scalar { .. }) && self.value() == Value::Null
    }

    /// Python's falsiness, for `host: ...` whose value Ansible reads with `or {}`.
    fn falsy(&self) -> bool {
        match self {
            Node::Seq(v) => v.is_empty(),
            Node::Map(m, _) => m.is_empty(),
            Node::Scalar { text, .. } => match self.value() {
                Value::Null => true,
                Value::Str(s) => s.is_empty(),
                Value::Int(n) => n == 0,
                Value::Other(_) => matches!(
                    text.as_str(),
                    "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF"
                ),
            },
        }
    }
}

enum Frame {
    Seq(Vec<Rc<Node>>, usize),
    Map(Vec<Rc<Node>>, usize, usize),
}

/// The file's one document as a tree; `None` when it is empty.
fn load(text: &str, b: &Builder) -> Result<Option<Rc<Node>>, InventoryError> {
    let syntax = |line: usize, info: &str| {
        b.error(
            Some(line),
            format!("YAML syntax error: {info}"),
            "fix the YAML (an INI inventory starts with a [group] line)".into(),
        )
    };
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Rc<Node>> = HashMap::new();
    let mut root: Option<Rc<Node>> = None;
    let mut documents = 0;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| syntax(e.marker().line(), e.info()))?;
        let line = span.start.line();
        let node = match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(b.error(
                        Some(line),
                        "expected a single document in the stream, found another".into(),
                        "an inventory is one YAML document: remove the second `---`".into(),
                    ));
                }
                continue;
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if stack.len() >= MAX_YAML_DEPTH {
                    return Err(b.error(
                        Some(line),
                        format!("YAML nests more than {MAX_YAML_DEPTH} levels deep"),
                        "flatten the inventory".into(),
                    ));
                }
                stack.push(if matches!(event, Event::SequenceStart(..)) {
                    Frame::Seq(Vec::new(), anchor)
                } else {
                    Frame::Map(Vec::new(), anchor, line)
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Frame::Seq(items, anchor)) => (Rc::new(Node::Seq(items)), anchor),
                Some(Frame::Map(flat, anchor, line)) => {
                    let mut pairs = Vec::with_capacity(flat.len() / 2);
                    let mut it = flat.into_iter();
                    while let (Some(k), Some(v)) = (it.next(), it.next()) {
                        pairs.push((k, v));
                    }
                    (Rc::new(Node::Map(pairs, line)), anchor)
                }
                None => continue,
            },
            Event::Scalar(text, style, anchor, tag) => (
                Rc::new(Node::Scalar {
                    text: text.into_owned(),
                    style,
                    tag: tag.map(|t| t.into_owned()),
                    line,
                }),
                anchor,
            ),
            Event::Alias(id) => match anchors.get(&id) {
                Some(n) => (n.clone(), 0),
                None => {
                    return Err(b.error(
                        Some(line),
                        "a YAML alias refers to the node that holds it".into(),
                        "an alias must refer to a node that ends before it".into(),
                    ));
                }
            },
            _ => continue,
        };
        let (node, anchor) = node;
        if anchor != 0 {
            anchors.insert(anchor, node.clone());
        }
        match stack.last_mut() {
            Some(Frame::Seq(items, _)) => items.push(node),
            Some(Frame::Map(flat, ..)) => flat.push(node),
            None => root = Some(node),
        }
    }
    Ok(root)
}

type Pair = (Value, Rc<Node>, Rc<Node>);

/// Each mapping's pairs once built, by the node's address (the tree outlives the map):
/// PyYAML flattens a mapping's merge keys in place, once, however many aliases lead to it.
type Memo = HashMap<usize, Rc<Vec<Pair>>>;

/// A mapping's pairs as Ansible's loader builds the dict: merge keys flattened first, a
/// repeated key in its first place with its last value.
fn pairs(
    node: &Node,
    b: &mut Builder,
    depth: usize,
    memo: &mut Memo,
) -> Result<Rc<Vec<Pair>>, InventoryError> {
    let Node::Map(raw, line) = node else {
        return Ok(Rc::default());
    };
    let id = std::ptr::from_ref(node) as usize;
    if let Some(done) = memo.get(&id) {
        b.take(1, Some(*line))?;
        return Ok(done.clone());
    }
    if depth > MAX_YAML_DEPTH {
        return Err(b.error(
            Some(*line),
            "YAML merge keys nest too deep".into(),
            "flatten the merges".into(),
        ));
    }
    // At least one per mapping read, so that merging many empty mappings still counts.
    b.take(raw.len().max(1) as u64, Some(*line))?;
    let mut merged: Vec<Pair> = Vec::new();
    let mut own = Vec::new();
    for (k, v) in raw {
        let is_merge = matches!(&**k, Node::Scalar { text, style: ScalarStyle::Plain, tag: None, .. } if text == "<<");
        if !is_merge {
            own.push((k.value(), k.clone(), v.clone()));
            continue;
        }
        let subs: Vec<&Rc<Node>> = match &**v {
            Node::Map(..) => vec![v],
            Node::Seq(items) => items.iter().rev().collect(),
            _ => {
                return Err(b.error(
                    k.line(),
                    "a YAML merge key `<<` must be followed by a mapping or a list of mappings"
                        .into(),
                    "merge a mapping (<<: *anchor)".into(),
                ));
            }
        };
        for sub in subs {
            if !matches!(&**sub, Node::Map(..)) {
                return Err(b.error(
                    k.line(),
                    "a YAML merge key `<<` lists something that is not a mapping".into(),
                    "merge only mappings".into(),
                ));
            }
            let flat = pairs(sub, b, depth + 1, memo)?;
            b.take(flat.len() as u64, Some(*line))?;
            merged.extend(flat.iter().cloned());
        }
    }
    let mut out: Vec<Pair> = Vec::new();
    let mut index: HashMap<Value, usize> = HashMap::new();
    for (key, knode, v) in merged.into_iter().chain(own) {
        // Most mappings are a handful of pairs: a scan is cheaper than hashing.
        let found = if out.len() < 16 {
            out.iter().position(|(k, ..)| *k == key)
        } else {
            if index.is_empty() {
                index.extend(out.iter().enumerate().map(|(i, (k, ..))| (k.clone(), i)));
            }
            index.get(&key).copied()
        };
        match found {
            Some(i) => out[i].2 = v,
            None => {
                if !index.is_empty() {
                    index.insert(key.clone(), out.len());
                }
                out.push((key, knode, v));
            }
        }
    }
    let out = Rc::new(out);
    memo.insert(id, out.clone());
    Ok(out)
}

/// Reads a YAML inventory into `b`.
pub(super) fn read(text: &str, b: &mut Builder) -> Result<(), InventoryError> {
    let Some(root) = load(text, b)? else {
        return Err(b.error(
            None,
            "the YAML inventory is empty".into(),
            "define at least the all group".into(),
        ));
    };
    if !matches!(&*root, Node::Map(..)) {
        return Err(b.error(
            root.line(),
            "a YAML inventory must be a mapping of groups".into(),
            "start it with all: (or a group name) followed by hosts:, children: or vars:".into(),
        ));
    }
    let mut memo = Memo::new();
    let top = pairs(&root, b, 0, &mut memo)?;
    if top
        .iter()
        .any(|(k, _, v)| *k == Value::Str("plugin".into()) && !v.falsy())
    {
        return Err(b.error(
            root.line(),
            "this is an inventory plugin's configuration, not a YAML inventory".into(),
            "netvet reads static inventories: run ansible-inventory -i FILE --list -y > hosts.yml and give it that".into(),
        ));
    }
    for (key, knode, value) in top.iter() {
        group(b, key, knode, value, 0, &mut memo)?;
    }
    Ok(())
}

fn text_key(b: &Builder, key: &Value, knode: &Node, what: &str) -> Result<String, InventoryError> {
    match key {
        Value::Str(s) => Ok(s.clone()),
        _ => Err(b.error(
            knode.line(),
            format!("a {what} name must be text, this one is not"),
            "quote the name".into(),
        )),
    }
}

/// `_parse_group`: returns the group's name, as Ansible does even when it skipped the group.
fn group(
    b: &mut Builder,
    key: &Value,
    knode: &Node,
    data: &Rc<Node>,
    depth: usize,
    memo: &mut Memo,
) -> Result<String, InventoryError> {
    let name = text_key(b, key, knode, "group")?;
    b.take(1, knode.line())?;
    if depth > limits::MAX_GROUP_DEPTH {
        return Err(b.error(
            knode.line(),
            format!(
                "groups nest more than {} deep (at `{name}`)",
                limits::MAX_GROUP_DEPTH
            ),
            "flatten the group hierarchy".into(),
        ));
    }
    if !matches!(&**data, Node::Map(..)) && !data.is_null() {
        // Ansible warns and skips it.
        return Ok(name);
    }
    b.add_group(&name);
    for (section, snode, value) in pairs(data, b, 0, memo)?.iter().cloned() {
        let Value::Str(section) = section else {
            continue;
        };
        let known = matches!(section.as_str(), "vars" | "children" | "hosts");
        // A section given as one name stands for a mapping of that name to nothing.
        let entries: Vec<Pair> = match &*value {
            Node::Map(..) => pairs(&value, b, 0, memo)?.to_vec(),
            Node::Scalar { .. } if value.is_null() => continue,
            Node::Scalar { .. } if known && matches!(value.value(), Value::Str(_)) => {
                let null = Rc::new(Node::Scalar {
                    text: String::new(),
                    style: ScalarStyle::Plain,
                    tag: None,
                    line: value.line().unwrap_or(0),
                });
                vec![(value.value(), value.clone(), null)]
            }
            _ if known => {
                return Err(b.error(
                    snode.line(),
                    format!(
                        "invalid \"{section}\" entry for \"{name}\" group, requires a dictionary"
                    ),
                    format!("write {section}: as a mapping"),
                ));
            }
            _ => continue,
        };
        match section.as_str() {
            "vars" => {
                for (k, knode, v) in entries {
                    if let Value::Str(k) = k {
                        let set = var(&v, knode.line());
                        b.set_group_var(&name, &k, set)?;
                    }
                }
            }
            "children" => {
                for (k, knode, v) in entries {
                    let child = group(b, &k, &knode, &v, depth + 1, memo)?;
                    b.add_child(&name, &child, knode.line())?;
                }
            }
            "hosts" => {
                for (k, knode, v) in entries {
                    host(b, &name, &k, &knode, &v, memo)?;
                }
            }
            _ => {}
        }
    }
    Ok(name)
}

fn var(v: &Node, line: Option<usize>) -> Set {
    Set {
        value: v.value(),
        line: v.line().or(line),
        unsafe_text: matches!(v.tagged(), Tagged::Unsafe),
    }
}

fn host(
    b: &mut Builder,
    group: &str,
    key: &Value,
    knode: &Node,
    data: &Rc<Node>,
    memo: &mut Memo,
) -> Result<(), InventoryError> {
    let Value::Str(pattern) = key else {
        return Err(b.error(
            knode.line(),
            "a host pattern must be text; enclose numbers in quotation marks".into(),
            "quote the host's name".into(),
        ));
    };
    let (names, port) = host_pattern(b, pattern, knode.line())?;
    let vars = if data.falsy() {
        Vec::new()
    } else if matches!(&**data, Node::Map(..)) {
        pairs(data, b, 0, memo)?.to_vec()
    } else {
        return Err(b.error(
            data.line().or(knode.line()),
            format!("the variables of host {pattern:?} are not a mapping"),
            "write a host's variables as a mapping (ansible_host: ...)".into(),
        ));
    };
    for name in names {
        let h = b.add_host(&name, group, port, knode.line())?;
        for (k, kn, v) in &vars {
            if let Value::Str(k) = k {
                b.set_host_var(h, k, var(v, kn.line()));
            }
        }
    }
    Ok(())
}
