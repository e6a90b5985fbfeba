#!/usr/bin/env python3
"""Write a large, valid /etc/network/interfaces for benchmarks.

250 bonds (802.3ad, 4 slaves each with their own stanza and bond-master) and 2 VLANs per bond
with IPv4 and IPv6 stanzas: 1,500 interfaces and about 9,000 lines. Usage: gen-large.py OUT [BONDS]
"""
import sys


def main():
    out = sys.argv[1]
    bonds = int(sys.argv[2]) if len(sys.argv) > 2 else 250
    lines = ["auto lo", "iface lo inet loopback", ""]
    count = 0
    for b in range(bonds):
        bond = f"bond{b}"
        slaves = [f"ens{b // 8 + 1}f{b % 8 * 4 + s}" for s in range(4)]
        for s in slaves:
            lines += [f"auto {s}", f"iface {s} inet manual", f"    bond-master {bond}", "    mtu 9000", ""]
        lines += [
            f"auto {bond}",
            f"iface {bond} inet manual",
            "    bond-slaves none",
            "    bond-mode 802.3ad",
            "    bond-miimon 100",
            "    bond-lacp-rate fast",
            "    bond-xmit-hash-policy layer2+3",
            "    bond-min-links 2",
            "    mtu 9000",
            "",
        ]
        for v in (10, 20):
            name = f"{bond}.{v}"
            third = (b * 2 + v // 10 - 1) % 256
            second = 18 + (b * 2 + v // 10 - 1) // 256
            lines += [
                f"auto {name}",
                f"iface {name} inet static",
                f"    address 198.{second}.{third}.1/24",
                "    mtu 9000",
                "",
                f"iface {name} inet6 static",
                f"    address fd00:{b:x}:{v:x}::1/64",
                "",
            ]
        count += len(slaves) + 1 + 2
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{out}: {count} interfaces, {len(lines)} lines")


main()
