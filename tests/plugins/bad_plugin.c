/* Plugins that rlfleet must refuse to load, one per compile definition:
 *   BAD_ABI_VERSION   the table claims ABI version RLFLEET_ENV_PLUGIN_ABI_VERSION + 1
 *   BAD_STRUCT_SIZE   the table's struct_size is 8 bytes short
 *   BAD_NULL_STEP     the table's step pointer is NULL
 *   BAD_NULL_TABLE    the entry point returns NULL
 *   BAD_NO_ENTRY      the library exports no rlfleet_env_plugin_get
 * The functions themselves are a valid one-observation env, so that nothing but the defect can
 * make loading fail. */
#include <stdlib.h>

#include "rlfleet/env_plugin.h"

struct rlfleet_env {
  int unused;
};

static rlfleet_env* bad_create(const char* env_id, const char* options_json, char* error,
                               size_t error_size) {
  (void)env_id, (void)options_json, (void)error, (void)error_size;
  return (rlfleet_env*)calloc(1, sizeof(rlfleet_env));
}

static void bad_destroy(rlfleet_env* env) { free(env); }

static int bad_get_spec(rlfleet_env* env, rlfleet_env_spec* spec) {
  (void)env;
  spec->observation_size = 1;
  spec->observation_low = NULL;
  spec->observation_high = NULL;
  spec->discrete_actions = 1;
  spec->num_actions = 2;
  spec->action_size = 1;
  spec->action_low = NULL;
  spec->action_high = NULL;
  spec->max_episode_steps = 0;
  return 0;
}

static void bad_seed(rlfleet_env* env, uint64_t seed) { (void)env, (void)seed; }

static int bad_reset(rlfleet_env* env, float* observation) {
  (void)env;
  observation[0] = 0.0f;
  return 0;
}

static int bad_step(rlfleet_env* env, const float* action, float* observation,
                    rlfleet_step_result* result) {
  (void)env, (void)action;
  observation[0] = 0.0f;
  result->reward = 0.0;
  result->terminated = 1;
  result->truncated = 0;
  return 0;
}

static const char* bad_last_error(rlfleet_env* env) {
  (void)env;
  return NULL;
}

#if defined(BAD_ABI_VERSION)
#define TABLE_ABI_VERSION (RLFLEET_ENV_PLUGIN_ABI_VERSION + 1u)
#else
#define TABLE_ABI_VERSION RLFLEET_ENV_PLUGIN_ABI_VERSION
#endif

#if defined(BAD_STRUCT_SIZE)
#define TABLE_STRUCT_SIZE (sizeof(rlfleet_env_plugin) - 8)
#else
#define TABLE_STRUCT_SIZE sizeof(rlfleet_env_plugin)
#endif

#if defined(BAD_NULL_STEP)
#define TABLE_STEP NULL
#else
#define TABLE_STEP bad_step
#endif

static const rlfleet_env_plugin kPlugin = {
    TABLE_ABI_VERSION, TABLE_STRUCT_SIZE, "bad",     bad_create, bad_destroy,
    bad_get_spec,      bad_seed,          bad_reset, TABLE_STEP, bad_last_error,
};

#if defined(BAD_NO_ENTRY)
/* Exported under another name: a typo rlfleet must report. */
RLFLEET_ENV_PLUGIN_EXPORT const rlfleet_env_plugin* rlfleet_env_plugin_gte(uint32_t v) {
  (void)v;
  return &kPlugin;
}
#else
RLFLEET_ENV_PLUGIN_EXPORT const rlfleet_env_plugin* rlfleet_env_plugin_get(
    uint32_t host_abi_version) {
  (void)host_abi_version;
#if defined(BAD_NULL_STEP)
  (void)bad_step;
#endif
#if defined(BAD_NULL_TABLE)
  (void)kPlugin;
  return NULL;
#else
  return &kPlugin;
#endif
}
#endif
