#!/usr/bin/env bash
# Builds netvet as one static x86_64 Linux binary (musl), for hosts where the Debian package
# does not fit (other distributions, rescue systems): it needs no libc at run time.
#
#   dist/build-static.sh
#
# Installs the Rust target (rustup target add) when missing, builds with the dist profile
# (Cargo.toml), strips the symbols, checks that the result has no dynamic loader and no shared
# library, runs `--version` and `check` on fixtures/demo with it, and prints its path:
# $CARGO_TARGET_DIR/netvet-VERSION-x86_64-linux-musl (CARGO_TARGET_DIR defaults to target).
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-unknown-linux-musl

if ! rustup target list --installed | grep -qx "$target"; then
    rustup target add "$target" >&2
fi
# Rust's musl target brings its own C runtime and links with the system's cc, but ring (the
# cryptography of netvet's SSH client) compiles C and assembly, which needs a C compiler for
# musl: musl-tools' x86_64-linux-musl-gcc, the name the cc crate looks for.
if ! command -v x86_64-linux-musl-gcc >/dev/null; then
    echo "build-static: x86_64-linux-musl-gcc not found: apt-get install musl-tools" >&2
    exit 1
fi
cargo build --locked --profile dist --target "$target" --bin netvet >&2

target_dir=${CARGO_TARGET_DIR:-target}
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
out=$target_dir/netvet-$version-x86_64-linux-musl
strip -o "$out" "$target_dir/$target/dist/netvet"

fail() {
    echo "build-static: $out: $*" >&2
    exit 1
}
# A static binary has no program interpreter (the dynamic loader) and needs no shared library.
if readelf --program-headers "$out" | grep -q INTERP; then
    fail "has a dynamic loader (readelf shows an INTERP header): it is not static"
fi
if readelf --dynamic "$out" | grep -q NEEDED; then
    fail "needs shared libraries: $(readelf --dynamic "$out" | grep NEEDED)"
fi
linkage=$(file -b "$out" | grep -oE 'static(-pie)? linked' || true)
[ -n "$linkage" ] || fail "file does not call it statically linked: $(file -b "$out")"
ldd_says=$(ldd "$out" 2>&1 || true)
case $ldd_says in
*"not a dynamic executable"* | *"statically linked"*) ;;
*) fail "ldd lists libraries: $ldd_says" ;;
esac
"$out" --version | grep -q "^netvet $version (commit " || fail "--version does not name the commit"
status=0
"$out" check --color never fixtures/demo >/dev/null 2>&1 || status=$?
[ "$status" -eq 1 ] || fail "check fixtures/demo exited $status, expected 1 (findings)"
"$out" check fixtures/healthy/active-backup >/dev/null || fail "check of a healthy fixture failed"

echo "build-static: $("$out" --version), $linkage" >&2
printf '%s\n' "$out"
