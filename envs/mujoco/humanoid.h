#ifndef RLFLEET_ENVS_MUJOCO_HUMANOID_H_
#define RLFLEET_ENVS_MUJOCO_HUMANOID_H_

#include "envs/mujoco/mujoco_env.h"

namespace rlfleet {

// Gymnasium Humanoid-v4: a 3-D biped with 17 torques (action in [-0.4, 0.4]), RK4 with
// timestep 0.003 s and the PGS solver (50 iterations, as Gymnasium's humanoid.xml), frame_skip 5
// (dt 0.015). Observation (376):
// qpos[2:] (22), qvel (23), cinert (14 bodies × 10), cvel (14 × 6), qfrc_actuator (23),
// cfrc_ext (14 × 6), read after mj_step and mj_rnePostConstraint.
// Reward after the step, with x the mass-weighted mean of the bodies' xipos:
//   "forward" = 1.25 (x_after − x_before) / dt, "healthy" = 5 (paid on the terminating step
//   too), "ctrl_cost" = −0.1 Σ ctrl² (ctrl = the action, unclamped).
// Terminates unless 1 < torso z < 2 (open interval). Reset: qpos, qvel += U(±0.01).
// Time limit 1000.
class HumanoidEnv : public MujocoEnv {
 public:
  HumanoidEnv();
  StepResult Step(const float* action, float* observation) override;
  bool IsHealthy() const;
  // x of the mass centre, as Gymnasium's mass_center computes it from data()->xipos.
  double MassCenterX() const;

 protected:
  void ResetModel() override { AddResetNoise(0.01, /*normal_qvel=*/false); }
  void WriteObservation(float* observation) const override;
};

}  // namespace rlfleet

#endif  // RLFLEET_ENVS_MUJOCO_HUMANOID_H_
