#!/usr/bin/env bash
# The Debian package as an operator gets it: builds it with cargo-deb (the metadata is in
# Cargo.toml's [package.metadata.deb]), runs lintian on it with every tag level failing (the
# overrides, each with its reason, are in dist/lintian-overrides), then installs it into a clean
# Debian 12 root and checks what it installed: the binary and the commit it names, the man
# pages through man-db, the bash, zsh and fish completions, a check of a fixture copied into the
# root, that dpkg -r leaves no file behind, and that apt installs and removes it the same way.
#
# Runs as root (debootstrap and chroot need it); installs cargo-deb, lintian and debootstrap
# when missing. The Debian root is built once with debootstrap and cached as a tarball:
#   NETVET_PKG_CACHE      where (default ~/.cache/netvet-pkg)
#   NETVET_DEBIAN_MIRROR  the bookworm mirror (default: this machine's apt source for bookworm)
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/sbin:/sbin"
t0=$SECONDS

if [ "$(id -u)" -ne 0 ]; then
    echo "pkg: run as root: debootstrap and chroot need it" >&2
    exit 2
fi

need=()
command -v lintian >/dev/null || need+=(lintian)
command -v debootstrap >/dev/null || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
cargo deb --version >/dev/null 2>&1 || cargo install cargo-deb --locked

work=$(mktemp -d /tmp/netvet-pkg.XXXXXX)
root=$work/root
cleanup() {
    # The root has nothing mounted in it; --one-file-system keeps rm inside it regardless.
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT
fail() {
    echo "pkg: FAIL: $*" >&2
    exit 1
}

# --- build and lint ---
echo "== cargo deb"
deb=$(cargo deb --locked | tail -n1)
[ -f "$deb" ] || fail "cargo deb did not print the path of a .deb (got '$deb')"
echo "pkg: built $deb"

echo "== lintian"
lintian --pedantic --display-info --fail-on error,warning,info,pedantic "$deb" ||
    fail "lintian reports the tags above: fix the package or, when a tag does not apply, override it with its reason in dist/lintian-overrides"

# --- a clean Debian 12 root, cached as a tarball ---
mirror=${NETVET_DEBIAN_MIRROR:-$(apt-get indextargets --format '$(REPO_URI)' 'Codename: bookworm' \
    'Created-By: Packages' 2>/dev/null | grep -v -- '-security' | head -n1 || true)}
mirror=${mirror:-http://deb.debian.org/debian}
# man-db proves `man netvet` works; bash runs the installed completion script (it is in
# minbase). The tarball's name carries the package list, so a changed list builds a new one.
packages=man-db
cache=${NETVET_PKG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/netvet-pkg}
tarball=$cache/bookworm-minbase-$(printf '%s' "$packages" | md5sum | cut -c1-8).tar
if [ ! -f "$tarball" ]; then
    echo "== debootstrap bookworm from $mirror (once; cached in $tarball)"
    mkdir -p "$cache"
    debootstrap --variant=minbase --include="$packages" bookworm "$work/boot" "$mirror" \
        >"$work/debootstrap.log" 2>&1 || {
        tail -n 20 "$work/debootstrap.log" >&2
        fail "debootstrap of Debian 12 from $mirror failed (log above); set NETVET_DEBIAN_MIRROR to a reachable bookworm mirror"
    }
    # Fetched package files are not part of a clean root and would only bloat the cache.
    rm -rf "$work/boot/var/cache/apt/archives/"*.deb
    tar -C "$work/boot" -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    rm -rf --one-file-system "$work/boot"
fi
mkdir "$root"
tar -C "$root" -xf "$tarball"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }

# Every file outside dpkg's, apt's and man-db's own state, to compare after removing.
files() {
    (cd "$root" && find . -xdev \( -path ./var/lib/dpkg -o -path ./var/lib/apt -o -path ./var/cache/apt \
        -o -path ./var/cache/man -o -path ./var/log -o -path ./tmp \) -prune -o ! -type d -print | sort)
}
files >"$work/before"

# --- install and check what the operator gets ---
echo "== dpkg -i in a clean Debian 12 root"
cp "$deb" "$root/tmp/netvet.deb"
in_root dpkg -i /tmp/netvet.deb >"$work/dpkg.log" 2>&1 || {
    cat "$work/dpkg.log" >&2
    fail "dpkg -i of $deb failed in a clean Debian 12 root (output above)"
}

commit=$(git rev-parse --short HEAD 2>/dev/null || echo "${NETVET_COMMIT:-unknown}")
version=$(in_root netvet --version)
want="netvet $(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1) (commit $commit)"
[ "$version" = "$want" ] || fail "netvet --version says '$version', expected '$want'"
echo "pkg: $version"

for page in netvet netvet-check netvet-explain netvet-listeners netvet-live netvet-rules netvet-snapshot; do
    [ "$(in_root man -w "$page")" = "/usr/share/man/man1/$page.1.gz" ] ||
        fail "man -w $page does not find /usr/share/man/man1/$page.1.gz"
done
# Rendered to files, not piped into grep -q, so an early exit of grep cannot fail man.
in_root man -P cat netvet >"$work/man.out" 2>&1 || fail "man netvet failed: $(head -n 5 "$work/man.out")"
grep -q 'netvet check' "$work/man.out" || fail "man netvet does not render the page (no 'netvet check' in its text)"
in_root man -P cat netvet-check >"$work/man.out" 2>&1 || fail "man netvet-check failed: $(head -n 5 "$work/man.out")"
grep -q -- '--fail-on' "$work/man.out" || fail "man netvet-check does not render the page (no '--fail-on' in its text)"

# The boot-time repair unit is installed, and not enabled: that is the operator's choice.
in_root test -f /usr/lib/systemd/system/netvet-repair.service ||
    fail "/usr/lib/systemd/system/netvet-repair.service is not installed"
if in_root sh -c 'ls /etc/systemd/system/*.wants/netvet-repair.service' >/dev/null 2>&1; then
    fail "netvet-repair.service was enabled by the installation"
fi
for file in /usr/share/bash-completion/completions/netvet /usr/share/zsh/vendor-completions/_netvet \
    /usr/share/fish/vendor_completions.d/netvet.fish /usr/share/doc/netvet/rules/NV101.md \
    /usr/share/doc/netvet/README.md /usr/share/doc/netvet/copyright \
    /usr/share/doc/netvet/changelog.Debian.gz; do
    [ -f "$root$file" ] || fail "$file is not installed"
done
# The installed bash completion works as bash-completion loads it: `netvet ch<TAB>`.
completed=$(in_root bash -c 'source /usr/share/bash-completion/completions/netvet
    COMP_WORDS=(netvet ch); COMP_CWORD=1; COMP_LINE="netvet ch"; COMP_POINT=9
    _netvet netvet ch netvet; printf "%s\n" "${COMPREPLY[@]}"')
[ "$completed" = check ] || fail "bash completes 'netvet ch' to '$completed', expected 'check'"

cp -r fixtures/demo "$root/tmp/demo"
cp -r fixtures/healthy/active-backup "$root/tmp/healthy"
status=0
in_root netvet check --color never /tmp/demo >"$work/demo.out" 2>&1 || status=$?
[ "$status" -eq 1 ] && grep -q 'error\[NV101\]' "$work/demo.out" ||
    fail "netvet check /tmp/demo exited $status without NV101: $(head -n 20 "$work/demo.out")"
in_root netvet check /tmp/healthy >"$work/healthy.out" 2>&1 ||
    fail "netvet check of a healthy fixture failed: $(head -n 20 "$work/healthy.out")"
in_root netvet explain NV101 >"$work/explain.out" 2>&1 && grep -q miimon "$work/explain.out" ||
    fail "netvet explain NV101 does not print the rule page: $(head -n 5 "$work/explain.out")"

# --- remove: nothing left behind ---
echo "== dpkg -r"
in_root dpkg -r netvet >"$work/dpkg.log" 2>&1 || {
    cat "$work/dpkg.log" >&2
    fail "dpkg -r netvet failed (output above)"
}
files >"$work/after"
diff -u "$work/before" "$work/after" >&2 || fail "dpkg -r netvet left the files above behind"

# The README's way: apt installs the local file (its dependencies from what is installed).
echo "== apt-get install of the file, apt-get remove"
in_root apt-get install -y -q /tmp/netvet.deb >"$work/apt.log" 2>&1 &&
    [ "$(in_root netvet --version)" = "$want" ] &&
    in_root apt-get remove -y -q netvet >>"$work/apt.log" 2>&1 || {
    cat "$work/apt.log" >&2
    fail "apt-get install of the package or apt-get remove netvet failed (output above)"
}
files >"$work/after"
diff -u "$work/before" "$work/after" >&2 || fail "apt-get remove netvet left the files above behind"

echo "pkg: ok ($((SECONDS - t0)) s)"
