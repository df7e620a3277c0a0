#!/usr/bin/env bash
# Installs what the project needs to run, and nothing else. Idempotent and fast when nothing is missing:
#   - node_modules, via `npm ci`, when it is missing or older than package-lock.json;
#   - redis-server, via apt (Debian/Ubuntu, as root), when it is not on PATH. The package's own
#     service is kept stopped: the project always runs its own Redis instances on its own ports.
#   - chromium (Debian's, at /usr/bin/chromium, driven by the browser tests), via apt as root, when it
#     is missing; without root it only warns, since the demo does not need it.
# REDIS_SERVER may name another redis-server binary (the same variable scripts/lib/redis-server.ts reads).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# --- node modules --------------------------------------------------------------------------------
# npm ci writes node_modules/.package-lock.json last, so its age is the age of the install.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "ensure-deps: installing node modules (npm ci)..."
  npm ci --no-audit --no-fund
fi

# --- redis-server --------------------------------------------------------------------------------
redis_bin="${REDIS_SERVER:-redis-server}"
if ! command -v "$redis_bin" >/dev/null 2>&1; then
  if [[ "$(id -u)" -ne 0 ]]; then
    echo "redis-server is not installed: run \`sudo apt-get install redis-server\` (Debian/Ubuntu) and try again" >&2
    exit 1
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "redis-server is not installed and apt-get is not available: install Redis 7 (redis-server) and try again" >&2
    exit 1
  fi
  echo "ensure-deps: installing redis-server (apt-get)..."
  # Keep the package from starting its own service on 6379 while it installs: policy-rc.d exit 101
  # means "no service may be started" to invoke-rc.d and deb-systemd-invoke. Respect an existing one.
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    created_policy=1
  fi
  cleanup_policy() { if [[ "$created_policy" -eq 1 ]]; then rm -f "$policy"; fi; }
  trap cleanup_policy EXIT
  apt_log="$(mktemp)"
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends redis-server; } >"$apt_log" 2>&1; then
    cat "$apt_log" >&2
    echo "ensure-deps: apt-get install redis-server failed (output above)" >&2
    rm -f "$apt_log"
    exit 1
  fi
  rm -f "$apt_log"
  cleanup_policy
  trap - EXIT
  # Under systemd the unit is still enabled for the next boot; disable it (and stop it, should anything
  # have started it anyway). Without systemd nothing else starts it.
  if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now redis-server >/dev/null 2>&1 || true
  elif [[ -x /etc/init.d/redis-server ]]; then
    /etc/init.d/redis-server stop >/dev/null 2>&1 || true
  fi
  if ! command -v "$redis_bin" >/dev/null 2>&1; then
    echo "ensure-deps: redis-server is still not on PATH after apt-get install redis-server" >&2
    exit 1
  fi
  echo "ensure-deps: $("$redis_bin" --version | cut -d' ' -f1-3)"
fi

# --- test tools (only with --test: `npm test` and CI, not the demo) ----------------------------------
#   chromium  the browser tests (test/browser) drive Debian's Chromium with playwright-core
#   promtool  the metrics test checks /metrics with Prometheus's own linter (Debian package prometheus)
if [[ "${1:-}" == "--test" ]]; then
  missing=()
  [[ -x /usr/bin/chromium ]] || missing+=(chromium)
  command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
  if [[ ${#missing[@]} -gt 0 ]]; then
    if [[ "$(id -u)" -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
      echo "ensure-deps: the tests need ${missing[*]}: run \`sudo apt-get install ${missing[*]}\` (Debian) and try again" >&2
      exit 1
    fi
    echo "ensure-deps: installing ${missing[*]} for the tests (apt-get)..."
    # No service may start while installing (the prometheus package ships one).
    policy=/usr/sbin/policy-rc.d
    created_policy=0
    if [[ ! -e "$policy" ]]; then
      printf '#!/bin/sh\nexit 101\n' >"$policy"
      chmod 755 "$policy"
      created_policy=1
    fi
    apt_log="$(mktemp)"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends "${missing[@]}"; } >"$apt_log" 2>&1; then
      cat "$apt_log" >&2
      echo "ensure-deps: apt-get install ${missing[*]} failed (output above)" >&2
      [[ "$created_policy" -eq 1 ]] && rm -f "$policy"
      rm -f "$apt_log"
      exit 1
    fi
    [[ "$created_policy" -eq 1 ]] && rm -f "$policy"
    rm -f "$apt_log"
    if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
      systemctl disable --now prometheus >/dev/null 2>&1 || true
    fi
  fi
fi
