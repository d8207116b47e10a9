"""Checks an exported rlfleet policy (`rlfleet export`) with nothing but torch:

    check_policy.py POLICY.pt OBSERVATIONS.csv ACTIONS.csv EXPECTED_METADATA.json

loads POLICY.pt with torch.jit.load, runs forward on the observations (one a line) and compares
with the actions `rlfleet eval --observations` wrote: discrete ones equal, continuous ones within
1e-5 and inside the metadata's bounds. Every key of EXPECTED_METADATA.json must have that value
in the archive's rlfleet.json. Exits 0 and prints "ok N" when everything matches, 1 naming the
first difference otherwise."""

import json
import sys

import torch


def read_rows(path):
    with open(path) as f:
        return [[float(v) for v in line.split(",")] for line in f if line.strip()]


def main(argv):
    policy_path, observations_path, actions_path, expected_path = argv[1:5]
    extra = {"rlfleet.json": ""}
    module = torch.jit.load(policy_path, _extra_files=extra)
    metadata = json.loads(extra["rlfleet.json"])
    with open(expected_path) as f:
        expected_metadata = json.load(f)
    for key, value in expected_metadata.items():
        if metadata.get(key) != value:
            print("metadata %s: %r, expected %r" % (key, metadata.get(key), value))
            return 1

    observations = torch.tensor(read_rows(observations_path), dtype=torch.float32)
    if observations.shape[1] != metadata["observation"]["size"]:
        print("observations of %d values, the metadata says %d"
              % (observations.shape[1], metadata["observation"]["size"]))
        return 1
    with torch.no_grad():
        actions = module(observations)
    expected = read_rows(actions_path)
    if len(expected) != observations.shape[0]:
        print("%d actions for %d observations" % (len(expected), observations.shape[0]))
        return 1
    action = metadata["action"]
    if action["discrete"]:
        if actions.dtype != torch.int64 or tuple(actions.shape) != (observations.shape[0],):
            print("discrete actions of %s %s" % (actions.dtype, tuple(actions.shape)))
            return 1
        for i, row in enumerate(expected):
            if int(actions[i]) != int(row[0]):
                print("row %d: %d, eval wrote %d" % (i, int(actions[i]), int(row[0])))
                return 1
    else:
        size = action["size"]
        if actions.dtype != torch.float32 or tuple(actions.shape) != (observations.shape[0], size):
            print("continuous actions of %s %s" % (actions.dtype, tuple(actions.shape)))
            return 1
        for i, row in enumerate(expected):
            for j in range(size):
                a = float(actions[i, j])
                if abs(a - row[j]) > 1e-5:
                    print("row %d, dim %d: %.9g, eval wrote %.9g" % (i, j, a, row[j]))
                    return 1
                if not action["low"][j] <= a <= action["high"][j]:
                    print("row %d, dim %d: %.9g outside [%g, %g]"
                          % (i, j, a, action["low"][j], action["high"][j]))
                    return 1
    print("ok %d" % observations.shape[0])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
