"""A CartPole that fails on purpose, for rlfleet's fault-handling tests.

make(mode=..., every=N), counting the steps of each env object:
  'raise'   step raises RuntimeError on every N-th step
  'exit'    the N-th step ends the whole worker process (os._exit(3))
  'hang'    the N-th step never returns (sleeps)
  'nan'     every N-th step returns an observation of NaNs
  'reward'  every N-th step returns an infinite reward
  'shape'   every N-th step returns an observation with one value too many
  'none'    never fails
  'hang_at_exit'  never fails, but the process hangs when it exits (an atexit handler)
"""

import atexit
import os
import time

import numpy as np

from cartpole import CartPole

MODES = ("raise", "exit", "hang", "nan", "reward", "shape", "none", "hang_at_exit")


class FaultyCartPole(CartPole):
    def __init__(self, mode, every):
        super().__init__()
        if mode not in MODES:
            raise ValueError("unknown mode %r, expected one of %s" % (mode, ", ".join(MODES)))
        self.mode = mode
        self.every = int(every)
        self.steps = 0

    def step(self, action):
        observation, reward, terminated, truncated, info = super().step(action)
        self.steps += 1
        if self.steps % self.every != 0:
            return observation, reward, terminated, truncated, info
        if self.mode == "raise":
            raise RuntimeError("faulty env: failing on purpose at step %d" % self.steps)
        if self.mode == "exit":
            os._exit(3)
        if self.mode == "hang":
            while True:
                time.sleep(1000)
        if self.mode == "nan":
            observation = np.full(4, np.nan, dtype=np.float32)
        elif self.mode == "reward":
            reward = float("inf")
        elif self.mode == "shape":
            observation = np.zeros(5, dtype=np.float32)
        return observation, reward, terminated, truncated, info


def make(mode="none", every=100):
    if mode == "hang_at_exit":
        atexit.register(time.sleep, 1000)
    return FaultyCartPole(mode, every)
