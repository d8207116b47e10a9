#include "algorithms/adam_state.h"

#include <torch/optim/adam.h>
#include <torch/torch.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace rlfleet {
namespace {

std::string Key(size_t i, const char* field) { return "adam/" + std::to_string(i) + "/" + field; }

// LibTorch's key of a parameter's state (torch/optim/serialize.h).
std::string StateKey(const torch::Tensor& parameter) {
  return c10::guts::to_string(parameter.unsafeGetTensorImpl());
}

}  // namespace

void SaveOptimizerState(const torch::optim::Optimizer& optimizer,
                        torch::serialize::OutputArchive& archive) {
  const auto* adam = dynamic_cast<const torch::optim::Adam*>(&optimizer);
  if (adam == nullptr) {
    optimizer.save(archive);
    return;
  }
  archive.write("adam/format", torch::full({1}, 1, torch::kLong));
  size_t i = 0;
  for (size_t g = 0; g < adam->param_groups().size(); ++g) {
    const auto& group = adam->param_groups()[g];
    const auto& options = static_cast<const torch::optim::AdamOptions&>(group.options());
    archive.write("adam/group" + std::to_string(g) + "/lr",
                  torch::full({1}, options.lr(), torch::kDouble));
    for (const torch::Tensor& parameter : group.params()) {
      const auto it = adam->state().find(StateKey(parameter));
      if (it != adam->state().end()) {
        const auto& state = static_cast<const torch::optim::AdamParamState&>(*it->second);
        archive.write(Key(i, "step"), torch::full({1}, state.step(), torch::kLong));
        archive.write(Key(i, "exp_avg"), state.exp_avg());
        archive.write(Key(i, "exp_avg_sq"), state.exp_avg_sq());
        if (state.max_exp_avg_sq().defined()) {
          archive.write(Key(i, "max_exp_avg_sq"), state.max_exp_avg_sq());
        }
      }
      ++i;
    }
  }
}

void LoadOptimizerState(torch::optim::Optimizer& optimizer,
                        torch::serialize::InputArchive& archive) {
  auto* adam = dynamic_cast<torch::optim::Adam*>(&optimizer);
  torch::Tensor format;
  if (adam == nullptr || !archive.try_read("adam/format", format)) {
    optimizer.load(archive);  // LibTorch's own layout
    return;
  }
  size_t i = 0;
  for (size_t g = 0; g < adam->param_groups().size(); ++g) {
    auto& group = adam->param_groups()[g];
    torch::Tensor lr;
    if (archive.try_read("adam/group" + std::to_string(g) + "/lr", lr)) {
      static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr.item<double>());
    }
    for (const torch::Tensor& parameter : group.params()) {
      torch::Tensor step, exp_avg, exp_avg_sq, max_exp_avg_sq;
      if (archive.try_read(Key(i, "step"), step)) {
        archive.read(Key(i, "exp_avg"), exp_avg);
        archive.read(Key(i, "exp_avg_sq"), exp_avg_sq);
        if (exp_avg.sizes() != parameter.sizes() || exp_avg_sq.sizes() != parameter.sizes()) {
          throw std::runtime_error("optimizer state of parameter " + std::to_string(i) +
                                   " has another shape than the parameter");
        }
        auto state = std::make_unique<torch::optim::AdamParamState>();
        state->step(step.item<int64_t>());
        state->exp_avg(exp_avg.to(parameter.device()));
        state->exp_avg_sq(exp_avg_sq.to(parameter.device()));
        if (archive.try_read(Key(i, "max_exp_avg_sq"), max_exp_avg_sq)) {
          state->max_exp_avg_sq(max_exp_avg_sq.to(parameter.device()));
        }
        adam->state()[StateKey(parameter)] = std::move(state);
      } else {
        adam->state().erase(StateKey(parameter));
      }
      ++i;
    }
  }
}

}  // namespace rlfleet
