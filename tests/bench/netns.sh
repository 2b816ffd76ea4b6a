#!/usr/bin/env bash
# netns.sh - what `namespaces: all` costs when the sockets are spread over many
# network namespaces (containers) rather than held in one: one full sample of
# `sockwatch report --json` with `namespaces: all`, run from the host
# namespace, over two layouts of the same number of sockets:
#   spread  NS namespaces (default 50) of ROWS socket-table rows each (1000)
#   single  one namespace of NS x ROWS rows (50 000)
# Each namespace is `sockwatch-nsbench-<PID>-<i>` (named under /run/netns, as
# mksockets requires; lo up) with a table built by mksockets
# (../shared/bench/mksockets.c beside the repository, compiled at run time).
# Then the daemon runs on that layout (same config plus `interval: 2s`, from
# the host namespace): after two samples, its CPU (schedstat of its threads)
# over the next K samples, divided by the samples it completed meanwhile
# (sockwatch_sample_duration_seconds_count), and its VmHWM.
# The report is run once as a warm-up, then REPS times; the table gives the
# medians of its CPU (user + sys of the report and everything it ran, from
# getrusage of the reaped children via bash `times`, minus the median of
# `true` under the same harness), the user / sys split, wall time and peak
# RSS (GNU time %M), and the namespaces and sockets the report saw
# (`netns_sampled` and `sockets_sampled` of its JSON; other namespaces of the
# host count too, so these are at least the built ones plus the host's).
#
# usage: netns.sh [options]
#   -n NS         namespaces in the spread layout (default 50)
#   -s ROWS       rows per namespace in the spread layout (default 1000); the
#                 single layout gets NS x ROWS rows
#   -r REPS       measured runs per layout after one warm-up (default 5)
#   -m MIX        mksockets mix (default est=60,cw=20,cwc=10,tw=10)
#   -P HOLDERS    mksockets holder processes per namespace (default 0: its
#                 own choice, at least 4)
#   -o FILE       also write the Markdown report to FILE
#   --layouts L   which layouts, in order: "spread,single" (default), "spread",
#                 "single"
#   --tmax S      limit for one report run, integer s (default 300)
#   -k K          daemon samples measured per layout (default 6; 0: no daemon)
#   -p PORT       the daemon's port on 127.0.0.1 (default 19988)
#   -e ENTRIES    set net.ipv4.tcp_child_ehash_entries to ENTRIES while the
#                 namespaces are made (restored on exit): each then gets a
#                 TCP hash of its own instead of sharing the host's, and a
#                 dump of one walks only its sockets (default: unchanged)
#   -h, --help    this text
# environment:
#   SOCKWATCH_BIN   binary (default $REPO/build/sockwatch; copied to the work
#                   directory first, so a rebuild during the run changes nothing)
#   SOCKWATCH_NETNS_CONFIG  the report's config file contents (default
#                   "namespaces: all"; e.g. $'namespaces: all\nattribution: false')
#   MKSOCKETS_SRC   mksockets.c (default $REPO/../shared/bench/mksockets.c)
#   MKSOCKETS_BIN   a ready-built mksockets (then nothing is compiled)
#   BENCH_WORKDIR   raw data and logs (default: a new /tmp/sockwatch-nsbench.*)
# Needs root, iproute2, GNU time (package `time`) and gcc. The Markdown report
# goes to stdout, progress to stderr. Every process started is stopped by PID
# and every namespace made is deleted on exit, on error and on Ctrl-C; names
# left by a run that was killed (its PID gone) are deleted by the next run.
set -uo pipefail
export LC_ALL=C

SELF=$(readlink -f "$0")
HERE=$(dirname "$SELF")
REPO=$(cd "$HERE/../.." && pwd)
PREFIX=sockwatch-nsbench

log() { echo "[$(date +%T)] $*" >&2; }
usage() { awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$SELF"; }
die() { echo "netns.sh: $*" >&2; exit 2; }

# ----------------------------------------------------------------- options
NS_COUNT=50 ROWS=1000 REPS=5 MIX=est=60,cw=20,cwc=10,tw=10 HOLDERS=0 OUT="" TMAX=300 EHASH="" K=6 PORT=19988
LAYOUTS=spread,single
CMDLINE="$0 $*"
while (($#)); do
    case $1 in
    -n) NS_COUNT=${2:-} && shift ;;
    -s) ROWS=${2:-} && shift ;;
    -r) REPS=${2:-} && shift ;;
    -m) MIX=${2:-} && shift ;;
    -P) HOLDERS=${2:-} && shift ;;
    -o) OUT=${2:-} && shift ;;
    --layouts) LAYOUTS=${2:-} && shift ;;
    --tmax) TMAX=${2:-} && shift ;;
    -e) EHASH=${2:-} && shift ;;
    -k) K=${2:-} && shift ;;
    -p) PORT=${2:-} && shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
    shift
done
for v in "$NS_COUNT" "$ROWS" "$REPS" "$HOLDERS" "$TMAX" "$K" "$PORT" ${EHASH:+"$EHASH"}; do
    [[ "$v" =~ ^[0-9]+$ ]] || die "'$v' is not a non-negative integer"
done
((NS_COUNT >= 1 && ROWS >= 1 && REPS >= 1 && TMAX >= 1)) || die "-n, -s, -r and --tmax must be at least 1"
[[ "$LAYOUTS" =~ ^(spread|single)(,(spread|single))?$ ]] || die "--layouts: spread,single, spread or single"
IFS=, read -ra LAYOUT_LIST <<< "$LAYOUTS"

[[ $(id -u) == 0 ]] || { echo "netns.sh: needs root (network namespaces, setns, mksockets)" >&2; exit 1; }
missing=()
command -v ip > /dev/null || missing+=(iproute2)
((K == 0)) || command -v curl > /dev/null || missing+=(curl)
[[ -x /usr/bin/time ]] || missing+=(time)
[[ -n "${MKSOCKETS_BIN:-}" ]] || command -v gcc > /dev/null || missing+=(gcc)
((${#missing[@]} == 0)) || { echo "netns.sh: missing packages: ${missing[*]} (apt-get install ${missing[*]})" >&2; exit 1; }

SW_ORIG=${SOCKWATCH_BIN:-$REPO/build/sockwatch}
[[ -x "$SW_ORIG" ]] || { echo "netns.sh: sockwatch binary $SW_ORIG not found (build it or set SOCKWATCH_BIN)" >&2; exit 1; }
CONFIG_TEXT=${SOCKWATCH_NETNS_CONFIG-namespaces: all}

# ----------------------------------------------------------------- helpers
NAP_PID=""
nap() { sleep "$1" & NAP_PID=$!; wait "$NAP_PID" 2> /dev/null; NAP_PID=""; } # a trapped signal ends it
proc_start() { # start time (field 22) of PID: tells it from a later process with the same PID
    local line
    local -a a
    { read -r line < /proc/"$1"/stat; } 2> /dev/null || return 1
    read -ra a <<< "${line##*) }"
    echo "${a[19]}"
}
alive() { # PID [START]: running (not a zombie) and, with START, the same process
    local line st
    { read -r line < /proc/"$1"/stat; } 2> /dev/null || return 1
    st=${line##*) }
    [[ ${st:0:1} != Z ]] || return 1
    [[ -z "${2:-}" ]] || [[ "$(proc_start "$1")" == "$2" ]]
}
track() { # PID: remember a process we started, for teardown
    local st
    st=$(proc_start "$1") || return 0
    echo "$1 $st" >> "$WORK/pids"
}
stop_tracked() { # SIGNAL WAIT_S: every tracked process, by PID; SIGKILL after WAIT_S in all
    local pid st i deadline
    [[ -s "$WORK/pids" ]] || return 0
    while read -r pid st; do alive "$pid" "$st" && kill -"$1" "$pid" 2> /dev/null; done < "$WORK/pids"
    deadline=$((SECONDS + $2))
    for ((i = 0; i < $2 * 10 + 10; i++)); do
        local left=0
        while read -r pid st; do alive "$pid" "$st" && left=1 && break; done < "$WORK/pids"
        ((left)) || break
        ((SECONDS >= deadline)) && break
        nap 0.1
    done
    while read -r pid st; do alive "$pid" "$st" && kill -KILL "$pid" 2> /dev/null; done < "$WORK/pids"
    : > "$WORK/pids"
}
# "XmY.ZZZs" of bash `times` -> µs
tm_us() {
    local t=$1 m s i f
    m=${t%%m*} s=${t#*m} s=${s%s} i=${s%.*} f=${s#*.}000000
    REPLY=$((10#$m * 60000000 + 10#$i * 1000000 + 10#${f:0:6}))
}
times_children() { # FILE written by `times` -> CH_USER CH_SYS (µs) of the reaped children
    local u s
    { read -r _ _ && read -r u s; } < "$1"
    tm_us "$u"; CH_USER=$REPLY
    tm_us "$s"; CH_SYS=$REPLY
}
median() { sort -n | awk '{a[NR] = $1} END {printf "%.0f", NR ? a[int((NR + 1) / 2)] : 0}'; }
sec() { awk -v us="$1" 'BEGIN {printf "%.3f", us / 1e6}'; } # µs -> s
json_int() { # KEY FILE: an integer member of a one-line JSON object, "" if absent
    grep -o "\"$1\":[0-9]*" "$2" 2> /dev/null | head -n 1 | cut -d: -f2
}
# namespaces of the host right now: distinct /proc/*/ns/net inodes and names
count_namespaces() {
    { stat -L -c %i /proc/[0-9]*/ns/net 2> /dev/null; for f in /run/netns/*; do [[ -e $f ]] && stat -L -c %i "$f" 2> /dev/null; done; } | sort -u | wc -l
}
tcp_objs() { awk '$1 == "TCP" || $1 == "TCPv6" || $1 == "tw_sock_TCP" || $1 == "tw_sock_TCPv6" {n += $2} END {print n + 0}' /proc/slabinfo; }
wait_drain() { # sockets of deleted namespaces are freed some seconds later
    local i
    for ((i = 0; i < 300; i++)); do
        (($(tcp_objs) < BASE_SOCKS + 2000)) && return 0
        nap 1
    done
    log "warning: TCP socket slabs did not drain within 300 s"
}
remove_stale() { # names of runs whose PID is gone
    local f name pid
    for f in /run/netns/"$PREFIX"-*; do
        [[ -e $f ]] || continue
        name=${f##*/} pid=${name#"$PREFIX"-} pid=${pid%%-*}
        if ! [[ "$pid" =~ ^[0-9]+$ ]] || ((pid == $$)) || alive "$pid"; then continue; fi
        log "deleting stale namespace $name"
        ip netns del "$name" 2> /dev/null
    done
}

# ----------------------------------------------------------------- setup + cleanup
WORK=${BENCH_WORKDIR:-$(mktemp -d /tmp/sockwatch-nsbench.XXXXXX)}
mkdir -p "$WORK" || exit 1
: > "$WORK/pids"
: > "$WORK/namespaces"
ORIG_NR_OPEN=$(cat /proc/sys/fs/nr_open)
ORIG_FILE_MAX=$(cat /proc/sys/fs/file-max)
EHASH_SYSCTL=/proc/sys/net/ipv4/tcp_child_ehash_entries
ORIG_EHASH=$(cat "$EHASH_SYSCTL" 2> /dev/null)
teardown() {
    [[ -n "$NAP_PID" ]] && kill "$NAP_PID" 2> /dev/null
    stop_tracked TERM 30 # mksockets' parent SIGKILLs its holders on TERM
    local name
    while read -r name; do ip netns del "$name" 2> /dev/null; done < "$WORK/namespaces"
    : > "$WORK/namespaces"
}
cleanup() {
    trap - EXIT INT TERM
    teardown
    [[ "$(cat /proc/sys/fs/nr_open)" != "$ORIG_NR_OPEN" ]] && echo "$ORIG_NR_OPEN" > /proc/sys/fs/nr_open
    [[ "$(cat /proc/sys/fs/file-max)" != "$ORIG_FILE_MAX" ]] && echo "$ORIG_FILE_MAX" > /proc/sys/fs/file-max
    [[ -n "$ORIG_EHASH" && "$(cat "$EHASH_SYSCTL")" != "$ORIG_EHASH" ]] && echo "$ORIG_EHASH" > "$EHASH_SYSCTL"
    log "raw data and logs: $WORK"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM
remove_stale

SW_BIN=$WORK/sockwatch
cp "$SW_ORIG" "$SW_BIN" || exit 1
SW_VERSION=$("$SW_BIN" --version 2>&1 | head -n 1)
ldd "$SW_BIN" 2> /dev/null | grep -q 'libasan\|libubsan' && SW_VERSION+=" [SANITIZER BUILD: not representative]"
if [[ -n "${MKSOCKETS_BIN:-}" ]]; then
    MKS=$MKSOCKETS_BIN
else
    MKS_SRC=${MKSOCKETS_SRC:-$REPO/../shared/bench/mksockets.c}
    [[ -f "$MKS_SRC" ]] || { echo "netns.sh: $MKS_SRC not found (MKSOCKETS_SRC or MKSOCKETS_BIN)" >&2; exit 1; }
    MKS=$WORK/mksockets
    gcc -O2 -Wall -pthread -o "$MKS" "$MKS_SRC" || { echo "netns.sh: compiling $MKS_SRC failed" >&2; exit 1; }
fi
if [[ -n "$EHASH" ]]; then
    [[ -n "$ORIG_EHASH" ]] || { echo "netns.sh: -e: this kernel has no $EHASH_SYSCTL (Linux 5.19 and later)" >&2; exit 1; }
    echo "$EHASH" > "$EHASH_SYSCTL" || exit 1
fi
printf '%s\n' "$CONFIG_TEXT" > "$WORK/report.yaml"
printf '%s\ninterval: 2s\n' "$CONFIG_TEXT" > "$WORK/daemon.yaml"
BASE_SOCKS=$(tcp_objs)
HOST_NAMESPACES=$(count_namespaces)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
RUN_START=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
# ----------------------------------------------------------------- build
# Builds COUNT namespaces of ROWS rows for layout NAME; sets B_ROWS (rows
# built, from the ready files) and B_HOLDERS. Fails if any is not ready in time.
build_layout() { # NAME COUNT ROWS
    local name=$1 count=$2 rows=$3 i ns ready pid limit deadline r pids
    local -a mks_pids=()
    B_ROWS=0 B_HOLDERS=0
    for ((i = 0; i < count; i++)); do
        ns=$PREFIX-$$-$name-$i
        ip netns add "$ns" || { log "cannot create namespace $ns"; return 1; }
        echo "$ns" >> "$WORK/namespaces"
        ip -n "$ns" link set lo up || return 1
        ip netns exec "$ns" "$MKS" -n "$rows" -m "$MIX" -P "$HOLDERS" --ready-file "$WORK/ready.$name.$i" \
            > "$WORK/mksockets.$name.$i.out" 2> "$WORK/mksockets.$name.$i.err" &
        pid=$!
        mks_pids+=("$pid")
        track "$pid"
    done
    limit=$((120 + count * rows / 5000)) # s; 1M rows take ~15 s
    deadline=$((SECONDS + limit))
    for ((i = 0; i < count; i++)); do
        ready=$WORK/ready.$name.$i
        while [[ ! -f "$ready" ]] && alive "${mks_pids[i]}" && ((SECONDS < deadline)); do nap 0.2; done
        if [[ ! -f "$ready" ]]; then
            log "$name: mksockets in namespace $i not ready within ${limit}s: $(tail -n 2 "$WORK/mksockets.$name.$i.err" | tr '\n' ' ')"
            return 1
        fi
        # shellcheck disable=SC1090,SC2153 # MKS_* come from the ready file
        (. "$ready" && echo "$MKS_ROWS ${MKS_PIDS//,/ }") > "$WORK/ready.$name.$i.summary"
        read -r r pids < "$WORK/ready.$name.$i.summary"
        B_ROWS=$((B_ROWS + r))
        for pid in $pids; do track "$pid" && B_HOLDERS=$((B_HOLDERS + 1)); done
    done
    log "$name: $count namespace(s), $B_ROWS rows, $B_HOLDERS holder processes"
}

# ----------------------------------------------------------------- measure
# One run under timeout + GNU time, in the current (sub)shell whose only
# children are these: sets M_RC M_WALL_US M_USER_US M_SYS_US M_RSS_KB.
run_timed() { # OUT cmd...
    local out=$1 tf=$WORK/time u0 s0 t0 t1 l line=""
    shift
    times > "$tf.t0" # no fork between the two `times`: every reaped child is the command's
    t0=$EPOCHREALTIME
    timeout -s KILL "$TMAX" /usr/bin/time -f '%e %U %S %M' -o "$tf" "$@" > "$out" 2> "$out.err"
    M_RC=$?
    t1=$EPOCHREALTIME
    times > "$tf.t1"
    M_WALL_US=$((10#${t1/./} - 10#${t0/./}))
    times_children "$tf.t0"; u0=$CH_USER s0=$CH_SYS
    times_children "$tf.t1"; M_USER_US=$((CH_USER - u0)) M_SYS_US=$((CH_SYS - s0))
    while read -r l; do line=$l; done < "$tf" # GNU time may print a status line first
    M_RSS_KB=$(awk '{print $4 + 0}' <<< "$line")
}
# REPS+1 runs of TAG's command (the first a warm-up); one line per measured
# run in $WORK/raw.tsv: layout rep rc cpu_us user_us sys_us wall_us rss_kb
measure() { # TAG cmd...
    local tag=$1 rep
    shift
    for ((rep = 0; rep <= REPS; rep++)); do
        run_timed "$WORK/out.$tag" "$@"
        if ((rep == 0)) && [[ $tag != null ]]; then log "$tag: warm-up took $(sec "$M_WALL_US") s (exit $M_RC)"; fi
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tag" "$rep" "$M_RC" $((M_USER_US + M_SYS_US)) \
            "$M_USER_US" "$M_SYS_US" "$M_WALL_US" "${M_RSS_KB:-0}" >> "$WORK/raw.tsv"
        if ((M_RC != 0)); then
            log "$tag: failed (exit $M_RC): $(head -n 3 "$WORK/out.$tag.err" | tr '\n' ' ' | cut -c1-300)"
            return 1
        fi
        if [[ $tag != null ]]; then cp "$WORK/out.$tag" "$WORK/report.$tag.json"; fi
    done
    return 0
}
cpu_ns() { # PID: run time of its live threads
    local f n total=0
    for f in /proc/"$1"/task/*/schedstat; do
        { read -r n _ < "$f"; } 2> /dev/null && total=$((total + n))
    done
    echo "$total"
}
samples_done() { # sockwatch_sample_duration_seconds_count of the daemon, "" if unreachable
    curl -s -m 5 "http://127.0.0.1:$PORT/metrics" | awk '$1 == "sockwatch_sample_duration_seconds_count" {print $2 + 0}'
}
# The daemon on the current layout: sets D_CPU_US (per sample), D_HWM_KB,
# D_SAMPLES; returns 1 if it did not come up.
measure_daemon() { # TAG
    local pid i c0 c1 n0 n1
    D_CPU_US="" D_HWM_KB="" D_SAMPLES=0
    "$SW_BIN" --config.file "$WORK/daemon.yaml" --web.listen-address "127.0.0.1:$PORT" \
        > "$WORK/daemon.$1.log" 2>&1 &
    pid=$!
    track "$pid"
    for ((i = 0; i < 300; i++)); do # two samples in
        n0=$(samples_done)
        [[ -n "$n0" ]] && ((n0 >= 2)) && break
        alive "$pid" || break
        nap 0.1
    done
    if ! [[ -n "$n0" ]] || ((n0 < 2)); then
        log "$1: the daemon did not sample: $(tail -n 2 "$WORK/daemon.$1.log" | tr '\n' ' ')"
        stop_tracked TERM 5
        return 1
    fi
    c0=$(cpu_ns "$pid")
    nap $((2 * K))
    c1=$(cpu_ns "$pid")
    n1=$(samples_done)
    D_SAMPLES=$((n1 - n0))
    ((D_SAMPLES > 0)) && D_CPU_US=$(((c1 - c0) / 1000 / D_SAMPLES))
    D_HWM_KB=$(awk '$1 == "VmHWM:" {print $2}' /proc/"$pid"/status)
    kill -TERM "$pid" 2> /dev/null
    wait "$pid" 2> /dev/null
    return 0
}
col() { # TAG COLUMN(4..8): median over the measured runs that succeeded
    awk -F'\t' -v t="$1" -v c="$2" '$1 == t && $2 > 0 && $3 == 0 {print $c}' "$WORK/raw.tsv" | median
}

: > "$WORK/raw.tsv"
: > "$WORK/rows.tsv"
: > "$WORK/daemon.tsv"
log "work: $WORK  sockwatch: $SW_ORIG ($SW_VERSION)  host namespaces now: $HOST_NAMESPACES"
log "harness overhead: \`true\` x $((REPS + 1))"
(measure null true) || exit 1
NULL_CPU=$(col null 4) NULL_WALL=$(col null 7)
for layout in "${LAYOUT_LIST[@]}"; do
    if [[ $layout == spread ]]; then count=$NS_COUNT rows=$ROWS; else count=1 rows=$((NS_COUNT * ROWS)); fi
    label="$count × $rows"
    if ! build_layout "$layout" "$count" "$rows"; then
        printf '%s\t%s\t%s\t%s\t%s\n' "$layout" "$label" "$count" "?" "build failed" >> "$WORK/rows.tsv"
        teardown
        continue
    fi
    nap 2 # let mksockets' holders settle
    log "$layout: sockwatch report --json, $REPS runs after a warm-up"
    ( measure "$layout" "$SW_BIN" report --json --config.file "$WORK/report.yaml" )
    rc=$?
    status=ok
    if ((rc != 0)); then
        status="FAILED: $(head -n 1 "$WORK/out.$layout.err" | cut -c1-160)"
    fi
    d_cpu="" d_hwm="" d_samples=0
    if ((K > 0)); then
        log "$layout: the daemon, $K samples"
        if measure_daemon "$layout"; then
            d_cpu=$D_CPU_US d_hwm=$D_HWM_KB d_samples=$D_SAMPLES
        fi
    fi
    seen_ns=$(json_int netns_sampled "$WORK/report.$layout.json")
    seen_sockets=$(json_int sockets_sampled "$WORK/report.$layout.json")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$layout" "$label" "$count" "$B_ROWS" "$status" \
        "$B_HOLDERS" "${seen_ns:-?}" "${seen_sockets:-?}" "${d_cpu:--}" "${d_hwm:--}" "$d_samples" >> "$WORK/rows.tsv"
    log "$layout: tearing down"
    teardown
    wait_drain
done

# ----------------------------------------------------------------- report
ok_runs() { awk -F'\t' -v t="$1" '$1 == t && $2 > 0 && $3 == 0 {n++} END {print n + 0}' "$WORK/raw.tsv"; }
cell() { # TAG COLUMN: median in s (CPU and wall minus the harness's), "-" without runs
    local v
    (($(ok_runs "$1") > 0)) || { echo "-"; return; }
    v=$(col "$1" "$2")
    case $2 in 4) v=$((v - NULL_CPU)) ;; 7) v=$((v - NULL_WALL)) ;; esac
    ((v < 0)) && v=0
    sec "$v"
}
{
    echo "# sockwatch \`namespaces: all\`: many namespaces vs one"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC') (started $RUN_START)"
    echo "- command: \`${SOCKWATCH_BIN:+SOCKWATCH_BIN=$SOCKWATCH_BIN }$CMDLINE\`"
    echo "- kernel: $(uname -r) ($(uname -m)), $(nproc) CPUs; load average $LOAD_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
    echo "- commit: $(git -C "$REPO" rev-parse --short HEAD 2> /dev/null || echo '(no commit)')$(git -C "$REPO" diff --quiet HEAD 2> /dev/null || echo ' (working tree has uncommitted changes)')"
    echo "- sockwatch: $SW_ORIG, $SW_VERSION; config: \`$(tr '\n' ';' < "$WORK/report.yaml" | sed 's/;$//')\`"
    echo "- tables: mksockets mix $MIX, holders per namespace: $( ((HOLDERS)) && echo "$HOLDERS" || echo "mksockets' choice")"
    echo "- TCP hash of the namespaces: $([[ -n "$EHASH" ]] && echo "their own, net.ipv4.tcp_child_ehash_entries=$EHASH" || echo "net.ipv4.tcp_child_ehash_entries=${ORIG_EHASH:-?} ($([[ "${ORIG_EHASH:-0}" == 0 ]] && echo "the host's, shared" || echo "their own"))")"
    echo "- measured: \`sockwatch report --json\` from the host namespace, one full sample; median of $REPS runs after one warm-up"
    echo
    echo "| layout | namespaces built | rows built | holder processes | namespaces seen | sockets seen | CPU s | user s | sys s | wall s | peak RSS MB | daemon CPU s per sample | daemon VmHWM MB | status |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
    while IFS=$'\t' read -r layout label count built status holders seen_ns seen_sockets d_cpu d_hwm d_samples; do
        rss=$(col "$layout" 8)
        (($(ok_runs "$layout") > 0)) || rss=""
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$count" "$built" \
            "${holders:--}" "${seen_ns:--}" "${seen_sockets:--}" "$(cell "$layout" 4)" "$(cell "$layout" 5)" \
            "$(cell "$layout" 6)" "$(cell "$layout" 7)" "$([[ -n $rss ]] && awk -v k="$rss" 'BEGIN {printf "%.1f", k / 1024}' || echo -)" \
            "$([[ ${d_cpu:--} != - ]] && sec "$d_cpu" || echo -)" "$([[ ${d_hwm:--} != - ]] && awk -v k="$d_hwm" 'BEGIN {printf "%.1f", k / 1024}' || echo -)" "$status"
        echo "$layout ${d_cpu:--} ${d_samples:-0}" >> "$WORK/daemon.tsv"
    done < "$WORK/rows.tsv"
    echo
    spread_cpu=$(col spread 4) single_cpu=$(col single 4) spread_wall=$(col spread 7) single_wall=$(col single 7)
    if (($(ok_runs spread) > 0 && $(ok_runs single) > 0 && single_cpu > NULL_CPU)); then
        awk -v a=$((spread_cpu - NULL_CPU)) -v b=$((single_cpu - NULL_CPU)) -v c=$((spread_wall - NULL_WALL)) -v d=$((single_wall - NULL_WALL)) \
            'BEGIN {printf "Spread ÷ single: CPU %.2f×, wall %.2f×.\n\n", a / b, (d > 0 ? c / d : 0)}'
    fi
    awk '$2 != "-" {cpu[$1] = $2} END {if (cpu["spread"] && cpu["single"]) printf "Daemon, spread ÷ single: CPU per sample %.2f×.\n\n", cpu["spread"] / cpu["single"]}' "$WORK/daemon.tsv" 2> /dev/null
    echo "Notes:"
    echo "- namespaces on the host before the run: $HOST_NAMESPACES (the host's own included); they are sampled too, so \"seen\" is at least the built ones plus those."
    echo "- seen: \`netns_sampled\` and \`sockets_sampled\` of the last run's JSON (\"?\" when the report has no such field)."
    echo "- harness overhead subtracted from CPU and wall: median of \`true\` under the same timeout + GNU time: $(sec "$NULL_CPU") s CPU, $(sec "$NULL_WALL") s wall; user and sys are not corrected."
    echo "- daemon: \`$(tr '\n' ';' < "$WORK/daemon.yaml" | sed 's/;$//')\`, its CPU over $K samples after the first two; samples completed: $(awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $3}' "$WORK/daemon.tsv" 2> /dev/null)."
    echo "- raw runs (µs) in $WORK/raw.tsv; mksockets, report and daemon logs beside it."
} | if [[ -n "$OUT" ]]; then tee "$OUT"; else cat; fi
