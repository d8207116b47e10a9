"""Minimal stand-ins for gymnasium.spaces, enough for rlfleet's env worker (no gymnasium)."""

import numpy as np


class Box:
    """A box of `shape` with bounds `low`/`high` (scalars or arrays) and `dtype`."""

    def __init__(self, low, high, shape=None, dtype=np.float32):
        self.dtype = np.dtype(dtype)
        if shape is None:
            shape = np.broadcast(np.asarray(low), np.asarray(high)).shape
        self.shape = tuple(shape)
        self.low = np.broadcast_to(np.asarray(low, dtype=self.dtype), self.shape).copy()
        self.high = np.broadcast_to(np.asarray(high, dtype=self.dtype), self.shape).copy()

    def __repr__(self):
        return "Box(%s, %s, %s, %s)" % (self.low.min(), self.high.max(), self.shape, self.dtype)


class Discrete:
    """The integers start, ..., start + n - 1."""

    def __init__(self, n, start=0):
        self.n = int(n)
        self.start = int(start)
        self.shape = ()
        self.dtype = np.dtype(np.int64)

    def __repr__(self):
        return "Discrete(%d)" % self.n if self.start == 0 else "Discrete(%d, start=%d)" % (
            self.n, self.start)


class MultiDiscrete:
    """A space rlfleet does not support (for tests of the error message)."""

    def __init__(self, nvec):
        self.nvec = np.asarray(nvec, dtype=np.int64)
        self.shape = self.nvec.shape
        self.dtype = np.dtype(np.int64)

    def __repr__(self):
        return "MultiDiscrete(%s)" % self.nvec.tolist()


class EnvSpec:
    """The part of gymnasium's EnvSpec that rlfleet reads."""

    def __init__(self, id, max_episode_steps=None):
        self.id = id
        self.max_episode_steps = max_episode_steps
