# Shared by tools/test and tools/demo. Source it; it defines functions only.

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

# Bazel flags shared by our scripts: quiet output, and a disk cache that lets fresh clones
# (CI) reuse earlier build results.
localsocket_bazel_flags() {
  local cache="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/localsocket/bazel-disk-cache"
  printf '%s\n' "--disk_cache=$cache" --ui_event_filters=-info --noshow_progress
}
