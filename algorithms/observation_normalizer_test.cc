#include "algorithms/observation_normalizer.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace rlfleet {
namespace {

// Rows (1, 2), (3, 6): mean (2, 4), variance (1, 4) → x̂ = ((x − 2)/1, (x − 4)/2), clipped at 3.
TEST(ObservationNormalizerTest, NormalisesWithTheLoadedStatisticsAndClips) {
  at::set_num_threads(1);
  ObservationNormalizer normalizer(2, 3.0);
  const torch::Tensor x = torch::tensor({{2.0f, 4.0f}, {10.0f, -2.0f}, {2.5f, 5.0f}});
  // Identity before any statistics (apart from the clip).
  EXPECT_TRUE(torch::allclose(normalizer->forward(x),
                              torch::tensor({{2.0f, 3.0f}, {3.0f, -2.0f}, {2.5f, 3.0f}})));
  RunningMeanStd statistics(2);
  const std::vector<float> rows = {1, 2, 3, 6};
  statistics.Add(rows.data(), 2);
  normalizer->Load(statistics);
  const double e = ObservationNormalizerImpl::kEpsilon;
  const torch::Tensor y = normalizer->forward(x);
  EXPECT_NEAR(y[0][0].item<double>(), 0.0, 1e-6);
  EXPECT_NEAR(y[0][1].item<double>(), 0.0, 1e-6);
  EXPECT_NEAR(y[1][0].item<double>(), 3.0, 1e-6);   // 8 clipped
  EXPECT_NEAR(y[1][1].item<double>(), -3.0, 1e-6);  // −6/2 = −3 (at the clip)
  EXPECT_NEAR(y[2][0].item<double>(), 0.5 / std::sqrt(1.0 + e), 1e-6);
  EXPECT_NEAR(y[2][1].item<double>(), 1.0 / std::sqrt(4.0 + e), 1e-6);
  // The statistics are parameters without gradients (they travel with the weights).
  const auto parameters = normalizer->named_parameters();
  ASSERT_EQ(parameters.size(), 2u);
  for (const auto& p : parameters) EXPECT_FALSE(p.value().requires_grad()) << p.key();
  RunningMeanStd other(3);
  EXPECT_THROW(normalizer->Load(other), std::invalid_argument);
  EXPECT_THROW(ObservationNormalizer(2, 0.0), std::invalid_argument);
}

TEST(ObservationNormalizerTest, LearnerStatisticsUpdateSaveAndRead) {
  ObservationNormalizer a(2, 10.0), b(2, 10.0);
  LearnerObservationStatistics learner(2, {a, b});
  RunningMeanStd batch(2);
  const std::vector<float> rows = {1, 2, 3, 6};
  batch.Add(rows.data(), 2);
  learner.Update(batch);
  learner.Update(batch);
  EXPECT_DOUBLE_EQ(learner.statistics().count(), 4.0);
  for (ObservationNormalizer n : {a, b}) {
    const torch::Tensor y = n->forward(torch::tensor({{3.0f, 6.0f}}));
    EXPECT_NEAR(y[0][0].item<double>(), 1.0, 1e-6);
    EXPECT_NEAR(y[0][1].item<double>(), 1.0, 1e-6);
  }
  const std::string dir = ::testing::TempDir() + "rlfleet_observation_statistics";
  std::filesystem::create_directories(dir);
  learner.Save(dir);
  ObservationNormalizer c(2, 10.0);
  LearnerObservationStatistics restored(2, {c});
  const RunningMeanStd read = restored.Read(dir);
  EXPECT_DOUBLE_EQ(restored.statistics().count(), 0.0);  // Read changes nothing
  restored.Set(read);
  EXPECT_DOUBLE_EQ(restored.statistics().count(), 4.0);
  EXPECT_EQ(restored.statistics().mean(), learner.statistics().mean());
  EXPECT_EQ(restored.statistics().m2(), learner.statistics().m2());
  EXPECT_TRUE(torch::equal(c->named_parameters()["inv_std"], a->named_parameters()["inv_std"]));
  // Another size, a truncated file and a missing one are refused by name.
  LearnerObservationStatistics wider(3, {});
  EXPECT_THROW(wider.Read(dir), std::runtime_error);
  const std::string file = dir + "/" + LearnerObservationStatistics::kFileName;
  std::filesystem::resize_file(file, std::filesystem::file_size(file) / 2);
  try {
    restored.Read(dir);
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
  EXPECT_THROW(restored.Read(dir), std::runtime_error);
  EXPECT_DOUBLE_EQ(restored.statistics().count(), 4.0);
}

TEST(ObservationNormalizerTest, ClipComesFromTheModelConfig) {
  ModelConfig model;
  EXPECT_EQ(ObservationClip(model), 0.0);
  model.normalize_observations = true;
  model.observation_clip = 5.0;
  EXPECT_EQ(ObservationClip(model), 5.0);
}

}  // namespace
}  // namespace rlfleet
