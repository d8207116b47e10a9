/* bsuite's Catch as an rlfleet environment plugin (include/rlfleet/env_plugin.h).
 *
 * A board of `rows` x `columns` cells (default 10 x 5). At reset a ball appears in a random
 * column of the top row and the paddle sits in the middle of the bottom row (column
 * columns / 2). Each step the paddle moves (action 0: left, 1: stay, 2: right; clipped to the
 * board) and then the ball falls one row. When the ball reaches the bottom row, after rows - 1
 * steps, the episode terminates with reward +1 if the paddle is under the ball and -1 if not;
 * every other step gives 0. The observation is the board, flattened row by row: 1.0 in the
 * ball's cell and the paddle's cell, 0.0 elsewhere.
 *
 * options_json (the run's env.plugin_options): {"rows": R, "columns": C}, both optional.
 * Each env has its own random stream (SplitMix64), seeded by rlfleet through `seed`. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rlfleet/env_plugin.h"

enum { kDefaultRows = 10, kDefaultColumns = 5, kMaxSide = 1000 };

struct rlfleet_env {
  int rows;
  int columns;
  uint64_t rng_state;
  int ball_row;
  int ball_column;
  int paddle_column;
  int episode_over; /* 1 before the first reset and after the ball landed */
  float* observation_low;
  float* observation_high;
  char error[160];
};

/* ---- a small seeded generator: SplitMix64 ---- */

static uint64_t next_u64(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/* Uniform on [0, n), n > 0, without modulo bias. */
static int uniform_int(uint64_t* state, int n) {
  const uint64_t range = (uint64_t)n;
  const uint64_t threshold = (0 - range) % range;
  for (;;) {
    const uint64_t r = next_u64(state);
    if (r >= threshold) return (int)(r % range);
  }
}

/* ---- options: a flat JSON object such as {"rows": 10, "columns": 5} ---- */

/* Reads the integer value of "key" into *value; 0 when the key is absent, -1 when its value is
 * not an integer, 1 when read. */
static int read_int_option(const char* json, const char* key, long* value) {
  const size_t key_length = strlen(key);
  const char* p = json;
  while (p != NULL && (p = strchr(p, '"')) != NULL) {
    const char* name = p + 1;
    if (strncmp(name, key, key_length) == 0 && name[key_length] == '"') {
      const char* q = name + key_length + 1;
      char* end = NULL;
      while (isspace((unsigned char)*q)) ++q;
      if (*q != ':') return -1;
      ++q;
      *value = strtol(q, &end, 10);
      return end == q ? -1 : 1;
    }
    p = name;
  }
  return 0;
}

/* ---- the env ---- */

static void observe(const rlfleet_env* env, float* observation) {
  memset(observation, 0, sizeof(float) * (size_t)env->rows * (size_t)env->columns);
  observation[env->ball_row * env->columns + env->ball_column] = 1.0f;
  observation[(env->rows - 1) * env->columns + env->paddle_column] = 1.0f;
}

static void catch_destroy(rlfleet_env* env) {
  if (env == NULL) return;
  free(env->observation_low);
  free(env->observation_high);
  free(env);
}

static rlfleet_env* catch_create(const char* env_id, const char* options_json, char* error,
                                 size_t error_size) {
  long rows = kDefaultRows, columns = kDefaultColumns;
  rlfleet_env* env;
  size_t cells, i;
  (void)env_id;
  if (read_int_option(options_json, "rows", &rows) < 0 ||
      read_int_option(options_json, "columns", &columns) < 0) {
    snprintf(error, error_size, "catch: \"rows\" and \"columns\" must be integers in %s",
             options_json);
    return NULL;
  }
  if (rows < 2 || rows > kMaxSide || columns < 1 || columns > kMaxSide) {
    snprintf(error, error_size,
             "catch: rows must be in [2, %d] and columns in [1, %d], got rows %ld, columns %ld",
             kMaxSide, kMaxSide, rows, columns);
    return NULL;
  }
  env = (rlfleet_env*)calloc(1, sizeof(rlfleet_env));
  if (env == NULL) {
    snprintf(error, error_size, "catch: out of memory");
    return NULL;
  }
  env->rows = (int)rows;
  env->columns = (int)columns;
  env->episode_over = 1;
  cells = (size_t)rows * (size_t)columns;
  env->observation_low = (float*)calloc(cells, sizeof(float));
  env->observation_high = (float*)malloc(cells * sizeof(float));
  if (env->observation_low == NULL || env->observation_high == NULL) {
    catch_destroy(env);
    snprintf(error, error_size, "catch: out of memory");
    return NULL;
  }
  for (i = 0; i < cells; ++i) env->observation_high[i] = 1.0f;
  return env;
}

static int catch_get_spec(rlfleet_env* env, rlfleet_env_spec* spec) {
  spec->observation_size = env->rows * env->columns;
  spec->observation_low = env->observation_low;
  spec->observation_high = env->observation_high;
  spec->discrete_actions = 1;
  spec->num_actions = 3;
  spec->action_size = 1;
  spec->action_low = NULL;
  spec->action_high = NULL;
  spec->max_episode_steps = 0; /* every episode ends after rows - 1 steps */
  return 0;
}

static void catch_seed(rlfleet_env* env, uint64_t seed) { env->rng_state = seed; }

static int catch_reset(rlfleet_env* env, float* observation) {
  env->ball_row = 0;
  env->ball_column = uniform_int(&env->rng_state, env->columns);
  env->paddle_column = env->columns / 2;
  env->episode_over = 0;
  observe(env, observation);
  return 0;
}

static int catch_step(rlfleet_env* env, const float* action, float* observation,
                      rlfleet_step_result* result) {
  int move;
  if (env->episode_over) {
    snprintf(env->error, sizeof(env->error), "catch: step after the episode ended; reset first");
    return 1;
  }
  if (!(action[0] == 0.0f || action[0] == 1.0f || action[0] == 2.0f)) {
    snprintf(env->error, sizeof(env->error), "catch: action must be 0, 1 or 2, got %g",
             (double)action[0]);
    return 1;
  }
  move = (int)action[0] - 1;
  env->paddle_column += move;
  if (env->paddle_column < 0) env->paddle_column = 0;
  if (env->paddle_column > env->columns - 1) env->paddle_column = env->columns - 1;
  ++env->ball_row;
  observe(env, observation);

  result->truncated = 0;
  if (env->ball_row == env->rows - 1) {
    result->reward = env->paddle_column == env->ball_column ? 1.0 : -1.0;
    result->terminated = 1;
    env->episode_over = 1;
  } else {
    result->reward = 0.0;
    result->terminated = 0;
  }
  return 0;
}

static const char* catch_last_error(rlfleet_env* env) {
  return env->error[0] != '\0' ? env->error : NULL;
}

static const rlfleet_env_plugin kPlugin = {
    RLFLEET_ENV_PLUGIN_ABI_VERSION,
    sizeof(rlfleet_env_plugin),
    "catch",
    catch_create,
    catch_destroy,
    catch_get_spec,
    catch_seed,
    catch_reset,
    catch_step,
    catch_last_error,
};

RLFLEET_ENV_PLUGIN_EXPORT const rlfleet_env_plugin* rlfleet_env_plugin_get(
    uint32_t host_abi_version) {
  return host_abi_version == RLFLEET_ENV_PLUGIN_ABI_VERSION ? &kPlugin : NULL;
}
