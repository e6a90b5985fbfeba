#!/usr/bin/env python3
"""Assertions on what tests/vm/repair/in-vm.sh left in OUT_DIR, as TAP-like lines.

Usage: check.py OUT_DIR"""
import json
import sys

out = sys.argv[1]
results = []


def check(fact, ok, detail=""):
    results.append(ok)
    print(("ok - " if ok else "not ok - ") + fact + ("" if ok else f": {detail}"))


def text(name):
    return open(f"{out}/{name}").read()


def live(name):
    return {l["name"]: l for l in json.load(open(f"{out}/{name}.json"))["links"]}


def differences(a, b):
    """Every field that differs between two `netvet live` states, link by link."""
    diff = []
    for name in sorted(set(a) | set(b)):
        if name not in a or name not in b:
            diff.append(f"{name} only in one")
            continue
        for key in sorted(set(a[name]) | set(b[name])):
            if a[name].get(key) != b[name].get(key):
                diff.append(f"{name}.{key}: {a[name].get(key)!r} != {b[name].get(key)!r}")
    return diff


broken = live("broken")
plan = text("plan.txt")
check("the broken state is as built (miimon 0, eth1 outside bond0)",
      broken["bond0"]["bond"]["miimon"] == 0 and broken["eth1"].get("master") is None, broken["bond0"])
check("repair without --apply plans and exits 1", text("plan.rc").strip() == "1", plan)
check("the plan sets miimon first, enslaves eth1, then raises MTUs parent first",
      plan.index("set bond0 miimon 100") < plan.index("enslave eth1 to bond0")
      < plan.index("set bond0 mtu 9000") < plan.index("set bond0.10 mtu 9000"), plan)
check("planning alone changes nothing", not differences(broken, live("after-plan")),
      differences(broken, live("after-plan")))
steps = int(text("steps").strip())
check(f"the plan has actions ({steps})", steps >= 5, plan)
for i in range(1, steps + 1):
    after = live(f"after-fail-{i}")
    check(f"a failure at action {i} rolls back (exit 3) and leaves every field as it was",
          text(f"fail-{i}.rc").strip() == "3" and not differences(broken, after),
          f"rc {text(f'fail-{i}.rc').strip()}; {differences(broken, after)}; {text(f'fail-{i}.txt')[-800:]}")
repaired = live("repaired")
applied = text("apply.txt")
check("repair --apply exits 0", text("apply.rc").strip() == "0", applied)
check("bond0 runs with miimon 100 and updelay 200 (sysfs and netlink)",
      text("miimon").strip() == "100" and repaired["bond0"]["bond"]["miimon"] == 100
      and repaired["bond0"]["bond"]["updelay"] == 200, repaired["bond0"]["bond"])
check("eth1 is enslaved to bond0", repaired["eth1"].get("master") == "bond0", repaired["eth1"])
check("bond0, its slaves and bond0.10 run with MTU 9000",
      all(repaired[l]["mtu"] == 9000 for l in ["bond0", "eth0", "eth1", "bond0.10"]),
      {l: repaired[l]["mtu"] for l in ["bond0", "eth0", "eth1", "bond0.10"]})
check("one log line per action", sum(1 for l in applied.splitlines() if l.startswith("repair: ")) >= steps, applied)
findings = json.load(open(f"{out}/check.json"))["findings"]
check("netvet check --live reports no NV5xx afterwards", not findings, findings)
check("a second plan is empty and exits 0", text("again.rc").strip() == "0", text("again.txt"))
check("--confirm: not confirmed in time, the repair is rolled back (exit 3) field by field",
      text("unconfirmed.rc").strip() == "3"
      and not differences(live("unconfirmed-before"), live("unconfirmed-after")),
      text("unconfirmed.txt") + str(differences(live("unconfirmed-before"), live("unconfirmed-after"))))
check("--confirm: confirmed with --confirm-now from another process, the repair stays",
      text("confirm-now.rc").strip() == "0" and text("confirmed.rc").strip() == "0"
      and text("miimon-confirmed").strip() == "100",
      text("confirm-now.txt") + text("confirmed.txt"))
xor = text("xor.txt")
check("a mode change on the bond holding the default route waits (exit 1) and says why",
      text("xor.rc").strip() == "1" and "waiting" in xor and "default route" in xor, xor)
check("bond0 keeps its mode and the default route",
      text("mode").startswith("active-backup") and "dev bond0" in text("route"),
      text("mode") + text("route"))

allowed = live("xor-allowed")
check("with --allow-link-down the mode changes, and the slaves and MTUs are back",
      text("xor-allowed.rc").strip() == "0" and allowed["bond0"]["bond"]["mode"] == "balance-xor"
      and allowed["eth0"].get("master") == "bond0" and allowed["eth1"].get("master") == "bond0"
      and allowed["bond0"]["admin_up"] and allowed["bond0"]["mtu"] == 9000,
      text("xor-allowed.txt") + str(allowed["bond0"]))
passed = sum(results)
print(f"{passed} passed, {len(results) - passed} failed")
sys.exit(0 if all(results) else 1)
