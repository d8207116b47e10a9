#include "envs/rollout.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "envs/registry.h"

namespace rlfleet {
namespace {

std::string TempPath(const std::string& name) { return ::testing::TempDir() + "rollout_" + name; }

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> SplitCsv(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream stream(line);
  for (std::string field; std::getline(stream, field, ',');) fields.push_back(field);
  return fields;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

// The action columns [first, first + count) of every data row, one line per row.
std::string ActionsOf(const std::vector<std::string>& csv, int first, int count) {
  std::string text;
  for (size_t row = 1; row < csv.size(); ++row) {
    const std::vector<std::string> fields = SplitCsv(csv[row]);
    for (int j = 0; j < count; ++j) text += (j ? "," : "") + fields[first + j];
    text += "\n";
  }
  return text;
}

TEST(RolloutTest, WritesHeaderAndOneRowPerStepAcrossEpisodes) {
  RolloutOptions options;
  options.env_id = "CartPole-v1";
  options.seed = 17;
  options.steps = 250;
  options.out_path = TempPath("cartpole.csv");
  WriteRollout(options);
  const std::vector<std::string> csv = ReadLines(options.out_path);
  ASSERT_EQ(csv.size(), 251u);
  EXPECT_EQ(csv[0], "step,obs_0,obs_1,obs_2,obs_3,action_0,reward,terminated,truncated");

  // Row 0 holds the observation of the seeded reset, printed so that it round-trips.
  std::unique_ptr<Env> env = MakeEnv("CartPole-v1");
  std::vector<float> obs(4);
  env->Seed(17);
  env->Reset(obs.data());
  std::vector<std::string> row = SplitCsv(csv[1]);
  ASSERT_EQ(row.size(), 9u);
  EXPECT_EQ(row[0], "0");
  for (int i = 0; i < 4; ++i) EXPECT_EQ(std::strtof(row[1 + i].c_str(), nullptr), obs[i]);

  // Random actions end episodes; the row after an end starts from a fresh reset state.
  int ends = 0;
  for (size_t r = 1; r + 1 < csv.size(); ++r) {
    row = SplitCsv(csv[r]);
    EXPECT_EQ(row[0], std::to_string(r - 1));
    EXPECT_TRUE(row[5] == "0" || row[5] == "1") << row[5];
    if (row[7] == "1" || row[8] == "1") {
      ++ends;
      const std::vector<std::string> next = SplitCsv(csv[r + 1]);
      for (int i = 1; i <= 4; ++i) {
        EXPECT_LE(std::abs(std::strtod(next[i].c_str(), nullptr)), 0.05) << csv[r + 1];
      }
    }
  }
  EXPECT_GT(ends, 3);
}

TEST(RolloutTest, ReplayingRecordedActionsReproducesTheRollout) {
  for (const auto& [id, action_size] : {std::pair<const char*, int>{"Acrobot-v1", 1},
                                        {"MountainCarContinuous-v0", 1},
                                        {"Pendulum-v1", 1}}) {
    RolloutOptions options;
    options.env_id = id;
    options.seed = 3;
    options.steps = 120;
    options.out_path = TempPath("recorded.csv");
    WriteRollout(options);
    const std::vector<std::string> recorded = ReadLines(options.out_path);
    const int d = MakeEnv(id)->spec().observation_size;
    options.actions_path = TempPath("actions.txt");
    WriteFile(options.actions_path, ActionsOf(recorded, 1 + d, action_size));
    options.out_path = TempPath("replayed.csv");
    WriteRollout(options);
    EXPECT_EQ(ReadLines(options.out_path), recorded) << id;

    // A different seed changes the random actions and the rollout.
    options.actions_path.clear();
    options.seed = 4;
    WriteRollout(options);
    EXPECT_NE(ReadLines(options.out_path), recorded) << id;
  }
}

TEST(RolloutTest, StopsAtTheEndOfAShortActionsFile) {
  RolloutOptions options;
  options.env_id = "MountainCar-v0";
  options.steps = 100;
  options.actions_path = TempPath("short_actions.txt");
  options.out_path = TempPath("short.csv");
  WriteFile(options.actions_path, "2\n2\n0\n1\n");
  WriteRollout(options);
  const std::vector<std::string> csv = ReadLines(options.out_path);
  ASSERT_EQ(csv.size(), 5u);
  EXPECT_EQ(SplitCsv(csv[3])[3], "0");
}

TEST(RolloutTest, MalformedActionLineNamesFileAndLine) {
  RolloutOptions options;
  options.env_id = "CartPole-v1";
  options.steps = 10;
  options.actions_path = TempPath("bad_actions.txt");
  options.out_path = TempPath("bad.csv");
  for (const char* bad : {"oops", "2", "0.5", "1,1", ""}) {
    WriteFile(options.actions_path, std::string("1\n0\n") + bad + "\n1\n");
    try {
      WriteRollout(options);
      ADD_FAILURE() << "no exception for '" << bad << "'";
    } catch (const std::invalid_argument& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(options.actions_path), std::string::npos) << message;
      EXPECT_NE(message.find("line 3"), std::string::npos) << message;
    }
  }
}

TEST(RolloutTest, UnwritableOutputAndBadOptionsAreReported) {
  RolloutOptions options;
  options.env_id = "Pendulum-v1";
  options.steps = 5;
  options.out_path = TempPath("no_such_dir/out.csv");
  try {
    WriteRollout(options);
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(options.out_path), std::string::npos) << e.what();
  }
  options.steps = 0;
  EXPECT_THROW(options.Validate(), std::invalid_argument);
  options.steps = 5;
  options.env_id = "Nope-v1";
  EXPECT_THROW(options.Validate(), std::invalid_argument);
}

}  // namespace
}  // namespace rlfleet
