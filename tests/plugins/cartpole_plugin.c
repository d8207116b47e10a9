/* Gymnasium CartPole-v1 as an rlfleet env plugin, in plain C: the same constants, float64
 * equations and order of operations as envs/classic_control/cartpole.cc, and the same reset
 * distribution drawn from a C port of rlfleet's Rng (core/random.cc: SplitMix64 seeding,
 * xoshiro256**, Uniform01 with 53 bits), so that a seeded run matches the built-in CartPole-v1
 * bit for bit. max_episode_steps 500: rlfleet's TimeLimit cuts the episodes.
 *
 * For tests it also exports rlfleet_test_live_envs(): the number of envs created and not yet
 * destroyed (counted atomically: envs may be created on several threads at once). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "rlfleet/env_plugin.h"

/* glibc's M_PI, which strict C99 does not declare. */
#define CARTPOLE_PI 3.14159265358979323846

static const double kGravity = 9.8;
static const double kMassCart = 1.0;
static const double kMassPole = 0.1;
#define TOTAL_MASS (kMassPole + kMassCart)
static const double kLength = 0.5;
#define POLE_MASS_LENGTH (kMassPole * kLength)
static const double kForceMag = 10.0;
static const double kTau = 0.02;
#define THETA_THRESHOLD (12 * 2 * CARTPOLE_PI / 360)
static const double kXThreshold = 2.4;

/* ---- rlfleet's Rng (core/random.cc) ---- */

static uint64_t split_mix64(uint64_t* x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

typedef struct rng {
  uint64_t state[4];
} rng;

static void rng_seed(rng* r, uint64_t seed) {
  uint64_t x = seed;
  int i;
  for (i = 0; i < 4; ++i) r->state[i] = split_mix64(&x);
}

static uint64_t rng_next_u64(rng* r) {
  uint64_t* s = r->state;
  const uint64_t result = rotl(s[1] * 5, 7) * 9;
  const uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

static double rng_uniform01(rng* r) { return (double)(rng_next_u64(r) >> 11) * 0x1.0p-53; }

static double rng_uniform(rng* r, double low, double high) {
  return low + (high - low) * rng_uniform01(r);
}

/* ---- the env ---- */

struct rlfleet_env {
  rng rng;
  double state[4]; /* x, x_dot, theta, theta_dot */
  float observation_low[4];
  float observation_high[4];
  char error[128];
};

static int live_envs = 0;

RLFLEET_ENV_PLUGIN_EXPORT int rlfleet_test_live_envs(void) {
  return __atomic_load_n(&live_envs, __ATOMIC_SEQ_CST);
}

static void observe(const rlfleet_env* env, float* observation) {
  int i;
  for (i = 0; i < 4; ++i) observation[i] = (float)env->state[i];
}

static rlfleet_env* cartpole_create(const char* env_id, const char* options_json, char* error,
                                    size_t error_size) {
  rlfleet_env* env = (rlfleet_env*)calloc(1, sizeof(rlfleet_env));
  int i;
  (void)env_id;
  (void)options_json;
  if (env == NULL) {
    snprintf(error, error_size, "cartpole: out of memory");
    return NULL;
  }
  rng_seed(&env->rng, 0);
  env->observation_high[0] = (float)(kXThreshold * 2);
  env->observation_high[1] = FLT_MAX;
  env->observation_high[2] = (float)(THETA_THRESHOLD * 2);
  env->observation_high[3] = FLT_MAX;
  for (i = 0; i < 4; ++i) env->observation_low[i] = -env->observation_high[i];
  __atomic_add_fetch(&live_envs, 1, __ATOMIC_SEQ_CST);
  return env;
}

static void cartpole_destroy(rlfleet_env* env) {
  if (env == NULL) return;
  __atomic_sub_fetch(&live_envs, 1, __ATOMIC_SEQ_CST);
  free(env);
}

static int cartpole_get_spec(rlfleet_env* env, rlfleet_env_spec* spec) {
  spec->observation_size = 4;
  spec->observation_low = env->observation_low;
  spec->observation_high = env->observation_high;
  spec->discrete_actions = 1;
  spec->num_actions = 2;
  spec->action_size = 1;
  spec->action_low = NULL;
  spec->action_high = NULL;
  spec->max_episode_steps = 500;
  return 0;
}

static void cartpole_seed(rlfleet_env* env, uint64_t seed) { rng_seed(&env->rng, seed); }

static int cartpole_reset(rlfleet_env* env, float* observation) {
  int i;
  for (i = 0; i < 4; ++i) env->state[i] = rng_uniform(&env->rng, -0.05, 0.05);
  observe(env, observation);
  return 0;
}

static int cartpole_step(rlfleet_env* env, const float* action, float* observation,
                         rlfleet_step_result* result) {
  double x = env->state[0], x_dot = env->state[1];
  double theta = env->state[2], theta_dot = env->state[3];
  double force, cos_theta, sin_theta, temp, theta_acc, x_acc;
  if (!(action[0] == 0.0f || action[0] == 1.0f)) {
    snprintf(env->error, sizeof(env->error), "cartpole: action must be 0 or 1, got %g",
             (double)action[0]);
    return 1;
  }
  force = action[0] == 1.0f ? kForceMag : -kForceMag;
  cos_theta = cos(theta);
  sin_theta = sin(theta);
  /* Equations of Florian (2005), "Correct equations for the dynamics of the cart-pole system". */
  temp = (force + POLE_MASS_LENGTH * (theta_dot * theta_dot) * sin_theta) / TOTAL_MASS;
  theta_acc = (kGravity * sin_theta - cos_theta * temp) /
              (kLength * (4.0 / 3.0 - kMassPole * (cos_theta * cos_theta) / TOTAL_MASS));
  x_acc = temp - POLE_MASS_LENGTH * theta_acc * cos_theta / TOTAL_MASS;
  /* Explicit Euler: positions advance with the old velocities. */
  x = x + kTau * x_dot;
  x_dot = x_dot + kTau * x_acc;
  theta = theta + kTau * theta_dot;
  theta_dot = theta_dot + kTau * theta_acc;
  env->state[0] = x;
  env->state[1] = x_dot;
  env->state[2] = theta;
  env->state[3] = theta_dot;
  observe(env, observation);

  result->terminated =
      x < -kXThreshold || x > kXThreshold || theta < -THETA_THRESHOLD || theta > THETA_THRESHOLD;
  result->truncated = 0;
  result->reward = 1.0;
  return 0;
}

static const char* cartpole_last_error(rlfleet_env* env) {
  return env->error[0] != '\0' ? env->error : NULL;
}

static const rlfleet_env_plugin kPlugin = {
    RLFLEET_ENV_PLUGIN_ABI_VERSION,
    sizeof(rlfleet_env_plugin),
    "cartpole",
    cartpole_create,
    cartpole_destroy,
    cartpole_get_spec,
    cartpole_seed,
    cartpole_reset,
    cartpole_step,
    cartpole_last_error,
};

RLFLEET_ENV_PLUGIN_EXPORT const rlfleet_env_plugin* rlfleet_env_plugin_get(
    uint32_t host_abi_version) {
  return host_abi_version == RLFLEET_ENV_PLUGIN_ABI_VERSION ? &kPlugin : NULL;
}
