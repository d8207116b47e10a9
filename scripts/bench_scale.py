#!/usr/bin/python3
"""How far one learner, one shard and one host carry: a grid of multi-host runs.

    sudo scripts/bench_scale.py [--shards 1,2,4] [--actors 2,4,16,64] [--workloads impala,apex]
                                [--window 10] [--out FILE.json]

Every point of the grid is one run over tcp with CURVE across three network namespaces joined by
a bridge (scripts/netns.sh): the shards and the learner in host a, the actors alternately in
hosts b and c, each started with `rlfleet worker` in a run made by `rlfleet prepare`. Two
workloads:
  impala  configs/cartpole_impala.yaml: the learner consumes what the actors make (learner-bound);
  apex    configs/cartpole_apex_dqn.yaml with no rate limit (replay.samples_per_insert=0): the
          actors insert as fast as they can and the learner samples as fast as it can
          (replay-bound).
Once every actor has stepped and the learner has updated, the script reads every role's heartbeat
(roles/*.json: counters and the process's CPU seconds), the learner's status.json and host a's
interface counters, waits --window seconds, and reads them again. Rates are the counters' growth
over their own clocks. Per-unit costs are CPU seconds per unit: a shard's per request message,
the learner's per update, the actors' per env step. Prints one line per point and, last, one
JSON object with every point (also written to --out). Needs root, iproute2 and a built rlfleet
(RLFLEET_BIN, default build/rlfleet). docs/scaling.md explains the figures and the model built
from them.
"""

import argparse
import glob
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKLOADS = {
    "impala": ("configs/cartpole_impala.yaml", []),
    "apex": ("configs/cartpole_apex_dqn.yaml", ["replay.samples_per_insert=0"]),
}


# iproute2's ip: sbin directories are not on every PATH.
IP = shutil.which("ip") or next(
    (p for p in ("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip") if os.access(p, os.X_OK)),
    "ip")


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def link_bytes(ns):
    """RX and TX bytes of eth0 in network namespace ns."""
    base = "/sys/class/net/eth0/statistics/"
    out = subprocess.run([IP, "netns", "exec", ns, "cat", base + "rx_bytes", base + "tx_bytes"],
                         check=True, capture_output=True, text=True).stdout.split()
    return int(out[0]), int(out[1])


def snapshot(run, ns_a):
    roles = {}
    for path in glob.glob(os.path.join(run, "roles", "*.json")):
        record = read_json(path)
        if record is not None:
            roles[os.path.basename(path)[:-5]] = record
    rx, tx = link_bytes(ns_a)
    return {"roles": roles, "status": read_json(os.path.join(run, "status.json")),
            "rx": rx, "tx": tx, "time": time.time()}


def rate(before, after, key):
    """Growth of a heartbeat counter per second of the heartbeat's own clock."""
    dt = after["time"] - before["time"]
    return (after.get(key, 0.0) - before.get(key, 0.0)) / dt if dt > 0 else 0.0


def measure_point(args, bin_path, ns, prefix, tmp, workload, shards, actors):
    config, extra = WORKLOADS[workload]
    sets = [f"learner.total_env_steps={10**12}", f"cluster.num_actors={actors}",
            f"cluster.num_shards={shards}", "cluster.transport=tcp", "cluster.bind_host=0.0.0.0",
            "cluster.curve=true", "learner.eval_interval_updates=0", "report.metric=mean_return",
            f"runs_dir={tmp}",
            f"name={workload}-s{shards}-a{actors}"] + extra
    command = [bin_path, "prepare", os.path.join(ROOT, config)]
    for s in sets:
        command += ["--set", s]
    run = subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()
    os.makedirs(os.path.join(run, "logs"), exist_ok=True)
    procs = []

    def worker(host, role, index, address):
        log = open(os.path.join(run, "logs", f"{role}-{index}.log"), "ab")
        procs.append(subprocess.Popen(
            [IP, "netns", "exec", f"{ns}-{host}", bin_path, "worker", "--role", role, "--index",
             str(index), "--run-dir", run, "--set", f"cluster.advertise_host={prefix}.{address}"],
            stdout=log, stderr=subprocess.STDOUT))

    try:
        for i in range(shards):
            worker("a", "shard", i, 1)
        worker("a", "learner", 0, 1)
        for i in range(actors):
            host, address = ("b", 2) if i % 2 == 0 else ("c", 3)
            worker(host, "actor", i, address)
        # Started: every actor has stepped and the learner has updated.
        deadline = time.time() + args.start_timeout
        while True:
            s = snapshot(run, f"{ns}-a")
            stepped = sum(1 for name, r in s["roles"].items()
                          if name.startswith("actor-") and r.get("env_steps", 0) > 0)
            if stepped == actors and s["status"] and s["status"].get("updates", 0) > 0:
                break
            if time.time() > deadline:
                raise RuntimeError(f"{workload} s{shards} a{actors}: {stepped} of {actors} actors "
                                   f"stepped within {args.start_timeout} s (logs in {run}/logs)")
            if any(p.poll() is not None for p in procs):
                raise RuntimeError(f"{workload} s{shards} a{actors}: a worker exited during start "
                                   f"(logs in {run}/logs)")
            time.sleep(0.5)
        time.sleep(args.warmup)
        first = snapshot(run, f"{ns}-a")
        time.sleep(args.window)
        last = snapshot(run, f"{ns}-a")
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    return summarize(workload, shards, actors, first, last)


def summarize(workload, shards, actors, first, last):
    def roles(prefix):
        return [(first["roles"][n], last["roles"][n]) for n in last["roles"]
                if n.startswith(prefix) and n in first["roles"]]

    def total(prefix, key):
        return sum(rate(b, a, key) for b, a in roles(prefix))

    sb, sa = first["status"], last["status"]
    learner_dt = sa["wall_seconds"] - sb["wall_seconds"]
    dt = last["time"] - first["time"]
    point = {
        "workload": workload, "shards": shards, "actors": actors,
        "seconds": learner_dt,
        "env_steps_per_second": (sa["env_steps"] - sb["env_steps"]) / learner_dt,
        "actor_env_steps_per_second": total("actor-", "env_steps"),
        "updates_per_second": (sa["updates"] - sb["updates"]) / learner_dt,
        "consumed_frames_per_second": (sa["consumed_frames"] - sb["consumed_frames"]) / learner_dt,
        "inserts_per_second": total("shard-", "inserts"),
        "samples_per_second": total("shard-", "samples"),
        "insert_requests_per_second": total("shard-", "insert_requests"),
        "sample_requests_per_second": total("shard-", "sample_requests"),
        "update_requests_per_second": total("shard-", "update_requests"),
        "overloaded_per_second": total("shard-", "overloaded"),
        "shard_cores": total("shard-", "cpu_seconds"),
        "learner_cores": total("learner", "cpu_seconds"),
        "actor_cores": total("actor-", "cpu_seconds"),
        "host_a_rx_bytes_per_second": (last["rx"] - first["rx"]) / dt,
        "host_a_tx_bytes_per_second": (last["tx"] - first["tx"]) / dt,
    }
    messages = (point["insert_requests_per_second"] + point["sample_requests_per_second"]
                + point["update_requests_per_second"])
    point["shard_cpu_us_per_message"] = 1e6 * point["shard_cores"] / messages if messages else None
    point["learner_cpu_ms_per_update"] = (1e3 * point["learner_cores"] / point["updates_per_second"]
                                          if point["updates_per_second"] else None)
    steps = point["actor_env_steps_per_second"]
    point["actor_cpu_us_per_env_step"] = 1e6 * point["actor_cores"] / steps if steps else None
    return point


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shards", default="1,2,4")
    parser.add_argument("--actors", default="2,4,16,64")
    parser.add_argument("--workloads", default="impala,apex")
    parser.add_argument("--window", type=float, default=10.0, help="seconds measured per point")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds after start, unmeasured")
    parser.add_argument("--start-timeout", type=float, default=180.0)
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args()
    shard_counts = [int(x) for x in args.shards.split(",")]
    actor_counts = [int(x) for x in args.actors.split(",")]
    workloads = args.workloads.split(",")
    for w in workloads:
        if w not in WORKLOADS:
            parser.error(f"unknown workload '{w}' (impala or apex)")
    if os.geteuid() != 0:
        parser.error("needs root (network namespaces)")
    bin_path = os.path.abspath(os.environ.get("RLFLEET_BIN", os.path.join(ROOT, "build/rlfleet")))
    if not os.access(bin_path, os.X_OK):
        parser.error(f"no rlfleet binary at {bin_path} (build it, or set RLFLEET_BIN)")

    ns = f"rfs{os.getpid() % 100000}"
    prefix = f"10.198.{random.randrange(250)}"
    netns = os.path.join(ROOT, "scripts/netns.sh")
    points = []
    with tempfile.TemporaryDirectory(prefix="rlfleet-bench-scale-") as tmp:
        subprocess.run(["bash", netns, "up", ns, prefix], check=True)
        try:
            for workload in workloads:
                for shards in shard_counts:
                    for actors in actor_counts:
                        p = measure_point(args, bin_path, ns, prefix, tmp, workload, shards, actors)
                        points.append(p)
                        print(f"{workload} shards={shards} actors={actors}: "
                              f"{p['env_steps_per_second']:.0f} env steps/s, "
                              f"{p['updates_per_second']:.1f} updates/s, "
                              f"{p['inserts_per_second']:.0f} inserts/s, "
                              f"{p['samples_per_second']:.0f} samples/s, cores: shards "
                              f"{p['shard_cores']:.2f} learner {p['learner_cores']:.2f} actors "
                              f"{p['actor_cores']:.2f}", flush=True)
        finally:
            subprocess.run(["bash", netns, "down", ns], check=False)
    result = {"bench": "scale", "window_seconds": args.window, "cores": os.cpu_count(),
              "points": points}
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
