//! The listener parsers on the shared corpus: no panic on any nginx, apache or sshd file, and
//! netvet's nginx parser against nginx itself: for every corpus file nginx accepts, the `listen`
//! directives in `nginx -T`'s dump (which resolves includes) are the ones netvet found.

use std::process::Command;

use netvet::syntax::{keywords, nginx, systemd};

use crate::support::corpus;

fn listen_args(directives: &[nginx::Directive], out: &mut Vec<String>) {
    for d in directives {
        if d.name.text == "listen" {
            out.push(
                d.args
                    .iter()
                    .map(|a| a.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            );
        }
        if let Some(block) = &d.block {
            listen_args(block, out);
        }
    }
}

#[test]
fn corpus_listener_files_never_panic() {
    let Some(corpus) = corpus() else { return };
    let mut n = 0;
    for dir in ["nginx", "apache", "sshd", "networkd"] {
        for entry in std::fs::read_dir(corpus.join(dir)).unwrap() {
            let text = String::from_utf8_lossy(&std::fs::read(entry.unwrap().path()).unwrap())
                .into_owned();
            let _ = nginx::parse(&text);
            let _ = keywords::parse(&text);
            let _ = keywords::parse_apache(&text);
            let _ = systemd::parse(&text);
            n += 1;
        }
    }
    assert!(n > 100, "{n} files");
}

#[test]
fn sshd_corpus_listen_addresses() {
    let Some(corpus) = corpus() else { return };
    let mut active = 0;
    for entry in std::fs::read_dir(corpus.join("sshd")).unwrap() {
        let text =
            String::from_utf8_lossy(&std::fs::read(entry.unwrap().path()).unwrap()).into_owned();
        let parsed = keywords::parse(&text);
        active += parsed
            .entries
            .iter()
            .filter(|e| e.keyword.text.eq_ignore_ascii_case("listenaddress"))
            .count();
    }
    // NOTES.md: three files have active ListenAddress lines (one with `=`), the rest only
    // commented distro defaults.
    assert!(active >= 3, "{active}");
}

/// Real Apache files (each a complete file from a repository httpd read) have balanced sections
/// and a value on every directive netvet follows: no NV001 on any of them.
#[test]
fn apache_corpus_parses_clean() {
    let Some(corpus) = corpus() else { return };
    let mut failures = Vec::new();
    let mut n = 0;
    for entry in std::fs::read_dir(corpus.join("apache")).unwrap() {
        let path = entry.unwrap().path();
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        let errors = keywords::parse_apache(&text).errors;
        if !errors.is_empty() {
            failures.push(format!("{}: {errors:?}", path.display()));
        }
        n += 1;
    }
    assert!(n >= 10, "{n} files");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn nginx_dump_agrees_on_listen_directives() {
    let Some(corpus) = corpus() else { return };
    if !std::path::Path::new("/usr/sbin/nginx").exists() {
        assert!(std::env::var_os("CI").is_none(), "CI installs nginx");
        return;
    }
    let (mut accepted, mut rejected) = (0, 0);
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(corpus.join("nginx")).unwrap() {
        let path = entry.unwrap().path();
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        let dir = tempfile::tempdir().unwrap();
        // Server-block snippets go into an http block, as sites-enabled files are.
        std::fs::write(dir.path().join("site.conf"), &text).unwrap();
        std::fs::write(
            dir.path().join("nginx.conf"),
            format!(
                "pid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{ }}\nhttp {{\n include {d}/site.conf;\n}}\n",
                d = dir.path().display()
            ),
        )
        .unwrap();
        let out = Command::new("/usr/sbin/nginx")
            .arg("-T")
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            .arg("-p")
            .arg(dir.path())
            .output()
            .unwrap();
        if !out.status.success() {
            rejected += 1;
            continue;
        }
        accepted += 1;
        // nginx -T prints each file read after a `# configuration file NAME:` line.
        let dump = String::from_utf8_lossy(&out.stdout);
        let site = dump
            .split("# configuration file ")
            .find(|part| part.starts_with(&format!("{}/site.conf:", dir.path().display())))
            .map(|part| part.split_once('\n').map_or("", |(_, body)| body))
            .unwrap_or("");
        let mut theirs = Vec::new();
        listen_args(&nginx::parse(site).directives, &mut theirs);
        let mut ours = Vec::new();
        listen_args(&nginx::parse(&text).directives, &mut ours);
        // What nginx accepted, netvet parses without error, and the listens agree.
        let errors = nginx::parse(&text).errors;
        if !errors.is_empty() || ours != theirs {
            failures.push(format!(
                "{}: errors {errors:?}\n  nginx  {theirs:?}\n  netvet {ours:?}",
                path.display()
            ));
        }
    }
    eprintln!("nginx -T differential: {accepted} accepted, {rejected} rejected by nginx");
    assert!(accepted >= 10, "{accepted} accepted");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
