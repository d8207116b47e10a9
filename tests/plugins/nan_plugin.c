/* A CartPole-shaped test plugin (4 observations, 2 actions, reward 1 a step) with
 * predictable dynamics and injected faults, for the tests of rlfleet's plugin host and vector
 * envs. After k steps of an episode (k = 0 after reset) the observation is
 *
 *   [k, episodes started since create, total steps since create, last action]
 *
 * and the episode terminates at k = episode_length. Options (a flat JSON object):
 *   "episode_length": L      (default 20)
 *   "nan_every": N           every N-th step since create (N, 2N, ...) writes the quiet NaN
 *                            with payload 0x123 (bits 0x7fc00123) as observation[1]
 *   "nan_reward_every": N    every N-th step since create returns a NaN reward
 *   "error_every": N         every N-th step since create fails (returns 1) with the message
 *                            "injected step error at step S"
 *   "reset_error_every": N   every N-th reset since create fails with
 *                            "injected reset error at reset R"
 * A step that fails does not advance the episode, but counts as a step since create. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_options.h"
#include "rlfleet/env_plugin.h"

struct rlfleet_env {
  long episode_length;
  long nan_every;
  long nan_reward_every;
  long error_every;
  long reset_error_every;
  long episode_step;
  long episodes;
  long total_steps;
  long resets;
  float observation_high[4];
  char error[128];
};

/* The quiet NaN with payload 0x123, so that a test sees the very bits the plugin wrote. */
static float payload_nan(void) {
  const uint32_t bits = 0x7fc00123u;
  float value;
  memcpy(&value, &bits, sizeof(value));
  return value;
}

static void observe(const rlfleet_env* env, float last_action, float* observation) {
  observation[0] = (float)env->episode_step;
  observation[1] = (float)env->episodes;
  observation[2] = (float)env->total_steps;
  observation[3] = last_action;
}

static int every(long n, long count) { return n > 0 && count % n == 0; }

static rlfleet_env* nan_create(const char* env_id, const char* options_json, char* error,
                               size_t error_size) {
  rlfleet_env* env = (rlfleet_env*)calloc(1, sizeof(rlfleet_env));
  int i;
  (void)env_id;
  if (env == NULL) {
    snprintf(error, error_size, "nan: out of memory");
    return NULL;
  }
  env->episode_length = plugin_option_long(options_json, "episode_length", 20);
  env->nan_every = plugin_option_long(options_json, "nan_every", 0);
  env->nan_reward_every = plugin_option_long(options_json, "nan_reward_every", 0);
  env->error_every = plugin_option_long(options_json, "error_every", 0);
  env->reset_error_every = plugin_option_long(options_json, "reset_error_every", 0);
  if (env->episode_length <= 0) {
    snprintf(error, error_size, "nan: episode_length must be > 0, got %ld", env->episode_length);
    free(env);
    return NULL;
  }
  for (i = 0; i < 4; ++i) env->observation_high[i] = 1e9f;
  return env;
}

static void nan_destroy(rlfleet_env* env) { free(env); }

static int nan_get_spec(rlfleet_env* env, rlfleet_env_spec* spec) {
  spec->observation_size = 4;
  spec->observation_low = NULL;
  spec->observation_high = env->observation_high;
  spec->discrete_actions = 1;
  spec->num_actions = 2;
  spec->action_size = 1;
  spec->action_low = NULL;
  spec->action_high = NULL;
  spec->max_episode_steps = 0;
  return 0;
}

static void nan_seed(rlfleet_env* env, uint64_t seed) { (void)env, (void)seed; }

static int nan_reset(rlfleet_env* env, float* observation) {
  ++env->resets;
  if (every(env->reset_error_every, env->resets)) {
    snprintf(env->error, sizeof(env->error), "injected reset error at reset %ld", env->resets);
    return 1;
  }
  env->episode_step = 0;
  ++env->episodes;
  observe(env, 0.0f, observation);
  return 0;
}

static int nan_step(rlfleet_env* env, const float* action, float* observation,
                    rlfleet_step_result* result) {
  ++env->total_steps;
  if (every(env->error_every, env->total_steps)) {
    snprintf(env->error, sizeof(env->error), "injected step error at step %ld", env->total_steps);
    return 1;
  }
  ++env->episode_step;
  observe(env, action[0], observation);
  if (every(env->nan_every, env->total_steps)) observation[1] = payload_nan();
  result->reward = every(env->nan_reward_every, env->total_steps) ? (double)NAN : 1.0;
  result->terminated = env->episode_step >= env->episode_length;
  result->truncated = 0;
  return 0;
}

static const char* nan_last_error(rlfleet_env* env) {
  return env->error[0] != '\0' ? env->error : NULL;
}

static const rlfleet_env_plugin kPlugin = {
    RLFLEET_ENV_PLUGIN_ABI_VERSION,
    sizeof(rlfleet_env_plugin),
    "nan",
    nan_create,
    nan_destroy,
    nan_get_spec,
    nan_seed,
    nan_reset,
    nan_step,
    nan_last_error,
};

RLFLEET_ENV_PLUGIN_EXPORT const rlfleet_env_plugin* rlfleet_env_plugin_get(
    uint32_t host_abi_version) {
  return host_abi_version == RLFLEET_ENV_PLUGIN_ABI_VERSION ? &kPlugin : NULL;
}
