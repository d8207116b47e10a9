#!/usr/bin/env bash
# For each run directory, the first greedy evaluation (metrics.csv, eval_mean_return; needs
# learner.eval_interval_updates > 0) that reached THRESHOLD: prints one markdown row
# "| run | env steps | wall seconds | updates | evaluation return |", or "not reached".
# Usage: scripts/time_to_threshold.sh THRESHOLD RUN_DIR [RUN_DIR ...]
set -euo pipefail
threshold="$1"
shift
echo "| run | env steps | wall seconds | updates | greedy evaluation return |"
echo "|---|---|---|---|---|"
for run in "$@"; do
  awk -F, -v threshold="$threshold" -v run="$(basename "$run")" '
    NR == 1 { for (i = 1; i <= NF; ++i) column[$i] = i; next }
    $column["eval_mean_return"] != "" && $column["eval_mean_return"] + 0 >= threshold + 0 {
      printf "| %s | %s | %.1f | %s | %.1f |\n", run, $column["env_steps"],
             $column["wall_seconds"], $column["updates"], $column["eval_mean_return"]
      found = 1; exit
    }
    END { if (!found) printf "| %s | not reached | | | |\n", run }
  ' "$run/metrics.csv"
done
