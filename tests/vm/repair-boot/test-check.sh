#!/bin/sh
# Runs under systemd in the VM, after netvet-repair.service: the kernel's state as sysfs and
# netlink show it, netvet's live check, and the repair unit's journal with priorities.
mkdir -p /out
cat /sys/class/net/bond0/bonding/miimon > /out/miimon
cat /sys/class/net/eth1/mtu > /out/eth1-mtu
ip -details -json link show > /out/ip.json
/usr/bin/netvet check --live --format json --fail-on never > /out/check.json 2> /out/check.err
journalctl -b -u netvet-repair.service -o json --no-pager > /out/journal.json
systemctl is-active netvet-repair.service > /out/unit-state
systemctl is-active test-break.service > /out/break-state
sync
echo "NETVET-VM-EXIT=0" > /dev/ttyS0
systemctl poweroff -ff
