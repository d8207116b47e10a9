#ifndef RLFLEET_LEARNER_PLAY_EPISODE_H_
#define RLFLEET_LEARNER_PLAY_EPISODE_H_

// One episode of an env with an algorithm's evaluation policy: the learner's periodic
// evaluations and training videos, and `rlfleet eval` (with or without --video), all play their
// episodes here.

#include <cstdint>

#include "algorithms/algorithm.h"
#include "core/random.h"
#include "envs/env.h"

namespace rlfleet {

class FrameCapture;

struct EpisodeOutcome {
  double episode_return = 0.0;  // the sum of the rewards
  int64_t steps = 0;            // env steps, the last one (terminated or truncated) included
};

// Resets `env` (seed it first), then steps it with algorithm.EvalActions(greedy, rng) until
// the episode terminates or is truncated (the env's time limit). With `frames` (a VideoRecorder,
// a StripRecorder: render/), captures one frame after the reset and one after each step
// (steps + 1 frames). Throws EnvFault when an
// observation or reward is not finite, and whatever the env or the recorder throws. Blocks for
// the whole episode on the calling thread.
EpisodeOutcome PlayEpisode(LearnerAlgorithm& algorithm, Env& env, bool greedy, Rng& rng,
                           FrameCapture* frames = nullptr);

}  // namespace rlfleet

#endif  // RLFLEET_LEARNER_PLAY_EPISODE_H_
