#include "learner/play_episode.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include "algorithms/fake_algorithm_testing.h"
#include "envs/time_limit.h"

namespace rlfleet {
namespace {

// Step t of an episode (t = 1, 2, ...) pays reward t and observes t; the episode terminates at
// step `terminate_at` (0: never); with `nan_at` > 0 that step's observation is NaN.
class ScriptedEnv : public Env {
 public:
  ScriptedEnv(int terminate_at, int nan_at) : terminate_at_(terminate_at), nan_at_(nan_at) {
    spec_.id = "Scripted-v0";
    spec_.observation_size = 1;
    spec_.num_actions = 2;
  }
  const EnvSpec& spec() const override { return spec_; }
  void Seed(uint64_t) override {}
  void Reset(float* observation) override {
    t_ = 0;
    observation[0] = 0.0f;
    ++resets_;
  }
  StepResult Step(const float*, float* observation) override {
    ++t_;
    observation[0] =
        t_ == nan_at_ ? std::numeric_limits<float>::quiet_NaN() : static_cast<float>(t_);
    StepResult r;
    r.reward = t_;
    r.terminated = t_ == terminate_at_;
    return r;
  }
  int resets() const { return resets_; }

 private:
  EnvSpec spec_;
  int terminate_at_, nan_at_, t_ = 0, resets_ = 0;
};

TEST(PlayEpisodeTest, SumsTheRewardsUntilTheEpisodeEnds) {
  const EnvSpec spec = ScriptedEnv(0, 0).spec();
  testing::FakeLearner algorithm(spec);
  Rng rng(1);
  ScriptedEnv env(/*terminate_at=*/10, /*nan_at=*/0);
  const EpisodeOutcome outcome = PlayEpisode(algorithm, env, /*greedy=*/true, rng);
  EXPECT_EQ(outcome.steps, 10);
  EXPECT_DOUBLE_EQ(outcome.episode_return, 10 * 11 / 2);
  // A time limit ends an episode that never terminates (truncated at 7 steps).
  TimeLimit limited(std::make_unique<ScriptedEnv>(0, 0), 7);
  const EpisodeOutcome truncated = PlayEpisode(algorithm, limited, /*greedy=*/true, rng);
  EXPECT_EQ(truncated.steps, 7);
  EXPECT_DOUBLE_EQ(truncated.episode_return, 7 * 8 / 2);
  EXPECT_EQ(env.resets(), 1);
}

TEST(PlayEpisodeTest, ANonFiniteObservationIsAnEnvFault) {
  ScriptedEnv env(/*terminate_at=*/10, /*nan_at=*/4);
  testing::FakeLearner algorithm(env.spec());
  Rng rng(1);
  try {
    PlayEpisode(algorithm, env, /*greedy=*/true, rng);
    ADD_FAILURE() << "no EnvFault";
  } catch (const EnvFault& e) {
    EXPECT_NE(std::string(e.what()).find("step 4"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace rlfleet
