#!/bin/sh
# Runs inside the VM: builds bonds in every mode over dummy slaves, VLANs (802.1Q and 802.1ad)
# over a bond and a bridge, a bridge with a port, and writes what netvet reads (live.json, the raw
# netlink dump) next to what the kernel's own interfaces say (ip -details -json, sysfs,
# /proc/net/bonding) into /mnt/share/out for check.py. $NETVET is the netvet binary.
set -e
S=/mnt/share
O=$S/out
IP=/sbin/ip
mkdir -p $O
n=0
bond() {   # bond NAME MODE [OPTIONS...]: a bond with two dummy slaves
    name=$1; mode=$2; shift 2
    $IP link add "$name" type bond mode "$mode" "$@"
    for s in a b; do
        n=$((n + 1))
        $IP link add "${name}$s" type dummy
        $IP link set "${name}$s" master "$name"
    done
    $IP link set "$name" up
}
bond brr balance-rr miimon 100 updelay 200 downdelay 100
bond bab active-backup miimon 50 updelay 100
echo babb > /sys/class/net/bab/bonding/primary
bond bxr balance-xor miimon 100 xmit_hash_policy layer2+3
bond bbc broadcast miimon 100
bond bad 802.3ad miimon 100 lacp_rate fast xmit_hash_policy layer3+4 min_links 1 ad_select bandwidth
bond btl balance-tlb miimon 100
bond bal balance-alb miimon 200 downdelay 400
bond barp active-backup arp_interval 1000 arp_ip_target 198.18.0.1,198.18.0.2 arp_validate active
$IP link set bad mtu 9000
$IP link add link bad name bad.10 type vlan id 10
$IP link add link bad name bad.20 type vlan protocol 802.1ad id 20
$IP link set bad.20 mtu 1400
$IP link add br0 type bridge
$IP link add brp type dummy
$IP link set brp master br0
$IP link add link br0 name br0.30 type vlan id 30
for l in bad.10 bad.20 br0 brp br0.30; do $IP link set $l up; done
$IP link set brrb down
sleep 1
$NETVET live --format json --save-netlink $O/vm-bonds.netlink > $O/live.json
$IP -details -json link show > $O/vm-bonds.ip.json
: > $O/vm-bonds.sysfs.txt
for b in brr bab bxr bbc bad btl bal barp; do
    for opt in mode miimon updelay downdelay arp_interval arp_ip_target arp_validate lacp_rate \
               xmit_hash_policy min_links ad_select primary all_slaves_active use_carrier; do
        printf '%s %s %s\n' "$b" "$opt" "$(cat /sys/class/net/$b/bonding/$opt 2>/dev/null)" >> $O/vm-bonds.sysfs.txt
    done
    for s in /sys/class/net/$b/lower_*; do
        sl=${s##*/lower_}
        for opt in state mii_status link_failure_count perm_hwaddr queue_id ad_aggregator_id; do
            printf '%s %s %s\n' "$sl" "slave_$opt" "$(cat /sys/class/net/$sl/bonding_slave/$opt 2>/dev/null)" >> $O/vm-bonds.sysfs.txt
        done
    done
    cp /proc/net/bonding/$b $O/proc-bonding-$b.txt
done
sync
echo done
