# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# bash completion for zctrace(8). It asks the installed zctrace for its
# commands, options and techniques (`zctrace help`, `zctrace COMMAND --help`,
# `zctrace list`), so it never lists an option the binary does not take.

_zctrace_commands()
{
    zctrace help 2>/dev/null | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p'
}

_zctrace_options()
{
    zctrace help "$1" 2>/dev/null | grep -oE '^  (-[a-zA-Z], )?--[a-z][a-z-]*' | grep -oE -- '--[a-z][a-z-]*'
    zctrace help "$1" 2>/dev/null | grep -oE '^  -[a-zA-Z]' | tr -d ' '
}

_zctrace()
{
    local cur prev command word
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    command=
    for word in "${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
        case $word in
            -*) ;;
            *) command=$word; break ;;
        esac
    done
    if [[ -z $command ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_zctrace_commands) --help --version --verbose" -- "$cur")
        return
    fi
    case $prev in
        -o|--out|--dir|--textfile-dir|--cgroup)
            mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return ;;
        --transport) mapfile -t COMPREPLY < <(compgen -W "lo veth" -- "$cur"); return ;;
        --sg) mapfile -t COMPREPLY < <(compgen -W "on off" -- "$cur"); return ;;
        --cache) mapfile -t COMPREPLY < <(compgen -W "warm cold" -- "$cur"); return ;;
        --receiver) mapfile -t COMPREPLY < <(compgen -W "copy zerocopy" -- "$cur"); return ;;
        -f|--format) mapfile -t COMPREPLY < <(compgen -W "text json ndjson" -- "$cur"); return ;;
        --bpf-stats) mapfile -t COMPREPLY < <(compgen -W "off always windows" -- "$cur"); return ;;
        --hooks) mapfile -t COMPREPLY < <(compgen -W "full light" -- "$cur"); return ;;
        -p|--pid) mapfile -t COMPREPLY < <(compgen -W "$(ps -eo pid= 2>/dev/null)" -- "$cur"); return ;;
        -s|--size|-c|--chunk|-d|--duration|--interval|-r|--repeat|--seed|--write-pages|--name|--max-procs|--max-sockets)
            return ;;
    esac
    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_zctrace_options "$command")" -- "$cur")
        return
    fi
    case $command in
        run|list)
            mapfile -t COMPREPLY < <(compgen -W "$(zctrace list 2>/dev/null | grep -E '^[a-z_]+$') all beyond" \
                -- "$cur") ;;
        help) mapfile -t COMPREPLY < <(compgen -W "$(_zctrace_commands) terms" -- "$cur") ;;
        summarize|export|diff|validate|check) mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
    esac
}
complete -F _zctrace zctrace
