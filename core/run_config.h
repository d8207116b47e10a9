#ifndef RLFLEET_CORE_RUN_CONFIG_H_
#define RLFLEET_CORE_RUN_CONFIG_H_

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace rlfleet {

// The resolved configuration of one run: every process of the run reads the same one (the
// launcher writes it to <run dir>/config.yaml). Plain data; launcher/config_io.h reads and
// writes it as YAML with strict key checking. Units are in the field names or comments.

// Where environments come from: a built-in (`id` alone), a native plugin (`plugin`) or a
// Python object with Gymnasium's API (`python`); docs/environments.md.
struct EnvConfig {
  std::string id = "CartPole-v1";  // built-in id; with plugin or python: the name runs report
  int32_t num_envs = 16;           // envs per actor process, stepped as one VectorEnv
  int32_t num_threads = 1;         // VectorEnv worker threads per actor (built-ins and plugins)
  // A shared library implementing include/rlfleet/env_plugin.h; `id` and plugin_options (a
  // JSON object's text; a map in the YAML file) are passed to its create().
  std::string plugin;
  std::string plugin_options = "{}";
  // "module:callable" returning an object with Gymnasium's API; called with python_kwargs (a
  // JSON object's text; a map in the YAML file) as keyword arguments, with python_path
  // prepended to sys.path, in python_workers processes per actor run by python_interpreter.
  std::string python;
  std::string python_kwargs = "{}";
  std::vector<std::string> python_path;
  std::string python_interpreter = "/usr/bin/python3";
  int32_t python_workers = 1;
  // A worker whose step or reset reply takes longer than this is killed and restarted.
  double python_timeout_seconds = 60.0;
  // How long a worker may take to start: import, call the callable, report the spaces.
  double python_start_timeout_seconds = 60.0;
};

struct ClusterConfig {
  int32_t num_actors = 2;
  int32_t num_shards = 1;
  // `rlfleet slurm`: actor processes per actor node; 0: num_actors / --actor-nodes (which must
  // divide it). When > 0, num_actors becomes actor nodes × actors_per_node.
  int32_t actors_per_node = 0;
  // How empty endpoints are chosen. ipc: the local launcher picks ipc:// paths. tcp: each
  // server binds bind_host on a port the system chooses and publishes the endpoint its clients
  // connect to in <run dir>/rendezvous/ (launcher/rendezvous.h), where clients wait for it.
  std::string transport = "ipc";
  std::string bind_host = "127.0.0.1";  // tcp: the address servers bind; 0.0.0.0: all interfaces
  // tcp: the host name or address clients are given; empty: bind_host, or this machine's host
  // name when bind_host is 0.0.0.0.
  std::string advertise_host;
  double rendezvous_timeout_seconds = 300.0;  // tcp: how long a client waits for an endpoint
  // tcp: authenticate and encrypt with ZeroMQ CURVE, with the run's keys in <run dir>/keys/
  // (created by the launcher). Required for any tcp address that is not a loopback one.
  bool curve = false;
  // Endpoints set by hand; empty: chosen as `transport` says.
  std::vector<std::string> shard_endpoints;  // one per shard
  std::string weights_endpoint;              // learner PUB
  std::string stats_endpoint;                // learner PULL (actor episode statistics)
  // Supervision: a process (shard, learner or actor) that dies is restarted, unless it already
  // died max_restarts times within the last restart_window_seconds; then the run ends.
  int32_t max_restarts = 3;
  double restart_window_seconds = 600.0;
  double shutdown_grace_seconds = 10.0;  // SIGTERM → SIGKILL delay when stopping children
};

struct ReplayConfig {
  std::string table = "queue";
  // Items (unrolls / transitions). A replay memory: its capacity for the whole run, each of
  // the cluster.num_shards shards holding ceil(max_size / num_shards). The IMPALA queue: the
  // length of each shard's queue (not split: it holds back that shard's actors).
  int64_t max_size = 256;
  int64_t max_message_bytes = 64 << 20;
  // fifo: the IMPALA queue (each item sampled once, a full queue holds back inserters).
  // prioritized | uniform: a replay memory for learner.algo apex_dqn (FIFO eviction at
  // max_size, items sampled with replacement).
  std::string sampler = "fifo";
  double priority_exponent = 0.6;    // α (prioritized)
  double importance_exponent = 0.4;  // β of the importance weights
  // Items in the whole run before sampling starts: each shard serves samples once it holds
  // ceil(min_size_to_sample / cluster.num_shards) items (replay/run_tables.h).
  int64_t min_size_to_sample = 1;
  // > 0: Reverb's ratio limiter, samples ≈ samples_per_insert · inserts over the whole run (on
  // several shards each shard applies it to the sums of every shard's counts, which the
  // learner forwards: replay/run_tables.h); 0: no ratio limit.
  double samples_per_insert = 0.0;
  // Replay memories (not the IMPALA queue): each shard writes its table to
  // <run dir>/replay/shard-<i>/ this often and a restarted shard starts from it; 0: never.
  double checkpoint_interval_seconds = 300.0;
  // Requests a shard lets wait (held back by its rate limiter, or for items to sample); one
  // more is answered `overloaded` and the client sends it again after a backoff.
  int64_t max_pending_requests = 10000;
};

struct ActorConfig {
  int32_t unroll_length = 20;  // T (unroll algorithms: impala)
  // Transition algorithms (apex_dqn, sac, td3):
  int32_t n_step = 1;                    // n of the n-step transitions (γ = learner.discount)
  int32_t insert_batch = 16;             // transitions per insert request (one item each)
  int64_t weights_interval_frames = 64;  // an actor takes new weights every this many frames
  // Uniform random actions (in the env's bounds, or over the discrete actions) for the first
  // this many env steps of the run (all actors together; each actor takes its share).
  int64_t warmup_env_steps = 0;
  int32_t max_inflight_inserts = 2;
  double stats_interval_seconds = 0.5;  // how often episode statistics go to the learner
  int64_t insert_timeout_ms = 60000;
  // A starting (or restarted) actor waits this long for the learner's weights before its first
  // step, so that no item comes from an untrained copy of the policy; 0: act at once.
  double wait_for_weights_seconds = 30.0;
};

struct ModelConfig {
  std::vector<int64_t> hidden_sizes = {64, 64};
  std::string activation = "tanh";
  bool shared_torso = false;
  double initial_log_std = 0.0;
  // Continuous IMPALA: log std from a linear head on the policy features (clamped to
  // [−20, 2]) instead of one state-independent parameter per action dimension.
  bool state_dependent_log_std = false;
  // Observation normalisation (learner.algo impala, sac and td3): the policy network normalises its
  // input with the running mean and variance of the observations the learner samples,
  // clamping at ±observation_clip; the statistics travel with the weights and are checkpointed.
  bool normalize_observations = false;
  double observation_clip = 10.0;
};

struct LearnerConfig {
  std::string algo = "impala";
  std::string device = "cpu";         // cpu | cuda | auto
  int32_t batch_size = 32;            // unrolls per update
  int64_t total_env_steps = 2000000;  // the run ends when the learner has consumed this many
  int32_t publish_interval = 1;       // publish weights every this many updates
  int32_t prefetch = 2;               // batches kept ready by the prefetch thread
  // Replay memories (Ape-X, SAC, TD3): batches drawn per sample request. The prefetch thread asks
  // for batches_per_sample × batch_size items at once and trains them as that many batches (each
  // with its importance weights normalised by its own maximum): fewer messages per update, and
  // the later batches of a reply drawn with priorities up to batches_per_sample − 1 updates old.
  // 1 with learner.deterministic and with a queue (IMPALA).
  int32_t batches_per_sample = 1;
  int32_t intra_op_threads = 1;
  // Lockstep rounds that repeat bit for bit (docs/architecture.md, Reproducibility): in round
  // r every actor acts actor.unroll_length steps per env with the weights of round r and
  // reports when its items are acked; then the learner applies the round's stats in actor
  // order, samples and updates as far as the rate limiter allows, and publishes the weights of
  // round r + 1. Needs one shard, learner.intra_op_threads 1, env.num_threads 1, device cpu.
  bool deterministic = false;
  double discount = 0.99;
  double learning_rate = 6e-4;
  // Linear decay to 0 over total_env_steps (IMPALA: the env steps its updates consumed; Ape-X:
  // the env steps the actors reported).
  bool anneal_learning_rate = true;
  double adam_eps = 1e-5;
  double max_grad_norm = 40.0;
  double baseline_cost = 0.5;
  double entropy_cost = 0.01;
  double rho_bar = 1.0;
  double c_bar = 1.0;
  double pg_rho_bar = 1.0;
  double lambda = 1.0;
  // IMPALA's policy loss: vtrace (−log π·Â) or appo (PPO's clipped surrogate on the V-trace
  // advantages, ε = ppo_clip); value_clip > 0 clips the value update around the old values;
  // epochs × minibatches Adam steps per batch (minibatches of whole unrolls); the advantages
  // optionally normalised per batch; rewards multiplied by reward_scale.
  std::string loss = "vtrace";
  double ppo_clip = 0.2;
  double value_clip = 0.0;
  int32_t epochs = 1;
  int32_t minibatches = 1;
  bool normalize_advantages = false;
  double reward_scale = 1.0;
  double checkpoint_interval_seconds = 60.0;
  int32_t keep_checkpoints = 3;
  // An update whose loss or gradient norm is not finite skips its optimizer steps and is
  // counted (nonfinite_updates); this many such updates in a row end the run with an error.
  int32_t max_nonfinite_updates = 10;
  double metrics_interval_seconds = 1.0;
  // Greedy evaluation on a local env every this many updates (and once at the end); 0: never.
  int64_t eval_interval_updates = 0;
  int32_t eval_episodes = 5;  // episodes per evaluation
  // A video of one greedy episode every this many updates, RUN_DIR/videos/update-NNNNNN.mp4
  // (docs/videos.md); 0: never. A video that cannot be made is logged and counted
  // (status.json "video_failures"); the run goes on.
  int64_t video_interval_updates = 0;
  // The run ends, completed, at the first greedy evaluation whose mean return is >= this (a
  // target, as RLlib's stop criteria and SB3's StopTrainingOnRewardThreshold); -.inf: never.
  // A finite value needs eval_interval_updates > 0.
  double stop_eval_return = -std::numeric_limits<double>::infinity();
};

// Ape-X DQN (learner.algo apex_dqn; Horgan et al. 2018). The learner also uses
// learner.{batch_size, discount, learning_rate, adam_eps, max_grad_norm, publish_interval}.
struct ApexConfig {
  double epsilon_base = 0.4;  // ε_i = base^(1 + alpha · i / (N − 1)) over all N actor envs
  double epsilon_alpha = 7.0;
  int64_t target_update_period = 2500;  // learner updates between target-network copies
  bool double_dqn = true;
  bool dueling = true;
};

// Soft actor-critic (learner.algo sac; Haarnoja et al. 2018). The learner also uses
// learner.{batch_size, discount, learning_rate (actor, critics and α), adam_eps,
// max_grad_norm, publish_interval}; model.hidden_sizes sizes the actor and both critics.
struct SacConfig {
  double tau = 0.005;                 // Polyak factor of the target critics
  bool autotune_alpha = true;         // learn α towards the target entropy
  double initial_alpha = 1.0;         // α at the start (the fixed α without autotuning)
  double target_entropy_scale = 1.0;  // target entropy = −scale · |A|
};

// TD3 (learner.algo td3; Fujimoto et al. 2018). The learner also uses learner.{batch_size,
// discount, learning_rate (actor and critics), adam_eps, max_grad_norm, publish_interval};
// model.hidden_sizes sizes the actor and both critics. Noise scales are in units of the action
// half-range, (high − low) / 2 per dimension.
struct Td3Config {
  double tau = 0.005;         // Polyak factor of the target actor and critics
  double policy_noise = 0.2;  // σ of the target policy smoothing noise
  double noise_clip = 0.5;    // the smoothing noise is clipped to [−noise_clip, noise_clip]
  int32_t policy_delay = 2;   // actor and target updates every this many critic updates
  // Exploration: env i of all N actor envs adds N(0, σ_i²) noise with the geometric ladder
  //   σ_i = exploration_noise_high · (exploration_noise_low / exploration_noise_high)^(i/(N−1))
  // (σ = exploration_noise_high when N = 1), then clips to the bounds.
  double exploration_noise_high = 0.2;
  double exploration_noise_low = 0.05;
};

// `rlfleet report`: what a multi-seed report of this config measures against.
struct ReportConfig {
  // The return of the learning curves and of the time to threshold: mean_return (the mean over
  // the last 100 training episodes, every metrics row) or eval_return (greedy evaluations,
  // learner.eval_interval_updates > 0).
  std::string metric = "mean_return";
  double threshold = 0;  // the time to threshold: the first metrics row with metric >= this
};

struct RunConfig {
  std::string name = "run";
  uint64_t seed = 1;
  std::string runs_dir = "runs";
  EnvConfig env;
  ClusterConfig cluster;
  ReplayConfig replay;
  ActorConfig actor;
  ModelConfig model;
  LearnerConfig learner;
  ApexConfig apex;
  SacConfig sac;
  Td3Config td3;
  ReportConfig report;

  // Checks ranges and choices (not the env id, which envs/ knows). Throws
  // std::invalid_argument naming the key, e.g. "learner.batch_size must be > 0 (got 0)".
  void Validate() const;
};

}  // namespace rlfleet

#endif  // RLFLEET_CORE_RUN_CONFIG_H_
