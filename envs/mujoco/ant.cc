#include "envs/mujoco/ant.h"

#include <cmath>

namespace rlfleet {
namespace {

constexpr char kAntModel[] = "ant.xml";

}  // namespace

AntEnv::AntEnv()
    : MujocoEnv(kAntModel, 5, MujocoSpec("Ant-v4", kAntModel, 27, 1000)),
      torso_body_(ObjectId(mjOBJ_BODY, "torso")) {
  DeclareRewardTerms({"forward", "healthy", "ctrl_cost"});
}

void AntEnv::WriteObservation(float* observation) const {
  const mjModel* m = model();
  const mjData* d = data();
  float* out = observation;
  for (int i = 2; i < m->nq; ++i) *out++ = static_cast<float>(d->qpos[i]);
  for (int i = 0; i < m->nv; ++i) *out++ = static_cast<float>(d->qvel[i]);
}

bool AntEnv::IsHealthy() const {
  const mjModel* m = model();
  const mjData* d = data();
  for (int i = 0; i < m->nq; ++i) {
    if (!std::isfinite(d->qpos[i])) return false;
  }
  for (int i = 0; i < m->nv; ++i) {
    if (!std::isfinite(d->qvel[i])) return false;
  }
  const double z = d->qpos[2];
  return 0.2 <= z && z <= 1.0;
}

StepResult AntEnv::Step(const float* action, float* observation) {
  const double x_before = data()->xipos[3 * torso_body_];
  DoSimulation(action);
  const double x_after = data()->xipos[3 * torso_body_];
  const double forward = (x_after - x_before) / dt();
  const double healthy = 1.0;
  const double ctrl_cost = 0.5 * SquaredActionNorm(action);
  WriteObservation(observation);
  SetRewardTerm(0, forward);
  SetRewardTerm(1, healthy);
  SetRewardTerm(2, -ctrl_cost);
  MarkStepped();
  StepResult result;
  result.reward = forward + healthy - ctrl_cost;
  result.terminated = !IsHealthy();
  return result;
}

}  // namespace rlfleet
