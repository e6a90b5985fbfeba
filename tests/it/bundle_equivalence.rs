//! A host tree checked from memory finds exactly what the same tree checked from its directory
//! finds: every fixture is copied into a `Bundle` (symbolic links kept as links) and into a tar
//! archive read back with `Bundle::from_tar`, and the JSON reports must be byte-identical.

use std::path::{Path, PathBuf};

use netvet::CheckRun;
use netvet::load::{Bundle, Root, Target};
use netvet::rules::Config;

use crate::support::repo;

/// Every configuration tree among the fixtures, as `tests/it/rule_fixtures.rs` and the VM tier
/// enumerate them: `rules/*/*`, `healthy/*`, `dialect/*` and `demo`. Relative to the
/// repository, as a user in it names them.
pub fn fixture_trees() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let subdirs = |dir: &Path| -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(repo().join(dir))
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .map(|p| p.strip_prefix(repo()).unwrap().to_path_buf())
            .collect();
        v.sort();
        v
    };
    for code in subdirs(Path::new("fixtures/rules")) {
        out.extend(subdirs(&code));
    }
    out.extend(subdirs(Path::new("fixtures/healthy")));
    out.extend(subdirs(Path::new("fixtures/dialect")));
    out.push(PathBuf::from("fixtures/demo"));
    out
}

/// A bundle holding a directory's tree as it is: files, directories, symbolic links (not
/// followed) and special files.
pub fn bundle_of(dir: &Path) -> Bundle {
    fn walk(bundle: &mut Bundle, real: &Path, host: &Path) {
        for entry in std::fs::read_dir(real).unwrap() {
            let entry = entry.unwrap();
            let (real, host) = (entry.path(), host.join(entry.file_name()));
            let kind = entry.file_type().unwrap();
            if kind.is_symlink() {
                bundle
                    .add_symlink(&host, std::fs::read_link(&real).unwrap())
                    .unwrap();
            } else if kind.is_dir() {
                bundle.add_dir(&host).unwrap();
                walk(bundle, &real, &host);
            } else if kind.is_file() {
                bundle
                    .add_file(&host, std::fs::read(&real).unwrap())
                    .unwrap();
            } else {
                bundle.add_special(&host).unwrap();
            }
        }
    }
    let mut bundle = Bundle::new(dir);
    walk(&mut bundle, dir, Path::new("/"));
    bundle
}

/// A tar archive of a directory, as `tar -C DIR -cf - .` writes it (links kept as links).
fn tar_of(dir: &Path) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    builder.append_dir_all(".", dir).unwrap();
    builder.into_inner().unwrap()
}

fn live_snapshot(case: &Path) -> Option<netvet::live::LiveState> {
    let text = std::fs::read_to_string(case.join("live.json")).ok()?;
    Some(netvet::live::LiveState::from_json(&text).unwrap())
}

/// The JSON report, then the verbose human one (every file read, every path not found, the
/// notes, the paths a user opens).
fn json(target: &Target, case: &Path) -> String {
    let runs = [CheckRun::new(
        target,
        live_snapshot(case).as_ref(),
        &Config::default(),
    )];
    let human = netvet::report::human(&runs, false, netvet::report::Verbosity::Verbose);
    format!("{}\n{human}", netvet::report::json(&runs))
}

#[test]
fn every_fixture_reads_the_same_from_a_bundle_and_a_tar_archive() {
    let trees = fixture_trees();
    assert!(
        trees.len() > 50,
        "the fixtures were not found: {} trees",
        trees.len()
    );
    let mut differ = Vec::new();
    for tree in &trees {
        let from_dir = json(&Target::Root(Root::new(tree)), tree);
        let from_bundle = json(&Target::bundle(bundle_of(tree)), tree);
        let archive = tar_of(tree);
        let from_tar = json(
            &Target::bundle(Bundle::from_tar(archive.as_slice(), tree).unwrap()),
            tree,
        );
        assert!(from_dir.contains("\"findings\""), "{from_dir}");
        if from_bundle != from_dir {
            differ.push(format!(
                "{} (bundle):\n{from_dir}\n---\n{from_bundle}",
                tree.display()
            ));
        }
        if from_tar != from_dir {
            differ.push(format!(
                "{} (tar):\n{from_dir}\n---\n{from_tar}",
                tree.display()
            ));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n\n"));
    eprintln!("{} fixture trees compared", trees.len());
}

/// A tree whose links, loops, masks and globs the fixtures barely exercise, under `root`.
pub fn write_tree_of_links(root: &Path) {
    use std::os::unix::fs::symlink;
    let put = |path: &str, text: &str| {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    let link = |target: &str, path: &str| {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        symlink(target, p).unwrap();
    };
    put(
        "etc/net/real",
        "source /etc/network/interfaces.d/*\nsource-directory /etc/network/by-link\n\
         source ../../../../outside\nsource loop\nsource dangling\nsource /etc/network/up/*\n\
         auto bond0\niface bond0 inet manual\n  bond-slaves eth0\n  bond-mode 802.3ad\n",
    );
    link("/etc/net/real", "etc/network/interfaces");
    put(
        "etc/network/interfaces.d/a",
        "iface eth0 inet manual\n  mtu 9000\n",
    );
    put("etc/network/interfaces.d/.hidden", "iface x inet manual\n");
    link("a", "etc/network/interfaces.d/b");
    link("../interfaces", "etc/network/interfaces.d/cycle");
    link("/etc/network/interfaces.d", "etc/network/by-link");
    link("../..", "etc/network/up");
    link("loop2", "etc/net/loop");
    link("/etc/net/loop", "etc/net/loop2");
    link("/nowhere", "etc/net/dangling");
    put("etc/sysctl.conf", "net.ipv6.bindv6only = 1\n");
    link("../sysctl.conf", "etc/sysctl.d/99-sysctl.conf");
    link("/dev/null", "etc/sysctl.d/50-masked.conf");
    put(
        "usr/lib/sysctl.d/50-masked.conf",
        "net.ipv6.bindv6only = 0\n",
    );
    put(
        "lib/modprobe.d/bonding.conf",
        "options bonding miimon=100 mode=4\n",
    );
    link("/lib/modprobe.d", "etc/modprobe.d");
    put("lib/modprobe.d/sub/x.conf", "options bonding miimon=7\n");
    put("etc/modules", "bonding\n");
    link("../modules", "etc/modules-load.d/modules.conf");
    put("etc/nginx/nginx.conf", "http { include sites/*; }\n");
    link("/etc/nginx/real-sites", "etc/nginx/sites");
    put(
        "etc/nginx/real-sites/default",
        "server { listen [::]:80; }\n",
    );
    put(
        "etc/ssh/sshd_config",
        "Include /etc/ssh/sshd_config.d/*.conf\n",
    );
    link("/etc/ssh/sshd_config", "etc/ssh/sshd_config.d/self.conf");
}

/// The tree of links, loops, masks and globs, read both ways.
#[test]
fn trees_of_links_read_the_same_from_a_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_tree_of_links(root);
    let from_dir = json(&Target::Root(Root::new(root)), root);
    let from_bundle = json(&Target::bundle(bundle_of(root)), root);
    let from_tar = json(
        &Target::bundle(Bundle::from_tar(tar_of(root).as_slice(), root).unwrap()),
        root,
    );
    for needle in [
        "NV002",
        "/etc/net/real",
        "/etc/modprobe.d/sub/x.conf",
        "miimon",
    ] {
        assert!(from_dir.contains(needle), "{needle} in {from_dir}");
    }
    assert_eq!(from_bundle, from_dir);
    assert_eq!(from_tar, from_dir);
}
