#include "actors/apex_actor.h"

#include "actors/actor_channels.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "algorithms/dqn.h"
#include "algorithms/model_factory.h"
#include "algorithms/parameter_vector.h"
#include "algorithms/q_network.h"
#include "core/clock.h"
#include "core/epsilon_ladder.h"
#include "core/logging.h"
#include "core/nstep.h"
#include "core/random.h"
#include "envs/registry.h"
#include "envs/vector_env.h"
#include "replay/replay_client.h"
#include "transport/codec.h"
#include "transport/socket.h"

namespace rlfleet {
namespace {

// A priority of 0 would never be sampled again; keep every transition reachable.
constexpr double kMinPriority = 1e-6;

}  // namespace

struct ApexActor::Impl {
  RunConfig config;
  int32_t index;
  VectorEnv envs;
  QNetwork model;
  Rng rng;
  int32_t num_envs, obs_size;
  int64_t policy_version = 0;

  // Step buffers, one row per env.
  std::vector<float> observations, previous_observations, actions, rewards, final_observations;
  std::vector<uint8_t> terminated, truncated;
  std::vector<double> epsilons;
  std::vector<NStepBuilder> builders;
  std::vector<Transition> ready;  // complete transitions not yet inserted
  std::vector<double> episode_return;
  std::vector<int64_t> episode_length;

  WeightsSubscriber weights;
  StatsReporter reporter;

  Impl(const RunConfig& c, int32_t i)
      : config(c),
        index(i),
        envs(VectorEnvOptions{c.env.id, c.env.num_envs, DeriveSeed(c.seed, "actor_envs", i),
                              c.env.num_threads}),
        model(MakeQNetwork(c.model, c.apex.dueling,
                           ModelSpaces{envs.spec().observation_size, envs.spec().discrete_actions,
                                       envs.spec().num_actions, envs.spec().action_size},
                           c.seed)),
        rng(DeriveSeed(c.seed, "actor_actions", i)),
        num_envs(c.env.num_envs),
        obs_size(envs.spec().observation_size),
        weights(c.cluster.weights_endpoint, c.replay.max_message_bytes),
        reporter(c.cluster.stats_endpoint, static_cast<uint32_t>(i),
                 c.actor.stats_interval_seconds) {
    model->eval();
    const size_t rows = static_cast<size_t>(num_envs) * obs_size;
    observations.assign(rows, 0.0f);
    previous_observations.assign(rows, 0.0f);
    final_observations.assign(rows, 0.0f);
    actions.assign(num_envs, 0.0f);
    rewards.assign(num_envs, 0.0f);
    terminated.assign(num_envs, 0);
    truncated.assign(num_envs, 0);
    const int64_t total_envs = static_cast<int64_t>(c.cluster.num_actors) * num_envs;
    for (int32_t e = 0; e < num_envs; ++e) {
      epsilons.push_back(ApexEpsilon(static_cast<int64_t>(index) * num_envs + e, total_envs,
                                     c.apex.epsilon_base, c.apex.epsilon_alpha));
      builders.emplace_back(c.apex.n_step, c.learner.discount, obs_size);
    }
    episode_return.assign(num_envs, 0.0);
    episode_length.assign(num_envs, 0);
  }

  // Takes the newest weights waiting on the SUB socket, if any (never blocks).
  void MaybeUpdateWeights() {
    if (weights.MaybeLoad(*model)) policy_version = weights.version();
  }

  void MaybeSendStats(bool force) { reporter.MaybeSend(policy_version, force); }

  // One ε-greedy step of every env; complete transitions go to `ready`.
  void Step() {
    {
      torch::InferenceMode guard;
      const torch::Tensor q = model->forward(
          torch::from_blob(observations.data(), {num_envs, obs_size}, torch::kFloat32));
      EpsilonGreedyActions(q, epsilons.data(), rng, actions.data());
    }
    previous_observations = observations;
    envs.Step(actions.data(), observations.data(), rewards.data(), terminated.data(),
              truncated.data(), final_observations.data());
    for (int32_t e = 0; e < num_envs; ++e) {
      const size_t row = static_cast<size_t>(e) * obs_size;
      const bool ended = terminated[e] || truncated[e];
      const float* next = ended ? final_observations.data() + row : observations.data() + row;
      builders[e].Push(previous_observations.data() + row, actions[e], rewards[e],
                       terminated[e] != 0, truncated[e] != 0, next, &ready);
      episode_return[e] += rewards[e];
      episode_length[e] += 1;
      if (ended) {
        reporter.AddEpisode(episode_return[e], episode_length[e]);
        episode_return[e] = 0.0;
        episode_length[e] = 0;
      }
    }
    reporter.AddSteps(num_envs);
  }

  // Inserts the first `count` ready transitions with their initial priorities.
  void InsertReady(size_t count, InsertClient* inserter) {
    std::vector<Transition> chunk(std::make_move_iterator(ready.begin()),
                                  std::make_move_iterator(ready.begin() + count));
    ready.erase(ready.begin(), ready.begin() + count);
    std::vector<float> td;
    {
      torch::InferenceMode guard;
      td = InitialPriorities(model, BatchFromTransitions(chunk, {}), config.apex.double_dqn);
    }
    std::vector<std::string> items;
    std::vector<double> priorities;
    items.reserve(count);
    priorities.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      items.push_back(EncodeTransitions(&chunk[i], 1));
      const double p = static_cast<double>(td[i]);
      priorities.push_back(std::isfinite(p) ? std::max(p, kMinPriority) : 1.0);
    }
    inserter->Insert(items, priorities);
  }
};

ApexActor::ApexActor(const RunConfig& config, int32_t actor_index) {
  config.Validate();
  if (actor_index < 0 || actor_index >= config.cluster.num_actors) {
    throw std::invalid_argument("actor index " + std::to_string(actor_index) +
                                " out of range [0, cluster.num_actors)");
  }
  DiscreteActionEnvSpec(config.env.id, "learner.algo apex_dqn");  // a clear error first
  impl_ = std::make_unique<Impl>(config, actor_index);
}

ApexActor::~ApexActor() = default;

double ApexActor::epsilon(int32_t env) const { return impl_->epsilons.at(env); }

int64_t ApexActor::Run(const std::atomic<bool>& stop, int64_t max_env_steps) {
  Impl& s = *impl_;
  const RunConfig& c = s.config;
  InsertClientOptions insert_options;
  insert_options.endpoint = c.cluster.shard_endpoints.at(s.index % c.cluster.num_shards);
  insert_options.table = c.replay.table;
  insert_options.max_inflight = c.actor.max_inflight_inserts;
  insert_options.timeout_ms = c.actor.insert_timeout_ms;
  insert_options.max_message_bytes = c.replay.max_message_bytes;
  InsertClient inserter(insert_options, &stop);

  const size_t insert_batch = static_cast<size_t>(c.apex.insert_batch);
  s.envs.Reset(s.observations.data());
  int64_t env_steps = 0;
  int64_t frames_since_weights = 0;
  try {
    while (!stop.load() && (max_env_steps == 0 || env_steps < max_env_steps)) {
      if (frames_since_weights >= c.apex.weights_interval_frames) {
        s.MaybeUpdateWeights();
        frames_since_weights = 0;
      }
      s.Step();
      env_steps += s.num_envs;
      frames_since_weights += s.num_envs;
      while (s.ready.size() >= insert_batch) s.InsertReady(insert_batch, &inserter);
      s.MaybeSendStats(false);
    }
    if (!stop.load()) {
      if (!s.ready.empty()) s.InsertReady(s.ready.size(), &inserter);
      inserter.Flush();
    }
  } catch (const StoppedError&) {
    // Stop requested while waiting for the shard: a normal shutdown.
  }
  s.MaybeSendStats(true);
  return env_steps;
}

}  // namespace rlfleet
