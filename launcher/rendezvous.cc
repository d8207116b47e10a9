#include "launcher/rendezvous.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/clock.h"
#include "core/file_util.h"

namespace rlfleet {
namespace {

namespace fs = std::filesystem;

constexpr int kPollMs = 50;

std::string HostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

std::string PathOf(const RendezvousOptions& options, const std::string& name) {
  return (fs::path(options.dir) / (name + ".json")).string();
}

// "tcp://host:port" → {host, port}; throws for a tcp endpoint without a port.
std::pair<std::string, std::string> SplitTcp(const std::string& endpoint) {
  const std::string address = endpoint.substr(6);
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 >= address.size()) {
    throw std::invalid_argument("endpoint '" + endpoint + "' has no port");
  }
  return {address.substr(0, colon), address.substr(colon + 1)};
}

}  // namespace

void RendezvousOptions::Validate() const {
  if (dir.empty()) throw std::invalid_argument("RendezvousOptions: dir must not be empty");
  if (!(timeout_seconds > 0) || !std::isfinite(timeout_seconds)) {
    throw std::invalid_argument("RendezvousOptions: timeout_seconds must be positive and finite");
  }
}

std::string LaunchIncarnation() {
  if (const char* id = std::getenv("RLFLEET_RENDEZVOUS_ID"); id != nullptr && *id != '\0') {
    return id;
  }
  const char* job = std::getenv("SLURM_JOB_ID");
  if (job == nullptr || *job == '\0') return "";
  const char* restarts = std::getenv("SLURM_RESTART_COUNT");
  return std::string("slurm-") + job + "-" +
         (restarts != nullptr && *restarts != '\0' ? restarts : "0");
}

std::string AdvertisedEndpoint(const std::string& bound, const std::string& advertise_host) {
  if (bound.rfind("tcp://", 0) != 0) return bound;
  const auto [host, port] = SplitTcp(bound);
  const bool wildcard = host == "0.0.0.0" || host == "*" || host == "[::]" || host == "::";
  if (!advertise_host.empty()) return "tcp://" + advertise_host + ":" + port;
  if (wildcard) return "tcp://" + HostName() + ":" + port;
  return bound;
}

void PublishEndpoint(const RendezvousOptions& options, const std::string& name,
                     const std::string& endpoint) {
  options.Validate();
  std::error_code error;
  fs::create_directories(options.dir, error);
  if (error) {
    throw std::runtime_error("cannot create rendezvous directory " + options.dir + ": " +
                             error.message());
  }
  const nlohmann::json record = {{"endpoint", endpoint},
                                 {"incarnation", options.incarnation},
                                 {"host", HostName()},
                                 {"pid", static_cast<int64_t>(::getpid())}};
  WriteFileAtomic(PathOf(options, name), record.dump() + "\n");
}

std::optional<std::string> ReadPublishedEndpoint(const RendezvousOptions& options,
                                                 const std::string& name, std::string* why) {
  const std::string path = PathOf(options, name);
  auto fail = [&](const std::string& reason) -> std::optional<std::string> {
    if (why != nullptr) *why = reason;
    return std::nullopt;
  };
  std::error_code error;
  if (!fs::exists(path, error)) return fail("no such file");
  std::string contents;
  try {
    contents = ReadFile(path);
  } catch (const std::exception& e) {
    return fail(std::string("unreadable: ") + e.what());
  }
  const nlohmann::json record =
      nlohmann::json::parse(contents, nullptr, /*allow_exceptions=*/false);
  if (!record.is_object() || !record.contains("endpoint") || !record["endpoint"].is_string() ||
      !record.contains("incarnation") || !record["incarnation"].is_string()) {
    return fail("malformed: not a JSON object with string fields endpoint and incarnation");
  }
  const std::string incarnation = record["incarnation"].get<std::string>();
  if (!options.incarnation.empty() && incarnation != options.incarnation) {
    return fail("written by launch '" + incarnation + "', this is launch '" + options.incarnation +
                "'");
  }
  const std::string endpoint = record["endpoint"].get<std::string>();
  if (endpoint.find("://") == std::string::npos) {
    return fail("malformed: endpoint '" + endpoint + "' has no transport");
  }
  return endpoint;
}

std::string WaitForEndpoint(const RendezvousOptions& options, const std::string& name,
                            const std::string& what, const std::atomic<bool>* stop) {
  options.Validate();
  Stopwatch clock;
  std::string why;
  while (true) {
    if (auto endpoint = ReadPublishedEndpoint(options, name, &why)) return *endpoint;
    if (stop != nullptr && stop->load()) {
      throw std::runtime_error("stopped while waiting for the endpoint of " + what);
    }
    if (clock.Seconds() >= options.timeout_seconds) {
      char seconds[32];
      std::snprintf(seconds, sizeof(seconds), "%.0f", options.timeout_seconds);
      throw RendezvousTimeout("waited " + std::string(seconds) + " s for the endpoint of " + what +
                              " in " + PathOf(options, name) + " (" + why +
                              "); is that process running?");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
  }
}

std::string RendezvousBindEndpoint(const RendezvousOptions& options, const std::string& name,
                                   const std::string& bind_host) {
  if (options.incarnation.empty()) return "tcp://" + bind_host + ":*";
  const std::optional<std::string> previous = ReadPublishedEndpoint(options, name);
  if (!previous || previous->rfind("tcp://", 0) != 0) return "tcp://" + bind_host + ":*";
  return "tcp://" + bind_host + ":" + SplitTcp(*previous).second;
}

}  // namespace rlfleet
