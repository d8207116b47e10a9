#include "algorithms/registry.h"

#include <stdexcept>

#include "algorithms/dqn.h"
#include "algorithms/impala.h"
#include "algorithms/sac.h"
#include "algorithms/td3.h"

namespace rlfleet {
namespace {

// One line per algorithm.
const std::vector<AlgorithmSpec>& Registry() {
  static const std::vector<AlgorithmSpec> registry = {
      ImpalaAlgorithmSpec(),
      ApexDqnAlgorithmSpec(),
      SacAlgorithmSpec(),
      Td3AlgorithmSpec(),
  };
  return registry;
}

}  // namespace

std::vector<std::string> AlgorithmNames() {
  std::vector<std::string> names;
  for (const AlgorithmSpec& spec : Registry()) names.push_back(spec.name);
  return names;
}

const AlgorithmSpec& FindAlgorithm(const std::string& name) {
  for (const AlgorithmSpec& spec : Registry()) {
    if (spec.name == name) return spec;
  }
  std::string known;
  for (const std::string& n : AlgorithmNames()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument("learner.algo '" + name + "' is not an algorithm (known: " + known +
                              ")");
}

const AlgorithmSpec& CheckRunFitsAlgorithm(const RunConfig& config, const EnvSpec& spec) {
  const AlgorithmSpec& algo = FindAlgorithm(config.learner.algo);
  CheckRunFitsAlgorithm(algo, config, spec);
  return algo;
}

void CheckRunFitsAlgorithm(const AlgorithmSpec& algo, const RunConfig& config,
                           const EnvSpec& spec) {
  const std::string who = "learner.algo " + algo.name;
  if (algo.actions == ActionSupport::kDiscrete && !spec.discrete_actions) {
    throw std::invalid_argument(who + " needs discrete actions; " + spec.id + " has " +
                                std::to_string(spec.action_size) + " continuous action dimension" +
                                (spec.action_size == 1 ? "" : "s"));
  }
  if (algo.actions == ActionSupport::kContinuous && spec.discrete_actions) {
    throw std::invalid_argument(who + " needs continuous actions; " + spec.id + " has " +
                                std::to_string(spec.num_actions) + " discrete actions");
  }
  if (config.model.normalize_observations && !algo.observation_normalization) {
    throw std::invalid_argument("model.normalize_observations is not supported by " + who);
  }
  const std::string& sampler = config.replay.sampler;
  if (algo.replay == ReplayKind::kQueue && sampler != "fifo") {
    throw std::invalid_argument("replay.sampler must be fifo with " + who + " (got '" + sampler +
                                "')");
  }
  if (algo.replay == ReplayKind::kQueue && config.learner.batches_per_sample != 1) {
    throw std::invalid_argument(
        "learner.batches_per_sample must be 1 with " + who +
        ": a queue's batches are the newest unrolls, one request each (got " +
        std::to_string(config.learner.batches_per_sample) + ")");
  }
  if (algo.replay == ReplayKind::kReplayMemory) {
    if (sampler != "prioritized" && sampler != "uniform") {
      throw std::invalid_argument("replay.sampler must be prioritized or uniform with " + who +
                                  " (got '" + sampler + "')");
    }
    if (config.replay.min_size_to_sample > config.replay.max_size) {
      throw std::invalid_argument("replay.min_size_to_sample must be <= replay.max_size (got " +
                                  std::to_string(config.replay.min_size_to_sample) + " > " +
                                  std::to_string(config.replay.max_size) + ")");
    }
  }
}

}  // namespace rlfleet
