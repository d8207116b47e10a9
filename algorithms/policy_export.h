#ifndef RLFLEET_ALGORITHMS_POLICY_EXPORT_H_
#define RLFLEET_ALGORITHMS_POLICY_EXPORT_H_

// A learner's greedy policy as a TorchScript archive (docs/export.md) that loads with
// torch.jit.load in Python and torch::jit::load in C++ and needs nothing of rlfleet:
//   forward(observation: float32 [B, D]) → int64 [B] (discrete) | float32 [B, A] (continuous),
// observation normalisation inside, the metadata as the archive's extra file rlfleet.json.
// The module is algorithms/greedy_policy.h's compilation of LearnerAlgorithm::
// DescribeGreedyPolicy. This header does not include LibTorch.

#include <string>

#include "algorithms/algorithm.h"

namespace rlfleet {

// The name of the metadata in the archive (torch::jit::ExtraFilesMap / _extra_files).
inline constexpr char kPolicyMetadataFile[] = "rlfleet.json";

// Writes `algorithm`'s greedy policy with `metadata` (the text of rlfleet.json) to `path`: first
// to `path`.tmp, then renamed, so a reader never sees a partial archive. Reads the algorithm's
// parameters: call it on the thread that owns the algorithm. Throws std::runtime_error naming
// `path` when it cannot be written, std::logic_error for an algorithm without a description.
void SaveGreedyPolicy(const LearnerAlgorithm& algorithm, const std::string& metadata,
                      const std::string& path);

// The rlfleet.json text of an archive SaveGreedyPolicy wrote. Throws std::runtime_error naming
// `path` when it is not such an archive.
std::string ReadPolicyMetadata(const std::string& path);

}  // namespace rlfleet

#endif  // RLFLEET_ALGORITHMS_POLICY_EXPORT_H_
