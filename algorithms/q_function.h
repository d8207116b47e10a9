#ifndef RLFLEET_ALGORITHMS_Q_FUNCTION_H_
#define RLFLEET_ALGORITHMS_Q_FUNCTION_H_

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace rlfleet {

// A state-action value network: an MLP (ReLU) on the concatenation [x, a], one output.
// Parameter names: fc<i>.{weight,bias}..., q_head.{weight,bias}.
class QFunctionImpl : public torch::nn::Module {
 public:
  QFunctionImpl(int64_t observation_size, int64_t action_size,
                const std::vector<int64_t>& hidden_sizes);
  // observations [N, D], actions [N, A] → Q [N].
  torch::Tensor forward(const torch::Tensor& observations, const torch::Tensor& actions);
  // A network of the same architecture holding a copy of these parameters (on their device).
  std::shared_ptr<QFunctionImpl> Copy();

 private:
  int64_t observation_size_, action_size_;
  std::vector<int64_t> hidden_sizes_;
  std::vector<torch::nn::Linear> torso_;
  torch::nn::Linear q_head_{nullptr};
};
TORCH_MODULE(QFunction);

}  // namespace rlfleet

#endif  // RLFLEET_ALGORITHMS_Q_FUNCTION_H_
