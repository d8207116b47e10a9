#include "algorithms/sac.h"

#include <torch/nn/utils/clip_grad.h>
#include <torch/serialize/archive.h>
#include <torch/torch.h>

#include <cmath>
#include <optional>
#include <stdexcept>
#include <utility>

#include "algorithms/checkpoint_archive.h"
#include "algorithms/greedy_policy.h"
#include "algorithms/model_factory.h"
#include "algorithms/torch_helpers.h"
#include "algorithms/transition_batch.h"
#include "algorithms/transition_learner.h"
#include "algorithms/transition_policy.h"
#include "core/clock.h"
#include "core/nstep.h"
#include "core/random.h"

namespace rlfleet {
namespace {

void Require(bool ok, const char* field, const std::string& why) {
  if (!ok) throw std::invalid_argument(std::string("SacOptions.") + field + " " + why);
}

}  // namespace

SquashedGaussianActorImpl::SquashedGaussianActorImpl(int64_t observation_size, int64_t action_size,
                                                     const std::vector<int64_t>& hidden_sizes,
                                                     double observation_clip)
    : observation_size_(observation_size), action_size_(action_size) {
  if (observation_size <= 0 || action_size <= 0) {
    throw std::invalid_argument("SquashedGaussianActor: sizes must be positive");
  }
  if (observation_clip > 0.0) {
    normalizer_ =
        register_module("obs_norm", ObservationNormalizer(observation_size, observation_clip));
  }
  const int64_t width = BuildMlpTorso(*this, observation_size, hidden_sizes, &torso_);
  mean_head_ = register_module("mean_head", torch::nn::Linear(width, action_size));
  log_std_head_ = register_module("log_std_head", torch::nn::Linear(width, action_size));
}

std::pair<torch::Tensor, torch::Tensor> SquashedGaussianActorImpl::forward(
    const torch::Tensor& observations) {
  CheckObservationBatch(observations, observation_size_, "SquashedGaussianActor");
  const torch::Tensor x = RunMlpTorso(torso_, Normalize(observations));
  return {mean_head_->forward(x), log_std_head_->forward(x).clamp(kLogStdMin, kLogStdMax)};
}

torch::Tensor SquashedGaussianActorImpl::Normalize(const torch::Tensor& observations) {
  return normalizer_ ? normalizer_->forward(observations) : observations;
}

SquashedSample SquashedGaussianSample(const torch::Tensor& mean, const torch::Tensor& log_std,
                                      const torch::Tensor& noise, const torch::Tensor& scale,
                                      const torch::Tensor& bias) {
  const torch::Tensor u = mean + log_std.exp() * noise;
  // log N(u; mean, σ) = −noise²/2 − log σ − log √(2π), since (u − mean)/σ = noise.
  const torch::Tensor gaussian = -0.5 * noise.pow(2) - log_std - 0.5 * std::log(2.0 * M_PI);
  const torch::Tensor log_one_minus_tanh2 =
      2.0 * (std::log(2.0) - u - torch::nn::functional::softplus(-2.0 * u));
  SquashedSample sample;
  sample.action = u.tanh() * scale + bias;
  sample.log_prob = (gaussian - scale.log() - log_one_minus_tanh2).sum(1);
  return sample;
}

void SacOptions::Validate() const {
  Require(learning_rate > 0.0 && std::isfinite(learning_rate), "learning_rate",
          "must be finite and positive");
  Require(adam_eps > 0.0, "adam_eps", "must be positive");
  Require(!std::isnan(max_grad_norm), "max_grad_norm", "must not be NaN");
  Require(tau > 0.0 && tau <= 1.0, "tau", "must be in (0, 1]");
  Require(initial_alpha > 0.0 && std::isfinite(initial_alpha), "initial_alpha",
          "must be finite and positive");
  Require(std::isfinite(target_entropy), "target_entropy", "must be finite");
}

Sac::Sac(SquashedGaussianActor actor, QFunction q1, QFunction q2,
         const std::vector<float>& action_low, const std::vector<float>& action_high,
         const SacOptions& options)
    : actor_(std::move(actor)), q1_(std::move(q1)), q2_(std::move(q2)), options_(options) {
  options_.Validate();
  const int64_t a = actor_->action_size();
  if (static_cast<int64_t>(action_low.size()) != a ||
      static_cast<int64_t>(action_high.size()) != a) {
    throw std::invalid_argument("Sac: the action bounds must have " + std::to_string(a) +
                                " values");
  }
  for (int64_t j = 0; j < a; ++j) {
    if (!(action_high[j] > action_low[j]) || !std::isfinite(action_low[j]) ||
        !std::isfinite(action_high[j])) {
      throw std::invalid_argument("Sac: action bound " + std::to_string(j) +
                                  " is not a finite interval");
    }
  }
  const torch::Device device = DeviceOf(*actor_);
  const torch::Tensor low = torch::tensor(action_low).to(device);
  const torch::Tensor high = torch::tensor(action_high).to(device);
  scale_ = (high - low) / 2;
  bias_ = (high + low) / 2;
  // Target critics: deep copies of the online ones.
  target_q1_ = QFunction(q1_->Copy());
  target_q2_ = QFunction(q2_->Copy());
  for (auto& p : target_q1_->parameters()) p.set_requires_grad(false);
  for (auto& p : target_q2_->parameters()) p.set_requires_grad(false);
  log_alpha_ =
      torch::full({1}, std::log(options_.initial_alpha), torch::TensorOptions().device(device))
          .set_requires_grad(options_.autotune_alpha);
  const auto adam = torch::optim::AdamOptions(options_.learning_rate).eps(options_.adam_eps);
  actor_optimizer_ = std::make_unique<torch::optim::Adam>(actor_->parameters(), adam);
  critic_parameters_ = q1_->parameters();
  for (const auto& p : q2_->parameters()) critic_parameters_.push_back(p);
  critic_optimizer_ = std::make_unique<torch::optim::Adam>(critic_parameters_, adam);
  alpha_optimizer_ =
      std::make_unique<torch::optim::Adam>(std::vector<torch::Tensor>{log_alpha_}, adam);
}

double Sac::alpha() const { return log_alpha_.exp().item<double>(); }

SacLosses Sac::Losses(const TransitionBatch& batch, const torch::Tensor& next_noise,
                      const torch::Tensor& noise) {
  SacLosses losses;
  CriticTerms(batch, next_noise, &losses);
  ActorTerms(batch, noise, &losses);
  return losses;
}

void Sac::CriticTerms(const TransitionBatch& batch, const torch::Tensor& next_noise,
                      SacLosses* losses) {
  const torch::Device device = DeviceOf(*actor_);
  const torch::Tensor x = batch.observations.to(device, torch::kFloat);
  const torch::Tensor a = batch.actions.to(device, torch::kFloat);
  const torch::Tensor r = batch.rewards.to(device, torch::kFloat).reshape({-1});
  const torch::Tensor discount = batch.discounts.to(device, torch::kFloat).reshape({-1});
  const torch::Tensor x1 = batch.next_observations.to(device, torch::kFloat);
  const torch::Tensor w = batch.weights.defined()
                              ? batch.weights.to(device, torch::kFloat).reshape({-1})
                              : torch::ones_like(r);
  const torch::Tensor alpha = log_alpha_.exp().detach();
  // Critic targets from the target critics and a fresh action at x'.
  torch::Tensor y;
  {
    torch::NoGradGuard no_grad;
    const auto [next_mean, next_log_std] = actor_->forward(x1);
    const SquashedSample next =
        SquashedGaussianSample(next_mean, next_log_std, next_noise.to(device), scale_, bias_);
    const torch::Tensor x1n = actor_->Normalize(x1);
    const torch::Tensor next_q =
        torch::min(target_q1_->forward(x1n, next.action), target_q2_->forward(x1n, next.action));
    y = r + discount * (next_q - alpha * next.log_prob);
  }
  const torch::Tensor xn = actor_->Normalize(x);
  const torch::Tensor q1 = q1_->forward(xn, a);
  const torch::Tensor q2 = q2_->forward(xn, a);
  losses->critic = 0.5 * ((w * (q1 - y).pow(2)).mean() + (w * (q2 - y).pow(2)).mean());
  losses->td = (0.5 * ((q1 - y).abs() + (q2 - y).abs())).detach();
  losses->mean_q = torch::min(q1, q2).mean().detach();
}

void Sac::ActorTerms(const TransitionBatch& batch, const torch::Tensor& noise, SacLosses* losses) {
  const torch::Device device = DeviceOf(*actor_);
  const torch::Tensor x = batch.observations.to(device, torch::kFloat);
  const torch::Tensor alpha = log_alpha_.exp().detach();
  // A reparameterised action at x, valued by the online critics.
  const auto [mean, log_std] = actor_->forward(x);
  const SquashedSample current =
      SquashedGaussianSample(mean, log_std, noise.to(device), scale_, bias_);
  const torch::Tensor xn = actor_->Normalize(x);
  const torch::Tensor q_new =
      torch::min(q1_->forward(xn, current.action), q2_->forward(xn, current.action));
  losses->actor = (alpha * current.log_prob - q_new).mean();
  losses->log_prob = current.log_prob.detach();
  losses->alpha = -(log_alpha_ * (losses->log_prob + options_.target_entropy)).mean();
}

std::vector<std::pair<std::string, double>> Sac::phase_seconds() const {
  return {{"critic_forward", phase_[0]}, {"critic_backward_step", phase_[1]},
          {"actor_forward", phase_[2]},  {"actor_backward_step", phase_[3]},
          {"alpha_step", phase_[4]},     {"target_update", phase_[5]}};
}

SacStats Sac::Update(const TransitionBatch& batch, std::vector<float>* new_priorities) {
  const int64_t b = batch.observations.size(0);
  const int64_t a = actor_->action_size();
  const torch::Device device = DeviceOf(*actor_);
  const auto options = torch::TensorOptions().device(device);
  SacLosses losses;
  SacStats stats;
  stats.alpha = alpha();
  auto step = [&](torch::optim::Adam& optimizer, const torch::Tensor& loss,
                  const std::vector<torch::Tensor>& parameters) {
    if (!std::isfinite(GuardedStep(optimizer, loss, parameters, options_.max_grad_norm))) {
      ++stats.skipped_steps;
    }
  };
  // Critic step first; the actor's loss is then built on the updated critics, as in the
  // reference implementations.
  Stopwatch clock;
  auto lap = [&](int phase) {
    phase_[phase] += clock.Seconds();
    clock.Reset();
  };
  CriticTerms(batch, torch::randn({b, a}, options), &losses);
  stats.critic_loss = losses.critic.item<double>();
  stats.mean_q = losses.mean_q.item<double>();
  lap(0);
  step(*critic_optimizer_, losses.critic, critic_parameters_);
  lap(1);
  {
    // The actor's loss goes through both critics; their weights are constants in it.
    FrozenParameters frozen(critic_parameters_);
    ActorTerms(batch, torch::randn({b, a}, options), &losses);
    stats.actor_loss = losses.actor.item<double>();
    stats.entropy = -losses.log_prob.mean().item<double>();
    lap(2);
    step(*actor_optimizer_, losses.actor, actor_->parameters());
    lap(3);
  }
  if (options_.autotune_alpha) {
    stats.alpha_loss = losses.alpha.item<double>();
    step(*alpha_optimizer_, losses.alpha, {log_alpha_});
  }
  lap(4);
  PolyakUpdate(*q1_, *target_q1_, options_.tau);
  PolyakUpdate(*q2_, *target_q2_, options_.tau);
  lap(5);
  ++num_updates_;
  const torch::Tensor td = losses.td.to(torch::kCPU, torch::kFloat).contiguous();
  stats.mean_abs_td = td.mean().item<double>();
  if (new_priorities != nullptr) {
    new_priorities->assign(td.data_ptr<float>(), td.data_ptr<float>() + b);
  }
  return stats;
}

torch::Tensor Sac::Act(const torch::Tensor& observations, const torch::Tensor* noise) {
  torch::NoGradGuard no_grad;
  const auto [mean, log_std] = actor_->forward(observations);
  if (noise == nullptr) return mean.tanh() * scale_ + bias_;
  return SquashedGaussianSample(mean, log_std, *noise, scale_, bias_).action;
}

ArchiveContents Sac::Contents(torch::Tensor* num_updates) {
  ArchiveContents contents;
  contents.modules = {{"actor", actor_.get()},
                      {"q1", q1_.get()},
                      {"q2", q2_.get()},
                      {"target_q1", target_q1_.get()},
                      {"target_q2", target_q2_.get()}};
  contents.optimizers = {{"actor_optimizer", actor_optimizer_.get()},
                         {"critic_optimizer", critic_optimizer_.get()},
                         {"alpha_optimizer", alpha_optimizer_.get()}};
  contents.tensors = {{"log_alpha", &log_alpha_}, {"num_updates", num_updates}};
  return contents;
}

void Sac::SaveCheckpoint(const std::string& path) const {
  torch::Tensor num_updates = torch::full({1}, num_updates_, torch::kLong);
  // Saving only reads the modules, optimisers and tensors Contents points at.
  SaveArchive(path, const_cast<Sac*>(this)->Contents(&num_updates), "Sac::SaveCheckpoint");
}

void Sac::LoadCheckpoint(const std::string& path) {
  torch::Tensor num_updates = torch::zeros({1}, torch::kLong);
  LoadArchive(path, DeviceOf(*actor_), Contents(&num_updates), "Sac::LoadCheckpoint");
  num_updates_ = num_updates.item<int64_t>();
}

namespace {

SacOptions SacOptionsFromConfig(const RunConfig& config, const EnvSpec& spec) {
  SacOptions options;
  options.learning_rate = config.learner.learning_rate;
  options.adam_eps = config.learner.adam_eps;
  options.max_grad_norm = config.learner.max_grad_norm;
  options.tau = config.sac.tau;
  options.autotune_alpha = config.sac.autotune_alpha;
  options.initial_alpha = config.sac.initial_alpha;
  options.target_entropy = -config.sac.target_entropy_scale * spec.action_size;
  return options;
}

// Networks of a run, seeded like the other algorithms' so that every process starts equal.
std::unique_ptr<Sac> MakeSac(const RunConfig& config, const EnvSpec& spec,
                             const torch::Device& device) {
  const auto lock = SeedModelInitialisation(config.seed);
  SquashedGaussianActor actor(spec.observation_size, spec.action_size, config.model.hidden_sizes,
                              ObservationClip(config.model));
  QFunction q1(spec.observation_size, spec.action_size, config.model.hidden_sizes);
  QFunction q2(spec.observation_size, spec.action_size, config.model.hidden_sizes);
  actor->to(device);
  q1->to(device);
  q2->to(device);
  return std::make_unique<Sac>(actor, q1, q2, spec.action_low, spec.action_high,
                               SacOptionsFromConfig(config, spec));
}

// The actor side: samples of the squashed Gaussian from the actor's own stream.
class SacPolicy : public TransitionPolicy {
 public:
  SacPolicy(const RunConfig& config, const EnvSpec& spec, int32_t actor_index)
      : TransitionPolicy(config, spec, actor_index) {
    // The actor only needs the policy network; seeded like the learner's.
    const auto lock = SeedModelInitialisation(config.seed);
    actor_ = SquashedGaussianActor(spec.observation_size, spec.action_size,
                                   config.model.hidden_sizes, ObservationClip(config.model));
    actor_->eval();
  }

  torch::nn::Module& module() override { return *actor_; }

 protected:
  void PolicyActions(const float* observations, float* actions) override {
    const int32_t a = spec().action_size;
    torch::InferenceMode guard;
    const auto [mean, log_std] =
        actor_->forward(RowsView(observations, num_envs(), spec().observation_size));
    const float* m = mean.data_ptr<float>();
    const float* s = log_std.data_ptr<float>();
    for (int32_t i = 0; i < num_envs() * a; ++i) {
      const int32_t j = i % a;
      const double u = m[i] + std::exp(s[i]) * rng().Normal();
      const double scale = 0.5 * (spec().action_high[j] - spec().action_low[j]);
      const double bias = 0.5 * (spec().action_high[j] + spec().action_low[j]);
      actions[i] = static_cast<float>(std::tanh(u) * scale + bias);
    }
  }

 private:
  SquashedGaussianActor actor_{nullptr};
};

class SacLearner : public TransitionLearner {
 public:
  SacLearner(const RunConfig& config, const EnvSpec& spec, const std::string& device)
      : TransitionLearner(device, "sac.pt"), sac_(MakeSac(config, spec, this->device())) {
    if (config.model.normalize_observations) {
      NormalizeObservations(spec.observation_size, {sac_->actor()->normalizer()});
    }
  }

  void SetProgress(double) override {}
  int64_t num_updates() const override { return sac_->num_updates(); }
  const std::vector<std::string>& metric_names() const override {
    static const std::vector<std::string> names = {
        "critic_loss", "actor_loss", "alpha_loss", "alpha", "entropy", "mean_q", "mean_abs_td"};
    return names;
  }
  torch::nn::Module& published_module() override { return *sac_->actor(); }
  std::vector<std::pair<std::string, double>> UpdatePhaseSeconds() const override {
    return sac_->phase_seconds();
  }
  void EvalActions(const float* observations, int32_t count, bool greedy, Rng& rng,
                   float* actions) override {
    const int64_t d = sac_->actor()->observation_size(), a = sac_->actor()->action_size();
    const torch::Tensor x = ObservationsOnDevice(observations, count, d);
    torch::Tensor noise;
    if (!greedy) {
      noise = torch::empty({count, a});
      float* n = noise.data_ptr<float>();
      for (int64_t i = 0; i < count * a; ++i) n[i] = static_cast<float>(rng.Normal());
      noise = noise.to(device());
    }
    const torch::Tensor act =
        sac_->Act(x, greedy ? nullptr : &noise).to(torch::kCPU, torch::kFloat).contiguous();
    std::copy_n(act.data_ptr<float>(), count * a, actions);
  }

  // The actor's mean squashed into the bounds: tanh(mean) · scale + bias (Sac::Act).
  void DescribeGreedyPolicy(GreedyPolicy* policy) const override {
    const SquashedGaussianActor actor = sac_->actor();
    const ObservationNormalizer normalizer = actor->normalizer();
    DescribeTanhScaledActor(*actor, actor->observation_size(),
                            normalizer ? normalizer->clip() : 0.0, "mean_head", sac_->scale(),
                            sac_->bias(), policy);
  }

 private:
  UpdateResult Train(const TransitionBatch& batch, std::vector<float>* td) override {
    const SacStats s = sac_->Update(batch, td);
    UpdateResult result;
    result.metrics = {s.critic_loss, s.actor_loss, s.alpha_loss, s.alpha,
                      s.entropy,     s.mean_q,     s.mean_abs_td};
    result.skipped_steps = s.skipped_steps;
    return result;
  }
  void SaveState(const std::string& path) const override { sac_->SaveCheckpoint(path); }
  void LoadState(const std::string& path) override { sac_->LoadCheckpoint(path); }

  std::unique_ptr<Sac> sac_;
};

}  // namespace

AlgorithmSpec SacAlgorithmSpec() {
  AlgorithmSpec spec;
  spec.name = "sac";
  spec.items = ItemKind::kTransition;
  spec.replay = ReplayKind::kReplayMemory;
  spec.actions = ActionSupport::kContinuous;
  spec.budget = StepBudget::kActorFrames;
  spec.observation_normalization = true;
  spec.bench_config = R"(
env: {id: HalfCheetah-v4}
replay: {table: replay, sampler: uniform, max_size: 100000, min_size_to_sample: 1000}
model: {hidden_sizes: [256, 256], activation: relu}
learner: {algo: sac, batch_size: 256, prefetch: 2, publish_interval: 10,
          learning_rate: 0.0003, adam_eps: 1.0e-8, max_grad_norm: 1000000}
)";
  spec.make_policy = [](const RunConfig& config, const EnvSpec& env, int32_t actor_index) {
    return std::unique_ptr<ActorPolicy>(new SacPolicy(config, env, actor_index));
  };
  spec.make_learner = [](const RunConfig& config, const EnvSpec& env, const std::string& device) {
    return std::unique_ptr<LearnerAlgorithm>(new SacLearner(config, env, device));
  };
  return spec;
}

}  // namespace rlfleet
