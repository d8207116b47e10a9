#include "algorithms/td3.h"

#include <torch/nn/utils/clip_grad.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>
#include <utility>

#include "algorithms/greedy_policy.h"
#include "algorithms/model_factory.h"
#include "algorithms/torch_helpers.h"
#include "algorithms/transition_learner.h"
#include "algorithms/transition_policy.h"
#include "core/epsilon_ladder.h"

namespace rlfleet {
namespace {

void Require(bool ok, const char* field, const std::string& why) {
  if (!ok) throw std::invalid_argument(std::string("Td3Options.") + field + " " + why);
}

}  // namespace

DeterministicActorImpl::DeterministicActorImpl(int64_t observation_size,
                                               const std::vector<int64_t>& hidden_sizes,
                                               const std::vector<float>& action_low,
                                               const std::vector<float>& action_high,
                                               double observation_clip)
    : observation_size_(observation_size),
      hidden_sizes_(hidden_sizes),
      action_low_(action_low),
      action_high_(action_high),
      observation_clip_(observation_clip) {
  if (observation_size <= 0 || action_low.empty()) {
    throw std::invalid_argument("DeterministicActor: sizes must be positive");
  }
  if (action_high.size() != action_low.size()) {
    throw std::invalid_argument("DeterministicActor: the action bounds must have " +
                                std::to_string(action_low.size()) + " values each");
  }
  for (size_t j = 0; j < action_low.size(); ++j) {
    if (!(action_high[j] > action_low[j]) || !std::isfinite(action_low[j]) ||
        !std::isfinite(action_high[j])) {
      throw std::invalid_argument("DeterministicActor: action bound " + std::to_string(j) +
                                  " is not a finite interval");
    }
  }
  if (observation_clip > 0.0) {
    normalizer_ =
        register_module("obs_norm", ObservationNormalizer(observation_size, observation_clip));
  }
  const int64_t width = BuildMlpTorso(*this, observation_size, hidden_sizes, &torso_);
  action_head_ = register_module("action_head",
                                 torch::nn::Linear(width, static_cast<int64_t>(action_low.size())));
  low_ = register_buffer("low", torch::tensor(action_low));
  high_ = register_buffer("high", torch::tensor(action_high));
  scale_ = register_buffer("scale", (high_ - low_) / 2);
  bias_ = register_buffer("bias", (high_ + low_) / 2);
}

torch::Tensor DeterministicActorImpl::forward(const torch::Tensor& observations) {
  CheckObservationBatch(observations, observation_size_, "DeterministicActor");
  return action_head_->forward(RunMlpTorso(torso_, Normalize(observations))).tanh() * scale_ +
         bias_;
}

torch::Tensor DeterministicActorImpl::Normalize(const torch::Tensor& observations) {
  return normalizer_ ? normalizer_->forward(observations) : observations;
}

std::shared_ptr<DeterministicActorImpl> DeterministicActorImpl::Copy() {
  auto copy = std::make_shared<DeterministicActorImpl>(
      observation_size_, hidden_sizes_, action_low_, action_high_, observation_clip_);
  copy->to(DeviceOf(*this));
  PolyakUpdate(*this, *copy, 1.0);
  return copy;
}

void Td3Options::Validate() const {
  Require(learning_rate > 0.0 && std::isfinite(learning_rate), "learning_rate",
          "must be finite and positive");
  Require(adam_eps > 0.0, "adam_eps", "must be positive");
  Require(!std::isnan(max_grad_norm), "max_grad_norm", "must not be NaN");
  Require(tau > 0.0 && tau <= 1.0, "tau", "must be in (0, 1]");
  Require(policy_noise >= 0.0 && std::isfinite(policy_noise), "policy_noise",
          "must be finite and >= 0");
  Require(noise_clip >= 0.0 && std::isfinite(noise_clip), "noise_clip", "must be finite and >= 0");
  Require(policy_delay >= 1, "policy_delay", "must be >= 1");
}

Td3::Td3(DeterministicActor actor, QFunction q1, QFunction q2, const Td3Options& options)
    : actor_(std::move(actor)),
      q1_(std::move(q1)),
      q2_(std::move(q2)),
      options_(options),
      last_actor_loss_(std::numeric_limits<double>::quiet_NaN()) {
  options_.Validate();
  target_actor_ = DeterministicActor(actor_->Copy());
  target_q1_ = QFunction(q1_->Copy());
  target_q2_ = QFunction(q2_->Copy());
  for (auto* target : {static_cast<torch::nn::Module*>(target_actor_.get()),
                       static_cast<torch::nn::Module*>(target_q1_.get()),
                       static_cast<torch::nn::Module*>(target_q2_.get())}) {
    for (auto& p : target->parameters()) p.set_requires_grad(false);
  }
  const auto adam = torch::optim::AdamOptions(options_.learning_rate).eps(options_.adam_eps);
  actor_optimizer_ = std::make_unique<torch::optim::Adam>(actor_->parameters(), adam);
  critic_parameters_ = q1_->parameters();
  for (const auto& p : q2_->parameters()) critic_parameters_.push_back(p);
  critic_optimizer_ = std::make_unique<torch::optim::Adam>(critic_parameters_, adam);
}

void Td3::CriticTerms(const TransitionBatch& batch, const torch::Tensor& next_noise,
                      Td3Losses* losses) {
  const torch::Device device = DeviceOf(*actor_);
  const torch::Tensor x = batch.observations.to(device, torch::kFloat);
  const torch::Tensor a = batch.actions.to(device, torch::kFloat);
  const torch::Tensor r = batch.rewards.to(device, torch::kFloat).reshape({-1});
  const torch::Tensor discount = batch.discounts.to(device, torch::kFloat).reshape({-1});
  const torch::Tensor x1 = batch.next_observations.to(device, torch::kFloat);
  const torch::Tensor w = batch.weights.defined()
                              ? batch.weights.to(device, torch::kFloat).reshape({-1})
                              : torch::ones_like(r);
  torch::Tensor y;
  {
    torch::NoGradGuard no_grad;
    // Target policy smoothing: clipped noise around the target actor's action, kept in bounds.
    const torch::Tensor smoothing = (options_.policy_noise * next_noise.to(device))
                                        .clamp(-options_.noise_clip, options_.noise_clip);
    const torch::Tensor next_action = torch::max(
        torch::min(target_actor_->forward(x1) + smoothing * actor_->scale(), actor_->high()),
        actor_->low());
    const torch::Tensor x1n = target_actor_->Normalize(x1);
    const torch::Tensor next_q =
        torch::min(target_q1_->forward(x1n, next_action), target_q2_->forward(x1n, next_action));
    y = r + discount * next_q;
  }
  const torch::Tensor xn = actor_->Normalize(x);
  const torch::Tensor q1 = q1_->forward(xn, a);
  const torch::Tensor q2 = q2_->forward(xn, a);
  losses->critic = (w * (q1 - y).pow(2)).mean() + (w * (q2 - y).pow(2)).mean();
  losses->td = (0.5 * ((q1 - y).abs() + (q2 - y).abs())).detach();
  losses->mean_q = torch::min(q1, q2).mean().detach();
}

torch::Tensor Td3::ActorLoss(const TransitionBatch& batch) {
  const torch::Tensor x = batch.observations.to(DeviceOf(*actor_), torch::kFloat);
  return -q1_->forward(actor_->Normalize(x), actor_->forward(x)).mean();
}

Td3Losses Td3::Losses(const TransitionBatch& batch, const torch::Tensor& next_noise) {
  Td3Losses losses;
  CriticTerms(batch, next_noise, &losses);
  losses.actor = ActorLoss(batch);
  return losses;
}

Td3Stats Td3::Update(const TransitionBatch& batch, std::vector<float>* new_priorities) {
  const int64_t b = batch.observations.size(0);
  const torch::Device device = DeviceOf(*actor_);
  Td3Losses losses;
  Td3Stats stats;
  auto step = [&](torch::optim::Adam& optimizer, const torch::Tensor& loss,
                  const std::vector<torch::Tensor>& parameters) {
    if (!std::isfinite(GuardedStep(optimizer, loss, parameters, options_.max_grad_norm))) {
      ++stats.skipped_steps;
    }
  };
  CriticTerms(batch,
              torch::randn({b, actor_->action_size()}, torch::TensorOptions().device(device)),
              &losses);
  stats.critic_loss = losses.critic.item<double>();
  stats.mean_q = losses.mean_q.item<double>();
  step(*critic_optimizer_, losses.critic, critic_parameters_);
  ++num_updates_;
  // Delayed policy updates: the actor and all targets move on every policy_delay-th update,
  // the actor on the critics just updated (whose weights are constants in its loss).
  if (num_updates_ % options_.policy_delay == 0) {
    {
      FrozenParameters frozen(critic_parameters_);
      const torch::Tensor actor_loss = ActorLoss(batch);
      last_actor_loss_ = actor_loss.item<double>();
      step(*actor_optimizer_, actor_loss, actor_->parameters());
    }
    PolyakUpdate(*actor_, *target_actor_, options_.tau);
    PolyakUpdate(*q1_, *target_q1_, options_.tau);
    PolyakUpdate(*q2_, *target_q2_, options_.tau);
    stats.actor_updated = true;
  }
  stats.actor_loss = last_actor_loss_;
  const torch::Tensor td = losses.td.to(torch::kCPU, torch::kFloat).contiguous();
  stats.mean_abs_td = td.mean().item<double>();
  if (new_priorities != nullptr) {
    new_priorities->assign(td.data_ptr<float>(), td.data_ptr<float>() + b);
  }
  return stats;
}

torch::Tensor Td3::Act(const torch::Tensor& observations) {
  torch::NoGradGuard no_grad;
  return actor_->forward(observations);
}

ArchiveContents Td3::Contents(torch::Tensor* num_updates) {
  ArchiveContents contents;
  contents.modules = {{"actor", actor_.get()},
                      {"target_actor", target_actor_.get()},
                      {"q1", q1_.get()},
                      {"q2", q2_.get()},
                      {"target_q1", target_q1_.get()},
                      {"target_q2", target_q2_.get()}};
  contents.optimizers = {{"actor_optimizer", actor_optimizer_.get()},
                         {"critic_optimizer", critic_optimizer_.get()}};
  contents.tensors = {{"num_updates", num_updates}};
  return contents;
}

void Td3::SaveCheckpoint(const std::string& path) const {
  torch::Tensor num_updates = torch::full({1}, num_updates_, torch::kLong);
  // Saving only reads the modules and optimisers Contents points at.
  SaveArchive(path, const_cast<Td3*>(this)->Contents(&num_updates), "Td3::SaveCheckpoint");
}

void Td3::LoadCheckpoint(const std::string& path) {
  torch::Tensor num_updates = torch::zeros({1}, torch::kLong);
  LoadArchive(path, DeviceOf(*actor_), Contents(&num_updates), "Td3::LoadCheckpoint");
  num_updates_ = num_updates.item<int64_t>();
}

namespace {

Td3Options Td3OptionsFromConfig(const RunConfig& config) {
  Td3Options options;
  options.learning_rate = config.learner.learning_rate;
  options.adam_eps = config.learner.adam_eps;
  options.max_grad_norm = config.learner.max_grad_norm;
  options.tau = config.td3.tau;
  options.policy_noise = config.td3.policy_noise;
  options.noise_clip = config.td3.noise_clip;
  options.policy_delay = config.td3.policy_delay;
  return options;
}

// The policy network of a run, seeded like the other algorithms' so that every process starts
// equal (the learner builds its critics after it, under the same seed).
DeterministicActor MakeActor(const RunConfig& config, const EnvSpec& spec) {
  return DeterministicActor(spec.observation_size, config.model.hidden_sizes, spec.action_low,
                            spec.action_high, ObservationClip(config.model));
}

void RequireContinuous(const EnvSpec& spec) {
  if (spec.discrete_actions) {
    throw std::invalid_argument("td3 needs continuous actions; " + spec.id + " has discrete ones");
  }
}

// μ plus N(0, σ²) noise in units of the action half-range (high − low) / 2, clipped to
// [low, high]: the actors' exploration and the stochastic evaluation.
float ExploratoryAction(double mu, double sigma, double low, double high, Rng& rng) {
  const double noisy = mu + sigma * 0.5 * (high - low) * rng.Normal();
  return static_cast<float>(std::min(std::max(noisy, low), high));
}

// The actor side: μ(x) plus Gaussian noise of this env's scale on the ladder, clipped to the
// bounds.
class Td3Policy : public TransitionPolicy {
 public:
  Td3Policy(const RunConfig& config, const EnvSpec& spec, int32_t actor_index)
      : TransitionPolicy(config, spec, actor_index) {
    RequireContinuous(spec);
    {
      const auto lock = SeedModelInitialisation(config.seed);
      actor_ = MakeActor(config, spec);
    }
    actor_->eval();
    const int64_t total_envs = static_cast<int64_t>(config.cluster.num_actors) * num_envs();
    for (int32_t e = 0; e < num_envs(); ++e) {
      sigmas_.push_back(GeometricLadder(static_cast<int64_t>(actor_index) * num_envs() + e,
                                        total_envs, config.td3.exploration_noise_high,
                                        config.td3.exploration_noise_low));
    }
  }

  torch::nn::Module& module() override { return *actor_; }

 protected:
  void PolicyActions(const float* observations, float* actions) override {
    const int32_t a = spec().action_size;
    torch::InferenceMode guard;
    const torch::Tensor mu =
        actor_->forward(RowsView(observations, num_envs(), spec().observation_size));
    const float* m = mu.data_ptr<float>();
    for (int32_t e = 0; e < num_envs(); ++e) {
      for (int32_t j = 0; j < a; ++j) {
        actions[e * a + j] = ExploratoryAction(m[e * a + j], sigmas_[e], spec().action_low[j],
                                               spec().action_high[j], rng());
      }
    }
  }

 private:
  DeterministicActor actor_{nullptr};
  std::vector<double> sigmas_;
};

class Td3Learner : public TransitionLearner {
 public:
  Td3Learner(const RunConfig& config, const EnvSpec& spec, const std::string& device)
      : TransitionLearner(device, "td3.pt"),
        eval_sigma_(config.td3.exploration_noise_high),
        low_(spec.action_low),
        high_(spec.action_high) {
    RequireContinuous(spec);
    const auto lock = SeedModelInitialisation(config.seed);
    DeterministicActor actor = MakeActor(config, spec);
    QFunction q1(spec.observation_size, spec.action_size, config.model.hidden_sizes);
    QFunction q2(spec.observation_size, spec.action_size, config.model.hidden_sizes);
    actor->to(this->device());
    q1->to(this->device());
    q2->to(this->device());
    td3_ = std::make_unique<Td3>(actor, q1, q2, Td3OptionsFromConfig(config));
    if (config.model.normalize_observations) {
      NormalizeObservations(spec.observation_size,
                            {td3_->actor()->normalizer(), td3_->target_actor()->normalizer()});
    }
  }

  void SetProgress(double) override {}
  int64_t num_updates() const override { return td3_->num_updates(); }
  const std::vector<std::string>& metric_names() const override {
    static const std::vector<std::string> names = {"critic_loss", "actor_loss", "mean_q",
                                                   "mean_abs_td"};
    return names;
  }
  torch::nn::Module& published_module() override { return *td3_->actor(); }
  void EvalActions(const float* observations, int32_t count, bool greedy, Rng& rng,
                   float* actions) override {
    const int64_t d = td3_->actor()->observation_size(), a = td3_->actor()->action_size();
    const torch::Tensor mu = td3_->Act(ObservationsOnDevice(observations, count, d))
                                 .to(torch::kCPU, torch::kFloat)
                                 .contiguous();
    const float* m = mu.data_ptr<float>();
    for (int64_t i = 0; i < count * a; ++i) {
      actions[i] =
          greedy ? m[i] : ExploratoryAction(m[i], eval_sigma_, low_[i % a], high_[i % a], rng);
    }
  }

  // The deterministic actor: tanh(head) · scale + bias (DeterministicActorImpl::forward).
  void DescribeGreedyPolicy(GreedyPolicy* policy) const override {
    const DeterministicActor actor = td3_->actor();
    const ObservationNormalizer normalizer = actor->normalizer();
    DescribeTanhScaledActor(*actor, actor->observation_size(),
                            normalizer ? normalizer->clip() : 0.0, "action_head", actor->scale(),
                            actor->bias(), policy);
  }

 private:
  UpdateResult Train(const TransitionBatch& batch, std::vector<float>* td) override {
    const Td3Stats s = td3_->Update(batch, td);
    UpdateResult result;
    result.metrics = {s.critic_loss, s.actor_loss, s.mean_q, s.mean_abs_td};
    result.skipped_steps = s.skipped_steps;
    return result;
  }
  void SaveState(const std::string& path) const override { td3_->SaveCheckpoint(path); }
  void LoadState(const std::string& path) override { td3_->LoadCheckpoint(path); }

  double eval_sigma_;
  std::vector<float> low_, high_;  // the env's action bounds
  std::unique_ptr<Td3> td3_;
};

}  // namespace

AlgorithmSpec Td3AlgorithmSpec() {
  AlgorithmSpec spec;
  spec.name = "td3";
  spec.items = ItemKind::kTransition;
  spec.replay = ReplayKind::kReplayMemory;
  spec.actions = ActionSupport::kContinuous;
  spec.budget = StepBudget::kActorFrames;
  spec.observation_normalization = true;
  spec.bench_config = R"(
env: {id: HalfCheetah-v4}
replay: {table: replay, sampler: uniform, max_size: 100000, min_size_to_sample: 1000}
model: {hidden_sizes: [256, 256], activation: relu}
learner: {algo: td3, batch_size: 256, prefetch: 2, publish_interval: 10,
          learning_rate: 0.0003, adam_eps: 1.0e-8, max_grad_norm: 1000000}
)";
  spec.make_policy = [](const RunConfig& config, const EnvSpec& env, int32_t actor_index) {
    return std::unique_ptr<ActorPolicy>(new Td3Policy(config, env, actor_index));
  };
  spec.make_learner = [](const RunConfig& config, const EnvSpec& env, const std::string& device) {
    return std::unique_ptr<LearnerAlgorithm>(new Td3Learner(config, env, device));
  };
  return spec;
}

}  // namespace rlfleet
