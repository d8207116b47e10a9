#include "envs/vector_env.h"

#include <algorithm>
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
  if (env_id.empty()) throw std::invalid_argument("VectorEnvOptions.env_id is empty");
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
// it in its slice were not stepped this time.
struct VectorEnv::Impl {
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

  void RunEnv(int32_t i) {
    float* obs = observations + static_cast<int64_t>(i) * obs_size;
    if (job == Job::kReset) {
      envs[i]->Seed(seed + static_cast<uint64_t>(i));
      envs[i]->Reset(obs);
      return;
    }
    const StepResult r = envs[i]->Step(actions + static_cast<int64_t>(i) * action_size, obs);
    rewards[i] = static_cast<float>(r.reward);
    terminated[i] = r.terminated ? 1 : 0;
    truncated[i] = r.truncated ? 1 : 0;
    if (r.terminated || r.truncated) {
      std::memcpy(final_observations + static_cast<int64_t>(i) * obs_size, obs,
                  sizeof(float) * obs_size);
      envs[i]->Reset(obs);
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

VectorEnv::VectorEnv(const VectorEnvOptions& options) : impl_(std::make_unique<Impl>()) {
  options.Validate();
  Impl& m = *impl_;
  for (int32_t i = 0; i < options.num_envs; ++i) m.envs.push_back(MakeEnv(options.env_id));
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

VectorEnv::~VectorEnv() { impl_->StopWorkers(); }

const EnvSpec& VectorEnv::spec() const { return impl_->envs[0]->spec(); }

int32_t VectorEnv::num_envs() const { return static_cast<int32_t>(impl_->envs.size()); }

void VectorEnv::Reset(float* observations) {
  impl_->job = Impl::Job::kReset;
  impl_->observations = observations;
  impl_->Run();
}

void VectorEnv::Step(const float* actions, float* observations, float* rewards, uint8_t* terminated,
                     uint8_t* truncated, float* final_observations) {
  Impl& m = *impl_;
  m.job = Impl::Job::kStep;
  m.actions = actions;
  m.observations = observations;
  m.rewards = rewards;
  m.terminated = terminated;
  m.truncated = truncated;
  m.final_observations = final_observations;
  m.Run();
}

}  // namespace rlfleet
