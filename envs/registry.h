#ifndef RLFLEET_ENVS_REGISTRY_H_
#define RLFLEET_ENVS_REGISTRY_H_

#include <memory>
#include <string>
#include <vector>

#include "envs/env.h"

namespace rlfleet {

// Creates the environment registered as `id` (a Gymnasium name, e.g. "CartPole-v1"), wrapped
// in a TimeLimit of its spec().max_episode_steps. Throws std::invalid_argument for an unknown
// id, naming it and listing the known ones. Thread-safe (the table is constant).
std::unique_ptr<Env> MakeEnv(const std::string& id);

// Every registered id, in the table's order.
std::vector<std::string> RegisteredEnvIds();

bool IsRegisteredEnv(const std::string& id);

}  // namespace rlfleet

#endif  // RLFLEET_ENVS_REGISTRY_H_
