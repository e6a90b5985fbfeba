//! The sysctl parser on every sysctl file of the shared corpus: no panic, the known
//! `net.ipv6.bindv6only` assignments found, errors only on lines systemd-sysctl also ignores.

use netvet::syntax::sysctl;

use crate::support::corpus;

#[test]
fn corpus_sysctl_files_parse() {
    let Some(corpus) = corpus() else { return };
    let mut bindv6only = 0;
    let mut files = 0;
    for entry in std::fs::read_dir(corpus.join("sysctl")).unwrap() {
        let path = entry.unwrap().path();
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        let parsed = sysctl::parse(&text);
        for err in &parsed.errors {
            // Every error names a line that is neither a comment nor `key = value`.
            let line = &text[err.span.range()];
            assert!(
                !line.contains('=') && !line.trim_start().starts_with('#'),
                "{}: {line}",
                path.display()
            );
        }
        bindv6only += parsed
            .entries
            .iter()
            .filter(|e| e.name == "net.ipv6.bindv6only" && e.value.is_some())
            .count();
        files += 1;
    }
    assert!(files >= 30, "{files} files");
    // NOTES.md: 7 files set net.ipv6.bindv6only (plus one commented out, not counted).
    assert_eq!(bindv6only, 7);
}
