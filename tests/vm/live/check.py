#!/usr/bin/env python3
"""Compare netvet's live model (live.json, from `netvet live`) field by field with the kernel's own
views captured at the same moment: `ip -details -json link show` and the bonding sysfs files.
Prints TAP-like lines and `N passed, N failed`; exits non-zero on a mismatch. Usage: check.py DIR"""
import json
import sys

d = sys.argv[1]
live = {l["name"]: l for l in json.load(open(f"{d}/live.json"))["links"]}
ip = {l["ifname"]: l for l in json.load(open(f"{d}/vm-bonds.ip.json"))}
sysfs = {}
for line in open(f"{d}/vm-bonds.sysfs.txt"):
    parts = line.rstrip("\n").split(" ", 2)
    sysfs[(parts[0], parts[1])] = parts[2] if len(parts) > 2 else ""
results = []


def same(what, ours, theirs):
    ok = ours == theirs
    results.append(ok)
    if not ok:
        print(f"not ok - {what}: netvet {ours!r}, kernel {theirs!r}")


def first_word(v):
    return v.split(" ")[0] if v else v


for name, k in ip.items():
    n = live.get(name)
    same(f"{name} is in netvet's model", n is not None, True)
    if n is None:
        continue
    info = k.get("linkinfo", {})
    same(f"{name} index", n["index"], k["ifindex"])
    same(f"{name} kind", n["kind"], info.get("info_kind", "loopback" if k.get("link_type") == "loopback" else "device"))
    same(f"{name} mtu", n["mtu"], k["mtu"])
    same(f"{name} min_mtu", n["min_mtu"], k.get("min_mtu"))
    same(f"{name} max_mtu", n["max_mtu"], k.get("max_mtu"))
    same(f"{name} admin up", n["admin_up"], "UP" in k["flags"])
    same(f"{name} oper state", n["oper_state"], k["operstate"])
    same(f"{name} master", n["master"], k.get("master"))
    same(f"{name} mac", n["mac"], k.get("address"))
    if info.get("info_kind") == "vlan":
        v = info["info_data"]
        same(f"{name} vlan id", n["vlan"]["id"], v["id"])
        same(f"{name} vlan protocol", n["vlan"]["protocol"], v["protocol"])
        same(f"{name} vlan parent", n["vlan"]["parent"], k.get("link"))
    if info.get("info_kind") == "bridge":
        ports = sorted(x for x, l in ip.items() if l.get("master") == name)
        same(f"{name} bridge ports", sorted(n["bridge_ports"]), ports)
    if info.get("info_kind") == "bond":
        b, kb = n["bond"], info["info_data"]
        same(f"{name} mode", b["mode"], kb["mode"])
        for key in ("miimon", "updelay", "downdelay", "arp_interval", "min_links"):
            same(f"{name} {key} (ip)", b[key], kb[key])
            same(f"{name} {key} (sysfs)", str(b[key]), sysfs[(name, key)])
        same(f"{name} mode (sysfs)", b["mode"], first_word(sysfs[(name, "mode")]))
        same(f"{name} lacp_rate (sysfs)", b["lacp_rate"], first_word(sysfs[(name, "lacp_rate")]))
        same(f"{name} xmit_hash_policy (sysfs)", b["xmit_hash_policy"], first_word(sysfs[(name, "xmit_hash_policy")]))
        same(f"{name} ad_select (sysfs)", b["ad_select"], first_word(sysfs[(name, "ad_select")]))
        same(f"{name} arp_validate (sysfs)", b["arp_validate"], first_word(sysfs[(name, "arp_validate")]))
        same(f"{name} arp_ip_target (sysfs)", " ".join(b["arp_ip_target"]), sysfs[(name, "arp_ip_target")])
        same(f"{name} primary (sysfs)", b["primary"] or "", sysfs[(name, "primary")])
        same(f"{name} use_carrier (sysfs)", str(int(b["use_carrier"])), sysfs[(name, "use_carrier")])
        same(f"{name} all_slaves_active (sysfs)", str(int(b["all_slaves_active"])), sysfs[(name, "all_slaves_active")])
        if "ad_info" in kb:
            a, ka = b["ad_info"], kb["ad_info"]
            same(f"{name} ad aggregator", a["aggregator_id"], ka["aggregator"])
            same(f"{name} ad num_ports", a["num_ports"], ka["num_ports"])
            same(f"{name} ad actor_key", a["actor_key"], ka["actor_key"])
            same(f"{name} ad partner_key", a["partner_key"], ka["partner_key"])
            same(f"{name} ad partner_mac", a["partner_mac"], ka["partner_mac"])
    if info.get("info_slave_kind") == "bond":
        s, ks = n["bond_slave"], info["info_slave_data"]
        same(f"{name} slave state", s["state"], ks["state"].lower())
        same(f"{name} slave mii_status", s["mii_status"], ks["mii_status"].lower())
        same(f"{name} slave link_failure_count", s["link_failure_count"], ks["link_failure_count"])
        same(f"{name} slave perm_hwaddr", s["perm_hwaddr"], ks["perm_hwaddr"])
        same(f"{name} slave queue_id", s["queue_id"], ks["queue_id"])
        # The ARP-monitored bond's targets do not exist, so its slaves flap between the two reads;
        # ip's view above was taken right after netvet's. sysfs spells `going_back` with a space.
        if n["master"] != "barp":
            same(f"{name} slave state (sysfs)", s["state"], sysfs[(name, "slave_state")])
            same(f"{name} slave mii_status (sysfs)", s["mii_status"], sysfs[(name, "slave_mii_status")].replace(" ", "_"))
        if "ad_aggregator_id" in ks:
            same(f"{name} slave aggregator", s["ad_aggregator_id"], ks["ad_aggregator_id"])
same("netvet has no link the kernel lacks", sorted(set(live) - set(ip)), [])

# /proc/net/bonding/BOND, the bonding driver's own report.
import glob
for path in sorted(glob.glob(f"{d}/proc-bonding-*.txt")):
    name = path.rsplit("proc-bonding-", 1)[1][:-4]
    b = live[name]["bond"]
    text = open(path).read()
    head, _, rest = text.partition("\nSlave Interface: ")
    fields = dict(l.split(": ", 1) for l in head.splitlines() if ": " in l)
    same(f"{name} MII Polling Interval (proc)", str(b["miimon"]), fields["MII Polling Interval (ms)"])
    same(f"{name} Up Delay (proc)", str(b["updelay"]), fields["Up Delay (ms)"])
    same(f"{name} Down Delay (proc)", str(b["downdelay"]), fields["Down Delay (ms)"])
    if "ARP Polling Interval (ms)" in fields:
        same(f"{name} ARP Polling Interval (proc)", str(b["arp_interval"]), fields["ARP Polling Interval (ms)"])
    if "Partner Mac Address" in text:
        partner = [l.split(": ", 1)[1] for l in head.splitlines() if "Partner Mac Address" in l][0]
        same(f"{name} partner MAC (proc)", b["ad_info"]["partner_mac"], partner)
    for block in ("Slave Interface: " + rest).split("\nSlave Interface: ")[0:]:
        lines = block.replace("Slave Interface: ", "", 1).splitlines()
        if not lines or not lines[0]:
            continue
        slave = lines[0].strip()
        sf = dict(l.split(": ", 1) for l in lines[1:] if ": " in l)
        s = live[slave]["bond_slave"]
        if name == "barp":  # flapping, see above: only what cannot change
            same(f"{slave} Permanent HW addr (proc)", s["perm_hwaddr"], sf["Permanent HW addr"])
            continue
        same(f"{slave} Permanent HW addr (proc)", s["perm_hwaddr"], sf["Permanent HW addr"])
        same(f"{slave} Link Failure Count (proc)", str(s["link_failure_count"]), sf["Link Failure Count"])
        if "Aggregator ID" in sf:
            same(f"{slave} Aggregator ID (proc)", str(s["ad_aggregator_id"]), sf["Aggregator ID"])
passed = sum(results)
print(f"ok - {passed} live-model fields agree with ip -details -json and sysfs" if all(results) else "")
print(f"{passed} passed, {len(results) - passed} failed")
sys.exit(0 if all(results) else 1)
