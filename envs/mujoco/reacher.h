#ifndef RLFLEET_ENVS_MUJOCO_REACHER_H_
#define RLFLEET_ENVS_MUJOCO_REACHER_H_

#include "envs/mujoco/mujoco_env.h"

namespace rlfleet {

// Gymnasium Reacher-v4: a two-joint arm reaching a target in the plane. Torque = 200 ×
// action (action in [-1, 1]), RK4 with timestep 0.01 s, frame_skip 2. Observation (11):
// cos and sin of the two arm angles, target x, y (qpos[2:4]), arm velocities (qvel[0:2]),
// fingertip − target (body centres of mass, 3 values).
// Reward, computed BEFORE the simulation step as Gymnasium v4 does:
//   "distance" = −|fingertip − target|, "ctrl" = −Σ action²; never terminates.
// Reset: qpos = qpos0 + U(±0.1); the target (qpos[2:4]) drawn U(±0.2)² until its norm is
// < 0.2; qvel = U(±0.005) with the target's velocity 0. Time limit 50.
class ReacherEnv : public MujocoEnv {
 public:
  ReacherEnv();
  StepResult Step(const float* action, float* observation) override;

 protected:
  void ResetModel() override;
  void WriteObservation(float* observation) const override;

 private:
  int fingertip_body_;
  int target_body_;
};

}  // namespace rlfleet

#endif  // RLFLEET_ENVS_MUJOCO_REACHER_H_
