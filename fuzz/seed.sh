#!/usr/bin/env bash
# Fill fuzz/corpus/<target>/ with seeds: the repository's fixtures and the shared corpus of
# real-world files ($NETVET_CORPUS, default /work/shared/corpus). Files are named by their
# SHA-1, as libFuzzer names what it finds, so running this again adds nothing twice.
#
# fuzz/corpus/ is ignored by git: the shared corpus is other people's files and must never be
# committed, and what the fuzzers add is machine-made.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
corpus="${NETVET_CORPUS:-/work/shared/corpus}"
out="$here/corpus"

# put TARGET FILE...: copy each regular, non-empty file into the target's corpus.
put() {
    local target=$1
    shift
    mkdir -p "$out/$target"
    [ $# -gt 0 ] || return 0
    # One sha1sum for all the files: a fork per file is most of the time on a loaded machine.
    local sum f
    while IFS= read -r -d '' f; do
        [ -s "$f" ] && printf '%s\0' "$f"
    done < <(printf '%s\0' "$@") |
        xargs -0 -r sha1sum -z |
        while IFS= read -r -d '' line; do
            sum=${line%% *}
            f=${line#* }
            f=${f# }
            f=${f#\*}
            cp "$f" "$out/$target/$sum"
        done
}

# find0 DIR FIND-ARGS...: the matching files, NUL-separated, nothing if DIR is missing.
find0() {
    local dir=$1
    shift
    [ -d "$dir" ] || return 0
    find "$dir" -type f "$@" -print0
}

# Hook commands: the value of every pre-up/up/post-up/down/pre-down/post-down option line of
# the given interfaces files, one seed per command.
hooks() {
    mkdir -p "$out/hooks"
    local tmp
    tmp="$(mktemp)"
    cat "$@" 2>/dev/null |
        sed -n -E 's/^[[:space:]]*(pre-up|up|post-up|down|pre-down|post-down)[[:space:]]+//p' |
        sort -u |
        while IFS= read -r line; do
            printf '%s' "$line" >"$tmp"
            cp "$tmp" "$out/hooks/$(sha1sum <"$tmp" | cut -c1-40)"
        done
    rm -f "$tmp"
}

seed_from() {
    local dir=$1
    local -a files
    mapfile -d '' files < <(find0 "$dir" \( -path '*/etc/network/interfaces' -o -path '*/etc/network/interfaces.d/*' \))
    put interfaces "${files[@]}"
    hooks "${files[@]}"
    mapfile -d '' files < <(find0 "$dir" \( -path '*/modprobe.d/*' -o -path '*/etc/modules' -o -path '*/initramfs-tools/modules' -o -path '*/modules-load.d/*' \))
    put modprobe "${files[@]}"
    mapfile -d '' files < <(find0 "$dir" \( -path '*/sysctl.d/*' -o -name 'sysctl.conf' \))
    put sysctl "${files[@]}"
    mapfile -d '' files < <(find0 "$dir" -path '*/nginx/*')
    put nginx "${files[@]}"
    mapfile -d '' files < <(find0 "$dir" -path '*/ssh/sshd_config*')
    put sshd "${files[@]}"
    mapfile -d '' files < <(find0 "$dir" \( -path '*/apache2/*' -o -path '*/httpd/*' \))
    put apache "${files[@]}"
    mapfile -d '' files < <(find0 "$dir" \( -name '*.socket' -o -name '*.service' \))
    put systemd "${files[@]}"
    mapfile -d '' files < <(find0 "$dir" -name 'live.json')
    put live "${files[@]}"
    mapfile -d '' files < <(find0 "$dir" -name '*.ip.json')
    put ip_json "${files[@]}"
    # Every fixture that has a netvet comment, whatever its dialect.
    mapfile -t files < <([ -d "$dir" ] && grep -rl 'netvet:' "$dir" 2>/dev/null || true)
    put suppression "${files[@]}"
}

seed_from "$repo/fixtures"
# Ansible inventories (INI, YAML, plain lists) for the inventory reader.
mapfile -d '' files < <(find0 "$repo/fixtures/inventory")
put inventory "${files[@]}"

if [ -d "$corpus" ]; then
    # The corpus is flat per dialect (see its NOTES.md); netplan YAML has no parser here.
    mapfile -d '' files < <(find0 "$corpus/interfaces")
    put interfaces "${files[@]}"
    hooks "${files[@]}"
    # Debian's and others' parser test suites: their test inputs are interfaces files.
    mapfile -d '' files < <(find0 "$corpus/ifupdown-tests" \( -name 'testcase.*' -o -name '*interfaces*' -o -name '*.eni' \) -size -64k)
    put interfaces "${files[@]}"
    hooks "${files[@]}"
    # Templates must be rejected gracefully: each goes to the parser of what it renders.
    mapfile -d '' files < <(find0 "$corpus/templates" -iname '*interfaces*')
    put interfaces "${files[@]}"
    mapfile -d '' files < <(find0 "$corpus/templates" \( -iname '*modprobe*' -o -iname '*bonding*' \))
    put modprobe "${files[@]}"
    mapfile -d '' files < <(find0 "$corpus/modprobe")
    put modprobe "${files[@]}"
    mapfile -d '' files < <(find0 "$corpus/sysctl")
    put sysctl "${files[@]}"
    mapfile -d '' files < <(find0 "$corpus/nginx")
    put nginx "${files[@]}"
    mapfile -d '' files < <(find0 "$corpus/apache")
    put apache "${files[@]}"
    mapfile -d '' files < <(find0 "$corpus/sshd")
    put sshd "${files[@]}"
    # systemd-networkd's files are unit-file syntax, the same parser as socket units.
    mapfile -d '' files < <(find0 "$corpus/networkd")
    put systemd "${files[@]}"
    # Comments of every kind, for the suppression scanner to skip.
    mapfile -d '' files < <(find0 "$corpus/sysctl")
    put suppression "${files[@]:0:10}"
    mapfile -d '' files < <(find0 "$corpus/modprobe")
    put suppression "${files[@]:0:10}"
else
    echo "seed: no shared corpus at $corpus (set NETVET_CORPUS); fixtures only" >&2
fi

# What an audited host sends back (src/audit/collect.rs): the sections, then a tar of a
# fixture tree, for the demo host and the VM's bonds.
mkdir -p "$out/collect"
answer() {
    local ip=$1 tree=$2 tmp
    tmp="$(mktemp)"
    {
        echo "netvet-collect 1"
        for s in "hostname:fuzz" "ip-link:$(cat "$ip")" "ss:LISTEN 0 511 0.0.0.0:80 0.0.0.0:* ino:1 sk:1" \
            "sysctl:/proc/sys/net/ipv6/bindv6only:1" "sysfs:/sys/class/net/eth0/speed:1000"; do
            name=${s%%:*}
            body=${s#*:}
            printf '%s %s\n%s\n' "$name" "$(printf '%s' "$body" | wc -c)" "$body"
        done
        echo tar
        tar -C "$tree" -c -f - etc
    } >"$tmp"
    cp "$tmp" "$out/collect/$(sha1sum <"$tmp" | cut -c1-40)"
    rm -f "$tmp"
}
answer "$repo/fixtures/live/vm-bonds.ip.json" "$repo/fixtures/demo"
answer "$repo/fixtures/live/debian11.ip.json" "$repo/fixtures/rules/NV101/fires-active-backup-no-miimon"

# The whole check: each fixture tree's files joined at NUL bytes, in fuzz_targets/check.rs's
# order (an absent file is an empty part).
mkdir -p "$out/check"
tmp="$(mktemp)"
for tree in "$repo"/fixtures/rules/*/*/ "$repo"/fixtures/healthy/*/ "$repo"/fixtures/dialect/*/ "$repo"/fixtures/demo/; do
    included=$(find "$tree/etc/network/interfaces.d" -type f 2>/dev/null | sort | head -n 1 || true)
    : >"$tmp"
    first=1
    for p in "$tree/etc/network/interfaces" "${included:-/nonexistent}" "$tree/etc/modprobe.d/bonding.conf" \
        "$tree/etc/sysctl.d/99-net.conf" "$tree/etc/nginx/nginx.conf" "$tree/etc/ssh/sshd_config" \
        "$tree/etc/modules"; do
        [ "$first" = 1 ] || printf '\0' >>"$tmp"
        first=0
        if [ -f "$p" ]; then cat "$p" >>"$tmp"; fi
    done
    cp "$tmp" "$out/check/$(sha1sum <"$tmp" | cut -c1-40)"
done
rm -f "$tmp"
# fix plans on the same trees: its first five parts are check's.
mkdir -p "$out/fix"
cp "$out"/check/* "$out/fix/"

for d in "$out"/*/; do
    printf '%-12s %5d seeds\n' "$(basename "$d")" "$(find "$d" -type f | wc -l)"
done
