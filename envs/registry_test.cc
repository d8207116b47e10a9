#include "envs/registry.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "envs/time_limit.h"

namespace rlfleet {
namespace {

TEST(RegistryTest, ListsTheClassicControlAndMujocoEnvironments) {
  const std::vector<std::string> expected = {"CartPole-v1",
                                             "Acrobot-v1",
                                             "MountainCar-v0",
                                             "MountainCarContinuous-v0",
                                             "Pendulum-v1",
                                             "InvertedPendulum-v4",
                                             "InvertedDoublePendulum-v4",
                                             "HalfCheetah-v4",
                                             "Hopper-v4",
                                             "Walker2d-v4",
                                             "Swimmer-v4",
                                             "Reacher-v4",
                                             "Ant-v4",
                                             "Humanoid-v4"};
  EXPECT_EQ(RegisteredEnvIds(), expected);
  for (const std::string& id : expected) EXPECT_TRUE(IsRegisteredEnv(id)) << id;
  EXPECT_FALSE(IsRegisteredEnv("cartpole-v1"));
  EXPECT_FALSE(IsRegisteredEnv(""));
}

TEST(RegistryTest, MakeEnvWrapsInTimeLimitOfTheSpec) {
  const std::pair<const char*, int> limits[] = {{"CartPole-v1", 500},
                                                {"Acrobot-v1", 500},
                                                {"MountainCar-v0", 200},
                                                {"MountainCarContinuous-v0", 999},
                                                {"Pendulum-v1", 200},
                                                {"InvertedPendulum-v4", 1000},
                                                {"InvertedDoublePendulum-v4", 1000},
                                                {"HalfCheetah-v4", 1000},
                                                {"Hopper-v4", 1000},
                                                {"Walker2d-v4", 1000},
                                                {"Swimmer-v4", 1000},
                                                {"Reacher-v4", 50},
                                                {"Ant-v4", 1000},
                                                {"Humanoid-v4", 1000}};
  for (const auto& [id, limit] : limits) {
    std::unique_ptr<Env> env = MakeEnv(id);
    ASSERT_NE(env, nullptr);
    EXPECT_EQ(env->spec().id, id);
    EXPECT_EQ(env->spec().max_episode_steps, limit) << id;
    auto* limited = dynamic_cast<TimeLimit*>(env.get());
    ASSERT_NE(limited, nullptr) << id;
    EXPECT_EQ(limited->inner().spec().id, id);
    EXPECT_EQ(static_cast<int>(env->spec().observation_low.size()), env->spec().observation_size);
  }
}

TEST(RegistryTest, UnknownIdNamesItAndListsKnownOnes) {
  try {
    MakeEnv("NoSuchEnv-v9");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("unknown environment 'NoSuchEnv-v9'"), std::string::npos) << message;
    EXPECT_NE(message.find("known environments: CartPole-v1, Acrobot-v1, MountainCar-v0, "
                           "MountainCarContinuous-v0, Pendulum-v1"),
              std::string::npos)
        << message;
  }
}

}  // namespace
}  // namespace rlfleet
