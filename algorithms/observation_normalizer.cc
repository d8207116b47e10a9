#include "algorithms/observation_normalizer.h"

#include <torch/torch.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "algorithms/checkpoint_archive.h"

namespace rlfleet {

ObservationNormalizerImpl::ObservationNormalizerImpl(int64_t size, double clip) : clip_(clip) {
  if (size <= 0) throw std::invalid_argument("ObservationNormalizer: size must be > 0");
  if (!(clip > 0.0)) throw std::invalid_argument("ObservationNormalizer: clip must be > 0");
  mean_ = register_parameter("mean", torch::zeros({size}), /*requires_grad=*/false);
  inv_std_ = register_parameter("inv_std", torch::ones({size}), /*requires_grad=*/false);
}

torch::Tensor ObservationNormalizerImpl::forward(const torch::Tensor& observations) {
  return ((observations - mean_) * inv_std_).clamp(-clip_, clip_);
}

void ObservationNormalizerImpl::Load(const RunningMeanStd& statistics) {
  if (statistics.size() != mean_.size(0)) {
    throw std::invalid_argument("ObservationNormalizer::Load: statistics of size " +
                                std::to_string(statistics.size()) + " for size " +
                                std::to_string(mean_.size(0)));
  }
  const std::vector<double> variance = statistics.Variance();
  std::vector<float> mean(variance.size()), inv_std(variance.size());
  for (size_t j = 0; j < variance.size(); ++j) {
    mean[j] = static_cast<float>(statistics.mean()[j]);
    inv_std[j] = static_cast<float>(1.0 / std::sqrt(variance[j] + kEpsilon));
  }
  torch::NoGradGuard no_grad;
  mean_.copy_(torch::tensor(mean));
  inv_std_.copy_(torch::tensor(inv_std));
}

RunningMeanStd ObservationMoments(const torch::Tensor& rows) {
  const torch::Tensor x = rows.contiguous();
  RunningMeanStd moments(static_cast<int32_t>(x.size(1)));
  moments.Add(x.data_ptr<float>(), x.size(0));
  return moments;
}

namespace {

const char kWhat[] = "observation statistics";

torch::Tensor Doubles(const std::vector<double>& values) {
  return torch::tensor(values, torch::kDouble);
}

std::vector<double> Values(const torch::Tensor& tensor) {
  const torch::Tensor t = tensor.contiguous();
  return std::vector<double>(t.data_ptr<double>(), t.data_ptr<double>() + t.numel());
}

}  // namespace

void SaveObservationStatistics(const std::string& path, const RunningMeanStd& statistics) {
  torch::Tensor count = torch::full({1}, statistics.count(), torch::kDouble);
  torch::Tensor mean = Doubles(statistics.mean());
  torch::Tensor m2 = Doubles(statistics.m2());
  ArchiveContents contents;
  contents.tensors = {{"count", &count}, {"mean", &mean}, {"m2", &m2}};
  SaveArchive(path, contents, kWhat);
}

void LoadObservationStatistics(const std::string& path, RunningMeanStd* statistics) {
  torch::Tensor count = torch::zeros({1}, torch::kDouble);
  torch::Tensor mean = torch::zeros({statistics->size()}, torch::kDouble);
  torch::Tensor m2 = torch::zeros({statistics->size()}, torch::kDouble);
  ArchiveContents contents;
  contents.tensors = {{"count", &count}, {"mean", &mean}, {"m2", &m2}};
  LoadArchive(path, torch::kCPU, contents, kWhat);
  RunningMeanStd loaded(statistics->size());
  try {
    loaded.Restore(count.item<double>(), Values(mean), Values(m2));
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string(kWhat) + ": cannot load '" + path + "': " + e.what());
  }
  *statistics = loaded;
}

LearnerObservationStatistics::LearnerObservationStatistics(
    int32_t size, std::vector<ObservationNormalizer> normalizers)
    : statistics_(size), normalizers_(std::move(normalizers)) {}

void LearnerObservationStatistics::Update(const RunningMeanStd& batch_moments) {
  statistics_.Merge(batch_moments);
  for (ObservationNormalizer& normalizer : normalizers_) normalizer->Load(statistics_);
}

void LearnerObservationStatistics::Save(const std::string& dir) const {
  SaveObservationStatistics(dir + "/" + kFileName, statistics_);
}

RunningMeanStd LearnerObservationStatistics::Read(const std::string& dir) const {
  RunningMeanStd loaded(statistics_.size());
  LoadObservationStatistics(dir + "/" + kFileName, &loaded);
  return loaded;
}

void LearnerObservationStatistics::Set(const RunningMeanStd& statistics) {
  statistics_ = statistics;
  for (ObservationNormalizer& normalizer : normalizers_) normalizer->Load(statistics_);
}

void SaveCheckpointWithStatistics(const std::optional<LearnerObservationStatistics>& statistics,
                                  const std::string& dir,
                                  const std::function<void()>& save_algorithm) {
  save_algorithm();
  if (statistics) statistics->Save(dir);
}

void LoadCheckpointWithStatistics(std::optional<LearnerObservationStatistics>* statistics,
                                  const std::string& dir,
                                  const std::function<void()>& load_algorithm) {
  std::optional<RunningMeanStd> read;
  if (*statistics) read = (*statistics)->Read(dir);
  load_algorithm();
  if (*statistics) (*statistics)->Set(*read);
}

}  // namespace rlfleet
