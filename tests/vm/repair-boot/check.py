#!/usr/bin/env python3
"""The boot story, judged on what repair-boot/test-check.sh recorded: the broken state was
repaired at boot by netvet-repair.service. Usage: check.py OUT_DIR"""
import json
import sys

out = sys.argv[1]
results = []


def check(fact, ok, detail=""):
    results.append(ok)
    print(("ok - " if ok else "not ok - ") + fact + ("" if ok else f": {detail}"))


def text(name):
    return open(f"{out}/{name}").read()


check("the state was broken at boot (test-break.service ran)", text("break-state").strip() == "active")
check("netvet-repair.service ran and is active", text("unit-state").strip() == "active", text("unit-state"))
check("sysfs shows miimon 100 after boot", text("miimon").strip() == "100", text("miimon"))
links = {l["ifname"]: l for l in json.loads(text("ip.json"))}
check("netlink shows bond0 with miimon 100 and eth1 at MTU 9000",
      links["bond0"]["linkinfo"]["info_data"]["miimon"] == 100 and links["eth1"]["mtu"] == 9000
      and text("eth1-mtu").strip() == "9000",
      {n: (l.get("mtu"), l.get("linkinfo", {}).get("info_data", {}).get("miimon")) for n, l in links.items()})
findings = json.loads(text("check.json"))["findings"]
check("netvet check --live is clean after boot", not findings, findings)
entries = [json.loads(line) for line in text("journal.json").splitlines() if line.strip()]
lines = [(e.get("PRIORITY"), e.get("MESSAGE")) for e in entries if e.get("_COMM") == "netvet"]
actions = [m for p, m in lines if isinstance(m, str) and m.startswith("repair: ") and ": set " in m]
check("the journal has one line per action, at info priority",
      len(actions) == 2 and all(p == "6" for p, m in lines if m in actions), lines)
check("no line of the repair is an error", not any(p in ("0", "1", "2", "3") for p, _ in lines), lines)

passed = sum(results)
print(f"{passed} passed, {len(results) - passed} failed")
sys.exit(0 if all(results) else 1)
