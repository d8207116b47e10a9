/* A continuous-action test plugin whose spec can be broken on purpose, chosen by options_json
 * {"defect": "..."} (default "none"):
 *
 *   none                          valid: 3 observations in [-1, 1], 2 actions in [-1, 1] x
 *                                 [-2, 2], max_episode_steps from "max_episode_steps" (default 7)
 *   observation_size_zero         observation_size 0
 *   observation_size_huge         observation_size 1 << 21
 *   observation_low_nan           observation_low[1] NaN
 *   observation_low_above_high    observation_low[2] 2 > observation_high[2] 1
 *   discrete_actions_two          discrete_actions 2
 *   discrete_num_actions_zero     discrete with num_actions 0
 *   discrete_action_size_two      discrete with action_size 2
 *   continuous_num_actions        continuous with num_actions 3
 *   continuous_action_size_zero   continuous with action_size 0
 *   continuous_high_null          action_high NULL
 *   continuous_low_inf            action_low[0] -inf
 *   continuous_low_not_below_high action_low[1] == action_high[1] == 2
 *   max_episode_steps_negative    max_episode_steps -1
 *   get_spec_fails                get_spec returns 1 with "no spec today"
 *   create_fails                  create returns NULL with "refusing to create env '<id>'"
 *
 * Dynamics: observation = [action[0], action[1], steps since reset]; reward =
 * action[0] + action[1]; never terminates. Reset writes [0, 0, 0]. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_options.h"
#include "rlfleet/env_plugin.h"

struct rlfleet_env {
  char defect[64];
  long max_episode_steps;
  long steps;
  float observation_low[3];
  float observation_high[3];
  float action_low[2];
  float action_high[2];
};

static const char* const kDefects[] = {
    "none",
    "observation_size_zero",
    "observation_size_huge",
    "observation_low_nan",
    "observation_low_above_high",
    "discrete_actions_two",
    "discrete_num_actions_zero",
    "discrete_action_size_two",
    "continuous_num_actions",
    "continuous_action_size_zero",
    "continuous_high_null",
    "continuous_low_inf",
    "continuous_low_not_below_high",
    "max_episode_steps_negative",
    "get_spec_fails",
    "create_fails",
};

static int is(const rlfleet_env* env, const char* defect) {
  return strcmp(env->defect, defect) == 0;
}

static rlfleet_env* spec_create(const char* env_id, const char* options_json, char* error,
                                size_t error_size) {
  rlfleet_env* env = (rlfleet_env*)calloc(1, sizeof(rlfleet_env));
  size_t i;
  int known = 0;
  if (env == NULL) {
    snprintf(error, error_size, "spec: out of memory");
    return NULL;
  }
  if (!plugin_option_string(options_json, "defect", env->defect, sizeof(env->defect))) {
    strcpy(env->defect, "none");
  }
  for (i = 0; i < sizeof(kDefects) / sizeof(kDefects[0]); ++i) {
    if (is(env, kDefects[i])) known = 1;
  }
  if (!known || is(env, "create_fails")) {
    if (known) {
      snprintf(error, error_size, "refusing to create env '%s'", env_id);
    } else {
      snprintf(error, error_size, "unknown defect '%s'", env->defect);
    }
    free(env);
    return NULL;
  }
  env->max_episode_steps = plugin_option_long(options_json, "max_episode_steps", 7);
  for (i = 0; i < 3; ++i) {
    env->observation_low[i] = -1.0f;
    env->observation_high[i] = 1.0f;
  }
  env->action_low[0] = -1.0f;
  env->action_high[0] = 1.0f;
  env->action_low[1] = -2.0f;
  env->action_high[1] = 2.0f;
  if (is(env, "observation_low_nan")) env->observation_low[1] = NAN;
  if (is(env, "observation_low_above_high")) env->observation_low[2] = 2.0f;
  if (is(env, "continuous_low_inf")) env->action_low[0] = -INFINITY;
  if (is(env, "continuous_low_not_below_high")) env->action_low[1] = 2.0f;
  return env;
}

static void spec_destroy(rlfleet_env* env) { free(env); }

static int spec_get_spec(rlfleet_env* env, rlfleet_env_spec* spec) {
  if (is(env, "get_spec_fails")) return 1;
  spec->observation_size = 3;
  spec->observation_low = env->observation_low;
  spec->observation_high = env->observation_high;
  spec->discrete_actions = 0;
  spec->num_actions = 0;
  spec->action_size = 2;
  spec->action_low = env->action_low;
  spec->action_high = env->action_high;
  spec->max_episode_steps = (int32_t)env->max_episode_steps;
  if (is(env, "observation_size_zero")) spec->observation_size = 0;
  if (is(env, "observation_size_huge")) spec->observation_size = 1 << 21;
  if (is(env, "discrete_actions_two")) spec->discrete_actions = 2;
  if (is(env, "discrete_num_actions_zero") || is(env, "discrete_action_size_two")) {
    spec->discrete_actions = 1;
    spec->num_actions = is(env, "discrete_num_actions_zero") ? 0 : 3;
    spec->action_size = is(env, "discrete_action_size_two") ? 2 : 1;
    spec->action_low = NULL;
    spec->action_high = NULL;
  }
  if (is(env, "continuous_num_actions")) spec->num_actions = 3;
  if (is(env, "continuous_action_size_zero")) spec->action_size = 0;
  if (is(env, "continuous_high_null")) spec->action_high = NULL;
  if (is(env, "max_episode_steps_negative")) spec->max_episode_steps = -1;
  return 0;
}

static void spec_seed(rlfleet_env* env, uint64_t seed) { (void)env, (void)seed; }

static int spec_reset(rlfleet_env* env, float* observation) {
  env->steps = 0;
  observation[0] = observation[1] = observation[2] = 0.0f;
  return 0;
}

static int spec_step(rlfleet_env* env, const float* action, float* observation,
                     rlfleet_step_result* result) {
  ++env->steps;
  observation[0] = action[0];
  observation[1] = action[1];
  observation[2] = (float)env->steps;
  result->reward = (double)action[0] + (double)action[1];
  result->terminated = 0;
  result->truncated = 0;
  return 0;
}

static const char* spec_last_error(rlfleet_env* env) {
  return is(env, "get_spec_fails") ? "no spec today" : NULL;
}

static const rlfleet_env_plugin kPlugin = {
    RLFLEET_ENV_PLUGIN_ABI_VERSION,
    sizeof(rlfleet_env_plugin),
    "spec",
    spec_create,
    spec_destroy,
    spec_get_spec,
    spec_seed,
    spec_reset,
    spec_step,
    spec_last_error,
};

RLFLEET_ENV_PLUGIN_EXPORT const rlfleet_env_plugin* rlfleet_env_plugin_get(
    uint32_t host_abi_version) {
  return host_abi_version == RLFLEET_ENV_PLUGIN_ABI_VERSION ? &kPlugin : NULL;
}
