#!/usr/bin/env bash
# localsocket's command line: --help and --version everywhere (exit 0, on stdout), usage
# errors (exit 2, the message and the synopsis on stderr).
set -uo pipefail
source tools/cli/tests/cli_test_lib.sh "$1" || exit 1  # Tests run from the runfiles root.

version=$(cat "$2") || fail "no VERSION file"

expect_run 0 --version
expect_stdout "localsocket $version"
expect_empty "$WORK/err"
expect_run 0 probe x --version
expect_stdout "localsocket $version"

expect_run 0 --help
head -n1 "$WORK/out" | grep -qx 'usage: localsocket COMMAND NAME \[OPTIONS\] ...' ||
  fail "--help: $(head -n1 "$WORK/out")"
grep -q '^exit status: 0 success; 1 failure, its cause on stderr; 2 usage error.$' "$WORK/out" ||
  fail "--help does not give the exit statuses"
expect_empty "$WORK/err"
for command in listen connect send probe; do
  expect_run 0 "$command" --help
  head -n1 "$WORK/out" | grep -q "^usage: localsocket $command NAME" ||
    fail "$command --help: $(head -n1 "$WORK/out")"
  expect_empty "$WORK/err"
  # --help wins over errors around it.
  expect_run 0 "$command" --bogus --help
done

expect_run 2
expect_stderr "localsocket: missing COMMAND" \
  "usage: localsocket COMMAND NAME [OPTIONS] ..." \
  "       localsocket [COMMAND] --help | --version" \
  "('localsocket --help' explains more)"
expect_empty "$WORK/out"

expect_run 2 frobnicate x
expect_stderr "localsocket: unknown command 'frobnicate'" \
  "usage: localsocket COMMAND NAME [OPTIONS] ..." \
  "       localsocket [COMMAND] --help | --version" \
  "('localsocket --help' explains more)"

connect_synopsis=("usage: localsocket connect NAME [--abstract] [--timeout MS]"
  "('localsocket connect --help' explains more)")
expect_run 2 connect
expect_stderr "localsocket: missing NAME" "${connect_synopsis[@]}"
expect_run 2 connect x --echo
expect_stderr "localsocket: unknown option '--echo'" "${connect_synopsis[@]}"
expect_run 2 connect x y
expect_stderr "localsocket: unexpected argument 'y'" "${connect_synopsis[@]}"
expect_run 2 connect x --timeout
expect_stderr "localsocket: option --timeout needs a value" "${connect_synopsis[@]}"
expect_run 2 connect x --timeout=-5
expect_stderr "localsocket: --timeout takes milliseconds (0 or more), not '-5'" \
  "${connect_synopsis[@]}"

send_synopsis=("usage: localsocket send NAME [--abstract] [--timeout MS] [--fd PATH]... [-n] DATA..."
  "       localsocket send NAME [--abstract] [--timeout MS] [--fd PATH]... -"
  "('localsocket send --help' explains more)")
expect_run 2 send x
expect_stderr "localsocket: missing DATA" "${send_synopsis[@]}"
expect_run 2 send x a - b
expect_stderr "localsocket: '-' (stdin) must be the only DATA" "${send_synopsis[@]}"
expect_run 2 send x --fd
expect_stderr "localsocket: option --fd needs a value" "${send_synopsis[@]}"
expect_run 2 send x --fd= data
expect_stderr "localsocket: --fd takes a path" "${send_synopsis[@]}"
too_many=()
for _ in $(seq 254); do too_many+=(--fd /dev/null); done
expect_run 2 send x "${too_many[@]}" data
expect_stderr "localsocket: at most 253 --fd (one message's limit)" "${send_synopsis[@]}"
expect_run 2 connect x --fd /dev/null  # A send option only.
expect_stderr "localsocket: unknown option '--fd'" "${connect_synopsis[@]}"

listen_synopsis=("usage: localsocket listen NAME [--echo | --raw] [--abstract]"
  "                          [--mode user|group|other|world] [--max-clients N]"
  "                          [--peer-info]"
  "('localsocket listen --help' explains more)")
expect_run 2 listen x --mode everyone
expect_stderr "localsocket: --mode takes user, group, other or world, not 'everyone'" \
  "${listen_synopsis[@]}"
expect_run 2 listen x --max-clients 0
expect_stderr "localsocket: --max-clients takes a number (1 or more), not '0'" \
  "${listen_synopsis[@]}"
expect_run 2 listen x --echo --raw
expect_stderr "localsocket: --echo and --raw exclude each other" "${listen_synopsis[@]}"
expect_run 2 listen x --abstract --mode user
expect_stderr "localsocket: --mode has no effect with --abstract" "${listen_synopsis[@]}"

probe_synopsis=("usage: localsocket probe NAME [--abstract] [--timeout MS]"
  "('localsocket probe --help' explains more)")
expect_run 2 probe x -n
expect_stderr "localsocket: unknown option '-n'" "${probe_synopsis[@]}"
expect_run 2 probe x --peer-info  # A listen option only.
expect_stderr "localsocket: unknown option '--peer-info'" "${probe_synopsis[@]}"

echo "PASS"
