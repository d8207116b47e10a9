#ifndef RLFLEET_LEARNER_EVALUATE_H_
#define RLFLEET_LEARNER_EVALUATE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace rlfleet {

struct EvaluateOptions {
  std::string run_dir;     // a run directory with config.yaml and checkpoints/
  int32_t episodes = 10;
  uint64_t seed = 12345;   // env i is seeded with seed + i
  bool greedy = true;      // argmax / mean action; false samples from the policy
  void Validate() const;
};

struct EvaluateResult {
  std::string checkpoint;
  std::vector<double> returns;
  double mean = 0.0;
  double stddev = 0.0;  // population standard deviation
};

// Runs the newest checkpoint of a run for `episodes` full episodes (time limit included).
// Throws std::runtime_error when the run has no checkpoint.
EvaluateResult EvaluateCheckpoint(const EvaluateOptions& options);

}  // namespace rlfleet

#endif  // RLFLEET_LEARNER_EVALUATE_H_
