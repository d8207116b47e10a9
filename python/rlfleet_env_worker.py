"""Hosts Gymnasium-style environments for rlfleet's PythonVectorEnv (pyenv/python_vector_env.h).

The C++ side starts one worker per slice of a vector env's environments as

    <interpreter> rlfleet_env_worker.py --endpoint ipc://<private dir>/w<index>-<incarnation>
        --parent-pid <pid of the C++ process>

and talks to it over one ZeroMQ PAIR socket: the C++ side binds, the worker connects. The
worker needs numpy and pyzmq and nothing else; the environments may import what they like.

Protocol 1
==========

Strict request/reply: the C++ side sends one request and reads its reply before it sends the
next one. Every message is multipart: frame 0 is a UTF-8 JSON object (the header); further
frames are raw little-endian arrays, C-contiguous, row-major, whose sizes follow from the
header and the spec (k = number of envs in this worker, D = observation size, A = action
size).

init    {"cmd": "init", "protocol": 1, "callable": "module:attr[.attr...]",
         "kwargs": {...}, "python_path": [dir, ...], "num_envs": k, "autoreset": bool,
         "base_seeds": [b_0, ..., b_{k-1}] (optional, default 0), "env_offset": i0 (optional)}
        python_path is prepended to sys.path; the callable is called k times with **kwargs.
        base_seeds seed the replacements of envs that fail (below; the C++ side sends
        seed + global env index + incarnation * 1_000_003); env_offset is the global index of
        the first env, for log messages only.
     -> {"ok": true, "spec": SPEC, "python": "<sys.executable> <first line of sys.version>"}
        or {"ok": false, "error": "<one line>"} (the worker then waits for close).
        SPEC = {"observation_size": D, "observation_low": [...], "observation_high": [...],
                "discrete": bool, "num_actions": n (0 when continuous), "action_size": A,
                "action_low": [...], "action_high": [...] (empty when discrete),
                "max_episode_steps": m (env.spec.max_episode_steps, else 0)}
        A bound that is not finite is JSON null (null in a low list means -inf, in a high list
        +inf). Observations: a Box of any numeric dtype and shape (flattened, D = its size)
        or a Discrete (D = 1, the value as a float). Actions: a Box of a float dtype
        (flattened, A = its size) or a Discrete with start 0 (A = 1, the index as a float).
        Spaces are recognised by class name (Box, Discrete, or a subclass) or, for other
        classes, by attributes: .n for Discrete; .shape, .low, .high, .dtype for Box.

reset   {"cmd": "reset", "seeds": [s or null, ...]} (k entries): env.reset(seed=s), or
        env.reset() for null.
     -> {"ok": true, "failed": [j, ...]} + obs float32 [k, D].
        failed lists the local indices whose reset raised or returned a bad observation; each
        was replaced (below) and its row is the replacement's first observation.

step    {"cmd": "step"} + actions float32 [k, A]. A discrete action reaches env.step as
        int(round(a)); a continuous one as a float32 numpy array of the Box's shape.
     -> {"ok": true} or {"ok": true, "errors": n, "nonfinite": m}
        + obs float32 [k, D], reward float64 [k], terminated uint8 [k], truncated uint8 [k],
          final_obs float32 [k, D], dropped uint8 [k].
        With autoreset, an env whose episode ended (terminated or truncated) is reset (no
        seed): its obs row is the new episode's first observation and its final_obs row the
        ended episode's last one. final_obs rows of other envs hold stale values. Without
        autoreset, obs and final_obs rows of an ended env both hold its last observation.
        An env that raises in step (or in the auto-reset), returns something that is not
        (obs, reward, terminated, truncated, info), an observation that does not convert to D
        float32 values, or a non-finite observation or reward (also one beyond float32's
        range) is *dropped*: dropped = 1, reward 0, terminated and truncated 0, and the
        worker replaces it (below); its obs row is the replacement's first observation.
        errors counts the envs dropped for raising or a bad result, nonfinite those dropped
        for a non-finite value.

close   {"cmd": "close"} -> no reply; the worker exits with status 0.

Replacing an env: the worker closes the old object (errors ignored), calls the callable
again and resets the new env with seed (b_j + 1_000_003 * r) mod 2**64, where r counts the
replacements of local env j. It prints one line to stderr naming the env and the error.
When 3 replacements in a row fail, or a request is malformed or unknown, the reply is
{"ok": false, "error": "..."} and the C++ side restarts the worker.

The worker exits by itself when its parent process goes away, i.e. when its parent pid is no
longer --parent-pid (without the option: the parent it had at start); it checks whenever it
has waited 1 s for a request or to send a reply. It ignores SIGINT (a Ctrl-C reaches the whole
process group; the parent stops its workers). When it cannot import numpy or zmq it prints
why and exits with status 86.
"""

import argparse
import importlib
import json
import math
import os
import signal
import sys
import traceback

MISSING_DEPENDENCY_EXIT = 86

try:
    import numpy as np
    import zmq
except ImportError as _error:  # Reported before anything else can be.
    sys.stderr.write(
        "rlfleet_env_worker: %s cannot import a module the worker needs (numpy and pyzmq): "
        "%s\n" % (sys.executable, _error))
    sys.exit(MISSING_DEPENDENCY_EXIT)

PROTOCOL = 1
SEED_STRIDE = 1_000_003
SEED_MODULUS = 1 << 64
MAX_REPLACE_ATTEMPTS = 3
PARENT_CHECK_MS = 1000
# Doubles at or beyond this magnitude round to infinity as float32.
FLOAT32_OVERFLOW = float(2**128 - 2**103)

STEP_REQUEST = b'{"cmd":"step"}'
OK_HEADER = b'{"ok":true}'
OTHER_GYMNASIUM_SPACES = frozenset(
    ["MultiBinary", "MultiDiscrete", "Tuple", "Dict", "Text", "Graph", "Sequence", "OneOf"])


class RequestError(Exception):
    """A request this worker cannot serve; answered with ok: false."""


def _one_line(text, limit=500):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _describe_exception(error):
    """'TypeError: message (file.py:12 in step)', naming the innermost frame."""
    where = ""
    frames = traceback.extract_tb(error.__traceback__)
    if frames:
        last = frames[-1]
        where = " (%s:%d in %s)" % (os.path.basename(last.filename), last.lineno, last.name)
    return _one_line("%s: %s%s" % (type(error).__name__, error, where))


def _log(message):
    sys.stderr.write("rlfleet_env_worker[%d]: %s\n" % (os.getpid(), message))
    sys.stderr.flush()


def _space_kind(space):
    """'Box', 'Discrete' or None."""
    names = [cls.__name__ for cls in type(space).__mro__]
    for name in names:
        if name in ("Box", "Discrete"):
            return name
    if names[0] in OTHER_GYMNASIUM_SPACES:
        return None
    if hasattr(space, "n") and not hasattr(space, "nvec") and not hasattr(space, "low"):
        return "Discrete"
    if all(hasattr(space, a) for a in ("shape", "low", "high", "dtype")):
        return "Box"
    return None


def _space_name(space):
    try:
        text = repr(space)
    except Exception:  # A broken __repr__ must not hide the real problem.
        text = type(space).__name__
    return _one_line(text, 200)


def _json_bounds(values):
    return [float(v) if math.isfinite(v) else None for v in values]


def _box_layout(space, role):
    """(size, shape, low list, high list) of a Box space."""
    shape = tuple(int(s) for s in space.shape)
    size = 1
    for s in shape:
        size *= s
    if size <= 0:
        raise RequestError("%s space %s has no elements" % (role, _space_name(space)))
    dtype = np.dtype(space.dtype)
    if role == "action" and dtype.kind != "f":
        raise RequestError("unsupported action space %s: a Box action space needs a float "
                           "dtype, not %s" % (_space_name(space), dtype))
    if dtype.kind not in "fiub":
        raise RequestError("unsupported observation space %s: dtype %s is not numeric"
                           % (_space_name(space), dtype))
    low = np.broadcast_to(np.asarray(space.low, dtype=np.float64), shape).reshape(-1)
    high = np.broadcast_to(np.asarray(space.high, dtype=np.float64), shape).reshape(-1)
    return size, shape, low.tolist(), high.tolist()


def _spec_of(env):
    """The protocol's SPEC of one env, and how actions reach it: (spec, action_shape or None)."""
    for attr in ("observation_space", "action_space"):
        if not hasattr(env, attr):
            raise RequestError("the env (%s) has no %s" % (type(env).__name__, attr))
    obs_space, act_space = env.observation_space, env.action_space
    spec = {}
    kind = _space_kind(obs_space)
    if kind == "Box":
        size, _, low, high = _box_layout(obs_space, "observation")
        spec.update(observation_size=size, observation_low=_json_bounds(low),
                    observation_high=_json_bounds(high))
    elif kind == "Discrete":
        n, start = int(obs_space.n), int(getattr(obs_space, "start", 0))
        if n <= 0:
            raise RequestError("observation space %s is empty" % _space_name(obs_space))
        spec.update(observation_size=1, observation_low=[float(start)],
                    observation_high=[float(start + n - 1)])
    else:
        raise RequestError("unsupported observation space %s: only Box and Discrete are "
                           "supported" % _space_name(obs_space))
    kind = _space_kind(act_space)
    action_shape = None
    if kind == "Box":
        size, action_shape, low, high = _box_layout(act_space, "action")
        spec.update(discrete=False, num_actions=0, action_size=size,
                    action_low=_json_bounds(low), action_high=_json_bounds(high))
    elif kind == "Discrete":
        n, start = int(act_space.n), int(getattr(act_space, "start", 0))
        if start != 0:
            raise RequestError("unsupported action space %s: a Discrete action space must "
                               "start at 0" % _space_name(act_space))
        if n <= 0:
            raise RequestError("action space %s is empty" % _space_name(act_space))
        spec.update(discrete=True, num_actions=n, action_size=1, action_low=[], action_high=[])
    else:
        raise RequestError("unsupported action space %s: only Box (float) and Discrete are "
                           "supported" % _space_name(act_space))
    steps = getattr(getattr(env, "spec", None), "max_episode_steps", None)
    spec["max_episode_steps"] = int(steps) if steps else 0
    return spec, action_shape


def _resolve(callable_name):
    module_name, sep, attr_path = callable_name.partition(":")
    if not sep or not module_name or not attr_path:
        raise RequestError("callable '%s' is not of the form module:attribute" % callable_name)
    try:
        target = importlib.import_module(module_name)
    except Exception as error:
        if not (isinstance(error, ModuleNotFoundError) and error.name == module_name):
            traceback.print_exc()
        raise RequestError("cannot import module '%s': %s"
                           % (module_name, _describe_exception(error)))
    for part in attr_path.split("."):
        if not hasattr(target, part):
            raise RequestError("'%s' has no attribute '%s' (callable '%s')"
                               % (getattr(target, "__name__", module_name), part, callable_name))
        target = getattr(target, part)
    if not callable(target):
        raise RequestError("'%s' is not callable" % callable_name)
    return target


class _Slot:
    """One hosted env and what is needed to replace it."""

    __slots__ = ("env", "base_seed", "replacements")

    def __init__(self, env, base_seed):
        self.env = env
        self.base_seed = base_seed
        self.replacements = 0


class Worker:
    """Serves requests; handle() maps request frames to reply frames (None: exit)."""

    def __init__(self):
        self.slots = None
        self.callable_name = ""

    # Requests -----------------------------------------------------------------------------

    def handle(self, frames):
        first = frames[0].bytes
        try:
            if first == STEP_REQUEST:
                return self.step(frames)
            try:
                header = json.loads(first.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as error:
                raise RequestError("request header is not JSON: %s" % _one_line(error))
            if not isinstance(header, dict):
                raise RequestError("request header is not a JSON object")
            cmd = header.get("cmd")
            if cmd == "close":
                return None
            if cmd == "init":
                return self.init(header)
            if cmd == "reset":
                return self.reset(header)
            if cmd == "step":
                return self.step(frames)
            raise RequestError("unknown command %r" % (cmd,))
        except RequestError as error:
            return [json.dumps({"ok": False, "error": str(error)}).encode()]
        except Exception as error:  # A space or env that breaks the worker's expectations.
            traceback.print_exc()
            return [json.dumps({"ok": False, "error": _describe_exception(error)}).encode()]

    def init(self, header):
        if self.slots is not None:
            raise RequestError("init sent twice")
        if header.get("protocol") != PROTOCOL:
            raise RequestError("protocol %r requested, this worker speaks %d"
                               % (header.get("protocol"), PROTOCOL))
        k = header.get("num_envs")
        if not isinstance(k, int) or k <= 0:
            raise RequestError("num_envs must be a positive integer")
        kwargs = header.get("kwargs", {})
        if not isinstance(kwargs, dict):
            raise RequestError("kwargs must be a JSON object")
        path = header.get("python_path", [])
        if not isinstance(path, list) or not all(isinstance(p, str) for p in path):
            raise RequestError("python_path must be a list of strings")
        seeds = header.get("base_seeds", [0] * k)
        if (not isinstance(seeds, list) or len(seeds) != k
                or not all(isinstance(s, int) and s >= 0 for s in seeds)):
            raise RequestError("base_seeds must be %d non-negative integers" % k)
        self.callable_name = str(header.get("callable", ""))
        self.autoreset = bool(header.get("autoreset", True))
        self.env_offset = int(header.get("env_offset", 0))
        sys.path[0:0] = path
        self.factory = _resolve(self.callable_name)
        self.kwargs = kwargs
        envs = [self._make() for _ in range(k)]
        spec, self.action_shape = _spec_of(envs[0])
        for j, env in enumerate(envs[1:], 1):
            if _spec_of(env)[0] != spec:
                raise RequestError("'%s' made envs with different spaces (env 0 and env %d)"
                                   % (self.callable_name, j))
        self.k = k
        self.d = spec["observation_size"]
        self.a = spec["action_size"]
        self.discrete = spec["discrete"]
        self.slots = [_Slot(env, s % SEED_MODULUS) for env, s in zip(envs, seeds)]
        self.obs = np.zeros((k, self.d), dtype=np.float32)
        self.final_obs = np.zeros((k, self.d), dtype=np.float32)
        self.reward = np.zeros(k, dtype=np.float64)
        self.terminated = np.zeros(k, dtype=np.uint8)
        self.truncated = np.zeros(k, dtype=np.uint8)
        self.dropped = np.zeros(k, dtype=np.uint8)
        python = "%s %s" % (sys.executable, sys.version.splitlines()[0])
        return [json.dumps({"ok": True, "spec": spec, "python": python}).encode()]

    def reset(self, header):
        self._require_init()
        seeds = header.get("seeds")
        if (not isinstance(seeds, list) or len(seeds) != self.k or not all(
                s is None or (isinstance(s, int) and s >= 0) for s in seeds)):
            raise RequestError("seeds must be %d non-negative integers or nulls" % self.k)
        failed = []
        for j, seed in enumerate(seeds):
            problem = None
            try:
                if seed is None:
                    result = self.slots[j].env.reset()
                else:
                    result = self.slots[j].env.reset(seed=seed % SEED_MODULUS)
                problem = self._store_reset(result, self.obs[j])
            except Exception as error:
                problem = "reset raised " + _describe_exception(error)
            if problem is not None:
                failed.append(j)
                self._replace(j, problem)
        return [json.dumps({"ok": True, "failed": failed}).encode(), self.obs]

    def step(self, frames):
        self._require_init()
        k, a = self.k, self.a
        if len(frames) != 2 or len(frames[1].buffer) != 4 * k * a:
            raise RequestError("step needs one action frame of %d bytes" % (4 * k * a))
        actions = np.frombuffer(frames[1].buffer, dtype="<f4").reshape(k, a)
        if self.discrete:
            action_list = np.rint(actions[:, 0]).astype(np.int64).tolist()
        else:
            shape = self.action_shape
            action_list = [actions[j].reshape(shape).copy() for j in range(k)]
        obs, final_obs, reward = self.obs, self.final_obs, self.reward
        terminated, truncated, dropped = self.terminated, self.truncated, self.dropped
        slots, d, ndarray = self.slots, self.d, np.ndarray
        problems = {}
        # The hot loop: an ndarray observation of the right size is stored with one assignment
        # (numpy converts it); anything else takes the checked path. Finiteness is checked once
        # for the whole batch below.
        for j in range(k):
            try:
                result = slots[j].env.step(action_list[j])
                if type(result) is not tuple or len(result) != 5:
                    raise TypeError("step must return (observation, reward, terminated, "
                                    "truncated, info), got %s" % type(result).__name__)
                o = result[0]
                if type(o) is ndarray and o.size == d:
                    obs[j] = o if o.ndim == 1 else o.reshape(d)
                    problem = None
                else:
                    problem = self._store_observation(o, obs[j])
                r = float(result[1])
                if problem is None and not -FLOAT32_OVERFLOW < r < FLOAT32_OVERFLOW:
                    problem = "non-finite reward %r" % r
                term = bool(result[2])
                trunc = bool(result[3])
                if problem is None and (term or trunc):
                    final_obs[j] = obs[j]
                    if self.autoreset:
                        try:
                            problem = self._store_reset(slots[j].env.reset(), obs[j])
                        except Exception as error:
                            problem = "the auto-reset raised " + _describe_exception(error)
            except Exception as error:
                problem = "step raised " + _describe_exception(error)
            if problem is None:
                reward[j] = r
                terminated[j] = term
                truncated[j] = trunc
                dropped[j] = 0
            else:
                problems[j] = problem
        # Rows of final_obs not written this step hold earlier, already checked values.
        if not (np.isfinite(obs).all() and np.isfinite(final_obs).all()):
            bad = ~(np.isfinite(obs).all(axis=1) & np.isfinite(final_obs).all(axis=1))
            for j in np.flatnonzero(bad).tolist():
                if j not in problems:
                    problems[j] = "non-finite observation"
            final_obs[bad] = 0.0
        errors = nonfinite = 0
        for j, problem in problems.items():
            if problem.startswith("non-finite"):
                nonfinite += 1
            else:
                errors += 1
            reward[j] = 0.0
            terminated[j] = 0
            truncated[j] = 0
            dropped[j] = 1
            self._replace(j, problem)
        if errors or nonfinite:
            header = json.dumps({"ok": True, "errors": errors, "nonfinite": nonfinite}).encode()
        else:
            header = OK_HEADER
        return [header, obs, reward, terminated, truncated, final_obs, dropped]

    # Helpers ------------------------------------------------------------------------------

    def _require_init(self):
        if self.slots is None:
            raise RequestError("the worker has not been initialised (send init first)")

    def _make(self):
        try:
            env = self.factory(**self.kwargs)
        except Exception as error:
            traceback.print_exc()
            raise RequestError("'%s' raised %s" % (self.callable_name, _describe_exception(error)))
        if env is None:
            raise RequestError("'%s' returned None" % self.callable_name)
        return env

    def _store_observation(self, observation, row):
        """Writes one observation into row; returns None or what is wrong with it."""
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                values = np.asarray(observation, dtype=np.float32)
        except (TypeError, ValueError) as error:
            return "the observation does not convert to float32: %s" % _one_line(error, 200)
        if values.size != self.d:
            return "the observation has %d values (shape %s), the spec says %d" % (
                values.size, values.shape, self.d)
        values = values.reshape(-1)
        if not np.isfinite(values).all():
            return "non-finite observation %s" % _one_line(values, 200)
        row[:] = values
        return None

    def _store_reset(self, result, row):
        if not isinstance(result, tuple) or len(result) != 2:
            return "reset must return (observation, info), got %s" % type(result).__name__
        return self._store_observation(result[0], row)

    def _replace(self, j, problem):
        """Replaces local env j by a new one, reset with its next replacement seed; its first
        observation goes to self.obs[j]. Raises RequestError when MAX_REPLACE_ATTEMPTS fail."""
        slot = self.slots[j]
        name = "env %d of '%s'" % (self.env_offset + j, self.callable_name)
        for attempt in range(MAX_REPLACE_ATTEMPTS):
            try:
                slot.env.close()
            except Exception:
                pass
            slot.replacements += 1
            seed = (slot.base_seed + SEED_STRIDE * slot.replacements) % SEED_MODULUS
            _log("%s dropped: %s; replaced by a new env (reset seed %d)" % (name, problem, seed))
            try:
                slot.env = self._make()
                problem = self._store_reset(slot.env.reset(seed=seed), self.obs[j])
            except RequestError as error:
                problem = str(error)
            except Exception as error:
                problem = "reset raised " + _describe_exception(error)
            if problem is None:
                return
        raise RequestError("%s could not be replaced (%d attempts): %s"
                           % (name, MAX_REPLACE_ATTEMPTS, problem))


def serve(endpoint, worker, parent):
    """Answers requests on endpoint until close or until the parent process is gone (this
    process's parent pid is no longer `parent`); returns the exit status."""
    context = zmq.Context(1)
    socket = context.socket(zmq.PAIR)
    socket.setsockopt(zmq.LINGER, 0)
    socket.setsockopt(zmq.RCVTIMEO, PARENT_CHECK_MS)
    socket.setsockopt(zmq.SNDTIMEO, PARENT_CHECK_MS)
    socket.connect(endpoint)
    try:
        while True:
            try:
                frames = socket.recv_multipart(copy=False)
            except zmq.Again:
                if os.getppid() != parent:
                    return 0
                continue
            reply = worker.handle(frames)
            if reply is None:
                return 0
            while True:  # A send waits only while the parent's socket is gone.
                try:
                    socket.send_multipart(reply, copy=False)
                    break
                except zmq.Again:
                    if os.getppid() != parent:
                        return 0
    finally:
        socket.close(linger=0)
        context.term()


def main(argv=None, worker_class=Worker):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True, help="the ZeroMQ endpoint to connect to")
    parser.add_argument("--parent-pid", type=int, default=None,
                        help="exit when this process is no longer the parent")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Values beyond float32 become inf when stored (and are then dropped as non-finite).
    np.seterr(over="ignore", invalid="ignore")
    parent = args.parent_pid if args.parent_pid is not None else os.getppid()
    if os.getppid() != parent:
        return 0
    return serve(args.endpoint, worker_class(), parent)


if __name__ == "__main__":
    sys.exit(main())
