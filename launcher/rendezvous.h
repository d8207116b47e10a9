#ifndef RLFLEET_LAUNCHER_RENDEZVOUS_H_
#define RLFLEET_LAUNCHER_RENDEZVOUS_H_

#include <atomic>
#include <optional>
#include <stdexcept>
#include <string>

namespace rlfleet {

// Rendezvous through a shared directory (<run dir>/rendezvous on the cluster's shared
// filesystem). A server binds on its own host, then publishes the endpoint its clients are to
// connect to as <dir>/<name>.json, written atomically (temporary file, then rename):
//   {"endpoint": "tcp://node7:40123", "incarnation": "...", "host": "node7", "pid": 1234}
// Clients wait for the file. `incarnation` names one launch of the run (the local launcher
// draws one; under Slurm it is the job id and restart count): a file left behind by an earlier
// launch, perhaps by other hosts, is never taken.
struct RendezvousOptions {
  std::string dir;
  std::string incarnation;  // empty: a file of any launch is taken
  double timeout_seconds = 300.0;

  // Throws std::invalid_argument naming the first bad field.
  void Validate() const;
};

// What WaitForEndpoint throws when the time runs out.
class RendezvousTimeout : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The incarnation of this process's launch: $RLFLEET_RENDEZVOUS_ID when set, else
// "slurm-<SLURM_JOB_ID>-<SLURM_RESTART_COUNT, 0 when unset>" under Slurm, else "".
std::string LaunchIncarnation();

// The endpoint a client on another host connects to, for a socket bound at `bound` (as
// BoundEndpoint reports it, "tcp://0.0.0.0:40123"): a wildcard address (0.0.0.0, *, [::]) becomes
// advertise_host, or this machine's host name when advertise_host is empty; a specific address
// is kept unless advertise_host is set. Other transports (ipc://, inproc://) are returned as
// they are. Throws std::invalid_argument for a tcp endpoint without a port.
std::string AdvertisedEndpoint(const std::string& bound, const std::string& advertise_host);

// Publishes `endpoint` as <dir>/<name>.json (creating dir). Throws std::runtime_error naming
// the path when it cannot be written.
void PublishEndpoint(const RendezvousOptions& options, const std::string& name,
                     const std::string& endpoint);

// The endpoint published under `name` by this incarnation, without waiting; nullopt when the
// file is missing, from another launch, or malformed, and then *why (when given) says which.
std::optional<std::string> ReadPublishedEndpoint(const RendezvousOptions& options,
                                                 const std::string& name,
                                                 std::string* why = nullptr);

// Polls ReadPublishedEndpoint (every 50 ms) until it returns an endpoint. `what` describes the
// server for the error message (e.g. "replay shard 0"). Throws RendezvousTimeout after
// timeout_seconds, naming what it waited for, the file, and what it last found there; throws
// std::runtime_error("stopped ...") when *stop becomes true first.
std::string WaitForEndpoint(const RendezvousOptions& options, const std::string& name,
                            const std::string& what, const std::atomic<bool>* stop = nullptr);

// The tcp endpoint a server `name` binds on bind_host: the port it published earlier in this
// incarnation (a restarted server keeps its address, so its clients reconnect by themselves),
// else "*" (the system chooses).
std::string RendezvousBindEndpoint(const RendezvousOptions& options, const std::string& name,
                                   const std::string& bind_host);

}  // namespace rlfleet

#endif  // RLFLEET_LAUNCHER_RENDEZVOUS_H_
