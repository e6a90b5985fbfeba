#!/usr/bin/env python3
"""Assertions on what netvet said in the VM (ifupdown/in-vm.sh): no drift after `ifup -a`, and
exactly the expected live findings after the state was broken. Prints TAP-like lines and a
closing `N passed, N failed`; exits non-zero on failure. The snapshots taken in the VM, checked
offline here, must give the findings the live check gave there.
Usage: check.py OUT_DIR NETVET_BINARY"""
import json
import subprocess
import sys

out = sys.argv[1]
netvet = sys.argv[2]
results = []


def check(fact, ok, detail=""):
    results.append(ok)
    print(("ok - " if ok else "not ok - ") + fact + ("" if ok else f": {detail}"))


def findings(name):
    with open(f"{out}/{name}.json") as f:
        return json.load(f)["findings"]


def live(fs):
    return sorted({(f["code"], f["interface"]) for f in fs if f["code"].startswith("NV5")})


ifup = open(f"{out}/ifup.log").read()
check("ifup -a brought the configuration up", "ifup rc=0" in ifup, ifup[-500:])

links = {l["ifname"]: l for l in json.load(open(f"{out}/ip-healthy.json"))}
check("bond0 exists with MTU 9000, its slaves follow", links.get("bond0", {}).get("mtu") == 9000
      and all(links.get(s, {}).get("master") == "bond0" for s in ("eno1", "eno2", "eno3")), str(links.get("bond0")))

healthy = findings("healthy")
drift = [f for f in healthy if f["code"].startswith("NV5")]
check("after ifup -a with an LACP partner netvet reports nothing live (NV501-NV508)", not drift,
      json.dumps(drift, indent=1)[:2000])
offline = [f for f in healthy if not f["code"].startswith("NV5") and f["severity"] != "info"]
check("the configuration itself is clean (no offline warning or error)", not offline,
      json.dumps(offline, indent=1)[:2000])

def same(f):
    """A finding as both checks must state it (the target names differ: / and the archive)."""
    return (f["code"], f["interface"], f["severity"], f["message"], f["file"], f["line"])


for state in ["healthy", "broken"]:
    offline = subprocess.run([netvet, "check", "--snapshot", f"{out}/{state}.snap.tar", "--format",
                              "json", "--fail-on", "never"], capture_output=True, text=True)
    there = sorted(map(same, findings(state)))
    here = sorted(map(same, json.loads(offline.stdout)["findings"])) if offline.returncode == 0 else None
    check(f"the snapshot taken in the VM ({state}) gives offline the findings of the live check there",
          here == there and (state == "healthy" or len(there) > 0),
          f"{offline.stderr[-500:]} only live: {sorted(set(there) - set(here or []))}; "
          f"only offline: {sorted(set(here or []) - set(there))}")

broken = live(findings("broken"))
# The kernel closes a slave it releases, so eno2 is also an `auto` interface that is down.
for expected, what in [
    (("NV507", "eno2"), "eno2 down after its release (NV507)"),
    (("NV503", "eno2"), "the released slave eno2 (NV503)"),
    (("NV504", "bond0.20"), "bond0.20's MTU changed by hand (NV504)"),
    (("NV501", "bond0"), "miimon switched off on bond0 (NV501)"),
    (("NV502", "bond0"), "bond0's miimon drifting from the configuration (NV502)"),
    (("NV506", "eno1"), "eno1's link down (NV506)"),
    (("NV507", "eno1"), "eno1 administratively down (NV507)"),
    (("NV508", "bond0.10"), "bond0.10 recreated as VLAN 11 (NV508)"),
    (("NV505", "eno3"), "the LACP partner gone from eno3 (NV505)"),
]:
    check("after breaking the live state netvet reports " + what, expected in broken, str(broken))
unexpected = [x for x in broken if x not in {
    ("NV503", "eno2"), ("NV507", "eno2"), ("NV504", "bond0.20"), ("NV501", "bond0"), ("NV502", "bond0"),
    ("NV505", "eno3"), ("NV506", "eno1"), ("NV507", "eno1"), ("NV508", "bond0.10"),
    # With eno3's partner information defaulted (in-vm.sh waits for it), the bond as a whole
    # also has no partner and two aggregators.
    ("NV505", "bond0")}]
check("and nothing else", not unexpected, str(unexpected))

passed = sum(results)
print(f"{passed} passed, {len(results) - passed} failed")
sys.exit(0 if all(results) else 1)
