#ifndef RLFLEET_ENVS_MUJOCO_INVERTED_PENDULUMS_H_
#define RLFLEET_ENVS_MUJOCO_INVERTED_PENDULUMS_H_

#include "envs/mujoco/mujoco_env.h"

namespace rlfleet {

// Gymnasium InvertedPendulum-v4: a pole hinged on a cart, force = 100 × action (action in
// [-3, 3]), RK4 with timestep 0.02 s, frame_skip 2. Observation (4): qpos (cart x, pole
// angle), qvel. Reward 1 every step ("alive"); terminates when |angle| > 0.2 rad or the
// observation is not finite. Reset: qpos, qvel += U(-0.01, 0.01). Time limit 1000.
class InvertedPendulumEnv : public MujocoEnv {
 public:
  InvertedPendulumEnv();
  StepResult Step(const float* action, float* observation) override;

 protected:
  void ResetModel() override { AddResetNoise(0.01, /*normal_qvel=*/false); }
  void WriteObservation(float* observation) const override;
};

// Gymnasium InvertedDoublePendulum-v4: two chained poles on a cart, force = 500 × action
// (action in [-1, 1]), RK4 with timestep 0.01 s, frame_skip 5. Observation (11): cart x,
// sin and cos of both hinge angles, qvel clipped to ±10, qfrc_constraint clipped to ±10.
// Reward after the step, with (x, y) the tip site's world (x, z) as mj_step leaves it in
// site_xpos (with RK4, evaluated at the last Runge-Kutta stage; Gymnasium reads the same):
//   10 ("alive") − (0.01 x² + (y − 2)²) ("distance_penalty")
//      − (0.001 v1² + 0.005 v2²) ("velocity_penalty"), v1, v2 the hinge velocities;
// terminates when y <= 1. Reset: qpos += U(-0.1, 0.1), qvel += 0.1 N(0, 1). Time limit 1000.
class InvertedDoublePendulumEnv : public MujocoEnv {
 public:
  InvertedDoublePendulumEnv();
  StepResult Step(const float* action, float* observation) override;

 protected:
  void ResetModel() override { AddResetNoise(0.1, /*normal_qvel=*/true); }
  void WriteObservation(float* observation) const override;

 private:
  int tip_site_;
};

}  // namespace rlfleet

#endif  // RLFLEET_ENVS_MUJOCO_INVERTED_PENDULUMS_H_
