// `rlfleet eval --video` and learner.video_interval_updates on real runs: the MP4s are H.264
// of the requested size, with one frame per step plus the reset frame, and they move. And the
// pictures: `rlfleet eval --strip` and the best seed's picture in `rlfleet report`.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "tests/e2e_testing.h"

namespace rlfleet {
namespace {

namespace fs = std::filesystem;
using testing::E2eFixture;
using testing::kRlfleetBinary;

// The standard output of a shell command.
std::string Output(const std::string& command) {
  std::string text;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return text;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) text.append(buffer, n);
  pclose(pipe);
  return text;
}

struct Probe {
  std::string codec;
  int width = 0, height = 0;
  long frames = -1;
};

Probe ProbeVideo(const fs::path& path) {
  const std::string text = Output(
      "ffprobe -v error -count_frames -select_streams v:0 -show_entries "
      "stream=codec_name,width,height,nb_read_frames -of default=noprint_wrappers=1 '" +
      path.string() + "'");
  Probe probe;
  std::smatch m;
  if (std::regex_search(text, m, std::regex("codec_name=(\\w+)"))) probe.codec = m[1];
  if (std::regex_search(text, m, std::regex("width=(\\d+)"))) probe.width = std::stoi(m[1]);
  if (std::regex_search(text, m, std::regex("height=(\\d+)"))) probe.height = std::stoi(m[1]);
  if (std::regex_search(text, m, std::regex("nb_read_frames=(\\d+)")))
    probe.frames = std::stol(m[1]);
  return probe;
}

// Frames `first` .. `first + count - 1`, decoded by ffmpeg to raw RGB.
std::vector<std::string> DecodeFrames(const fs::path& path, int width, int height, int first,
                                      int count) {
  const std::string raw =
      Output("ffmpeg -v error -i '" + path.string() + "' -vf \"select=between(n\\," +
             std::to_string(first) + "\\," + std::to_string(first + count - 1) +
             ")\" -vsync 0 -f rawvideo -pix_fmt rgb24 -");
  const size_t size = static_cast<size_t>(width) * height * 3;
  std::vector<std::string> frames;
  for (size_t at = 0; at + size <= raw.size(); at += size) frames.push_back(raw.substr(at, size));
  return frames;
}

class VideoE2eTest : public E2eFixture {
 protected:
  explicit VideoE2eTest(const std::string& config) : E2eFixture(config) {}

  // `rlfleet eval RUN --episodes 1 --video OUT --width W --height H`; returns the frames it
  // says it wrote (-1 after a failure).
  long EvalVideo(const fs::path& run, const fs::path& out, int width, int height) {
    const std::string log = (runs_dir_ / "eval-video.log").string();
    ChildProcess eval(
        {kRlfleetBinary, "eval", run.string(), "--episodes", "1", "--video", out.string(),
         "--width", std::to_string(width), "--height", std::to_string(height)},
        log);
    const auto status = eval.Wait(240);
    const std::string output = ReadFile(log);
    EXPECT_TRUE(status && status->ok()) << output;
    std::smatch m;
    if (!std::regex_search(output, m, std::regex("video: .*: (\\d+) frames \\((\\d+) steps"))) {
      ADD_FAILURE() << "no frame count in: " << output;
      return -1;
    }
    // One episode: its steps plus its reset frame.
    EXPECT_EQ(std::stol(m[1]), std::stol(m[2]) + 1) << output;
    return std::stol(m[1]);
  }

  void ExpectMovingVideo(const fs::path& video, int width, int height, long frames) {
    const Probe probe = ProbeVideo(video);
    EXPECT_EQ(probe.codec, "h264");
    EXPECT_EQ(probe.width, width);
    EXPECT_EQ(probe.height, height);
    EXPECT_EQ(probe.frames, frames);
    // Consecutive frames of the start of the episode differ (the system moves).
    const std::vector<std::string> decoded = DecodeFrames(video, width, height, 1, 4);
    ASSERT_EQ(decoded.size(), 4u);
    for (size_t i = 1; i < decoded.size(); ++i) {
      EXPECT_NE(decoded[i - 1], decoded[i]) << "frames " << i << " and " << i + 1 << " are equal";
    }
  }
};

class HalfCheetahVideoTest : public VideoE2eTest {
 protected:
  HalfCheetahVideoTest() : VideoE2eTest("halfcheetah_appo.yaml") {}
};

// A tiny HalfCheetah run leaves a checkpoint; eval films its 1000-step episode at 96×64 with
// MuJoCo's renderer (no GL context is an error here, not a skip). The run also makes a
// training video (learner.video_interval_updates) at the default 480×480.
TEST_F(HalfCheetahVideoTest, EvalFilmsTheGreedyEpisodeAndTrainingLeavesVideos) {
  const fs::path run =
      TrainToCompletion({"learner.total_env_steps=2048", "env.num_envs=4", "cluster.num_actors=1",
                         "learner.batch_size=4", "learner.eval_interval_updates=0",
                         "learner.video_interval_updates=4"},
                        240);
  ASSERT_FALSE(run.empty());
  const fs::path out = runs_dir_ / "cheetah.mp4";
  const long frames = EvalVideo(run, out, 96, 64);
  EXPECT_EQ(frames, 1001);  // the v4 time limit, 1000 steps, plus the reset frame
  ExpectMovingVideo(out, 96, 64, frames);

  std::vector<fs::path> videos;
  for (const auto& entry : fs::directory_iterator(run / "videos")) videos.push_back(entry.path());
  ASSERT_FALSE(videos.empty()) << Log();
  for (const fs::path& video : videos) {
    EXPECT_TRUE(std::regex_match(video.filename().string(), std::regex("update-\\d{6}\\.mp4")))
        << video;
    const Probe probe = ProbeVideo(video);
    EXPECT_EQ(probe.codec, "h264") << video;
    EXPECT_EQ(probe.width, 480);
    EXPECT_EQ(probe.frames, 1001) << video;
  }
  const nlohmann::json status = nlohmann::json::parse(ReadFile((run / "status.json").string()));
  EXPECT_EQ(status.value("video_failures", int64_t{-1}), 0);
}

class CartPoleVideoTest : public VideoE2eTest {
 protected:
  CartPoleVideoTest() : VideoE2eTest("cartpole_impala.yaml") {}
};

// CartPole IMPALA, drawn with cairo: the episode's steps plus the reset frame; and the error
// without an encoder.
TEST_F(CartPoleVideoTest, EvalFilmsTheGreedyEpisodeAndDrawsItsStrip) {
  const fs::path run = TrainToCompletion({"learner.total_env_steps=2000"}, 180);
  ASSERT_FALSE(run.empty());
  const fs::path out = runs_dir_ / "cartpole.mp4";
  const long frames = EvalVideo(run, out, 300, 200);
  ASSERT_GT(frames, 5);
  ExpectMovingVideo(out, 300, 200, frames);

  // Without ffmpeg on PATH, eval says what to install and leaves no file.
  const std::string log = (runs_dir_ / "eval-noffmpeg.log").string();
  const std::string command = "PATH=/nonexistent '" + std::string(kRlfleetBinary) + "' eval '" +
                              run.string() + "' --episodes 1 --video '" +
                              (runs_dir_ / "x.mp4").string() + "' > '" + log + "' 2>&1";
  EXPECT_NE(std::system(command.c_str()), 0);
  const std::string output = ReadFile(log);
  EXPECT_NE(output.find("ffmpeg was not found on PATH"), std::string::npos) << output;
  EXPECT_NE(output.find("apt-get install ffmpeg"), std::string::npos) << output;
  EXPECT_FALSE(fs::exists(runs_dir_ / "x.mp4"));

  // --strip: 4 tiles of 120×80 with 2-pixel separators, not blank, each tile another moment.
  const fs::path strip = runs_dir_ / "strip.png";
  const std::string strip_log = (runs_dir_ / "eval-strip.log").string();
  ChildProcess eval({kRlfleetBinary, "eval", run.string(), "--strip", strip.string(),
                     "--strip-frames", "4", "--width", "120", "--height", "80"},
                    strip_log);
  const auto status = eval.Wait(120);
  EXPECT_TRUE(status && status->ok()) << ReadFile(strip_log);
  EXPECT_NE(ReadFile(strip_log).find("strip: " + strip.string() + ": 4 frames of a "),
            std::string::npos)
      << ReadFile(strip_log);
  const int width = 4 * 120 + 3 * 2, height = 80;
  const Probe probe = ProbeVideo(strip);
  EXPECT_EQ(probe.codec, "png");
  EXPECT_EQ(probe.width, width);
  EXPECT_EQ(probe.height, height);
  const std::vector<std::string> image = DecodeFrames(strip, width, height, 0, 1);
  ASSERT_EQ(image.size(), 1u);
  std::vector<std::string> tiles(4);
  for (int t = 0; t < 4; ++t) {
    for (int y = 0; y < height; ++y) {
      tiles[t] += image[0].substr((static_cast<size_t>(y) * width + t * 122) * 3, 120 * 3);
    }
  }
  for (int t = 0; t < 4; ++t) {
    EXPECT_NE(tiles[t].find_first_not_of(tiles[t][0]), std::string::npos) << "tile " << t;
    if (t > 0) {
      EXPECT_NE(tiles[t - 1], tiles[t]) << "tiles " << t - 1 << " and " << t;
    }
  }

  // `rlfleet report` over this run: the picture of its one (so best) seed and its line.
  const fs::path report_dir = runs_dir_ / "report";
  const std::string report_log = (runs_dir_ / "report.log").string();
  const std::string report = "RLFLEET_PLOT_SCRIPT= '" + std::string(kRlfleetBinary) + "' report '" +
                             testing::ConfigPath("cartpole_impala.yaml") + "' --runs '" +
                             run.string() + "' --out '" + report_dir.string() + "' > '" +
                             report_log + "' 2>&1";
  ASSERT_EQ(std::system(report.c_str()), 0) << ReadFile(report_log);
  const Probe picture = ProbeVideo(report_dir / "strip_cartpole_impala.png");
  EXPECT_EQ(picture.codec, "png") << ReadFile(report_log);
  EXPECT_EQ(picture.width, 6 * 240 + 5 * 2);  // 6 CartPole tiles, 240×160
  EXPECT_EQ(picture.height, 160);
  const std::string md = ReadFile((report_dir / "report.md").string());
  EXPECT_TRUE(std::regex_search(md, std::regex("\\nBest seed \\d+: !\\[[^\\]]*\\]"
                                               "\\(strip_cartpole_impala\\.png\\)\\n")))
      << md;
}

}  // namespace
}  // namespace rlfleet
