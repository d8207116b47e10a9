#include "algorithms/device.h"

#include <torch/cuda.h>

#include <stdexcept>

#ifdef RLFLEET_WITH_CUDA
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace rlfleet {

bool CudaAvailable() { return torch::cuda::is_available(); }

torch::Device ResolveDevice(const std::string& name) {
  if (name == "cpu") return torch::Device(torch::kCPU);
  if (name != "cuda" && name != "auto") {
    throw std::invalid_argument("learner.device must be cpu, cuda or auto (got '" + name + "')");
  }
  if (CudaAvailable()) return torch::Device(torch::kCUDA, 0);
  if (name == "auto") return torch::Device(torch::kCPU);
#ifdef RLFLEET_WITH_CUDA
  throw std::invalid_argument("learner.device is cuda but no CUDA device is visible");
#else
  throw std::invalid_argument(
      "learner.device is cuda but this build's LibTorch has no CUDA support (configure with "
      "CMAKE_PREFIX_PATH pointing at a CUDA LibTorch)");
#endif
}

// tensors is only read in a CUDA build.
void TensorsToDevice([[maybe_unused]] const std::vector<torch::Tensor*>& tensors,
                     const torch::Device& device) {
  if (!device.is_cuda()) return;
#ifdef RLFLEET_WITH_CUDA
  c10::cuda::CUDAStream side_stream = c10::cuda::getStreamFromPool(false, device.index());
  const c10::cuda::CUDAStream compute_stream = c10::cuda::getDefaultCUDAStream(device.index());
  {
    c10::cuda::CUDAStreamGuard guard(side_stream);
    for (torch::Tensor* host : tensors) {
      if (!host->defined()) continue;
      torch::Tensor on_device = host->pin_memory().to(device, /*non_blocking=*/true);
      on_device.record_stream(compute_stream.unwrap());
      *host = on_device;
    }
  }
  side_stream.synchronize();
#else
  throw std::invalid_argument("TensorsToDevice: this build has no CUDA support");
#endif
}

}  // namespace rlfleet
