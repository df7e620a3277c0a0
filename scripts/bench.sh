#!/usr/bin/env bash
# `npm run bench`: the intake benchmark, gateway against a bare Express + BullMQ baseline on the same
# machine and Redis. Options: --duration S (15) --warmup S (3) --rounds N (2) --connections N (50)
# --aa (measure the baseline against itself, to see the noise). Results: bench-results/intake.{json,md}.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-deps.sh
exec node --import tsx scripts/bench/intake.ts "$@"
