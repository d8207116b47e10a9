#include "bench/bench.h"

#include <torch/torch.h>

#include <unistd.h>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>
#include <utility>

#include "actors/actor.h"
#include "algorithms/dqn.h"
#include "algorithms/impala.h"
#include "algorithms/model_factory.h"
#include "bench/replay_bench.h"
#include "config/config_io.h"
#include "core/clock.h"
#include "core/nstep.h"
#include "core/random.h"
#include "core/unroll.h"
#include "envs/envs_bench.h"
#include "envs/registry.h"
#include "envs/vector_env.h"
#include "learner/apex_learner.h"
#include "learner/device.h"
#include "learner/learner.h"
#include "replay/apex_table.h"
#include "replay/replay_client.h"
#include "replay/shard_server.h"
#include "transport/codec.h"

namespace rlfleet {
namespace {
namespace fs = std::filesystem;

// The table, batch and network sizes of configs/cartpole_apex_dqn.yaml, for `bench learner
// --algo apex_dqn` without a config.
constexpr char kApexDefaults[] = R"(
replay: {table: priority, sampler: prioritized, max_size: 100000, min_size_to_sample: 2000}
model: {hidden_sizes: [64, 64], activation: relu}
learner: {algo: apex_dqn, batch_size: 128, prefetch: 2, publish_interval: 10,
          learning_rate: 0.001, adam_eps: 0.00015, max_grad_norm: 10.0}
apex: {target_update_period: 250}
)";

RunConfig BenchConfig(const BenchOptions& options, const std::string& ipc_dir) {
  std::vector<std::string> overrides = options.overrides;
  if (!options.algo.empty()) overrides.insert(overrides.begin(), "learner.algo=" + options.algo);
  RunConfig config;
  if (!options.config_path.empty()) {
    config = LoadRunConfig(options.config_path, overrides);
  } else if (options.algo == "apex_dqn") {
    config = ParseRunConfig(kApexDefaults, overrides, "bench");
  } else {
    config = ParseRunConfig("{}", overrides, "bench");
  }
  if (!options.device.empty()) config.learner.device = options.device;
  config.cluster.num_actors = 1;
  config.cluster.num_shards = 1;
  config.cluster.shard_endpoints = {"ipc://" + ipc_dir + "/shard"};
  config.cluster.weights_endpoint = "ipc://" + ipc_dir + "/weights";
  config.cluster.stats_endpoint = "ipc://" + ipc_dir + "/stats";
  return config;
}

ModelSpaces SpacesOf(const EnvSpec& spec) {
  return ModelSpaces{spec.observation_size, spec.discrete_actions, spec.num_actions,
                     spec.action_size};
}

// A shard server on its own thread, stopped and joined on destruction.
class ShardThread {
 public:
  // The run's table: the IMPALA queue, or ApexTableOptions(config) for apex_dqn.
  explicit ShardThread(const RunConfig& config) {
    ShardServerOptions options;
    options.endpoint = config.cluster.shard_endpoints[0];
    options.max_size = config.replay.max_size;
    options.max_message_bytes = config.replay.max_message_bytes;
    if (config.learner.algo == "apex_dqn") options.tables = {ApexTableOptions(config)};
    server_ = std::make_unique<ShardServer>(options);
    thread_ = std::thread([this] { server_->Run(stop_); });
  }
  ~ShardThread() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::unique_ptr<ShardServer> server_;
  std::thread thread_;
};

struct TempDir {
  std::string path;
  TempDir() {
    char pattern[] = "/tmp/rlfleet-bench-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("cannot create a temp dir");
    path = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

// Frames/s of the bare loop: VectorEnv step + batched inference + action sampling.
double BareActorFps(const RunConfig& config, double seconds) {
  VectorEnv envs(VectorEnvOptions{config.env.id, config.env.num_envs, 1, config.env.num_threads});
  const EnvSpec& spec = envs.spec();
  ActorCritic model = MakeActorCritic(config.model, SpacesOf(spec), config.seed);
  const int32_t m = config.env.num_envs;
  torch::Tensor obs = torch::zeros({m, spec.observation_size});
  std::vector<float> actions(static_cast<size_t>(m) * spec.action_size), log_probs(m), rewards(m),
      final_obs(static_cast<size_t>(m) * spec.observation_size);
  std::vector<uint8_t> terminated(m), truncated(m);
  Rng rng(1);
  envs.Reset(obs.data_ptr<float>());
  int64_t frames = 0;
  Stopwatch clock;
  while (clock.Seconds() < seconds) {
    for (int i = 0; i < 100; ++i) {
      {
        torch::InferenceMode guard;
        SampleActions(model->forward(obs), rng, actions.data(), log_probs.data());
      }
      envs.Step(actions.data(), obs.data_ptr<float>(), rewards.data(), terminated.data(),
                truncated.data(), final_obs.data());
      frames += m;
    }
  }
  return static_cast<double>(frames) / clock.Seconds();
}

int BenchActor(const BenchOptions& options) {
  at::set_num_threads(1);
  TempDir dir;
  const RunConfig config = BenchConfig(options, dir.path);

  // The real actor, inserting into a real shard over ipc; a learner stand-in drains it.
  ShardThread shard(config);
  std::atomic<bool> stop{false};
  std::thread drainer([&] {
    SampleClientOptions sample_options;
    sample_options.endpoints = config.cluster.shard_endpoints;
    SampleClient client(sample_options, &stop);
    SampledBatch batch;
    try {
      while (!stop.load()) client.Sample(config.env.num_envs, 100, &batch);
    } catch (const StoppedError&) {
    }
  });
  Actor actor(config, 0);
  const int64_t warmup_steps =
      static_cast<int64_t>(config.env.num_envs) * config.actor.unroll_length * 4;
  actor.Run(stop, warmup_steps);

  // Alternate the two loops so that both see the same machine noise; compare the totals.
  constexpr int kRounds = 3;
  const double phase_seconds = options.seconds / kRounds;
  double bare_frames = 0, bare_seconds = 0, actor_frames = 0, actor_seconds = 0;
  for (int round = 0; round < kRounds; ++round) {
    const double fps = BareActorFps(config, phase_seconds);
    bare_frames += fps * phase_seconds;
    bare_seconds += phase_seconds;
    const int64_t target =
        std::max<int64_t>(static_cast<int64_t>(fps * phase_seconds), warmup_steps);
    Stopwatch clock;
    actor_frames += static_cast<double>(actor.Run(stop, target));
    actor_seconds += clock.Seconds();
  }
  const double bare_fps = bare_frames / bare_seconds;
  const double actor_fps = actor_frames / actor_seconds;
  stop = true;
  drainer.join();

  nlohmann::json result;
  result["bench"] = "actor";
  result["env_id"] = config.env.id;
  result["num_envs"] = config.env.num_envs;
  result["unroll_length"] = config.actor.unroll_length;
  result["bare_fps"] = bare_fps;
  result["actor_fps"] = actor_fps;
  result["ratio"] = actor_fps / bare_fps;
  result["goal_ratio"] = 0.85;
  if (!options.json_only) {
    std::printf("bare env+inference loop: %.0f frames/s\nactor with transport:    %.0f frames/s\n",
                bare_fps, actor_fps);
  }
  std::printf("%s\n", result.dump().c_str());
  return 0;
}

std::vector<Unroll> SyntheticUnrolls(const RunConfig& config, int32_t count) {
  const EnvSpec spec = MakeEnv(config.env.id)->spec();
  Rng rng(3);
  std::vector<Unroll> unrolls(count);
  for (Unroll& u : unrolls) {
    u.Resize(config.actor.unroll_length, spec.observation_size, spec.action_size,
             spec.discrete_actions);
    for (float& x : u.observations) x = static_cast<float>(rng.Normal());
    for (float& a : u.actions) {
      a = spec.discrete_actions ? static_cast<float>(rng.UniformInt(spec.num_actions))
                                : static_cast<float>(rng.Normal());
    }
    for (float& r : u.rewards) r = 1.0f;
    for (float& p : u.behaviour_log_probs) p = -0.69f;
  }
  return unrolls;
}

// `config` comes from BenchConfig with its endpoints in `dir`.
int BenchImpalaLearner(const BenchOptions& options, const TempDir& dir, RunConfig config) {
  at::set_num_threads(config.learner.intra_op_threads);
  const std::vector<Unroll> unrolls = SyntheticUnrolls(config, config.learner.batch_size);
  const int64_t frames_per_update =
      static_cast<int64_t>(config.learner.batch_size) * config.actor.unroll_length;

  // Bare: Update() on one ready batch, repeatedly. Measured half before and half after the
  // full learner, so that a drift in machine load affects both sides alike.
  const EnvSpec spec = MakeEnv(config.env.id)->spec();
  const torch::Device device = ResolveDevice(config.learner.device);
  ActorCritic bare_model = MakeActorCritic(config.model, SpacesOf(spec), config.seed);
  bare_model->to(device);
  Impala bare_impala(bare_model, ImpalaOptions{});
  const ImpalaBatch bare_batch = BatchToDevice(BatchFromUnrolls(unrolls), device);
  for (int i = 0; i < 10; ++i) bare_impala.Update(bare_batch);
  int64_t bare_updates = 0;
  double bare_seconds = 0.0;
  auto measure_bare = [&](double seconds) {
    Stopwatch clock;
    while (clock.Seconds() < seconds) {
      bare_impala.Update(bare_batch);
      ++bare_updates;
    }
    bare_seconds += clock.Seconds();
    return static_cast<double>(bare_updates) / bare_seconds;
  };
  double bare_ups = measure_bare(options.seconds / 2);

  // Full learner: sampling over ipc from a shard that inserter threads keep full.
  ShardThread shard(config);
  std::atomic<bool> stop{false};
  std::vector<std::string> items;
  for (const Unroll& u : unrolls) items.push_back(EncodeUnroll(u));
  std::thread inserter([&] {
    InsertClientOptions insert_options;
    insert_options.endpoint = config.cluster.shard_endpoints[0];
    insert_options.max_inflight = 4;
    InsertClient client(insert_options, &stop);
    try {
      while (!stop.load()) client.Insert(items);
    } catch (const StoppedError&) {
    }
  });
  config.learner.total_env_steps =
      static_cast<int64_t>(bare_ups * options.seconds) * frames_per_update;
  config.learner.checkpoint_interval_seconds = 1e9;
  const fs::path run_dir = fs::path(dir.path) / "run";
  double learner_ups = 0.0;
  {
    Learner learner(config, run_dir.string(), false);
    Stopwatch clock;
    const LearnerSummary summary = learner.Run(stop);
    learner_ups = static_cast<double>(summary.updates) / clock.Seconds();
  }
  stop = true;
  inserter.join();
  bare_ups = measure_bare(options.seconds / 2);

  nlohmann::json result;
  result["bench"] = "learner";
  result["algo"] = "impala";
  result["device"] = ResolveDevice(config.learner.device).str();
  result["hidden_sizes"] = config.model.hidden_sizes;
  result["env_id"] = config.env.id;
  result["batch_size"] = config.learner.batch_size;
  result["unroll_length"] = config.actor.unroll_length;
  result["bare_updates_per_second"] = bare_ups;
  result["learner_updates_per_second"] = learner_ups;
  result["ratio"] = learner_ups / bare_ups;
  result["goal_ratio"] = 0.9;
  if (!options.json_only) {
    std::printf(
        "bare training step:        %.1f updates/s\nlearner with replay/ipc:  %.1f updates/s\n",
        bare_ups, learner_ups);
  }
  std::printf("%s\n", result.dump().c_str());
  return 0;
}

std::vector<Transition> SyntheticTransitions(const RunConfig& config, int32_t count) {
  const EnvSpec spec = MakeEnv(config.env.id)->spec();
  Rng rng(5);
  std::vector<Transition> transitions(count);
  for (Transition& t : transitions) {
    t.observation.resize(spec.observation_size);
    t.next_observation.resize(spec.observation_size);
    for (float& x : t.observation) x = static_cast<float>(rng.Normal());
    for (float& x : t.next_observation) x = static_cast<float>(rng.Normal());
    t.action = static_cast<float>(rng.UniformInt(spec.num_actions));
    t.reward = 1.0f;
    t.steps = config.apex.n_step;
    t.discount = rng.Uniform01() < 0.05 ? 0.0f : 0.97f;
  }
  return transitions;
}

// Ape-X: the learner process's loop (the prefetch thread sends the trained batches' priorities
// to a shard over ipc and samples, decodes and stacks the next prioritized batch while the
// training thread runs one double-DQN update per batch and publishes weights every
// learner.publish_interval updates) against the bare Dqn::Update on one ready batch (including
// reading its |TD|). The shard is filled to replay.max_size transitions first and receives no
// inserts while the learner runs, so the ratio measures the learner's own overhead;
// replay.samples_per_insert is ignored. Both sides run in 3 alternating rounds (a fresh learner
// each round) and are compared by their totals.
int BenchApexLearner(const BenchOptions& options, const TempDir& dir, RunConfig config) {
  config.replay.samples_per_insert = 0;
  config.replay.min_size_to_sample = config.learner.batch_size;
  config.apex.eval_interval_updates = 0;
  config.learner.checkpoint_interval_seconds = 1e9;
  config.learner.anneal_learning_rate = false;
  at::set_num_threads(config.learner.intra_op_threads);
  const EnvSpec spec = DiscreteActionEnvSpec(config.env.id, "bench learner --algo apex_dqn");
  const torch::Device device = ResolveDevice(config.learner.device);

  const ModelSpaces spaces = SpacesOf(spec);
  QNetwork online = MakeQNetwork(config.model, config.apex.dueling, spaces, config.seed);
  QNetwork target = MakeQNetwork(config.model, config.apex.dueling, spaces, config.seed);
  online->to(device);
  target->to(device);
  Dqn bare_dqn(online, target, DqnOptionsFromConfig(config));
  const DqnBatch bare_batch =
      BatchFromTransitions(SyntheticTransitions(config, config.learner.batch_size), {});
  std::vector<float> new_priorities;
  for (int i = 0; i < 10; ++i) bare_dqn.Update(bare_batch, &new_priorities);
  int64_t bare_updates = 0;
  double bare_seconds = 0.0;
  auto measure_bare = [&](double seconds) {
    Stopwatch clock;
    while (clock.Seconds() < seconds) {
      bare_dqn.Update(bare_batch, &new_priorities);
      ++bare_updates;
    }
    bare_seconds += clock.Seconds();
    return static_cast<double>(bare_updates) / bare_seconds;
  };
  double bare_ups = 0.0;

  // Fill the shard: max_size distinct transitions with priorities in [0.1, 2).
  ShardThread shard(config);
  {
    std::atomic<bool> stop{false};
    InsertClientOptions insert_options;
    insert_options.endpoint = config.cluster.shard_endpoints[0];
    insert_options.table = config.replay.table;
    insert_options.max_inflight = 4;
    InsertClient client(insert_options, &stop);
    const std::vector<Transition> pool = SyntheticTransitions(config, 4096);
    Rng rng(7);
    std::vector<std::string> items;
    std::vector<double> priorities;
    for (int64_t i = 0; i < config.replay.max_size; ++i) {
      items.push_back(EncodeTransitions(&pool[static_cast<size_t>(i) % pool.size()], 1));
      priorities.push_back(rng.Uniform(0.1, 2.0));
      if (static_cast<int64_t>(items.size()) == config.apex.insert_batch ||
          i + 1 == config.replay.max_size) {
        client.Insert(items, priorities);
        items.clear();
        priorities.clear();
      }
    }
    client.Flush();
  }

  // A fresh ApexLearner (its own run directory) trains for `seconds`, stopped by a timer since
  // no actors report env steps. Returns its updates and the seconds Run took.
  int round = 0;
  auto run_learner = [&](double seconds) {
    std::atomic<bool> learner_stop{false};
    std::atomic<bool> done{false};
    std::thread timer([&] {
      Stopwatch clock;
      while (!done.load() && clock.Seconds() < seconds) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      learner_stop = true;
    });
    std::pair<int64_t, double> result{0, 0.0};
    try {
      ApexLearner learner(config, (fs::path(dir.path) / ("run" + std::to_string(round++))).string(),
                          false);
      Stopwatch clock;
      result.first = learner.Run(learner_stop).updates;
      result.second = clock.Seconds();
    } catch (...) {
      done = true;
      timer.join();
      throw;
    }
    done = true;
    timer.join();
    return result;
  };

  // Alternate the two in rounds so that both see the same drift in machine load.
  constexpr int kRounds = 3;
  int64_t learner_updates = 0;
  double learner_seconds = 0.0;
  for (int r = 0; r < kRounds; ++r) {
    const auto [updates, seconds] = run_learner(options.seconds / kRounds);
    learner_updates += updates;
    learner_seconds += seconds;
    bare_ups = measure_bare(options.seconds / kRounds);
  }
  const double learner_ups = static_cast<double>(learner_updates) / learner_seconds;

  nlohmann::json result;
  result["bench"] = "learner";
  result["algo"] = "apex_dqn";
  result["device"] = device.str();
  result["hidden_sizes"] = config.model.hidden_sizes;
  result["env_id"] = config.env.id;
  result["batch_size"] = config.learner.batch_size;
  result["sampler"] = config.replay.sampler;
  result["table_size"] = config.replay.max_size;
  result["learner_updates"] = learner_updates;
  result["bare_updates_per_second"] = bare_ups;
  result["learner_updates_per_second"] = learner_ups;
  result["ratio"] = learner_ups / bare_ups;
  result["goal_ratio"] = 0.9;
  if (!options.json_only) {
    std::printf(
        "bare double-DQN step:              %.1f updates/s\n"
        "learner with prioritized replay:   %.1f updates/s\n",
        bare_ups, learner_ups);
  }
  std::printf("%s\n", result.dump().c_str());
  return 0;
}

int BenchLearner(const BenchOptions& options) {
  TempDir dir;
  RunConfig config = BenchConfig(options, dir.path);
  return config.learner.algo == "apex_dqn" ? BenchApexLearner(options, dir, std::move(config))
                                           : BenchImpalaLearner(options, dir, std::move(config));
}

}  // namespace

int RunBench(const BenchOptions& options) {
  if (options.seconds <= 0) throw std::invalid_argument("bench --seconds must be > 0");
  if (options.what == "actor") return BenchActor(options);
  if (options.what == "learner") return BenchLearner(options);
  if (options.what == "envs") {
    EnvsBenchOptions envs_options;
    envs_options.seconds_per_task = options.seconds;
    envs_options.json_only = options.json_only;
    return RunEnvsBench(envs_options);
  }
  if (options.what == "replay") {
    ReplayBenchOptions replay_options;
    replay_options.seconds = options.seconds;
    replay_options.json_only = options.json_only;
    return RunReplayBench(replay_options);
  }
  throw std::invalid_argument("unknown benchmark '" + options.what +
                              "' (actor | learner | envs | replay)");
}

}  // namespace rlfleet
