#include "core/running_mean_std.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace rlfleet {

RunningMeanStd::RunningMeanStd(int32_t size) {
  if (size <= 0) {
    throw std::invalid_argument("RunningMeanStd: size must be > 0 (got " + std::to_string(size) +
                                ")");
  }
  mean_.assign(size, 0.0);
  m2_.assign(size, 0.0);
}

void RunningMeanStd::Add(const float* rows, int64_t count) {
  if (count <= 0) return;
  // The batch's own moments (two passes), then one merge.
  RunningMeanStd batch(size());
  const size_t d = mean_.size();
  for (int64_t r = 0; r < count; ++r) {
    for (size_t j = 0; j < d; ++j) batch.mean_[j] += rows[r * d + j];
  }
  for (size_t j = 0; j < d; ++j) batch.mean_[j] /= static_cast<double>(count);
  for (int64_t r = 0; r < count; ++r) {
    for (size_t j = 0; j < d; ++j) {
      const double delta = rows[r * d + j] - batch.mean_[j];
      batch.m2_[j] += delta * delta;
    }
  }
  batch.count_ = static_cast<double>(count);
  Merge(batch);
}

void RunningMeanStd::Merge(const RunningMeanStd& other) {
  if (other.size() != size()) {
    throw std::invalid_argument("RunningMeanStd::Merge: size " + std::to_string(other.size()) +
                                " into size " + std::to_string(size()));
  }
  if (other.count_ == 0.0) return;
  const double n = count_ + other.count_;
  for (size_t j = 0; j < mean_.size(); ++j) {
    const double delta = other.mean_[j] - mean_[j];
    mean_[j] += delta * other.count_ / n;
    m2_[j] += other.m2_[j] + delta * delta * count_ * other.count_ / n;
  }
  count_ = n;
}

std::vector<double> RunningMeanStd::Variance() const {
  std::vector<double> variance(mean_.size(), 1.0);
  if (count_ > 0.0) {
    for (size_t j = 0; j < m2_.size(); ++j) variance[j] = m2_[j] / count_;
  }
  return variance;
}

void RunningMeanStd::Restore(double count, const std::vector<double>& mean,
                             const std::vector<double>& m2) {
  if (mean.size() != mean_.size() || m2.size() != m2_.size()) {
    throw std::invalid_argument("RunningMeanStd::Restore: " + std::to_string(mean.size()) +
                                " values for size " + std::to_string(size()));
  }
  if (!(count >= 0.0) || !std::isfinite(count)) {
    throw std::invalid_argument("RunningMeanStd::Restore: count " + std::to_string(count));
  }
  for (size_t j = 0; j < mean.size(); ++j) {
    if (!std::isfinite(mean[j]) || !std::isfinite(m2[j]) || m2[j] < 0.0) {
      throw std::invalid_argument("RunningMeanStd::Restore: component " + std::to_string(j) +
                                  " is not a finite mean with a finite M2 >= 0");
    }
  }
  count_ = count;
  mean_ = mean;
  m2_ = m2;
}

}  // namespace rlfleet
