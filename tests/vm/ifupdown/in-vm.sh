#!/bin/sh
# Runs inside the VM. /mnt/share is a Debian 12 root (debootstrap minbase with ifupdown and
# ifenslave) holding netvet and the interfaces file. The real ifup brings the configuration up;
# netvet checks it against the live kernel (output in /mnt/share/out/*.json) and takes a snapshot
# (*.snap.tar); then the live state is broken in six ways and netvet checks again.
R=/mnt/share
IP=/sbin/ip
for d in proc sys dev run; do mount --bind /$d $R/$d; done
mkdir -p $R/out
# The NICs: veths whose peers are enslaved to an 802.3ad bond in the namespace `sw`, a switch
# that speaks LACP.
$IP netns add sw
$IP -n sw link add lb type bond mode 802.3ad miimon 100 lacp_rate fast
for i in 1 2 3; do
    $IP link add eno$i type veth peer name sw$i
    $IP link set sw$i netns sw
    $IP -n sw link set sw$i master lb
    $IP -n sw link set sw$i up
done
$IP -n sw link set lb up
chroot $R /sbin/ifup -a > $R/out/ifup.log 2>&1
echo "ifup rc=$?" >> $R/out/ifup.log
sleep 4   # LACP converges within a few fast LACPDUs
chroot $R /bin/ip -details -json link show > $R/out/ip-healthy.json
cat /proc/net/bonding/bond0 > $R/out/bonding-healthy.txt
chroot $R /usr/local/bin/netvet check --format json --fail-on never > $R/out/healthy.json
chroot $R /usr/local/bin/netvet snapshot -o /out/healthy.snap.tar 2> $R/out/snapshot-healthy.err
# Break it: a slave released, an MTU changed by hand, link monitoring switched off, a slave
# taken down, a VLAN recreated with another id, the switch's LACP stopped on the last port.
$IP -n sw link set sw3 nomaster
$IP -n sw link set sw3 up
$IP link set eno2 nomaster
$IP link set bond0.20 mtu 1400
$IP link set eno1 down
$IP link del bond0.10
$IP link add link bond0 name bond0.10 type vlan id 11
$IP link set bond0.10 up
# Three missed fast LACPDUs expire the partner (3 s), three more default it (6 s): past both,
# the live check and the snapshot after it see the same, settled state (at 5 s the snapshot
# could catch the change between the two).
sleep 10
echo 0 > /sys/class/net/bond0/bonding/miimon
cat /proc/net/bonding/bond0 > $R/out/bonding-broken.txt
chroot $R /usr/local/bin/netvet check --format json --fail-on never > $R/out/broken.json
chroot $R /usr/local/bin/netvet snapshot -o /out/broken.snap.tar 2> $R/out/snapshot-broken.err
chroot $R /sbin/ifdown -a > $R/out/ifdown.log 2>&1
for d in run dev sys proc; do umount $R/$d; done
sync
echo done
