#ifndef RLFLEET_ENVS_MUJOCO_PLANAR_LOCOMOTION_H_
#define RLFLEET_ENVS_MUJOCO_PLANAR_LOCOMOTION_H_

#include "envs/mujoco/mujoco_env.h"

namespace rlfleet {

// What distinguishes the planar "run forward" tasks (Gymnasium's v4 defaults).
struct PlanarTaskConfig {
  const char* id;
  const char* model_file;
  int frame_skip;
  int excluded_positions;  // leading qpos entries left out of the observation (x, or x and y)
  double ctrl_cost_weight;
  double reset_noise_scale;
  bool normal_qvel_noise;  // qvel += scale · N(0, 1) instead of U(-scale, scale)
  bool clip_qvel;          // observation's qvel clipped to ±10
  bool has_health;         // healthy reward 1 and termination when unhealthy
  double min_z, max_z;     // healthy: min_z < qpos[1] < max_z
  double max_abs_angle;    // healthy: -max_abs_angle < qpos[2] < max_abs_angle
  double max_abs_state;    // healthy: every value of (qpos, qvel)[2:] within ±; 0 = unchecked
};

// A planar runner: observation = qpos[excluded_positions:] then qvel (optionally clipped),
// all doubles of MuJoCo as float32. Reward after the step:
//   forward  = (x_after − x_before) / dt, x = qpos[0]      (weight 1)
//   healthy  = 1 when the task has health (paid on the terminating step too)
//   ctrl_cost = −ctrl_cost_weight · Σ action²
// Terminates when the task has health and the state after the step is unhealthy.
class PlanarLocomotionEnv : public MujocoEnv {
 public:
  explicit PlanarLocomotionEnv(const PlanarTaskConfig& config);
  StepResult Step(const float* action, float* observation) override;
  // Whether the current state is healthy by the config's ranges (always true without health).
  bool IsHealthy() const;

 protected:
  void ResetModel() override;
  void WriteObservation(float* observation) const override;

 private:
  PlanarTaskConfig config_;
};

// HalfCheetah-v4: 6 torques, frame_skip 5 (dt 0.05), ctrl_cost 0.1, reset noise qpos
// U(±0.1), qvel 0.1·N(0,1), observation 17 (qpos[1:], qvel), never terminates.
class HalfCheetahEnv : public PlanarLocomotionEnv {
 public:
  HalfCheetahEnv();
};

// Hopper-v4: 3 torques, frame_skip 4 (dt 0.008), ctrl_cost 0.001, reset noise U(±0.005),
// observation 11 (qpos[1:], qvel clipped ±10). Healthy: 0.7 < z, −0.2 < angle < 0.2 and
// (qpos, qvel)[2:] within (−100, 100).
class HopperEnv : public PlanarLocomotionEnv {
 public:
  HopperEnv();
};

// Walker2d-v4: 6 torques, frame_skip 4 (dt 0.008), ctrl_cost 0.001, reset noise U(±0.005),
// observation 17 (qpos[1:], qvel clipped ±10). Healthy: 0.8 < z < 2, −1 < angle < 1.
class Walker2dEnv : public PlanarLocomotionEnv {
 public:
  Walker2dEnv();
};

// Swimmer-v4: 2 torques, frame_skip 4 (dt 0.04), ctrl_cost 1e-4, reset noise U(±0.1),
// observation 8 (qpos[2:], qvel), never terminates.
class SwimmerEnv : public PlanarLocomotionEnv {
 public:
  SwimmerEnv();
};

}  // namespace rlfleet

#endif  // RLFLEET_ENVS_MUJOCO_PLANAR_LOCOMOTION_H_
