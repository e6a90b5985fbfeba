//! `netvet.toml`: which rules run, at which severity, where they are left out, when the run
//! fails, and the site's policy, merged with the command line.
//!
//! One settings file applies to a run. Without `--config FILE` (or `--isolated`), it is the
//! nearest `netvet.toml` found upward from what is checked: a directory named as a PATH or
//! `--root`, the directory of a file or of `--snapshot FILE`, or the current directory when
//! the running system or standard input is checked. When the PATHs of one run find different
//! files (or some find one and others none) the run is refused: which policy applies to a
//! host must never depend on which other hosts share its command line.
//!
//! The command line wins, as with ruff: `--select` replaces the file's `select`, `--ignore` adds
//! to its `ignore`, `--fail-on` replaces its `fail-on`. Every key is typed and every unknown key,
//! bad code, severity a rule cannot take, bad glob or out-of-range value is an error naming the
//! file, the key and its line and column (exit status 2): a typo in a policy must not pass
//! silently as no policy.

use std::fmt::Write as _;
use std::io::Read as _;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use clap::ValueEnum as _;
use serde::Deserialize;
use toml::Spanned;

use crate::bonding::BondMode;
use crate::cli::{AuditArgs, CheckArgs, FailOn, FixArgs, SettingsArgs};
use crate::diagnostic::{ErrorPlace, Severity, render_error};
use crate::limits::MAX_SETTINGS_BYTES;
use crate::rules::policy::Policy;
use crate::rules::{Config, PathIgnore, Selection, names_a_rule, registry};
use crate::source::Span;

/// The settings file's name, looked for in each directory upward.
pub const FILE_NAME: &str = "netvet.toml";

/// The file as written. serde refuses unknown keys (`deny_unknown_fields`) and wrong types,
/// and every value keeps its span, so that a bad one is reported where it is written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct File {
    select: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    ignore: Vec<Spanned<String>>,
    #[serde(default)]
    severity: Entries<Spanned<String>>,
    #[serde(default)]
    per_path_ignores: Entries<Vec<Spanned<String>>>,
    fail_on: Option<Spanned<String>>,
    #[serde(default)]
    policy: PolicyFile,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct PolicyFile {
    #[serde(default)]
    mtu: Entries<Spanned<i64>>,
    #[serde(default)]
    bond_modes: Vec<Spanned<String>>,
    lacp_rate: Option<Spanned<String>>,
}

/// A table's entries in the file's order, each key with its span: the order decides which
/// glob of `policy.mtu` a link takes, and a bad key is reported at its line.
#[derive(Debug)]
struct Entries<V>(Vec<(Spanned<String>, V)>);

impl<V> Default for Entries<V> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Entries<V> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> serde::de::Visitor<'de> for Visit<V> {
            type Value = Entries<V>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a table")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Entries<V>, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(Visit(PhantomData))
    }
}

/// A settings error, or a command-line one about the same settings: rendered as a finding is,
/// with the file, line and column where it has them.
#[derive(Debug)]
pub struct Error {
    /// The settings file as the user names it; none for a mistake on the command line.
    file: Option<String>,
    /// The file's text and the span the error is about, or a line and column.
    place: Place,
    pub message: String,
    help: Option<String>,
}

#[derive(Debug)]
enum Place {
    File,
    Span(String, Span),
    LineColumn(usize, usize),
}

impl Error {
    fn command_line(message: String) -> Self {
        Error {
            file: None,
            place: Place::File,
            message,
            help: None,
        }
    }

    /// `error: message`, `--> netvet.toml:LINE:COL`, the line with a caret, `= help:`.
    pub fn render(&self, styled: bool) -> String {
        let Some(file) = &self.file else {
            return format!(
                "netvet: error: {}\n",
                crate::diagnostic::escape(&self.message)
            );
        };
        let place = match &self.place {
            Place::File => ErrorPlace::File,
            Place::Span(text, span) => ErrorPlace::Span(text, *span),
            Place::LineColumn(line, column) => ErrorPlace::LineColumn(*line, *column),
        };
        render_error(file, place, &self.message, self.help.as_deref(), styled)
    }
}

/// Where a setting's value came from, for `--show-settings`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Default,
    File,
    CommandLine,
}

/// How the settings file was chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    /// `--config FILE`.
    Given,
    /// The nearest `netvet.toml` upward from this directory.
    Upward(PathBuf),
}

/// The settings a run uses: the file's, with the command line over them.
#[derive(Debug)]
pub struct Settings {
    /// The file read, as the user names it, and how it was found.
    pub file: Option<(String, Found)>,
    pub config: Config,
    pub fail_on: FailOn,
    select_from: Origin,
    /// Where each of `config.selection.ignore` came from.
    ignore_from: Vec<Origin>,
    fail_on_from: Origin,
}

/// What the command line says about the settings.
struct CommandLine<'a> {
    args: &'a SettingsArgs,
    select: &'a [String],
    ignore: &'a [String],
    fail_on: Option<FailOn>,
}

impl Settings {
    /// `netvet check`'s settings: searched from what it checks.
    pub fn for_check(args: &CheckArgs) -> Result<Self, Error> {
        let starts = if let Some(snapshot) = &args.snapshot {
            vec![parent(snapshot)]
        } else if let Some(root) = &args.root {
            vec![root.clone()]
        } else {
            args.paths
                .iter()
                .map(|p| {
                    if p == Path::new("-") {
                        PathBuf::from(".")
                    } else if p.is_dir() {
                        p.clone()
                    } else {
                        parent(p)
                    }
                })
                .collect()
        };
        Self::resolve(
            &CommandLine {
                args: &args.settings,
                select: &args.select,
                ignore: &args.ignore,
                fail_on: args.fail_on,
            },
            starts,
        )
    }

    /// `netvet fix`'s settings: searched from the trees it fixes.
    pub fn for_fix(args: &FixArgs) -> Result<Self, Error> {
        let starts = match &args.root {
            Some(root) => vec![root.clone()],
            None => args.paths.clone(),
        };
        Self::resolve(
            &CommandLine {
                args: &args.settings,
                select: &args.select,
                ignore: &args.ignore,
                fail_on: args.fail_on,
            },
            starts,
        )
    }

    /// `netvet audit`'s settings: one for the fleet, searched from the current directory (where
    /// the operator keeps the site's policy), never from what the hosts send.
    pub fn for_audit(args: &AuditArgs) -> Result<Self, Error> {
        Self::resolve(
            &CommandLine {
                args: &args.settings,
                select: &args.select,
                ignore: &args.ignore,
                fail_on: args.fail_on,
            },
            vec![PathBuf::from(".")],
        )
    }

    fn resolve(cli: &CommandLine<'_>, mut starts: Vec<PathBuf>) -> Result<Self, Error> {
        let cli_selection = Selection {
            select: cli.select.to_vec(),
            ignore: cli.ignore.to_vec(),
        };
        if let Some(unknown) = cli_selection.unknown_patterns().first() {
            return Err(Error::command_line(format!(
                "`{unknown}` matches no rule code or name; `netvet rules` lists them"
            )));
        }
        if starts.is_empty() {
            starts.push(PathBuf::from("."));
        }
        let found = if cli.args.isolated {
            None
        } else if let Some(path) = &cli.args.config {
            Some((path.clone(), Found::Given))
        } else {
            discover(&starts)?
        };
        let mut settings = match found {
            Some((path, how)) => {
                let mut settings = Settings::from_file(&path)?;
                settings.file = settings.file.map(|(shown, _)| (shown, how));
                settings
            }
            None => Settings {
                file: None,
                config: Config::default(),
                fail_on: FailOn::Error,
                select_from: Origin::Default,
                ignore_from: Vec::new(),
                fail_on_from: Origin::Default,
            },
        };
        if !cli.select.is_empty() {
            settings.config.selection.select = cli.select.to_vec();
            settings.select_from = Origin::CommandLine;
        }
        for pattern in cli.ignore {
            settings.config.selection.ignore.push(pattern.clone());
            settings.ignore_from.push(Origin::CommandLine);
        }
        if let Some(fail_on) = cli.fail_on {
            settings.fail_on = fail_on;
            settings.fail_on_from = Origin::CommandLine;
        }
        Ok(settings)
    }

    /// The settings one file gives, without the command line (as `--config FILE` names it).
    pub fn from_file(path: &Path) -> Result<Self, Error> {
        let shown = path.display().to_string();
        let text = read(path)?;
        let file = parse(&shown, &text)?;
        let mut settings = Checker {
            file: &shown,
            text: &text,
        }
        .settings(file)?;
        settings.file = Some((shown, Found::Given));
        Ok(settings)
    }

    /// `netvet check --show-settings`: every setting, TOML-like, with where it came from.
    pub fn show(&self) -> String {
        let mut out = String::new();
        let file = self.file.as_ref().map(|(f, _)| f.as_str());
        let from = |f: Origin| match (f, file) {
            (Origin::Default, _) => "default".to_string(),
            (Origin::CommandLine, _) => "command line".to_string(),
            (Origin::File, file) => file.unwrap_or("the settings file").to_string(),
        };
        let quoted = |items: &[String]| {
            items
                .iter()
                .map(|s| format!("{s:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match &self.file {
            Some((file, Found::Given)) => writeln!(out, "# settings file: {file} (--config)"),
            Some((file, Found::Upward(from))) => writeln!(
                out,
                "# settings file: {file} (the nearest {FILE_NAME} upward from {})",
                from.display()
            ),
            None => writeln!(out, "# settings file: none (defaults and the command line)"),
        }
        .expect("writing to a String");
        let selection = &self.config.selection;
        let lines = [
            (
                format!("select = [{}]", quoted(&selection.select)),
                if selection.select.is_empty() && self.select_from == Origin::Default {
                    "default: every rule".to_string()
                } else {
                    from(self.select_from)
                },
            ),
            (
                format!("fail-on = {:?}", fail_on_name(self.fail_on)),
                from(self.fail_on_from),
            ),
        ];
        for (line, from) in lines {
            let _ = writeln!(out, "{line:<40} # {from}");
        }
        if selection.ignore.is_empty() {
            let _ = writeln!(out, "{:<40} # default", "ignore = []");
        } else {
            out.push_str("ignore = [\n");
            for (pattern, f) in selection.ignore.iter().zip(&self.ignore_from) {
                let _ = writeln!(out, "{:<40} # {}", format!("    {pattern:?},"), from(*f));
            }
            out.push_str("]\n");
        }
        out.push_str("\n[severity]\n");
        if self.config.severity.is_empty() {
            out.push_str("# none: every rule at its own severity\n");
        }
        for (code, severity) in &self.config.severity {
            let _ = writeln!(
                out,
                "{:<40} # {}",
                format!("{code} = {:?}", severity.as_str()),
                from(Origin::File)
            );
        }
        out.push_str("\n[per-path-ignores]\n");
        if self.config.path_ignores.is_empty() {
            out.push_str("# none\n");
        }
        for ignore in &self.config.path_ignores {
            let _ = writeln!(
                out,
                "{:<40} # {}",
                format!("{:?} = [{}]", ignore.glob.as_str(), quoted(&ignore.rules)),
                from(Origin::File)
            );
        }
        let policy = &self.config.policy;
        out.push_str("\n[policy]\n");
        let policy_from = |set: bool| {
            if set {
                from(Origin::File)
            } else {
                "default: no policy".to_string()
            }
        };
        let mtu = policy
            .mtu
            .iter()
            .map(|(p, mtu)| format!("{:?} = {mtu}", p.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        let modes: Vec<String> = policy
            .bond_modes
            .iter()
            .map(|m| m.name().to_string())
            .collect();
        let lines = [
            (
                if mtu.is_empty() {
                    "mtu = {}".to_string()
                } else {
                    format!("mtu = {{ {mtu} }}")
                },
                !policy.mtu.is_empty(),
            ),
            (
                format!("bond-modes = [{}]", quoted(&modes)),
                !modes.is_empty(),
            ),
            (
                match policy.lacp_rate {
                    Some(rate) => format!("lacp-rate = {rate:?}"),
                    None => "# lacp-rate: not set".to_string(),
                },
                policy.lacp_rate.is_some(),
            ),
        ];
        for (line, set) in lines {
            let _ = writeln!(out, "{line:<40} # {}", policy_from(set));
        }
        // Paths come from the command line and the file system: escaped like all output.
        crate::diagnostic::escape(&out).into_owned()
    }
}

fn fail_on_name(fail_on: FailOn) -> String {
    fail_on
        .to_possible_value()
        .expect("every FailOn is a value")
        .get_name()
        .to_string()
}

/// The directory a file is in (`.` for a bare file name).
fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The nearest `netvet.toml` upward from each start; one file for all of them, or none.
fn discover(starts: &[PathBuf]) -> Result<Option<(PathBuf, Found)>, Error> {
    let cwd = std::env::current_dir().ok();
    let nearest = |start: &Path| -> Option<PathBuf> {
        let absolute = start.canonicalize().ok()?;
        let found = absolute
            .ancestors()
            .map(|dir| dir.join(FILE_NAME))
            .find(|candidate| candidate.is_file())?;
        // Named as the user would from here: relative to the current directory when under it.
        Some(match &cwd {
            Some(cwd) => found
                .strip_prefix(cwd)
                .map_or_else(|_| found.clone(), Path::to_path_buf),
            None => found,
        })
    };
    let mut chosen: Option<(&PathBuf, Option<PathBuf>)> = None;
    for start in starts {
        let file = nearest(start);
        match &chosen {
            None => chosen = Some((start, file)),
            Some((first, first_file)) if *first_file != file => {
                let name = |f: &Option<PathBuf>| match f {
                    Some(f) => f.display().to_string(),
                    None => format!("no {FILE_NAME}"),
                };
                return Err(Error::command_line(format!(
                    "{} finds {} and {} finds {}: netvet applies one settings file to a run; \
                     check them in separate runs, or name one with --config FILE (or none with \
                     --isolated)",
                    first.display(),
                    name(first_file),
                    start.display(),
                    name(&file)
                )));
            }
            Some(_) => {}
        }
    }
    Ok(chosen.and_then(|(start, file)| file.map(|f| (f, Found::Upward(start.clone())))))
}

/// The file's text: bounded, and UTF-8 as TOML must be.
fn read(path: &Path) -> Result<String, Error> {
    let shown = path.display().to_string();
    let error = |place: Place, message: String, help: Option<String>| Error {
        file: Some(shown.clone()),
        place,
        message,
        help,
    };
    let io = |e: std::io::Error| error(Place::File, format!("{shown}: {e}"), None);
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(error(
            Place::File,
            format!("{shown}: not a regular file"),
            Some(format!("a settings file is a TOML file named {FILE_NAME}")),
        ));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_SETTINGS_BYTES + 1).read_to_end(&mut bytes))
        .map_err(io)?;
    if bytes.len() as u64 > MAX_SETTINGS_BYTES {
        return Err(error(
            Place::File,
            format!(
                "{shown} is larger than {} MiB, which no settings file needs",
                MAX_SETTINGS_BYTES >> 20
            ),
            Some("check that --config names the settings file".to_string()),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let good = std::str::from_utf8(good).expect("valid up to here");
        let line = good.matches('\n').count() + 1;
        let column = good.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        error(
            Place::LineColumn(line, column),
            format!("{shown} is not UTF-8 text, as TOML must be"),
            Some("save it as UTF-8".to_string()),
        )
    })
}

/// The text parsed and typed: a syntax error, an unknown key or a value of the wrong type is
/// reported at its place.
fn parse(shown: &str, text: &str) -> Result<File, Error> {
    toml::from_str(text).map_err(|e| {
        let span = e.span().map(|r| Span::new(r.start, r.end));
        // serde says "field"; a TOML file has keys.
        let message = e
            .message()
            .trim_end()
            .replacen("unknown field", "unknown key", 1);
        let help = message.starts_with("unknown key").then(|| {
            format!("the keys a {FILE_NAME} takes are in the README's \"Settings\" section")
        });
        match span {
            Some(span) => Error {
                file: Some(shown.to_string()),
                place: Place::Span(text.to_string(), span),
                message,
                help,
            },
            None => Error {
                file: Some(shown.to_string()),
                place: Place::File,
                message: format!("{shown}: {message}"),
                help: None,
            },
        }
    })
}

/// Checks a parsed file's values, each error at its key or value.
struct Checker<'a> {
    file: &'a str,
    text: &'a str,
}

impl Checker<'_> {
    fn at<T>(&self, value: &Spanned<T>, message: String, help: Option<String>) -> Error {
        let span = value.span();
        Error {
            file: Some(self.file.to_string()),
            place: Place::Span(self.text.to_string(), Span::new(span.start, span.end)),
            message,
            help,
        }
    }

    fn rule_patterns(&self, patterns: &[Spanned<String>], key: &str) -> Result<Vec<String>, Error> {
        patterns
            .iter()
            .map(|p| {
                if names_a_rule(p.get_ref()) {
                    Ok(p.get_ref().clone())
                } else {
                    Err(self.at(
                        p,
                        format!("`{}` in {key} matches no rule code or name", p.get_ref()),
                        Some(
                            "`netvet rules` lists them: codes (NV101), prefixes (NV1) or names"
                                .to_string(),
                        ),
                    ))
                }
            })
            .collect()
    }

    fn glob(&self, key: &Spanned<String>, table: &str) -> Result<glob::Pattern, Error> {
        glob::Pattern::new(key.get_ref()).map_err(|e| {
            self.at(
                key,
                format!("`{}` in [{table}] is not a valid glob: {}", key.get_ref(), e.msg),
                Some("`*` and `?` match within one path component, `[...]` a set of characters; close every `[`".to_string()),
            )
        })
    }

    fn settings(&self, file: File) -> Result<Settings, Error> {
        let select = match &file.select {
            Some(patterns) => self.rule_patterns(patterns, "select")?,
            None => Vec::new(),
        };
        let ignore = self.rule_patterns(&file.ignore, "ignore")?;
        let mut severity: Vec<(&'static str, Severity)> = Vec::new();
        for (key, value) in &file.severity.0 {
            let Some(meta) = registry::lookup(key.get_ref()) else {
                return Err(self.at(
                    key,
                    format!("`{}` in [severity] is not a rule code or name", key.get_ref()),
                    Some("[severity] sets one rule each: a code (NV105) or a name, as `netvet rules` lists them".to_string()),
                ));
            };
            if meta.code == registry::NV009.code {
                return Err(self.at(
                    key,
                    "NV009's severity cannot be set: it takes the severity of the findings it counts, so that cutting them never changes the exit status".to_string(),
                    None,
                ));
            }
            let allowed: Vec<&str> = meta.severities().map(Severity::as_str).collect();
            let level: Severity = value.get_ref().parse().map_err(|e: String| {
                self.at(value, format!("[severity] {}: {e}", key.get_ref()), None)
            })?;
            if !meta.severities().any(|s| s == level) {
                return Err(self.at(
                    value,
                    format!(
                        "[severity] {} = {:?}: {} ({}) can only be {}",
                        key.get_ref(),
                        value.get_ref(),
                        meta.code,
                        meta.name,
                        allowed.join(" or ")
                    ),
                    Some(format!(
                        "`netvet explain {}` says what its severities mean",
                        meta.code
                    )),
                ));
            }
            if severity.iter().any(|(c, _)| *c == meta.code) {
                return Err(self.at(
                    key,
                    format!("[severity] sets {} twice (by code and by name)", meta.code),
                    None,
                ));
            }
            severity.push((meta.code, level));
        }
        let mut path_ignores = Vec::new();
        for (key, rules) in &file.per_path_ignores.0 {
            path_ignores.push(PathIgnore {
                glob: self.glob(key, "per-path-ignores")?,
                rules: self
                    .rule_patterns(rules, &format!("[per-path-ignores] {:?}", key.get_ref()))?,
            });
        }
        let fail_on = match &file.fail_on {
            Some(value) => FailOn::from_str(value.get_ref(), false).map_err(|_| {
                self.at(
                    value,
                    format!("fail-on = {:?} is not a severity", value.get_ref()),
                    Some("fail-on takes error, warning, info or never".to_string()),
                )
            })?,
            None => FailOn::Error,
        };
        Ok(Settings {
            file: None,
            config: Config {
                selection: Selection {
                    select,
                    ignore: ignore.clone(),
                },
                severity,
                path_ignores,
                policy: self.policy(&file.policy)?,
            },
            fail_on,
            select_from: if file.select.is_some() {
                Origin::File
            } else {
                Origin::Default
            },
            ignore_from: vec![Origin::File; ignore.len()],
            fail_on_from: if file.fail_on.is_some() {
                Origin::File
            } else {
                Origin::Default
            },
        })
    }

    fn policy(&self, file: &PolicyFile) -> Result<Policy, Error> {
        let mut policy = Policy::default();
        for (key, mtu) in &file.mtu.0 {
            let glob = self.glob(key, "policy.mtu")?;
            let value = u32::try_from(*mtu.get_ref())
                .ok()
                .filter(|v| (MIN_MTU..=MAX_MTU).contains(v))
                .ok_or_else(|| {
                    self.at(
                        mtu,
                        format!(
                            "policy.mtu {:?} = {}: an MTU is {MIN_MTU} to {MAX_MTU}",
                            key.get_ref(),
                            mtu.get_ref()
                        ),
                        None,
                    )
                })?;
            policy.mtu.push((glob, value));
        }
        for mode in &file.bond_modes {
            let parsed = BondMode::parse(mode.get_ref()).ok_or_else(|| {
                let names: Vec<&str> = BondMode::ALL.iter().map(|m| m.name()).collect();
                self.at(
                    mode,
                    format!(
                        "`{}` in policy.bond-modes is not a bond mode",
                        mode.get_ref()
                    ),
                    Some(format!("the modes are {}", names.join(", "))),
                )
            })?;
            policy.bond_modes.push(parsed);
        }
        if let Some(rate) = &file.lacp_rate {
            policy.lacp_rate = Some(match rate.get_ref().as_str() {
                "slow" => "slow",
                "fast" => "fast",
                _ => {
                    return Err(self.at(
                        rate,
                        format!("policy.lacp-rate = {:?} is not a LACP rate", rate.get_ref()),
                        Some("lacp-rate takes slow or fast".to_string()),
                    ));
                }
            });
        }
        Ok(policy)
    }
}

/// The MTUs a policy may require: IPv4's minimum (RFC 791) up to the largest the kernel's
/// 16-bit field holds.
const MIN_MTU: u32 = 68;
const MAX_MTU: u32 = 65_535;
