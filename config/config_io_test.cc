#include "config/config_io.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "core/file_util.h"

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

TEST(ConfigIoTest, TcpOffLoopbackNeedsCurve) {
  EXPECT_EQ(ErrorOf("", {"cluster.transport=tcp", "cluster.bind_host=127.0.0.2"}), "");
  EXPECT_EQ(ErrorOf("", {"cluster.weights_endpoint=tcp://localhost:5555"}), "");
  const std::string wildcard = ErrorOf("", {"cluster.transport=tcp", "cluster.bind_host=0.0.0.0"});
  EXPECT_NE(wildcard.find("cluster.bind_host must be on a loopback address"), std::string::npos)
      << wildcard;
  EXPECT_NE(wildcard.find("cluster.curve"), std::string::npos) << wildcard;
  EXPECT_EQ(
      ErrorOf("", {"cluster.transport=tcp", "cluster.bind_host=0.0.0.0", "cluster.curve=true"}),
      "");
  const std::string by_hand = ErrorOf("", {"cluster.stats_endpoint=tcp://10.0.0.5:5556"});
  EXPECT_NE(by_hand.find("cluster.stats_endpoint"), std::string::npos) << by_hand;
  EXPECT_NE(ErrorOf("", {"cluster.rendezvous_timeout_seconds=0"})
                .find("cluster.rendezvous_timeout_seconds must be > 0"),
            std::string::npos);
}

TEST(ConfigIoTest, DeterministicModeNamesWhatItNeeds) {
  // The default config (IMPALA: a queue of 256 for 2 actors of 16 envs) may run deterministic.
  EXPECT_EQ(ErrorOf("", {"learner.deterministic=true"}), "");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"cluster.num_shards=2", "cluster.num_shards must be 1 with learner.deterministic"},
      {"learner.intra_op_threads=2", "learner.intra_op_threads must be 1"},
      {"env.num_threads=2", "env.num_threads must be 1"},
      {"learner.device=auto", "learner.device must be cpu"},
      {"replay.max_size=16", "replay.max_size must be >= cluster.num_actors * env.num_envs"},
      {"learner.batches_per_sample=2", "learner.batches_per_sample must be 1 with learner."}};
  for (const auto& [set, message] : cases) {
    const std::string error = ErrorOf("", {"learner.deterministic=true", set});
    EXPECT_NE(error.find(message), std::string::npos) << set << ": " << error;
    EXPECT_EQ(ErrorOf("", {set}).find("deterministic"), std::string::npos) << set;
  }
}

TEST(ConfigIoTest, BatchesPerSampleIsBetweenOneAndSixtyFour) {
  EXPECT_EQ(ErrorOf("", {"learner.batches_per_sample=64"}), "");
  for (const char* set : {"learner.batches_per_sample=0", "learner.batches_per_sample=65"}) {
    EXPECT_NE(ErrorOf("", {set}).find("learner.batches_per_sample must be in [1, 64]"),
              std::string::npos)
        << set << ": " << ErrorOf("", {set});
  }
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

TEST(ConfigIoTest, ApexKeysHaveDefaultsThatKeepImpalaUnchanged) {
  const RunConfig config = ParseRunConfig("", {});
  EXPECT_EQ(config.learner.algo, "impala");
  EXPECT_EQ(config.replay.sampler, "fifo");
  EXPECT_EQ(config.replay.table, "queue");
  EXPECT_DOUBLE_EQ(config.replay.priority_exponent, 0.6);
  EXPECT_DOUBLE_EQ(config.replay.importance_exponent, 0.4);
  EXPECT_EQ(config.replay.min_size_to_sample, 1);
  EXPECT_DOUBLE_EQ(config.replay.samples_per_insert, 0.0);
  EXPECT_EQ(config.actor.n_step, 1);
  EXPECT_GT(config.actor.weights_interval_frames, 0);
  EXPECT_GT(config.actor.insert_batch, 0);
  EXPECT_EQ(config.actor.warmup_env_steps, 0);
  EXPECT_DOUBLE_EQ(config.apex.epsilon_base, 0.4);
  EXPECT_DOUBLE_EQ(config.apex.epsilon_alpha, 7.0);
  EXPECT_GT(config.apex.target_update_period, 0);
  EXPECT_EQ(config.td3.policy_delay, 2);
  EXPECT_DOUBLE_EQ(config.td3.noise_clip, 0.5);
  EXPECT_EQ(config.learner.eval_interval_updates, 0);
}

TEST(ConfigIoTest, ReadsApexKeys) {
  const RunConfig config = ParseRunConfig(
      "learner:\n  algo: apex_dqn\nreplay:\n  table: priority\n  sampler: prioritized\n"
      "  max_size: 100000\n  priority_exponent: 0.5\n  importance_exponent: 0.6\n"
      "  min_size_to_sample: 2000\n  samples_per_insert: 4\n"
      "actor:\n  n_step: 5\n  weights_interval_frames: 800\n  insert_batch: 32\n"
      "  warmup_env_steps: 100\n"
      "apex:\n  epsilon_base: 0.3\n  epsilon_alpha: 6\n  target_update_period: 300\n"
      "  double_dqn: false\n  dueling: false\n",
      {"actor.n_step=4", "learner.eval_interval_updates=1000", "learner.eval_episodes=3"});
  EXPECT_EQ(config.learner.algo, "apex_dqn");
  EXPECT_EQ(config.replay.table, "priority");
  EXPECT_EQ(config.replay.sampler, "prioritized");
  EXPECT_DOUBLE_EQ(config.replay.priority_exponent, 0.5);
  EXPECT_DOUBLE_EQ(config.replay.importance_exponent, 0.6);
  EXPECT_EQ(config.replay.min_size_to_sample, 2000);
  EXPECT_DOUBLE_EQ(config.replay.samples_per_insert, 4.0);
  EXPECT_EQ(config.actor.n_step, 4);
  EXPECT_EQ(config.actor.warmup_env_steps, 100);
  EXPECT_DOUBLE_EQ(config.apex.epsilon_base, 0.3);
  EXPECT_DOUBLE_EQ(config.apex.epsilon_alpha, 6.0);
  EXPECT_EQ(config.apex.target_update_period, 300);
  EXPECT_EQ(config.actor.weights_interval_frames, 800);
  EXPECT_EQ(config.actor.insert_batch, 32);
  EXPECT_FALSE(config.apex.double_dqn);
  EXPECT_FALSE(config.apex.dueling);
  EXPECT_EQ(config.learner.eval_interval_updates, 1000);
  EXPECT_EQ(config.learner.eval_episodes, 3);
  EXPECT_EQ(config.learner.stop_eval_return, -std::numeric_limits<double>::infinity());
  // Every key survives a YAML round trip (the default stop_eval_return, -.inf, and a number).
  const RunConfig stopping =
      ParseRunConfig(RunConfigToYaml(config),
                     {"learner.stop_eval_return=-150.5", "learner.video_interval_updates=500"});
  EXPECT_EQ(ParseRunConfig(RunConfigToYaml(stopping), {}).learner.video_interval_updates, 500);
  EXPECT_DOUBLE_EQ(stopping.learner.stop_eval_return, -150.5);
  EXPECT_DOUBLE_EQ(ParseRunConfig(RunConfigToYaml(stopping), {}).learner.stop_eval_return, -150.5);
  EXPECT_EQ(RunConfigToYaml(ParseRunConfig(RunConfigToYaml(config), {})), RunConfigToYaml(config));
}

// Which sampler an algorithm needs is checked by algorithms/registry.h (registry_test.cc).
TEST(ConfigIoTest, ApexKeysAreChecked) {
  EXPECT_NE(ErrorOf("learner:\n  algo: \"\"\n").find("learner.algo"), std::string::npos);
  EXPECT_NE(ErrorOf("replay:\n  sampler: lifo\n").find("replay.sampler"), std::string::npos);
  const std::vector<std::string> apex = {"learner.algo=apex_dqn", "replay.sampler=prioritized",
                                         "replay.max_size=1000"};
  EXPECT_EQ(ErrorOf("", apex), "");
  auto with = [&](const std::string& extra) {
    std::vector<std::string> overrides = apex;
    overrides.push_back(extra);
    return ErrorOf("", overrides);
  };
  EXPECT_NE(with("replay.min_size_to_sample=0").find("replay.min_size_to_sample"),
            std::string::npos);
  EXPECT_NE(with("replay.samples_per_insert=-1").find("replay.samples_per_insert"),
            std::string::npos);
  EXPECT_NE(with("replay.importance_exponent=2").find("replay.importance_exponent"),
            std::string::npos);
  EXPECT_NE(with("replay.priority_exponent=-0.1").find("replay.priority_exponent"),
            std::string::npos);
  EXPECT_NE(with("actor.n_step=0").find("actor.n_step"), std::string::npos);
  EXPECT_NE(with("actor.warmup_env_steps=-1").find("actor.warmup_env_steps"), std::string::npos);
  EXPECT_NE(with("apex.epsilon_base=1.5").find("apex.epsilon_base"), std::string::npos);
  EXPECT_NE(with("apex.epsilon_alpha=-1").find("apex.epsilon_alpha"), std::string::npos);
  EXPECT_NE(with("apex.target_update_period=0").find("apex.target_update_period"),
            std::string::npos);
  EXPECT_NE(with("actor.weights_interval_frames=0").find("actor.weights_interval_frames"),
            std::string::npos);
  EXPECT_NE(with("actor.insert_batch=0").find("actor.insert_batch"), std::string::npos);
  EXPECT_NE(with("td3.tau=0").find("td3.tau"), std::string::npos);
  EXPECT_NE(with("model.observation_clip=0").find("model.observation_clip"), std::string::npos);
  EXPECT_NE(with("learner.loss=ppo").find("learner.loss"), std::string::npos);
  EXPECT_NE(with("learner.ppo_clip=0").find("learner.ppo_clip"), std::string::npos);
  EXPECT_NE(with("learner.epochs=0").find("learner.epochs"), std::string::npos);
  EXPECT_NE(with("learner.minibatches=1000").find("learner.minibatches"), std::string::npos);
  EXPECT_NE(with("learner.reward_scale=0").find("learner.reward_scale"), std::string::npos);
  EXPECT_NE(with("learner.value_clip=-1").find("learner.value_clip"), std::string::npos);
  EXPECT_NE(with("td3.policy_delay=0").find("td3.policy_delay"), std::string::npos);
  EXPECT_NE(with("td3.noise_clip=-1").find("td3.noise_clip"), std::string::npos);
  EXPECT_NE(with("td3.exploration_noise_low=0.5").find("td3.exploration_noise_low"),
            std::string::npos);
  EXPECT_NE(with("learner.eval_interval_updates=-1").find("learner.eval_interval_updates"),
            std::string::npos);
  EXPECT_NE(with("learner.eval_episodes=0").find("learner.eval_episodes"), std::string::npos);
  EXPECT_NE(with("learner.video_interval_updates=-1").find("learner.video_interval_updates"),
            std::string::npos);
  EXPECT_NE(with("replay.max_pending_requests=0").find("replay.max_pending_requests"),
            std::string::npos);
  EXPECT_NE(with("learner.stop_eval_return=-200").find("learner.eval_interval_updates > 0"),
            std::string::npos);
  EXPECT_NE(with("learner.stop_eval_return=.nan").find("learner.stop_eval_return"),
            std::string::npos);
  EXPECT_NE(with("learner.stop_eval_return=.inf").find("learner.stop_eval_return"),
            std::string::npos);
  EXPECT_EQ(with("learner.stop_eval_return=-.inf"), "");
  EXPECT_NE(with("actor.n_stp=3").find("did you mean 'actor.n_step'"), std::string::npos);
  EXPECT_NE(with("apex.n_step=3").find("apex.n_step"), std::string::npos);
}

// Every config shipped in configs/ loads with its strict key check and validates, and its name
// matches its file (runs and baselines are named after it).
// env.plugin_options and env.python_kwargs are maps handed on as JSON objects: typed scalars,
// nested maps and lists; they survive the round trip through a run's config.yaml.
TEST(ConfigIoTest, EnvOptionMapsBecomeJsonObjects) {
  const RunConfig config = ParseRunConfig(
      "env:\n"
      "  id: Catch-v0\n"
      "  python: gymnasium:make\n"
      "  python_kwargs: {id: CartPole-v1, max_episode_steps: 200, scale: 0.5, render: false,\n"
      "                  name: '42', nested: {a: [1, 2]}, nothing: ~}\n"
      "  python_path: [/a, b]\n"
      "  python_workers: 2\n"
      "  num_envs: 4\n",
      {});
  EXPECT_EQ(config.env.python_kwargs,
            R"({"id":"CartPole-v1","max_episode_steps":200,"name":"42","nested":{"a":[1,2]},)"
            R"("nothing":null,"render":false,"scale":0.5})");
  EXPECT_EQ(config.env.python_path, (std::vector<std::string>{"/a", "b"}));
  const RunConfig again = ParseRunConfig(RunConfigToYaml(config), {});
  EXPECT_EQ(again.env.python_kwargs, config.env.python_kwargs);
  EXPECT_EQ(again.env.plugin_options, "{}");

  const RunConfig overridden =
      ParseRunConfig("", {"env.plugin=/x/libcatch.so", "env.plugin_options={rows: 12}"});
  EXPECT_EQ(overridden.env.plugin_options, R"({"rows":12})");

  EXPECT_NE(ErrorOf("", {"env.python_kwargs=3"}).find("'env.python_kwargs' must be a map"),
            std::string::npos);
  EXPECT_NE(ErrorOf("", {"env.python=gymnasium"}).find("env.python must be"), std::string::npos);
  EXPECT_NE(ErrorOf("", {"env.python=m:f", "env.plugin=/x.so"}).find("env.plugin must be empty"),
            std::string::npos);
  EXPECT_NE(ErrorOf("", {"env.python=m:f", "env.num_envs=2", "env.python_workers=3"})
                .find("env.python_workers"),
            std::string::npos);
}

TEST(ConfigIoTest, ShippedConfigsLoadAndValidate) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(RLFLEET_CONFIGS_DIR)) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().string());
    RunConfig config;
    ASSERT_NO_THROW(config = LoadRunConfig(entry.path().string()));
    EXPECT_NO_THROW(config.Validate());
    EXPECT_EQ(config.name, entry.path().stem().string());
    names.insert(config.name);
  }
  for (const char* expected : {"cartpole_impala", "acrobot_impala", "cartpole_apex_dqn",
                               "acrobot_apex_dqn", "mountaincar_apex_dqn"}) {
    EXPECT_EQ(names.count(expected), 1u) << expected;
  }
}

TEST(ConfigIoTest, ReadConfigSeedToleratesKeysOfOtherVersions) {
  const std::string path = ::testing::TempDir() + "/rlfleet-config-seed.yaml";
  WriteFileAtomic(path, "name: old\nseed: 4\ncluster:\n  host: 127.0.0.1\n");
  EXPECT_EQ(ReadConfigSeed(path), 4u);
  EXPECT_THROW(LoadRunConfig(path), std::invalid_argument);  // the strict reader refuses it
  WriteFileAtomic(path, "name: old\n");
  EXPECT_THROW(ReadConfigSeed(path), std::runtime_error);
  WriteFileAtomic(path, "seed: [1]\n");
  EXPECT_THROW(ReadConfigSeed(path), std::runtime_error);
  EXPECT_THROW(ReadConfigSeed(path + ".missing"), std::runtime_error);
}

}  // namespace
}  // namespace rlfleet
