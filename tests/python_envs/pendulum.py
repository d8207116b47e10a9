"""Pendulum-v1 with the constants and float64 arithmetic of rlfleet's built-in
(envs/classic_control/pendulum.cc) and its random stream (rlfleet_random.Rng). Truncates after
200 steps itself."""

import math

import numpy as np

from rlfleet_random import Rng
from spaces import Box, EnvSpec

MAX_SPEED = 8.0
MAX_TORQUE = 2.0
DT = 0.05
G = 10.0
M = 1.0
L = 1.0
MAX_EPISODE_STEPS = 200


def angle_normalize(x):
    """((x + pi) mod 2 pi) - pi with a floored modulo, computed as the C++ does."""
    period = 2 * math.pi
    r = math.fmod(x + math.pi, period)
    if r < 0:
        r += period
    return r - math.pi


class Pendulum:
    def __init__(self):
        high = np.array([1.0, 1.0, MAX_SPEED], dtype=np.float32)
        self.observation_space = Box(-high, high, dtype=np.float32)
        self.action_space = Box(-MAX_TORQUE, MAX_TORQUE, shape=(1,), dtype=np.float32)
        self.spec = EnvSpec("Pendulum-v1", MAX_EPISODE_STEPS)
        self.rng = Rng(0)
        self.state = [0.0, 0.0]
        self.elapsed = 0

    def _observation(self):
        theta, theta_dot = self.state
        return np.array([math.cos(theta), math.sin(theta), theta_dot], dtype=np.float32)

    def reset(self, seed=None, options=None):
        if seed is not None:
            self.rng.seed(seed)
        theta = self.rng.uniform(-math.pi, math.pi)
        theta_dot = self.rng.uniform(-1.0, 1.0)
        self.state = [theta, theta_dot]
        self.elapsed = 0
        return self._observation(), {}

    def step(self, action):
        u = min(max(float(action[0]), -MAX_TORQUE), MAX_TORQUE)
        th, thdot = self.state
        normalized = angle_normalize(th)
        cost = normalized * normalized + 0.1 * (thdot * thdot) + 0.001 * (u * u)
        new_thdot = thdot + (3 * G / (2 * L) * math.sin(th) + 3.0 / (M * L * L) * u) * DT
        new_thdot = min(max(new_thdot, -MAX_SPEED), MAX_SPEED)
        new_th = th + new_thdot * DT
        self.state = [new_th, new_thdot]
        self.elapsed += 1
        return self._observation(), -cost, False, self.elapsed >= MAX_EPISODE_STEPS, {}

    def close(self):
        pass


def make(**kwargs):
    return Pendulum(**kwargs)
