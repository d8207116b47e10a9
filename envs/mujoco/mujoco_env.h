#ifndef RLFLEET_ENVS_MUJOCO_MUJOCO_ENV_H_
#define RLFLEET_ENVS_MUJOCO_MUJOCO_ENV_H_

#include <mujoco/mujoco.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/random.h"
#include "envs/env.h"

namespace rlfleet {

// Directory holding the MJCF model files: $RLFLEET_MUJOCO_ASSETS when set and non-empty,
// else envs/mujoco/assets of the source tree this binary was configured from.
std::string MujocoAssetDir();

// The compiled model of `file_name` (relative to MujocoAssetDir()), loaded once per process
// and shared, immutable, by every env of that task. Thread-safe. Throws std::runtime_error
// with MuJoCo's message when the file cannot be loaded or compiled.
std::shared_ptr<const mjModel> LoadMujocoModel(const std::string& file_name);

struct MjDataDeleter {
  void operator()(mjData* data) const { mj_deleteData(data); }
};
// Owns one simulation state.
using MjDataPtr = std::unique_ptr<mjData, MjDataDeleter>;

// Base of the MuJoCo tasks, with Gymnasium's MujocoEnv semantics (v4): an action is copied
// to ctrl and the model is stepped frame_skip times (dt = timestep × frame_skip); Reset
// restores the model's reference state (qpos0, zero qvel), lets the task add its reset noise
// and runs mj_forward. Observations are float32 copies of the task's double-precision
// values; every bound is ±inf. Subclasses size their reward terms once; Step fills them.
// Not thread-safe; nothing is allocated after construction.
class MujocoEnv : public Env {
 public:
  using RewardTerms = std::vector<std::pair<const char*, double>>;

  MujocoEnv(const std::string& model_file, int frame_skip, EnvSpec spec);
  MujocoEnv(const MujocoEnv&) = delete;
  MujocoEnv& operator=(const MujocoEnv&) = delete;

  const EnvSpec& spec() const override { return spec_; }
  void Seed(uint64_t seed) override { rng_.Seed(seed); }
  void Reset(float* observation) override;

  // The terms of the last step's reward, each with its sign (their sum is the reward), e.g.
  // {"forward", 1.3}, {"ctrl_cost", -0.02}. Null before the first step.
  virtual const RewardTerms* reward_terms() const { return stepped_ ? &reward_terms_ : nullptr; }

  // Direct state access for tests and tools (not part of Env): sets qpos (nq values) and
  // qvel (nv values) and runs mj_forward, like Gymnasium's set_state.
  void SetState(const double* qpos, const double* qvel);
  // Writes the current observation.
  void Observe(float* observation) const { WriteObservation(observation); }

  const mjModel* model() const { return model_.get(); }
  const mjData* data() const { return data_.get(); }
  int frame_skip() const { return frame_skip_; }
  double dt() const { return model_->opt.timestep * frame_skip_; }

 protected:
  // Adds the task's reset noise to data()->qpos / qvel (which hold qpos0 and zeros).
  virtual void ResetModel() = 0;
  virtual void WriteObservation(float* observation) const = 0;

  mjData* mutable_data() { return data_.get(); }
  Rng& rng() { return rng_; }
  // Copies the action into ctrl and advances frame_skip physics steps; then, when enabled,
  // runs mj_rnePostConstraint so that cacc, cfrc_int and cfrc_ext are current (Gymnasium's
  // MujocoEnv does this after every step; only Humanoid reads those fields).
  void DoSimulation(const float* action);
  void EnablePostConstraintForces() { post_constraint_ = true; }
  // Gymnasium's common reset noise: qpos += U(-scale, scale), qvel += U(-scale, scale) or,
  // with normal_qvel, qvel += scale · N(0, 1).
  void AddResetNoise(double scale, bool normal_qvel);
  // Σ action² over the action's dimensions.
  double SquaredActionNorm(const float* action) const;
  // Declares the reward terms (names are string literals); called once in the constructor.
  void DeclareRewardTerms(std::initializer_list<const char*> names);
  void SetRewardTerm(int index, double value) { reward_terms_[index].second = value; }
  void MarkStepped() { stepped_ = true; }
  // Index of a named object (mjOBJ_BODY, mjOBJ_SITE...); throws when it does not exist.
  int ObjectId(int type, const char* name) const;

 private:
  EnvSpec spec_;
  std::shared_ptr<const mjModel> model_;
  MjDataPtr data_;
  int frame_skip_;
  Rng rng_;
  RewardTerms reward_terms_;
  bool stepped_ = false;
  bool post_constraint_ = false;
};

// Fills the common parts of a MuJoCo task's spec: unbounded observations, actions bounded by
// the actuators' ctrlrange (read from the model), and the time limit.
EnvSpec MujocoSpec(const std::string& id, const std::string& model_file, int32_t observation_size,
                   int32_t max_episode_steps);

}  // namespace rlfleet

#endif  // RLFLEET_ENVS_MUJOCO_MUJOCO_ENV_H_
