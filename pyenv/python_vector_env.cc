#include "pyenv/python_vector_env.h"

#include <cmath>
#include <optional>
#include <stdexcept>
#include <utility>

#include <nlohmann/json.hpp>

#include "pyenv/worker_pool.h"

namespace rlfleet {
namespace {

constexpr double kMaxTimeoutSeconds = 1e6;

void CheckTimeout(const char* field, double seconds) {
  if (!(seconds > 0.0 && seconds <= kMaxTimeoutSeconds)) {
    throw std::invalid_argument(std::string("PythonEnvOptions.") + field +
                                " must be in (0, 1e6] seconds, got " + std::to_string(seconds));
  }
}

bool HasNul(const std::string& s) { return s.find('\0') != std::string::npos; }

}  // namespace

void PythonEnvOptions::Validate() const {
  const size_t colon = callable.find(':');
  if (callable.empty() || colon == 0 || colon == std::string::npos ||
      colon + 1 == callable.size() || callable.find(':', colon + 1) != std::string::npos ||
      callable.find_first_of(" \t\r\n") != std::string::npos || HasNul(callable)) {
    throw std::invalid_argument("PythonEnvOptions.callable must be 'module:attribute', got '" +
                                callable + "'");
  }
  const nlohmann::json kwargs = nlohmann::json::parse(kwargs_json, nullptr, false);
  if (kwargs.is_discarded() || !kwargs.is_object()) {
    throw std::invalid_argument("PythonEnvOptions.kwargs_json must be a JSON object, got '" +
                                kwargs_json + "'");
  }
  for (const std::string& dir : python_path) {
    if (dir.empty() || HasNul(dir)) {
      throw std::invalid_argument("PythonEnvOptions.python_path has an empty or invalid entry");
    }
  }
  if (interpreter.empty() || HasNul(interpreter)) {
    throw std::invalid_argument("PythonEnvOptions.interpreter must name a Python interpreter");
  }
  if (num_envs < 1) {
    throw std::invalid_argument("PythonEnvOptions.num_envs must be >= 1, got " +
                                std::to_string(num_envs));
  }
  if (num_workers < 1 || num_workers > num_envs) {
    throw std::invalid_argument("PythonEnvOptions.num_workers must be in [1, num_envs = " +
                                std::to_string(num_envs) + "], got " + std::to_string(num_workers));
  }
  CheckTimeout("timeout_seconds", timeout_seconds);
  CheckTimeout("start_timeout_seconds", start_timeout_seconds);
}

// The pool does the work; the vector env adds the first-Reset seeding and EnvFault for a
// caller that passes no `dropped` buffer.
struct PythonVectorEnv::Impl {
  explicit Impl(const PythonEnvOptions& options)
      : pool(options), seed(options.seed), scratch_dropped(static_cast<size_t>(options.num_envs)) {}

  PythonWorkerPool pool;
  uint64_t seed;
  bool seeded = false;                   // the first Reset (seed + i) happened
  std::vector<uint8_t> scratch_dropped;  // for callers that pass dropped == nullptr
};

PythonVectorEnv::PythonVectorEnv(const PythonEnvOptions& options)
    : impl_(std::make_unique<Impl>(options)) {}

PythonVectorEnv::~PythonVectorEnv() = default;

const EnvSpec& PythonVectorEnv::spec() const { return impl_->pool.spec(); }

int32_t PythonVectorEnv::num_envs() const { return impl_->pool.num_envs(); }

const std::string& PythonVectorEnv::interpreter_description() const {
  return impl_->pool.interpreter_description();
}

EnvFaultCounters PythonVectorEnv::fault_counters() const { return impl_->pool.counters(); }

void PythonVectorEnv::Reset(float* observations) {
  const int32_t n = num_envs();
  std::vector<std::optional<uint64_t>> seeds(static_cast<size_t>(n));
  if (!impl_->seeded) {
    // Unsigned arithmetic: seeds wrap modulo 2^64 like every other rlfleet seed.
    for (int32_t i = 0; i < n; ++i) seeds[i] = impl_->seed + static_cast<uint64_t>(i);
  }
  impl_->pool.Reset(seeds, observations);  // failures are counted; the envs are reset anyway
  impl_->seeded = true;
}

void PythonVectorEnv::Step(const float* actions, float* observations, float* rewards,
                           uint8_t* terminated, uint8_t* truncated, float* final_observations,
                           uint8_t* dropped) {
  uint8_t* out = dropped != nullptr ? dropped : impl_->scratch_dropped.data();
  const int32_t num_dropped = impl_->pool.Step(actions, observations, rewards, nullptr, terminated,
                                               truncated, final_observations, out);
  if (dropped == nullptr && num_dropped > 0) {
    throw EnvFault(impl_->pool.description() + ": " + impl_->pool.last_fault());
  }
}

namespace {

// One Python env in a worker of its own, without auto-reset.
class PythonEnv : public Env {
 public:
  explicit PythonEnv(const PythonEnvOptions& options) : pool_(options) {}

  const EnvSpec& spec() const override { return pool_.spec(); }
  void Seed(uint64_t seed) override { next_seed_ = seed; }

  // A reset that failed (and was redone with a fresh seed by a replaced env or a restarted
  // worker) throws EnvFault: the observation is valid, but not from the asked seed.
  void Reset(float* observation) override {
    const std::optional<uint64_t> seed = std::exchange(next_seed_, std::nullopt);
    if (pool_.Reset({seed}, observation) > 0) {
      throw EnvFault(pool_.description() + ": " + pool_.last_fault());
    }
  }

  StepResult Step(const float* action, float* observation) override {
    double reward = 0.0;
    uint8_t terminated = 0, truncated = 0, dropped = 0;
    final_observation_.resize(static_cast<size_t>(spec().observation_size));
    pool_.Step(action, observation, nullptr, &reward, &terminated, &truncated,
               final_observation_.data(), &dropped);
    if (dropped) {
      throw EnvFault(pool_.description() + ": the episode was dropped: " + pool_.last_fault());
    }
    StepResult result;
    result.reward = reward;
    result.terminated = terminated != 0;
    result.truncated = truncated != 0;
    return result;
  }

 private:
  PythonWorkerPool pool_;
  std::optional<uint64_t> next_seed_;
  std::vector<float> final_observation_;
};

PythonEnvOptions SingleEnvOptions(PythonEnvOptions options, bool autoreset) {
  options.num_envs = 1;
  options.num_workers = 1;
  options.autoreset = autoreset;
  return options;
}

}  // namespace

std::unique_ptr<Env> MakePythonEnv(PythonEnvOptions options) {
  return std::make_unique<PythonEnv>(SingleEnvOptions(std::move(options), false));
}

EnvSpec ProbePythonEnvSpec(PythonEnvOptions options) {
  PythonWorkerPool pool(SingleEnvOptions(std::move(options), true));
  return pool.spec();
}

}  // namespace rlfleet
