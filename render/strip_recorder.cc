#include "render/strip_recorder.h"

#include <algorithm>
#include <stdexcept>

namespace rlfleet {

StripRecorder::StripRecorder(Env& env, const FrameStripOptions& options) : options_(options) {
  options_.Validate();
  const FrameSize native = DefaultFrameSize(env);
  if (native.width == 0 || native.height == 0) {
    throw std::runtime_error("cannot render '" + env.spec().id +
                             "': only the built-in classic-control and MuJoCo environments can "
                             "be drawn (not plugin or Python environments)");
  }
  if (options_.height == 0) options_.height = kDefaultHeight;
  if (options_.width == 0) {
    // The task's aspect ratio at this height, to the nearest even width.
    const int64_t pairs =
        (int64_t{options_.height} * native.width + native.height) / (2 * int64_t{native.height});
    options_.width = static_cast<int32_t>(std::min<int64_t>(std::max<int64_t>(pairs, 1), 2048) * 2);
  }
  RenderOptions render;
  render.width = options_.width;
  render.height = options_.height;
  renderer_ = MakeRenderer(env, render);
  if (renderer_ == nullptr) {
    throw std::runtime_error("cannot render '" + env.spec().id + "'");
  }
  frame_.resize(static_cast<size_t>(options_.width) * options_.height * 3);
}

void StripRecorder::Expect(int64_t episode_frames, int64_t span_frames) {
  const int64_t span =
      span_frames > 0 && span_frames < episode_frames ? span_frames : episode_frames;
  picked_ = PickStripFrames(span, options_.frames);
  expected_ = episode_frames;
  captured_ = 0;
  rendered_ = 0;
  next_ = 0;
  strip_ = std::make_unique<FrameStrip>(options_);
}

void StripRecorder::Capture() {
  if (expected_ < 0) throw std::logic_error("StripRecorder: Capture before Expect");
  const int64_t index = captured_++;
  bool drawn = false;
  while (next_ < picked_.size() && picked_[next_] == index) {
    if (!drawn) {
      renderer_->Render(frame_.data());
      ++rendered_;
      drawn = true;
    }
    strip_->Add(frame_.data());
    ++next_;
  }
}

void StripRecorder::WritePng(const std::string& path) const {
  if (expected_ < 0 || captured_ != expected_) {
    throw std::runtime_error("frame strip: the episode was " + std::to_string(captured_) +
                             " frames, not the " + std::to_string(expected_) +
                             " of its first play (the episode did not repeat)");
  }
  strip_->WritePng(path);
}

}  // namespace rlfleet
