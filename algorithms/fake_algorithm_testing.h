#ifndef RLFLEET_ALGORITHMS_FAKE_ALGORITHM_TESTING_H_
#define RLFLEET_ALGORITHMS_FAKE_ALGORITHM_TESTING_H_

// Test helper: a transparent algorithm for the generic actor and learner loops. Its policy acts
// by a fixed rule and emits one one-step transition per env step; its learner "trains" one
// scalar parameter w by adding each batch's reward sum, so every effect of the loops on it can
// be computed by hand. Everything it sees is recorded in a FakeAlgorithmLog.

#include <torch/torch.h>

#include <fstream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "algorithms/algorithm.h"
#include "algorithms/greedy_policy.h"

namespace rlfleet {
namespace testing {

struct FakeModuleImpl : torch::nn::Module {
  FakeModuleImpl() { w = register_parameter("w", torch::zeros({1})); }
  torch::Tensor w;
};
TORCH_MODULE(FakeModule);

// What the fake saw; shared by every instance a test makes (thread-safe).
struct FakeAlgorithmLog {
  std::mutex mutex;
  std::vector<int64_t> weight_versions;  // OnWeights calls of every policy
  std::vector<float> weight_values;      // w after each OnWeights
  std::vector<size_t> batch_sizes;       // items per prepared batch
  std::vector<std::vector<double>> importance_weights;
  std::vector<double> progress;    // SetProgress arguments
  int64_t bad_items_prepared = 0;  // items Prepare got that do not fit CartPole
};

inline FakeAlgorithmLog& FakeLog() {
  static FakeAlgorithmLog log;
  return log;
}

// Policy: env e of actor j acts (t + e + j) mod 2 at its t-th step (CartPole's two actions);
// each step of each env becomes one transition x_t → x_{t+1} (the final observation at an
// episode end), discount 0.99 or 0 at a termination, priority 1 + e, carrying the policy
// version; WantsWeights every step.
class FakePolicy : public ActorPolicy {
 public:
  FakePolicy(const RunConfig& config, const EnvSpec& spec, int32_t actor_index)
      : spec_(spec), actor_index_(actor_index), num_envs_(config.env.num_envs) {}
  torch::nn::Module& module() override { return *module_; }
  bool WantsWeights() override { return true; }
  void OnWeights(int64_t version) override {
    version_ = version;
    std::lock_guard<std::mutex> lock(FakeLog().mutex);
    FakeLog().weight_versions.push_back(version);
    FakeLog().weight_values.push_back(module_->w.item<float>());
  }
  void Act(const float*, float* actions) override {
    for (int32_t e = 0; e < num_envs_; ++e) {
      actions[e] = static_cast<float>((step_ + e + actor_index_) % 2);
    }
    ++step_;
  }
  void Record(const EnvStepView& step, ActorOutput* out) override {
    const size_t d = static_cast<size_t>(spec_.observation_size);
    for (int32_t e = 0; e < num_envs_; ++e) {
      const bool ended = step.terminated[e] || step.truncated[e];
      const float* next = (ended ? step.final_observations : step.next_observations) + e * d;
      Transition t;
      t.observation.assign(step.observations + e * d, step.observations + (e + 1) * d);
      t.action = {step.actions[e]};
      t.reward = step.rewards[e];
      t.terminated = step.terminated[e] != 0;
      t.truncated = step.truncated[e] != 0 && !t.terminated;
      t.discount = t.terminated ? 0.0f : 0.99f;
      t.next_observation.assign(next, next + d);
      t.steps = 1;
      t.policy_version = version_;
      out->transitions.push_back(std::move(t));
      out->priorities.push_back(1.0 + e);
    }
  }
  void Flush(ActorOutput*) override {}

 private:
  EnvSpec spec_;
  int32_t actor_index_;
  int32_t num_envs_;
  int64_t step_ = 0;
  int64_t version_ = 0;
  FakeModule module_;
};

struct FakeBatch : PreparedBatch {
  double reward_sum = 0.0;
  size_t items = 0;
};

// Learner: w += Σ rewards of the batch per update (unrolls: every step's reward), except that
// a negative sum stands for a non-finite loss (UpdateResult::skipped_steps = 1, w unchanged);
// metrics
// {batch_reward, items}; new priority of item i = 2 + i. Checkpoint: one text file "fake.txt"
// holding the update count and w.
class FakeLearner : public LearnerAlgorithm {
 public:
  explicit FakeLearner(const EnvSpec& spec) : spec_(spec) {}
  std::unique_ptr<PreparedBatch> Prepare(SampledItems items) const override {
    auto batch = std::make_unique<FakeBatch>();
    int64_t bad = 0;
    for (const Unroll& u : items.unrolls) {
      if (u.observation_size != spec_.observation_size) ++bad;
      for (float r : u.rewards) batch->reward_sum += r;
    }
    for (const Transition& t : items.transitions) {
      if (static_cast<int32_t>(t.observation.size()) != spec_.observation_size) ++bad;
      batch->reward_sum += t.reward;
    }
    batch->items = items.unrolls.size() + items.transitions.size();
    std::lock_guard<std::mutex> lock(FakeLog().mutex);
    FakeLog().bad_items_prepared += bad;
    FakeLog().batch_sizes.push_back(batch->items);
    FakeLog().importance_weights.push_back(items.importance_weights);
    return batch;
  }
  void SetProgress(double fraction) override {
    std::lock_guard<std::mutex> lock(FakeLog().mutex);
    FakeLog().progress.push_back(fraction);
  }
  UpdateResult Update(PreparedBatch& batch) override {
    const auto& b = static_cast<FakeBatch&>(batch);
    UpdateResult result;
    if (b.reward_sum < 0.0) {
      result.skipped_steps = 1;  // stands for a non-finite loss: w is left alone
    } else {
      torch::NoGradGuard no_grad;
      module_->w.add_(b.reward_sum);
    }
    ++updates_;
    result.metrics = {b.reward_sum, static_cast<double>(b.items)};
    for (size_t i = 0; i < b.items; ++i) result.priorities.push_back(2.0 + i);
    return result;
  }
  int64_t num_updates() const override { return updates_; }
  const std::vector<std::string>& metric_names() const override {
    static const std::vector<std::string> names = {"batch_reward", "items"};
    return names;
  }
  torch::nn::Module& published_module() override { return *module_; }
  void SaveCheckpoint(const std::string& dir) const override {
    std::ofstream(dir + "/fake.txt") << updates_ << ' ' << module_->w.item<float>() << '\n';
  }
  void LoadCheckpoint(const std::string& dir) override {
    std::ifstream in(dir + "/fake.txt");
    float w = 0.0f;
    if (!(in >> updates_ >> w)) throw std::runtime_error("no fake.txt in " + dir);
    torch::NoGradGuard no_grad;
    module_->w.fill_(w);
  }
  void EvalActions(const float*, int32_t count, bool, Rng&, float* actions) override {
    for (int32_t i = 0; i < count; ++i) actions[i] = 0.0f;
  }
  // The same rule as a greedy policy: action 0 (an argmax over the bias [1, 0, …]), or the
  // zero vector clipped to the action bounds.
  void DescribeGreedyPolicy(GreedyPolicy* policy) const override {
    const int64_t d = spec_.observation_size;
    policy->observation_size = d;
    policy->torso.clear();
    if (spec_.discrete_actions) {
      policy->head = GreedyPolicy::Head::kArgmax;
      policy->output = {torch::zeros({spec_.num_actions, d}), torch::zeros({spec_.num_actions})};
      policy->output.bias[0] = 1.0f;
    } else {
      policy->head = GreedyPolicy::Head::kClip;
      policy->output = {torch::zeros({spec_.action_size, d}), torch::zeros({spec_.action_size})};
      policy->low = torch::full({spec_.action_size}, -1e9f);
      policy->high = torch::full({spec_.action_size}, 1e9f);
    }
  }
  float w() const { return module_->w.item<float>(); }

 private:
  EnvSpec spec_;
  int64_t updates_ = 0;
  FakeModule module_;
};

// The fake as an AlgorithmSpec with the given items and table.
inline AlgorithmSpec FakeAlgorithmSpec(ItemKind items, ReplayKind replay, StepBudget budget) {
  AlgorithmSpec spec;
  spec.name = "fake";
  spec.items = items;
  spec.replay = replay;
  spec.actions = ActionSupport::kDiscrete;
  spec.budget = budget;
  spec.make_policy = [](const RunConfig& config, const EnvSpec& env, int32_t actor_index) {
    return std::unique_ptr<ActorPolicy>(new FakePolicy(config, env, actor_index));
  };
  spec.make_learner = [](const RunConfig&, const EnvSpec& env, const std::string&) {
    return std::unique_ptr<LearnerAlgorithm>(new FakeLearner(env));
  };
  return spec;
}

}  // namespace testing
}  // namespace rlfleet

#endif  // RLFLEET_ALGORITHMS_FAKE_ALGORITHM_TESTING_H_
