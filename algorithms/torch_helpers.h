#ifndef RLFLEET_ALGORITHMS_TORCH_HELPERS_H_
#define RLFLEET_ALGORITHMS_TORCH_HELPERS_H_

// Small LibTorch helpers shared by the networks and algorithms of this folder.

#include <torch/nn.h>
#include <torch/optim/optimizer.h>
#include <torch/serialize.h>

#include <exception>
#include <string>
#include <utility>
#include <vector>

namespace rlfleet {

// A Linear layer with orthogonal weights (the given gain) and zero biases, as CleanRL and the
// Ape-X / IMPALA reference networks initialise them.
torch::nn::Linear OrthogonalLinear(int64_t in, int64_t out, double gain);

// The message of an exception without LibTorch's C++ backtrace.
std::string TorchErrorText(const std::exception& e);

// Reads the parameters a Module::save() archive holds for `module` (the layout Module::load
// reads), named "<prefix><child>.<param>", without modifying the module; lets a loader check
// every shape before it changes anything.
void ReadArchiveParameters(torch::nn::Module& module, torch::serialize::InputArchive& archive,
                           const std::string& prefix,
                           std::vector<std::pair<std::string, torch::Tensor>>* out);

// Parameters read by ReadArchiveParameters, checked against and copied into a module in two
// steps, so that a checkpoint of another architecture is refused before anything changes.
// CheckArchiveShapes throws std::invalid_argument "<what> '<name>' has another shape".
using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;
void CheckArchiveShapes(torch::nn::Module& module, const NamedTensors& loaded, const char* what);
void CopyArchiveParameters(torch::nn::Module& module, const NamedTensors& loaded);

// A [rows, cols] float32 CPU tensor over `data`, without copying: `data` must hold rows × cols
// values and outlive the tensor's use, and nothing may write through the tensor (the networks
// only read their input). For batches that the actor's or the learner's buffers already hold.
torch::Tensor RowsView(const float* data, int64_t rows, int64_t cols);

// Throws std::invalid_argument "<network> expects observations [N, D], got [..]" unless
// `observations` is a 2-D batch of `observation_size` columns.
void CheckObservationBatch(const torch::Tensor& observations, int64_t observation_size,
                           const char* network);

// Registers Linear layers fc0..fc{n-1} of an MLP (in → hidden[0] → … → hidden[n−1]) on
// `module`, appends them to *torso and returns the width of the last one (`in` when hidden is
// empty). Throws std::invalid_argument when a hidden size is not positive.
int64_t BuildMlpTorso(torch::nn::Module& module, int64_t in, const std::vector<int64_t>& hidden,
                      std::vector<torch::nn::Linear>* torso);
// x through every layer of the torso, each followed by ReLU.
torch::Tensor RunMlpTorso(std::vector<torch::nn::Linear>& torso, torch::Tensor x);

// target ← τ · online + (1 − τ) · target, parameter by parameter (same architecture), without
// recording gradients; τ = 1 copies.
void PolyakUpdate(torch::nn::Module& online, torch::nn::Module& target, double tau);

// One optimizer step that never lets a non-finite value into the parameters: zeroes the
// gradients, back-propagates `loss`, clips the global L2 norm of the gradients of `parameters`
// to `max_norm` (<= 0: no clipping) and steps only when the loss and that norm are finite.
// Returns the norm before clipping; a non-finite return means the step was skipped and neither
// the parameters nor the optimizer's state changed. Synchronises with the device (reads the
// loss and the norm).
double GuardedStep(torch::optim::Optimizer& optimizer, const torch::Tensor& loss,
                   const std::vector<torch::Tensor>& parameters, double max_norm);

// Turns off requires_grad on `parameters` for its lifetime and turns it back on at the end, so
// that a graph built meanwhile treats them as constants: a backward pass through a network
// used as a fixed function (the critics in an actor's loss) then computes the gradients with
// respect to its inputs but not the ones for its weights (which an optimizer of the other
// network would only throw away). Every parameter must require gradients when it is built.
// Not thread-safe: no other thread may build graphs on these parameters meanwhile.
class FrozenParameters {
 public:
  explicit FrozenParameters(std::vector<torch::Tensor> parameters);
  ~FrozenParameters();
  FrozenParameters(const FrozenParameters&) = delete;
  FrozenParameters& operator=(const FrozenParameters&) = delete;

 private:
  std::vector<torch::Tensor> parameters_;
};

// The device of the module's first parameter.
torch::Device DeviceOf(torch::nn::Module& module);

}  // namespace rlfleet

#endif  // RLFLEET_ALGORITHMS_TORCH_HELPERS_H_
