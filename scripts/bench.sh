#!/usr/bin/env bash
# `npm run bench`: every benchmark; intake and delivery are each a ratio against a baseline measured in
# the same run, footprint holds memory to the goals, replica-ack reports what replica acknowledgement costs:
#   intake       the gateway's POST /v1/transfers against a bare Express + BullMQ server (scripts/bench/intake.ts)
#   delivery     draining a backlog against a no-op BullMQ worker, and a partner-limited drain (scripts/bench/delivery.ts)
#   footprint    Redis bytes per transfer in each phase, process RSS, a season's memory (scripts/bench/footprint.ts)
#   replica-ack  the intake with REDIS_MIN_REPLICAS_ACK=1 against 0, on a primary and one replica (scripts/bench/replica-ack.ts)
# `npm run bench -- intake [--duration 15 --rounds 2 …]`, `npm run bench -- delivery [--transfers 3000 …]`,
# `npm run bench -- footprint [--quick | --transfers 2000 --rss-transfers 20000 …]` or
# `npm run bench -- replica-ack [--duration 10 --rounds 4 …]` runs one.
# Results: bench-results/{intake,delivery,footprint,replica-ack}.{json,md}. Exit 3 when a target is missed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-deps.sh
case "${1:-all}" in
  intake | delivery | footprint | replica-ack)
    which="$1"
    shift
    exec node --import tsx "scripts/bench/${which}.ts" "$@"
    ;;
  all)
    status=0
    node --import tsx scripts/bench/intake.ts || status=$?
    node --import tsx scripts/bench/delivery.ts || { s=$?; [[ $status -eq 0 ]] && status=$s; }
    node --import tsx scripts/bench/footprint.ts || { s=$?; [[ $status -eq 0 ]] && status=$s; }
    node --import tsx scripts/bench/replica-ack.ts || { s=$?; [[ $status -eq 0 ]] && status=$s; }
    exit "$status"
    ;;
  *)
    echo "usage: npm run bench [-- intake|delivery|footprint|replica-ack [options]]" >&2
    exit 2
    ;;
esac
