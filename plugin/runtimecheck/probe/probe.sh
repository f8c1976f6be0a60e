# Probe one OCI runtime inside a container in a single exec (POSIX sh: dash, busybox ash).
#
# Run as: sh -c "$(cat probe.sh)" sh FORMAT SECONDS BUDGET CAP ID NCAND CAND… NFILE FILE…
#         NCMD (NAME ARGC ARG…)… NPROBE (ID ARGC ARG…)… [DEEP…]
# ID is the container id the probes use (no such container exists). Data only ever arrives as
# positional parameters; nothing is evaluated as shell code. Probe arguments may hold {root}
# {bundle} {file} {log} {id}, filled in here with paths in a private mktemp -d directory that
# is removed on exit.
#
# The runtime is untrusted: it may hang, fork, print without end or crash. Hence:
# - Every call runs in a session of its own (setsid), and its whole process group is killed
#   with SIGKILL as soon as the runtime returns or its time is up. Every process of a call
#   also carries RUNTIMECHECK_PROBE=ID in its environment; one that left the group is found
#   by it and killed, within a second and in any case before the script exits.
# - One watcher, ticking once a second, ends a call that has run SECONDS (it gets at most one
#   tick more), and once BUDGET seconds are spent ends the running call; the calls left are
#   not run (status budget), and a script still running a tick later is sent SIGTERM. The
#   watcher marks a call as timed out before it kills it, so a kill is never read as an answer.
# - stdout, stderr and the --log file are named pipes read by `head -c CAP`, which cuts them
#   where they are written: a runtime printing more gets SIGPIPE. (Not `ulimit -f`: crun,
#   for one, copies its own binary into a memfd at start.)
# - A call killed by signal N reports 128+N, as the shell does.
# Without setsid the runtime stays in the script's process group and only the environment
# marks what it started; without mkfifo or head the outputs are files, limited only by the
# call's time; without sleep there is no watcher and calls are not time-limited.
#
# Output: the line "RUNTIMECHECK-PROBE 1", then records
#   TAG <TAB> STATUS <TAB> LEN[ LEN…] <TAB> KEY <LF> payload bytes (LENs, concatenated) <LF>
# TAG: path (STATUS found|missing, payload: resolved path), file (ok|missing: content),
# cgroup (STATUS: the type of the file system mounted last at /sys/fs/cgroup as
# /proc/self/mountinfo lists it, none, or unreadable: that mountinfo line, /proc/self/uid_map,
# the Uid line of /proc/self/status; read with the shell's `read`, at most 4096 lines each),
# command (exit status|timeout|budget: stdout, stderr), version / features (same),
# probe (exit status|timeout|budget|skipped: stdout, stderr, log file), note (text), end.
#
# With DEEP data (`--deep`), deep.sh is put in front of this script, and deep_probe runs
# BuildKit's call sequence for real after the probes (see there; its records are tagged deep).
set -f
umask 077

if [ "${1:-}" != 2 ]; then
    echo "probe.sh: unsupported data format ${1:-none}" >&2
    exit 2
fi
limit=$2 budget=$3 cap=$4 cid=$5
shift 5
mark=RUNTIMECHECK_PROBE=$cid

echo "RUNTIMECHECK-PROBE 1"

# sweep VAR=VALUE [PID]: SIGKILL every process whose environment holds VAR=VALUE, except PID and
# the members of its process group (the call still running); again while that finds some,
# as one may have forked meanwhile.
sweep() {
    _pat=$1 _keep=${2:-} _round=0
    while [ "$_round" -lt 3 ]; do
        set +f
        _hits=$(grep -l -s -z -x -F -e "$_pat" /proc/[0-9]*/environ 2>/dev/null)
        set -f
        _killed=
        for _hit in $_hits; do
            _p=${_hit#/proc/}
            _p=${_p%/environ}
            if [ -n "$_keep" ]; then
                [ "$_p" = "$_keep" ] && continue
                _stat=
                read -r _stat 2>/dev/null <"/proc/$_p/stat"
                set -- ${_stat##*') '}
                [ "${3:-}" = "$_keep" ] && continue
            fi
            kill -9 "$_p" 2>/dev/null && _killed=1
        done
        [ -n "$_killed" ] || return 0
        _round=$((_round + 1))
    done
}

# stop PID|-|+ [READER…]: end a call, the runtime's process group and the readers of its pipes.
stop() {
    case $1 in
    [0-9]*)
        [ -z "$setsid" ] || kill -9 -"$1" 2>/dev/null
        kill -9 "$1" 2>/dev/null
        ;;
    esac
    shift
    [ $# -eq 0 ] || kill -9 "$@" 2>/dev/null
}

# busy PID|-|+ [READER…]: what the call under way has started, for cleanup and the watcher.
# + the runtime is being started, - it has returned; "N done" in $d/call: no call under way.
busy() {
    running=$*
    echo "$call $*" >"$d/call"
}

# watch: the one timer, run in the background; reads what runs from $d/call.
watch() {
    trap 'kill $! 2>/dev/null; exit 0' TERM
    trap - EXIT HUP INT PIPE
    _wn= _wt=0 _wall=0
    while :; do
        sleep 1 &
        wait $!
        [ -e "$d/stop" ] && exit 0
        _wall=$((_wall + 1))
        _c= _pid= _rs=
        read -r _c _pid _rs 2>/dev/null <"$d/call"
        if ! kill -0 "$$" 2>/dev/null; then
            # The script was killed without running its traps (SIGKILL).
            [ -z "$_pid" ] || [ "$_pid" = done ] || stop "$_pid" $_rs
            sweep "$mark"
            [ "${salvage:-}" != deep_salvage ] || deep_salvage # deep.sh's, with --deep
            rm -rf "$d"
            exit 0
        fi
        [ "$_wall" -lt "$budget" ] || true >"$d/over"
        [ -n "$_c" ] || continue # read while the script rewrote the file
        if [ "$_c" != "$_wn" ]; then
            _wn=$_c _wt=0
        fi
        _wt=$((_wt + 1))
        case $_pid in
        '' | done) sweep "$mark" ;;
        *)
            if [ "$_wt" -gt "$limit" ] || [ -e "$d/over" ]; then
                true >"$d/expired.$_c" # kills anyway if it cannot be written
                stop "$_pid" $_rs
                sweep "$mark"
            elif [ "$_pid" = - ]; then
                sweep "$mark" # what is left holds the pipes open
            elif [ "$_pid" != + ]; then
                sweep "$mark" "${ourpg:-$_pid}"
            fi
            ;;
        esac
        [ "$_wall" -le "$budget" ] || kill -TERM "$$" 2>/dev/null
    done
}

cleanup() {
    if [ -n "$watcher" ]; then
        # The file, in case the signal came before the watcher's trap was set.
        : >"$d/stop"
        kill -TERM "$watcher" 2>/dev/null
        wait "$watcher" 2>/dev/null
    fi
    # $!: a reader or runtime started but not yet recorded.
    [ -z "$running" ] || stop $running $!
    sweep "$mark"
    [ -n "$d" ] && rm -rf "$d"
}

watcher= running=
d=$(mktemp -d 2>/dev/null) || d=$(mktemp -d -t runtimecheck.XXXXXX 2>/dev/null) || d=
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 141' PIPE
trap 'exit 143' TERM
if [ -z "$d" ] || ! mkdir "$d/root"; then
    _msg="mktemp -d failed: no private directory for the probe"
    printf 'note\terror\t%s\t\n%s\n' "${#_msg}" "$_msg"
    printf 'end\t-\t0\t\n\n'
    exit 0
fi

# emit TAG STATUS KEY [NAME…]: one record; the payloads are the files NAME… in $d, each at
# most $cap bytes already.
emit() {
    _tag=$1 _st=$2 _key=$3
    shift 3
    _lens= _names=$*
    if [ $# -gt 0 ]; then
        for _f do
            [ -e "$d/$_f" ] || : >"$d/$_f"
        done
        _k=$#
        set -- $(cd "$d" && exec wc -c -- "$@")
        while [ "$_k" -gt 0 ] && [ $# -ge 2 ]; do
            _lens="$_lens $1"
            shift 2
            _k=$((_k - 1))
        done
    fi
    printf '%s\t%s\t%s\t%s\n' "$_tag" "$_st" "${_lens# }" "$_key"
    [ -z "$_names" ] || (cd "$d" && exec cat -- $_names)
    printf '\n'
}

emit_text() {
    if [ -z "$4" ]; then
        printf '%s\t%s\t0\t%s\n\n' "$1" "$2" "$3"
        return
    fi
    printf '%s' "$4" >"$d/text"
    emit "$1" "$2" "$3" text
}

# first_lines FILE PREFIX OUT: the first line of FILE starting with PREFIX (every line, when
# PREFIX is empty) into $d/OUT, read with the shell's own `read`, at most $maxlines lines.
first_lines() {
    _n=0
    : >"$d/$3"
    [ -r "$1" ] || return 1
    while [ "$_n" -lt "$maxlines" ] && IFS= read -r _l; do
        _n=$((_n + 1))
        case $_l in
        "$2"*)
            printf '%s\n' "$_l" >>"$d/$3"
            [ -z "$2" ] || break
            ;;
        esac
    done <"$1"
}

# cgroup_record: what BuildKit in this container sees: the file system on /sys/fs/cgroup
# (cgroup2: it records resource usage through cgroup v2), and whom the exec runs as.
cgroup_record() {
    _st=unreadable _n=0
    : >"$d/text"
    if [ -r /proc/self/mountinfo ]; then
        _st=none
        while [ "$_n" -lt "$maxlines" ] && IFS= read -r _l; do
            _n=$((_n + 1))
            set -- $_l
            [ "${5:-}" = /sys/fs/cgroup ] || continue
            _rest=${_l#* - }
            set -- $_rest
            [ -n "${1:-}" ] || continue
            _st=$1
            printf '%s' "$_l" >"$d/text"
        done </proc/self/mountinfo
    fi
    first_lines /proc/self/uid_map "" uidmap
    first_lines /proc/self/status "Uid:" uid
    emit cgroup "$_st" "" text uidmap uid
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

# our_group: sets ourpg to the process group of this shell.
our_group() {
    ourpg=
    read -r _stat 2>/dev/null <"/proc/$$/stat" || return
    set -- ${_stat##*') '}
    ourpg=${3:-}
}

# make_pipes NCMD (NAME ARGC ARG…)… NPROBE …: the named pipes of every call there can be,
# and the log files of the probes.
make_pipes() {
    _n=$(($1 + 2)) _k=$1
    shift
    while [ "$_k" -gt 0 ]; do
        shift $(($2 + 2))
        _k=$((_k - 1))
    done
    _k=$1
    _n=$((_n + _k))
    set --
    while [ "$_n" -gt 0 ]; do
        set -- "$@" "$d/o$_n" "$d/e$_n"
        _n=$((_n - 1))
    done
    while [ "$_k" -gt 0 ]; do
        set -- "$@" "$d/log$_k.json"
        _k=$((_k - 1))
    done
    mkfifo "$@" 2>/dev/null
}

# bounded CMD ARG…: one call, stdout and stderr in $d/out and $d/err, and with $logpipe set
# what the runtime writes to that pipe in $d/log. Sets st: the exit status, timeout, or
# budget (not run: the time for the whole probe is spent).
bounded() {
    call=$((call + 1))
    if [ -e "$d/over" ]; then
        : >"$d/out"
        : >"$d/err"
        st=budget logpipe=
        return
    fi
    busy +
    _readers= _o=$d/out _e=$d/err
    if [ -n "$pipes" ]; then
        _o=$d/o$call _e=$d/e$call
        head -c "$cap" <"$_o" >"$d/out" &
        _readers=$!
        busy + $_readers
        head -c "$cap" <"$_e" >"$d/err" &
        _readers="$_readers $!"
        busy + $_readers
        if [ -n "$logpipe" ]; then
            head -c "$cap" <"$logpipe" >"$d/log" &
            _readers="$_readers $!"
            busy + $_readers
        fi
    fi
    resolve "$1"
    (
        RUNTIMECHECK_PROBE=$cid
        export RUNTIMECHECK_PROBE
        [ -z "$found" ] || [ -z "$setsid" ] || exec setsid "$@"
        [ -z "$found" ] || exec "$@"
        command "$@" # a builtin, or not found: the shell says so
    ) </dev/null >"$_o" 2>"$_e" &
    _pid=$!
    busy "$_pid" $_readers
    wait "$_pid"
    st=$?
    busy - $_readers
    if [ -n "$setsid" ]; then
        kill -9 -"$_pid" 2>/dev/null
    else
        sweep "$mark"
    fi
    if [ -n "$pipes" ]; then
        # Opening a pipe read-write frees a reader still waiting for a writer. (`true`, not
        # `:`: a special builtin whose redirection fails ends the script.)
        true <>"$_o"
        true <>"$_e"
        [ -z "$logpipe" ] || true <>"$logpipe"
        wait $_readers
    fi
    running= logpipe=
    echo "$call done" >"$d/call"
    [ -e "$d/expired.$call" ] && st=timeout
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
        log)
            filled=$filled$_pre$logfile
            [ -z "$pipes" ] || logpipe=$logfile
            ;;
        id) filled=$filled$_pre$cid ;;
        *) filled="$filled$_pre{$_name}" ;;
        esac
    done
}

# run_probe ID ARGC ARG… (and anything after, ignored): one probe call.
run_probe() {
    _id=$1 _argc=$2 _k=0
    shift 2
    nprobe=$((nprobe + 1))
    logfile=$d/log$nprobe.json
    for _a do
        shift
        if [ "$_k" -lt "$_argc" ]; then
            fill "$_a"
            set -- "$@" "$filled"
        fi
        _k=$((_k + 1))
    done
    if [ -n "$stalled" ] && [ ! -e "$d/over" ]; then
        logpipe=
        emit_text probe skipped "$_id" "$*"
        return
    fi
    : >"$d/log"
    bounded "$bin" "$@"
    # Without pipes the log is a file: a copy, cut, as something left behind may still write.
    [ -n "$pipes" ] || [ ! -s "$logfile" ] || head -c "$cap" "$logfile" >"$d/log"
    emit probe "$st" "$_id" out err log
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
    emit command "$st" "$_name" out err
}

setsid= pipes= ourpg= call=0 nprobe=0 stalled= logpipe= maxlines=4096
if command -v setsid >/dev/null 2>&1; then
    setsid=1
else
    our_group
fi
echo "0 done" >"$d/call"
if command -v sleep >/dev/null 2>&1; then
    watch </dev/null >/dev/null 2>&1 &
    watcher=$!
else
    emit_text note warning "" "no sleep in the container: calls are not time-limited"
fi

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
    if [ -f "$1" ] && [ -r "$1" ] && head -c "$cap" "$1" >"$d/text" 2>/dev/null; then
        emit file ok "$1" text
    else
        emit file missing "$1"
    fi
    shift
    n=$((n - 1))
done

cgroup_record

command -v head >/dev/null 2>&1 && make_pipes "$@" && pipes=1

n=$1
shift
while [ "$n" -gt 0 ]; do
    run_command "$@"
    shift $(($2 + 2))
    n=$((n - 1))
done

n=$1
shift
if [ -n "$bin" ]; then
    bounded "$bin" --version
    emit version "$st" "" out err
    [ "$st" = timeout ] && stalled=1
fi
while [ "$n" -gt 0 ]; do
    [ -n "$bin" ] && run_probe "$@"
    shift $(($2 + 2))
    n=$((n - 1))
done
if [ -n "$bin" ] && [ -z "$stalled" ]; then
    bounded "$bin" --root "$d/root" features
    emit features "$st" "" out err
fi
[ $# -eq 0 ] || deep_probe "$@"
emit_text end - "" ""
