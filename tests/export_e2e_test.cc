// `rlfleet export` on real runs of every algorithm: the archive loaded with torch.jit.load in
// Debian's Python torch (tests/export/check_policy.py) and with torch::jit::load in a program
// that links only LibTorch (tests/export/load_policy.cc) gives the actions of `rlfleet eval
// --observations` for 1000 observations, and carries the metadata; the policy of a CartPole
// IMPALA run trained with the shipped config balances the pure-Python CartPole
// (tests/python_envs/cartpole.py) driven from Python; exports of a run without a checkpoint and
// of a damaged checkpoint fail naming the file.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/file_util.h"
#include "tests/e2e_testing.h"

namespace rlfleet {
namespace {

namespace fs = std::filesystem;

const std::string kPython = "/usr/bin/python3";
const std::string kExportDir = std::string(RLFLEET_SOURCE_DIR) + "/tests/export";
const std::string kPythonEnvs = std::string(RLFLEET_SOURCE_DIR) + "/tests/python_envs";

// Whether Debian's python3 can import torch (checked once).
bool PythonHasTorch() {
  static const bool has = [] {
    const std::string log =
        (fs::temp_directory_path() / ("rlfleet-python-torch-" + std::to_string(::getpid())))
            .string();
    ChildProcess probe({kPython, "-c", "import torch"}, log);
    const auto status = probe.Wait(120);
    fs::remove(log);
    return status.has_value() && status->ok();
  }();
  return has;
}

// Uniform draws in [-bound_j, bound_j] per column, one row per observation.
std::vector<std::vector<float>> UniformObservations(const std::vector<float>& bounds, int32_t n,
                                                    uint32_t seed) {
  std::mt19937 generator(seed);
  std::vector<std::vector<float>> rows(n);
  for (auto& row : rows) {
    for (float b : bounds) row.push_back(std::uniform_real_distribution<float>(-b, b)(generator));
  }
  return rows;
}

// Pendulum's observation: (cos θ, sin θ, θ̇) with θ uniform and θ̇ in [-8, 8].
std::vector<std::vector<float>> PendulumObservations(int32_t n, uint32_t seed) {
  std::mt19937 generator(seed);
  std::uniform_real_distribution<double> angle(-M_PI, M_PI), speed(-8.0, 8.0);
  std::vector<std::vector<float>> rows(n);
  for (auto& row : rows) {
    const double theta = angle(generator);
    row = {static_cast<float>(std::cos(theta)), static_cast<float>(std::sin(theta)),
           static_cast<float>(speed(generator))};
  }
  return rows;
}

class ExportE2eTest : public testing::E2eFixture {
 protected:
  explicit ExportE2eTest(const std::string& config) : E2eFixture(config) {}

  // Runs a command to its end (two minutes at most); returns its exit status (-1 when it did
  // not end) and its output in *output.
  int Run(const std::vector<std::string>& argv, std::string* output) const {
    const std::string log =
        (runs_dir_ / ("command-" + std::to_string(commands_++) + ".log")).string();
    ChildProcess child(argv, log);
    const auto status = child.Wait(120);
    *output = ReadFile(log);
    if (!status.has_value()) return -1;
    return status->ok() ? 0 : (status->code == 0 ? 1 : status->code);
  }

  // Expects the command to succeed; returns its output.
  std::string MustRun(const std::vector<std::string>& argv) const {
    std::string output;
    const int code = Run(argv, &output);
    std::string command;
    for (const std::string& a : argv) command += a + " ";
    EXPECT_EQ(code, 0) << command << "\n" << output;
    return output;
  }

  // Exports the run's newest checkpoint, has `rlfleet eval --observations` act on
  // `observations`, and checks the archive from Python and from C++ against eval's actions and
  // the metadata. Returns the archive's path.
  fs::path ExportAndCompare(const fs::path& run, const std::string& env_id,
                            const std::string& algorithm,
                            const std::vector<std::vector<float>>& observations) {
    const fs::path policy = runs_dir_ / "policy.pt";
    const std::string exported =
        MustRun({testing::kRlfleetBinary, "export", run.string(), "--out", policy.string()});
    EXPECT_NE(exported.find("exported"), std::string::npos) << exported;
    EXPECT_TRUE(fs::exists(policy));

    std::string csv;
    char value[32];
    for (const auto& row : observations) {
      for (size_t j = 0; j < row.size(); ++j) {
        std::snprintf(value, sizeof(value), "%.9g", row[j]);
        csv += (j > 0 ? "," : "") + std::string(value);
      }
      csv += "\n";
    }
    const fs::path observations_csv = runs_dir_ / "observations.csv";
    const fs::path actions_csv = runs_dir_ / "actions.csv";
    WriteFileAtomic(observations_csv.string(), csv);
    const std::string evaluated =
        MustRun({testing::kRlfleetBinary, "eval", run.string(), "--observations",
                 observations_csv.string(), "--actions-out", actions_csv.string()});
    EXPECT_NE(evaluated.find(std::to_string(observations.size()) + " greedy actions"),
              std::string::npos)
        << evaluated;

    // The metadata the archive must carry: from the run's own files.
    const nlohmann::json state = nlohmann::json::parse(ReadFile((run / "summary.json").string()));
    nlohmann::json expected = {{"env_id", env_id},
                               {"algorithm", algorithm},
                               {"rlfleet_version", RLFLEET_VERSION},
                               {"format", "rlfleet-policy"}};
    // The final checkpoint is written when the run ends: its env steps are the summary's.
    expected["env_steps"] = state.at("env_steps");
    expected["updates"] = state.at("updates");
    const fs::path expected_json = runs_dir_ / "expected_metadata.json";
    WriteFileAtomic(expected_json.string(), expected.dump());

    const std::string python =
        MustRun({kPython, kExportDir + "/check_policy.py", policy.string(),
                 observations_csv.string(), actions_csv.string(), expected_json.string()});
    EXPECT_NE(python.find("ok " + std::to_string(observations.size())), std::string::npos)
        << python;
    const std::string cpp =
        MustRun({RLFLEET_LOAD_POLICY, policy.string(), observations_csv.string(),
                 actions_csv.string(), env_id, algorithm, RLFLEET_VERSION});
    EXPECT_NE(cpp.find("ok " + std::to_string(observations.size())), std::string::npos) << cpp;
    return policy;
  }

  // `rlfleet export` of `run` fails (non-zero) with a message naming `file`.
  void ExpectExportFailsNaming(const fs::path& run, const std::string& file) {
    const fs::path policy = runs_dir_ / "refused.pt";
    std::string output;
    const int code =
        Run({testing::kRlfleetBinary, "export", run.string(), "--out", policy.string()}, &output);
    EXPECT_NE(code, 0) << output;
    EXPECT_NE(output.find(file), std::string::npos) << output;
    EXPECT_FALSE(fs::exists(policy));
  }

  mutable int commands_ = 0;
};

class ImpalaExportE2eTest : public ExportE2eTest {
 protected:
  ImpalaExportE2eTest() : ExportE2eTest("cartpole_impala.yaml") {}
};

// The shipped CartPole IMPALA config trained to its end: the export matches eval, and the
// exported policy alone balances the pure-Python CartPole for full episodes.
TEST_F(ImpalaExportE2eTest, CartPolePolicyMatchesEvalAndBalancesPythonCartPole) {
  if (!PythonHasTorch()) GTEST_SKIP() << kPython << " cannot import torch";
  const fs::path run = TrainToCompletion({"name=export-impala"}, 400);
  ASSERT_FALSE(run.empty());
  const fs::path policy = ExportAndCompare(run, "CartPole-v1", "impala",
                                           UniformObservations({2.4f, 3.0f, 0.21f, 3.0f}, 1000, 1));
  const std::string driven = MustRun(
      {kPython, kExportDir + "/drive_cartpole.py", policy.string(), kPythonEnvs, "5", "1000"});
  const nlohmann::json result = nlohmann::json::parse(driven);
  // The run's criterion is the stochastic policy's mean; greedy episodes may end early.
  std::vector<double> returns = result.at("returns").get<std::vector<double>>();
  EXPECT_GE(*std::max_element(returns.begin(), returns.end()), 475.0) << driven;
  // The Python CartPole steps exactly as the built-in one for a seed: `rlfleet eval` of the
  // checkpoint on the same seeds has the same mean return.
  const std::string evaluated =
      MustRun({testing::kRlfleetBinary, "eval", run.string(), "--episodes", "5", "--seed", "1000"});
  char python_mean[32];
  std::snprintf(python_mean, sizeof(python_mean), "mean return %.2f ",
                result.at("mean").get<double>());
  EXPECT_NE(evaluated.find(python_mean), std::string::npos) << evaluated << "\n" << driven;
}

class ApexExportE2eTest : public ExportE2eTest {
 protected:
  ApexExportE2eTest() : ExportE2eTest("cartpole_apex_dqn.yaml") {}
};

// A short Ape-X DQN run (dueling head); then the same run with its checkpoint damaged, and
// without a checkpoint.
TEST_F(ApexExportE2eTest, CartPolePolicyMatchesEvalAndDamageIsNamed) {
  if (!PythonHasTorch()) GTEST_SKIP() << kPython << " cannot import torch";
  const fs::path run = TrainToCompletion(
      {"name=export-apex", "learner.total_env_steps=3000", "replay.min_size_to_sample=500",
       "learner.eval_interval_updates=0", "report.metric=mean_return"},
      180);
  ASSERT_FALSE(run.empty());
  ExportAndCompare(run, "CartPole-v1", "apex_dqn",
                   UniformObservations({2.4f, 3.0f, 0.21f, 3.0f}, 1000, 2));

  // Every .pt of the newest checkpoint truncated in turn, then removed.
  std::vector<fs::path> checkpoints;
  for (const auto& entry : fs::directory_iterator(run / "checkpoints")) {
    checkpoints.push_back(entry.path());
  }
  std::sort(checkpoints.begin(), checkpoints.end());
  ASSERT_FALSE(checkpoints.empty());
  const fs::path newest = checkpoints.back();
  int archives = 0;
  for (const auto& entry : fs::directory_iterator(newest)) {
    if (entry.path().extension() != ".pt") continue;
    ++archives;
    const std::string contents = ReadFile(entry.path().string());
    WriteFileAtomic(entry.path().string(), contents.substr(0, contents.size() / 3));
    ExpectExportFailsNaming(run, entry.path().string());
    fs::remove(entry.path());
    ExpectExportFailsNaming(run, entry.path().string());
    WriteFileAtomic(entry.path().string(), contents);
  }
  EXPECT_GE(archives, 1);
  for (const fs::path& checkpoint : checkpoints) fs::remove_all(checkpoint);
  ExpectExportFailsNaming(run, (run / "checkpoints").string());
}

class SacExportE2eTest : public ExportE2eTest {
 protected:
  SacExportE2eTest() : ExportE2eTest("pendulum_sac.yaml") {}
};

// Short continuous runs: a few updates after a short warm-up are enough for a checkpoint.
const std::vector<std::string> kShortContinuous = {
    "learner.total_env_steps=1200",  "actor.warmup_env_steps=200",
    "replay.min_size_to_sample=200", "replay.samples_per_insert=64",
    "model.hidden_sizes=[64, 64]",   "learner.eval_interval_updates=0",
    "report.metric=mean_return"};

std::vector<std::string> With(std::vector<std::string> sets, const std::string& name) {
  sets.push_back("name=" + name);
  return sets;
}

TEST_F(SacExportE2eTest, PendulumPolicyMatchesEval) {
  if (!PythonHasTorch()) GTEST_SKIP() << kPython << " cannot import torch";
  const fs::path run = TrainToCompletion(With(kShortContinuous, "export-sac"), 180);
  ASSERT_FALSE(run.empty());
  ExportAndCompare(run, "Pendulum-v1", "sac", PendulumObservations(1000, 3));
}

class Td3ExportE2eTest : public ExportE2eTest {
 protected:
  Td3ExportE2eTest() : ExportE2eTest("pendulum_td3.yaml") {}
};

// With observation normalisation inside the exported module.
TEST_F(Td3ExportE2eTest, PendulumPolicyWithNormalizationMatchesEval) {
  if (!PythonHasTorch()) GTEST_SKIP() << kPython << " cannot import torch";
  std::vector<std::string> sets = With(kShortContinuous, "export-td3");
  sets.push_back("model.normalize_observations=true");
  const fs::path run = TrainToCompletion(sets, 180);
  ASSERT_FALSE(run.empty());
  ExportAndCompare(run, "Pendulum-v1", "td3", PendulumObservations(1000, 4));
}

}  // namespace
}  // namespace rlfleet
