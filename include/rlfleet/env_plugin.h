/* rlfleet environment plugins: the C ABI between rlfleet and an environment in a shared library.
 *
 * A plugin is a shared library that exports one function,
 *
 *   const rlfleet_env_plugin* rlfleet_env_plugin_get(uint32_t host_abi_version);
 *
 * which returns a table of functions (static storage, valid while the library is loaded), or
 * NULL when it cannot serve a host of that ABI version. rlfleet loads the library by path
 * (`env.plugin` in a run's config), checks `abi_version` and `struct_size`, creates one env per
 * slot of its vector with `create`, and steps each env from one thread at a time (different envs
 * may be stepped from different threads at once: an env must not share unsynchronised state
 * with another).
 *
 * Only C types cross this boundary. Every buffer is owned by the caller (rlfleet): `reset` and
 * `step` write exactly `observation_size` floats into `observation`; `step` reads
 * `action_size` floats from `action` (a discrete action is its index stored as a float). A
 * function that fails returns non-zero and leaves a message for `last_error`; rlfleet then
 * drops the episode, counts it and resets the env. rlfleet checks everything that comes back
 * (the spec's sizes and bounds, finite observations and rewards) as it checks any input from
 * outside a process.
 *
 * Versioning: RLFLEET_ENV_PLUGIN_ABI_VERSION changes whenever a struct or signature here
 * changes; rlfleet refuses a plugin of another version, naming both.
 */
#ifndef RLFLEET_ENV_PLUGIN_H_
#define RLFLEET_ENV_PLUGIN_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RLFLEET_ENV_PLUGIN_ABI_VERSION 1u

/* The symbol rlfleet looks up. */
#define RLFLEET_ENV_PLUGIN_ENTRY "rlfleet_env_plugin_get"

/* An environment instance, opaque to rlfleet. */
typedef struct rlfleet_env rlfleet_env;

/* What an environment observes and accepts. Pointers are owned by the env and stay valid until
 * `destroy`. */
typedef struct rlfleet_env_spec {
  int32_t observation_size;      /* D > 0: float32 values per observation */
  const float* observation_low;  /* D values, or NULL for -inf */
  const float* observation_high; /* D values, or NULL for +inf */
  int32_t discrete_actions;      /* 1: one discrete action; 0: a continuous vector */
  int32_t num_actions;           /* discrete: number of actions (> 0); continuous: 0 */
  int32_t action_size;           /* discrete: 1; continuous: A > 0 dimensions */
  const float* action_low;       /* continuous: A finite values; discrete: NULL */
  const float* action_high;      /* continuous: A finite values, each > its low; discrete: NULL */
  int32_t max_episode_steps;     /* > 0: rlfleet truncates episodes at this length; 0: none */
} rlfleet_env_spec;

/* The outcome of one step, as in Gymnasium: `terminated` when the MDP reached a terminal state
 * (no bootstrap), `truncated` when the episode was cut (the next state still has value). */
typedef struct rlfleet_step_result {
  double reward;
  int32_t terminated; /* 0 or 1 */
  int32_t truncated;  /* 0 or 1 */
} rlfleet_step_result;

typedef struct rlfleet_env_plugin {
  uint32_t abi_version; /* RLFLEET_ENV_PLUGIN_ABI_VERSION the plugin was built with */
  uint32_t struct_size; /* sizeof(rlfleet_env_plugin) the plugin was built with */
  const char* name;     /* for messages, e.g. "catch" */

  /* Creates an env. `env_id`: the run's `env.id`; `options_json`: the run's
   * `env.plugin_options` as a JSON object text ("{}" when none). On failure returns NULL and
   * writes a NUL-terminated message of at most `error_size` bytes into `error`. */
  rlfleet_env* (*create)(const char* env_id, const char* options_json, char* error,
                         size_t error_size);
  void (*destroy)(rlfleet_env* env);
  /* Fills *spec; returns 0 on success. */
  int (*get_spec)(rlfleet_env* env, rlfleet_env_spec* spec);
  /* Seeds the reset distribution, like Gymnasium's reset(seed=...): later resets continue the
   * stream. */
  void (*seed)(rlfleet_env* env, uint64_t seed);
  /* Starts an episode and writes the first observation. 0 on success. */
  int (*reset)(rlfleet_env* env, float* observation);
  /* Applies `action`, writes the next observation and *result. 0 on success. */
  int (*step)(rlfleet_env* env, const float* action, float* observation,
              rlfleet_step_result* result);
  /* The message of the last failure of this env (NUL-terminated, valid until the next call on
   * it), or NULL. */
  const char* (*last_error)(rlfleet_env* env);
} rlfleet_env_plugin;

typedef const rlfleet_env_plugin* (*rlfleet_env_plugin_get_fn)(uint32_t host_abi_version);

/* Marks the entry point as exported, so that a plugin built with -fvisibility=hidden (or
 * CMake's C_VISIBILITY_PRESET hidden) still exports it. A plugin defines it as
 *
 *   RLFLEET_ENV_PLUGIN_EXPORT const rlfleet_env_plugin* rlfleet_env_plugin_get(uint32_t v) {...}
 */
#if defined(_WIN32)
#define RLFLEET_ENV_PLUGIN_EXPORT __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#define RLFLEET_ENV_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define RLFLEET_ENV_PLUGIN_EXPORT
#endif

/* The entry point every plugin defines (declared here so that the compiler checks a plugin's
 * definition against it). rlfleet itself never calls it by name: it looks it up with dlsym. */
RLFLEET_ENV_PLUGIN_EXPORT const rlfleet_env_plugin* rlfleet_env_plugin_get(
    uint32_t host_abi_version);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* RLFLEET_ENV_PLUGIN_H_ */
