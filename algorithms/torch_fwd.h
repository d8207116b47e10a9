#ifndef RLFLEET_ALGORITHMS_TORCH_FWD_H_
#define RLFLEET_ALGORITHMS_TORCH_FWD_H_

// Forward declarations of the LibTorch types that headers outside algorithms/ name by
// reference, so that they need not include LibTorch (a LibTorch header costs 10–15 s of
// compile time per file).

namespace torch {
namespace nn {
class Module;
}  // namespace nn
}  // namespace torch

#endif  // RLFLEET_ALGORITHMS_TORCH_FWD_H_
