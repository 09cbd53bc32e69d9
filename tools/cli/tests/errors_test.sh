#!/usr/bin/env bash
# Failures of the real tool, each with its exit status and its one stderr line: server not
# found, connection refused (a stale socket file), address in use, timed out (a send whose
# reply never comes, a connect to a full backlog), peer closed early; `probe` on a live
# server, a stale file and a missing name; SIGTERM removing the socket file.
set -uo pipefail
source tools/cli/tests/cli_test_lib.sh "$1" || exit 1  # Tests run from the runfiles root.

sock=$WORK/s.sock

# Missing name.
expect_run 1 probe "$WORK/missing.sock"
expect_stderr "localsocket: cannot connect to $WORK/missing.sock: server not found"
expect_run 1 connect "$WORK/missing.sock"
expect_stderr "localsocket: cannot connect to $WORK/missing.sock: server not found"
expect_run 1 send "$WORK/missing.sock" hi
expect_stderr "localsocket: cannot connect to $WORK/missing.sock: server not found"
expect_empty "$WORK/out"

# A live server; a second one on the same name; SIGTERM removes the socket file.
start_listener "$sock"
expect_run 0 probe "$sock"
expect_empty "$WORK/out"
expect_empty "$WORK/err"
expect_run 1 listen "$sock"
expect_stderr "localsocket: cannot listen on $sock: address in use"
stop_listener TERM 0
[ ! -e "$sock" ] || fail "SIGTERM left $sock behind"
expect_empty "$WORK/listener.rest"

# A stale socket file (its server was killed): refused, and a new listen replaces it.
start_listener "$sock"
stop_listener KILL 137
[ -S "$sock" ] || fail "SIGKILL removed $sock"
expect_run 1 probe "$sock"
expect_stderr "localsocket: cannot connect to $sock: connection refused"
expect_run 1 connect "$sock"
expect_stderr "localsocket: cannot connect to $sock: connection refused"
start_listener "$sock"
expect_run 0 probe "$sock"
stop_listener INT 0
[ ! -e "$sock" ] || fail "SIGINT left $sock behind"

# Timed out: a server with one client slot, taken by a client that keeps its stdin open; a
# second client is connected (queued by the server) but never served.
start_listener "$sock" --echo --max-clients 1
mkfifo "$WORK/hold"
timeout "$CLI_TIMEOUT" "$LS" connect "$sock" <"$WORK/hold" >"$WORK/holder.out" &
holder=$!
exec {hold_fd}>"$WORK/hold"
echo first >&"$hold_fd"
wait_until "the first client is served" grep -qx first "$WORK/holder.out"
expect_run 1 send "$sock" --timeout 200 second
expect_stderr "localsocket: timed out"
expect_empty "$WORK/out"

# Connect timed out: a listening socket whose backlog (0, so one queued connection) is full
# and that never accepts; connect() gets EAGAIN until --timeout expires.
full=$WORK/full.sock
mkfifo "$WORK/full.hold"
timeout "$CLI_TIMEOUT" python3 -c '
import socket, sys
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(sys.argv[1])
server.listen(0)
queued = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
queued.connect(sys.argv[1])
print("full", flush=True)
sys.stdin.read()  # Holds the sockets until the test closes the fifo.
' "$full" <"$WORK/full.hold" >"$WORK/full.out" &
full_holder=$!
exec {full_fd}>"$WORK/full.hold"
wait_until "the backlog is full" grep -qx full "$WORK/full.out"
expect_run 1 connect "$full" --timeout 200
expect_stderr "localsocket: cannot connect to $full: timed out"
expect_empty "$WORK/out"
expect_run 1 probe "$full" --timeout 200
expect_stderr "localsocket: cannot connect to $full: timed out"
exec {full_fd}>&-
wait "$full_holder" || fail "the backlog holder failed"

# Peer closed early: a client that is never served takes more of its input than the kernel
# can hold for it; when the server stops, the rest cannot be sent.
head -c $((64 * 1024 * 1024)) /dev/zero >"$WORK/big.bin"
timeout "$CLI_TIMEOUT" "$LS" connect "$sock" <"$WORK/big.bin" >"$WORK/late.out" \
  2>"$WORK/late.err" {hold_fd}>&- &
late=$!
kernel_holds=$(cat /proc/sys/net/core/wmem_default)
late_tool=
# True once the tool under `timeout` runs (sets late_tool).
late_started() { late_tool=$(pgrep -P "$late") && [ -n "$late_tool" ]; }
# True once the offset of the tool's stdin is well beyond what the kernel can hold.
late_took_enough() {
  local pos
  pos=$(awk '/^pos:/ {print $2}' "/proc/$late_tool/fdinfo/0" 2>/dev/null)
  [ -n "$pos" ] && [ "$pos" -gt $((kernel_holds + 128 * 1024)) ]
}
wait_until "the late client starts" late_started
wait_until "the late client has taken its input" late_took_enough
stop_listener TERM 0
wait "$late"
status=$?
[ "$status" -eq 1 ] || fail "the late client exited $status, expected 1"
expect_file "$WORK/late.err" "localsocket: peer closed early"
expect_empty "$WORK/late.out"
# The first client sent everything it took: exit 0, although its stdin is still open.
wait "$holder" || fail "the first client exited $?, expected 0"
exec {hold_fd}>&-
expect_file "$WORK/holder.out" "first"

echo "PASS"
