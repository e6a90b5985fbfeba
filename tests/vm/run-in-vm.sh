#!/usr/bin/env bash
# run-in-vm.sh - run one program as root inside a throw-away VM booted from Debian's stock kernel.
#
# netvet's rules encode what the Linux bonding, 8021q (VLAN), bridge and IPv6 code really does with
# a configuration. Checking those facts needs a kernel with the bonding, 8021q and dummy drivers,
# which build and CI machines often lack (and loading them on a shared host would change its
# networking). This script therefore boots Debian's own kernel under qemu in software emulation
# (TCG, so no /dev/kvm is needed) with a small initramfs, runs the program inside, and hands back
# its stdout, stderr and exit status. A run takes about 2 seconds.
#
# Nothing is installed on the host. `--prepare` fetches the .debs of qemu-system-x86 (and whatever
# libraries it needs that the host lacks), the kernel that linux-image-amd64 currently depends on,
# and busybox-static with `apt-get download`, unpacks them into a cache directory and builds the
# base initramfs there. Installing qemu-system-x86 for real is avoided on purpose: on machines with
# backported qemu-utils it would remove them. The VM's userland is busybox, plus the host's dash
# (as /bin/sh) and iproute2 (as /sbin/ip and /usr/sbin/ip) with the host's glibc: busybox's own
# `ip` applet lacks the bond and vlan options, so scripts in the VM call iproute2 by absolute path.
#
# usage: run-in-vm.sh --prepare                      build the cached assets (idempotent), then exit
#        run-in-vm.sh [options] [--] PROGRAM [ARGS...]
#        PROGRAM may be a #!/bin/sh script, a static binary, or a binary dynamically linked
#        against the host's libraries (they are copied in).
#
# options:
#   --setup CMDS       shell commands run (dash, set -e) before PROGRAM; their output goes to
#                      the console log; repeatable
#   --modules LIST     modules to load at boot instead of the default
#                      "bonding:max_bonds=0 8021q dummy:numdummies=0" (space separated,
#                      "name:param=val,param=val"), or "none". Other modules in the initramfs
#                      (veth, bridge) are auto-loaded on demand; the initramfs also has
#                      "options bonding max_bonds=0" and "options dummy numdummies=0" in
#                      /etc/modprobe.d, so modprobe adds those (use insmod to avoid them).
#   --file SRC[:DST]   copy a host file into the VM (default DST /payload/files/NAME)
#   --host-bin PATH    copy a dynamically linked host program and its libraries into the VM at
#                      the same path (for example /usr/sbin/ethtool)
#   --env K=V          set an environment variable for PROGRAM (repeatable)
#   --timeout SECS     wall-clock limit for the whole run (default 300)
#   --log FILE         keep the VM console log (kernel messages, setup output) in FILE
#   --share DIR        mount host DIR read-write at /mnt/share in the VM (virtio-9p): for a
#                      Debian root tree to chroot into, or bulk output
#   --share-cache MODE with --share: the 9p cache mode (default none, always coherent); `loose`
#                      caches files and directories in the VM, for a share that only the VM
#                      uses while it runs (much faster to run programs from)
#   --boot             with --share: boot the shared root with its own /lib/systemd/systemd
#                      instead of running PROGRAM; a unit in it must print NETVET-VM-EXIT=N on
#                      /dev/ttyS0 and power off (PROGRAM is still required, and ignored)
#
# exit status: PROGRAM's own; 124 timeout; 125 the VM or the harness failed (the console log is
# printed on stderr); 126 the --setup commands failed.
#
# environment:
#   NETVET_VM_CACHE    asset cache (default ${XDG_CACHE_HOME:-$HOME/.cache}/netvet-vm)
#   NETVET_VM_QEMU     a qemu-system-x86_64 to use instead of the cached copy of Debian's
set -euo pipefail

CACHE=${NETVET_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/netvet-vm}
MODS_IN_INITRD="bonding 8021q dummy veth bridge vxlan macvlan ip_gre ipip inet_diag tcp_diag 9p 9pnet_virtio virtio_pci"
KCMDLINE="console=ttyS0 panic=-1 quiet loglevel=0 cryptomgr.notests rdinit=/init"
QDIR=$CACHE/qemu

die() { echo "run-in-vm: $*" >&2; exit 125; }

# ------------------------------------------------------------------ guest /init
guest_init() {
cat <<'INIT'
#!/bin/sh
# /init of netvet's test initramfs. /bin/sh is dash: Debian's busybox-static prefers its own
# applets over $PATH, so busybox's ash would run busybox `ip` instead of iproute2.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /run /tmp /var /mnt/share; ln -sf /run /var/run
mount -t devpts devpts /dev/pts; mount -t tmpfs tmpfs /run
echo /sbin/modprobe > /proc/sys/kernel/modprobe   # kernel auto-loading -> busybox modprobe
exec 3>/dev/ttyS1 4>/dev/ttyS2                      # 3 = program stdout, 4 = program stderr
stty raw -echo <&3; stty raw -echo <&4
mods="bonding:max_bonds=0 8021q dummy:numdummies=0"
[ -f /payload/modules ] && mods=$(cat /payload/modules)
for m in $mods; do
  name=${m%%:*}; params=; [ "$name" != "$m" ] && params=$(echo "${m#*:}" | tr ',' ' ')
  modprobe "$name" $params || echo "NETVET-VM: modprobe $name failed"
done
/sbin/ip link set lo up
if grep -q netvet.share /proc/cmdline; then
  modprobe virtio_pci; modprobe 9pnet_virtio; modprobe 9p
  cache=$(sed -n 's/.*netvet.share_cache=\([a-z]*\).*/\1/p' /proc/cmdline)
  mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000${cache:+,cache=$cache} share /mnt/share \
    || echo "NETVET-VM: 9p mount failed"
fi
if grep -q netvet.boot /proc/cmdline; then
  # Boot the shared Debian root with its own init (systemd). Its test unit reports
  # NETVET-VM-EXIT=N on the console and powers off.
  modprobe inet_diag; modprobe tcp_diag   # the root has no modules for this kernel
  umount /proc /sys /dev/pts /run 2>/dev/null; umount /dev 2>/dev/null
  exec switch_root /mnt/share /lib/systemd/systemd
fi
cd /payload
rc=0
if [ -f /payload/setup.sh ]; then
  sh -e /payload/setup.sh </dev/null; rc=$?
fi
if [ "$rc" != 0 ]; then
  echo "NETVET-VM-SETUP-FAILED=$rc"
else
  sh /payload/cmd.sh </dev/null >&3 2>&4; rc=$?
  echo "NETVET-VM-EXIT=$rc"
fi
[ -d /mnt/share ] && sync
exec 3>&- 4>&-          # the last close of a serial tty waits until its output is sent
poweroff -f
INIT
}

# ------------------------------------------------------------------ asset preparation
# Host files copied into the base initramfs; when any of them changes (or the guest /init or the
# module list does), the assets are rebuilt so that the VM's glibc matches the host's.
host_files() {
  local f
  for f in /bin/dash /sbin/ip /lib64/ld-linux-x86-64.so.2; do readlink -f "$f"; done
  ldd "$(readlink -f /sbin/ip)" "$(readlink -f /bin/dash)" 2>/dev/null | awk '/=> \// {print $3}' | sort -u
}
asset_key() {
  { guest_init; echo "$MODS_IN_INITRD"; host_files | xargs md5sum; } | md5sum | cut -d' ' -f1
}

# copy the shared libraries (per ldd) of host program $1 into root dir $2, except those already in
# the base initramfs; a static binary or a script has none
copy_libs() {
  local lib
  for lib in $(ldd "$1" 2>/dev/null | awk '/=> \// {print $3} /^\t\/lib/ {print $1}'); do
    [ -e "$2$lib" ] && continue
    [ -f "$CACHE/base-files.txt" ] && grep -qxF ".$lib" "$CACHE/base-files.txt" && continue
    mkdir -p "$2$(dirname "$lib")"; cp -L "$lib" "$2$lib"
  done
}
copy_with_libs() { mkdir -p "$2$(dirname "$1")"; cp -L "$1" "$2$1"; copy_libs "$1" "$2"; }

need_host_tools() {
  local t missing=()
  for t in dash ldd depmod xz gzip flock apt-get dpkg; do
    command -v "$t" >/dev/null 2>&1 || [ -x "/usr/sbin/$t" ] || [ -x "/sbin/$t" ] || missing+=("$t")
  done
  [ -x /sbin/ip ] || missing+=("ip (iproute2)")
  [ ${#missing[@]} -eq 0 ] || die "host tools missing: ${missing[*]} (apt-get install iproute2 kmod xz-utils)"
}

apt_download() {   # apt_download DIR PKG... ; refreshes stale package lists once
  (cd "$1" && shift && apt-get download -qq "$@" >/dev/null 2>&1) && return 0
  apt-get update -qq
  (cd "$1" && shift && apt-get download -qq "$@" >/dev/null 2>&1)
}

prepare_qemu() {
  [ -f "$QDIR/.ready" ] && return 0
  local d=$CACHE/debs-qemu pkgs p
  # qemu-system-x86 and the packages apt would pull in on this host, unpacked privately
  pkgs=$(apt-get install -s --no-install-recommends qemu-system-x86 2>/dev/null | awk '/^Inst/ {print $2}')
  if [ -z "$pkgs" ]; then
    apt-get update -qq
    pkgs=$(apt-get install -s --no-install-recommends qemu-system-x86 2>/dev/null | awk '/^Inst/ {print $2}')
  fi
  [ -n "$pkgs" ] || die "apt cannot resolve qemu-system-x86"
  rm -rf "$d" "$QDIR"; mkdir -p "$d" "$QDIR"; chmod 755 "$d"
  # shellcheck disable=SC2086
  apt_download "$d" $pkgs || die "apt-get download of qemu-system-x86 failed"
  for p in $pkgs; do dpkg -x "$d/${p}"_*.deb "$QDIR"; done
  rm -rf "$d"
  [ -x "$QDIR/usr/bin/qemu-system-x86_64" ] || die "no qemu-system-x86_64 in the unpacked packages"
  touch "$QDIR/.ready"
}

prepare_kernel() {
  local key; key=$(asset_key)
  [ -f "$CACHE/.ready" ] && [ "$(cat "$CACHE/.ready")" = "$key" ] && return 0
  local d=$CACHE
  apt-cache show linux-image-amd64 >/dev/null 2>&1 || apt-get update -qq
  local kpkg
  kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  [ -n "$kpkg" ] || die "cannot resolve the kernel package from linux-image-amd64"
  local kver=${kpkg#linux-image-}
  # copy_libs skips what base-files.txt lists: a list left from the previous build would keep
  # the libraries out of the new base itself
  rm -f "$d/base-files.txt" "$d/.ready"
  rm -rf "$d/debs" "$d/kroot" "$d/bb"; mkdir -p "$d/debs" "$d/kroot" "$d/bb"; chmod 755 "$d/debs"
  apt_download "$d/debs" "$kpkg" busybox-static || die "apt-get download of $kpkg busybox-static failed"
  dpkg -x "$d"/debs/"${kpkg}"_*.deb "$d/kroot"
  dpkg -x "$d"/debs/busybox-static_*.deb "$d/bb"
  local bb=$d/bb/bin/busybox
  # Boot the uncompressed ELF vmlinux through its PVH entry point: it skips about 2 s of emulated
  # xz decompression of the bzImage. Fall back to the bzImage if it cannot be extracted.
  local vz=$d/kroot/boot/vmlinuz-$kver off
  off=$(LC_ALL=C grep -m1 -obUaP '\xfd7zXZ\x00' "$vz" | cut -d: -f1) || true
  if [ -n "$off" ] && tail -c +$((off + 1)) "$vz" > "$d/vmlinux.xz" \
     && xz -dc --single-stream "$d/vmlinux.xz" > "$d/vmlinux.tmp" 2>/dev/null \
     && [ "$(head -c 4 "$d/vmlinux.tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then
    mv "$d/vmlinux.tmp" "$d/vmlinux"
  else
    rm -f "$d/vmlinux.tmp"; cp "$vz" "$d/vmlinux"
    echo "run-in-vm: could not extract vmlinux, booting the bzImage (about 2 s slower)" >&2
  fi
  rm -f "$d/vmlinux.xz"
  cp "$d/kroot/boot/config-$kver" "$d/kernel-config"
  # base initramfs: busybox, dash as /bin/sh, iproute2, the modules and their dependencies
  local r; r=$(mktemp -d)
  mkdir -p "$r"/{bin,sbin,usr/sbin,dev,proc,sys,tmp,run,etc,root,payload,lib/modules/"$kver"}
  cp "$bb" "$r/bin/busybox"
  local a; for a in $("$bb" --list); do [ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"; done
  ln -sf ../bin/busybox "$r/sbin/modprobe"
  rm -f "$r/bin/ip" "$r/bin/sh"
  copy_with_libs "$(readlink -f /bin/dash)" "$r"; cp "$r$(readlink -f /bin/dash)" "$r/bin/sh"
  for a in ip bridge; do
    [ -x "/sbin/$a" ] || continue
    copy_with_libs "$(readlink -f "/sbin/$a")" "$r"
    ln -sf "$(readlink -f "/sbin/$a")" "$r/sbin/$a"; ln -sf "$(readlink -f "/sbin/$a")" "$r/usr/sbin/$a"
  done
  [ -e "$r/lib64/ld-linux-x86-64.so.2" ] || { mkdir -p "$r/lib64"; cp -L /lib64/ld-linux-x86-64.so.2 "$r/lib64/"; }
  printf 'root:x:0:0:root:/root:/bin/sh\n' > "$r/etc/passwd"; printf 'root:x:0:\n' > "$r/etc/group"
  # on auto-loading (ip link add ... type bond), bonding would otherwise create bond0 by itself
  mkdir -p "$r/etc/modprobe.d"
  printf 'options bonding max_bonds=0\noptions dummy numdummies=0\n' > "$r/etc/modprobe.d/netvet-vm.conf"
  local md=$d/kroot/lib/modules/$kver
  [ -f "$md/modules.dep" ] || depmod -b "$d/kroot" "$kver"   # the .deb ships no modules.dep
  local m f line; declare -A seen=()
  for m in $MODS_IN_INITRD; do
    line=$(grep -E "/$m\.ko(\.[gx]z|\.zst)?:" "$md/modules.dep") || die "module $m not in $kpkg"
    for f in ${line%%:*} ${line#*:}; do seen[$f]=1; done
  done
  for f in "${!seen[@]}"; do
    mkdir -p "$r/lib/modules/$kver/$(dirname "$f")"
    case $f in   # busybox modprobe/insmod cannot read compressed modules
      *.xz)  xz -dc "$md/$f" > "$r/lib/modules/$kver/${f%.xz}";;
      *.zst) zstd -qdc "$md/$f" > "$r/lib/modules/$kver/${f%.zst}";;
      *.gz)  gzip -dc "$md/$f" > "$r/lib/modules/$kver/${f%.gz}";;
      *)     cp "$md/$f" "$r/lib/modules/$kver/$f";;
    esac
  done
  cp "$md"/modules.{order,builtin,builtin.modinfo} "$r/lib/modules/$kver/" 2>/dev/null || true
  depmod -b "$r" "$kver"
  guest_init > "$r/init"; chmod 755 "$r/init"
  (cd "$r" && find . -print0 | sort -z | "$bb" cpio -0 -o -H newc -R 0:0 2>/dev/null) | gzip -1 > "$d/base-initrd.gz"
  (cd "$r" && find . ! -type d) > "$d/base-files.txt"
  # pad to 512 bytes so that the per-run archive appended to it starts on a block boundary
  local sz; sz=$(stat -c %s "$d/base-initrd.gz"); head -c $(( (512 - sz % 512) % 512 )) /dev/zero >> "$d/base-initrd.gz"
  cp "$bb" "$d/busybox"
  rm -rf "$r" "$d/kroot" "$d/bb" "$d/debs"
  echo "$kver" > "$d/kernel-version"
  echo "$key" > "$d/.ready"
}

prepare() {
  mkdir -p "$CACHE"
  exec 9>"$CACHE/.lock"; flock 9
  local t0=$SECONDS fresh=0
  { [ -n "${NETVET_VM_QEMU:-}" ] || [ -f "$QDIR/.ready" ]; } && [ -f "$CACHE/.ready" ] \
    && [ "$(cat "$CACHE/.ready")" = "$(asset_key)" ] || fresh=1
  if [ "$fresh" = 1 ]; then
    need_host_tools
    [ -n "${NETVET_VM_QEMU:-}" ] || prepare_qemu
    prepare_kernel
    echo "run-in-vm: assets ready in $CACHE ($((SECONDS - t0)) s, kernel $(cat "$CACHE/kernel-version"))" >&2
  fi
  exec 9>&-
}

# ------------------------------------------------------------------ arguments
SETUP='' MODULES='' TIMEOUT=300 LOG='' PREPARE_ONLY=0 SHARE='' SHARE_CACHE='' BOOT=0
FILES=() HOSTBINS=() ENVS=()
while [ $# -gt 0 ]; do
  case $1 in
    --prepare) PREPARE_ONLY=1; shift;;
    --setup) SETUP+="$2"$'\n'; shift 2;;
    --modules) MODULES=$2; shift 2;;
    --file) FILES+=("$2"); shift 2;;
    --host-bin) HOSTBINS+=("$2"); shift 2;;
    --env) ENVS+=("$2"); shift 2;;
    --timeout) TIMEOUT=$2; shift 2;;
    --log) LOG=$2; shift 2;;
    --share) SHARE=$(realpath "$2"); shift 2;;
    --share-cache) SHARE_CACHE=$2; shift 2;;
    --boot) BOOT=1; shift;;
    --) shift; break;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0;;
    -*) die "unknown option $1";;
    *) break;;
  esac
done

prepare
[ "$PREPARE_ONLY" = 1 ] && exit 0
[ $# -ge 1 ] || die "usage: run-in-vm.sh [options] PROGRAM [ARGS...]"
BIN=$1; shift
[ -f "$BIN" ] || die "no such file: $BIN"

if [ -n "${NETVET_VM_QEMU:-}" ]; then
  QEMU=("$NETVET_VM_QEMU")
else
  QEMU=(env "LD_LIBRARY_PATH=$QDIR/usr/lib/x86_64-linux-gnu:$QDIR/lib/x86_64-linux-gnu"
        "$QDIR/usr/bin/qemu-system-x86_64"
        -L "$QDIR/usr/share/qemu" -L "$QDIR/usr/share/seabios" -L "$QDIR/usr/lib/ipxe/qemu")
fi

# ------------------------------------------------------------------ per-run payload
W=$(mktemp -d "${TMPDIR:-/tmp}/netvet-vm.XXXXXX")
QPID=
# shellcheck disable=SC2329  # invoked by the EXIT trap
cleanup() { [ -n "$QPID" ] && kill "$QPID" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
P=$W/root/payload
mkdir -p "$P/bin" "$P/files"
cp "$BIN" "$P/bin/"; chmod 755 "$P/bin/$(basename "$BIN")"
copy_libs "$BIN" "$W/root"
q() { local s=${1//\'/\'\\\'\'}; printf "'%s'" "$s"; }
{
  echo "cd /payload"
  for e in "${ENVS[@]}"; do printf 'export %s\n' "$(q "$e")"; done
  printf 'exec /payload/bin/%s' "$(q "$(basename "$BIN")")"
  for a in "$@"; do printf ' %s' "$(q "$a")"; done
  echo
} > "$P/cmd.sh"
[ -n "$SETUP" ] && printf '%s' "$SETUP" > "$P/setup.sh"
case $MODULES in "") ;; none) : > "$P/modules";; *) echo "$MODULES" > "$P/modules";; esac
for f in "${FILES[@]}"; do
  src=${f%%:*}; dst=/payload/files/$(basename "$src"); [ "$src" != "$f" ] && dst=${f#*:}
  [ -f "$src" ] || die "no such file: $src"
  mkdir -p "$W/root$(dirname "$dst")"; cp -L "$src" "$W/root$dst"
done
for b in "${HOSTBINS[@]}"; do
  rb=$(readlink -f "$b") && [ -f "$rb" ] || die "no such program: $b"
  copy_with_libs "$rb" "$W/root"
  [ "$rb" = "$b" ] || { mkdir -p "$W/root$(dirname "$b")"; ln -sf "$rb" "$W/root$b"; }
done
# a newc archive appended to the (gzip) base archive: the kernel unpacks both into its rootfs
(cd "$W/root" && find . -mindepth 1 -print0 | sort -z | "$CACHE/busybox" cpio -0 -o -H newc -R 0:0 2>/dev/null) > "$W/payload.cpio"
cat "$CACHE/base-initrd.gz" "$W/payload.cpio" > "$W/initrd"

: > "$W/console"; : > "$W/stdout"; : > "$W/stderr"
EXTRA=() APPEND=$KCMDLINE
if [ -n "$SHARE" ]; then
  [ -d "$SHARE" ] || die "no such directory: $SHARE"
  EXTRA+=(-virtfs "local,path=$SHARE,mount_tag=share,security_model=none,id=share")
  APPEND+=" netvet.share"
  [ -n "$SHARE_CACHE" ] && APPEND+=" netvet.share_cache=$SHARE_CACHE"
  [ "$BOOT" = 1 ] && APPEND+=" netvet.boot"
fi
# The pc machine: microvm also boots but hung before the first console line in about 1 boot of 8.
# Three serial ports: ttyS0 = console, ttyS1 = PROGRAM's stdout, ttyS2 = PROGRAM's stderr.
timeout -k 5 "$TIMEOUT" "${QEMU[@]}" -M pc -accel tcg -m 512 -smp 1 \
  -nodefaults -no-user-config -display none -no-reboot \
  -chardev "file,id=c0,path=$W/console" -serial chardev:c0 \
  -chardev "file,id=c1,path=$W/stdout" -serial chardev:c1 \
  -chardev "file,id=c2,path=$W/stderr" -serial chardev:c2 \
  -kernel "$CACHE/vmlinux" -initrd "$W/initrd" -append "$APPEND" "${EXTRA[@]}" \
  </dev/null >"$W/qemu.out" 2>&1 &
QPID=$!
qrc=0; wait "$QPID" || qrc=$?; QPID=
[ -n "$LOG" ] && { cat "$W/console" "$W/qemu.out" > "$LOG" || true; }
cat "$W/stdout"; cat "$W/stderr" >&2
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then echo "run-in-vm: timeout after ${TIMEOUT}s" >&2; exit 124; fi
rc=$(tr -d '\r' < "$W/console" | sed -n 's/^NETVET-VM-EXIT=\([0-9]*\)$/\1/p' | tail -1)
if [ -z "$rc" ]; then
  srf=$(tr -d '\r' < "$W/console" | sed -n 's/^NETVET-VM-SETUP-FAILED=\([0-9]*\)$/\1/p' | tail -1)
  { echo "run-in-vm: --setup failed (status ${srf:-?}) or the VM died; console log:"; cat "$W/console" "$W/qemu.out"; } >&2
  [ -n "$srf" ] && exit 126
  exit 125
fi
exit "$rc"
