#include "render/render_bench.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/random.h"
#include "envs/registry.h"
#include "render/mujoco_renderer.h"
#include "render/renderer.h"
#include "render/video_writer.h"

namespace rlfleet {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

}  // namespace

void RenderBenchOptions::Validate() const {
  if (!std::isfinite(seconds_per_case) || seconds_per_case <= 0) {
    throw std::invalid_argument("bench render: seconds must be finite and > 0");
  }
}

int RunRenderBench(const RenderBenchOptions& options) {
  options.Validate();
  nlohmann::json result = {{"bench", "render"}, {"cases", nlohmann::json::array()}};
  if (!options.json_only) {
    std::printf("%-16s %9s %8s %14s %14s\n", "env", "size", "frames", "render ms/frame",
                "encode ms/frame");
  }
  const std::filesystem::path video =
      std::filesystem::temp_directory_path() /
      ("rlfleet-bench-render-" + std::to_string(::getpid()) + ".mp4");
  for (const char* id : {"HalfCheetah-v4", "Humanoid-v4"}) {
    for (int32_t side : {84, 480}) {
      std::unique_ptr<Env> env = MakeEnv(id);
      const EnvSpec& spec = env->spec();
      RenderOptions render;
      render.width = side;
      render.height = side;
      std::unique_ptr<Renderer> renderer = MakeRenderer(*env, render);
      if (auto* mujoco = dynamic_cast<MujocoRenderer*>(renderer.get())) {
        result["gl"] = mujoco->gl_backend();
      }
      Rng rng(7);
      std::vector<float> observation(spec.observation_size), action(spec.action_size);
      env->Seed(1);
      env->Reset(observation.data());
      const size_t frame_size = static_cast<size_t>(side) * side * 3;
      std::vector<std::vector<uint8_t>> frames;
      std::vector<uint8_t> frame(frame_size);
      renderer->Render(frame.data());  // warm-up: the first frame uploads the model
      double render_seconds = 0.0;
      int64_t rendered = 0;
      while (render_seconds < options.seconds_per_case) {
        for (int32_t i = 0; i < spec.action_size; ++i) {
          action[i] = static_cast<float>(rng.Uniform(spec.action_low[i], spec.action_high[i]));
        }
        const StepResult step = env->Step(action.data(), observation.data());
        if (step.terminated || step.truncated) env->Reset(observation.data());
        const Clock::time_point start = Clock::now();
        renderer->Render(frame.data());
        render_seconds += Seconds(start);
        ++rendered;
        // Kept for the encoding phase (bounded: at most 2,000 frames).
        if (frames.size() < 2000) frames.push_back(frame);
      }
      VideoWriterOptions writer_options;
      writer_options.path = video.string();
      writer_options.width = side;
      writer_options.height = side;
      writer_options.fps = renderer->fps();
      const Clock::time_point encode_start = Clock::now();
      {
        VideoWriter writer(writer_options);
        for (const std::vector<uint8_t>& f : frames) writer.Write(f.data());
        writer.Finish();
      }
      const double encode_seconds = Seconds(encode_start);
      std::filesystem::remove(video);
      const double render_ms = 1000.0 * render_seconds / static_cast<double>(rendered);
      const double encode_ms = 1000.0 * encode_seconds / static_cast<double>(frames.size());
      result["cases"].push_back({{"env_id", id},
                                 {"width", side},
                                 {"height", side},
                                 {"frames", rendered},
                                 {"render_ms_per_frame", render_ms},
                                 {"encode_ms_per_frame", encode_ms}});
      if (!options.json_only) {
        std::printf("%-16s %4dx%-4d %8lld %14.3f %14.3f\n", id, side, side,
                    static_cast<long long>(rendered), render_ms, encode_ms);
      }
    }
  }
  std::printf("%s\n", result.dump().c_str());
  return 0;
}

}  // namespace rlfleet
