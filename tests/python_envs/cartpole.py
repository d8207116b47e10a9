"""CartPole-v1 with the constants and float64 arithmetic of rlfleet's built-in
(envs/classic_control/cartpole.cc) and its random stream (rlfleet_random.Rng), so that the same
seed gives the same episodes in both. Truncates after 500 steps itself."""

import math

import numpy as np

from rlfleet_random import Rng
from spaces import Box, Discrete, EnvSpec

GRAVITY = 9.8
MASS_CART = 1.0
MASS_POLE = 0.1
TOTAL_MASS = MASS_POLE + MASS_CART
LENGTH = 0.5
POLE_MASS_LENGTH = MASS_POLE * LENGTH
FORCE_MAG = 10.0
TAU = 0.02
THETA_THRESHOLD = 12 * 2 * math.pi / 360
X_THRESHOLD = 2.4
MAX_EPISODE_STEPS = 500


class CartPole:
    def __init__(self, max_episode_steps=MAX_EPISODE_STEPS):
        float_max = np.finfo(np.float32).max
        high = np.array([X_THRESHOLD * 2, float_max, THETA_THRESHOLD * 2, float_max],
                        dtype=np.float32)
        self.observation_space = Box(-high, high, dtype=np.float32)
        self.action_space = Discrete(2)
        self.spec = EnvSpec("CartPole-v1", max_episode_steps)
        self.max_episode_steps = max_episode_steps
        self.rng = Rng(0)
        self.state = [0.0, 0.0, 0.0, 0.0]
        self.elapsed = 0

    def _observation(self):
        return np.array(self.state, dtype=np.float32)

    def reset(self, seed=None, options=None):
        if seed is not None:
            self.rng.seed(seed)
        self.state = [self.rng.uniform(-0.05, 0.05) for _ in range(4)]
        self.elapsed = 0
        return self._observation(), {}

    def step(self, action):
        if action not in (0, 1):
            raise ValueError("invalid action %r" % (action,))
        x, x_dot, theta, theta_dot = self.state
        force = FORCE_MAG if action == 1 else -FORCE_MAG
        cos_theta = math.cos(theta)
        sin_theta = math.sin(theta)
        temp = (force + POLE_MASS_LENGTH * (theta_dot * theta_dot) * sin_theta) / TOTAL_MASS
        theta_acc = (GRAVITY * sin_theta - cos_theta * temp) / (
            LENGTH * (4.0 / 3.0 - MASS_POLE * (cos_theta * cos_theta) / TOTAL_MASS))
        x_acc = temp - POLE_MASS_LENGTH * theta_acc * cos_theta / TOTAL_MASS
        x = x + TAU * x_dot
        x_dot = x_dot + TAU * x_acc
        theta = theta + TAU * theta_dot
        theta_dot = theta_dot + TAU * theta_acc
        self.state = [x, x_dot, theta, theta_dot]
        self.elapsed += 1
        terminated = (x < -X_THRESHOLD or x > X_THRESHOLD or theta < -THETA_THRESHOLD
                      or theta > THETA_THRESHOLD)
        truncated = self.elapsed >= self.max_episode_steps
        return self._observation(), 1.0, terminated, truncated, {}

    def close(self):
        pass


def make(**kwargs):
    return CartPole(**kwargs)
