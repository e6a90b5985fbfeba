_netvet() {
    local i cur prev opts cmd
    COMPREPLY=()
    if [[ "${BASH_VERSINFO[0]}" -ge 4 ]]; then
        cur="$2"
    else
        cur="${COMP_WORDS[COMP_CWORD]}"
    fi
    prev="$3"
    cmd=""
    opts=""

    for i in "${COMP_WORDS[@]:0:COMP_CWORD}"
    do
        case "${cmd},${i}" in
            ",$1")
                cmd="netvet"
                ;;
            netvet,audit)
                cmd="netvet__subcmd__audit"
                ;;
            netvet,check)
                cmd="netvet__subcmd__check"
                ;;
            netvet,explain)
                cmd="netvet__subcmd__explain"
                ;;
            netvet,fix)
                cmd="netvet__subcmd__fix"
                ;;
            netvet,listeners)
                cmd="netvet__subcmd__listeners"
                ;;
            netvet,live)
                cmd="netvet__subcmd__live"
                ;;
            netvet,repair)
                cmd="netvet__subcmd__repair"
                ;;
            netvet,rules)
                cmd="netvet__subcmd__rules"
                ;;
            netvet,snapshot)
                cmd="netvet__subcmd__snapshot"
                ;;
            *)
                ;;
        esac
    done

    case "${cmd}" in
        netvet)
            opts="-h -V --color --help --version check fix repair audit live listeners snapshot rules explain"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 1 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --color)
                    COMPREPLY=($(compgen -W "auto always never" -- "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        netvet__subcmd__audit)
            opts="-i -F -j -h --inventory --limit --jobs --connect-timeout --timeout --format --save-snapshots --remote-netvet --ssh-command --no-live --fail-on --select --ignore --config --no-config --isolated --color --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --inventory)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -i)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --limit)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -F)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --jobs)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -j)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --connect-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "human json json-lines" -- "${cur}"))
                    return 0
                    ;;
                --save-snapshots)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --remote-netvet)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --ssh-command)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --fail-on)
                    COMPREPLY=($(compgen -W "error warning info never" -- "${cur}"))
                    return 0
                    ;;
                --select)
                    COMPREPLY=($(compgen -W "NV001 NV002 NV003 NV004 NV005 NV006 NV007 NV008 NV009 NV101 NV102 NV103 NV104 NV105 NV110 NV111 NV112 NV113 NV114 NV115 NV116 NV117 NV120 NV121 NV122 NV123 NV124 NV130 NV131 NV132 NV201 NV202 NV203 NV204 NV205 NV206 NV301 NV302 NV303 NV304 NV305 NV401 NV402 NV403 NV404 NV405 NV406 NV501 NV502 NV503 NV504 NV505 NV506 NV507 NV508 NV601 NV602 NV603" -- "${cur}"))
                    return 0
                    ;;
                --ignore)
                    COMPREPLY=($(compgen -W "NV001 NV002 NV003 NV004 NV005 NV006 NV007 NV008 NV009 NV101 NV102 NV103 NV104 NV105 NV110 NV111 NV112 NV113 NV114 NV115 NV116 NV117 NV120 NV121 NV122 NV123 NV124 NV130 NV131 NV132 NV201 NV202 NV203 NV204 NV205 NV206 NV301 NV302 NV303 NV304 NV305 NV401 NV402 NV403 NV404 NV405 NV406 NV501 NV502 NV503 NV504 NV505 NV506 NV507 NV508 NV601 NV602 NV603" -- "${cur}"))
                    return 0
                    ;;
                --config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --color)
                    COMPREPLY=($(compgen -W "auto always never" -- "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        netvet__subcmd__check)
            opts="-q -v -h --quiet --verbose --root --format --live --no-live --live-snapshot --snapshot --fail-on --select --ignore --config --no-config --isolated --show-settings --color --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --root)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "human json json-lines sarif github junit" -- "${cur}"))
                    return 0
                    ;;
                --live-snapshot)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --snapshot)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --fail-on)
                    COMPREPLY=($(compgen -W "error warning info never" -- "${cur}"))
                    return 0
                    ;;
                --select)
                    COMPREPLY=($(compgen -W "NV001 NV002 NV003 NV004 NV005 NV006 NV007 NV008 NV009 NV101 NV102 NV103 NV104 NV105 NV110 NV111 NV112 NV113 NV114 NV115 NV116 NV117 NV120 NV121 NV122 NV123 NV124 NV130 NV131 NV132 NV201 NV202 NV203 NV204 NV205 NV206 NV301 NV302 NV303 NV304 NV305 NV401 NV402 NV403 NV404 NV405 NV406 NV501 NV502 NV503 NV504 NV505 NV506 NV507 NV508 NV601 NV602 NV603" -- "${cur}"))
                    return 0
                    ;;
                --ignore)
                    COMPREPLY=($(compgen -W "NV001 NV002 NV003 NV004 NV005 NV006 NV007 NV008 NV009 NV101 NV102 NV103 NV104 NV105 NV110 NV111 NV112 NV113 NV114 NV115 NV116 NV117 NV120 NV121 NV122 NV123 NV124 NV130 NV131 NV132 NV201 NV202 NV203 NV204 NV205 NV206 NV301 NV302 NV303 NV304 NV305 NV401 NV402 NV403 NV404 NV405 NV406 NV501 NV502 NV503 NV504 NV505 NV506 NV507 NV508 NV601 NV602 NV603" -- "${cur}"))
                    return 0
                    ;;
                --config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --color)
                    COMPREPLY=($(compgen -W "auto always never" -- "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        netvet__subcmd__explain)
            opts="-h --color --help NV001 NV002 NV003 NV004 NV005 NV006 NV007 NV008 NV009 NV101 NV102 NV103 NV104 NV105 NV110 NV111 NV112 NV113 NV114 NV115 NV116 NV117 NV120 NV121 NV122 NV123 NV124 NV130 NV131 NV132 NV201 NV202 NV203 NV204 NV205 NV206 NV301 NV302 NV303 NV304 NV305 NV401 NV402 NV403 NV404 NV405 NV406 NV501 NV502 NV503 NV504 NV505 NV506 NV507 NV508 NV601 NV602 NV603"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --color)
                    COMPREPLY=($(compgen -W "auto always never" -- "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        netvet__subcmd__fix)
            opts="-q -h --root --unsafe --diff --live --live-snapshot --backup-dir --quiet --fail-on --select --ignore --config --no-config --isolated --color --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --root)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --live-snapshot)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --backup-dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --fail-on)
                    COMPREPLY=($(compgen -W "error warning info never" -- "${cur}"))
                    return 0
                    ;;
                --select)
                    COMPREPLY=($(compgen -W "NV001 NV002 NV003 NV004 NV005 NV006 NV007 NV008 NV009 NV101 NV102 NV103 NV104 NV105 NV110 NV111 NV112 NV113 NV114 NV115 NV116 NV117 NV120 NV121 NV122 NV123 NV124 NV130 NV131 NV132 NV201 NV202 NV203 NV204 NV205 NV206 NV301 NV302 NV303 NV304 NV305 NV401 NV402 NV403 NV404 NV405 NV406 NV501 NV502 NV503 NV504 NV505 NV506 NV507 NV508 NV601 NV602 NV603" -- "${cur}"))
                    return 0
                    ;;
                --ignore)
                    COMPREPLY=($(compgen -W "NV001 NV002 NV003 NV004 NV005 NV006 NV007 NV008 NV009 NV101 NV102 NV103 NV104 NV105 NV110 NV111 NV112 NV113 NV114 NV115 NV116 NV117 NV120 NV121 NV122 NV123 NV124 NV130 NV131 NV132 NV201 NV202 NV203 NV204 NV205 NV206 NV301 NV302 NV303 NV304 NV305 NV401 NV402 NV403 NV404 NV405 NV406 NV501 NV502 NV503 NV504 NV505 NV506 NV507 NV508 NV601 NV602 NV603" -- "${cur}"))
                    return 0
                    ;;
                --config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --color)
                    COMPREPLY=($(compgen -W "auto always never" -- "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        netvet__subcmd__listeners)
            opts="-h --format --root --color --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --format)
                    COMPREPLY=($(compgen -W "human json" -- "${cur}"))
                    return 0
                    ;;
                --root)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --color)
                    COMPREPLY=($(compgen -W "auto always never" -- "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        netvet__subcmd__live)
            opts="-h --format --save-netlink --color --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --format)
                    COMPREPLY=($(compgen -W "human json" -- "${cur}"))
                    return 0
                    ;;
                --save-netlink)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --color)
                    COMPREPLY=($(compgen -W "auto always never" -- "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        netvet__subcmd__repair)
            opts="-h --root --apply --allow-link-down --confirm --confirm-now --live-snapshot --color --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --root)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --confirm)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --live-snapshot)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --color)
                    COMPREPLY=($(compgen -W "auto always never" -- "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        netvet__subcmd__rules)
            opts="-h --format --color --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --format)
                    COMPREPLY=($(compgen -W "human json" -- "${cur}"))
                    return 0
                    ;;
                --color)
                    COMPREPLY=($(compgen -W "auto always never" -- "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        netvet__subcmd__snapshot)
            opts="-o -h --output --root --live --no-live --color --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --output)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -o)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --root)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --color)
                    COMPREPLY=($(compgen -W "auto always never" -- "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
    esac
}

if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -F _netvet -o nosort -o bashdefault -o default netvet
else
    complete -F _netvet -o bashdefault -o default netvet
fi
