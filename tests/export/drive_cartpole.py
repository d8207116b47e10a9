"""Drives the pure-Python CartPole of tests/python_envs (numpy; no gymnasium) with an exported
rlfleet policy:

    drive_cartpole.py POLICY.pt PYTHON_ENVS_DIR EPISODES SEED

Each episode i resets with seed SEED + i and acts with the policy's greedy action until it ends.
Prints one JSON object: {"returns": [...], "mean": ..., "min": ...}."""

import json
import sys

import torch


def main(argv):
    policy_path, envs_dir, episodes, seed = argv[1], argv[2], int(argv[3]), int(argv[4])
    sys.path.insert(0, envs_dir)
    import cartpole  # noqa: E402  (tests/python_envs/cartpole.py)

    module = torch.jit.load(policy_path)
    env = cartpole.make()
    returns = []
    for episode in range(episodes):
        observation, _ = env.reset(seed=seed + episode)
        total = 0.0
        while True:
            with torch.no_grad():
                action = module(torch.from_numpy(observation).reshape(1, -1))
            observation, reward, terminated, truncated, _ = env.step(int(action[0]))
            total += reward
            if terminated or truncated:
                break
        returns.append(total)
    print(json.dumps({"returns": returns, "mean": sum(returns) / len(returns),
                      "min": min(returns)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
