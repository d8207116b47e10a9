#ifndef RLFLEET_ALGORITHMS_OBSERVATION_NORMALIZER_H_
#define RLFLEET_ALGORITHMS_OBSERVATION_NORMALIZER_H_

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/run_config.h"
#include "core/running_mean_std.h"

namespace rlfleet {

// Observation normalisation inside a policy network:
//   x̂ = clamp((x − mean) · inv_std, −clip, clip),   inv_std = 1 / √(variance + 1e-8)
// mean and inv_std are parameters that take no gradient, so they travel with the published
// weights (algorithms/parameter_vector.h) and every actor normalises exactly as the learner
// does; only the learner changes them (Load). Identity (mean 0, inv_std 1) until then.
// Parameter names: mean, inv_std ([D] each).
class ObservationNormalizerImpl : public torch::nn::Module {
 public:
  static constexpr double kEpsilon = 1e-8;

  // Throws std::invalid_argument when size <= 0 or clip is not positive.
  ObservationNormalizerImpl(int64_t size, double clip);
  // observations [N, D] → normalised [N, D].
  torch::Tensor forward(const torch::Tensor& observations);
  // Copies the statistics' mean and 1/√(variance + ε) into the parameters (on their device).
  // Throws std::invalid_argument on another size.
  void Load(const RunningMeanStd& statistics);

  double clip() const { return clip_; }

 private:
  double clip_;
  torch::Tensor mean_, inv_std_;
};
TORCH_MODULE(ObservationNormalizer);

// The observation_clip a policy network takes from the model config: model.observation_clip
// with model.normalize_observations, 0 (no normaliser) without.
inline double ObservationClip(const ModelConfig& model) {
  return model.normalize_observations ? model.observation_clip : 0.0;
}

// The moments of the rows of `rows` ([N, D] float32 on the CPU), for merging into the learner's
// statistics.
RunningMeanStd ObservationMoments(const torch::Tensor& rows);

// The learner's statistics in a checkpoint: one archive holding count, mean and M2 in double
// precision. Load reads into a fresh RunningMeanStd and assigns *statistics only when the file
// is complete, of the same size and valid (RunningMeanStd::Restore); otherwise it throws
// std::runtime_error naming the path and changes nothing.
void SaveObservationStatistics(const std::string& path, const RunningMeanStd& statistics);
void LoadObservationStatistics(const std::string& path, RunningMeanStd* statistics);

// The learner's side of observation normalisation, for an algorithm whose policy networks
// (e.g. the actor and its target) hold ObservationNormalizers: merges each batch's moments
// before its update and loads the running statistics into every normaliser. Runs on the
// learner's train thread only.
class LearnerObservationStatistics {
 public:
  static constexpr char kFileName[] = "observation_statistics.pt";

  LearnerObservationStatistics(int32_t size, std::vector<ObservationNormalizer> normalizers);
  // Merges the batch's moments and loads the result into every normaliser.
  void Update(const RunningMeanStd& batch_moments);
  // <dir>/observation_statistics.pt.
  void Save(const std::string& dir) const;
  // Reads <dir>/observation_statistics.pt without changing anything (throws
  // std::runtime_error naming the path); Set then installs what was read.
  RunningMeanStd Read(const std::string& dir) const;
  void Set(const RunningMeanStd& statistics);

  const RunningMeanStd& statistics() const { return statistics_; }

 private:
  RunningMeanStd statistics_;
  std::vector<ObservationNormalizer> normalizers_;
};

// An algorithm's checkpoint with its observation statistics when it has them (`statistics`
// empty: the run does not normalise). Save writes the algorithm's files (save_algorithm), then
// the statistics. Load reads and checks the statistics first, then loads the algorithm's files
// (load_algorithm, which must change nothing when it throws), and only then installs the
// statistics: a checkpoint missing either part changes nothing.
void SaveCheckpointWithStatistics(const std::optional<LearnerObservationStatistics>& statistics,
                                  const std::string& dir,
                                  const std::function<void()>& save_algorithm);
void LoadCheckpointWithStatistics(std::optional<LearnerObservationStatistics>* statistics,
                                  const std::string& dir,
                                  const std::function<void()>& load_algorithm);

}  // namespace rlfleet

#endif  // RLFLEET_ALGORITHMS_OBSERVATION_NORMALIZER_H_
