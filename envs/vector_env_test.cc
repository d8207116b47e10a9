#include "envs/vector_env.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/random.h"
#include "envs/registry.h"

namespace rlfleet {
namespace {

// Random valid actions for all envs of one step.
void RandomActions(const EnvSpec& spec, int n, Rng& rng, std::vector<float>* actions) {
  actions->resize(static_cast<size_t>(n) * spec.action_size);
  for (size_t k = 0; k < actions->size(); ++k) {
    const size_t j = k % spec.action_size;
    (*actions)[k] = spec.discrete_actions
                        ? static_cast<float>(rng.UniformInt(spec.num_actions))
                        : static_cast<float>(rng.Uniform(spec.action_low[j], spec.action_high[j]));
  }
}

// Steps a VectorEnv next to num_envs single envs (env i seeded seed + i, reset by hand when an
// episode ends) and checks every output row; returns the number of episode ends seen.
int CheckMatchesSingleEnvs(const std::string& id, int n, uint64_t seed, int steps) {
  VectorEnv vec({id, n, seed, 1});
  const EnvSpec& spec = vec.spec();
  const int d = spec.observation_size, a = spec.action_size;
  std::vector<std::unique_ptr<Env>> singles;
  std::vector<float> obs(n * d), single_obs(d), fresh(d), rewards(n), finals(n * d);
  std::vector<uint8_t> terminated(n), truncated(n);
  vec.Reset(obs.data());
  for (int i = 0; i < n; ++i) {
    singles.push_back(MakeEnv(id));
    singles[i]->Seed(seed + i);
    singles[i]->Reset(single_obs.data());
    EXPECT_EQ(0, std::memcmp(single_obs.data(), &obs[i * d], d * sizeof(float))) << "env " << i;
  }
  Rng rng(99);
  std::vector<float> actions;
  int ends = 0;
  for (int t = 0; t < steps; ++t) {
    RandomActions(spec, n, rng, &actions);
    std::fill(finals.begin(), finals.end(), -999.0f);
    vec.Step(actions.data(), obs.data(), rewards.data(), terminated.data(), truncated.data(),
             finals.data());
    for (int i = 0; i < n; ++i) {
      const StepResult r = singles[i]->Step(&actions[i * a], single_obs.data());
      EXPECT_EQ(rewards[i], static_cast<float>(r.reward));
      EXPECT_EQ(terminated[i], r.terminated ? 1 : 0);
      EXPECT_EQ(truncated[i], r.truncated ? 1 : 0);
      const float* row = &obs[i * d];
      const float* final_row = &finals[i * d];
      if (r.terminated || r.truncated) {
        ++ends;
        // The ended episode's last observation goes to final_observations ...
        EXPECT_EQ(0, std::memcmp(single_obs.data(), final_row, d * sizeof(float)));
        // ... and obs holds the first observation of the next episode.
        singles[i]->Reset(fresh.data());
        EXPECT_EQ(0, std::memcmp(fresh.data(), row, d * sizeof(float))) << "t " << t;
      } else {
        EXPECT_EQ(0, std::memcmp(single_obs.data(), row, d * sizeof(float))) << "t " << t;
        for (int k = 0; k < d; ++k) EXPECT_EQ(final_row[k], -999.0f) << "row left untouched";
      }
    }
    if (::testing::Test::HasFailure()) return ends;
  }
  return ends;
}

TEST(VectorEnvTest, AutoResetMatchesSingleEnvsSeededSeedPlusI) {
  // CartPole under random actions ends episodes every ~20 steps (termination).
  EXPECT_GT(CheckMatchesSingleEnvs("CartPole-v1", 3, 40, 300), 20);
  // Pendulum only ends by truncation at 200.
  EXPECT_EQ(CheckMatchesSingleEnvs("Pendulum-v1", 2, 7, 450), 4);
}

TEST(VectorEnvTest, FreshObservationAfterTerminationIsAResetState) {
  VectorEnv vec({"CartPole-v1", 1, 3, 1});
  std::vector<float> obs(4), finals(4), rewards(1);
  std::vector<uint8_t> terminated(1), truncated(1);
  vec.Reset(obs.data());
  const float push_right = 1.0f;
  for (int t = 0; t < 100; ++t) {
    vec.Step(&push_right, obs.data(), rewards.data(), terminated.data(), truncated.data(),
             finals.data());
    if (terminated[0]) break;
  }
  ASSERT_EQ(terminated[0], 1);
  // The terminal observation is past a threshold; the new one is within the reset box.
  const bool past =
      finals[0] > 2.4f || finals[0] < -2.4f || finals[2] > 0.2094f || finals[2] < -0.2094f;
  EXPECT_TRUE(past);
  for (float v : obs) {
    EXPECT_GE(v, -0.05f);
    EXPECT_LE(v, 0.05f);
  }
}

struct Trace {
  std::vector<float> obs, rewards, finals;
  std::vector<uint8_t> flags;
};

Trace RunVector(const std::string& id, int n, int threads, int steps) {
  VectorEnv vec({id, n, 123, threads});
  const int d = vec.spec().observation_size;
  std::vector<float> obs(n * d), rewards(n), finals(n * d, 0.0f), actions;
  std::vector<uint8_t> terminated(n), truncated(n);
  Trace trace;
  vec.Reset(obs.data());
  trace.obs = obs;
  Rng rng(5);
  for (int t = 0; t < steps; ++t) {
    RandomActions(vec.spec(), n, rng, &actions);
    vec.Step(actions.data(), obs.data(), rewards.data(), terminated.data(), truncated.data(),
             finals.data());
    trace.obs.insert(trace.obs.end(), obs.begin(), obs.end());
    trace.rewards.insert(trace.rewards.end(), rewards.begin(), rewards.end());
    trace.finals.insert(trace.finals.end(), finals.begin(), finals.end());
    trace.flags.insert(trace.flags.end(), terminated.begin(), terminated.end());
    trace.flags.insert(trace.flags.end(), truncated.begin(), truncated.end());
  }
  return trace;
}

bool SameBits(const std::vector<float>& x, const std::vector<float>& y) {
  return x.size() == y.size() && std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) == 0;
}

TEST(VectorEnvTest, ThreadedSteppingIsBitIdenticalToOneThread) {
  for (const char* id : {"CartPole-v1", "Acrobot-v1", "MountainCarContinuous-v0"}) {
    const Trace one = RunVector(id, 5, 1, 400);
    for (int threads : {2, 3, 8}) {
      const Trace many = RunVector(id, 5, threads, 400);
      EXPECT_TRUE(SameBits(one.obs, many.obs)) << id << " threads " << threads;
      EXPECT_TRUE(SameBits(one.rewards, many.rewards)) << id << " threads " << threads;
      EXPECT_TRUE(SameBits(one.finals, many.finals)) << id << " threads " << threads;
      EXPECT_EQ(one.flags, many.flags) << id << " threads " << threads;
    }
  }
}

TEST(VectorEnvTest, WorkerExceptionReachesCallerAndPoolStaysUsable) {
  VectorEnv vec({"CartPole-v1", 4, 0, 2});  // env 3 is stepped by the worker thread
  EXPECT_EQ(vec.num_envs(), 4);
  EXPECT_EQ(vec.spec().id, "CartPole-v1");
  std::vector<float> obs(16), finals(16), rewards(4);
  std::vector<uint8_t> terminated(4), truncated(4);
  vec.Reset(obs.data());
  std::vector<float> actions = {0, 1, 0, 5};
  try {
    vec.Step(actions.data(), obs.data(), rewards.data(), terminated.data(), truncated.data(),
             finals.data());
    ADD_FAILURE() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("got 5"), std::string::npos) << e.what();
  }
  actions[3] = 1;
  vec.Step(actions.data(), obs.data(), rewards.data(), terminated.data(), truncated.data(),
           finals.data());
  for (float r : rewards) EXPECT_EQ(r, 1.0f);
}

TEST(VectorEnvTest, ValidateNamesTheBadField) {
  auto message = [](const VectorEnvOptions& options) -> std::string {
    try {
      VectorEnv vec(options);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "no exception";
  };
  EXPECT_NE(message({"CartPole-v1", 0, 0, 1}).find("num_envs"), std::string::npos);
  EXPECT_NE(message({"CartPole-v1", 2, 0, 0}).find("num_threads"), std::string::npos);
  EXPECT_NE(message({"", 2, 0, 1}).find("env_id"), std::string::npos);
  EXPECT_NE(message({"Nope-v0", 2, 0, 1}).find("unknown environment 'Nope-v0'"), std::string::npos);
}

}  // namespace
}  // namespace rlfleet
