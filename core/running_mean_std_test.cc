#include "core/running_mean_std.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "core/random.h"

namespace rlfleet {
namespace {

// Two-pass mean and population variance of every column, the naive reference.
void Naive(const std::vector<float>& rows, int d, std::vector<double>* mean,
           std::vector<double>* variance) {
  const size_t n = rows.size() / d;
  mean->assign(d, 0.0);
  variance->assign(d, 0.0);
  for (size_t r = 0; r < n; ++r) {
    for (int j = 0; j < d; ++j) (*mean)[j] += rows[r * d + j];
  }
  for (int j = 0; j < d; ++j) (*mean)[j] /= n;
  for (size_t r = 0; r < n; ++r) {
    for (int j = 0; j < d; ++j) {
      (*variance)[j] += (rows[r * d + j] - (*mean)[j]) * (rows[r * d + j] - (*mean)[j]);
    }
  }
  for (int j = 0; j < d; ++j) (*variance)[j] /= n;
}

TEST(RunningMeanStdTest, BatchByBatchEqualsTheNaiveMomentsOfEverything) {
  Rng rng(3);
  const int d = 3;
  std::vector<float> all;
  RunningMeanStd stats(d);
  // Batches of different sizes, with a large offset in one column (a numerically hard case).
  for (int batch_size : {1, 7, 256, 3, 100}) {
    std::vector<float> batch;
    for (int r = 0; r < batch_size; ++r) {
      batch.push_back(static_cast<float>(rng.Normal()));
      batch.push_back(static_cast<float>(1000.0 + 0.01 * rng.Normal()));
      batch.push_back(static_cast<float>(rng.Uniform(-5, 5)));
    }
    stats.Add(batch.data(), batch_size);
    all.insert(all.end(), batch.begin(), batch.end());
  }
  std::vector<double> mean, variance;
  Naive(all, d, &mean, &variance);
  EXPECT_DOUBLE_EQ(stats.count(), 367.0);
  const std::vector<double> got = stats.Variance();
  for (int j = 0; j < d; ++j) {
    EXPECT_NEAR(stats.mean()[j], mean[j], 1e-9 * (1 + std::abs(mean[j]))) << j;
    EXPECT_NEAR(got[j], variance[j], 1e-9 * variance[j] + 1e-12) << j;
  }
  // Merging two halves gives the same as adding everything.
  RunningMeanStd a(d), b(d), whole(d);
  a.Add(all.data(), 100);
  b.Add(all.data() + 100 * d, 267);
  whole.Add(all.data(), 367);
  a.Merge(b);
  for (int j = 0; j < d; ++j) {
    EXPECT_NEAR(a.mean()[j], whole.mean()[j], 1e-9 * (1 + std::abs(whole.mean()[j])));
    EXPECT_NEAR(a.Variance()[j], whole.Variance()[j], 1e-9 * whole.Variance()[j]);
  }
}

// Hand-computed: rows (1, 2) and (3, 6): mean (2, 4), variance (1, 4).
TEST(RunningMeanStdTest, HandComputedAndEmptyState) {
  RunningMeanStd stats(2);
  EXPECT_EQ(stats.Variance(), (std::vector<double>{1.0, 1.0}));
  EXPECT_EQ(stats.mean(), (std::vector<double>{0.0, 0.0}));
  const std::vector<float> rows = {1, 2, 3, 6};
  stats.Add(rows.data(), 2);
  EXPECT_EQ(stats.mean(), (std::vector<double>{2.0, 4.0}));
  EXPECT_EQ(stats.Variance(), (std::vector<double>{1.0, 4.0}));
  stats.Add(rows.data(), 0);
  EXPECT_DOUBLE_EQ(stats.count(), 2.0);
}

TEST(RunningMeanStdTest, RestoreChecksWhatItIsGiven) {
  RunningMeanStd stats(2);
  stats.Restore(4.0, {1.0, 2.0}, {4.0, 8.0});
  EXPECT_EQ(stats.Variance(), (std::vector<double>{1.0, 2.0}));
  EXPECT_THROW(stats.Restore(4.0, {1.0}, {4.0}), std::invalid_argument);
  EXPECT_THROW(stats.Restore(-1.0, {1.0, 2.0}, {4.0, 8.0}), std::invalid_argument);
  EXPECT_THROW(stats.Restore(4.0, {NAN, 2.0}, {4.0, 8.0}), std::invalid_argument);
  EXPECT_THROW(stats.Restore(4.0, {1.0, 2.0}, {-4.0, 8.0}), std::invalid_argument);
  EXPECT_DOUBLE_EQ(stats.count(), 4.0);  // unchanged by the refused ones
  EXPECT_THROW(RunningMeanStd(0), std::invalid_argument);
  RunningMeanStd other(3);
  EXPECT_THROW(stats.Merge(other), std::invalid_argument);
}

}  // namespace
}  // namespace rlfleet
