#include "algorithms/policy_export.h"

#include <torch/script.h>

#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "algorithms/greedy_policy.h"
#include "algorithms/torch_helpers.h"

namespace rlfleet {

void SaveGreedyPolicy(const LearnerAlgorithm& algorithm, const std::string& metadata,
                      const std::string& path) {
  GreedyPolicy policy;
  algorithm.DescribeGreedyPolicy(&policy);
  const torch::jit::Module module = ScriptGreedyPolicy(policy);
  const std::string temporary = path + ".tmp";
  try {
    torch::jit::ExtraFilesMap extra_files = {{kPolicyMetadataFile, metadata}};
    module.save(temporary, extra_files);
    std::filesystem::rename(temporary, path);
  } catch (const std::exception& e) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw std::runtime_error("cannot write the policy archive '" + path +
                             "': " + TorchErrorText(e));
  }
}

std::string ReadPolicyMetadata(const std::string& path) {
  torch::jit::ExtraFilesMap extra_files = {{kPolicyMetadataFile, ""}};
  try {
    torch::jit::load(path, torch::kCPU, extra_files);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot load the policy archive '" + path + "': " + TorchErrorText(e));
  }
  const std::string& metadata = extra_files.at(kPolicyMetadataFile);
  if (metadata.empty()) {
    throw std::runtime_error("'" + path + "' has no " + kPolicyMetadataFile +
                             ": not an rlfleet policy archive");
  }
  return metadata;
}

}  // namespace rlfleet
