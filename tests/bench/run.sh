#!/usr/bin/env bash
# run.sh - what sockwatch costs on a large, real TCP socket table, measured side
# by side with the tools it replaces: `ss -tan` (counting), `ss -tanp` (which
# process holds each socket) and node_exporter's tcpstat collector.  See
# README.md in this directory for what each column means.
#
# For each size N a fresh network namespace sockwatch-bench-<PID> (lo up) gets a
# socket table of N rows built by mksockets (../shared/bench/mksockets.c beside
# the repository, compiled at run time), then, inside that namespace:
#   null        `true` under the same harness (timeout + /usr/bin/time): its CPU
#               and wall are subtracted from ss and sockwatch report
#   ss          `ss -tan > /dev/null`
#   ssp         `ss -tanp > /dev/null` (quadratic in N: skipped above
#               --skip-ssp-above, where the BASELINE.md figure is shown instead)
#   report_off  `sockwatch report --config.file F > /dev/null`, F: `attribution: false`
#               (the counting-only path: one full sample, then exit)
#   report_on   the same with `attribution: true` (the default: /proc/<pid>/fd scan)
#   ne          one curl scrape of node_exporter (tcpstat collector only); CPU is
#               the exporter's, wall is the scrape's
#   sw_off_sample / sw_on_sample  the sockwatch daemon, attribution off / on: CPU
#               per sample over windows of K samples, read in the idle gaps
#               between samples (the interval is raised where a sample would not
#               leave one); peak RSS (VmHWM)
#   sw_off_scrape / sw_on_scrape  the same daemons: CPU of one /metrics scrape
# The CLI tools and node_exporter are run round-robin, one warm-up each, then
# REPS runs; the two daemons run afterwards, one after the other, each alone.
# For each daemon, with mksockets' TIME_WAIT top-up paused, sockwatch_tcp_sockets
# is checked against `ss -tan` per state (and, attribution on, the sockets
# attributed to processes against the rows that have an owner).  With
# --profile-min, the attribution-on report is also run under perf stat, perf
# record and strace -c -f (not timed).
#
# usage: run.sh [options] [N ...]           (default N: 10000 100000 1000000)
#   -r REPS       measured runs per tool after one warm-up (default 5)
#   -k K          samples per daemon CPU window (default 3); REPS windows
#   -i SECONDS    daemon sampling interval (default 2; raised to 1.5 x the matching
#                 report's wall + 0.5 s where that is longer, with K lowered to match)
#   -o FILE       also write the Markdown report to FILE
#   -m MIX        mksockets mix (default est=60,cw=20,cwc=10,tw=10)
#   -6 PCT        share of IPv6 connections in % (default 10)
#   --slow S      a tool whose warm-up takes over S s is measured once (default 20)
#   --tmax S      limit for one run of a tool, integer s (default 600)
#   --skip-ssp-above N  do not run `ss -tanp` for sizes above N (default 500000);
#                 the table shows BASELINE.md's figure for that size, marked ‡
#   --ssp-tmax S  limit for one run of `ss -tanp` (default 900)
#   --profile-min N  profile the attribution-on report at sizes >= N (default:
#                 never): perf stat/record (package linux-perf), strace -c -f
#   --ne-port P / --sw-port P   ports inside the namespace (9100 / 9977)
#   --skip-sockwatch            measure only ss and node_exporter (no binary needed)
#   --no-install                fail instead of apt-get installing missing tools
# environment:
#   SOCKWATCH_BIN      daemon binary (default $REPO/build/sockwatch)
#   SOCKWATCH_ARGS     extra daemon flags;  SOCKWATCH_REPORT_ARGS  extra report flags
#                      (not --config.file: the bench passes its own)
#   MKSOCKETS_SRC      mksockets.c (default $REPO/../shared/bench/mksockets.c)
#   MKSOCKETS_BIN      a ready-built mksockets (then nothing is compiled)
#   SSP_BASELINE       where skipped `ss -tanp` figures come from
#                      (default $REPO/../shared/bench/BASELINE.md)
#   NODE_EXPORTER_BIN  default /usr/bin/prometheus-node-exporter
#   BENCH_WORKDIR      where raw data and logs go (default: a new /tmp/sockwatch-bench.*)
# Needs root.  The Markdown report goes to stdout, progress to stderr.
# shellcheck disable=SC2153 # B_* settings come from the environment, MKS_* from the ready file
set -uo pipefail
export LC_ALL=C

SELF=$(readlink -f "$0")
HERE=$(dirname "$SELF")

# ================================================================= shared helpers
log() { echo "[$(date +%T)] $*" >&2; }
# integer microseconds of the realtime clock, without forking
now_us() { local t=$EPOCHREALTIME; REPLY=$((10#${t/./})); }
# interruptible sleep: a trapped signal ends `wait` at once
NAP_PID=""
nap() { sleep "$1" & NAP_PID=$!; wait "$NAP_PID" 2> /dev/null; NAP_PID=""; }
sleep_until_us() { # absolute target in µs
    now_us
    local d=$(($1 - REPLY)) s
    ((d > 0)) || return 0
    printf -v s '%d.%06d' $((d / 1000000)) $((d % 1000000))
    nap "$s"
}
# CPU of a running process, read without disturbing it:
#   CPU_NS     sum of /proc/PID/task/*/schedstat run time (ns; live threads only)
#   CPU_TICKS  utime+stime of /proc/PID/stat (clock ticks; includes exited threads)
#   CPU_UT / CPU_ST  the same, utime and stime apart
cpu_read() {
    local f v s=0 line
    local -a a
    for f in /proc/"$1"/task/*/schedstat; do
        { read -r v _ < "$f"; } 2> /dev/null && s=$((s + v))
    done
    CPU_NS=$s
    { read -r line < /proc/"$1"/stat; } 2> /dev/null || return 1
    read -ra a <<< "${line##*) }" # a[0] is field 3 (state): utime is field 14, stime 15
    CPU_UT=${a[11]} CPU_ST=${a[12]} CPU_TICKS=$((a[11] + a[12]))
}
# CPU between two cpu_read results, in µs: the schedstat figure (ns resolution)
# when it agrees with utime+stime within two ticks + 2%, else utime+stime (a
# thread exited in between); CPU_SRC says which ("s" or "t")
cpu_delta() { # ns0 ticks0 ns1 ticks1
    local sched=$((($3 - $1) / 1000)) stat=$((($4 - $2) * 1000000 / CLK_TCK))
    local diff=$((sched - stat)) slack=$((2 * 1000000 / CLK_TCK + stat / 50))
    ((diff < 0)) && diff=$((-diff))
    if ((diff <= slack)); then CPU_US=$sched CPU_SRC=s; else CPU_US=$stat CPU_SRC=t; fi
}
hwm_kb() { awk '/^VmHWM:/ {print $2; f = 1} END {if (!f) print 0}' /proc/"$1"/status 2> /dev/null || echo 0; }
proc_start() { # start time (field 22) of PID, to tell a process from a later one with the same PID
    local line
    local -a a
    { read -r line < /proc/"$1"/stat; } 2> /dev/null || return 1
    read -ra a <<< "${line##*) }"
    echo "${a[19]}"
}
alive() { # PID [START]: running (not a zombie) and, if START is given, the same process
    local line st
    { read -r line < /proc/"$1"/stat; } 2> /dev/null || return 1
    st=${line##*) }
    [[ ${st:0:1} != Z ]] || return 1
    [[ -z "${2:-}" ]] || [[ "$(proc_start "$1")" == "$2" ]]
}
track() { # NAME PID: remember a process we started (pid + start time) for cleanup
    local st
    st=$(proc_start "$2") || return 0
    echo "$2 $st" >> "$WORK/pids/$1"
}
stop_tracked() { # NAME [SIGNAL] [WAIT_S]: stop every process recorded under NAME, by PID
    local f=$WORK/pids/$1 sig=${2:-TERM} w=${3:-15} pid st i
    [[ -f "$f" ]] || return 0
    while read -r pid st; do
        alive "$pid" "$st" || continue
        kill -"$sig" "$pid" 2> /dev/null
        for ((i = 0; i < w * 10 && i < 3000; i++)); do alive "$pid" "$st" || break; sleep 0.1; done
        alive "$pid" "$st" && kill -KILL "$pid" 2> /dev/null
    done < "$f"
    rm -f "$f"
}
# "XmY.ZZZs" of bash `times` -> µs
tm_us() {
    local t=$1 m s i f
    m=${t%%m*} s=${t#*m} s=${s%s} i=${s%.*} f=${s#*.}000000
    REPLY=$((10#$m * 60000000 + 10#$i * 1000000 + 10#${f:0:6}))
}
times_us() { # FILE written by `times`: user+sys CPU of all reaped children (µs)
    local u s x
    { read -r _ _ && read -r u s; } < "$1"
    tm_us "$u"; x=$REPLY
    tm_us "$s"; REPLY=$((x + REPLY))
}

# ================================================================= inner mode
# Runs inside the namespace: ip netns exec NS bash run.sh __inner (settings in B_* env)
inner_cleanup() {
    trap - EXIT INT TERM
    [[ -n "$NAP_PID" ]] && kill "$NAP_PID" 2> /dev/null
    stop_tracked ne
    stop_tracked sw
}

emit() { # tool rep cpu_us wall_us rss_kb src extra
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$N" "$@" >> "$RAW"
}

# one run of a command under timeout (RT_TMAX, else B_TMAX s) + /usr/bin/time;
# sets M_CPU_US M_WALL_US M_RSS_KB M_TIME M_RC
run_timed() { # TAG OUTFILE cmd...
    local tf=$WORK/time.$1 out=$2 t0 t1 c0 e u s m
    shift 2
    # no forks between the two `times`: every reaped child is charged to the command
    times > "$tf.t0"
    t0=$EPOCHREALTIME
    timeout -s KILL "${RT_TMAX:-$B_TMAX}" /usr/bin/time -f '%e %U %S %M' -o "$tf" "$@" > "$out" 2> "$tf.err"
    M_RC=$?
    t1=$EPOCHREALTIME
    times > "$tf.t1"
    M_WALL_US=$((10#${t1/./} - 10#${t0/./}))
    times_us "$tf.t0"; c0=$REPLY
    times_us "$tf.t1"; M_CPU_US=$((REPLY - c0))
    # GNU time puts "Command exited with non-zero status" before the format line
    local l line=""
    while read -r l; do line=$l; done < "$tf"
    read -r e u s m <<< "$line"
    M_RSS_KB=${m:-0}
    M_TIME="time:e=${e:-?},u=${u:-?},s=${s:-?}"
}

# node_exporter: one scrape, the exporter's CPU; sets M_* like run_timed
scrape_ne() { # OUTFILE
    local n0 k0 u0 s0 t0 t1
    cpu_read "$NE_PID"; n0=$CPU_NS k0=$CPU_TICKS u0=$CPU_UT s0=$CPU_ST
    t0=$EPOCHREALTIME
    curl -sS -m "$B_TMAX" -o "$1" "http://127.0.0.1:$B_NE_PORT/metrics" 2>> "$WORK/curl.err"
    M_RC=$?
    ((M_RC == 28)) && M_RC=124 # curl's own time limit
    t1=$EPOCHREALTIME
    cpu_read "$NE_PID"
    M_WALL_US=$((10#${t1/./} - 10#${t0/./}))
    cpu_delta "$n0" "$k0" "$CPU_NS" "$CPU_TICKS"
    M_CPU_US=$CPU_US
    M_RSS_KB=$(hwm_kb "$NE_PID")
    M_TIME="ticks=$((CPU_TICKS - k0)),us=$(((CPU_UT - u0) * 1000000 / CLK_TCK))/$(((CPU_ST - s0) * 1000000 / CLK_TCK))"
}

# until the server answers at all (any HTTP status).  Probe "/", never /metrics:
# a node_exporter scrape of a big table outlasts the probe's time limit, and
# abandoned scrapes keep running and pile up.
wait_http() { # HOST:PORT TRIES (0.2 s apart)
    local i
    for ((i = 0; i < $2; i++)); do
        curl -s -m 2 -o /dev/null "http://$1/" && return 0
        nap 0.2
    done
    return 1
}

# the daemon's /metrics: SW_COUNT / SW_SUM of sockwatch_sample_duration_seconds,
# SW_TS_US = sockwatch_last_sample_timestamp_seconds in µs (0 if absent)
sw_poll() {
    curl -sS -m 10 -o "$SW_BODY" "$SW_URL" 2>> "$WORK/curl.err" || return 1
    read -r SW_COUNT SW_SUM SW_TS_US < <(awk '
        $1 ~ /^sockwatch_sample_duration_seconds_count([{]|$)/ {c += $NF; f = 1}
        $1 ~ /^sockwatch_sample_duration_seconds_sum([{]|$)/ {s += $NF}
        $1 ~ /^sockwatch_last_sample_timestamp_seconds([{]|$)/ && $NF > ts {ts = $NF}
        END {printf "%.0f %.9f %.0f\n", (f ? c : -1), s, ts * 1e6}' "$SW_BODY")
}
# poll /metrics until the sample count reaches TARGET; E_US = when that was seen
wait_samples() { # TARGET MAX_SECONDS
    local deadline i
    now_us; deadline=$((REPLY + $2 * 1000000))
    for ((i = 0; i < $2 * 20 + 20; i++)); do
        if sw_poll && ((SW_COUNT >= $1)); then now_us; E_US=$REPLY; return 0; fi
        now_us; ((REPLY > deadline)) && break
        nap "$B_POLL"
    done
    log "N=$N: sockwatch did not reach $1 samples within $2 s (last count ${SW_COUNT:-?}; -1 = metric missing)"
    return 1
}

# `ss -tanp` at N from BASELINE.md (runs, wall s, CPU s, RSS MB), for a size
# where it is not run; empty if BASELINE.md has no such row
ssp_baseline() {
    [[ -f "$B_SSP_BASELINE" ]] || return 0
    awk -v n="$N" '
        index($0, "| " n " | `ss -tanp \\| wc -l` |") == 1 {
            rest = substr($0, length("| " n " | `ss -tanp \\| wc -l` |") + 1)
            split(rest, f, "|"); for (i = 1; i <= 4; i++) gsub(/ /, "", f[i])
            print f[1], f[2], f[3], f[4]; exit
        }' "$B_SSP_BASELINE"
}

measure_tools() {
    local tools="null ss ssp ne" tool rep want out slow
    [[ -n "$B_SW_BIN" ]] && tools="null ss ssp report_off report_on ne"
    declare -A WANT=()
    for tool in $tools; do WANT[$tool]=$B_REPS; done
    if ((N > B_SKIP_SSP_ABOVE)); then # quadratic: ~560 s of CPU at 1M rows
        local bl b_runs b_wall b_cpu b_rss
        bl=$(ssp_baseline)
        read -r b_runs b_wall b_cpu b_rss <<< "$bl"
        if [[ "${b_cpu:-}" =~ ^[0-9.]+$ && "${b_wall:-}" =~ ^[0-9.]+$ ]]; then
            log "N=$N: ss -tanp skipped (N > $B_SKIP_SSP_ABOVE); BASELINE.md: ${b_cpu} s CPU, ${b_wall} s wall, ${b_rss} MB (${b_runs} run)"
            emit ssp 1 "$(awk -v x="$b_cpu" 'BEGIN {printf "%.0f", x * 1e6}')" "$(awk -v x="$b_wall" 'BEGIN {printf "%.0f", x * 1e6}')" \
                "$(awk -v x="$b_rss" 'BEGIN {printf "%.0f", x * 1024}')" B "BASELINE(runs=$b_runs)"
        else
            log "N=$N: ss -tanp skipped (N > $B_SKIP_SSP_ABOVE); no figure for N=$N in $B_SSP_BASELINE"
            emit ssp 1 0 0 0 - "SKIPPED"
        fi
        WANT[ssp]=-1
    fi
    local -a report_args=()
    read -ra report_args <<< "${SOCKWATCH_REPORT_ARGS:-}"
    printf 'attribution: false\n' > "$WORK/report-off.yaml"
    printf 'attribution: true\n' > "$WORK/report-on.yaml"
    for ((rep = 0; rep <= B_REPS; rep++)); do # rep 0: warm-up, not counted
        for tool in $tools; do
            ((rep <= WANT[$tool])) || continue
            out=$WORK/out.$N.$tool
            case $tool in
            null) run_timed "$tool" "$out" true ;;
            ss) run_timed "$tool" "$out" ss -tan ;;
            ssp) RT_TMAX=$B_SSP_TMAX run_timed "$tool" "$out" ss -tanp ;;
            report_off | report_on)
                run_timed "$tool" "$out" "$B_SW_BIN" report --config.file "$WORK/${tool/_/-}.yaml" "${report_args[@]}" ;;
            ne) scrape_ne "$out" ;;
            esac
            if ((M_RC == 124 || M_RC == 137)); then
                log "N=$N: $tool TIMEOUT (> $( [[ $tool == ssp ]] && echo "$B_SSP_TMAX" || echo "$B_TMAX") s); not measured"
                emit "$tool" 1 0 0 0 - "TIMEOUT"
                WANT[$tool]=-1
                continue
            elif ((M_RC != 0)); then
                log "N=$N: $tool failed (exit $M_RC): $(tail -n 3 "$WORK/time.$tool.err" "$WORK/curl.err" 2> /dev/null | tr '\n' ' ' | cut -c1-300)"
                emit "$tool" "$rep" 0 0 0 - "FAILED(rc=$M_RC)"
                WANT[$tool]=-1
                continue
            fi
            want=$rep
            if ((rep == 0)); then
                slow=$((M_WALL_US > B_SLOW * 1000000))
                if ((slow)); then # a slow tool: its warm-up is its one measurement
                    log "N=$N: $tool took $((M_WALL_US / 1000)) ms: measured once"
                    WANT[$tool]=1 want=1
                fi
                [[ $tool == ne ]] && NE_ROWS=$(awk '$1 ~ /^node_tcp_connection_states/ && $0 !~ /queued/ {s += $NF} END {printf "%.0f", s}' "$out")
                [[ $tool == report_* ]] && cp "$out" "$WORK/$tool.$N.txt"
            fi
            local src=r
            [[ $tool == ne ]] && src=$CPU_SRC
            emit "$tool" "$want" "$M_CPU_US" "$M_WALL_US" "$M_RSS_KB" "$src" "$M_TIME"
            ((WANT[$tool] == 1 && want == 1)) && WANT[$tool]=0
        done
    done
}

# self time by DSO and by symbol, and the time spent under each syscall (the
# kernel's handlers: __x64_sys_*, and __sys_* where the wrapper is inlined)
perf_summary() { # perf.data
    echo "== by DSO (self)"
    perf report -i "$1" --stdio --no-children --sort dso -g none 2> /dev/null | grep -v '^#' | grep -v '^$' | head -n 8
    echo "== by symbol (self)"
    perf report -i "$1" --stdio --no-children --sort dso,sym -g none --percent-limit 0.5 2> /dev/null |
        grep -v '^#' | grep -v '^$' | head -n 30
    echo "== time under each syscall (children; the first line: all syscalls)"
    perf report -i "$1" --stdio --children --sort sym -g none --percent-limit 0.5 2> /dev/null |
        grep -E '\[k\] (entry_SYSCALL_64_after_hwframe|__x64_sys_[a-z0-9_]+|__do_sys_[a-z0-9_]+|__sys_[a-z0-9_]+|do_group_exit|exc_page_fault)$' |
        awk '{n = $4; sub(/^__(x64_sys|do_sys|sys)_/, "", n)} !seen[n]++' | head -n 15
}

# The attribution-on report under perf stat, perf record and strace -c -f (each
# once; these runs are not timed).  Outputs: profile.N.{perfstat,perf.txt,strace}
profile_report() {
    local mode
    local -a cmd=("$B_SW_BIN" report --config.file "$WORK/report-on.yaml")
    local -a report_args=()
    read -ra report_args <<< "${SOCKWATCH_REPORT_ARGS:-}"
    cmd+=("${report_args[@]}")
    if command -v perf > /dev/null; then
        log "N=$N: profiling sockwatch report (attribution on): perf stat"
        for mode in off on; do
            timeout -s KILL "$B_TMAX" perf stat -e task-clock,context-switches,cpu-migrations,page-faults \
                -o "$WORK/profile.$N.perfstat.$mode" \
                "$B_SW_BIN" report --config.file "$WORK/report-$mode.yaml" "${report_args[@]}" > /dev/null 2>> "$WORK/profile.$N.err"
        done
        log "N=$N: perf record"
        timeout -s KILL "$B_TMAX" perf record -q -F 997 -g -o "$WORK/profile.$N.perf.data" "${cmd[@]}" > /dev/null 2>> "$WORK/profile.$N.err"
        perf_summary "$WORK/profile.$N.perf.data" > "$WORK/profile.$N.perf.txt"
    else
        log "N=$N: perf not found (apt-get install linux-perf): no perf profile"
    fi
    if command -v strace > /dev/null; then
        log "N=$N: strace -c -f"
        timeout -s KILL "$B_TMAX" strace -c -f -S time -o "$WORK/profile.$N.strace" "${cmd[@]}" > /dev/null 2>> "$WORK/profile.$N.err"
    else
        log "N=$N: strace not found: no syscall profile"
    fi
}

median() { sort -n | awk '{a[NR] = $1} END {printf "%.0f", NR ? a[int((NR + 1) / 2)] : 0}'; } # of numbers on stdin (0 if none)

measure_daemon() { # MODE: off | on (attribution)
    local mode=$1 port=$B_SW_PORT w i n0 k0 u0 s0 t0 t1 d_us target cnt cpu scrape_us rss attempt c_before ts rw k
    local -a ns=() tk=() ut=() st=() cs=() sums=() extra=() sc_cpu=() sc_wall=() sc_src=() sc_note=()
    SW_URL=http://127.0.0.1:$port/metrics SW_BODY=$WORK/sw.body
    # A sample must fit in the interval with room to spare: the daemon's CPU is
    # read in the idle gap between two samples.  Where 1.5 x the wall time of
    # `sockwatch report` + 0.5 s exceeds the interval, the interval is raised to
    # that (whole seconds), and K lowered so that a window still lasts about K x
    # the asked interval.
    SW_INTERVAL=$B_INTERVAL
    rw=$(awk -F'\t' -v n="$N" -v t="report_$mode" '$1 == n && $2 == t && $3 > 0 && $5 > 0 {print $5}' "$RAW" | median)
    i=$(((3 * rw / 2 + 500000 + 999999) / 1000000))
    ((i > SW_INTERVAL)) && SW_INTERVAL=$i
    k=$(((B_K * B_INTERVAL + SW_INTERVAL / 2) / SW_INTERVAL))
    ((k < 1)) && k=1
    local p_us=$((SW_INTERVAL * 1000000)) slack=$((SW_INTERVAL * 3 + 60))
    log "N=$N: sockwatch daemon, attribution $mode, interval ${SW_INTERVAL}s; $B_REPS windows of $k samples"

    printf 'interval: %ss\nattribution: %s\n' "$SW_INTERVAL" "$([[ $mode == on ]] && echo true || echo false)" \
        > "$WORK/sockwatch-$mode.yaml"
    read -ra extra <<< "${SOCKWATCH_ARGS:-}"
    "$B_SW_BIN" --config.file "$WORK/sockwatch-$mode.yaml" --web.listen-address "127.0.0.1:$port" "${extra[@]}" \
        > "$WORK/sockwatch.$N.$mode.log" 2>&1 &
    SW_PID=$!
    track sw "$SW_PID"
    if ! wait_http "127.0.0.1:$port" 300; then
        log "N=$N: sockwatch daemon did not answer on 127.0.0.1:$port: $(tail -n 3 "$WORK/sockwatch.$N.$mode.log" | tr '\n' ' ' | cut -c1-300)"
        return 1
    fi
    # warm-up: the first sample is not counted
    wait_samples 1 "$slack" || return 1
    d_us=$(awk -v s="$SW_SUM" -v c="$SW_COUNT" 'BEGIN {printf "%.0f", s / c * 1e6}')
    ts=$SW_TS_US
    ((ts > 0)) || ts=$((E_US - d_us)) # no timestamp metric: about when it started
    # Window boundaries: the middle of the idle gap after a sample (start ts +
    # (P + D) / 2), K samples apart.  At each one: read the CPU, then one scrape
    # for the sample count and the latest start time, from which the next
    # boundary is placed (no drift).  A window's CPU, minus that one scrape, is
    # divided by the samples completed in it (K unless the timing slipped).
    target=$((ts + (p_us + d_us) / 2))
    for ((w = 0; w <= B_REPS; w++)); do
        sleep_until_us "$target"
        cpu_read "$SW_PID" || return 1
        ns[w]=$CPU_NS tk[w]=$CPU_TICKS ut[w]=$CPU_UT st[w]=$CPU_ST
        sw_poll || return 1
        cs[w]=$SW_COUNT sums[w]=$SW_SUM
        if ((w > 0 && cs[w] > cs[w - 1])); then
            d_us=$(awk -v a="${sums[w - 1]}" -v b="${sums[w]}" -v n=$((cs[w] - cs[w - 1])) 'BEGIN {printf "%.0f", (b - a) / n * 1e6}')
        fi
        ((SW_TS_US > 0)) && ts=$SW_TS_US || ts=$((ts + k * p_us))
        target=$((ts + k * p_us + (p_us + d_us) / 2))
    done
    # scrape cost: REPS+1 scrapes (the first a warm-up) back to back, right after
    # a sample completed, in the idle gap; redone if a sample completed meanwhile
    for ((attempt = 1; attempt <= 3; attempt++)); do
        wait_samples $((SW_COUNT + 1)) "$slack" || return 1
        c_before=$SW_COUNT
        for ((i = 0; i <= B_REPS; i++)); do
            cpu_read "$SW_PID"; n0=$CPU_NS k0=$CPU_TICKS u0=$CPU_UT s0=$CPU_ST
            t0=$EPOCHREALTIME
            curl -sS -m 30 -o "$WORK/sw.scrape" "$SW_URL" 2>> "$WORK/curl.err" || return 1
            t1=$EPOCHREALTIME
            cpu_read "$SW_PID"
            cpu_delta "$n0" "$k0" "$CPU_NS" "$CPU_TICKS"
            sc_cpu[i]=$CPU_US sc_src[i]=$CPU_SRC sc_wall[i]=$((10#${t1/./} - 10#${t0/./}))
            sc_note[i]="series=$(grep -vc '^#' "$WORK/sw.scrape"),bytes=$(wc -c < "$WORK/sw.scrape"),us=$(((CPU_UT - u0) * 1000000 / CLK_TCK))/$(((CPU_ST - s0) * 1000000 / CLK_TCK))"
        done
        sw_poll || return 1
        ((SW_COUNT == c_before)) && break
        log "N=$N: a sample completed during the scrape measurements; again"
    done
    for ((i = 0; i <= B_REPS; i++)); do
        emit "sw_${mode}_scrape" "$i" "${sc_cpu[i]}" "${sc_wall[i]}" 0 "${sc_src[i]}" "${sc_note[i]}"
    done
    scrape_us=$(printf '%s\n' "${sc_cpu[@]:1}" | median)
    rss=$(hwm_kb "$SW_PID")
    for ((w = 0; w < B_REPS; w++)); do
        cnt=$((cs[w + 1] - cs[w]))
        if ((cnt <= 0)); then
            log "N=$N: no sample completed in CPU window $((w + 1)); skipped"
            continue
        fi
        cpu_delta "${ns[w]}" "${tk[w]}" "${ns[w + 1]}" "${tk[w + 1]}"
        cpu=$(((CPU_US - scrape_us) / cnt))
        d_us=$(awk -v a="${sums[w]}" -v b="${sums[w + 1]}" -v n="$cnt" 'BEGIN {printf "%.0f", (b - a) / n * 1e6}')
        emit "sw_${mode}_sample" $((w + 1)) "$cpu" "$d_us" "$rss" "$CPU_SRC" \
            "samples=$cnt/$k,interval=$SW_INTERVAL,us=$(((ut[w + 1] - ut[w]) * 1000000 / CLK_TCK / cnt))/$(((st[w + 1] - st[w]) * 1000000 / CLK_TCK / cnt))"
    done
    ((cs[B_REPS] - cs[0] == B_REPS * k)) ||
        log "N=$N: note: $((cs[B_REPS] - cs[0])) samples completed in the CPU windows, $((B_REPS * k)) planned (CPU is divided by the real count)"
    return 0
}

# sockwatch_tcp_sockets vs `ss -tan`, per state, with mksockets' TIME_WAIT top-up
# paused; attribution on: sockets attributed to a process (sum of
# sockwatch_process_tcp_sockets but process="unknown") vs the rows of `ss -tan`
# but TIME_WAIT (every other row of the table is held by a holder's fd), and
# each holder's (mks_h<i>) CLOSE_WAIT count vs what mksockets made it hold
check_agreement() { # MODE
    local mode=$1 c0 s0 e t_ss1 d_us res next p_us=$((SW_INTERVAL * 1000000))
    # TIME_WAIT rows expire while the top-up is paused: pause it 1.5 s (for
    # top-up connections in flight to settle) before the next sample starts
    sw_poll || return 1
    if ((SW_TS_US > 0)); then
        next=$((SW_TS_US + p_us))
        now_us
        while ((next < REPLY + 2000000)); do next=$((next + p_us)); done
        sleep_until_us $((next - 1500000))
    fi
    kill -USR1 "$MKS_PARENT_PID" 2> /dev/null || log "N=$N: cannot pause mksockets' TIME_WAIT top-up"
    ((SW_TS_US > 0)) || nap 1.5
    sw_poll || { kill -USR2 "$MKS_PARENT_PID"; return 1; }
    c0=$SW_COUNT s0=$SW_SUM
    wait_samples $((c0 + 1)) $((SW_INTERVAL * 3 + 60)) || { kill -USR2 "$MKS_PARENT_PID"; return 1; }
    e=$E_US
    cp "$SW_BODY" "$WORK/check.$N.$mode.metrics"
    ss -tanH > "$WORK/check.$N.$mode.ss"
    t_ss1=$EPOCHREALTIME
    kill -USR2 "$MKS_PARENT_PID" 2> /dev/null
    d_us=$(awk -v a="$s0" -v b="$SW_SUM" -v n=$((SW_COUNT - c0)) 'BEGIN {printf "%.0f", ((n > 0) ? (b - a) / n * 1e6 : 0)}')
    # TIME_WAIT rows expire (about MKS_TIME_WAIT/60 per s while the top-up is
    # paused) between the sample's dump and the end of ss; other states are
    # stable but for the few connections of our own scrapes
    res=$(awk -v N="$N" -v mode="$mode" -v cwpp="$MKS_CW_PER_PID" -v tw="$MKS_TIME_WAIT" -v from=$((e - d_us - B_POLL_US)) -v to=$((10#${t_ss1/./})) '
        BEGIN {
            split("ESTAB established SYN-SENT syn_sent SYN-RECV syn_recv FIN-WAIT-1 fin_wait1 FIN-WAIT-2 fin_wait2 " \
                  "TIME-WAIT time_wait UNCONN close CLOSE-WAIT close_wait LAST-ACK last_ack LISTEN listen CLOSING closing", a, " ")
            for (i = 1; i < 22; i += 2) m[a[i]] = a[i + 1]
        }
        FNR == NR {
            if ($1 ~ /^sockwatch_tcp_sockets([{]|$)/ && match($0, /state="[^"]*"/)) {
                st = substr($0, RSTART + 7, RLENGTH - 8); sw[st] += $NF; swt += $NF; seen[st] = 1
            }
            if ($1 ~ /^sockwatch_sockets_sampled([{]|$)/) sampled += $NF
            if ($1 ~ /^sockwatch_sample_errors_total([{]|$)/) errors += $NF
            if ($1 ~ /^sockwatch_attribution_unreadable_processes([{]|$)/) unreadable += $NF
            if ($1 ~ /^sockwatch_process_tcp_sockets[{]/ && match($0, /process="[^"]*"/)) {
                pr = substr($0, RSTART + 9, RLENGTH - 10); havep = 1
                match($0, /state="[^"]*"/); st = substr($0, RSTART + 7, RLENGTH - 8)
                if (pr == "unknown") { if (st != "time_wait") unk += $NF }
                else attributed += $NF
                if (pr ~ /^mks_h[0-9]+$/ && st == "close_wait") hcw[substr(pr, 6) + 0] = $NF
            }
            next
        }
        { st = ($1 in m) ? m[$1] : tolower($1); ss[st]++; sst++; seen[st] = 1; if (st != "time_wait") held++ }
        END {
            twtol = int(tw / 60 * (to - from) / 1e6 * 1.25) + 16
            tol = twtol + 8; ok = 1; det = ""
            for (st in seen) {
                d = sw[st] - ss[st]; t = (st == "time_wait") ? twtol : 4
                if (d > t || -d > t) { ok = 0; det = det " " st ":sw=" sw[st] + 0 ",ss=" ss[st] + 0 "!" }
                else if (d != 0) det = det " " st ":" (d > 0 ? "+" : "") d
            }
            d = swt - sst
            if (d > tol || -d > tol) ok = 0
            attr = "—"
            if (mode == "on") {
                # holders: mks_h<i> is the i-th pid of MKS_CW_PER_PID (pid:close_wait,...)
                nh = split(cwpp, hp, ","); shown = exact = 0
                for (i = 1; i <= nh; i++) {
                    split(hp[i], x, ":")
                    if ((i - 1) in hcw) { shown++; if (hcw[i - 1] == x[2]) exact++ }
                }
                da = attributed - held
                aok = havep && (da <= 8 && -da <= 8) && unk <= 8 && exact == shown && shown > 0
                attr = sprintf("%s: %d attributed, %d rows but TIME_WAIT in ss (%+d); unknown outside TIME_WAIT %d; holders CLOSE_WAIT exact %d/%d shown (%d holders); unreadable processes %d",
                    (aok ? "OK" : "MISMATCH"), attributed, held, da, unk, exact, shown, nh, unreadable)
            }
            printf "%s\t%s\t%d\t%d\t%+d\t%d\t%s\t%s\t%d\t%d\t%s\n", N, mode, sst, swt, d, tol, (ok ? "OK" : "MISMATCH"),
                ((det == "") ? "-" : substr(det, 2)), sampled, errors, attr
        }' "$WORK/check.$N.$mode.metrics" "$WORK/check.$N.$mode.ss")
    echo "$res" >> "$WORK/check.tsv"
    log "N=$N: agreement (N attribution ss sockwatch diff tolerance result per-state sampled errors attribution): $res"
}

inner_main() {
    N=$B_N WORK=$B_WORK RAW=$WORK/raw.tsv B_POLL_US=$(awk -v p="$B_POLL" 'BEGIN {printf "%.0f", p * 1e6}')
    CLK_TCK=$(getconf CLK_TCK)
    NE_PID="" SW_PID="" NE_ROWS=""
    trap inner_cleanup EXIT
    trap 'exit 143' TERM
    trap 'exit 130' INT
    # shellcheck disable=SC1090
    . "$B_READY"

    "$B_NE_BIN" --collector.disable-defaults --collector.tcpstat --web.disable-exporter-metrics \
        --web.listen-address="127.0.0.1:$B_NE_PORT" > "$WORK/node_exporter.$N.log" 2>&1 &
    NE_PID=$!
    track ne "$NE_PID"
    wait_http "127.0.0.1:$B_NE_PORT" 100 || { log "N=$N: node_exporter did not start"; exit 1; }

    local rows np=0 nf d mode
    rows=$(ss -tanH | wc -l)
    # what the /proc scans (sockwatch attribution, ss -p) walk: every process of
    # the host (the namespace has its own network, not its own PIDs)
    for d in /proc/[0-9]*; do np=$((np + 1)); done
    nf=$(find /proc/[0-9]*/fd -mindepth 1 -maxdepth 1 2> /dev/null | wc -l)
    printf '%s\t%s\n' "$N" "/proc at the start: $np processes, $nf fds" >> "$WORK/info.tsv"
    log "N=$N: ss -tan lists $rows rows (+1 header); /proc: $np processes, $nf fds; measuring ss, ss -tanp, ${B_SW_BIN:+sockwatch report (attribution off, on), }node_exporter: 1 warm-up + $B_REPS runs each"
    measure_tools
    emit rows 0 0 0 0 - "ss=$rows,node_exporter=${NE_ROWS:-?}"
    stop_tracked ne
    NE_PID=""

    [[ -n "$B_SW_BIN" ]] || exit 0
    ((B_PROFILE_MIN > 0 && N >= B_PROFILE_MIN)) && profile_report
    for mode in off on; do
        if measure_daemon "$mode"; then
            check_agreement "$mode" || log "N=$N: agreement check (attribution $mode) failed to run"
        else
            log "N=$N: sockwatch daemon measurement (attribution $mode) failed; see $WORK/sockwatch.$N.$mode.log"
        fi
        stop_tracked sw
        SW_PID=""
    done
    exit 0
}

if [[ "${1:-}" == "__inner" ]]; then
    inner_main # exits
fi

# ================================================================= summary
# raw.tsv: N tool rep cpu_us wall_us rss_kb cpu_src extra  ->  Markdown
summarize() {
    awk -F'\t' -v reps="$REPS" '
    function med(s,   n, a, i, j, t) {
        n = split(s, a, " "); if (n == 0) return -1
        for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function r(a, b,   x) {
        if (a < 0 || b <= 0) return ""
        x = a / b
        return sprintf(x >= 10 ? "%.1f" : (x >= 0.1 ? "%.2f" : (x >= 0.01 ? "%.3f" : "%.4f")), x)
    }
    function sec(us) { return us >= 0 ? sprintf("%.4f", us / 1e6) : "" }
    function mb(kb) { return kb > 0 ? sprintf("%.1f", kb / 1024) : "" }
    FNR == NR { if (FNR > 1) { t = ($1 in note) ? note[$1] "; " $2 : $2; note[$1] = t }; next }  # info.tsv: N  text
    !($1 in seenN) { seenN[$1] = 1; ns[++nn] = $1 }
    $2 == "rows" { split($8, x, /[=,]/); rows[$1] = x[2]; next }
    $8 ~ /^(TIMEOUT|FAILED|SKIPPED)/ { bad[$1, $2] = $8; next }
    $3 == 0 { next }                                          # warm-ups
    {
        k = $1 SUBSEP $2
        C[k] = C[k] " " $4; W[k] = W[k] " " $5; R[k] = R[k] " " $6; cnt[k]++
        if ($6 > RX[k]) RX[k] = $6
        if ($7 == "t") tick[k] = 1
        if ($7 == "B") { base[k] = 1; split($8, x, /[=)]/); bruns[k] = x[2] }
        # user and sys: GNU time (s, 10 ms) for the CLI tools, us=U/S (µs, from ticks) otherwise
        if ($8 ~ /^time:/) {
            if (match($8, /,u=[0-9.]+/)) U[k] = U[k] " " substr($8, RSTART + 3, RLENGTH - 3) * 1e6
            if (match($8, /,s=[0-9.]+/)) S[k] = S[k] " " substr($8, RSTART + 3, RLENGTH - 3) * 1e6
        } else if (match($8, /us=[0-9]+\/[0-9]+/)) {
            split(substr($8, RSTART + 3, RLENGTH - 3), x, "/"); U[k] = U[k] " " x[1]; S[k] = S[k] " " x[2]
        }
        if ($2 ~ /^sw_.*_scrape$/) { split($8, x, /[=,]/); series[$1, $2] = x[2] }
        if ($2 ~ /^sw_.*_sample$/) { split($8, x, /[=,\/]/); got[$1, $2] += x[2]; want[$1, $2] += x[3]; ival[$1, $2] = x[5] }
    }
    END {
        print "| N | rows (ss) | tool | runs | CPU s | user / sys s | wall s | peak RSS MB | CPU ÷ `ss -tan` | CPU ÷ `ss -tanp` | CPU ÷ node_exporter | RSS ÷ node_exporter |"
        print "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        no = split("ss ssp ne report_off report_on sw_off_sample sw_on_sample sw_off_scrape sw_on_scrape", order, " ")
        name["ss"] = "`ss -tan > /dev/null`"
        name["ssp"] = "`ss -tanp > /dev/null`"
        name["ne"] = "node_exporter tcpstat, per scrape"
        name["report_off"] = "`sockwatch report`, attribution off"
        name["report_on"] = "`sockwatch report`, attribution on"
        name["sw_off_sample"] = "sockwatch daemon, attribution off, per sample"
        name["sw_on_sample"] = "sockwatch daemon, attribution on, per sample"
        name["sw_off_scrape"] = "sockwatch daemon, attribution off, per /metrics scrape"
        name["sw_on_scrape"] = "sockwatch daemon, attribution on, per /metrics scrape"
        for (i = 1; i <= nn; i++) {
            n = ns[i]
            # CLI tools: minus the harness (timeout + /usr/bin/time + fork/exec of `true`)
            nullc = med(C[n, "null"]); nullw = med(W[n, "null"])
            if (nullc < 0) nullc = 0; if (nullw < 0) nullw = 0
            for (o = 1; o <= no; o++) { t = order[o]; cpu[n, t] = -1; wall[n, t] = -1; rss[n, t] = 0 }
            for (o = 1; o <= no; o++) {
                t = order[o]; k = n SUBSEP t
                if (!(k in cnt)) continue
                cpu[k] = med(C[k]); wall[k] = med(W[k]); rss[k] = med(R[k])
                if ((t == "ss" || t == "ssp" || t ~ /^report_/) && !(k in base)) {
                    cpu[k] -= nullc; wall[k] -= nullw; if (cpu[k] < 0) cpu[k] = 0
                }
                if (t == "ne" || t ~ /_sample$/) rss[k] = RX[k]
                if (t ~ /_scrape$/) rss[k] = 0
            }
            bm = ((n SUBSEP "ssp") in base) ? " ‡" : ""
            for (o = 1; o <= no; o++) {
                t = order[o]; k = n SUBSEP t
                if (k in bad) { printf "| %s | %s | %s | 0 | %s | | | | | | | |\n", n, rows[n], name[t], bad[k]; continue }
                if (!(k in cnt)) continue
                sw = (t ~ /^(report_|sw_)/)
                us = ""
                if (k in U) us = sprintf("%.4f / %.4f", med(U[k]) / 1e6, med(S[k]) / 1e6)
                rs = r(cpu[n, t], cpu[n, "ssp"])
                if (rs != "") rs = rs bm
                if (k in base)
                    printf "| %s | %s | %s | — (BASELINE.md, runs: %s) | %s ‡ | | %s ‡ | %s ‡ | %s | | | |\n", n, rows[n], name[t], bruns[k],
                        sec(cpu[k]), sec(wall[k]), mb(rss[k]), r(cpu[k], cpu[n, "ss"])
                else
                    printf "| %s | %s | %s | %d | %s%s | %s | %s | %s | %s | %s | %s | %s |\n", n, rows[n], name[t], cnt[k],
                        sec(cpu[k]), (tick[k] ? " †" : ""), us, sec(wall[k]), ((rss[k] > 0) ? mb(rss[k]) : "—"),
                        (t != "ss" ? r(cpu[k], cpu[n, "ss"]) : ""), (sw ? rs : ""), (sw ? r(cpu[k], cpu[n, "ne"]) : ""),
                        ((sw && rss[k] > 0) ? r(rss[k], rss[n, "ne"]) : "")
            }
        }
        print ""
        for (i = 1; i <= nn; i++) {
            n = ns[i]
            printf "- N=%s: %s; harness overhead subtracted from ss/report: CPU %.4f s, wall %.4f s", n, note[n], med(C[n, "null"]) / 1e6, med(W[n, "null"]) / 1e6
            for (o = 1; o <= 2; o++) {
                m = (o == 1) ? "off" : "on"; t = "sw_" m "_sample"
                if ((n, t) in ival) printf "; daemon attribution %s: interval %s s, samples in its CPU windows %d (planned %d)", m, ival[n, t], got[n, t], want[n, t]
                if ((n, "sw_" m "_scrape") in series) printf ", its /metrics %s series", series[n, "sw_" m "_scrape"]
            }
            if (cpu[n, "report_off"] > 0 && cpu[n, "report_on"] >= 0)
                printf "; attribution on ÷ off: report CPU %s", r(cpu[n, "report_on"], cpu[n, "report_off"])
            if (cpu[n, "sw_off_sample"] > 0 && cpu[n, "sw_on_sample"] >= 0)
                printf ", daemon CPU per sample %s, daemon VmHWM %s", r(cpu[n, "sw_on_sample"], cpu[n, "sw_off_sample"]), r(rss[n, "sw_on_sample"], rss[n, "sw_off_sample"])
            print ""
        }
        # targets (as set for this work); only the sizes measured
        nt = 0
        tgt[++nt] = "100000|report_off|ss|0.75|`sockwatch report`, attribution off: CPU ≤ 0.75 × `ss -tan`"
        tgt[++nt] = "100000|report_on|ssp|0.10|`sockwatch report`, attribution on: CPU ≤ 1/10 × `ss -tanp`"
        tgt[++nt] = "1000000|report_on|cpu|5000000|`sockwatch report`, attribution on: CPU < 5 s"
        tgt[++nt] = "100000|sw_on_sample|ssp|0.10|daemon sample (fd links remembered), attribution on: CPU ≤ 1/10 × `ss -tanp`"
        tgt[++nt] = "1000000|sw_on_sample|cpu|5000000|daemon sample (fd links remembered), attribution on: CPU < 5 s"
        tgt[++nt] = "1000000|sw_on_sample|rss|65536|daemon, attribution on: VmHWM < 64 MiB"
        tgt[++nt] = "100000|sw_off_sample|rss|40960|daemon, attribution off: VmHWM < 40 MiB"
        hdr = 0
        for (j = 1; j <= nt; j++) {
            split(tgt[j], f, "|"); n = f[1]; t = f[2]
            if (!(n in seenN)) continue
            if (!hdr) { print ""; print "Targets:"; print ""; print "| N | target | measured | result |"; print "|---:|---|---|---|"; hdr = 1 }
            if (cpu[n, t] < 0) { printf "| %s | %s | not measured | — |\n", n, f[5]; continue }
            if (f[3] == "ss" || f[3] == "ssp") {
                ref = cpu[n, f[3]]
                if (ref <= 0) { printf "| %s | %s | reference not measured | — |\n", n, f[5]; continue }
                q = cpu[n, t] / ref
                printf "| %s | %s | %.4f s ÷ %.4f s%s = %s | %s |\n", n, f[5], cpu[n, t] / 1e6, ref / 1e6,
                    (((n SUBSEP f[3]) in base) ? " (BASELINE.md ‡)" : ""), r(cpu[n, t], ref), (q <= f[4] ? "met" : "MISSED")
            } else if (f[3] == "cpu") {
                printf "| %s | %s | %.4f s | %s |\n", n, f[5], cpu[n, t] / 1e6, (cpu[n, t] < f[4] ? "met" : "MISSED")
            } else {
                printf "| %s | %s | %.1f MiB | %s |\n", n, f[5], rss[n, t] / 1024, ((rss[n, t] > 0 && rss[n, t] < f[4]) ? "met" : "MISSED")
            }
        }
    }' "$WORK/info.tsv" "$WORK/raw.tsv"
}

# ================================================================= options
REPO=$(cd "$HERE/../.." && pwd)
SIZES=()
REPS=5 K=3 INTERVAL=2 OUTFILE="" MIX="est=60,cw=20,cwc=10,tw=10" V6=10 SLOW=20 TMAX=600
NE_PORT=9100 SW_PORT=9977 SKIP_SW=0 INSTALL=1 POLL=0.1 SKIP_SSP_ABOVE=500000 SSP_TMAX=900 PROFILE_MIN=0
CMDLINE="tests/bench/run.sh${*:+ $*}"
while (($#)); do
    case $1 in
    -r) REPS=$2; shift 2 ;;
    -k) K=$2; shift 2 ;;
    -i) INTERVAL=$2; shift 2 ;;
    -o) OUTFILE=$2; shift 2 ;;
    -m) MIX=$2; shift 2 ;;
    -6) V6=$2; shift 2 ;;
    --slow) SLOW=$2; shift 2 ;;
    --tmax) TMAX=$2; shift 2 ;;
    --skip-ssp-above) SKIP_SSP_ABOVE=$2; shift 2 ;;
    --ssp-tmax) SSP_TMAX=$2; shift 2 ;;
    --profile-min) PROFILE_MIN=$2; shift 2 ;;
    --ne-port) NE_PORT=$2; shift 2 ;;
    --sw-port) SW_PORT=$2; shift 2 ;;
    --skip-sockwatch) SKIP_SW=1; shift ;;
    --no-install) INSTALL=0; shift ;;
    -h | --help) sed -n '2,/^set -uo/p' "$SELF" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run.sh: unknown option $1 (see -h)" >&2; exit 2 ;;
    *) SIZES+=("$1"); shift ;;
    esac
done
((${#SIZES[@]})) || SIZES=(10000 100000 1000000)
for v in "${SIZES[@]}" "$REPS" "$K" "$INTERVAL" "$SLOW" "$TMAX" "$NE_PORT" "$SW_PORT" "$SSP_TMAX"; do
    [[ "$v" =~ ^[0-9]+$ && "$v" -gt 0 ]] || { echo "run.sh: '$v' is not a positive integer" >&2; exit 2; }
done
for v in "$SKIP_SSP_ABOVE" "$PROFILE_MIN"; do
    [[ "$v" =~ ^[0-9]+$ ]] || { echo "run.sh: '$v' is not a non-negative integer" >&2; exit 2; }
done
[[ $(id -u) == 0 ]] || { echo "run.sh: needs root (network namespaces, mksockets)" >&2; exit 1; }

SW_BIN=${SOCKWATCH_BIN:-$REPO/build/sockwatch} SW_ORIG="" SW_VERSION="" SW_BUILT=""
REPO_HEAD=$(git -C "$REPO" rev-parse --short HEAD 2> /dev/null || echo '(no commit)')
NE_BIN=${NODE_EXPORTER_BIN:-/usr/bin/prometheus-node-exporter}
MKS_SRC=${MKSOCKETS_SRC:-$REPO/../shared/bench/mksockets.c}
SSP_BASELINE=${SSP_BASELINE:-$REPO/../shared/bench/BASELINE.md}
if ((SKIP_SW)); then
    SW_BIN=""
elif [[ ! -x "$SW_BIN" ]]; then
    echo "run.sh: sockwatch binary $SW_BIN not found (build it, set SOCKWATCH_BIN, or use --skip-sockwatch)" >&2
    exit 1
fi

# ----------------------------------------------------------------- dependencies
need=()
command -v ip > /dev/null || need+=(iproute2)
command -v ss > /dev/null || need+=(iproute2)
command -v curl > /dev/null || need+=(curl)
[[ -x /usr/bin/time ]] || need+=(time)
[[ -n "${MKSOCKETS_BIN:-}" ]] || command -v gcc > /dev/null || need+=(gcc libc6-dev)
[[ -x "$NE_BIN" ]] || need+=(prometheus-node-exporter)
if ((PROFILE_MIN > 0)); then
    command -v perf > /dev/null || need+=(linux-perf)
    command -v strace > /dev/null || need+=(strace)
fi
if ((${#need[@]})); then
    ((INSTALL)) || { echo "run.sh: missing packages: ${need[*]}" >&2; exit 1; }
    log "installing ${need[*]}"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"; }; then
        echo "run.sh: apt-get install ${need[*]} failed" >&2
        exit 1
    fi
fi
[[ -x "$NE_BIN" ]] || { echo "run.sh: node_exporter binary $NE_BIN not found (NODE_EXPORTER_BIN)" >&2; exit 1; }

WORK=${BENCH_WORKDIR:-$(mktemp -d /tmp/sockwatch-bench.XXXXXX)}
mkdir -p "$WORK/pids" || exit 1
: > "$WORK/raw.tsv"
: > "$WORK/check.tsv"
printf 'N\tnote\n' > "$WORK/info.tsv"
if [[ -n "$SW_BIN" ]]; then # a snapshot: a rebuild during the run must not change what is measured
    SW_ORIG=$SW_BIN SW_BIN=$WORK/sockwatch
    SW_BUILT=$(date -u -r "$SW_ORIG" '+%Y-%m-%d %H:%M UTC')
    cp "$SW_ORIG" "$SW_BIN" || exit 1
    SW_VERSION=$("$SW_BIN" --version 2>&1 | head -n 1)
    if ldd "$SW_BIN" 2> /dev/null | grep -q 'libasan\|libubsan'; then
        SW_VERSION+=" [SANITIZER BUILD: not representative]"
        log "warning: $SW_ORIG is built with sanitizers; its CPU and memory figures are not representative"
    fi
fi
if [[ -n "${MKSOCKETS_BIN:-}" ]]; then
    MKS=$MKSOCKETS_BIN
else
    [[ -f "$MKS_SRC" ]] || { echo "run.sh: $MKS_SRC not found (set MKSOCKETS_SRC or MKSOCKETS_BIN)" >&2; exit 1; }
    MKS=$WORK/mksockets
    gcc -O2 -Wall -pthread -o "$MKS" "$MKS_SRC" || { echo "run.sh: compiling $MKS_SRC failed" >&2; exit 1; }
fi

# ----------------------------------------------------------------- cleanup
# Everything we start is recorded by PID (+ start time) under $WORK/pids and
# stopped by PID; the namespace is deleted; the global sysctls mksockets may
# raise (fs.nr_open, fs.file-max) are put back.
ORIG_NR_OPEN=$(cat /proc/sys/fs/nr_open)
ORIG_FILE_MAX=$(cat /proc/sys/fs/file-max)
NS="" INNER_PID="" MKS_PID=""
CLK_TCK=$(getconf CLK_TCK)
teardown() {
    if [[ -n "$INNER_PID" ]]; then # it stops its daemons itself on TERM ...
        stop_tracked inner TERM 20
        INNER_PID=""
    fi
    stop_tracked ne # ... and these are for when it could not
    stop_tracked sw
    if [[ -n "$MKS_PID" ]]; then # the parent SIGKILLs its holders on TERM
        stop_tracked mks TERM 60
        stop_tracked holders KILL 10 # any left (they also die with the parent: PDEATHSIG)
        wait "$MKS_PID" 2> /dev/null
        MKS_PID=""
    fi
    if [[ -n "$NS" ]]; then
        ip netns del "$NS" 2> /dev/null
        NS=""
    fi
}
cleanup() {
    trap - EXIT INT TERM
    teardown
    [[ "$(cat /proc/sys/fs/nr_open)" != "$ORIG_NR_OPEN" ]] && echo "$ORIG_NR_OPEN" > /proc/sys/fs/nr_open
    [[ "$(cat /proc/sys/fs/file-max)" != "$ORIG_FILE_MAX" ]] && echo "$ORIG_FILE_MAX" > /proc/sys/fs/file-max
    log "raw data and logs: $WORK"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

slabobjs() { awk -v n="$1" '$1 == n {o = $2} END {print o + 0}' /proc/slabinfo; }
tcp_objs() { echo $(($(slabobjs TCP) + $(slabobjs TCPv6) + $(slabobjs tw_sock_TCP) + $(slabobjs tw_sock_TCPv6))); }
wait_drain() { # the previous table's sockets are freed some seconds after its namespace is gone
    local i
    for ((i = 0; i < 300; i++)); do
        (($(tcp_objs) < BASE_SOCKS + 5000)) && return 0
        nap 1
    done
    log "warning: TCP socket slabs did not drain within 300 s"
}
BASE_SOCKS=$(tcp_objs)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
RUN_START=$(date -u '+%Y-%m-%d %H:%M:%S UTC')

log "sizes: ${SIZES[*]}  mix: $MIX  ipv6: $V6%  reps: $REPS  daemon: $REPS windows x $K samples at ${INTERVAL}s  work: $WORK"
log "sockwatch: ${SW_ORIG:-(skipped)} ${SW_VERSION}  node_exporter: $("$NE_BIN" --version 2>&1 | head -n 1)  $(ss -V)"

# ----------------------------------------------------------------- per size
for N in "${SIZES[@]}"; do
    NS=sockwatch-bench-$$
    READY=$WORK/ready.$N
    rm -f "$READY" "$READY.tmp"
    if ! { ip netns add "$NS" && ip netns exec "$NS" ip link set lo up; }; then
        log "cannot create namespace $NS"
        exit 1
    fi
    log "N=$N: building the table in namespace $NS"
    ip netns exec "$NS" "$MKS" -n "$N" -m "$MIX" -6 "$V6" --ready-file "$READY" \
        > "$WORK/mksockets.$N.out" 2> "$WORK/mksockets.$N.err" &
    MKS_PID=$!
    track mks "$MKS_PID"
    build_limit=$((120 + N / 5000)) # s; 1M rows take ~15 s
    for ((i = 0; i < build_limit * 5; i++)); do
        [[ -f "$READY" ]] && break
        alive "$MKS_PID" || break
        nap 0.2
    done
    if [[ ! -f "$READY" ]]; then
        log "N=$N: mksockets did not get ready within ${build_limit}s: $(tail -n 3 "$WORK/mksockets.$N.err" | tr '\n' ' ')"
        teardown
        continue
    fi
    # shellcheck disable=SC1090
    . "$READY"
    for p in ${MKS_PIDS//,/ }; do track holders "$p"; done
    [[ "$MKS_PARENT_PID" == "$MKS_PID" ]] || { log "ready file $READY is not from pid $MKS_PID"; exit 1; }
    nholders=$(tr ',' '\n' <<< "$MKS_PIDS" | wc -l)
    log "N=$N: $(grep -o 'READY rows=[0-9]* .*LISTEN=[0-9]* build_s=[0-9.]*' "$WORK/mksockets.$N.out")  holders=$nholders"
    printf '%s\t%s\n' "$N" "table of $MKS_ROWS rows (ESTABLISHED $MKS_ESTABLISHED, CLOSE_WAIT $MKS_CLOSE_WAIT, FIN_WAIT2 $MKS_FIN_WAIT2, TIME_WAIT $MKS_TIME_WAIT, LISTEN $MKS_LISTEN) built in ${MKS_BUILD_S}s by $nholders holder processes" >> "$WORK/info.tsv"
    nap 2
    printf '%s\t%s\n' "$N" "load average before the measurements: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$WORK/info.tsv"

    B_N=$N B_WORK=$WORK B_READY=$READY B_REPS=$REPS B_K=$K B_INTERVAL=$INTERVAL B_SLOW=$SLOW B_TMAX=$TMAX \
        B_NE_PORT=$NE_PORT B_SW_PORT=$SW_PORT B_NE_BIN=$NE_BIN B_SW_BIN=$SW_BIN B_POLL=$POLL \
        B_SKIP_SSP_ABOVE=$SKIP_SSP_ABOVE B_SSP_TMAX=$SSP_TMAX B_SSP_BASELINE=$SSP_BASELINE B_PROFILE_MIN=$PROFILE_MIN \
        ip netns exec "$NS" bash "$SELF" __inner &
    INNER_PID=$!
    track inner "$INNER_PID"
    wait "$INNER_PID"
    rc=$?
    printf '%s\t%s\n' "$N" "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$WORK/info.tsv"
    INNER_PID=""
    rm -f "$WORK/pids/inner"
    ((rc == 0)) || log "N=$N: measurements ended with exit $rc"
    alive "$MKS_PID" || log "N=$N: warning: mksockets died during the measurements ($(tail -n 2 "$WORK/mksockets.$N.err" | tr '\n' ' '))"

    log "N=$N: tearing down"
    teardown
    wait_drain
done

# ----------------------------------------------------------------- report
{
    echo "# sockwatch benchmark"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC') (started $RUN_START)"
    echo "- command: \`${SOCKWATCH_BIN:+SOCKWATCH_BIN=$SOCKWATCH_BIN }$CMDLINE\`"
    echo "- kernel: $(uname -r) ($(uname -m)), $(nproc) CPUs, $(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM"
    echo "- commit: $REPO_HEAD$(git -C "$REPO" diff --quiet HEAD 2> /dev/null || echo ' (working tree has uncommitted changes)')"
    echo "- load average (1, 5, 15 min): $LOAD_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end; per size in the notes (a shared 2-core machine: other builds and tests ran beside)"
    if [[ -n "$SW_BIN" ]]; then
        echo "- sockwatch: $SW_ORIG, $SW_VERSION (sha256 $(sha256sum "$SW_BIN" | cut -c1-12), built $SW_BUILT)"
    else
        echo "- sockwatch: not measured (--skip-sockwatch)"
    fi
    echo "- node_exporter: $("$NE_BIN" --version 2>&1 | head -n 1 | sed 's/ *(.*//') (tcpstat collector only); $(ss -V)"
    echo "- table: mksockets mix $MIX, ${V6}% IPv6, one fresh network namespace per size"
    echo "- runs: median of $REPS after one warm-up (CLI tools and node_exporter interleaved); daemon: interval ${INTERVAL}s (raised where a sample needs it, see notes), $REPS windows of $K samples after one warm-up sample, attribution off then on"
    echo "- \`ss -tanp\`: run up to N=$SKIP_SSP_ABOVE (limit ${SSP_TMAX}s per run); above, the figure of $SSP_BASELINE for that N, marked ‡"
    echo
    summarize
    if [[ -s "$WORK/check.tsv" ]]; then
        echo
        echo "Agreement, sockwatch_tcp_sockets (sum of states) vs \`ss -tan\` rows, TIME_WAIT top-up paused; attribution on: sockets attributed to a process vs the rows of \`ss -tan\` but TIME_WAIT (all held by mksockets' holders), and each holder's CLOSE_WAIT count vs what mksockets made it hold:"
        echo
        echo "| N | attribution | ss rows | sockwatch | diff | tolerance | result | per-state differences (sockwatch − ss) | sockets_sampled | sample errors (total) | attribution check |"
        echo "|---:|---|---:|---:|---:|---:|---|---|---:|---:|---|"
        awk -F'\t' '{printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11}' "$WORK/check.tsv"
    fi
    for f in "$WORK"/profile.*.perf.txt "$WORK"/profile.*.strace; do
        [[ -f "$f" ]] || continue
        profiled=1
    done
    if [[ -n "${profiled:-}" ]]; then
        for N in "${SIZES[@]}"; do
            [[ -f "$WORK/profile.$N.strace" || -f "$WORK/profile.$N.perf.txt" ]] || continue
            echo
            echo "Profile of \`sockwatch report\`, attribution on, N=$N (one run each, not timed; full outputs in the work directory):"
            echo
            for mode in off on; do
                [[ -f "$WORK/profile.$N.perfstat.$mode" ]] || continue
                echo "- perf stat, attribution $mode: $(awk '
                    /task-clock/ {tc = $1} /context-switches/ {cs = $1} /page-faults/ {pf = $1}
                    /seconds time elapsed/ {el = $1} /seconds user/ {us = $1} /seconds sys/ {sy = $1}
                    END {printf "task-clock %s ms, user %s s, sys %s s, elapsed %s s, %s page faults, %s context switches", tc, us, sy, el, pf, cs}' \
                    "$WORK/profile.$N.perfstat.$mode")"
            done
            if [[ -f "$WORK/profile.$N.strace" ]]; then
                echo "- \`strace -c -f\` (syscall time as strace counts it, inflated by tracing; top 10 by time):"
                echo
                echo '```'
                awk 'NR <= 2 || (/^ *[0-9]/ && ++n <= 10) || /total/' "$WORK/profile.$N.strace"
                echo '```'
            fi
            if [[ -f "$WORK/profile.$N.perf.txt" ]]; then
                echo "- \`perf record -F 997 -g\` (cpu-clock samples; self time by DSO, by symbol, and kernel time under each syscall):"
                echo
                echo '```'
                cat "$WORK/profile.$N.perf.txt"
                echo '```'
            fi
        done
    fi
    echo
    echo "CPU s: user+sys seconds per invocation, per scrape (the exporter's), or per sample (the daemon's). user / sys s: GNU time (10 ms resolution) for the commands, /proc/PID/stat ticks for the daemons (per sample: window ticks ÷ samples, one scrape included). † = from /proc/PID/stat ticks (10 ms) because the ns-resolution figure disagreed. ‡ = not run here: the figure of BASELINE.md for that N. Compare ratios within one run; see tests/bench/README.md."
} > "$WORK/results.md"
cat "$WORK/results.md"
if [[ -n "$OUTFILE" ]]; then
    cp "$WORK/results.md" "$OUTFILE" && log "report written to $OUTFILE"
fi
