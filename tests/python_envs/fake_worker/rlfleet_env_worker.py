"""A worker that speaks rlfleet's protocol but corrupts its step replies on purpose, for the
tests of PythonVectorEnv's reply checks. Runs python/rlfleet_env_worker.py's Worker (found
through RLFLEET_REAL_WORKER_DIR) and damages every N-th step reply of the first init's kind:

    kwargs["corrupt"]: "frames" (a frame missing), "size" (the obs frame one byte short),
    "header" (not JSON), "nan" (a NaN in obs, bypassing the worker's check), "flag" (a
    terminated value of 7), "notok" (ok: false), "extra" (one frame too many)
    kwargs["corrupt_every"]: N

The two keys are removed before the env's callable sees the kwargs.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.environ["RLFLEET_REAL_WORKER_DIR"])
import rlfleet_env_worker as real  # noqa: E402


class CorruptingWorker(real.Worker):
    def __init__(self):
        super().__init__()
        self.corrupt = None
        self.every = 1
        self.steps = 0

    def init(self, header):
        kwargs = dict(header.get("kwargs", {}))
        self.corrupt = kwargs.pop("corrupt", None)
        self.every = int(kwargs.pop("corrupt_every", 1))
        header = dict(header, kwargs=kwargs)
        return super().init(header)

    def step(self, frames):
        reply = super().step(frames)
        self.steps += 1
        if self.corrupt is None or self.steps % self.every != 0:
            return reply
        reply = [bytes(memoryview(f)) if not isinstance(f, bytes) else f for f in reply]
        if self.corrupt == "frames":
            return reply[:-1]
        if self.corrupt == "extra":
            return reply + [b"\0"]
        if self.corrupt == "size":
            reply[1] = reply[1][:-1]
        elif self.corrupt == "header":
            reply[0] = b"\xff not json"
        elif self.corrupt == "nan":
            obs = np.frombuffer(reply[1], dtype=np.float32).copy()
            obs[0] = np.nan
            reply[1] = obs.tobytes()
        elif self.corrupt == "flag":
            reply[3] = b"\x07" + reply[3][1:]
        elif self.corrupt == "notok":
            reply = [b'{"ok":false,"error":"corrupted on purpose"}']
        return reply


if __name__ == "__main__":
    sys.exit(real.main(worker_class=CorruptingWorker))
