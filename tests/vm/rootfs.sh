# Sourced by the VM tier's scripts: `ensure_rootfs NAME PACKAGES` builds (once, cached) a Debian 12
# root with debootstrap (minbase plus the comma-separated PACKAGES) and prints its path. The
# directory name carries a hash of the package list, so a changed list builds a new root.
ensure_rootfs() {
    local name=$1 packages=$2 cache key rootfs log
    cache=${NETVET_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/netvet-vm}
    key=$(printf '%s' "$packages" | md5sum | cut -c1-8)
    rootfs=$cache/rootfs-$name-$key
    log=$cache/debootstrap-$name.log
    if [ ! -f "$rootfs/.complete" ]; then
        command -v debootstrap >/dev/null || {
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -qq && apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
        }
        local t0=$SECONDS
        mkdir -p "$cache"
        rm -rf "$rootfs.tmp"
        debootstrap --variant=minbase --include="$packages" bookworm "$rootfs.tmp" >"$log" 2>&1 \
            || { echo "vm: debootstrap of $name failed:" >&2; tail -20 "$log" >&2; return 1; }
        touch "$rootfs.tmp/.complete"
        mv "$rootfs.tmp" "$rootfs"
        echo "vm: Debian root $name built in $((SECONDS - t0)) s" >&2
    fi
    printf '%s\n' "$rootfs"
}
