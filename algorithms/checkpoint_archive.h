#ifndef RLFLEET_ALGORITHMS_CHECKPOINT_ARCHIVE_H_
#define RLFLEET_ALGORITHMS_CHECKPOINT_ARCHIVE_H_

// One LibTorch archive file holding an algorithm's whole training state: named modules (their
// parameters), optimisers (their state) and tensors (counters, log α, running statistics).

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include <string>
#include <utility>
#include <vector>

namespace rlfleet {

// What goes into / comes out of the archive; the pointers are not owned and must outlive the
// call. A counter travels as a tensor the caller fills before saving and reads after loading.
struct ArchiveContents {
  std::vector<std::pair<std::string, torch::nn::Module*>> modules;
  std::vector<std::pair<std::string, torch::optim::Optimizer*>> optimizers;
  std::vector<std::pair<std::string, torch::Tensor*>> tensors;
};

// Writes every entry under its name. Throws std::runtime_error "<what>: cannot write '<path>':
// <reason>".
void SaveArchive(const std::string& path, const ArchiveContents& contents, const char* what);

// Reads every entry onto `device`, checks every module parameter's and tensor's shape against
// the live ones, and only then loads the optimisers and copies the parameters and tensors in
// place (tensors are replaced when their shapes match). A missing entry or another shape throws
// std::runtime_error "<what>: cannot load '<path>': <reason>" before any module, tensor or
// optimiser changed.
void LoadArchive(const std::string& path, const torch::Device& device,
                 const ArchiveContents& contents, const char* what);

}  // namespace rlfleet

#endif  // RLFLEET_ALGORITHMS_CHECKPOINT_ARCHIVE_H_
