# deep.sh: BuildKit's call sequence, run once for real (`--deep`), after probe.sh's parse probes
# and in the same exec (POSIX sh: dash, busybox ash).
#
# Put in front of probe.sh in the one `sh -c` script: it only defines functions here, and uses
# probe.sh's (bounded, emit, emit_text, sweep, stop) and its state ($d, $bin, $cid, $mark,
# $limit, $cap, $pipes, $setsid, $stalled). probe.sh calls deep_probe after its last probe with
# the data that follows the probes:
#   NPROG (MACHINE EXIT SLEEP)… KEEP KILL PLAIN
# EXIT and SLEEP are printf formats (octal escapes only) of two static programs for MACHINE (as
# `uname -m` names it): one exits at once, one sleeps a few seconds and exits (so that even a
# container nobody can kill ends by itself). KEEP, KILL, PLAIN are the config.json of the three
# containers ID-keep, ID-kill, ID-plain (ID: the probe's id): a read-only rootfs holding only
# that program, fresh namespaces (no network), nothing from outside mounted, the cgroup /ID-….
#
# The calls, as BuildKit's runc executor makes them through go-runc (the global
# --log FILE --log-format json on every call; here after a private --root):
#   run --bundle B --keep ID-keep     its process exits at once: the run returns 0
#   state ID-keep                     the kept container, stopped
#   delete ID-keep                    removes it
#   state ID-keep                     fails: there is no such container any more
#   run --bundle B --keep ID-kill     in the background, as BuildKit's RUN step runs; its
#   state ID-kill                     process sleeps; polled until running
#   kill ID-kill 9                    BuildKit's cancellation: the run returns
#   state ID-kill, delete ID-kill     stopped, then removed
# A call that does not do what BuildKit needs ends the sequence. When `run --keep` fails,
# `run --bundle B ID-plain` (no --keep) tells whether the runtime can run a container here at all.
#
# Every call is bounded as probe.sh bounds its calls (`bounded`: a session of its own, its
# process group killed when its time is up), and the background run by the polls that wait for
# it. The processes of the sequence carry RUNTIMECHECK_PROBE=ID.deep (ID.kill: the background
# run), the containers' own processes too (their config.json sets it), instead of the parse
# probes' mark: the watcher's sweep of stray processes must not end a container midway.
# Cleanup, whatever ended the sequence (also a signal: EXIT trap; the watcher's salvage when the
# script was killed outright): `delete --force` of every container the runtime still has state
# for, the marked processes killed, the containers' cgroups (/sys/fs/cgroup/ID-…,
# /sys/fs/cgroup/*/ID-…) emptied and removed, anything mounted under $d unmounted; the bundles
# and the --root state dir go with $d.
#
# Records:
#   deep STATUS LEN LEN LEN STEP   one call (STATUS as for probes; payloads stdout, stderr, log)
#   deep not-run LEN -             why the sequence was not run (text)
#   deep left LEN -                what cleanup could not remove (text)

salvage=deep_salvage
dp_dir= dp_base= dp_bg= dp_bgr= dp_ids=

# deep_probe DATA…: the sequence, or the record that says why it was not run.
deep_probe() {
    dp_n=$1
    shift
    dp_exit= dp_sleeper=
    dp_machine=$(uname -m 2>/dev/null) || dp_machine=
    while [ "$dp_n" -gt 0 ] && [ $# -ge 3 ]; do
        if [ -z "$dp_exit" ] && [ "$1" = "$dp_machine" ]; then
            dp_exit=$2 dp_sleeper=$3
        fi
        shift 3
        dp_n=$((dp_n - 1))
    done
    if [ $# -lt 3 ]; then
        deep_not_run "the probe script got no container configuration"
        return
    fi
    if [ -z "$bin" ]; then
        deep_not_run "no runtime binary was found"
        return
    fi
    if [ -n "$stalled" ]; then
        deep_not_run "an earlier call of the runtime got no answer in time"
        return
    fi
    if [ -e "$d/over" ]; then
        deep_not_run "the time for the whole probe was spent"
        return
    fi
    deep_can_run || return 0
    if [ -z "$dp_exit" ]; then
        deep_not_run "no minimal program for this machine (${dp_machine:-uname -m gave nothing})"
        return
    fi
    dp_base=$cid dp_dir=$d/deep
    trap 'deep_cleanup; cleanup' EXIT
    if deep_bundle keep "$1" "$dp_exit" && deep_bundle kill "$2" "$dp_sleeper" &&
        deep_bundle plain "$3" "$dp_exit"; then
        deep_sequence
    else
        deep_not_run "the bundles could not be written in $dp_dir"
    fi
    deep_cleanup
    trap cleanup EXIT
    trap 'exit 129' HUP
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

deep_not_run() {
    emit_text deep not-run - "$1"
}

# deep_can_run: whether this environment can create a container at all; else says why.
deep_can_run() {
    dp_uid= dp_cap=
    if [ -r /proc/self/status ]; then
        while read -r dp_k dp_v1 dp_v2 dp_rest; do
            case $dp_k in
            Uid:) dp_uid=$dp_v2 ;;
            CapEff:) dp_cap=$dp_v1 ;;
            esac
        done </proc/self/status
    fi
    if [ -z "$dp_uid" ]; then
        deep_not_run "no /proc/self/status: not Linux, or no /proc"
        return 1
    fi
    if [ "$dp_uid" != 0 ]; then
        deep_not_run "not root (uid $dp_uid): creating a container needs root"
        return 1
    fi
    case $dp_cap in
    '' | *[!0-9a-fA-F]*) dp_cap=0 ;;
    esac
    if [ $(((0x$dp_cap >> 21) & 1)) -eq 0 ]; then
        deep_not_run "no CAP_SYS_ADMIN (CapEff $dp_cap): an unprivileged container cannot create containers"
        return 1
    fi
    # The cgroup filesystems under /sys/fs/cgroup, and whether one is mounted read-only (as in
    # an unprivileged container); `test -w` cannot tell: busybox's says yes to root.
    dp_cgs= dp_ro=
    if [ -r /proc/self/mountinfo ]; then
        while read -r _a _b _c _r dp_mnt dp_opts dp_rest; do
            case $dp_mnt in
            /sys/fs/cgroup | /sys/fs/cgroup/*) ;;
            *) continue ;;
            esac
            dp_fs=" $dp_rest"
            dp_fs=${dp_fs#* - }
            case ${dp_fs%% *} in
            cgroup | cgroup2) ;;
            *) continue ;;
            esac
            dp_cgs=1
            case ,$dp_opts, in
            *,ro,*) dp_ro=$dp_mnt ;;
            esac
        done </proc/self/mountinfo
    fi
    if [ -z "$dp_cgs" ]; then
        deep_not_run "no cgroup filesystem is mounted under /sys/fs/cgroup"
        return 1
    fi
    if [ -n "$dp_ro" ]; then
        deep_not_run "the cgroup filesystem at $dp_ro is read-only"
        return 1
    fi
    return 0
}

# deep_bundle NAME CONFIG PROGRAM: $dp_dir/NAME with config.json and rootfs/probe.
deep_bundle() {
    [ -d "$dp_dir" ] || mkdir "$dp_dir" "$dp_dir/root" || return 1
    _b=$dp_dir/$1
    mkdir "$_b" "$_b/rootfs" "$_b/rootfs/proc" "$_b/rootfs/dev" || return 1
    printf '%s' "$2" >"$_b/config.json" || return 1
    # shellcheck disable=SC2059 # the program is a printf format of octal escapes
    printf "$3" >"$_b/rootfs/probe" || return 1
    chmod 755 "$_b/rootfs" "$_b/rootfs/proc" "$_b/rootfs/dev" && chmod 555 "$_b/rootfs/probe"
}

deep_sequence() {
    dp_ids=$dp_base-keep
    deep_call run-keep run --bundle "$dp_dir/keep" --keep "$dp_base-keep"
    if [ "$st" != 0 ]; then
        case $st in timeout | budget) return ;; esac
        dp_ids="$dp_ids $dp_base-plain"
        deep_call run-plain run --bundle "$dp_dir/plain" "$dp_base-plain"
        return
    fi
    deep_call state-kept state "$dp_base-keep"
    [ "$st" = 0 ] || return 0
    deep_call delete delete "$dp_base-keep"
    [ "$st" = 0 ] || return 0
    deep_call state-deleted state "$dp_base-keep"
    case $st in 0 | timeout | budget) return ;; esac
    deep_kill
}

# deep_kill: BuildKit cancelling a RUN step: `kill ID 9` while its `run --keep` runs.
deep_kill() {
    dp_ids="$dp_ids $dp_base-kill"
    deep_start
    dp_try=0 dp_up=
    while :; do
        deep_call - state "$dp_base-kill"
        if [ "$st" = 0 ]; then
            case $(cat "$d/out" 2>/dev/null) in
            *'"status"'*'"running"'*)
                dp_up=1
                break
                ;;
            esac
        fi
        case $st in timeout | budget) break ;; esac
        deep_alive "$dp_bg" || break
        dp_try=$((dp_try + 1))
        [ "$dp_try" -lt $((limit * 20)) ] || break
        sleep 0.05 2>/dev/null
    done
    emit deep "$st" kill-started out err log
    if [ -n "$dp_up" ]; then
        deep_call kill kill "$dp_base-kill" 9
        deep_wait "$limit"
    fi
    deep_stop_bg
    deep_emit_bg
    [ -n "$dp_up" ] || return 0
    case $dp_bgst in '' | *[!0-9]*) return ;; esac
    deep_call kill-state state "$dp_base-kill"
    [ "$st" = 0 ] || return 0
    deep_call kill-delete delete "$dp_base-kill"
}

# deep_call STEP ARG…: one call of the runtime, as BuildKit makes it, after the private
# --root; STEP - emits no record.
deep_call() {
    dp_step=$1
    shift
    dp_next=$((call + 1))
    dp_pipes=$pipes dp_log=$dp_dir/log.$dp_next
    if [ -n "$pipes" ] && ! mkfifo "$d/o$dp_next" "$d/e$dp_next" "$dp_log" 2>/dev/null; then
        rm -f "$d/o$dp_next" "$d/e$dp_next" "$dp_log"
        pipes=
    fi
    [ -z "$pipes" ] || logpipe=$dp_log
    : >"$d/log"
    cid=$dp_base.deep
    bounded "$bin" --root "$dp_dir/root" --log "$dp_log" --log-format json "$@"
    cid=$dp_base
    if [ -z "$pipes" ] && [ -s "$dp_log" ]; then
        head -c "$cap" "$dp_log" >"$d/log" 2>/dev/null || cat "$dp_log" >"$d/log"
    fi
    pipes=$dp_pipes
    rm -f "$d/o$dp_next" "$d/e$dp_next" "$dp_log"
    [ "$dp_step" = - ] || emit deep "$st" "$dp_step" out err log
}

# deep_start: the kill container's `run --keep` in the background, its outputs read as
# bounded reads a call's.
deep_start() {
    dp_o=$dp_dir/bg.o dp_e=$dp_dir/bg.e dp_l=$dp_dir/bg.l dp_bgr= dp_bgst=
    : >"$dp_dir/bg.out"
    : >"$dp_dir/bg.err"
    : >"$dp_dir/bg.log"
    if [ -n "$pipes" ] && mkfifo "$dp_o" "$dp_e" "$dp_l" 2>/dev/null; then
        head -c "$cap" <"$dp_o" >"$dp_dir/bg.out" &
        dp_bgr=$!
        head -c "$cap" <"$dp_e" >"$dp_dir/bg.err" &
        dp_bgr="$dp_bgr $!"
        head -c "$cap" <"$dp_l" >"$dp_dir/bg.log" &
        dp_bgr="$dp_bgr $!"
    else
        rm -f "$dp_o" "$dp_e" "$dp_l"
        dp_o=$dp_dir/bg.out dp_e=$dp_dir/bg.err
    fi
    (
        RUNTIMECHECK_PROBE=$dp_base.kill
        export RUNTIMECHECK_PROBE
        set -- "$bin" --root "$dp_dir/root" --log "$dp_l" --log-format json \
            run --bundle "$dp_dir/kill" --keep "$dp_base-kill"
        [ -z "$setsid" ] || exec setsid "$@"
        exec "$@"
    ) </dev/null >"$dp_o" 2>"$dp_e" &
    dp_bg=$!
}

# deep_alive PID: whether PID runs (a zombie has ended: it only waits to be collected).
deep_alive() {
    _s=
    read -r _s 2>/dev/null <"/proc/$1/stat" || return 1
    set -- ${_s##*') '}
    [ "${1:-}" != Z ]
}

# deep_wait SECONDS: the background run's exit status in dp_bgst, if it ends in time.
deep_wait() {
    _n=$(($1 * 20))
    while [ "$_n" -gt 0 ] && deep_alive "$dp_bg"; do
        sleep 0.05 2>/dev/null
        _n=$((_n - 1))
    done
    deep_alive "$dp_bg" && return 0
    wait "$dp_bg"
    dp_bgst=$?
    dp_bg=
}

# deep_stop_bg: the background run ended (timeout: it had to be killed), and its readers.
deep_stop_bg() {
    if [ -n "$dp_bg" ]; then
        dp_killed=
        if deep_alive "$dp_bg"; then
            dp_killed=1
            [ -z "$setsid" ] || kill -9 -"$dp_bg" 2>/dev/null
            kill -9 "$dp_bg" 2>/dev/null
        fi
        sweep "$mark.kill"
        wait "$dp_bg" 2>/dev/null
        dp_ws=$?
        dp_bg=
        if [ -n "$dp_killed" ]; then dp_bgst=timeout; else dp_bgst=$dp_ws; fi
    fi
    if [ -n "$dp_bgr" ]; then
        true <>"$dp_dir/bg.o"
        true <>"$dp_dir/bg.e"
        true <>"$dp_dir/bg.l"
        wait $dp_bgr
        dp_bgr=
    fi
}

deep_emit_bg() {
    cat "$dp_dir/bg.out" >"$d/out" 2>/dev/null
    cat "$dp_dir/bg.err" >"$d/err" 2>/dev/null
    [ -e "$dp_dir/bg.l" ] && [ ! -p "$dp_dir/bg.l" ] && head -c "$cap" "$dp_dir/bg.l" >"$dp_dir/bg.log" 2>/dev/null
    cat "$dp_dir/bg.log" >"$d/log" 2>/dev/null
    emit deep "${dp_bgst:-timeout}" kill-run out err log
}

# deep_cleanup: whatever the sequence left, removed; then what could not be, reported.
deep_cleanup() {
    [ -n "$dp_dir" ] || return 0
    trap '' HUP INT TERM # a second signal must not cut the cleanup short
    cid=$dp_base
    if [ -n "$running" ]; then
        # A call cut short by a signal.
        stop $running
        running=
        echo "$call done" >"$d/call"
    fi
    deep_stop_bg
    for dp_id in $dp_ids; do
        [ -e "$dp_dir/root/$dp_id" ] || continue
        deep_call - delete --force "$dp_id"
    done
    deep_salvage
    deep_left
    dp_dir=
}

# deep_salvage: the sequence's processes killed, its cgroups and mounts removed, without the
# runtime (also the watcher's, when the script was killed outright).
deep_salvage() {
    sweep "$mark.deep"
    sweep "$mark.kill"
    set +f
    for _c in keep kill plain; do
        for _g in /sys/fs/cgroup/"$cid-$_c" /sys/fs/cgroup/*/"$cid-$_c"; do
            [ -d "$_g" ] && deep_rmcg "$_g"
        done
    done
    set -f
    deep_mounts
    for _m in $dp_mounts; do
        umount -l "$_m" 2>/dev/null || umount "$_m" 2>/dev/null
    done
}

# deep_rmcg DIR: a cgroup of the sequence emptied (its processes killed) and removed.
deep_rmcg() {
    _i=0
    while [ -d "$1" ] && [ "$_i" -lt 40 ]; do
        [ ! -e "$1/cgroup.kill" ] || echo 1 2>/dev/null >"$1/cgroup.kill"
        if [ -r "$1/cgroup.procs" ]; then
            while read -r _p; do
                kill -9 "$_p" 2>/dev/null
            done <"$1/cgroup.procs"
        fi
        rmdir "$1" 2>/dev/null && return 0
        sleep 0.05 2>/dev/null
        _i=$((_i + 1))
    done
}

# deep_mounts: dp_mounts, what is mounted under $d in this mount namespace, deepest first.
deep_mounts() {
    dp_mounts=
    [ -r /proc/self/mountinfo ] || return 0
    while read -r _a _b _c _r _m _rest; do
        case $_m in
        "$d"/*) dp_mounts="$_m $dp_mounts" ;;
        esac
    done </proc/self/mountinfo
}

deep_left() {
    _left=
    set +f
    _hits=$(grep -l -s -z -x -F -e "$mark.deep" -e "$mark.kill" /proc/[0-9]*/environ 2>/dev/null)
    for _c in keep kill plain; do
        for _g in /sys/fs/cgroup/"$cid-$_c" /sys/fs/cgroup/*/"$cid-$_c"; do
            [ -d "$_g" ] && _left="$_left cgroup $_g;"
        done
    done
    set -f
    for _h in $_hits; do
        _p=${_h#/proc/}
        _left="$_left process ${_p%/environ};"
    done
    deep_mounts
    for _m in $dp_mounts; do
        _left="$_left mount $_m;"
    done
    [ -z "$_left" ] || emit_text deep left - "${_left# }"
}
