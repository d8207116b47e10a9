#ifndef RLFLEET_CONFIG_CONFIG_IO_H_
#define RLFLEET_CONFIG_CONFIG_IO_H_

#include <string>
#include <vector>

#include "core/run_config.h"

namespace rlfleet {

// Reads a run configuration from YAML text. Keys are the dotted names of RunConfig's fields
// ("learner.batch_size"); a key that is not a field, a value of the wrong type, or a file
// that is not YAML throws std::invalid_argument naming the key (and a close known key when
// the name looks mistyped). `overrides` are "key=value" strings (`--set`), applied after the
// file; values are YAML scalars or flow sequences ("[64, 64]"). Unset keys keep defaults.
// The result is validated (RunConfig::Validate) but the env id is not checked here.
RunConfig ParseRunConfig(const std::string& yaml_text, const std::vector<std::string>& overrides,
                         const std::string& source_name = "config");
RunConfig LoadRunConfig(const std::string& path, const std::vector<std::string>& overrides = {});

// Every field as YAML (nested maps), readable by ParseRunConfig with the same result.
std::string RunConfigToYaml(const RunConfig& config);

// All dotted keys, in declaration order.
std::vector<std::string> RunConfigKeys();

// The top-level `seed` of a run's config file, whatever else it holds (runs written by other
// versions, with keys this one does not know); throws std::runtime_error naming the file when
// it cannot be read or has no integer seed.
uint64_t ReadConfigSeed(const std::string& path);

}  // namespace rlfleet

#endif  // RLFLEET_CONFIG_CONFIG_IO_H_
