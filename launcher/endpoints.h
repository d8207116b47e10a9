#ifndef RLFLEET_LAUNCHER_ENDPOINTS_H_
#define RLFLEET_LAUNCHER_ENDPOINTS_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "core/run_config.h"
#include "launcher/rendezvous.h"

namespace rlfleet {

// The name under which a server publishes its endpoint in the rendezvous directory.
std::string ShardEndpointName(int32_t shard);  // "shard-<i>"
inline constexpr const char* kWeightsEndpointName = "weights";
inline constexpr const char* kStatsEndpointName = "stats";

// Returns `config` with the empty endpoints of cluster.transport ipc filled in:
// ipc://<ipc_dir>/<name> (ipc_dir must exist and be short: Unix socket paths hold at most 107
// bytes). With tcp they stay empty: each server binds on its own host and publishes its
// endpoint in the run's rendezvous directory (RunRendezvous), where clients wait for it
// (WaitForServerEndpoints). Endpoints the user set are kept as they are.
RunConfig FillEndpoints(const RunConfig& config, const std::string& ipc_dir);

// The run's rendezvous: <run_dir>/rendezvous, this launch's incarnation (LaunchIncarnation),
// cluster.rendezvous_timeout_seconds.
RendezvousOptions RunRendezvous(const RunConfig& config, const std::string& run_dir);

// cluster.transport tcp: fills the empty endpoints of the shards (when `shards`) and of the
// learner's weights and stats sockets (when `learner`) with those the servers published,
// waiting for each (WaitForEndpoint: RendezvousTimeout names the one that never came). Does
// nothing for ipc.
void WaitForServerEndpoints(RunConfig* config, const RendezvousOptions& rendezvous, bool shards,
                            bool learner, const std::atomic<bool>* stop = nullptr);

// cluster.curve: the run's CURVE keys live in <run_dir>/keys/ (transport/curve.h).
std::string RunKeysDir(const std::string& run_dir);
// Creates the run's keys when <run_dir>/keys/ holds none (a resumed run keeps its keys).
void EnsureRunKeys(const std::string& run_dir);

}  // namespace rlfleet

#endif  // RLFLEET_LAUNCHER_ENDPOINTS_H_
