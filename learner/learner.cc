#include "learner/learner.h"

#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <zmq.hpp>

#include "algorithms/impala.h"
#include "algorithms/model_factory.h"
#include "algorithms/parameter_vector.h"
#include "core/bounded_queue.h"
#include "core/clock.h"
#include "core/file_util.h"
#include "core/logging.h"
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

struct PreparedBatch {
  ImpalaBatch batch;
  double mean_policy_version = 0.0;
  int64_t frames = 0;
};

}  // namespace

std::string LatestCheckpoint(const std::string& run_dir) {
  const fs::path dir = fs::path(run_dir) / "checkpoints";
  if (!fs::exists(dir)) return "";
  std::string best;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    // Complete checkpoints only: temporary directories carry a ".tmp" suffix.
    if (name.rfind("ckpt-", 0) != 0 || name.find(".tmp") != std::string::npos) continue;
    if (!fs::exists(entry.path() / "state.json")) continue;
    if (name > best) best = name;
  }
  return best.empty() ? "" : (dir / best).string();
}

struct Learner::Impl {
  RunConfig config;
  fs::path run_dir;
  torch::Device device;
  EnvSpec spec;
  ActorCritic model;
  std::unique_ptr<Impala> impala;
  WeightsPublisher weights;
  ActorStatsReceiver stats;

  // Prefetch thread and its hand-off queue.
  BoundedQueue<PreparedBatch> ready;
  std::atomic<bool> prefetch_stop{false};
  std::thread prefetch_thread;
  std::mutex prefetch_error_mutex;
  std::string prefetch_error;
  std::atomic<int64_t> malformed_items{0};

  // Counters (persisted in checkpoints).
  int64_t env_steps = 0;
  double wall_seconds_before = 0.0;  // from earlier segments of a resumed run

  // Rates since the last metrics row.
  Stopwatch wall;
  Stopwatch since_metrics;
  Stopwatch since_checkpoint;
  int64_t metrics_env_steps = 0;
  int64_t metrics_updates = 0;
  double lag_sum = 0.0;
  int64_t lag_count = 0;
  ImpalaStats last_stats{};

  Impl(const RunConfig& c, const std::string& dir)
      : config(c),
        run_dir(dir),
        device(ResolveDevice(c.learner.device)),
        spec(MakeEnv(c.env.id)->spec()),
        model(MakeActorCritic(c.model,
                              ModelSpaces{spec.observation_size, spec.discrete_actions,
                                          spec.num_actions, spec.action_size},
                              c.seed)),
        weights(*model, c.cluster.weights_endpoint),
        stats(c.cluster.stats_endpoint, c.replay.max_message_bytes,
              (fs::path(dir) / "episodes.csv").string()),
        ready(static_cast<size_t>(c.learner.prefetch)) {
    // Parameters move before the optimizer is built; weights come back to the host only when
    // they are published (FlattenParameters).
    model->to(device);
    ImpalaOptions options;
    options.discount = c.learner.discount;
    options.vtrace.rho_bar = c.learner.rho_bar;
    options.vtrace.c_bar = c.learner.c_bar;
    options.vtrace.pg_rho_bar = c.learner.pg_rho_bar;
    options.vtrace.lambda = c.learner.lambda;
    options.baseline_cost = c.learner.baseline_cost;
    options.entropy_cost = c.learner.entropy_cost;
    options.learning_rate = c.learner.learning_rate;
    options.adam_eps = c.learner.adam_eps;
    options.max_grad_norm = c.learner.max_grad_norm;
    const int64_t frames_per_update =
        static_cast<int64_t>(c.actor.unroll_length) * c.learner.batch_size;
    options.total_updates =
        c.learner.anneal_learning_rate
            ? (c.learner.total_env_steps + frames_per_update - 1) / frames_per_update
            : 0;
    impala = std::make_unique<Impala>(model, options);
  }

  int64_t updates() const { return impala->num_updates(); }

  void PrefetchLoop() {
    try {
      SampleClientOptions options;
      options.endpoints = config.cluster.shard_endpoints;
      options.table = config.replay.table;
      options.prefetch = config.learner.prefetch;
      options.max_message_bytes = config.replay.max_message_bytes;
      SampleClient client(options, &prefetch_stop);
      std::vector<Unroll> unrolls;
      while (!prefetch_stop.load()) {
        SampledBatch sampled;
        if (!client.Sample(config.learner.batch_size, kPollSlice.count(), &sampled)) continue;
        unrolls.clear();
        double version_sum = 0.0;
        for (size_t i = 0; i < sampled.size(); ++i) {
          const auto item = sampled.item(i);
          try {
            unrolls.push_back(DecodeUnroll(item.data, item.size));
            version_sum += static_cast<double>(unrolls.back().policy_version);
          } catch (const DecodeError& e) {
            if (malformed_items.fetch_add(1) == 0) {
              RLF_LOG(Warning) << "dropping a malformed unroll: " << e.what();
            }
          }
        }
        if (unrolls.size() != sampled.size()) continue;  // the whole batch goes
        PreparedBatch prepared;
        try {
          prepared.batch = BatchFromUnrolls(unrolls);
        } catch (const std::invalid_argument& e) {
          malformed_items.fetch_add(static_cast<int64_t>(unrolls.size()));
          RLF_LOG(Warning) << "dropping a batch of mismatched unrolls: " << e.what();
          continue;
        }
        prepared.batch = BatchToDevice(prepared.batch, device);
        prepared.mean_policy_version = version_sum / static_cast<double>(unrolls.size());
        prepared.frames = static_cast<int64_t>(unrolls.size()) * unrolls.front().length;
        while (!prefetch_stop.load() && !ready.Push(std::move(prepared), kPollSlice)) {
        }
      }
    } catch (const StoppedError&) {
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lock(prefetch_error_mutex);
      prefetch_error = e.what();
    }
    ready.Close();
  }

  void Publish() { weights.Publish(*model, updates()); }

  void DrainStats() { stats.Drain(wall_seconds_before + wall.Seconds()); }

  nlohmann::json StatusJson() {
    const double elapsed = std::max(since_metrics.Seconds(), 1e-9);
    nlohmann::json status;
    status["wall_seconds"] = wall_seconds_before + wall.Seconds();
    status["env_steps"] = env_steps;
    status["actor_env_steps"] = stats.actor_env_steps;
    status["total_env_steps"] = config.learner.total_env_steps;
    status["updates"] = updates();
    status["fps"] = static_cast<double>(env_steps - metrics_env_steps) / elapsed;
    status["updates_per_second"] = static_cast<double>(updates() - metrics_updates) / elapsed;
    status["mean_return"] = NanToZero(stats.recent_returns.Mean());
    status["episodes"] = stats.episodes;
    status["policy_lag"] = lag_count > 0 ? lag_sum / static_cast<double>(lag_count) : 0.0;
    return status;
  }

  void WriteMetrics() {
    nlohmann::json status = StatusJson();
    const fs::path metrics = run_dir / "metrics.csv";
    std::ostringstream row;
    if (!fs::exists(metrics)) {
      row << "wall_seconds,env_steps,actor_env_steps,updates,fps,updates_per_second,"
             "mean_return_100,episodes,policy_lag,total_loss,policy_loss,baseline_loss,"
             "entropy,mean_rho,grad_norm,learning_rate\n";
    }
    row << std::setprecision(6) << status["wall_seconds"].get<double>() << ',' << env_steps << ','
        << stats.actor_env_steps << ',' << updates() << ',' << status["fps"].get<double>() << ','
        << status["updates_per_second"].get<double>() << ',' << status["mean_return"].get<double>()
        << ',' << stats.episodes << ',' << status["policy_lag"].get<double>() << ','
        << last_stats.total_loss << ',' << last_stats.policy_loss << ',' << last_stats.baseline_loss
        << ',' << last_stats.entropy << ',' << last_stats.mean_rho << ',' << last_stats.grad_norm
        << ',' << last_stats.learning_rate << '\n';
    AppendToFile(metrics.string(), row.str());
    WriteFileAtomic((run_dir / "status.json").string(), status.dump() + "\n");
    since_metrics.Reset();
    metrics_env_steps = env_steps;
    metrics_updates = updates();
    lag_sum = 0.0;
    lag_count = 0;
  }

  void Checkpoint() {
    since_checkpoint.Reset();
    const fs::path dir = run_dir / "checkpoints";
    const fs::path final_path = dir / CheckpointName(updates());
    if (fs::exists(final_path)) return;
    const fs::path temporary = dir / (CheckpointName(updates()) + ".tmp");
    fs::remove_all(temporary);
    fs::create_directories(temporary);
    impala->SaveCheckpoint((temporary / "impala.pt").string());
    nlohmann::json state;
    state["updates"] = updates();
    state["env_steps"] = env_steps;
    state["actor_env_steps"] = stats.actor_env_steps;
    state["episodes"] = stats.episodes;
    state["wall_seconds"] = wall_seconds_before + wall.Seconds();
    state["recent_returns"] = stats.recent_return_values;
    WriteFileAtomic((temporary / "state.json").string(), state.dump(2) + "\n");
    fs::rename(temporary, final_path);
    PruneCheckpoints(dir.string(), config.learner.keep_checkpoints);
  }

  void Restore(const std::string& checkpoint) {
    impala->LoadCheckpoint((fs::path(checkpoint) / "impala.pt").string());
    const nlohmann::json state =
        nlohmann::json::parse(ReadFile((fs::path(checkpoint) / "state.json").string()));
    env_steps = state.at("env_steps").get<int64_t>();
    wall_seconds_before = state.at("wall_seconds").get<double>();
    stats.Restore(state.at("actor_env_steps").get<int64_t>(), state.at("episodes").get<int64_t>(),
                  state.at("recent_returns").get<std::vector<double>>());
    if (state.at("updates").get<int64_t>() != updates()) {
      throw std::runtime_error("checkpoint " + checkpoint + " is inconsistent: state.json says " +
                               std::to_string(state.at("updates").get<int64_t>()) +
                               " updates, the model archive " + std::to_string(updates()));
    }
    RLF_LOG(Info) << "resumed from " << checkpoint << " at " << env_steps << " env steps, "
                  << updates() << " updates";
  }

  std::string PrefetchError() {
    std::lock_guard<std::mutex> lock(prefetch_error_mutex);
    return prefetch_error;
  }
};

Learner::Learner(const RunConfig& config, const std::string& run_dir, bool resume) {
  config.Validate();
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

Learner::~Learner() {
  if (impl_ && impl_->prefetch_thread.joinable()) {
    impl_->prefetch_stop = true;
    impl_->ready.Close();
    impl_->prefetch_thread.join();
  }
}

LearnerSummary Learner::Run(const std::atomic<bool>& stop) {
  Impl& s = *impl_;
  const RunConfig& c = s.config;
  s.prefetch_thread = std::thread([&s] { s.PrefetchLoop(); });
  s.Publish();
  bool completed = s.env_steps >= c.learner.total_env_steps;
  Stopwatch waiting;
  while (!stop.load() && !completed) {
    s.DrainStats();
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
      s.lag_sum += static_cast<double>(s.updates()) - prepared->mean_policy_version;
      s.lag_count += 1;
      s.last_stats = s.impala->Update(prepared->batch);
      s.env_steps += prepared->frames;
      if (s.updates() % c.learner.publish_interval == 0) s.Publish();
      completed = s.env_steps >= c.learner.total_env_steps;
    }
    if (s.since_metrics.Seconds() >= c.learner.metrics_interval_seconds) s.WriteMetrics();
    if (s.since_checkpoint.Seconds() >= c.learner.checkpoint_interval_seconds) s.Checkpoint();
  }
  s.prefetch_stop = true;
  s.ready.Close();
  s.prefetch_thread.join();
  s.DrainStats();
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
  json["env_id"] = c.env.id;
  json["env_steps"] = summary.env_steps;
  json["actor_env_steps"] = summary.actor_env_steps;
  json["updates"] = summary.updates;
  json["episodes"] = summary.episodes;
  json["wall_seconds"] = summary.wall_seconds;
  json["final_mean_return_100"] = NanToZero(summary.final_mean_return);
  json["completed"] = summary.completed;
  json["malformed_items"] = s.malformed_items.load();
  WriteFileAtomic((s.run_dir / "summary.json").string(), json.dump(2) + "\n");
  return summary;
}

}  // namespace rlfleet
