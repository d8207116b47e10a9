#include "pyenv/python_vector_env.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/file_util.h"
#include "core/random.h"
#include "core/uniform_actions.h"
#include "envs/registry.h"
#include "pyenv/child_process.h"

namespace rlfleet {
namespace {

const std::string kSourceDir = RLFLEET_SOURCE_DIR;
const std::string kTestEnvDir = kSourceDir + "/tests/python_envs";
// Debian's interpreter, which has numpy and pyzmq (a `python3` on PATH may not).
const std::string kPython = "/usr/bin/python3";

PythonEnvOptions Options(const std::string& callable, int32_t num_envs = 1, int32_t num_workers = 1,
                         const std::string& kwargs = "{}") {
  PythonEnvOptions o;
  o.callable = callable;
  o.kwargs_json = kwargs;
  o.python_path = {kTestEnvDir};
  o.interpreter = kPython;
  o.num_envs = num_envs;
  o.num_workers = num_workers;
  o.timeout_seconds = 20;
  o.start_timeout_seconds = 30;
  return o;
}

// Processes (zombies included) whose parent is this process. Other processes on the machine
// come and go while /proc is read: one that is gone before its stat file is read is skipped
// (libstdc++ throws when that read fails).
std::vector<pid_t> Children() {
  std::vector<pid_t> children;
  const pid_t self = getpid();
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string stat;
    try {
      std::ifstream in(entry.path() / "stat");
      stat.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    } catch (const std::exception&) {
      continue;
    }
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    char state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == self) children.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return children;
}

// Sets an environment variable for its lifetime; restores the old value (or its absence).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

void ExpectContains(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << "'" << part << "' not in: " << text;
}

void RandomActions(const EnvSpec& spec, int n, Rng& rng, std::vector<float>* actions) {
  actions->resize(static_cast<size_t>(n) * spec.action_size);
  UniformActions(spec, n, rng, actions->data());
}

// Steps a PythonVectorEnv next to n built-in single envs (env i seeded seed + i, reset by hand
// when an episode ends) and checks every output; returns the number of episode ends.
// Observations agree within `tolerance`, rewards exactly or within it.
int CheckMatchesBuiltIn(const std::string& callable, const std::string& id, int n, int workers,
                        uint64_t seed, int steps, float tolerance, bool exact_rewards) {
  PythonEnvOptions options = Options(callable, n, workers);
  options.seed = seed;
  options.env_id = id;
  PythonVectorEnv vec(options);
  const EnvSpec& spec = vec.spec();
  std::vector<std::unique_ptr<Env>> singles;
  for (int i = 0; i < n; ++i) singles.push_back(MakeEnv(id));
  const EnvSpec& native = singles[0]->spec();
  EXPECT_EQ(spec.id, id);
  EXPECT_EQ(spec.observation_size, native.observation_size);
  EXPECT_EQ(spec.observation_low, native.observation_low);
  EXPECT_EQ(spec.observation_high, native.observation_high);
  EXPECT_EQ(spec.discrete_actions, native.discrete_actions);
  EXPECT_EQ(spec.num_actions, native.num_actions);
  EXPECT_EQ(spec.action_size, native.action_size);
  EXPECT_EQ(spec.action_low, native.action_low);
  EXPECT_EQ(spec.action_high, native.action_high);
  EXPECT_EQ(spec.max_episode_steps, native.max_episode_steps);
  const int d = spec.observation_size, a = spec.action_size;
  std::vector<float> obs(n * d), single_obs(d), fresh(d), rewards(n), finals(n * d);
  std::vector<uint8_t> terminated(n), truncated(n), dropped(n);
  vec.Reset(obs.data());
  for (int i = 0; i < n; ++i) {
    singles[i]->Seed(seed + i);
    singles[i]->Reset(single_obs.data());
    for (int k = 0; k < d; ++k) EXPECT_NEAR(single_obs[k], obs[i * d + k], tolerance);
  }
  Rng rng(99);
  std::vector<float> actions;
  int ends = 0;
  for (int t = 0; t < steps; ++t) {
    RandomActions(spec, n, rng, &actions);
    std::fill(finals.begin(), finals.end(), -999.0f);
    vec.Step(actions.data(), obs.data(), rewards.data(), terminated.data(), truncated.data(),
             finals.data(), dropped.data());
    for (int i = 0; i < n; ++i) {
      const StepResult r = singles[i]->Step(&actions[i * a], single_obs.data());
      EXPECT_EQ(dropped[i], 0);
      if (exact_rewards) {
        EXPECT_EQ(rewards[i], static_cast<float>(r.reward)) << "t " << t;
      } else {
        EXPECT_NEAR(rewards[i], r.reward, tolerance * (1 + std::fabs(r.reward))) << "t " << t;
      }
      EXPECT_EQ(terminated[i], r.terminated ? 1 : 0) << "t " << t << " env " << i;
      EXPECT_EQ(truncated[i], r.truncated ? 1 : 0) << "t " << t << " env " << i;
      const float* row = &obs[i * d];
      const float* final_row = &finals[i * d];
      if (r.terminated || r.truncated) {
        ++ends;
        for (int k = 0; k < d; ++k) EXPECT_NEAR(final_row[k], single_obs[k], tolerance);
        singles[i]->Reset(fresh.data());
        for (int k = 0; k < d; ++k) EXPECT_NEAR(row[k], fresh[k], tolerance) << "t " << t;
      } else {
        for (int k = 0; k < d; ++k) EXPECT_NEAR(row[k], single_obs[k], tolerance) << "t " << t;
        for (int k = 0; k < d; ++k) EXPECT_EQ(final_row[k], -999.0f) << "row left untouched";
      }
    }
    if (::testing::Test::HasFailure()) return ends;
  }
  const EnvFaultCounters c = vec.fault_counters();
  EXPECT_EQ(c.dropped_episodes + c.env_errors + c.worker_restarts, 0);
  return ends;
}

TEST(PythonVectorEnvTest, CartPoleMatchesBuiltInCartPole) {
  // 10,000 steps of 4 envs in 2 workers; random actions end an episode every ~20 steps.
  const auto start = std::chrono::steady_clock::now();
  const int steps = 10000;
  const int ends = CheckMatchesBuiltIn("cartpole:make", "CartPole-v1", 4, 2, 40, steps, 1e-6f,
                                       /*exact_rewards=*/true);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GT(ends, 1000);
  std::printf(
      "cartpole: %d steps of 4 envs in 2 workers (with the built-in check) in %.2f s, "
      "%.0f us/step\n",
      steps, seconds, seconds / steps * 1e6);
}

TEST(PythonVectorEnvTest, PendulumMatchesBuiltInPendulum) {
  // Continuous actions; episodes end by truncation at 200.
  EXPECT_EQ(CheckMatchesBuiltIn("pendulum:make", "Pendulum-v1", 3, 1, 7, 2000, 1e-5f,
                                /*exact_rewards=*/false),
            30);
}

TEST(PythonVectorEnvTest, LaterResetsContinueTheSeededStreams) {
  PythonEnvOptions options = Options("cartpole:make", 3, 2);
  options.seed = 5;
  PythonVectorEnv vec(options);
  EXPECT_NE(vec.interpreter_description().find(kPython), std::string::npos)
      << vec.interpreter_description();
  EXPECT_EQ(vec.spec().id, "cartpole:make") << "no env_id: the callable names the spec";
  std::vector<float> obs(12), single(4);
  std::vector<std::unique_ptr<Env>> singles;
  for (int i = 0; i < 3; ++i) {
    singles.push_back(MakeEnv("CartPole-v1"));
    singles[i]->Seed(5 + i);
  }
  for (int round = 0; round < 3; ++round) {
    vec.Reset(obs.data());
    for (int i = 0; i < 3; ++i) {
      singles[i]->Reset(single.data());
      EXPECT_EQ(0, std::memcmp(single.data(), &obs[i * 4], 4 * sizeof(float))) << round;
    }
  }
}

TEST(PythonVectorEnvTest, InvalidDiscreteActionThrowsAndTheEnvStaysUsable) {
  PythonVectorEnv vec(Options("cartpole:make", 2, 1));
  std::vector<float> obs(8), finals(8), rewards(2);
  std::vector<uint8_t> terminated(2), truncated(2), dropped(2);
  vec.Reset(obs.data());
  for (float bad : {2.0f, -1.0f, 0.5f, NAN}) {
    const float actions[2] = {0.0f, bad};
    EXPECT_THROW(vec.Step(actions, obs.data(), rewards.data(), terminated.data(), truncated.data(),
                          finals.data(), dropped.data()),
                 std::invalid_argument);
  }
  const float actions[2] = {0.0f, 1.0f};
  vec.Step(actions, obs.data(), rewards.data(), terminated.data(), truncated.data(), finals.data(),
           dropped.data());
  EXPECT_EQ(rewards[0], 1.0f);
  EXPECT_EQ(rewards[1], 1.0f);
}

struct FaultCase {
  const char* mode;
  int every;
  int steps;
};

void PrintTo(const FaultCase& c, std::ostream* os) {
  *os << c.mode << " every " << c.every << ", " << c.steps << " steps";
}

class PythonVectorEnvFaultTest : public ::testing::TestWithParam<FaultCase> {};

TEST_P(PythonVectorEnvFaultTest, FaultsDropEpisodesAndTheRunGoesOn) {
  const FaultCase& fc = GetParam();
  const std::string mode = fc.mode;
  const int n = 4, workers = 2, d = 4;
  PythonEnvOptions options =
      Options("faulty:make", n, workers,
              R"({"mode": ")" + mode + R"(", "every": )" + std::to_string(fc.every) + "}");
  options.timeout_seconds = mode == "hang" ? 0.5 : 20;
  options.seed = 11;
  int64_t flagged = 0;
  {
    PythonVectorEnv vec(options);
    EXPECT_EQ(Children().size(), static_cast<size_t>(workers));
    std::vector<float> obs(n * d), finals(n * d), rewards(n), actions;
    std::vector<uint8_t> terminated(n), truncated(n), dropped(n);
    vec.Reset(obs.data());
    Rng rng(3);
    for (int t = 0; t < fc.steps; ++t) {
      RandomActions(vec.spec(), n, rng, &actions);
      std::fill(finals.begin(), finals.end(), -999.0f);
      vec.Step(actions.data(), obs.data(), rewards.data(), terminated.data(), truncated.data(),
               finals.data(), dropped.data());
      for (int i = 0; i < n; ++i) {
        for (int k = 0; k < d; ++k) ASSERT_TRUE(std::isfinite(obs[i * d + k])) << "t " << t;
        if (!dropped[i]) {
          EXPECT_EQ(rewards[i], 1.0f);
          continue;
        }
        ++flagged;
        EXPECT_EQ(rewards[i], 0.0f);
        EXPECT_EQ(terminated[i], 0);
        EXPECT_EQ(truncated[i], 0);
        for (int k = 0; k < d; ++k) {
          EXPECT_LE(std::fabs(obs[i * d + k]), 0.05f) << "a fresh episode's first observation";
          EXPECT_EQ(finals[i * d + k], -999.0f) << "final row untouched";
        }
      }
      // Killed workers are reaped at once: never a zombie or an extra process.
      ASSERT_EQ(Children().size(), static_cast<size_t>(workers)) << "t " << t;
    }
    const EnvFaultCounters c = vec.fault_counters();
    EXPECT_EQ(c.dropped_episodes, flagged);
    EXPECT_GT(flagged, 0);
    if (mode == "raise" || mode == "shape") {
      EXPECT_GT(c.env_errors, 0);
      EXPECT_EQ(c.env_errors, c.dropped_episodes);
      EXPECT_EQ(c.nonfinite_observations, 0);
      EXPECT_EQ(c.worker_restarts, 0);
    } else if (mode == "nan" || mode == "reward") {
      EXPECT_GT(c.nonfinite_observations, 0);
      EXPECT_EQ(c.nonfinite_observations, c.dropped_episodes);
      EXPECT_EQ(c.env_errors, 0);
      EXPECT_EQ(c.worker_restarts, 0);
    } else if (mode == "exit") {
      EXPECT_GT(c.worker_restarts, 0);
      EXPECT_EQ(c.worker_timeouts, 0);
      EXPECT_EQ(c.dropped_episodes, c.worker_restarts * (n / workers));
    } else if (mode == "hang") {
      EXPECT_GT(c.worker_timeouts, 0);
      EXPECT_EQ(c.worker_restarts, c.worker_timeouts);
    }
  }
  EXPECT_TRUE(Children().empty()) << "every worker is stopped and reaped";
}

INSTANTIATE_TEST_SUITE_P(Modes, PythonVectorEnvFaultTest,
                         ::testing::Values(FaultCase{"raise", 37, 200}, FaultCase{"shape", 37, 200},
                                           FaultCase{"nan", 37, 200}, FaultCase{"reward", 37, 200},
                                           FaultCase{"exit", 60, 150}, FaultCase{"hang", 100, 150}),
                         [](const auto& info) { return std::string(info.param.mode); });

TEST(PythonVectorEnvTest, FaultWithoutDroppedBufferThrowsEnvFault) {
  for (const char* mode : {"raise", "exit"}) {
    PythonVectorEnv vec(
        Options("faulty:make", 2, 1, std::string(R"({"mode": ")") + mode + R"(", "every": 5})"));
    std::vector<float> obs(8), finals(8), rewards(2);
    std::vector<uint8_t> terminated(2), truncated(2);
    const float actions[2] = {0.0f, 1.0f};
    vec.Reset(obs.data());
    int faults = 0;
    for (int t = 0; t < 8; ++t) {
      try {
        vec.Step(actions, obs.data(), rewards.data(), terminated.data(), truncated.data(),
                 finals.data());
      } catch (const EnvFault& e) {
        ++faults;
        EXPECT_NE(std::string(e.what()).find("faulty:make"), std::string::npos) << e.what();
        vec.Reset(obs.data());  // the env is usable again
      }
    }
    EXPECT_EQ(faults, 1) << mode;
    for (float v : obs) EXPECT_TRUE(std::isfinite(v));
  }
  EXPECT_TRUE(Children().empty());
}

// Replies that break the protocol come from a worker that corrupts them on purpose
// (tests/python_envs/fake_worker); each is a worker fault: restart, episodes dropped.
TEST(PythonVectorEnvTest, MalformedRepliesRestartTheWorker) {
  ScopedEnv worker_dir("RLFLEET_PYTHON_DIR", kTestEnvDir + "/fake_worker");
  ScopedEnv real_worker_dir("RLFLEET_REAL_WORKER_DIR", kSourceDir + "/python");
  for (const char* corrupt : {"frames", "extra", "size", "header", "nan", "flag", "notok"}) {
    SCOPED_TRACE(corrupt);
    PythonVectorEnv vec(
        Options("cartpole:make", 2, 1,
                std::string(R"({"corrupt": ")") + corrupt + R"(", "corrupt_every": 10})"));
    std::vector<float> obs(8), finals(8), rewards(2);
    std::vector<uint8_t> terminated(2), truncated(2), dropped(2);
    vec.Reset(obs.data());
    Rng rng(1);
    std::vector<float> actions;
    int drops = 0;
    for (int t = 0; t < 15; ++t) {
      RandomActions(vec.spec(), 2, rng, &actions);
      vec.Step(actions.data(), obs.data(), rewards.data(), terminated.data(), truncated.data(),
               finals.data(), dropped.data());
      drops += dropped[0] + dropped[1];
      for (float v : obs) ASSERT_TRUE(std::isfinite(v));
    }
    const EnvFaultCounters c = vec.fault_counters();
    EXPECT_EQ(c.worker_restarts, 1);
    EXPECT_EQ(c.worker_timeouts, 0);
    EXPECT_EQ(c.dropped_episodes, 2);
    EXPECT_EQ(drops, 2);
  }
  EXPECT_TRUE(Children().empty());
}

TEST(PythonVectorEnvTest, WorkerThatCannotBeRestartedThrowsAfterThreeAttempts) {
  TempDir dir("rlfleet-marker-");
  PythonVectorEnv vec(Options("bad_envs:first_process_only", 1, 1,
                              R"({"marker": ")" + dir.path() + R"(/owner", "every": 3})"));
  std::vector<float> obs(4), finals(4), rewards(1);
  std::vector<uint8_t> terminated(1), truncated(1), dropped(1);
  const float action = 0.0f;
  vec.Reset(obs.data());
  auto step = [&] {
    vec.Step(&action, obs.data(), rewards.data(), terminated.data(), truncated.data(),
             finals.data(), dropped.data());
  };
  step();
  step();
  try {
    step();  // the worker exits; its three restarts cannot make the env
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    ExpectContains(e.what(), "env.python 'bad_envs:first_process_only'");
    ExpectContains(e.what(), "could not be restarted (3 attempts)");
    ExpectContains(e.what(), "only the first worker process may make this env");
  }
  try {
    step();
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    ExpectContains(e.what(), "cannot be used");
  }
  EXPECT_TRUE(Children().empty());
}

TEST(PythonVectorEnvTest, ResetThatAlwaysRaises) {
  // The worker replaces the env three times, then gives up: the worker is restarted, three
  // times, and the vector env reports that it cannot go on.
  PythonEnvOptions options = Options("bad_envs:reset_raises");
  try {
    PythonVectorEnv vec(options);
    std::vector<float> obs(4);
    vec.Reset(obs.data());
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    ExpectContains(e.what(), "could not be replaced (3 attempts)");
    ExpectContains(e.what(), "reset fails on purpose");
  }
  EXPECT_TRUE(Children().empty());
}

TEST(PythonVectorEnvTest, TheTemporaryDirectoryIsRemoved) {
  TempDir tmp("rlfleet-tmpdir-");
  ScopedEnv tmpdir("TMPDIR", tmp.path());
  {
    PythonVectorEnv vec(Options("cartpole:make", 2, 2));
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(tmp.path()),
                            std::filesystem::directory_iterator()),
              1);
  }
  EXPECT_TRUE(std::filesystem::is_empty(tmp.path()));
  try {
    PythonVectorEnv vec(Options("no_such_module_xyz:make", 2, 2));
  } catch (const std::runtime_error&) {
  }
  EXPECT_TRUE(std::filesystem::is_empty(tmp.path())) << "also when the constructor throws";
}

std::string StartError(const PythonEnvOptions& options) {
  try {
    PythonVectorEnv vec(options);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "no exception";
}

TEST(PythonVectorEnvTest, StartErrorsNameTheCallableAndTheReason) {
  std::string e = StartError(Options("no_such_module_xyz:make", 2, 2));
  ExpectContains(e, "env.python 'no_such_module_xyz:make' (interpreter /usr/bin/python3)");
  ExpectContains(e, "cannot import module 'no_such_module_xyz'");
  e = StartError(Options("broken_import:make"));
  ExpectContains(e, "cannot import module 'broken_import'");
  ExpectContains(e, "broken_import cannot be imported on purpose");
  e = StartError(Options("cartpole:no_such_function"));
  ExpectContains(e, "has no attribute 'no_such_function'");
  e = StartError(Options("bad_envs:raises", 1, 1, R"({"a": 1})"));
  ExpectContains(e, "'bad_envs:raises' raised ValueError: this env cannot be made");
  e = StartError(Options("cartpole:make", 1, 1, R"({"unknown_keyword": 1})"));
  ExpectContains(e, "unexpected keyword argument 'unknown_keyword'");
  e = StartError(Options("bad_envs:returns_none"));
  ExpectContains(e, "returned None");
  e = StartError(Options("bad_envs:multidiscrete_actions"));
  ExpectContains(e, "unsupported action space MultiDiscrete([3, 3])");
  e = StartError(Options("bad_envs:integer_box_actions"));
  ExpectContains(e, "unsupported action space Box(");
  ExpectContains(e, "float dtype");
  e = StartError(Options("bad_envs:dict_observations"));
  ExpectContains(e, "unsupported observation space");

  PythonEnvOptions missing = Options("cartpole:make");
  missing.interpreter = "/nonexistent/bin/python3";
  e = StartError(missing);
  ExpectContains(e, "(interpreter /nonexistent/bin/python3)");
  ExpectContains(e, "/nonexistent/bin/python3 does not exist");
  missing.interpreter = "/bin/false";  // starts, exits at once
  ExpectContains(StartError(missing), "exited with status 1 before answering init");
  EXPECT_TRUE(Children().empty());
}

TEST(PythonVectorEnvTest, StartErrorsOfTheWorkerScript) {
  PythonEnvOptions options = Options("cartpole:make", 2, 2);
  options.start_timeout_seconds = 0.5;
  {
    ScopedEnv dir("RLFLEET_PYTHON_DIR", kTestEnvDir + "/silent_worker");
    ExpectContains(StartError(options), "did not answer init within 0.5 s");
  }
  {
    ScopedEnv dir("RLFLEET_PYTHON_DIR", "/nonexistent/rlfleet/python");
    ExpectContains(StartError(options),
                   "the worker script /nonexistent/rlfleet/python/rlfleet_env_worker.py does not "
                   "exist");
  }
  ScopedEnv hide_zmq("PYTHONPATH", kTestEnvDir + "/without_zmq");
  options.start_timeout_seconds = 60;  // a worker that exits at once, however loaded the machine
  ExpectContains(StartError(options), "the interpreter cannot import numpy or zmq");
  EXPECT_TRUE(Children().empty());
}

TEST(PythonVectorEnvTest, ValidateNamesTheBadField) {
  auto message = [](PythonEnvOptions o) -> std::string {
    try {
      o.Validate();
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "valid";
  };
  const PythonEnvOptions good = Options("cartpole:make", 4, 2);
  EXPECT_EQ(message(good), "valid");
  for (const char* callable : {"", "cartpole", ":make", "cartpole:", "a:b:c", "a b:c"}) {
    PythonEnvOptions o = good;
    o.callable = callable;
    ExpectContains(message(o), "callable");
  }
  PythonEnvOptions o = good;
  o.kwargs_json = "[1]";
  ExpectContains(message(o), "kwargs_json");
  o = good;
  o.kwargs_json = "{";
  ExpectContains(message(o), "kwargs_json");
  o = good;
  o.num_envs = 0;
  ExpectContains(message(o), "num_envs");
  o = good;
  o.num_workers = 5;
  ExpectContains(message(o), "num_workers");
  o = good;
  o.num_workers = 0;
  ExpectContains(message(o), "num_workers");
  o = good;
  o.timeout_seconds = 0;
  ExpectContains(message(o), "timeout_seconds");
  o = good;
  o.start_timeout_seconds = NAN;
  ExpectContains(message(o), "start_timeout_seconds");
  o = good;
  o.interpreter = "";
  ExpectContains(message(o), "interpreter");
  o = good;
  o.python_path = {""};
  ExpectContains(message(o), "python_path");
  EXPECT_THROW(PythonVectorEnv{o}, std::invalid_argument);
}

TEST(PythonVectorEnvTest, SingleEnvAdapterMatchesBuiltIn) {
  PythonEnvOptions options = Options("cartpole:make");
  options.env_id = "CartPole-v1";
  std::unique_ptr<Env> python = MakePythonEnv(options);
  std::unique_ptr<Env> native = MakeEnv("CartPole-v1");
  EXPECT_EQ(python->spec().id, "CartPole-v1");
  EXPECT_EQ(python->spec().max_episode_steps, 500);
  float a[4], b[4];
  Rng rng(8);
  int steps = 0;
  for (int episode = 0; episode < 6; ++episode) {
    if (episode % 2 == 0) {  // Seed before some resets, continue the stream before others.
      python->Seed(100 + episode);
      native->Seed(100 + episode);
    }
    python->Reset(a);
    native->Reset(b);
    ASSERT_EQ(0, std::memcmp(a, b, sizeof(a))) << "episode " << episode;
    while (true) {
      const float action = static_cast<float>(rng.UniformInt(2));
      const StepResult rp = python->Step(&action, a);
      const StepResult rn = native->Step(&action, b);
      ++steps;
      for (int k = 0; k < 4; ++k) ASSERT_NEAR(a[k], b[k], 1e-6f);
      ASSERT_EQ(rp.reward, rn.reward);
      ASSERT_EQ(rp.terminated, rn.terminated);
      ASSERT_EQ(rp.truncated, rn.truncated);
      if (rp.terminated || rp.truncated) break;
    }
  }
  EXPECT_GT(steps, 50);
  const float bad = 3.0f;
  EXPECT_THROW(python->Step(&bad, a), std::invalid_argument);
}

TEST(PythonVectorEnvTest, SingleEnvAdapterThrowsEnvFault) {
  std::unique_ptr<Env> env = MakePythonEnv(Options("faulty:make", 1, 1, R"({"mode": "raise",
      "every": 3})"));
  float obs[4];
  const float action = 1.0f;
  env->Seed(1);
  env->Reset(obs);
  env->Step(&action, obs);
  env->Step(&action, obs);
  EXPECT_THROW(env->Step(&action, obs), EnvFault);
  env->Reset(obs);
  env->Step(&action, obs);
}

TEST(PythonVectorEnvTest, ProbeReadsTheSpecAndLeavesNoProcess) {
  const EnvSpec spec = ProbePythonEnvSpec(Options("pendulum:make"));
  const EnvSpec native = MakeEnv("Pendulum-v1")->spec();
  EXPECT_FALSE(spec.discrete_actions);
  EXPECT_EQ(spec.action_low, native.action_low);
  EXPECT_EQ(spec.observation_high, native.observation_high);
  EXPECT_EQ(spec.max_episode_steps, 200);
  // kwargs reach the callable.
  EXPECT_EQ(ProbePythonEnvSpec(Options("bad_envs:kwargs_echo", 1, 1, R"({"steps": 123})"))
                .max_episode_steps,
            123);
  try {
    ProbePythonEnvSpec(Options("no_such_module_xyz:make"));
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    ExpectContains(e.what(), "cannot import module 'no_such_module_xyz'");
  }
  EXPECT_TRUE(Children().empty());
}

TEST(PythonVectorEnvTest, DestructorKillsAWorkerThatDoesNotExit) {
  // The workers hang at exit (an atexit handler sleeps): killed after the 1 s grace.
  auto vec = std::make_unique<PythonVectorEnv>(
      Options("faulty:make", 2, 2, R"({"mode": "hang_at_exit"})"));
  std::vector<float> obs(8);
  vec->Reset(obs.data());
  const auto start = std::chrono::steady_clock::now();
  vec.reset();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 3.0);
  EXPECT_TRUE(Children().empty());
}

TEST(PythonEnvWorkerTest, WorkerExitsWhenItsParentDies) {
  // A shell starts a worker in the background and exits: the orphaned worker must notice.
  TempDir dir("rlfleet-orphan-");
  const std::string pid_file = dir.path() + "/pid";
  SpawnedProcess shell = SpawnedProcess::Spawn(
      {"/bin/sh", "-c",
       kPython + " " + kSourceDir + "/python/rlfleet_env_worker.py --endpoint ipc://" + dir.path() +
           "/w --parent-pid $$ & echo $! > " + pid_file});
  ASSERT_TRUE(shell.WaitForExit(10));
  pid_t worker = 0;
  std::ifstream(pid_file) >> worker;
  ASSERT_GT(worker, 0);
  auto running = [worker] {
    std::string stat;
    try {  // the read fails (and libstdc++ throws) when the worker ends after the open
      std::ifstream in("/proc/" + std::to_string(worker) + "/stat");
      stat.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    } catch (const std::exception&) {
      return false;
    }
    const size_t close = stat.rfind(')');
    return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_FALSE(running()) << "the orphaned worker is still running";
  if (running()) kill(worker, SIGKILL);
}

}  // namespace
}  // namespace rlfleet
