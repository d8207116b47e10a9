#ifndef RLFLEET_ALGORITHMS_GREEDY_POLICY_H_
#define RLFLEET_ALGORITHMS_GREEDY_POLICY_H_

// An algorithm's greedy policy as data (what LearnerAlgorithm::DescribeGreedyPolicy fills), and
// its compilation into a self-contained TorchScript module that needs nothing of rlfleet. One
// description serves every algorithm:
//
//   x̂ = clamp((x − mean) · inv_std, −clip, clip)          (only with a normaliser)
//   h = act(W_k … act(W_0 x̂ + b_0) … + b_k)                (the torso; act = relu or tanh)
//   head:
//     kArgmax         a = argmax_j (W h + b)_j                          (logits, plain Q)
//     kDuelingArgmax  a = argmax_j (V(h) + A(h)_j − mean_k A(h)_k)       (dueling Q)
//     kClip           a = min(max(W h + b, low), high)                  (Gaussian mean)
//     kTanhScale      a = tanh(W h + b) · scale + bias                  (squashed policies)
//
// Every operation is the one the algorithm's own EvalActions(greedy) runs, in the same order
// and precision (float32), so the module reproduces its actions: discrete ones exactly (the
// first index of the maximum), continuous ones up to the rounding of the BLAS kernel.

#include <torch/nn/module.h>

#include <cstdint>
#include <string>
#include <vector>

namespace torch {
namespace jit {
struct Module;  // <torch/script.h>; only policy_export.cc and tests need it whole
}  // namespace jit
}  // namespace torch

namespace rlfleet {

// One torch::nn::Linear layer: weight [out, in], bias [out].
struct LinearLayer {
  torch::Tensor weight;
  torch::Tensor bias;
};

struct GreedyPolicy {
  enum class Head { kArgmax, kDuelingArgmax, kClip, kTanhScale };

  int64_t observation_size = 0;  // D
  // Observation normaliser: mean and inv_std [D] and clip > 0; clip 0 (tensors undefined): none.
  torch::Tensor observation_mean;
  torch::Tensor observation_inv_std;
  double observation_clip = 0.0;
  std::vector<LinearLayer> torso;   // each followed by `activation`
  std::string activation = "relu";  // "relu" or "tanh"
  Head head = Head::kArgmax;
  LinearLayer output;         // logits, Q, advantages (dueling), the mean or the pre-tanh action
  LinearLayer value;          // kDuelingArgmax: the scalar value stream [1, H]
  torch::Tensor low, high;    // kClip: bounds [A]
  torch::Tensor scale, bias;  // kTanhScale: [A]

  bool discrete() const { return head == Head::kArgmax || head == Head::kDuelingArgmax; }
  // Actions per observation: the number of discrete actions, or A.
  int64_t action_outputs() const;
  // Throws std::invalid_argument naming the first inconsistent field (shapes that do not chain,
  // a missing tensor of the head, an unknown activation).
  void Validate() const;
};

// The layers "<prefix>0", "<prefix>1", … of `module` (their weight and bias parameters), in
// order, up to the first index that is absent.
std::vector<LinearLayer> LinearLayersNamed(const torch::nn::Module& module,
                                           const std::string& prefix);
// The layer `name` of `module`; throws std::invalid_argument when it has none.
LinearLayer LinearLayerNamed(const torch::nn::Module& module, const std::string& name);
// Copies an ObservationNormalizer's statistics (module "obs_norm" of `module`, if any) into
// `policy` with `clip`; leaves `policy` without a normaliser when the module has none.
void DescribeNormalizer(const torch::nn::Module& module, double clip, GreedyPolicy* policy);

// A squashed deterministic actor (SAC's mean, TD3's actor): the normaliser of `actor` (when
// it has one, with `clip`), its relu layers "fc0", "fc1", … as the torso, then
// tanh(`head` h) · scale + bias.
void DescribeTanhScaledActor(const torch::nn::Module& actor, int64_t observation_size, double clip,
                             const std::string& head, const torch::Tensor& scale,
                             const torch::Tensor& bias, GreedyPolicy* policy);

// `policy` with every defined tensor replaced by a detached, contiguous CPU float32 copy: a
// snapshot that later updates of the algorithm's parameters do not change, usable on another
// thread. Reads the live parameters: call it on the thread that owns the algorithm.
GreedyPolicy CopyGreedyPolicy(const GreedyPolicy& policy);

// A TorchScript module (type name rlfleet.GreedyPolicy) whose
//   forward(observation: float32 [B, D]) → int64 [B] (discrete) | float32 [B, A] (continuous)
// computes `policy` on the CPU; the tensors are copied (detached, contiguous, CPU float32) into
// its parameters and buffers. An observation of another shape raises an error naming [B, D]; an
// input of another floating type is converted to float32 first. Throws std::invalid_argument
// when `policy` is invalid.
torch::jit::Module ScriptGreedyPolicy(const GreedyPolicy& policy);

}  // namespace rlfleet

#endif  // RLFLEET_ALGORITHMS_GREEDY_POLICY_H_
