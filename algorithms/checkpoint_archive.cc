#include "algorithms/checkpoint_archive.h"

#include <torch/serialize/archive.h>
#include <torch/torch.h>

#include <stdexcept>

#include "algorithms/adam_state.h"
#include "algorithms/torch_helpers.h"

namespace rlfleet {

void SaveArchive(const std::string& path, const ArchiveContents& contents, const char* what) {
  try {
    torch::serialize::OutputArchive archive;
    for (const auto& [name, module] : contents.modules) {
      torch::serialize::OutputArchive sub;
      module->save(sub);
      archive.write(name, sub);
    }
    for (const auto& [name, optimizer] : contents.optimizers) {
      torch::serialize::OutputArchive sub;
      SaveOptimizerState(*optimizer, sub);
      archive.write(name, sub);
    }
    for (const auto& [name, tensor] : contents.tensors) archive.write(name, tensor->detach());
    archive.save_to(path);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string(what) + ": cannot write '" + path +
                             "': " + TorchErrorText(e));
  }
}

void LoadArchive(const std::string& path, const torch::Device& device,
                 const ArchiveContents& contents, const char* what) {
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path, device);
    // Read and check everything before touching anything.
    std::vector<NamedTensors> parameters(contents.modules.size());
    for (size_t i = 0; i < contents.modules.size(); ++i) {
      const auto& [name, module] = contents.modules[i];
      torch::serialize::InputArchive sub;
      archive.read(name, sub);
      ReadArchiveParameters(*module, sub, "", &parameters[i]);
      CheckArchiveShapes(*module, parameters[i], name.c_str());
    }
    std::vector<torch::Tensor> tensors(contents.tensors.size());
    for (size_t i = 0; i < contents.tensors.size(); ++i) {
      const auto& [name, tensor] = contents.tensors[i];
      archive.read(name, tensors[i]);
      if (tensors[i].sizes() != tensor->sizes()) {
        throw std::invalid_argument("tensor '" + name + "' has another shape");
      }
    }
    std::vector<torch::serialize::InputArchive> optimizers(contents.optimizers.size());
    for (size_t i = 0; i < contents.optimizers.size(); ++i) {
      archive.read(contents.optimizers[i].first, optimizers[i]);
    }
    for (size_t i = 0; i < contents.optimizers.size(); ++i) {
      LoadOptimizerState(*contents.optimizers[i].second, optimizers[i]);
    }
    for (size_t i = 0; i < contents.modules.size(); ++i) {
      CopyArchiveParameters(*contents.modules[i].second, parameters[i]);
    }
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < contents.tensors.size(); ++i) {
      contents.tensors[i].second->copy_(tensors[i]);
    }
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string(what) + ": cannot load '" + path +
                             "': " + TorchErrorText(e));
  }
}

}  // namespace rlfleet
