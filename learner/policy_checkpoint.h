#ifndef RLFLEET_LEARNER_POLICY_CHECKPOINT_H_
#define RLFLEET_LEARNER_POLICY_CHECKPOINT_H_

// One checkpoint of a run loaded into its algorithm on the CPU, for the commands that act with
// a trained policy: `rlfleet eval` (episodes, or the greedy actions of given observations) and
// `rlfleet export`. They all load through LoadPolicyCheckpoint, so they see the same policy.

#include <cstdint>
#include <memory>
#include <string>

#include "algorithms/algorithm.h"
#include "core/env_spec.h"
#include "core/run_config.h"
#include "envs/env.h"

namespace rlfleet {

struct PolicyCheckpoint {
  RunConfig config;          // the run's config.yaml
  std::unique_ptr<Env> env;  // one env of the run (pyenv/env_factory.h MakeEnv)
  EnvSpec spec;              // env->spec()
  std::string path;          // the checkpoint directory
  std::string algo;          // learner.algo
  int64_t updates = 0;       // from its state.json
  // What learner.total_env_steps counts at the checkpoint (the consumed frames of an on-policy
  // algorithm, the actors' env steps of a replayed one), and the actors' env steps.
  int64_t env_steps = 0;
  int64_t actor_env_steps = 0;
  std::unique_ptr<LearnerAlgorithm> algorithm;  // on the CPU, the checkpoint's parameters
};

// Loads `checkpoint` of the run in `run_dir`: "" for the newest complete one, a name
// (ckpt-<updates>, in run_dir/checkpoints) or a checkpoint directory. Throws std::runtime_error
// when the run has no checkpoint (naming run_dir/checkpoints), when the checkpoint or its
// state.json is missing or of another algorithm, or when a file of the algorithm is missing or
// damaged (each naming the file).
PolicyCheckpoint LoadPolicyCheckpoint(const std::string& run_dir, const std::string& checkpoint);

}  // namespace rlfleet

#endif  // RLFLEET_LEARNER_POLICY_CHECKPOINT_H_
