#ifndef RLFLEET_PYENV_ENV_FACTORY_H_
#define RLFLEET_PYENV_ENV_FACTORY_H_

#include <cstdint>
#include <memory>
#include <string>

#include "core/env_spec.h"
#include "core/run_config.h"
#include "envs/env.h"
#include "envs/vector_env.h"

namespace rlfleet {

// The one place that turns a run's `env` section into environments, whatever their source:
// a built-in (`env.id` in envs/registry.cc), a native plugin (`env.plugin`,
// envs/plugin_env.h) or a Python env (`env.python`, pyenv/python_vector_env.h). Every actor,
// the learner's evaluation, `rlfleet eval`, `rollout` and the benches go through it.

// The folder of rlfleet's Python modules (rlfleet_env_worker.py, rlfleet_env_bench.py):
// $RLFLEET_PYTHON_DIR when set, else python/ of the source tree this binary was built from.
std::string PythonModuleDir();

// "built-in", "plugin PATH" or "python MODULE:CALLABLE (INTERPRETER)": for logs and messages.
std::string DescribeEnvSource(const EnvConfig& env);

// The spec of the configured env, checked: the launcher's check before any process starts.
// For a plugin it loads the library and creates one env; for Python it starts one worker.
// Throws std::invalid_argument (unknown built-in, plugin errors, each naming the file) or
// std::runtime_error (a Python callable that cannot be imported or called, naming it).
EnvSpec CheckEnvSource(const EnvConfig& env);

// One env (TimeLimit applied as its spec says). Python: a worker of its own (an Env whose
// faults throw EnvFault).
std::unique_ptr<Env> MakeEnv(const EnvConfig& env);

// env.num_envs envs seeded seed + i (the config's num_envs unless `num_envs` > 0): a
// NativeVectorEnv with env.num_threads threads, or a PythonVectorEnv with env.python_workers
// worker processes.
std::unique_ptr<VectorEnv> MakeVectorEnv(const EnvConfig& env, uint64_t seed, int32_t num_envs = 0);

}  // namespace rlfleet

#endif  // RLFLEET_PYENV_ENV_FACTORY_H_
