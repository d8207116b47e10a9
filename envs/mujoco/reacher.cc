#include "envs/mujoco/reacher.h"

#include <cmath>

namespace rlfleet {
namespace {

constexpr char kReacherModel[] = "reacher.xml";

}  // namespace

ReacherEnv::ReacherEnv()
    : MujocoEnv(kReacherModel, 2, MujocoSpec("Reacher-v4", kReacherModel, 11, 50)),
      fingertip_body_(ObjectId(mjOBJ_BODY, "fingertip")),
      target_body_(ObjectId(mjOBJ_BODY, "target")) {
  DeclareRewardTerms({"distance", "ctrl"});
}

void ReacherEnv::ResetModel() {
  mjData* d = mutable_data();
  for (int i = 0; i < model()->nq; ++i) d->qpos[i] += rng().Uniform(-0.1, 0.1);
  double gx, gy;
  do {
    gx = rng().Uniform(-0.2, 0.2);
    gy = rng().Uniform(-0.2, 0.2);
  } while (!(std::sqrt(gx * gx + gy * gy) < 0.2));
  d->qpos[2] = gx;
  d->qpos[3] = gy;
  for (int i = 0; i < model()->nv; ++i) d->qvel[i] += rng().Uniform(-0.005, 0.005);
  d->qvel[2] = 0.0;
  d->qvel[3] = 0.0;
}

void ReacherEnv::WriteObservation(float* observation) const {
  const mjData* d = data();
  observation[0] = static_cast<float>(std::cos(d->qpos[0]));
  observation[1] = static_cast<float>(std::cos(d->qpos[1]));
  observation[2] = static_cast<float>(std::sin(d->qpos[0]));
  observation[3] = static_cast<float>(std::sin(d->qpos[1]));
  observation[4] = static_cast<float>(d->qpos[2]);
  observation[5] = static_cast<float>(d->qpos[3]);
  observation[6] = static_cast<float>(d->qvel[0]);
  observation[7] = static_cast<float>(d->qvel[1]);
  for (int k = 0; k < 3; ++k) {
    observation[8 + k] =
        static_cast<float>(d->xipos[3 * fingertip_body_ + k] - d->xipos[3 * target_body_ + k]);
  }
}

StepResult ReacherEnv::Step(const float* action, float* observation) {
  const mjData* d = data();
  double squared_distance = 0.0;
  for (int k = 0; k < 3; ++k) {
    const double diff = d->xipos[3 * fingertip_body_ + k] - d->xipos[3 * target_body_ + k];
    squared_distance += diff * diff;
  }
  const double distance_reward = -std::sqrt(squared_distance);
  const double ctrl_reward = -SquaredActionNorm(action);
  DoSimulation(action);
  WriteObservation(observation);
  SetRewardTerm(0, distance_reward);
  SetRewardTerm(1, ctrl_reward);
  MarkStepped();
  StepResult result;
  result.reward = distance_reward + ctrl_reward;
  return result;
}

}  // namespace rlfleet
