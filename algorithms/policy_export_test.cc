#include "algorithms/policy_export.h"

#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "algorithms/greedy_policy.h"
#include "algorithms/registry.h"
#include "core/random.h"

namespace rlfleet {
namespace {

namespace fs = std::filesystem;

struct ExportCase {
  std::string name;        // the test's label
  std::string algo;        // learner.algo
  bool discrete = true;    // the env's action kind
  bool normalize = false;  // model.normalize_observations
  bool shared_torso = false;
  bool dueling = true;  // apex.dueling
  std::string activation = "tanh";
};

void PrintTo(const ExportCase& c, std::ostream* os) { *os << c.name; }

EnvSpec SpecOf(bool discrete) {
  EnvSpec spec;
  spec.id = discrete ? "Test-Discrete" : "Test-Continuous";
  spec.observation_size = 5;
  spec.observation_low.assign(5, -10.0f);
  spec.observation_high.assign(5, 10.0f);
  spec.discrete_actions = discrete;
  if (discrete) {
    spec.num_actions = 4;
    spec.action_size = 1;
  } else {
    spec.num_actions = 0;
    spec.action_size = 2;
    spec.action_low = {-2.0f, 0.0f};  // asymmetric: scale and bias both matter
    spec.action_high = {2.0f, 3.0f};
  }
  return spec;
}

// A fresh temporary file path, removed by the destructor.
class TempFile {
 public:
  explicit TempFile(const std::string& name)
      : path_(fs::temp_directory_path() /
              ("rlfleet-policy-export-" + std::to_string(::getpid()) + "-" + name)) {}
  ~TempFile() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

class PolicyExportTest : public ::testing::TestWithParam<ExportCase> {
 protected:
  void SetUp() override {
    const ExportCase& c = GetParam();
    spec_ = SpecOf(c.discrete);
    RunConfig config;
    config.learner.algo = c.algo;
    config.model.hidden_sizes = {16, 8};
    config.model.activation = c.activation;
    config.model.shared_torso = c.shared_torso;
    config.model.normalize_observations = c.normalize;
    config.model.observation_clip = 1.5;  // small: some inputs are clipped
    config.apex.dueling = c.dueling;
    learner_ = FindAlgorithm(c.algo).make_learner(config, spec_, "cpu");
    // Random parameters (the initial heads are near zero, which would make the actions nearly
    // constant); with a normaliser, its mean and 1/σ too.
    torch::manual_seed(7);
    torch::NoGradGuard no_grad;
    for (auto& item : learner_->published_module().named_parameters()) {
      if (item.key().find("inv_std") != std::string::npos) {
        item.value().uniform_(0.3, 3.0);
      } else {
        item.value().normal_(0.0, 0.7);
      }
    }
  }

  // Observations [n, D]: mostly moderate values, some far outside the normaliser's clip.
  std::vector<float> Observations(int32_t n) const {
    Rng rng(11);
    std::vector<float> x(static_cast<size_t>(n) * spec_.observation_size);
    for (float& v : x) v = static_cast<float>(rng.Normal() * (rng.Uniform01() < 0.1 ? 8.0 : 1.5));
    return x;
  }

  EnvSpec spec_;
  std::unique_ptr<LearnerAlgorithm> learner_;
};

// The exported module, saved and loaded back with torch::jit::load, gives EvalActions(greedy)'s
// actions: discrete ones equal, continuous ones within 1e-5; and the metadata comes back.
TEST_P(PolicyExportTest, LoadedModuleMatchesGreedyEvalActions) {
  const int32_t n = 500;
  const std::vector<float> observations = Observations(n);
  std::vector<float> expected(static_cast<size_t>(n) * spec_.action_size);
  Rng rng(3);
  learner_->EvalActions(observations.data(), n, /*greedy=*/true, rng, expected.data());

  TempFile file("policy.pt");
  const std::string metadata = R"({"env_id": ")" + spec_.id + R"(", "n": 1})";
  SaveGreedyPolicy(*learner_, metadata, file.path());
  EXPECT_FALSE(fs::exists(file.path() + ".tmp"));
  EXPECT_EQ(ReadPolicyMetadata(file.path()), metadata);

  torch::jit::ExtraFilesMap extra = {{kPolicyMetadataFile, ""}};
  torch::jit::Module module = torch::jit::load(file.path(), torch::kCPU, extra);
  EXPECT_EQ(extra[kPolicyMetadataFile], metadata);
  const torch::Tensor x =
      torch::from_blob(const_cast<float*>(observations.data()), {n, spec_.observation_size})
          .clone();
  const torch::Tensor actions = module.forward({x}).toTensor();
  if (spec_.discrete_actions) {
    ASSERT_EQ(actions.scalar_type(), torch::kLong);
    ASSERT_EQ(actions.sizes(), torch::IntArrayRef({n}));
    int distinct_mask = 0;
    for (int32_t i = 0; i < n; ++i) {
      const int64_t a = actions[i].item<int64_t>();
      ASSERT_EQ(static_cast<float>(a), expected[i]) << "row " << i;
      distinct_mask |= 1 << a;
    }
    EXPECT_GT(__builtin_popcount(distinct_mask), 1) << "the test policy is constant";
  } else {
    ASSERT_EQ(actions.scalar_type(), torch::kFloat);
    ASSERT_EQ(actions.sizes(), torch::IntArrayRef({n, spec_.action_size}));
    const torch::Tensor a = actions.contiguous();
    const float* data = a.data_ptr<float>();
    for (int64_t i = 0; i < n * spec_.action_size; ++i) {
      ASSERT_NEAR(data[i], expected[i], 1e-5) << "value " << i;
      const int32_t j = static_cast<int32_t>(i % spec_.action_size);
      EXPECT_GE(data[i], spec_.action_low[j]);
      EXPECT_LE(data[i], spec_.action_high[j]);
    }
  }
}

// A batch of one, and an observation of the wrong width is refused with the expected shape.
TEST_P(PolicyExportTest, ChecksTheObservationShape) {
  GreedyPolicy policy;
  learner_->DescribeGreedyPolicy(&policy);
  torch::jit::Module module = ScriptGreedyPolicy(policy);
  const std::vector<float> observation = Observations(1);
  std::vector<float> expected(spec_.action_size);
  Rng rng(3);
  learner_->EvalActions(observation.data(), 1, true, rng, expected.data());
  const torch::Tensor out = module
                                .forward({torch::from_blob(const_cast<float*>(observation.data()),
                                                           {1, spec_.observation_size})
                                              .to(torch::kDouble)})
                                .toTensor();
  EXPECT_EQ(out.size(0), 1);
  EXPECT_NEAR(out.reshape({-1})[0].item<double>(), expected[0], 1e-5);
  try {
    module.forward({torch::zeros({3, spec_.observation_size + 1})});
    ADD_FAILURE() << "a [3, D+1] observation was accepted";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("[B, " + std::to_string(spec_.observation_size) + "]"),
              std::string::npos)
        << e.what();
  }
}

// What the description holds follows the config: the normaliser's presence and clip, the torso.
TEST_P(PolicyExportTest, DescriptionFollowsTheConfig) {
  GreedyPolicy policy;
  learner_->DescribeGreedyPolicy(&policy);
  EXPECT_NO_THROW(policy.Validate());
  EXPECT_EQ(policy.observation_size, spec_.observation_size);
  EXPECT_EQ(policy.torso.size(), 2u);
  EXPECT_EQ(policy.discrete(), spec_.discrete_actions);
  EXPECT_EQ(policy.action_outputs(),
            spec_.discrete_actions ? spec_.num_actions : spec_.action_size);
  EXPECT_EQ(policy.observation_clip, GetParam().normalize ? 1.5 : 0.0);
}

INSTANTIATE_TEST_SUITE_P(
    Algorithms, PolicyExportTest,
    ::testing::Values(
        ExportCase{"ImpalaDiscrete", "impala", true, false},
        ExportCase{"ImpalaDiscreteNormalized", "impala", true, true},
        ExportCase{"ImpalaDiscreteSharedRelu", "impala", true, true, true, true, "relu"},
        ExportCase{"ImpalaContinuous", "impala", false, false},
        ExportCase{"ImpalaContinuousNormalized", "impala", false, true},
        ExportCase{"ApexDueling", "apex_dqn", true, false, false, true, "relu"},
        ExportCase{"ApexPlainTanh", "apex_dqn", true, false, false, false, "tanh"},
        ExportCase{"Sac", "sac", false, false}, ExportCase{"SacNormalized", "sac", false, true},
        ExportCase{"Td3", "td3", false, false}, ExportCase{"Td3Normalized", "td3", false, true}),
    [](const ::testing::TestParamInfo<ExportCase>& info) { return info.param.name; });

TEST(GreedyPolicyTest, ValidateNamesTheInconsistentField) {
  GreedyPolicy policy;
  policy.observation_size = 3;
  policy.torso = {{torch::zeros({4, 3}), torch::zeros({4})}};
  policy.output = {torch::zeros({2, 5}), torch::zeros({2})};  // takes 5 features, gets 4
  try {
    policy.Validate();
    ADD_FAILURE() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("output.weight"), std::string::npos) << e.what();
  }
  policy.output = {torch::zeros({2, 4}), torch::zeros({2})};
  EXPECT_NO_THROW(policy.Validate());
  policy.head = GreedyPolicy::Head::kTanhScale;  // without scale and bias
  EXPECT_THROW(policy.Validate(), std::invalid_argument);
}

// A file that is not a policy archive is refused with its path.
TEST(PolicyExportErrorsTest, ArchiveThatIsNotAPolicyIsNamed) {
  TempFile file("not-a-policy.pt");
  {
    std::ofstream out(file.path());
    out << "not a zip archive";
  }
  try {
    ReadPolicyMetadata(file.path());
    ADD_FAILURE() << "accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(file.path()), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace rlfleet
