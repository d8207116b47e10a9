#include "launcher/endpoints.h"

#include <filesystem>
#include <string>

#include "transport/curve.h"

namespace rlfleet {

std::string ShardEndpointName(int32_t shard) { return "shard-" + std::to_string(shard); }

RunConfig FillEndpoints(const RunConfig& config, const std::string& ipc_dir) {
  RunConfig filled = config;
  if (config.cluster.transport != "ipc") return filled;
  auto make = [&](const std::string& name) { return "ipc://" + ipc_dir + "/" + name; };
  if (filled.cluster.shard_endpoints.empty()) {
    for (int32_t i = 0; i < config.cluster.num_shards; ++i) {
      filled.cluster.shard_endpoints.push_back(make(ShardEndpointName(i)));
    }
  }
  if (filled.cluster.weights_endpoint.empty())
    filled.cluster.weights_endpoint = make(kWeightsEndpointName);
  if (filled.cluster.stats_endpoint.empty())
    filled.cluster.stats_endpoint = make(kStatsEndpointName);
  return filled;
}

RendezvousOptions RunRendezvous(const RunConfig& config, const std::string& run_dir) {
  RendezvousOptions options;
  options.dir = run_dir + "/rendezvous";
  options.incarnation = LaunchIncarnation();
  options.timeout_seconds = config.cluster.rendezvous_timeout_seconds;
  return options;
}

void WaitForServerEndpoints(RunConfig* config, const RendezvousOptions& rendezvous, bool shards,
                            bool learner, const std::atomic<bool>* stop) {
  ClusterConfig& cluster = config->cluster;
  if (cluster.transport == "ipc") return;
  if (shards && cluster.shard_endpoints.empty()) {
    for (int32_t i = 0; i < cluster.num_shards; ++i) {
      cluster.shard_endpoints.push_back(WaitForEndpoint(rendezvous, ShardEndpointName(i),
                                                        "replay shard " + std::to_string(i), stop));
    }
  }
  if (learner && cluster.weights_endpoint.empty()) {
    cluster.weights_endpoint =
        WaitForEndpoint(rendezvous, kWeightsEndpointName, "the learner's weights socket", stop);
  }
  if (learner && cluster.stats_endpoint.empty()) {
    cluster.stats_endpoint =
        WaitForEndpoint(rendezvous, kStatsEndpointName, "the learner's stats socket", stop);
  }
}

std::string RunKeysDir(const std::string& run_dir) { return run_dir + "/keys"; }

void EnsureRunKeys(const std::string& run_dir) {
  const std::string dir = RunKeysDir(run_dir);
  if (std::filesystem::exists(dir + "/server.key") &&
      std::filesystem::exists(dir + "/client.key")) {
    ReadCurveCredentials(dir);  // present: they must be usable
    return;
  }
  WriteCurveCredentials(dir, {GenerateCurveKeyPair(), GenerateCurveKeyPair()});
}

}  // namespace rlfleet
