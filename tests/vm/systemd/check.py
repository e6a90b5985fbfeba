#!/usr/bin/env python3
"""What netvet says about systemd socket units (configured rows) against the sockets systemd
really created (netvet's live rows from sock_diag, and `ss -e`), for one bindv6only value.
Usage: check.py OUT_DIR BINDV6ONLY"""
import json
import sys

out, bindv6only = sys.argv[1], sys.argv[2]
rows = json.load(open(f"{out}/listeners.json"))
results = []


def check(fact, ok, detail=""):
    results.append(ok)
    print(("ok - " if ok else "not ok - ") + fact + ("" if ok else f": {detail}"))


check(f"systemd applied bindv6only={bindv6only} before the sockets", open(f"{out}/bindv6only").read().strip() == bindv6only)
# BindIPv6Only= per unit, as systemd.socket(5) documents it.
expected_v6only = {8081: bindv6only == "1", 8082: False, 8083: True}
for port, v6only in expected_v6only.items():
    conf = [r for r in rows if r["port"] == port and r["source"] != "kernel"]
    live = [r for r in rows if r["port"] == port and r["source"] == "kernel"]
    check(f"port {port}: netvet reads the unit", len(conf) == 1, str(conf))
    check(f"port {port}: systemd created one [::] socket", len(live) == 1 and live[0]["address"] == "::", str(live))
    if conf and live:
        check(f"port {port}: IPV6_V6ONLY is {v6only} in the kernel", live[0]["v6only"] == v6only, str(live))
        check(f"port {port}: netvet's configured view agrees with the kernel",
              (conf[0]["v4"], conf[0]["v6"], conf[0]["v6only"]) == (live[0]["v4"], live[0]["v6"], live[0]["v6only"]),
              f"configured {conf[0]}, live {live[0]}")
v4 = [r for r in rows if r["port"] == 8084]
check("port 8084: an IPv4 ListenStream is IPv4 only, configured and live",
      len(v4) == 2 and all(r["v4"] and not r["v6"] for r in v4), str(v4))
passed = sum(results)
print(f"{passed} passed, {len(results) - passed} failed")
sys.exit(0 if all(results) else 1)
