#include "envs/envs_bench.h"

#include <gtest/gtest.h>

#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace rlfleet {
namespace {

std::string LastLine(const std::string& text) {
  std::istringstream in(text);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  return last;
}

nlohmann::json RunAndParse(const EnvsBenchOptions& options) {
  testing::internal::CaptureStdout();
  const int code = RunEnvsBench(options);
  const std::string out = testing::internal::GetCapturedStdout();
  EXPECT_EQ(code, 0);
  return nlohmann::json::parse(LastLine(out));
}

TEST(EnvsBenchTest, PrintsJsonWithPositiveRatiosAsLastLine) {
  EnvsBenchOptions options;
  options.seconds_per_task = 0.01;
  options.env_ids = {"HalfCheetah-v4"};
  const nlohmann::json result = RunAndParse(options);

  EXPECT_EQ(result.at("bench"), "envs");
  EXPECT_DOUBLE_EQ(result.at("goal_ratio").get<double>(), 0.95);
  const nlohmann::json& tasks = result.at("tasks");
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].at("env_id"), "HalfCheetah-v4");
  EXPECT_GT(tasks[0].at("env_steps_per_second").get<double>(), 0.0);
  EXPECT_GT(tasks[0].at("raw_steps_per_second").get<double>(), 0.0);
  EXPECT_GT(tasks[0].at("ratio").get<double>(), 0.0);

  const nlohmann::json& vector = result.at("vector_env");
  ASSERT_EQ(vector.size(), 1u);
  EXPECT_EQ(vector[0].at("env_id"), "HalfCheetah-v4");
  EXPECT_EQ(vector[0].at("num_envs").get<int>(), 16);
  EXPECT_GT(vector[0].at("threads_1_steps_per_second").get<double>(), 0.0);
  EXPECT_GT(vector[0].at("threads_2_steps_per_second").get<double>(), 0.0);
  EXPECT_GT(vector[0].at("speedup").get<double>(), 0.0);
}

TEST(EnvsBenchTest, TerminatingTaskWithoutVectorComparison) {
  EnvsBenchOptions options;
  options.seconds_per_task = 0.01;
  options.env_ids = {"Hopper-v4"};
  options.json_only = true;
  testing::internal::CaptureStdout();
  RunEnvsBench(options);
  const std::string out = testing::internal::GetCapturedStdout();
  // json_only: the JSON object is the only line.
  EXPECT_EQ(out.find('\n'), out.size() - 1);
  const nlohmann::json result = nlohmann::json::parse(out);
  ASSERT_EQ(result.at("tasks").size(), 1u);
  EXPECT_GT(result["tasks"][0].at("ratio").get<double>(), 0.0);
  EXPECT_TRUE(result.at("vector_env").empty());
}

TEST(EnvsBenchTest, ValidateRejectsBadOptions) {
  EnvsBenchOptions options;
  EXPECT_NO_THROW(options.Validate());
  options.seconds_per_task = 0;
  EXPECT_THROW(options.Validate(), std::invalid_argument);
  options.seconds_per_task = std::numeric_limits<double>::infinity();
  EXPECT_THROW(options.Validate(), std::invalid_argument);
  options.seconds_per_task = 1;
  options.env_ids = {"NoSuchEnv-v0"};
  EXPECT_THROW(options.Validate(), std::invalid_argument);
  options.env_ids = {"CartPole-v1"};  // registered but not MuJoCo
  EXPECT_THROW(options.Validate(), std::invalid_argument);
  options.env_ids = {"Ant-v4", "Ant-v4"};
  EXPECT_THROW(options.Validate(), std::invalid_argument);
  options.env_ids = {"Ant-v4", "Humanoid-v4"};
  EXPECT_NO_THROW(options.Validate());
}

}  // namespace
}  // namespace rlfleet
