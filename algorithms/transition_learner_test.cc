#include "algorithms/transition_learner.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace rlfleet {
namespace {

namespace fs = std::filesystem;

// A transition learner whose update records what it saw (the batch's observations and the
// normaliser's mean at that moment) and reports the |TD| it was told to; its state file holds
// its update count.
class RecordingLearner : public TransitionLearner {
 public:
  RecordingLearner(bool normalize, std::vector<float> td)
      : TransitionLearner("cpu", "recording.pt"),
        normalizer_(/*size=*/2, /*clip=*/100.0),
        td_(std::move(td)) {
    if (normalize) NormalizeObservations(2, {normalizer_});
  }

  void SetProgress(double) override {}
  int64_t num_updates() const override { return updates_; }
  const std::vector<std::string>& metric_names() const override {
    static const std::vector<std::string> names = {"rows"};
    return names;
  }
  torch::nn::Module& published_module() override { return *normalizer_; }
  void EvalActions(const float* observations, int32_t count, bool, Rng&, float* actions) override {
    // The first feature of each observation, through the shared device copy.
    const torch::Tensor x = ObservationsOnDevice(observations, count, 2).contiguous();
    for (int32_t i = 0; i < count; ++i) actions[i] = x[i][0].item<float>();
  }

  std::vector<float> NormaliserMean() const {
    for (const auto& p : normalizer_->named_parameters()) {
      if (p.key() == "mean") {
        const torch::Tensor m = p.value().contiguous();
        return std::vector<float>(m.data_ptr<float>(), m.data_ptr<float>() + m.numel());
      }
    }
    ADD_FAILURE() << "the normaliser has no parameter mean";
    return {};
  }

  std::vector<float> mean_at_train;  // the normaliser's mean when Train last ran
  int64_t rows_at_train = 0;

 private:
  UpdateResult Train(const TransitionBatch& batch, std::vector<float>* td) override {
    mean_at_train = NormaliserMean();
    rows_at_train = batch.observations.size(0);
    *td = td_;
    ++updates_;
    UpdateResult result;
    result.metrics = {static_cast<double>(rows_at_train)};
    result.skipped_steps = 1;
    return result;
  }
  void SaveState(const std::string& path) const override { std::ofstream(path) << updates_; }
  void LoadState(const std::string& path) override {
    std::ifstream in(path);
    int64_t updates = -1;
    if (!(in >> updates)) throw std::runtime_error("cannot read " + path);
    updates_ = updates;
  }

  ObservationNormalizer normalizer_;
  std::vector<float> td_;
  int64_t updates_ = 0;
};

Transition Step(std::vector<float> observation) {
  Transition t;
  t.observation = observation;
  t.action = {0.0f};
  t.reward = 1.0f;
  t.discount = 0.99f;
  t.next_observation = std::move(observation);
  t.steps = 1;
  return t;
}

SampledItems Items(const std::vector<std::vector<float>>& observations) {
  SampledItems items;
  for (const auto& o : observations) items.transitions.push_back(Step(o));
  items.importance_weights.assign(observations.size(), 1.0);
  return items;
}

UpdateResult PrepareAndUpdate(RecordingLearner& learner,
                              const std::vector<std::vector<float>>& observations) {
  std::unique_ptr<PreparedBatch> batch = learner.Prepare(Items(observations));
  return learner.Update(*batch);
}

class TransitionLearnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("rlfleet_transition_learner_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(TransitionLearnerTest, MergesTheBatchMomentsBeforeTrainingAndTurnsTdIntoPriorities) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  RecordingLearner learner(/*normalize=*/true, {0.5f, 0.0f, nan});
  // Means by hand: ((1+3+5)/3, (2+6+1)/3) = (3, 3).
  const UpdateResult first = PrepareAndUpdate(learner, {{1, 2}, {3, 6}, {5, 1}});
  EXPECT_EQ(learner.rows_at_train, 3);
  ASSERT_EQ(learner.mean_at_train.size(), 2u);
  EXPECT_NEAR(learner.mean_at_train[0], 3.0f, 1e-6);
  EXPECT_NEAR(learner.mean_at_train[1], 3.0f, 1e-6);
  // ReachablePriority: |TD| itself, at least 1e-6, 1 where not finite.
  ASSERT_EQ(first.priorities.size(), 3u);
  EXPECT_DOUBLE_EQ(first.priorities[0], 0.5);
  EXPECT_DOUBLE_EQ(first.priorities[1], 1e-6);
  EXPECT_DOUBLE_EQ(first.priorities[2], 1.0);
  EXPECT_EQ(first.metrics, std::vector<double>{3.0});
  EXPECT_EQ(first.skipped_steps, 1);

  // The statistics run over all batches: ((1+3+5+7)/4, (2+6+1+3)/4) = (4, 3).
  PrepareAndUpdate(learner, {{7, 3}});
  EXPECT_NEAR(learner.mean_at_train[0], 4.0f, 1e-6);
  EXPECT_NEAR(learner.mean_at_train[1], 3.0f, 1e-6);
  EXPECT_EQ(learner.num_updates(), 2);
}

TEST_F(TransitionLearnerTest, WithoutNormalisationTheNormaliserAndCheckpointHoldNoStatistics) {
  RecordingLearner learner(/*normalize=*/false, {1.0f, 2.0f});
  PrepareAndUpdate(learner, {{1, 2}, {3, 6}});
  EXPECT_EQ(learner.mean_at_train, (std::vector<float>{0.0f, 0.0f}));
  learner.SaveCheckpoint(dir_.string());
  EXPECT_TRUE(fs::exists(dir_ / "recording.pt"));
  EXPECT_FALSE(fs::exists(dir_ / LearnerObservationStatistics::kFileName));
}

TEST_F(TransitionLearnerTest, CheckpointHoldsStateAndStatisticsAndLoadsAllOrNothing) {
  RecordingLearner trained(/*normalize=*/true, {1.0f, 1.0f, 1.0f});
  PrepareAndUpdate(trained, {{1, 2}, {3, 6}, {5, 1}});
  trained.SaveCheckpoint(dir_.string());
  ASSERT_TRUE(fs::exists(dir_ / "recording.pt"));
  ASSERT_TRUE(fs::exists(dir_ / LearnerObservationStatistics::kFileName));

  RecordingLearner restored(/*normalize=*/true, {});
  restored.LoadCheckpoint(dir_.string());
  EXPECT_EQ(restored.num_updates(), 1);
  EXPECT_EQ(restored.NormaliserMean(), (std::vector<float>{3.0f, 3.0f}));

  // Without the algorithm's file nothing is loaded, the statistics included.
  fs::remove(dir_ / "recording.pt");
  RecordingLearner no_state(/*normalize=*/true, {});
  EXPECT_THROW(no_state.LoadCheckpoint(dir_.string()), std::runtime_error);
  EXPECT_EQ(no_state.NormaliserMean(), (std::vector<float>{0.0f, 0.0f}));

  // Without the statistics the algorithm's state is not loaded either.
  trained.SaveCheckpoint(dir_.string());
  fs::remove(dir_ / LearnerObservationStatistics::kFileName);
  RecordingLearner no_statistics(/*normalize=*/true, {});
  EXPECT_THROW(no_statistics.LoadCheckpoint(dir_.string()), std::runtime_error);
  EXPECT_EQ(no_statistics.num_updates(), 0);
}

TEST_F(TransitionLearnerTest, ObservationsOnDeviceKeepsTheRowMajorLayout) {
  RecordingLearner learner(/*normalize=*/false, {});
  const std::vector<float> observations = {1, 2, 3, 4, 5, 6};  // 3 rows of 2
  std::vector<float> firsts(3);
  Rng rng(1);
  learner.EvalActions(observations.data(), 3, /*greedy=*/true, rng, firsts.data());
  EXPECT_EQ(firsts, (std::vector<float>{1, 3, 5}));
}

}  // namespace
}  // namespace rlfleet
