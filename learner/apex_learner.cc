#include "learner/apex_learner.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>
#include <zmq.hpp>

#include "algorithms/dqn.h"
#include "algorithms/model_factory.h"
#include "algorithms/parameter_vector.h"
#include "algorithms/q_network.h"
#include "core/bounded_queue.h"
#include "core/clock.h"
#include "core/file_util.h"
#include "core/logging.h"
#include "core/nstep.h"
#include "core/random.h"
#include "core/windowed_mean.h"
#include "envs/registry.h"
#include "learner/device.h"
#include "learner/learner_channels.h"
#include "learner/run_files.h"
#include "replay/replay_client.h"
#include "transport/codec.h"
#include "transport/socket.h"

namespace rlfleet {
namespace fs = std::filesystem;

namespace {

constexpr auto kPollSlice = std::chrono::milliseconds(100);
constexpr auto kHandOffSlice = std::chrono::milliseconds(5);
constexpr int64_t kPriorityTimeoutMs = 10000;
constexpr double kMinPriority = 1e-6;  // a priority of 0 would never be sampled again

struct PreparedBatch {
  DqnBatch batch;
  std::vector<uint64_t> keys;
};

// The new priorities of one trained batch, by global key.
struct PriorityUpdate {
  std::vector<uint64_t> keys;
  std::vector<double> priorities;
};

}  // namespace

struct ApexLearner::Impl {
  RunConfig config;
  fs::path run_dir;
  torch::Device device;
  EnvSpec spec;
  QNetwork online;
  QNetwork target;
  std::unique_ptr<Dqn> dqn;
  WeightsPublisher weights;
  ActorStatsReceiver stats;

  BoundedQueue<PreparedBatch> ready;
  // Trained batches' priorities, sent by the prefetch thread before it samples the next batch.
  BoundedQueue<PriorityUpdate> priority_updates;
  std::atomic<bool> prefetch_stop{false};
  std::thread prefetch_thread;
  std::mutex prefetch_error_mutex;
  std::string prefetch_error;
  std::atomic<int64_t> malformed_items{0};

  std::atomic<int64_t> unknown_keys{0};  // priority updates of keys evicted meanwhile

  // Counters (persisted in checkpoints).
  int64_t env_steps = 0;  // transitions consumed by updates
  double wall_seconds_before = 0.0;
  double eval_mean_return = std::numeric_limits<double>::quiet_NaN();
  int64_t eval_updates = -1;  // update count of the latest evaluation
  int64_t evaluations = 0;

  Stopwatch wall;
  Stopwatch since_metrics;
  Stopwatch since_checkpoint;
  int64_t metrics_env_steps = 0;
  int64_t metrics_actor_env_steps = 0;
  int64_t metrics_updates = 0;
  DqnStats last_stats{};

  Impl(const RunConfig& c, const std::string& dir)
      : config(c),
        run_dir(dir),
        device(ResolveDevice(c.learner.device)),
        spec(DiscreteActionEnvSpec(c.env.id, "learner.algo apex_dqn")),
        online(MakeQNetwork(c.model, c.apex.dueling, Spaces(spec), c.seed)),
        target(MakeQNetwork(c.model, c.apex.dueling, Spaces(spec), c.seed)),
        weights(*online, c.cluster.weights_endpoint),
        stats(c.cluster.stats_endpoint, c.replay.max_message_bytes,
              (fs::path(dir) / "episodes.csv").string()),
        ready(static_cast<size_t>(c.learner.prefetch)),
        priority_updates(static_cast<size_t>(c.learner.prefetch) + 2) {
    online->to(device);
    target->to(device);
    dqn = std::make_unique<Dqn>(online, target, DqnOptionsFromConfig(c));
  }

  static ModelSpaces Spaces(const EnvSpec& s) {
    return ModelSpaces{s.observation_size, s.discrete_actions, s.num_actions, s.action_size};
  }

  int64_t updates() const { return dqn->num_updates(); }

  SampleClientOptions ClientOptions(const char* stream) const {
    SampleClientOptions options;
    options.endpoints = config.cluster.shard_endpoints;
    options.table = config.replay.table;
    options.prefetch = config.learner.prefetch;
    options.max_message_bytes = config.replay.max_message_bytes;
    options.seed = DeriveSeed(config.seed, stream, 0);
    return options;
  }

  // Sends the queued priority updates (in order), each waiting for its ack.
  void SendPriorityUpdates(SampleClient& client) {
    while (std::optional<PriorityUpdate> update =
               priority_updates.Pop(std::chrono::milliseconds(0))) {
      unknown_keys += client.UpdatePriorities(update->keys, update->priorities, kPriorityTimeoutMs);
    }
  }

  // The prefetch thread: alternately sends the priorities of trained batches and samples the
  // next batch, so that the learner's thread never waits on the network. A batch sampled after
  // the priorities of batch k were sent sees them; the batches already waiting in `ready` do not.
  void PrefetchLoop() {
    try {
      SampleClient client(ClientOptions("learner_sample"), &prefetch_stop);
      std::vector<Transition> transitions;
      std::vector<double> weights;
      while (!prefetch_stop.load()) {
        SendPriorityUpdates(client);
        SampledBatch sampled;
        if (!client.SamplePrioritized(config.learner.batch_size, kPollSlice.count(), &sampled)) {
          continue;
        }
        transitions.clear();
        weights.clear();
        PreparedBatch prepared;
        for (size_t i = 0; i < sampled.size(); ++i) {
          const auto item = sampled.item(i);
          try {
            std::vector<Transition> decoded = DecodeTransitions(item.data, item.size);
            if (decoded.size() != 1 ||
                static_cast<int64_t>(decoded[0].observation.size()) != spec.observation_size) {
              throw std::invalid_argument("expected one transition of the env's size");
            }
            transitions.push_back(std::move(decoded[0]));
            weights.push_back(sampled.importance_weight(i));
            prepared.keys.push_back(sampled.key(i));
          } catch (const std::invalid_argument& e) {
            if (malformed_items.fetch_add(1) == 0) {
              RLF_LOG(Warning) << "dropping a malformed transition: " << e.what();
            }
          }
        }
        if (transitions.empty()) continue;
        prepared.batch = BatchFromTransitions(transitions, weights);
        // While `ready` is full the learner is training: keep its priorities flowing.
        while (!prefetch_stop.load() && !ready.Push(std::move(prepared), kHandOffSlice)) {
          SendPriorityUpdates(client);
        }
      }
    } catch (const StoppedError&) {
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lock(prefetch_error_mutex);
      prefetch_error = e.what();
    }
    ready.Close();
  }

  void Publish() { weights.Publish(*online, updates()); }

  void DrainStats() { stats.Drain(wall_seconds_before + wall.Seconds()); }

  // apex.eval_episodes greedy episodes (argmax Q) on a local env; env seeds continue from one
  // evaluation to the next.
  void Evaluate() {
    std::unique_ptr<Env> env = MakeEnv(config.env.id);
    std::vector<float> observation(spec.observation_size);
    double sum = 0.0;
    online->eval();
    {
      torch::InferenceMode guard;
      for (int32_t episode = 0; episode < config.apex.eval_episodes; ++episode) {
        env->Seed(DeriveSeed(config.seed, "eval_envs", 0) +
                  static_cast<uint64_t>(evaluations * config.apex.eval_episodes + episode));
        env->Reset(observation.data());
        double episode_return = 0.0;
        while (true) {
          const torch::Tensor q = online->forward(
              torch::from_blob(observation.data(), {1, spec.observation_size}, torch::kFloat32)
                  .to(device));
          const float action = static_cast<float>(q.argmax(1).item<int64_t>());
          const StepResult step = env->Step(&action, observation.data());
          episode_return += step.reward;
          if (step.terminated || step.truncated) break;
        }
        sum += episode_return;
      }
    }
    online->train();
    ++evaluations;
    eval_updates = updates();
    eval_mean_return = sum / static_cast<double>(config.apex.eval_episodes);
    RLF_LOG(Info) << "evaluation at " << updates() << " updates: mean return " << eval_mean_return
                  << " over " << config.apex.eval_episodes << " episodes";
  }

  nlohmann::json StatusJson() {
    const double elapsed = std::max(since_metrics.Seconds(), 1e-9);
    nlohmann::json status;
    status["wall_seconds"] = wall_seconds_before + wall.Seconds();
    // The launcher's progress line reads env_steps against total_env_steps: the actors' frames.
    status["env_steps"] = stats.actor_env_steps;
    status["replayed_transitions"] = env_steps;
    status["actor_env_steps"] = stats.actor_env_steps;
    status["total_env_steps"] = config.learner.total_env_steps;
    status["updates"] = updates();
    status["fps"] = static_cast<double>(stats.actor_env_steps - metrics_actor_env_steps) / elapsed;
    status["updates_per_second"] = static_cast<double>(updates() - metrics_updates) / elapsed;
    status["mean_return"] = NanToZero(stats.recent_returns.Mean());
    status["episodes"] = stats.episodes;
    status["eval_mean_return"] = NanToZero(eval_mean_return);
    status["policy_lag"] = 0.0;
    return status;
  }

  void WriteMetrics() {
    nlohmann::json status = StatusJson();
    const fs::path metrics = run_dir / "metrics.csv";
    std::ostringstream row;
    if (!fs::exists(metrics)) {
      row << "wall_seconds,env_steps,actor_env_steps,updates,fps,updates_per_second,"
             "mean_return_100,episodes,eval_mean_return,loss,mean_q,mean_abs_td,grad_norm,"
             "unknown_key_updates,learning_rate\n";
    }
    row << std::setprecision(6) << status["wall_seconds"].get<double>() << ',' << env_steps << ','
        << stats.actor_env_steps << ',' << updates() << ',' << status["fps"].get<double>() << ','
        << status["updates_per_second"].get<double>() << ',' << status["mean_return"].get<double>()
        << ',' << stats.episodes << ',';
    if (!std::isnan(eval_mean_return)) row << eval_mean_return;
    row << ',' << last_stats.loss << ',' << last_stats.mean_q << ',' << last_stats.mean_abs_td
        << ',' << last_stats.grad_norm << ',' << unknown_keys << ',' << dqn->learning_rate()
        << '\n';
    AppendToFile(metrics.string(), row.str());
    WriteFileAtomic((run_dir / "status.json").string(), status.dump() + "\n");
    since_metrics.Reset();
    metrics_env_steps = env_steps;
    metrics_actor_env_steps = stats.actor_env_steps;
    metrics_updates = updates();
  }

  void Checkpoint() {
    since_checkpoint.Reset();
    const fs::path dir = run_dir / "checkpoints";
    const fs::path final_path = dir / CheckpointName(updates());
    if (fs::exists(final_path)) return;
    const fs::path temporary = dir / (CheckpointName(updates()) + ".tmp");
    fs::remove_all(temporary);
    fs::create_directories(temporary);
    dqn->SaveCheckpoint((temporary / "dqn.pt").string());
    nlohmann::json state;
    state["algo"] = "apex_dqn";
    state["updates"] = updates();
    state["env_steps"] = env_steps;
    state["actor_env_steps"] = stats.actor_env_steps;
    state["episodes"] = stats.episodes;
    state["evaluations"] = evaluations;
    state["wall_seconds"] = wall_seconds_before + wall.Seconds();
    state["recent_returns"] = stats.recent_return_values;
    WriteFileAtomic((temporary / "state.json").string(), state.dump(2) + "\n");
    fs::rename(temporary, final_path);
    PruneCheckpoints(dir.string(), config.learner.keep_checkpoints);
  }

  void Restore(const std::string& checkpoint) {
    dqn->LoadCheckpoint((fs::path(checkpoint) / "dqn.pt").string());
    const nlohmann::json state =
        nlohmann::json::parse(ReadFile((fs::path(checkpoint) / "state.json").string()));
    env_steps = state.at("env_steps").get<int64_t>();
    evaluations = state.value("evaluations", int64_t{0});
    wall_seconds_before = state.at("wall_seconds").get<double>();
    stats.Restore(state.at("actor_env_steps").get<int64_t>(), state.at("episodes").get<int64_t>(),
                  state.at("recent_returns").get<std::vector<double>>());
    if (state.at("updates").get<int64_t>() != updates()) {
      throw std::runtime_error("checkpoint " + checkpoint + " is inconsistent: state.json says " +
                               std::to_string(state.at("updates").get<int64_t>()) +
                               " updates, the model archive " + std::to_string(updates()));
    }
    RLF_LOG(Info) << "resumed from " << checkpoint << " at " << stats.actor_env_steps
                  << " actor env steps, " << updates() << " updates";
  }

  std::string PrefetchError() {
    std::lock_guard<std::mutex> lock(prefetch_error_mutex);
    return prefetch_error;
  }
};

ApexLearner::ApexLearner(const RunConfig& config, const std::string& run_dir, bool resume) {
  config.Validate();
  if (config.learner.algo != "apex_dqn") {
    throw std::invalid_argument("ApexLearner needs learner.algo apex_dqn (got " +
                                config.learner.algo + ")");
  }
  fs::create_directories(fs::path(run_dir) / "checkpoints");
  at::set_num_threads(config.learner.intra_op_threads);
  impl_ = std::make_unique<Impl>(config, run_dir);
  if (resume) {
    const std::string checkpoint = LatestCheckpoint(run_dir);
    if (checkpoint.empty()) {
      RLF_LOG(Warning) << "no checkpoint in " << run_dir << ": starting from scratch";
    } else {
      impl_->Restore(checkpoint);
    }
  }
}

ApexLearner::~ApexLearner() {
  if (impl_ && impl_->prefetch_thread.joinable()) {
    impl_->prefetch_stop = true;
    impl_->ready.Close();
    impl_->prefetch_thread.join();
  }
}

LearnerSummary ApexLearner::Run(const std::atomic<bool>& stop) {
  Impl& s = *impl_;
  const RunConfig& c = s.config;
  s.prefetch_thread = std::thread([&s] { s.PrefetchLoop(); });
  s.Publish();
  bool completed = s.stats.actor_env_steps >= c.learner.total_env_steps;
  Stopwatch waiting;
  std::vector<float> new_priorities;
  while (!stop.load() && !completed) {
    s.DrainStats();
    completed = s.stats.actor_env_steps >= c.learner.total_env_steps;
    if (completed) break;
    std::optional<PreparedBatch> prepared = s.ready.Pop(kPollSlice);
    if (!prepared) {
      const std::string error = s.PrefetchError();
      if (!error.empty()) throw std::runtime_error("learner prefetch failed: " + error);
      if (s.weights.SecondsSincePublish() > 1.0) s.Publish();
      if (waiting.Seconds() > 10.0) {
        RLF_LOG(Info) << "waiting for data from the replay shards";
        waiting.Reset();
      }
    } else {
      waiting.Reset();
      if (c.learner.anneal_learning_rate) {
        // Linear decay to 0 over the actors' env-step budget (the run's own clock).
        const double progress = static_cast<double>(s.stats.actor_env_steps) /
                                static_cast<double>(c.learner.total_env_steps);
        s.dqn->SetLearningRate(c.learner.learning_rate * std::max(0.0, 1.0 - progress));
      }
      s.last_stats = s.dqn->Update(prepared->batch, &new_priorities);
      s.env_steps += static_cast<int64_t>(prepared->keys.size());
      PriorityUpdate update;
      update.keys = std::move(prepared->keys);
      update.priorities.resize(new_priorities.size());
      for (size_t i = 0; i < new_priorities.size(); ++i) {
        const double p = static_cast<double>(new_priorities[i]);
        update.priorities[i] = std::isfinite(p) ? std::max(p, kMinPriority) : 1.0;
      }
      // The prefetch thread sends it; it takes one update per batch it samples, so this waits
      // only while that thread is itself waiting on a shard.
      while (!stop.load() && !s.priority_updates.Push(std::move(update), kPollSlice)) {
        const std::string error = s.PrefetchError();
        if (!error.empty()) throw std::runtime_error("learner prefetch failed: " + error);
      }
      if (s.updates() % c.learner.publish_interval == 0) s.Publish();
      if (c.apex.eval_interval_updates > 0 && s.updates() % c.apex.eval_interval_updates == 0) {
        s.Evaluate();
      }
    }
    if (s.since_metrics.Seconds() >= c.learner.metrics_interval_seconds) s.WriteMetrics();
    if (s.since_checkpoint.Seconds() >= c.learner.checkpoint_interval_seconds) s.Checkpoint();
  }
  s.prefetch_stop = true;
  s.ready.Close();
  s.prefetch_thread.join();
  s.DrainStats();
  if (c.apex.eval_interval_updates > 0 && s.eval_updates != s.updates()) s.Evaluate();
  s.WriteMetrics();
  s.Checkpoint();

  LearnerSummary summary;
  summary.env_steps = s.env_steps;
  summary.actor_env_steps = s.stats.actor_env_steps;
  summary.updates = s.updates();
  summary.episodes = s.stats.episodes;
  summary.wall_seconds = s.wall_seconds_before + s.wall.Seconds();
  summary.final_mean_return = s.stats.recent_returns.Mean();
  summary.completed = completed;
  nlohmann::json json;
  json["algo"] = "apex_dqn";
  json["env_id"] = c.env.id;
  json["env_steps"] = summary.actor_env_steps;  // the budget counts the actors' frames
  json["actor_env_steps"] = summary.actor_env_steps;
  json["replayed_transitions"] = summary.env_steps;
  json["updates"] = summary.updates;
  json["episodes"] = summary.episodes;
  json["wall_seconds"] = summary.wall_seconds;
  json["final_mean_return_100"] = NanToZero(summary.final_mean_return);
  if (!std::isnan(s.eval_mean_return)) {
    json["final_eval_mean_return"] = s.eval_mean_return;
  } else {
    json["final_eval_mean_return"] = nullptr;
  }
  json["unknown_key_updates"] = s.unknown_keys.load();
  json["completed"] = summary.completed;
  json["malformed_items"] = s.malformed_items.load();
  WriteFileAtomic((s.run_dir / "summary.json").string(), json.dump(2) + "\n");
  return summary;
}

}  // namespace rlfleet
