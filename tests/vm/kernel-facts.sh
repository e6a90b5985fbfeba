#!/bin/sh
# kernel-facts.sh - runs INSIDE the test VM (see run-in-vm.sh), as root, under dash.
#
# It asserts the kernel behaviours that netvet's offline rules rely on (bonding option defaults
# and conflicts, MTU propagation through bonds, VLANs and bridges, IPv6 on small MTUs, the
# bonding module's bond0). Each check prints "ok - FACT" or "not ok - FACT: DETAIL"; the last
# line is "N passed, N failed", and the exit status is non-zero when any check failed.
# iproute2 is called by absolute path: busybox's `ip` applet lacks the bond and vlan options.
# Every link created here is deleted again; the last check verifies it.

IP=/sbin/ip
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "ok - $1"; }
notok() { fail=$((fail + 1)); echo "not ok - $1: $2"; }
# expect FACT WANT GOT
expect() { if [ "$2" = "$3" ]; then ok "$1"; else notok "$1" "expected '$2', got '$3'"; fi; }
# the first line of the last command's error output, for the record
firstline() { printf '%s\n' "$1" | head -n 1; }
lastkmsg() { dmesg | tail -n 1 | sed 's/^\[[ 0-9.]*\] //'; }

bopt() { cat "/sys/class/net/$1/bonding/$2" 2>/dev/null || echo "(unreadable)"; }
mtu() { cat "/sys/class/net/$1/mtu" 2>/dev/null || echo "(none)"; }
# bset BOND OPTION VALUE: write a bonding option through sysfs, as ifenslave does
bset() { (echo "$3" > "/sys/class/net/$1/bonding/$2") 2>/dev/null; }
del() { for l in "$@"; do $IP link del "$l" 2>/dev/null; done; }

# accepted FACT IP-ARGS...: the ip command must succeed
accepted() {
    f=$1; shift
    if err=$($IP "$@" 2>&1); then ok "$f"; else notok "$f" "ip $* failed: $(firstline "$err")"; fi
}
# refused FACT IP-ARGS...: the ip command must fail in the kernel (not in iproute2's argument
# parsing); the kernel's reason is recorded
refused() {
    f=$1; shift
    if err=$($IP "$@" 2>&1); then
        notok "$f" "ip $* succeeded"
    else
        case $err in
            "RTNETLINK answers:"* | "Error:"*) ok "$f ($(firstline "$err"))" ;;
            *) notok "$f" "ip $* was not sent to the kernel: $(firstline "$err")" ;;
        esac
    fi
}

# ---------------------------------------------------------------- miimon defaults
for mode in 802.3ad balance-tlb balance-alb; do
    $IP link add nvb0 type bond mode $mode
    expect "netlink: $mode bond with no miimon gets miimon 100" 100 "$(bopt nvb0 miimon)"
    del nvb0
    $IP link add nvb0 type bond mode $mode miimon 0
    expect "netlink: $mode bond with explicit miimon 0 keeps 0" 0 "$(bopt nvb0 miimon)"
    del nvb0
done
for mode in active-backup balance-rr balance-xor broadcast; do
    $IP link add nvb0 type bond mode $mode
    expect "netlink: $mode bond with no miimon keeps miimon 0" 0 "$(bopt nvb0 miimon)"
    del nvb0
done
# ifenslave configures bonds through sysfs: the same default applies when the mode is written
echo +nvb0 > /sys/class/net/bonding_masters
bset nvb0 mode 802.3ad
expect "sysfs: writing mode 802.3ad to a new bond sets miimon 100" 100 "$(bopt nvb0 miimon)"
echo -nvb0 > /sys/class/net/bonding_masters
# In ifenslave's order (if-pre-up.d/ifenslave: arp_ip_target, arp_interval, miimon, ...,
# then mode), an explicit miimon 0 does not survive the mode change, and ARP monitoring
# written before the mode is switched to 802.3ad is turned off in favour of miimon 100.
echo +nvb0 > /sys/class/net/bonding_masters
bset nvb0 miimon 0
bset nvb0 mode 802.3ad
expect "sysfs, ifenslave order: miimon 0 then mode 802.3ad ends with miimon 100" 100 "$(bopt nvb0 miimon)"
echo -nvb0 > /sys/class/net/bonding_masters
echo +nvb0 > /sys/class/net/bonding_masters
bset nvb0 arp_ip_target +198.18.0.1
bset nvb0 arp_interval 1000
bset nvb0 mode 802.3ad
expect "sysfs, ifenslave order: arp_interval then mode 802.3ad ends with miimon 100, arp_interval 0" "100 0" \
    "$(bopt nvb0 miimon) $(bopt nvb0 arp_interval)"
echo -nvb0 > /sys/class/net/bonding_masters
echo +nvb0 > /sys/class/net/bonding_masters
bset nvb0 arp_ip_target +198.18.0.1
bset nvb0 arp_interval 1000
bset nvb0 miimon 100
bset nvb0 mode active-backup
expect "sysfs, ifenslave order: arp_interval then miimon leaves MII monitoring only" "100 0" \
    "$(bopt nvb0 miimon) $(bopt nvb0 arp_interval)"
echo -nvb0 > /sys/class/net/bonding_masters

# ---------------------------------------------------------------- updelay / downdelay
$IP link add nvb0 type bond mode active-backup miimon 100 updelay 250 downdelay 250
expect "updelay 250 with miimon 100 is rounded down to 200" 200 "$(bopt nvb0 updelay)"
expect "downdelay 250 with miimon 100 is rounded down to 200" 200 "$(bopt nvb0 downdelay)"
del nvb0
refused "netlink: updelay with miimon 0 is refused" link add nvb0 type bond mode active-backup updelay 200
del nvb0

# ---------------------------------------------------------------- MII vs ARP monitoring
refused "netlink: miimon and arp_interval in one request are refused" \
    link add nvb0 type bond mode active-backup miimon 100 arp_interval 100 arp_ip_target 192.0.2.1
del nvb0
$IP link add nvb0 type bond mode active-backup
bset nvb0 miimon 100
bset nvb0 arp_interval 100
expect "sysfs: arp_interval written after miimon wins (miimon becomes 0)" "0 100" \
    "$(bopt nvb0 miimon) $(bopt nvb0 arp_interval)"
bset nvb0 miimon 100
expect "sysfs: miimon written after arp_interval wins (arp_interval becomes 0)" "100 0" \
    "$(bopt nvb0 miimon) $(bopt nvb0 arp_interval)"
accepted "netlink: arp_interval in a later request than miimon is accepted" \
    link set nvb0 type bond arp_interval 100
expect "netlink: that later arp_interval wins (miimon becomes 0)" "0 100" \
    "$(bopt nvb0 miimon) $(bopt nvb0 arp_interval)"
del nvb0
for mode in 802.3ad balance-tlb balance-alb; do
    refused "netlink: arp_interval in $mode is refused" link add nvb0 type bond mode $mode arp_interval 100
    del nvb0
done
$IP link add nvb0 type bond mode 802.3ad
if bset nvb0 arp_interval 100; then
    notok "sysfs: arp_interval in 802.3ad is refused" "write accepted, arp_interval=$(bopt nvb0 arp_interval)"
else
    ok "sysfs: arp_interval in 802.3ad is refused ($(lastkmsg))"
fi
del nvb0

# ---------------------------------------------------------------- mode dependencies (sysfs)
# sysfs_refused FACT BOND OPTION VALUE / sysfs_accepted FACT BOND OPTION VALUE
sysfs_refused() {
    if bset "$2" "$3" "$4"; then notok "$1" "write accepted, $3=$(bopt "$2" "$3")"; else ok "$1 ($(lastkmsg))"; fi
}
sysfs_accepted() {
    if bset "$2" "$3" "$4"; then ok "$1"; else notok "$1" "write refused: $(lastkmsg)"; fi
}
$IP link add nvb0 type bond mode active-backup
sysfs_refused "sysfs: lacp_rate on an active-backup bond is refused" nvb0 lacp_rate fast
sysfs_accepted "sysfs: ad_select on an active-backup bond is accepted (no mode dependency)" nvb0 ad_select bandwidth
expect "sysfs: the active-backup bond then reports ad_select bandwidth" "bandwidth 1" "$(bopt nvb0 ad_select)"
del nvb0
$IP link add nvb0 type bond mode balance-rr
sysfs_refused "sysfs: primary on a balance-rr bond is refused" nvb0 primary nvd0
del nvb0
for mode in balance-rr active-backup balance-xor broadcast 802.3ad balance-tlb balance-alb; do
    $IP link add nvb0 type bond mode $mode
    sysfs_accepted "sysfs: xmit_hash_policy layer3+4 is accepted in $mode" nvb0 xmit_hash_policy layer3+4
    del nvb0
done

# ---------------------------------------------------------------- enslaving from a hook (NV116)
# `ip link set DEV master BOND` or `echo +DEV > .../bonding/slaves` in an up command enslaves
# only a slave that is down: ifenslave's own scripts set it down first.
$IP link add nvb0 type bond mode active-backup miimon 100
$IP link add nvd0 type dummy
$IP link add nvd1 type dummy
$IP link set nvd0 up
refused "netlink: a slave that is up is not enslaved" link set nvd0 master nvb0
accepted "netlink: a slave that is down is enslaved" link set nvd1 master nvb0
sysfs_refused "sysfs: +DEV of a slave that is up is refused" nvb0 slaves +nvd0
$IP link set nvd0 down
sysfs_accepted "sysfs: +DEV of a slave that is down is accepted" nvb0 slaves +nvd0
expect "the bond then has both slaves" "nvd1 nvd0" "$(bopt nvb0 slaves)"
del nvb0 nvd0 nvd1

# ---------------------------------------------------------------- MTU through bonds
$IP link add nvb0 type bond mode active-backup miimon 100
$IP link add nvd0 mtu 9000 type dummy
$IP link set nvd0 master nvb0
expect "enslaving a dummy at MTU 9000 into a bond at 1500 sets the dummy to 1500" 1500 "$(mtu nvd0)"
$IP link set nvb0 mtu 9000
expect "setting the bond's MTU to 9000 sets its slave's MTU to 9000" 9000 "$(mtu nvd0)"
$IP link set nvb0 mtu 1500
$IP link set nvd0 nomaster
expect "releasing a slave restores the MTU it had before enslaving (9000)" 9000 "$(mtu nvd0)"
del nvb0 nvd0

# ---------------------------------------------------------------- VLANs
$IP link add nvd0 type dummy
refused "a VLAN with an MTU above its parent's is refused" \
    link add link nvd0 name nvd0.10 mtu 9000 type vlan id 10
del nvd0.10
$IP link add link nvd0 name nvd0.10 type vlan id 10
refused "raising a VLAN's MTU above its parent's is refused" link set nvd0.10 mtu 1501
del nvd0.10
accepted "VLAN id 0 is accepted" link add link nvd0 name nvd0.0 type vlan id 0
del nvd0.0
refused "VLAN id 4095 is refused" link add link nvd0 name nvd0.4095 type vlan id 4095
del nvd0.4095
$IP link set nvd0 mtu 9000
$IP link add link nvd0 name nvd0.10 type vlan id 10
expect "a new VLAN takes its parent's MTU (9000)" 9000 "$(mtu nvd0.10)"
$IP link set nvd0 mtu 1500
expect "lowering the parent's MTU lowers its VLAN's MTU" 1500 "$(mtu nvd0.10)"
$IP link set nvd0 mtu 9000
expect "raising the parent's MTU again leaves its VLAN's MTU alone" 1500 "$(mtu nvd0.10)"
del nvd0.10 nvd0

# ---------------------------------------------------------------- bridges
$IP link add nvbr0 type bridge
$IP link add nvd0 type dummy
$IP link set nvd0 master nvbr0
accepted "bridge: setting the bridge MTU to 9000 with a port at 1500 is accepted" link set nvbr0 mtu 9000
expect "bridge: afterwards the bridge is at 9000 and the port stays at 1500" "9000 1500" \
    "$(mtu nvbr0) $(mtu nvd0)"
del nvbr0 nvd0
$IP link add nvbr0 type bridge
$IP link add nvd0 mtu 9000 type dummy
$IP link set nvd0 master nvbr0
expect "bridge: with no MTU set by the user the bridge takes its ports' minimum MTU (9000)" 9000 "$(mtu nvbr0)"
del nvbr0 nvd0

# ---------------------------------------------------------------- IPv6 and MTU < 1280
v6state() {  # "conf=yes|no addrs=N"
    c=no; [ -d "/proc/sys/net/ipv6/conf/$1" ] && c=yes
    n=$($IP -6 -o addr show dev "$1" 2>/dev/null | wc -l)
    echo "conf=$c addrs=$n"
}
$IP link add nvd0 type dummy
$IP link set nvd0 up
expect "IPv6: a dummy at MTU 1500 that is up has IPv6 (conf dir, a link-local address)" \
    "conf=yes addrs=1" "$(v6state nvd0)"
$IP link set nvd0 mtu 1200
expect "IPv6: MTU 1200 removes /proc/sys/net/ipv6/conf/IF and every IPv6 address" \
    "conf=no addrs=0" "$(v6state nvd0)"
refused "IPv6: adding an IPv6 address at MTU 1200 is refused" addr add 2001:db8::1/64 dev nvd0
$IP link set nvd0 mtu 1500
expect "IPv6: raising the MTU back to 1500 brings IPv6 back (conf dir, link-local)" \
    "conf=yes addrs=1" "$(v6state nvd0)"
del nvd0
$IP link add nvd0 mtu 1200 type dummy
expect "IPv6: a link created at MTU 1200 never gets /proc/sys/net/ipv6/conf/IF" "conf=no addrs=0" \
    "$(v6state nvd0)"
del nvd0

# ---------------------------------------------------------------- the bonding module's bond0
# insmod, unlike modprobe, skips the max_bonds=0 in the VM's /etc/modprobe.d: like a stock Debian
# host loading bonding with no options.
ko=/lib/modules/$(uname -r)/$(sed -n 's,^\([^:]*/bonding\.ko\):.*,\1,p' "/lib/modules/$(uname -r)/modules.dep")
if rmmod bonding && insmod "$ko"; then
    expect "loading bonding without max_bonds=0 creates bond0 (balance-rr, miimon 0)" "balance-rr 0 0" \
        "$(bopt bond0 mode) $(bopt bond0 miimon)"
    refused "then 'ip link add bond0 type bond' fails" link add bond0 type bond
    rmmod bonding
    insmod "$ko" mode=4
    expect "loading bonding with mode=4 and no miimon creates bond0 in 802.3ad with miimon 100" \
        "802.3ad 4 100" "$(bopt bond0 mode) $(bopt bond0 miimon)"
    rmmod bonding
    modprobe bonding
else
    notok "loading bonding without max_bonds=0 creates bond0" "could not reload the bonding module"
fi

# ---------------------------------------------------------------- the name bonding is loaded by
# Debian's ifenslave creates a bond with `ip link add NAME type bond`. With bonding not loaded,
# the kernel asks its modprobe helper for `rtnl-link-bond` (an alias of bonding), never for the
# bond's name: modprobe.d's `options bond0 ...` (even with `alias bond0 bonding`) are not
# applied, only `options bonding` (NV132).
helper=$(cat /proc/sys/kernel/modprobe)
printf '#!/bin/sh\necho "$*" >> /tmp/modprobe-args\nexec %s "$@"\n' "$helper" > /tmp/modprobe-log
chmod +x /tmp/modprobe-log
: > /tmp/modprobe-args
if rmmod bonding; then
    echo /tmp/modprobe-log > /proc/sys/kernel/modprobe
    $IP link add nvbond0 type bond 2>/dev/null
    echo "$helper" > /proc/sys/kernel/modprobe
    expect "'ip link add NAME type bond' loads bonding as rtnl-link-bond, not by the bond's name" \
        "-q -- rtnl-link-bond" "$(tr '\n' ' ' < /tmp/modprobe-args | sed 's/ $//')"
    del nvbond0
    [ -d /sys/module/bonding ] || modprobe bonding
else
    notok "'ip link add NAME type bond' loads bonding as rtnl-link-bond" "could not unload bonding"
fi

# ---------------------------------------------------------------- when an option can change
# src/bonding.rs's `applies` column: on a bond that is up with two slaves, a sysfs write is
# tried; refused, again with the bond down; refused, up again without slaves; refused, down
# without slaves.
applies() {
    key=$1; val=$2; mode=$3; want=$4
    $IP link add nvap type bond mode "$mode" miimon 100
    for s in nvap1 nvap2; do $IP link add $s type dummy; $IP link set $s master nvap; done
    $IP link set nvap up
    if bset nvap "$key" "$val"; then got=running
    else
        $IP link set nvap down
        if bset nvap "$key" "$val"; then got=down
        else
            for s in nvap1 nvap2; do $IP link set $s nomaster; done
            $IP link set nvap up
            if bset nvap "$key" "$val"; then got=no-slaves
            else
                $IP link set nvap down
                if bset nvap "$key" "$val"; then got=down-no-slaves; else got=never; fi
            fi
        fi
    fi
    expect "sysfs: $key ($mode) changes when the bond is $want" "$want" "$got"
    del nvap nvap1 nvap2
}
applies mode balance-xor balance-rr down-no-slaves
applies fail_over_mac active active-backup no-slaves
applies lacp_rate fast 802.3ad down
applies lacp_active off 802.3ad down
applies ad_select bandwidth 802.3ad down
applies ad_user_port_key 5 802.3ad down
applies tlb_dynamic_lb 0 balance-tlb down
for o in "miimon 200 balance-rr" "updelay 200 balance-rr" "arp_interval 500 balance-rr" \
    "xmit_hash_policy layer3+4 balance-xor" "primary nvap1 active-backup" \
    "primary_reselect better active-backup" "arp_validate active active-backup" \
    "ad_actor_sys_prio 100 802.3ad" "ad_actor_system 02:00:00:00:00:01 802.3ad" \
    "min_links 2 802.3ad" "packets_per_slave 3 balance-rr" "num_grat_arp 2 active-backup" \
    "use_carrier 0 balance-rr"; do
    # shellcheck disable=SC2086
    applies $o running
done

# ---------------------------------------------------------------- cleanup
left=
for l in /sys/class/net/*; do
    case ${l##*/} in lo | bonding_masters) ;; *) left="$left${l##*/} " ;; esac
done
expect "every link created here was deleted" "" "$left"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
