#!/usr/bin/env bash
# End-to-end sending speed beside Kannel's, on this machine, in one run (issue 15).
#
#   bash benchmarks/bench_vs_kannel.sh [--messages 20000] [--connections 50] [--workers 2]
#        [--timeout 600] [--pg postgresql://postgres@127.0.0.1] [--kannel-only] [--keep]
#
# --timeout: seconds each side may take for all its receipts; --pg: where to create the fresh
# database (as a superuser); --kannel-only: Kannel's figures alone; --keep: keep the temp dir
# (kannel.conf, logs, the SMSC's submit log) and print where it is.
#
# 1. Kannel (Debian's `kannel`, installed when missing; its system service is never started
#    by us): bearerbox with a file store and an SMPP transceiver to the project's test SMSC
#    (tests/smsc/server.js, instant receipts, max-pending-submits 1000, no throughput limit),
#    smsbox with sendsms. N messages go over C keep-alive HTTP connections to sendsms, each
#    with dlr-mask=1 and a dlr-url to a counting sink; the clock runs from the first request to
#    the last receipt at the sink. CPU: utime+stime of bearerbox and smsbox (/proc/PID/stat)
#    before and after.
# 2. Ours: benchmarks/bench_pipeline.py --messages N --workers W --smsc --window 1000 (the same
#    1000 outstanding submit_sm per bind as Kannel's max-pending-submits) on a fresh PostgreSQL
#    database (created here, dropped afterwards).
# 3. Both receipts/s figures and the ratio ours/Kannel's, and the CPU per message of each.
#
# Everything listens on 127.0.0.1, on free ports chosen at run time. Every process started
# here is stopped by its PID on exit (also on failure and Ctrl-C); the temp dir is removed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

MESSAGES=20000
CONNECTIONS=50
WORKERS=2
TIMEOUT=600
PG_URL="postgresql://postgres@127.0.0.1"
KANNEL_ONLY=0
KEEP=0
while [ $# -gt 0 ]; do
    case "$1" in
        --messages) MESSAGES="$2"; shift 2 ;;
        --connections) CONNECTIONS="$2"; shift 2 ;;
        --workers) WORKERS="$2"; shift 2 ;;
        --timeout) TIMEOUT="$2"; shift 2 ;;
        --pg) PG_URL="${2%/}"; shift 2 ;;
        --kannel-only) KANNEL_ONLY=1; shift ;;
        --keep) KEEP=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
done
case "$MESSAGES" in ''|*[!0-9]*|0) echo "--messages needs a positive number" >&2; exit 2 ;; esac

PY="$ROOT/.venv/bin/python"
[ -x "$PY" ] || PY="$(command -v python3)"
HELPER="$ROOT/benchmarks/kannel_load.py"
TMP="$(mktemp -d /tmp/bench-vs-kannel.XXXXXX)"
PIDS=()          # every process started here, in start order
DB_NAME=""
CLK_TCK="$(getconf CLK_TCK)"

log() { printf '%s\n' "$*" >&2; }

stop_pid() {  # stop_pid PID [SIGNAL [SECONDS]]: signal, wait (15 s), then SIGKILL
    local pid="$1" sig="${2:-TERM}" i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -"$sig" "$pid" 2>/dev/null || true
    for i in $(seq $(( ${3:-15} * 10 ))); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "process $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-60)) did not stop on SIG$sig; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

proc_start() {  # the start time of PID (to tell it from a later process with the same PID)
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
    stat="${stat##*) }"
    set -- $stat
    echo "${20}"
}

descendants() {  # "PID:START" of every live descendant of PID
    local kid
    for kid in $(ps -o pid= --ppid "$1" 2>/dev/null); do
        echo "$kid:$(proc_start "$kid")"
        descendants "$kid"
    done
}

stop_ours() {  # bench_pipeline.py stops its workers, SMSC and Redis on SIGINT (KeyboardInterrupt);
    # whatever it started and left behind (stopped in the middle of its set-up) is stopped after
    local pid="$1" kids kid
    kill -0 "$pid" 2>/dev/null || return 0
    kids="$(descendants "$pid")"
    stop_pid "$pid" INT 30       # its workers finish the job in hand first
    for kid in $kids; do
        [ "$(proc_start "${kid%%:*}")" = "${kid#*:}" ] && stop_pid "${kid%%:*}" TERM 5
    done
    return 0
}

cleanup() {
    local rc=$? i
    trap - EXIT INT TERM
    for (( i=${#PIDS[@]}-1; i>=0; i-- )); do
        # A bearerbox stopped mid-run waits ~10 s for the SMSC to take what it still holds:
        # 5 s will do, its store goes with the temp dir anyway.
        if [ "${PIDS[$i]}" = "${OURS_PID:-}" ]; then stop_ours "${PIDS[$i]}"; else stop_pid "${PIDS[$i]}" TERM 5; fi
    done
    if [ -n "$DB_NAME" ]; then
        psql "$PG_URL/postgres" -qX -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS \"$DB_NAME\" WITH (FORCE)" >/dev/null 2>&1 \
            || log "could not drop database $DB_NAME"
    fi
    if [ $rc -ne 0 ] && [ $rc -ne 130 ] && [ $rc -ne 143 ] && [ -d "$TMP" ]; then
        for f in "$TMP"/bearerbox.log "$TMP"/smsbox.log "$TMP"/smsc.out "$TMP"/sink.out "$TMP"/sender.out; do
            [ -s "$f" ] && { log "--- last lines of $(basename "$f")"; tail -n 15 "$f" >&2; }
        done
    fi
    if [ "$KEEP" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start() {  # start NAME OUTFILE CMD...: in the background, SIGINT not ignored; PID in LAST_PID
    local name="$1" out="$2"; shift 2
    ( trap - INT; exec "$@" ) >"$out" 2>&1 &
    LAST_PID=$!
    PIDS+=("$LAST_PID")
}

cpu_ticks() {  # utime+stime of each PID given, summed (clock ticks)
    local total=0 pid stat
    for pid in "$@"; do
        stat="$(cat "/proc/$pid/stat")" || { log "process $pid is gone"; return 1; }
        stat="${stat##*) }"               # fields from the 3rd on (the name may hold spaces)
        set -- $stat
        total=$(( total + ${12} + ${13} ))
    done
    echo "$total"
}

wait_line() {  # wait_line FILE TEXT PID SECONDS: until FILE holds TEXT (the process must live)
    local file="$1" text="$2" pid="$3" i
    for i in $(seq $(( $4 * 10 ))); do
        grep -q "$text" "$file" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || { log "$(basename "$file" .out) exited:"; cat "$file" >&2; return 1; }
        sleep 0.1
    done
    log "timed out waiting for '$text' in $file"; cat "$file" >&2; return 1
}

# -- Kannel, installed when missing -------------------------------------------------------
if ! [ -x /usr/sbin/bearerbox ] || ! [ -x /usr/sbin/smsbox ]; then
    log "installing Debian's kannel ..."
    [ "$(id -u)" = 0 ] || { log "kannel is missing and installing it needs root"; exit 1; }
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kannel >/dev/null
    # The package's init script may start its own bearerbox (/etc/kannel/kannel.conf); it is
    # not ours to run: stop it (ours uses other ports anyway).
    if [ -s /var/run/kannel/kannel_bearerbox.pid ] && kill -0 "$(cat /var/run/kannel/kannel_bearerbox.pid)" 2>/dev/null; then
        log "stopping the kannel service the package started"
        if [ -d /run/systemd/system ]; then systemctl stop kannel || true; else /etc/init.d/kannel stop || true; fi
    fi
fi
KANNEL_VERSION="$(/usr/sbin/bearerbox --version 2>&1 | sed -n "s/.*version \`\([^']*\)'.*/\1/p" | head -1)"

if ! [ -d "$ROOT/tests/smsc/node_modules/smpp" ]; then
    log "installing the test SMSC's packages (npm ci --prefix tests/smsc) ..."
    npm ci --prefix "$ROOT/tests/smsc" --silent >/dev/null
fi

LOAD_AT_START="$(cut -d' ' -f1-3 /proc/loadavg)"   # others' work on this machine skews both figures
read -r SMSC_PORT ADMIN_PORT BOX_PORT SENDSMS_PORT SINK_PORT <<<"$("$PY" "$HELPER" ports 5 | tr '\n' ' ')"

# -- the test SMSC (instant receipts) and the receipt sink --------------------------------
start smsc "$TMP/smsc.out" node "$ROOT/tests/smsc/server.js" --port "$SMSC_PORT" --dlr-delay 0 \
    --log "$TMP/smsc-submits.jsonl" --rejects-log "$TMP/smsc-refused.jsonl" --spool "$TMP/smsc-spool.json"
SMSC_PID=$LAST_PID
wait_line "$TMP/smsc.out" '^listening' "$SMSC_PID" 15

start sink "$TMP/sink.out" "$PY" -u "$HELPER" sink --port "$SINK_PORT" --expect "$MESSAGES"
SINK_PID=$LAST_PID
wait_line "$TMP/sink.out" '^sink listening' "$SINK_PID" 15

# -- kannel.conf --------------------------------------------------------------------------
mkdir -p "$TMP/store"
cat >"$TMP/kannel.conf" <<EOF
group = core
admin-port = $ADMIN_PORT
admin-interface = 127.0.0.1
admin-password = bench
admin-allow-ip = "127.0.0.1"
smsbox-port = $BOX_PORT
smsbox-interface = 127.0.0.1
box-deny-ip = "*.*.*.*"
box-allow-ip = "127.0.0.1"
log-file = "$TMP/bearerbox.log"
log-level = 1
store-type = file
store-location = "$TMP/store/kannel.store"
dlr-storage = internal

group = smsc
smsc = smpp
smsc-id = testsmsc
host = 127.0.0.1
port = $SMSC_PORT
transceiver-mode = true
smsc-username = test
smsc-password = secret
system-type = ""
max-pending-submits = 1000
reconnect-delay = 1
enquire-link-interval = 30

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = $BOX_PORT
sendsms-port = $SENDSMS_PORT
sendsms-interface = 127.0.0.1
log-file = "$TMP/smsbox.log"
log-level = 1

group = sendsms-user
username = bench
password = bench
user-allow-ip = "127.0.0.1"

group = sms-service
keyword = default
catch-all = true
max-messages = 0
text = "unused"
EOF

# -v 4: nothing but panics on the console. `log-level` is the log file's only: without -v,
# bearerbox and smsbox write every debug line to stderr (~7 KB a message), and take twice the CPU.
start bearerbox "$TMP/bearerbox.out" /usr/sbin/bearerbox -v 4 "$TMP/kannel.conf"
BEARERBOX_PID=$LAST_PID
# Kannel's SMPP bind is up ("online") before its clock starts; ours binds on the workers'
# first job, inside its clock.
"$PY" "$HELPER" wait "http://127.0.0.1:$ADMIN_PORT/status.txt?password=bench" "(online" --timeout 30 \
    || { cat "$TMP/bearerbox.out" >&2; exit 1; }
start smsbox "$TMP/smsbox.out" /usr/sbin/smsbox -v 4 "$TMP/kannel.conf"
SMSBOX_PID=$LAST_PID
"$PY" "$HELPER" wait "http://127.0.0.1:$SENDSMS_PORT/" "" --timeout 30 || { cat "$TMP/smsbox.out" >&2; exit 1; }
"$PY" "$HELPER" wait "http://127.0.0.1:$ADMIN_PORT/status.txt?password=bench" "smsbox:" --timeout 30

# -- Kannel: N messages ---------------------------------------------------------------------
log "Kannel $KANNEL_VERSION: sending $MESSAGES messages over $CONNECTIONS keep-alive connections ..."
CPU_BEFORE="$(cpu_ticks "$BEARERBOX_PID" "$SMSBOX_PID")"
BB_BEFORE="$(cpu_ticks "$BEARERBOX_PID")"
start sender "$TMP/sender.out" "$PY" -u "$HELPER" send --port "$SENDSMS_PORT" --sink-port "$SINK_PORT" \
    --messages "$MESSAGES" --connections "$CONNECTIONS" --timeout "$TIMEOUT"
SENDER_PID=$LAST_PID
SENDER_RC=0
wait "$SENDER_PID" || SENDER_RC=$?
CPU_AFTER="$(cpu_ticks "$BEARERBOX_PID" "$SMSBOX_PID")"
BB_AFTER="$(cpu_ticks "$BEARERBOX_PID")"
RESULT="$(grep '^RESULT' "$TMP/sender.out" || true)"
[ "$SENDER_RC" = 0 ] && [ -n "$RESULT" ] || { log "the Kannel run failed"; exit 1; }
declare -A K
for kv in ${RESULT#RESULT }; do K[${kv%%=*}]="${kv#*=}"; done
SUBMITS="$(wc -l <"$TMP/smsc-submits.jsonl")"

KANNEL_RATE="${K[rate]}"
KANNEL_CPU_MS="$(awk -v t=$(( CPU_AFTER - CPU_BEFORE )) -v hz="$CLK_TCK" -v n="$MESSAGES" 'BEGIN{printf "%.3f", t/hz*1000/n}')"
KANNEL_SUMMARY="$(awk -v bb=$(( BB_AFTER - BB_BEFORE )) -v all=$(( CPU_AFTER - CPU_BEFORE )) -v hz="$CLK_TCK" \
    'BEGIN{printf "bearerbox %.2f s + smsbox %.2f s", bb/hz, (all-bb)/hz}')"

# Kannel and its SMSC and sink are stopped before our run: they would take its CPU
for pid in "$SENDER_PID" "$SMSBOX_PID" "$BEARERBOX_PID" "$SINK_PID" "$SMSC_PID"; do stop_pid "$pid"; done

echo "Kannel $KANNEL_VERSION: $MESSAGES messages, sendsms over $CONNECTIONS keep-alive connections → bearerbox (file store) → SMPP → receipt → dlr-url"
grep -v '^RESULT' "$TMP/sender.out" | sed 's/^sender: /  sendsms  : /' || true
printf '  receipts : %8s msg/s  (%s s from the first request to the last receipt; %s receipts, %s dlr-url requests, SMSC accepted %s submit_sm)\n' \
    "$KANNEL_RATE" "${K[elapsed]}" "${K[delivered]}" "${K[requests]}" "$SUBMITS"
echo "  cpu per message : $KANNEL_CPU_MS ms  ($KANNEL_SUMMARY)"

[ "$KANNEL_ONLY" = 1 ] && exit 0

# -- ours: bench_pipeline.py on a fresh database -------------------------------------------
DB_NAME="bench_vs_kannel_$$_$(date +%s)"
psql "$PG_URL/postgres" -qX -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$DB_NAME\"" >/dev/null
log "ours: bench_pipeline.py --messages $MESSAGES --workers $WORKERS --smsc --window 1000 (Kannel's max-pending-submits) on database $DB_NAME ..."
OURS_OUT="$TMP/ours.out"
# its own session: a Ctrl-C in the terminal does not reach it (nor its workers) directly; the
# clean-up sends it one SIGINT, on which it stops its workers, SMSC and Redis itself
start ours "$OURS_OUT" setsid env DATABASE_URL="$PG_URL/$DB_NAME" "$ROOT/.venv/bin/python" "$ROOT/benchmarks/bench_pipeline.py" \
    --messages "$MESSAGES" --workers "$WORKERS" --smsc --window 1000 --timeout "$TIMEOUT"
OURS_PID=$LAST_PID
OURS_RC=0
wait "$OURS_PID" || OURS_RC=$?
grep -v '^INFO  \[alembic' "$OURS_OUT" || true
[ "$OURS_RC" = 0 ] || { log "bench_pipeline.py failed (exit $OURS_RC)"; exit 1; }
OURS_RATE="$(sed -n 's/^ *receipts *: *\([0-9][0-9]*\) msg\/s.*/\1/p' "$OURS_OUT" | head -1)"
OURS_CPU_MS="$(sed -n 's/^ *cpu per message *: *\([0-9.][0-9.]*\) ms.*/\1/p' "$OURS_OUT" | head -1)"
[ -n "$OURS_RATE" ] || { log "bench_pipeline.py printed no receipts figure"; exit 1; }

echo
echo "receipts/s end to end, $MESSAGES messages, one run on this machine ($(nproc) cores, load average $LOAD_AT_START at the start):"
printf '  Kannel %-6s : %6s msg/s   cpu %s ms/message\n' "$KANNEL_VERSION" "$KANNEL_RATE" "$KANNEL_CPU_MS"
printf '  ours          : %6s msg/s   cpu %s ms/message\n' "$OURS_RATE" "${OURS_CPU_MS:-?}"
printf '  ratio ours/Kannel : %s\n' "$(awk -v a="$OURS_RATE" -v b="$KANNEL_RATE" 'BEGIN{printf "%.2f", a/b}')"
