#include "algorithms/impala.h"

#include <torch/torch.h>

#include <torch/nn/utils/clip_grad.h>
#include <torch/serialize/archive.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "algorithms/adam_state.h"
#include "algorithms/device.h"
#include "algorithms/greedy_policy.h"
#include "algorithms/model_factory.h"
#include "algorithms/observation_normalizer.h"
#include "algorithms/torch_helpers.h"

namespace rlfleet {
namespace {

void Require(bool ok, const char* field, const std::string& why) {
  if (!ok) throw std::invalid_argument(std::string("ImpalaOptions.") + field + " " + why);
}

template <typename T>
void CopyInto(const std::vector<T>& source, torch::Tensor& target, int64_t row) {
  const size_t n = source.size();
  if (n > 0) std::memcpy(target.data_ptr<T>() + row * n, source.data(), n * sizeof(T));
}

}  // namespace

ImpalaBatch BatchFromUnrolls(const std::vector<Unroll>& unrolls) {
  if (unrolls.empty()) throw std::invalid_argument("BatchFromUnrolls: no unrolls");
  const Unroll& first = unrolls.front();
  int64_t num_truncations = 0;
  for (size_t b = 0; b < unrolls.size(); ++b) {
    const Unroll& u = unrolls[b];
    u.Validate();
    if (u.length != first.length || u.observation_size != first.observation_size ||
        u.action_size != first.action_size || u.discrete_actions != first.discrete_actions) {
      throw std::invalid_argument(
          "BatchFromUnrolls: unroll " + std::to_string(b) + " has (T, D, A, discrete) = (" +
          std::to_string(u.length) + ", " + std::to_string(u.observation_size) + ", " +
          std::to_string(u.action_size) + ", " + std::to_string(u.discrete_actions) +
          "), unroll 0 has (" + std::to_string(first.length) + ", " +
          std::to_string(first.observation_size) + ", " + std::to_string(first.action_size) + ", " +
          std::to_string(first.discrete_actions) + ")");
    }
    num_truncations += u.NumTruncations();
  }
  const int64_t B = static_cast<int64_t>(unrolls.size());
  const int64_t T = first.length, D = first.observation_size, A = first.action_size;
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat);
  const auto u8 = torch::TensorOptions().dtype(torch::kUInt8);

  // Batch-major buffers, one memcpy per field per unroll, then one transposing copy each.
  torch::Tensor observations = torch::empty({B, T + 1, D}, f32);
  torch::Tensor actions = torch::empty({B, T, A}, f32);
  torch::Tensor rewards = torch::empty({B, T}, f32);
  torch::Tensor behaviour_log_probs = torch::empty({B, T}, f32);
  torch::Tensor terminated = torch::empty({B, T}, u8);
  torch::Tensor truncated = torch::empty({B, T}, u8);
  torch::Tensor truncation_observations = torch::empty({num_truncations, D}, f32);
  torch::Tensor truncation_index = torch::empty({num_truncations}, torch::kLong);
  int64_t* index = truncation_index.data_ptr<int64_t>();
  float* truncation_rows = truncation_observations.data_ptr<float>();
  for (int64_t b = 0; b < B; ++b) {
    const Unroll& u = unrolls[b];
    CopyInto(u.observations, observations, b);
    CopyInto(u.actions, actions, b);
    CopyInto(u.rewards, rewards, b);
    CopyInto(u.behaviour_log_probs, behaviour_log_probs, b);
    CopyInto(u.terminated, terminated, b);
    CopyInto(u.truncated, truncated, b);
    if (!u.truncation_observations.empty()) {
      std::memcpy(truncation_rows, u.truncation_observations.data(),
                  u.truncation_observations.size() * sizeof(float));
      truncation_rows += u.truncation_observations.size();
    }
    for (int64_t t = 0; t < T; ++t) {
      if (u.truncated[t]) *index++ = t * B + b;
    }
  }
  ImpalaBatch batch;
  batch.observations = observations.transpose(0, 1).contiguous();
  if (first.discrete_actions) {
    batch.actions = actions.view({B, T}).t().contiguous().to(torch::kLong);
  } else {
    batch.actions = actions.transpose(0, 1).contiguous();
  }
  batch.rewards = rewards.t().contiguous();
  batch.behaviour_log_probs = behaviour_log_probs.t().contiguous();
  batch.terminated = terminated.t().contiguous().to(torch::kFloat);
  batch.truncated = truncated.t().contiguous().to(torch::kFloat);
  batch.truncation_observations = truncation_observations;
  batch.truncation_index = truncation_index;
  return batch;
}

void ImpalaOptions::Validate() const {
  Require(discount >= 0.0 && discount <= 1.0, "discount", "must be in [0, 1]");
  vtrace.Validate();
  Require(baseline_cost >= 0.0 && std::isfinite(baseline_cost), "baseline_cost",
          "must be finite and non-negative");
  Require(entropy_cost >= 0.0 && std::isfinite(entropy_cost), "entropy_cost",
          "must be finite and non-negative");
  Require(learning_rate > 0.0 && std::isfinite(learning_rate), "learning_rate",
          "must be finite and positive");
  Require(adam_eps > 0.0, "adam_eps", "must be positive");
  Require(!std::isnan(max_grad_norm), "max_grad_norm", "must not be NaN");
  Require(total_updates >= 0, "total_updates", "must be non-negative");
  Require(ppo_clip > 0.0 && std::isfinite(ppo_clip), "ppo_clip", "must be finite and positive");
  Require(value_clip >= 0.0 && std::isfinite(value_clip), "value_clip",
          "must be finite and non-negative");
  Require(epochs >= 1, "epochs", "must be >= 1");
  Require(minibatches >= 1, "minibatches", "must be >= 1");
  Require(reward_scale > 0.0 && std::isfinite(reward_scale), "reward_scale",
          "must be finite and positive");
}

Impala::Impala(ActorCritic model, const ImpalaOptions& options)
    : model_(std::move(model)), options_(options) {
  options_.Validate();
  if (model_.is_empty()) throw std::invalid_argument("Impala: the model is empty");
  optimizer_ = std::make_unique<torch::optim::Adam>(
      model_->parameters(),
      torch::optim::AdamOptions(options_.learning_rate).eps(options_.adam_eps));
}

struct Impala::Terms {
  torch::Tensor total, policy, baseline;
  double clip_fraction = 0.0;
};

Impala::Terms Impala::Loss(const torch::Tensor& log_pi, const torch::Tensor& values,
                           const torch::Tensor& entropy, const torch::Tensor& vs,
                           const torch::Tensor& advantages, const torch::Tensor& old_values,
                           const torch::Tensor& behaviour_log_probs) const {
  Terms terms;
  if (options_.loss == PolicyLoss::kAppo) {
    const torch::Tensor ratio = (log_pi - behaviour_log_probs).exp();
    const double eps = options_.ppo_clip;
    terms.policy =
        -torch::min(ratio * advantages, ratio.clamp(1.0 - eps, 1.0 + eps) * advantages).mean();
    terms.clip_fraction =
        ((ratio.detach() - 1.0).abs() > eps).to(torch::kFloat).mean().item<double>();
  } else {
    terms.policy = -(log_pi * advantages).mean();
  }
  if (options_.value_clip > 0.0) {
    const torch::Tensor clipped =
        old_values + (values - old_values).clamp(-options_.value_clip, options_.value_clip);
    terms.baseline = 0.5 * torch::max((vs - values).pow(2), (vs - clipped).pow(2)).mean();
  } else {
    terms.baseline = 0.5 * (vs - values).pow(2).mean();
  }
  terms.total =
      terms.policy + options_.baseline_cost * terms.baseline - options_.entropy_cost * entropy;
  return terms;
}

double Impala::Step(const torch::Tensor& loss) {
  return GuardedStep(*optimizer_, loss, model_->parameters(), options_.max_grad_norm);
}

ImpalaStats Impala::Update(const ImpalaBatch& batch) {
  const ActorCriticOptions& model_options = model_->options();
  const torch::Tensor& rewards_in = batch.rewards;
  if (!rewards_in.defined() || rewards_in.dim() != 2) {
    throw std::invalid_argument("Impala::Update: rewards must be [T, B]");
  }
  const int64_t T = rewards_in.size(0), B = rewards_in.size(1), TB = T * B;
  const int64_t D = model_options.observation_size;
  if (batch.observations.dim() != 3 || batch.observations.size(0) != T + 1 ||
      batch.observations.size(1) != B || batch.observations.size(2) != D) {
    throw std::invalid_argument("Impala::Update: observations must be [T+1, B, D] = [" +
                                std::to_string(T + 1) + ", " + std::to_string(B) + ", " +
                                std::to_string(D) + "]");
  }
  const int64_t K =
      batch.truncation_observations.defined() ? batch.truncation_observations.size(0) : 0;
  const torch::Device device = model_->parameters().front().device();
  const bool single_step = options_.epochs == 1 && options_.minibatches == 1;
  const int64_t A = model_options.action_size;
  const torch::Tensor all_actions = model_options.discrete_actions
                                        ? batch.actions.to(device)
                                        : batch.actions.to(device, torch::kFloat);
  // log π of the actions of the rows [0, rows) of `out` (time-major over `columns` unrolls).
  auto policy_terms = [&](const PolicyOutput& out, int64_t rows, const torch::Tensor& actions,
                          torch::Tensor* log_pi, torch::Tensor* entropy) {
    PolicyOutput policy;
    torch::Tensor flat_actions;
    if (model_options.discrete_actions) {
      policy.logits = out.logits.slice(0, 0, rows);
      flat_actions = actions.reshape({rows});
    } else {
      policy.mean = out.mean.slice(0, 0, rows);
      policy.log_std = out.log_std.dim() == 2 ? out.log_std.slice(0, 0, rows) : out.log_std;
      flat_actions = actions.reshape({rows, A});
    }
    *log_pi = model_->LogProb(policy, flat_actions);
    *entropy = model_->Entropy(policy).mean();
  };

  // One forward pass: rows [0, TB) are x_0..x_{T−1}, [TB, TB+B) the bootstrap x_T, then the
  // K final observations of truncated steps. With gradients only when it also trains.
  torch::Tensor observations = batch.observations.to(device, torch::kFloat).reshape({-1, D});
  if (K > 0) {
    observations = torch::cat(
        {observations, batch.truncation_observations.to(device, torch::kFloat).reshape({K, D})});
  }
  std::optional<torch::NoGradGuard> targets_only;
  if (!single_step) targets_only.emplace();
  const PolicyOutput out = model_->forward(observations);
  torch::Tensor log_pi, entropy;
  policy_terms(out, TB, all_actions, &log_pi, &entropy);
  log_pi = log_pi.view({T, B});
  const torch::Tensor values = out.value.slice(0, 0, TB).view({T, B});
  targets_only.reset();

  VTraceInputs inputs;
  torch::Tensor advantages, behaviour_log_probs;
  VTraceReturns targets;
  {
    torch::NoGradGuard no_grad;
    const torch::Tensor all_values = out.value.detach();
    torch::Tensor next_values = all_values.slice(0, B, TB + B).clone();
    if (K > 0) {
      next_values.index_copy_(0, batch.truncation_index.to(device, torch::kLong),
                              all_values.slice(0, TB + B, TB + B + K));
    }
    const torch::Tensor terminated = batch.terminated.to(device, torch::kFloat);
    const torch::Tensor truncated = batch.truncated.to(device, torch::kFloat);
    behaviour_log_probs = batch.behaviour_log_probs.to(device, torch::kFloat);
    inputs.log_rhos = log_pi.detach() - behaviour_log_probs;
    inputs.discounts = (1.0 - terminated) * options_.discount;
    inputs.trace_continues = 1.0 - (terminated + truncated).clamp_max(1.0);
    inputs.rewards = rewards_in.to(device, torch::kFloat) * options_.reward_scale;
    inputs.values = values.detach();
    inputs.next_values = next_values.view({T, B});
    targets = ComputeVTrace(inputs, options_.vtrace);
    advantages = targets.pg_advantages;
    if (options_.normalize_advantages) {
      advantages = (advantages - advantages.mean()) / (advantages.std(false) + 1e-8);
    }
  }

  double learning_rate = options_.learning_rate;
  if (options_.total_updates > 0) {
    const double remaining =
        1.0 - static_cast<double>(num_updates_) / static_cast<double>(options_.total_updates);
    learning_rate *= std::max(0.0, remaining);
  }
  for (auto& group : optimizer_->param_groups()) {
    static_cast<torch::optim::AdamOptions&>(group.options()).lr(learning_rate);
  }

  ImpalaStats stats;
  int steps = 0;
  auto record = [&](const Terms& terms, const torch::Tensor& step_entropy, double grad_norm) {
    stats.total_loss += terms.total.item<double>();
    stats.policy_loss += terms.policy.item<double>();
    stats.baseline_loss += terms.baseline.item<double>();
    stats.entropy += step_entropy.item<double>();
    stats.clip_fraction += terms.clip_fraction;
    stats.grad_norm += grad_norm;
    if (!std::isfinite(grad_norm)) ++stats.skipped_steps;
    ++steps;
  };
  if (single_step) {
    const Terms terms =
        Loss(log_pi, values, entropy, targets.vs, advantages, inputs.values, behaviour_log_probs);
    const double grad_norm = Step(terms.total);
    record(terms, entropy, grad_norm);
  } else {
    const torch::Tensor x = batch.observations.to(device, torch::kFloat).slice(0, 0, T);
    for (int32_t epoch = 0; epoch < options_.epochs; ++epoch) {
      const torch::Tensor order = torch::randperm(B, torch::TensorOptions().dtype(torch::kLong));
      for (const torch::Tensor& chunk : order.chunk(options_.minibatches)) {
        const torch::Tensor columns = chunk.to(device);
        const int64_t b = columns.size(0), rows = T * b;
        const PolicyOutput mb = model_->forward(x.index_select(1, columns).reshape({rows, D}));
        torch::Tensor mb_log_pi, mb_entropy;
        policy_terms(mb, rows, all_actions.index_select(1, columns), &mb_log_pi, &mb_entropy);
        const Terms terms = Loss(
            mb_log_pi.view({T, b}), mb.value.view({T, b}), mb_entropy,
            targets.vs.index_select(1, columns), advantages.index_select(1, columns),
            inputs.values.index_select(1, columns), behaviour_log_probs.index_select(1, columns));
        const double grad_norm = Step(terms.total);
        record(terms, mb_entropy, grad_norm);
      }
    }
  }
  ++num_updates_;
  stats.total_loss /= steps;
  stats.policy_loss /= steps;
  stats.baseline_loss /= steps;
  stats.entropy /= steps;
  stats.clip_fraction /= steps;
  stats.grad_norm /= steps;
  stats.mean_rho = inputs.log_rhos.exp().mean().item<double>();
  stats.learning_rate = learning_rate;
  return stats;
}

void Impala::SaveCheckpoint(const std::string& path) const {
  try {
    torch::serialize::OutputArchive archive;
    torch::serialize::OutputArchive model_archive;
    torch::serialize::OutputArchive optimizer_archive;
    model_->save(model_archive);
    SaveOptimizerState(*optimizer_, optimizer_archive);
    archive.write("model", model_archive);
    archive.write("optimizer", optimizer_archive);
    archive.write("num_updates", torch::full({1}, num_updates_, torch::kLong));
    archive.save_to(path);
  } catch (const std::exception& e) {
    throw std::runtime_error("Impala::SaveCheckpoint: cannot write '" + path +
                             "': " + TorchErrorText(e));
  }
}

void Impala::LoadCheckpoint(const std::string& path) {
  try {
    const torch::Device device = model_->parameters().front().device();
    // Check every shape before touching the model, so a wrong checkpoint changes nothing.
    torch::serialize::InputArchive archive;
    archive.load_from(path, device);
    torch::serialize::InputArchive model_archive;
    archive.read("model", model_archive);
    std::vector<std::pair<std::string, torch::Tensor>> loaded;
    ReadArchiveParameters(*model_, model_archive, "", &loaded);
    CheckArchiveShapes(*model_, loaded, "parameter");
    torch::serialize::InputArchive optimizer_archive;
    archive.read("optimizer", optimizer_archive);
    torch::Tensor num_updates;
    archive.read("num_updates", num_updates);
    LoadOptimizerState(*optimizer_, optimizer_archive);
    CopyArchiveParameters(*model_, loaded);
    num_updates_ = num_updates.item<int64_t>();
  } catch (const std::exception& e) {
    throw std::runtime_error("Impala::LoadCheckpoint: cannot load '" + path +
                             "': " + TorchErrorText(e));
  }
}

ImpalaBatch ImpalaBatchToDevice(ImpalaBatch batch, const torch::Device& device) {
  TensorsToDevice(
      {&batch.observations, &batch.actions, &batch.rewards, &batch.terminated, &batch.truncated,
       &batch.behaviour_log_probs, &batch.truncation_observations, &batch.truncation_index},
      device);
  return batch;
}

namespace {

// Continuous actions of `count` envs clipped to the env's bounds, in place (discrete: no-op).
void ClipToBounds(const EnvSpec& spec, int32_t count, float* actions) {
  if (spec.discrete_actions) return;
  const int32_t a = spec.action_size;
  for (int32_t i = 0; i < count * a; ++i) {
    actions[i] = std::clamp(actions[i], spec.action_low[i % a], spec.action_high[i % a]);
  }
}

// The actor side: acts on the batch of observations and fills one unroll per env.
class ImpalaPolicy : public ActorPolicy {
 public:
  ImpalaPolicy(const RunConfig& config, const EnvSpec& spec, int32_t actor_index)
      : spec_(spec),
        model_(MakeActorCritic(config.model, SpacesOf(spec), config.seed)),
        rng_(DeriveSeed(config.seed, "actor_actions", actor_index)),
        actor_index_(static_cast<uint32_t>(actor_index)),
        num_envs_(config.env.num_envs),
        unroll_length_(config.actor.unroll_length),
        log_probs_(static_cast<size_t>(config.env.num_envs)),
        unrolls_(static_cast<size_t>(config.env.num_envs)),
        discarded_(static_cast<size_t>(config.env.num_envs), 0) {
    model_->eval();
  }

  torch::nn::Module& module() override { return *model_; }
  bool WantsWeights() override { return step_ == 0; }
  void OnWeights(int64_t version) override { policy_version_ = version; }

  void Act(const float* observations, float* actions) override {
    const int32_t d = spec_.observation_size, a = spec_.action_size;
    if (step_ == 0) StartUnrolls();
    {
      torch::InferenceMode guard;
      // The forward pass reads the actor's buffer in place.
      const PolicyOutput out = model_->forward(RowsView(observations, num_envs_, d));
      SampleActions(out, rng_, actions, log_probs_.data());
    }
    for (int32_t e = 0; e < num_envs_; ++e) {
      Unroll& u = unrolls_[e];
      std::copy_n(observations + static_cast<size_t>(e) * d, d,
                  u.observations.begin() + static_cast<size_t>(step_) * d);
      std::copy_n(actions + static_cast<size_t>(e) * a, a,
                  u.actions.begin() + static_cast<size_t>(step_) * a);
      u.behaviour_log_probs[step_] = log_probs_[e];
    }
    // The unroll keeps the Gaussian sample and its log-probability (what V-trace needs); the
    // env receives it clipped to its bounds.
    ClipToBounds(spec_, num_envs_, actions);
  }

  void Record(const EnvStepView& step, ActorOutput* out) override {
    const int32_t d = spec_.observation_size;
    for (int32_t e = 0; e < num_envs_; ++e) {
      // A dropped episode leaves this env's unroll without a valid step: the whole unroll is
      // discarded (the envs stay in step; the next unroll is whole again).
      if (step.dropped != nullptr && step.dropped[e]) discarded_[e] = 1;
      Unroll& u = unrolls_[e];
      u.rewards[step_] = step.rewards[e];
      u.terminated[step_] = step.terminated[e];
      u.truncated[step_] = step.truncated[e];
      if (step.truncated[e]) {
        const float* final_obs = step.final_observations + static_cast<size_t>(e) * d;
        u.truncation_observations.insert(u.truncation_observations.end(), final_obs, final_obs + d);
      }
    }
    if (++step_ < unroll_length_) return;
    // Row T bootstraps the last step: the observation the next unroll starts from.
    for (int32_t e = 0; e < num_envs_; ++e) {
      if (discarded_[e]) {
        discarded_[e] = 0;
        continue;
      }
      Unroll& u = unrolls_[e];
      std::copy_n(step.next_observations + static_cast<size_t>(e) * d, d,
                  u.observations.begin() + static_cast<size_t>(unroll_length_) * d);
      out->unrolls.push_back(std::move(u));
    }
    step_ = 0;
  }

  void Flush(ActorOutput*) override {}  // a partial unroll is dropped

 private:
  void StartUnrolls() {
    for (int32_t e = 0; e < num_envs_; ++e) {
      Unroll& u = unrolls_[e];
      u.Resize(unroll_length_, spec_.observation_size, spec_.action_size, spec_.discrete_actions);
      u.policy_version = policy_version_;
      u.actor_index = actor_index_;
      u.env_index = static_cast<uint32_t>(e);
    }
  }

  EnvSpec spec_;
  ActorCritic model_;
  Rng rng_;
  uint32_t actor_index_;
  int32_t num_envs_;
  int32_t unroll_length_;
  int32_t step_ = 0;  // row of the unrolls the next step fills
  int64_t policy_version_ = 0;
  std::vector<float> log_probs_;
  std::vector<Unroll> unrolls_;
  std::vector<uint8_t> discarded_;  // per env: 1 when its current unroll holds a dropped step
};

struct ImpalaPrepared : PreparedBatch {
  ImpalaBatch batch;
  std::optional<RunningMeanStd> observation_moments;  // with model.normalize_observations
};

class ImpalaLearner : public LearnerAlgorithm {
 public:
  ImpalaLearner(const RunConfig& config, const EnvSpec& spec, const std::string& device)
      : spec_(spec),
        device_(device),
        model_(MakeActorCritic(config.model, SpacesOf(spec), config.seed)) {
    // Parameters move before the optimizer is built.
    model_->to(device_);
    ImpalaOptions options;
    options.discount = config.learner.discount;
    options.vtrace.rho_bar = config.learner.rho_bar;
    options.vtrace.c_bar = config.learner.c_bar;
    options.vtrace.pg_rho_bar = config.learner.pg_rho_bar;
    options.vtrace.lambda = config.learner.lambda;
    options.baseline_cost = config.learner.baseline_cost;
    options.entropy_cost = config.learner.entropy_cost;
    options.learning_rate = config.learner.learning_rate;
    options.adam_eps = config.learner.adam_eps;
    options.max_grad_norm = config.learner.max_grad_norm;
    const int64_t frames_per_update =
        static_cast<int64_t>(config.actor.unroll_length) * config.learner.batch_size;
    options.total_updates =
        config.learner.anneal_learning_rate
            ? (config.learner.total_env_steps + frames_per_update - 1) / frames_per_update
            : 0;
    options.loss = config.learner.loss == "appo" ? PolicyLoss::kAppo : PolicyLoss::kVTrace;
    options.ppo_clip = config.learner.ppo_clip;
    options.value_clip = config.learner.value_clip;
    options.epochs = config.learner.epochs;
    options.minibatches = config.learner.minibatches;
    options.normalize_advantages = config.learner.normalize_advantages;
    options.reward_scale = config.learner.reward_scale;
    impala_ = std::make_unique<Impala>(model_, options);
    if (config.model.normalize_observations) {
      observation_.emplace(spec.observation_size,
                           std::vector<ObservationNormalizer>{model_->normalizer()});
    }
  }

  std::unique_ptr<PreparedBatch> Prepare(SampledItems items) const override {
    auto prepared = std::make_unique<ImpalaPrepared>();
    ImpalaBatch batch = BatchFromUnrolls(items.unrolls);
    if (observation_) {
      // The moments of x_0..x_{T−1} of every unroll (the bootstrap rows start the next one).
      prepared->observation_moments =
          ObservationMoments(batch.observations.slice(0, 0, batch.observations.size(0) - 1)
                                 .reshape({-1, batch.observations.size(2)}));
    }
    prepared->batch = ImpalaBatchToDevice(std::move(batch), device_);
    return prepared;
  }

  // The rate follows the update count (ImpalaOptions::total_updates), which is the same
  // schedule: the budget counts the frames of the updates.
  void SetProgress(double) override {}

  UpdateResult Update(PreparedBatch& batch) override {
    auto& prepared = static_cast<ImpalaPrepared&>(batch);
    if (observation_) observation_->Update(*prepared.observation_moments);
    const ImpalaStats s = impala_->Update(prepared.batch);
    UpdateResult result;
    result.metrics = {s.total_loss, s.policy_loss,   s.baseline_loss, s.entropy,
                      s.mean_rho,   s.clip_fraction, s.grad_norm,     s.learning_rate};
    result.skipped_steps = s.skipped_steps;
    return result;
  }

  int64_t num_updates() const override { return impala_->num_updates(); }
  const std::vector<std::string>& metric_names() const override {
    static const std::vector<std::string> names = {"total_loss", "policy_loss",  "baseline_loss",
                                                   "entropy",    "mean_rho",     "clip_fraction",
                                                   "grad_norm",  "learning_rate"};
    return names;
  }
  torch::nn::Module& published_module() override { return *model_; }
  void SaveCheckpoint(const std::string& dir) const override {
    SaveCheckpointWithStatistics(observation_, dir,
                                 [&] { impala_->SaveCheckpoint(dir + "/impala.pt"); });
  }
  void LoadCheckpoint(const std::string& dir) override {
    LoadCheckpointWithStatistics(&observation_, dir,
                                 [&] { impala_->LoadCheckpoint(dir + "/impala.pt"); });
  }

  void EvalActions(const float* observations, int32_t count, bool greedy, Rng& rng,
                   float* actions) override {
    torch::InferenceMode guard;
    model_->eval();
    const PolicyOutput out = model_->forward(
        RowsView(observations, count, model_->options().observation_size).to(device_));
    model_->train();
    if (greedy) {
      GreedyActions(out, actions);
    } else {
      SampleActions(out, rng, actions, nullptr);
    }
    // The env receives actions inside its bounds, as from the actors.
    ClipToBounds(spec_, count, actions);
  }

  // The policy torso and head of the actor-critic: argmax of the logits, or the Gaussian mean
  // clipped to the bounds (ClipToBounds).
  void DescribeGreedyPolicy(GreedyPolicy* policy) const override {
    const ActorCriticOptions& options = model_->options();
    policy->observation_size = options.observation_size;
    DescribeNormalizer(*model_, options.observation_clip, policy);
    policy->torso = LinearLayersNamed(*model_, options.shared_torso ? "shared_fc" : "policy_fc");
    policy->activation = options.activation;
    policy->output = LinearLayerNamed(*model_, "policy_head");
    if (spec_.discrete_actions) {
      policy->head = GreedyPolicy::Head::kArgmax;
    } else {
      policy->head = GreedyPolicy::Head::kClip;
      policy->low = torch::tensor(spec_.action_low);
      policy->high = torch::tensor(spec_.action_high);
    }
  }

 private:
  EnvSpec spec_;
  torch::Device device_;
  ActorCritic model_;
  std::unique_ptr<Impala> impala_;
  std::optional<LearnerObservationStatistics> observation_;  // with model.normalize_observations
};

}  // namespace

AlgorithmSpec ImpalaAlgorithmSpec() {
  AlgorithmSpec spec;
  spec.name = "impala";
  spec.items = ItemKind::kUnroll;
  spec.replay = ReplayKind::kQueue;
  spec.actions = ActionSupport::kBoth;
  spec.budget = StepBudget::kConsumedFrames;
  spec.observation_normalization = true;
  spec.bench_config = "learner: {algo: impala}";
  spec.make_policy = [](const RunConfig& config, const EnvSpec& env, int32_t actor_index) {
    return std::unique_ptr<ActorPolicy>(new ImpalaPolicy(config, env, actor_index));
  };
  spec.make_learner = [](const RunConfig& config, const EnvSpec& env, const std::string& device) {
    return std::unique_ptr<LearnerAlgorithm>(new ImpalaLearner(config, env, device));
  };
  return spec;
}

}  // namespace rlfleet
