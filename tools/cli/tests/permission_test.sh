#!/usr/bin/env bash
# "permission denied": a client running as `nobody` connects to a socket only its owner may
# use (--mode user), in a fresh 0711 directory. Needs root (to run as nobody); skipped
# otherwise.
set -uo pipefail
source tools/cli/tests/cli_test_lib.sh "$1" || exit 1  # Tests run from the runfiles root.

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIPPED: needs root to run the client as nobody"
  exit 0
fi
id nobody >/dev/null 2>&1 || fail "no user nobody"
dir=$(mktemp -d /tmp/localsocket-perm.XXXXXX) || fail "mktemp"
trap 'cli_cleanup; rm -rf "$dir"' EXIT
chmod 0711 "$dir"
# nobody cannot reach the tool inside Bazel's output tree; a copy in the directory it can.
install -m 0755 "$LS" "$dir/localsocket"

start_listener "$dir/s.sock" --mode user
[ "$(stat -c %a "$dir/s.sock")" = 700 ] || fail "mode $(stat -c %a "$dir/s.sock"), expected 700"
as_nobody() { timeout "$CLI_TIMEOUT" setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
as_nobody "$dir/localsocket" probe "$dir/s.sock" >"$WORK/out" 2>"$WORK/err"
status=$?
[ "$status" -eq 1 ] || fail "probe as nobody exited $status, expected 1"
expect_stderr "localsocket: cannot connect to $dir/s.sock: permission denied"
as_nobody "$dir/localsocket" send "$dir/s.sock" hi >"$WORK/out" 2>"$WORK/err"
status=$?
[ "$status" -eq 1 ] || fail "send as nobody exited $status, expected 1"
expect_stderr "localsocket: cannot connect to $dir/s.sock: permission denied"
# The owner may.
expect_run 0 probe "$dir/s.sock"
stop_listener TERM 0

echo "PASS"
