//! NV132: modprobe.d lines that kmod reads differently from what the author meant. An
//! `options` line whose first word is a parameter (kmod takes it as the module name), options
//! for a name meant for bonding that is not `bonding` (`options bond0 ...`), and files in a
//! modprobe.d directory that kmod never reads but that configure bonding.

use super::{Context, Findings};
use crate::diagnostic::Diagnostic;
use crate::diagnostic::registry as rule;
use crate::load::modprobe::meant_for_bonding;
use crate::source::{FileId, Location};
use crate::syntax::Word;
use crate::syntax::modprobe::{Command, ModprobeFile, Param, normalize_module};

/// The bonding driver's parameters that are not also per-bond options.
const MODULE_ONLY_PARAMS: &[&str] = &["max_bonds", "tx_queues"];

fn bonding_param(name: &str) -> bool {
    crate::bonding::option(name).is_some() || MODULE_ONLY_PARAMS.contains(&name)
}

pub(super) fn check(ctx: &Context<'_, '_>, out: &mut Findings<'_>) {
    for (file, parsed) in &ctx.host.modprobe {
        for command in &parsed.commands {
            let Command::Options { module, params } = command else {
                continue;
            };
            if module.text.contains('=') {
                out.push(parameter_as_module(*file, module, params));
            } else if meant_for_bonding(&module.text) {
                out.push(name_meant_for_bonding(ctx, *file, module, params));
            }
        }
    }
    unread_files(ctx, out);
}

/// The parameters' text as the module receives them, after `first`.
fn rest(first: &str, params: &[Param]) -> String {
    std::iter::once(first.to_string())
        .chain(params.iter().map(|p| p.text.clone()))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `options miimon=100 mode=1`: the module is `miimon=100`.
fn parameter_as_module(file: FileId, module: &Word, params: &[Param]) -> Diagnostic {
    let word = module.text.as_str();
    let (name, value) = word.split_once('=').unwrap_or((word, ""));
    // `bonding.miimon=100` (the kernel command line's spelling), `bonding=miimon=100`, or
    // parameters with no module before them.
    let suggestion = if let Some((m, p)) = name.split_once('.') {
        // Each parameter in that spelling loses its `MODULE.` prefix.
        let prefix = format!("{m}.");
        let words: Vec<&str> = params
            .iter()
            .map(|q| q.text.strip_prefix(&prefix).unwrap_or(&q.text))
            .collect();
        Some(
            format!("options {} {p}={value} {}", target(m), words.join(" "))
                .trim_end()
                .to_string(),
        )
    } else if normalize_module(name) == "bonding" || meant_for_bonding(name) {
        Some(format!("options bonding {}", rest(value, params)))
    } else if bonding_param(name) || params.iter().any(|p| bonding_param(&p.name.text)) {
        Some(format!("options bonding {}", rest(word, params)))
    } else {
        None
    };
    let help = match suggestion {
        Some(s) => format!("write `{s}`"),
        None => format!(
            "name the module first: `options MODULE {}`",
            rest(word, params)
        ),
    };
    Diagnostic::new(
        rule::NV132,
        format!("`options {word}` names no module: kmod takes `{word}` as the module's name, so no module gets these parameters"),
    )
    .at(Location { file, span: module.span })
    .help(help)
    .note("modprobe.d(5): `options MODULE PARAMETERS...`; the first word after `options` is always the module")
}

/// The module a `MODULE.` prefix means: `bonding` for a name meant for it.
fn target(module: &str) -> String {
    if meant_for_bonding(module) {
        "bonding".to_string()
    } else {
        module.to_string()
    }
}

/// `options bond0 miimon=100`: applies only to `modprobe bond0`.
fn name_meant_for_bonding(
    ctx: &Context<'_, '_>,
    file: FileId,
    module: &Word,
    params: &[Param],
) -> Diagnostic {
    let name = module.text.as_str();
    let alias = ctx.host.modprobe.iter().find_map(|(f, parsed)| {
        parsed.commands.iter().find_map(|c| match c {
            Command::Alias { pattern, module: m }
                if normalize_module(&pattern.text) == normalize_module(name)
                    && normalize_module(&m.text) == "bonding" =>
            {
                Some(Location {
                    file: *f,
                    span: pattern.span,
                })
            }
            _ => None,
        })
    });
    let message = if alias.is_some() {
        format!(
            "`options {name}` applies only when something runs `modprobe {name}`: ifenslave never does, and the bonding module loads without these parameters"
        )
    } else {
        format!(
            "`options {name}` applies to no module: kmod knows no module named `{name}`, and the bonding module loads without these parameters"
        )
    };
    let suggestion = rest("", params);
    let help = if suggestion.is_empty() {
        "write the parameters for the module itself: `options bonding PARAMETERS`".to_string()
    } else {
        format!("write `options bonding {suggestion}`")
    };
    Diagnostic::new(rule::NV132, message)
        .at(Location { file, span: module.span })
        .label(alias, "alias defined here")
        .help(help)
        .note("kmod applies `options NAME` only when the module is loaded under that NAME; Debian's ifenslave creates a bond with `ip link add NAME type bond`, and the kernel then loads the module as `bonding` (its `rtnl-link-bond` alias), with the `options bonding` parameters only")
}

/// Why kmod skips a file it found in a modprobe.d directory, from its host path.
fn why_unread(display: &str) -> (&'static str, String) {
    let dir = crate::load::modprobe::DIRS
        .iter()
        .find(|d| display.starts_with(&format!("{d}/")))
        .copied()
        .unwrap_or("/etc/modprobe.d");
    let relative = &display[dir.len() + 1..];
    let name = relative.rsplit('/').next().unwrap_or(relative);
    let stem = name.trim_start_matches('.');
    let stem = stem
        .split('.')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or("bonding");
    let renamed = format!("{dir}/{stem}.conf");
    let why = if relative.contains('/') {
        "kmod reads no subdirectory of a modprobe.d directory"
    } else if name.starts_with('.') {
        "kmod skips hidden files"
    } else {
        "kmod reads only files whose names end in `.conf` or `.alias`"
    };
    (why, renamed)
}

/// Files kmod skips that configure bonding, unless they are a copy of a file it reads
/// (`bonding.conf.bak`, `.bonding.conf.swp` or `old/bonding.conf` beside `bonding.conf`).
fn unread_files(ctx: &Context<'_, '_>, out: &mut Findings<'_>) {
    let read: Vec<&str> = ctx
        .host
        .modprobe
        .iter()
        .map(|(id, _)| ctx.host.sources.get(*id).display.as_str())
        .map(|d| d.rsplit('/').next().unwrap_or(d))
        .collect();
    for (file, parsed) in &ctx.host.modprobe_unread {
        let display = ctx.host.sources.get(*file).display.as_str();
        let name = display.rsplit('/').next().unwrap_or(display);
        if read
            .iter()
            .any(|r| name.trim_start_matches('.').starts_with(r))
        {
            continue;
        }
        let Some(first) = first_bonding_line(parsed) else {
            continue;
        };
        let (why, renamed) = why_unread(display);
        out.push(
            Diagnostic::new(
                rule::NV132,
                format!("kmod never reads {display}, so its bonding configuration is not applied: {why}"),
            )
            .at(Location { file: *file, span: first.span })
            .help(format!("move it to `{renamed}`"))
            .note("kmod reads the files of /etc/modprobe.d, /run/modprobe.d, /usr/local/lib/modprobe.d and /lib/modprobe.d whose names end in `.conf` or `.alias` and do not start with `.`; it does not descend into subdirectories"),
        );
    }
}

/// The module word of the first line that configures bonding.
fn first_bonding_line(parsed: &ModprobeFile) -> Option<&Word> {
    parsed.commands.iter().find_map(|c| match c {
        Command::Options { module, .. } => {
            let name = module.text.split('=').next().unwrap_or_default();
            (normalize_module(name) == "bonding" || meant_for_bonding(name)).then_some(module)
        }
        Command::Alias { module, .. } => {
            (normalize_module(&module.text) == "bonding").then_some(module)
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The help of the finding on a one-line file's `options` line.
    fn help_for(line: &str) -> String {
        let parsed = crate::syntax::modprobe::parse(line);
        let Some(Command::Options { module, params }) = parsed.commands.first() else {
            panic!("{line}: not an options line");
        };
        let d = parameter_as_module(FileId(0), module, params);
        d.help.join("; ")
    }

    #[test]
    fn what_to_write_instead_of_a_parameter_as_module() {
        for (line, help) in [
            (
                "options miimon=100 mode=1\n",
                "write `options bonding miimon=100 mode=1`",
            ),
            (
                "options mode=4 lacp_rate=fast\n",
                "write `options bonding mode=4 lacp_rate=fast`",
            ),
            (
                "options bonding=miimon=100 mode=1\n",
                "write `options bonding miimon=100 mode=1`",
            ),
            (
                "options bonding.miimon=100 bonding.mode=1\n",
                "write `options bonding miimon=100 mode=1`",
            ),
            (
                "options bond0.miimon=100 x=1\n",
                "write `options bonding miimon=100 x=1`",
            ),
            (
                "options snd-hda-intel.model=auto x=1\n",
                "write `options snd-hda-intel model=auto x=1`",
            ),
            (
                "options model=auto index=1\n",
                "name the module first: `options MODULE model=auto index=1`",
            ),
        ] {
            assert_eq!(help_for(line), help, "{line}");
        }
    }
}
