#ifndef RLFLEET_ENVS_PLUGIN_ENV_H_
#define RLFLEET_ENVS_PLUGIN_ENV_H_

#include <cstdint>
#include <memory>
#include <string>

#include "core/env_spec.h"
#include "envs/env.h"
#include "rlfleet/env_plugin.h"

namespace rlfleet {

// Native environments from shared libraries that implement the C ABI of
// include/rlfleet/env_plugin.h (`env.plugin` in a run's config).

// One loaded plugin library: the dlopen handle (RTLD_NOW | RTLD_LOCAL) and the function table
// its entry point returned, checked. dlclose'd when the last owner lets go; every env made from
// the library holds a shared_ptr to it, so the code outlives the envs. Immutable, so one
// instance may be used from any number of threads.
class EnvPlugin {
 public:
  ~EnvPlugin();
  EnvPlugin(const EnvPlugin&) = delete;
  EnvPlugin& operator=(const EnvPlugin&) = delete;

  // The canonical path of the library file (symbolic links resolved).
  const std::string& path() const { return path_; }
  // The table's `name`, or the file name when the plugin gave none.
  const std::string& name() const { return name_; }
  // Valid while this object lives; every function pointer in it is non-NULL.
  const rlfleet_env_plugin& table() const { return *table_; }

 private:
  friend std::shared_ptr<const EnvPlugin> LoadEnvPlugin(const std::string& path);
  EnvPlugin(std::string path, void* handle, const rlfleet_env_plugin* table);

  std::string path_;
  std::string name_;
  void* handle_;
  const rlfleet_env_plugin* table_;
};

// Loads the plugin library at `path`, or returns the one already loaded from the same file
// (libraries are cached per canonical path while any owner holds them, so N envs share one
// handle). Thread-safe; blocks while another thread loads a library. Throws
// std::invalid_argument naming the file when it is missing, dlopen fails (with dlerror's
// text), the entry symbol rlfleet_env_plugin_get is missing or returns NULL, the table's
// abi_version is not RLFLEET_ENV_PLUGIN_ABI_VERSION (both named), its struct_size is smaller
// than this build's table, or a function pointer in it is NULL (named).
std::shared_ptr<const EnvPlugin> LoadEnvPlugin(const std::string& path);

// Creates one env from the plugin at `path` with the plugin's create(env_id, options_json) and
// checks its spec; the EnvSpec's id is `env_id`. Wrapped in TimeLimit when the spec's
// max_episode_steps > 0, as MakeEnv does for built-ins. Throws std::invalid_argument naming the
// file: anything LoadEnvPlugin throws, create returning NULL (with the plugin's message), a
// failing get_spec, or a spec that makes no sense (the field named).
//
// The env calls the plugin in Seed, Reset and Step (no allocation on the way). Reset or Step
// returning non-zero throws EnvFault with the file name and the plugin's last_error text; Step
// throws std::invalid_argument for a discrete action that is not a valid index, before the
// plugin sees it. Observations and rewards pass through unchecked (NaN included): vector envs
// check them. Not thread-safe (one thread at a time per env, as any Env); the env holds its
// library and calls destroy in its destructor.
std::unique_ptr<Env> MakePluginEnv(const std::string& path, const std::string& env_id,
                                   const std::string& options_json);

// The (checked) spec of the env that MakePluginEnv(path, env_id, options_json) makes: creates
// one and destroys it. Throws as MakePluginEnv.
EnvSpec PluginEnvSpec(const std::string& path, const std::string& env_id,
                      const std::string& options_json);

}  // namespace rlfleet

#endif  // RLFLEET_ENVS_PLUGIN_ENV_H_
