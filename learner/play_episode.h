#ifndef RLFLEET_LEARNER_PLAY_EPISODE_H_
#define RLFLEET_LEARNER_PLAY_EPISODE_H_

// One episode of an env with an algorithm's evaluation policy: the learner's periodic
// evaluations and training videos, and `rlfleet eval` (with or without --video), all play their
// episodes here.

#include <cstdint>
#include <functional>

#include "algorithms/algorithm.h"
#include "core/random.h"
#include "envs/env.h"

namespace rlfleet {

class FrameCapture;

struct EpisodeOutcome {
  double episode_return = 0.0;  // the sum of the rewards
  int64_t steps = 0;            // env steps, the last one (terminated or truncated) included
};

// A policy for one observation: reads env.spec().observation_size floats, writes
// env.spec().action_size floats (a discrete action as its index).
using EpisodePolicy = std::function<void(const float* observation, float* action)>;

// Resets `env` (seed it first), then steps it with `policy` until the episode terminates or is
// truncated (the env's time limit). With `frames` (a VideoRecorder, a StripRecorder: render/),
// captures one frame after the reset and one after each step (steps + 1 frames). Throws
// EnvFault when an observation or reward is not finite, and whatever the env, the policy or the
// recorder throws. Blocks for the whole episode on the calling thread.
EpisodeOutcome PlayEpisode(const EpisodePolicy& policy, Env& env, FrameCapture* frames = nullptr);

// The same with algorithm.EvalActions(greedy, rng) as the policy.
EpisodeOutcome PlayEpisode(LearnerAlgorithm& algorithm, Env& env, bool greedy, Rng& rng,
                           FrameCapture* frames = nullptr);

}  // namespace rlfleet

#endif  // RLFLEET_LEARNER_PLAY_EPISODE_H_
