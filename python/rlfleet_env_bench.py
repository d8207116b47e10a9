"""The bare Python loop that `rlfleet bench envsrc` compares a served Python env against.

One process steps `--num-envs` envs made by the same callable as a run's `env.python`, one
after the other, with uniformly random actions drawn beforehand, resetting an env when its
episode ends (as a Gymnasium SyncVectorEnv would, without its bookkeeping). Prints one JSON
object: {"env_steps_per_second": ..., "env_steps": ..., "seconds": ..., "python": ...}.

Usage: python3 rlfleet_env_bench.py --callable MODULE:CALLABLE [--kwargs JSON]
           [--python-path DIR ...] [--num-envs M] [--seconds S] [--seed S]
"""

import argparse
import importlib
import json
import sys
import time

import numpy as np


def make_callable(spec):
    module_name, _, attribute = spec.partition(":")
    module = importlib.import_module(module_name)
    target = module
    for part in attribute.split("."):
        target = getattr(target, part)
    return target


def random_actions(space, count, rng):
    """`count` actions of `space` (Discrete: Python ints; Box: float32 arrays)."""
    if type(space).__name__ == "Discrete" or hasattr(space, "n"):
        start = int(getattr(space, "start", 0))
        return [start + int(a) for a in rng.integers(0, int(space.n), size=count)]
    low = np.asarray(space.low, dtype=np.float64)
    high = np.asarray(space.high, dtype=np.float64)
    draws = rng.uniform(low, high, size=(count,) + tuple(space.shape))
    return [d.astype(np.float32) for d in draws]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callable", required=True)
    parser.add_argument("--kwargs", default="{}")
    parser.add_argument("--python-path", action="append", default=[])
    parser.add_argument("--num-envs", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for directory in reversed(args.python_path):
        sys.path.insert(0, directory)
    make = make_callable(args.callable)
    kwargs = json.loads(args.kwargs)
    envs = [make(**kwargs) for _ in range(args.num_envs)]
    for i, env in enumerate(envs):
        env.reset(seed=args.seed + i)
    rng = np.random.default_rng(args.seed)
    actions = random_actions(envs[0].action_space, 4096, rng)
    steps = 0
    k = 0
    start = time.perf_counter()
    deadline = start + args.seconds
    while True:
        for env in envs:
            _, _, terminated, truncated, _ = env.step(actions[k])
            k = (k + 1) % len(actions)
            if terminated or truncated:
                env.reset()
        steps += len(envs)
        if steps % (64 * len(envs)) == 0 and time.perf_counter() >= deadline:
            break
    seconds = time.perf_counter() - start
    print(json.dumps({"env_steps_per_second": steps / seconds, "env_steps": steps,
                      "seconds": seconds, "python": sys.executable}))


if __name__ == "__main__":
    main()
