#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# pg-cluster.sh — a throwaway PostgreSQL cluster for tests (issue 9).
#   pg-cluster.sh start DIR   initdb into DIR (if needed), start on a free 127.0.0.1 port (or
#                             on PG_CLUSTER_PORT), create database tutela_test, print its URL
#   pg-cluster.sh url DIR     print the URL of the running cluster in DIR
#   pg-cluster.sh stop DIR    stop the cluster and remove DIR
# Runs the server as an unprivileged user (root: the "postgres" user, via runuser). Trust auth on
# the loopback address and the unix socket in DIR only; fsync stays on. All commands are idempotent.
set -euo pipefail

MARKER=".tutela-pg-cluster"
DB_NAME="tutela_test"
DB_USER="tutela"

die() {
    echo "pg-cluster: $*" >&2
    exit 1
}

usage() {
    echo "usage: $0 start|stop|url DIR" >&2
    exit 2
}

[ $# -eq 2 ] || usage
cmd="$1"
dir="$2"
[ -n "$dir" ] || usage
case "$dir" in
/*) ;;
*) dir="$(pwd)/$dir" ;;
esac

bindir() {
    if [ -n "${PG_BINDIR:-}" ]; then
        echo "$PG_BINDIR"
        return
    fi
    local d
    d="$(printf '%s\n' /usr/lib/postgresql/*/bin | grep -v '\*' | sort -V | tail -n 1 || true)"
    if [ -z "$d" ] && command -v pg_config >/dev/null 2>&1; then
        d="$(pg_config --bindir)"
    fi
    if [ -z "$d" ] || [ ! -x "$d/initdb" ] || [ ! -x "$d/pg_ctl" ]; then
        die "PostgreSQL server binaries not found (install the 'postgresql' package: scripts/install-deps.sh, or set PG_BINDIR)"
    fi
    echo "$d"
}

# The OS user that owns and runs the cluster: never root (PostgreSQL refuses it).
if [ "$(id -u)" -eq 0 ]; then
    RUN_USER="${PG_CLUSTER_USER:-postgres}"
    getent passwd "$RUN_USER" >/dev/null ||
        die "user '$RUN_USER' does not exist (the postgresql package creates it; or set PG_CLUSTER_USER)"
    as_user() { runuser -u "$RUN_USER" -- "$@"; }
else
    RUN_USER="$(id -un)"
    as_user() { "$@"; }
fi

is_running() {
    [ -f "$dir/data/postmaster.pid" ] && as_user "$BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

print_url() {
    [ -f "$dir/port" ] || die "no cluster in $dir (run: $0 start $dir)"
    is_running || die "the cluster in $dir is not running (run: $0 start $dir)"
    echo "postgres://$DB_USER@127.0.0.1:$(cat "$dir/port")/$DB_NAME"
}

port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

free_port() {
    local p _
    for _ in $(seq 1 200); do
        p=$((20000 + (RANDOM % 30000)))
        if port_free "$p"; then
            echo "$p"
            return
        fi
    done
    die "no free local port found"
}

do_init() {
    if [ -e "$dir" ] && [ ! -f "$dir/$MARKER" ]; then
        [ -z "$(ls -A "$dir" 2>/dev/null)" ] || die "$dir exists and is not a pg-cluster folder"
    fi
    mkdir -p "$dir"
    touch "$dir/$MARKER"
    if [ "$(id -u)" -eq 0 ]; then
        chown "$RUN_USER" "$dir"
        chmod 0700 "$dir"
        as_user test -w "$dir" ||
            die "user '$RUN_USER' cannot write $dir (pick a folder whose parents it can enter, e.g. under /tmp)"
    fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_user "$BIN/initdb" -D "$dir/data" -U "$DB_USER" --auth=trust --encoding=UTF8 \
            --locale=C >"$dir/initdb.log" 2>&1 ||
            die "initdb failed; see $dir/initdb.log"
        # Loopback and the private unix socket only (the socket folder is DIR, mode 0700).
        cat >"$dir/data/pg_hba.conf" <<EOF
local all all trust
host all all 127.0.0.1/32 trust
EOF
    fi
}

do_start() {
    BIN="$(bindir)"
    if is_running; then
        print_url
        return
    fi
    do_init
    local port _
    for _ in 1 2 3 4 5; do
        port="${PG_CLUSTER_PORT:-$(free_port)}" # a given port: where a client already waits
        if as_user "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=on" \
            start >/dev/null 2>&1; then
            echo "$port" >"$dir/port"
            break
        fi
        port=""
    done
    [ -n "$port" ] || die "the server did not start; see $dir/server.log"
    if ! as_user "$BIN/psql" -X -q -h "$dir" -p "$port" -U "$DB_USER" -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'" | grep -q 1; then
        as_user "$BIN/createdb" -h "$dir" -p "$port" -U "$DB_USER" "$DB_NAME" ||
            die "could not create database $DB_NAME"
    fi
    print_url
}

do_stop() {
    if [ ! -e "$dir" ]; then
        return
    fi
    [ -f "$dir/$MARKER" ] || die "$dir is not a pg-cluster folder; not removing it"
    BIN="$(bindir)"
    if is_running; then
        as_user "$BIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null ||
            die "the server in $dir did not stop"
    fi
    rm -rf "$dir"
}

case "$cmd" in
start) do_start ;;
stop) do_stop ;;
url)
    BIN="$(bindir)"
    print_url
    ;;
*) usage ;;
esac
