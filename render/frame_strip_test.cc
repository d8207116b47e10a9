#include "render/frame_strip.h"

#include <cairo/cairo.h>
#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "core/file_util.h"
#include "envs/classic_control/cartpole.h"
#include "envs/registry.h"
#include "render/strip_recorder.h"

namespace rlfleet {
namespace {

using Rgb = std::array<int, 3>;

struct SurfaceDeleter {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
using Surface = std::unique_ptr<cairo_surface_t, SurfaceDeleter>;

// A PNG read back with cairo; its pixel at column x, row y (row 0 at the top).
struct Png {
  explicit Png(const std::string& path)
      : surface(cairo_image_surface_create_from_png(path.c_str())) {}
  bool ok() const { return cairo_surface_status(surface.get()) == CAIRO_STATUS_SUCCESS; }
  int width() const { return cairo_image_surface_get_width(surface.get()); }
  int height() const { return cairo_image_surface_get_height(surface.get()); }
  Rgb At(int x, int y) const {
    const uint8_t* data = cairo_image_surface_get_data(surface.get());
    const int stride = cairo_image_surface_get_stride(surface.get());
    const uint32_t pixel = reinterpret_cast<const uint32_t*>(data + stride * y)[x];
    return {static_cast<int>((pixel >> 16) & 0xff), static_cast<int>((pixel >> 8) & 0xff),
            static_cast<int>(pixel & 0xff)};
  }
  Surface surface;
};

std::vector<uint8_t> Solid(int32_t width, int32_t height, Rgb colour) {
  std::vector<uint8_t> rgb(static_cast<size_t>(width) * height * 3);
  for (size_t i = 0; i < rgb.size(); i += 3) {
    for (int c = 0; c < 3; ++c) rgb[i + c] = static_cast<uint8_t>(colour[c]);
  }
  return rgb;
}

// The message of the std::invalid_argument that `options` throws ("" when it throws none).
std::string ValidationError(const FrameStripOptions& options) {
  try {
    options.Validate();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(FrameStripTest, ComposesTheFramesLeftToRightWithSeparators) {
  FrameStripOptions options;
  options.frames = 3;
  options.width = 20;
  options.height = 10;
  options.separator = 2;
  FrameStrip strip(options);
  const std::array<Rgb, 3> colours = {Rgb{255, 0, 0}, Rgb{0, 200, 0}, Rgb{10, 20, 250}};
  for (const Rgb& colour : colours) {
    EXPECT_FALSE(strip.full());
    strip.Add(Solid(20, 10, colour).data());
  }
  EXPECT_TRUE(strip.full());
  EXPECT_EQ(strip.strip_width(), 3 * 20 + 2 * 2);
  TempDir dir("rlfleet-strip-test");
  const std::string path = dir.path() + "/strip.png";
  strip.WritePng(path);

  const Png png(path);
  ASSERT_TRUE(png.ok()) << cairo_status_to_string(cairo_surface_status(png.surface.get()));
  EXPECT_EQ(png.width(), 64);
  EXPECT_EQ(png.height(), 10);
  for (int i = 0; i < 3; ++i) {
    const int left = i * 22;
    EXPECT_EQ(png.At(left + 10, 5), colours[i]) << "tile " << i;
    EXPECT_EQ(png.At(left, 0), colours[i]) << "tile " << i;  // its corners too
    EXPECT_EQ(png.At(left + 19, 9), colours[i]) << "tile " << i;
  }
  EXPECT_EQ(png.At(20, 5), (Rgb{64, 64, 64}));  // the separators
  EXPECT_EQ(png.At(43, 0), (Rgb{64, 64, 64}));
}

TEST(FrameStripTest, PicksFramesEvenlyFromTheResetToTheLastStep) {
  // n steps are n + 1 frames; index i of 6 is round(i · n / 5), half up.
  EXPECT_EQ(PickStripFrames(1, 6), (std::vector<int64_t>{0, 0, 0, 0, 0, 0}));  // 0 steps
  // 1 step: i / 5 = 0, .2, .4, .6, .8, 1.
  EXPECT_EQ(PickStripFrames(2, 6), (std::vector<int64_t>{0, 0, 0, 1, 1, 1}));
  EXPECT_EQ(PickStripFrames(6, 6), (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));  // 5 steps
  EXPECT_EQ(PickStripFrames(1001, 6), (std::vector<int64_t>{0, 200, 400, 600, 800, 1000}));
  // 1001 steps: 1001 · i / 5 = 0, 200.2, 400.4, 600.6, 800.8, 1001.
  EXPECT_EQ(PickStripFrames(1002, 6), (std::vector<int64_t>{0, 200, 400, 601, 801, 1001}));
  // 2 steps in 5 tiles: 0, .5, 1, 1.5, 2 — halves round up.
  EXPECT_EQ(PickStripFrames(3, 5), (std::vector<int64_t>{0, 1, 1, 2, 2}));
  EXPECT_EQ(PickStripFrames(500, 2), (std::vector<int64_t>{0, 499}));
  EXPECT_THROW(PickStripFrames(0, 6), std::invalid_argument);
  EXPECT_THROW(PickStripFrames(10, 1), std::invalid_argument);
}

TEST(FrameStripTest, BadOptionsAreErrorsNamingTheField) {
  FrameStripOptions options;
  EXPECT_EQ(ValidationError(options), "");
  options.frames = 0;
  EXPECT_NE(ValidationError(options).find("frames"), std::string::npos) << ValidationError(options);
  options.frames = 65;
  EXPECT_NE(ValidationError(options).find("frames"), std::string::npos);
  options = {};
  options.width = 121;
  EXPECT_NE(ValidationError(options).find("width"), std::string::npos) << ValidationError(options);
  options = {};
  options.height = -2;
  EXPECT_NE(ValidationError(options).find("height"), std::string::npos);
  options = {};
  options.height = 4098;
  EXPECT_NE(ValidationError(options).find("height"), std::string::npos);
  options = {};
  options.separator = 17;
  EXPECT_NE(ValidationError(options).find("separator"), std::string::npos);
  // A strip itself needs its tile size.
  options = {};
  options.width = 20;
  EXPECT_THROW(FrameStrip{options}, std::invalid_argument);
}

TEST(FrameStripTest, AddingTooManyOrWritingTooFewIsAnError) {
  FrameStripOptions options;
  options.frames = 2;
  options.width = 4;
  options.height = 2;
  FrameStrip strip(options);
  const std::vector<uint8_t> black = Solid(4, 2, {0, 0, 0});
  strip.Add(black.data());
  TempDir dir("rlfleet-strip-test");
  EXPECT_THROW(strip.WritePng(dir.path() + "/half.png"), std::logic_error);
  strip.Add(black.data());
  EXPECT_THROW(strip.Add(black.data()), std::logic_error);
  try {
    strip.WritePng(dir.path() + "/no/such/dir/strip.png");
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/no/such/dir/strip.png"), std::string::npos) << e.what();
  }
}

// A CartPole episode through StripRecorder: tiles at CartPole's aspect ratio by default, only
// the picked frames drawn, and an episode that does not repeat its expected length is an error.
TEST(StripRecorderTest, DrawsOnlyThePickedFramesOfAnEpisode) {
  CartPoleEnv env;
  FrameStripOptions options;
  options.frames = 4;
  StripRecorder recorder(env, options);
  EXPECT_EQ(recorder.tile_width(), 240);  // 600×400 at 160 high
  EXPECT_EQ(recorder.tile_height(), 160);

  const auto play = [&](int steps) {
    std::vector<float> observation(env.spec().observation_size);
    const float action = 1.0f;
    env.Seed(7);
    env.Reset(observation.data());
    recorder.Capture();
    for (int i = 0; i < steps; ++i) {
      env.Step(&action, observation.data());
      recorder.Capture();
    }
  };
  recorder.Expect(10);  // 9 steps: frames 0, 3, 6, 9
  EXPECT_EQ(recorder.picked(), (std::vector<int64_t>{0, 3, 6, 9}));
  play(9);
  EXPECT_EQ(recorder.captured(), 10);
  EXPECT_EQ(recorder.rendered(), 4);
  TempDir dir("rlfleet-strip-test");
  recorder.WritePng(dir.path() + "/cartpole.png");
  const Png png(dir.path() + "/cartpole.png");
  ASSERT_TRUE(png.ok());
  EXPECT_EQ(png.width(), 4 * 240 + 3 * 2);
  EXPECT_EQ(png.height(), 160);
  // Pushed right all along, the cart moves: the first and the last tile differ.
  bool differ = false;
  for (int y = 0; y < 160 && !differ; ++y) {
    for (int x = 0; x < 240 && !differ; ++x) differ = png.At(x, y) != png.At(3 * 242 + x, y);
  }
  EXPECT_TRUE(differ);

  // Spread over the first 4 frames only: 0, 1, 2, 3 of the same 10.
  recorder.Expect(10, 4);
  EXPECT_EQ(recorder.picked(), (std::vector<int64_t>{0, 1, 2, 3}));
  play(9);
  EXPECT_EQ(recorder.rendered(), 4);
  EXPECT_NO_THROW(recorder.WritePng(dir.path() + "/start.png"));
  recorder.Expect(10, 50);  // a span beyond the episode is the whole episode
  EXPECT_EQ(recorder.picked(), (std::vector<int64_t>{0, 3, 6, 9}));

  recorder.Expect(10);
  play(8);  // one step short of the first play
  EXPECT_THROW(recorder.WritePng(dir.path() + "/short.png"), std::runtime_error);

  options.width = 100;
  options.height = 50;
  StripRecorder sized(env, options);
  EXPECT_EQ(sized.tile_width(), 100);
  EXPECT_EQ(sized.tile_height(), 50);
}

// MuJoCo tasks (through their TimeLimit) are square: 160×160 tiles by default, drawn by MuJoCo's
// renderer (no GL context is an error here, as in mujoco_renderer_test.cc).
TEST(StripRecorderTest, MujocoTilesAreSquare) {
  std::unique_ptr<Env> env = MakeEnv("HalfCheetah-v4");
  EXPECT_EQ(DefaultFrameSize(*env).width, 480);
  EXPECT_EQ(DefaultFrameSize(*env).height, 480);
  FrameStripOptions options;
  options.frames = 2;
  StripRecorder recorder(*env, options);
  EXPECT_EQ(recorder.tile_width(), 160);
  EXPECT_EQ(recorder.tile_height(), 160);
  std::vector<float> observation(env->spec().observation_size);
  const std::vector<float> action(env->spec().action_size, 1.0f);
  recorder.Expect(3);
  env->Seed(1);
  env->Reset(observation.data());
  recorder.Capture();
  for (int i = 0; i < 2; ++i) {
    env->Step(action.data(), observation.data());
    recorder.Capture();
  }
  TempDir dir("rlfleet-strip-test");
  recorder.WritePng(dir.path() + "/cheetah.png");
  const Png png(dir.path() + "/cheetah.png");
  ASSERT_TRUE(png.ok());
  EXPECT_EQ(png.width(), 2 * 160 + 2);
  EXPECT_EQ(png.height(), 160);
}

}  // namespace
}  // namespace rlfleet
