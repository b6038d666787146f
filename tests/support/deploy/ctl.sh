#!/bin/sh
# The lifecycle commands of the loopback "deployment" the attach-mode tests run against: Postgres,
# Redis, the fake external API and the reference service, each a process started here in a session
# of its own, known by its pidfile. It is what an operator's scripts would be (or what systemctl,
# docker and kubectl are for a real deployment): the suite only ever calls this script.
#
#   ctl.sh COMPONENT ACTION [SIGNAL]
#     COMPONENT: postgres | redis | external | sut | all (stop only)
#     ACTION:    start | stop | restart | kill | signal SIGNAL | pause | resume | pid | exit_code | redeploy | logs
#
# Settings (ports, programs, the service's environment) come from deploy.env next to this script.
# Every wait is bounded. `fail` (an action of the test's failing-command cases) exits 3 at once.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/deploy.env"
component=${1:?component}
action=${2:?action}
sig=${3:-}

pidfile="$here/$component.pid"
log="$here/$component.log"

live_pid() {   # the component's PID if it runs (a zombie or a stale pidfile: nothing)
    case $component in
        postgres) [ -f "$PG_DATA/postmaster.pid" ] && p=$(head -n 1 "$PG_DATA/postmaster.pid") || return 1 ;;
        *) [ -f "$pidfile" ] && p=$(cat "$pidfile") || return 1 ;;
    esac
    [ -n "$p" ] && kill -0 "$p" 2>/dev/null || return 1
    state=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)
    [ "$state" != "Z" ] || return 1
    echo "$p"
}

wait_gone() {  # up to $1 tenths of a second for the component to be gone
    n=0
    while live_pid >/dev/null; do
        n=$((n + 1)); [ "$n" -le "$1" ] || return 1
        sleep 0.1
    done
}

wait_up() {    # up to $1 tenths of a second for the component's pid to appear
    n=0
    until live_pid >/dev/null; do
        n=$((n + 1)); [ "$n" -le "$1" ] || { echo "$component did not start; last lines of $log:" >&2; tail -n 20 "$log" >&2; return 1; }
        sleep 0.1
    done
}

start() {
    if live_pid >/dev/null; then return 0; fi
    case $component in
        postgres)
            # Postgres refuses to run as root: as the unprivileged account, in a session of its own
            nohup setsid $PG_RUN_AS "$PG_BIN/postgres" -D "$PG_DATA" -c "port=$PG_PORT" -c listen_addresses=127.0.0.1 \
                -c unix_socket_directories= -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
                -c dynamic_shared_memory_type=mmap >>"$log" 2>&1 </dev/null &
            ;;
        redis)
            nohup setsid sh -c 'echo $$ > "$1"; shift; exec "$@"' sh "$pidfile" "$REDIS_SERVER" --bind 127.0.0.1 \
                --port "$REDIS_PORT" --save "" --appendonly no --dir "$here" --protected-mode no --daemonize no \
                >>"$log" 2>&1 </dev/null &
            ;;
        external)
            rm -f "$here/external.ready"
            nohup setsid sh -c 'echo $$ > "$1"; shift; exec "$@"' sh "$pidfile" "$PYTHON" -m chaos.upstream \
                --host 127.0.0.1 --port "$EXTERNAL_PORT" --ready-file "$here/external.ready" >>"$log" 2>&1 </dev/null &
            ;;
        sut)
            rm -f "$here/sut.exit"
            defects=$(cat "$here/sut.defects" 2>/dev/null || true)
            # a supervisor shell records how the service's process ended (as an orchestrator would)
            ( cd "$SUT_CWD" && SUT_DEFECTS="$defects" nohup setsid sh -c \
                'p=$1; e=$2; shift 2; "$@" & child=$!; echo $child > "$p"; wait $child; echo $? > "$e"' \
                sh "$pidfile" "$here/sut.exit" "$PYTHON" -m sut >>"$log" 2>&1 </dev/null & )
            ;;
    esac
    wait_up 150
}

stop() {
    p=$(live_pid) || return 0
    case $component in
        postgres) kill -INT "$p" ;;   # fast shutdown
        *) kill -TERM "$p" ;;
    esac
    wait_gone 150 && return 0
    kill -KILL "$p" 2>/dev/null
    wait_gone 50
}

case $action in
    start) start ;;
    stop)
        if [ "$component" = all ]; then
            for c in sut external redis postgres; do "$0" "$c" stop; done
        else
            stop
        fi ;;
    restart) stop && start ;;
    kill)
        p=$(live_pid) || exit 0
        kids=$(ps -o pid= --ppid "$p" 2>/dev/null)
        kill -KILL "$p"
        for k in $kids; do kill -KILL "$k" 2>/dev/null; done   # Postgres backends: children of our postmaster
        wait_gone 50 ;;
    signal)
        p=$(live_pid) || { echo "$component is not running" >&2; exit 1; }
        kill -s "${sig:?signal}" "$p" ;;
    pause) p=$(live_pid) && kill -STOP "$p" ;;
    resume) p=$(live_pid) && kill -CONT "$p" ;;
    pid) live_pid || true ;;
    exit_code) [ -f "$here/sut.exit" ] && cat "$here/sut.exit" || true ;;
    redeploy)
        # the defect switches come in the environment (--chaos-sut-env SUT_DEFECTS=...), as a CI job's
        # variables would reach a real redeploy; empty: back to the healthy service
        printf '%s' "${SUT_DEFECTS:-}" > "$here/sut.defects"
        stop && start ;;
    logs) cat "$log" 2>/dev/null || true ;;
    fail) echo "refusing on purpose (a failing command)" >&2; exit 3 ;;
    hang) sleep 30 ;;
    *) echo "ctl.sh: unknown action $action" >&2; exit 2 ;;
esac
