#!/bin/sh
# Runs under systemd in the VM: what netvet says about the socket units, and what the kernel has.
mkdir -p /out
cat /proc/sys/net/ipv6/bindv6only > /out/bindv6only
/usr/local/bin/netvet listeners --format json > /out/listeners.json 2> /out/netvet.err
rc=$?
ss -ltneH > /out/ss.txt
sync
echo "NETVET-VM-EXIT=$rc" > /dev/ttyS0
systemctl poweroff -ff
