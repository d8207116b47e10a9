#ifndef RLFLEET_ALGORITHMS_TRANSITION_BATCH_H_
#define RLFLEET_ALGORITHMS_TRANSITION_BATCH_H_

#include <torch/types.h>

#include <memory>
#include <optional>
#include <vector>

#include "algorithms/algorithm.h"
#include "core/running_mean_std.h"
#include "core/transition.h"

namespace rlfleet {

// B n-step transitions as the off-policy learners (Ape-X DQN, SAC, TD3) consume them.
struct TransitionBatch {
  torch::Tensor observations;       // [B, D] float, x_t
  torch::Tensor actions;            // [B, A] float (a discrete action: its index, A = 1)
  torch::Tensor rewards;            // [B] float, n-step discounted sums
  torch::Tensor discounts;          // [B] float, γ^k, or 0 where the episode terminated
  torch::Tensor next_observations;  // [B, D] float, x_{t+k}
  torch::Tensor weights;            // [B] float, importance weights (1 for uniform sampling)
};

// Stacks transitions (transition b becomes row b) into CPU tensors, one copy per field per
// transition. `weights` holds one importance weight per transition, or is empty for all ones.
// Throws std::invalid_argument when `transitions` is empty, their observation or action sizes
// differ (or are 0), or weights has another length.
TransitionBatch BatchFromTransitions(const std::vector<Transition>& transitions,
                                     const std::vector<double>& weights);

// The batch's tensors on `device` (TensorsToDevice: pinned, side stream for CUDA; unchanged for
// the CPU).
TransitionBatch TransitionBatchToDevice(TransitionBatch batch, const torch::Device& device);

// The batch LearnerAlgorithm::Prepare builds for the transition algorithms (apex_dqn, sac, td3):
// the sampled transitions and their importance weights on `device`, and with
// `observation_moments` the moments of their observations x_t (for observation normalisation;
// computed on the calling thread, from the CPU copies).
struct PreparedTransitions : PreparedBatch {
  TransitionBatch batch;
  std::optional<RunningMeanStd> observation_moments;
};
std::unique_ptr<PreparedBatch> PrepareTransitions(const SampledItems& items,
                                                  const torch::Device& device,
                                                  bool observation_moments = false);

}  // namespace rlfleet

#endif  // RLFLEET_ALGORITHMS_TRANSITION_BATCH_H_
