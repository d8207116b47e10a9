#include "actors/actor.h"

#include <torch/nn/module.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "actors/actor_channels.h"
#include "algorithms/registry.h"
#include "core/clock.h"
#include "core/logging.h"
#include "core/random.h"
#include "envs/vector_env.h"
#include "pyenv/env_factory.h"
#include "replay/insert_client.h"
#include "transport/codec.h"

namespace rlfleet {

struct Actor::Impl {
  RunConfig config;
  int32_t index;
  std::unique_ptr<VectorEnv> envs;
  std::unique_ptr<ActorPolicy> policy;
  int32_t num_envs, obs_size, action_size;
  bool started = false;
  std::atomic<int64_t> total_env_steps{0};  // read by other threads (Actor::env_steps)
  std::atomic<int64_t> acting_version{-1};
  int64_t round = 0;  // learner.deterministic: the next round to act

  // Step buffers, one row per env. `observations` holds x_t; the step writes x_{t+1} into
  // `next_observations`, and the two swap.
  std::vector<float> observations, next_observations, actions, rewards, final_observations;
  std::vector<uint8_t> terminated, truncated, dropped;
  EnvFaultCounters faults_reported;  // what the stats messages carried so far
  int64_t insert_retries_reported = 0, insert_failures_reported = 0;  // the same
  std::vector<double> episode_return;
  std::vector<int64_t> episode_length;
  ActorOutput output;
  std::vector<std::string> encoded;

  std::unique_ptr<WeightsSubscriber> weights;  // checks messages against the policy's module
  StatsReporter reporter;

  Impl(const RunConfig& c, int32_t i, const AlgorithmSpec& algorithm)
      : config(c),
        index(i),
        envs(MakeVectorEnv(c.env, DeriveSeed(c.seed, "actor_envs", i))),
        num_envs(c.env.num_envs),
        obs_size(envs->spec().observation_size),
        action_size(envs->spec().action_size),
        reporter(c.cluster.stats_endpoint, static_cast<uint32_t>(i),
                 c.actor.stats_interval_seconds) {
    CheckRunFitsAlgorithm(algorithm, c, envs->spec());
    policy = algorithm.make_policy(c, envs->spec(), i);
    weights = std::make_unique<WeightsSubscriber>(c.cluster.weights_endpoint, policy->module());
    const size_t rows = static_cast<size_t>(num_envs) * obs_size;
    observations.assign(rows, 0.0f);
    next_observations.assign(rows, 0.0f);
    final_observations.assign(rows, 0.0f);
    actions.assign(static_cast<size_t>(num_envs) * action_size, 0.0f);
    rewards.assign(num_envs, 0.0f);
    terminated.assign(num_envs, 0);
    truncated.assign(num_envs, 0);
    dropped.assign(num_envs, 0);
    episode_return.assign(num_envs, 0.0);
    episode_length.assign(num_envs, 0);
  }

  // Waits up to actor.wait_for_weights_seconds (or until `stop`) for the learner's weights.
  void WaitForWeights(const std::atomic<bool>& stop) {
    const double limit = config.actor.wait_for_weights_seconds;
    if (limit <= 0) return;
    Stopwatch waited;
    while (!stop.load() && waited.Seconds() < limit) {
      if (weights->MaybeLoad(policy->module())) {
        policy->OnWeights(weights->version());
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!stop.load()) {
      RLF_LOG(Warning) << "no weights from the learner within " << limit
                       << " s (actor.wait_for_weights_seconds): acting with the initial ones";
    }
  }

  // One step of every env: act, step, record, count finished episodes. `take_weights`: load
  // newer weights first when the policy wants them (never within a deterministic round).
  void Step(bool take_weights = true) {
    if (take_weights && policy->WantsWeights() && weights->MaybeLoad(policy->module())) {
      policy->OnWeights(weights->version());
    }
    policy->Act(observations.data(), actions.data());
    envs->Step(actions.data(), next_observations.data(), rewards.data(), terminated.data(),
               truncated.data(), final_observations.data(), dropped.data());
    EnvStepView view;
    view.num_envs = num_envs;
    view.observations = observations.data();
    view.actions = actions.data();
    view.rewards = rewards.data();
    view.terminated = terminated.data();
    view.truncated = truncated.data();
    view.next_observations = next_observations.data();
    view.final_observations = final_observations.data();
    view.dropped = dropped.data();
    policy->Record(view, &output);
    for (int32_t e = 0; e < num_envs; ++e) {
      if (dropped[e]) {  // counted by the env; the episode's return is not reported
        episode_return[e] = 0.0;
        episode_length[e] = 0;
        continue;
      }
      episode_return[e] += rewards[e];
      episode_length[e] += 1;
      if (terminated[e] || truncated[e]) {
        reporter.AddEpisode(episode_return[e], episode_length[e]);
        episode_return[e] = 0.0;
        episode_length[e] = 0;
      }
    }
    reporter.AddSteps(num_envs);
    const EnvFaultCounters faults = envs->fault_counters();
    if (faults != faults_reported) {
      reporter.AddEnvFaults(faults - faults_reported);
      faults_reported = faults;
    }
    observations.swap(next_observations);
  }

  // learner.deterministic: round r = the weights of round r (waited for without a time limit),
  // actor.unroll_length steps of every env, every item acked, then the round's report. The
  // learner publishes round r + 1 only after every actor's report of round r, so what each
  // round inserts and acts with is fixed by the seed.
  int64_t RunRounds(InsertClient* inserter, const std::atomic<bool>& stop, int64_t max_env_steps) {
    int64_t env_steps = 0;
    try {
      while (!stop.load() && (max_env_steps == 0 || env_steps < max_env_steps)) {
        while (!stop.load() && weights->round() < round) {
          if (weights->MaybeLoad(policy->module())) {
            policy->OnWeights(weights->version());
          } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
          }
        }
        if (stop.load()) break;
        if (!started) {
          envs->Reset(observations.data());
          started = true;
        }
        acting_version.store(weights->version(), std::memory_order_relaxed);
        // The round's items stay in `output` until this actor's turn.
        for (int32_t t = 0; t < config.actor.unroll_length && !stop.load(); ++t) {
          Step(/*take_weights=*/false);
          env_steps += num_envs;
          total_env_steps.fetch_add(num_envs, std::memory_order_relaxed);
        }
        while (!stop.load() && (weights->round() == round && weights->turn() < index)) {
          if (!weights->MaybeLoad(policy->module())) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
          }
        }
        if (stop.load()) break;
        Send(inserter);
        inserter->Flush();
        ReportInsertCounts(*inserter);
        if (!reporter.SendRound(round, weights->version(), weights->rejected(), stop)) break;
        ++round;
      }
    } catch (const StoppedError&) {
      // Stop requested while waiting for the shard: a normal shutdown.
    }
    return env_steps;
  }

  // Encodes and inserts what the policy handed back (one request).
  void Send(InsertClient* inserter) {
    if (output.empty()) return;
    encoded.clear();
    for (const Unroll& u : output.unrolls) encoded.push_back(EncodeUnroll(u));
    for (const Transition& t : output.transitions) encoded.push_back(EncodeTransition(t));
    // The client keeps the items until the shard has taken them (it may send them again).
    inserter->Insert(std::move(encoded), std::move(output.priorities));
    encoded.clear();
    output.clear();
    ReportInsertCounts(*inserter);
  }

  // What the insert client retried or dropped since the last report goes to the learner.
  void ReportInsertCounts(const InsertClient& inserter) {
    const int64_t retries = inserter.retried_requests();
    const int64_t failures = inserter.failed_requests();
    if (retries == insert_retries_reported && failures == insert_failures_reported) return;
    reporter.AddInsertCounts(retries - insert_retries_reported,
                             failures - insert_failures_reported);
    insert_retries_reported = retries;
    insert_failures_reported = failures;
  }
};

Actor::Actor(const RunConfig& config, int32_t actor_index)
    : Actor(config, actor_index, FindAlgorithm(config.learner.algo)) {}

Actor::Actor(const RunConfig& config, int32_t actor_index, const AlgorithmSpec& algorithm) {
  config.Validate();
  if (actor_index < 0 || actor_index >= config.cluster.num_actors) {
    throw std::invalid_argument("actor index " + std::to_string(actor_index) +
                                " out of range [0, cluster.num_actors)");
  }
  impl_ = std::make_unique<Impl>(config, actor_index, algorithm);
}

Actor::~Actor() = default;

int64_t Actor::env_steps() const { return impl_->total_env_steps.load(); }
int64_t Actor::weights_version() const { return impl_->acting_version.load(); }

int64_t Actor::Run(const std::atomic<bool>& stop, int64_t max_env_steps) {
  Impl& s = *impl_;
  const RunConfig& c = s.config;
  InsertClientOptions insert_options;
  insert_options.endpoint = c.cluster.shard_endpoints.at(s.index % c.cluster.num_shards);
  insert_options.table = c.replay.table;
  insert_options.max_inflight = c.actor.max_inflight_inserts;
  insert_options.timeout_ms = c.actor.insert_timeout_ms;
  insert_options.max_message_bytes = c.replay.max_message_bytes;
  insert_options.seed = DeriveSeed(c.seed, "insert_retries", static_cast<uint64_t>(s.index));
  InsertClient inserter(insert_options, &stop);

  if (c.learner.deterministic) return s.RunRounds(&inserter, stop, max_env_steps);
  if (!s.started) {
    s.WaitForWeights(stop);
    s.envs->Reset(s.observations.data());
    s.started = true;
  }
  int64_t env_steps = 0;
  try {
    while (!stop.load() && (max_env_steps == 0 || env_steps < max_env_steps)) {
      s.Step();
      env_steps += s.num_envs;
      s.total_env_steps.fetch_add(s.num_envs, std::memory_order_relaxed);
      s.acting_version.store(s.weights->version(), std::memory_order_relaxed);
      s.Send(&inserter);
      s.reporter.MaybeSend(s.weights->version(), s.weights->rejected(), false);
    }
    if (!stop.load()) {
      s.policy->Flush(&s.output);
      s.Send(&inserter);
      inserter.Flush();
      s.ReportInsertCounts(inserter);
    }
  } catch (const StoppedError&) {
    // Stop requested while waiting for the shard: a normal shutdown.
  }
  s.reporter.MaybeSend(s.weights->version(), s.weights->rejected(), true);
  return env_steps;
}

}  // namespace rlfleet
