#include "render/frame_strip.h"

#include <cairo/cairo.h>

#include <cstring>
#include <memory>
#include <stdexcept>

namespace rlfleet {
namespace {

struct SurfaceDeleter {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};

constexpr uint32_t kSeparatorColour = 0x404040;  // xRGB

}  // namespace

void FrameStripOptions::Validate() const {
  if (frames < 2 || frames > 64) {
    throw std::invalid_argument("frame strip: frames must be in [2, 64], not " +
                                std::to_string(frames));
  }
  const auto check = [](int32_t size, const char* name) {
    if (size < 0 || size > 4096 || size % 2 != 0) {
      throw std::invalid_argument(std::string("frame strip: ") + name +
                                  " must be 0 (the default) or even in [2, 4096], not " +
                                  std::to_string(size));
    }
  };
  check(width, "width");
  check(height, "height");
  if (separator < 0 || separator > 16) {
    throw std::invalid_argument("frame strip: separator must be in [0, 16], not " +
                                std::to_string(separator));
  }
}

std::vector<int64_t> PickStripFrames(int64_t episode_frames, int32_t count) {
  if (episode_frames < 1) {
    throw std::invalid_argument("frame strip: an episode has at least 1 frame, not " +
                                std::to_string(episode_frames));
  }
  if (count < 2) {
    throw std::invalid_argument("frame strip: frames must be >= 2, not " + std::to_string(count));
  }
  std::vector<int64_t> picked;
  const int64_t last = episode_frames - 1, intervals = count - 1;
  for (int64_t i = 0; i < count; ++i) picked.push_back((i * last + intervals / 2) / intervals);
  return picked;
}

FrameStrip::FrameStrip(const FrameStripOptions& options) : options_(options) {
  options_.Validate();
  if (options_.width == 0 || options_.height == 0) {
    throw std::invalid_argument("frame strip: width and height must be set (not 0)");
  }
  tiles_.reserve(options_.frames);
}

void FrameStrip::Add(const uint8_t* rgb) {
  if (full()) {
    throw std::logic_error("frame strip: all " + std::to_string(options_.frames) +
                           " frames are already added");
  }
  const size_t size = static_cast<size_t>(options_.width) * options_.height * 3;
  tiles_.emplace_back(rgb, rgb + size);
}

int32_t FrameStrip::strip_width() const {
  return options_.frames * options_.width + (options_.frames - 1) * options_.separator;
}

void FrameStrip::WritePng(const std::string& path) const {
  if (!full()) {
    throw std::logic_error("frame strip: " + std::to_string(added()) + " of " +
                           std::to_string(options_.frames) + " frames added");
  }
  const int32_t width = strip_width(), height = strip_height();
  const int stride = cairo_format_stride_for_width(CAIRO_FORMAT_RGB24, width);
  // Native-endian xRGB words, as CAIRO_FORMAT_RGB24 stores them; freed after the surface.
  std::vector<uint8_t> pixels(static_cast<size_t>(stride) * height);
  for (int32_t y = 0; y < height; ++y) {
    uint32_t* row = reinterpret_cast<uint32_t*>(pixels.data() + static_cast<size_t>(stride) * y);
    for (int32_t x = 0; x < width; ++x) row[x] = kSeparatorColour;
  }
  for (size_t t = 0; t < tiles_.size(); ++t) {
    const int32_t left = static_cast<int32_t>(t) * (options_.width + options_.separator);
    const uint8_t* tile = tiles_[t].data();
    for (int32_t y = 0; y < height; ++y) {
      uint32_t* row =
          reinterpret_cast<uint32_t*>(pixels.data() + static_cast<size_t>(stride) * y) + left;
      const uint8_t* in = tile + static_cast<size_t>(options_.width) * 3 * y;
      for (int32_t x = 0; x < options_.width; ++x) {
        row[x] = (uint32_t{in[3 * x]} << 16) | (uint32_t{in[3 * x + 1]} << 8) | in[3 * x + 2];
      }
    }
  }
  const std::unique_ptr<cairo_surface_t, SurfaceDeleter> surface(
      cairo_image_surface_create_for_data(pixels.data(), CAIRO_FORMAT_RGB24, width, height,
                                          stride));
  cairo_status_t status = cairo_surface_status(surface.get());
  if (status == CAIRO_STATUS_SUCCESS) {
    cairo_surface_mark_dirty(surface.get());
    status = cairo_surface_write_to_png(surface.get(), path.c_str());
  }
  if (status != CAIRO_STATUS_SUCCESS) {
    throw std::runtime_error("cannot write the frame strip " + path + ": " +
                             cairo_status_to_string(status));
  }
}

}  // namespace rlfleet
