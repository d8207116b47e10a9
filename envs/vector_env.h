#ifndef RLFLEET_ENVS_VECTOR_ENV_H_
#define RLFLEET_ENVS_VECTOR_ENV_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "envs/env.h"

namespace rlfleet {

// What a vector env dropped and restarted because of faults outside rlfleet's code, counted
// since construction. Sent with an actor's episode statistics (metrics.csv, summary.json).
struct EnvFaultCounters {
  int64_t dropped_episodes = 0;        // episodes abandoned (reported in `dropped`)
  int64_t env_errors = 0;              // env steps/resets that failed (EnvFault, a raise)
  int64_t nonfinite_observations = 0;  // observations or rewards with NaN or ±inf
  int64_t worker_restarts = 0;         // out-of-process workers restarted
  int64_t worker_timeouts = 0;         // of those, workers that stopped answering

  // The counts since `earlier` (what an actor has not reported yet).
  EnvFaultCounters operator-(const EnvFaultCounters& earlier) const {
    return {dropped_episodes - earlier.dropped_episodes, env_errors - earlier.env_errors,
            nonfinite_observations - earlier.nonfinite_observations,
            worker_restarts - earlier.worker_restarts, worker_timeouts - earlier.worker_timeouts};
  }
  bool operator==(const EnvFaultCounters& o) const {
    return dropped_episodes == o.dropped_episodes && env_errors == o.env_errors &&
           nonfinite_observations == o.nonfinite_observations &&
           worker_restarts == o.worker_restarts && worker_timeouts == o.worker_timeouts;
  }
  bool operator!=(const EnvFaultCounters& o) const { return !(*this == o); }
};

// num_envs environments stepped together, with auto-reset: when a step ends an episode
// (terminated or truncated) the env is reset at once, the returned observation is the new
// episode's first one and the last observation of the ended episode goes to
// `final_observations`. All buffers are caller-owned, row-major, one row per env. Env i is
// seeded with seed + i at the first Reset (Gymnasium's vector convention). Not thread-safe.
//
// Faults: when an env fails (EnvFault, a non-finite observation or reward, an out-of-process
// worker that dies or stops answering), its episode is dropped: the env is reset (its worker
// restarted), `dropped[i]` is 1, its reward, terminated and truncated are 0, its row of
// `observations` is the first observation of a fresh episode, its row of `final_observations`
// is untouched, and fault_counters() counts it. With `dropped` null a fault throws instead.
//
// Implementations: NativeVectorEnv (below: built-ins and plugins, in-process threads) and
// PythonVectorEnv (pyenv/: Gymnasium envs in worker processes). rlfleet code makes one through
// MakeVectorEnv (pyenv/env_factory.h), which picks by the run's env config.
class VectorEnv {
 public:
  virtual ~VectorEnv() = default;
  virtual const EnvSpec& spec() const = 0;
  virtual int32_t num_envs() const = 0;
  // Seeds env i with seed + i (the first time) and resets all; writes num_envs × D floats.
  virtual void Reset(float* observations) = 0;
  // actions: num_envs × A. Writes observations (num_envs × D), rewards (num_envs),
  // terminated and truncated (num_envs, 0/1), and for every env whose episode ended its
  // final observation into its row of final_observations (num_envs × D; other rows are left
  // untouched); `dropped` (num_envs, 0/1) as above.
  virtual void Step(const float* actions, float* observations, float* rewards, uint8_t* terminated,
                    uint8_t* truncated, float* final_observations, uint8_t* dropped = nullptr) = 0;
  virtual EnvFaultCounters fault_counters() const = 0;
};

struct VectorEnvOptions {
  std::string env_id;
  int32_t num_envs = 1;
  uint64_t seed = 0;        // env i is seeded with seed + i (Gymnasium's vector convention)
  int32_t num_threads = 1;  // worker threads stepping disjoint slices of the envs
  // Makes one env (called num_envs times, on the constructing thread); empty: MakeEnv(env_id).
  std::function<std::unique_ptr<Env>()> make_env;
  // Throws std::invalid_argument naming the bad field.
  void Validate() const;
};

// The in-process vector env: num_envs Env instances (built-ins or plugins), stepped by
// num_threads threads on disjoint slices. With num_threads > 1 it owns a worker pool joined in
// the destructor. Every observation and reward is checked for finiteness (a few ns a value).
class NativeVectorEnv : public VectorEnv {
 public:
  explicit NativeVectorEnv(const VectorEnvOptions& options);  // throws on unknown env id
  ~NativeVectorEnv() override;
  NativeVectorEnv(const NativeVectorEnv&) = delete;
  NativeVectorEnv& operator=(const NativeVectorEnv&) = delete;

  const EnvSpec& spec() const override;
  int32_t num_envs() const override;
  void Reset(float* observations) override;
  void Step(const float* actions, float* observations, float* rewards, uint8_t* terminated,
            uint8_t* truncated, float* final_observations, uint8_t* dropped = nullptr) override;
  EnvFaultCounters fault_counters() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rlfleet

#endif  // RLFLEET_ENVS_VECTOR_ENV_H_
