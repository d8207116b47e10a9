#ifndef RLFLEET_BENCH_BENCH_H_
#define RLFLEET_BENCH_BENCH_H_

#include <string>
#include <vector>

namespace rlfleet {

struct BenchOptions {
  std::string what;        // actor | learner | envs | envsrc | replay | render
  bool json_only = false;  // print only the final JSON object
  double seconds = 5.0;    // length of each measured phase (envs: per task)
  std::string device;      // learner: overrides learner.device (cpu | cuda | auto)
  std::string algo;        // overrides learner.algo (impala | apex_dqn | ...)
  // Sizes come from this config (default: the algorithm's AlgorithmSpec::bench_config, e.g.
  // for apex_dqn configs/cartpole_apex_dqn.yaml's sizes: prioritized table of 100k
  // transitions, batch 128, MLP 64-64).
  std::string config_path;
  std::vector<std::string> overrides;
};

// Runs one benchmark and prints its result; the last line printed is one JSON object.
// Each benchmark measures the system and its bare reference side by side in the same run
// and reports their ratio. Returns the process exit code.
int RunBench(const BenchOptions& options);

}  // namespace rlfleet

#endif  // RLFLEET_BENCH_BENCH_H_
