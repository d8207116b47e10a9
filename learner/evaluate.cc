#include "learner/evaluate.h"

#include <cmath>
#include <filesystem>
#include <memory>
#include <stdexcept>

#include "algorithms/registry.h"
#include "config/config_io.h"
#include "core/random.h"
#include "learner/learner.h"
#include "learner/play_episode.h"
#include "learner/policy_checkpoint.h"
#include "pyenv/env_factory.h"
#include "render/strip_recorder.h"
#include "render/video_recorder.h"

namespace rlfleet {

void EvaluateOptions::Validate() const {
  if (run_dir.empty()) throw std::invalid_argument("evaluate: run_dir is empty");
  if (episodes <= 0) throw std::invalid_argument("evaluate: episodes must be > 0");
  if (!video_path.empty()) video_options().Validate();
  if (!strip_path.empty()) strip_options().Validate();
  if (strip_steps < 0) throw std::invalid_argument("evaluate: strip_steps must be >= 0");
}

RenderOptions EvaluateOptions::video_options() const {
  RenderOptions render;
  render.width = video_width;
  render.height = video_height;
  return render;
}

FrameStripOptions EvaluateOptions::strip_options() const {
  FrameStripOptions strip;
  strip.frames = strip_frames;
  strip.width = strip_width;
  strip.height = strip_height;
  return strip;
}

EvaluateResult EvaluateCheckpoint(const EvaluateOptions& options) {
  options.Validate();
  PolicyCheckpoint loaded = LoadPolicyCheckpoint(options.run_dir, options.checkpoint);
  EvaluateResult result;
  result.checkpoint = loaded.path;
  Env* env = loaded.env.get();
  // The algorithm's own evaluation policy on the CPU: greedy is the argmax / the mean action,
  // stochastic the algorithm's sampled (or ε = 0.01 greedy) policy.
  LearnerAlgorithm* algorithm = loaded.algorithm.get();

  Rng rng(DeriveSeed(options.seed, "eval_actions", 0));
  std::unique_ptr<VideoRecorder> video;
  if (!options.video_path.empty()) {
    video = std::make_unique<VideoRecorder>(*env, options.video_path, options.video_options());
  }
  // Made before any episode, so that an env that cannot be drawn fails at once.
  std::unique_ptr<StripRecorder> strip;
  if (!options.strip_path.empty()) {
    strip = std::make_unique<StripRecorder>(*env, options.strip_options());
  }
  for (int32_t episode = 0; episode < options.episodes; ++episode) {
    env->Seed(options.seed + static_cast<uint64_t>(episode));
    const EpisodeOutcome outcome = PlayEpisode(*algorithm, *env, options.greedy, rng, video.get());
    result.steps += outcome.steps;
    result.returns.push_back(outcome.episode_return);
    if (episode == 0 && strip) {
      // The first episode again, from the same env seed and action stream, now that its length
      // is known: the strip draws only the frames it keeps. `rng` goes on untouched.
      strip->Expect(outcome.steps + 1, options.strip_steps > 0 ? options.strip_steps + 1 : 0);
      Rng replay(DeriveSeed(options.seed, "eval_actions", 0));
      env->Seed(options.seed);
      result.strip_steps = PlayEpisode(*algorithm, *env, options.greedy, replay, strip.get()).steps;
      strip->WritePng(options.strip_path);
    }
  }
  if (video) {
    video->Finish();
    result.video_frames = video->frames();
  }
  double sum = 0.0;
  for (double r : result.returns) sum += r;
  result.mean = sum / static_cast<double>(result.returns.size());
  double squares = 0.0;
  for (double r : result.returns) squares += (r - result.mean) * (r - result.mean);
  result.stddev = std::sqrt(squares / static_cast<double>(result.returns.size()));
  return result;
}

}  // namespace rlfleet
