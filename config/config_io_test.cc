#include "config/config_io.h"

#include <gtest/gtest.h>

namespace rlfleet {
namespace {

std::string ErrorOf(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  try {
    ParseRunConfig(yaml, overrides, "test.yaml");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(ConfigIoTest, EmptyConfigGivesDefaults) {
  const RunConfig config = ParseRunConfig("", {});
  const RunConfig defaults;
  EXPECT_EQ(config.env.id, defaults.env.id);
  EXPECT_EQ(config.learner.batch_size, defaults.learner.batch_size);
  EXPECT_EQ(config.model.hidden_sizes, defaults.model.hidden_sizes);
}

TEST(ConfigIoTest, ReadsNestedKeysAndOverridesWin) {
  const RunConfig config = ParseRunConfig(
      "name: x\nseed: 9\nenv:\n  id: Acrobot-v1\n  num_envs: 8\nmodel:\n  hidden_sizes: [32, 16]\n"
      "learner:\n  learning_rate: 0.001\n",
      {"learner.learning_rate=0.002", "env.num_envs=4", "model.hidden_sizes=[8]"});
  EXPECT_EQ(config.name, "x");
  EXPECT_EQ(config.seed, 9u);
  EXPECT_EQ(config.env.id, "Acrobot-v1");
  EXPECT_EQ(config.env.num_envs, 4);
  EXPECT_DOUBLE_EQ(config.learner.learning_rate, 0.002);
  EXPECT_EQ(config.model.hidden_sizes, std::vector<int64_t>({8}));
}

TEST(ConfigIoTest, UnknownKeyIsNamedWithASuggestion) {
  const std::string error = ErrorOf("learner:\n  lerning_rate: 0.1\n");
  EXPECT_NE(error.find("unknown key 'learner.lerning_rate'"), std::string::npos) << error;
  EXPECT_NE(error.find("did you mean 'learner.learning_rate'"), std::string::npos) << error;
  EXPECT_NE(ErrorOf("", {"bogus.key=1"}).find("'bogus.key'"), std::string::npos);
}

TEST(ConfigIoTest, WrongTypesAndRangesAreNamed) {
  EXPECT_NE(ErrorOf("learner:\n  batch_size: many\n").find("learner.batch_size"),
            std::string::npos);
  EXPECT_NE(ErrorOf("learner:\n  batch_size: 0\n").find("learner.batch_size must be > 0"),
            std::string::npos);
  EXPECT_NE(ErrorOf("env: [1, 2\n").find("not valid YAML"), std::string::npos);
  EXPECT_NE(ErrorOf("- a\n- b\n").find("top level"), std::string::npos);
  EXPECT_NE(ErrorOf("", {"novalue"}).find("key=value"), std::string::npos);
}

TEST(ConfigIoTest, YamlRoundTripKeepsEveryField) {
  RunConfig config;
  config.name = "round";
  config.seed = 123456789012345ULL;
  config.learner.learning_rate = 0.000123456789;
  config.cluster.shard_endpoints = {"ipc:///tmp/a", "ipc:///tmp/b"};
  config.cluster.num_shards = 2;
  config.model.hidden_sizes = {7, 5, 3};
  config.model.shared_torso = true;
  const RunConfig back = ParseRunConfig(RunConfigToYaml(config), {});
  EXPECT_EQ(RunConfigToYaml(back), RunConfigToYaml(config));
  EXPECT_EQ(back.seed, config.seed);
  EXPECT_DOUBLE_EQ(back.learner.learning_rate, config.learner.learning_rate);
  EXPECT_EQ(back.cluster.shard_endpoints, config.cluster.shard_endpoints);
  EXPECT_EQ(back.model.hidden_sizes, config.model.hidden_sizes);
  EXPECT_TRUE(back.model.shared_torso);
}

}  // namespace
}  // namespace rlfleet
