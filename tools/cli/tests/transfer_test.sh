#!/usr/bin/env bash
# Bytes through the real tool: 10 MiB of random bytes through an echoing `listen` from
# several concurrent `connect`s, through pipes and through redirected files, checksummed;
# `listen`'s printing (prefixed and raw); `send`; fds passed with `send --fd`.
set -uo pipefail
source tools/cli/tests/cli_test_lib.sh "$1" || exit 1  # Tests run from the runfiles root.

clients=3
head -c $((10 * 1024 * 1024)) /dev/urandom >"$WORK/in.bin" || fail "no random input"

# Echo: through files and through pipes, all clients at once.
start_listener "$WORK/echo.sock" --echo
pids=()
for i in $(seq "$clients"); do
  timeout "$CLI_TIMEOUT" "$LS" connect "$WORK/echo.sock" <"$WORK/in.bin" >"$WORK/file$i.out" \
    2>"$WORK/file$i.err" &
  pids+=($!)
  (
    cat "$WORK/in.bin" | timeout "$CLI_TIMEOUT" "$LS" connect "$WORK/echo.sock" \
      2>"$WORK/pipe$i.err" | cat >"$WORK/pipe$i.out"
    exit "${PIPESTATUS[1]}"
  ) &
  pids+=($!)
done
for pid in "${pids[@]}"; do
  wait "$pid" || fail "a connect client failed"
done
for i in $(seq "$clients"); do
  expect_same "$WORK/in.bin" "$WORK/file$i.out"
  expect_same "$WORK/in.bin" "$WORK/pipe$i.out"
  expect_empty "$WORK/file$i.err"
  expect_empty "$WORK/pipe$i.err"
done

# send: the words joined, a newline, the echo printed; -n without the newline; '-' is stdin.
expect_run 0 send "$WORK/echo.sock" hello  big world
expect_stdout "hello big world"
expect_empty "$WORK/err"
expect_run 0 send "$WORK/echo.sock" -n -- -x
[ "$(cat "$WORK/out")" = "-x" ] && [ "$(stat -c %s "$WORK/out")" -eq 2 ] ||
  fail "send -n: $(od -c "$WORK/out")"
STDIN=$WORK/in.bin expect_run 0 send "$WORK/echo.sock" -
expect_same "$WORK/in.bin" "$WORK/out"
# stdin on /dev/null (which epoll refuses): read at once, empty, and the exchange ends.
expect_run 0 send "$WORK/echo.sock" -
expect_empty "$WORK/out"
expect_empty "$WORK/err"
expect_run 0 connect "$WORK/echo.sock"
expect_empty "$WORK/out"
expect_empty "$WORK/err"
stop_listener TERM 0
expect_empty "$WORK/listener.rest"
expect_empty "$LISTENER_OUT"

# Raw: the bytes unchanged on the listener's stdout.
start_listener "$WORK/raw.sock" --raw
STDIN=$WORK/in.bin expect_run 0 connect "$WORK/raw.sock"
expect_empty "$WORK/out"
stop_listener TERM 0
expect_same "$WORK/in.bin" "$LISTENER_OUT"

# Prefixed: client numbers from 1, a partial last line completed at disconnect.
start_listener "$WORK/print.sock"
printf 'one\ntwo\n' >"$WORK/first.txt"
printf 'three\nfour' >"$WORK/second.txt"
STDIN=$WORK/first.txt expect_run 0 connect "$WORK/print.sock"
STDIN=$WORK/second.txt expect_run 0 connect "$WORK/print.sock"
expect_run 0 send "$WORK/print.sock" -n five
stop_listener INT 0
expect_file "$LISTENER_OUT" "[1] one" "[1] two" "[2] three" "[2] four" "[3] five"

# --max-clients 1: a second client waits until the first leaves.
start_listener "$WORK/one.sock" --max-clients 1
mkfifo "$WORK/first.fifo"
timeout "$CLI_TIMEOUT" "$LS" connect "$WORK/one.sock" <"$WORK/first.fifo" &
first=$!
exec {first_fd}>"$WORK/first.fifo"
echo a >&"$first_fd"
wait_until "the first client is printed" grep -qx '\[1\] a' "$LISTENER_OUT"
timeout "$CLI_TIMEOUT" "$LS" send "$WORK/one.sock" b {first_fd}>&- &
second=$!
echo c >&"$first_fd"
wait_until "the first client's second line is printed" grep -qx '\[1\] c' "$LISTENER_OUT"
grep -q b "$LISTENER_OUT" && fail "the second client was served beside the first"
exec {first_fd}>&-
wait "$first" || fail "the first client failed"
wait "$second" || fail "the second client failed"
stop_listener TERM 0
expect_file "$LISTENER_OUT" "[1] a" "[1] c" "[2] b"

# --peer-info: each client's process on stderr, as the kernel saw it connect.
start_listener "$WORK/peer.sock" --peer-info
( exec "$LS" send "$WORK/peer.sock" first </dev/null >/dev/null ) &
first=$!
wait "$first" || fail "the first --peer-info client failed"
( exec "$LS" send "$WORK/peer.sock" second </dev/null >/dev/null ) &
second=$!
wait "$second" || fail "the second --peer-info client failed"
stop_listener TERM 0
expect_file "$WORK/listener.rest" \
  "localsocket: [1] peer pid $first, uid $(id -u), gid $(id -g)" \
  "localsocket: [2] peer pid $second, uid $(id -u), gid $(id -g)"
expect_file "$LISTENER_OUT" "[1] first" "[2] second"

# --fd: the listener names each passed fd ("[N] fd: TARGET") where its client's next line
# starts, and closes it; a path that cannot be opened fails before connecting; stdin as DATA
# carries the fds too, and an empty one cannot.
printf 'x' >"$WORK/passed.txt"
printf 'from stdin\n' >"$WORK/stdin.txt"
: >"$WORK/empty.txt"
start_listener "$WORK/fd.sock"
expect_run 0 send "$WORK/fd.sock" --fd "$WORK/passed.txt" --fd="$WORK" hello
expect_empty "$WORK/err"
expect_run 0 send "$WORK/fd.sock" plain
STDIN=$WORK/stdin.txt expect_run 0 send "$WORK/fd.sock" --fd "$WORK/passed.txt" -
expect_run 1 send "$WORK/fd.sock" --fd "$WORK/missing" x
expect_stderr "localsocket: cannot open $WORK/missing: No such file or directory"
STDIN=$WORK/empty.txt expect_run 1 send "$WORK/fd.sock" --fd "$WORK/passed.txt" -
expect_stderr "localsocket: no data to pass the file descriptors with"
# Every client has left (each send ended when the listener closed it): no fd stays open.
for fd in "/proc/$LISTENER_TOOL_PID/fd/"*; do
  case "$(readlink "$fd")" in
    "$WORK" | "$WORK/passed.txt") fail "listen kept a passed fd open: $fd" ;;
  esac
done
stop_listener TERM 0
expect_file "$LISTENER_OUT" "[1] fd: $WORK/passed.txt" "[1] fd: $WORK" "[1] hello" "[2] plain" \
  "[3] fd: $WORK/passed.txt" "[3] from stdin"
expect_empty "$WORK/listener.rest"

# --fd with --raw: the fd lines on stderr, the bytes unchanged on stdout; with --echo on stdout.
start_listener "$WORK/fdraw.sock" --raw
expect_run 0 send "$WORK/fdraw.sock" --fd "$WORK/passed.txt" raw
stop_listener TERM 0
expect_file "$LISTENER_OUT" "raw"
expect_file "$WORK/listener.rest" "[1] fd: $WORK/passed.txt"
start_listener "$WORK/fdecho.sock" --echo
expect_run 0 send "$WORK/fdecho.sock" --fd "$WORK/passed.txt" echoed
expect_stdout "echoed"
stop_listener TERM 0
expect_file "$LISTENER_OUT" "[1] fd: $WORK/passed.txt"

# The abstract namespace.
start_listener "localsocket-cli-test-$$" --abstract --echo
expect_run 0 send "localsocket-cli-test-$$" --abstract abstract
expect_stdout "abstract"
stop_listener TERM 0

echo "PASS"
