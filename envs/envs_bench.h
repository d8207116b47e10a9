#ifndef RLFLEET_ENVS_ENVS_BENCH_H_
#define RLFLEET_ENVS_ENVS_BENCH_H_

#include <string>
#include <vector>

namespace rlfleet {

struct EnvsBenchOptions {
  // Measuring time per task, shared by the two loops compared (and, for the vectorized
  // comparison, by its 1-thread and 2-thread runs).
  double seconds_per_task = 1.0;
  std::vector<std::string> env_ids;  // empty = every registered MuJoCo task
  bool json_only = false;            // print only the final JSON object
  // Throws std::invalid_argument naming the bad field: seconds_per_task must be finite and
  // > 0, every env id a registered MuJoCo task, listed once.
  void Validate() const;
};

// The MuJoCo environment benchmark. For each task, side by side in the same run (the two
// loops alternate over 3 rounds so that both see the same machine noise; rates are totals
// over the rounds):
//   env: steps/s of MakeEnv(id) (TimeLimit included) stepped with random actions in the
//        action range, drawn beforehand, reset when an episode ends;
//   raw: frame_skip × mj_step on the env's own shared mjModel with a separate mjData and the
//        same ctrl values, counted in env steps (one = frame_skip mj_step calls); it is reset
//        with mj_resetData after as many steps as the env's episodes lasted (the env's
//        episode lengths replayed in order), so both spend their time in similar states.
//   ratio = env / raw (goal >= 0.95).
// Then, for HalfCheetah-v4 and Humanoid-v4 (those of them selected), a VectorEnv of 16 envs
// with 2 worker threads against 1, same alternation → speed-up.
// Prints a table unless json_only; the last line printed is one JSON object:
//   {"bench":"envs","seconds_per_task":s,"tasks":[{"env_id","env_steps_per_second",
//    "raw_steps_per_second","ratio"}...],"vector_env":[{"env_id","num_envs",
//    "threads_1_steps_per_second","threads_2_steps_per_second","speedup"}...],
//    "goal_ratio":0.95}
// Throws std::invalid_argument for invalid options (Validate). Returns the exit code, 0.
int RunEnvsBench(const EnvsBenchOptions& options);

}  // namespace rlfleet

#endif  // RLFLEET_ENVS_ENVS_BENCH_H_
