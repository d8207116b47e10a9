#include "envs/mujoco/humanoid.h"

namespace rlfleet {
namespace {

constexpr char kHumanoidModel[] = "humanoid.xml";

}  // namespace

HumanoidEnv::HumanoidEnv()
    : MujocoEnv(kHumanoidModel, 5, MujocoSpec("Humanoid-v4", kHumanoidModel, 376, 1000)) {
  EnablePostConstraintForces();
  DeclareRewardTerms({"forward", "healthy", "ctrl_cost"});
}

void HumanoidEnv::WriteObservation(float* observation) const {
  const mjModel* m = model();
  const mjData* d = data();
  float* out = observation;
  auto append = [&out](const mjtNum* values, int count) {
    for (int i = 0; i < count; ++i) *out++ = static_cast<float>(values[i]);
  };
  append(d->qpos + 2, m->nq - 2);
  append(d->qvel, m->nv);
  append(d->cinert, 10 * m->nbody);
  append(d->cvel, 6 * m->nbody);
  append(d->qfrc_actuator, m->nv);
  append(d->cfrc_ext, 6 * m->nbody);
}

double HumanoidEnv::MassCenterX() const {
  const mjModel* m = model();
  const mjData* d = data();
  double mass = 0.0, moment = 0.0;
  for (int b = 0; b < m->nbody; ++b) {
    mass += m->body_mass[b];
    moment += m->body_mass[b] * d->xipos[3 * b];
  }
  return moment / mass;
}

bool HumanoidEnv::IsHealthy() const {
  const double z = data()->qpos[2];
  return 1.0 < z && z < 2.0;
}

StepResult HumanoidEnv::Step(const float* action, float* observation) {
  const double x_before = MassCenterX();
  DoSimulation(action);
  const double x_after = MassCenterX();
  const double forward = 1.25 * (x_after - x_before) / dt();
  const double healthy = 5.0;
  double squared_ctrl = 0.0;
  for (int i = 0; i < model()->nu; ++i) squared_ctrl += data()->ctrl[i] * data()->ctrl[i];
  const double ctrl_cost = 0.1 * squared_ctrl;
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
