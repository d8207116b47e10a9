#include "envs/registry.h"

#include <stdexcept>
#include <string>

#include "envs/classic_control/acrobot.h"
#include "envs/classic_control/cartpole.h"
#include "envs/classic_control/mountain_car.h"
#include "envs/classic_control/mountain_car_continuous.h"
#include "envs/classic_control/pendulum.h"
#include "envs/mujoco/ant.h"
#include "envs/mujoco/humanoid.h"
#include "envs/mujoco/inverted_pendulums.h"
#include "envs/mujoco/planar_locomotion.h"
#include "envs/mujoco/reacher.h"
#include "envs/time_limit.h"

namespace rlfleet {
namespace {

template <typename T>
std::unique_ptr<Env> Create() {
  return std::make_unique<T>();
}

struct Registration {
  const char* id;
  std::unique_ptr<Env> (*factory)();
};

// The one registration table: adding an environment is one line here. (Deliberately not
// self-registration from static initializers, which a static library link can drop.)
constexpr Registration kRegistry[] = {
    {"CartPole-v1", &Create<CartPoleEnv>},
    {"Acrobot-v1", &Create<AcrobotEnv>},
    {"MountainCar-v0", &Create<MountainCarEnv>},
    {"MountainCarContinuous-v0", &Create<MountainCarContinuousEnv>},
    {"Pendulum-v1", &Create<PendulumEnv>},
    {"InvertedPendulum-v4", &Create<InvertedPendulumEnv>},
    {"InvertedDoublePendulum-v4", &Create<InvertedDoublePendulumEnv>},
    {"HalfCheetah-v4", &Create<HalfCheetahEnv>},
    {"Hopper-v4", &Create<HopperEnv>},
    {"Walker2d-v4", &Create<Walker2dEnv>},
    {"Swimmer-v4", &Create<SwimmerEnv>},
    {"Reacher-v4", &Create<ReacherEnv>},
    {"Ant-v4", &Create<AntEnv>},
    {"Humanoid-v4", &Create<HumanoidEnv>},
};

}  // namespace

std::unique_ptr<Env> MakeEnv(const std::string& id) {
  for (const Registration& r : kRegistry) {
    if (id != r.id) continue;
    std::unique_ptr<Env> env = r.factory();
    const int32_t limit = env->spec().max_episode_steps;
    if (limit <= 0) return env;
    return std::make_unique<TimeLimit>(std::move(env), limit);
  }
  std::string known;
  for (const Registration& r : kRegistry) known += (known.empty() ? "" : ", ") + std::string(r.id);
  throw std::invalid_argument("unknown environment '" + id + "'; known environments: " + known);
}

std::vector<std::string> RegisteredEnvIds() {
  std::vector<std::string> ids;
  for (const Registration& r : kRegistry) ids.emplace_back(r.id);
  return ids;
}

bool IsRegisteredEnv(const std::string& id) {
  for (const Registration& r : kRegistry) {
    if (id == r.id) return true;
  }
  return false;
}

}  // namespace rlfleet
