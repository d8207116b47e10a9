#include "algorithms/dqn.h"
#include "algorithms/adam_state.h"

#include <torch/torch.h>

#include <torch/nn/utils/clip_grad.h>
#include <torch/serialize/archive.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <utility>
#include <vector>

#include "algorithms/greedy_policy.h"
#include "algorithms/model_factory.h"
#include "algorithms/torch_helpers.h"
#include "algorithms/transition_learner.h"
#include "algorithms/transition_policy.h"
#include "core/epsilon_ladder.h"
#include "core/nstep.h"

namespace rlfleet {
namespace {

void Require(bool ok, const char* field, const std::string& why) {
  if (!ok) throw std::invalid_argument(std::string("DqnOptions.") + field + " " + why);
}

torch::Device DeviceOf(const QNetwork& network) { return network->parameters().front().device(); }

// Checks the batch against the network's sizes; returns B.
int64_t CheckBatch(const DqnBatch& batch, int64_t d, const char* caller) {
  auto fail = [&](const std::string& why) {
    throw std::invalid_argument(std::string(caller) + ": " + why);
  };
  if (!batch.observations.defined() || batch.observations.dim() != 2 ||
      batch.observations.size(1) != d) {
    fail("observations must be [B, " + std::to_string(d) + "]");
  }
  const int64_t b = batch.observations.size(0);
  if (!batch.next_observations.defined() || batch.next_observations.dim() != 2 ||
      batch.next_observations.size(0) != b || batch.next_observations.size(1) != d) {
    fail("next_observations must be [B, D] like observations");
  }
  auto check_vector = [&](const torch::Tensor& t, const char* name, bool optional) {
    if (optional && !t.defined()) return;
    if (!t.defined() || t.numel() != b) fail(std::string(name) + " must have B values");
  };
  check_vector(batch.actions, "actions", false);
  check_vector(batch.rewards, "rewards", false);
  check_vector(batch.discounts, "discounts", false);
  check_vector(batch.weights, "weights", true);
  return b;
}

// y = r + discount · Q_target(x', a*) from the next-state Q values of both networks.
torch::Tensor Targets(const DqnBatch& batch, const torch::Tensor& next_q_online,
                      const torch::Tensor& next_q_target, bool double_dqn) {
  const torch::Device device = next_q_target.device();
  const torch::Tensor best = (double_dqn ? next_q_online : next_q_target).argmax(1, true);
  const torch::Tensor bootstrap = next_q_target.gather(1, best).squeeze(1);
  return batch.rewards.to(device, torch::kFloat).reshape({-1}) +
         batch.discounts.to(device, torch::kFloat).reshape({-1}) * bootstrap;
}

}  // namespace

void DqnOptions::Validate() const {
  Require(learning_rate > 0.0 && std::isfinite(learning_rate), "learning_rate",
          "must be finite and positive");
  Require(adam_eps > 0.0, "adam_eps", "must be positive");
  Require(!std::isnan(max_grad_norm), "max_grad_norm", "must not be NaN");
  Require(target_update_period >= 1, "target_update_period", "must be >= 1");
  Require(huber_delta > 0.0 && std::isfinite(huber_delta), "huber_delta",
          "must be finite and positive");
}

torch::Tensor HuberLoss(const torch::Tensor& x, double delta) {
  const torch::Tensor abs = x.abs();
  const torch::Tensor quadratic = abs.clamp_max(delta);
  const torch::Tensor linear = abs - quadratic;
  return 0.5 * quadratic * quadratic + delta * linear;
}

torch::Tensor DqnTargets(QNetwork& online, QNetwork& target, const DqnBatch& batch,
                         bool double_dqn) {
  CheckBatch(batch, online->options().observation_size, "DqnTargets");
  torch::NoGradGuard no_grad;
  const torch::Tensor next = batch.next_observations.to(DeviceOf(online), torch::kFloat);
  const torch::Tensor next_q_target = target->forward(next);
  const torch::Tensor next_q_online = double_dqn ? online->forward(next) : next_q_target;
  return Targets(batch, next_q_online, next_q_target, double_dqn);
}

std::vector<float> InitialPriorities(QNetwork& network, const DqnBatch& batch, bool double_dqn) {
  const int64_t B = CheckBatch(batch, network->options().observation_size, "InitialPriorities");
  torch::NoGradGuard no_grad;
  const torch::Device device = DeviceOf(network);
  // One forward pass over x and x'.
  const torch::Tensor q_all =
      network->forward(torch::cat({batch.observations.to(device, torch::kFloat),
                                   batch.next_observations.to(device, torch::kFloat)}));
  const torch::Tensor q = q_all.slice(0, 0, B);
  const torch::Tensor next_q = q_all.slice(0, B, 2 * B);
  const torch::Tensor y = Targets(batch, next_q, next_q, double_dqn);
  const torch::Tensor actions = batch.actions.to(device, torch::kLong).reshape({B, 1});
  const torch::Tensor td =
      (y - q.gather(1, actions).squeeze(1)).abs().to(torch::kCPU, torch::kFloat).contiguous();
  return std::vector<float>(td.data_ptr<float>(), td.data_ptr<float>() + B);
}

Dqn::Dqn(QNetwork online, QNetwork target, const DqnOptions& options)
    : online_(std::move(online)), target_(std::move(target)), options_(options) {
  options_.Validate();
  if (online_.is_empty() || target_.is_empty()) {
    throw std::invalid_argument("Dqn: the online or target network is empty");
  }
  auto own = online_->named_parameters();
  auto other = target_->named_parameters();
  if (own.size() != other.size()) {
    throw std::invalid_argument("Dqn: online and target networks differ in parameters");
  }
  for (const auto& item : own) {
    const torch::Tensor* t = other.find(item.key());
    if (t == nullptr || t->sizes() != item.value().sizes()) {
      throw std::invalid_argument("Dqn: target network lacks parameter '" + item.key() +
                                  "' of the online network's shape");
    }
  }
  for (auto& p : target_->parameters()) p.set_requires_grad(false);
  CopyOnlineToTarget();
  optimizer_ = std::make_unique<torch::optim::Adam>(
      online_->parameters(),
      torch::optim::AdamOptions(options_.learning_rate).eps(options_.adam_eps));
  learning_rate_ = options_.learning_rate;
}

void Dqn::SetLearningRate(double rate) {
  if (!(rate >= 0.0) || !std::isfinite(rate)) {
    throw std::invalid_argument("Dqn::SetLearningRate: the rate must be finite and >= 0 (got " +
                                std::to_string(rate) + ")");
  }
  learning_rate_ = rate;
  for (auto& group : optimizer_->param_groups()) {
    static_cast<torch::optim::AdamOptions&>(group.options()).lr(rate);
  }
}

void Dqn::CopyOnlineToTarget() {
  torch::NoGradGuard no_grad;
  auto target_parameters = target_->named_parameters();
  for (const auto& item : online_->named_parameters()) {
    target_parameters[item.key()].copy_(item.value());
  }
}

DqnStats Dqn::Update(const DqnBatch& batch, std::vector<float>* new_priorities) {
  const int64_t B = CheckBatch(batch, online_->options().observation_size, "Dqn::Update");
  const torch::Device device = DeviceOf(online_);
  const torch::Tensor observations = batch.observations.to(device, torch::kFloat);
  const torch::Tensor next_observations = batch.next_observations.to(device, torch::kFloat);

  // One online pass over x and x' (the x' half only picks the double-DQN action).
  const torch::Tensor q_all = options_.double_dqn
                                  ? online_->forward(torch::cat({observations, next_observations}))
                                  : online_->forward(observations);
  const torch::Tensor actions = batch.actions.to(device, torch::kLong).reshape({B, 1});
  const torch::Tensor q = q_all.slice(0, 0, B).gather(1, actions).squeeze(1);
  torch::Tensor y;
  {
    torch::NoGradGuard no_grad;
    const torch::Tensor next_q_target = target_->forward(next_observations);
    const torch::Tensor next_q_online =
        options_.double_dqn ? q_all.slice(0, B, 2 * B).detach() : next_q_target;
    y = Targets(batch, next_q_online, next_q_target, options_.double_dqn);
  }
  const torch::Tensor td = y - q;
  const torch::Tensor weights = batch.weights.defined()
                                    ? batch.weights.to(device, torch::kFloat).reshape({B})
                                    : torch::ones({B}, torch::TensorOptions(device));
  const torch::Tensor loss = (weights * HuberLoss(td, options_.huber_delta)).mean();

  const double grad_norm =
      GuardedStep(*optimizer_, loss, online_->parameters(), options_.max_grad_norm);
  ++num_updates_;
  if (num_updates_ % options_.target_update_period == 0) CopyOnlineToTarget();

  const torch::Tensor abs_td = td.detach().abs().to(torch::kCPU, torch::kFloat).contiguous();
  if (new_priorities != nullptr) {
    new_priorities->assign(abs_td.data_ptr<float>(), abs_td.data_ptr<float>() + B);
  }
  DqnStats stats;
  stats.loss = loss.item<double>();
  stats.mean_q = q.detach().mean().item<double>();
  stats.mean_abs_td = abs_td.mean().item<double>();
  stats.grad_norm = grad_norm;
  stats.skipped_steps = std::isfinite(grad_norm) ? 0 : 1;
  stats.learning_rate = learning_rate_;
  return stats;
}

void Dqn::SaveCheckpoint(const std::string& path) const {
  try {
    torch::serialize::OutputArchive archive;
    torch::serialize::OutputArchive online_archive;
    torch::serialize::OutputArchive target_archive;
    torch::serialize::OutputArchive optimizer_archive;
    online_->save(online_archive);
    target_->save(target_archive);
    SaveOptimizerState(*optimizer_, optimizer_archive);
    archive.write("online", online_archive);
    archive.write("target", target_archive);
    archive.write("optimizer", optimizer_archive);
    archive.write("num_updates", torch::full({1}, num_updates_, torch::kLong));
    archive.save_to(path);
  } catch (const std::exception& e) {
    throw std::runtime_error("Dqn::SaveCheckpoint: cannot write '" + path +
                             "': " + TorchErrorText(e));
  }
}

void Dqn::LoadCheckpoint(const std::string& path) {
  try {
    const torch::Device device = DeviceOf(online_);
    // Read and check every shape before touching the networks.
    torch::serialize::InputArchive archive;
    archive.load_from(path, device);
    std::vector<std::pair<std::string, torch::Tensor>> online_loaded, target_loaded;
    {
      torch::serialize::InputArchive online_archive, target_archive;
      archive.read("online", online_archive);
      archive.read("target", target_archive);
      ReadArchiveParameters(*online_, online_archive, "", &online_loaded);
      ReadArchiveParameters(*target_, target_archive, "", &target_loaded);
    }
    CheckArchiveShapes(*online_, online_loaded, "parameter");
    CheckArchiveShapes(*target_, target_loaded, "target parameter");
    torch::serialize::InputArchive optimizer_archive;
    archive.read("optimizer", optimizer_archive);
    torch::Tensor num_updates;
    archive.read("num_updates", num_updates);
    LoadOptimizerState(*optimizer_, optimizer_archive);
    SetLearningRate(learning_rate_);  // the archive's group options carry the saved rate
    CopyArchiveParameters(*online_, online_loaded);
    CopyArchiveParameters(*target_, target_loaded);
    num_updates_ = num_updates.item<int64_t>();
  } catch (const std::exception& e) {
    throw std::runtime_error("Dqn::LoadCheckpoint: cannot load '" + path +
                             "': " + TorchErrorText(e));
  }
}

namespace {

// The actor side: ε-greedy acting; transitions go out with the actor's own |TD| as priorities.
class ApexPolicy : public TransitionPolicy {
 public:
  ApexPolicy(const RunConfig& config, const EnvSpec& spec, int32_t actor_index)
      : TransitionPolicy(config, spec, actor_index),
        model_(MakeQNetwork(config.model, config.apex.dueling, SpacesOf(spec), config.seed)) {
    model_->eval();
    const int64_t total_envs = static_cast<int64_t>(config.cluster.num_actors) * num_envs();
    for (int32_t e = 0; e < num_envs(); ++e) {
      epsilons_.push_back(ApexEpsilon(static_cast<int64_t>(actor_index) * num_envs() + e,
                                      total_envs, config.apex.epsilon_base,
                                      config.apex.epsilon_alpha));
    }
  }

  torch::nn::Module& module() override { return *model_; }

 protected:
  void PolicyActions(const float* observations, float* actions) override {
    torch::InferenceMode guard;
    const torch::Tensor q =
        model_->forward(RowsView(observations, num_envs(), spec().observation_size));
    EpsilonGreedyActions(q, epsilons_.data(), rng(), actions);
  }

  void InitialPriorities(const std::vector<Transition>& transitions,
                         std::vector<double>* priorities) override {
    std::vector<float> td;
    {
      torch::InferenceMode guard;
      td = rlfleet::InitialPriorities(model_, BatchFromTransitions(transitions, {}),
                                      config().apex.double_dqn);
    }
    const std::vector<double> reachable = ReachablePriorities(td);
    priorities->insert(priorities->end(), reachable.begin(), reachable.end());
  }

 private:
  QNetwork model_;
  std::vector<double> epsilons_;
};

class ApexLearner : public TransitionLearner {
 public:
  ApexLearner(const RunConfig& config, const EnvSpec& spec, const std::string& device)
      : TransitionLearner(device, "dqn.pt"),
        learning_rate_(config.learner.learning_rate),
        anneal_(config.learner.anneal_learning_rate),
        epsilon_eval_(0.01) {
    QNetwork online = MakeQNetwork(config.model, config.apex.dueling, SpacesOf(spec), config.seed);
    QNetwork target = MakeQNetwork(config.model, config.apex.dueling, SpacesOf(spec), config.seed);
    online->to(this->device());
    target->to(this->device());
    dqn_ = std::make_unique<Dqn>(online, target, DqnOptionsFromConfig(config));
  }

  void SetProgress(double fraction) override {
    // Linear decay to 0 over the actors' env-step budget (the run's own clock).
    if (anneal_) dqn_->SetLearningRate(learning_rate_ * std::max(0.0, 1.0 - fraction));
  }

  int64_t num_updates() const override { return dqn_->num_updates(); }
  const std::vector<std::string>& metric_names() const override {
    static const std::vector<std::string> names = {"loss", "mean_q", "mean_abs_td", "grad_norm",
                                                   "learning_rate"};
    return names;
  }
  torch::nn::Module& published_module() override { return *dqn_->online(); }

  void EvalActions(const float* observations, int32_t count, bool greedy, Rng& rng,
                   float* actions) override {
    torch::InferenceMode guard;
    QNetwork online = dqn_->online();
    const torch::Tensor q = online->forward(
        ObservationsOnDevice(observations, count, online->options().observation_size));
    const std::vector<double> epsilons(static_cast<size_t>(count), greedy ? 0.0 : epsilon_eval_);
    EpsilonGreedyActions(q, epsilons.data(), rng, actions);
  }

  // The online Q network: argmax of Q, with the dueling combination when it has one.
  void DescribeGreedyPolicy(GreedyPolicy* policy) const override {
    const QNetwork online = dqn_->online();
    const QNetworkOptions& options = online->options();
    policy->observation_size = options.observation_size;
    policy->torso = LinearLayersNamed(*online, "fc");
    policy->activation = options.activation;
    if (options.dueling) {
      policy->head = GreedyPolicy::Head::kDuelingArgmax;
      policy->output = LinearLayerNamed(*online, "advantage_head");
      policy->value = LinearLayerNamed(*online, "value_head");
    } else {
      policy->head = GreedyPolicy::Head::kArgmax;
      policy->output = LinearLayerNamed(*online, "q_head");
    }
  }

 private:
  UpdateResult Train(const TransitionBatch& batch, std::vector<float>* td) override {
    const DqnStats s = dqn_->Update(batch, td);
    UpdateResult result;
    result.metrics = {s.loss, s.mean_q, s.mean_abs_td, s.grad_norm, s.learning_rate};
    result.skipped_steps = s.skipped_steps;
    return result;
  }
  void SaveState(const std::string& path) const override { dqn_->SaveCheckpoint(path); }
  void LoadState(const std::string& path) override { dqn_->LoadCheckpoint(path); }

  double learning_rate_;
  bool anneal_;
  double epsilon_eval_;
  std::unique_ptr<Dqn> dqn_;
};

}  // namespace

AlgorithmSpec ApexDqnAlgorithmSpec() {
  AlgorithmSpec spec;
  spec.name = "apex_dqn";
  spec.items = ItemKind::kTransition;
  spec.replay = ReplayKind::kReplayMemory;
  spec.actions = ActionSupport::kDiscrete;
  spec.budget = StepBudget::kActorFrames;
  // The table, batch and network sizes of configs/cartpole_apex_dqn.yaml.
  spec.bench_config = R"(
replay: {table: priority, sampler: prioritized, max_size: 100000, min_size_to_sample: 2000}
model: {hidden_sizes: [64, 64], activation: relu}
learner: {algo: apex_dqn, batch_size: 128, prefetch: 2, publish_interval: 10,
          learning_rate: 0.001, adam_eps: 0.00015, max_grad_norm: 10.0}
actor: {n_step: 3, insert_batch: 64, weights_interval_frames: 400}
apex: {target_update_period: 250}
)";
  spec.make_policy = [](const RunConfig& config, const EnvSpec& env, int32_t actor_index) {
    return std::unique_ptr<ActorPolicy>(new ApexPolicy(config, env, actor_index));
  };
  spec.make_learner = [](const RunConfig& config, const EnvSpec& env, const std::string& device) {
    return std::unique_ptr<LearnerAlgorithm>(new ApexLearner(config, env, device));
  };
  return spec;
}

}  // namespace rlfleet
