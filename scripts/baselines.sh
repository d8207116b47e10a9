#!/usr/bin/env bash
# Trains CONFIG once per seed and prints one markdown table row per run (from summary.json).
# Usage: scripts/baselines.sh CONFIG [SEED ...]     (default seeds: 1 2 3 4 5)
# Extra config overrides: RLFLEET_SET="learner.total_env_steps=1000000" scripts/baselines.sh ...
# RLFLEET_BIN: the rlfleet binary (default build/rlfleet; a copy keeps long runs independent of
# rebuilds).
set -euo pipefail
cd "$(dirname "$0")/.."
config="$1"
shift
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(1 2 3 4 5)
runs_dir="${RLFLEET_RUNS_DIR:-runs/baselines}"
extra=()
for s in ${RLFLEET_SET:-}; do extra+=(--set "$s"); done

field() {  # field NAME FILE: a number or boolean from a flat JSON object
  sed -n "s/.*\"$1\": *\([-0-9.eE+a-z]*\).*/\1/p" "$2" | head -1
}

echo "| seed | final mean return (last 100 episodes) | greedy evaluation return | env steps | wall seconds | updates | completed |"
echo "|---|---|---|---|---|---|---|"
for seed in "${seeds[@]}"; do
  name="$(basename "$config" .yaml)-seed$seed"
  "${RLFLEET_BIN:-build/rlfleet}" train "$config" --quiet --set "seed=$seed" --set "name=$name" \
    --set "runs_dir=$runs_dir" "${extra[@]}" > /dev/null
  run="$(ls -td "$runs_dir/$name"-*/ | head -1)"
  s="$run/summary.json"
  evaluation="$(field final_eval_mean_return "$s")"  # null unless learner.eval_interval_updates > 0
  if [ -n "$evaluation" ] && [ "$evaluation" != null ]; then
    evaluation="$(printf %.1f "$evaluation")"
  else
    evaluation="-"
  fi
  printf "| %s | %.1f | %s | %s | %.1f | %s | %s |\n" "$seed" "$(field final_mean_return_100 "$s")" \
    "$evaluation" "$(field env_steps "$s")" "$(field wall_seconds "$s")" "$(field updates "$s")" \
    "$(field completed "$s")"
done
