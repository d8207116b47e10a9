#include "pyenv/worker_protocol.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace rlfleet {
namespace {

// A JSON number as a float; null maps to `null_value`. Values beyond float's range become ±inf.
bool ToFloat(const nlohmann::json& v, float null_value, float* out) {
  if (v.is_null()) {
    *out = null_value;
    return true;
  }
  if (!v.is_number()) return false;
  const double d = v.get<double>();
  if (std::isnan(d)) return false;
  constexpr double kMax = std::numeric_limits<float>::max();
  constexpr double kOverflow = 3.4028235677973366e38;  // 2^128 - 2^103: rounds to inf
  constexpr float kInf = std::numeric_limits<float>::infinity();
  if (d >= kOverflow || d <= -kOverflow) {
    *out = d > 0 ? kInf : -kInf;
  } else {
    *out = static_cast<float>(d > kMax ? kMax : d < -kMax ? -kMax : d);
  }
  return true;
}

// An integer JSON value in [min, max] (max >= 0).
bool IntInRange(const nlohmann::json& v, int64_t min, int64_t max, int64_t* out) {
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(max)) return false;
    *out = static_cast<int64_t>(u);
  } else if (v.is_number_integer()) {
    *out = v.get<int64_t>();
  } else {
    return false;
  }
  return *out >= min && *out <= max;
}

// Reads an integer field in [min, max].
std::string ReadInt(const nlohmann::json& j, const char* key, int64_t min, int64_t max,
                    int64_t* out) {
  const auto it = j.find(key);
  if (it == j.end()) return std::string("spec has no \"") + key + "\"";
  if (!IntInRange(*it, min, max, out)) {
    std::string value = it->dump();
    if (value.size() > 40) value = value.substr(0, 37) + "...";
    return std::string("spec \"") + key + "\" = " + value + " is not an integer in [" +
           std::to_string(min) + ", " + std::to_string(max) + "]";
  }
  return "";
}

std::string ReadBounds(const nlohmann::json& j, const char* key, size_t n, float null_value,
                       std::vector<float>* out) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return std::string("spec \"") + key + "\" is not a list";
  if (it->size() != n) {
    return std::string("spec \"") + key + "\" has " + std::to_string(it->size()) +
           " values, expected " + std::to_string(n);
  }
  out->resize(n);
  for (size_t i = 0; i < n; ++i) {
    if (!ToFloat((*it)[i], null_value, &(*out)[i])) {
      return std::string("spec \"") + key + "\"[" + std::to_string(i) + "] is not a number";
    }
  }
  return "";
}

bool SameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

}  // namespace

std::string InitRequest(const InitRequestFields& f) {
  nlohmann::json j = {{"cmd", "init"},
                      {"protocol", kWorkerProtocol},
                      {"callable", f.callable},
                      {"kwargs", f.kwargs},
                      {"python_path", f.python_path},
                      {"num_envs", f.num_envs},
                      {"autoreset", f.autoreset},
                      {"env_offset", f.env_offset},
                      {"base_seeds", f.base_seeds}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string ResetRequest(const std::vector<std::optional<uint64_t>>& seeds) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& s : seeds) list.push_back(s ? nlohmann::json(*s) : nlohmann::json(nullptr));
  return nlohmann::json{{"cmd", "reset"}, {"seeds", list}}.dump();
}

std::string ParseReplyHeader(const void* data, size_t size, nlohmann::json* header) {
  const char* text = static_cast<const char*>(data);
  *header = nlohmann::json::parse(text, text + size, nullptr, /*allow_exceptions=*/false);
  if (header->is_discarded() || !header->is_object())
    return "the reply header is not a JSON object";
  const auto ok = header->find("ok");
  if (ok == header->end() || !ok->is_boolean()) return "the reply header has no boolean \"ok\"";
  if (!ok->get<bool>()) {
    const auto error = header->find("error");
    if (error != header->end() && error->is_string()) return error->get<std::string>();
    return "the worker answered ok: false without an error message";
  }
  return "";
}

std::string ReadCount(const nlohmann::json& header, const char* key, int64_t max, int64_t* value) {
  *value = 0;
  const auto it = header.find(key);
  if (it == header.end()) return "";
  if (!IntInRange(*it, 0, max, value)) {
    *value = 0;
    return std::string("reply \"") + key + "\" is not an integer in [0, " + std::to_string(max) +
           "]";
  }
  return "";
}

std::string ParseWorkerSpec(const nlohmann::json& j, EnvSpec* spec) {
  if (!j.is_object()) return "the init reply has no \"spec\" object";
  constexpr float kInf = std::numeric_limits<float>::infinity();
  EnvSpec s;
  s.id = spec->id;
  int64_t v = 0;
  if (auto e = ReadInt(j, "observation_size", 1, kMaxObservationSize, &v); !e.empty()) return e;
  s.observation_size = static_cast<int32_t>(v);
  const size_t d = static_cast<size_t>(v);
  if (auto e = ReadBounds(j, "observation_low", d, -kInf, &s.observation_low); !e.empty()) {
    return e;
  }
  if (auto e = ReadBounds(j, "observation_high", d, kInf, &s.observation_high); !e.empty()) {
    return e;
  }
  for (size_t i = 0; i < d; ++i) {
    if (!(s.observation_low[i] <= s.observation_high[i])) {
      return "spec observation bound " + std::to_string(i) + ": low > high";
    }
  }
  const auto discrete = j.find("discrete");
  if (discrete == j.end() || !discrete->is_boolean()) return "spec \"discrete\" is not a boolean";
  s.discrete_actions = discrete->get<bool>();
  if (s.discrete_actions) {
    if (auto e = ReadInt(j, "num_actions", 1, kMaxDiscreteActions, &v); !e.empty()) return e;
    s.num_actions = static_cast<int32_t>(v);
    if (auto e = ReadInt(j, "action_size", 1, 1, &v); !e.empty()) return e;
    s.action_size = 1;
    for (const char* key : {"action_low", "action_high"}) {
      const auto it = j.find(key);
      if (it != j.end() && !(it->is_array() && it->empty()) && !it->is_null()) {
        return std::string("spec \"") + key + "\" must be empty for discrete actions";
      }
    }
  } else {
    if (auto e = ReadInt(j, "num_actions", 0, 0, &v); !e.empty()) return e;
    s.num_actions = 0;
    if (auto e = ReadInt(j, "action_size", 1, kMaxActionSize, &v); !e.empty()) return e;
    s.action_size = static_cast<int32_t>(v);
    const size_t a = static_cast<size_t>(v);
    if (auto e = ReadBounds(j, "action_low", a, -kInf, &s.action_low); !e.empty()) return e;
    if (auto e = ReadBounds(j, "action_high", a, kInf, &s.action_high); !e.empty()) return e;
    for (size_t i = 0; i < a; ++i) {
      if (!std::isfinite(s.action_low[i]) || !std::isfinite(s.action_high[i]) ||
          !(s.action_low[i] < s.action_high[i])) {
        return "spec action bound " + std::to_string(i) +
               ": continuous actions need finite bounds with low < high";
      }
    }
  }
  if (auto e = ReadInt(j, "max_episode_steps", 0, std::numeric_limits<int32_t>::max(), &v);
      !e.empty()) {
    return e;
  }
  s.max_episode_steps = static_cast<int32_t>(v);
  *spec = std::move(s);
  return "";
}

bool SameSpecIgnoringId(const EnvSpec& a, const EnvSpec& b) {
  return a.observation_size == b.observation_size &&
         SameBits(a.observation_low, b.observation_low) &&
         SameBits(a.observation_high, b.observation_high) &&
         a.discrete_actions == b.discrete_actions && a.num_actions == b.num_actions &&
         a.action_size == b.action_size && SameBits(a.action_low, b.action_low) &&
         SameBits(a.action_high, b.action_high) && a.max_episode_steps == b.max_episode_steps;
}

}  // namespace rlfleet
