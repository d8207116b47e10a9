#include "learner/policy_checkpoint.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "algorithms/registry.h"
#include "config/config_io.h"
#include "core/file_util.h"
#include "learner/learner.h"
#include "pyenv/env_factory.h"

namespace rlfleet {

namespace fs = std::filesystem;

namespace {

// The checkpoint directory `checkpoint` names (see LoadPolicyCheckpoint).
std::string ResolveCheckpoint(const std::string& run_dir, const std::string& checkpoint) {
  if (checkpoint.empty()) {
    const std::string newest = LatestCheckpoint(run_dir);
    if (newest.empty()) {
      throw std::runtime_error("no checkpoint in " + (fs::path(run_dir) / "checkpoints").string());
    }
    return newest;
  }
  const fs::path named = fs::path(run_dir) / "checkpoints" / checkpoint;
  if (checkpoint.find('/') == std::string::npos && fs::is_directory(named)) return named.string();
  if (fs::is_directory(checkpoint)) return checkpoint;
  throw std::runtime_error("no checkpoint " + named.string());
}

}  // namespace

PolicyCheckpoint LoadPolicyCheckpoint(const std::string& run_dir, const std::string& checkpoint) {
  PolicyCheckpoint loaded;
  loaded.config = LoadRunConfig((fs::path(run_dir) / "config.yaml").string());
  loaded.path = ResolveCheckpoint(run_dir, checkpoint);
  const std::string state_path = (fs::path(loaded.path) / "state.json").string();
  if (!fs::exists(state_path)) throw std::runtime_error("checkpoint file missing: " + state_path);
  nlohmann::json state;
  try {
    state = nlohmann::json::parse(ReadFile(state_path));
    loaded.algo = state.value("algo", loaded.config.learner.algo);
    loaded.updates = state.at("updates").get<int64_t>();
    loaded.actor_env_steps = state.value("actor_env_steps", int64_t{0});
    loaded.env_steps = state.value("consumed_frames", state.value("env_steps", int64_t{0}));
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("checkpoint file damaged: " + state_path + ": " + e.what());
  }
  if (loaded.algo != loaded.config.learner.algo) {
    throw std::runtime_error("checkpoint " + loaded.path + " is of learner.algo " + loaded.algo +
                             ", the run uses " + loaded.config.learner.algo);
  }
  loaded.env = MakeEnv(loaded.config.env);
  loaded.spec = loaded.env->spec();
  const AlgorithmSpec& algo = CheckRunFitsAlgorithm(loaded.config, loaded.spec);
  if (algo.budget == StepBudget::kActorFrames) loaded.env_steps = loaded.actor_env_steps;
  loaded.algorithm = algo.make_learner(loaded.config, loaded.spec, "cpu");
  loaded.algorithm->LoadCheckpoint(loaded.path);
  return loaded;
}

}  // namespace rlfleet
