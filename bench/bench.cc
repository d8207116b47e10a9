#include "bench/bench.h"

#include <ATen/Parallel.h>
#include <torch/types.h>

#include <unistd.h>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>

#include "actors/actor.h"
#include "algorithms/device.h"
#include "algorithms/registry.h"
#include "bench/replay_bench.h"
#include "config/config_io.h"
#include "core/clock.h"
#include "core/file_util.h"
#include "core/random.h"
#include "core/shell.h"
#include "core/uniform_actions.h"
#include "envs/envs_bench.h"
#include "envs/registry.h"
#include "render/render_bench.h"
#include "envs/vector_env.h"
#include "learner/learner.h"
#include "pyenv/env_factory.h"
#include "replay/insert_client.h"
#include "replay/run_tables.h"
#include "replay/sample_client.h"
#include "replay/shard_server.h"
#include "transport/codec.h"

namespace rlfleet {
namespace {
namespace fs = std::filesystem;

RunConfig BenchConfig(const BenchOptions& options, const std::string& ipc_dir) {
  std::vector<std::string> overrides = options.overrides;
  if (!options.algo.empty()) overrides.insert(overrides.begin(), "learner.algo=" + options.algo);
  RunConfig config;
  if (!options.config_path.empty()) {
    config = LoadRunConfig(options.config_path, overrides);
  } else {
    const std::string algo = options.algo.empty() ? RunConfig{}.learner.algo : options.algo;
    config = ParseRunConfig(FindAlgorithm(algo).bench_config, overrides, "bench");
  }
  if (!options.device.empty()) config.learner.device = options.device;
  config.cluster.num_actors = 1;
  config.cluster.num_shards = 1;
  config.cluster.shard_endpoints = {"ipc://" + ipc_dir + "/shard"};
  config.cluster.weights_endpoint = "ipc://" + ipc_dir + "/weights";
  config.cluster.stats_endpoint = "ipc://" + ipc_dir + "/stats";
  return config;
}

// A thread that, on destruction (also while an exception unwinds), sets `stop` and joins.
class StoppingThread {
 public:
  StoppingThread(std::atomic<bool>* stop, std::function<void()> body)
      : stop_(stop), thread_(std::move(body)) {}
  StoppingThread(const StoppingThread&) = delete;
  StoppingThread& operator=(const StoppingThread&) = delete;
  ~StoppingThread() {
    *stop_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool>* stop_;
  std::thread thread_;
};

// A shard server with the run's tables (RunTables) on its own thread, stopped and joined on
// destruction.
class ShardThread {
 public:
  explicit ShardThread(const RunConfig& config) {
    ShardServerOptions options;
    options.endpoint = config.cluster.shard_endpoints[0];
    options.max_message_bytes = config.replay.max_message_bytes;
    options.tables =
        RunTables(config, FindAlgorithm(config.learner.algo).replay == ReplayKind::kReplayMemory);
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

// Frames/s of the bare loop: VectorEnv step + the algorithm's batched acting.
double BareActorFps(const RunConfig& config, double seconds) {
  std::unique_ptr<VectorEnv> envs = MakeVectorEnv(config.env, 1);
  const EnvSpec& spec = envs->spec();
  std::unique_ptr<ActorPolicy> policy =
      FindAlgorithm(config.learner.algo).make_policy(config, spec, 0);
  const int32_t m = config.env.num_envs;
  std::vector<float> obs(static_cast<size_t>(m) * spec.observation_size),
      actions(static_cast<size_t>(m) * spec.action_size), rewards(m),
      final_obs(static_cast<size_t>(m) * spec.observation_size);
  std::vector<uint8_t> terminated(m), truncated(m), dropped(m);
  envs->Reset(obs.data());
  int64_t frames = 0;
  Stopwatch clock;
  while (clock.Seconds() < seconds) {
    for (int i = 0; i < 100; ++i) {
      policy->Act(obs.data(), actions.data());
      envs->Step(actions.data(), obs.data(), rewards.data(), terminated.data(), truncated.data(),
                 final_obs.data(), dropped.data());
      frames += m;
    }
  }
  return static_cast<double>(frames) / clock.Seconds();
}

// The real actor of `config`, inserting into a real shard over ipc, a learner stand-in
// draining it (a replay memory evicts by itself). Construction warms the actor up (4 unrolls of
// every env); the destructor stops the drainer, then the shard.
class ActorRig {
 public:
  explicit ActorRig(const RunConfig& config)
      : shard_(config),
        replay_memory_(FindAlgorithm(config.learner.algo).replay == ReplayKind::kReplayMemory),
        drainer_(&stop_, [this, config] { Drain(config); }),
        actor_(config, 0),
        warmup_steps_(static_cast<int64_t>(config.env.num_envs) * config.actor.unroll_length * 4) {
    actor_.Run(stop_, warmup_steps_);
  }
  int64_t warmup_steps() const { return warmup_steps_; }
  // Steps the actor at least `env_steps` env steps (all envs together); returns how many.
  int64_t Run(int64_t env_steps) { return actor_.Run(stop_, env_steps); }

 private:
  void Drain(const RunConfig& config) {
    if (replay_memory_) return;
    SampleClientOptions sample_options;
    sample_options.endpoints = config.cluster.shard_endpoints;
    sample_options.table = config.replay.table;
    SampleClient client(sample_options, &stop_);
    SampledBatch batch;
    try {
      while (!stop_.load()) client.Sample(config.env.num_envs, 100, &batch);
    } catch (const StoppedError&) {
    }
  }

  ShardThread shard_;
  std::atomic<bool> stop_{false};
  bool replay_memory_;
  StoppingThread drainer_;
  Actor actor_;
  int64_t warmup_steps_;
};

// The bench's config for a lone actor: no learner publishes or samples here (a samples-per-
// insert limit would block the actor once the table holds replay.min_size_to_sample items).
RunConfig ActorBenchConfig(const BenchOptions& options, const std::string& ipc_dir) {
  RunConfig config = BenchConfig(options, ipc_dir);
  config.actor.wait_for_weights_seconds = 0;
  config.replay.samples_per_insert = 0;
  return config;
}

int BenchActor(const BenchOptions& options) {
  at::set_num_threads(1);
  TempDir dir("rlfleet-bench");
  const RunConfig config = ActorBenchConfig(options, dir.path());
  ActorRig rig(config);
  const int64_t warmup_steps = rig.warmup_steps();

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
    actor_frames += static_cast<double>(rig.Run(target));
    actor_seconds += clock.Seconds();
  }
  const double bare_fps = bare_frames / bare_seconds;
  const double actor_fps = actor_frames / actor_seconds;

  nlohmann::json result;
  result["bench"] = "actor";
  result["algo"] = config.learner.algo;
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

// `count` random items of the algorithm's kind for `spec`: unrolls of actor.unroll_length steps
// or actor.n_step transitions (5% of them terminal).
SampledItems SyntheticItems(const RunConfig& config, const AlgorithmSpec& algo, const EnvSpec& spec,
                            int32_t count, uint64_t seed) {
  Rng rng(seed);
  // Action dimension j: an index, or uniform in the bounds (replayed continuous actions must
  // lie inside them, or the learner drops the item).
  auto action = [&](size_t j) {
    return spec.discrete_actions
               ? static_cast<float>(rng.UniformInt(spec.num_actions))
               : static_cast<float>(rng.Uniform(spec.action_low[j], spec.action_high[j]));
  };
  SampledItems items;
  for (int32_t i = 0; i < count; ++i) {
    if (algo.items == ItemKind::kUnroll) {
      Unroll u;
      u.Resize(config.actor.unroll_length, spec.observation_size, spec.action_size,
               spec.discrete_actions);
      for (float& x : u.observations) x = static_cast<float>(rng.Normal());
      for (size_t i = 0; i < u.actions.size(); ++i) u.actions[i] = action(i % spec.action_size);
      for (float& r : u.rewards) r = 1.0f;
      for (float& p : u.behaviour_log_probs) p = -0.69f;
      items.unrolls.push_back(std::move(u));
    } else {
      Transition t;
      t.observation.resize(spec.observation_size);
      t.next_observation.resize(spec.observation_size);
      for (float& x : t.observation) x = static_cast<float>(rng.Normal());
      for (float& x : t.next_observation) x = static_cast<float>(rng.Normal());
      t.action.resize(spec.action_size);
      for (size_t j = 0; j < t.action.size(); ++j) t.action[j] = action(j);
      t.reward = 1.0f;
      t.steps = config.actor.n_step;
      t.terminated = rng.Uniform01() < 0.05;
      t.discount = t.terminated ? 0.0f : 0.97f;
      items.transitions.push_back(std::move(t));
    }
  }
  return items;
}

std::vector<std::string> Encode(const SampledItems& items) {
  std::vector<std::string> encoded;
  for (const Unroll& u : items.unrolls) encoded.push_back(EncodeUnroll(u));
  for (const Transition& t : items.transitions) encoded.push_back(EncodeTransition(t));
  return encoded;
}

// The learner process's loop (Learner: the prefetch thread samples over ipc, decodes, checks and
// prepares the next batch, and for a replay memory sends the trained batches' priorities, while
// the train thread runs one update per batch and publishes weights every
// learner.publish_interval updates) against the algorithm's bare Update on one ready batch.
// A queue is kept full by an inserter thread while the learner runs; a replay memory is filled
// to replay.max_size items (priorities in [0.1, 2)) first and receives no inserts while the
// learner runs, so the ratio measures the learner's own overhead (replay.samples_per_insert is
// ignored). Both sides run in 3 alternating rounds, each with a fresh model (a fresh learner
// stopped by a timer; a fresh algorithm for the bare step, with the inserter stopped), and are
// compared by their totals.
int BenchLearner(const BenchOptions& options) {
  TempDir dir("rlfleet-bench");
  RunConfig config = BenchConfig(options, dir.path());
  const AlgorithmSpec& algo = FindAlgorithm(config.learner.algo);
  const bool replay_memory = algo.replay == ReplayKind::kReplayMemory;
  config.replay.samples_per_insert = 0;
  if (replay_memory) config.replay.min_size_to_sample = config.learner.batch_size;
  config.learner.eval_interval_updates = 0;
  config.report.metric = "mean_return";  // a config may report evaluations, which are off here
  config.learner.checkpoint_interval_seconds = 1e9;
  config.learner.total_env_steps = std::numeric_limits<int64_t>::max() / 2;
  at::set_num_threads(config.learner.intra_op_threads);
  const EnvSpec spec = CheckEnvSource(config.env);
  CheckRunFitsAlgorithm(algo, config, spec);
  const torch::Device device = ResolveDevice(config.learner.device);

  // Bare: Update() on one ready batch, repeatedly, by a fresh algorithm each round (as each
  // round's learner is fresh: a model trained for longer on one batch can drift into slower
  // arithmetic), with nothing else of the bench running (the inserter is stopped meanwhile).
  std::unique_ptr<LearnerAlgorithm> bare;
  int64_t bare_updates = 0;
  double bare_seconds = 0.0;
  auto measure_bare = [&](double seconds) {
    bare = algo.make_learner(config, spec, device.str());
    std::unique_ptr<PreparedBatch> bare_batch =
        bare->Prepare(SyntheticItems(config, algo, spec, config.learner.batch_size, 3));
    for (int i = 0; i < 10; ++i) bare->Update(*bare_batch);
    Stopwatch clock;
    while (clock.Seconds() < seconds) {
      bare->Update(*bare_batch);
      ++bare_updates;
    }
    bare_seconds += clock.Seconds();
  };

  ShardThread shard(config);
  std::atomic<bool> stop{false};
  InsertClientOptions insert_options;
  insert_options.endpoint = config.cluster.shard_endpoints[0];
  insert_options.table = config.replay.table;
  insert_options.max_inflight = 4;
  std::optional<StoppingThread> inserter;
  if (replay_memory) {
    // Fill the table: max_size items cycling through a pool of 4096 distinct ones.
    InsertClient client(insert_options, &stop);
    const std::vector<std::string> pool = Encode(SyntheticItems(config, algo, spec, 4096, 7));
    Rng rng(7);
    std::vector<std::string> items;
    std::vector<double> priorities;
    for (int64_t i = 0; i < config.replay.max_size; ++i) {
      items.push_back(pool[static_cast<size_t>(i) % pool.size()]);
      priorities.push_back(rng.Uniform(0.1, 2.0));
      if (items.size() == 64 || i + 1 == config.replay.max_size) {
        client.Insert(items, priorities);
        items.clear();
        priorities.clear();
      }
    }
    client.Flush();
  }
  // A queue is kept full while a learner runs, and nothing inserts while the bare step runs.
  const std::vector<std::string> queue_items =
      replay_memory ? std::vector<std::string>{}
                    : Encode(SyntheticItems(config, algo, spec, config.learner.batch_size, 5));
  auto start_inserter = [&] {
    if (replay_memory) return;
    stop = false;
    inserter.emplace(&stop, [&] {
      InsertClient client(insert_options, &stop);
      try {
        while (!stop.load()) client.Insert(queue_items);
      } catch (const StoppedError&) {
      }
    });
  };

  // A fresh Learner (its own run directory) trains for `seconds`, stopped by a timer. Returns
  // its updates and the seconds Run took; throws if it dropped any item.
  int round = 0;
  auto run_learner = [&](double seconds) {
    std::atomic<bool> learner_stop{false};
    std::atomic<bool> done{false};
    StoppingThread timer(&done, [&] {
      Stopwatch clock;
      while (!done.load() && clock.Seconds() < seconds) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      learner_stop = true;
    });
    Learner learner(config, (fs::path(dir.path()) / ("run" + std::to_string(round++))).string(),
                    false);
    Stopwatch clock;
    const LearnerSummary summary = learner.Run(learner_stop);
    const double run_seconds = clock.Seconds();
    // The items are made to fit the env: a dropped one means the comparison is not fair.
    if (summary.malformed_items > 0) {
      throw std::runtime_error("bench learner: the learner dropped " +
                               std::to_string(summary.malformed_items) +
                               " synthetic items (logged above)");
    }
    return std::pair<int64_t, double>{summary.updates, run_seconds};
  };

  // Alternate the two in rounds so that both see the same drift in machine load.
  constexpr int kRounds = 3;
  int64_t learner_updates = 0;
  double learner_seconds = 0.0;
  for (int r = 0; r < kRounds; ++r) {
    start_inserter();
    const auto [updates, seconds] = run_learner(options.seconds / kRounds);
    inserter.reset();  // stops and joins it
    learner_updates += updates;
    learner_seconds += seconds;
    measure_bare(options.seconds / kRounds);
  }
  const double bare_ups = static_cast<double>(bare_updates) / bare_seconds;
  const double learner_ups = static_cast<double>(learner_updates) / learner_seconds;

  nlohmann::json result;
  result["bench"] = "learner";
  result["algo"] = algo.name;
  result["device"] = device.str();
  result["hidden_sizes"] = config.model.hidden_sizes;
  result["env_id"] = config.env.id;
  result["batch_size"] = config.learner.batch_size;
  if (algo.items == ItemKind::kUnroll) result["unroll_length"] = config.actor.unroll_length;
  if (replay_memory) {
    result["sampler"] = config.replay.sampler;
    result["table_size"] = config.replay.max_size;
  }
  result["learner_updates"] = learner_updates;
  result["bare_updates_per_second"] = bare_ups;
  result["learner_updates_per_second"] = learner_ups;
  result["ratio"] = learner_ups / bare_ups;
  result["goal_ratio"] = 0.9;
  if (!options.json_only) {
    std::printf(
        "bare update:                    %.1f updates/s\n"
        "learner with replay over ipc:   %.1f updates/s\n",
        bare_ups, learner_ups);
  }
  // Where the bare update's time goes, for algorithms that time their phases (CPU only).
  const auto phases = bare->UpdatePhaseSeconds();
  if (!phases.empty() && !device.is_cuda()) {
    double total = 0.0;
    for (const auto& [name, seconds] : phases) total += seconds;
    const double updates = static_cast<double>(bare->num_updates());
    nlohmann::json breakdown;
    for (const auto& [name, seconds] : phases) {
      breakdown[name + "_ms"] = 1e3 * seconds / updates;
      if (!options.json_only) {
        std::printf("  %-22s %7.3f ms per update (%4.1f %%)\n", name.c_str(),
                    1e3 * seconds / updates, 100.0 * seconds / total);
      }
    }
    result["bare_update_phases"] = breakdown;
  }
  std::printf("%s\n", result.dump().c_str());
  return 0;
}

// Env steps/s of `env` stepped alone for `seconds` with the random actions `actions` (cycled),
// reset when an episode ends.
double SingleEnvStepsPerSecond(Env& env, const std::vector<float>& actions, double seconds) {
  const EnvSpec& spec = env.spec();
  std::vector<float> obs(spec.observation_size);
  env.Reset(obs.data());
  const size_t a = static_cast<size_t>(spec.action_size);
  const size_t count = actions.size() / a;
  int64_t steps = 0;
  Stopwatch clock;
  while (clock.Seconds() < seconds) {
    for (int i = 0; i < 1000; ++i, ++steps) {
      const StepResult r = env.Step(actions.data() + (steps % count) * a, obs.data());
      if (r.terminated || r.truncated) env.Reset(obs.data());
    }
  }
  return static_cast<double>(steps) / clock.Seconds();
}

// 4096 uniformly random actions of `spec`, row-major.
std::vector<float> RandomActions(const EnvSpec& spec, uint64_t seed) {
  constexpr int64_t kCount = 4096;
  Rng rng(seed);
  std::vector<float> actions(static_cast<size_t>(kCount) * spec.action_size);
  UniformActions(spec, kCount, rng, actions.data());
  return actions;
}

// A plugin env against the built-in env of the same id, one env each, in 3 alternating rounds.
int BenchPluginEnv(const BenchOptions& options, const RunConfig& config) {
  if (!IsRegisteredEnv(config.env.id)) {
    throw std::invalid_argument(
        "bench envsrc: a plugin is compared with the built-in env of its "
        "env.id, and '" +
        config.env.id + "' is not one");
  }
  std::unique_ptr<Env> plugin = MakeEnv(config.env);
  std::unique_ptr<Env> builtin = MakeEnv(config.env.id);
  const std::vector<float> actions = RandomActions(builtin->spec(), 1);
  constexpr int kRounds = 3;
  const double phase = options.seconds / kRounds;
  double plugin_sum = 0, builtin_sum = 0;
  for (int round = 0; round < kRounds; ++round) {
    builtin_sum += SingleEnvStepsPerSecond(*builtin, actions, phase);
    plugin_sum += SingleEnvStepsPerSecond(*plugin, actions, phase);
  }
  nlohmann::json result;
  result["bench"] = "envsrc";
  result["source"] = "plugin";
  result["plugin"] = config.env.plugin;
  result["env_id"] = config.env.id;
  result["plugin_steps_per_second"] = plugin_sum / kRounds;
  result["builtin_steps_per_second"] = builtin_sum / kRounds;
  result["ratio"] = plugin_sum / builtin_sum;
  result["goal_ratio"] = 0.95;
  if (!options.json_only) {
    std::printf("built-in %s: %.0f env steps/s\nplugin %s: %.0f env steps/s\n",
                config.env.id.c_str(), builtin_sum / kRounds, config.env.plugin.c_str(),
                plugin_sum / kRounds);
  }
  std::printf("%s\n", result.dump().c_str());
  return 0;
}

// Env steps/s of the bare Python loop (python/rlfleet_env_bench.py): the config's envs, one
// process, no rlfleet.
double BarePythonStepsPerSecond(const EnvConfig& env, double seconds, std::string* python) {
  std::string command = ShellQuote(env.python_interpreter) + " " +
                        ShellQuote(PythonModuleDir() + "/rlfleet_env_bench.py") + " --callable " +
                        ShellQuote(env.python) + " --kwargs " + ShellQuote(env.python_kwargs) +
                        " --num-envs " + std::to_string(env.num_envs) + " --seconds " +
                        std::to_string(seconds);
  for (const std::string& dir : env.python_path) command += " --python-path " + ShellQuote(dir);
  const auto [status, output] = RunShell(command);
  const size_t line = output.rfind("{\"env_steps_per_second\"");
  if (status != 0 || line == std::string::npos) {
    throw std::runtime_error("bench envsrc: the bare Python loop failed: " + command + "\n" +
                             output);
  }
  const nlohmann::json result = nlohmann::json::parse(output.substr(line));
  *python = result["python"].get<std::string>();
  return result["env_steps_per_second"].get<double>();
}

// Env steps/s of a PythonVectorEnv of the config's envs in `workers` processes, stepped with
// random actions and nothing else.
double PythonVectorStepsPerSecond(const EnvConfig& env, int32_t workers, double seconds) {
  EnvConfig c = env;
  c.python_workers = workers;
  std::unique_ptr<VectorEnv> envs = MakeVectorEnv(c, 0);
  const EnvSpec& spec = envs->spec();
  const int32_t m = envs->num_envs();
  const std::vector<float> actions = RandomActions(spec, 2);
  const size_t batch = static_cast<size_t>(m) * spec.action_size;
  const size_t batches = actions.size() / batch;
  std::vector<float> obs(static_cast<size_t>(m) * spec.observation_size), rewards(m),
      finals(obs.size());
  std::vector<uint8_t> terminated(m), truncated(m), dropped(m);
  envs->Reset(obs.data());
  int64_t steps = 0;
  Stopwatch clock;
  for (size_t k = 0; clock.Seconds() < seconds; ++k) {
    envs->Step(actions.data() + (k % batches) * batch, obs.data(), rewards.data(),
               terminated.data(), truncated.data(), finals.data(), dropped.data());
    steps += m;
  }
  return static_cast<double>(steps) / clock.Seconds();
}

// A Python env served to a real actor (its env.python_workers worker processes, the policy,
// inserts into a shard) against the same envs in a bare Python loop, 3 alternating rounds;
// then the PythonVectorEnv alone with 1, 2 and 4 workers.
int BenchPythonEnv(const BenchOptions& options, const RunConfig& config) {
  at::set_num_threads(1);
  constexpr int kRounds = 3;
  const double phase = options.seconds / kRounds;
  ActorRig rig(config);
  double bare_sum = 0, actor_frames = 0, actor_seconds = 0;
  std::string python;
  for (int round = 0; round < kRounds; ++round) {
    const double bare = BarePythonStepsPerSecond(config.env, phase, &python);
    bare_sum += bare;
    Stopwatch clock;
    actor_frames += static_cast<double>(
        rig.Run(std::max<int64_t>(static_cast<int64_t>(bare * phase), rig.warmup_steps())));
    actor_seconds += clock.Seconds();
  }
  const double bare_sps = bare_sum / kRounds;
  const double actor_sps = actor_frames / actor_seconds;
  nlohmann::json workers = nlohmann::json::array();
  for (int32_t w : {1, 2, 4}) {
    if (w > config.env.num_envs) break;
    workers.push_back({{"workers", w},
                       {"env_steps_per_second", PythonVectorStepsPerSecond(config.env, w, phase)}});
  }
  nlohmann::json result;
  result["bench"] = "envsrc";
  result["source"] = "python";
  result["callable"] = config.env.python;
  result["python"] = python;
  result["algo"] = config.learner.algo;
  result["num_envs"] = config.env.num_envs;
  result["python_workers"] = config.env.python_workers;
  result["bare_python_steps_per_second"] = bare_sps;
  result["actor_steps_per_second"] = actor_sps;
  result["ratio"] = actor_sps / bare_sps;
  result["goal_ratio"] = 0.8;
  result["vector_env"] = workers;
  if (!options.json_only) {
    std::printf("bare Python loop (%d envs, %s): %.0f env steps/s\n", config.env.num_envs,
                python.c_str(), bare_sps);
    std::printf("actor (%d worker processes): %.0f env steps/s, ratio %.2f\n",
                config.env.python_workers, actor_sps, actor_sps / bare_sps);
    for (const auto& w : workers) {
      std::printf("PythonVectorEnv alone, %d workers: %.0f env steps/s\n", w["workers"].get<int>(),
                  w["env_steps_per_second"].get<double>());
    }
  }
  std::printf("%s\n", result.dump().c_str());
  return 0;
}

// `rlfleet bench envsrc --config C`: the config's plugin or Python env against its reference.
int BenchEnvSource(const BenchOptions& options) {
  if (options.config_path.empty()) {
    throw std::invalid_argument("bench envsrc needs --config with env.plugin or env.python");
  }
  TempDir dir("rlfleet-bench");
  const RunConfig config = ActorBenchConfig(options, dir.path());
  if (!config.env.plugin.empty()) return BenchPluginEnv(options, config);
  if (!config.env.python.empty()) return BenchPythonEnv(options, config);
  throw std::invalid_argument("bench envsrc: the config sets neither env.plugin nor env.python");
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
  if (options.what == "envsrc") return BenchEnvSource(options);
  if (options.what == "render") {
    RenderBenchOptions render_options;
    render_options.seconds_per_case = options.seconds;
    render_options.json_only = options.json_only;
    return RunRenderBench(render_options);
  }
  if (options.what == "replay") {
    ReplayBenchOptions replay_options;
    replay_options.seconds = options.seconds;
    replay_options.json_only = options.json_only;
    return RunReplayBench(replay_options);
  }
  throw std::invalid_argument("unknown benchmark '" + options.what +
                              "' (actor | learner | envs | envsrc | replay | render)");
}

}  // namespace rlfleet
