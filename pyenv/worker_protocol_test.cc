#include "pyenv/worker_protocol.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace rlfleet {
namespace {

nlohmann::json CartPoleSpec() {
  return nlohmann::json::parse(R"({"observation_size": 2, "observation_low": [-4.8, null],
      "observation_high": [4.8, null], "discrete": true, "num_actions": 2, "action_size": 1,
      "action_low": [], "action_high": [], "max_episode_steps": 500})");
}

nlohmann::json PendulumSpec() {
  return nlohmann::json::parse(R"({"observation_size": 1, "observation_low": [-8],
      "observation_high": [8], "discrete": false, "num_actions": 0, "action_size": 1,
      "action_low": [-2], "action_high": [2], "max_episode_steps": 0})");
}

std::string Parse(const nlohmann::json& j, EnvSpec* spec = nullptr) {
  EnvSpec local;
  return ParseWorkerSpec(j, spec != nullptr ? spec : &local);
}

TEST(WorkerProtocolTest, ParsesSpecsWithNullBoundsAsInfinity) {
  EnvSpec spec;
  spec.id = "kept";
  ASSERT_EQ(Parse(CartPoleSpec(), &spec), "");
  EXPECT_EQ(spec.id, "kept");
  EXPECT_EQ(spec.observation_size, 2);
  EXPECT_EQ(spec.observation_low[0], -4.8f);
  EXPECT_EQ(spec.observation_low[1], -std::numeric_limits<float>::infinity());
  EXPECT_EQ(spec.observation_high[1], std::numeric_limits<float>::infinity());
  EXPECT_TRUE(spec.discrete_actions);
  EXPECT_EQ(spec.num_actions, 2);
  EXPECT_EQ(spec.max_episode_steps, 500);
  ASSERT_EQ(Parse(PendulumSpec(), &spec), "");
  EXPECT_FALSE(spec.discrete_actions);
  EXPECT_EQ(spec.action_low, std::vector<float>{-2.0f});
  // Beyond float's range: infinity for observations.
  nlohmann::json big = PendulumSpec();
  big["observation_high"] = {1e300};
  ASSERT_EQ(Parse(big, &spec), "");
  EXPECT_EQ(spec.observation_high[0], std::numeric_limits<float>::infinity());
}

TEST(WorkerProtocolTest, RejectsBadSpecs) {
  auto with = [](nlohmann::json j, const char* key, nlohmann::json value) {
    j[key] = value;
    return j;
  };
  const nlohmann::json c = CartPoleSpec(), p = PendulumSpec();
  EXPECT_NE(Parse(nlohmann::json::array()), "");
  EXPECT_NE(Parse(with(c, "observation_size", 0)).find("observation_size"), std::string::npos);
  EXPECT_NE(Parse(with(c, "observation_size", -3)), "");
  EXPECT_NE(Parse(with(c, "observation_size", 1ull << 40)), "");
  EXPECT_NE(Parse(with(c, "observation_size", 2.5)), "");
  EXPECT_NE(Parse(with(c, "observation_size", "2")), "");
  EXPECT_NE(Parse(with(c, "observation_low", {1.0})).find("observation_low"), std::string::npos);
  EXPECT_NE(Parse(with(c, "observation_low", {5.0, 0.0})).find("low > high"), std::string::npos);
  EXPECT_NE(Parse(with(c, "observation_high", {"x", 1})), "");
  EXPECT_NE(Parse(with(c, "discrete", 1)), "");
  EXPECT_NE(Parse(with(c, "num_actions", 0)), "");
  EXPECT_NE(Parse(with(c, "action_size", 2)), "");
  EXPECT_NE(Parse(with(c, "action_low", {0.0})), "");
  EXPECT_NE(Parse(with(c, "max_episode_steps", -1)), "");
  EXPECT_NE(Parse(with(p, "action_low", {nullptr})).find("finite"), std::string::npos);
  EXPECT_NE(Parse(with(p, "action_low", {2.0})).find("low < high"), std::string::npos);
  EXPECT_NE(Parse(with(p, "action_high", {1e300})), "");
  EXPECT_NE(Parse(with(p, "num_actions", 3)), "");
  EXPECT_NE(Parse(with(p, "action_size", 0)), "");
}

TEST(WorkerProtocolTest, ReplyHeadersAndCounts) {
  nlohmann::json h;
  auto parse = [&h](const std::string& text) {
    return ParseReplyHeader(text.data(), text.size(), &h);
  };
  EXPECT_EQ(parse(R"({"ok":true,"errors":2})"), "");
  int64_t v = -1;
  EXPECT_EQ(ReadCount(h, "errors", 4, &v), "");
  EXPECT_EQ(v, 2);
  EXPECT_EQ(ReadCount(h, "nonfinite", 4, &v), "");
  EXPECT_EQ(v, 0);
  EXPECT_NE(ReadCount(h, "errors", 1, &v), "");
  EXPECT_EQ(parse(R"({"ok":true,"errors":-1})"), "");
  EXPECT_NE(ReadCount(h, "errors", 4, &v), "");
  EXPECT_EQ(parse(R"({"ok":false,"error":"cannot import module 'x'"})"),
            "cannot import module 'x'");
  EXPECT_NE(parse(R"({"ok":false})"), "");
  EXPECT_NE(parse(R"({"ok":1})"), "");
  EXPECT_NE(parse("[1]"), "");
  EXPECT_NE(parse("\xff\xfe"), "");
  EXPECT_NE(parse(""), "");
}

TEST(WorkerProtocolTest, Requests) {
  InitRequestFields f;
  f.callable = "m:f";
  f.num_envs = 2;
  f.base_seeds = {1, 18446744073709551615ull};
  const nlohmann::json init = nlohmann::json::parse(InitRequest(f));
  EXPECT_EQ(init["cmd"], "init");
  EXPECT_EQ(init["protocol"], kWorkerProtocol);
  EXPECT_EQ(init["base_seeds"][1].get<uint64_t>(), 18446744073709551615ull);
  EXPECT_EQ(ResetRequest({7, std::nullopt}), R"({"cmd":"reset","seeds":[7,null]})");
}

}  // namespace
}  // namespace rlfleet
