#ifndef RLFLEET_BENCH_BENCH_H_
#define RLFLEET_BENCH_BENCH_H_

#include <string>
#include <vector>

namespace rlfleet {

struct BenchOptions {
  std::string what;         // actor | learner | envs | replay
  bool json_only = false;   // print only the final JSON object
  double seconds = 5.0;     // length of each measured phase (envs: per task)
  std::string device;       // learner: overrides learner.device (cpu | cuda | auto)
  std::string config_path;  // sizes come from this config (default: built-in CartPole IMPALA)
  std::vector<std::string> overrides;
};

// Runs one benchmark and prints its result; the last line printed is one JSON object.
// Each benchmark measures the system and its bare reference side by side in the same run
// and reports their ratio. Returns the process exit code.
int RunBench(const BenchOptions& options);

}  // namespace rlfleet

#endif  // RLFLEET_BENCH_BENCH_H_
