#!/usr/bin/env bash
# The VM tier: checks, in a VM booted from Debian's stock kernel, the kernel behaviours that
# netvet's rules rely on (see README.md here). Prepares the cached VM assets first (quietly; a
# no-op when they are current), then runs kernel-facts.sh in the VM and prints its TAP-like
# output. Exits non-zero when a check fails or the VM cannot run. Works from any directory.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Host tools the harness copies into the VM or uses to build it (present on most Debian 12
# installs, but not in minimal containers).
need=()
[ -x /sbin/ip ] || need+=(iproute2)
command -v depmod >/dev/null 2>&1 || [ -x /usr/sbin/depmod ] || [ -x /sbin/depmod ] || need+=(kmod)
command -v xz >/dev/null 2>&1 || need+=(xz-utils)
if [ ${#need[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

log=$(mktemp); trap 'rm -f "$log"' EXIT
t0=$SECONDS
if ! "$here/run-in-vm.sh" --prepare >"$log" 2>&1; then
    echo "vm: preparing the VM assets failed:" >&2; cat "$log" >&2; exit 1
fi
[ $((SECONDS - t0)) -lt 2 ] || echo "vm: assets prepared in $((SECONDS - t0)) s"

rc=0
"$here/run-in-vm.sh" --timeout 120 "$here/kernel-facts.sh" | tee "$log" || rc=$?
# the summary line guards against a run that stopped early yet exited 0
if [ "$rc" = 0 ] && ! tail -n 1 "$log" | grep -Eq '^[0-9]+ passed, 0 failed$'; then
    echo "vm: kernel-facts.sh did not finish with a clean summary line" >&2; rc=1
fi
[ "$rc" = 0 ] || echo "vm: kernel-facts FAILED (status $rc)" >&2

root=$(cd "$here/../.." && pwd)
# Every step runs one netvet: the release build, stripped. The VM has 512 MiB and holds the
# binary twice while it unpacks its initramfs: the debug build (160 MB with the SSH client) left
# too little for netvet's own output, and a stripped release build (about 15 MB) is also what
# runs on hosts. It runs twice per fixture under emulation, too.
netvet_dir=$(mktemp -d); trap 'rm -f "$log"; rm -rf "$netvet_dir"' EXIT
netvet="$netvet_dir/netvet"
target_dir=${CARGO_TARGET_DIR:-$root/target}
if ! cargo build --quiet --release --manifest-path "$root/Cargo.toml" ||
    ! strip -o "$netvet" "$target_dir/release/netvet"; then
    echo "vm: the release build of netvet failed" >&2
    exit 1
fi

# netvet's live reader field by field against ip -details -json, sysfs and /proc/net/bonding,
# compared inside the VM (one boot). `live-model.sh --capture` refreshes fixtures/live.
echo "== VM: netvet live model, checked in the VM (live-model.sh)"
lm_rc=0
"$here/live-model.sh" "$netvet" | tee "$log" || lm_rc=$?
if [ "$lm_rc" = 0 ] && ! tail -n 1 "$log" | grep -Eq '^[0-9]+ passed, 0 failed$'; then
    echo "vm: live-model.sh did not finish with a clean summary line" >&2; lm_rc=1
fi
[ "$lm_rc" = 0 ] || { echo "vm: live model FAILED (status $lm_rc)" >&2; rc=1; }

# The real ifupdown configures a Debian root in the VM; netvet's live check must agree.
echo "== VM: ifup -a in a Debian root, then netvet check --live"
"$here/ifupdown.sh" "$netvet" || { echo "vm: ifupdown FAILED" >&2; rc=1; }
# netvet repair on states built with ip link: the plan, a failure at each action rolled back,
# the repair itself, and the management path kept.
echo "== VM: netvet repair (repair.sh)"
"$here/repair.sh" "$netvet" || { echo "vm: repair FAILED" >&2; rc=1; }
# The boot story: systemd as PID 1 runs the packaged netvet-repair.service after ifupdown.
echo "== VM: netvet-repair.service at boot (repair-boot.sh)"
"$here/repair-boot.sh" "$netvet" || { echo "vm: repair at boot FAILED" >&2; rc=1; }
# The real systemd as PID 1 creates the socket units' sockets; netvet must read them right.
echo "== VM: systemd socket units and BindIPv6Only="
"$here/systemd.sh" "$netvet" || { echo "vm: systemd FAILED" >&2; rc=1; }
# Every configuration fixture brought up by the real ifup -a; netvet's replay of ifupdown and
# each rule's claims must match what the kernel ended up with.
echo "== VM: every fixture through ifup -a (fixtures.sh)"
"$here/fixtures.sh" "$netvet" || { echo "vm: fixtures FAILED" >&2; rc=1; }
exit "$rc"
