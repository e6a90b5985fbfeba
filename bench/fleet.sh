#!/usr/bin/env bash
# Fleet benchmark: `netvet audit` against what operators run today, on N hosts (default 200)
# served by one real sshd in a network namespace, each host its own address (198.18.1.1 ...).
#
#   bench/fleet.sh [NETVET]        (root; default target/release/netvet, built if missing)
#   BENCH_HOSTS=N                  hosts (default 200, at most 250)
#
# Each tool collects from every host, 64 at once:
#  - Ansible (ansible-core, forks 64, `-m shell`) and plain `xargs -P64 ssh`: the interfaces
#    file, net.ipv6.bindv6only and `ip -details -json link show`, which is less than netvet
#    collects;
#  - netvet audit (-j 64, JSON output): the whole agentless collection (live state and the
#    configuration archive) and the check of every host, with its in-process client and with
#    `--ssh-command ssh`.
# and the table gives wall time, controller CPU (user + system of the tool and its children)
# per host and peak RSS (the largest process). Targets (issue 13): netvet's wall time at most
# half of Ansible's, its CPU per host at most a tenth of Ansible's.
#
# The controller runs in the namespace too; nothing leaves it. sshd's own CPU is not counted.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/sbin:/sbin"

hosts=${BENCH_HOSTS:-200}
[ "$hosts" -ge 1 ] && [ "$hosts" -le 250 ] || { echo "fleet: BENCH_HOSTS must be 1..250" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "fleet: needs root (network namespace, sshd)" >&2; exit 2; }

need=()
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null || need+=(openssh-client)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi
ansible_bin=${NETVET_ANSIBLE_BIN:-}
if [ -z "$ansible_bin" ]; then
    venv=${CARGO_TARGET_DIR:-target}/ansible-venv
    if [ ! -x "$venv/bin/ansible" ]; then
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check 'ansible-core==2.18.19'
    fi
    ansible_bin=$(cd "$venv/bin" && pwd)
fi

netvet=${1:-target/release/netvet}
if [ ! -x "$netvet" ]; then
    cargo build --release --quiet
fi
netvet=$(realpath "$netvet")

ns=netvet-bench-fleet-$$
work=$(mktemp -d)
cleanup() {
    [ -f "$work/sshd.pid" ] && kill "$(cat "$work/sshd.pid")" 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns"
inns() { ip netns exec "$ns" "$@"; }
inns ip link set lo up
for i in $(seq 1 "$hosts"); do
    inns ip addr add "198.18.1.$i/32" dev lo
done

ssh-keygen -q -t ed25519 -N '' -f "$work/hostkey"
ssh-keygen -q -t ed25519 -N '' -f "$work/client"
cp "$work/client.pub" "$work/authorized_keys"
mkdir -p /run/sshd
cat > "$work/sshd_config" <<EOF
ListenAddress 0.0.0.0:22
HostKey $work/hostkey
PidFile $work/sshd.pid
UsePAM no
PermitRootLogin prohibit-password
AuthorizedKeysFile $work/authorized_keys
StrictModes no
MaxStartups 1000:30:1000
LogLevel ERROR
EOF
# The hosts run every command through root's login shell, and bash sources ~/.bashrc for each
# command sshd runs. A development machine's (this one's runs `pyenv init`, whose rehash
# serialises concurrent logins on a lock file) would be measured instead of the tools: with it,
# 160 hosts took netvet's own client 41 s instead of 5.3 s, and favoured whichever tool starts
# its connections less at once. sshd runs in the mount namespace `ip netns exec` makes, with an
# empty file over ~/.bashrc there only.
: > "$work/empty-bashrc"
root_home=$(getent passwd root | cut -d: -f6)
if [ -f "$root_home/.bashrc" ]; then
    inns sh -c 'mount --bind "$1" "$2" && exec /usr/sbin/sshd -f "$3"' sh \
        "$work/empty-bashrc" "$root_home/.bashrc" "$work/sshd_config"
else
    inns /usr/sbin/sshd -f "$work/sshd_config"
fi
for _ in $(seq 50); do [ -s "$work/sshd.pid" ] && break; sleep 0.1; done

{
    for i in $(seq 1 "$hosts"); do
        echo "Host h$i"
        echo "    HostName 198.18.1.$i"
    done
    echo "Host *"
    echo "    User root"
    echo "    IdentityFile $work/client"
    echo "    IdentitiesOnly yes"
    echo "    UserKnownHostsFile $work/known_hosts"
    echo "    GlobalKnownHostsFile /dev/null"
} > "$work/ssh_config"
for i in $(seq 1 "$hosts"); do
    echo "198.18.1.$i $(cat "$work/hostkey.pub")"
done > "$work/known_hosts"
{
    echo "[fleet]"
    for i in $(seq 1 "$hosts"); do echo "h$i"; done
} > "$work/inventory"
cat > "$work/ansible.cfg" <<EOF
[defaults]
forks = 64
host_key_checking = True
interpreter_python = /usr/bin/python3
[ssh_connection]
ssh_args = -F $work/ssh_config -o ControlMaster=auto -o ControlPersist=60s
EOF

collect='cat /etc/network/interfaces; cat /proc/sys/net/ipv6/bindv6only; ip -details -json link show'
names=$(for i in $(seq 1 "$hosts"); do printf 'h%s ' "$i"; done)

# "WALL USER SYS MAXRSS_KIB" of one run, its output in $work/out.
measure() {
    inns /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" > "$work/out" 2> "$work/err" || true
    tail -n 1 "$work/time"
}
row() {
    local name=$1 ok=$2 wall user sys rss
    read -r wall user sys rss < "$work/time.last"
    python3 - "$name" "$ok" "$hosts" "$wall" "$user" "$sys" "$rss" <<'EOF'
import sys
name, ok, hosts, wall, user, sys_, rss = sys.argv[1:]
cpu = float(user) + float(sys_)
print(f"| {name} | {ok}/{hosts} | {float(wall):.1f} | {cpu:.1f} | {cpu * 1000 / int(hosts):.1f} | {int(rss) / 1024:.0f} |")
EOF
}

echo "## $hosts hosts, one sshd, 64 at once"
echo
echo "| tool | hosts ok | wall s | controller CPU s | CPU ms/host | peak RSS MiB |"
echo "|---|---|---|---|---|---|"

measure env ANSIBLE_CONFIG="$work/ansible.cfg" "$ansible_bin/ansible" all -i "$work/inventory" \
    -m shell -a "$collect" > "$work/time.last"
row "ansible -m shell (forks 64)" "$(grep -c '| CHANGED |' "$work/out" || true)"

measure sh -c "printf '%s\n' $names | xargs -P64 -I{} sh -c 'ssh -F $work/ssh_config {} \"$collect\" > $work/x.{} && echo ok'" \
    > "$work/time.last"
row "xargs -P64 ssh" "$(grep -c '^ok$' "$work/out" || true)"

audit_ok() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["status"]["ok"])' "$work/out" 2>/dev/null || echo 0; }
# shellcheck disable=SC2086
measure "$netvet" audit -F "$work/ssh_config" -j 64 --format json --fail-on never \
    --ssh-command ssh $names > "$work/time.last"
row "netvet audit --ssh-command ssh" "$(audit_ok)"

# shellcheck disable=SC2086
measure "$netvet" audit -F "$work/ssh_config" -j 64 --format json --fail-on never $names > "$work/time.last"
row "netvet audit (its own SSH client)" "$(audit_ok)"
