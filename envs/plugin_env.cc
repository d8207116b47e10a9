#include "envs/plugin_env.h"

#include <dlfcn.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <limits>
#include <map>
#include <mutex>
#include <stdexcept>
#include <utility>
#include <vector>

#include "envs/discrete_action.h"
#include "envs/time_limit.h"

namespace rlfleet {
namespace {

// Upper bound on every size in a spec: larger values are taken for garbage, not an env.
constexpr int32_t kMaxSpecSize = 1 << 20;

std::string Quoted(const std::string& s) { return "'" + s + "'"; }

std::string FloatText(float value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.9g", static_cast<double>(value));
  return text;
}

std::string LoadError(const std::string& path, const std::string& problem) {
  return "env plugin " + Quoted(path) + ": " + problem;
}

struct DlCloser {
  void operator()(void* handle) const { dlclose(handle); }
};
using LibraryHandle = std::unique_ptr<void, DlCloser>;

// The canonical path of an existing file; throws naming `path` otherwise.
std::string CanonicalPath(const std::string& path) {
  if (path.empty()) throw std::invalid_argument("env plugin: the library path is empty");
  char* resolved = realpath(path.c_str(), nullptr);
  if (resolved == nullptr) {
    const int error = errno;
    throw std::invalid_argument(LoadError(
        path, error == ENOENT ? "no such file"
                              : std::string("cannot resolve the path: ") + std::strerror(error)));
  }
  std::string canonical(resolved);
  std::free(resolved);
  return canonical;
}

// Checks the function table the entry point returned; throws naming `path` and the problem.
void CheckTable(const std::string& path, const rlfleet_env_plugin* table) {
  if (table == nullptr) {
    throw std::invalid_argument(LoadError(
        path, std::string(RLFLEET_ENV_PLUGIN_ENTRY) + " returned NULL for host ABI version " +
                  std::to_string(RLFLEET_ENV_PLUGIN_ABI_VERSION) +
                  " (the plugin does not serve this version of rlfleet)"));
  }
  if (table->abi_version != RLFLEET_ENV_PLUGIN_ABI_VERSION) {
    throw std::invalid_argument(
        LoadError(path, "built for env plugin ABI version " + std::to_string(table->abi_version) +
                            ", but this rlfleet speaks ABI version " +
                            std::to_string(RLFLEET_ENV_PLUGIN_ABI_VERSION) +
                            "; rebuild the plugin against this rlfleet's env_plugin.h"));
  }
  if (table->struct_size < sizeof(rlfleet_env_plugin)) {
    throw std::invalid_argument(LoadError(
        path, "struct_size is " + std::to_string(table->struct_size) + " bytes, smaller than the " +
                  std::to_string(sizeof(rlfleet_env_plugin)) + " bytes of an ABI version " +
                  std::to_string(RLFLEET_ENV_PLUGIN_ABI_VERSION) + " rlfleet_env_plugin"));
  }
  const std::pair<const char*, bool> functions[] = {
      {"create", table->create != nullptr},         {"destroy", table->destroy != nullptr},
      {"get_spec", table->get_spec != nullptr},     {"seed", table->seed != nullptr},
      {"reset", table->reset != nullptr},           {"step", table->step != nullptr},
      {"last_error", table->last_error != nullptr},
  };
  for (const auto& [name, present] : functions) {
    if (!present) {
      throw std::invalid_argument(
          LoadError(path, std::string("function pointer '") + name + "' is NULL"));
    }
  }
}

// Libraries loaded so far, per canonical path; an entry expires when its last owner lets go.
struct PluginCache {
  std::mutex mutex;
  std::map<std::string, std::weak_ptr<const EnvPlugin>> plugins;  // guarded by mutex
};

PluginCache& Cache() {
  static PluginCache* cache = new PluginCache;  // never destroyed: envs may outlive main
  return *cache;
}

// Owns one env instance of a plugin; destroy is called while the library is still loaded.
struct EnvDestroyer {
  const rlfleet_env_plugin* table;
  void operator()(rlfleet_env* env) const { table->destroy(env); }
};
using PluginEnvHandle = std::unique_ptr<rlfleet_env, EnvDestroyer>;

// Reads `count` bounds (NULL: all `fallback`).
std::vector<float> Bounds(const float* values, int32_t count, float fallback) {
  if (values == nullptr) return std::vector<float>(count, fallback);
  return std::vector<float>(values, values + count);
}

// Converts and checks a plugin's spec; throws naming `where` and the field.
EnvSpec CheckedSpec(const rlfleet_env_spec& s, const std::string& env_id,
                    const std::string& where) {
  const auto fail = [&](const std::string& field, const std::string& problem) {
    throw std::invalid_argument(where + ": spec." + field + " " + problem);
  };
  const auto check_size = [&](const char* field, int32_t value) {
    if (value < 1 || value > kMaxSpecSize) {
      fail(field,
           "must be in [1, " + std::to_string(kMaxSpecSize) + "], got " + std::to_string(value));
    }
  };
  const auto index = [](const char* field, int32_t i) {
    return std::string(field) + "[" + std::to_string(i) + "]";
  };
  constexpr float kInf = std::numeric_limits<float>::infinity();

  EnvSpec spec;
  spec.id = env_id;
  check_size("observation_size", s.observation_size);
  spec.observation_size = s.observation_size;
  spec.observation_low = Bounds(s.observation_low, s.observation_size, -kInf);
  spec.observation_high = Bounds(s.observation_high, s.observation_size, kInf);
  for (int32_t i = 0; i < s.observation_size; ++i) {
    const float low = spec.observation_low[i];
    const float high = spec.observation_high[i];
    if (std::isnan(low) || low == kInf) {
      fail(index("observation_low", i), "must be a number below +inf, got " + FloatText(low));
    }
    if (std::isnan(high) || high == -kInf) {
      fail(index("observation_high", i), "must be a number above -inf, got " + FloatText(high));
    }
    if (low > high) {
      fail(index("observation_low", i),
           "(" + FloatText(low) + ") must not exceed observation_high (" + FloatText(high) + ")");
    }
  }

  if (s.discrete_actions != 0 && s.discrete_actions != 1) {
    fail("discrete_actions", "must be 0 or 1, got " + std::to_string(s.discrete_actions));
  }
  spec.discrete_actions = s.discrete_actions == 1;
  if (spec.discrete_actions) {
    check_size("num_actions", s.num_actions);
    if (s.action_size != 1) {
      fail("action_size", "must be 1 for discrete actions, got " + std::to_string(s.action_size));
    }
    spec.num_actions = s.num_actions;
    spec.action_size = 1;
  } else {
    if (s.num_actions != 0) {
      fail("num_actions", "must be 0 for continuous actions, got " + std::to_string(s.num_actions));
    }
    check_size("action_size", s.action_size);
    if (s.action_low == nullptr) fail("action_low", "must not be NULL for continuous actions");
    if (s.action_high == nullptr) fail("action_high", "must not be NULL for continuous actions");
    spec.num_actions = 0;
    spec.action_size = s.action_size;
    spec.action_low.assign(s.action_low, s.action_low + s.action_size);
    spec.action_high.assign(s.action_high, s.action_high + s.action_size);
    for (int32_t i = 0; i < s.action_size; ++i) {
      const float low = spec.action_low[i];
      const float high = spec.action_high[i];
      if (!std::isfinite(low)) {
        fail(index("action_low", i), "must be finite, got " + FloatText(low));
      }
      if (!std::isfinite(high)) {
        fail(index("action_high", i), "must be finite, got " + FloatText(high));
      }
      if (!(low < high)) {
        fail(index("action_low", i),
             "(" + FloatText(low) + ") must be below action_high (" + FloatText(high) + ")");
      }
    }
  }

  if (s.max_episode_steps < 0) {
    fail("max_episode_steps",
         "must be >= 0 (0: no time limit), got " + std::to_string(s.max_episode_steps));
  }
  spec.max_episode_steps = s.max_episode_steps;
  return spec;
}

// An env instance of a plugin behind rlfleet's Env interface.
class PluginEnv final : public Env {
 public:
  PluginEnv(std::shared_ptr<const EnvPlugin> plugin, PluginEnvHandle env, EnvSpec spec)
      : plugin_(std::move(plugin)),
        table_(&plugin_->table()),
        env_(std::move(env)),
        spec_(std::move(spec)) {}

  const EnvSpec& spec() const override { return spec_; }
  void Seed(uint64_t seed) override { table_->seed(env_.get(), seed); }

  void Reset(float* observation) override {
    if (table_->reset(env_.get(), observation) != 0) Fail("reset");
  }

  StepResult Step(const float* action, float* observation) override {
    if (spec_.discrete_actions) DiscreteActionIndex(spec_, action[0]);
    rlfleet_step_result r{0.0, 0, 0};
    if (table_->step(env_.get(), action, observation, &r) != 0) Fail("step");
    StepResult result;
    result.reward = r.reward;
    result.terminated = r.terminated != 0;
    result.truncated = r.truncated != 0;
    return result;
  }

 private:
  [[noreturn]] void Fail(const char* call) const {
    const char* message = table_->last_error(env_.get());
    throw EnvFault("env plugin " + Quoted(plugin_->path()) + " (" + plugin_->name() + ", env " +
                   Quoted(spec_.id) + "): " + call + " failed: " +
                   (message != nullptr && *message != '\0' ? message : "(no message)"));
  }

  // Declared first, destroyed last: the library stays loaded until destroy has run.
  std::shared_ptr<const EnvPlugin> plugin_;
  const rlfleet_env_plugin* table_;
  PluginEnvHandle env_;
  EnvSpec spec_;
};

}  // namespace

EnvPlugin::EnvPlugin(std::string path, void* handle, const rlfleet_env_plugin* table)
    : path_(std::move(path)), handle_(handle), table_(table) {
  if (table_->name != nullptr && *table_->name != '\0') {
    name_ = table_->name;
  } else {
    const size_t slash = path_.rfind('/');
    name_ = slash == std::string::npos ? path_ : path_.substr(slash + 1);
  }
}

EnvPlugin::~EnvPlugin() { dlclose(handle_); }

std::shared_ptr<const EnvPlugin> LoadEnvPlugin(const std::string& path) {
  const std::string canonical = CanonicalPath(path);
  PluginCache& cache = Cache();
  std::lock_guard<std::mutex> lock(cache.mutex);
  if (const auto it = cache.plugins.find(canonical); it != cache.plugins.end()) {
    if (std::shared_ptr<const EnvPlugin> loaded = it->second.lock()) return loaded;
  }

  dlerror();  // clears a stale message
  LibraryHandle handle(dlopen(canonical.c_str(), RTLD_NOW | RTLD_LOCAL));
  if (handle == nullptr) {
    const char* error = dlerror();
    throw std::invalid_argument(
        LoadError(path, std::string("dlopen failed: ") + (error != nullptr ? error : "unknown")));
  }
  dlerror();
  void* entry = dlsym(handle.get(), RLFLEET_ENV_PLUGIN_ENTRY);
  if (entry == nullptr) {
    const char* error = dlerror();
    throw std::invalid_argument(
        LoadError(path, std::string("no symbol ") + RLFLEET_ENV_PLUGIN_ENTRY +
                            " (is it defined with RLFLEET_ENV_PLUGIN_EXPORT and C linkage?)" +
                            (error != nullptr ? std::string(": ") + error : std::string())));
  }
  const auto get = reinterpret_cast<rlfleet_env_plugin_get_fn>(entry);
  const rlfleet_env_plugin* table = get(RLFLEET_ENV_PLUGIN_ABI_VERSION);
  CheckTable(path, table);

  std::shared_ptr<const EnvPlugin> plugin(new EnvPlugin(canonical, handle.release(), table));
  // Forget libraries nobody holds any more, then remember this one.
  for (auto it = cache.plugins.begin(); it != cache.plugins.end();) {
    it = it->second.expired() ? cache.plugins.erase(it) : std::next(it);
  }
  cache.plugins[canonical] = plugin;
  return plugin;
}

std::unique_ptr<Env> MakePluginEnv(const std::string& path, const std::string& env_id,
                                   const std::string& options_json) {
  std::shared_ptr<const EnvPlugin> plugin = LoadEnvPlugin(path);
  const rlfleet_env_plugin& table = plugin->table();
  const std::string where =
      "env plugin " + Quoted(path) + " (" + plugin->name() + ", env " + Quoted(env_id) + ")";

  char error[1024] = {};
  PluginEnvHandle env(table.create(env_id.c_str(), options_json.c_str(), error, sizeof(error)),
                      EnvDestroyer{&table});
  error[sizeof(error) - 1] = '\0';
  if (env == nullptr) {
    throw std::invalid_argument(where +
                                ": create failed: " + (error[0] != '\0' ? error : "(no message)"));
  }
  rlfleet_env_spec raw{};
  if (table.get_spec(env.get(), &raw) != 0) {
    const char* message = table.last_error(env.get());
    throw std::invalid_argument(
        where + ": get_spec failed: " +
        (message != nullptr && *message != '\0' ? message : "(no message)"));
  }
  EnvSpec spec = CheckedSpec(raw, env_id, where);
  const int32_t limit = spec.max_episode_steps;
  std::unique_ptr<Env> result =
      std::make_unique<PluginEnv>(std::move(plugin), std::move(env), std::move(spec));
  if (limit <= 0) return result;
  return std::make_unique<TimeLimit>(std::move(result), limit);
}

EnvSpec PluginEnvSpec(const std::string& path, const std::string& env_id,
                      const std::string& options_json) {
  return MakePluginEnv(path, env_id, options_json)->spec();
}

}  // namespace rlfleet
