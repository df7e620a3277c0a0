#!/usr/bin/env bash
# Runs every test (`npm test`); arguments go to vitest (e.g. a file, `--project unit`).
# The integration project's global setup starts its own throwaway Redis (test/helpers/global-setup.ts).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/ensure-deps.sh --test
npx vitest run "$@"
