#ifndef RLFLEET_ENVS_MUJOCO_ANT_H_
#define RLFLEET_ENVS_MUJOCO_ANT_H_

#include "envs/mujoco/mujoco_env.h"

namespace rlfleet {

// Gymnasium Ant-v4 with its defaults (use_contact_forces=False): a four-legged robot on a
// free joint, 8 torques (gear 150, action in [-1, 1]), RK4 with timestep 0.01 s, frame_skip 5
// (dt 0.05). Observation (27): qpos[2:] (torso z, orientation quaternion, 8 joint angles) and
// qvel (14). Reward after the step:
//   "forward" = (x_after − x_before) / dt, x the torso's centre of mass (xipos) as MuJoCo
//               leaves it (Gymnasium's get_body_com)
//   "healthy" = 1 (paid on the terminating step too), "ctrl_cost" = −0.5 Σ action².
// Terminates unless (qpos, qvel) are finite and 0.2 <= torso z <= 1 (closed interval).
// Reset: qpos += U(±0.1) (the quaternion too, as Gymnasium does), qvel += 0.1 N(0, 1).
// Time limit 1000.
class AntEnv : public MujocoEnv {
 public:
  AntEnv();
  StepResult Step(const float* action, float* observation) override;
  bool IsHealthy() const;

 protected:
  void ResetModel() override { AddResetNoise(0.1, /*normal_qvel=*/true); }
  void WriteObservation(float* observation) const override;

 private:
  int torso_body_;
};

}  // namespace rlfleet

#endif  // RLFLEET_ENVS_MUJOCO_ANT_H_
