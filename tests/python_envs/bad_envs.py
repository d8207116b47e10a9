"""Callables that cannot make a usable env, for rlfleet's start-error tests."""

import numpy as np

from cartpole import CartPole
from spaces import Box, MultiDiscrete


def raises(**kwargs):
    raise ValueError("this env cannot be made (kwargs %s)" % sorted(kwargs))


def multidiscrete_actions():
    env = CartPole()
    env.action_space = MultiDiscrete([3, 3])
    return env


def integer_box_actions():
    env = CartPole()
    env.action_space = Box(0, 5, shape=(2,), dtype=np.int64)
    return env


def returns_none():
    return None


class _Dict:
    """Looks like gymnasium.spaces.Dict (by name): unsupported."""

    def __init__(self):
        self.spaces = {}


_Dict.__name__ = "Dict"


def dict_observations():
    env = CartPole()
    env.observation_space = _Dict()
    return env


def kwargs_echo(**kwargs):
    """A CartPole whose spec's max_episode_steps is kwargs['steps'] (checks kwargs arrive)."""
    return CartPole(max_episode_steps=kwargs["steps"])


def first_process_only(marker, every=5):
    """A CartPole whose process ends after `every` steps ('exit' mode of faulty.py); any later
    process (a restarted worker) cannot make it: the marker file names the first process."""
    import os

    from faulty import FaultyCartPole

    if os.path.exists(marker):
        with open(marker) as f:
            owner = int(f.read())
        if owner != os.getpid():
            raise RuntimeError("only the first worker process may make this env")
    else:
        with open(marker, "w") as f:
            f.write(str(os.getpid()))
    return FaultyCartPole("exit", every)


def reset_raises():
    """A CartPole whose reset always raises."""
    env = CartPole()

    def reset(seed=None, options=None):
        raise RuntimeError("reset fails on purpose")

    env.reset = reset
    return env
