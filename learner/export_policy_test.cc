#include "learner/export_policy.h"

#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "algorithms/policy_export.h"
#include "algorithms/registry.h"
#include "config/config_io.h"
#include "core/file_util.h"
#include "core/random.h"
#include "envs/registry.h"
#include "learner/observation_actions.h"
#include "learner/run_files.h"

namespace rlfleet {
namespace {

namespace fs = std::filesystem;

struct RunCase {
  std::string algo;
  std::string env_id;
  bool normalize;
};

void PrintTo(const RunCase& c, std::ostream* os) { *os << c.algo << " " << c.env_id; }

// A run directory as the learner leaves it: config.yaml and one checkpoint (ckpt-<7 updates>)
// of an algorithm with random parameters, its state.json saying 7 updates, 1234 consumed frames
// and 5678 actor env steps.
class ExportPolicyTest : public ::testing::TestWithParam<RunCase> {
 protected:
  void SetUp() override {
    const RunCase& c = GetParam();
    dir_ = fs::temp_directory_path() / ("rlfleet-export-policy-" + std::to_string(::getpid()) +
                                        "-" + c.algo + "-" + (c.normalize ? "norm" : "raw"));
    fs::remove_all(dir_);
    run_dir_ = dir_ / "run";
    fs::create_directories(run_dir_ / "checkpoints");
    config_.env.id = c.env_id;
    config_.learner.algo = c.algo;
    config_.model.hidden_sizes = {8};
    config_.model.normalize_observations = c.normalize;
    if (c.algo != "impala") {
      config_.replay.sampler = "uniform";
      config_.replay.min_size_to_sample = 1;
    }
    WriteFileAtomic((run_dir_ / "config.yaml").string(), RunConfigToYaml(config_));
    spec_ = MakeEnv(c.env_id)->spec();
    algorithm_ = FindAlgorithm(c.algo).make_learner(config_, spec_, "cpu");
    torch::manual_seed(5);
    torch::NoGradGuard no_grad;
    for (auto& item : algorithm_->published_module().named_parameters()) {
      if (item.key().find("inv_std") != std::string::npos) {
        item.value().uniform_(0.5, 2.0);
      } else {
        item.value().normal_(0.0, 0.5);
      }
    }
    checkpoint_ = run_dir_ / "checkpoints" / CheckpointName(7);
    fs::create_directories(checkpoint_);
    algorithm_->SaveCheckpoint(checkpoint_.string());
    nlohmann::json state = {{"algo", c.algo},
                            {"updates", 7},
                            {"consumed_frames", 1234},
                            {"actor_env_steps", 5678},
                            {"episodes", 0},
                            {"wall_seconds", 1.0},
                            {"recent_returns", std::vector<double>{}}};
    WriteFileAtomic((checkpoint_ / "state.json").string(), state.dump());
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Observations drawn around zero, as CSV text and as rows.
  std::string WriteObservations(int32_t n, std::vector<float>* rows) const {
    Rng rng(9);
    std::ostringstream csv;
    for (int32_t i = 0; i < n; ++i) {
      for (int32_t j = 0; j < spec_.observation_size; ++j) {
        const float v = static_cast<float>(rng.Normal() * 2.0);
        rows->push_back(v);
        char text[32];
        std::snprintf(text, sizeof(text), "%.9g", v);
        csv << (j > 0 ? "," : "") << text;
      }
      csv << "\n";
    }
    const std::string path = (dir_ / "observations.csv").string();
    WriteFileAtomic(path, csv.str());
    return path;
  }

  // The message of what `f` throws ("" when it does not).
  template <typename F>
  static std::string ErrorOf(F f) {
    try {
      f();
    } catch (const std::exception& e) {
      return e.what();
    }
    return "";
  }

  fs::path dir_, run_dir_, checkpoint_;
  RunConfig config_;
  EnvSpec spec_;
  std::unique_ptr<LearnerAlgorithm> algorithm_;
};

// The archive's metadata says what the run and checkpoint are; its forward gives the actions
// `rlfleet eval --observations` writes for the same checkpoint.
TEST_P(ExportPolicyTest, ArchiveCarriesMetadataAndTheGreedyActionsOfEval) {
  ExportOptions options;
  options.run_dir = run_dir_.string();
  options.out = (dir_ / "policy.pt").string();
  const ExportResult result = ExportPolicy(options);
  EXPECT_EQ(result.checkpoint, checkpoint_.string());

  torch::jit::ExtraFilesMap extra = {{kPolicyMetadataFile, ""}};
  torch::jit::Module module = torch::jit::load(options.out, torch::kCPU, extra);
  EXPECT_EQ(extra[kPolicyMetadataFile], result.metadata);
  const nlohmann::json metadata = nlohmann::json::parse(extra[kPolicyMetadataFile]);
  const AlgorithmSpec& algo = FindAlgorithm(GetParam().algo);
  EXPECT_EQ(metadata["format"], "rlfleet-policy");
  EXPECT_EQ(metadata["rlfleet_version"], RlfleetVersion());
  EXPECT_FALSE(RlfleetVersion().empty());
  EXPECT_EQ(metadata["env_id"], spec_.id);
  EXPECT_EQ(metadata["algorithm"], GetParam().algo);
  EXPECT_EQ(metadata["checkpoint"], CheckpointName(7));
  EXPECT_EQ(metadata["updates"], 7);
  EXPECT_EQ(metadata["env_steps"], algo.budget == StepBudget::kConsumedFrames ? 1234 : 5678);
  EXPECT_EQ(metadata["observation"]["size"], spec_.observation_size);
  EXPECT_EQ(metadata["observation"]["normalized"], GetParam().normalize);
  EXPECT_EQ(metadata["action"]["discrete"], spec_.discrete_actions);
  EXPECT_EQ(metadata["action"]["size"], spec_.action_size);
  EXPECT_EQ(metadata["action"]["num_actions"], spec_.num_actions);
  ASSERT_EQ(metadata["action"]["low"].size(), spec_.action_low.size());
  for (size_t j = 0; j < spec_.action_low.size(); ++j) {
    EXPECT_EQ(metadata["action"]["low"][j].get<double>(), spec_.action_low[j]);
    EXPECT_EQ(metadata["action"]["high"][j].get<double>(), spec_.action_high[j]);
  }

  const int32_t n = 300;
  std::vector<float> rows;
  ObservationActionsOptions eval;
  eval.run_dir = run_dir_.string();
  eval.observations_path = WriteObservations(n, &rows);
  eval.actions_path = (dir_ / "actions.csv").string();
  EXPECT_EQ(WriteObservationActions(eval), n);
  std::ifstream actions_csv(eval.actions_path);
  const torch::Tensor x = torch::from_blob(rows.data(), {n, spec_.observation_size}).clone();
  const torch::Tensor y = module.forward({x}).toTensor().contiguous();
  std::string line;
  for (int32_t i = 0; i < n; ++i) {
    ASSERT_TRUE(std::getline(actions_csv, line)) << "row " << i;
    std::stringstream fields(line);
    std::string field;
    for (int32_t j = 0; j < spec_.action_size; ++j) {
      ASSERT_TRUE(std::getline(fields, field, ','));
      if (spec_.discrete_actions) {
        EXPECT_EQ(y[i].item<int64_t>(), std::stoll(field)) << "row " << i;
      } else {
        EXPECT_NEAR(y[i][j].item<float>(), std::stof(field), 1e-5) << "row " << i;
      }
    }
  }
  EXPECT_FALSE(std::getline(actions_csv, line));
}

TEST_P(ExportPolicyTest, ChoosesTheNamedCheckpoint) {
  ExportOptions options;
  options.run_dir = run_dir_.string();
  options.out = (dir_ / "policy.pt").string();
  options.checkpoint = CheckpointName(7);
  EXPECT_EQ(ExportPolicy(options).checkpoint, checkpoint_.string());
  options.checkpoint = CheckpointName(8);
  const std::string error = ErrorOf([&] { ExportPolicy(options); });
  EXPECT_NE(error.find(CheckpointName(8)), std::string::npos) << error;
}

TEST_P(ExportPolicyTest, RunWithoutCheckpointIsAnErrorNamingTheDirectory) {
  fs::remove_all(checkpoint_);
  ExportOptions options;
  options.run_dir = run_dir_.string();
  options.out = (dir_ / "policy.pt").string();
  const std::string error = ErrorOf([&] { ExportPolicy(options); });
  EXPECT_NE(error.find((run_dir_ / "checkpoints").string()), std::string::npos) << error;
  EXPECT_FALSE(fs::exists(options.out));
}

// Each file of the checkpoint missing, then truncated: the export fails naming that file and
// leaves no archive.
TEST_P(ExportPolicyTest, DamagedCheckpointIsAnErrorNamingTheFile) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(checkpoint_)) files.push_back(entry.path());
  ASSERT_GE(files.size(), 2u);  // state.json and the algorithm's archive(s)
  ExportOptions options;
  options.run_dir = run_dir_.string();
  options.checkpoint = checkpoint_.string();
  options.out = (dir_ / "policy.pt").string();
  for (const fs::path& file : files) {
    const std::string contents = ReadFile(file.string());
    fs::remove(file);
    std::string error = ErrorOf([&] { ExportPolicy(options); });
    EXPECT_NE(error.find(file.string()), std::string::npos) << "missing: " << error;
    WriteFileAtomic(file.string(), contents.substr(0, contents.size() / 2));
    error = ErrorOf([&] { ExportPolicy(options); });
    EXPECT_NE(error.find(file.string()), std::string::npos) << "truncated: " << error;
    EXPECT_FALSE(fs::exists(options.out));
    WriteFileAtomic(file.string(), contents);
  }
  EXPECT_NO_THROW(ExportPolicy(options));
}

INSTANTIATE_TEST_SUITE_P(Algorithms, ExportPolicyTest,
                         ::testing::Values(RunCase{"impala", "CartPole-v1", true},
                                           RunCase{"impala", "Pendulum-v1", false},
                                           RunCase{"apex_dqn", "CartPole-v1", false},
                                           RunCase{"sac", "Pendulum-v1", true},
                                           RunCase{"td3", "Pendulum-v1", true}),
                         [](const ::testing::TestParamInfo<RunCase>& info) {
                           return info.param.algo + "_" +
                                  info.param.env_id.substr(0, info.param.env_id.find('-')) +
                                  (info.param.normalize ? "_normalized" : "");
                         });

class ObservationsCsvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (fs::temp_directory_path() /
             ("rlfleet-observations-" + std::to_string(::getpid()) + ".csv"))
                .string();
  }
  void TearDown() override { fs::remove(path_); }
  std::string ErrorFor(const std::string& text) {
    WriteFileAtomic(path_, text);
    try {
      ReadObservationsCsv(path_, 3);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "";
  }
  std::string path_;
};

TEST_F(ObservationsCsvTest, ReadsRowsAndSkipsEmptyLines) {
  WriteFileAtomic(path_, "1,2,3\n\n-0.5, 1e-3 ,4\r\n");
  EXPECT_EQ(ReadObservationsCsv(path_, 3), (std::vector<float>{1, 2, 3, -0.5f, 1e-3f, 4}));
}

TEST_F(ObservationsCsvTest, ErrorsNameTheFileAndLine) {
  EXPECT_NE(ErrorFor("1,2,3\n1,2\n").find(path_ + ":2:"), std::string::npos);
  EXPECT_NE(ErrorFor("1,2,3\n1,2,3,4\n").find(path_ + ":2:"), std::string::npos);
  EXPECT_NE(ErrorFor("1,2,3\n\n1,x,3\n").find(path_ + ":3: 'x' is not a number"),
            std::string::npos);
  EXPECT_NE(ErrorFor("a,b,c\n1,2,3\n").find(path_ + ":1:"), std::string::npos);
  EXPECT_NE(ErrorFor("1,,3\n").find(path_ + ":1:"), std::string::npos);
  EXPECT_NE(ErrorFor("1,nan,3\n").find(path_ + ":1:"), std::string::npos);
  fs::remove(path_);
  try {
    ReadObservationsCsv(path_, 3);
    ADD_FAILURE() << "a missing file was read";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path_), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace rlfleet
