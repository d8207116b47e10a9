#!/usr/bin/env bash
# Runs the whole GoogleTest suite through ctest on a built tree.
set -euo pipefail
cd "$(dirname "$0")/.."
ctest --test-dir build --output-on-failure -j "${RLFLEET_JOBS:-$(nproc)}" "$@"
