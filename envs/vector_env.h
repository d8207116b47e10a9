#ifndef RLFLEET_ENVS_VECTOR_ENV_H_
#define RLFLEET_ENVS_VECTOR_ENV_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "envs/env.h"

namespace rlfleet {

struct VectorEnvOptions {
  std::string env_id;
  int32_t num_envs = 1;
  uint64_t seed = 0;        // env i is seeded with seed + i (Gymnasium's vector convention)
  int32_t num_threads = 1;  // worker threads stepping disjoint slices of the envs
  // Throws std::invalid_argument naming the bad field.
  void Validate() const;
};

// num_envs environments of one id stepped together, with auto-reset: when a step ends an
// episode (terminated or truncated) the env is reset at once, the returned observation is
// the new episode's first one and the last observation of the ended episode goes to
// `final_observations`. All buffers are caller-owned, row-major, one row per env.
// Not thread-safe; with num_threads > 1 it owns a worker pool joined in the destructor.
class VectorEnv {
 public:
  explicit VectorEnv(const VectorEnvOptions& options);  // throws on unknown env id
  ~VectorEnv();
  VectorEnv(const VectorEnv&) = delete;
  VectorEnv& operator=(const VectorEnv&) = delete;

  const EnvSpec& spec() const;
  int32_t num_envs() const;

  // Seeds env i with seed + i, resets all; writes num_envs × D floats.
  void Reset(float* observations);
  // actions: num_envs × A. Writes observations (num_envs × D), rewards (num_envs),
  // terminated and truncated (num_envs, 0/1), and for every env whose episode ended its
  // final observation into its row of final_observations (num_envs × D; other rows are left
  // untouched).
  void Step(const float* actions, float* observations, float* rewards, uint8_t* terminated,
            uint8_t* truncated, float* final_observations);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rlfleet

#endif  // RLFLEET_ENVS_VECTOR_ENV_H_
