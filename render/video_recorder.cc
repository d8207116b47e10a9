#include "render/video_recorder.h"

#include <stdexcept>

namespace rlfleet {

VideoRecorder::VideoRecorder(Env& env, const std::string& path, const RenderOptions& options)
    : renderer_(MakeRenderer(env, options)) {
  if (renderer_ == nullptr) {
    throw std::runtime_error("cannot render '" + env.spec().id +
                             "': only the built-in classic-control and MuJoCo environments can "
                             "be drawn (not plugin or Python environments)");
  }
  VideoWriterOptions video;
  video.path = path;
  video.width = renderer_->width();
  video.height = renderer_->height();
  video.fps = renderer_->fps();
  writer_ = std::make_unique<VideoWriter>(video);
  frame_.resize(static_cast<size_t>(video.width) * video.height * 3);
}

void VideoRecorder::Capture() {
  renderer_->Render(frame_.data());
  writer_->Write(frame_.data());
}

}  // namespace rlfleet
