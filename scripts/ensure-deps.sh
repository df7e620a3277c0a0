#!/usr/bin/env bash
# Installs what the project needs, and nothing else. Idempotent and fast when nothing is missing:
#   - node_modules, via `npm ci`, when it is missing or older than package-lock.json;
#   - redis-server, via apt (Debian/Ubuntu, as root), when it is not on PATH. The package's own
#     service is kept stopped: the project always runs its own Redis instances on its own ports;
#   - with --test (`npm test`, CI; not the demo): chromium (the browser tests drive Debian's Chromium
#     with playwright-core) and promtool (Debian package prometheus; the metrics test lints /metrics).
# Without root, a missing package is one clear line saying what to install, and exit 1.
# REDIS_SERVER may name another redis-server binary (the same variable scripts/lib/redis-server.ts reads).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# apt_install WHAT PACKAGE... — installs the packages quietly; WHAT says who needs them. No package may
# start a service while it installs (a policy-rc.d that answers 101, unless one exists already), and
# under systemd the services they ship are disabled afterwards.
apt_install() {
  local what="$1"
  shift
  if [[ "$(id -u)" -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "$* not installed (needed by $what): run \`sudo apt-get install $*\` (Debian/Ubuntu) and try again" >&2
    exit 1
  fi
  echo "ensure-deps: installing $* for $what (apt-get)..."
  local policy=/usr/sbin/policy-rc.d created_policy=0 apt_log
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    created_policy=1
  fi
  apt_log="$(mktemp)"
  local status=0
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends "$@"; } >"$apt_log" 2>&1 || status=$?
  [[ "$created_policy" -eq 1 ]] && rm -f "$policy"
  if [[ "$status" -ne 0 ]]; then
    cat "$apt_log" >&2
    rm -f "$apt_log"
    echo "ensure-deps: apt-get install $* failed (output above)" >&2
    exit 1
  fi
  rm -f "$apt_log"
  if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
    local pkg
    for pkg in "$@"; do systemctl disable --now "$pkg" >/dev/null 2>&1 || true; done
  fi
}

# --- node modules --------------------------------------------------------------------------------
# npm ci writes node_modules/.package-lock.json last, so its age is the age of the install.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "ensure-deps: installing node modules (npm ci)..."
  npm ci --no-audit --no-fund
fi

# --- redis-server --------------------------------------------------------------------------------
redis_bin="${REDIS_SERVER:-redis-server}"
if ! command -v "$redis_bin" >/dev/null 2>&1; then
  apt_install "the gateway" redis-server
  # Without systemd nothing starts it again, but stop it should anything have started it anyway.
  [[ -x /etc/init.d/redis-server ]] && { /etc/init.d/redis-server stop >/dev/null 2>&1 || true; }
  if ! command -v "$redis_bin" >/dev/null 2>&1; then
    echo "ensure-deps: redis-server is still not on PATH after apt-get install redis-server" >&2
    exit 1
  fi
  echo "ensure-deps: $("$redis_bin" --version | cut -d' ' -f1-3)"
fi

# --- test tools ----------------------------------------------------------------------------------
if [[ "${1:-}" == "--test" ]]; then
  missing=()
  [[ -x /usr/bin/chromium ]] || missing+=(chromium)
  command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
  if [[ ${#missing[@]} -gt 0 ]]; then apt_install "the tests" "${missing[@]}"; fi
fi
