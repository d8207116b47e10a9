#include "actors/actor.h"

#include "actors/actor_channels.h"

#include <torch/torch.h>

#include <stdexcept>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "algorithms/actor_critic.h"
#include "algorithms/model_factory.h"
#include "algorithms/parameter_vector.h"
#include "core/clock.h"
#include "core/logging.h"
#include "core/random.h"
#include "core/unroll.h"
#include "envs/vector_env.h"
#include "replay/replay_client.h"
#include "transport/codec.h"
#include "transport/socket.h"

namespace rlfleet {

struct Actor::Impl {
  RunConfig config;
  int32_t index;
  VectorEnv envs;
  ActorCritic model;
  Rng rng;
  int32_t num_envs, obs_size, action_size, unroll_length;
  int64_t policy_version = 0;

  // Step buffers, one row per env.
  torch::Tensor observations;  // [M, D], written in place by VectorEnv::Step
  std::vector<float> actions, log_probs, rewards, final_observations;
  std::vector<uint8_t> terminated, truncated;
  std::vector<Unroll> unrolls;
  std::vector<double> episode_return;
  std::vector<int64_t> episode_length;

  // Finished episodes not yet reported to the learner.

  WeightsSubscriber weights;
  StatsReporter reporter;

  Impl(const RunConfig& c, int32_t i)
      : config(c),
        index(i),
        envs(VectorEnvOptions{c.env.id, c.env.num_envs, DeriveSeed(c.seed, "actor_envs", i),
                              c.env.num_threads}),
        model(
            MakeActorCritic(c.model,
                            ModelSpaces{envs.spec().observation_size, envs.spec().discrete_actions,
                                        envs.spec().num_actions, envs.spec().action_size},
                            c.seed)),
        rng(DeriveSeed(c.seed, "actor_actions", i)),
        num_envs(c.env.num_envs),
        obs_size(envs.spec().observation_size),
        action_size(envs.spec().action_size),
        unroll_length(c.actor.unroll_length),
        weights(c.cluster.weights_endpoint, c.replay.max_message_bytes),
        reporter(c.cluster.stats_endpoint, static_cast<uint32_t>(i),
                 c.actor.stats_interval_seconds) {
    model->eval();
    observations = torch::zeros({num_envs, obs_size});
    actions.assign(static_cast<size_t>(num_envs) * action_size, 0.0f);
    log_probs.assign(num_envs, 0.0f);
    rewards.assign(num_envs, 0.0f);
    final_observations.assign(static_cast<size_t>(num_envs) * obs_size, 0.0f);
    terminated.assign(num_envs, 0);
    truncated.assign(num_envs, 0);
    unrolls.resize(num_envs);
    episode_return.assign(num_envs, 0.0);
    episode_length.assign(num_envs, 0);
  }

  float* obs_data() { return observations.data_ptr<float>(); }

  void StartUnrolls() {
    for (int32_t e = 0; e < num_envs; ++e) {
      Unroll& u = unrolls[e];
      u.Resize(unroll_length, obs_size, action_size, envs.spec().discrete_actions);
      u.policy_version = policy_version;
      u.actor_index = static_cast<uint32_t>(index);
      u.env_index = static_cast<uint32_t>(e);
    }
  }

  // Takes the newest weights waiting on the SUB socket, if any (never blocks).
  void MaybeUpdateWeights() {
    if (weights.MaybeLoad(*model)) policy_version = weights.version();
  }

  void MaybeSendStats(bool force) { reporter.MaybeSend(policy_version, force); }

  // One step of every env; records it at row t of each env's unroll.
  void Step(int32_t t) {
    {
      torch::InferenceMode guard;
      PolicyOutput out = model->forward(observations);
      SampleActions(out, rng, actions.data(), log_probs.data());
    }
    const float* obs = obs_data();
    for (int32_t e = 0; e < num_envs; ++e) {
      Unroll& u = unrolls[e];
      std::copy_n(obs + static_cast<size_t>(e) * obs_size, obs_size,
                  u.observations.begin() + static_cast<size_t>(t) * obs_size);
      std::copy_n(actions.begin() + static_cast<size_t>(e) * action_size, action_size,
                  u.actions.begin() + static_cast<size_t>(t) * action_size);
      u.behaviour_log_probs[t] = log_probs[e];
    }
    envs.Step(actions.data(), obs_data(), rewards.data(), terminated.data(), truncated.data(),
              final_observations.data());
    for (int32_t e = 0; e < num_envs; ++e) {
      Unroll& u = unrolls[e];
      u.rewards[t] = rewards[e];
      u.terminated[t] = terminated[e];
      u.truncated[t] = truncated[e];
      if (truncated[e]) {
        const float* final_obs = final_observations.data() + static_cast<size_t>(e) * obs_size;
        u.truncation_observations.insert(u.truncation_observations.end(), final_obs,
                                         final_obs + obs_size);
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
  }

  std::vector<std::string> FinishUnrolls() {
    const float* obs = obs_data();
    std::vector<std::string> items;
    items.reserve(num_envs);
    for (int32_t e = 0; e < num_envs; ++e) {
      Unroll& u = unrolls[e];
      std::copy_n(obs + static_cast<size_t>(e) * obs_size, obs_size,
                  u.observations.begin() + static_cast<size_t>(unroll_length) * obs_size);
      items.push_back(EncodeUnroll(u));
    }
    return items;
  }
};

Actor::Actor(const RunConfig& config, int32_t actor_index) {
  config.Validate();
  if (actor_index < 0 || actor_index >= config.cluster.num_actors) {
    throw std::invalid_argument("actor index " + std::to_string(actor_index) +
                                " out of range [0, cluster.num_actors)");
  }
  impl_ = std::make_unique<Impl>(config, actor_index);
}

Actor::~Actor() = default;

int64_t Actor::Run(const std::atomic<bool>& stop, int64_t max_env_steps) {
  Impl& s = *impl_;
  const RunConfig& c = s.config;
  InsertClientOptions insert_options;
  insert_options.endpoint = c.cluster.shard_endpoints.at(s.index % c.cluster.num_shards);
  insert_options.table = c.replay.table;
  insert_options.max_inflight = c.actor.max_inflight_inserts;
  insert_options.timeout_ms = c.actor.insert_timeout_ms;
  insert_options.max_message_bytes = c.replay.max_message_bytes;
  InsertClient inserter(insert_options, &stop);

  s.envs.Reset(s.obs_data());
  int64_t env_steps = 0;
  try {
    while (!stop.load() && (max_env_steps == 0 || env_steps < max_env_steps)) {
      s.MaybeUpdateWeights();
      s.StartUnrolls();
      for (int32_t t = 0; t < s.unroll_length; ++t) s.Step(t);
      env_steps += static_cast<int64_t>(s.unroll_length) * s.num_envs;
      inserter.Insert(s.FinishUnrolls());
      s.MaybeSendStats(false);
    }
    if (!stop.load()) inserter.Flush();
  } catch (const StoppedError&) {
    // Stop requested while waiting for the shard: a normal shutdown.
  }
  s.MaybeSendStats(true);
  return env_steps;
}

}  // namespace rlfleet
