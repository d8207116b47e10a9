#ifndef RLFLEET_ALGORITHMS_ALGORITHM_H_
#define RLFLEET_ALGORITHMS_ALGORITHM_H_

// The seam between the generic actor and learner loops (actors/actor.h, learner/learner.h) and
// the algorithms: an algorithm is an ActorPolicy (acts, builds what goes to replay) and a
// LearnerAlgorithm (turns sampled items into batches, updates, publishes, checkpoints), plus
// an AlgorithmSpec that says which items and replay table it needs (algorithms/registry.h).
//
// This header does not include LibTorch: the launcher and the loops' public headers include it.

#include <cmath>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "algorithms/torch_fwd.h"
#include "core/env_spec.h"
#include "core/random.h"
#include "core/run_config.h"
#include "core/transition.h"
#include "core/unroll.h"

namespace rlfleet {

struct GreedyPolicy;  // algorithms/greedy_policy.h

// What an actor inserts and the learner samples.
enum class ItemKind {
  kUnroll,      // core/unroll.h: T consecutive steps of one env (on-policy, V-trace)
  kTransition,  // core/transition.h: one n-step transition (off-policy, replayed)
};

// The replay table each shard hosts for the algorithm (replay/run_tables.h).
enum class ReplayKind {
  // A FIFO queue: each item sampled once, a full queue holds the actors back.
  kQueue,
  // A replay memory: prioritized or uniform sampling with replacement, FIFO eviction, the
  // learner samples the global p^α distribution over all shards and sends new priorities.
  kReplayMemory,
};

enum class ActionSupport { kDiscrete, kContinuous, kBoth };

// What learner.total_env_steps counts.
enum class StepBudget {
  kConsumedFrames,  // the env steps inside the batches the learner trained on (on-policy)
  kActorFrames,     // the env steps the actors reported (replay: each is trained on many times)
};

// One VectorEnv step of all M envs of an actor; every buffer is row-major and owned by the
// actor (valid during the call only).
struct EnvStepView {
  int32_t num_envs = 0;                 // M
  const float* observations = nullptr;  // [M, D] x_t, what the last Act saw
  const float* actions = nullptr;       // [M, A] a_t, as the envs received them
  const float* rewards = nullptr;       // [M]
  const uint8_t* terminated = nullptr;  // [M]
  const uint8_t* truncated = nullptr;   // [M]
  // [M, D] x_{t+1}; for an env whose episode ended, the first observation of the next episode
  // (VectorEnv resets it automatically).
  const float* next_observations = nullptr;
  // [M, D] rows valid where the episode ended: its last observation (for bootstrapping).
  const float* final_observations = nullptr;
  // [M] or null: 1 where the env's episode was dropped at this step (a fault in an env rlfleet
  // did not write; VectorEnv): no reward, no episode end, the next_observations row starts a
  // fresh episode. The policy keeps nothing that spans the fault in an item.
  const uint8_t* dropped = nullptr;
};

// Items an actor inserts in one request: of the algorithm's ItemKind, and for a replay memory
// one initial priority each (empty: every item gets priority 1).
struct ActorOutput {
  std::vector<Unroll> unrolls;
  std::vector<Transition> transitions;
  std::vector<double> priorities;

  bool empty() const { return unrolls.empty() && transitions.empty(); }
  void clear() {
    unrolls.clear();
    transitions.clear();
    priorities.clear();
  }
};

// The actor-side half of an algorithm: the local copy of the policy and the builder of replay
// items. Owned and called by one actor thread only (not thread-safe); nothing in it blocks or
// touches the network. Acting uses LibTorch on the calling thread's intra-op pool (the actor
// sets it to one thread) and the policy's own seeded random stream.
class ActorPolicy {
 public:
  virtual ~ActorPolicy() = default;

  // The module that published weights are copied into, in place (the same architecture and
  // parameter order as LearnerAlgorithm::published_module()).
  virtual torch::nn::Module& module() = 0;
  // Whether the actor should take the newest published weights before the next Act (e.g. at
  // the start of an unroll, or every so many frames).
  virtual bool WantsWeights() = 0;
  // Called after new weights (of learner version `version`) were copied into module().
  virtual void OnWeights(int64_t version) = 0;

  // Writes M·A actions for the M observations [M, D] (the env spec's sizes).
  virtual void Act(const float* observations, float* actions) = 0;
  // Records the step that followed the last Act; appends the items that became complete (and
  // their initial priorities) to *out.
  virtual void Record(const EnvStepView& step, ActorOutput* out) = 0;
  // At the end of a run: appends the complete items still held back (e.g. a partial insert
  // batch). Items of unfinished unrolls or n-step windows are dropped.
  virtual void Flush(ActorOutput* out) = 0;
};

// A |TD| as a replay priority: at least 1e-6 (a priority of 0 is never drawn again), 1 where it
// is not finite.
inline double ReachablePriority(double td) {
  constexpr double kMinPriority = 1e-6;
  if (!std::isfinite(td)) return 1.0;
  return td > kMinPriority ? td : kMinPriority;
}

// ReachablePriority of each |TD|.
inline std::vector<double> ReachablePriorities(const std::vector<float>& td) {
  std::vector<double> priorities;
  priorities.reserve(td.size());
  for (float p : td) priorities.push_back(ReachablePriority(p));
  return priorities;
}

// A training batch built by LearnerAlgorithm::Prepare; opaque to the learner loop.
class PreparedBatch {
 public:
  virtual ~PreparedBatch() = default;
};

// Items sampled from replay and checked against the env spec by the learner, in sample order.
struct SampledItems {
  std::vector<Unroll> unrolls;          // ItemKind::kUnroll
  std::vector<Transition> transitions;  // ItemKind::kTransition
  // One importance weight per item (kReplayMemory: (N·P(i))^-β normalised by the batch
  // maximum); empty for a queue.
  std::vector<double> importance_weights;
};

struct UpdateResult {
  std::vector<double> metrics;     // one value per metric_names() entry
  std::vector<double> priorities;  // kReplayMemory: one new priority per item, finite and > 0
  // Optimizer steps of this update skipped because a loss or gradient norm was not finite: no
  // parameter took a non-finite value (the learner counts these updates).
  int32_t skipped_steps = 0;
};

// The learner-side half: the networks, optimizer and update. Thread safety: Prepare runs on the
// learner's prefetch thread concurrently with everything else, so it must not read parameters
// or optimizer state; every other method runs on the learner's train thread. Update blocks for
// one optimizer step (CPU or GPU); nothing here touches the network or the run directory except
// Save/LoadCheckpoint.
class LearnerAlgorithm {
 public:
  virtual ~LearnerAlgorithm() = default;

  // Stacks the items into tensors on the algorithm's device (for CUDA: pinned memory and a
  // side stream, so the copy overlaps the running update). Throws std::invalid_argument when
  // the items do not fit together.
  virtual std::unique_ptr<PreparedBatch> Prepare(SampledItems items) const = 0;
  // Called before each Update with the fraction of learner.total_env_steps done, in [0, 1]
  // (learning-rate schedules).
  virtual void SetProgress(double fraction) = 0;
  // One optimizer step on a batch from Prepare.
  virtual UpdateResult Update(PreparedBatch& batch) = 0;
  virtual int64_t num_updates() const = 0;
  // Names of UpdateResult::metrics, fixed for the algorithm (metrics.csv columns).
  virtual const std::vector<std::string>& metric_names() const = 0;

  // The module whose parameters the learner publishes to the actors.
  virtual torch::nn::Module& published_module() = 0;
  // Writes / reads the algorithm's state (networks, optimizer, update count) as files in the
  // existing directory `dir`. Load throws std::runtime_error naming a missing or mismatching
  // file, and then changes nothing.
  virtual void SaveCheckpoint(const std::string& dir) const = 0;
  virtual void LoadCheckpoint(const std::string& dir) = 0;

  // Seconds spent in each phase of Update since construction (e.g. "critic forward"), in the
  // order of the update; empty when the algorithm does not time its phases. CPU wall time: on
  // a GPU the phases overlap and are not measured.
  virtual std::vector<std::pair<std::string, double>> UpdatePhaseSeconds() const { return {}; }

  // Actions for `count` observations [count, D] for evaluation: greedy (argmax, the Gaussian
  // mean) or the stochastic policy drawn with `rng`. Writes count·A floats.
  virtual void EvalActions(const float* observations, int32_t count, bool greedy, Rng& rng,
                           float* actions) = 0;

  // Describes what EvalActions(greedy = true) computes (the normaliser, the layers of the policy
  // network and its greedy head: algorithms/greedy_policy.h) for export as a TorchScript module
  // (algorithms/policy_export.h). The tensors are the live parameters: the description is valid
  // until the next Update or LoadCheckpoint. Throws std::logic_error for an algorithm that
  // cannot be exported.
  virtual void DescribeGreedyPolicy(GreedyPolicy* /*policy*/) const {
    throw std::logic_error("this algorithm cannot describe its greedy policy for export");
  }
};

// An algorithm as the registry knows it.
struct AlgorithmSpec {
  std::string name;  // learner.algo
  ItemKind items;
  ReplayKind replay;
  ActionSupport actions;
  StepBudget budget;
  // Whether its policy network can normalise observations (model.normalize_observations).
  bool observation_normalization = false;
  // A YAML config fragment that sizes `rlfleet bench learner --algo NAME` when no --config is
  // given (the replay table and network of the algorithm's CartPole config).
  std::string bench_config;
  // `device`: a LibTorch device string ("cpu", "cuda:0"), already resolved by the learner.
  // Both factories throw std::invalid_argument for a config or env the algorithm cannot use.
  std::unique_ptr<ActorPolicy> (*make_policy)(const RunConfig& config, const EnvSpec& spec,
                                              int32_t actor_index);
  std::unique_ptr<LearnerAlgorithm> (*make_learner)(const RunConfig& config, const EnvSpec& spec,
                                                    const std::string& device);
};

}  // namespace rlfleet

#endif  // RLFLEET_ALGORITHMS_ALGORITHM_H_
