#include "learner/observation_actions.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "algorithms/algorithm.h"
#include "core/file_util.h"
#include "core/random.h"
#include "learner/policy_checkpoint.h"

namespace rlfleet {

void ObservationActionsOptions::Validate() const {
  if (run_dir.empty()) throw std::invalid_argument("eval: run_dir is empty");
  if (observations_path.empty()) throw std::invalid_argument("eval: --observations is empty");
  if (actions_path.empty()) throw std::invalid_argument("eval: --actions-out is empty");
}

std::vector<float> ReadObservationsCsv(const std::string& path, int32_t size) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read observations file " + path);
  std::vector<float> rows;
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(number) + ": ";
    std::stringstream fields(line);
    std::string field;
    int32_t count = 0;
    while (std::getline(fields, field, ',')) {
      const char* begin = field.c_str();
      char* end = nullptr;
      errno = 0;
      const float value = std::strtof(begin, &end);
      while (end != nullptr && (*end == ' ' || *end == '\t')) ++end;
      if (end == begin || *end != '\0' || field.find_first_not_of(" \t") == std::string::npos) {
        throw std::runtime_error(where + "'" + field + "' is not a number");
      }
      if (!std::isfinite(value)) throw std::runtime_error(where + "'" + field + "' is not finite");
      rows.push_back(value);
      ++count;
    }
    if (!line.empty() && line.back() == ',') ++count;  // a trailing empty field
    if (count != size) {
      throw std::runtime_error(where + std::to_string(count) + " values, the env observes " +
                               std::to_string(size));
    }
  }
  return rows;
}

int64_t WriteObservationActions(const ObservationActionsOptions& options) {
  options.Validate();
  PolicyCheckpoint loaded = LoadPolicyCheckpoint(options.run_dir, options.checkpoint);
  const EnvSpec& spec = loaded.spec;
  const std::vector<float> observations =
      ReadObservationsCsv(options.observations_path, spec.observation_size);
  const int64_t count = static_cast<int64_t>(observations.size()) / spec.observation_size;
  std::vector<float> actions(static_cast<size_t>(count) * spec.action_size);
  Rng rng(0);  // greedy actions draw nothing
  // In chunks: one EvalActions per 1024 rows bounds the forward pass's memory.
  constexpr int64_t kChunk = 1024;
  for (int64_t begin = 0; begin < count; begin += kChunk) {
    const int32_t n = static_cast<int32_t>(std::min(kChunk, count - begin));
    loaded.algorithm->EvalActions(observations.data() + begin * spec.observation_size, n,
                                  /*greedy=*/true, rng, actions.data() + begin * spec.action_size);
  }
  std::string text;
  char value[32];
  for (int64_t i = 0; i < count; ++i) {
    for (int32_t j = 0; j < spec.action_size; ++j) {
      const float a = actions[i * spec.action_size + j];
      if (spec.discrete_actions) {
        std::snprintf(value, sizeof(value), "%lld", static_cast<long long>(std::lround(a)));
      } else {
        std::snprintf(value, sizeof(value), "%.9g", a);
      }
      if (j > 0) text += ',';
      text += value;
    }
    text += '\n';
  }
  WriteFileAtomic(options.actions_path, text);
  return count;
}

}  // namespace rlfleet
