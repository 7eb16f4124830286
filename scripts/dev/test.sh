#!/usr/bin/env bash
# The whole test suite: set up what is missing, then every ava test (unit, native, kernel e2e).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/dev/setup.sh
exec npx ava "$@"
