#include "learner/learner.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/nn/module.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "algorithms/device.h"
#include "algorithms/greedy_policy.h"
#include "algorithms/registry.h"
#include "core/bounded_queue.h"
#include "core/clock.h"
#include "core/file_util.h"
#include "core/logging.h"
#include "core/random.h"
#include "learner/evaluator.h"
#include "learner/event_file.h"
#include "learner/item_check.h"
#include "learner/learner_channels.h"
#include "learner/run_files.h"
#include "pyenv/env_factory.h"
#include "replay/rate_limiter.h"
#include "replay/run_tables.h"
#include "replay/sample_client.h"
#include "transport/codec.h"

namespace rlfleet {
namespace fs = std::filesystem;

namespace {

constexpr auto kPollSlice = std::chrono::milliseconds(100);
constexpr auto kHandOffSlice = std::chrono::milliseconds(5);
constexpr int64_t kPriorityTimeoutMs = 10000;
constexpr size_t kMaxUnackedPriorityUpdates = 4;

// A batch ready for the train thread.
struct ReadyBatch {
  std::unique_ptr<PreparedBatch> batch;
  std::vector<uint64_t> keys;  // replay memory: the global keys of its items
  double mean_policy_version = 0.0;
  int64_t frames = 0;  // env steps inside the batch
};

// New priorities by global key, sent by the prefetch thread.
struct PriorityUpdate {
  std::vector<uint64_t> keys;
  std::vector<double> priorities;
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
  AlgorithmSpec algo;
  EnvSpec spec;
  std::unique_ptr<LearnerAlgorithm> algorithm;
  // Evaluations and videos, on a thread of their own (null when neither is configured).
  std::unique_ptr<Evaluator> evaluator;
  int64_t videos = 0;  // videos submitted by this incarnation
  WeightsPublisher weights;
  ActorStatsReceiver stats;

  // Prefetch thread and its hand-offs.
  BoundedQueue<ReadyBatch> ready;
  BoundedQueue<PriorityUpdate> priority_updates;
  // Trained batches, handed back so that the prefetch thread, which allocated them, frees them:
  // frees across threads contend in the allocator and slow the update.
  BoundedQueue<std::unique_ptr<PreparedBatch>> spent;
  std::atomic<bool> prefetch_stop{false};
  std::thread prefetch_thread;
  std::mutex prefetch_error_mutex;
  std::string prefetch_error;
  std::atomic<int64_t> malformed_items{0};
  std::atomic<int64_t> unknown_keys{0};  // priority updates of keys evicted meanwhile
  // The sample client's error replies (their requests dropped) and unusable replies.
  std::atomic<int64_t> sample_error_replies{0};
  int64_t nonfinite_updates = 0;         // updates whose optimizer steps were (partly) skipped
  int64_t dropped_priority_updates = 0;  // batches whose priorities did not match their items
  int32_t nonfinite_in_a_row = 0;

  // Counters (persisted in checkpoints).
  int64_t consumed_frames = 0;
  double wall_seconds_before = 0.0;  // from earlier segments of a resumed run
  int64_t evaluations = 0;           // submitted (the index of the next one: its env seeds)
  double eval_mean_return = std::numeric_limits<double>::quiet_NaN();
  int64_t eval_updates = -1;         // update count of the latest evaluation submitted
  bool reached_stop_return = false;  // this incarnation's evaluation reached stop_eval_return

  // Rates since the last metrics row.
  Stopwatch wall;
  Stopwatch since_metrics;
  Stopwatch since_checkpoint;
  int64_t metrics_budget_steps = 0;
  int64_t metrics_updates = 0;
  double lag_sum = 0.0;
  int64_t lag_count = 0;
  std::vector<double> last_metrics;
  std::unique_ptr<EventFileWriter> events;  // TensorBoard, next to metrics.csv

  Impl(const RunConfig& c, const std::string& dir, const AlgorithmSpec& a, const EnvSpec& s)
      : config(c),
        run_dir(dir),
        algo(a),
        spec(s),
        algorithm(a.make_learner(c, s, ResolveDevice(c.learner.device).str())),
        weights(algorithm->published_module(), c.cluster.weights_endpoint),
        stats(c.cluster.stats_endpoint, c.cluster.num_actors,
              (fs::path(dir) / "episodes.csv").string(), c.learner.deterministic),
        ready(static_cast<size_t>(c.learner.prefetch)),
        priority_updates(static_cast<size_t>(c.learner.prefetch) + 2),
        spent(static_cast<size_t>(c.learner.prefetch) + 2),
        last_metrics(algorithm->metric_names().size(), 0.0) {
    if (c.learner.eval_interval_updates > 0 || c.learner.video_interval_updates > 0) {
      GreedyPolicy policy;
      try {
        algorithm->DescribeGreedyPolicy(&policy);
      } catch (const std::logic_error& e) {
        throw std::invalid_argument(
            "learner.eval_interval_updates and video_interval_updates "
            "need a greedy policy; learner.algo " +
            a.name + ": " + e.what());
      }
      EvaluatorOptions options;
      options.env = c.env;
      options.seed = c.seed;
      options.eval_episodes = c.learner.eval_episodes;
      options.videos_dir = (fs::path(dir) / "videos").string();
      evaluator = std::make_unique<Evaluator>(options);
    }
  }

  bool replay_memory() const { return algo.replay == ReplayKind::kReplayMemory; }
  // A uniform replay memory ignores priorities: none are sent.
  bool sends_priorities() const {
    return replay_memory() && config.replay.sampler == "prioritized";
  }
  int64_t updates() const { return algorithm->num_updates(); }
  // What learner.total_env_steps counts.
  int64_t budget_steps() const {
    return algo.budget == StepBudget::kConsumedFrames ? consumed_frames : stats.actor_env_steps;
  }
  bool BudgetReached() const { return budget_steps() >= config.learner.total_env_steps; }

  // The run's end on its own terms: the env-step budget, or an evaluation that reached
  // learner.stop_eval_return.
  bool Done() const { return BudgetReached() || reached_stop_return; }

  SampleClientOptions ClientOptions() const {
    SampleClientOptions options;
    options.endpoints = config.cluster.shard_endpoints;
    options.table = config.replay.table;
    options.prefetch = config.learner.prefetch;
    options.max_message_bytes = config.replay.max_message_bytes;
    options.seed = DeriveSeed(config.seed, "learner_sample", 0);
    // A queue shard serves at most its max_size per reply: a batch above that is gathered from
    // several shards (run_config.cc allows batch_size <= max_size * num_shards).
    if (!replay_memory()) options.max_request_items = config.replay.max_size;
    // A replay memory over several shards keeps the run's sample-to-insert ratio
    // (replay/run_tables.h): every request carries the sums of all shards' counts.
    options.global_rate_limit =
        replay_memory() && config.cluster.num_shards > 1 && config.replay.samples_per_insert > 0;
    return options;
  }

  // The client's error replies (their requests dropped) and unusable replies, for status.json.
  void NoteSampleErrors(const SampleClient& client) {
    sample_error_replies = client.error_replies() + client.malformed_replies();
  }

  // Prefetch thread: sends the queued priority updates (in order) without waiting for their
  // acks, takes the acks that came back (waiting only while more than
  // kMaxUnackedPriorityUpdates are out), and frees the trained batches.
  void SendPriorityUpdates(SampleClient& client) {
    while (std::optional<PriorityUpdate> update =
               priority_updates.Pop(std::chrono::milliseconds(0))) {
      client.SendPriorityUpdates(update->keys, update->priorities, kPriorityTimeoutMs);
    }
    unknown_keys += client.CollectPriorityAcks(kMaxUnackedPriorityUpdates, kPriorityTimeoutMs);
    NoteSampleErrors(client);
    while (spent.Pop(std::chrono::milliseconds(0))) {
    }
  }

  void CountMalformed(const std::string& why) {
    if (malformed_items.fetch_add(1) == 0 || malformed_items.load() % 1000 == 0) {
      RLF_LOG(Warning) << "dropping a sampled item (" << malformed_items.load()
                       << " so far): " << why;
    }
  }

  // Decodes and checks item i of `sampled` into `items`; returns its frames and policy version,
  // or nothing for a bad item.
  std::optional<std::pair<int64_t, int64_t>> TakeItem(const SampledBatch& sampled, size_t i,
                                                      SampledItems* items) {
    const SampledBatch::Item item = sampled.item(i);
    try {
      std::string problem;
      if (algo.items == ItemKind::kUnroll) {
        Unroll u = DecodeUnroll(item.data, item.size);
        problem = CheckItem(u, spec);
        if (problem.empty()) {
          const std::pair<int64_t, int64_t> info{u.length, u.policy_version};
          items->unrolls.push_back(std::move(u));
          return info;
        }
      } else {
        Transition t = DecodeTransition(item.data, item.size);
        problem = CheckItem(t, spec);
        if (problem.empty()) {
          const std::pair<int64_t, int64_t> info{1, t.policy_version};
          items->transitions.push_back(std::move(t));
          return info;
        }
      }
      CountMalformed(problem);
    } catch (const DecodeError& e) {
      CountMalformed(e.what());
    }
    return std::nullopt;
  }

  // Checks and prepares items [begin, end) of a sampled reply as one batch; bad items of a
  // replay memory get priority 0 (never drawn again). Importance weights are divided by their
  // maximum over the batch's good items (w_i = (N·P(i))^−β / max_j w_j, Schaul et al. 2016), so
  // each of several batches from one reply is normalised as if drawn alone. False when nothing
  // usable is left.
  bool BuildBatch(const SampledBatch& sampled, size_t begin, size_t end, SampleClient& client,
                  ReadyBatch* out) {
    SampledItems items;
    ReadyBatch& next = *out;
    PriorityUpdate rejected;
    double version_sum = 0.0;
    for (size_t i = begin; i < end; ++i) {
      const auto info = TakeItem(sampled, i, &items);
      if (!info) {
        rejected.keys.push_back(sampled.key(i));
        rejected.priorities.push_back(0.0);
        continue;
      }
      next.frames += info->first;
      version_sum += static_cast<double>(info->second);
      if (replay_memory()) {
        next.keys.push_back(sampled.key(i));
        items.importance_weights.push_back(sampled.importance_weight(i));
      }
    }
    if (sends_priorities() && !rejected.keys.empty()) {
      unknown_keys +=
          client.UpdatePriorities(rejected.keys, rejected.priorities, kPriorityTimeoutMs);
    }
    const size_t count = items.unrolls.size() + items.transitions.size();
    if (count == 0) return false;
    if (!items.importance_weights.empty()) {
      const double max_weight =
          *std::max_element(items.importance_weights.begin(), items.importance_weights.end());
      if (max_weight > 0.0) {
        for (double& w : items.importance_weights) w /= max_weight;
      }
    }
    next.mean_policy_version = version_sum / static_cast<double>(count);
    try {
      next.batch = algorithm->Prepare(std::move(items));
    } catch (const std::invalid_argument& e) {
      malformed_items += static_cast<int64_t>(count);
      RLF_LOG(Warning) << "dropping a batch of items that do not fit together: " << e.what();
      return false;
    }
    return true;
  }

  // The prefetch thread: alternately sends the priorities of trained batches and samples,
  // checks and prepares the next batch, so that the train thread never waits on the network.
  void PrefetchLoop() {
    try {
      SampleClient client(ClientOptions(), &prefetch_stop);
      const size_t batch = static_cast<size_t>(config.learner.batch_size);
      // learner.batches_per_sample batches per request (always 1 with a queue: registry.cc).
      const size_t per_request = batch * static_cast<size_t>(config.learner.batches_per_sample);
      while (!prefetch_stop.load()) {
        SendPriorityUpdates(client);
        SampledBatch sampled;
        const bool got = replay_memory()
                             ? client.SamplePrioritized(per_request, kPollSlice.count(), &sampled)
                             : client.Sample(per_request, kPollSlice.count(), &sampled);
        NoteSampleErrors(client);
        if (!got) continue;
        for (size_t begin = 0; begin < sampled.size() && !prefetch_stop.load(); begin += batch) {
          ReadyBatch next;
          if (!BuildBatch(sampled, begin, std::min(begin + batch, sampled.size()), client, &next)) {
            continue;
          }
          // While `ready` is full the learner is training: keep its priorities flowing.
          while (!prefetch_stop.load() && !ready.Push(std::move(next), kHandOffSlice)) {
            SendPriorityUpdates(client);
          }
        }
      }
    } catch (const StoppedError&) {
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lock(prefetch_error_mutex);
      prefetch_error = e.what();
    }
    ready.Close();
  }

  std::string PrefetchError() {
    std::lock_guard<std::mutex> lock(prefetch_error_mutex);
    return prefetch_error;
  }
  void ThrowIfPrefetchFailed() {
    const std::string error = PrefetchError();
    if (!error.empty()) throw std::runtime_error("learner prefetch failed: " + error);
  }

  void Publish(int64_t round = -1, int32_t turn = -1) {
    weights.Publish(algorithm->published_module(), updates(), round, turn);
  }

  // learner.deterministic (the rounds of RunConfig::learner.deterministic): no prefetch
  // thread. Round r: the weights of round r go out with turn 0; actor j inserts its round's
  // items only on its turn and reports when they are acked, which gives the turn to actor
  // j + 1, so items enter the table in actor order. After the last report the train thread
  // applies the round's stats in actor order, samples and
  // updates while a rate limiter with the shard's options and its current counts allows a
  // batch (so no request is ever held back by the shard), sending priorities synchronously, and
  // publishes the weights of round r + 1. Between rounds nothing else reaches the shard, so what
  // is sampled depends on the seed alone. Returns whether the budget was reached.
  bool RunRounds(const std::atomic<bool>& stop) {
    at::set_num_threads(1);
    at::globalContext().setDeterministicAlgorithms(true, /*warn_only=*/true);
    SampleClientOptions options = ClientOptions();
    options.prefetch = 1;  // one request per call: none is sent ahead of its round
    SampleClient client(options, &stop);
    const TableOptions table = RunTables(config, replay_memory()).at(0);
    const int32_t batch = config.learner.batch_size;
    const int32_t actors = config.cluster.num_actors;
    int64_t round = 0;
    int32_t turn = 0;
    bool completed = Done();
    Publish(round, turn);
    Stopwatch waiting;
    while (!stop.load() && !completed) {
      // 1. Each actor's items of this round, in turn, acked by the shard.
      const double now = wall_seconds_before + wall.Seconds();
      if (turn < actors) {
        if (stats.HasRoundReport(round, static_cast<uint32_t>(turn), now)) {
          ++turn;
          if (turn < actors) Publish(round, turn);
          waiting.Reset();
          continue;
        }
        if (weights.SecondsSincePublish() > 0.5) Publish(round, turn);  // late subscribers
        if (waiting.Seconds() > 10.0) {
          RLF_LOG(Info) << "round " << round << ": waiting for actor " << turn << "'s report";
          waiting.Reset();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        continue;
      }
      if (!stats.ApplyRound(round, now)) throw std::logic_error("a round without its reports");
      completed = Done();
      // 2. Updates while the rate limiter lets a whole batch through.
      const ShardStats info = client.Info(0, kPriorityTimeoutMs);
      const TableStats* counts = nullptr;
      for (const TableStats& t : info.tables) {
        if (t.name == table.name) counts = &t;
      }
      if (counts == nullptr) throw std::runtime_error("the shard has no table " + table.name);
      RateLimiter limiter(table.rate_limiter);
      limiter.OnInsert(counts->rate_limiter.inserts);
      limiter.OnSample(counts->rate_limiter.samples);
      limiter.OnDelete(counts->rate_limiter.deletes);
      while (!stop.load() && !completed && limiter.CanSample(batch)) {
        SampledBatch sampled;
        const int64_t refusals = client.error_replies() + client.overloaded_replies();
        const bool got = replay_memory()
                             ? client.SamplePrioritized(batch, kPriorityTimeoutMs, &sampled)
                             : client.Sample(batch, kPriorityTimeoutMs, &sampled);
        if (!got && client.error_replies() + client.overloaded_replies() > refusals) {
          // Refused (counted and logged by the client): nothing was drawn, so asking again
          // keeps the run deterministic.
          NoteSampleErrors(client);
          continue;
        }
        if (!got) {
          // A sample that timed out may have drawn items whose reply was lost: the rounds
          // could no longer be replayed exactly.
          throw std::runtime_error("round " + std::to_string(round) +
                                   ": the shard did not answer a sample its rate limiter allows");
        }
        limiter.OnSample(static_cast<int64_t>(sampled.size()));
        if (!replay_memory()) limiter.OnDelete(static_cast<int64_t>(sampled.size()));
        ReadyBatch next;
        if (!BuildBatch(sampled, 0, sampled.size(), client, &next)) continue;
        Train(next, stop, &client);
        EvaluateIfDue();
        completed = Done();
      }
      // 3. The weights of the next round; one metrics row per round.
      NoteSampleErrors(client);
      ++round;
      turn = 0;
      Publish(round, turn);
      WriteMetrics();
      if (since_checkpoint.Seconds() >= config.learner.checkpoint_interval_seconds) Checkpoint();
    }
    return completed;
  }

  // The train loop with the prefetch thread; returns whether the budget was reached.
  bool RunPrefetched(const std::atomic<bool>& stop) {
    prefetch_thread = std::thread([this] { PrefetchLoop(); });
    Publish();
    bool completed = Done();
    Stopwatch waiting;
    while (!stop.load() && !completed) {
      DrainStats();
      ApplyEvaluations();
      completed = Done();
      if (completed) break;
      std::optional<ReadyBatch> next = ready.Pop(kPollSlice);
      if (!next) {
        ThrowIfPrefetchFailed();
        if (weights.SecondsSincePublish() > 1.0) Publish();
        if (waiting.Seconds() > 10.0) {
          RLF_LOG(Info) << "waiting for data from the replay shards";
          waiting.Reset();
        }
      } else {
        waiting.Reset();
        Train(*next, stop);
        if (updates() % config.learner.publish_interval == 0) Publish();
        EvaluateIfDue();
        completed = Done();
      }
      if (since_metrics.Seconds() >= config.learner.metrics_interval_seconds) WriteMetrics();
      if (since_checkpoint.Seconds() >= config.learner.checkpoint_interval_seconds) Checkpoint();
    }
    prefetch_stop = true;
    ready.Close();
    prefetch_thread.join();
    DrainStats();
    return completed;
  }

  void DrainStats() { stats.Drain(wall_seconds_before + wall.Seconds()); }

  // A greedy evaluation every learner.eval_interval_updates updates and a video every
  // learner.video_interval_updates, handed to the evaluator's thread; in learner.deterministic
  // runs the train thread waits for them, so that when an evaluation ends the run does not
  // depend on timing.
  void EvaluateIfDue() {
    if (config.learner.eval_interval_updates > 0 &&
        updates() % config.learner.eval_interval_updates == 0) {
      SubmitEvaluation();
    }
    if (config.learner.video_interval_updates > 0 &&
        updates() % config.learner.video_interval_updates == 0) {
      evaluator->SubmitVideo(*algorithm, videos++, updates());
    }
    if (config.learner.deterministic && evaluator != nullptr) {
      evaluator->WaitIdle();
      ApplyEvaluations();
    }
  }

  void SubmitEvaluation() {
    evaluator->SubmitEvaluation(*algorithm, evaluations++, updates(), budget_steps());
    eval_updates = updates();
  }

  // Takes the evaluations that finished: the latest with a result becomes eval_mean_return (an
  // evaluation whose every episode failed leaves the previous one standing), each is a row of
  // evaluations.csv, and one that reaches learner.stop_eval_return ends the run (the
  // evaluations of later weights that were already under way are then left out).
  void ApplyEvaluations() {
    if (evaluator == nullptr) return;
    for (const EvaluationResult& r : evaluator->TakeResults()) {
      if (r.episodes == 0 || reached_stop_return) continue;
      eval_mean_return = r.mean_return;
      RLF_LOG(Info) << "evaluation at " << r.updates << " updates (" << r.env_steps
                    << " env steps): mean return " << r.mean_return << " over " << r.episodes
                    << " episodes in " << std::setprecision(3) << r.seconds << " s";
      const fs::path csv = run_dir / "evaluations.csv";
      std::ostringstream row;
      if (!fs::exists(csv)) row << "updates,env_steps,mean_return,episodes,steps,seconds\n";
      row << std::setprecision(8) << r.updates << ',' << r.env_steps << ',' << r.mean_return << ','
          << r.episodes << ',' << r.steps << ',' << r.seconds << '\n';
      AppendToFile(csv.string(), row.str());
      if (std::isfinite(config.learner.stop_eval_return) &&
          r.mean_return >= config.learner.stop_eval_return && !reached_stop_return) {
        reached_stop_return = true;
        RLF_LOG(Info) << "the evaluation reached learner.stop_eval_return "
                      << config.learner.stop_eval_return << " at " << r.env_steps
                      << " env steps: the run ends";
      }
    }
  }

  // Counts an update whose loss or gradients were not finite (its optimizer steps were skipped,
  // so no parameter changed for them); throws when learner.max_nonfinite_updates come in a row.
  void CountNonFinite(const UpdateResult& result) {
    if (result.skipped_steps == 0) {
      nonfinite_in_a_row = 0;
      return;
    }
    ++nonfinite_updates;
    ++nonfinite_in_a_row;
    if (nonfinite_in_a_row >= config.learner.max_nonfinite_updates) {
      throw std::runtime_error(
          "update " + std::to_string(updates()) + ": the loss or gradient norm was not finite in " +
          std::to_string(nonfinite_in_a_row) + " updates in a row (learner.max_nonfinite_updates)");
    }
    if (nonfinite_updates % 100 == 1) {
      RLF_LOG(Warning) << "update " << updates() << ": the loss or gradient norm is not finite; "
                       << "its optimizer steps were skipped (" << nonfinite_updates << " so far)";
    }
  }

  // One update on a ready batch; its priorities go to the prefetch thread, or with `sync_client`
  // (learner.deterministic) straight to the shard, acked before the next sample.
  void Train(ReadyBatch& next, const std::atomic<bool>& stop, SampleClient* sync_client = nullptr) {
    lag_sum += static_cast<double>(updates()) - next.mean_policy_version;
    lag_count += 1;
    algorithm->SetProgress(std::min(1.0, static_cast<double>(budget_steps()) /
                                             static_cast<double>(config.learner.total_env_steps)));
    UpdateResult result = algorithm->Update(*next.batch);
    CountNonFinite(result);
    // When the queue is full (the prefetch thread is busy), the batch is freed here instead.
    spent.Push(std::move(next.batch), std::chrono::milliseconds(0));
    last_metrics = std::move(result.metrics);
    consumed_frames += next.frames;
    if (!sends_priorities()) return;
    if (result.priorities.size() != next.keys.size()) {
      // The algorithm returned no priority (or not one per item): the items keep theirs.
      ++dropped_priority_updates;
      if (ShouldLogCount(dropped_priority_updates)) {
        RLF_LOG(Warning) << "update " << updates() << ": " << result.priorities.size()
                         << " priorities for " << next.keys.size() << " sampled items; not sent ("
                         << dropped_priority_updates << " batches so far)";
      }
      return;
    }
    if (sync_client != nullptr) {
      unknown_keys +=
          sync_client->UpdatePriorities(next.keys, result.priorities, kPriorityTimeoutMs);
    } else {
      PriorityUpdate update{std::move(next.keys), std::move(result.priorities)};
      // The prefetch thread takes one update per batch it samples, so this waits only while
      // that thread is itself waiting on a shard.
      while (!stop.load() && !priority_updates.Push(std::move(update), kPollSlice)) {
        ThrowIfPrefetchFailed();
      }
    }
  }

  // Process restarts so far: the local launcher's restarts.json ("total") plus what each role's
  // own supervisor (`rlfleet worker --supervise`) wrote to restarts/<role>.json ("restarts").
  int64_t Restarts() const {
    int64_t total = 0;
    auto add = [&total](const fs::path& path, const char* key) {
      try {
        total += nlohmann::json::parse(ReadFile(path.string())).at(key).get<int64_t>();
      } catch (const std::exception& e) {
        RLF_LOG(Warning) << "cannot read " << path << ": " << e.what();
      }
    };
    if (fs::exists(run_dir / "restarts.json")) add(run_dir / "restarts.json", "total");
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(run_dir / "restarts", error)) {
      if (entry.path().extension() == ".json") add(entry.path(), "restarts");
    }
    return total;
  }

  nlohmann::json StatusJson() {
    const double elapsed = std::max(since_metrics.Seconds(), 1e-9);
    nlohmann::json status;
    status["algo"] = algo.name;
    status["wall_seconds"] = wall_seconds_before + wall.Seconds();
    // The launcher's progress line reads env_steps against total_env_steps.
    status["env_steps"] = budget_steps();
    status["consumed_frames"] = consumed_frames;
    status["actor_env_steps"] = stats.actor_env_steps;
    status["total_env_steps"] = config.learner.total_env_steps;
    status["updates"] = updates();
    status["fps"] = static_cast<double>(budget_steps() - metrics_budget_steps) / elapsed;
    status["updates_per_second"] = static_cast<double>(updates() - metrics_updates) / elapsed;
    status["mean_return"] = NanToZero(stats.recent_returns.Mean());
    status["episodes"] = stats.episodes;
    status["policy_lag"] = lag_count > 0 ? lag_sum / static_cast<double>(lag_count) : 0.0;
    status["eval_mean_return"] = NanToZero(eval_mean_return);
    status["malformed_items"] = malformed_items.load();
    status["video_failures"] = evaluator != nullptr ? evaluator->video_failures() : 0;
    status["skipped_evaluations"] = evaluator != nullptr ? evaluator->skipped_evaluations() : 0;
    status["restarts"] = Restarts();
    status["nonfinite_updates"] = nonfinite_updates;
    status["rejected_stats"] = stats.rejected_messages;
    status["rejected_weights"] = stats.rejected_weights;
    status["sample_error_replies"] = sample_error_replies.load();
    AddEnvFaults(&status);
    return status;
  }

  // The actors' environment faults (envs/vector_env.h) and insert retries and failures
  // (replay/insert_client.h), under the names summary.json uses.
  void AddEnvFaults(nlohmann::json* json) const {
    const EnvFaultCounters& f = stats.env_faults;
    (*json)["env_dropped_episodes"] = f.dropped_episodes;
    (*json)["env_errors"] = f.env_errors;
    (*json)["env_nonfinite_observations"] = f.nonfinite_observations;
    (*json)["env_worker_restarts"] = f.worker_restarts;
    (*json)["env_worker_timeouts"] = f.worker_timeouts;
    (*json)["insert_retries"] = stats.insert_retries;
    (*json)["insert_failures"] = stats.insert_failures;
  }

  // The metrics row as TensorBoard scalars at env step budget_steps(), under the names CleanRL
  // and Sample Factory use (charts/episodic_return, charts/SPS, losses/<algorithm metric>).
  void WriteEvents(const nlohmann::json& status) {
    if (events == nullptr) events = std::make_unique<EventFileWriter>(run_dir.string());
    std::vector<std::pair<std::string, double>> scalars = {
        {"charts/episodic_return", status["mean_return"].get<double>()},
        {"charts/SPS", status["fps"].get<double>()},
        {"charts/updates_per_second", status["updates_per_second"].get<double>()},
        {"charts/policy_lag", status["policy_lag"].get<double>()},
        {"charts/episodes", static_cast<double>(stats.episodes)},
        {"charts/updates", static_cast<double>(updates())},
        {"counters/malformed_items", static_cast<double>(malformed_items.load())},
        {"counters/nonfinite_updates", static_cast<double>(nonfinite_updates)},
        {"counters/rejected_stats", static_cast<double>(stats.rejected_messages)},
        {"counters/rejected_weights", static_cast<double>(stats.rejected_weights)},
        {"counters/env_dropped_episodes", static_cast<double>(stats.env_faults.dropped_episodes)},
        {"counters/env_worker_restarts", static_cast<double>(stats.env_faults.worker_restarts)},
        {"counters/insert_retries", static_cast<double>(stats.insert_retries)},
        {"counters/insert_failures", static_cast<double>(stats.insert_failures)},
        {"counters/sample_error_replies", static_cast<double>(sample_error_replies.load())}};
    // Replay ratio: frames the learner consumed per env step the actors took.
    if (stats.actor_env_steps > 0) {
      scalars.emplace_back("charts/replay_ratio", static_cast<double>(consumed_frames) /
                                                      static_cast<double>(stats.actor_env_steps));
    }
    if (!std::isnan(eval_mean_return)) scalars.emplace_back("charts/eval_return", eval_mean_return);
    const std::vector<std::string>& names = algorithm->metric_names();
    for (size_t i = 0; i < names.size() && i < last_metrics.size(); ++i) {
      scalars.emplace_back("losses/" + names[i], last_metrics[i]);
    }
    events->WriteScalars(budget_steps(), UnixSeconds(), scalars);
  }

  void WriteMetrics() {
    const nlohmann::json status = StatusJson();
    const fs::path metrics = run_dir / "metrics.csv";
    std::ostringstream row;
    if (!fs::exists(metrics)) {
      row << "wall_seconds,env_steps,consumed_frames,actor_env_steps,updates,fps,"
             "updates_per_second,mean_return_100,episodes,policy_lag,eval_mean_return,"
             "malformed_items,unknown_key_updates,nonfinite_updates,rejected_stats,"
             "rejected_weights";
      for (const std::string& name : algorithm->metric_names()) row << ',' << name;
      row << '\n';
    }
    row << std::setprecision(6) << status["wall_seconds"].get<double>() << ',' << budget_steps()
        << ',' << consumed_frames << ',' << stats.actor_env_steps << ',' << updates() << ','
        << status["fps"].get<double>() << ',' << status["updates_per_second"].get<double>() << ','
        << status["mean_return"].get<double>() << ',' << stats.episodes << ','
        << status["policy_lag"].get<double>() << ',';
    if (!std::isnan(eval_mean_return)) row << eval_mean_return;
    row << ',' << malformed_items.load() << ',' << unknown_keys.load() << ',' << nonfinite_updates
        << ',' << stats.rejected_messages << ',' << stats.rejected_weights;
    for (double value : last_metrics) row << ',' << value;
    row << '\n';
    AppendToFile(metrics.string(), row.str());
    WriteEvents(status);
    WriteFileAtomic((run_dir / "status.json").string(), status.dump() + "\n");
    since_metrics.Reset();
    metrics_budget_steps = budget_steps();
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
    algorithm->SaveCheckpoint(temporary.string());
    nlohmann::json state;
    state["algo"] = algo.name;
    state["updates"] = updates();
    state["consumed_frames"] = consumed_frames;
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
    const nlohmann::json state =
        nlohmann::json::parse(ReadFile((fs::path(checkpoint) / "state.json").string()));
    const std::string saved_algo = state.value("algo", algo.name);
    if (saved_algo != algo.name) {
      throw std::runtime_error("checkpoint " + checkpoint + " is of learner.algo " + saved_algo +
                               ", the run uses " + algo.name);
    }
    algorithm->LoadCheckpoint(checkpoint);
    consumed_frames = state.value("consumed_frames", state.value("env_steps", int64_t{0}));
    evaluations = state.value("evaluations", int64_t{0});
    wall_seconds_before = state.at("wall_seconds").get<double>();
    stats.Restore(state.at("actor_env_steps").get<int64_t>(), state.at("episodes").get<int64_t>(),
                  state.at("recent_returns").get<std::vector<double>>());
    if (state.at("updates").get<int64_t>() != updates()) {
      throw std::runtime_error("checkpoint " + checkpoint + " is inconsistent: state.json says " +
                               std::to_string(state.at("updates").get<int64_t>()) +
                               " updates, the algorithm's files " + std::to_string(updates()));
    }
    RLF_LOG(Info) << "resumed from " << checkpoint << " at " << budget_steps() << " env steps, "
                  << updates() << " updates";
  }

  LearnerSummary WriteSummary(bool completed) {
    LearnerSummary summary;
    summary.env_steps = budget_steps();
    summary.consumed_frames = consumed_frames;
    summary.actor_env_steps = stats.actor_env_steps;
    summary.updates = updates();
    summary.episodes = stats.episodes;
    summary.wall_seconds = wall_seconds_before + wall.Seconds();
    summary.final_mean_return = stats.recent_returns.Mean();
    summary.malformed_items = malformed_items.load();
    summary.completed = completed;
    nlohmann::json json;
    json["algo"] = algo.name;
    json["env_id"] = config.env.id;
    json["env_steps"] = summary.env_steps;
    json["consumed_frames"] = summary.consumed_frames;
    json["actor_env_steps"] = summary.actor_env_steps;
    json["updates"] = summary.updates;
    json["episodes"] = summary.episodes;
    json["wall_seconds"] = summary.wall_seconds;
    json["final_mean_return_100"] = NanToZero(summary.final_mean_return);
    if (std::isnan(eval_mean_return)) {
      json["final_eval_mean_return"] = nullptr;
    } else {
      json["final_eval_mean_return"] = eval_mean_return;
    }
    json["malformed_items"] = summary.malformed_items;
    json["unknown_key_updates"] = unknown_keys.load();
    json["sample_error_replies"] = sample_error_replies.load();
    json["restarts"] = Restarts();
    json["nonfinite_updates"] = nonfinite_updates;
    json["dropped_priority_updates"] = dropped_priority_updates;
    json["rejected_stats"] = stats.rejected_messages;
    json["rejected_weights"] = stats.rejected_weights;
    AddEnvFaults(&json);
    json["completed"] = summary.completed;
    json["reached_stop_eval_return"] = reached_stop_return;
    WriteFileAtomic((run_dir / "summary.json").string(), json.dump(2) + "\n");
    return summary;
  }
};

Learner::Learner(const RunConfig& config, const std::string& run_dir, bool resume)
    : Learner(config, run_dir, resume, FindAlgorithm(config.learner.algo)) {}

Learner::Learner(const RunConfig& config, const std::string& run_dir, bool resume,
                 const AlgorithmSpec& algorithm) {
  config.Validate();
  const EnvSpec spec = MakeEnv(config.env)->spec();
  CheckRunFitsAlgorithm(algorithm, config, spec);
  fs::create_directories(fs::path(run_dir) / "checkpoints");
  at::set_num_threads(config.learner.intra_op_threads);
  impl_ = std::make_unique<Impl>(config, run_dir, algorithm, spec);
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

std::string Learner::weights_endpoint() const { return impl_->weights.endpoint(); }
std::string Learner::stats_endpoint() const { return impl_->stats.endpoint(); }

LearnerSummary Learner::Run(const std::atomic<bool>& stop) {
  Impl& s = *impl_;
  const bool completed = s.config.learner.deterministic ? s.RunRounds(stop) : s.RunPrefetched(stop);
  if (s.evaluator != nullptr) {
    s.evaluator->WaitIdle();
    s.ApplyEvaluations();
    // The final weights get an evaluation of their own, unless one reached stop_eval_return:
    // that one ended the run and stays its final evaluation.
    if (s.config.learner.eval_interval_updates > 0 && s.eval_updates != s.updates() &&
        !s.reached_stop_return) {
      s.SubmitEvaluation();
      s.evaluator->WaitIdle();
      s.ApplyEvaluations();
    }
  }
  s.WriteMetrics();
  s.Checkpoint();
  return s.WriteSummary(completed);
}

}  // namespace rlfleet
