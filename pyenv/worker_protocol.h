#ifndef RLFLEET_PYENV_WORKER_PROTOCOL_H_
#define RLFLEET_PYENV_WORKER_PROTOCOL_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/env_spec.h"

namespace rlfleet {

// The C++ half of the env worker protocol. Its definition (messages, frames, semantics) is the
// comment block at the top of python/rlfleet_env_worker.py. Everything that comes back from a
// worker is checked here or in the worker pool before use: a bad reply is an error message,
// never a crash.

inline constexpr int kWorkerProtocol = 1;
// Seeds of restarted workers and replaced envs: base + k * kSeedStride (mod 2^64).
inline constexpr uint64_t kSeedStride = 1'000'003;
// The worker's exit status when the interpreter lacks numpy or pyzmq.
inline constexpr int kMissingDependencyExit = 86;

// Largest sizes a worker's spec may declare: observation values, action values, discrete
// actions (an index stored as a float is exact below 2^24).
inline constexpr int64_t kMaxObservationSize = int64_t{1} << 24;
inline constexpr int64_t kMaxActionSize = int64_t{1} << 20;
inline constexpr int64_t kMaxDiscreteActions = int64_t{1} << 24;

struct InitRequestFields {
  std::string callable;
  nlohmann::json kwargs = nlohmann::json::object();
  std::vector<std::string> python_path;
  int32_t num_envs = 1;
  bool autoreset = true;
  int32_t env_offset = 0;            // global index of the worker's first env (for its logs)
  std::vector<uint64_t> base_seeds;  // num_envs seeds for replaced envs
};

// Request headers (frame 0).
std::string InitRequest(const InitRequestFields& fields);
// One entry per env: a seed, or nullopt for reset() without one.
std::string ResetRequest(const std::vector<std::optional<uint64_t>>& seeds);
inline constexpr char kStepRequest[] = R"({"cmd":"step"})";
inline constexpr char kCloseRequest[] = R"({"cmd":"close"})";
// The step reply header without errors, which the worker sends as these exact bytes.
inline constexpr char kPlainOkReply[] = R"({"ok":true})";

// Parses a reply header (frame 0): a JSON object with a boolean "ok". Returns "" and sets
// *header, or says what is wrong. With ok false, the message is the worker's "error" text.
std::string ParseReplyHeader(const void* data, size_t size, nlohmann::json* header);

// Reads an optional non-negative integer field no larger than `max`; "" or what is wrong.
std::string ReadCount(const nlohmann::json& header, const char* key, int64_t max, int64_t* value);

// Parses and checks an init reply's "spec" object into *spec (its id is left alone): sizes in
// range, D bounds per side (null = -inf in low, +inf in high; low <= high), discrete actions
// with A = 1 and no bounds, continuous actions with A finite bounds and low < high. Returns ""
// or what is wrong.
std::string ParseWorkerSpec(const nlohmann::json& spec_json, EnvSpec* spec);

// True when the specs agree in every field but id (bounds compared bit for bit).
bool SameSpecIgnoringId(const EnvSpec& a, const EnvSpec& b);

}  // namespace rlfleet

#endif  // RLFLEET_PYENV_WORKER_PROTOCOL_H_
