#!/usr/bin/env bash
# Every test tier netvet has, from a fresh Debian 12 machine: installs what the tests need,
# then lint, unit, integration, snapshot and differential tests.
#
#   NETVET_CORPUS   the shared corpus of real-world configs (default: ../shared/corpus)
set -euo pipefail
cd "$(dirname "$0")/.."

# Reference parsers for the differential tests: Debian's ifquery (ifupdown) and modprobe (kmod).
need=()
command -v ifquery >/dev/null 2>&1 || need+=(ifupdown)
command -v modprobe >/dev/null 2>&1 || [ -x /usr/sbin/modprobe ] || need+=(kmod)
# The namespace tests run their test servers and the VM tier its checks in python3.
command -v python3 >/dev/null 2>&1 || need+=(python3)
# The SARIF test validates with python3's jsonschema; the schema comes from npm (below).
python3 -c 'import jsonschema' >/dev/null 2>&1 || need+=(python3-jsonschema)
command -v npm >/dev/null 2>&1 || need+=(npm)
# Real nginx, Apache and sshd for the listener tests (started only in network namespaces).
# tests/it/precommit.rs installs pre-commit from PyPI into a venv and commits with git.
python3 -c 'import ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
command -v git >/dev/null 2>&1 || need+=(git)
[ -x /usr/sbin/nginx ] || need+=(nginx-core)
[ -x /usr/sbin/apache2 ] || need+=(apache2)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
if [ ${#need[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
export PATH="$PATH:/usr/sbin:/sbin"

export NETVET_CORPUS="${NETVET_CORPUS:-$(cd .. && pwd)/shared/corpus}"
if [ ! -d "$NETVET_CORPUS" ]; then
    echo "run-all: corpus not found at $NETVET_CORPUS (set NETVET_CORPUS)" >&2
    exit 2
fi
# The official SARIF 2.1.0 schema (2.1.0-rtm.5, the final text) as Microsoft's SARIF SDK ships
# it in its npm package, pinned by version and checksum, for tests/it/formats.rs.
schema_dir="${CARGO_TARGET_DIR:-target}/sarif-schema"
export NETVET_SARIF_SCHEMA="$schema_dir/package/lib/schemas/sarif-2.1.0-rtm.5.json"
if [ ! -f "$NETVET_SARIF_SCHEMA" ]; then
    mkdir -p "$schema_dir"
    (cd "$schema_dir" && npm pack --silent @microsoft/jest-sarif@1.0.0-beta.0 >/dev/null &&
        tar xzf microsoft-jest-sarif-1.0.0-beta.0.tgz)
fi
echo "2d99159ae54a3eea97f81781cff48780548657c35949f4b7f25e99a2ba4de4f8  $NETVET_SARIF_SCHEMA" |
    sha256sum --check --quiet
export NETVET_SARIF_SCHEMA="$(cd "$(dirname "$NETVET_SARIF_SCHEMA")" && pwd)/$(basename "$NETVET_SARIF_SCHEMA")"

# ansible-core from PyPI, pinned, in a venv: the reference for the inventory parser
# (ansible-inventory), the fleet benchmark's baseline and contrib/ansible's test.
ansible_venv="${CARGO_TARGET_DIR:-target}/ansible-venv"
if [ ! -x "$ansible_venv/bin/ansible-inventory" ]; then
    python3 -m venv "$ansible_venv"
    "$ansible_venv/bin/pip" install --quiet --disable-pip-version-check 'ansible-core==2.18.19'
fi
export NETVET_ANSIBLE_BIN="$(cd "$ansible_venv/bin" && pwd)"

# Snapshots are reviewed, never accepted silently by a test run.
export INSTA_UPDATE=no

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets --locked -- -D warnings
# The language: rust pre-commit hook, which pre-commit builds with cargo from this checkout
# (tests/it/precommit.rs; about 3.5 minutes the first time, 1.5 after).
export NETVET_PRECOMMIT_RUST=1
echo "== tests"
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --locked --no-fail-fast
else
    cargo test --locked --no-fail-fast
fi

# Every parser and the live snapshot under libFuzzer for a few seconds each (fuzz/README.md):
# builds the fuzzers with nightly, installing cargo-fuzz if missing; fails on any crash.
echo "== fuzz (short)"
fuzz/run.sh short

echo "== Debian package (build, lintian, install and remove in a clean Debian 12 root)"
tests/pkg/run.sh

# contrib/ansible's playbook with the real ansible-core (NETVET_ANSIBLE_BIN, above) against sshd
# hosts in network namespaces; it takes a release binary and builds nothing itself.
echo "== contrib/ansible"
cargo build --release --locked --quiet
tests/ansible/run.sh "${CARGO_TARGET_DIR:-target}/release/netvet"

# --- VM tier: kernel behaviour behind the rules, checked in a VM (see tests/vm/README.md) ---
echo "== VM tier (Debian kernel under qemu)"
tests/vm/run.sh
# --- end of VM tier ---
