#include "envs/rollout.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/random.h"
#include "core/uniform_actions.h"
#include "envs/registry.h"

namespace rlfleet {
namespace {

using FilePtr = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

// Parses `text` as one finite float, blanks around it allowed; false if it is anything else.
bool ParseFloat(const std::string& text, float* value) {
  const char* begin = text.c_str();
  char* end = nullptr;
  errno = 0;
  *value = std::strtof(begin, &end);
  if (end == begin || errno == ERANGE) return false;
  while (*end == ' ' || *end == '\t' || *end == '\r') ++end;
  return *end == '\0' && std::isfinite(*value);
}

// Reads up to max_lines actions (spec.action_size floats each) from `path`.
std::vector<float> ReadActions(const std::string& path, const EnvSpec& spec, int64_t max_lines) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read actions file '" + path + "'");
  std::vector<float> actions;
  std::string line;
  for (int64_t line_number = 1; line_number <= max_lines && std::getline(in, line); ++line_number) {
    const auto fail = [&](const std::string& why) {
      throw std::invalid_argument("actions file '" + path + "' line " +
                                  std::to_string(line_number) + ": " + why + ": '" + line + "'");
    };
    size_t start = 0;
    for (int32_t j = 0; j < spec.action_size; ++j) {
      const size_t comma = line.find(',', start);
      const bool last = j + 1 == spec.action_size;
      if (last != (comma == std::string::npos)) {
        fail("expected " + std::to_string(spec.action_size) + " comma-separated values");
      }
      float value = 0;
      if (!ParseFloat(line.substr(start, last ? std::string::npos : comma - start), &value)) {
        fail("not a number");
      }
      if (spec.discrete_actions &&
          (value < 0 || value >= spec.num_actions || std::floor(value) != value)) {
        fail("not an action index in [0, " + std::to_string(spec.num_actions) + ")");
      }
      actions.push_back(value);
      start = comma + 1;
    }
  }
  if (in.bad()) throw std::runtime_error("error reading actions file '" + path + "'");
  return actions;
}

void PrintFloat(std::FILE* out, double value, const char* format) {
  std::fputc(',', out);
  std::fprintf(out, format, value);
}

}  // namespace

void RolloutOptions::Validate() const {
  if (!make_env && !IsRegisteredEnv(env_id)) MakeEnv(env_id);  // throws the registry's message
  if (steps <= 0) {
    throw std::invalid_argument("RolloutOptions.steps must be > 0, got " + std::to_string(steps));
  }
  if (out_path.empty()) throw std::invalid_argument("RolloutOptions.out_path is empty");
}

void WriteRollout(const RolloutOptions& options) {
  options.Validate();
  std::unique_ptr<Env> env = options.make_env ? options.make_env() : MakeEnv(options.env_id);
  const EnvSpec& spec = env->spec();
  const int32_t d = spec.observation_size;
  const int32_t a = spec.action_size;

  std::vector<float> replay;
  int64_t steps = options.steps;
  if (!options.actions_path.empty()) {
    replay = ReadActions(options.actions_path, spec, options.steps);
    steps = static_cast<int64_t>(replay.size()) / a;
  }

  FilePtr out(std::fopen(options.out_path.c_str(), "w"), &std::fclose);
  if (!out) {
    throw std::runtime_error("cannot write rollout file '" + options.out_path +
                             "': " + std::strerror(errno));
  }
  std::fputs("step", out.get());
  for (int32_t i = 0; i < d; ++i) std::fprintf(out.get(), ",obs_%d", i);
  for (int32_t j = 0; j < a; ++j) std::fprintf(out.get(), ",action_%d", j);
  std::fputs(",reward,terminated,truncated\n", out.get());

  Rng rng(DeriveSeed(options.seed, "rollout_actions", 0));
  std::vector<float> obs(d), next_obs(d), action(a);
  env->Seed(options.seed);
  env->Reset(obs.data());
  for (int64_t t = 0; t < steps; ++t) {
    if (replay.empty()) {
      UniformActions(spec, 1, rng, action.data());
    } else {
      std::copy_n(replay.begin() + t * a, a, action.begin());
    }
    const StepResult r = env->Step(action.data(), next_obs.data());
    std::fprintf(out.get(), "%lld", static_cast<long long>(t));
    for (float v : obs) PrintFloat(out.get(), v, "%.9g");
    for (float v : action) PrintFloat(out.get(), v, "%.9g");
    PrintFloat(out.get(), r.reward, "%.17g");
    std::fprintf(out.get(), ",%d,%d\n", r.terminated ? 1 : 0, r.truncated ? 1 : 0);
    if (r.terminated || r.truncated) {
      env->Reset(obs.data());
    } else {
      obs.swap(next_obs);
    }
  }
  if (std::ferror(out.get()) || std::fclose(out.release()) != 0) {
    throw std::runtime_error("error writing rollout file '" + options.out_path + "'");
  }
}

}  // namespace rlfleet
