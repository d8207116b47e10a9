#include "learner/export_policy.h"

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

#include "algorithms/policy_export.h"
#include "learner/policy_checkpoint.h"

#ifndef RLFLEET_VERSION
#error "RLFLEET_VERSION must be defined (learner/CMakeLists.txt)"
#endif

namespace rlfleet {
namespace {

// JSON numbers; a bound that is not finite becomes null (JSON has no infinity).
nlohmann::json Bounds(const std::vector<float>& values) {
  nlohmann::json array = nlohmann::json::array();
  for (float v : values) {
    if (std::isfinite(v)) {
      array.push_back(static_cast<double>(v));
    } else {
      array.push_back(nullptr);
    }
  }
  return array;
}

}  // namespace

void ExportOptions::Validate() const {
  if (run_dir.empty()) throw std::invalid_argument("export: run_dir is empty");
  if (out.empty()) throw std::invalid_argument("export: --out is empty");
}

std::string RlfleetVersion() { return RLFLEET_VERSION; }

ExportResult ExportPolicy(const ExportOptions& options) {
  options.Validate();
  const PolicyCheckpoint loaded = LoadPolicyCheckpoint(options.run_dir, options.checkpoint);
  const EnvSpec& spec = loaded.spec;
  nlohmann::json metadata;
  metadata["format"] = "rlfleet-policy";
  metadata["format_version"] = 1;
  metadata["rlfleet_version"] = RlfleetVersion();
  metadata["env_id"] = spec.id;
  metadata["algorithm"] = loaded.algo;
  metadata["checkpoint"] = std::filesystem::path(loaded.path).filename().string();
  metadata["updates"] = loaded.updates;
  metadata["env_steps"] = loaded.env_steps;
  metadata["actor_env_steps"] = loaded.actor_env_steps;
  metadata["observation"] = {{"size", spec.observation_size},
                             {"low", Bounds(spec.observation_low)},
                             {"high", Bounds(spec.observation_high)},
                             {"normalized", loaded.config.model.normalize_observations}};
  metadata["action"] = {{"discrete", spec.discrete_actions},
                        {"num_actions", spec.num_actions},
                        {"size", spec.action_size},
                        {"low", Bounds(spec.action_low)},
                        {"high", Bounds(spec.action_high)}};
  const std::string d = std::to_string(spec.observation_size);
  metadata["forward"] = {
      {"input", "float32 [B, " + d + "]"},
      {"output", spec.discrete_actions ? std::string("int64 [B]")
                                       : "float32 [B, " + std::to_string(spec.action_size) + "]"}};
  ExportResult result;
  result.checkpoint = loaded.path;
  result.metadata = metadata.dump(2) + "\n";
  SaveGreedyPolicy(*loaded.algorithm, result.metadata, options.out);
  return result;
}

}  // namespace rlfleet
