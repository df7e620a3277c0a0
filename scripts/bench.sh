#!/usr/bin/env bash
# `npm run bench`: both benchmarks, each a ratio against a baseline measured in the same run:
#   intake    the gateway's POST /v1/transfers against a bare Express + BullMQ server (scripts/bench/intake.ts)
#   delivery  draining a backlog against a no-op BullMQ worker, and a partner-limited drain (scripts/bench/delivery.ts)
# `npm run bench -- intake [--duration 15 --rounds 2 …]` or `npm run bench -- delivery [--transfers 3000 …]`
# runs one. Results: bench-results/{intake,delivery}.{json,md}. Exit 3 when a target is missed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-deps.sh
case "${1:-all}" in
  intake | delivery)
    which="$1"
    shift
    exec node --import tsx "scripts/bench/${which}.ts" "$@"
    ;;
  all)
    status=0
    node --import tsx scripts/bench/intake.ts || status=$?
    node --import tsx scripts/bench/delivery.ts || { s=$?; [[ $status -eq 0 ]] && status=$s; }
    exit "$status"
    ;;
  *)
    echo "usage: npm run bench [-- intake|delivery [options]]" >&2
    exit 2
    ;;
esac
