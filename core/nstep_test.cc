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
void Push(NStepBuilder* b, float x, float a, float r, bool term, bool trunc, float next,
          std::vector<Transition>* out) {
  b->Push(&x, a, r, term, trunc, &next, out);
}

void ExpectTransition(const Transition& t, float x, float a, float reward, float discount,
                      float next, int32_t steps) {
  ASSERT_EQ(t.observation.size(), 1u);
  ASSERT_EQ(t.next_observation.size(), 1u);
  EXPECT_FLOAT_EQ(t.observation[0], x);
  EXPECT_FLOAT_EQ(t.action, a);
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
    x.action = e.actions[t];
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
          builder.Push(e.observations[t].data(), e.actions[t], e.rewards[t], term, trunc,
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

std::vector<Transition> SomeTransitions(int count, int d) {
  Rng rng(7);
  std::vector<Transition> v(count);
  for (auto& t : v) {
    t.observation.resize(d);
    t.next_observation.resize(d);
    for (auto& x : t.observation) x = static_cast<float>(rng.Normal());
    for (auto& x : t.next_observation) x = static_cast<float>(rng.Normal());
    t.action = static_cast<float>(rng.UniformInt(5));
    t.reward = static_cast<float>(rng.Normal());
    t.discount = static_cast<float>(rng.Uniform01());
    t.steps = 1 + static_cast<int32_t>(rng.UniformInt(3));
  }
  return v;
}

TEST(TransitionEncodingTest, RoundTrip) {
  for (int count : {0, 1, 17}) {
    const auto v = SomeTransitions(count, 4);
    const std::string bytes = EncodeTransitions(v);
    EXPECT_EQ(bytes.size(), 9u + count * (16u + 8u * 4u));
    const auto back = DecodeTransitions(bytes.data(), bytes.size());
    ASSERT_EQ(back.size(), v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      EXPECT_EQ(back[i].observation, v[i].observation);
      EXPECT_EQ(back[i].next_observation, v[i].next_observation);
      EXPECT_EQ(back[i].action, v[i].action);
      EXPECT_EQ(back[i].reward, v[i].reward);
      EXPECT_EQ(back[i].discount, v[i].discount);
      EXPECT_EQ(back[i].steps, v[i].steps);
    }
  }
  // One CartPole transition (D = 4) is a 57-byte item.
  const auto one = SomeTransitions(1, 4);
  EXPECT_EQ(EncodeTransitions(one).size(), 57u);
}

TEST(TransitionEncodingTest, RejectsInconsistentInput) {
  auto v = SomeTransitions(2, 3);
  v[1].next_observation.pop_back();
  EXPECT_THROW(EncodeTransitions(v), std::invalid_argument);
  auto w = SomeTransitions(1, 3);
  w[0].observation.clear();
  w[0].next_observation.clear();
  EXPECT_THROW(EncodeTransitions(w), std::invalid_argument);
}

TEST(TransitionEncodingTest, RejectsGarbage) {
  const std::string good = EncodeTransitions(SomeTransitions(3, 2));
  auto decode = [](const std::string& s) { return DecodeTransitions(s.data(), s.size()); };
  EXPECT_THROW(DecodeTransitions(nullptr, 0), std::invalid_argument);
  EXPECT_THROW(decode(good.substr(0, 5)), std::invalid_argument);                // short header
  EXPECT_THROW(decode(good.substr(0, good.size() - 1)), std::invalid_argument);  // truncated
  EXPECT_THROW(decode(good + "x"), std::invalid_argument);                       // extra byte
  std::string bad_version = good;
  bad_version[0] = 2;
  EXPECT_THROW(decode(bad_version), std::invalid_argument);
  std::string huge_count = good;
  huge_count[1] = huge_count[2] = huge_count[3] = huge_count[4] = '\xff';
  EXPECT_THROW(decode(huge_count), std::invalid_argument);
  std::string zero_steps = good;
  zero_steps[9 + 12] = zero_steps[9 + 13] = zero_steps[9 + 14] = zero_steps[9 + 15] = 0;
  EXPECT_THROW(decode(zero_steps), std::invalid_argument);
  std::string nan_discount = good;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(&nan_discount[9 + 8], &nan, 4);
  EXPECT_THROW(decode(nan_discount), std::invalid_argument);
  // Random bytes either decode or throw std::invalid_argument; never anything else.
  Rng rng(3);
  for (int trial = 0; trial < 2000; ++trial) {
    std::string s(rng.UniformInt(80), '\0');
    for (auto& c : s) c = static_cast<char>(rng.UniformInt(256));
    if (!s.empty() && trial % 2 == 0) s[0] = 1;
    try {
      decode(s);
    } catch (const std::invalid_argument&) {
    }
  }
}

}  // namespace
}  // namespace rlfleet
