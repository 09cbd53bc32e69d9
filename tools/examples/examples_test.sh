#!/usr/bin/env bash
# The example programs: they check their arguments (--help: the usage on stdout, exit 0; a
# wrong call: the usage on stderr, exit 2, nothing created), and they echo.
set -uo pipefail
server=$(realpath "$1") client=$(realpath "$2")
work=$(mktemp -d /tmp/localsocket-examples.XXXXXX) || exit 1
server_pid=  # the `timeout` process that runs the server
trap '[ -n "$server_pid" ] && pkill -KILL -P "$server_pid"; rm -rf "$work"' EXIT
export TMPDIR=$work/tmp
mkdir "$TMPDIR"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# expect STATUS STDOUT STDERR PROGRAM ARGS...: runs PROGRAM (10 s at most) and compares.
expect() {
  local status=$1 out=$2 err=$3 got
  shift 3
  timeout 10 "$@" >"$work/out" 2>"$work/err" </dev/null
  got=$?
  [ "$got" -eq "$status" ] || fail "$* exited $got, expected $status"
  [ "$(cat "$work/out")" = "$out" ] || fail "$* printed '$(cat "$work/out")', expected '$out'"
  [ "$(cat "$work/err")" = "$err" ] || fail "$* said '$(cat "$work/err")', expected '$err'"
}

expect 0 "usage: echo_server NAME | echo_server --inherited" "" "$server" --help
expect 2 "" "usage: echo_server NAME | echo_server --inherited" "$server"
expect 2 "" "usage: echo_server NAME | echo_server --inherited" "$server" --port
expect 2 "" "usage: echo_server NAME | echo_server --inherited" "$server" a b
expect 0 "usage: echo_client NAME TEXT..." "" "$client" --help
expect 2 "" "usage: echo_client NAME TEXT..." "$client" name
expect 2 "" "usage: echo_client NAME TEXT..." "$client" --help x
[ -z "$(ls -A "$TMPDIR")" ] || fail "a wrong call created $(ls -A "$TMPDIR")"

# A live round trip; the server says where it listens on its stdout (read through a pipe).
mkfifo "$work/server.out"
timeout 60 "$server" echo.sock >"$work/server.out" &
server_pid=$!
exec {server_fd}<"$work/server.out"
read -r -t 10 -u "$server_fd" line || fail "echo_server did not start"
[ "$line" = "echoing on $TMPDIR/echo.sock (Ctrl-C stops)" ] || fail "echo_server said '$line'"
expect 0 "$(printf 'hello\nworld')" "" "$client" echo.sock hello world
# SIGTERM goes to the server itself: `timeout` would pass it on twice (to the server and to
# its process group), and the second one may land after the server's watcher is gone.
kill -TERM "$(pgrep -P "$server_pid")" || fail "no echo_server under $server_pid"
wait "$server_pid" || fail "echo_server exited $? after SIGTERM, expected 0"
server_pid=
[ ! -e "$TMPDIR/echo.sock" ] || fail "echo_server left its socket file"
# Socket activation: systemd-socket-activate listens, and on the first connection starts the
# server with the socket (the server's process replaces the activator's).
if command -v systemd-socket-activate >/dev/null; then
  rm -f "$work/server.out" && mkfifo "$work/server.out" "$work/activator.err"
  timeout 60 systemd-socket-activate -l "$TMPDIR/activated.sock" "$server" --inherited \
    >"$work/server.out" 2>"$work/activator.err" &
  server_pid=$!
  exec {server_fd}<"$work/server.out" {activator_fd}<"$work/activator.err"  # Its open order.
  read -r -t 10 -u "$activator_fd" line || fail "systemd-socket-activate did not start"
  [[ $line == "Listening on $TMPDIR/activated.sock"* ]] || fail "activator said '$line'"
  expect 0 "activated" "" "$client" "$TMPDIR/activated.sock" activated
  read -r -t 10 -u "$server_fd" line || fail "the activated echo_server said nothing"
  [ "$line" = "echoing on $TMPDIR/activated.sock (Ctrl-C stops)" ] || fail "activated: '$line'"
  kill -TERM "$(pgrep -P "$server_pid")" || fail "no activated echo_server under $server_pid"
  wait "$server_pid" || fail "activated echo_server exited $? after SIGTERM, expected 0"
  server_pid=
else
  echo "SKIP: socket activation (systemd-socket-activate is not installed)"
fi
echo PASS
