#include "envs/mujoco/planar_locomotion.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace rlfleet {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// id, model, frame_skip, excluded, ctrl weight, noise, normal qvel, clip qvel, health,
// z range, |angle|, |state|.
constexpr PlanarTaskConfig kHalfCheetah = {
    "HalfCheetah-v4", "half_cheetah.xml", 5, 1, 0.1, 0.1, true, false, false, 0, 0, 0, 0};
constexpr PlanarTaskConfig kHopper = {"Hopper-v4", "hopper.xml", 4,   1,    1e-3, 5e-3, false,
                                      true,        true,         0.7, kInf, 0.2,  100.0};
constexpr PlanarTaskConfig kWalker2d = {"Walker2d-v4", "walker2d.xml", 4,   1,   1e-3, 5e-3, false,
                                        true,          true,           0.8, 2.0, 1.0,  0};
constexpr PlanarTaskConfig kSwimmer = {"Swimmer-v4", "swimmer.xml", 4, 2, 1e-4, 0.1, false,
                                       false,        false,         0, 0, 0,    0};

int32_t ObservationSize(const PlanarTaskConfig& config) {
  const std::shared_ptr<const mjModel> model = LoadMujocoModel(config.model_file);
  return model->nq - config.excluded_positions + model->nv;
}

}  // namespace

PlanarLocomotionEnv::PlanarLocomotionEnv(const PlanarTaskConfig& config)
    : MujocoEnv(config.model_file, config.frame_skip,
                MujocoSpec(config.id, config.model_file, ObservationSize(config), 1000)),
      config_(config) {
  if (config_.has_health) {
    DeclareRewardTerms({"forward", "healthy", "ctrl_cost"});
  } else {
    DeclareRewardTerms({"forward", "ctrl_cost"});
  }
}

void PlanarLocomotionEnv::ResetModel() {
  AddResetNoise(config_.reset_noise_scale, config_.normal_qvel_noise);
}

void PlanarLocomotionEnv::WriteObservation(float* observation) const {
  const mjModel* m = model();
  const mjData* d = data();
  float* out = observation;
  for (int i = config_.excluded_positions; i < m->nq; ++i) *out++ = static_cast<float>(d->qpos[i]);
  for (int i = 0; i < m->nv; ++i) {
    const double v = config_.clip_qvel ? std::clamp(d->qvel[i], -10.0, 10.0) : d->qvel[i];
    *out++ = static_cast<float>(v);
  }
}

bool PlanarLocomotionEnv::IsHealthy() const {
  if (!config_.has_health) return true;
  const mjModel* m = model();
  const mjData* d = data();
  const double z = d->qpos[1];
  const double angle = d->qpos[2];
  if (!(config_.min_z < z && z < config_.max_z)) return false;
  if (!(-config_.max_abs_angle < angle && angle < config_.max_abs_angle)) return false;
  if (config_.max_abs_state > 0) {
    const double limit = config_.max_abs_state;
    for (int i = 2; i < m->nq; ++i) {
      if (!(-limit < d->qpos[i] && d->qpos[i] < limit)) return false;
    }
    for (int i = 0; i < m->nv; ++i) {
      if (!(-limit < d->qvel[i] && d->qvel[i] < limit)) return false;
    }
  }
  return true;
}

StepResult PlanarLocomotionEnv::Step(const float* action, float* observation) {
  const double x_before = data()->qpos[0];
  DoSimulation(action);
  const double x_after = data()->qpos[0];
  const double forward = (x_after - x_before) / dt();
  const double ctrl_cost = config_.ctrl_cost_weight * SquaredActionNorm(action);
  WriteObservation(observation);
  StepResult result;
  SetRewardTerm(0, forward);
  if (config_.has_health) {
    const double healthy = 1.0;
    SetRewardTerm(1, healthy);
    SetRewardTerm(2, -ctrl_cost);
    result.reward = forward + healthy - ctrl_cost;
    result.terminated = !IsHealthy();
  } else {
    SetRewardTerm(1, -ctrl_cost);
    result.reward = forward - ctrl_cost;
  }
  MarkStepped();
  return result;
}

HalfCheetahEnv::HalfCheetahEnv() : PlanarLocomotionEnv(kHalfCheetah) {}
HopperEnv::HopperEnv() : PlanarLocomotionEnv(kHopper) {}
Walker2dEnv::Walker2dEnv() : PlanarLocomotionEnv(kWalker2d) {}
SwimmerEnv::SwimmerEnv() : PlanarLocomotionEnv(kSwimmer) {}

}  // namespace rlfleet
