#include "envs/time_limit.h"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>

namespace rlfleet {
namespace {

// Counts steps; terminates at step `terminate_at` of an episode (0: never).
class CountingEnv : public Env {
 public:
  explicit CountingEnv(int terminate_at) : terminate_at_(terminate_at) {
    spec_.id = "Counting-v0";
    spec_.observation_size = 1;
    spec_.num_actions = 1;
  }
  const EnvSpec& spec() const override { return spec_; }
  void Seed(uint64_t seed) override { seed_ = seed; }
  void Reset(float* observation) override {
    steps_ = 0;
    observation[0] = static_cast<float>(seed_);
  }
  StepResult Step(const float*, float* observation) override {
    observation[0] = static_cast<float>(++steps_);
    StepResult r;
    r.reward = 2.0;
    r.terminated = steps_ == terminate_at_;
    return r;
  }

 private:
  EnvSpec spec_;
  int terminate_at_;
  int steps_ = 0;
  uint64_t seed_ = 0;
};

TEST(TimeLimitTest, TruncatesWhenElapsedReachesLimitAndResetRestarts) {
  TimeLimit env(std::make_unique<CountingEnv>(0), 3);
  EXPECT_EQ(env.spec().max_episode_steps, 3);
  EXPECT_EQ(env.spec().id, "Counting-v0");
  float obs = 0, action = 0;
  env.Seed(7);
  env.Reset(&obs);
  EXPECT_EQ(obs, 7.0f);
  for (int episode = 0; episode < 2; ++episode) {
    for (int step = 1; step <= 3; ++step) {
      const StepResult r = env.Step(&action, &obs);
      EXPECT_EQ(r.truncated, step == 3) << "step " << step;
      EXPECT_FALSE(r.terminated);
      EXPECT_EQ(r.reward, 2.0);
      EXPECT_EQ(obs, static_cast<float>(step));
      EXPECT_EQ(env.elapsed_steps(), step);
    }
    env.Reset(&obs);
    EXPECT_EQ(env.elapsed_steps(), 0);
  }
}

TEST(TimeLimitTest, PassesTerminationThroughAndCanSetBoth) {
  TimeLimit early(std::make_unique<CountingEnv>(2), 5);
  float obs = 0, action = 0;
  early.Reset(&obs);
  EXPECT_FALSE(early.Step(&action, &obs).terminated);
  const StepResult r = early.Step(&action, &obs);
  EXPECT_TRUE(r.terminated);
  EXPECT_FALSE(r.truncated);

  TimeLimit both(std::make_unique<CountingEnv>(2), 2);
  both.Reset(&obs);
  both.Step(&action, &obs);
  const StepResult last = both.Step(&action, &obs);
  EXPECT_TRUE(last.terminated);
  EXPECT_TRUE(last.truncated);
}

TEST(TimeLimitTest, RejectsNonPositiveLimit) {
  EXPECT_THROW(TimeLimit(std::make_unique<CountingEnv>(0), 0), std::invalid_argument);
  EXPECT_THROW(TimeLimit(nullptr, 5), std::invalid_argument);
}

}  // namespace
}  // namespace rlfleet
