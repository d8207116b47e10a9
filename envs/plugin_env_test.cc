#include "envs/plugin_env.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/random.h"
#include "envs/registry.h"
#include "envs/time_limit.h"

namespace rlfleet {
namespace {

// Paths of the test plugins (envs/CMakeLists.txt; sources in tests/plugins/).
const std::string kCartPole = RLFLEET_TEST_CARTPOLE_PLUGIN;
const std::string kNan = RLFLEET_TEST_NAN_PLUGIN;
const std::string kSpec = RLFLEET_TEST_SPEC_PLUGIN;
const std::string kCatchInTree = RLFLEET_TEST_CATCH_PLUGIN;

std::string FileName(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// The message of the std::invalid_argument that `f` throws ("" when it throws none).
std::string InvalidArgumentOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

// The message of the EnvFault that `f` throws ("" when it throws none).
std::string EnvFaultOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const EnvFault& e) {
    return e.what();
  }
  return "";
}

uint32_t Bits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

// A fresh directory under the test temp dir, removed (with its files) at destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "rlfleet_plugin_XXXXXX";
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Whether the library at `path` is loaded in this process (dlopen's RTLD_NOLOAD).
bool IsLoaded(const std::string& path) {
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD);
  if (handle == nullptr) return false;
  dlclose(handle);
  return true;
}

// cartpole_plugin's count of envs created and not destroyed (the library must be loaded).
int LiveCartPoleEnvs() {
  void* handle = dlopen(kCartPole.c_str(), RTLD_NOW | RTLD_NOLOAD);
  if (handle == nullptr) return -1;
  const auto live = reinterpret_cast<int (*)()>(dlsym(handle, "rlfleet_test_live_envs"));
  const int result = live != nullptr ? live() : -2;
  dlclose(handle);
  return result;
}

// A linear controller that keeps CartPole up (and the cart near the centre) for 500 steps from
// the reset distribution: push right when the pole leans or falls right.
float BalancingAction(const float* obs) {
  const double score = 0.1 * obs[0] + 0.5 * obs[1] + 10.0 * obs[2] + 2.0 * obs[3];
  return score > 0.0 ? 1.0f : 0.0f;
}

// ---- CartPole in C against the built-in ----

TEST(PluginEnvTest, CartPoleSpecEqualsTheBuiltIn) {
  const std::unique_ptr<Env> builtin = MakeEnv("CartPole-v1");
  const std::unique_ptr<Env> plugin = MakePluginEnv(kCartPole, "CartPole-v1", "{}");
  const EnvSpec& a = builtin->spec();
  const EnvSpec& b = plugin->spec();
  EXPECT_EQ(b.id, a.id);
  EXPECT_EQ(b.observation_size, a.observation_size);
  EXPECT_EQ(b.observation_low, a.observation_low);
  EXPECT_EQ(b.observation_high, a.observation_high);
  EXPECT_EQ(b.discrete_actions, a.discrete_actions);
  EXPECT_EQ(b.num_actions, a.num_actions);
  EXPECT_EQ(b.action_size, a.action_size);
  EXPECT_EQ(b.action_low, a.action_low);
  EXPECT_EQ(b.action_high, a.action_high);
  EXPECT_EQ(b.max_episode_steps, 500);
  EXPECT_NE(dynamic_cast<TimeLimit*>(plugin.get()), nullptr) << "wrapped in TimeLimit as MakeEnv";
  // The id is the caller's, whatever the plugin is.
  EXPECT_EQ(PluginEnvSpec(kCartPole, "MyCartPole-v9", "{}").id, "MyCartPole-v9");
}

// 10,000 steps from the same seed, actions from a seeded stream (random, and a balancing
// controller on some episodes so that TimeLimit truncates at 500): every observation, reward
// and flag is bit for bit the built-in's.
TEST(PluginEnvTest, CartPoleMatchesTheBuiltInBitForBit) {
  const std::unique_ptr<Env> builtin = MakeEnv("CartPole-v1");
  const std::unique_ptr<Env> plugin = MakePluginEnv(kCartPole, "CartPole-v1", "{}");
  builtin->Seed(20240607);
  plugin->Seed(20240607);
  float a[4], b[4];
  builtin->Reset(a);
  plugin->Reset(b);
  ASSERT_EQ(std::memcmp(a, b, sizeof(a)), 0);

  Rng actions(99);
  int episodes = 0, truncations = 0, terminations = 0, episode_length = 0;
  bool balancing = false;
  for (int step = 0; step < 10000; ++step) {
    const float action = balancing && actions.Uniform01() < 0.95
                             ? BalancingAction(a)
                             : static_cast<float>(actions.UniformInt(2));
    const StepResult ra = builtin->Step(&action, a);
    const StepResult rb = plugin->Step(&action, b);
    ++episode_length;
    ASSERT_EQ(std::memcmp(a, b, sizeof(a)), 0) << "step " << step;
    ASSERT_EQ(ra.reward, rb.reward) << "step " << step;
    ASSERT_EQ(ra.terminated, rb.terminated) << "step " << step;
    ASSERT_EQ(ra.truncated, rb.truncated) << "step " << step;
    if (ra.truncated) {
      EXPECT_EQ(episode_length, 500);
      ++truncations;
    }
    if (ra.terminated) ++terminations;
    if (ra.terminated || ra.truncated) {
      builtin->Reset(a);
      plugin->Reset(b);
      ASSERT_EQ(std::memcmp(a, b, sizeof(a)), 0) << "reset after step " << step;
      ++episodes;
      episode_length = 0;
      balancing = episodes % 4 == 0;
    }
  }
  EXPECT_GT(terminations, 50);
  EXPECT_GE(truncations, 2);
}

// ---- one library, many envs ----

TEST(PluginEnvTest, EnvsFromOnePathShareTheLibraryWhichOutlivesThem) {
  ASSERT_FALSE(IsLoaded(kCartPole)) << "an earlier test leaked an env";
  std::unique_ptr<Env> first = MakePluginEnv(kCartPole, "CartPole-v1", "{}");
  std::unique_ptr<Env> second = MakePluginEnv(kCartPole, "CartPole-v1", "{}");
  ASSERT_TRUE(IsLoaded(kCartPole));
  EXPECT_EQ(LiveCartPoleEnvs(), 2);

  std::shared_ptr<const EnvPlugin> plugin = LoadEnvPlugin(kCartPole);
  EXPECT_EQ(plugin.use_count(), 3) << "one EnvPlugin held by both envs and this test";
  EXPECT_EQ(LoadEnvPlugin(kCartPole).get(), plugin.get());
  EXPECT_EQ(plugin->name(), "cartpole");
  EXPECT_EQ(plugin->table().abi_version, RLFLEET_ENV_PLUGIN_ABI_VERSION);

  // Another path to the same file is the same library.
  TempDir dir;
  const std::string link = dir.path() + "/link_to_cartpole.so";
  ASSERT_EQ(symlink(kCartPole.c_str(), link.c_str()), 0);
  EXPECT_EQ(LoadEnvPlugin(link).get(), plugin.get());

  // Envs of one library keep separate state.
  float obs1[4], obs2[4];
  first->Seed(5);
  second->Seed(6);
  first->Reset(obs1);
  second->Reset(obs2);
  EXPECT_NE(std::memcmp(obs1, obs2, sizeof(obs1)), 0);

  // destroy runs in the destructor; the library stays loaded while anyone holds it.
  first.reset();
  EXPECT_EQ(LiveCartPoleEnvs(), 1);
  second.reset();
  EXPECT_EQ(LiveCartPoleEnvs(), 0);
  EXPECT_TRUE(IsLoaded(kCartPole));
  plugin.reset();
  EXPECT_FALSE(IsLoaded(kCartPole)) << "dlclose'd with its last owner";

  // Loading again after that works (a fresh handle).
  std::unique_ptr<Env> again = MakePluginEnv(kCartPole, "CartPole-v1", "{}");
  EXPECT_EQ(LiveCartPoleEnvs(), 1);
}

TEST(PluginEnvTest, ConcurrentLoadsShareOneLibrary) {
  constexpr int kThreads = 8, kEnvsPerThread = 25;
  std::vector<std::vector<std::unique_ptr<Env>>> envs(kThreads);
  std::vector<const EnvPlugin*> seen(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEnvsPerThread; ++i) {
        envs[t].push_back(MakePluginEnv(kCartPole, "CartPole-v1", "{}"));
        float obs[4];
        const float action = 1.0f;
        envs[t].back()->Seed(static_cast<uint64_t>(t * kEnvsPerThread + i));
        envs[t].back()->Reset(obs);
        envs[t].back()->Step(&action, obs);
      }
      seen[t] = LoadEnvPlugin(kCartPole).get();
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 1; t < kThreads; ++t) EXPECT_EQ(seen[t], seen[0]);
  EXPECT_EQ(LiveCartPoleEnvs(), kThreads * kEnvsPerThread);
  envs.clear();
  EXPECT_FALSE(IsLoaded(kCartPole));
}

TEST(PluginEnvTest, SeedResetStepAndTruncationAt500) {
  std::unique_ptr<Env> env = MakePluginEnv(kCartPole, "CartPole-v1", "{}");
  ASSERT_EQ(env->spec().max_episode_steps, 500);

  // Reset draws U(-0.05, 0.05) four times from rlfleet's Rng seeded with the given seed.
  float obs[4];
  for (uint64_t seed : {0ull, 1ull, 42ull}) {
    env->Seed(seed);
    env->Reset(obs);
    Rng reference(seed);
    for (int i = 0; i < 4; ++i) {
      EXPECT_EQ(obs[i], static_cast<float>(reference.Uniform(-0.05, 0.05))) << "seed " << seed;
    }
    // Later resets continue the stream.
    env->Reset(obs);
    for (int i = 0; i < 4; ++i) {
      EXPECT_EQ(obs[i], static_cast<float>(reference.Uniform(-0.05, 0.05))) << "seed " << seed;
    }
  }

  // The controller holds the pole up: TimeLimit (not the plugin) ends the episode at 500.
  env->Seed(3);
  env->Reset(obs);
  int steps = 0;
  StepResult r;
  do {
    const float action = BalancingAction(obs);
    r = env->Step(&action, obs);
    ++steps;
    EXPECT_EQ(r.reward, 1.0);
    ASSERT_FALSE(r.terminated) << "the controller let the pole fall at step " << steps;
  } while (!r.truncated);
  EXPECT_EQ(steps, 500);
  EXPECT_EQ(dynamic_cast<TimeLimit&>(*env).elapsed_steps(), 500);
  env->Reset(obs);
  EXPECT_EQ(dynamic_cast<TimeLimit&>(*env).elapsed_steps(), 0);
}

TEST(PluginEnvTest, InvalidDiscreteActionIsRejectedAsByTheBuiltIn) {
  const std::unique_ptr<Env> builtin = MakeEnv("CartPole-v1");
  const std::unique_ptr<Env> plugin = MakePluginEnv(kCartPole, "CartPole-v1", "{}");
  float obs[4];
  builtin->Reset(obs);
  plugin->Reset(obs);
  for (float action : {2.0f, -1.0f, 0.5f, NAN, INFINITY}) {
    const std::string expected = InvalidArgumentOf([&] { builtin->Step(&action, obs); });
    ASSERT_FALSE(expected.empty());
    EXPECT_EQ(InvalidArgumentOf([&] { plugin->Step(&action, obs); }), expected);
  }
}

TEST(PluginEnvTest, InvalidActionNeverReachesThePlugin) {
  // nan_plugin's observation[2] counts the steps it saw.
  const std::unique_ptr<Env> env = MakePluginEnv(kNan, "Nan-v0", "{}");
  float obs[4];
  env->Reset(obs);
  const float bad = 3.0f, good = 1.0f;
  EXPECT_THROW(env->Step(&bad, obs), std::invalid_argument);
  env->Step(&good, obs);
  EXPECT_EQ(obs[2], 1.0f);
  EXPECT_EQ(obs[3], 1.0f);
}

// ---- faults ----

TEST(PluginEnvTest, NanPassesThroughUnchanged) {
  const std::unique_ptr<Env> env =
      MakePluginEnv(kNan, "Nan-v0", R"({"nan_every": 3, "nan_reward_every": 4})");
  EXPECT_EQ(dynamic_cast<TimeLimit*>(env.get()), nullptr) << "max_episode_steps 0: no TimeLimit";
  EXPECT_EQ(env->spec().max_episode_steps, 0);
  float obs[4];
  env->Reset(obs);
  EXPECT_EQ(obs[1], 1.0f);
  for (int step = 1; step <= 12; ++step) {
    const float action = static_cast<float>(step % 2);
    const StepResult r = env->Step(&action, obs);
    EXPECT_EQ(obs[0], static_cast<float>(step));
    EXPECT_EQ(obs[2], static_cast<float>(step));
    EXPECT_EQ(obs[3], action);
    if (step % 3 == 0) {
      EXPECT_EQ(Bits(obs[1]), 0x7fc00123u) << "step " << step << ": the plugin's NaN, bit for bit";
    } else {
      EXPECT_EQ(obs[1], 1.0f) << "step " << step;
    }
    if (step % 4 == 0) {
      EXPECT_TRUE(std::isnan(r.reward)) << "step " << step;
    } else {
      EXPECT_EQ(r.reward, 1.0) << "step " << step;
    }
  }
}

TEST(PluginEnvTest, FailingStepThrowsEnvFaultWithTheMessageAndFile) {
  const std::unique_ptr<Env> env =
      MakePluginEnv(kNan, "Nan-v0", R"({"error_every": 4, "episode_length": 100})");
  float obs[4];
  env->Reset(obs);
  const float action = 0.0f;
  for (int step = 1; step <= 3; ++step) env->Step(&action, obs);
  const std::string message = EnvFaultOf([&] { env->Step(&action, obs); });
  EXPECT_NE(message.find(FileName(kNan)), std::string::npos) << message;
  EXPECT_NE(message.find("step failed: injected step error at step 4"), std::string::npos)
      << message;
  EXPECT_NE(message.find("Nan-v0"), std::string::npos) << message;
  // The env can be reset and goes on.
  env->Reset(obs);
  EXPECT_EQ(obs[1], 2.0f);
  const StepResult r = env->Step(&action, obs);
  EXPECT_EQ(r.reward, 1.0);
  EXPECT_EQ(obs[2], 5.0f);
}

TEST(PluginEnvTest, FailingResetThrowsEnvFault) {
  const std::unique_ptr<Env> env = MakePluginEnv(kNan, "Nan-v0", R"({"reset_error_every": 2})");
  float obs[4];
  env->Reset(obs);
  const std::string message = EnvFaultOf([&] { env->Reset(obs); });
  EXPECT_NE(message.find(FileName(kNan)), std::string::npos) << message;
  EXPECT_NE(message.find("reset failed: injected reset error at reset 2"), std::string::npos)
      << message;
  env->Reset(obs);
  EXPECT_EQ(obs[1], 2.0f);
}

// ---- libraries rlfleet refuses ----

void ExpectLoadError(const std::string& path, const std::vector<std::string>& parts) {
  const std::string message = InvalidArgumentOf([&] { MakePluginEnv(path, "X-v0", "{}"); });
  ASSERT_FALSE(message.empty()) << path << " loaded";
  EXPECT_NE(message.find(path), std::string::npos) << message;
  for (const std::string& part : parts) {
    EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
  }
  EXPECT_EQ(InvalidArgumentOf([&] { LoadEnvPlugin(path); }), message);
}

TEST(PluginEnvTest, MissingFile) {
  TempDir dir;
  ExpectLoadError(dir.path() + "/no_such_plugin.so", {"no such file"});
}

TEST(PluginEnvTest, FileThatIsNotALibrary) {
  TempDir dir;
  const std::string path = dir.path() + "/not_a_library.so";
  std::ofstream(path) << "this is not an ELF file\n";
  ExpectLoadError(path, {"dlopen failed", "not_a_library.so:"});
}

TEST(PluginEnvTest, MissingEntrySymbol) {
  ExpectLoadError(RLFLEET_TEST_BAD_NO_ENTRY_PLUGIN, {"no symbol rlfleet_env_plugin_get"});
}

TEST(PluginEnvTest, EntryReturningNull) {
  ExpectLoadError(RLFLEET_TEST_BAD_NULL_TABLE_PLUGIN,
                  {"rlfleet_env_plugin_get returned NULL for host ABI version 1"});
}

TEST(PluginEnvTest, WrongAbiVersionNamesBothVersions) {
  ExpectLoadError(RLFLEET_TEST_BAD_ABI_PLUGIN,
                  {"built for env plugin ABI version 2", "this rlfleet speaks ABI version 1"});
}

TEST(PluginEnvTest, StructSizeTooSmall) {
  const std::string size = std::to_string(sizeof(rlfleet_env_plugin));
  ExpectLoadError(RLFLEET_TEST_BAD_STRUCT_SIZE_PLUGIN,
                  {"struct_size is " + std::to_string(sizeof(rlfleet_env_plugin) - 8),
                   "smaller than the " + size + " bytes"});
}

TEST(PluginEnvTest, NullFunctionPointerIsNamed) {
  ExpectLoadError(RLFLEET_TEST_BAD_NULL_STEP_PLUGIN, {"function pointer 'step' is NULL"});
}

TEST(PluginEnvTest, ARefusedLibraryIsNotKeptLoaded) {
  EXPECT_THROW(LoadEnvPlugin(RLFLEET_TEST_BAD_ABI_PLUGIN), std::invalid_argument);
  EXPECT_FALSE(IsLoaded(RLFLEET_TEST_BAD_ABI_PLUGIN));
}

// ---- specs ----

TEST(PluginEnvTest, ContinuousSpecIsCopiedAndActionsPassThrough) {
  const std::unique_ptr<Env> env = MakePluginEnv(kSpec, "Spec-v0", "{}");
  const EnvSpec& spec = env->spec();
  EXPECT_EQ(spec.id, "Spec-v0");
  EXPECT_EQ(spec.observation_size, 3);
  EXPECT_EQ(spec.observation_low, (std::vector<float>{-1, -1, -1}));
  EXPECT_EQ(spec.observation_high, (std::vector<float>{1, 1, 1}));
  EXPECT_FALSE(spec.discrete_actions);
  EXPECT_EQ(spec.num_actions, 0);
  EXPECT_EQ(spec.action_size, 2);
  EXPECT_EQ(spec.action_low, (std::vector<float>{-1, -2}));
  EXPECT_EQ(spec.action_high, (std::vector<float>{1, 2}));
  EXPECT_EQ(spec.max_episode_steps, 7);

  float obs[3];
  env->Reset(obs);
  for (int step = 1; step <= 7; ++step) {
    // Out of the bounds on purpose: clipping is the policy's business, not the env host's.
    const float action[2] = {0.25f * step, -3.0f};
    const StepResult r = env->Step(action, obs);
    EXPECT_EQ(obs[0], action[0]);
    EXPECT_EQ(obs[1], action[1]);
    EXPECT_EQ(obs[2], static_cast<float>(step));
    EXPECT_EQ(r.reward, 0.25 * step - 3.0);
    EXPECT_FALSE(r.terminated);
    EXPECT_EQ(r.truncated, step == 7) << "step " << step;
  }
  const EnvSpec unlimited = PluginEnvSpec(kSpec, "Spec-v0", R"({"max_episode_steps": 0})");
  EXPECT_EQ(unlimited.max_episode_steps, 0);
}

TEST(PluginEnvTest, NullObservationBoundsAreInfinite) {
  const EnvSpec spec = PluginEnvSpec(kNan, "Nan-v0", "{}");
  EXPECT_EQ(spec.observation_low, std::vector<float>(4, -INFINITY));
  EXPECT_EQ(spec.observation_high, std::vector<float>(4, 1e9f));
}

TEST(PluginEnvTest, NonsenseSpecsAreRefusedNamingFileAndField) {
  const std::pair<const char*, std::vector<std::string>> cases[] = {
      {"observation_size_zero", {"spec.observation_size must be in [1, 1048576], got 0"}},
      {"observation_size_huge", {"spec.observation_size", "got 2097152"}},
      {"observation_low_nan", {"spec.observation_low[1]", "got nan"}},
      {"observation_low_above_high", {"spec.observation_low[2] (2) must not exceed"}},
      {"discrete_actions_two", {"spec.discrete_actions must be 0 or 1, got 2"}},
      {"discrete_num_actions_zero", {"spec.num_actions must be in [1, 1048576], got 0"}},
      {"discrete_action_size_two", {"spec.action_size must be 1 for discrete actions, got 2"}},
      {"continuous_num_actions", {"spec.num_actions must be 0 for continuous actions, got 3"}},
      {"continuous_action_size_zero", {"spec.action_size must be in [1, 1048576], got 0"}},
      {"continuous_high_null", {"spec.action_high must not be NULL"}},
      {"continuous_low_inf", {"spec.action_low[0] must be finite, got -inf"}},
      {"continuous_low_not_below_high", {"spec.action_low[1] (2) must be below action_high (2)"}},
      {"max_episode_steps_negative", {"spec.max_episode_steps must be >= 0", "got -1"}},
      {"get_spec_fails", {"get_spec failed: no spec today"}},
      {"create_fails", {"create failed: refusing to create env 'Spec-v0'"}},
      {"no_such_defect", {"create failed: unknown defect 'no_such_defect'"}},
  };
  for (const auto& [defect, parts] : cases) {
    const std::string options = std::string(R"({"defect": ")") + defect + "\"}";
    const std::string message =
        InvalidArgumentOf([&] { PluginEnvSpec(kSpec, "Spec-v0", options); });
    ASSERT_FALSE(message.empty()) << defect << " was accepted";
    EXPECT_NE(message.find(kSpec), std::string::npos) << message;
    EXPECT_NE(message.find("Spec-v0"), std::string::npos) << message;
    for (const std::string& part : parts) {
      EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
    }
  }
}

// ---- the Catch example (examples/env_plugin/catch_env.c) ----

// The in-tree build of the example, or the library RLFLEET_CATCH_PLUGIN names (e.g. the
// example built out of tree against an installed rlfleet).
std::string CatchPlugin() {
  const char* path = std::getenv("RLFLEET_CATCH_PLUGIN");
  return path != nullptr && *path != '\0' ? path : kCatchInTree;
}

// The board Catch should show: 1 in the ball's and the paddle's cells, 0 elsewhere.
std::vector<float> CatchBoard(int rows, int columns, int ball_row, int ball_column,
                              int paddle_column) {
  std::vector<float> board(rows * columns, 0.0f);
  board[ball_row * columns + ball_column] = 1.0f;
  board[(rows - 1) * columns + paddle_column] = 1.0f;
  return board;
}

// The ball's column at reset: the one 1 in the top row (-1 if there is not exactly one).
int TopRowBall(const std::vector<float>& obs, int columns) {
  int column = -1;
  for (int c = 0; c < columns; ++c) {
    if (obs[c] == 0.0f) continue;
    if (obs[c] != 1.0f || column >= 0) return -1;
    column = c;
  }
  return column;
}

TEST(PluginEnvTest, CatchFollowsBsuite) {
  const std::string path = CatchPlugin();
  const std::unique_ptr<Env> env = MakePluginEnv(path, "Catch-v0", "{}");
  const EnvSpec& spec = env->spec();
  EXPECT_EQ(spec.observation_size, 50);
  EXPECT_EQ(spec.observation_low, std::vector<float>(50, 0.0f));
  EXPECT_EQ(spec.observation_high, std::vector<float>(50, 1.0f));
  EXPECT_TRUE(spec.discrete_actions);
  EXPECT_EQ(spec.num_actions, 3);
  EXPECT_EQ(spec.max_episode_steps, 0);

  std::vector<float> obs(50);
  env->Seed(11);
  std::set<int> start_columns;
  int catches = 0, misses = 0;
  for (int episode = 0; episode < 60; ++episode) {
    env->Reset(obs.data());
    const int ball_column = TopRowBall(obs, 5);
    ASSERT_GE(ball_column, 0);
    EXPECT_EQ(obs, CatchBoard(10, 5, 0, ball_column, 2)) << "the paddle starts in the middle";
    start_columns.insert(ball_column);
    // Even episodes chase the ball; odd ones run to the wall farther from it (a miss).
    const bool chase = episode % 2 == 0;
    const int target = chase ? ball_column : (ball_column < 2 ? 4 : 0);
    int paddle = 2;
    for (int step = 1; step <= 9; ++step) {
      const int move = target > paddle ? 1 : target < paddle ? -1 : 0;
      const float action = static_cast<float>(move + 1);
      const StepResult r = env->Step(&action, obs.data());
      paddle += move;
      EXPECT_EQ(obs, CatchBoard(10, 5, step, ball_column, paddle)) << "step " << step;
      EXPECT_FALSE(r.truncated);
      if (step < 9) {
        EXPECT_EQ(r.reward, 0.0);
        EXPECT_FALSE(r.terminated);
      } else {
        EXPECT_TRUE(r.terminated);
        EXPECT_EQ(r.reward, chase ? 1.0 : -1.0);
        (r.reward > 0 ? catches : misses) += 1;
      }
    }
    // A step past the end is the plugin's error.
    const float stay = 1.0f;
    EXPECT_NE(EnvFaultOf([&] { env->Step(&stay, obs.data()); }).find("reset first"),
              std::string::npos);
  }
  EXPECT_EQ(catches, 30);
  EXPECT_EQ(misses, 30);
  EXPECT_EQ(start_columns.size(), 5u) << "the ball starts in every column";

  // The paddle stops at the walls.
  env->Reset(obs.data());
  const int ball_column = TopRowBall(obs, 5);
  ASSERT_GE(ball_column, 0);
  const float left = 0.0f;
  for (int step = 1; step <= 4; ++step) env->Step(&left, obs.data());
  EXPECT_EQ(obs, CatchBoard(10, 5, 4, ball_column, 0));
}

TEST(PluginEnvTest, CatchSeedsAndOptions) {
  const std::string path = CatchPlugin();
  const auto first_columns = [&](uint64_t seed) {
    const std::unique_ptr<Env> env = MakePluginEnv(path, "Catch-v0", "{}");
    env->Seed(seed);
    std::vector<float> obs(50);
    std::vector<int> columns;
    for (int i = 0; i < 20; ++i) {
      env->Reset(obs.data());
      columns.push_back(TopRowBall(obs, 5));
    }
    return columns;
  };
  EXPECT_EQ(first_columns(3), first_columns(3));
  EXPECT_NE(first_columns(3), first_columns(4));

  const std::unique_ptr<Env> small =
      MakePluginEnv(path, "Catch-v0", R"({"rows": 6, "columns": 7})");
  EXPECT_EQ(small->spec().observation_size, 42);
  std::vector<float> obs(42);
  small->Reset(obs.data());
  const int ball_column = TopRowBall(obs, 7);
  ASSERT_GE(ball_column, 0);
  EXPECT_EQ(obs, CatchBoard(6, 7, 0, ball_column, 3));
  const float stay = 1.0f;
  for (int step = 1; step <= 5; ++step) {
    EXPECT_EQ(small->Step(&stay, obs.data()).terminated, step == 5) << "step " << step;
  }

  const std::string message =
      InvalidArgumentOf([&] { MakePluginEnv(path, "Catch-v0", R"({"rows": 1})"); });
  EXPECT_NE(message.find("create failed: catch: rows must be in [2, 1000]"), std::string::npos)
      << message;
}

}  // namespace
}  // namespace rlfleet
