#include "learner/play_episode.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "render/renderer.h"

namespace rlfleet {
namespace {

bool AllFinite(const std::vector<float>& values) {
  return std::all_of(values.begin(), values.end(), [](float x) { return std::isfinite(x); });
}

}  // namespace

EpisodeOutcome PlayEpisode(const EpisodePolicy& policy, Env& env, FrameCapture* frames) {
  const EnvSpec& spec = env.spec();
  std::vector<float> observation(spec.observation_size), action(spec.action_size);
  EpisodeOutcome outcome;
  env.Reset(observation.data());
  if (!AllFinite(observation)) throw EnvFault("a non-finite value in the first observation");
  if (frames != nullptr) frames->Capture();
  while (true) {
    policy(observation.data(), action.data());
    const StepResult step = env.Step(action.data(), observation.data());
    ++outcome.steps;
    if (!AllFinite(observation) || !std::isfinite(step.reward)) {
      throw EnvFault("a non-finite value in an observation or reward at step " +
                     std::to_string(outcome.steps));
    }
    if (frames != nullptr) frames->Capture();
    outcome.episode_return += step.reward;
    if (step.terminated || step.truncated) return outcome;
  }
}

EpisodeOutcome PlayEpisode(LearnerAlgorithm& algorithm, Env& env, bool greedy, Rng& rng,
                           FrameCapture* frames) {
  return PlayEpisode(
      [&](const float* observation, float* action) {
        algorithm.EvalActions(observation, 1, greedy, rng, action);
      },
      env, frames);
}

}  // namespace rlfleet
