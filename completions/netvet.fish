# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_netvet_global_optspecs
    string join \n color= h/help V/version
end

function __fish_netvet_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_netvet_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_netvet_using_subcommand
    set -l cmd (__fish_netvet_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c netvet -n "__fish_netvet_needs_command" -l color -d 'When to use colours: auto (on a terminal, unless NO_COLOR is set), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c netvet -n "__fish_netvet_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netvet -n "__fish_netvet_needs_command" -s V -l version -d 'Print version'
complete -c netvet -n "__fish_netvet_needs_command" -f -a "check" -d 'Check configuration files and report findings'
complete -c netvet -n "__fish_netvet_needs_command" -f -a "live" -d 'Show the running kernel\'s network state as netvet sees it (links, bonds, slaves, VLANs, bridges, the IPv6 sysctls), read through netlink in the current network namespace'
complete -c netvet -n "__fish_netvet_needs_command" -f -a "listeners" -d 'Show the listening TCP sockets (sock_diag): which ports IPv4 and IPv6 clients can reach, each IPv6 socket\'s IPV6_V6ONLY, and the owning program where /proc shows it'
complete -c netvet -n "__fish_netvet_needs_command" -f -a "snapshot" -d 'Record everything netvet checks on this host into one file, to check it later and elsewhere with `netvet check --snapshot FILE`'
complete -c netvet -n "__fish_netvet_needs_command" -f -a "rules" -d 'List every rule: code, severity, name and summary'
complete -c netvet -n "__fish_netvet_needs_command" -f -a "explain" -d 'Print the documentation of a rule (`netvet explain NV101`)'
complete -c netvet -n "__fish_netvet_using_subcommand check" -l root -d 'Check a mounted image or a checkout as if it were `/`' -r -F
complete -c netvet -n "__fish_netvet_using_subcommand check" -l format -d 'Output format' -r -f -a "human\t'rustc-style text with the source line and a caret'
json\t'One JSON document (schema: docs/json-schema.md)'
json-lines\t'One JSON object per finding per line, the objects of the JSON document\'s `findings`'
sarif\t'SARIF 2.1.0, for GitHub code scanning and other SARIF viewers'
github\t'GitHub Actions workflow commands: an annotation per finding'
junit\t'JUnit XML: a testsuite per target, a testcase per rule and file, failing at --fail-on'"
complete -c netvet -n "__fish_netvet_using_subcommand check" -l live-snapshot -d 'Compare with a live state saved earlier by `netvet live --format json` (on this host or another) instead of the running kernel' -r -F
complete -c netvet -n "__fish_netvet_using_subcommand check" -l snapshot -d 'Check a snapshot taken by `netvet snapshot` (here or on another host), offline: its files as the tree, its recorded kernel state as the live state (unless --no-live). Findings name files under FILE' -r -F
complete -c netvet -n "__fish_netvet_using_subcommand check" -l fail-on -d 'Exit with status 1 when a finding is at least this severe' -r -f -a "error\t''
warning\t''
info\t''
never\t'Always exit 0 unless netvet itself failed'"
complete -c netvet -n "__fish_netvet_using_subcommand check" -l select -d 'Run only these rules: codes, code prefixes (NV1) or names; comma-separated or repeated' -r -f -a "NV001\t'Syntax error or unreadable file'
NV002\t'`source`/`source-directory` target missing, or an include cycle'
NV003\t'The same interface and address family is defined twice'
NV004\t'An option has a value the kernel or ifupdown will reject'
NV005\t'`auto`/`allow-*` names an interface with no `iface` stanza'
NV006\t'ifup refuses a stanza: a variable its method requires is missing'
NV007\t'An option nothing reads: a typo, or one the stanza\'s method ignores'
NV008\t'A `netvet: ignore` comment with an unknown code, no reason, or nothing to silence'
NV009\t'A file has more findings than netvet reports for one file; the rest are counted, not shown'
NV101\t'Bond without link monitoring (no miimon, no arp_interval)'
NV102\t'`arp_interval` set without any `arp_ip_target`'
NV103\t'Both `miimon` and `arp_interval` are set'
NV104\t'`updelay`/`downdelay` is not a multiple of `miimon`'
NV105\t'ARP monitoring in a mode that does not support it'
NV110\t'802.3ad bond without an explicit `lacp_rate`'
NV111\t'802.3ad with a `layer3+4`/`encap3+4` transmit hash'
NV112\t'`min_links` is greater than the number of slaves'
NV113\t'A bond option that the bond\'s mode ignores'
NV114\t'A `bond-*` option that ifenslave never applies'
NV115\t'A bond stanza with neither `bond-slaves` nor `bond-mode`'
NV116\t'A bond that `ifup -a` creates but that nothing gives a slave'
NV117\t'A hook runs `ifenslave`, which Debian 12 does not ship'
NV120\t'An interface is enslaved to two bonds'
NV121\t'A bond slave has its own address configuration'
NV122\t'`bond-slaves` names a virtual interface or one that belongs elsewhere'
NV123\t'`bond-master` on a slave disagrees with the bond\'s `bond-slaves`'
NV124\t'A slave with `bond-master` that `ifup -a` never brings up'
NV130\t'modprobe.d `options bonding` contradicts a bond\'s options'
NV131\t'The boot loads the bonding module before ifenslave, without miimon, and bond options are only in interfaces'
NV132\t'A modprobe.d line or file that kmod reads differently from what was meant'
NV201\t'A bond slave\'s MTU differs from the bond\'s MTU'
NV202\t'A VLAN\'s MTU is greater than its parent\'s MTU'
NV203\t'A bridge\'s MTU is greater than a port\'s MTU'
NV204\t'An `ip link set ... mtu` hook contradicts or repeats `mtu`'
NV205\t'IPv6 configured on an interface with MTU below 1280'
NV206\t'A macvlan, VXLAN, GRE or IPIP link\'s MTU exceeds what its lower device carries'
NV301\t'VLAN id outside 1..4094'
NV302\t'A VLAN\'s parent interface is not defined'
NV303\t'Dotted VLAN name and `vlan-raw-device` disagree'
NV304\t'The same VLAN id twice on one parent'
NV305\t'A VLAN on a bond slave instead of on the bond'
NV401\t'An IPv6 wildcard listener is v6-only and nothing takes IPv4 on its port'
NV402\t'0.0.0.0:P and a dual-stack [::]:P for the same program: one bind fails'
NV403\t'Configured net.ipv6.bindv6only differs from the live value'
NV404\t'Several sources set net.ipv6.bindv6only to different values'
NV405\t'A configured listener is not listening, or a live one is not configured'
NV406\t'Two programs are configured on the same address and port: one fails to bind'
NV501\t'A live bond runs with miimon 0 and arp_interval 0'
NV502\t'A live bond option differs from the configuration'
NV503\t'A configured slave is not enslaved, or a live slave is not configured'
NV504\t'A live MTU differs from the configured MTU'
NV505\t'802.3ad: split aggregators, no LACP partner, or fewer ports than min_links'
NV506\t'802.3ad slaves differ in speed or duplex, or a slave\'s link is down'
NV507\t'An `auto` interface does not exist or is administratively down'
NV508\t'A live VLAN\'s id or parent differs from the configuration'"
complete -c netvet -n "__fish_netvet_using_subcommand check" -l ignore -d 'Skip these rules: codes, code prefixes or names; comma-separated or repeated' -r -f -a "NV001\t'Syntax error or unreadable file'
NV002\t'`source`/`source-directory` target missing, or an include cycle'
NV003\t'The same interface and address family is defined twice'
NV004\t'An option has a value the kernel or ifupdown will reject'
NV005\t'`auto`/`allow-*` names an interface with no `iface` stanza'
NV006\t'ifup refuses a stanza: a variable its method requires is missing'
NV007\t'An option nothing reads: a typo, or one the stanza\'s method ignores'
NV008\t'A `netvet: ignore` comment with an unknown code, no reason, or nothing to silence'
NV009\t'A file has more findings than netvet reports for one file; the rest are counted, not shown'
NV101\t'Bond without link monitoring (no miimon, no arp_interval)'
NV102\t'`arp_interval` set without any `arp_ip_target`'
NV103\t'Both `miimon` and `arp_interval` are set'
NV104\t'`updelay`/`downdelay` is not a multiple of `miimon`'
NV105\t'ARP monitoring in a mode that does not support it'
NV110\t'802.3ad bond without an explicit `lacp_rate`'
NV111\t'802.3ad with a `layer3+4`/`encap3+4` transmit hash'
NV112\t'`min_links` is greater than the number of slaves'
NV113\t'A bond option that the bond\'s mode ignores'
NV114\t'A `bond-*` option that ifenslave never applies'
NV115\t'A bond stanza with neither `bond-slaves` nor `bond-mode`'
NV116\t'A bond that `ifup -a` creates but that nothing gives a slave'
NV117\t'A hook runs `ifenslave`, which Debian 12 does not ship'
NV120\t'An interface is enslaved to two bonds'
NV121\t'A bond slave has its own address configuration'
NV122\t'`bond-slaves` names a virtual interface or one that belongs elsewhere'
NV123\t'`bond-master` on a slave disagrees with the bond\'s `bond-slaves`'
NV124\t'A slave with `bond-master` that `ifup -a` never brings up'
NV130\t'modprobe.d `options bonding` contradicts a bond\'s options'
NV131\t'The boot loads the bonding module before ifenslave, without miimon, and bond options are only in interfaces'
NV132\t'A modprobe.d line or file that kmod reads differently from what was meant'
NV201\t'A bond slave\'s MTU differs from the bond\'s MTU'
NV202\t'A VLAN\'s MTU is greater than its parent\'s MTU'
NV203\t'A bridge\'s MTU is greater than a port\'s MTU'
NV204\t'An `ip link set ... mtu` hook contradicts or repeats `mtu`'
NV205\t'IPv6 configured on an interface with MTU below 1280'
NV206\t'A macvlan, VXLAN, GRE or IPIP link\'s MTU exceeds what its lower device carries'
NV301\t'VLAN id outside 1..4094'
NV302\t'A VLAN\'s parent interface is not defined'
NV303\t'Dotted VLAN name and `vlan-raw-device` disagree'
NV304\t'The same VLAN id twice on one parent'
NV305\t'A VLAN on a bond slave instead of on the bond'
NV401\t'An IPv6 wildcard listener is v6-only and nothing takes IPv4 on its port'
NV402\t'0.0.0.0:P and a dual-stack [::]:P for the same program: one bind fails'
NV403\t'Configured net.ipv6.bindv6only differs from the live value'
NV404\t'Several sources set net.ipv6.bindv6only to different values'
NV405\t'A configured listener is not listening, or a live one is not configured'
NV406\t'Two programs are configured on the same address and port: one fails to bind'
NV501\t'A live bond runs with miimon 0 and arp_interval 0'
NV502\t'A live bond option differs from the configuration'
NV503\t'A configured slave is not enslaved, or a live slave is not configured'
NV504\t'A live MTU differs from the configured MTU'
NV505\t'802.3ad: split aggregators, no LACP partner, or fewer ports than min_links'
NV506\t'802.3ad slaves differ in speed or duplex, or a slave\'s link is down'
NV507\t'An `auto` interface does not exist or is administratively down'
NV508\t'A live VLAN\'s id or parent differs from the configuration'"
complete -c netvet -n "__fish_netvet_using_subcommand check" -l color -d 'When to use colours: auto (on a terminal, unless NO_COLOR is set), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c netvet -n "__fish_netvet_using_subcommand check" -s q -l quiet -d 'Print the findings only: no suppressed findings, notes or summary line'
complete -c netvet -n "__fish_netvet_using_subcommand check" -s v -l verbose -d 'Also list the files read and the paths looked for and not found'
complete -c netvet -n "__fish_netvet_using_subcommand check" -l live -d 'Also compare the configuration with the running kernel (netlink, current network namespace). On by default when checking the running system\'s own /etc'
complete -c netvet -n "__fish_netvet_using_subcommand check" -l no-live -d 'Do not read the running kernel'
complete -c netvet -n "__fish_netvet_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netvet -n "__fish_netvet_using_subcommand live" -l format -r -f -a "human\t'Tables: one line per link (kind, state, MTU, master, speed), the listening sockets, then each bond\'s settings and slaves'
json\t'One JSON document (schema: docs/live-schema.md), the snapshot `check --live-snapshot` reads'"
complete -c netvet -n "__fish_netvet_using_subcommand live" -l save-netlink -d 'Also write the raw netlink link dump (hex, one message a line) to FILE, for bug reports and test fixtures' -r -F
complete -c netvet -n "__fish_netvet_using_subcommand live" -l color -d 'When to use colours: auto (on a terminal, unless NO_COLOR is set), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c netvet -n "__fish_netvet_using_subcommand live" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netvet -n "__fish_netvet_using_subcommand listeners" -l format -r -f -a "human\t'A table: port, address, which clients it reaches, IPV6_V6ONLY, where it comes from'
json\t'A JSON array, one object per listener: port, address, v4, v6, v6only, source, program'"
complete -c netvet -n "__fish_netvet_using_subcommand listeners" -l root -d 'Read the configuration of a mounted image or checkout instead of /' -r -F
complete -c netvet -n "__fish_netvet_using_subcommand listeners" -l color -d 'When to use colours: auto (on a terminal, unless NO_COLOR is set), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c netvet -n "__fish_netvet_using_subcommand listeners" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netvet -n "__fish_netvet_using_subcommand snapshot" -s o -l output -d 'Write the snapshot to FILE (written whole, then renamed into place; a link or a device is written through); `-`, the default, is standard output, which must not be a terminal' -r -F
complete -c netvet -n "__fish_netvet_using_subcommand snapshot" -l root -d 'Record a mounted image or a checkout instead of /. Its live state is not recorded unless --live is given: the running kernel is not that tree\'s' -r -F
complete -c netvet -n "__fish_netvet_using_subcommand snapshot" -l color -d 'When to use colours: auto (on a terminal, unless NO_COLOR is set), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c netvet -n "__fish_netvet_using_subcommand snapshot" -l live -d 'Also record the running kernel\'s state (netlink, current network namespace). The default without --root'
complete -c netvet -n "__fish_netvet_using_subcommand snapshot" -l no-live -d 'Record the files only, not the running kernel\'s state'
complete -c netvet -n "__fish_netvet_using_subcommand snapshot" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netvet -n "__fish_netvet_using_subcommand rules" -l format -r -f -a "human\t'One line per rule: code, severity, name, summary'
json\t'A JSON array, one object per rule: code, name, severity, summary'"
complete -c netvet -n "__fish_netvet_using_subcommand rules" -l color -d 'When to use colours: auto (on a terminal, unless NO_COLOR is set), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c netvet -n "__fish_netvet_using_subcommand rules" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c netvet -n "__fish_netvet_using_subcommand explain" -l color -d 'When to use colours: auto (on a terminal, unless NO_COLOR is set), always or never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c netvet -n "__fish_netvet_using_subcommand explain" -s h -l help -d 'Print help'
