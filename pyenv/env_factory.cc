#include "pyenv/env_factory.h"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <utility>

#include "core/logging.h"
#include "envs/plugin_env.h"
#include "envs/registry.h"
#include "pyenv/python_vector_env.h"

namespace rlfleet {
namespace {

PythonEnvOptions PythonOptions(const EnvConfig& env, int32_t num_envs, uint64_t seed,
                               bool autoreset) {
  PythonEnvOptions o;
  o.callable = env.python;
  o.kwargs_json = env.python_kwargs;
  o.python_path = env.python_path;
  o.interpreter = env.python_interpreter;
  o.env_id = env.id;
  o.num_envs = num_envs;
  o.num_workers = std::min(env.python_workers, num_envs);
  o.seed = seed;
  o.timeout_seconds = env.python_timeout_seconds;
  o.start_timeout_seconds = env.python_start_timeout_seconds;
  o.autoreset = autoreset;
  return o;
}

}  // namespace

std::string PythonModuleDir() {
  const char* dir = std::getenv("RLFLEET_PYTHON_DIR");
  if (dir != nullptr && *dir != '\0') return dir;
  return RLFLEET_PYTHON_DIR;
}

std::string DescribeEnvSource(const EnvConfig& env) {
  if (!env.plugin.empty()) return "plugin " + env.plugin;
  if (!env.python.empty()) return "python " + env.python + " (" + env.python_interpreter + ")";
  return "built-in";
}

EnvSpec CheckEnvSource(const EnvConfig& env) {
  if (!env.plugin.empty()) return PluginEnvSpec(env.plugin, env.id, env.plugin_options);
  if (!env.python.empty()) return ProbePythonEnvSpec(PythonOptions(env, 1, 0, true));
  return MakeEnv(env.id)->spec();
}

std::unique_ptr<Env> MakeEnv(const EnvConfig& env) {
  if (!env.plugin.empty()) return MakePluginEnv(env.plugin, env.id, env.plugin_options);
  if (!env.python.empty()) return MakePythonEnv(PythonOptions(env, 1, 0, false));
  return MakeEnv(env.id);
}

std::unique_ptr<VectorEnv> MakeVectorEnv(const EnvConfig& env, uint64_t seed, int32_t num_envs) {
  const int32_t n = num_envs > 0 ? num_envs : env.num_envs;
  if (!env.python.empty()) {
    auto envs = std::make_unique<PythonVectorEnv>(PythonOptions(env, n, seed, true));
    RLF_LOG(Info) << n << " Python envs (" << env.python << ") in "
                  << std::min(env.python_workers, n) << " worker processes of "
                  << envs->interpreter_description();
    return envs;
  }
  VectorEnvOptions options;
  options.env_id = env.id;
  options.num_envs = n;
  options.seed = seed;
  options.num_threads = std::min(env.num_threads, n);
  if (!env.plugin.empty()) {
    options.make_env = [env] { return MakePluginEnv(env.plugin, env.id, env.plugin_options); };
  }
  return std::make_unique<NativeVectorEnv>(options);
}

}  // namespace rlfleet
