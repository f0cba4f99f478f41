#!/usr/bin/env bash
# ./rt passes every .env variable to the services through their environment, which wins over
# the services' own reading of .env (rt_config): both readers must agree on every value.
# Compares ./rt's reader (sourced) with rt_config's (rt_env_dump) on each syntax case of
# docs/CONFIG.md, and checks that both reject the same malformed lines.
# usage: test_rt_env.sh SOURCE_DIR RT_ENV_DUMP
# The fixture lines below are literal on purpose (escapes, $HOME, a trailing backslash).
# shellcheck disable=SC2016,SC2028,SC1003
set -euo pipefail
SRC=${1:?usage: test_rt_env.sh SOURCE_DIR RT_ENV_DUMP}
DUMP=${2:?usage: test_rt_env.sh SOURCE_DIR RT_ENV_DUMP}
TMP=$(mktemp -d /tmp/rt-env.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
failures=0
fail() { printf 'FAIL: %s\n' "$*" >&2; failures=$((failures + 1)); }

# Runs the C reader with an empty environment (the environment would win over the file).
c_dump() { env -i ASAN_OPTIONS="${ASAN_OPTIONS:-}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" "$DUMP" "$@"; }

# Same output format from ./rt's reader: "NAME hex:..." or "NAME unset" (empty = not set).
sh_dump() {
    (
        # shellcheck source=/dev/null
        source "$SRC/rt"
        read_env_file "$1"
        if [[ ${#ENV_ERRS[@]} -gt 0 ]]; then
            printf '%s\n' "${ENV_ERRS[@]}" >&2
            exit 1
        fi
        shift
        local name v
        for name in "$@"; do
            v=${CONF[$name]:-}
            if [[ -z $v ]]; then
                echo "$name unset"
            else
                printf '%s hex:%s\n' "$name" "$(printf '%s' "$v" | od -An -tx1 -v | tr -d ' \n')"
            fi
        done
    )
}

# 1. Every accepted form gives the same value.
good=$TMP/good.env
{
    echo '# a comment'
    echo '   # an indented comment'
    echo ''
    echo 'PLAIN=value'
    echo 'SPACES = spaced value   '
    echo 'TRAIL=abc # a comment'
    echo 'TRAILTAB=abc	# a comment after a tab'
    echo 'HASHIN=http://h/page#frag'
    echo 'HASHSTART=#not-a-comment'
    echo 'ONLYCOMMENT= # nothing but a comment'
    echo 'export EXPORTED=1'
    echo 'export	TABEXPORT=2'
    echo "SQ='single # quoted \\n'"
    echo 'DQ="tab\there \"quoted\" \\"'
    echo 'DQC="x"   # after the quote'
    echo 'DQH="y"#right after'
    echo "SQE=''"
    echo 'DQE=""'
    echo 'EMPTY='
    echo 'DUP=first'
    echo 'DUP=second'
    printf 'CRLF=crlf\r\n'
    echo 'UTF=éà€'
    echo 'LEADTAB=	tabbed'
    echo 'QUOTEIN=a"b'
    echo "APOS=it's"
    echo 'DOLLAR=$HOME'
    echo 'EQ=a=b=c'
    echo 'SPACEIN=a b  c'
    echo 'NL="a\nb"'
    printf 'NOEOL=last'
} >"$good"
mapfile -t names < <(sed -nE 's/^[[:blank:]]*(export[[:blank:]]+)?([A-Za-z_][A-Za-z0-9_]*)[[:blank:]]*=.*/\2/p' "$good" | sort -u)
names+=(NEVER_SET)
c_out=$(c_dump "$good" "${names[@]}") || fail "rt_config rejected the valid file"
sh_out=$(sh_dump "$good" "${names[@]}") || fail "./rt rejected the valid file"
if [[ $c_out != "$sh_out" ]]; then
    fail "the readers disagree (< rt_config, > ./rt):"
    diff <(echo "$c_out") <(echo "$sh_out") >&2 || true
else
    printf 'ok - %d names read alike\n' "${#names[@]}"
fi

# 2. Every malformed line is rejected by both.
bad_lines=(
    'NOEQUALS'
    '1BAD=x'
    '=novalue'
    'BAD-NAME=x'
    "SQ='unterminated"
    'DQ="unterminated'
    'DQ="ends in a backslash\'
    'DQ="bad \q escape"'
    'DQ="x" trailing text'
    "SQ='x' trailing text"
)
for line in "${bad_lines[@]}"; do
    printf 'OK=1\n%s\n' "$line" >"$TMP/bad.env"
    c_rc=0
    c_dump "$TMP/bad.env" OK >/dev/null 2>&1 || c_rc=$?
    sh_rc=0
    sh_dump "$TMP/bad.env" OK >/dev/null 2>&1 || sh_rc=$?
    if [[ $c_rc -eq 0 || $sh_rc -eq 0 ]]; then
        fail "malformed line [$line]: rt_config exit $c_rc, ./rt exit $sh_rc (both must reject)"
    else
        printf 'ok - both reject [%s]\n' "$line"
    fi
done

[[ $failures -eq 0 ]] || { echo "$failures failure(s)" >&2; exit 1; }
echo "all checks passed"
