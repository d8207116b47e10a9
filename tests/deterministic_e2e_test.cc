// End-to-end: learner.deterministic. Two runs of the same config and seed, each with real
// processes (replay shard, learner, 2 actors) over ipc, leave byte-identical algorithm
// checkpoints and the same metrics, episodes and counters (all but the wall-clock columns); two
// runs with 1 actor instead of 2 leave another checkpoint, the same in both.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/file_util.h"
#include "launcher/process.h"
#include "tests/e2e_testing.h"

namespace rlfleet {
namespace {
namespace fs = std::filesystem;

struct Case {
  const char* name;
  const char* config;
  const char* checkpoint_file;  // the algorithm's archive in checkpoints/ckpt-*/
  std::vector<std::string> sets;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

std::vector<std::string> SplitCsv(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream row(line);
  std::string field;
  while (std::getline(row, field, ',')) fields.push_back(field);
  return fields;
}

// A CSV's lines without the columns at the indices in `drop`.
std::string DropColumns(const fs::path& csv, const std::vector<size_t>& drop) {
  std::ifstream in(csv);
  std::string line, out;
  while (std::getline(in, line)) {
    const std::vector<std::string> fields = SplitCsv(line);
    for (size_t i = 0; i < fields.size(); ++i) {
      if (std::find(drop.begin(), drop.end(), i) == drop.end()) out += fields[i] + ",";
    }
    out += "\n";
  }
  return out;
}

// The indices of the header's columns named in `names`.
std::vector<size_t> ColumnsNamed(const fs::path& csv, const std::vector<std::string>& names) {
  std::ifstream in(csv);
  std::string header;
  std::getline(in, header);
  const std::vector<std::string> fields = SplitCsv(header);
  std::vector<size_t> indices;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (std::find(names.begin(), names.end(), fields[i]) != names.end()) indices.push_back(i);
  }
  return indices;
}

// The newest checkpoint directory of a run.
fs::path NewestCheckpoint(const fs::path& run) {
  fs::path best;
  for (const auto& entry : fs::directory_iterator(run / "checkpoints")) {
    if (best.empty() || entry.path().filename() > best.filename()) best = entry.path();
  }
  return best;
}

class DeterministicE2eTest : public testing::E2eFixture,
                             public ::testing::WithParamInterface<Case> {
 protected:
  DeterministicE2eTest() : E2eFixture(GetParam().config) {}

  // One run to completion in runs_dir_/<label>; its run directory ("" after a failure).
  fs::path Run(const std::string& label, std::vector<std::string> sets) {
    sets.push_back("learner.deterministic=true");
    sets.push_back("runs_dir=" + (runs_dir_ / label).string());
    for (const std::string& s : GetParam().sets) sets.push_back(s);
    const std::string log = (runs_dir_ / (label + ".log")).string();
    ChildProcess launcher(TrainArgs(sets), log);
    const auto status = launcher.Wait(300);
    if (!status || !status->ok()) {
      ADD_FAILURE() << label << " did not complete\n" << ReadFile(log);
      return {};
    }
    for (const auto& entry : fs::directory_iterator(runs_dir_ / label)) {
      if (entry.is_directory()) return entry.path();
    }
    return {};
  }
};

TEST_P(DeterministicE2eTest, SameSeedSameBytesAndOneActorDiffersRepeatably) {
  const Case& c = GetParam();
  const fs::path a = Run("a", {});
  const fs::path b = Run("b", {});
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  const fs::path checkpoint_a = NewestCheckpoint(a);
  const fs::path checkpoint_b = NewestCheckpoint(b);
  EXPECT_EQ(checkpoint_a.filename(), checkpoint_b.filename());
  const std::string bytes_a = ReadFile((checkpoint_a / c.checkpoint_file).string());
  EXPECT_GT(bytes_a.size(), 1000u);
  EXPECT_TRUE(bytes_a == ReadFile((checkpoint_b / c.checkpoint_file).string()))
      << "the checkpoints differ";
  // state.json: the same but for the wall time.
  auto state = [](const fs::path& checkpoint) {
    auto json = nlohmann::json::parse(ReadFile((checkpoint / "state.json").string()));
    json.erase("wall_seconds");
    return json;
  };
  EXPECT_EQ(state(checkpoint_a), state(checkpoint_b));
  // Metrics and episodes: the same but for the columns that measure time.
  const std::vector<size_t> clock =
      ColumnsNamed(a / "metrics.csv", {"wall_seconds", "fps", "updates_per_second"});
  ASSERT_EQ(clock.size(), 3u);
  const std::string metrics_a = DropColumns(a / "metrics.csv", clock);
  EXPECT_GT(metrics_a.size(), 100u);
  EXPECT_EQ(metrics_a, DropColumns(b / "metrics.csv", clock));
  // episodes.csv: wall_seconds,actor,return,length
  const std::string episodes_a = DropColumns(a / "episodes.csv", {0});
  EXPECT_GT(episodes_a.size(), 100u);
  EXPECT_EQ(episodes_a, DropColumns(b / "episodes.csv", {0}));
  auto summary = [](const fs::path& run) {
    auto json = nlohmann::json::parse(ReadFile((run / "summary.json").string()));
    EXPECT_TRUE(json["completed"].get<bool>());
    json.erase("wall_seconds");
    return json;
  };
  EXPECT_EQ(summary(a), summary(b));

  // One actor instead of two: repeatable too, and another checkpoint.
  const fs::path one = Run("one", {"cluster.num_actors=1"});
  const fs::path one_again = Run("one_again", {"cluster.num_actors=1"});
  ASSERT_FALSE(one.empty());
  ASSERT_FALSE(one_again.empty());
  const std::string bytes_one = ReadFile((NewestCheckpoint(one) / c.checkpoint_file).string());
  EXPECT_TRUE(bytes_one == ReadFile((NewestCheckpoint(one_again) / c.checkpoint_file).string()))
      << "the 1-actor checkpoints differ";
  EXPECT_FALSE(bytes_a == bytes_one) << "1 and 2 actors gave the same checkpoint";
}

// No process is restarted in this mode (a restart would break the rounds' sequence): an actor
// killed mid-run ends the run with exit status 1, and nothing is left behind.
class DeterministicDeathE2eTest : public testing::E2eFixture {
 protected:
  DeterministicDeathE2eTest() : E2eFixture("cartpole_impala.yaml") {}
};

TEST_F(DeterministicDeathE2eTest, AKilledActorEndsTheRun) {
  ChildProcess launcher(TrainArgs({"learner.deterministic=true", "replay.max_size=32",
                                   "learner.total_env_steps=50000000"}),
                        log_);
  ASSERT_TRUE(WaitForEnvSteps(launcher, 20000)) << Log();
  const pid_t actor = testing::ChildWithRole(launcher.pid(), "actor");
  ASSERT_GT(actor, 0) << Log();
  const std::vector<pid_t> children = testing::ChildrenOf(launcher.pid());
  ::kill(actor, SIGKILL);
  const auto status = launcher.Wait(120);
  ASSERT_TRUE(status.has_value()) << "the run went on\n" << Log();
  EXPECT_EQ(status->ToString(), "exit 1") << Log();
  EXPECT_NE(Log().find("learner.deterministic restarts nothing"), std::string::npos) << Log();
  for (pid_t child : children) EXPECT_FALSE(testing::ProcessAlive(child)) << child;
}

INSTANTIATE_TEST_SUITE_P(
    Algorithms, DeterministicE2eTest,
    ::testing::Values(
        Case{"impala",
             "cartpole_impala.yaml",
             "impala.pt",
             {"learner.total_env_steps=100000", "replay.max_size=32"}},
        Case{"apex_dqn", "cartpole_apex_dqn.yaml", "dqn.pt", {"learner.total_env_steps=20000"}},
        Case{"sac",
             "pendulum_sac.yaml",
             "sac.pt",
             {"learner.total_env_steps=2000", "replay.min_size_to_sample=500",
              "actor.warmup_env_steps=500", "model.hidden_sizes=[64, 64]"}},
        Case{"td3",
             "pendulum_td3.yaml",
             "td3.pt",
             {"learner.total_env_steps=2000", "replay.min_size_to_sample=500",
              "actor.warmup_env_steps=500", "model.hidden_sizes=[64, 64]"}}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace rlfleet
