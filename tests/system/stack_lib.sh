# Shared by the scripts that bring a private stack up with ./rt (tests/system/test_*.sh, bench
# scripts): sourced, never run. Needs bash; defines functions only, changes nothing on source.
#
#   rt_stack_ports RT           exports RT_<VAR>=<free loopback port> for every port variable
#                               ./rt knows (its RT_PORT_VARS list), all distinct
#   rt_stack_kill_supervisord   after `./rt down`: kills a supervisord still running from
#                               $RT_VAR_DIR and returns 1 (the caller's test then fails), else 0
# Both report problems on stderr and return non-zero; they never exit the caller.

# A free loopback port in 20000-29999 not yet handed out by this shell (RT_STACK_USED_PORTS).
rt_stack_free_port() {
    local p _
    for _ in $(seq 1 200); do
        p=$((20000 + RANDOM % 10000))
        [[ " ${RT_STACK_USED_PORTS[*]:-} " == *" $p "* ]] && continue
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            RT_STACK_USED_PORTS+=("$p")
            echo "$p"
            return 0
        fi
    done
    echo "rt_stack_free_port: no free loopback port in 20000-29999" >&2
    return 1
}

rt_stack_ports() {
    local rt=${1:?usage: rt_stack_ports PATH_TO_RT} v p
    local -a vars
    read -r -a vars < <(sed -n 's/^RT_PORT_VARS=(\(.*\))$/\1/p' "$rt")
    if [[ ${#vars[@]} -eq 0 ]]; then
        echo "rt_stack_ports: RT_PORT_VARS not found in $rt" >&2
        return 1
    fi
    RT_STACK_USED_PORTS=()
    for v in "${vars[@]}"; do
        # not p=$(rt_stack_free_port): the used list must grow in this shell
        rt_stack_free_port >/dev/null || return 1
        p=${RT_STACK_USED_PORTS[-1]}
        export "RT_$v=$p"
    done
}

rt_stack_kill_supervisord() {
    local pid
    [[ -r ${RT_VAR_DIR:?}/run/supervisord.pid ]] || return 0
    pid=$(<"$RT_VAR_DIR/run/supervisord.pid")
    if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
        echo "cleanup: supervisord $pid still running after ./rt down, killing it" >&2
        kill "$pid" 2>/dev/null || true
        return 1
    fi
    return 0
}
