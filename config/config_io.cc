#include "config/config_io.h"

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>
#include <type_traits>

namespace rlfleet {
namespace {

// Calls visit(key, field) for every field of the config, in a fixed order. The one list
// of keys: parsing, writing and key checking all go through it.
template <typename Config, typename Visitor>
void VisitFields(Config& c, Visitor&& visit) {
  visit("name", c.name);
  visit("seed", c.seed);
  visit("runs_dir", c.runs_dir);
  visit("env.id", c.env.id);
  visit("env.num_envs", c.env.num_envs);
  visit("env.num_threads", c.env.num_threads);
  visit("env.plugin", c.env.plugin);
  visit("env.plugin_options", c.env.plugin_options);
  visit("env.python", c.env.python);
  visit("env.python_kwargs", c.env.python_kwargs);
  visit("env.python_path", c.env.python_path);
  visit("env.python_interpreter", c.env.python_interpreter);
  visit("env.python_workers", c.env.python_workers);
  visit("env.python_timeout_seconds", c.env.python_timeout_seconds);
  visit("env.python_start_timeout_seconds", c.env.python_start_timeout_seconds);
  visit("cluster.num_actors", c.cluster.num_actors);
  visit("cluster.num_shards", c.cluster.num_shards);
  visit("cluster.actors_per_node", c.cluster.actors_per_node);
  visit("cluster.transport", c.cluster.transport);
  visit("cluster.bind_host", c.cluster.bind_host);
  visit("cluster.advertise_host", c.cluster.advertise_host);
  visit("cluster.rendezvous_timeout_seconds", c.cluster.rendezvous_timeout_seconds);
  visit("cluster.curve", c.cluster.curve);
  visit("cluster.shard_endpoints", c.cluster.shard_endpoints);
  visit("cluster.weights_endpoint", c.cluster.weights_endpoint);
  visit("cluster.stats_endpoint", c.cluster.stats_endpoint);
  visit("cluster.max_restarts", c.cluster.max_restarts);
  visit("cluster.restart_window_seconds", c.cluster.restart_window_seconds);
  visit("cluster.shutdown_grace_seconds", c.cluster.shutdown_grace_seconds);
  visit("replay.table", c.replay.table);
  visit("replay.max_size", c.replay.max_size);
  visit("replay.max_message_bytes", c.replay.max_message_bytes);
  visit("replay.sampler", c.replay.sampler);
  visit("replay.priority_exponent", c.replay.priority_exponent);
  visit("replay.importance_exponent", c.replay.importance_exponent);
  visit("replay.min_size_to_sample", c.replay.min_size_to_sample);
  visit("replay.samples_per_insert", c.replay.samples_per_insert);
  visit("replay.checkpoint_interval_seconds", c.replay.checkpoint_interval_seconds);
  visit("replay.max_pending_requests", c.replay.max_pending_requests);
  visit("actor.unroll_length", c.actor.unroll_length);
  visit("actor.max_inflight_inserts", c.actor.max_inflight_inserts);
  visit("actor.stats_interval_seconds", c.actor.stats_interval_seconds);
  visit("actor.insert_timeout_ms", c.actor.insert_timeout_ms);
  visit("actor.wait_for_weights_seconds", c.actor.wait_for_weights_seconds);
  visit("actor.n_step", c.actor.n_step);
  visit("actor.insert_batch", c.actor.insert_batch);
  visit("actor.weights_interval_frames", c.actor.weights_interval_frames);
  visit("actor.warmup_env_steps", c.actor.warmup_env_steps);
  visit("model.hidden_sizes", c.model.hidden_sizes);
  visit("model.activation", c.model.activation);
  visit("model.shared_torso", c.model.shared_torso);
  visit("model.initial_log_std", c.model.initial_log_std);
  visit("model.state_dependent_log_std", c.model.state_dependent_log_std);
  visit("model.normalize_observations", c.model.normalize_observations);
  visit("model.observation_clip", c.model.observation_clip);
  visit("learner.algo", c.learner.algo);
  visit("learner.device", c.learner.device);
  visit("learner.batch_size", c.learner.batch_size);
  visit("learner.total_env_steps", c.learner.total_env_steps);
  visit("learner.publish_interval", c.learner.publish_interval);
  visit("learner.prefetch", c.learner.prefetch);
  visit("learner.batches_per_sample", c.learner.batches_per_sample);
  visit("learner.intra_op_threads", c.learner.intra_op_threads);
  visit("learner.deterministic", c.learner.deterministic);
  visit("learner.discount", c.learner.discount);
  visit("learner.learning_rate", c.learner.learning_rate);
  visit("learner.anneal_learning_rate", c.learner.anneal_learning_rate);
  visit("learner.adam_eps", c.learner.adam_eps);
  visit("learner.max_grad_norm", c.learner.max_grad_norm);
  visit("learner.baseline_cost", c.learner.baseline_cost);
  visit("learner.entropy_cost", c.learner.entropy_cost);
  visit("learner.rho_bar", c.learner.rho_bar);
  visit("learner.c_bar", c.learner.c_bar);
  visit("learner.pg_rho_bar", c.learner.pg_rho_bar);
  visit("learner.lambda", c.learner.lambda);
  visit("learner.loss", c.learner.loss);
  visit("learner.ppo_clip", c.learner.ppo_clip);
  visit("learner.value_clip", c.learner.value_clip);
  visit("learner.epochs", c.learner.epochs);
  visit("learner.minibatches", c.learner.minibatches);
  visit("learner.normalize_advantages", c.learner.normalize_advantages);
  visit("learner.reward_scale", c.learner.reward_scale);
  visit("learner.checkpoint_interval_seconds", c.learner.checkpoint_interval_seconds);
  visit("learner.keep_checkpoints", c.learner.keep_checkpoints);
  visit("learner.max_nonfinite_updates", c.learner.max_nonfinite_updates);
  visit("learner.metrics_interval_seconds", c.learner.metrics_interval_seconds);
  visit("learner.eval_interval_updates", c.learner.eval_interval_updates);
  visit("learner.eval_episodes", c.learner.eval_episodes);
  visit("learner.video_interval_updates", c.learner.video_interval_updates);
  visit("learner.stop_eval_return", c.learner.stop_eval_return);
  visit("apex.epsilon_base", c.apex.epsilon_base);
  visit("apex.epsilon_alpha", c.apex.epsilon_alpha);
  visit("apex.target_update_period", c.apex.target_update_period);
  visit("apex.double_dqn", c.apex.double_dqn);
  visit("apex.dueling", c.apex.dueling);
  visit("sac.tau", c.sac.tau);
  visit("sac.autotune_alpha", c.sac.autotune_alpha);
  visit("sac.initial_alpha", c.sac.initial_alpha);
  visit("sac.target_entropy_scale", c.sac.target_entropy_scale);
  visit("td3.tau", c.td3.tau);
  visit("td3.policy_noise", c.td3.policy_noise);
  visit("td3.noise_clip", c.td3.noise_clip);
  visit("td3.policy_delay", c.td3.policy_delay);
  visit("td3.exploration_noise_high", c.td3.exploration_noise_high);
  visit("td3.exploration_noise_low", c.td3.exploration_noise_low);
  visit("report.metric", c.report.metric);
  visit("report.threshold", c.report.threshold);
}

// Keys whose value is a map passed on as a JSON object's text (options for an environment
// rlfleet did not write); the maps are not flattened into keys.
bool IsJsonObjectKey(const std::string& key) {
  return key == "env.plugin_options" || key == "env.python_kwargs";
}

// A YAML value as JSON: maps and sequences recursively; a quoted scalar is a string; a plain
// one is null, a boolean, an integer or a number when it reads as one, else a string.
nlohmann::json YamlToJson(const YAML::Node& node) {
  if (node.IsNull() || !node.IsDefined()) return nullptr;
  if (node.IsMap()) {
    nlohmann::json object = nlohmann::json::object();
    for (const auto& entry : node) object[entry.first.as<std::string>()] = YamlToJson(entry.second);
    return object;
  }
  if (node.IsSequence()) {
    nlohmann::json array = nlohmann::json::array();
    for (const auto& item : node) array.push_back(YamlToJson(item));
    return array;
  }
  const std::string text = node.Scalar();
  if (node.Tag() == "!") return text;  // quoted
  if (text == "~" || text == "null") return nullptr;
  if (text == "true" || text == "True") return true;
  if (text == "false" || text == "False") return false;
  try {
    size_t used = 0;
    const long long integer = std::stoll(text, &used);
    if (used == text.size()) return integer;
  } catch (const std::exception&) {
  }
  try {
    size_t used = 0;
    const double number = std::stod(text, &used);
    if (used == text.size()) return number;
  } catch (const std::exception&) {
  }
  return text;
}

// A map (or nothing) as a JSON object's text.
void AssignJsonObject(const std::string& key, const YAML::Node& node, const std::string& source,
                      std::string* field) {
  if (node.IsNull()) {
    *field = "{}";
    return;
  }
  if (node.IsScalar()) {
    // A JSON object's text, as a run's config.yaml holds it (RunConfigToYaml).
    try {
      const nlohmann::json parsed = nlohmann::json::parse(node.Scalar());
      if (parsed.is_object()) {
        *field = parsed.dump();
        return;
      }
    } catch (const nlohmann::json::exception&) {
    }
  }
  if (!node.IsMap()) {
    std::ostringstream text;
    text << node;
    throw std::invalid_argument(source + ": key '" + key + "' must be a map (got '" + text.str() +
                                "')");
  }
  *field = YamlToJson(node).dump();
}

// Levenshtein distance, for "did you mean" hints.
size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::string UnknownKeyMessage(const std::string& key, const std::string& source) {
  std::string best;
  size_t best_distance = 4;  // suggest only close names
  for (const std::string& known : RunConfigKeys()) {
    const size_t d = EditDistance(key, known);
    if (d < best_distance) {
      best_distance = d;
      best = known;
    }
  }
  std::string message = source + ": unknown key '" + key + "'";
  if (!best.empty()) message += " (did you mean '" + best + "'?)";
  return message;
}

// Flattens nested maps into dotted keys; sequences and scalars are leaves.
void Flatten(const YAML::Node& node, const std::string& prefix,
             std::map<std::string, YAML::Node>* out) {
  if (node.IsMap() && !IsJsonObjectKey(prefix)) {
    for (const auto& entry : node) {
      const std::string key = entry.first.as<std::string>();
      Flatten(entry.second, prefix.empty() ? key : prefix + "." + key, out);
    }
  } else if (!prefix.empty()) {
    (*out)[prefix] = node;
  }
}

template <typename T>
std::string TypeName() {
  if constexpr (std::is_same_v<T, std::string>) return "a string";
  if constexpr (std::is_same_v<T, bool>) return "true or false";
  if constexpr (std::is_integral_v<T>) return "an integer";
  if constexpr (std::is_floating_point_v<T>) return "a number";
  return "a list";
}

template <typename T>
void Assign(const std::string& key, const YAML::Node& node, const std::string& source, T* field) {
  try {
    if constexpr (std::is_same_v<T, std::vector<std::string>> ||
                  std::is_same_v<T, std::vector<int64_t>>) {
      if (node.IsNull()) {
        field->clear();
        return;
      }
      if (!node.IsSequence()) throw YAML::Exception(YAML::Mark::null_mark(), "not a list");
    } else if (!node.IsScalar()) {
      throw YAML::Exception(YAML::Mark::null_mark(), "not a scalar");
    }
    *field = node.as<T>();
  } catch (const YAML::Exception&) {
    std::ostringstream text;
    text << node;
    throw std::invalid_argument(source + ": key '" + key + "' must be " + TypeName<T>() +
                                " (got '" + text.str() + "')");
  }
}

}  // namespace

std::vector<std::string> RunConfigKeys() {
  std::vector<std::string> keys;
  RunConfig config;
  VisitFields(config, [&](const char* key, auto&) { keys.push_back(key); });
  return keys;
}

RunConfig ParseRunConfig(const std::string& yaml_text, const std::vector<std::string>& overrides,
                         const std::string& source_name) {
  std::map<std::string, YAML::Node> values;
  try {
    YAML::Node root = YAML::Load(yaml_text);
    if (root.IsDefined() && !root.IsNull() && !root.IsMap()) {
      throw std::invalid_argument(source_name + ": the top level must be a map of keys");
    }
    Flatten(root, "", &values);
  } catch (const YAML::Exception& e) {
    throw std::invalid_argument(source_name + ": not valid YAML: " + e.what());
  }
  for (const std::string& override_text : overrides) {
    const size_t equals = override_text.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw std::invalid_argument("--set expects key=value, got '" + override_text + "'");
    }
    const std::string key = override_text.substr(0, equals);
    try {
      values[key] = YAML::Load(override_text.substr(equals + 1));
    } catch (const YAML::Exception& e) {
      throw std::invalid_argument("--set " + key + ": not a YAML value: " + e.what());
    }
  }

  RunConfig config;
  size_t matched = 0;
  VisitFields(config, [&](const char* key, auto& field) {
    auto it = values.find(key);
    if (it == values.end()) return;
    if constexpr (std::is_same_v<std::decay_t<decltype(field)>, std::string>) {
      if (IsJsonObjectKey(key)) {
        AssignJsonObject(key, it->second, source_name, &field);
        ++matched;
        return;
      }
    }
    Assign(key, it->second, source_name, &field);
    ++matched;
  });
  if (matched != values.size()) {
    const std::vector<std::string> known = RunConfigKeys();
    for (const auto& entry : values) {
      if (std::find(known.begin(), known.end(), entry.first) == known.end()) {
        throw std::invalid_argument(UnknownKeyMessage(entry.first, source_name));
      }
    }
  }
  try {
    config.Validate();
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(source_name + ": " + e.what());
  }
  return config;
}

RunConfig LoadRunConfig(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("cannot read config file '" + path + "'");
  std::stringstream text;
  text << in.rdbuf();
  return ParseRunConfig(text.str(), overrides, path);
}

std::string RunConfigToYaml(const RunConfig& config) {
  YAML::Node root;
  RunConfig copy = config;
  VisitFields(copy, [&](const char* key, auto& field) {
    // Walk/create the nested maps of a dotted key.
    std::string path = key;
    std::vector<std::string> parts;
    for (size_t start = 0;;) {
      const size_t dot = path.find('.', start);
      parts.push_back(path.substr(start, dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    // A map-valued key (IsJsonObjectKey) is written as its JSON object's text, a string, which
    // reads back exactly: YAML would not keep a string such as "42" apart from a number.
    if (parts.size() == 1) {
      root[parts[0]] = field;
    } else {
      root[parts[0]][parts[1]] = field;
    }
  });
  YAML::Emitter out;
  out.SetSeqFormat(YAML::Flow);
  out << root;
  return std::string(out.c_str()) + "\n";
}

uint64_t ReadConfigSeed(const std::string& path) {
  try {
    const YAML::Node root = YAML::LoadFile(path);
    if (!root["seed"]) throw std::runtime_error("no seed");
    return root["seed"].as<uint64_t>();
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": cannot read the seed: " + e.what());
  }
}

}  // namespace rlfleet
