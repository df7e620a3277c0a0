#!/usr/bin/env bash
# `npm run demo`: installs what is missing, then runs scripts/demo.ts (Redis, the gateway, the simulators)
# until Ctrl-C. Uses exactly the values of .env.example.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-deps.sh
exec node --import tsx scripts/demo.ts "$@"
