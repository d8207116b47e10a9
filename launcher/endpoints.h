#ifndef RLFLEET_LAUNCHER_ENDPOINTS_H_
#define RLFLEET_LAUNCHER_ENDPOINTS_H_

#include <cstdint>
#include <string>

#include "core/run_config.h"

namespace rlfleet {

// Returns `config` with every empty endpoint filled in for a single-machine cluster:
// cluster.transport ipc → ipc://<ipc_dir>/<name> (ipc_dir must exist and be short: Unix socket
// paths hold at most 107 bytes); tcp → tcp://<cluster.host>:<a free port>. Endpoints the
// user set are kept as they are.
RunConfig FillEndpoints(const RunConfig& config, const std::string& ipc_dir);

// A TCP port on `host` that was free a moment ago (bound to port 0, then released).
int32_t FindFreePort(const std::string& host);

}  // namespace rlfleet

#endif  // RLFLEET_LAUNCHER_ENDPOINTS_H_
