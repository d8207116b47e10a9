#include "envs/envs_bench.h"

#include <mujoco/mujoco.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/random.h"
#include "envs/env.h"
#include "envs/mujoco/mujoco_env.h"
#include "envs/registry.h"
#include "envs/time_limit.h"
#include "envs/vector_env.h"

namespace rlfleet {
namespace {

constexpr int kRounds = 3;              // the two loops of a comparison alternate this many times
constexpr int kStepsPerClockRead = 16;  // single-env loops read the clock once per this many steps
constexpr int kWarmupSteps = 64;        // untimed steps of each loop before the first round
constexpr int kActionRows = 4096;       // random actions drawn beforehand (cycled through)
constexpr int kVectorNumEnvs = 16;
constexpr int kVectorActionBatches = 64;
constexpr double kGoalRatio = 0.95;
const char* const kVectorEnvIds[] = {"HalfCheetah-v4", "Humanoid-v4"};

// The MuJoCo env under MakeEnv's TimeLimit, or null when `env` is not a MuJoCo task.
MujocoEnv* AsMujoco(Env* env) {
  if (auto* limited = dynamic_cast<TimeLimit*>(env)) env = &limited->inner();
  return dynamic_cast<MujocoEnv*>(env);
}

bool IsMujocoTask(const std::string& id) {
  if (!IsRegisteredEnv(id)) return false;
  const std::unique_ptr<Env> env = MakeEnv(id);
  return AsMujoco(env.get()) != nullptr;
}

std::vector<float> RandomActions(const EnvSpec& spec, int rows, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> actions(static_cast<size_t>(rows) * spec.action_size);
  for (int r = 0; r < rows; ++r) {
    for (int a = 0; a < spec.action_size; ++a) {
      actions[static_cast<size_t>(r) * spec.action_size + a] =
          static_cast<float>(rng.Uniform(spec.action_low[a], spec.action_high[a]));
    }
  }
  return actions;
}

// Steps / seconds accumulated over the rounds.
struct Tally {
  int64_t steps = 0;
  double seconds = 0.0;
  double Rate() const { return seconds > 0 ? steps / seconds : 0.0; }
};

// (a) The registered env, reset when an episode ends; records the episode lengths.
class EnvLoop {
 public:
  EnvLoop(std::unique_ptr<Env> env, const std::vector<float>* actions)
      : env_(std::move(env)),
        actions_(actions),
        action_size_(env_->spec().action_size),
        observation_(env_->spec().observation_size) {
    env_->Seed(0);
    env_->Reset(observation_.data());
  }

  void Step() {
    const StepResult result = env_->Step(NextAction(), observation_.data());
    ++steps_in_episode_;
    if (result.terminated || result.truncated) {
      episode_lengths_.push_back(steps_in_episode_);
      steps_in_episode_ = 0;
      env_->Reset(observation_.data());
    }
  }

  MujocoEnv& mujoco() { return *AsMujoco(env_.get()); }
  const EnvSpec& spec() const { return env_->spec(); }
  const std::vector<int64_t>& episode_lengths() const { return episode_lengths_; }

 private:
  const float* NextAction() {
    const float* action = actions_->data() + cursor_ * action_size_;
    if (++cursor_ == actions_->size() / action_size_) cursor_ = 0;
    return action;
  }

  std::unique_ptr<Env> env_;
  const std::vector<float>* actions_;
  size_t action_size_;
  size_t cursor_ = 0;
  std::vector<float> observation_;
  int64_t steps_in_episode_ = 0;
  std::vector<int64_t> episode_lengths_;
};

// (b) frame_skip × mj_step on the env's model with a separate mjData and the same ctrl values;
// mj_resetData after as many steps as the env's episodes lasted (replayed in order; the time
// limit while the env has ended none).
class RawLoop {
 public:
  RawLoop(const mjModel* model, int frame_skip, int64_t max_episode_steps,
          const std::vector<float>* actions, const std::vector<int64_t>* episode_lengths)
      : model_(model),
        data_(mj_makeData(model)),
        frame_skip_(frame_skip),
        max_episode_steps_(max_episode_steps > 0 ? max_episode_steps : INT64_MAX),
        actions_(actions),
        episode_lengths_(episode_lengths) {
    if (!data_) throw std::runtime_error("mj_makeData failed");
    mj_forward(model_, data_.get());
  }

  void Step() {
    const float* action = actions_->data() + cursor_ * model_->nu;
    if (++cursor_ == actions_->size() / model_->nu) cursor_ = 0;
    mjData* d = data_.get();
    for (int i = 0; i < model_->nu; ++i) d->ctrl[i] = action[i];
    for (int i = 0; i < frame_skip_; ++i) mj_step(model_, d);
    if (++steps_in_episode_ >= EpisodeLength()) {
      mj_resetData(model_, d);
      steps_in_episode_ = 0;
      ++episode_;
    }
  }

 private:
  int64_t EpisodeLength() const {
    if (episode_ < episode_lengths_->size()) return (*episode_lengths_)[episode_];
    return max_episode_steps_;
  }

  const mjModel* model_;
  MjDataPtr data_;
  int frame_skip_;
  int64_t max_episode_steps_;
  const std::vector<float>* actions_;
  const std::vector<int64_t>* episode_lengths_;
  size_t cursor_ = 0;
  int64_t steps_in_episode_ = 0;
  size_t episode_ = 0;
};

// Runs `loop.Step()` for about `seconds` (at least one batch of steps) and adds to `tally`.
template <typename Loop>
void RunFor(Loop& loop, double seconds, Tally* tally) {
  int64_t steps = 0;
  Stopwatch watch;
  do {
    for (int i = 0; i < kStepsPerClockRead; ++i) loop.Step();
    steps += kStepsPerClockRead;
  } while (watch.Seconds() < seconds);
  tally->seconds += watch.Seconds();
  tally->steps += steps;
}

struct TaskResult {
  std::string env_id;
  int frame_skip = 0;
  int64_t episodes = 0;
  double env_rate = 0.0;
  double raw_rate = 0.0;
};

TaskResult BenchTask(const std::string& id, double seconds_per_task) {
  std::unique_ptr<Env> env = MakeEnv(id);
  const std::vector<float> actions = RandomActions(env->spec(), kActionRows, /*seed=*/1);
  EnvLoop env_loop(std::move(env), &actions);
  MujocoEnv& mujoco = env_loop.mujoco();
  RawLoop raw_loop(mujoco.model(), mujoco.frame_skip(), env_loop.spec().max_episode_steps, &actions,
                   &env_loop.episode_lengths());

  for (int i = 0; i < kWarmupSteps; ++i) env_loop.Step();
  for (int i = 0; i < kWarmupSteps; ++i) raw_loop.Step();

  const double slice = seconds_per_task / (2 * kRounds);
  Tally env_tally, raw_tally;
  for (int round = 0; round < kRounds; ++round) {
    RunFor(env_loop, slice, &env_tally);
    RunFor(raw_loop, slice, &raw_tally);
  }
  TaskResult result;
  result.env_id = id;
  result.frame_skip = mujoco.frame_skip();
  result.episodes = static_cast<int64_t>(env_loop.episode_lengths().size());
  result.env_rate = env_tally.Rate();
  result.raw_rate = raw_tally.Rate();
  return result;
}

// A VectorEnv with its buffers and pre-drawn action batches.
class VectorLoop {
 public:
  VectorLoop(const std::string& id, int32_t num_envs, int32_t num_threads) {
    VectorEnvOptions options;
    options.env_id = id;
    options.num_envs = num_envs;
    options.seed = 0;
    options.num_threads = num_threads;
    env_ = std::make_unique<NativeVectorEnv>(options);
    const EnvSpec& spec = env_->spec();
    const size_t n = static_cast<size_t>(num_envs);
    actions_ = RandomActions(spec, kVectorActionBatches * num_envs, /*seed=*/2);
    batch_size_ = n * spec.action_size;
    observations_.resize(n * spec.observation_size);
    final_observations_.resize(n * spec.observation_size);
    rewards_.resize(n);
    terminated_.resize(n);
    truncated_.resize(n);
    env_->Reset(observations_.data());
  }

  // One vectorized step: num_envs env steps.
  int64_t Step() {
    env_->Step(actions_.data() + batch_ * batch_size_, observations_.data(), rewards_.data(),
               terminated_.data(), truncated_.data(), final_observations_.data());
    if (++batch_ == kVectorActionBatches) batch_ = 0;
    return env_->num_envs();
  }

 private:
  std::unique_ptr<NativeVectorEnv> env_;
  std::vector<float> actions_;
  size_t batch_size_ = 0;
  size_t batch_ = 0;
  std::vector<float> observations_, final_observations_, rewards_;
  std::vector<uint8_t> terminated_, truncated_;
};

void RunVectorFor(VectorLoop& loop, double seconds, Tally* tally) {
  int64_t steps = 0;
  Stopwatch watch;
  do {
    steps += loop.Step();
  } while (watch.Seconds() < seconds);
  tally->seconds += watch.Seconds();
  tally->steps += steps;
}

struct VectorResult {
  std::string env_id;
  int32_t num_envs = 0;
  double rate_1 = 0.0;
  double rate_2 = 0.0;
};

VectorResult BenchVector(const std::string& id, int32_t num_envs, double seconds) {
  VectorLoop one(id, num_envs, 1);
  VectorLoop two(id, num_envs, 2);
  for (int i = 0; i < kWarmupSteps / 8; ++i) one.Step();
  for (int i = 0; i < kWarmupSteps / 8; ++i) two.Step();
  const double slice = seconds / (2 * kRounds);
  Tally tally_1, tally_2;
  for (int round = 0; round < kRounds; ++round) {
    RunVectorFor(one, slice, &tally_1);
    RunVectorFor(two, slice, &tally_2);
  }
  return {id, num_envs, tally_1.Rate(), tally_2.Rate()};
}

std::vector<std::string> SelectedTasks(const EnvsBenchOptions& options) {
  if (!options.env_ids.empty()) return options.env_ids;
  std::vector<std::string> ids;
  for (const std::string& id : RegisteredEnvIds()) {
    if (IsMujocoTask(id)) ids.push_back(id);
  }
  return ids;
}

}  // namespace

void EnvsBenchOptions::Validate() const {
  if (!std::isfinite(seconds_per_task) || seconds_per_task <= 0) {
    throw std::invalid_argument("EnvsBenchOptions.seconds_per_task must be finite and > 0");
  }
  std::set<std::string> seen;
  for (const std::string& id : env_ids) {
    if (!IsRegisteredEnv(id)) {
      throw std::invalid_argument("EnvsBenchOptions.env_ids: unknown env id '" + id + "'");
    }
    if (!IsMujocoTask(id)) {
      throw std::invalid_argument("EnvsBenchOptions.env_ids: '" + id + "' is not a MuJoCo task");
    }
    if (!seen.insert(id).second) {
      throw std::invalid_argument("EnvsBenchOptions.env_ids: '" + id + "' is listed twice");
    }
  }
}

int RunEnvsBench(const EnvsBenchOptions& options) {
  options.Validate();
  const std::vector<std::string> ids = SelectedTasks(options);

  nlohmann::json result;
  result["bench"] = "envs";
  result["seconds_per_task"] = options.seconds_per_task;
  result["tasks"] = nlohmann::json::array();
  result["vector_env"] = nlohmann::json::array();

  if (!options.json_only) {
    std::printf(
        "MuJoCo envs: registered env vs raw mj_step x frame_skip on the same model "
        "(%.3g s per task, %d alternating rounds)\n",
        options.seconds_per_task, kRounds);
    std::printf("%-26s %5s %9s %15s %15s %7s\n", "task", "skip", "episodes", "env steps/s",
                "raw steps/s", "ratio");
    std::fflush(stdout);
  }
  for (const std::string& id : ids) {
    const TaskResult task = BenchTask(id, options.seconds_per_task);
    const double ratio = task.raw_rate > 0 ? task.env_rate / task.raw_rate : 0.0;
    result["tasks"].push_back({{"env_id", task.env_id},
                               {"env_steps_per_second", task.env_rate},
                               {"raw_steps_per_second", task.raw_rate},
                               {"ratio", ratio}});
    if (!options.json_only) {
      std::printf("%-26s %5d %9lld %15.0f %15.0f %7.3f%s\n", id.c_str(), task.frame_skip,
                  static_cast<long long>(task.episodes), task.env_rate, task.raw_rate, ratio,
                  ratio >= kGoalRatio ? "" : "  (below goal)");
      std::fflush(stdout);
    }
  }

  std::vector<std::string> vector_ids;
  for (const char* id : kVectorEnvIds) {
    for (const std::string& selected : ids) {
      if (selected == id) vector_ids.push_back(id);
    }
  }
  if (!options.json_only && !vector_ids.empty()) {
    std::printf("\nVectorEnv, %d envs: 2 worker threads vs 1\n", kVectorNumEnvs);
    std::printf("%-26s %8s %17s %17s %8s\n", "task", "num_envs", "1 thread steps/s",
                "2 threads steps/s", "speedup");
  }
  for (const std::string& id : vector_ids) {
    const VectorResult vector = BenchVector(id, kVectorNumEnvs, options.seconds_per_task);
    const double speedup = vector.rate_1 > 0 ? vector.rate_2 / vector.rate_1 : 0.0;
    result["vector_env"].push_back({{"env_id", vector.env_id},
                                    {"num_envs", vector.num_envs},
                                    {"threads_1_steps_per_second", vector.rate_1},
                                    {"threads_2_steps_per_second", vector.rate_2},
                                    {"speedup", speedup}});
    if (!options.json_only) {
      std::printf("%-26s %8d %17.0f %17.0f %8.2f\n", id.c_str(), vector.num_envs, vector.rate_1,
                  vector.rate_2, speedup);
      std::fflush(stdout);
    }
  }
  result["goal_ratio"] = kGoalRatio;
  std::printf("%s\n", result.dump().c_str());
  std::fflush(stdout);
  return 0;
}

}  // namespace rlfleet
