#ifndef RLFLEET_ALGORITHMS_DEVICE_H_
#define RLFLEET_ALGORITHMS_DEVICE_H_

#include <torch/types.h>

#include <string>
#include <vector>

namespace rlfleet {

// Whether this LibTorch build was compiled with CUDA and a CUDA device is visible.
bool CudaAvailable();

// learner.device → a LibTorch device: "cpu"; "cuda" (throws std::invalid_argument naming the
// reason when CUDA is not available); "auto" = CUDA when available, else CPU.
torch::Device ResolveDevice(const std::string& name);

// Moves the tensors of one batch to `device`, replacing each (undefined ones stay undefined).
// For CUDA the host tensors are first pinned and the copies are issued non-blocking on a side
// stream that the call then waits for, so a prefetch thread can overlap the transfer with the
// update running on the default stream; the device tensors are recorded on the default stream
// so the caching allocator does not reuse them too early. For the CPU nothing changes.
// Call from the prefetch thread (LearnerAlgorithm::Prepare).
void TensorsToDevice(const std::vector<torch::Tensor*>& tensors, const torch::Device& device);

}  // namespace rlfleet

#endif  // RLFLEET_ALGORITHMS_DEVICE_H_
