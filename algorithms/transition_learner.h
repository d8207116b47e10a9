#ifndef RLFLEET_ALGORITHMS_TRANSITION_LEARNER_H_
#define RLFLEET_ALGORITHMS_TRANSITION_LEARNER_H_

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "algorithms/algorithm.h"
#include "algorithms/observation_normalizer.h"
#include "algorithms/transition_batch.h"

namespace rlfleet {

// The part of LearnerAlgorithm that the transition learners (apex_dqn, sac, td3) share:
//  - Prepare stacks the sampled transitions on the device (PrepareTransitions), with their
//    observation moments when the learner normalises observations;
//  - Update first merges those moments into the running statistics (so the update and the
//    weights it publishes see the new normalisation), then trains (Train), then turns each
//    transition's |TD| into its new replay priority (ReachablePriorities);
//  - a checkpoint is the algorithm's own file `checkpoint_file` plus, when normalising, the
//    statistics (Save/LoadCheckpointWithStatistics: a checkpoint missing either part loads
//    nothing).
// Thread safety as LearnerAlgorithm: Prepare reads only the device and whether observations are
// normalised (fixed at construction); everything else runs on the train thread.
class TransitionLearner : public LearnerAlgorithm {
 public:
  std::unique_ptr<PreparedBatch> Prepare(SampledItems items) const final;
  UpdateResult Update(PreparedBatch& batch) final;
  void SaveCheckpoint(const std::string& dir) const final;
  void LoadCheckpoint(const std::string& dir) final;

 protected:
  // `device`: a LibTorch device string; `checkpoint_file`: the name of the algorithm's file in a
  // checkpoint directory (e.g. "sac.pt").
  TransitionLearner(const std::string& device, std::string checkpoint_file);

  // Turns on observation normalisation (call from the constructor, before any Prepare): the
  // running statistics of `size` features are loaded into every normaliser after each merge.
  void NormalizeObservations(int32_t size, std::vector<ObservationNormalizer> normalizers);

  // One update on `batch` (on the device): writes the |TD| of each transition, in batch order,
  // to *td and returns the metrics and skipped steps (Update fills in the priorities).
  virtual UpdateResult Train(const TransitionBatch& batch, std::vector<float>* td) = 0;
  // Writes / reads the algorithm's state as the file `path`; Load throws std::runtime_error and
  // changes nothing when the file is missing or does not match.
  virtual void SaveState(const std::string& path) const = 0;
  virtual void LoadState(const std::string& path) = 0;

  // `count` observations [count, size] (row-major float32 owned by the caller) as a tensor on
  // the device; on the CPU it aliases the caller's buffer (valid only during the call).
  torch::Tensor ObservationsOnDevice(const float* observations, int32_t count, int64_t size) const;
  const torch::Device& device() const { return device_; }

 private:
  torch::Device device_;
  std::string checkpoint_file_;
  std::optional<LearnerObservationStatistics> observation_;  // with model.normalize_observations
  std::vector<float> td_;
};

}  // namespace rlfleet

#endif  // RLFLEET_ALGORITHMS_TRANSITION_LEARNER_H_
