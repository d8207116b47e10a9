#include "core/run_config.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace rlfleet {
namespace {

template <typename T>
void Require(bool ok, const char* key, const char* what, const T& value) {
  if (!ok) {
    std::ostringstream message;
    message << key << " must be " << what << " (got " << value << ")";
    throw std::invalid_argument(message.str());
  }
}

bool IsLoopbackHost(const std::string& host) {
  return host.rfind("127.", 0) == 0 || host == "localhost" || host == "::1" || host == "[::1]";
}

// Without CURVE, every socket a run binds or connects over tcp stays on this machine: an open
// port on another interface would let anyone in.
void RequireLoopback(const char* key, const std::string& endpoint) {
  if (endpoint.rfind("tcp://", 0) != 0) return;
  const std::string address = endpoint.substr(6);
  const std::string host = address.substr(0, address.rfind(':'));
  Require(IsLoopbackHost(host), key,
          "on a loopback address (127.x.x.x, localhost or ::1) unless cluster.curve is true "
          "(peers then authenticate with the run's CURVE keys)",
          endpoint);
}

}  // namespace

void RunConfig::Validate() const {
  Require(!name.empty(), "name", "non-empty", "''");
  Require(env.num_envs > 0, "env.num_envs", "> 0", env.num_envs);
  Require(env.num_threads > 0 && env.num_threads <= env.num_envs, "env.num_threads",
          "in [1, env.num_envs]", env.num_threads);
  Require(env.plugin.empty() || env.python.empty(), "env.plugin",
          "empty when env.python is set (one source of environments)", env.plugin);
  if (!env.python.empty()) {
    const size_t colon = env.python.find(':');
    Require(colon != std::string::npos && colon > 0 && colon + 1 < env.python.size(), "env.python",
            "\"module:callable\"", env.python);
    Require(env.python_workers > 0 && env.python_workers <= env.num_envs, "env.python_workers",
            "in [1, env.num_envs]", env.python_workers);
    Require(!env.python_interpreter.empty(), "env.python_interpreter", "non-empty", "''");
    Require(env.python_timeout_seconds > 0, "env.python_timeout_seconds", "> 0",
            env.python_timeout_seconds);
    Require(env.python_start_timeout_seconds > 0, "env.python_start_timeout_seconds", "> 0",
            env.python_start_timeout_seconds);
  }
  Require(cluster.num_actors > 0, "cluster.num_actors", "> 0", cluster.num_actors);
  Require(cluster.num_shards > 0, "cluster.num_shards", "> 0", cluster.num_shards);
  if (learner.deterministic) {
    Require(cluster.num_shards == 1, "cluster.num_shards", "1 with learner.deterministic",
            cluster.num_shards);
    Require(learner.intra_op_threads == 1, "learner.intra_op_threads",
            "1 with learner.deterministic", learner.intra_op_threads);
    Require(env.num_threads == 1, "env.num_threads", "1 with learner.deterministic",
            env.num_threads);
    Require(learner.device == "cpu", "learner.device", "cpu with learner.deterministic",
            learner.device);
    Require(learner.batches_per_sample == 1, "learner.batches_per_sample",
            "1 with learner.deterministic", learner.batches_per_sample);
    // A round's unrolls must fit in the queue, or the actors wait for room the learner makes
    // only after their reports.
    Require(replay.sampler != "fifo" ||
                replay.max_size >= static_cast<int64_t>(cluster.num_actors) * env.num_envs,
            "replay.max_size", ">= cluster.num_actors * env.num_envs with learner.deterministic",
            replay.max_size);
  }
  Require(report.metric == "mean_return" || report.metric == "eval_return", "report.metric",
          "mean_return or eval_return", report.metric);
  Require(report.metric != "eval_return" || learner.eval_interval_updates > 0, "report.metric",
          "mean_return unless learner.eval_interval_updates > 0", report.metric);
  Require(cluster.actors_per_node >= 0, "cluster.actors_per_node", ">= 0", cluster.actors_per_node);
  Require(cluster.transport == "ipc" || cluster.transport == "tcp", "cluster.transport",
          "ipc or tcp", cluster.transport);
  Require(!cluster.bind_host.empty(), "cluster.bind_host", "not empty", cluster.bind_host);
  if (!cluster.curve) {
    RequireLoopback("cluster.bind_host", "tcp://" + cluster.bind_host + ":0");
    for (const std::string& endpoint : cluster.shard_endpoints) {
      RequireLoopback("cluster.shard_endpoints", endpoint);
    }
    RequireLoopback("cluster.weights_endpoint", cluster.weights_endpoint);
    RequireLoopback("cluster.stats_endpoint", cluster.stats_endpoint);
  }
  Require(cluster.rendezvous_timeout_seconds > 0, "cluster.rendezvous_timeout_seconds", "> 0",
          cluster.rendezvous_timeout_seconds);
  Require(cluster.shard_endpoints.empty() ||
              static_cast<int32_t>(cluster.shard_endpoints.size()) == cluster.num_shards,
          "cluster.shard_endpoints", "empty or one per shard", cluster.shard_endpoints.size());
  Require(cluster.max_restarts >= 0, "cluster.max_restarts", ">= 0", cluster.max_restarts);
  Require(cluster.restart_window_seconds > 0, "cluster.restart_window_seconds", "> 0",
          cluster.restart_window_seconds);
  Require(replay.checkpoint_interval_seconds >= 0, "replay.checkpoint_interval_seconds", ">= 0",
          replay.checkpoint_interval_seconds);
  Require(replay.max_pending_requests > 0, "replay.max_pending_requests", "> 0",
          replay.max_pending_requests);
  Require(cluster.shutdown_grace_seconds > 0, "cluster.shutdown_grace_seconds", "> 0",
          cluster.shutdown_grace_seconds);
  Require(!replay.table.empty(), "replay.table", "non-empty", "''");
  Require(
      replay.sampler == "fifo" || replay.sampler == "prioritized" || replay.sampler == "uniform",
      "replay.sampler", "fifo, prioritized or uniform", replay.sampler);
  Require(replay.priority_exponent >= 0, "replay.priority_exponent", ">= 0",
          replay.priority_exponent);
  Require(replay.importance_exponent >= 0 && replay.importance_exponent <= 1,
          "replay.importance_exponent", "in [0, 1]", replay.importance_exponent);
  Require(replay.min_size_to_sample >= 1, "replay.min_size_to_sample", ">= 1",
          replay.min_size_to_sample);
  Require(replay.samples_per_insert >= 0, "replay.samples_per_insert", ">= 0",
          replay.samples_per_insert);
  Require(replay.max_size > 0, "replay.max_size", "> 0", replay.max_size);
  Require(replay.max_message_bytes >= 1024, "replay.max_message_bytes", ">= 1024",
          replay.max_message_bytes);
  Require(actor.unroll_length > 0, "actor.unroll_length", "> 0", actor.unroll_length);
  Require(actor.max_inflight_inserts > 0, "actor.max_inflight_inserts", "> 0",
          actor.max_inflight_inserts);
  Require(actor.stats_interval_seconds > 0, "actor.stats_interval_seconds", "> 0",
          actor.stats_interval_seconds);
  Require(actor.insert_timeout_ms > 0, "actor.insert_timeout_ms", "> 0", actor.insert_timeout_ms);
  Require(actor.wait_for_weights_seconds >= 0, "actor.wait_for_weights_seconds", ">= 0",
          actor.wait_for_weights_seconds);
  Require(!model.hidden_sizes.empty(), "model.hidden_sizes", "non-empty", "[]");
  for (int64_t size : model.hidden_sizes) {
    Require(size > 0, "model.hidden_sizes", "all > 0", size);
  }
  Require(model.activation == "tanh" || model.activation == "relu", "model.activation",
          "tanh or relu", model.activation);
  Require(model.observation_clip > 0 && std::isfinite(model.observation_clip),
          "model.observation_clip", "finite and > 0", model.observation_clip);
  // learner.algo and the sampler it needs are checked by algorithms/registry.h.
  Require(!learner.algo.empty(), "learner.algo", "non-empty", learner.algo);
  Require(learner.device == "cpu" || learner.device == "cuda" || learner.device == "auto",
          "learner.device", "cpu, cuda or auto", learner.device);
  Require(learner.batch_size > 0, "learner.batch_size", "> 0", learner.batch_size);
  Require(learner.batch_size <= replay.max_size * cluster.num_shards, "learner.batch_size",
          "<= replay.max_size * cluster.num_shards", learner.batch_size);
  Require(learner.total_env_steps > 0, "learner.total_env_steps", "> 0", learner.total_env_steps);
  Require(learner.publish_interval > 0, "learner.publish_interval", "> 0",
          learner.publish_interval);
  Require(learner.prefetch > 0, "learner.prefetch", "> 0", learner.prefetch);
  Require(learner.batches_per_sample > 0 && learner.batches_per_sample <= 64,
          "learner.batches_per_sample", "in [1, 64]", learner.batches_per_sample);
  Require(learner.intra_op_threads > 0, "learner.intra_op_threads", "> 0",
          learner.intra_op_threads);
  Require(learner.discount >= 0 && learner.discount <= 1, "learner.discount", "in [0, 1]",
          learner.discount);
  Require(learner.learning_rate > 0, "learner.learning_rate", "> 0", learner.learning_rate);
  Require(learner.adam_eps > 0, "learner.adam_eps", "> 0", learner.adam_eps);
  Require(learner.max_grad_norm > 0, "learner.max_grad_norm", "> 0", learner.max_grad_norm);
  Require(learner.baseline_cost >= 0, "learner.baseline_cost", ">= 0", learner.baseline_cost);
  Require(learner.entropy_cost >= 0, "learner.entropy_cost", ">= 0", learner.entropy_cost);
  Require(learner.rho_bar > 0, "learner.rho_bar", "> 0", learner.rho_bar);
  Require(learner.c_bar > 0, "learner.c_bar", "> 0", learner.c_bar);
  Require(learner.pg_rho_bar > 0, "learner.pg_rho_bar", "> 0", learner.pg_rho_bar);
  Require(learner.lambda > 0 && learner.lambda <= 1, "learner.lambda", "in (0, 1]", learner.lambda);
  Require(learner.loss == "vtrace" || learner.loss == "appo", "learner.loss", "vtrace or appo",
          learner.loss);
  Require(learner.ppo_clip > 0 && std::isfinite(learner.ppo_clip), "learner.ppo_clip",
          "finite and > 0", learner.ppo_clip);
  Require(learner.value_clip >= 0 && std::isfinite(learner.value_clip), "learner.value_clip",
          "finite and >= 0", learner.value_clip);
  Require(learner.epochs >= 1, "learner.epochs", ">= 1", learner.epochs);
  Require(learner.minibatches >= 1 && learner.minibatches <= learner.batch_size,
          "learner.minibatches", "in [1, learner.batch_size]", learner.minibatches);
  Require(learner.reward_scale > 0 && std::isfinite(learner.reward_scale), "learner.reward_scale",
          "finite and > 0", learner.reward_scale);
  Require(learner.checkpoint_interval_seconds > 0, "learner.checkpoint_interval_seconds", "> 0",
          learner.checkpoint_interval_seconds);
  Require(learner.keep_checkpoints > 0, "learner.keep_checkpoints", "> 0",
          learner.keep_checkpoints);
  Require(learner.max_nonfinite_updates > 0, "learner.max_nonfinite_updates", "> 0",
          learner.max_nonfinite_updates);
  Require(actor.n_step >= 1, "actor.n_step", ">= 1", actor.n_step);
  Require(actor.insert_batch > 0, "actor.insert_batch", "> 0", actor.insert_batch);
  Require(actor.weights_interval_frames > 0, "actor.weights_interval_frames", "> 0",
          actor.weights_interval_frames);
  Require(actor.warmup_env_steps >= 0, "actor.warmup_env_steps", ">= 0", actor.warmup_env_steps);
  Require(apex.epsilon_base >= 0 && apex.epsilon_base <= 1, "apex.epsilon_base", "in [0, 1]",
          apex.epsilon_base);
  Require(apex.epsilon_alpha >= 0, "apex.epsilon_alpha", ">= 0", apex.epsilon_alpha);
  Require(apex.target_update_period > 0, "apex.target_update_period", "> 0",
          apex.target_update_period);
  Require(sac.tau > 0 && sac.tau <= 1, "sac.tau", "in (0, 1]", sac.tau);
  Require(sac.initial_alpha > 0 && std::isfinite(sac.initial_alpha), "sac.initial_alpha",
          "finite and > 0", sac.initial_alpha);
  Require(std::isfinite(sac.target_entropy_scale), "sac.target_entropy_scale", "finite",
          sac.target_entropy_scale);
  Require(td3.tau > 0 && td3.tau <= 1, "td3.tau", "in (0, 1]", td3.tau);
  Require(td3.policy_noise >= 0 && std::isfinite(td3.policy_noise), "td3.policy_noise",
          "finite and >= 0", td3.policy_noise);
  Require(td3.noise_clip >= 0 && std::isfinite(td3.noise_clip), "td3.noise_clip", "finite and >= 0",
          td3.noise_clip);
  Require(td3.policy_delay >= 1, "td3.policy_delay", ">= 1", td3.policy_delay);
  Require(td3.exploration_noise_high >= 0 && std::isfinite(td3.exploration_noise_high),
          "td3.exploration_noise_high", "finite and >= 0", td3.exploration_noise_high);
  Require(td3.exploration_noise_low >= 0 && td3.exploration_noise_low <= td3.exploration_noise_high,
          "td3.exploration_noise_low", "in [0, td3.exploration_noise_high]",
          td3.exploration_noise_low);
  Require(learner.eval_interval_updates >= 0, "learner.eval_interval_updates", ">= 0",
          learner.eval_interval_updates);
  Require(learner.eval_episodes > 0, "learner.eval_episodes", "> 0", learner.eval_episodes);
  Require(learner.video_interval_updates >= 0, "learner.video_interval_updates", ">= 0",
          learner.video_interval_updates);
  Require(!std::isnan(learner.stop_eval_return), "learner.stop_eval_return",
          "a number (-.inf: never)", learner.stop_eval_return);
  Require(!std::isfinite(learner.stop_eval_return) || learner.eval_interval_updates > 0,
          "learner.stop_eval_return", "-.inf unless learner.eval_interval_updates > 0",
          learner.stop_eval_return);
  Require(learner.stop_eval_return != std::numeric_limits<double>::infinity(),
          "learner.stop_eval_return", "a finite number or -.inf", learner.stop_eval_return);
  Require(learner.metrics_interval_seconds > 0, "learner.metrics_interval_seconds", "> 0",
          learner.metrics_interval_seconds);
}

}  // namespace rlfleet
