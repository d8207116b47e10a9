#ifndef RLFLEET_LEARNER_EVALUATE_H_
#define RLFLEET_LEARNER_EVALUATE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "render/frame_strip.h"
#include "render/renderer.h"

namespace rlfleet {

struct EvaluateOptions {
  std::string run_dir;  // a run directory with config.yaml and checkpoints/
  // "": the newest checkpoint; a name (ckpt-<updates>) or a checkpoint directory.
  std::string checkpoint;
  int32_t episodes = 10;
  uint64_t seed = 12345;  // env i is seeded with seed + i
  bool greedy = true;     // argmax / mean action; false samples from the policy
  // Non-empty: every episode is also filmed into this H.264 MP4 (render/video_recorder.h):
  // one frame after each reset and after each step. 0 × 0: the task's default frame size.
  std::string video_path;
  int32_t video_width = 0;
  int32_t video_height = 0;
  // Non-empty: a PNG of the first episode (seeded with `seed`), strip_frames frames of it side
  // by side (render/frame_strip.h), each strip_width × strip_height pixels (0: 160 high, the
  // task's aspect ratio). The episode is played once more to draw it (render/strip_recorder.h):
  // `returns` are those of the episodes without it.
  // strip_steps > 0: the frames are spread over the first strip_steps steps of the episode
  // instead of all of it (e.g. the part of a HalfCheetah run on the floor).
  std::string strip_path;
  int32_t strip_frames = 6;
  int32_t strip_width = 0;
  int32_t strip_height = 0;
  int64_t strip_steps = 0;
  // What the fields above say, as the renderers take it.
  RenderOptions video_options() const;
  FrameStripOptions strip_options() const;
  void Validate() const;
};

struct EvaluateResult {
  std::string checkpoint;
  std::vector<double> returns;
  double mean = 0.0;
  double stddev = 0.0;       // population standard deviation
  int64_t steps = 0;         // env steps over all episodes
  int64_t video_frames = 0;  // frames written to video_path: steps + one per episode
  int64_t strip_steps = 0;   // steps of the episode in strip_path
};

// Runs the checkpoint (the newest by default) of a run for `episodes` full episodes (time limit
// included), loaded by LoadPolicyCheckpoint. Throws std::runtime_error when the run has no
// checkpoint or it is damaged (naming the file), or when a video or strip cannot be made (the
// env cannot be drawn, no GL context, no encoder: naming what is missing).
EvaluateResult EvaluateCheckpoint(const EvaluateOptions& options);

}  // namespace rlfleet

#endif  // RLFLEET_LEARNER_EVALUATE_H_
