#ifndef RLFLEET_LEARNER_EXPORT_POLICY_H_
#define RLFLEET_LEARNER_EXPORT_POLICY_H_

// `rlfleet export RUN_DIR [--checkpoint ckpt-N] --out policy.pt`: a checkpoint's greedy policy
// as a TorchScript archive that needs nothing of rlfleet (algorithms/policy_export.h;
// docs/export.md), with its metadata as rlfleet.json:
//   {"format": "rlfleet-policy", "format_version": 1, "rlfleet_version": "0.1.0",
//    "env_id": ..., "algorithm": ..., "checkpoint": "ckpt-…", "updates": …, "env_steps": …,
//    "observation": {"size": D, "low": [...], "high": [...], "normalized": bool},
//    "action": {"discrete": bool, "num_actions": K, "size": A, "low": [...], "high": [...]},
//    "forward": {"input": "float32 [B, D]", "output": "int64 [B]" | "float32 [B, A]"}}
// Bounds that are not finite are null.

#include <cstdint>
#include <string>

namespace rlfleet {

struct ExportOptions {
  std::string run_dir;
  std::string checkpoint;  // "": the newest (learner/policy_checkpoint.h)
  std::string out;         // the archive to write
  // Throws std::invalid_argument naming the first empty field.
  void Validate() const;
};

struct ExportResult {
  std::string checkpoint;  // the checkpoint directory exported
  std::string metadata;    // the text of rlfleet.json
};

// rlfleet's version (CMake's project VERSION).
std::string RlfleetVersion();

// Loads the checkpoint as `rlfleet eval` does (LoadPolicyCheckpoint) and writes the archive.
// Throws std::runtime_error naming the file when the run has no checkpoint or one of its files
// is missing or damaged, or when the archive cannot be written.
ExportResult ExportPolicy(const ExportOptions& options);

}  // namespace rlfleet

#endif  // RLFLEET_LEARNER_EXPORT_POLICY_H_
