#include "algorithms/transition_learner.h"

#include <torch/torch.h>

#include <utility>

#include "algorithms/torch_helpers.h"

namespace rlfleet {

TransitionLearner::TransitionLearner(const std::string& device, std::string checkpoint_file)
    : device_(device), checkpoint_file_(std::move(checkpoint_file)) {}

void TransitionLearner::NormalizeObservations(int32_t size,
                                              std::vector<ObservationNormalizer> normalizers) {
  observation_.emplace(size, std::move(normalizers));
}

std::unique_ptr<PreparedBatch> TransitionLearner::Prepare(SampledItems items) const {
  return PrepareTransitions(items, device_, observation_.has_value());
}

UpdateResult TransitionLearner::Update(PreparedBatch& batch) {
  auto& prepared = static_cast<PreparedTransitions&>(batch);
  if (observation_) observation_->Update(*prepared.observation_moments);
  UpdateResult result = Train(prepared.batch, &td_);
  result.priorities = ReachablePriorities(td_);
  return result;
}

void TransitionLearner::SaveCheckpoint(const std::string& dir) const {
  SaveCheckpointWithStatistics(observation_, dir, [&] { SaveState(dir + "/" + checkpoint_file_); });
}

void TransitionLearner::LoadCheckpoint(const std::string& dir) {
  LoadCheckpointWithStatistics(&observation_, dir,
                               [&] { LoadState(dir + "/" + checkpoint_file_); });
}

torch::Tensor TransitionLearner::ObservationsOnDevice(const float* observations, int32_t count,
                                                      int64_t size) const {
  return RowsView(observations, count, size).to(device_);
}

}  // namespace rlfleet
