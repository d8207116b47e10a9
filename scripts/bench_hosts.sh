#!/bin/bash
# CartPole IMPALA env steps/s across hosts against the same run on one host, side by side.
#
#   sudo scripts/bench_hosts.sh            # RLFLEET_BIN, STEPS (3000000), ROUNDS (3) may be set
#
# Each round runs the same config twice, one after the other: once with `rlfleet train` over
# ipc (every process in this namespace), once across three network namespaces joined by a
# bridge (scripts/netns.sh): shard and learner in host a, actor 0 in host b, actor 1 in host c,
# started with `rlfleet worker` in a run made by `rlfleet prepare`, over tcp with CURVE. Env
# steps/s is summary.json's env_steps / wall_seconds (the learner's clock). Prints one line per
# run and a last line of JSON with the medians and their ratio (goal: hosts / ipc >= 0.8).
# Needs root and iproute2.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${RLFLEET_BIN:-build/rlfleet}
steps=${STEPS:-3000000}
rounds=${ROUNDS:-3}
config=configs/cartpole_impala.yaml
ip=$(command -v ip)

tmp=$(mktemp -d /tmp/rlfleet-bench-hosts-XXXXXX)
name=rfb$$
prefix=10.199.$((RANDOM % 250))
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  bash scripts/netns.sh down "$name"
  rm -rf "$tmp"
}
trap cleanup EXIT
bash scripts/netns.sh up "$name" "$prefix"

fps_of() {
  python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["env_steps"] / d["wall_seconds"])' "$1/summary.json"
}
worker() {  # host role index run
  "$ip" netns exec "$name-$1" "$bin" worker --role "$2" --index "$3" --run-dir "$4" \
    --set "cluster.advertise_host=$prefix.$5" >> "$4/logs/$2-$3.log" 2>&1 &
  pids+=($!)
}

common=(--set "learner.total_env_steps=$steps" --set cluster.num_actors=2 --set cluster.num_shards=1)
ipc=()
hosts=()
for round in $(seq 1 "$rounds"); do
  "$bin" train "$config" --quiet --set "runs_dir=$tmp/ipc" --set "name=r$round" "${common[@]}" > /dev/null
  fps=$(fps_of "$(ls -d "$tmp"/ipc/r"$round"-* | head -1)")
  ipc+=("$fps")
  echo "round $round ipc, one host:          $fps env steps/s"

  run=$("$bin" prepare "$config" --set "runs_dir=$tmp/hosts" --set "name=r$round" "${common[@]}" \
    --set cluster.transport=tcp --set cluster.bind_host=0.0.0.0 --set cluster.curve=true)
  mkdir -p "$run/logs"
  pids=()
  worker a shard 0 "$run" 1
  worker a learner 0 "$run" 1
  learner=${pids[-1]}
  worker b actor 0 "$run" 2
  worker c actor 1 "$run" 3
  wait "$learner"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  fps=$(fps_of "$run")
  hosts+=("$fps")
  echo "round $round tcp+CURVE, three hosts: $fps env steps/s"
done

python3 - "${ipc[*]}" "${hosts[*]}" "$steps" <<'PY'
import json, statistics, sys
ipc = [float(x) for x in sys.argv[1].split()]
hosts = [float(x) for x in sys.argv[2].split()]
result = {"bench": "hosts", "env_steps": int(sys.argv[3]), "ipc_env_steps_per_second": ipc,
          "hosts_env_steps_per_second": hosts, "ipc_median": statistics.median(ipc),
          "hosts_median": statistics.median(hosts)}
result["ratio"] = result["hosts_median"] / result["ipc_median"]
result["goal"] = {"value": result["ratio"], "goal": 0.8, "met": result["ratio"] >= 0.8}
print(json.dumps(result))
PY
