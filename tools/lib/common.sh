# Shared by our tools/ scripts. Source it; it defines functions only.

# The Debian packages the build needs. tools/test and tools/demo install the missing ones.
LOCALSOCKET_PACKAGES=(bazel-bootstrap bazel-rules-cc bazel-rules-java libevent-dev googletest g++)

# Installs missing packages quietly; a fast no-op when everything is present.
localsocket_ensure_packages() {
  local missing=() pkg
  for pkg in "${LOCALSOCKET_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
      missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; return 1; }
    sudo=(sudo)
  fi
  echo "Installing ${missing[*]} ..." >&2
  local log
  log=$(mktemp)
  if ! { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
         "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
           "${missing[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "package installation failed" >&2
    return 1
  fi
  rm -f "$log"
}

# Bazel flags shared by our scripts, one per line: a disk cache that lets fresh clones (CI)
# reuse earlier build results; Bazel's progress lines when stderr is a terminal, nothing but
# results and errors otherwise (CI logs). Neither way shows Bazel's INFO lines.
localsocket_bazel_flags() {
  local cache="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/localsocket/bazel-disk-cache"
  printf '%s\n' "--disk_cache=$cache" --ui_event_filters=-info
  if [ -t 2 ]; then
    printf '%s\n' --show_progress --show_progress_rate_limit=2
  else
    printf '%s\n' --noshow_progress
  fi
}

# Prints one line on stderr saying what is being built, so that a first build (minutes) does
# not look like a hang.
localsocket_announce_build() {
  echo "Building $* with Bazel (the first build takes a few minutes) ..." >&2
}

# Builds the cc_binary TARGET (//pkg:name) quietly in the repository, then replaces this shell
# with it, run from the caller's directory with the remaining arguments. For the wrappers that
# run one of our programs.
localsocket_build_and_exec() {
  local target=$1 root flags bin
  shift
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd) || exit 1
  localsocket_ensure_packages || exit 1
  mapfile -t flags < <(localsocket_bazel_flags)
  local path=${target#//}
  path=${path/://}
  [ -x "$root/bazel-bin/$path" ] || localsocket_announce_build "$target"
  (cd "$root" && bazel build "${flags[@]}" --show_result=0 "$target") || exit 1
  bin=$(cd "$root" && bazel info "${flags[@]}" bazel-bin 2>/dev/null) || exit 1
  exec "$bin/$path" "$@"
}
