#!/bin/sh
# Runs inside the VM. $NETVET is netvet; /mnt/share holds the configurations (cfg/, cfg-xor/). Builds
# the broken state with ip link (a bond without link monitoring, a slave left out, MTUs at
# 1500), then: the plan alone changes nothing; each action made to fail (NETVET_FAILPOINT)
# leaves the live state as it was; repair --apply puts it in line; a mode change on the bond
# holding the default route waits for --allow-link-down; --confirm rolls back unless
# confirmed. Outputs go to /mnt/share/out.
S=/mnt/share
O=$S/out
IP=/sbin/ip
N="$NETVET"
mkdir -p $O
# The state as the kernel shows it once links have settled (a bond's carrier follows its
# slaves a moment after they come up).
live() { sleep 1; $N live --format json > "$O/$1.json"; }
$IP link add eth0 type dummy
$IP link add eth1 type dummy
$IP link add bond0 type bond mode active-backup miimon 0
$IP link set eth0 master bond0
$IP link set bond0 up
$IP link set eth1 up
$IP link add link bond0 name bond0.10 type vlan id 10
$IP link set bond0.10 up
live broken
$N repair --root $S/cfg > $O/plan.txt 2>&1; echo $? > $O/plan.rc
live after-plan
steps=$(grep -c '^[0-9]*\. ' $O/plan.txt)
echo "$steps" > $O/steps
i=1
while [ "$i" -le "$steps" ]; do
    NETVET_FAILPOINT=repair-step:$i $N repair --apply --root $S/cfg > $O/fail-$i.txt 2>&1
    echo $? > $O/fail-$i.rc
    live after-fail-$i
    i=$((i + 1))
done
$N repair --apply --root $S/cfg > $O/apply.txt 2>&1; echo $? > $O/apply.rc
live repaired
cat /sys/class/net/bond0/bonding/miimon > $O/miimon
$N check --live --root $S/cfg --select NV5 --format json --fail-on never > $O/check.json 2> $O/check.err
$N repair --root $S/cfg > $O/again.txt 2>&1; echo $? > $O/again.rc
# --confirm: link monitoring off again; unconfirmed, the repair is rolled back; confirmed from
# another process (as from a second SSH session), it stays.
$IP link set bond0 type bond miimon 0
live unconfirmed-before
$N repair --apply --confirm 2 --root $S/cfg > $O/unconfirmed.txt 2>&1; echo $? > $O/unconfirmed.rc
live unconfirmed-after
$N repair --apply --confirm 60 --root $S/cfg > $O/confirmed.txt 2>&1 &
waiting=$!
n=0
while [ ! -f /run/netvet/repair-pending ] && [ $n -lt 60 ]; do sleep 1; n=$((n + 1)); done
$N repair --confirm-now > $O/confirm-now.txt 2>&1; echo $? > $O/confirm-now.rc
wait $waiting; echo $? > $O/confirmed.rc
cat /sys/class/net/bond0/bonding/miimon > $O/miimon-confirmed
# The bond now carries the default route; the configuration asks for another mode.
$IP addr add 198.18.0.1/24 dev bond0
$IP route add default via 198.18.0.254 dev bond0
$N repair --apply --root $S/cfg-xor > $O/xor.txt 2>&1; echo $? > $O/xor.rc
cat /sys/class/net/bond0/bonding/mode > $O/mode
$IP route show default > $O/route
live guarded
# With --allow-link-down the operator accepts it: the bond goes down, its slaves leave, the
# mode changes, they join again, and it comes back up.
$N repair --apply --allow-link-down --root $S/cfg-xor > $O/xor-allowed.txt 2>&1; echo $? > $O/xor-allowed.rc
live xor-allowed
sync
echo done
