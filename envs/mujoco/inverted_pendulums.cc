#include "envs/mujoco/inverted_pendulums.h"

#include <algorithm>
#include <cmath>

namespace rlfleet {
namespace {

constexpr char kPendulumModel[] = "inverted_pendulum.xml";
constexpr char kDoublePendulumModel[] = "inverted_double_pendulum.xml";

float Clip10(double v) { return static_cast<float>(std::clamp(v, -10.0, 10.0)); }

}  // namespace

InvertedPendulumEnv::InvertedPendulumEnv()
    : MujocoEnv(kPendulumModel, 2, MujocoSpec("InvertedPendulum-v4", kPendulumModel, 4, 1000)) {
  DeclareRewardTerms({"alive"});
}

void InvertedPendulumEnv::WriteObservation(float* observation) const {
  const mjData* d = data();
  observation[0] = static_cast<float>(d->qpos[0]);
  observation[1] = static_cast<float>(d->qpos[1]);
  observation[2] = static_cast<float>(d->qvel[0]);
  observation[3] = static_cast<float>(d->qvel[1]);
}

StepResult InvertedPendulumEnv::Step(const float* action, float* observation) {
  DoSimulation(action);
  WriteObservation(observation);
  StepResult result;
  result.reward = 1.0;
  SetRewardTerm(0, 1.0);
  MarkStepped();
  bool finite = true;
  for (int i = 0; i < 4; ++i) finite = finite && std::isfinite(observation[i]);
  result.terminated = !finite || std::fabs(data()->qpos[1]) > 0.2;
  return result;
}

InvertedDoublePendulumEnv::InvertedDoublePendulumEnv()
    : MujocoEnv(kDoublePendulumModel, 5,
                MujocoSpec("InvertedDoublePendulum-v4", kDoublePendulumModel, 11, 1000)),
      tip_site_(ObjectId(mjOBJ_SITE, "tip")) {
  DeclareRewardTerms({"alive", "distance_penalty", "velocity_penalty"});
}

void InvertedDoublePendulumEnv::WriteObservation(float* observation) const {
  const mjData* d = data();
  observation[0] = static_cast<float>(d->qpos[0]);
  observation[1] = static_cast<float>(std::sin(d->qpos[1]));
  observation[2] = static_cast<float>(std::sin(d->qpos[2]));
  observation[3] = static_cast<float>(std::cos(d->qpos[1]));
  observation[4] = static_cast<float>(std::cos(d->qpos[2]));
  for (int i = 0; i < 3; ++i) observation[5 + i] = Clip10(d->qvel[i]);
  for (int i = 0; i < 3; ++i) observation[8 + i] = Clip10(d->qfrc_constraint[i]);
}

StepResult InvertedDoublePendulumEnv::Step(const float* action, float* observation) {
  DoSimulation(action);
  WriteObservation(observation);
  const mjData* d = data();
  const double x = d->site_xpos[3 * tip_site_];
  const double y = d->site_xpos[3 * tip_site_ + 2];
  const double v1 = d->qvel[1];
  const double v2 = d->qvel[2];
  const double distance_penalty = 0.01 * x * x + (y - 2) * (y - 2);
  const double velocity_penalty = 1e-3 * v1 * v1 + 5e-3 * v2 * v2;
  constexpr double kAlive = 10.0;
  SetRewardTerm(0, kAlive);
  SetRewardTerm(1, -distance_penalty);
  SetRewardTerm(2, -velocity_penalty);
  MarkStepped();
  StepResult result;
  result.reward = kAlive - distance_penalty - velocity_penalty;
  result.terminated = y <= 1;
  return result;
}

}  // namespace rlfleet
