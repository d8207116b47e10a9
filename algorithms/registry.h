#ifndef RLFLEET_ALGORITHMS_REGISTRY_H_
#define RLFLEET_ALGORITHMS_REGISTRY_H_

#include <string>
#include <vector>

#include "algorithms/algorithm.h"
#include "core/env_spec.h"
#include "core/run_config.h"

namespace rlfleet {

// The one map from learner.algo to an algorithm (registry.cc holds a line per algorithm).
// Thread-safe (immutable after static initialisation). Does not include LibTorch.

// Throws std::invalid_argument naming the unknown name and listing the known ones.
const AlgorithmSpec& FindAlgorithm(const std::string& name);
std::vector<std::string> AlgorithmNames();

// Checks that a run can use its algorithm: learner.algo is registered, the env's action kind
// is one the algorithm supports, and replay.sampler fits the algorithm's table (fifo for a
// queue; prioritized or uniform, with min_size_to_sample <= max_size, for a replay memory).
// Throws std::invalid_argument naming the key. Returns the algorithm.
const AlgorithmSpec& CheckRunFitsAlgorithm(const RunConfig& config, const EnvSpec& spec);
// The same checks for a given algorithm (e.g. one that is not registered, in tests).
void CheckRunFitsAlgorithm(const AlgorithmSpec& algorithm, const RunConfig& config,
                           const EnvSpec& spec);

}  // namespace rlfleet

#endif  // RLFLEET_ALGORITHMS_REGISTRY_H_
