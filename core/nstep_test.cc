#include "core/nstep.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/random.h"

namespace rlfleet {
namespace {

// Pushes one step with a 1-float observation.
// The action's float is also used as the step's policy version, so that the test sees which
// step each transition started from.
void Push(NStepBuilder* b, float x, float a, float r, bool term, bool trunc, float next,
          std::vector<Transition>* out) {
  b->Push(&x, &a, static_cast<int64_t>(a) + 100, r, term, trunc, &next, out);
}

void ExpectTransition(const Transition& t, float x, float a, float reward, float discount,
                      float next, int32_t steps) {
  ASSERT_EQ(t.observation.size(), 1u);
  ASSERT_EQ(t.next_observation.size(), 1u);
  EXPECT_FLOAT_EQ(t.observation[0], x);
  ASSERT_EQ(t.action.size(), 1u);
  EXPECT_FLOAT_EQ(t.action[0], a);
  EXPECT_EQ(t.policy_version, static_cast<int64_t>(a) + 100);
  EXPECT_EQ(t.terminated, discount == 0.0f);
  EXPECT_NO_THROW(t.Validate());
  EXPECT_FLOAT_EQ(t.reward, reward);
  EXPECT_FLOAT_EQ(t.discount, discount);
  EXPECT_FLOAT_EQ(t.next_observation[0], next);
  EXPECT_EQ(t.steps, steps);
}

TEST(NStepBuilderTest, FullReturnsThenTerminationWithinN) {
  NStepBuilder b(3, 0.5, 1);
  std::vector<Transition> out;
  Push(&b, 0, 0, 1, false, false, 1, &out);
  Push(&b, 1, 1, 2, false, false, 2, &out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(b.pending(), 2);
  Push(&b, 2, 0, 4, false, false, 3, &out);
  ASSERT_EQ(out.size(), 1u);
  ExpectTransition(out[0], 0, 0, 1 + 0.5f * 2 + 0.25f * 4, 0.125f, 3, 3);
  // Step 3 terminates (final observation 99): every pending step is flushed with discount 0.
  out.clear();
  Push(&b, 3, 1, 8, /*term=*/true, false, 99, &out);
  ASSERT_EQ(out.size(), 3u);
  ExpectTransition(out[0], 1, 1, 2 + 0.5f * 4 + 0.25f * 8, 0.0f, 99, 3);
  ExpectTransition(out[1], 2, 0, 4 + 0.5f * 8, 0.0f, 99, 2);
  ExpectTransition(out[2], 3, 1, 8, 0.0f, 99, 1);
  EXPECT_EQ(b.pending(), 0);
}

TEST(NStepBuilderTest, TruncationWithinNBootstrapsFromFinalObservation) {
  NStepBuilder b(3, 0.5, 1);
  std::vector<Transition> out;
  Push(&b, 0, 0, 1, false, false, 1, &out);
  Push(&b, 1, 1, 2, false, false, 2, &out);
  Push(&b, 2, 0, 4, false, false, 3, &out);
  out.clear();
  Push(&b, 3, 1, 8, false, /*trunc=*/true, 99, &out);
  ASSERT_EQ(out.size(), 3u);
  ExpectTransition(out[0], 1, 1, 2 + 0.5f * 4 + 0.25f * 8, 0.125f, 99, 3);
  ExpectTransition(out[1], 2, 0, 4 + 0.5f * 8, 0.25f, 99, 2);
  ExpectTransition(out[2], 3, 1, 8, 0.5f, 99, 1);
  for (const Transition& t : out) EXPECT_TRUE(t.truncated);
}

TEST(NStepBuilderTest, CarriesActionVectorsAndMarksOnlyEndedTransitions) {
  NStepBuilder b(2, 0.5, 1, /*action_size=*/3);
  std::vector<Transition> out;
  const float x0 = 0, x1 = 1, x2 = 2;
  const float a0[3] = {0.5f, -1.0f, 2.0f}, a1[3] = {7.0f, 8.0f, 9.0f};
  b.Push(&x0, a0, 4, 1.0f, false, false, &x1, &out);
  b.Push(&x1, a1, 5, 1.0f, false, false, &x2, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].action, std::vector<float>(a0, a0 + 3));
  EXPECT_EQ(out[0].policy_version, 4);
  EXPECT_FALSE(out[0].terminated);
  EXPECT_FALSE(out[0].truncated);
  b.Push(&x2, a0, 6, 1.0f, false, /*truncated=*/true, &x0, &out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[1].action, std::vector<float>(a1, a1 + 3));
  EXPECT_EQ(out[1].policy_version, 5);
  EXPECT_TRUE(out[1].truncated);
  EXPECT_TRUE(out[2].truncated);
  EXPECT_FLOAT_EQ(out[2].discount, 0.5f);
  EXPECT_THROW(NStepBuilder(2, 0.5, 1, 0), std::invalid_argument);
}

TEST(NStepBuilderTest, TerminatedAndTruncatedCountsAsTerminated) {
  NStepBuilder b(2, 0.9, 1);
  std::vector<Transition> out;
  Push(&b, 0, 0, 1, true, true, 5, &out);
  ASSERT_EQ(out.size(), 1u);
  ExpectTransition(out[0], 0, 0, 1, 0.0f, 5, 1);
}

TEST(NStepBuilderTest, EpisodeShorterThanNThenConsecutiveEpisode) {
  NStepBuilder b(3, 0.5, 1);
  std::vector<Transition> out;
  Push(&b, 0, 2, 1, false, false, 1, &out);
  Push(&b, 1, 0, 2, /*term=*/true, false, 7, &out);
  ASSERT_EQ(out.size(), 2u);
  ExpectTransition(out[0], 0, 2, 1 + 0.5f * 2, 0.0f, 7, 2);
  ExpectTransition(out[1], 1, 0, 2, 0.0f, 7, 1);
  // The next episode starts from scratch: nothing of the old one leaks in.
  out.clear();
  Push(&b, 10, 1, 1, false, false, 11, &out);
  Push(&b, 11, 1, 1, false, false, 12, &out);
  EXPECT_TRUE(out.empty());
  Push(&b, 12, 1, 1, false, false, 13, &out);
  ASSERT_EQ(out.size(), 1u);
  ExpectTransition(out[0], 10, 1, 1.75f, 0.125f, 13, 3);
  // A one-step truncated episode right after.
  out.clear();
  Push(&b, 13, 0, 3, false, true, 50, &out);
  ASSERT_EQ(out.size(), 3u);
  ExpectTransition(out[0], 11, 1, 1 + 0.5f + 0.25f * 3, 0.125f, 50, 3);
  ExpectTransition(out[1], 12, 1, 1 + 0.5f * 3, 0.25f, 50, 2);
  ExpectTransition(out[2], 13, 0, 3, 0.5f, 50, 1);
}

TEST(NStepBuilderTest, OneStepIsTheOrdinaryTransition) {
  NStepBuilder b(1, 0.99, 1);
  std::vector<Transition> out;
  Push(&b, 0, 1, 2, false, false, 1, &out);
  ASSERT_EQ(out.size(), 1u);
  ExpectTransition(out[0], 0, 1, 2, 0.99f, 1, 1);
  Push(&b, 1, 0, 3, true, false, 4, &out);
  ASSERT_EQ(out.size(), 2u);
  ExpectTransition(out[1], 1, 0, 3, 0.0f, 4, 1);
}

TEST(NStepBuilderTest, ClearDropsPendingSteps) {
  NStepBuilder b(3, 0.5, 1);
  std::vector<Transition> out;
  Push(&b, 0, 0, 1, false, false, 1, &out);
  Push(&b, 1, 0, 1, false, false, 2, &out);
  b.Clear();
  EXPECT_EQ(b.pending(), 0);
  Push(&b, 5, 0, 1, false, false, 6, &out);
  Push(&b, 6, 0, 1, false, false, 7, &out);
  Push(&b, 7, 0, 1, false, false, 8, &out);
  ASSERT_EQ(out.size(), 1u);
  ExpectTransition(out[0], 5, 0, 1.75f, 0.125f, 8, 3);
}

TEST(NStepBuilderTest, RejectsBadOptions) {
  EXPECT_THROW(NStepBuilder(0, 0.9, 1), std::invalid_argument);
  EXPECT_THROW(NStepBuilder(3, 1.5, 1), std::invalid_argument);
  EXPECT_THROW(NStepBuilder(3, std::nan(""), 1), std::invalid_argument);
  EXPECT_THROW(NStepBuilder(3, 0.9, 0), std::invalid_argument);
}

// A recorded episode: per-step observation, action, reward; how it ended; its final obs.
struct Episode {
  std::vector<std::vector<float>> observations;  // L + 1 rows; row L is the final observation
  std::vector<float> actions, rewards;
  bool terminated = false, truncated = false;  // both false: the stream stopped mid-episode
};

// Naive reference: every transition recomputed from the whole episode.
std::vector<Transition> Reference(const Episode& e, int n, double gamma) {
  std::vector<Transition> out;
  const int L = static_cast<int>(e.rewards.size());
  const bool ended = e.terminated || e.truncated;
  for (int t = 0; t < L; ++t) {
    const int k = std::min(n, L - t);
    const bool reaches_end = t + k == L;
    if (reaches_end && !ended && k < n) continue;  // still pending when the stream stops
    Transition x;
    x.observation = e.observations[t];
    x.action = {e.actions[t]};
    double r = 0.0;
    for (int j = 0; j < k; ++j) r += std::pow(gamma, j) * e.rewards[t + j];
    x.reward = static_cast<float>(r);
    x.discount = reaches_end && e.terminated ? 0.0f : static_cast<float>(std::pow(gamma, k));
    x.next_observation = e.observations[t + k];
    x.steps = k;
    out.push_back(x);
  }
  return out;
}

TEST(NStepBuilderTest, MatchesNaiveReferenceOnRandomEpisodes) {
  const int D = 3;
  for (int n : {1, 2, 3, 5}) {
    for (double gamma : {0.0, 0.9, 1.0}) {
      Rng rng(static_cast<uint64_t>(n * 100 + gamma * 10));
      NStepBuilder builder(n, gamma, D);
      std::vector<Transition> got, expected;
      auto random_obs = [&] {
        std::vector<float> v(D);
        for (auto& x : v) x = static_cast<float>(rng.Normal());
        return v;
      };
      for (int episode = 0; episode < 40; ++episode) {
        Episode e;
        e.observations.push_back(random_obs());
        const bool last = episode == 39;
        for (int t = 0; t < 200; ++t) {
          const double u = rng.Uniform01();
          const bool term = !last && u < 0.12;
          const bool trunc = !last && u >= 0.12 && u < 0.2;
          e.actions.push_back(static_cast<float>(rng.UniformInt(4)));
          e.rewards.push_back(static_cast<float>(rng.Normal()));
          e.observations.push_back(random_obs());
          builder.Push(e.observations[t].data(), &e.actions[t], 0, e.rewards[t], term, trunc,
                       e.observations[t + 1].data(), &got);
          if (term || trunc) {
            e.terminated = term;
            e.truncated = trunc;
            break;
          }
          if (last && t == 6) break;  // the stream stops mid-episode
        }
        const auto ref = Reference(e, n, gamma);
        expected.insert(expected.end(), ref.begin(), ref.end());
      }
      ASSERT_EQ(got.size(), expected.size()) << "n=" << n << " gamma=" << gamma;
      for (size_t i = 0; i < got.size(); ++i) {
        SCOPED_TRACE("n=" + std::to_string(n) + " gamma=" + std::to_string(gamma) + " transition " +
                     std::to_string(i));
        EXPECT_EQ(got[i].observation, expected[i].observation);
        EXPECT_EQ(got[i].action, expected[i].action);
        EXPECT_NEAR(got[i].reward, expected[i].reward, 1e-5);
        EXPECT_FLOAT_EQ(got[i].discount, expected[i].discount);
        EXPECT_EQ(got[i].next_observation, expected[i].next_observation);
        EXPECT_EQ(got[i].steps, expected[i].steps);
      }
    }
  }
}

// Two envs stepped together: env 1's episode ends at the second step, so its transition
// bootstraps from the final observation, not from the reset one in next_observations.
TEST(VectorNStepBuilderTest, FeedsOneBuilderPerEnvAndHandsOutOldestFirst) {
  VectorNStepBuilder builder(2, 1, 0.5, 1, 1);
  const float obs0[2] = {0, 10}, next0[2] = {1, 11}, actions[2] = {0, 1}, rewards[2] = {1, 2};
  const uint8_t none[2] = {0, 0}, ended[2] = {0, 1};
  const float final_obs[2] = {-1, 99};
  builder.Push(obs0, actions, 7, rewards, none, none, next0, final_obs);
  const float next1[2] = {2, 50};  // env 1 was reset to 50
  builder.Push(next0, actions, 8, rewards, ended, none, next1, final_obs);
  EXPECT_EQ(builder.ready(), 4u);
  std::vector<Transition> out;
  builder.Take(3, &out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(builder.ready(), 1u);
  EXPECT_EQ(out[0].observation, std::vector<float>{0});
  EXPECT_EQ(out[1].observation, std::vector<float>{10});
  EXPECT_EQ(out[1].action, std::vector<float>{1});
  EXPECT_EQ(out[2].observation, std::vector<float>{1});
  EXPECT_EQ(out[2].policy_version, 8);
  builder.Take(10, &out);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[3].observation, std::vector<float>{11});
  EXPECT_EQ(out[3].next_observation, std::vector<float>{99});  // the final one
  EXPECT_TRUE(out[3].terminated);
  EXPECT_FLOAT_EQ(out[3].discount, 0.0f);
  EXPECT_FLOAT_EQ(out[2].discount, 0.5f);
  EXPECT_THROW(VectorNStepBuilder(0, 1, 0.5, 1, 1), std::invalid_argument);
}

// A dropped step (an env fault) clears that env's window: nothing spans it, the other env goes
// on, and the env's next steps start a new window.
TEST(VectorNStepBuilderTest, DroppedStepClearsOnlyThatEnvsWindow) {
  VectorNStepBuilder builder(2, 2, 0.5, 1, 1);
  const float actions[2] = {0, 1}, rewards[2] = {1, 2}, finals[2] = {0, 0};
  const uint8_t none[2] = {0, 0}, env1_dropped[2] = {0, 1};
  const float x0[2] = {0, 10}, x1[2] = {1, 11}, x2[2] = {2, 50}, x3[2] = {3, 51}, x4[2] = {4, 52};
  builder.Push(x0, actions, 1, rewards, none, none, x1, finals);  // windows [0] and [10]
  EXPECT_EQ(builder.ready(), 0u);
  builder.Push(x1, actions, 1, rewards, none, none, x2, finals, env1_dropped);  // env 1 fails
  // Env 0 completes its 2-step transition from x0; env 1's pending step from 10 is gone.
  ASSERT_EQ(builder.ready(), 1u);
  builder.Push(x2, actions, 1, rewards, none, none, x3, finals, none);
  builder.Push(x3, actions, 1, rewards, none, none, x4, finals, nullptr);
  std::vector<Transition> out;
  builder.Take(10, &out);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].observation, std::vector<float>{0});
  EXPECT_EQ(out[1].observation, std::vector<float>{1});
  EXPECT_EQ(out[2].observation, std::vector<float>{2});
  EXPECT_EQ(out[3].observation, std::vector<float>{50});  // env 1's new window, after the fault
  EXPECT_EQ(out[3].next_observation, std::vector<float>{52});
  EXPECT_FLOAT_EQ(out[3].reward, 2.0f + 0.5f * 2.0f);
  for (const Transition& t : out) {
    EXPECT_NE(t.observation, std::vector<float>{10});
    EXPECT_NE(t.observation, std::vector<float>{11});
  }
}

TEST(TransitionTest, ValidateNamesTheInconsistency) {
  Transition t;
  t.observation = {1, 2};
  t.next_observation = {3, 4};
  t.action = {0};
  t.steps = 1;
  t.discount = 0.9f;
  EXPECT_NO_THROW(t.Validate());
  auto expect_invalid = [](Transition bad, const std::string& needle) {
    try {
      bad.Validate();
      ADD_FAILURE() << "expected an error naming " << needle;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  Transition bad = t;
  bad.next_observation.pop_back();
  expect_invalid(bad, "observation sizes");
  bad = t;
  bad.action.clear();
  expect_invalid(bad, "empty action");
  bad = t;
  bad.steps = 0;
  expect_invalid(bad, "steps");
  bad = t;
  bad.discount = std::numeric_limits<float>::quiet_NaN();
  expect_invalid(bad, "discount");
  bad = t;
  bad.terminated = true;
  expect_invalid(bad, "non-zero discount");
  bad.discount = 0.0f;
  bad.truncated = true;
  expect_invalid(bad, "both");
}

}  // namespace
}  // namespace rlfleet
