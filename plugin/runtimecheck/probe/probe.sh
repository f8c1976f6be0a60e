# Probe one OCI runtime inside a container in a single exec (POSIX sh: dash, busybox ash).
#
# Run as: sh -c "$(cat probe.sh)" sh FORMAT SECONDS ID NCAND CAND… NFILE FILE…
#         NCMD (NAME ARGC ARG…)… NPROBE (ID ARGC ARG…)…
# SECONDS bounds each call; ID is the container id the probes use (no such container exists).
# Data only ever arrives as positional parameters; nothing is evaluated as shell code.
# Probe arguments may hold {root} {bundle} {file} {log} {id}, filled in here with paths in a
# private mktemp -d directory that is removed on exit.
#
# Output: the line "RUNTIMECHECK-PROBE 1", then records
#   TAG <TAB> STATUS <TAB> LEN[ LEN…] <TAB> KEY <LF> payload bytes (LENs, concatenated) <LF>
# TAG: path (STATUS found|missing, payload: resolved path), file (ok|missing: content),
# command (exit status|timeout: stdout, stderr), version / features (same),
# probe (exit status|timeout|skipped: stdout, stderr, log file), note (text), end.
set -f
umask 077

if [ "${1:-}" != 1 ]; then
    echo "probe.sh: unsupported data format ${1:-none}" >&2
    exit 2
fi
limit=$2
cid=$3
shift 3

echo "RUNTIMECHECK-PROBE 1"

d=$(mktemp -d 2>/dev/null) || d=$(mktemp -d -t runtimecheck.XXXXXX 2>/dev/null) || d=
cleanup() { [ -n "$d" ] && rm -rf "$d"; }
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
if [ -z "$d" ] || ! mkdir "$d/root"; then
    printf 'note\terror\t0\tmktemp -d failed: no private directory for the probe\n\n'
    printf 'end\t-\t0\t\n\n'
    exit 0
fi
: >"$d/empty"

# A runtime that prints without end must not flood the exec stream: payloads are cut here.
cap=65536

# emit TAG STATUS KEY FILE…: one record, payloads are the files' first $cap bytes.
emit() {
    _tag=$1 _st=$2 _key=$3
    shift 3
    _lens=
    for _f do
        _n=$(($(wc -c <"$_f")))
        [ "$_n" -gt "$cap" ] && _n=$cap
        _lens="$_lens $_n"
    done
    printf '%s\t%s\t%s\t%s\n' "$_tag" "$_st" "${_lens# }" "$_key"
    for _f do
        head -c "$cap" "$_f"
    done
    printf '\n'
}

emit_text() {
    printf '%s' "$4" >"$d/text"
    emit "$1" "$2" "$3" "$d/text"
}

have_sleep=
command -v sleep >/dev/null 2>&1 && have_sleep=1
[ -n "$have_sleep" ] || emit_text note warning "" "no sleep in the container: calls are not time-limited"

# bounded CMD ARG…: run with stdout/stderr in $d/out, $d/err; sets st (exit status or timeout).
bounded() {
    rm -f "$d/expired"
    if [ -z "$have_sleep" ]; then
        "$@" >"$d/out" 2>"$d/err" </dev/null
        st=$?
        return
    fi
    "$@" >"$d/out" 2>"$d/err" </dev/null &
    _pid=$!
    (
        trap 'kill "$_s" 2>/dev/null; exit 0' TERM
        sleep "$limit" &
        _s=$!
        wait "$_s" && kill -9 "$_pid" 2>/dev/null && : >"$d/expired"
    ) >/dev/null 2>&1 </dev/null &
    _watch=$!
    wait "$_pid"
    st=$?
    kill "$_watch" 2>/dev/null
    wait "$_watch" 2>/dev/null
    [ -e "$d/expired" ] && st=timeout
}

# resolve NAME: sets found to the path NAME runs as (PATH lookup unless it holds a slash).
resolve() {
    found=
    case $1 in
    */*)
        [ -f "$1" ] && [ -x "$1" ] && found=$1
        return
        ;;
    esac
    _ifs=$IFS
    IFS=:
    for _dir in $PATH; do
        [ -n "$_dir" ] || continue
        if [ -f "$_dir/$1" ] && [ -x "$_dir/$1" ]; then
            found=$_dir/$1
            break
        fi
    done
    IFS=$_ifs
}

# fill TEMPLATE: sets filled to TEMPLATE with each {placeholder} replaced.
fill() {
    _t=$1 filled=
    while :; do
        case $_t in
        *'{'*'}'*) ;;
        *)
            filled=$filled$_t
            return
            ;;
        esac
        _pre=${_t%%\{*}
        _rest=${_t#*\{}
        _name=${_rest%%\}*}
        _t=${_rest#*\}}
        case $_name in
        root) filled=$filled$_pre$d/root ;;
        bundle) filled=$filled$_pre$d/missing-bundle ;;
        file) filled=$filled$_pre$d/missing-file ;;
        log) filled=$filled$_pre$d/log.json ;;
        id) filled=$filled$_pre$cid ;;
        *) filled="$filled$_pre{$_name}" ;;
        esac
    done
}

# run_probe ID ARGC ARG… (and anything after, ignored): one probe call.
run_probe() {
    _id=$1 _argc=$2 _k=0
    shift 2
    for _a do
        shift
        if [ "$_k" -lt "$_argc" ]; then
            fill "$_a"
            set -- "$@" "$filled"
        fi
        _k=$((_k + 1))
    done
    if [ -n "$stalled" ]; then
        emit_text probe skipped "$_id" "$*"
        return
    fi
    rm -f "$d/log.json"
    bounded "$bin" "$@"
    [ -f "$d/log.json" ] || : >"$d/log.json"
    emit probe "$st" "$_id" "$d/out" "$d/err" "$d/log.json"
    [ "$st" = timeout ] && stalled=1
}

# run_command NAME ARGC ARG…: one extra command (e.g. buildkitd --version).
run_command() {
    _name=$1 _argc=$2 _k=0
    shift 2
    for _a do
        shift
        [ "$_k" -lt "$_argc" ] && set -- "$@" "$_a"
        _k=$((_k + 1))
    done
    bounded "$@"
    emit command "$st" "$_name" "$d/out" "$d/err"
}

bin=
n=$1
shift
while [ "$n" -gt 0 ]; do
    if [ -z "$bin" ]; then
        resolve "$1"
        if [ -n "$found" ]; then
            bin=$found
            emit_text path found "$1" "$found"
        fi
    fi
    shift
    n=$((n - 1))
done
[ -n "$bin" ] || emit_text path missing "" ""

n=$1
shift
while [ "$n" -gt 0 ]; do
    if [ -f "$1" ] && [ -r "$1" ] && cat "$1" >"$d/text" 2>/dev/null; then
        emit file ok "$1" "$d/text"
    else
        emit file missing "$1"
    fi
    shift
    n=$((n - 1))
done

n=$1
shift
while [ "$n" -gt 0 ]; do
    run_command "$@"
    shift $(($2 + 2))
    n=$((n - 1))
done

stalled=
n=$1
shift
if [ -n "$bin" ]; then
    bounded "$bin" --version
    emit version "$st" "" "$d/out" "$d/err"
    [ "$st" = timeout ] && stalled=1
fi
while [ "$n" -gt 0 ]; do
    [ -n "$bin" ] && run_probe "$@"
    shift $(($2 + 2))
    n=$((n - 1))
done
if [ -n "$bin" ] && [ -z "$stalled" ]; then
    bounded "$bin" --root "$d/root" features
    emit features "$st" "" "$d/out" "$d/err"
fi
emit_text end - "" ""
