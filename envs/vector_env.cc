#include "envs/vector_env.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "envs/registry.h"

namespace rlfleet {

void VectorEnvOptions::Validate() const {
  if (env_id.empty() && !make_env) {
    throw std::invalid_argument("VectorEnvOptions.env_id is empty");
  }
  if (num_envs < 1) {
    throw std::invalid_argument("VectorEnvOptions.num_envs must be >= 1, got " +
                                std::to_string(num_envs));
  }
  if (num_threads < 1) {
    throw std::invalid_argument("VectorEnvOptions.num_threads must be >= 1, got " +
                                std::to_string(num_threads));
  }
}

// Threading: slice t of the envs is [t·N/T, (t+1)·N/T). The calling thread runs slice 0 and
// the T-1 pool threads run the others. A job is published under `mutex` by bumping
// `generation`; each worker runs its slice once per generation and decrements `pending`.
// Slices are disjoint, so workers share no env and no output row. If an env throws (an
// invalid action), the error reaches the caller after every slice has finished; the envs after
// it in its slice were not stepped this time. Faults (EnvFault, non-finite values) are handled
// per env inside its slice: the env is reset and its row marked dropped.
struct NativeVectorEnv::Impl {
  enum class Job { kReset, kStep };

  std::vector<std::unique_ptr<Env>> envs;
  uint64_t seed = 0;
  int32_t obs_size = 0;
  int32_t action_size = 0;
  int32_t num_slices = 1;

  // The current job's arguments, written by the caller before publishing it.
  Job job = Job::kStep;
  const float* actions = nullptr;
  float* observations = nullptr;
  float* rewards = nullptr;
  uint8_t* terminated = nullptr;
  uint8_t* truncated = nullptr;
  float* final_observations = nullptr;
  uint8_t* dropped = nullptr;

  // Fault counts; written by the slices' threads, read by fault_counters().
  std::atomic<int64_t> dropped_episodes{0}, env_errors{0}, nonfinite{0};

  std::vector<std::thread> workers;
  std::vector<std::exception_ptr> errors;  // one per slice
  std::mutex mutex;
  std::condition_variable job_ready;
  std::condition_variable job_done;
  uint64_t generation = 0;
  int32_t pending = 0;
  bool stopping = false;

  int32_t SliceBegin(int32_t slice) const {
    return static_cast<int32_t>(static_cast<int64_t>(slice) * envs.size() / num_slices);
  }

  static bool AllFinite(const float* values, int32_t n) {
    for (int32_t k = 0; k < n; ++k) {
      if (!std::isfinite(values[k])) return false;
    }
    return true;
  }

  // Resets env i into its observation row, retrying a few times when the reset itself fails
  // (EnvFault or non-finite values); an env that cannot be reset ends the run.
  void ResetEnv(int32_t i, float* obs) {
    constexpr int kAttempts = 3;
    std::string last_error;
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
      try {
        envs[i]->Reset(obs);
        if (AllFinite(obs, obs_size)) return;
        nonfinite.fetch_add(1, std::memory_order_relaxed);
        last_error = "a non-finite value in its first observation";
      } catch (const EnvFault& e) {
        env_errors.fetch_add(1, std::memory_order_relaxed);
        last_error = e.what();
      }
    }
    throw std::runtime_error("env " + std::to_string(i) + " (" + envs[i]->spec().id +
                             ") failed to reset " + std::to_string(kAttempts) +
                             " times in a row: " + last_error);
  }

  // The episode of env i cannot go on: without a `dropped` buffer that is the caller's error;
  // with one, the env starts a fresh episode and the row says so.
  void Drop(int32_t i, float* obs, const std::string& why) {
    if (dropped == nullptr) throw EnvFault("env " + std::to_string(i) + ": " + why);
    dropped_episodes.fetch_add(1, std::memory_order_relaxed);
    rewards[i] = 0.0f;
    terminated[i] = 0;
    truncated[i] = 0;
    dropped[i] = 1;
    ResetEnv(i, obs);
  }

  void RunEnv(int32_t i) {
    float* obs = observations + static_cast<int64_t>(i) * obs_size;
    if (job == Job::kReset) {
      envs[i]->Seed(seed + static_cast<uint64_t>(i));
      ResetEnv(i, obs);
      return;
    }
    if (dropped != nullptr) dropped[i] = 0;
    StepResult r;
    try {
      r = envs[i]->Step(actions + static_cast<int64_t>(i) * action_size, obs);
    } catch (const EnvFault& e) {
      env_errors.fetch_add(1, std::memory_order_relaxed);
      Drop(i, obs, e.what());
      return;
    }
    if (!AllFinite(obs, obs_size) || !std::isfinite(r.reward)) {
      nonfinite.fetch_add(1, std::memory_order_relaxed);
      Drop(i, obs, "a non-finite value in its observation or reward");
      return;
    }
    rewards[i] = static_cast<float>(r.reward);
    terminated[i] = r.terminated ? 1 : 0;
    truncated[i] = r.truncated ? 1 : 0;
    if (r.terminated || r.truncated) {
      std::memcpy(final_observations + static_cast<int64_t>(i) * obs_size, obs,
                  sizeof(float) * obs_size);
      ResetEnv(i, obs);
    }
  }

  void RunSlice(int32_t slice) {
    try {
      for (int32_t i = SliceBegin(slice); i < SliceBegin(slice + 1); ++i) RunEnv(i);
    } catch (...) {
      errors[slice] = std::current_exception();
    }
  }

  void WorkerLoop(int32_t slice) {
    uint64_t seen = 0;
    while (true) {
      {
        std::unique_lock<std::mutex> lock(mutex);
        job_ready.wait(lock, [&] { return stopping || generation != seen; });
        if (stopping) return;
        seen = generation;
      }
      RunSlice(slice);
      std::lock_guard<std::mutex> lock(mutex);
      if (--pending == 0) job_done.notify_one();
    }
  }

  void StopWorkers() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
    }
    job_ready.notify_all();
    for (std::thread& t : workers) t.join();
  }

  // Runs the published job on every slice and rethrows the first slice's error, if any.
  void Run() {
    for (std::exception_ptr& e : errors) e = nullptr;
    if (num_slices > 1) {
      std::lock_guard<std::mutex> lock(mutex);
      pending = num_slices - 1;
      ++generation;
    }
    job_ready.notify_all();
    RunSlice(0);
    if (num_slices > 1) {
      std::unique_lock<std::mutex> lock(mutex);
      job_done.wait(lock, [&] { return pending == 0; });
    }
    for (const std::exception_ptr& e : errors) {
      if (e) std::rethrow_exception(e);
    }
  }
};

NativeVectorEnv::NativeVectorEnv(const VectorEnvOptions& options)
    : impl_(std::make_unique<Impl>()) {
  options.Validate();
  Impl& m = *impl_;
  for (int32_t i = 0; i < options.num_envs; ++i) {
    m.envs.push_back(options.make_env ? options.make_env() : MakeEnv(options.env_id));
    if (m.envs.back() == nullptr) throw std::invalid_argument("VectorEnvOptions.make_env: null");
  }
  m.seed = options.seed;
  m.obs_size = m.envs[0]->spec().observation_size;
  m.action_size = m.envs[0]->spec().action_size;
  m.num_slices = std::min(options.num_threads, options.num_envs);
  m.errors.resize(m.num_slices);
  try {
    for (int32_t t = 1; t < m.num_slices; ++t) {
      m.workers.emplace_back([&m, t] { m.WorkerLoop(t); });
    }
  } catch (...) {
    m.StopWorkers();
    throw;
  }
}

NativeVectorEnv::~NativeVectorEnv() { impl_->StopWorkers(); }

const EnvSpec& NativeVectorEnv::spec() const { return impl_->envs[0]->spec(); }

int32_t NativeVectorEnv::num_envs() const { return static_cast<int32_t>(impl_->envs.size()); }

EnvFaultCounters NativeVectorEnv::fault_counters() const {
  EnvFaultCounters c;
  c.dropped_episodes = impl_->dropped_episodes.load();
  c.env_errors = impl_->env_errors.load();
  c.nonfinite_observations = impl_->nonfinite.load();
  return c;
}

void NativeVectorEnv::Reset(float* observations) {
  impl_->job = Impl::Job::kReset;
  impl_->observations = observations;
  impl_->Run();
}

void NativeVectorEnv::Step(const float* actions, float* observations, float* rewards,
                           uint8_t* terminated, uint8_t* truncated, float* final_observations,
                           uint8_t* dropped) {
  Impl& m = *impl_;
  m.job = Impl::Job::kStep;
  m.actions = actions;
  m.observations = observations;
  m.rewards = rewards;
  m.terminated = terminated;
  m.truncated = truncated;
  m.final_observations = final_observations;
  m.dropped = dropped;
  m.Run();
}

}  // namespace rlfleet
