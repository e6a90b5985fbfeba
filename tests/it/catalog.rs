//! The rule catalog is consistent: registry, docs, rule book index and man page agree.

use netvet::rules::registry::RULES;

use crate::support::repo;

#[test]
fn codes_and_names_are_unique_and_sorted() {
    for pair in RULES.windows(2) {
        assert!(
            pair[0].code < pair[1].code,
            "{} before {}",
            pair[0].code,
            pair[1].code
        );
    }
    let mut names: Vec<_> = RULES.iter().map(|r| r.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), RULES.len(), "rule names must be unique");
}

#[test]
fn every_doc_matches_the_registry_and_has_its_sections() {
    for rule in RULES {
        let mut lines = rule.doc.lines();
        assert_eq!(
            lines.next(),
            Some(format!("# {} {}: {}", rule.code, rule.name, rule.summary).as_str()),
            "rules/{}.md first line",
            rule.code
        );
        assert!(
            rule.doc
                .contains(&format!("\nSeverity: {}\n", rule.severity.as_str())),
            "rules/{}.md must say `Severity: {}`",
            rule.code,
            rule.severity.as_str()
        );
        for section in [
            "## What it checks",
            "## Why it matters",
            "## Example",
            "## How to fix",
        ] {
            assert!(
                rule.doc.contains(section),
                "rules/{}.md lacks `{section}`",
                rule.code
            );
        }
    }
}

#[test]
fn rule_book_index_lists_every_rule() {
    let index = std::fs::read_to_string(repo().join("rules/README.md")).unwrap();
    for rule in RULES {
        let row = format!(
            "| {} | {} | {} |",
            rule.code,
            rule.name,
            rule.severity.as_str()
        );
        assert!(
            index.contains(&row),
            "rules/README.md lacks the row starting `{row}`"
        );
    }
}

/// The man page is generated from the clap definitions and committed; regenerate with
/// `NETVET_REGENERATE=1 cargo test --test it man_page`.
#[test]
fn man_page_is_current() {
    use clap::CommandFactory;
    let cmd = netvet::cli::Cli::command();
    let mut pages = vec![("netvet.1".to_string(), cmd.clone())];
    for sub in cmd.get_subcommands() {
        let name = format!("netvet-{}", sub.get_name());
        let file = format!("{name}.1");
        // clap names are `&'static str`; leaking a few bytes in a test is fine.
        pages.push((file, sub.clone().name(&*Box::leak(name.into_boxed_str()))));
    }
    for (file, cmd) in pages {
        let mut rendered = Vec::new();
        clap_mangen::Man::new(cmd).render(&mut rendered).unwrap();
        let path = repo().join("man").join(&file);
        if std::env::var_os("NETVET_REGENERATE").is_some() {
            std::fs::write(&path, &rendered).unwrap();
            continue;
        }
        let committed = std::fs::read(&path).unwrap_or_default();
        assert!(
            committed == rendered,
            "man/{file} is stale: run NETVET_REGENERATE=1 cargo test --test it man_page"
        );
    }
}

/// Shell completions for bash, zsh and fish are generated from the clap definitions and
/// committed under completions/; regenerate with `NETVET_REGENERATE=1 cargo nextest run
/// completions`.
#[test]
fn completions_are_current() {
    use clap::CommandFactory;
    use clap_complete::{Shell, generate};
    for (shell, file) in [
        (Shell::Bash, "netvet.bash"),
        (Shell::Zsh, "_netvet"),
        (Shell::Fish, "netvet.fish"),
    ] {
        let mut rendered = Vec::new();
        generate(
            shell,
            &mut netvet::cli::Cli::command(),
            "netvet",
            &mut rendered,
        );
        let path = repo().join("completions").join(file);
        if std::env::var_os("NETVET_REGENERATE").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &rendered).unwrap();
            continue;
        }
        let committed = std::fs::read(&path).unwrap_or_default();
        assert!(
            committed == rendered,
            "completions/{file} is stale: run NETVET_REGENERATE=1 cargo nextest run completions"
        );
    }
}

/// Bash, with the committed completion script loaded, completes `netvet ch<TAB>` to `check`
/// and `netvet check --select NV1<TAB>` to the NV1xx rule codes.
#[test]
fn bash_completes_subcommands_and_rule_codes() {
    let script = repo().join("completions/netvet.bash");
    let complete = |line: &str| -> Vec<String> {
        let words: Vec<&str> = line.split(' ').collect();
        let program = format!(
            "source {script}; COMP_WORDS=({words}); COMP_CWORD={cword}; COMP_LINE='{line}'; \
             COMP_POINT={point}; _netvet netvet '{cur}' '{prev}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script = script.display(),
            words = words
                .iter()
                .map(|w| format!("'{w}'"))
                .collect::<Vec<_>>()
                .join(" "),
            cword = words.len() - 1,
            point = line.len(),
            cur = words[words.len() - 1],
            prev = words[words.len() - 2],
        );
        let out = std::process::Command::new("bash")
            .args(["--norc", "-c", &program])
            .output()
            .expect("bash runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect()
    };
    assert_eq!(complete("netvet ch"), ["check"]);
    let codes = complete("netvet check --select NV1");
    assert!(!codes.is_empty());
    assert!(codes.iter().all(|c| c.starts_with("NV1")), "{codes:?}");
    assert!(codes.iter().any(|c| c == "NV101"), "{codes:?}");
    assert!(complete("netvet explain NV20").iter().any(|c| c == "NV206"));
}

/// Rule pages are for users: what the kernel and ifupdown do and what to write. How netvet's
/// own test suite proves it (test files, fixture case names) and how a rule came to be (an
/// earlier catalog, a rename) belong in the test files and the git history.
#[test]
fn rule_pages_name_no_test_files_and_no_history() {
    const HISTORY: &[&str] = &[
        "catalog",
        "renamed",
        "formerly",
        "previously",
        "no longer",
        "used to be",
        "was called",
        "old name",
    ];
    assert!(!RULES.is_empty(), "the registry lists no rule pages");
    let mut problems = Vec::new();
    for rule in RULES {
        let lower = rule.doc.to_lowercase();
        for phrase in HISTORY {
            if lower.contains(phrase) {
                problems.push(format!("rules/{}.md: history phrase `{phrase}`", rule.code));
            }
        }
        for word in rule
            .doc
            .split(|c: char| !(c.is_ascii_alphanumeric() || "-_./".contains(c)))
        {
            let test_path = ["tests/", "fixtures/", "/tests/", "/fixtures/"]
                .iter()
                .any(|p| word.starts_with(p));
            let case_name = word.starts_with("fires-") || word.starts_with("ok-");
            if test_path || case_name {
                problems.push(format!(
                    "rules/{}.md: names a test file `{word}`",
                    rule.code
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every `netvet-NAME(1)` a man page refers to is a page under man/ (clap_mangen lists clap's
/// built-in `help` subcommand as netvet-help(1), which no page documents).
#[test]
fn man_pages_refer_only_to_existing_pages() {
    let dir = repo().join("man");
    let mut pages = 0;
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "1") {
            continue;
        }
        pages += 1;
        let text = std::fs::read_to_string(&path).unwrap().replace("\\-", "-");
        for (start, _) in text.match_indices("netvet-") {
            let rest = &text[start..];
            let Some(end) = rest.find("(1)") else {
                continue;
            };
            let name = &rest[..end];
            if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !dir.join(format!("{name}.1")).is_file()
            {
                missing.push(format!("{} refers to {name}(1)", path.display()));
            }
        }
    }
    assert!(pages > 1, "no man pages under {}", dir.display());
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

/// The README's "Limits" section and `src/limits.rs` agree: every bound is listed with its
/// value, and every number the section lists is one of the bounds.
#[test]
fn readme_limits_are_the_limits_module() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let start = readme
        .find("\n## Limits\n")
        .expect("README has a Limits section");
    let section = &readme[start + 1..];
    let section = &section[..section[1..].find("\n## ").map_or(section.len(), |e| e + 1)];
    for limit in netvet::limits::LIMITS {
        assert!(
            section.contains(limit.readme),
            "README's Limits section lacks `{}` ({})",
            limit.readme,
            limit.name
        );
    }
    let listed: Vec<&str> = section
        .lines()
        .filter(|l| l.starts_with("- ") || l.starts_with("  "))
        .flat_map(|l| l.split(|c: char| !(c.is_ascii_alphanumeric() || c == ',')))
        .map(|w| w.trim_end_matches(','))
        .filter(|w| w.starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    for number in listed {
        assert!(
            netvet::limits::LIMITS.iter().any(|l| l
                .readme
                .split(' ')
                .any(|w| w.trim_end_matches(',') == number)),
            "README's Limits section lists {number}, which no bound in src/limits.rs has"
        );
    }
}

/// The Debian package's changelog (dist/changelog, installed as changelog.Debian.gz) starts
/// with an entry for this crate's version and cargo-deb's default revision, so a release
/// cannot ship a package whose changelog is a version behind.
#[test]
fn debian_changelog_names_the_crate_version() {
    let changelog = std::fs::read_to_string(repo().join("dist/changelog")).unwrap();
    let first = changelog.lines().next().unwrap_or_default();
    let want = format!("netvet ({}-1) ", env!("CARGO_PKG_VERSION"));
    assert!(
        first.starts_with(&want),
        "dist/changelog starts with `{first}`: add an entry `{want}unstable; urgency=medium` \
         on top (dch -v {}-1, or by hand)",
        env!("CARGO_PKG_VERSION")
    );
}
