// End-to-end: `rlfleet bench actor|learner --config CONFIG` on the shipped configs of every
// algorithm, each for a fraction of a second: the bench builds its own single-host cluster from
// the config (one shard, one actor), so every config a user trains must also bench.
#include <gtest/gtest.h>

#include <cctype>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "core/file_util.h"
#include "launcher/process.h"
#include "tests/e2e_testing.h"

namespace rlfleet {
namespace {

struct Case {
  const char* config;
  const char* what;  // actor | learner
};

// "<what>_<config>" with every character other than a letter or digit replaced by '_': the test's
// name and what ctest prints for its parameter.
std::string CaseName(const Case& c) {
  std::string name = std::string(c.what) + "_" + c.config;
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}
void PrintTo(const Case& c, std::ostream* os) { *os << CaseName(c); }

class BenchE2eTest : public testing::E2eFixture, public ::testing::WithParamInterface<Case> {
 protected:
  BenchE2eTest() : E2eFixture(GetParam().config) {}
};

// The last line of the bench's output is one JSON object naming the bench and the algorithm,
// and both sides (the system and its bare reference) made progress.
TEST_P(BenchE2eTest, RunsOnTheConfigAndPrintsItsJson) {
  const std::string what = GetParam().what;
  // A small replay memory keeps the learner bench's fill short; the rest is the config's.
  ChildProcess bench(
      {testing::kRlfleetBinary, "bench", what, "--config", config_, "--seconds", "0.3", "--json",
       "--set", "replay.max_size=4096", "--set", "replay.min_size_to_sample=256"},
      log_);
  const auto status = bench.Wait(300);
  ASSERT_TRUE(status.has_value()) << "did not finish\n" << Log();
  ASSERT_TRUE(status->ok()) << status->ToString() << "\n" << Log();

  std::istringstream lines(Log());
  std::string line;
  std::string last;
  while (std::getline(lines, line)) {
    if (!line.empty()) last = line;
  }
  const nlohmann::json result = nlohmann::json::parse(last, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(result.is_object()) << Log();
  EXPECT_EQ(result.value("bench", ""), what);
  const std::string config_text = ReadFile(config_);
  EXPECT_NE(config_text.find("algo: " + result.value("algo", std::string("?"))), std::string::npos)
      << "the bench ran the config's algorithm\n"
      << last;
  if (what == "learner") {
    EXPECT_GT(result.value("learner_updates", int64_t{0}), 0) << last;
    EXPECT_GT(result.value("bare_updates_per_second", 0.0), 0.0) << last;
  } else {
    EXPECT_GT(result.value("actor_fps", 0.0), 0.0) << last;
    EXPECT_GT(result.value("bare_fps", 0.0), 0.0) << last;
  }
  EXPECT_GT(result.value("ratio", 0.0), 0.0) << last;
}

INSTANTIATE_TEST_SUITE_P(
    Configs, BenchE2eTest,
    ::testing::Values(Case{"cartpole_impala.yaml", "learner"},
                      Case{"cartpole_apex_dqn.yaml", "learner"},
                      Case{"pendulum_sac.yaml", "learner"}, Case{"hopper_td3.yaml", "learner"},
                      Case{"hopper_td3.yaml", "actor"}, Case{"cartpole_apex_dqn.yaml", "actor"}),
    [](const ::testing::TestParamInfo<Case>& info) { return CaseName(info.param); });

}  // namespace
}  // namespace rlfleet
