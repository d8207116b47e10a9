#!/usr/bin/python3
"""How far one learner, one shard and one host carry: a grid of multi-host runs.

    sudo scripts/bench_scale.py [--shards 1,2,4] [--actors 2,4,16,64] [--workloads impala,apex]
                                [--window 10] [--out FILE.json]
    scripts/bench_scale.py --model FILE.json [--project-actors 1000] [--project-shards 16]

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
JSON object with every point (also written to --out). --model reads such a file and prints the
per-unit costs (medians over the points), each point against what those costs predict for this
machine's cores, and a projection to --project-actors actors and --project-shards shards, each
on a core of its own, with --link-gbit links. Measuring needs root, iproute2 and a built rlfleet
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


def median(values):
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else 0.5 * (values[mid - 1] + values[mid])


def fit_line(xs, ys):
    """Least-squares a + b·x."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx > 0 else 0.0
    return my - b * mx, b


def costs(points):
    """Per-unit costs of one workload's points: medians over the points (one per grid cell)."""
    per_step = lambda key: median(p[key] / p["actor_env_steps_per_second"] for p in points
                                  if p["actor_env_steps_per_second"] > 0)
    per_update = lambda key: median(p[key] / p["updates_per_second"] for p in points
                                    if p["updates_per_second"] > 0)
    messages = lambda p: (p["insert_requests_per_second"] + p["sample_requests_per_second"]
                          + p["update_requests_per_second"])
    # Sample and priority requests per update grow with the shards a batch is drawn from.
    by_shards = {}
    for p in points:
        if p["updates_per_second"] > 0:
            by_shards.setdefault(p["shards"], []).append(
                (p["sample_requests_per_second"] + p["update_requests_per_second"])
                / p["updates_per_second"])
    shard_counts = sorted(by_shards)
    learner_msgs = fit_line(shard_counts, [median(by_shards[s]) for s in shard_counts])
    # The learner's CPU per update: the update itself plus the weights it sends to each actor.
    learner_fit = fit_line([p["actors"] for p in points if p["updates_per_second"] > 0],
                           [p["learner_cores"] / p["updates_per_second"] for p in points
                            if p["updates_per_second"] > 0])
    return {
        "learner_cpu_s_per_update_fit": {"a": learner_fit[0], "b_per_actor": learner_fit[1]},
        "actor_cpu_s_per_env_step": per_step("actor_cores"),
        "insert_requests_per_env_step": per_step("insert_requests_per_second"),
        "inserts_per_env_step": per_step("inserts_per_second"),
        "host_a_rx_bytes_per_env_step": per_step("host_a_rx_bytes_per_second"),
        "shard_cpu_s_per_message": median(p["shard_cores"] / messages(p) for p in points
                                          if messages(p) > 0),
        "learner_cpu_s_per_update": per_update("learner_cores"),
        "samples_per_update": per_update("samples_per_second"),
        "learner_requests_per_update": {"a": learner_msgs[0], "b_per_shard": learner_msgs[1]},
        "weights_bytes_per_actor_per_update": median(
            p["host_a_tx_bytes_per_second"] / (p["actors"] * p["updates_per_second"])
            for p in points if p["updates_per_second"] > 0),
    }


def model(result, project_actors, project_shards, link_bytes_per_second):
    """Per-unit costs, a check of the measured points against them, and a projection."""
    out = {"workloads": {}}
    cores = result["cores"]
    for workload in sorted({p["workload"] for p in result["points"]}):
        points = [p for p in result["points"] if p["workload"] == workload]
        c = costs(points)
        learner_msgs = lambda shards: (c["learner_requests_per_update"]["a"]
                                       + c["learner_requests_per_update"]["b_per_shard"] * shards)
        # Env steps per update: IMPALA consumes every frame once; Ape-X's learner is not in the
        # actors' path (no rate limit), so its updates do not bound env steps.
        frames_per_update = median(p["consumed_frames_per_second"] / p["updates_per_second"]
                                   for p in points if p["updates_per_second"] > 0)
        learner_bound = workload == "impala"
        # The check: on `cores` busy cores, the CPU each env step costs (actor, its share of the
        # shard's messages, its share of an update) bounds env steps/s.
        fit = c["learner_cpu_s_per_update_fit"]

        def update_seconds(actors):
            """The learner's CPU per update with `actors` actors (the fit's per-actor term is the
            weights sent to each), never below half the median update: a guard against a fitted
            line that falls towards zero."""
            return max(fit["a"] + fit["b_per_actor"] * actors, 0.5 * c["learner_cpu_s_per_update"])

        check = []
        learner_core = median(p["learner_cores"] for p in points)  # what the learner can use
        for p in points:
            if learner_bound:
                update_s = update_seconds(p["actors"])
                per_step = (c["actor_cpu_s_per_env_step"]
                            + c["shard_cpu_s_per_message"] * (c["insert_requests_per_env_step"]
                                                              + learner_msgs(p["shards"])
                                                              / frames_per_update)
                            + update_s / frames_per_update)
                # The machine's cores bound the sum; the learner's own cores bound its updates.
                predicted = min(cores / per_step, learner_core / update_s * frames_per_update)
            else:
                # Actors and shards share the cores the learner's measured share leaves.
                per_step = (c["actor_cpu_s_per_env_step"]
                            + c["shard_cpu_s_per_message"] * c["insert_requests_per_env_step"])
                predicted = max(cores - p["learner_cores"], 0.0) / per_step
            check.append({"shards": p["shards"], "actors": p["actors"],
                          "measured_env_steps_per_second": p["actor_env_steps_per_second"],
                          "predicted_env_steps_per_second": predicted,
                          "measured_over_predicted": p["actor_env_steps_per_second"] / predicted})
        # The projection: every actor, shard and the learner on a core of its own.
        a, s = project_actors, project_shards
        limits = {"actors": a / c["actor_cpu_s_per_env_step"]}
        updates_cap = 1.0 / update_seconds(a)
        # The learner host's link out carries the weights to every actor.
        weights_updates_cap = link_bytes_per_second / (a * c["weights_bytes_per_actor_per_update"])
        if learner_bound:
            limits["learner"] = updates_cap * frames_per_update
            limits["learner_host_link_out_weights"] = weights_updates_cap * frames_per_update
            per_step_messages = (c["insert_requests_per_env_step"]
                                 + learner_msgs(s) / frames_per_update)
            limits["shards"] = s / (c["shard_cpu_s_per_message"] * per_step_messages)
        else:
            # The learner's own requests take their share of the shards first.
            learner_load = updates_cap * learner_msgs(s) * c["shard_cpu_s_per_message"]
            limits["shards"] = (max(s - learner_load, 0.0)
                                / (c["shard_cpu_s_per_message"]
                                   * c["insert_requests_per_env_step"]))
        # Links: each shard host takes its share of the inserts; the learner host receives
        # every consumed item (IMPALA) or every sampled item (Ape-X) once more.
        limits["shard_host_link"] = s * link_bytes_per_second / c["host_a_rx_bytes_per_env_step"]
        if learner_bound:
            limits["learner_host_link"] = link_bytes_per_second / c["host_a_rx_bytes_per_env_step"]
        env_steps = min(limits.values())
        # Shards one learner keeps busy at its full update rate (IMPALA: the inserts of the
        # frames it consumes and its own requests; Ape-X: its requests only).
        shard_s_per_update = c["shard_cpu_s_per_message"] * (
            learner_msgs(1) + (c["insert_requests_per_env_step"] * frames_per_update
                               if learner_bound else 0.0))
        out["workloads"][workload] = {
            "costs": c, "frames_per_update": frames_per_update, "check": check,
            "projection": {"actors": a, "shards": s, "link_bytes_per_second": link_bytes_per_second,
                           "limits_env_steps_per_second": limits,
                           "env_steps_per_second": env_steps,
                           "first_to_saturate": min(limits, key=limits.get),
                           "learner_updates_per_second": updates_cap,
                           "learner_updates_per_second_the_weights_link_carries":
                               weights_updates_cap,
                           "shard_cores_one_learner_keeps_busy": updates_cap * shard_s_per_update}}
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shards", default="1,2,4")
    parser.add_argument("--actors", default="2,4,16,64")
    parser.add_argument("--workloads", default="impala,apex")
    parser.add_argument("--window", type=float, default=10.0, help="seconds measured per point")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds after start, unmeasured")
    parser.add_argument("--start-timeout", type=float, default=180.0)
    parser.add_argument("--out", help="also write the JSON here")
    parser.add_argument("--model", metavar="FILE.json",
                        help="measure nothing: read an earlier --out and print the model")
    parser.add_argument("--project-actors", type=int, default=1000)
    parser.add_argument("--project-shards", type=int, default=16)
    parser.add_argument("--link-gbit", type=float, default=10.0, help="link speed per host")
    args = parser.parse_args()
    if args.model:
        with open(args.model) as f:
            result = json.load(f)
        print(json.dumps(model(result, args.project_actors, args.project_shards,
                               args.link_gbit * 1e9 / 8), indent=1))
        return 0
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
