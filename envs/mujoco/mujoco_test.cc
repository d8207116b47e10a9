// Tests of the MuJoCo tasks. Expected values are Gymnasium's v4 facts (sizes, coefficients,
// ranges); every reward is recomputed here from the state before and after the step.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "envs/mujoco/ant.h"
#include "envs/mujoco/humanoid.h"
#include "envs/mujoco/inverted_pendulums.h"
#include "envs/mujoco/mujoco_env.h"
#include "envs/mujoco/planar_locomotion.h"
#include "envs/mujoco/reacher.h"
#include "envs/registry.h"
#include "envs/rollout.h"
#include "envs/time_limit.h"

namespace rlfleet {
namespace {

struct TaskFacts {
  const char* id;
  std::function<std::unique_ptr<MujocoEnv>()> make;
  int nq, nv, nu, observation_size;
  float action_low, action_high;
  int frame_skip;
  double dt;
  int max_episode_steps;
};

template <typename T>
std::unique_ptr<MujocoEnv> Make() {
  return std::make_unique<T>();
}

const std::vector<TaskFacts>& Tasks() {
  static const std::vector<TaskFacts> tasks = {
      {"InvertedPendulum-v4", &Make<InvertedPendulumEnv>, 2, 2, 1, 4, -3, 3, 2, 0.04, 1000},
      {"InvertedDoublePendulum-v4", &Make<InvertedDoublePendulumEnv>, 3, 3, 1, 11, -1, 1, 5, 0.05,
       1000},
      {"HalfCheetah-v4", &Make<HalfCheetahEnv>, 9, 9, 6, 17, -1, 1, 5, 0.05, 1000},
      {"Hopper-v4", &Make<HopperEnv>, 6, 6, 3, 11, -1, 1, 4, 0.008, 1000},
      {"Walker2d-v4", &Make<Walker2dEnv>, 9, 9, 6, 17, -1, 1, 4, 0.008, 1000},
      {"Swimmer-v4", &Make<SwimmerEnv>, 5, 5, 2, 8, -1, 1, 4, 0.04, 1000},
      {"Reacher-v4", &Make<ReacherEnv>, 4, 4, 2, 11, -1, 1, 2, 0.02, 50},
      {"Ant-v4", &Make<AntEnv>, 15, 14, 8, 27, -1, 1, 5, 0.05, 1000},
      {"Humanoid-v4", &Make<HumanoidEnv>, 24, 23, 17, 376, -0.4f, 0.4f, 5, 0.015, 1000},
  };
  return tasks;
}

double SumOfTerms(const MujocoEnv& env) {
  double sum = 0;
  for (const auto& term : *env.reward_terms()) sum += term.second;
  return sum;
}

double TermOf(const MujocoEnv& env, const std::string& name) {
  for (const auto& term : *env.reward_terms()) {
    if (name == term.first) return term.second;
  }
  ADD_FAILURE() << "no reward term " << name;
  return NAN;
}

// A reset env stepped with random actions for `steps` steps; returns every observation.
std::vector<float> Rollout(MujocoEnv& env, uint64_t seed, int steps) {
  const int d = env.spec().observation_size;
  const int a = env.spec().action_size;
  std::vector<float> obs(d), action(a), all;
  Rng action_rng(seed + 1000);
  env.Seed(seed);
  env.Reset(obs.data());
  all.insert(all.end(), obs.begin(), obs.end());
  for (int t = 0; t < steps; ++t) {
    for (int i = 0; i < a; ++i) {
      action[i] = static_cast<float>(
          action_rng.Uniform(env.spec().action_low[i], env.spec().action_high[i]));
    }
    const StepResult r = env.Step(action.data(), obs.data());
    all.insert(all.end(), obs.begin(), obs.end());
    if (r.terminated) env.Reset(obs.data());
  }
  return all;
}

TEST(MujocoEnvTest, ModelSizesAndSpecsMatchGymnasium) {
  for (const TaskFacts& task : Tasks()) {
    SCOPED_TRACE(task.id);
    std::unique_ptr<MujocoEnv> env = task.make();
    EXPECT_EQ(env->model()->nq, task.nq);
    EXPECT_EQ(env->model()->nv, task.nv);
    EXPECT_EQ(env->model()->nu, task.nu);
    EXPECT_EQ(env->frame_skip(), task.frame_skip);
    EXPECT_NEAR(env->dt(), task.dt, 1e-12);
    const EnvSpec& spec = env->spec();
    EXPECT_EQ(spec.id, task.id);
    EXPECT_EQ(spec.observation_size, task.observation_size);
    EXPECT_EQ(static_cast<int>(spec.observation_low.size()), task.observation_size);
    EXPECT_EQ(static_cast<int>(spec.observation_high.size()), task.observation_size);
    EXPECT_FALSE(spec.discrete_actions);
    EXPECT_EQ(spec.action_size, task.nu);
    EXPECT_EQ(spec.action_low, std::vector<float>(task.nu, task.action_low));
    EXPECT_EQ(spec.action_high, std::vector<float>(task.nu, task.action_high));
    EXPECT_EQ(spec.max_episode_steps, task.max_episode_steps);
    EXPECT_EQ(env->reward_terms(), nullptr);
  }
}

// The <option> of each of Gymnasium's nine v4 models (gymnasium/envs/mujoco/assets/*.xml), as the
// compiled model holds it: timestep, integrator, constraint solver and its iterations (MuJoCo's
// defaults Euler, Newton and 100 where the file sets none), gravity, medium density and
// viscosity.
TEST(MujocoEnvTest, SimulationOptionsMatchGymnasiumModels) {
  struct Options {
    const char* file;
    double timestep;
    int integrator;
    int solver;
    int iterations;
    double gravity[3];
    double density, viscosity;
  };
  const Options kGymnasium[] = {
      {"ant.xml", 0.01, mjINT_RK4, mjSOL_NEWTON, 100, {0, 0, -9.81}, 0, 0},
      {"half_cheetah.xml", 0.01, mjINT_EULER, mjSOL_NEWTON, 100, {0, 0, -9.81}, 0, 0},
      {"hopper.xml", 0.002, mjINT_RK4, mjSOL_NEWTON, 100, {0, 0, -9.81}, 0, 0},
      {"humanoid.xml", 0.003, mjINT_RK4, mjSOL_PGS, 50, {0, 0, -9.81}, 0, 0},
      {"inverted_double_pendulum.xml", 0.01, mjINT_RK4, mjSOL_NEWTON, 100, {1e-5, 0, -9.81}, 0, 0},
      {"inverted_pendulum.xml", 0.02, mjINT_RK4, mjSOL_NEWTON, 100, {0, 0, -9.81}, 0, 0},
      {"reacher.xml", 0.01, mjINT_RK4, mjSOL_NEWTON, 100, {0, 0, -9.81}, 0, 0},
      {"swimmer.xml", 0.01, mjINT_RK4, mjSOL_NEWTON, 100, {0, 0, -9.81}, 4000, 0.1},
      {"walker2d.xml", 0.002, mjINT_RK4, mjSOL_NEWTON, 100, {0, 0, -9.81}, 0, 0},
  };
  for (const Options& want : kGymnasium) {
    SCOPED_TRACE(want.file);
    const std::shared_ptr<const mjModel> model = LoadMujocoModel(want.file);
    EXPECT_DOUBLE_EQ(model->opt.timestep, want.timestep);
    EXPECT_EQ(model->opt.integrator, want.integrator);
    EXPECT_EQ(model->opt.solver, want.solver);
    EXPECT_EQ(model->opt.iterations, want.iterations);
    for (int i = 0; i < 3; ++i) EXPECT_DOUBLE_EQ(model->opt.gravity[i], want.gravity[i]) << i;
    EXPECT_DOUBLE_EQ(model->opt.density, want.density);
    EXPECT_DOUBLE_EQ(model->opt.viscosity, want.viscosity);
  }
}

TEST(MujocoEnvTest, ModelIsSharedByEnvsOfATask) {
  InvertedPendulumEnv a, b;
  EXPECT_EQ(a.model(), b.model());
  EXPECT_NE(a.data(), b.data());
  EXPECT_EQ(LoadMujocoModel("inverted_pendulum.xml").get(), a.model());
}

TEST(MujocoEnvTest, MissingModelFileThrowsNamingIt) {
  try {
    LoadMujocoModel("no_such_model.xml");
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_model.xml"), std::string::npos) << e.what();
  }
}

TEST(MujocoEnvTest, AssetDirectoryCanBeOverriddenFromTheEnvironment) {
  const std::string built_in = MujocoAssetDir();
  ASSERT_EQ(setenv("RLFLEET_MUJOCO_ASSETS", "/no/such/assets", 1), 0);
  EXPECT_EQ(MujocoAssetDir(), "/no/such/assets");
  EXPECT_THROW(LoadMujocoModel("hopper.xml"), std::runtime_error);
  ASSERT_EQ(unsetenv("RLFLEET_MUJOCO_ASSETS"), 0);
  EXPECT_EQ(MujocoAssetDir(), built_in);
}

TEST(MujocoEnvTest, SameSeedSameRolloutOtherSeedDifferent) {
  for (const TaskFacts& task : Tasks()) {
    SCOPED_TRACE(task.id);
    std::unique_ptr<MujocoEnv> a = task.make(), b = task.make();
    const std::vector<float> first = Rollout(*a, 7, 30);
    EXPECT_EQ(first, Rollout(*b, 7, 30));
    EXPECT_NE(first, Rollout(*b, 8, 30));
    // Reset continues the seeded stream: a second episode starts elsewhere.
    std::vector<float> obs1(task.observation_size), obs2(task.observation_size);
    a->Seed(3);
    a->Reset(obs1.data());
    a->Reset(obs2.data());
    EXPECT_NE(obs1, obs2);
  }
}

TEST(MujocoEnvTest, ObservationsAreFiniteUnderRandomActions) {
  for (const TaskFacts& task : Tasks()) {
    SCOPED_TRACE(task.id);
    std::unique_ptr<MujocoEnv> env = task.make();
    for (float v : Rollout(*env, 11, 200)) ASSERT_TRUE(std::isfinite(v));
  }
}

TEST(MujocoEnvTest, ResetNoiseStaysWithinItsScale) {
  // Uniform noise: every qpos within scale of qpos0.
  const std::pair<std::function<std::unique_ptr<MujocoEnv>()>, double> cases[] = {
      {&Make<InvertedPendulumEnv>, 0.01}, {&Make<InvertedDoublePendulumEnv>, 0.1},
      {&Make<HalfCheetahEnv>, 0.1},       {&Make<HopperEnv>, 5e-3},
      {&Make<Walker2dEnv>, 5e-3},         {&Make<SwimmerEnv>, 0.1}};
  for (const auto& [make, scale] : cases) {
    std::unique_ptr<MujocoEnv> env = make();
    std::vector<float> obs(env->spec().observation_size);
    env->Seed(5);
    double largest = 0;
    for (int episode = 0; episode < 50; ++episode) {
      env->Reset(obs.data());
      for (int i = 0; i < env->model()->nq; ++i) {
        const double offset = env->data()->qpos[i] - env->model()->qpos0[i];
        EXPECT_LE(std::fabs(offset), scale);
        largest = std::fmax(largest, std::fabs(offset));
      }
    }
    EXPECT_GT(largest, 0.5 * scale);
  }
}

// ---- InvertedPendulum-v4 ----

TEST(InvertedPendulumTest, ObservationIsQposQvelAndRewardIsOne) {
  InvertedPendulumEnv env;
  std::vector<float> obs(4);
  env.Seed(1);
  env.Reset(obs.data());
  const float action = 0.5f;
  const StepResult r = env.Step(&action, obs.data());
  EXPECT_EQ(r.reward, 1.0);
  EXPECT_EQ(TermOf(env, "alive"), 1.0);
  EXPECT_FALSE(r.terminated);
  EXPECT_FALSE(r.truncated);
  EXPECT_EQ(obs[0], static_cast<float>(env.data()->qpos[0]));
  EXPECT_EQ(obs[1], static_cast<float>(env.data()->qpos[1]));
  EXPECT_EQ(obs[2], static_cast<float>(env.data()->qvel[0]));
  EXPECT_EQ(obs[3], static_cast<float>(env.data()->qvel[1]));
  // Force 100 × 0.5 pushes the cart to +x.
  EXPECT_GT(env.data()->qvel[0], 0.0);
}

TEST(InvertedPendulumTest, TerminatesExactlyBeyondPointTwoRadians) {
  InvertedPendulumEnv env;
  std::vector<float> obs(4);
  env.Reset(obs.data());
  const float zero = 0.0f;
  // The angle after the step is what counts: start at rest slightly inside the boundary
  // (gravity only increases |angle| from rest) and check the rule against the new angle.
  for (double start : {0.19, -0.19, 0.199, 0.21, -0.21}) {
    const double qpos[2] = {0.0, start};
    const double qvel[2] = {0.0, 0.0};
    env.SetState(qpos, qvel);
    const StepResult r = env.Step(&zero, obs.data());
    EXPECT_EQ(r.terminated, std::fabs(env.data()->qpos[1]) > 0.2) << start;
    EXPECT_EQ(r.reward, 1.0);
  }
  // Holding the pole at the boundary with a velocity that keeps it there.
  const double at_rest_inside[2] = {0.0, 0.0};
  const double none[2] = {0.0, 0.0};
  env.SetState(at_rest_inside, none);
  EXPECT_FALSE(env.Step(&zero, obs.data()).terminated);
}

// ---- InvertedDoublePendulum-v4 ----

TEST(InvertedDoublePendulumTest, RewardAndObservationFromTheStateAfterTheStep) {
  InvertedDoublePendulumEnv env;
  std::vector<float> obs(11);
  env.Seed(2);
  env.Reset(obs.data());
  const float action = 0.3f;
  const StepResult r = env.Step(&action, obs.data());
  const mjData* d = env.data();
  // Tip of the upper pole by forward kinematics of the final positions: cart x, then two
  // 0.6 m poles at absolute angles q1 and q1 + q2 from vertical (rotation about +y tips +z
  // towards +x). Like Gymnasium, the env reads site_xpos as mj_step leaves it, which RK4
  // evaluated at its last stage, not at the final positions: equal to O(dt²), hence 1e-5.
  const double q0 = d->qpos[0], q1 = d->qpos[1], q2 = d->qpos[2];
  const double x = q0 + 0.6 * std::sin(q1) + 0.6 * std::sin(q1 + q2);
  const double y = 0.6 * std::cos(q1) + 0.6 * std::cos(q1 + q2);
  const double v1 = d->qvel[1], v2 = d->qvel[2];
  const double expected =
      10 - (0.01 * x * x + (y - 2) * (y - 2)) - (1e-3 * v1 * v1 + 5e-3 * v2 * v2);
  EXPECT_NEAR(r.reward, expected, 1e-5);
  const int tip = mj_name2id(env.model(), mjOBJ_SITE, "tip");
  EXPECT_NEAR(
      TermOf(env, "distance_penalty"),
      -(0.01 * std::pow(d->site_xpos[3 * tip], 2) + std::pow(d->site_xpos[3 * tip + 2] - 2, 2)),
      1e-12);
  EXPECT_NEAR(TermOf(env, "velocity_penalty"), -(1e-3 * v1 * v1 + 5e-3 * v2 * v2), 1e-12);
  EXPECT_NEAR(SumOfTerms(env), r.reward, 1e-12);
  EXPECT_EQ(TermOf(env, "alive"), 10.0);
  EXPECT_FALSE(r.terminated);
  EXPECT_EQ(obs[0], static_cast<float>(q0));
  EXPECT_EQ(obs[1], static_cast<float>(std::sin(q1)));
  EXPECT_EQ(obs[2], static_cast<float>(std::sin(q2)));
  EXPECT_EQ(obs[3], static_cast<float>(std::cos(q1)));
  EXPECT_EQ(obs[4], static_cast<float>(std::cos(q2)));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(obs[5 + i], static_cast<float>(std::fmax(-10, std::fmin(10, d->qvel[i]))));
    EXPECT_EQ(obs[8 + i], static_cast<float>(std::fmax(-10, std::fmin(10, d->qfrc_constraint[i]))));
  }
}

TEST(InvertedDoublePendulumTest, TerminatesWhenTheTipIsAtOrBelowOneMetre) {
  InvertedDoublePendulumEnv env;
  std::vector<float> obs(11);
  env.Reset(obs.data());
  const float zero = 0.0f;
  // Lower pole tilted by q1, upper pole straight on it: tip height 1.2 cos(q1). The tip
  // height after one step from rest is nearly the same; pick angles whose tip is well
  // inside / outside, then check the rule itself against the tip after the step.
  for (double q1 : {0.3, 0.55, 0.6, 0.7}) {
    const double qpos[3] = {0.0, q1, 0.0};
    const double qvel[3] = {0.0, 0.0, 0.0};
    env.SetState(qpos, qvel);
    const StepResult r = env.Step(&zero, obs.data());
    const int tip = mj_name2id(env.model(), mjOBJ_SITE, "tip");
    const double y = env.data()->site_xpos[3 * tip + 2];
    EXPECT_EQ(r.terminated, y <= 1.0) << q1;
  }
  const double upright[3] = {0, 0, 0}, still[3] = {0, 0, 0};
  env.SetState(upright, still);
  EXPECT_FALSE(env.Step(&zero, obs.data()).terminated);
  const double fallen[3] = {0, 1.2, 0};
  env.SetState(fallen, still);
  EXPECT_TRUE(env.Step(&zero, obs.data()).terminated);
}

// ---- HalfCheetah, Hopper, Walker2d, Swimmer ----

struct PlanarFacts {
  std::function<std::unique_ptr<MujocoEnv>()> make;
  int excluded_positions;
  bool clip_qvel;
  double ctrl_cost_weight;
  bool healthy_reward;
};

const PlanarFacts kPlanar[] = {
    {&Make<HalfCheetahEnv>, 1, false, 0.1, false},
    {&Make<HopperEnv>, 1, true, 1e-3, true},
    {&Make<Walker2dEnv>, 1, true, 1e-3, true},
    {&Make<SwimmerEnv>, 2, false, 1e-4, false},
};

TEST(PlanarLocomotionTest, RewardTermsFromPositionsBeforeAndAfterAndTheAction) {
  for (const PlanarFacts& facts : kPlanar) {
    std::unique_ptr<MujocoEnv> env = facts.make();
    SCOPED_TRACE(env->spec().id);
    const int nq = env->model()->nq, nv = env->model()->nv, nu = env->model()->nu;
    std::vector<float> obs(env->spec().observation_size), action(nu);
    env->Seed(4);
    env->Reset(obs.data());
    Rng action_rng(9);
    for (int t = 0; t < 5; ++t) {
      double squared = 0;
      for (float& a : action) {
        a = static_cast<float>(action_rng.Uniform(-1, 1));
        squared += static_cast<double>(a) * a;
      }
      const double x_before = env->data()->qpos[0];
      const StepResult r = env->Step(action.data(), obs.data());
      const double x_after = env->data()->qpos[0];
      const double forward = (x_after - x_before) / env->dt();
      const double ctrl = facts.ctrl_cost_weight * squared;
      const double healthy = facts.healthy_reward ? 1.0 : 0.0;
      EXPECT_NEAR(r.reward, forward + healthy - ctrl, 1e-9);
      EXPECT_NEAR(TermOf(*env, "forward"), forward, 1e-9);
      EXPECT_NEAR(TermOf(*env, "ctrl_cost"), -ctrl, 1e-12);
      if (facts.healthy_reward) {
        EXPECT_EQ(TermOf(*env, "healthy"), 1.0);
      }
      EXPECT_NEAR(SumOfTerms(*env), r.reward, 1e-12);
      // Observation: qpos without the leading positions, then qvel (maybe clipped).
      int k = 0;
      for (int i = facts.excluded_positions; i < nq; ++i) {
        EXPECT_EQ(obs[k++], static_cast<float>(env->data()->qpos[i]));
      }
      for (int i = 0; i < nv; ++i) {
        double v = env->data()->qvel[i];
        if (facts.clip_qvel) v = std::fmax(-10.0, std::fmin(10.0, v));
        EXPECT_EQ(obs[k++], static_cast<float>(v));
      }
      EXPECT_EQ(k, env->spec().observation_size);
      if (r.terminated) break;
    }
  }
}

TEST(PlanarLocomotionTest, HalfCheetahAndSwimmerNeverTerminate) {
  for (auto make : {&Make<HalfCheetahEnv>, &Make<SwimmerEnv>}) {
    std::unique_ptr<MujocoEnv> env = make();
    std::vector<float> obs(env->spec().observation_size);
    std::vector<float> action(env->model()->nu, 1.0f);
    env->Reset(obs.data());
    for (int t = 0; t < 300; ++t) ASSERT_FALSE(env->Step(action.data(), obs.data()).terminated);
  }
}

TEST(PlanarLocomotionTest, HalfCheetahStaysNearItsStartUnderZeroAction) {
  HalfCheetahEnv env;
  std::vector<float> obs(17), zero(6, 0.0f);
  env.Seed(0);
  env.Reset(obs.data());
  const double x0 = env.data()->qpos[0];
  double total = 0;
  for (int t = 0; t < 1000; ++t) {
    const StepResult r = env.Step(zero.data(), obs.data());
    ASSERT_FALSE(r.terminated);
    total += r.reward;
  }
  EXPECT_LT(std::fabs(env.data()->qpos[0] - x0), 0.5);
  EXPECT_LT(std::fabs(total), 50.0);
}

TEST(PlanarLocomotionTest, HopperFallsAndTerminatesUnderZeroAction) {
  HopperEnv env;
  std::vector<float> obs(11), zero(3, 0.0f);
  env.Seed(0);
  env.Reset(obs.data());
  EXPECT_NEAR(obs[0], 1.25, 0.005 + 1e-6);  // z starts at qpos0 = 1.25 plus noise
  int steps = 0;
  bool terminated = false;
  while (!terminated && steps < 1000) {
    terminated = env.Step(zero.data(), obs.data()).terminated;
    ++steps;
  }
  EXPECT_TRUE(terminated);
  EXPECT_LT(steps, 1000);
  EXPECT_FALSE(env.IsHealthy());
}

// Sets qpos = qpos0 with one entry replaced, zero qvel, and asks IsHealthy.
bool HealthyWith(PlanarLocomotionEnv& env, int index, double value, int qvel_index = -1,
                 double qvel_value = 0) {
  std::vector<double> qpos(env.model()->qpos0, env.model()->qpos0 + env.model()->nq);
  std::vector<double> qvel(env.model()->nv, 0.0);
  if (index >= 0) qpos[index] = value;
  if (qvel_index >= 0) qvel[qvel_index] = qvel_value;
  env.SetState(qpos.data(), qvel.data());
  return env.IsHealthy();
}

TEST(PlanarLocomotionTest, HopperHealthyRangesAreOpenIntervals) {
  HopperEnv env;
  const double eps = 1e-9;
  EXPECT_TRUE(HealthyWith(env, -1, 0));
  EXPECT_TRUE(HealthyWith(env, 1, 0.7 + eps));  // z > 0.7
  EXPECT_FALSE(HealthyWith(env, 1, 0.7));
  EXPECT_TRUE(HealthyWith(env, 1, 1e6));        // no upper z bound
  EXPECT_TRUE(HealthyWith(env, 2, 0.2 - eps));  // -0.2 < angle < 0.2
  EXPECT_FALSE(HealthyWith(env, 2, 0.2));
  EXPECT_TRUE(HealthyWith(env, 2, -0.2 + eps));
  EXPECT_FALSE(HealthyWith(env, 2, -0.2));
  // (qpos, qvel)[2:] within (-100, 100): a velocity at the bound is unhealthy...
  EXPECT_TRUE(HealthyWith(env, -1, 0, 3, 100 - 1e-6));
  EXPECT_FALSE(HealthyWith(env, -1, 0, 3, 100));
  EXPECT_FALSE(HealthyWith(env, -1, 0, 0, -100));  // qvel[0] is state_vector()[nq + 0]
  // ...but x (qpos[0]) and z are not part of that check.
  EXPECT_TRUE(HealthyWith(env, 0, 500));
}

TEST(PlanarLocomotionTest, Walker2dHealthyRangesAreOpenIntervals) {
  Walker2dEnv env;
  const double eps = 1e-9;
  EXPECT_TRUE(HealthyWith(env, -1, 0));
  EXPECT_TRUE(HealthyWith(env, 1, 0.8 + eps));
  EXPECT_FALSE(HealthyWith(env, 1, 0.8));
  EXPECT_TRUE(HealthyWith(env, 1, 2.0 - eps));
  EXPECT_FALSE(HealthyWith(env, 1, 2.0));
  EXPECT_TRUE(HealthyWith(env, 2, 1.0 - eps));
  EXPECT_FALSE(HealthyWith(env, 2, 1.0));
  EXPECT_TRUE(HealthyWith(env, 2, -1.0 + eps));
  EXPECT_FALSE(HealthyWith(env, 2, -1.0));
  EXPECT_TRUE(HealthyWith(env, -1, 0, 3, 1000));  // no state range for Walker2d
}

TEST(PlanarLocomotionTest, StepTerminatesExactlyWhenTheStateAfterItIsUnhealthy) {
  // Start at rest at the standing height with the torso tilted just inside / just outside
  // the angle bound: in the air (no contact), one 8 ms step changes the tilt by far less than
  // the 1e-3 margin, so the outcome is decided by the side of the boundary.
  for (double offset : {1e-3, -1e-3}) {
    for (double sign : {1.0, -1.0}) {
      for (auto make : {&Make<HopperEnv>, &Make<Walker2dEnv>}) {
        std::unique_ptr<MujocoEnv> base = make();
        auto& env = static_cast<PlanarLocomotionEnv&>(*base);
        const double bound = env.spec().id == "Hopper-v4" ? 0.2 : 1.0;
        std::vector<double> qpos(env.model()->qpos0, env.model()->qpos0 + env.model()->nq);
        std::vector<double> qvel(env.model()->nv, 0.0);
        qpos[2] = sign * (bound - offset);
        env.SetState(qpos.data(), qvel.data());
        std::vector<float> obs(env.spec().observation_size), zero(env.model()->nu, 0.0f);
        const StepResult r = env.Step(zero.data(), obs.data());
        SCOPED_TRACE(env.spec().id + " angle " + std::to_string(qpos[2]));
        EXPECT_NEAR(env.data()->qpos[2], qpos[2], 1e-4);
        EXPECT_EQ(r.terminated, offset < 0);
        EXPECT_EQ(r.terminated, !env.IsHealthy());
        EXPECT_EQ(TermOf(env, "healthy"), 1.0);  // paid on the terminating step too
      }
    }
  }
}

// ---- Reacher-v4 ----

// Fingertip position by forward kinematics: links 0.1 m and 0.11 m at absolute angles q0 and
// q0 + q1 about z.
void Fingertip(double q0, double q1, double* x, double* y) {
  *x = 0.1 * std::cos(q0) + 0.11 * std::cos(q0 + q1);
  *y = 0.1 * std::sin(q0) + 0.11 * std::sin(q0 + q1);
}

TEST(ReacherTest, RewardIsFromTheStateBeforeTheStep) {
  ReacherEnv env;
  std::vector<float> obs(11);
  env.Seed(6);
  env.Reset(obs.data());
  const float action[2] = {0.4f, -0.7f};
  for (int t = 0; t < 4; ++t) {
    const double q0 = env.data()->qpos[0], q1 = env.data()->qpos[1];
    const double gx = env.data()->qpos[2], gy = env.data()->qpos[3];
    double fx, fy;
    Fingertip(q0, q1, &fx, &fy);
    const double distance = std::hypot(fx - gx, fy - gy);
    const double ctrl =
        static_cast<double>(action[0]) * action[0] + static_cast<double>(action[1]) * action[1];
    const StepResult r = env.Step(action, obs.data());
    // Positions before the step are the previous step's end state, whose kinematics RK4 left
    // at its last stage (or mj_forward after Reset): equal to O(dt²).
    EXPECT_NEAR(r.reward, -distance - ctrl, t == 0 ? 1e-12 : 1e-4);
    EXPECT_EQ(TermOf(env, "ctrl"), -ctrl);
    EXPECT_NEAR(SumOfTerms(env), r.reward, 1e-12);
    EXPECT_FALSE(r.terminated);
  }
}

TEST(ReacherTest, ObservationLayoutAndResetDistribution) {
  ReacherEnv env;
  std::vector<float> obs(11);
  env.Seed(8);
  for (int episode = 0; episode < 100; ++episode) {
    env.Reset(obs.data());
    const mjData* d = env.data();
    EXPECT_LE(std::fabs(d->qpos[0]), 0.1);
    EXPECT_LE(std::fabs(d->qpos[1]), 0.1);
    EXPECT_LT(std::hypot(d->qpos[2], d->qpos[3]), 0.2);
    EXPECT_LE(std::fabs(d->qvel[0]), 0.005);
    EXPECT_LE(std::fabs(d->qvel[1]), 0.005);
    EXPECT_EQ(d->qvel[2], 0.0);
    EXPECT_EQ(d->qvel[3], 0.0);
    EXPECT_EQ(obs[0], static_cast<float>(std::cos(d->qpos[0])));
    EXPECT_EQ(obs[1], static_cast<float>(std::cos(d->qpos[1])));
    EXPECT_EQ(obs[2], static_cast<float>(std::sin(d->qpos[0])));
    EXPECT_EQ(obs[3], static_cast<float>(std::sin(d->qpos[1])));
    EXPECT_EQ(obs[4], static_cast<float>(d->qpos[2]));
    EXPECT_EQ(obs[5], static_cast<float>(d->qpos[3]));
    EXPECT_EQ(obs[6], static_cast<float>(d->qvel[0]));
    EXPECT_EQ(obs[7], static_cast<float>(d->qvel[1]));
    double fx, fy;
    Fingertip(d->qpos[0], d->qpos[1], &fx, &fy);
    EXPECT_NEAR(obs[8], fx - d->qpos[2], 1e-6);  // the target's qpos is its world x, y
    EXPECT_NEAR(obs[9], fy - d->qpos[3], 1e-6);
    EXPECT_NEAR(obs[10], 0.0, 1e-6);
  }
}

// ---- Ant-v4 ----

TEST(AntTest, RewardTermsAndObservation) {
  AntEnv env;
  std::vector<float> obs(27), action(8);
  env.Seed(12);
  env.Reset(obs.data());
  EXPECT_NEAR(env.data()->qpos[2], 0.75, 0.1);  // qpos0 z = 0.75 plus U(±0.1)
  Rng action_rng(2);
  for (int t = 0; t < 5; ++t) {
    double squared = 0;
    for (float& a : action) {
      a = static_cast<float>(action_rng.Uniform(-1, 1));
      squared += static_cast<double>(a) * a;
    }
    // The torso's centre of mass is its origin: x = qpos[0] (kinematics as mj_step leaves
    // them lag the final positions by O(dt²), hence the tolerance on forward).
    const double x_before = env.data()->qpos[0];
    const StepResult r = env.Step(action.data(), obs.data());
    const double x_after = env.data()->qpos[0];
    EXPECT_NEAR(TermOf(env, "forward"), (x_after - x_before) / 0.05, 0.02);
    EXPECT_NEAR(TermOf(env, "ctrl_cost"), -0.5 * squared, 1e-12);
    EXPECT_EQ(TermOf(env, "healthy"), 1.0);
    EXPECT_NEAR(SumOfTerms(env), r.reward, 1e-12);
    const double z = env.data()->qpos[2];
    EXPECT_EQ(r.terminated, !(0.2 <= z && z <= 1.0));
    for (int i = 2; i < 15; ++i) EXPECT_EQ(obs[i - 2], static_cast<float>(env.data()->qpos[i]));
    for (int i = 0; i < 14; ++i) EXPECT_EQ(obs[13 + i], static_cast<float>(env.data()->qvel[i]));
  }
}

TEST(AntTest, HealthyZRangeIsClosed) {
  AntEnv env;
  std::vector<double> qpos(env.model()->qpos0, env.model()->qpos0 + 15), qvel(14, 0.0);
  const std::pair<double, bool> cases[] = {
      {0.2, true}, {0.2 - 1e-9, false}, {1.0, true}, {1.0 + 1e-9, false}, {0.75, true}};
  for (const auto& [z, healthy] : cases) {
    qpos[2] = z;
    env.SetState(qpos.data(), qvel.data());
    EXPECT_EQ(env.IsHealthy(), healthy) << z;
  }
  qpos[2] = 0.75;
  qvel[3] = NAN;
  env.SetState(qpos.data(), qvel.data());
  EXPECT_FALSE(env.IsHealthy());
}

TEST(AntTest, StepTerminatesAboveTheHealthyRange) {
  // At rest high in the air: 1 m + 0.01 falls ~1.2 cm in 50 ms (stays unhealthy), 1 m − 0.05
  // stays inside.
  for (const auto& [z, terminated] : {std::pair<double, bool>{1.0 + 0.05, true}, {0.95, false}}) {
    AntEnv env;
    std::vector<double> qpos(env.model()->qpos0, env.model()->qpos0 + 15), qvel(14, 0.0);
    qpos[2] = z;
    env.SetState(qpos.data(), qvel.data());
    std::vector<float> obs(27), zero(8, 0.0f);
    EXPECT_EQ(env.Step(zero.data(), obs.data()).terminated, terminated) << z;
  }
}

// ---- Humanoid-v4 ----

TEST(HumanoidTest, ObservationLayoutIsQposQvelCinertCvelActuatorAndContactForces) {
  HumanoidEnv env;
  const mjModel* m = env.model();
  EXPECT_EQ(m->nbody, 14);
  std::vector<float> obs(376), action(17, 0.2f);
  env.Seed(1);
  env.Reset(obs.data());
  // Step until the feet touch the ground, so that cfrc_ext is not all zero.
  bool contact_seen = false;
  for (int t = 0; t < 60 && !contact_seen; ++t) {
    env.Step(action.data(), obs.data());
    const mjData* d = env.data();
    int k = 0;
    for (int i = 2; i < 24; ++i) ASSERT_EQ(obs[k++], static_cast<float>(d->qpos[i]));
    for (int i = 0; i < 23; ++i) ASSERT_EQ(obs[k++], static_cast<float>(d->qvel[i]));
    for (int i = 0; i < 140; ++i) ASSERT_EQ(obs[k++], static_cast<float>(d->cinert[i]));
    for (int i = 0; i < 84; ++i) ASSERT_EQ(obs[k++], static_cast<float>(d->cvel[i]));
    for (int i = 0; i < 23; ++i) ASSERT_EQ(obs[k++], static_cast<float>(d->qfrc_actuator[i]));
    for (int i = 0; i < 84; ++i) ASSERT_EQ(obs[k++], static_cast<float>(d->cfrc_ext[i]));
    ASSERT_EQ(k, 376);
    for (int i = 292; i < 376; ++i) contact_seen = contact_seen || obs[i] != 0.0f;
  }
  EXPECT_TRUE(contact_seen) << "cfrc_ext stays zero: mj_rnePostConstraint not run?";
}

TEST(HumanoidTest, RewardTermsFromTheMassCentreAndTheAction) {
  HumanoidEnv env;
  const mjModel* m = env.model();
  std::vector<float> obs(376), action(17);
  env.Seed(3);
  env.Reset(obs.data());
  Rng action_rng(4);
  for (int t = 0; t < 5; ++t) {
    double squared = 0;
    for (float& a : action) {
      a = static_cast<float>(action_rng.Uniform(-0.4, 0.4));
      squared += static_cast<double>(a) * a;
    }
    // Mass centre computed here from the body masses and xipos.
    auto centre = [&]() {
      double mass = 0, moment = 0;
      for (int b = 0; b < m->nbody; ++b) {
        mass += m->body_mass[b];
        moment += m->body_mass[b] * env.data()->xipos[3 * b];
      }
      return moment / mass;
    };
    const double before = centre();
    const StepResult r = env.Step(action.data(), obs.data());
    const double after = centre();
    EXPECT_NEAR(TermOf(env, "forward"), 1.25 * (after - before) / 0.015, 1e-9);
    EXPECT_NEAR(TermOf(env, "ctrl_cost"), -0.1 * squared, 1e-12);
    EXPECT_EQ(TermOf(env, "healthy"), 5.0);
    EXPECT_NEAR(r.reward, 1.25 * (after - before) / 0.015 + 5.0 - 0.1 * squared, 1e-9);
    const double z = env.data()->qpos[2];
    EXPECT_EQ(r.terminated, !(1.0 < z && z < 2.0));
  }
}

TEST(HumanoidTest, HealthyZRangeIsOpenAndTheHumanoidFallsUnderZeroAction) {
  HumanoidEnv env;
  std::vector<double> qpos(env.model()->qpos0, env.model()->qpos0 + 24), qvel(23, 0.0);
  const std::pair<double, bool> cases[] = {
      {1.0, false}, {1.0 + 1e-9, true}, {2.0, false}, {2.0 - 1e-9, true}, {1.4, true}};
  for (const auto& [z, healthy] : cases) {
    qpos[2] = z;
    env.SetState(qpos.data(), qvel.data());
    EXPECT_EQ(env.IsHealthy(), healthy) << z;
  }
  std::vector<float> obs(376), zero(17, 0.0f);
  env.Seed(0);
  env.Reset(obs.data());
  int steps = 0;
  while (steps < 1000 && !env.Step(zero.data(), obs.data()).terminated) ++steps;
  EXPECT_LT(steps, 1000);
  EXPECT_FALSE(env.IsHealthy());
}

// ---- Through the registry ----

TEST(MujocoRegistryTest, MakeEnvAppliesTheTimeLimit) {
  for (const TaskFacts& task : Tasks()) {
    SCOPED_TRACE(task.id);
    ASSERT_TRUE(IsRegisteredEnv(task.id));
    std::unique_ptr<Env> env = MakeEnv(task.id);
    ASSERT_NE(dynamic_cast<TimeLimit*>(env.get()), nullptr);
    std::vector<float> obs(task.observation_size), action(task.nu, 0.0f);
    env->Seed(1);
    env->Reset(obs.data());
    // Zero action: the steps until termination or truncation; only truncation at the limit.
    int steps = 0;
    StepResult r;
    do {
      r = env->Step(action.data(), obs.data());
      ++steps;
    } while (!r.terminated && !r.truncated);
    if (r.truncated) {
      EXPECT_EQ(steps, task.max_episode_steps);
    }
    EXPECT_LE(steps, task.max_episode_steps);
  }
}

TEST(MujocoRegistryTest, RolloutWritesEveryTask) {
  for (const TaskFacts& task : Tasks()) {
    SCOPED_TRACE(task.id);
    RolloutOptions options;
    options.env_id = task.id;
    options.seed = 3;
    options.steps = 20;
    options.out_path = ::testing::TempDir() + "mujoco_rollout_" + task.id + ".csv";
    WriteRollout(options);
    std::ifstream in(options.out_path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    ASSERT_EQ(lines.size(), 21u);
    // step + D observations + A actions + reward, terminated, truncated.
    const size_t columns = 1 + task.observation_size + task.nu + 3;
    size_t commas = 0;
    for (char c : lines[0]) commas += c == ',';
    EXPECT_EQ(commas + 1, columns);
    commas = 0;
    for (char c : lines[20]) commas += c == ',';
    EXPECT_EQ(commas + 1, columns);
  }
}

}  // namespace
}  // namespace rlfleet
