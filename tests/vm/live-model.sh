#!/bin/sh
# live-model.sh - netvet's live reader (`netvet live --format json`) against the kernel's own
# views, field by field, in the test VM (Debian's kernel, which has bonding, 8021q and dummy).
#
# On the host:  tests/vm/live-model.sh [--capture] [NETVET]     (default target/release/netvet)
#   boots one VM (run-in-vm.sh) with this script and NETVET inside and returns its output.
#   --capture also replaces fixtures/live/vm-bonds.{netlink,ip.json,sysfs.txt}, which the no-root
#   tests decode (tests/it/live_fixtures.rs); without it the run writes nothing on the host.
#
# In the VM (NETVET_LIVE_MODEL_IN_VM=1, POSIX sh under dash): builds one bond per mode, each with
# two dummy slaves (varied miimon/updelay/downdelay, a primary, 802.3ad with lacp_rate fast,
# layer3+4 and min_links, an ARP-monitored bond with two targets, slaves held in the `going back`
# and `going down` states by long delays), 802.1Q and 802.1ad VLANs over a bond, a bridge with a
# dummy port and a VLAN on the bridge, MTU 9000 on some, and varied IPv6 sysctls. Then it
# compares what netvet reports with `ip -details -json link show`, /sys/class/net (link and
# bonding files), /proc/net/bonding, /proc/net/vlan and /proc/sys. Each comparison prints
# `ok - WHAT (SOURCE): VALUE` or `not ok - WHAT (SOURCE): netvet X, kernel Y`; the last line is
# `N passed, N failed`, and the exit status is non-zero when a comparison failed.
#
# The VM has no JSON tool (busybox, dash, iproute2): both JSON documents are flattened by a small
# awk program into shell variables, `nv__LINK__PATH` and `ip__LINK__PATH` (non-alphanumerics as
# `_`), and compared with shell builtins (a fork costs about 4 ms under TCG).

if [ "${NETVET_LIVE_MODEL_IN_VM:-}" != 1 ]; then
    # ------------------------------------------------------------------ host side
    set -eu
    here=$(cd "$(dirname "$0")" && pwd)
    capture=0
    if [ "${1:-}" = --capture ]; then capture=1; shift; fi
    netvet=$(realpath "${1:-$here/../../target/release/netvet}")
    [ -x "$netvet" ] || { echo "live-model: no netvet binary at $netvet (cargo build --release)" >&2; exit 2; }
    # --host-bin copies netvet with the libraries it links (libgcc_s is not in the VM's base)
    set -- --timeout 120 --host-bin "$netvet" --env "NETVET=$netvet" --env NETVET_LIVE_MODEL_IN_VM=1
    if [ "$capture" = 0 ]; then
        exec "$here/run-in-vm.sh" "$@" "$here/live-model.sh"
    fi
    share=$(mktemp -d)
    trap 'rm -rf "$share"' EXIT
    rc=0
    "$here/run-in-vm.sh" "$@" --share "$share" --env NETVET_LIVE_MODEL_CAPTURE=1 \
        "$here/live-model.sh" || rc=$?
    for f in vm-bonds.netlink vm-bonds.ip.json vm-bonds.sysfs.txt; do
        [ -s "$share/$f" ] || { echo "live-model: the VM wrote no $f" >&2; exit 1; }
    done
    mkdir -p "$here/../../fixtures/live"
    cp "$share"/vm-bonds.netlink "$share"/vm-bonds.ip.json "$share"/vm-bonds.sysfs.txt "$here/../../fixtures/live/"
    echo "live-model: captured into fixtures/live (the checks above exited $rc)"
    exit "$rc"
fi

# ---------------------------------------------------------------------- in the VM
IP=/sbin/ip
W=/tmp/live-model
mkdir -p $W
pass=0
fail=0
SYSFS_TXT=$W/vm-bonds.sysfs.txt
: > $SYSFS_TXT

# same WHAT SOURCE NETVET KERNEL
same() {
    if [ "$3" = "$4" ]; then
        pass=$((pass + 1)); echo "ok - $1 ($2): $3"
    else
        fail=$((fail + 1)); echo "not ok - $1 ($2): netvet $3, kernel $4"
    fi
}
# san STRING: r = STRING with every non-alphanumeric character as `_` (no fork)
san() {
    r= _s=$1
    while [ -n "$_s" ]; do
        _rest=${_s#?}; _c=${_s%"$_rest"}; _s=$_rest
        case $_c in [A-Za-z0-9]) r=$r$_c ;; *) r=${r}_ ;; esac
    done
}
# gv PREFIX LINK PATH [DEFAULT]: v = the flattened JSON value (DEFAULT, else `absent`, if missing)
gv() { san "$2"; eval "v=\${$1__${r}__$3-${4-absent}}"; }
# rd FILE: v = its first line; `absent` when it does not exist, empty when it is empty (no
# primary, no ARP targets) or cannot be read (the carrier of a link that is down)
rd() {
    v=absent
    [ -e "$1" ] || return 0
    v=
    IFS= read -r v 2>/dev/null < "$1" || :
}
# rec NAME KEY: record the value just read from sysfs ($v) for the fixture
rec() { printf '%s %s %s\n' "$1" "$2" "$v" >> $SYSFS_TXT; }
first() { v=${v%% *}; }                          # `balance-rr 0` -> `balance-rr`
unspace() { case $v in *' '*) v="${v%% *}_${v#* }" ;; esac; }   # `going back` -> `going_back`
lower() {
    case $v in
        ACTIVE) v=active ;; BACKUP) v=backup ;; UP) v=up ;; DOWN) v=down ;;
        GOING_DOWN) v=going_down ;; GOING_BACK) v=going_back ;;
    esac
}
upper() {
    case $v in
        up) v=UP ;; down) v=DOWN ;; unknown) v=UNKNOWN ;; lowerlayerdown) v=LOWERLAYERDOWN ;;
        dormant) v=DORMANT ;; testing) v=TESTING ;; notpresent) v=NOTPRESENT ;;
    esac
}
b01() { case $v in true) v=1 ;; false) v=0 ;; esac; }
# has LIST WORD: whether the space-separated LIST contains WORD
has() { case " $1 " in *" $2 "*) return 0 ;; esac; return 1; }
# same_set WHAT SOURCE NETVET-LIST KERNEL-LIST: equal as sets (the order may differ)
same_set() {
    d=ok
    for x in $3; do has "$4" "$x" || d=no; done
    for x in $4; do has "$3" "$x" || d=no; done
    if [ $d = ok ]; then same "$1" "$2" "$3" "$3"; else same "$1" "$2" "$3" "$4"; fi
}

# flatten PREFIX ARRAY-PATH NAME-KEY < JSON: shell assignments, one per scalar, keyed by link
# name for the members of the link array; arrays of scalars are also joined with spaces under
# their own path, and `PREFIX_links` lists the link names in order. JSON strings must not contain
# escaped quotes (neither netvet's nor ip's output for these links has any).
cat > $W/flatten.awk <<'AWK'
function san(s) { gsub(/[^A-Za-z0-9]/, "_", s); return s }
function path(   p, i) { p = ""; for (i = 1; i <= d; i++) p = p "/" (t[i] == "o" ? k[i] : n[i]); return p }
function put(p, v) { m++; P[m] = p; V[m] = v }
function scalar(v) {
    if (t[d] == "a") j[d] = j[d] (n[d] > 0 ? " " : "") v
    put(path(), v)
}
{ text = text $0 "\n" }
END {
    np = split(text, part, "\"")
    d = 0
    for (pi = 1; pi <= np; pi++) {
        s = part[pi]
        if (pi % 2 == 0) {                      # a string
            if (t[d] == "o" && ek[d]) { k[d] = s; ek[d] = 0 } else scalar(s)
            continue
        }
        tok = ""
        for (ci = 1; ci <= length(s) + 1; ci++) {
            c = substr(s, ci, 1)
            if (c ~ /[-+.0-9A-Za-z]/) { tok = tok c; continue }
            if (tok != "") { scalar(tok); tok = "" }
            if (c == "{" || c == "[") {
                d++; t[d] = (c == "{" ? "o" : "a"); n[d] = 0; j[d] = ""; ek[d] = 1
            } else if (c == "}" || c == "]") {
                d--
                if (c == "]") put(path(), j[d + 1])
            } else if (c == ",") {
                if (t[d] == "a") n[d]++; else ek[d] = 1
            }
        }
    }
    names = ""
    for (i = 1; i <= m; i++) {
        p = P[i]
        if (substr(p, 1, length(arr) + 1) == arr "/") {
            rest = substr(p, length(arr) + 2)
            e = rest; sub(/\/.*/, "", e)
            field = substr(rest, length(e) + 1)
            if (field == "/" key) { name[e] = V[i]; names = names (names == "" ? "" : " ") V[i] }
        }
    }
    for (i = 1; i <= m; i++) {
        p = P[i]; v = V[i]
        gsub(/'/, "'\\''", v)
        if (substr(p, 1, length(arr) + 1) == arr "/") {
            rest = substr(p, length(arr) + 2)
            e = rest; sub(/\/.*/, "", e)
            field = substr(rest, length(e) + 1)
            if (field == "" || !(e in name)) continue
            printf "%s__%s_%s='%s'\n", pre, san(name[e]), san(field), v
        } else {
            printf "%s_%s='%s'\n", pre, san(p), v
        }
    }
    printf "%s_links='%s'\n", pre, names
}
AWK
flatten() { awk -v pre="$1" -v arr="$2" -v key="$3" -f $W/flatten.awk; }

# ---------------------------------------------------------------------- the links
# varied IPv6 sysctls: links created from now on do not accept router advertisements
sysctl -q -w net.ipv6.bindv6only=1 net.ipv4.ip_forward=1 net.ipv6.conf.default.accept_ra=0
# bond NAME MODE [OPTIONS...]: a bond with two dummy slaves NAMEa and NAMEb, up
bond() {
    name=$1; shift
    $IP link add "$name" type bond mode "$@"
    for s in a b; do
        $IP link add "$name$s" type dummy
        $IP link set "$name$s" master "$name"
    done
    $IP link set "$name" up
}
bond brr balance-rr miimon 100 updelay 200 downdelay 100
# The first slave to come up is made active at once; the second then waits out updelay (60 s,
# longer than this run) in `going back`, as a backup, although it is the primary.
bond bab active-backup miimon 100 updelay 60000
$IP link set bab type bond primary babb
bond bxr balance-xor miimon 100 downdelay 60000 xmit_hash_policy layer2+3
bond bbc broadcast miimon 50 updelay 150 downdelay 250
bond bad 802.3ad miimon 100 lacp_rate fast xmit_hash_policy layer3+4 min_links 2 ad_select bandwidth
bond btl balance-tlb miimon 200
bond bal balance-alb miimon 100 downdelay 300 all_slaves_active 1
# ARP monitoring every 30 s: the targets never answer, but the slaves only go down after two
# missed intervals, long after this run.
bond barp active-backup arp_interval 30000 arp_ip_target 198.18.0.1,198.18.0.2 arp_validate active
for l in bbc bad bada badb; do $IP link set $l mtu 9000; done
$IP link add link bad name bad.10 type vlan id 10
$IP link add link bad name bad.20 type vlan protocol 802.1ad id 20
$IP link set bad.20 mtu 1400
$IP link add br0 type bridge
$IP link add brp mtu 9000 type dummy
$IP link set brp master br0
$IP link set br0 mtu 9000
$IP link add link br0 name br0.30 type vlan id 30
# below 1280 IPv6 leaves the link: no net.ipv6.conf.tiny.* on either side
$IP link add tiny mtu 1200 type dummy
for l in bad.10 bad.20 br0 brp br0.30 tiny; do $IP link set $l up; done
# an administratively down slave (MII down, one link failure) and an unused dummy, down
$IP link set brrb down
$IP link add spare type dummy
sysctl -q -w net.ipv6.conf.brp.disable_ipv6=1 net.ipv6.conf.br0.forwarding=1 net.ipv6.conf.bxr.accept_ra=2
# let the monitors settle (updelay/downdelay of at most 400 ms), then drop bxrb's carrier: with
# downdelay 60 s it stays `going down`
sleep 1
$IP link set bxrb carrier off
sleep 0.3

# Both views at one moment; the sysfs and procfs files are read below, after them (every state
# here is stable for a minute).
$NETVET live --format json --save-netlink $W/vm-bonds.netlink > $W/live.json 2> $W/live.err \
    || echo "netvet live failed: $(cat $W/live.err)"
$IP -details -json link show > $W/vm-bonds.ip.json
flatten nv /links name < $W/live.json > $W/nv.sh
flatten ip "" ifname < $W/vm-bonds.ip.json > $W/ip.sh
. $W/nv.sh
. $W/ip.sh
echo "# netvet reports $(set -- $nv_links; echo $#) links, ip $(set -- $ip_links; echo $#)"

# ---------------------------------------------------------------------- every link
for l in $ip_links; do
    gv nv "$l" name
    same "$l is in netvet's model" ip "$v" "$l"
    [ "$v" = "$l" ] || continue
    S=/sys/class/net/$l
    gv nv "$l" index; a=$v; gv ip "$l" ifindex; same "$l index" ip "$a" "$v"
    rd $S/ifindex; same "$l index" sysfs "$a" "$v"

    gv ip "$l" linkinfo_info_kind ""; kind=$v
    if [ -z "$kind" ]; then gv ip "$l" link_type; [ "$v" = loopback ] && kind=loopback || kind=device; fi
    gv nv "$l" kind; a=$v; same "$l kind" ip "$a" "$kind"
    devtype=
    while IFS== read -r key val; do [ "$key" = DEVTYPE ] && devtype=$val; done < $S/uevent
    [ -n "$devtype" ] && same "$l kind" "sysfs uevent DEVTYPE" "$a" "$devtype"

    for f in mtu min_mtu max_mtu; do
        gv nv "$l" $f; a=$v; gv ip "$l" $f null; same "$l $f" ip "$a" "$v"
    done
    gv nv "$l" mtu; a=$v; rd $S/mtu; same "$l mtu" sysfs "$a" "$v"

    gv nv "$l" admin_up; a=$v; gv ip "$l" flags
    if has "$v" UP; then v=true; else v=false; fi
    same "$l admin up" "ip flags" "$a" "$v"
    rd $S/flags; if [ $((v & 1)) = 1 ]; then v=true; else v=false; fi
    same "$l admin up" "sysfs flags" "$a" "$v"
    admin=$a

    gv nv "$l" oper_state; a=$v; gv ip "$l" operstate; same "$l oper state" ip "$a" "$v"
    rd $S/operstate; upper; same "$l oper state" sysfs "$a" "$v"

    gv nv "$l" carrier; a=$v
    if [ "$admin" = true ]; then
        # IFF_LOWER_UP is the carrier of a running link; sysfs refuses to read a down link's
        gv ip "$l" flags; if has "$v" LOWER_UP; then v=true; else v=false; fi
        same "$l carrier" "ip flags LOWER_UP" "$a" "$v"
        rd $S/carrier; case $v in 1) v=true ;; 0) v=false ;; esac
        same "$l carrier" sysfs "$a" "$v"
    fi

    gv nv "$l" master; a=$v; gv ip "$l" master null; same "$l master" ip "$a" "$v"
    if [ -e $S/master ]; then v=$(readlink $S/master); v=${v##*/}; else v=null; fi
    same "$l master" "sysfs master link" "$a" "$v"

    gv nv "$l" mac; a=$v; gv ip "$l" address null; same "$l mac" ip "$a" "$v"
    rd $S/address; same "$l mac" sysfs "$a" "$v"

    if [ "$kind" = vlan ]; then
        gv nv "$l" vlan_id; a=$v; gv ip "$l" linkinfo_info_data_id; same "$l vlan id" ip "$a" "$v"
        gv nv "$l" vlan_protocol; a=$v; gv ip "$l" linkinfo_info_data_protocol
        same "$l vlan protocol" ip "$a" "$v"
        gv nv "$l" vlan_parent; a=$v; gv ip "$l" link; same "$l vlan parent" ip "$a" "$v"
        vid=absent dev=absent
        while read -r w1 w2 w3 rest; do
            [ "$w1" = Device: ] && dev=$w2
            [ "$w2" = VID: ] && vid=$w3
        done < /proc/net/vlan/$l
        gv nv "$l" vlan_id; same "$l vlan id" /proc/net/vlan "$v" "$vid"
        gv nv "$l" vlan_parent; same "$l vlan parent" /proc/net/vlan "$v" "$dev"
    else
        gv nv "$l" vlan; same "$l vlan" "ip (not a VLAN)" "$v" null
    fi

    gv nv "$l" bridge_ports; a=$v
    if [ "$kind" = bridge ]; then
        ports=
        for p in $ip_links; do gv ip "$p" master; [ "$v" = "$l" ] && ports="$ports${ports:+ }$p"; done
        same "$l bridge ports, in index order" ip "$a" "$ports"
        ports=
        for p in $S/brif/*; do [ -e "$p" ] && ports="$ports${ports:+ }${p##*/}"; done
        same_set "$l bridge ports" "sysfs brif" "$a" "$ports"
    else
        same "$l bridge ports" "ip (not a bridge)" "$a" ""
    fi

    # per-link IPv6 settings, which netvet takes from the same netlink dump
    for key in disable_ipv6 accept_ra autoconf forwarding; do
        san "net.ipv6.conf.$l.$key"; eval "a=\${nv__sysctls_$r-absent}"
        rd /proc/sys/net/ipv6/conf/$l/$key
        same "net.ipv6.conf.$l.$key" /proc/sys "$a" "$v"
    done
done
extra=
for l in $nv_links; do has "$ip_links" "$l" || extra="$extra $l"; done
same "links netvet has and the kernel lacks" ip "$extra" ""
for key in net.ipv6.bindv6only net.ipv4.ip_forward net.ipv6.conf.all.disable_ipv6 \
           net.ipv6.conf.all.forwarding net.ipv6.conf.default.accept_ra net.ipv6.conf.default.autoconf; do
    san "$key"; eval "a=\${nv__sysctls_$r-absent}"
    p=$key; f=
    while [ -n "$p" ]; do case $p in *.*) f=$f${p%%.*}/; p=${p#*.} ;; *) f=$f$p; p= ;; esac; done
    rd /proc/sys/$f
    same "$key" /proc/sys "$a" "$v"
done

# ---------------------------------------------------------------------- bonds
# /proc/net/bonding/BOND into variables: pb__BOND_KEY for the bond, ps__SLAVE_KEY for each slave
# (in a slave's LACP details, KEY starts with actor_ or partner_)
proc_bonding() {
    san "$1"; pb=pb__${r}_
    slave= sub=
    while read -r line; do
        case $line in
            "") sub= ; continue ;;
            "Slave Interface: "*) slave=${line#*: }; sub= ; continue ;;
            "details actor lacp pdu:") sub=actor_; continue ;;
            "details partner lacp pdu:") sub=partner_; continue ;;
            *": "*) ;;
            *) continue ;;
        esac
        san "$sub${line%%: *}"; key=$r
        val=${line#*: }
        if [ -n "$slave" ]; then san "$slave"; eval "ps__${r}_$key=\$val"; else eval "$pb$key=\$val"; fi
    done < /proc/net/bonding/$1
}
# pv VAR: v = that variable's value, `absent` when /proc/net/bonding had no such line
pv() { eval "v=\${$1-absent}"; }

proc_mode() {
    case $1 in
        balance-rr) v="load balancing (round-robin)" ;;
        active-backup) v="fault-tolerance (active-backup)" ;;
        balance-xor) v="load balancing (xor)" ;;
        broadcast) v="fault-tolerance (broadcast)" ;;
        802.3ad) v="IEEE 802.3ad Dynamic link aggregation" ;;
        balance-tlb) v="transmit load balancing" ;;
        balance-alb) v="adaptive load balancing" ;;
        *) v="(netvet mode $1)" ;;
    esac
}

for b in $ip_links; do
    gv ip "$b" linkinfo_info_kind; [ "$v" = bond ] || continue
    B=/sys/class/net/$b/bonding
    gv nv "$b" bond_mode; mode=$v
    gv ip "$b" linkinfo_info_data_mode; same "$b mode" ip "$mode" "$v"
    rd $B/mode; rec $b mode; first; same "$b mode" sysfs "$mode" "$v"
    for f in miimon updelay downdelay arp_interval min_links; do
        gv nv "$b" bond_$f; a=$v
        gv ip "$b" linkinfo_info_data_$f; same "$b $f" ip "$a" "$v"
        rd $B/$f; rec $b $f; same "$b $f" sysfs "$a" "$v"
    done
    for f in use_carrier all_slaves_active; do
        gv nv "$b" bond_$f; b01; a=$v
        gv ip "$b" linkinfo_info_data_$f; same "$b $f" ip "$a" "$v"
        rd $B/$f; rec $b $f; same "$b $f" sysfs "$a" "$v"
    done
    # ip prints the names of these; iproute2 6.1 prints arp_validate none as null
    for f in xmit_hash_policy:xmit_hash_policy lacp_rate:ad_lacp_rate ad_select:ad_select \
             arp_validate:arp_validate; do
        gv nv "$b" bond_${f%%:*}; a=$v
        gv ip "$b" linkinfo_info_data_${f#*:}; [ "${f%%:*}" = arp_validate ] && [ "$v" = null ] && v=none
        same "$b ${f%%:*}" ip "$a" "$v"
        rd $B/${f%%:*}; rec $b ${f%%:*}; first; same "$b ${f%%:*}" sysfs "$a" "$v"
    done
    gv nv "$b" bond_arp_ip_target; targets=$v
    gv ip "$b" linkinfo_info_data_arp_ip_target ""; same "$b arp_ip_target" ip "$targets" "$v"
    rd $B/arp_ip_target; rec $b arp_ip_target; same "$b arp_ip_target" sysfs "$targets" "$v"
    gv nv "$b" bond_primary; primary=$v
    gv ip "$b" linkinfo_info_data_primary null; same "$b primary" ip "$primary" "$v"
    rd $B/primary; rec $b primary; [ -z "$v" ] && v=null; same "$b primary" sysfs "$primary" "$v"
    if [ "$mode" = 802.3ad ]; then
        for f in aggregator:aggregator_id num_ports:num_ports actor_key:actor_key \
                 partner_key:partner_key partner_mac:partner_mac; do
            gv nv "$b" bond_ad_info_${f#*:}; a=$v
            gv ip "$b" linkinfo_info_data_ad_info_${f%%:*}; same "$b ad_info ${f#*:}" ip "$a" "$v"
            rd $B/ad_${f%%:*}; rec $b ad_${f%%:*}; same "$b ad_info ${f#*:}" sysfs "$a" "$v"
        done
    else
        gv nv "$b" bond_ad_info; same "$b ad_info (not 802.3ad)" ip "$v" null
    fi

    # the bonding driver's own report
    proc_bonding "$b"
    P="/proc/net/bonding"
    proc_mode "$mode"; a=$v; pv ${pb}Bonding_Mode; same "$b mode" "$P" "$a" "$v"
    gv nv "$b" bond_miimon; a=$v; pv ${pb}MII_Polling_Interval__ms_; same "$b miimon" "$P" "$a" "$v"
    gv nv "$b" bond_updelay; a=$v; pv ${pb}Up_Delay__ms_; same "$b updelay" "$P" "$a" "$v"
    gv nv "$b" bond_downdelay; a=$v; pv ${pb}Down_Delay__ms_; same "$b downdelay" "$P" "$a" "$v"
    gv nv "$b" carrier; case $v in true) a=up ;; *) a=down ;; esac
    pv ${pb}MII_Status; same "$b carrier as MII Status" "$P" "$a" "$v"
    pv ${pb}ARP_Polling_Interval__ms_
    if [ "$v" != absent ]; then
        gv nv "$b" bond_arp_interval; a=$v; pv ${pb}ARP_Polling_Interval__ms_
        same "$b arp_interval" "$P" "$a" "$v"
        a=; for x in $targets; do a="$a${a:+, }$x"; done
        pv ${pb}ARP_IP_target_s__n_n_n_n_form_; same "$b arp_ip_target" "$P" "$a" "$v"
    fi
    pv ${pb}Transmit_Hash_Policy
    if [ "$v" != absent ]; then
        first; k=$v; gv nv "$b" bond_xmit_hash_policy; same "$b xmit_hash_policy" "$P" "$v" "$k"
    fi
    if [ "$mode" = 802.3ad ]; then
        gv nv "$b" bond_lacp_rate; a=$v; pv ${pb}LACP_rate; same "$b lacp_rate" "$P" "$a" "$v"
        gv nv "$b" bond_min_links; a=$v; pv ${pb}Min_links; same "$b min_links" "$P" "$a" "$v"
        gv nv "$b" bond_ad_select; a=$v; pv ${pb}Aggregator_selection_policy__ad_select_
        same "$b ad_select" "$P" "$a" "$v"
        for f in aggregator_id:Aggregator_ID num_ports:Number_of_ports actor_key:Actor_Key \
                 partner_key:Partner_Key partner_mac:Partner_Mac_Address; do
            gv nv "$b" bond_ad_info_${f%%:*}; a=$v; pv ${pb}${f#*:}
            same "$b ad_info ${f%%:*}" "$P" "$a" "$v"
        done
    fi
    active=
    for s in $ip_links; do
        gv ip "$s" master; [ "$v" = "$b" ] || continue
        gv nv "$s" bond_slave_state; [ "$v" = active ] && active="$active${active:+ }$s"
    done
    pv ${pb}Currently_Active_Slave
    if [ "$v" != absent ] && [ "$mode" = active-backup ]; then
        same "$b slave in state active" "$P Currently Active Slave" "${active:-None}" "$v"
    fi
    pv ${pb}Primary_Slave
    if [ "$v" != absent ]; then
        first; [ "$v" = None ] && v=null; same "$b primary" "$P" "$primary" "$v"
    fi

    # its slaves
    for s in $ip_links; do
        gv ip "$s" master; [ "$v" = "$b" ] || continue
        S=/sys/class/net/$s/bonding_slave
        san "$s"; sv=ps__$r
        gv nv "$s" bond_slave_state; a=$v
        gv ip "$s" linkinfo_info_slave_data_state; lower; same "$s slave state" ip "$a" "$v"
        rd $S/state; rec $s slave_state; same "$s slave state" sysfs "$a" "$v"
        gv nv "$s" bond_slave_mii_status; a=$v
        gv ip "$s" linkinfo_info_slave_data_mii_status; lower; same "$s slave mii_status" ip "$a" "$v"
        rd $S/mii_status; rec $s slave_mii_status; unspace; same "$s slave mii_status" sysfs "$a" "$v"
        pv ${sv}_MII_Status; unspace; same "$s slave mii_status" "$P" "$a" "$v"
        for f in link_failure_count:Link_Failure_Count perm_hwaddr:Permanent_HW_addr \
                 queue_id:Slave_queue_ID; do
            gv nv "$s" bond_slave_${f%%:*}; a=$v
            gv ip "$s" linkinfo_info_slave_data_${f%%:*}; same "$s slave ${f%%:*}" ip "$a" "$v"
            rd $S/${f%%:*}; rec $s slave_${f%%:*}; same "$s slave ${f%%:*}" sysfs "$a" "$v"
            pv ${sv}_${f#*:}; same "$s slave ${f%%:*}" "$P" "$a" "$v"
        done
        if [ "$mode" = 802.3ad ]; then
            for f in ad_aggregator_id:Aggregator_ID ad_actor_oper_port_state:actor_port_state \
                     ad_partner_oper_port_state:partner_port_state; do
                gv nv "$s" bond_slave_${f%%:*}; a=$v
                gv ip "$s" linkinfo_info_slave_data_${f%%:*}; same "$s slave ${f%%:*}" ip "$a" "$v"
                rd $S/${f%%:*}; rec $s slave_${f%%:*}; same "$s slave ${f%%:*}" sysfs "$a" "$v"
                pv ${sv}_${f#*:}; same "$s slave ${f%%:*}" "$P" "$a" "$v"
            done
        else
            gv nv "$s" bond_slave_ad_aggregator_id; same "$s slave ad_aggregator_id (not 802.3ad)" ip "$v" null
        fi
    done
done

# the states this run is meant to cover, so that a change in the setup does not go unnoticed
gv ip babb linkinfo_info_slave_data_mii_status; same "babb is held in going back by updelay" ip GOING_BACK "$v"
gv ip bxrb linkinfo_info_slave_data_mii_status; same "bxrb is held in going down by downdelay" ip GOING_DOWN "$v"
gv ip brrb linkinfo_info_slave_data_mii_status; same "brrb, administratively down, is MII down" ip DOWN "$v"

if [ "${NETVET_LIVE_MODEL_CAPTURE:-}" = 1 ]; then
    cp $W/vm-bonds.netlink $W/vm-bonds.ip.json $SYSFS_TXT /mnt/share/
    sync
fi

# A VLAN whose parent is in another network namespace (a VLAN handed to a container): its
# IFLA_LINK is an ifindex of that namespace (IFLA_LINK_NETNSID says which), and here that index
# is brr's. ip shows link_netnsid and link_index instead of a name; netvet must not resolve the
# index among this namespace's links.
if $IP netns add nvother; then
    $IP -n nvother link add od type dummy
    $IP -n nvother link add link od name ov type vlan id 5
    $IP -n nvother link set ov netns 1
    $NETVET live --format json > $W/live2.json
    $IP -details -json link show ov > $W/ip2.json
    flatten nv2 /links name < $W/live2.json > $W/nv2.sh
    flatten ip2 "" ifname < $W/ip2.json > $W/ip2.sh
    . $W/nv2.sh
    . $W/ip2.sh
    gv ip2 ov link_netnsid; same "ov's parent is in another namespace" ip "$v" 0
    gv ip2 ov link_index; same "ov's parent's ifindex there is brr's here" ip "$v" "$(cat /sys/class/net/brr/ifindex)"
    gv nv2 ov vlan_id; same "ov vlan id" ip "$v" 5
    gv nv2 ov vlan_parent; a=$v; gv ip2 ov link null
    same "ov vlan parent, in another namespace (link_netnsid 0)" ip "$a" "$v"
    $IP link del ov
    $IP netns del nvother
else
    same "ip netns add works in the VM" ip failed ok
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
