#include "envs/vector_env.h"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/random.h"
#include "core/uniform_actions.h"
#include "envs/registry.h"

namespace rlfleet {
namespace {

// Random valid actions for all envs of one step.
void RandomActions(const EnvSpec& spec, int n, Rng& rng, std::vector<float>* actions) {
  actions->resize(static_cast<size_t>(n) * spec.action_size);
  UniformActions(spec, n, rng, actions->data());
}

// Steps a VectorEnv next to num_envs single envs (env i seeded seed + i, reset by hand when an
// episode ends) and checks every output row; returns the number of episode ends seen.
int CheckMatchesSingleEnvs(const std::string& id, int n, uint64_t seed, int steps) {
  NativeVectorEnv vec({id, n, seed, 1, {}});
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
  NativeVectorEnv vec({"CartPole-v1", 1, 3, 1, {}});
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
  NativeVectorEnv vec({id, n, 123, threads, {}});
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
  NativeVectorEnv vec({"CartPole-v1", 4, 0, 2, {}});  // env 3 is stepped by the worker thread
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

// An env that fails on schedule: Step throws EnvFault on every `fault_every`-th step and
// returns a NaN observation on every `nan_every`-th (counted over its whole life); Reset writes
// {-1, number of resets}.
class ScheduledFaultEnv : public Env {
 public:
  ScheduledFaultEnv(int fault_every, int nan_every)
      : fault_every_(fault_every), nan_every_(nan_every) {
    spec_.id = "Faulty-v0";
    spec_.observation_size = 2;
    spec_.num_actions = 2;
  }
  const EnvSpec& spec() const override { return spec_; }
  void Seed(uint64_t) override {}
  void Reset(float* observation) override {
    observation[0] = -1.0f;
    observation[1] = static_cast<float>(++resets_);
  }
  StepResult Step(const float*, float* observation) override {
    ++steps_;
    if (steps_ % fault_every_ == 0) throw EnvFault("scheduled fault");
    observation[0] = static_cast<float>(steps_);
    observation[1] = steps_ % nan_every_ == 0 ? std::numeric_limits<float>::quiet_NaN() : 0.0f;
    StepResult r;
    r.reward = 1.0;
    return r;
  }

 private:
  EnvSpec spec_;
  int fault_every_, nan_every_;
  int steps_ = 0, resets_ = 0;
};

// Faults drop the episode of that env only: the row is marked, holds the fresh episode's first
// observation, carries no reward and no episode end, and the counters add up to the schedule.
TEST(VectorEnvTest, FaultsDropTheEpisodeResetTheEnvAndAreCounted) {
  for (int threads : {1, 2}) {
    VectorEnvOptions options;
    options.num_envs = 3;
    options.num_threads = threads;
    options.make_env = [] { return std::make_unique<ScheduledFaultEnv>(5, 7); };
    NativeVectorEnv vec(options);
    std::vector<float> obs(6), finals(6, 123.0f), rewards(3), actions(3, 0.0f);
    std::vector<uint8_t> terminated(3), truncated(3), dropped(3);
    vec.Reset(obs.data());
    int faults = 0, nans = 0;
    for (int step = 1; step <= 35; ++step) {
      vec.Step(actions.data(), obs.data(), rewards.data(), terminated.data(), truncated.data(),
               finals.data(), dropped.data());
      const bool fault = step % 5 == 0, nan = !fault && step % 7 == 0;
      faults += fault;
      nans += nan;
      for (int e = 0; e < 3; ++e) {
        EXPECT_EQ(dropped[e], fault || nan ? 1 : 0) << "step " << step;
        EXPECT_EQ(terminated[e] + truncated[e], 0);
        if (fault || nan) {
          EXPECT_EQ(rewards[e], 0.0f);
          EXPECT_EQ(obs[2 * e], -1.0f);  // the reset observation
          EXPECT_EQ(obs[2 * e + 1], static_cast<float>(2 + faults + nans - 1));
        } else {
          EXPECT_EQ(rewards[e], 1.0f);
          EXPECT_EQ(obs[2 * e], static_cast<float>(step));
        }
      }
    }
    for (float f : finals) EXPECT_EQ(f, 123.0f);  // no episode ended
    const EnvFaultCounters c = vec.fault_counters();
    EXPECT_EQ(c.env_errors, 3 * faults);
    EXPECT_EQ(c.nonfinite_observations, 3 * nans);
    EXPECT_EQ(c.dropped_episodes, 3 * (faults + nans));
    EXPECT_EQ(c.worker_restarts, 0);

    // Without a `dropped` buffer a fault is the caller's: EnvFault (step 40 is the next one).
    for (int step = 36; step < 40; ++step) {
      vec.Step(actions.data(), obs.data(), rewards.data(), terminated.data(), truncated.data(),
               finals.data());
    }
    EXPECT_THROW(vec.Step(actions.data(), obs.data(), rewards.data(), terminated.data(),
                          truncated.data(), finals.data()),
                 EnvFault);
  }
}

TEST(VectorEnvTest, ValidateNamesTheBadField) {
  auto message = [](const VectorEnvOptions& options) -> std::string {
    try {
      NativeVectorEnv vec(options);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "no exception";
  };
  EXPECT_NE(message({"CartPole-v1", 0, 0, 1, {}}).find("num_envs"), std::string::npos);
  EXPECT_NE(message({"CartPole-v1", 2, 0, 0, {}}).find("num_threads"), std::string::npos);
  EXPECT_NE(message({"", 2, 0, 1, {}}).find("env_id"), std::string::npos);
  EXPECT_NE(message({"Nope-v0", 2, 0, 1, {}}).find("unknown environment 'Nope-v0'"),
            std::string::npos);
}

}  // namespace
}  // namespace rlfleet
