# Shared by the end-to-end tests of the localsocket tool. Source it with the tool's path as
# the first argument of the test; it defines $LS, a scratch directory $WORK (removed at exit,
# with any listener still running stopped) and the helpers below. Every process runs under
# `timeout`, so no test can hang.

LS=$(realpath "$1") || exit 1
WORK=$(mktemp -d /tmp/localsocket-cli.XXXXXX) || exit 1
LISTENER_PID=  # the `timeout` process that runs the listener
LISTENER_TOOL_PID=  # the listener itself
LISTENER_OUT=
LISTENER_ERR_FD=
# Every tool process is killed after this many seconds.
CLI_TIMEOUT=60

cli_cleanup() {
  [ -n "$LISTENER_TOOL_PID" ] && kill -KILL "$LISTENER_TOOL_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cli_cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# expect_run STATUS ARGS...: runs the tool with ARGS, stdin from $STDIN (default /dev/null),
# stdout to $WORK/out and stderr to $WORK/err; fails unless it exits with STATUS.
expect_run() {
  local want=$1 got
  shift
  timeout "$CLI_TIMEOUT" "$LS" "$@" <"${STDIN:-/dev/null}" >"$WORK/out" 2>"$WORK/err"
  got=$?
  [ "$got" -eq "$want" ] || fail "localsocket $* exited $got, expected $want; stderr: $(cat "$WORK/err")"
}

# expect_file FILE LINE...: fails unless FILE holds exactly the LINEs.
expect_file() {
  local file=$1
  shift
  diff <(printf '%s\n' "$@") "$file" >&2 || fail "$file differs from the expected lines (above)"
}

# expect_stderr LINE...: the last expect_run's stderr is exactly the LINEs.
expect_stderr() { expect_file "$WORK/err" "$@"; }

# expect_stdout LINE...: the last expect_run's stdout is exactly the LINEs.
expect_stdout() { expect_file "$WORK/out" "$@"; }

# expect_empty FILE: fails unless FILE is empty.
expect_empty() { [ ! -s "$1" ] || fail "$1 is not empty: $(head -c 300 "$1")"; }

# expect_same FILE1 FILE2: the same bytes (compared by SHA-256, both sizes in the message).
expect_same() {
  local a b
  a=$(sha256sum <"$1" | cut -d' ' -f1) b=$(sha256sum <"$2" | cut -d' ' -f1)
  [ "$a" = "$b" ] || fail "$1 ($(stat -c %s "$1") bytes) and $2 ($(stat -c %s "$2") bytes) differ"
}

# start_listener ARGS...: starts `localsocket listen ARGS...` in the background with stdout
# to $WORK/listener.out (LISTENER_OUT) and waits, through a pipe, for its "listening on"
# line. Sets LISTENER_PID. Its later stderr lines stay readable by stop_listener.
start_listener() {
  LISTENER_OUT=$WORK/listener.out
  rm -f "$WORK/listener.err"
  mkfifo "$WORK/listener.err"
  timeout "$CLI_TIMEOUT" "$LS" listen "$@" >"$LISTENER_OUT" 2>"$WORK/listener.err" &
  LISTENER_PID=$!
  exec {LISTENER_ERR_FD}<"$WORK/listener.err"
  local line
  read -r -t 10 -u "$LISTENER_ERR_FD" line || fail "listen $* did not start"
  [[ $line == "localsocket: listening on "* ]] || fail "listen $* said: $line"
  LISTENER_TOOL_PID=$(pgrep -P "$LISTENER_PID") || fail "no listener under $LISTENER_PID"
}

# stop_listener SIGNAL STATUS: sends SIGNAL to the listener, waits for it and fails unless it
# exits with STATUS. Its stderr after the "listening on" line goes to $WORK/listener.rest.
stop_listener() {
  kill "-$1" "$LISTENER_TOOL_PID" || fail "no listener to signal"
  wait_listener "$2"
}

# wait_listener STATUS: waits for the listener to exit by itself; as stop_listener.
wait_listener() {
  local got
  wait "$LISTENER_PID"
  got=$?
  LISTENER_PID= LISTENER_TOOL_PID=
  timeout 10 cat <&"$LISTENER_ERR_FD" >"$WORK/listener.rest"
  exec {LISTENER_ERR_FD}<&-
  [ "$got" -eq "$1" ] || fail "listen exited $got, expected $1: $(cat "$WORK/listener.rest")"
}

# wait_until DESCRIPTION COMMAND...: polls COMMAND every 10 ms until it succeeds, failing
# after 10 s. Only for states that no pipe or exit status reports (a file offset, a file
# appearing); everything else waits on processes and pipes.
wait_until() {
  local what=$1 i
  shift
  for ((i = 0; i < 1000; i++)); do
    "$@" && return 0
    sleep 0.01
  done
  fail "timed out waiting until $what"
}
