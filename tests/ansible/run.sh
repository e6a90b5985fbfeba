#!/usr/bin/env bash
# contrib/ansible against the real ansible-core and real sshd hosts, on this machine: each host is
# a network namespace with its own links and its own /usr/sbin/sshd, reached over a veth from the
# root namespace (198.18.0.0/15 addresses). Since the hosts share this machine's files, each one
# gets its own tree for netvet (the role's netvet_root, a testing aid) while its live state is
# its namespace's. The playbook runs on five hosts, two of which fail:
#
#   web1  the binary copied into a temporary directory, nothing left behind; a bond without
#         link monitoring, links missing and a link at another MTU than configured
#   web2  the binary kept at netvet_install_path; a bridge port below the bridge's MTU, the
#         bridge down
#   web3  netvet's .deb unpacked in the temporary directory, nothing installed; a warning only
#   web4  down: no sshd answers; it fails alone and the report says why
#   web5  the netvet "installed" on it (nothing copied); up, but its tree holds nothing netvet
#         reads: netvet snapshot fails there, alone, and the report holds netvet's reason
#
# Then it checks the combined report (each host's finding codes, which hosts reached the
# threshold, why web4 and web5 were not audited), that each fetched snapshot checks the same as
# `netvet check --root TREE` on the host's tree (without the live state, and with it in the
# host's namespace), and that nothing is left on the hosts that was not asked for.
#
#   tests/ansible/run.sh [NETVET]   NETVET: the netvet binary (default target/release/netvet);
#                                   nothing is built here
#   NETVET_ANSIBLE_BIN              the directory holding ansible-playbook (tests/run-all.sh
#                                   installs ansible-core into a venv and sets it); without it
#                                   the test is skipped, or fails when CI is set
#
# Runs as root (network namespaces, sshd). Never touches ~/.ssh, /etc/ssh or ~/.ansible: keys,
# known_hosts, inventory and ansible.cfg are in a temporary directory, removed on exit with the
# namespaces and every process in them.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
export PATH="$PATH:/usr/sbin:/sbin"
t0=$SECONDS

fail() {
    echo "ansible: FAIL: $*" >&2
    exit 1
}

netvet=${1:-target/release/netvet}
[ -x "$netvet" ] || {
    echo "ansible: no netvet binary at $netvet: build it (cargo build --release --locked) or name it as the first argument" >&2
    exit 2
}
netvet=$(realpath "$netvet")
if [ "$(id -u)" -ne 0 ]; then
    echo "ansible: run as root: network namespaces and sshd need it" >&2
    exit 2
fi
if [ -z "${NETVET_ANSIBLE_BIN:-}" ]; then
    [ -z "${CI:-}" ] || fail "CI must run this test: set NETVET_ANSIBLE_BIN to the directory holding ansible-playbook"
    echo "ansible: NETVET_ANSIBLE_BIN is not set (the directory holding ansible-playbook): skipping"
    exit 0
fi
playbook_bin=$NETVET_ANSIBLE_BIN/ansible-playbook
for program in "$playbook_bin" /usr/sbin/sshd ssh ssh-keygen ip python3 dpkg-deb strip; do
    command -v "$program" >/dev/null || fail "$program is missing"
done

work=$(mktemp -d /tmp/netvet-ansible.XXXXXX)
namespaces=()
made_run_sshd=
cleanup() {
    local ns pids
    for ns in "${namespaces[@]}"; do
        # Everything in the namespace was started by this test: the sshd and its sessions.
        mapfile -t pids < <(ip netns pids "$ns" 2>/dev/null)
        [ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null || true
        ip netns del "$ns" 2>/dev/null || true
    done
    [ -z "$made_run_sshd" ] || rmdir /run/sshd 2>/dev/null || true
    rm -rf --one-file-system "$work"
}
trap cleanup EXIT
# An interrupted run exits, and so cleans up, too.
trap 'exit 130' INT TERM

# sshd's privilege separation directory; Debian's sshd service makes it at start.
if [ ! -d /run/sshd ]; then
    mkdir -m 0755 /run/sshd
    made_run_sshd=1
fi

# What the hosts get: the binary stripped, as dist/ ships it (a release build's line tables make
# it five times larger), so that copying it to each host costs little. The controller checks with
# the binary as given.
strip -o "$work/netvet" "$netvet"

# --- keys, known_hosts, the hosts ---
mkdir -p "$work/ssh"
ssh-keygen -q -t ed25519 -N '' -C netvet-test-host -f "$work/ssh/host_ed25519"
ssh-keygen -q -t ed25519 -N '' -C netvet-test-client -f "$work/ssh/client"
cp "$work/ssh/client.pub" "$work/ssh/authorized_keys"
: >"$work/ssh/known_hosts"

# One /30 per host in 198.19.N.0/24: the first N from this process's id that no address of the
# root namespace is in, so that two runs do not collide.
n=$(($$ % 200 + 20))
for _ in $(seq 200); do
    [ -n "$(ip -4 -o addr show to "198.19.$n.0/24")" ] || break
    n=$(((n - 19) % 200 + 20))
done
[ -z "$(ip -4 -o addr show to "198.19.$n.0/24")" ] || fail "every 198.19.N.0/24 (N 20 to 219) is in use"
net=198.19.$n
hosts=(web1 web2 web3 web4 web5)
declare -A addr
i=0
for host in "${hosts[@]}"; do
    i=$((i + 1))
    ns=netvet-ansible-$$-$host
    ip netns add "$ns"
    namespaces+=("$ns")
    ip -n "$ns" link set lo up
    outside=nva$$h$i
    ip link add "$outside" type veth peer name mgmt0 netns "$ns"
    ip addr add "$net.$((4 * i - 3))/30" dev "$outside"
    ip link set "$outside" up
    addr[$host]=$net.$((4 * i - 2))
    ip -n "$ns" addr add "${addr[$host]}/30" dev mgmt0
    ip -n "$ns" link set mgmt0 up
    mkdir -p "$work/hosts/$host/tree/etc/network" "$work/hosts/$host/tmp" "$work/hosts/$host/bin"
    echo "${addr[$host]} $(cut -d' ' -f1-2 "$work/ssh/host_ed25519.pub")" >>"$work/ssh/known_hosts"
done
in_ns() {
    local host=$1
    shift
    ip netns exec "netvet-ansible-$$-$host" "$@"
}

# web1: a bond with neither miimon nor arp_interval (NV101) whose bond and slaves do not exist
# (NV507), and vx0 configured at 1500 but running at 9000 (NV504).
cat >"$work/hosts/web1/tree/etc/network/interfaces" <<'EOF'
auto lo
iface lo inet loopback

auto eno1
iface eno1 inet manual
    bond-master bond0

auto eno2
iface eno2 inet manual
    bond-master bond0

auto bond0
iface bond0 inet static
    address 198.18.0.10/24
    bond-slaves none
    bond-mode active-backup

auto vx0
iface vx0 inet manual
    mtu 1500
EOF
in_ns web1 ip link add vx0 mtu 9000 type veth peer name vx0p
in_ns web1 ip link set vx0 up

# web2: a bridge at 9000 whose port sets 1500 (NV203); the bridge exists but is down (NV507).
cat >"$work/hosts/web2/tree/etc/network/interfaces" <<'EOF'
auto lo
iface lo inet loopback

auto bp0
iface bp0 inet manual
    mtu 1500

auto br0
iface br0 inet manual
    bridge-ports bp0
    mtu 9000
EOF
in_ns web2 ip link add br0 type bridge
in_ns web2 ip link add bp0 type veth peer name bp0p
in_ns web2 ip link set bp0 master br0
in_ns web2 ip link set bp0 up

# web3: a post_up that nothing reads (NV007, a warning); its link runs as configured.
cat >"$work/hosts/web3/tree/etc/network/interfaces" <<'EOF'
auto lo
iface lo inet loopback

auto up0
iface up0 inet manual
    mtu 1400
    post_up echo never-runs
EOF
in_ns web3 ip link add up0 mtu 1400 type veth peer name up0p
in_ns web3 ip link set up0 up

# sshd on every host but web4, whose namespace has none: ssh to it is refused.
for host in web1 web2 web3 web5; do
    cat >"$work/hosts/$host/sshd_config" <<EOF
ListenAddress ${addr[$host]}:22
HostKey $work/ssh/host_ed25519
PidFile $work/hosts/$host/sshd.pid
AuthorizedKeysFile $work/ssh/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
# The keys live under /tmp, which StrictModes refuses as world-writable.
StrictModes no
Subsystem sftp internal-sftp
EOF
    in_ns "$host" /usr/sbin/sshd -D -e -f "$work/hosts/$host/sshd_config" \
        2>>"$work/hosts/$host/sshd.log" &
done
for host in web1 web2 web3 web5; do
    for _ in $(seq 50); do
        timeout 1 bash -c "exec 3<>/dev/tcp/${addr[$host]}/22" 2>/dev/null && continue 2
        sleep 0.1
    done
    cat "$work/hosts/$host/sshd.log" >&2
    fail "sshd of $host does not answer on ${addr[$host]}:22 (its log is above)"
done

# netvet's .deb for web3: the hosts' binary wrapped by dpkg-deb, in the layout cargo-deb gives it.
mkdir -p "$work/deb/DEBIAN" "$work/deb/usr/bin"
install -m 0755 "$work/netvet" "$work/deb/usr/bin/netvet"
cat >"$work/deb/DEBIAN/control" <<EOF
Package: netvet
Version: 0.0.0-test
Architecture: $(dpkg --print-architecture)
Maintainer: netvet tests <netvet-tests@example.org>
Description: netvet, wrapped for tests/ansible/run.sh
EOF
dpkg-deb --root-owner-group -Zgzip -z1 --build "$work/deb" "$work/netvet.deb" >/dev/null

# --- inventory and ansible.cfg, nothing read from ~ or /etc/ansible ---
cat >"$work/inventory.ini" <<EOF
[web]
web1 ansible_host=${addr[web1]} netvet_root=$work/hosts/web1/tree netvet_tmp_parent=$work/hosts/web1/tmp
web2 ansible_host=${addr[web2]} netvet_root=$work/hosts/web2/tree netvet_tmp_parent=$work/hosts/web2/tmp netvet_keep=true netvet_install_path=$work/hosts/web2/bin/netvet
web3 ansible_host=${addr[web3]} netvet_root=$work/hosts/web3/tree netvet_tmp_parent=$work/hosts/web3/tmp netvet_src=$work/netvet.deb netvet_check_bin=$netvet
web4 ansible_host=${addr[web4]} netvet_root=$work/hosts/web4/tree netvet_tmp_parent=$work/hosts/web4/tmp
web5 ansible_host=${addr[web5]} netvet_root=$work/hosts/web5/tree netvet_tmp_parent=$work/hosts/web5/tmp netvet_install=installed netvet_path=$work/netvet

[web:vars]
ansible_user=root
# The hosts' own Python, not whatever discovery finds first on this machine's PATH.
ansible_python_interpreter=/usr/bin/python3

[all:vars]
netvet_src=$work/netvet
netvet_snapshot_dir=$work/snapshots
EOF
mkdir -p "$work/ansible"
cat >"$work/ansible.cfg" <<EOF
[defaults]
inventory = $work/inventory.ini
forks = 5
interpreter_python = auto_silent
local_tmp = $work/ansible/local
remote_tmp = $work/ansible/remote
private_key_file = $work/ssh/client
host_key_checking = True
retry_files_enabled = False
timeout = 10

[ssh_connection]
ssh_args = -F /dev/null -o UserKnownHostsFile=$work/ssh/known_hosts -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -o ControlMaster=auto -o ControlPersist=30s
control_path_dir = $work/ansible/cp

# The role becomes root on the hosts; this machine has no sudo, and su from root to root asks
# for no password.
[privilege_escalation]
become_method = su
EOF
export ANSIBLE_CONFIG=$work/ansible.cfg ANSIBLE_HOME=$work/ansible/home ANSIBLE_NOCOLOR=1

# --- the playbook ---
echo "== ansible-playbook --syntax-check"
"$playbook_bin" --syntax-check "$repo/contrib/ansible/netvet-audit.yml" >"$work/syntax.log" 2>&1 || {
    cat "$work/syntax.log" >&2
    fail "ansible-playbook --syntax-check refuses contrib/ansible/netvet-audit.yml (output above)"
}
echo "== ansible-playbook contrib/ansible/netvet-audit.yml on ${hosts[*]} (web4 down, web5 failing)"
rc=0
"$playbook_bin" "$repo/contrib/ansible/netvet-audit.yml" >"$work/play.log" 2>&1 || rc=$?
# 2: hosts failed (web4, web5) and the report play failed at the threshold (web1, web2).
[ "$rc" = 2 ] || {
    cat "$work/play.log" >&2
    fail "ansible-playbook exited with $rc, expected 2 (output above)"
}

# --- what the report and the hosts hold ---
python3 - "$work" "$netvet" "$$" <<'EOF' || { cat "$work/play.log" >&2; fail "see above (the playbook's output follows the failure)"; }
import json, os, re, subprocess, sys

work, netvet, pid = sys.argv[1:]
log = open(f"{work}/play.log").read()
report = json.load(open(f"{work}/snapshots/report.json"))
hosts = report["hosts"]
failures = []

def check(ok, what):
    if not ok:
        failures.append(what)

check(report["format"] == "netvet-ansible-report" and report["version"] == 1, "report format")
check(report["fail_on"] == "error", f"fail_on {report['fail_on']}")
check(sorted(hosts) == ["web1", "web2", "web3", "web4", "web5"], f"hosts {sorted(hosts)}")
check(report["summary"] == {"checked": ["web1", "web2", "web3"],
                            "reached_fail_on": ["web1", "web2"], "failed": ["web4", "web5"]},
      f"summary {report['summary']}")

# Each host's codes, exactly: they differ from host to host.
expected = {
    "web1": {"NV101", "NV504", "NV507"},
    "web2": {"NV203", "NV504", "NV507"},
    "web3": {"NV007"},
}
for host, codes in expected.items():
    got = {f["code"] for f in hosts[host]["report"]["findings"]}
    check(got == codes, f"{host}: codes {sorted(got)}, expected {sorted(codes)}")
check(hosts["web1"]["exit_status"] == 1 and hosts["web3"]["exit_status"] == 0,
      "exit statuses " + str({h: hosts[h]["exit_status"] for h in expected}))

down = hosts["web4"]
check(down["status"] == "failed" and "Connection refused" in down["error"], f"web4: {down}")
refused = hosts["web5"]
check(refused["status"] == "failed" and refused["task"] == "Take the snapshot"
      and "holds none of the files netvet reads" in refused["error"], f"web5: {refused}")
for host in ["web4", "web5"]:
    check(re.search(rf"^{host} +: .*failed=1", log, re.M) is not None, f"{host} failed in the recap")
for host in expected:
    check(re.search(rf"^{host} +: .*failed=0", log, re.M) is not None,
          f"{host} did not fail in the recap")
check("netvet found findings at or above error on 2 host(s): web1, web2" in log,
      "the report play's failure message")

def findings(args, ns=None):
    """(code, file, line) of each finding of `netvet check ARGS --format json`."""
    cmd = [netvet, "check", *args, "--format", "json", "--fail-on", "never"]
    if ns:
        cmd = ["ip", "netns", "exec", ns, *cmd]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    found = [(f["code"], f["file"], f["line"]) for f in json.loads(out)["findings"]]
    return found

# Each snapshot checks as the host's tree does: files only, then with the live state as netvet
# sees it in the host's namespace. Also what the report holds.
for host in expected:
    snap, tree = f"{work}/snapshots/{host}.tar", f"{work}/hosts/{host}/tree"
    check(hosts[host]["snapshot"] == snap, f"{host}: snapshot {hosts[host]['snapshot']}")
    offline = findings(["--snapshot", snap])
    check(offline != [], f"{host}: no findings in its snapshot")
    in_report = [(f["code"], f["file"], f["line"]) for f in hosts[host]["report"]["findings"]]
    check(offline == in_report, f"{host}: the report differs from its snapshot: {in_report} {offline}")
    files_only = findings(["--snapshot", snap, "--no-live"])
    on_tree = findings(["--root", tree])
    check(files_only == on_tree, f"{host}: --snapshot --no-live {files_only} != --root {on_tree}")
    live = findings(["--root", tree, "--live"], f"netvet-ansible-{pid}-{host}")
    check(offline == live, f"{host}: --snapshot {offline} != --root --live in its namespace {live}")
    check(any(c.startswith("NV5") for c, _, _ in offline) == (host != "web3"),
          f"{host}: live findings {offline}")

# Nothing left on the hosts but what was asked for: web2's kept binary.
for host in hosts:
    left = os.listdir(f"{work}/hosts/{host}/tmp")
    check(left == [], f"{host}: left in its temporary directory: {left}")
kept = f"{work}/hosts/web2/bin/netvet"
check(os.access(kept, os.X_OK) and open(kept, "rb").read() == open(f"{work}/netvet", "rb").read(),
      "web2: netvet not kept at netvet_install_path")
for host in ["web4", "web5"]:
    check(not os.path.exists(f"{work}/snapshots/{host}.tar"), f"{host} has a snapshot")

for f in failures:
    print(f"ansible: FAIL: {f}", file=sys.stderr)
sys.exit(1 if failures else 0)
EOF

echo "ansible: contrib/ansible passed on 5 hosts (two failing) in $((SECONDS - t0)) s"
